//! Leave-one-out ranking metrics of the NCF protocol (He et al. §4.1): the held-out positive is
//! ranked among its sampled negatives; HR@K = [rank < K], NDCG@K = 1/log2(rank + 2) when hit.

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
}
