//! Using a trained model: top-K recommendation over all items (seen items optionally removed,
//! an optional allow-list), and similar items or users by cosine similarity of L2-normalised
//! embeddings. Scoring itself is the backend's (`Params::logits` here, the GPU's `predict`
//! kernels in ncf-gpu); this module ranks.

use rayon::prelude::*;

use std::collections::BTreeMap;

use crate::data::{Csr, Dataset};
use crate::error::{NcfError, Result};
use crate::model::{Layout, Params};

/// Checks `(users[t], items[t])` pairs against a model, naming the first bad index.
pub fn check_pairs(l: Layout, users: &[u32], items: &[u32]) -> Result<()> {
    if users.len() != items.len() {
        return Err(NcfError::invalid("items", format!("has {} entries but users has {}", items.len(), users.len())));
    }
    if let Some(k) = users.iter().position(|&u| u >= l.num_users) {
        return Err(NcfError::invalid(
            format!("users[{k}]"),
            format!("id {} is not below numUsers = {}", users[k], l.num_users),
        ));
    }
    if let Some(k) = items.iter().position(|&i| i >= l.num_items) {
        return Err(NcfError::invalid(
            format!("items[{k}]"),
            format!("id {} is not below numItems = {}", items[k], l.num_items),
        ));
    }
    Ok(())
}

/// The K best `(item, score)` of one user, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub items: Vec<u32>,
    pub scores: Vec<f32>,
}

/// Indices of the `k` largest `scores` that `keep` accepts, best first; ties go to the smaller
/// index and NaN ranks below every number, so the order is deterministic.
pub fn top_k(scores: &[f32], k: usize, keep: impl Fn(u32) -> bool) -> Ranked {
    let mut cand: Vec<u32> = (0..scores.len() as u32).filter(|&i| keep(i)).collect();
    let key = |i: u32| {
        let s = scores[i as usize];
        if s.is_nan() { f32::NEG_INFINITY } else { s }
    };
    let better = |a: &u32, b: &u32| key(*b).total_cmp(&key(*a)).then(a.cmp(b));
    if cand.len() > k && k > 0 {
        cand.select_nth_unstable_by(k - 1, better);
        cand.truncate(k);
    }
    cand.truncate(k);
    cand.sort_unstable_by(better);
    Ranked { scores: cand.iter().map(|&i| scores[i as usize]).collect(), items: cand }
}

/// What to leave out of a recommendation list.
pub struct Exclusions<'a> {
    /// Items each user interacted with in training (removed when given).
    pub seen: Option<&'a Csr>,
    /// Only these items may be recommended (all when `None`).
    pub allow: Option<&'a [bool]>,
}

/// Top-K items for each user from `scores` (row-major `users.len() × num_items`).
pub fn recommend_from_scores(
    users: &[u32],
    scores: &[f32],
    num_items: u32,
    k: u32,
    ex: &Exclusions<'_>,
) -> Result<Vec<Ranked>> {
    if k == 0 {
        return Err(NcfError::invalid("k", "must be a positive integer"));
    }
    let n = num_items as usize;
    Ok(users
        .par_iter()
        .enumerate()
        .map(|(r, &u)| {
            let seen = ex.seen.filter(|c| (u as usize) + 1 < c.row_ptr.len()).map(|c| c.row(u)).unwrap_or(&[]);
            top_k(&scores[r * n..(r + 1) * n], k as usize, |i| {
                seen.binary_search(&i).is_err() && ex.allow.is_none_or(|a| a[i as usize])
            })
        })
        .collect())
}

/// Which embeddings describe users or items for similarity: GMF's and MF's factors, the MLP's
/// embeddings, and for NeuMF both branches, each L2-normalised so they weigh the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Users,
    Items,
}

/// Row-major `(dim, vectors)` of every user or item (NeuMF: `[GMF ; MLP]`).
pub fn embeddings(p: &Params, side: Side) -> (usize, Vec<f32>) {
    let l = p.layout;
    let (rows, gmf_off, mlp_off) = match side {
        Side::Users => (l.num_users as usize, 0, l.mlp_user_offset()),
        Side::Items => (l.num_items as usize, l.item_offset(), l.mlp_item_offset()),
    };
    let f = l.factors as usize;
    let e = l.tower.embedding() as usize;
    let dim = f + e;
    let mut out = Vec::with_capacity(rows * dim);
    for r in 0..rows {
        out.extend_from_slice(&p.data[gmf_off + r * f..][..f]);
        out.extend_from_slice(&p.data[mlp_off + r * e..][..e]);
    }
    (dim, out)
}

/// Where the embedding parts of one side live in the flat weights: `(offset, width)` of the
/// GMF/MF part and of the MLP part (width 0 when absent). Cosine similarity is taken per part
/// and averaged, so NeuMF's two branches weigh the same whatever their scales.
pub fn embedding_parts(l: Layout, side: Side) -> Vec<(usize, usize)> {
    let (f, e) = (l.factors as usize, l.tower.embedding() as usize);
    let (gmf_off, mlp_off) = match side {
        Side::Users => (0, l.mlp_user_offset()),
        Side::Items => (l.item_offset(), l.mlp_item_offset()),
    };
    [(gmf_off, f), (mlp_off, e)].into_iter().filter(|p| p.1 > 0).collect()
}

/// Rows of a side (users or items).
pub fn side_rows(l: Layout, side: Side) -> u32 {
    if side == Side::Users { l.num_users } else { l.num_items }
}

/// Checks query rows and `k` of a similarity call.
pub fn check_similar(l: Layout, side: Side, queries: &[u32], k: u32) -> Result<()> {
    let rows = side_rows(l, side);
    let what = if side == Side::Users { "user" } else { "item" };
    if let Some(q) = queries.iter().find(|&&q| q >= rows) {
        return Err(NcfError::invalid(what, format!("{q} is not below the model's {rows} {what}s")));
    }
    if k == 0 {
        return Err(NcfError::invalid("k", "must be a positive integer"));
    }
    Ok(())
}

/// The `k` rows most similar to each query (itself excluded), from the rows of a similarity kernel (the CPU's `similarity_scores`).
pub fn similar_from_scores(scores: &[f32], rows: u32, queries: &[u32], k: u32) -> Vec<Ranked> {
    let n = rows as usize;
    queries.par_iter().enumerate().map(|(r, &q)| top_k(&scores[r * n..(r + 1) * n], k as usize, |i| i != q)).collect()
}

/// The test positives of each test user, and the items its full ranking leaves out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserTargets {
    pub users: Vec<u32>,
    /// Held-out items of `users[r]`, sorted and distinct.
    pub relevant: Vec<Vec<u32>>,
    /// Items `users[r]` interacted with outside the test set (train and validation), sorted,
    /// never relevant: they are not candidates.
    pub excluded: Vec<Vec<u32>>,
}

impl UserTargets {
    /// Groups the test cases of `data` by user (users ascending).
    pub fn of(data: &Dataset) -> Result<UserTargets> {
        let test = data.test_cases()?;
        let mut by_user: BTreeMap<u32, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
        for c in 0..test.len() {
            by_user.entry(test.users[c]).or_default().0.push(test.positive(c));
        }
        if let Some(v) = &data.validation {
            for c in 0..v.len() {
                if let Some(e) = by_user.get_mut(&v.users[c]) {
                    e.1.push(v.positive(c));
                }
            }
        }
        let mut t = UserTargets::default();
        for (u, (mut rel, mut exc)) in by_user {
            rel.sort_unstable();
            rel.dedup();
            if (u as usize) + 1 < data.train.row_ptr.len() {
                exc.extend_from_slice(data.train.row(u));
            }
            exc.sort_unstable();
            exc.dedup();
            exc.retain(|i| rel.binary_search(i).is_err());
            t.users.push(u);
            t.relevant.push(rel);
            t.excluded.push(exc);
        }
        Ok(t)
    }
}

/// Full-ranking metrics per user (Krichene & Rendle, KDD'20): the user's held-out items are
/// ranked among every item it has not interacted with outside the test set, not among
/// sampled negatives. Row `r` of `scores` (row-major, all items) belongs to `relevant[r]` and
/// `excluded[r]`. Returns `(hit, ndcg, recall)` per user:
/// - HR@K: 1 when some held-out item reaches the top K;
/// - NDCG@K: DCG of the held-out items in the top K over the ideal DCG of min(|R|, K) hits;
/// - Recall@K: held-out items in the top K over |R|.
///
/// Ties with other candidates count against the held-out item and a NaN held-out score ranks
/// last, as in the sampled protocol; with one held-out item, HR = Recall and NDCG is the
/// sampled formula 1/log2(rank + 2).
pub fn full_rank_users(
    scores: &[f32],
    num_items: u32,
    relevant: &[Vec<u32>],
    excluded: &[Vec<u32>],
    k: u32,
) -> Vec<(f32, f32, f32)> {
    let n = num_items as usize;
    relevant
        .par_iter()
        .zip(excluded)
        .enumerate()
        .map(|(r, (rel, exc))| {
            let row = &scores[r * n..(r + 1) * n];
            // Other candidates, ascending; a NaN one counts as above every held-out item.
            let mut others: Vec<f32> = (0..n as u32)
                .filter(|i| rel.binary_search(i).is_err() && exc.binary_search(i).is_err())
                .map(|i| if row[i as usize].is_nan() { f32::INFINITY } else { row[i as usize] })
                .collect();
            others.sort_unstable_by(f32::total_cmp);
            let key = |i: u32| {
                let s = row[i as usize];
                if s.is_nan() { f32::NEG_INFINITY } else { s }
            };
            let (mut hits, mut dcg) = (0u32, 0f64);
            for &i in rel {
                let s = row[i as usize];
                let above = if s.is_nan() { others.len() } else { others.len() - others.partition_point(|&x| x < s) };
                // Held-out items among themselves: higher score first, ties by item id.
                let above_rel =
                    rel.iter().filter(|&&j| j != i && (key(j) > key(i) || (key(j) == key(i) && j < i))).count();
                let rank = (above + above_rel) as u32;
                if rank < k {
                    hits += 1;
                    dcg += 1.0 / ((rank + 2) as f64).log2();
                }
            }
            let ideal: f64 = (0..rel.len().min(k as usize)).map(|j| 1.0 / ((j + 2) as f64).log2()).sum();
            let hit = if hits > 0 { 1.0 } else { 0.0 };
            (hit, (dcg / ideal.max(f64::MIN_POSITIVE)) as f32, hits as f32 / rel.len().max(1) as f32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_breaks_ties_and_handles_nan_and_large_k() {
        let s = [0.5, f32::NAN, 2.0, 0.5, -1.0];
        let r = top_k(&s, 3, |_| true);
        assert_eq!(r.items, [2, 0, 3]);
        assert_eq!(r.scores, [2.0, 0.5, 0.5]);
        let all = top_k(&s, 99, |i| i != 2);
        assert_eq!(all.items, [0, 3, 4, 1], "k beyond the items returns them all, NaN last");
    }

    #[test]
    fn recommendations_skip_seen_and_disallowed_items() {
        let (csr, _, _) = Csr::from_pairs(2, &[0, 0, 1], &[1, 3, 0], None);
        let scores = [0.1, 0.9, 0.5, 0.8, 0.0, /* user 1 */ 0.9, 0.1, 0.2, 0.3, 0.4];
        let allow = [true, true, true, true, false];
        let ex = Exclusions { seen: Some(&csr), allow: Some(&allow) };
        let r = recommend_from_scores(&[0, 1], &scores, 5, 10, &ex).unwrap();
        assert_eq!(r[0].items, [2, 0]);
        assert_eq!(r[1].items, [3, 2, 1]);
        let none = Exclusions { seen: None, allow: None };
        assert_eq!(recommend_from_scores(&[0], &scores[..5], 5, 2, &none).unwrap()[0].items, [1, 3]);
    }

    #[test]
    fn full_ranking_counts_unseen_items_only() {
        let one = |rel: &[u32], exc: &[u32], scores: &[f32], k| {
            full_rank_users(scores, scores.len() as u32, &[rel.to_vec()], &[exc.to_vec()], k)[0]
        };
        // Positive 3 scores 0.5; seen items 1 and 2 score higher but do not count; item 0 and
        // item 4 (a tie) do: rank 2.
        let scores = [0.9, 5.0, 4.0, 0.5, 0.5];
        let (h, n) = crate::metrics::hit_and_ndcg(2, 10);
        assert_eq!(one(&[3], &[1, 2], &scores, 10), (h, n, 1.0), "one held-out item: recall = hit");
        assert_eq!(one(&[3], &[1, 2], &scores, 2), (0.0, 0.0, 0.0));
        let nan = [0.0, 0.0, 0.0, f32::NAN, 0.0];
        // A NaN positive ranks last among the unseen: below items 0 and 4, rank 2.
        assert_eq!(one(&[3], &[1, 2], &nan, 2), (0.0, 0.0, 0.0));
        let (h, n) = crate::metrics::hit_and_ndcg(2, 3);
        assert_eq!(one(&[3], &[1, 2], &nan, 3), (h, n, 1.0));
    }

    #[test]
    fn full_ranking_with_several_held_out_items() {
        // Held out: items 1 (0.8) and 4 (0.2); item 2 is seen; others 0.9, 0.5, 0.1.
        let scores = [0.9, 0.8, 9.0, 0.5, 0.2, 0.1];
        let rel = vec![vec![1, 4]];
        let exc = vec![vec![2]];
        // Ranking of candidates: 0 (0.9), 1 (0.8), 3 (0.5), 4 (0.2), 5 (0.1): ranks 1 and 3.
        let (h, n, r) = full_rank_users(&scores, 6, &rel, &exc, 2)[0];
        let ideal = 1.0 + 1.0 / 3f64.log2();
        assert_eq!((h, r), (1.0, 0.5));
        assert!((n as f64 - (1.0 / 3f64.log2()) / ideal).abs() < 1e-6, "{n}");
        let (h, n, r) = full_rank_users(&scores, 6, &rel, &exc, 4)[0];
        assert_eq!((h, r), (1.0, 1.0));
        assert!((n as f64 - (1.0 / 3f64.log2() + 1.0 / 5f64.log2()) / ideal).abs() < 1e-6, "{n}");
        // A tie between two held-out items ranks the smaller id first, not both at the same rank.
        let tie = [0.5, 0.5, 0.1];
        assert_eq!(full_rank_users(&tie, 3, &[vec![0, 1]], &[vec![]], 2)[0], (1.0, 1.0, 1.0));
    }

    #[test]
    fn user_targets_group_cases_and_exclude_train_and_validation() {
        let mut d = Dataset::from_pairs(&[0, 0, 1], &[1, 2, 3], None, None, None, Some(9)).unwrap();
        d.test = Some(crate::TestSet {
            users: vec![1, 0, 0],
            per_case: 2,
            candidates: vec![5, 8, 4, 8, 6, 8],
            ratings: None,
        });
        d.validation =
            Some(crate::TestSet { users: vec![0, 2], per_case: 2, candidates: vec![7, 8, 0, 8], ratings: None });
        let t = UserTargets::of(&d).unwrap();
        assert_eq!(t.users, [0, 1]);
        assert_eq!(t.relevant, [vec![4, 6], vec![5]]);
        assert_eq!(t.excluded, [vec![1, 2, 7], vec![3]]);
    }
}
