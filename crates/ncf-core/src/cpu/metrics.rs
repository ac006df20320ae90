//! Evaluation on the CPU, the twin of `ncf-gpu`'s `metrics.wgsl`: HR@K / NDCG@K over sampled
//! candidates, rating errors, and the ItemPop baseline. The formulas are `crate::metrics`'.

use rayon::prelude::*;

use crate::data::{Dataset, TestSet};
use crate::error::Result;
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale, hit_and_ndcg, rank_of_positive};
use crate::model::Params;
use crate::train::{check_k, check_rankable, check_test_fits, rating_cases};

/// HR@K / NDCG@K on the CPU, ranking by logits (the sigmoid is monotone, and logits do not
/// saturate into false ties the way probabilities near 1.0 do in f32).
pub fn evaluate_cpu(params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
    check_test_fits(test, params)?;
    check_k(k)?;
    check_rankable(test)?;
    let users: Vec<u32> = test.pair_users();
    rank_cases(test, k, &params.logits(&users, &test.candidates))
}

/// RMSE / MAE / R² of r̂ = z + μ (clipped per `scale`) on the held-out ratings, on the CPU.
pub fn evaluate_rating_cpu(params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
    check_test_fits(test, params)?;
    let (users, items, truth) = rating_cases(test)?;
    RatingMetrics::from_scores(&params.logits(&users, &items), truth, scale)
}

/// HR@K / NDCG@K from the scores of every candidate, case-major (ties count against the positive).
fn rank_cases(test: &TestSet, k: u32, scores: &[f32]) -> Result<RankMetrics> {
    check_k(k)?;
    let c = test.per_case as usize;
    let per_case: Vec<(f32, f32)> = scores.par_chunks(c).map(|case| hit_and_ndcg(rank_of_positive(case), k)).collect();
    let (hits, ndcgs): (Vec<f32>, Vec<f32>) = per_case.into_iter().unzip();
    Ok(RankMetrics::from_cases(k, &hits, &ndcgs))
}

/// The ItemPop baseline: ranks candidates by training popularity (ties against the positive).
pub fn evaluate_item_pop(data: &Dataset, k: u32) -> Result<RankMetrics> {
    let test = data.test_cases()?;
    let counts = data.item_counts();
    let scores: Vec<f32> =
        test.candidates.iter().map(|&i| counts.get(i as usize).copied().unwrap_or(0) as f32).collect();
    rank_cases(test, k, &scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic::{SyntheticConfig, synthetic};

    #[test]
    fn synthetic_is_seeded_and_well_formed() {
        let cfg = SyntheticConfig { num_users: 50, num_items: 200, per_user: 10, ..Default::default() };
        let a = synthetic(cfg).unwrap();
        let b = synthetic(cfg).unwrap();
        assert_eq!(a.train.cols, b.train.cols);
        assert_eq!(a.num_interactions(), 50 * 9);
        let t = a.test.as_ref().unwrap();
        for c in 0..t.len() {
            let u = t.users[c];
            let cands = &t.candidates[c * 100..(c + 1) * 100];
            for &i in cands {
                assert!(!a.train.row(u).contains(&i));
            }
            let mut s = cands.to_vec();
            s.sort();
            s.dedup();
            assert_eq!(s.len(), 100);
        }
        assert!(evaluate_item_pop(&a, 10).unwrap().hr > 0.1);
    }
}
