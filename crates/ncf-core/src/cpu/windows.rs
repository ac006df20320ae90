//! An epoch's samples held whole or in windows of training positions (a Netflix-size
//! epoch, 502M samples, held whole would take 12 GB). A window is exactly its slice of the whole
//! epoch of [`epoch_samples_from`], so training is the same either way.

use rayon::prelude::*;

use super::sampling::{Samples, draw, epoch_samples_from, ratings_of};
use crate::data::Dataset;
use crate::error::{NcfError, Result};
use crate::rng::Permutation;
use crate::train::samples_per_epoch;

/// The samples at training positions `range` of an epoch: exactly
/// `epoch_samples_from(..)[range]`, drawn position by position (`perm(t)` names the sample),
/// so memory follows the window, not the epoch.
pub fn samples_at(
    data: &Dataset,
    negatives: u32,
    uniform: bool,
    seed: u32,
    epoch: u32,
    range: std::ops::Range<u32>,
) -> Result<Samples> {
    let n = samples_per_epoch(data, negatives)?;
    if range.end > n || range.start > range.end {
        return Err(NcfError::invalid("range", format!("{range:?} is outside the epoch's {n} samples")));
    }
    let ratings = ratings_of(data, negatives)?;
    let perm = Permutation::new(n, seed, epoch);
    let per = negatives + 1;
    let len = range.len();
    let mut s = Samples { users: vec![0; len], items: vec![0; len], labels: vec![0.0; len] };
    const SPLIT: usize = 1 << 12;
    s.users
        .par_chunks_mut(SPLIT)
        .zip(s.items.par_chunks_mut(SPLIT))
        .zip(s.labels.par_chunks_mut(SPLIT))
        .enumerate()
        .for_each(|(c, ((u, i), y))| {
            for k in 0..u.len() {
                let id = perm.apply(range.start + (c * SPLIT + k) as u32);
                let (j, slot) = (id / per, id % per);
                u[k] = data.train_users[j as usize];
                (i[k], y[k]) = draw(data, ratings, uniform, data.train.row(u[k]), seed, epoch, j, slot);
            }
        });
    Ok(s)
}

/// How an epoch's samples are held: all at once up to `whole_max` samples (the scatter of
/// [`epoch_samples_from`], the fastest), else in windows of about `window` training positions
/// (a Netflix-size epoch, 502M samples, held whole would take 12 GB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    pub whole_max: u32,
    pub window: u32,
}

impl Default for Windows {
    /// 16M samples whole (about 400 MB while drawn), windows of 4M (100 MB).
    fn default() -> Self {
        Windows { whole_max: 1 << 24, window: 1 << 22 }
    }
}

impl Windows {
    /// Hands the epoch's samples to `train` in training order: whole, or window by window.
    /// Each window is a multiple of `batch` samples, so the batches are the epoch's own and
    /// training is the same either way. Returns the epoch's sample count.
    #[allow(clippy::too_many_arguments)]
    pub fn for_each(
        &self,
        data: &Dataset,
        negatives: u32,
        uniform: bool,
        seed: u32,
        epoch: u32,
        batch: u32,
        mut train: impl FnMut(&Samples) -> Result<()>,
    ) -> Result<u64> {
        let n = samples_per_epoch(data, negatives)?;
        if n <= self.whole_max {
            train(&epoch_samples_from(data, negatives, uniform, seed, epoch)?)?;
            return Ok(n as u64);
        }
        let batch = batch.max(1);
        let window = (self.window / batch).max(1).saturating_mul(batch);
        let mut start = 0u32;
        while start < n {
            let end = start.saturating_add(window).min(n);
            train(&samples_at(data, negatives, uniform, seed, epoch, start..end)?)?;
            start = end;
        }
        Ok(n as u64)
    }
}
