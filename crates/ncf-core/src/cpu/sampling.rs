//! Negative sampling and epoch shuffling (NCF §4.1: 4 negatives per positive, drawn anew
//! every epoch). The same functions run in `ncf-gpu`'s `sampling.wgsl`, so for a given seed
//! both backends see identical samples in identical order.
//!
//! Sample id `s` of an epoch with `n` negatives is positive `j = s / (n+1)`, slot
//! `k = s % (n+1)`: slot 0 is the positive itself, slots 1..=n its negatives. Training
//! position `t` holds sample `perm(t)` for the epoch's [`Permutation`].

use rayon::prelude::*;

use crate::data::Dataset;
use crate::error::{NcfError, Result};
use crate::rng::{DOMAIN_NEGATIVE, Permutation, mix, uniform_below};
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
        // `binary_search` is branch-free in std, unlike a plain bisection, so the mispredicted
        // branches of ~10 random comparisons per draw are gone; same answer as `row_contains`.
        if row.binary_search(&c).is_err() {
            return c;
        }
    }
    let r = uniform_below(num_items - row.len() as u32, seed, DOMAIN_NEGATIVE, epoch, j, &mut counter);
    nth_absent(row, r)
}

/// Negative k of positive j drawn uniformly over all `num_items`: the first candidate
/// [`negative_item`] would consider.
pub fn uniform_item(num_items: u32, seed: u32, epoch: u32, j: u32, k: u32) -> u32 {
    let mut counter = k << 16;
    uniform_below(num_items, seed, DOMAIN_NEGATIVE, epoch, j, &mut counter)
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
    /// A copy of the samples at positions `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Samples {
        Samples {
            users: self.users[range.clone()].to_vec(),
            items: self.items[range.clone()].to_vec(),
            labels: self.labels[range].to_vec(),
        }
    }
}

/// The inverse of [`Permutation::apply`]: the training position `t` of sample `s`. Each Feistel
/// round `(l, r) → (r, l ⊕ F(r))` is undone by `(l, r) → (r ⊕ F(l), l)` with the keys in reverse
/// order, and cycle-walking the inverse network walks the same cycle backwards, so the first
/// value inside `[0, n)` is the preimage (Black & Rogaway 2002).
#[inline]
pub fn inverse_position(perm: &Permutation, s: u32) -> u32 {
    if perm.n <= 1 {
        return s;
    }
    let h = perm.half_bits;
    let mask = if h >= 32 { u32::MAX } else { (1u32 << h) - 1 };
    let unfeistel = |x: u32| {
        let (mut l, mut r) = ((x >> h) & mask, x & mask);
        for &k in perm.keys.iter().rev() {
            let pl = r ^ (mix(l ^ k) & mask);
            r = l;
            l = pl;
        }
        (l << h) | r
    };
    let mut x = unfeistel(s);
    while x >= perm.n {
        x = unfeistel(x);
    }
    x
}

/// A sample as the scatter writes it: user, item, label bits.
type Packed = [u32; 3];

/// Raw output of the scatter in [`epoch_samples`].
#[derive(Clone, Copy)]
struct Out(*mut Packed);
// SAFETY: the scatter writes each slot exactly once (the positions form a bijection), so
// sharing the pointer between threads never makes two writes to one slot.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

impl Out {
    /// Writes slot `t` (a method, so closures capture the `Sync` wrapper, not the raw pointer).
    ///
    /// # Safety
    /// `t` must be in bounds and no other thread may write slot `t`.
    #[inline]
    unsafe fn write(self, t: u32, x: Packed) {
        // SAFETY: the caller's contract.
        unsafe { self.0.add(t as usize).write(x) }
    }
}

/// Draws the epoch's samples on the CPU: the oracle of the GPU `sample_epoch` kernel. With
/// `negatives == 0` (rating regression) the samples are the shuffled observed ratings, each
/// labelled with its rating.
///
/// Sample `s` lands at training position `perm⁻¹(s)`. Walking the samples in id order (the
/// positives in CSR order, so a user's row stays in cache for all its negatives) and scattering
/// each to its position gives exactly the samples of walking positions `t` and drawing sample
/// `perm(t)`, without a dependent cache miss on the positives per sample.
pub fn epoch_samples(data: &Dataset, negatives: u32, seed: u32, epoch: u32) -> Result<Samples> {
    epoch_samples_from(data, negatives, false, seed, epoch)
}

/// [`epoch_samples`], with `uniform`: each negative is the first uniform draw over every item,
/// a positive of the user included (Rendle et al. 2020's sampler), so the draws are the
/// rejection sampler's first candidates.
pub fn epoch_samples_from(data: &Dataset, negatives: u32, uniform: bool, seed: u32, epoch: u32) -> Result<Samples> {
    let n = samples_per_epoch(data, negatives)?;
    let ratings = ratings_of(data, negatives)?;
    let perm = Permutation::new(n, seed, epoch);
    let per = negatives + 1;
    let positives = n / per;
    let mut packed: Vec<Packed> = vec![[0; 3]; n as usize];
    let out = Out(packed.as_mut_ptr());
    (0..positives).into_par_iter().with_min_len(2048).for_each(|j| {
        let u = data.train_users[j as usize];
        let row = data.train.row(u);
        for k in 0..per {
            let (item, label) = draw(data, ratings, uniform, row, seed, epoch, j, k);
            let t = inverse_position(&perm, j * per + k);
            // SAFETY: `t < n` (the inverse permutation maps into [0, n)), and each t is written
            // by exactly one sample (it is a bijection), so no two threads write one slot.
            unsafe { out.write(t, [u, item, label.to_bits()]) };
        }
    });
    let mut s = Samples { users: vec![0; n as usize], items: vec![0; n as usize], labels: vec![0.0; n as usize] };
    const SPLIT: usize = 1 << 16;
    s.users
        .par_chunks_mut(SPLIT)
        .zip(s.items.par_chunks_mut(SPLIT))
        .zip(s.labels.par_chunks_mut(SPLIT))
        .zip(packed.par_chunks(SPLIT))
        .for_each(|(((u, i), y), p)| {
            for (k, x) in p.iter().enumerate() {
                (u[k], i[k], y[k]) = (x[0], x[1], f32::from_bits(x[2]));
            }
        });
    Ok(s)
}

/// The ratings that label positives when there are no negatives (rating regression).
pub(super) fn ratings_of(data: &Dataset, negatives: u32) -> Result<Option<&[f32]>> {
    match (negatives, &data.train_ratings) {
        (0, Some(r)) => Ok(Some(r.as_slice())),
        (0, None) => Err(NcfError::Data("rating regression needs ratings: the data has none".into())),
        _ => Ok(None),
    }
}

/// Item and label of slot `k` of training positive `j` (its user's positives are `row`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn draw(
    data: &Dataset,
    ratings: Option<&[f32]>,
    uniform: bool,
    row: &[u32],
    seed: u32,
    epoch: u32,
    j: u32,
    k: u32,
) -> (u32, f32) {
    match k {
        0 => (data.train.cols[j as usize], ratings.map_or(1.0, |r| r[j as usize])),
        _ if uniform => (uniform_item(data.num_items, seed, epoch, j, k), 0.0f32),
        _ => (negative_item(row, data.num_items, seed, epoch, j, k), 0.0f32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::row_contains;

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
    fn uniform_negatives_cover_every_item_positives_included() {
        // A user with 30 of 40 items: the NCF sampler never returns those 30; the uniform one
        // returns each of the 40 about equally often (Rendle et al.'s draw).
        let row: Vec<u32> = (0..40).filter(|i| i % 4 != 1).collect();
        let users = vec![0u32; row.len()];
        let data = Dataset::from_pairs(&users, &row, None, None, None, Some(40)).unwrap();
        let (mut counts, mut draws) = (vec![0f64; 40], 0f64);
        for epoch in 0..200 {
            let s = epoch_samples_from(&data, 8, true, 3, epoch).unwrap();
            let plain = epoch_samples(&data, 8, 3, epoch).unwrap();
            assert_eq!(s.len(), plain.len());
            for t in 0..s.len() {
                assert_eq!((s.users[t], s.labels[t]), (plain.users[t], plain.labels[t]), "same positions");
                if s.labels[t] == 1.0 {
                    assert_eq!(s.items[t], plain.items[t], "positives unchanged");
                } else {
                    counts[s.items[t] as usize] += 1.0;
                    draws += 1.0;
                }
            }
        }
        let expect = draws / 40.0;
        let chi2: f64 = counts.iter().map(|c| (c - expect).powi(2) / expect).sum();
        // 39 dof: the 0.999 quantile is about 72.1.
        assert!(chi2 < 72.1, "chi2 {chi2}: not uniform over all 40 items");
        let positive_draws: f64 = row.iter().map(|&i| counts[i as usize]).sum();
        assert!((positive_draws / draws - 0.75).abs() < 0.02, "positives drawn {}", positive_draws / draws);
        // Where the rejection sampler's first candidate is already a negative, both agree.
        let s = epoch_samples_from(&data, 8, true, 3, 0).unwrap();
        let plain = epoch_samples(&data, 8, 3, 0).unwrap();
        let agree = (0..s.len())
            .filter(|&t| s.labels[t] == 0.0 && !row.contains(&s.items[t]))
            .all(|t| s.items[t] == plain.items[t]);
        assert!(agree, "a uniform draw that is a negative is the rejection sampler's own");
    }

    /// The definition the scatter must reproduce: position `t` holds sample `perm(t)`.
    fn reference_samples(data: &Dataset, negatives: u32, seed: u32, epoch: u32) -> Samples {
        let n = samples_per_epoch(data, negatives).unwrap();
        let perm = Permutation::new(n, seed, epoch);
        let per = negatives + 1;
        let mut out = Samples::default();
        for t in 0..n {
            let s = perm.apply(t);
            let (j, k) = (s / per, s % per);
            let u = data.train_users[j as usize];
            out.users.push(u);
            if k == 0 {
                out.items.push(data.train.cols[j as usize]);
                out.labels.push(data.train_ratings.as_ref().map_or(1.0, |r| r[j as usize]));
            } else {
                out.items.push(negative_item(data.train.row(u), data.num_items, seed, epoch, j, k));
                out.labels.push(0.0);
            }
        }
        out
    }

    #[test]
    fn inverse_position_undoes_the_permutation() {
        for n in [1u32, 2, 3, 17, 64, 1000, 4097] {
            for seed in [0, 9] {
                let perm = Permutation::new(n, seed, 3);
                for t in 0..n {
                    assert_eq!(inverse_position(&perm, perm.apply(t)), t, "n={n} t={t}");
                }
            }
        }
    }

    #[test]
    fn scattered_samples_equal_the_definition() {
        use crate::data::synthetic::{SyntheticConfig, synthetic};
        let cfg =
            SyntheticConfig { num_users: 50, num_items: 40, per_user: 12, clusters: 3, test_negatives: 5, seed: 2 };
        let data = synthetic(cfg).unwrap();
        for (neg, seed, epoch) in [(4, 0, 0), (1, 5, 3), (7, 2, 1)] {
            assert_eq!(epoch_samples(&data, neg, seed, epoch).unwrap(), reference_samples(&data, neg, seed, epoch));
        }
        let rated = Dataset::from_pairs_rated(
            &[0, 1, 1, 2],
            &[1, 0, 2, 2],
            None,
            Some(&[4.0, 2.5, 1.0, 5.0]),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(epoch_samples(&rated, 0, 1, 0).unwrap(), reference_samples(&rated, 0, 1, 0));
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
