//! Splitting a user's own interactions into train / validation / test, seeded and
//! deterministic, with sampled test negatives:
//! - leave-one-out: each user's latest interaction is the test case (the next latest the
//!   validation case), as in the NCF protocol (He et al. §4.1);
//! - random ratio: a seeded share of each user's interactions;
//! - time ratio: the latest share of each user's interactions, by timestamp.
//!
//! Every split is per user and keeps at least one training interaction per user, so no test
//! user is cold. Order within a user is by timestamp, ties to the larger item id (the rule that
//! reproduces `ml-100k/ncf`); without timestamps, leave-one-out takes a seeded uniform choice.
//! Each held-out interaction becomes one test case ranked among `negatives` distinct items the
//! user never interacted with (in any part of the split).

use super::dataset::Dataset;
use super::holdout::{Draws, cases, check_available, push_case, remaining};
use crate::error::{NcfError, Result};
use crate::rng::{hash5, uniform_below};

pub const DOMAIN_SPLIT: u32 = 0x7370_6c74; // "splt"

/// How to hold interactions out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SplitMethod {
    /// The latest interaction of each user with at least 2 is the test case; with `validation`,
    /// the next latest (users with at least 3) is the validation case.
    LeaveOneOut { validation: bool },
    /// `test` and `validation` are shares of each user's interactions, drawn at random.
    Random { test: f64, validation: f64 },
    /// `test` is the latest share of each user's interactions, `validation` the share before
    /// it. Needs timestamps.
    Time { test: f64, validation: f64 },
}

/// Held-out counts `(test, validation)` of a user with `n` interactions: rounded shares,
/// trimmed (validation first) so at least one interaction stays in train.
fn ratio_counts(n: usize, test: f64, validation: f64) -> (usize, usize) {
    let mut t = (test * n as f64).round() as usize;
    let mut v = (validation * n as f64).round() as usize;
    let room = n.saturating_sub(1);
    v = v.min(room.saturating_sub(t.min(room)));
    t = t.min(room);
    (t, v)
}

fn check_ratio(field: &str, x: f64) -> Result<()> {
    if !(x.is_finite() && (0.0..1.0).contains(&x)) {
        return Err(NcfError::invalid(field, format!("must be in [0, 1), got {x}")));
    }
    Ok(())
}

/// Splits `data` (which must not have a test set yet) and returns the training part with the
/// test cases and, when asked, the validation cases.
pub fn split(data: &Dataset, method: SplitMethod, negatives: u32, seed: u32) -> Result<Dataset> {
    if data.test.is_some() || data.validation.is_some() {
        return Err(NcfError::Data(
            "the dataset already has a test set: split the full interactions, not a split's training part".into(),
        ));
    }
    // Rated data may hold out ratings alone (rating metrics need no negatives).
    let rated = data.train_ratings.is_some();
    if (negatives == 0 && !rated) || negatives >= data.num_items {
        return Err(NcfError::invalid(
            "negatives",
            format!(
                "must be {} integer below the {} items, got {negatives}",
                if rated { "a non-negative" } else { "a positive" },
                data.num_items
            ),
        ));
    }
    let (test_share, valid_share) = match method {
        SplitMethod::LeaveOneOut { .. } => (0.0, 0.0),
        SplitMethod::Random { test, validation } | SplitMethod::Time { test, validation } => {
            check_ratio("testRatio", test)?;
            check_ratio("validationRatio", validation)?;
            if test <= 0.0 {
                return Err(NcfError::invalid("testRatio", format!("must be above 0, got {test}")));
            }
            if test + validation >= 1.0 {
                return Err(NcfError::invalid(
                    "validationRatio",
                    format!("testRatio + validationRatio must stay below 1, got {}", test + validation),
                ));
            }
            (test, validation)
        }
    };
    let ts = data.train_timestamps.as_deref();
    if matches!(method, SplitMethod::Time { .. }) && ts.is_none() {
        return Err(NcfError::invalid(
            "method",
            "'time' needs timestamps: the data has none (read a file with a timestamp column, or pass timestamps)",
        ));
    }
    let mut held = vec![0u8; data.train.nnz()]; // 0 train, 1 validation, 2 test
    let rated = data.train_ratings.as_deref();
    let (mut test, mut valid) = (cases(negatives, rated.is_some()), cases(negatives, rated.is_some()));
    let draws = Draws { seed, domain: DOMAIN_SPLIT };
    for u in 0..data.num_users {
        let (s, e) = (data.train.row_ptr[u as usize] as usize, data.train.row_ptr[u as usize + 1] as usize);
        let n = e - s;
        // Positions of the row, oldest first (ties: smaller item first, so the larger is "later").
        let mut order: Vec<usize> = (s..e).collect();
        let (n_test, n_valid) = match method {
            SplitMethod::LeaveOneOut { validation } => {
                let t = usize::from(n >= 2);
                (t, usize::from(validation && n >= 3))
            }
            _ => ratio_counts(n, test_share, valid_share),
        };
        if n_test + n_valid == 0 {
            continue;
        }
        match (method, ts) {
            // Rows are sorted by item, and the sort is stable, so equal times keep item order.
            (SplitMethod::Random { .. }, _) => {
                // Fisher–Yates with a seeded draw per position.
                let mut counter = 0u32;
                for k in (1..n).rev() {
                    let j = uniform_below(k as u32 + 1, seed, DOMAIN_SPLIT, 0, u, &mut counter) as usize;
                    order.swap(k, j);
                }
            }
            (_, Some(t)) => order.sort_by_key(|&k| t[k]),
            (_, None) => {
                // Leave-one-out without timestamps: a seeded uniform choice of the held-out ones.
                for (draw, k) in (1..n).rev().enumerate() {
                    let j = (hash5(seed, DOMAIN_SPLIT, 2, u, draw as u32) % (k as u32 + 1)) as usize;
                    order.swap(k, j);
                }
            }
        }
        let row = data.train.row(u);
        let available = data.num_items as u64 - n as u64;
        check_available(u, available, negatives, "test", "negatives")?;
        let mut counter = 0u32;
        for (rank, &k) in order[n - n_test - n_valid..].iter().enumerate() {
            let (set, mark) = if rank < n_valid { (&mut valid, 1) } else { (&mut test, 2) };
            held[k] = mark;
            let rating = rated.map(|r| r[k]);
            push_case(set, u, data.train.cols[k], rating, (row, &[]), data.num_items, draws, &mut counter);
        }
    }
    if test.is_empty() {
        return Err(NcfError::Data(
            "no interaction was held out: every user has too few interactions for this split (leave-one-out needs 2)"
                .into(),
        ));
    }
    let mut out = remaining(data, |k| held[k] != 0, Some(test))?;
    out.validation = (!valid.is_empty()).then_some(valid);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TestSet;

    fn data(ts: bool) -> Dataset {
        // User 0: 10 items with times 0..10 (item 3k+1 at time k); user 1: items 2@5, 9@5, 4@1;
        // user 2: one item.
        let mut users = vec![0u32; 10];
        let mut items: Vec<u32> = (0..10).map(|k| 3 * k + 1).collect();
        let mut times: Vec<i64> = (0..10).collect();
        users.extend([1, 1, 1, 2]);
        items.extend([2, 9, 4, 7]);
        times.extend([5, 5, 1, 3]);
        Dataset::from_pairs(&users, &items, ts.then_some(&times[..]), None, None, Some(200)).unwrap()
    }

    fn cases(t: &TestSet) -> Vec<(u32, u32)> {
        (0..t.len()).map(|c| (t.users[c], t.positive(c))).collect()
    }

    #[test]
    fn leave_one_out_takes_the_latest_with_ties_to_the_larger_item() {
        let s = split(&data(true), SplitMethod::LeaveOneOut { validation: true }, 20, 1).unwrap();
        assert_eq!(cases(s.test.as_ref().unwrap()), [(0, 28), (1, 9)]);
        assert_eq!(cases(s.validation.as_ref().unwrap()), [(0, 25), (1, 2)]);
        assert_eq!(s.train.row(1), &[4]);
        assert_eq!(s.train.row(2), &[7], "a single interaction stays in train");
        assert_eq!(s.num_interactions(), 14 - 4);
    }

    #[test]
    fn time_ratio_holds_out_the_latest_share_per_user() {
        let s = split(&data(true), SplitMethod::Time { test: 0.2, validation: 0.1 }, 5, 0).unwrap();
        // User 0: 2 test (times 8, 9), 1 validation (time 7); user 1: round(0.6) = 1 test, no
        // validation (round(0.3) = 0); user 2 keeps its only item.
        assert_eq!(cases(s.test.as_ref().unwrap()), [(0, 25), (0, 28), (1, 9)]);
        assert_eq!(cases(s.validation.as_ref().unwrap()), [(0, 22)]);
        assert_eq!(s.num_interactions(), 14 - 4);
        let e = split(&data(false), SplitMethod::Time { test: 0.2, validation: 0.0 }, 5, 0).unwrap_err();
        assert!(e.to_string().contains("needs timestamps"), "{e}");
    }

    #[test]
    fn random_ratio_is_seeded_and_keeps_a_training_item() {
        let d = data(false);
        let m = SplitMethod::Random { test: 0.5, validation: 0.4 };
        let a = split(&d, m, 10, 7).unwrap();
        let b = split(&d, m, 10, 7).unwrap();
        assert_eq!(a.test.as_ref().unwrap().candidates, b.test.as_ref().unwrap().candidates);
        assert_eq!(a.train.cols, b.train.cols);
        let c = split(&d, m, 10, 8).unwrap();
        assert_ne!(a.train.cols, c.train.cols, "another seed draws another split");
        // User 0: 5 test + 4 validation + 1 train; user 1: 2 test (round 1.5) + 0 validation
        // (trimmed) + 1 train.
        let per = |t: &TestSet, u| t.users.iter().filter(|&&x| x == u).count();
        let (t, v) = (a.test.as_ref().unwrap(), a.validation.as_ref().unwrap());
        assert_eq!((per(t, 0), per(v, 0), a.train.row(0).len()), (5, 4, 1));
        assert_eq!((per(t, 1), per(v, 1), a.train.row(1).len()), (2, 0, 1));
        // Every held-out item is a real interaction, held out once.
        let mut all: Vec<(u32, u32)> = cases(t).into_iter().chain(cases(v)).collect();
        all.extend(a.train.row_owners().into_iter().zip(a.train.cols.iter().copied()));
        all.sort();
        let mut orig: Vec<(u32, u32)> = d.train.row_owners().into_iter().zip(d.train.cols.iter().copied()).collect();
        orig.sort();
        assert_eq!(all, orig);
    }

    #[test]
    fn negatives_are_distinct_unseen_items() {
        let d = data(true);
        let s = split(&d, SplitMethod::Random { test: 0.3, validation: 0.2 }, 50, 3).unwrap();
        for t in [s.test.as_ref().unwrap(), s.validation.as_ref().unwrap()] {
            for c in 0..t.len() {
                let negs = &t.candidates[c * 51 + 1..(c + 1) * 51];
                let mut sorted = negs.to_vec();
                sorted.sort();
                sorted.dedup();
                assert_eq!(sorted.len(), 50);
                assert!(negs.iter().all(|n| !d.train.row(t.users[c]).contains(n)), "a negative is a positive");
            }
        }
    }

    #[test]
    fn bad_splits_are_errors() {
        let d = data(true);
        let e = |m| split(&d, m, 5, 0).unwrap_err().to_string();
        assert!(e(SplitMethod::Random { test: 1.2, validation: 0.0 }).contains("testRatio"));
        assert!(e(SplitMethod::Random { test: 0.0, validation: 0.1 }).contains("above 0"));
        assert!(e(SplitMethod::Time { test: 0.6, validation: 0.4 }).contains("below 1"));
        assert!(
            split(&d, SplitMethod::LeaveOneOut { validation: false }, 197, 0)
                .unwrap_err()
                .to_string()
                .contains("lower negatives")
        );
        let once = split(&d, SplitMethod::LeaveOneOut { validation: false }, 5, 0).unwrap();
        assert!(
            split(&once, SplitMethod::LeaveOneOut { validation: false }, 5, 0)
                .unwrap_err()
                .to_string()
                .contains("already")
        );
        let single = Dataset::from_pairs(&[0, 1], &[0, 1], None, None, None, Some(9)).unwrap();
        assert!(
            split(&single, SplitMethod::LeaveOneOut { validation: false }, 3, 0)
                .unwrap_err()
                .to_string()
                .contains("no interaction")
        );
    }
}
