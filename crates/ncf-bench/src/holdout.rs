//! `--fold-in-holdout N`: the fold-in measurement. Every N-th user (u % N == N − 1) is
//! held out of training; a model trained on the others folds them in from their training
//! interactions, and their test cases are scored against a full retrain on every user.

use std::sync::Arc;
use std::time::Instant;

use ncf_core::backend::Backend;
use ncf_core::data::{Dataset, TestSet};
use ncf_core::recommender::{Corpus, FoldIn};
use ncf_core::{NcfError, Result};

/// The split: the kept users' dataset (renumbered 0..), the held-out users (original rows, in
/// order) and their test cases by original and by folded-in row (kept count + position).
pub struct Holdout {
    pub kept: Corpus,
    pub held: Vec<u32>,
    pub test_full: TestSet,
    pub test_folded: TestSet,
}

pub fn split(d: &Dataset, every: u32) -> Result<Holdout> {
    if every < 2 {
        return Err(NcfError::invalid("--fold-in-holdout", "must be at least 2 (every N-th user is held out)"));
    }
    let held_out = |u: u32| u % every == every - 1;
    let mut new_row = vec![u32::MAX; d.num_users as usize];
    let (mut kept, mut held) = (0u32, Vec::new());
    for u in 0..d.num_users {
        if held_out(u) {
            held.push(u);
        } else {
            new_row[u as usize] = kept;
            kept += 1;
        }
    }
    for (k, &u) in held.iter().enumerate() {
        new_row[u as usize] = kept + k as u32;
    }
    let (mut us, mut is) = (Vec::new(), Vec::new());
    for u in (0..d.num_users).filter(|&u| !held_out(u)) {
        for &i in d.train.row(u) {
            us.push(new_row[u as usize]);
            is.push(i);
        }
    }
    let test = d.test.as_ref().ok_or_else(|| NcfError::Data("--fold-in-holdout needs test cases".into()))?;
    let pick = |keep: &dyn Fn(u32) -> bool, row: &dyn Fn(u32) -> u32| {
        let pc = test.per_case as usize;
        let mut t = TestSet { users: Vec::new(), per_case: test.per_case, candidates: Vec::new(), ratings: None };
        for c in 0..test.len() {
            let u = test.users[c];
            if keep(u) {
                t.users.push(row(u));
                t.candidates.extend_from_slice(&test.candidates[c * pc..(c + 1) * pc]);
            }
        }
        t
    };
    let kept_test = pick(&|u| !held_out(u), &|u| new_row[u as usize]);
    let data = Dataset::from_pairs(&us, &is, None, Some(kept_test), Some(kept), Some(d.num_items))?;
    Ok(Holdout {
        kept: Corpus::plain(data),
        test_full: pick(&held_out, &|u| u),
        test_folded: pick(&held_out, &|u| new_row[u as usize]),
        held,
    })
}

/// Folds the held-out users into `m` (trained on `h.kept`) and returns the seconds it took.
pub fn fold_in(
    m: &ncf_core::recommender::Recommender,
    d: &Dataset,
    h: &Holdout,
    b: &Arc<dyn Backend>,
    req: FoldIn,
) -> Result<f64> {
    let t = Instant::now();
    let users = h
        .held
        .iter()
        .enumerate()
        .map(|(k, &u)| {
            let row = h.kept.data.num_users + k as u32;
            (row.to_string(), d.train.row(u).iter().map(|i| i.to_string()).collect())
        })
        .collect();
    m.fold_in(FoldIn { users, ..req })?.run(&**b)?;
    Ok(t.elapsed().as_secs_f64())
}
