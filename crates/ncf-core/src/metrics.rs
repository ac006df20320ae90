//! Leave-one-out ranking metrics of the NCF protocol (He et al. §4.1): the held-out positive is
//! ranked among its sampled negatives; HR@K = \[rank < K\], NDCG@K = 1/log2(rank + 2) when hit.

/// Rank (0-based) of `scores[0]` among `scores[1..]`: the number of negatives scoring at least
/// as high, so ties count against the positive. A NaN positive ranks last, and a NaN negative
/// counts as above it, so a broken model can never look good.
#[inline]
pub fn rank_of_positive(scores: &[f32]) -> u32 {
    let pos = scores[0];
    if pos.is_nan() {
        return scores.len() as u32 - 1;
    }
    scores[1..].iter().filter(|&&s| s >= pos || s.is_nan()).count() as u32
}

/// `(hit, ndcg)` of one case at cut-off `k`.
#[inline]
pub fn hit_and_ndcg(rank: u32, k: u32) -> (f32, f32) {
    if rank < k { (1.0, 1.0 / ((rank + 2) as f32).log2()) } else { (0.0, 0.0) }
}

/// Mean HR@K and NDCG@K over the test cases.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankMetrics {
    pub k: u32,
    pub hr: f64,
    pub ndcg: f64,
    pub cases: usize,
    /// Recall@K, reported by the full-ranking protocol (users with several held-out items).
    pub recall: Option<f64>,
}

impl RankMetrics {
    /// Averages per-case `(hit, ndcg)` in f64 so the sum is order-independent to ~1e-12.
    pub fn from_cases(k: u32, hits: &[f32], ndcgs: &[f32]) -> RankMetrics {
        let n = hits.len().max(1) as f64;
        RankMetrics {
            k,
            hr: hits.iter().map(|&x| x as f64).sum::<f64>() / n,
            ndcg: ndcgs.iter().map(|&x| x as f64).sum::<f64>() / n,
            cases: hits.len(),
            recall: None,
        }
    }
}

/// Rating-regression metrics over held-out ratings: RMSE, MAE and R² (1 − SSE/SST, SST around
/// the held-out ratings' own mean, as scikit-learn's `r2_score`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatingMetrics {
    pub rmse: f64,
    pub mae: f64,
    pub r2: f64,
    pub count: usize,
}

/// How predictions are made from scores: r̂ = z + `mean`, clipped to `[min, max]` when `clip`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatingScale {
    pub mean: f32,
    pub min: f32,
    pub max: f32,
    pub clip: bool,
}

impl RatingScale {
    #[inline]
    pub fn predict(&self, z: f32) -> f32 {
        let r = z + self.mean;
        if self.clip { r.clamp(self.min, self.max) } else { r }
    }
}

impl RatingMetrics {
    /// From per-case squared and absolute errors and the true ratings, summed in f64. A
    /// non-finite error (a diverged model) is an error, never a number.
    pub fn from_errors(sq: &[f32], abs: &[f32], truth: &[f32]) -> crate::Result<RatingMetrics> {
        let n = truth.len();
        if n == 0 {
            return Err(crate::NcfError::Data("no held-out ratings to evaluate".into()));
        }
        if let Some(k) = sq.iter().position(|x| !x.is_finite()) {
            return Err(crate::NcfError::Diverged(format!("the prediction for held-out rating {k} is not finite")));
        }
        let sse: f64 = sq.iter().map(|&x| x as f64).sum();
        let mean = truth.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
        let sst: f64 = truth.iter().map(|&x| (x as f64 - mean).powi(2)).sum();
        Ok(RatingMetrics {
            rmse: (sse / n as f64).sqrt(),
            mae: abs.iter().map(|&x| x as f64).sum::<f64>() / n as f64,
            r2: if sst > 0.0 { 1.0 - sse / sst } else { 0.0 },
            count: n,
        })
    }

    /// From scores (logits) of the held-out pairs.
    pub fn from_scores(z: &[f32], truth: &[f32], scale: RatingScale) -> crate::Result<RatingMetrics> {
        let (sq, abs): (Vec<f32>, Vec<f32>) = z
            .iter()
            .zip(truth)
            .map(|(&z, &r)| {
                let e = scale.predict(z) - r;
                (e * e, e.abs())
            })
            .unzip();
        RatingMetrics::from_errors(&sq, &abs, truth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_cases() {
        // Positive first. 0.9 beats all → rank 0.
        assert_eq!(rank_of_positive(&[0.9, 0.1, 0.5, 0.3]), 0);
        // Two negatives above, one tie → rank 3 (ties count against).
        assert_eq!(rank_of_positive(&[0.5, 0.7, 0.5, 0.8, 0.1]), 3);
        assert_eq!(rank_of_positive(&[f32::NAN, 0.1, 0.2]), 2);
        assert_eq!(rank_of_positive(&[0.5, f32::NAN, 0.2]), 1);
        assert_eq!(hit_and_ndcg(0, 10), (1.0, 1.0));
        let (h, n) = hit_and_ndcg(2, 10);
        assert_eq!(h, 1.0);
        assert!((n - 0.5).abs() < 1e-7); // 1/log2(4)
        assert_eq!(hit_and_ndcg(10, 10), (0.0, 0.0));
        let (_, n) = hit_and_ndcg(9, 10);
        assert!((n - 1.0 / 11f32.log2()).abs() < 1e-7);
        let m = RankMetrics::from_cases(10, &[1.0, 0.0, 1.0, 1.0], &[1.0, 0.0, 0.5, 0.25]);
        assert_eq!((m.hr, m.ndcg, m.cases), (0.75, 0.4375, 4));
    }

    #[test]
    fn rating_metrics_by_hand() {
        // Truth 1, 3, 5 (mean 3, SST 8); predictions μ + z = 3 + (−1, 0, 3) = 2, 3, 6 → clipped to 5.
        let scale = RatingScale { mean: 3.0, min: 1.0, max: 5.0, clip: true };
        let m = RatingMetrics::from_scores(&[-1.0, 0.0, 3.0], &[1.0, 3.0, 5.0], scale).unwrap();
        assert!((m.rmse - (1.0f64 / 3.0).sqrt()).abs() < 1e-12, "{m:?}");
        assert!((m.mae - 1.0 / 3.0).abs() < 1e-12 && (m.r2 - (1.0 - 1.0 / 8.0)).abs() < 1e-12, "{m:?}");
        let raw = RatingMetrics::from_scores(&[-1.0, 0.0, 3.0], &[1.0, 3.0, 5.0], RatingScale { clip: false, ..scale });
        assert!((raw.unwrap().rmse - (2.0f64 / 3.0).sqrt()).abs() < 1e-12, "6 − 5 = 1 unclipped");
        let e = RatingMetrics::from_scores(&[f32::NAN], &[1.0], scale).unwrap_err();
        assert_eq!(e.code(), "ERR_DIVERGED");
    }
}
