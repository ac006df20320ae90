//! Rating baselines for an honest table next to the neural models:
//! - the global mean, r̂ = μ;
//! - the user + item bias baseline r̂ = μ + b_u + b_i (Koren, "Factor in the Neighbors",
//!   TKDD 2010, §2.1), fitted by alternating regularised least squares as Surprise's
//!   `BaselineOnly` does: b_i = Σ(r − μ − b_u)/(λ_i + |R(i)|), then b_u likewise.
//!
//! Biased MF trained by SGD (Surprise's "SVD") is `MF` with `task: 'rating'`. Baselines are
//! closed-form sums over the ratings, computed on the CPU for either device.

use crate::data::Dataset;
use crate::error::{NcfError, Result};
use crate::metrics::{RatingMetrics, RatingScale};
use crate::options::{Fields, from_json, names};
use crate::recommender::{Corpus, Ids};
use crate::train::{rating_cases, rating_scale};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BaselineKind {
    GlobalMean,
    /// Regularisation of the user and item biases, and ALS sweeps.
    Bias {
        reg_user: f32,
        reg_item: f32,
        iterations: u32,
    },
}

/// A baseline's options (`new Baseline({...})`) as the caller wrote them, read by [`Fields`]:
/// the kind (`'mean'` or `'bias'`, Koren's user and item biases), its regularisation and sweeps,
/// and whether predictions are clipped to the training range. Returns the kind and `clip`.
pub fn baseline_from_json(json: &str) -> Result<(BaselineKind, bool)> {
    from_json("Baseline", json, read_baseline)
}

pub fn baseline_option_names() -> Vec<&'static str> {
    names(read_baseline)
}

fn read_baseline(o: &mut Fields) -> Result<(BaselineKind, bool)> {
    let bias = o.choice("kind", &[("mean", false), ("bias", true)])?.unwrap_or(true);
    if !bias {
        for name in ["regUser", "regItem", "iterations"] {
            o.refuse(name, "applies to kind: 'bias'")?;
        }
    }
    let mut reg = |name: &'static str, default: f32| -> Result<f32> {
        match o.number(name)? {
            None => Ok(default),
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v as f32),
            Some(v) => Err(NcfError::invalid(name, format!("must be a number >= 0, got {v}"))),
        }
    };
    let (reg_user, reg_item) = (reg("regUser", 15.0)?, reg("regItem", 10.0)?);
    let iterations = o.positive("iterations")?.unwrap_or(10);
    let clip = o.bool("clip")?.unwrap_or(true);
    let kind = if bias { BaselineKind::Bias { reg_user, reg_item, iterations } } else { BaselineKind::GlobalMean };
    Ok((kind, clip))
}

/// A fitted baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    pub scale: RatingScale,
    pub user_bias: Vec<f32>,
    pub item_bias: Vec<f32>,
}

impl Baseline {
    pub fn fit(data: &Dataset, kind: BaselineKind, clip: bool) -> Result<Baseline> {
        let scale = rating_scale(data, clip)?;
        let r = data.train_ratings.as_deref().expect("rating_scale checked the ratings");
        let (nu, ni) = (data.num_users as usize, data.num_items as usize);
        let mut bu = vec![0f64; nu];
        let mut bi = vec![0f64; ni];
        if let BaselineKind::Bias { reg_user, reg_item, iterations } = kind {
            if !(reg_user.is_finite() && reg_user >= 0.0 && reg_item.is_finite() && reg_item >= 0.0) {
                return Err(NcfError::invalid("reg", "regularisation must be finite and >= 0"));
            }
            let mu = scale.mean as f64;
            let users = &data.train_users;
            for _ in 0..iterations {
                let (mut sum, mut cnt) = (vec![0f64; ni], vec![0f64; ni]);
                for (j, &i) in data.train.cols.iter().enumerate() {
                    sum[i as usize] += r[j] as f64 - mu - bu[users[j] as usize];
                    cnt[i as usize] += 1.0;
                }
                for i in 0..ni {
                    bi[i] = sum[i] / (reg_item as f64 + cnt[i]).max(f64::MIN_POSITIVE);
                }
                let (mut sum, mut cnt) = (vec![0f64; nu], vec![0f64; nu]);
                for (j, &i) in data.train.cols.iter().enumerate() {
                    sum[users[j] as usize] += r[j] as f64 - mu - bi[i as usize];
                    cnt[users[j] as usize] += 1.0;
                }
                for u in 0..nu {
                    bu[u] = sum[u] / (reg_user as f64 + cnt[u]).max(f64::MIN_POSITIVE);
                }
            }
        }
        Ok(Baseline {
            scale,
            user_bias: bu.into_iter().map(|x| x as f32).collect(),
            item_bias: bi.into_iter().map(|x| x as f32).collect(),
        })
    }

    /// Score z (before the mean and clipping) of a pair; unknown rows have bias 0.
    pub fn score(&self, u: u32, i: u32) -> f32 {
        self.user_bias.get(u as usize).copied().unwrap_or(0.0) + self.item_bias.get(i as usize).copied().unwrap_or(0.0)
    }

    /// Refuses pairs of different lengths or beyond the rows the baseline was fitted on.
    pub fn check_pairs(&self, users: &[u32], items: &[u32]) -> Result<()> {
        if users.len() != items.len() {
            return Err(NcfError::invalid(
                "items",
                format!("has {} entries but users has {}", items.len(), users.len()),
            ));
        }
        let (nu, ni) = (self.user_bias.len() as u32, self.item_bias.len() as u32);
        for (field, ids, n) in [("users", users, nu), ("items", items, ni)] {
            if let Some(k) = ids.iter().position(|&x| x >= n) {
                return Err(NcfError::invalid(
                    format!("{field}[{k}]"),
                    format!("index {} is not below the {n} the baseline was fitted on", ids[k]),
                ));
            }
        }
        Ok(())
    }

    /// Refuses data the baseline was not fitted on: biases are indexed by the fitted dataset's
    /// rows, so another encoding or size would misplace them.
    pub fn check_data(&self, fitted: &Ids, data: &Corpus) -> Result<()> {
        fitted.check_same(&data.ids())?;
        let (n_u, n_i) = (self.user_bias.len() as u32, self.item_bias.len() as u32);
        if data.data.num_users != n_u || data.data.num_items != n_i {
            return Err(NcfError::invalid(
                "data",
                format!(
                    "has {} users and {} items but the baseline was fitted on {n_u} × {n_i}: evaluate on the dataset it was fitted on",
                    data.data.num_users, data.data.num_items
                ),
            ));
        }
        Ok(())
    }

    pub fn predict(&self, users: &[u32], items: &[u32]) -> Vec<f32> {
        users.iter().zip(items).map(|(&u, &i)| self.scale.predict(self.score(u, i))).collect()
    }

    pub fn evaluate(&self, data: &Dataset) -> Result<RatingMetrics> {
        let test = data.test_cases()?;
        let (users, items, truth) = rating_cases(test)?;
        let z: Vec<f32> = users.iter().zip(&items).map(|(&u, &i)| self.score(u, i)).collect();
        RatingMetrics::from_scores(&z, truth, self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biases_by_hand() {
        // Ratings: u0 i0 5, u0 i1 3, u1 i0 4. μ = 4. With no regularisation and enough sweeps,
        // the biases fit the three ratings exactly (3 equations, 4 unknowns, least squares).
        let d =
            Dataset::from_pairs_rated(&[0, 0, 1], &[0, 1, 0], None, Some(&[5.0, 3.0, 4.0]), None, None, None).unwrap();
        let mean = Baseline::fit(&d, BaselineKind::GlobalMean, true).unwrap();
        assert_eq!(mean.predict(&[0, 1], &[1, 1]), vec![4.0, 4.0]);
        let b = Baseline::fit(&d, BaselineKind::Bias { reg_user: 0.0, reg_item: 0.0, iterations: 200 }, false).unwrap();
        let p = b.predict(&[0, 0, 1], &[0, 1, 0]);
        for (x, y) in p.iter().zip([5.0, 3.0, 4.0]) {
            assert!((x - y).abs() < 1e-3, "{p:?}");
        }
        // Regularisation shrinks the biases toward 0.
        let s =
            Baseline::fit(&d, BaselineKind::Bias { reg_user: 15.0, reg_item: 10.0, iterations: 10 }, false).unwrap();
        assert!(s.item_bias[1].abs() < b.item_bias[1].abs() && s.item_bias[1] < 0.0);
        let none = Dataset::from_pairs(&[0], &[0], None, None, None, None).unwrap();
        assert!(
            Baseline::fit(&none, BaselineKind::GlobalMean, true).unwrap_err().to_string().contains("needs ratings")
        );
    }
}
