//! Using a trained model: top-K recommendation over all items (seen items optionally removed,
//! an optional allow-list), and similar items or users by cosine similarity of L2-normalised
//! embeddings. Scoring itself is the backend's (`Params::logits` here, the GPU's `predict`
//! kernels in ncf-gpu); this module ranks.

use rayon::prelude::*;

use crate::data::Csr;
use crate::error::{NcfError, Result};
use crate::model::{Layout, ModelKind, Params};

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

/// The `k` rows most similar to row `query` by cosine similarity (itself excluded). For NeuMF
/// the two branches are normalised separately and averaged, so neither dominates by scale.
pub fn similar(p: &Params, side: Side, query: u32, k: u32) -> Result<Ranked> {
    let l = p.layout;
    let (dim, v) = embeddings(p, side);
    let rows = v.len() / dim.max(1);
    let what = if side == Side::Users { "user" } else { "item" };
    if query as usize >= rows {
        return Err(NcfError::invalid(what, format!("{query} is not below the model's {rows} {what}s")));
    }
    if k == 0 {
        return Err(NcfError::invalid("k", "must be a positive integer"));
    }
    let parts: Vec<(usize, usize)> = if l.kind == ModelKind::NeuMf {
        vec![(0, l.factors as usize), (l.factors as usize, dim)]
    } else {
        vec![(0, dim)]
    };
    let unit = |r: usize, (a, b): (usize, usize)| -> Vec<f32> {
        let x = &v[r * dim + a..r * dim + b];
        let norm = x.iter().map(|t| t * t).sum::<f32>().sqrt();
        x.iter().map(|t| if norm > 0.0 { t / norm } else { 0.0 }).collect()
    };
    let q: Vec<Vec<f32>> = parts.iter().map(|&s| unit(query as usize, s)).collect();
    let scores: Vec<f32> = (0..rows)
        .into_par_iter()
        .map(|r| {
            parts.iter().zip(&q).map(|(&s, qv)| unit(r, s).iter().zip(qv).map(|(a, b)| a * b).sum::<f32>()).sum::<f32>()
                / parts.len() as f32
        })
        .collect();
    Ok(top_k(&scores, k as usize, |r| r != query))
}

/// Full-ranking HR@K and NDCG@K (Krichene & Rendle, KDD'20): each held-out positive is ranked
/// among every item its user has not interacted with in training, not among sampled negatives.
/// `scores` holds all items for each case (row-major); ties count against the positive and a
/// NaN positive ranks last. With one held-out item per case, Recall@K equals HR@K.
pub fn full_rank_cases(
    scores: &[f32],
    num_items: u32,
    users: &[u32],
    positives: &[u32],
    seen: &Csr,
    k: u32,
) -> Vec<(f32, f32)> {
    let n = num_items as usize;
    users
        .par_iter()
        .zip(positives)
        .enumerate()
        .map(|(r, (&u, &pos))| {
            let row = &scores[r * n..(r + 1) * n];
            let s = row[pos as usize];
            let train = if (u as usize) + 1 < seen.row_ptr.len() { seen.row(u) } else { &[] };
            let rank = if s.is_nan() {
                (n - 1 - train.len()) as u32
            } else {
                (0..n as u32)
                    .filter(|&i| i != pos && train.binary_search(&i).is_err())
                    .filter(|&i| {
                        let x = row[i as usize];
                        x >= s || x.is_nan()
                    })
                    .count() as u32
            };
            crate::metrics::hit_and_ndcg(rank, k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Layout, Tower};

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
        let (csr, _, _) = Csr::from_pairs(1, &[0, 0], &[1, 2], None);
        // Positive 3 scores 0.5; seen items 1 and 2 score higher but do not count; item 0 and
        // item 4 (a tie) do: rank 2.
        let scores = [0.9, 5.0, 4.0, 0.5, 0.5];
        let r = full_rank_cases(&scores, 5, &[0], &[3], &csr, 10);
        assert_eq!(r, vec![crate::metrics::hit_and_ndcg(2, 10)]);
        assert_eq!(full_rank_cases(&scores, 5, &[0], &[3], &csr, 2), vec![(0.0, 0.0)]);
        let nan = [0.0, 0.0, 0.0, f32::NAN, 0.0];
        // A NaN positive ranks last among the unseen: below items 0 and 4, rank 2.
        assert_eq!(full_rank_cases(&nan, 5, &[0], &[3], &csr, 2), vec![(0.0, 0.0)]);
        assert_eq!(full_rank_cases(&nan, 5, &[0], &[3], &csr, 3), vec![crate::metrics::hit_and_ndcg(2, 3)]);
    }

    #[test]
    fn similar_items_by_cosine() {
        // Items 0 and 2 point the same way (different lengths); item 1 is orthogonal.
        let l = Layout::new(ModelKind::Gmf, 1, 3, 2).unwrap();
        let mut p = Params::init(l, 0);
        p.data[l.item_offset()..l.item_offset() + 6].copy_from_slice(&[1.0, 0.0, 0.0, 1.0, 3.0, 0.1]);
        let r = similar(&p, Side::Items, 0, 2).unwrap();
        assert_eq!(r.items, [2, 1]);
        assert!(r.scores[0] > 0.99 && r.scores[1].abs() < 1e-6);
        assert!(similar(&p, Side::Items, 3, 2).unwrap_err().to_string().contains("item"));
        let n = Layout::neural(ModelKind::NeuMf, 2, 3, 2, Tower::new(&[4, 2]).unwrap()).unwrap();
        assert_eq!(embeddings(&Params::init(n, 1), Side::Items).0, 4, "NeuMF joins both branches");
    }
}
