//! An epoch's samples held whole or in windows of training positions (a Netflix-size
//! epoch, 502M samples, held whole would take 12 GB). A window is exactly its slice of the whole
//! epoch of [`epoch_samples_from`], so training is the same either way.

use std::ops::Range;

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
    /// The window that holds training position `pos` of an epoch of `n` samples: the whole
    /// epoch up to `whole_max` samples, else a multiple of `batch` positions (the last one
    /// ragged), so the batches are the epoch's own and training is the same either way.
    pub fn span(&self, n: u32, batch: u32, pos: u32) -> Range<u32> {
        if n <= self.whole_max {
            return 0..n;
        }
        let batch = batch.max(1);
        let window = (self.window / batch).max(1).saturating_mul(batch);
        let start = pos / window * window;
        start..start.saturating_add(window).min(n)
    }

    /// The samples of window `span` of an epoch: the scatter of [`epoch_samples_from`] for a
    /// whole epoch, else [`samples_at`].
    pub fn draw(
        &self,
        data: &Dataset,
        negatives: u32,
        uniform: bool,
        seed: u32,
        epoch: u32,
        span: Range<u32>,
    ) -> Result<Samples> {
        let n = samples_per_epoch(data, negatives)?;
        if span == (0..n) && n <= self.whole_max {
            epoch_samples_from(data, negatives, uniform, seed, epoch)
        } else {
            samples_at(data, negatives, uniform, seed, epoch, span)
        }
    }

    /// Hands the epoch's samples to `train` in training order, window by window ([`Windows::span`]).
    /// Returns the epoch's sample count.
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
        let mut start = 0u32;
        while start < n {
            let span = self.span(n, batch, start);
            start = span.end;
            train(&self.draw(data, negatives, uniform, seed, epoch, span)?)?;
        }
        Ok(n as u64)
    }
}
