//! What every backend shares above the seam, written once over `&dyn Backend`: the checks
//! (in one order, one wording), pair scoring in bounded chunks, top-K recommendation, full
//! ranking, similar rows and sampled evaluation.

use super::Backend;
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::infer::{
    Exclusions, Ranked, Side, UserTargets, check_pairs, check_similar, full_rank_users, recommend_from_scores,
    side_rows, similar_from_scores,
};
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::Params;
use crate::train::{check_k, check_rankable, check_test_fits};

/// Pairs scored per backend call: bounds the pair and score buffers (4M pairs = 48 MiB on the
/// GPU) whatever the number of users.
pub const SCORE_CHUNK: usize = 1 << 22;

/// Logits of `(users[t], items[t])`, scored in chunks of [`SCORE_CHUNK`] pairs.
pub fn logits(b: &dyn Backend, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>> {
    check_pairs(params.layout, users, items)?;
    let mut out = Vec::with_capacity(users.len());
    for (u, i) in users.chunks(SCORE_CHUNK).zip(items.chunks(SCORE_CHUNK)) {
        out.extend(b.logits(params, u, i)?);
    }
    Ok(out)
}

/// Top-`k` items of each user over all items, minus the exclusions. Users are scored in
/// chunks of about [`SCORE_CHUNK`] pairs, so memory stays bounded for any number of users.
pub fn recommend(b: &dyn Backend, params: &Params, users: &[u32], k: u32, ex: &Exclusions<'_>) -> Result<Vec<Ranked>> {
    let n = params.layout.num_items;
    if let Some(a) = ex.allow
        && a.len() != n as usize
    {
        return Err(NcfError::invalid("filterItems", format!("must cover {n} items, got {}", a.len())));
    }
    let mut out = Vec::with_capacity(users.len());
    score_user_chunks(b, params, users, |_, chunk, scores| {
        out.extend(recommend_from_scores(chunk, scores, n, k, ex)?);
        Ok(())
    })?;
    Ok(out)
}

/// Scores every item for `users` in chunks of about [`SCORE_CHUNK`] pairs, handing each
/// chunk's first index, its users and their row-major scores to `f`.
fn score_user_chunks(
    b: &dyn Backend,
    params: &Params,
    users: &[u32],
    mut f: impl FnMut(usize, &[u32], &[f32]) -> Result<()>,
) -> Result<()> {
    let n = params.layout.num_items;
    let per = (SCORE_CHUNK / n as usize).max(1);
    for (c, chunk) in users.chunks(per).enumerate() {
        let pair_users: Vec<u32> = chunk.iter().flat_map(|&u| std::iter::repeat_n(u, n as usize)).collect();
        let pair_items: Vec<u32> = (0..chunk.len()).flat_map(|_| 0..n).collect();
        f(c * per, chunk, &logits(b, params, &pair_users, &pair_items)?)?;
    }
    Ok(())
}

/// Full-ranking HR@K, NDCG@K and Recall@K per test user: its held-out items among every
/// item it has not interacted with outside the test set, scored in bounded chunks of users.
pub fn evaluate_full(b: &dyn Backend, params: &Params, data: &Dataset, k: u32) -> Result<RankMetrics> {
    check_k(k)?;
    let test = data.test_cases()?;
    check_test_fits(test, params)?;
    let t = UserTargets::of(data)?;
    let n = params.layout.num_items;
    let mut per_user = Vec::with_capacity(t.users.len());
    score_user_chunks(b, params, &t.users, |first, users, scores| {
        let r = first..first + users.len();
        per_user.extend(full_rank_users(scores, n, &t.relevant[r.clone()], &t.excluded[r], k));
        Ok(())
    })?;
    let hits: Vec<f32> = per_user.iter().map(|c| c.0).collect();
    let ndcgs: Vec<f32> = per_user.iter().map(|c| c.1).collect();
    let mut m = RankMetrics::from_cases(k, &hits, &ndcgs);
    m.recall = Some(per_user.iter().map(|c| c.2 as f64).sum::<f64>() / per_user.len().max(1) as f64);
    Ok(m)
}

/// HR@k / NDCG@k of the sampled cases of `test`, checked once whatever the backend.
pub fn evaluate(b: &dyn Backend, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
    check_k(k)?;
    check_test_fits(test, params)?;
    check_rankable(test)?;
    b.evaluate(params, test, k)
}

/// RMSE / MAE / R² of the held-out ratings of `test`.
pub fn evaluate_rating(b: &dyn Backend, params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
    check_test_fits(test, params)?;
    b.evaluate_rating(params, test, scale)
}

/// The `k` rows most similar to each query row by cosine similarity (itself excluded).
pub fn similar(b: &dyn Backend, params: &Params, side: Side, queries: &[u32], k: u32) -> Result<Vec<Ranked>> {
    check_similar(params.layout, side, queries, k)?;
    let scores = b.similarity(params, side, queries)?;
    Ok(similar_from_scores(&scores, side_rows(params.layout, side), queries, k))
}
