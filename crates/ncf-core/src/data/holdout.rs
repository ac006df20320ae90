//! Holding interactions out as ranked cases, written once for `Dataset.split`, the validation
//! holdout and a separate test file: each case is a held-out positive followed by sampled
//! negatives (NCF §4.1: the held-out item ranked among items the user never interacted with),
//! and the training data is what is left.

use super::csr::row_contains;
use super::dataset::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::rng::uniform_below;

/// The seeded stream a holdout draws its negatives from: draw `counter` of user `u` is
/// `uniform_below(num_items, seed, domain, 1, u, counter)`, so each caller (with its own
/// domain) keeps the exact draws it has always made.
#[derive(Clone, Copy, Debug)]
pub struct Draws {
    pub seed: u32,
    pub domain: u32,
}

/// An empty set of cases with `negatives` per case, and ratings when the data has them.
pub fn cases(negatives: u32, rated: bool) -> TestSet {
    TestSet { users: Vec::new(), per_case: negatives + 1, candidates: Vec::new(), ratings: rated.then(Vec::new) }
}

/// Refuses user `u` when fewer than `negatives` items are `available` to sample its `what`
/// negatives from, naming the `option` that lowers them (otherwise rejection would never end).
pub fn check_available(u: u32, available: u64, negatives: u32, what: &str, option: &str) -> Result<()> {
    if available < negatives as u64 {
        return Err(NcfError::UserData {
            user: u,
            message: format!(
                "has only {available} items left to sample {negatives} {what} negatives from; lower {option}"
            ),
        });
    }
    Ok(())
}

/// Adds a case for user `u`: the held-out `item` (and its `rating`, when the cases keep
/// ratings), then `negatives` distinct items outside the sorted `row` and `excluded`, by
/// rejection from the user's stream. `counter` carries on across a user's cases, so each case
/// draws fresh values. The caller has checked that enough items are left.
#[allow(clippy::too_many_arguments)]
pub fn push_case(
    set: &mut TestSet,
    u: u32,
    item: u32,
    rating: Option<f32>,
    (row, excluded): (&[u32], &[u32]),
    num_items: u32,
    draws: Draws,
    counter: &mut u32,
) {
    set.users.push(u);
    set.candidates.push(item);
    if let (Some(out), Some(r)) = (set.ratings.as_mut(), rating) {
        out.push(r);
    }
    let first = set.candidates.len();
    while set.candidates.len() - first < (set.per_case - 1) as usize {
        let c = uniform_below(num_items, draws.seed, draws.domain, 1, u, counter);
        if !row_contains(row, c) && !excluded.contains(&c) && !set.candidates[first..].contains(&c) {
            set.candidates.push(c);
        }
    }
}

/// The training data without its positives at the CSR positions `held` marks, keeping their
/// timestamps and ratings, the duplicate count, and `test` as the test set.
pub fn remaining(data: &Dataset, held: impl Fn(usize) -> bool, test: Option<TestSet>) -> Result<Dataset> {
    let keep: Vec<usize> = (0..data.train.nnz()).filter(|&k| !held(k)).collect();
    let users: Vec<u32> = keep.iter().map(|&k| data.train_users[k]).collect();
    let items: Vec<u32> = keep.iter().map(|&k| data.train.cols[k]).collect();
    let ts: Option<Vec<i64>> = data.train_timestamps.as_ref().map(|t| keep.iter().map(|&k| t[k]).collect());
    let ratings: Option<Vec<f32>> = data.train_ratings.as_ref().map(|r| keep.iter().map(|&k| r[k]).collect());
    let mut out = Dataset::from_pairs_rated(
        &users,
        &items,
        ts.as_deref(),
        ratings.as_deref(),
        test,
        Some(data.num_users),
        Some(data.num_items),
    )?;
    out.duplicates_removed = data.duplicates_removed;
    Ok(out)
}
