//! Honest model selection: one more interaction per user is held out of the training data,
//! ranked among its own sampled negatives, and used to pick epochs. The test set is never
//! used to choose anything.

use super::csr::row_contains;
use super::dataset::{Dataset, TestSet};
use super::holdout::{Draws, cases, check_available, push_case, remaining};
use crate::error::{NcfError, Result};
use crate::rng::hash5;

pub const DOMAIN_VALIDATION: u32 = 0x7661_6c31; // "val1"

/// The training data without the held-out interactions, and the validation cases.
#[derive(Clone, Debug)]
pub struct ValidationSplit {
    pub train: Dataset,
    pub validation: TestSet,
}

/// Leave-one-out validation: for every user with at least two training positives, the latest
/// one is held out (ties between equal timestamps go to the larger item id; without
/// timestamps, a seeded uniform choice). Its `negatives` candidates are distinct items the
/// user never interacted with in train, and never the user's test positive.
pub fn leave_one_out(data: &Dataset, negatives: u32, seed: u32) -> Result<ValidationSplit> {
    if negatives == 0 {
        return Err(NcfError::invalid("validationNegatives", "must be a positive integer"));
    }
    let mut test_pos: Vec<Vec<u32>> = vec![Vec::new(); data.num_users as usize];
    if let Some(t) = &data.test {
        for c in 0..t.len() {
            test_pos[t.users[c] as usize].push(t.positive(c));
        }
    }
    let mut held = vec![false; data.train.nnz()];
    let rated = data.train_ratings.as_deref();
    let mut valid = cases(negatives, rated.is_some());
    let draws = Draws { seed, domain: DOMAIN_VALIDATION };
    for u in 0..data.num_users {
        let (s, e) = (data.train.row_ptr[u as usize] as usize, data.train.row_ptr[u as usize + 1] as usize);
        if e - s < 2 {
            continue;
        }
        let pick = match &data.train_timestamps {
            // Rows are sorted by item, so `max_by_key` (last maximum) takes the larger item on ties.
            Some(ts) => (s..e).max_by_key(|&k| ts[k]).expect("row has ≥ 2 entries"),
            None => s + (hash5(seed, DOMAIN_VALIDATION, 0, u, 0) % (e - s) as u32) as usize,
        };
        held[pick] = true;
        let row = data.train.row(u);
        let excluded = &test_pos[u as usize];
        let available = data.num_items as u64
            - row.len() as u64
            - excluded.iter().filter(|&&i| !row_contains(row, i)).count() as u64;
        check_available(u, available, negatives, "validation", "validationNegatives")?;
        let mut counter = 0u32;
        let rating = rated.map(|r| r[pick]);
        push_case(&mut valid, u, data.train.cols[pick], rating, (row, excluded), data.num_items, draws, &mut counter);
    }
    if valid.is_empty() {
        return Err(NcfError::Data(
            "leave-one-out validation needs users with at least 2 training interactions; none has".into(),
        ));
    }
    let train = remaining(data, |k| held[k], data.test.clone())?;
    Ok(ValidationSplit { train, validation: valid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_out_the_latest_interaction_with_clean_negatives() {
        // User 0: items 1@5, 4@9, 2@9 → latest time 9, tie → larger item 4.
        // User 1: a single interaction stays in train. User 2: 3@1, 0@2 → 0.
        let data = Dataset::from_pairs(
            &[0, 0, 0, 1, 2, 2],
            &[1, 4, 2, 3, 3, 0],
            Some(&[5, 9, 9, 4, 1, 2]),
            Some(TestSet { users: vec![0], per_case: 2, candidates: vec![7, 6], ratings: None }),
            None,
            Some(30),
        )
        .unwrap();
        let split = leave_one_out(&data, 10, 3).unwrap();
        let v = &split.validation;
        assert_eq!(v.users, vec![0, 2]);
        assert_eq!((v.positive(0), v.positive(1)), (4, 0));
        assert_eq!(split.train.train.row(0), &[1, 2]);
        assert_eq!(split.train.train.row(1), &[3]);
        assert_eq!(split.train.train.row(2), &[3]);
        assert_eq!(split.train.num_interactions(), 4);
        assert!(split.train.test.is_some());
        for c in 0..2 {
            let u = v.users[c];
            let negs = &v.candidates[c * 11 + 1..(c + 1) * 11];
            let mut sorted = negs.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 10, "distinct");
            for &n in negs {
                assert!(!data.train.row(u).contains(&n), "negative {n} is a train positive of {u}");
                assert!(!(u == 0 && n == 7), "the test positive must not be a validation negative");
            }
        }
        // Seeded: the same seed gives the same negatives.
        assert_eq!(leave_one_out(&data, 10, 3).unwrap().validation.candidates, v.candidates);
    }

    #[test]
    fn impossible_splits_are_errors() {
        let data = Dataset::from_pairs(&[0, 0], &[0, 1], None, None, None, Some(4)).unwrap();
        assert!(leave_one_out(&data, 3, 0).unwrap_err().to_string().contains("lower validationNegatives"));
        let single = Dataset::from_pairs(&[0, 1], &[0, 1], None, None, None, Some(4)).unwrap();
        assert!(leave_one_out(&single, 1, 0).unwrap_err().to_string().contains("at least 2"));
    }
}
