//! Negative sampling and epoch shuffling (NCF §4.1: 4 negatives per positive, drawn anew
//! every epoch). The same functions run in `ncf-gpu`'s `sampling.wgsl`, so for a given seed
//! both backends see identical samples in identical order.
//!
//! Sample id `s` of an epoch with `n` negatives is positive `j = s / (n+1)`, slot
//! `k = s % (n+1)`: slot 0 is the positive itself, slots 1..=n its negatives. Training
//! position `t` holds sample `perm(t)` for the epoch's [`Permutation`].

use rayon::prelude::*;

use crate::data::{Dataset, row_contains};
use crate::error::{NcfError, Result};
use crate::rng::{DOMAIN_NEGATIVE, Permutation, uniform_below};
use crate::train::samples_per_epoch;

/// Rejection tries against the user's CSR row before switching to exact rank selection.
pub const MAX_REJECTIONS: u32 = 32;

/// The `r`-th (0-based) item absent from the sorted `row`. Since `row[j] − j` is
/// non-decreasing, the answer is `r + #{j : row[j] − j ≤ r}`, found by binary search.
#[inline]
pub fn nth_absent(row: &[u32], r: u32) -> u32 {
    let (mut lo, mut hi) = (0usize, row.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if row[mid] - mid as u32 <= r {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    r + lo as u32
}

/// Negative `k` (1-based slot) of training positive `j`, for a user whose positives are `row`.
/// Uniform over the items absent from `row`: up to [`MAX_REJECTIONS`] uniform draws rejected
/// against the row (cheap when the row is sparse, the usual case), then one exact draw by rank
/// for dense rows. Both branches are uniform over the absent items, so their mixture is too.
#[inline]
pub fn negative_item(row: &[u32], num_items: u32, seed: u32, epoch: u32, j: u32, k: u32) -> u32 {
    let mut counter = k << 16;
    for _ in 0..MAX_REJECTIONS {
        let c = uniform_below(num_items, seed, DOMAIN_NEGATIVE, epoch, j, &mut counter);
        if !row_contains(row, c) {
            return c;
        }
    }
    let r = uniform_below(num_items - row.len() as u32, seed, DOMAIN_NEGATIVE, epoch, j, &mut counter);
    nth_absent(row, r)
}

/// One epoch's training samples in training order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    pub users: Vec<u32>,
    pub items: Vec<u32>,
    pub labels: Vec<f32>,
}

impl Samples {
    pub fn len(&self) -> usize {
        self.users.len()
    }
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// Draws the epoch's samples on the CPU: the oracle of the GPU `sample_epoch` kernel. With
/// `negatives == 0` (rating regression) the samples are the shuffled observed ratings, each
/// labelled with its rating.
pub fn epoch_samples(data: &Dataset, negatives: u32, seed: u32, epoch: u32) -> Result<Samples> {
    let n = samples_per_epoch(data, negatives)?;
    let ratings = match (negatives, &data.train_ratings) {
        (0, Some(r)) => Some(r.as_slice()),
        (0, None) => return Err(NcfError::Data("rating regression needs ratings: the data has none".into())),
        _ => None,
    };
    let perm = Permutation::new(n, seed, epoch);
    let per = negatives + 1;
    let drawn: Vec<(u32, u32, f32)> = (0..n)
        .into_par_iter()
        .with_min_len(4096)
        .map(|t| {
            let s = perm.apply(t);
            let (j, k) = (s / per, s % per);
            let u = data.train_users[j as usize];
            if k == 0 {
                (u, data.train.cols[j as usize], ratings.map_or(1.0, |r| r[j as usize]))
            } else {
                (u, negative_item(data.train.row(u), data.num_items, seed, epoch, j, k), 0.0)
            }
        })
        .collect();
    let mut out = Samples {
        users: Vec::with_capacity(n as usize),
        items: Vec::with_capacity(n as usize),
        labels: Vec::with_capacity(n as usize),
    };
    for (u, i, y) in drawn {
        out.users.push(u);
        out.items.push(i);
        out.labels.push(y);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_absent_enumerates_the_complement() {
        let row = [1u32, 3, 4, 8];
        let absent: Vec<u32> = (0..6).map(|r| nth_absent(&row, r)).collect();
        assert_eq!(absent, vec![0, 2, 5, 6, 7, 9]);
        assert_eq!(nth_absent(&[], 5), 5);
        assert_eq!(nth_absent(&[0, 1, 2], 0), 3);
    }

    #[test]
    fn never_returns_a_positive_even_for_dense_rows() {
        // Row with 95 of 100 items: most draws fall back to rank selection.
        let row: Vec<u32> = (0..100).filter(|i| i % 20 != 7).collect();
        for j in 0..2000 {
            let c = negative_item(&row, 100, 11, 0, j, 1 + j % 4);
            assert!(c < 100 && !row_contains(&row, c), "{c}");
        }
    }

    /// Chi-square goodness of fit of negatives to the uniform law over absent items.
    /// 15 absent items → 14 d.o.f.; the 0.999 quantile is 36.12.
    #[test]
    fn negatives_are_uniform_chi_square() {
        for row in [vec![0u32, 2, 5, 9, 11], (0..20).filter(|i| *i != 3 && *i != 17).collect::<Vec<_>>()] {
            let num_items = if row.len() == 5 { 20 } else { 20 + 13 };
            let absent: Vec<u32> = (0..num_items).filter(|i| !row.contains(i)).collect();
            let draws = 60_000u32;
            let mut counts = vec![0f64; num_items as usize];
            for j in 0..draws / 4 {
                for k in 1..=4 {
                    counts[negative_item(&row, num_items, 5, 2, j, k) as usize] += 1.0;
                }
            }
            let expected = draws as f64 / absent.len() as f64;
            let chi2: f64 = absent.iter().map(|&i| (counts[i as usize] - expected).powi(2) / expected).sum();
            let dof = absent.len() - 1;
            // Wilson–Hilferty bound for the 0.999 quantile.
            let z = 3.09f64;
            let d = dof as f64;
            let q = d * (1.0 - 2.0 / (9.0 * d) + z * (2.0 / (9.0 * d)).sqrt()).powi(3);
            assert!(chi2 < q, "chi2 {chi2} ≥ {q} with {dof} dof");
            for &i in &row {
                assert_eq!(counts[i as usize], 0.0, "positive {i} sampled");
            }
        }
    }

    #[test]
    fn epoch_samples_hold_every_positive_once_and_reshuffle() {
        let data = Dataset::from_pairs(&[0, 0, 1, 2, 2, 2], &[1, 3, 0, 4, 5, 6], None, None, None, Some(12)).unwrap();
        let a = epoch_samples(&data, 4, 7, 0).unwrap();
        let b = epoch_samples(&data, 4, 7, 1).unwrap();
        assert_eq!(a.len(), 30);
        let mut pos: Vec<(u32, u32)> =
            (0..a.len()).filter(|&t| a.labels[t] == 1.0).map(|t| (a.users[t], a.items[t])).collect();
        pos.sort();
        assert_eq!(pos, vec![(0, 1), (0, 3), (1, 0), (2, 4), (2, 5), (2, 6)]);
        for t in 0..a.len() {
            if a.labels[t] == 0.0 {
                assert!(!row_contains(data.train.row(a.users[t]), a.items[t]));
            }
        }
        assert_ne!(a, b, "epochs must reshuffle and resample");
        assert_eq!(a, epoch_samples(&data, 4, 7, 0).unwrap(), "seeded runs repeat");
    }
}
