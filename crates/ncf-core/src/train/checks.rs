//! The checks every backend's session shares, run once with one wording: the data against the
//! model, the test and validation cases, `k`, a diverged loss; and the
//! rating scale and cases a rating model is fitted and measured on.

use super::config::{Algorithm, TrainConfig};
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::metrics::RatingScale;
use crate::model::{Objective, Params};

/// Checks that a dataset fits a model of `num_users × num_items`, and can be trained on.
pub fn check_fits(data: &Dataset, num_users: u32, num_items: u32) -> Result<()> {
    if data.num_users > num_users {
        return Err(NcfError::invalid(
            "numUsers",
            format!("the dataset has {} users but the model was built for {num_users}", data.num_users),
        ));
    }
    if data.num_items > num_items {
        return Err(NcfError::invalid(
            "numItems",
            format!("the dataset has {} items but the model was built for {num_items}", data.num_items),
        ));
    }
    Ok(())
}

/// Everything a training session needs of its inputs, checked once for every backend:
/// hyperparameters, sizes against the model, that negatives can be drawn, and that the test
/// and validation cases fit the model. Returns the samples per epoch.
pub fn check_session(data: &Dataset, validation: Option<&TestSet>, params: &Params, cfg: &TrainConfig) -> Result<u32> {
    cfg.validate()?;
    if cfg.dropout > 0.0 && !params.layout.kind.is_neural() {
        return Err(NcfError::invalid(
            "dropout",
            format!("applies to the MLP tower; {} has none (use l2 or weightDecay)", params.layout.kind.name()),
        ));
    }
    check_fits(data, params.layout.num_users, params.layout.num_items)?;
    match cfg.objective() {
        Objective::Bce => data.check_sampleable()?,
        Objective::Squared { .. } if data.train_ratings.is_none() => {
            return Err(NcfError::Data(
                "task 'rating' needs ratings: the data has none (read a file with a rating column, or pass ratings)"
                    .into(),
            ));
        }
        Objective::Squared { .. } => {}
    }

    for set in data.test.iter().chain(validation) {
        check_test_fits(set, params)?;
    }
    samples_per_epoch(data, cfg.negatives)
}

/// Number of samples per epoch, checked to fit the u32 indices both backends use.
pub fn samples_per_epoch(data: &Dataset, negatives: u32) -> Result<u32> {
    let n = data.num_interactions() as u64 * (negatives as u64 + 1);
    u32::try_from(n).map_err(|_| {
        NcfError::Data(format!(
            "{} interactions × (1 + {negatives} negatives) = {n} samples per epoch exceeds 2^32",
            data.num_interactions()
        ))
    })
}

/// Fails on a non-finite loss so that a diverged run never reports numbers; the message names
/// what the caller can change for `algorithm` (ALS has no learning rate: its `l2`).
pub fn check_finite_loss(loss: f64, epoch: u32, algorithm: &Algorithm) -> Result<()> {
    if loss.is_finite() {
        return Ok(());
    }
    let (what, remedy) = match algorithm {
        Algorithm::Als(_) => ("ALS objective", "raise l2"),
        Algorithm::MiniBatch | Algorithm::Hogwild => ("mean loss", "lower lr"),
    };
    Err(NcfError::Diverged(format!(
        "the {what} of epoch {epoch} is {loss}; {remedy} or check the data (weights were left at the previous epoch)"
    )))
}

/// Sampled ranking needs negatives to rank the held-out item against.
pub fn check_rankable(test: &TestSet) -> Result<()> {
    if test.per_case < 2 {
        return Err(unrankable());
    }
    Ok(())
}

/// The one wording of "these test cases cannot be ranked", whichever layer finds it.
pub fn unrankable() -> NcfError {
    NcfError::Data(
        "the test cases have no sampled negatives to rank against: read the test file with testNegatives, \
         or train with evaluate: false and evaluate with protocol: 'full' (or rating metrics)"
            .into(),
    )
}

pub fn check_k(k: u32) -> Result<()> {
    if k == 0 {
        return Err(NcfError::invalid("k", "must be a positive integer"));
    }
    Ok(())
}

/// Checks that every test user and candidate exists in the model.
pub fn check_test_fits(test: &TestSet, params: &Params) -> Result<()> {
    let l = params.layout;
    if let Some(c) = test.users.iter().position(|&u| u >= l.num_users) {
        return Err(NcfError::Data(format!(
            "test case {} has user {} outside the model's user range [0, {})",
            c + 1,
            test.users[c],
            l.num_users
        )));
    }
    if let Some(k) = test.candidates.iter().position(|&i| i >= l.num_items) {
        let what = if k % test.per_case as usize == 0 { "positive" } else { "negative" };
        return Err(NcfError::Data(format!(
            "test case {} has {what} item {} outside the model's item range [0, {})",
            k / test.per_case as usize + 1,
            test.candidates[k],
            l.num_items
        )));
    }
    Ok(())
}

/// The rating scale a rating model learns from its training data: the mean rating μ (the
/// offset of r̂ = z + μ) and the range predictions are clipped to.
pub fn rating_scale(data: &Dataset, clip: bool) -> Result<RatingScale> {
    let r = data.train_ratings.as_deref().ok_or_else(|| {
        NcfError::Data(
            "task 'rating' needs ratings: the data has none (read a file with a rating column, or pass ratings)".into(),
        )
    })?;
    let mean = data.mean_rating().ok_or_else(|| NcfError::Data("the training data has no ratings".into()))?;
    let (min, max) = r.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    Ok(RatingScale { mean, min, max, clip })
}

/// The held-out `(users, items, ratings)` of a test set's cases, for rating metrics.
pub fn rating_cases(test: &TestSet) -> Result<(Vec<u32>, Vec<u32>, &[f32])> {
    let ratings = test.ratings.as_deref().ok_or_else(|| {
        NcfError::Data("the held-out cases have no ratings: rating metrics need data read with its ratings".into())
    })?;
    Ok((test.users.clone(), (0..test.len()).map(|c| test.positive(c)).collect(), ratings))
}

#[cfg(test)]
mod divergence_tests {
    use super::*;
    use crate::train::AlsSpec;

    #[test]
    fn a_diverged_epoch_names_what_the_algorithm_lets_the_caller_change() {
        let says = |a: Algorithm| check_finite_loss(f64::NAN, 3, &a).unwrap_err().to_string();
        assert!(says(Algorithm::MiniBatch).contains("the mean loss of epoch 3 is NaN; lower lr"));
        assert!(says(Algorithm::Hogwild).contains("lower lr"));
        let als = says(Algorithm::Als(AlsSpec::default()));
        assert!(als.contains("the ALS objective of epoch 3 is NaN; raise l2") && !als.contains("lr"), "{als}");
        assert!(check_finite_loss(0.5, 1, &Algorithm::MiniBatch).is_ok());
    }
}
