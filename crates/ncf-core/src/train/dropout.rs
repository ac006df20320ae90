//! Seeded inverted dropout both backends draw identically: a step's spec, each layer's key, and
//! the mask as a pure function of the key (no stored mask; `ncf-gpu`'s `dense.wgsl` draws the
//! same units from `common.wgsl`'s hash).

use crate::rng::{DOMAIN_DROPOUT, DOMAIN_DROPOUT_KEY, hash5, unit_f32};

/// Inverted dropout (Srivastava et al. 2014) after a ReLU: unit `(row, col)` is kept when
/// `unit(hash(key, row, col)) >= p` and then scaled by `1/(1−p)`. The mask is a pure function of
/// `key` (the host mixes seed, step and layer into it), so the GPU draws the same mask and the
/// backward pass needs no stored mask: a dropped or inactive unit has output 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    pub key: u32,
    pub p: f32,
}

impl Dropout {
    #[inline]
    pub fn keeps(&self, row: usize, col: usize) -> bool {
        unit_f32(hash5(self.key, DOMAIN_DROPOUT, 0, row as u32, col as u32)) >= self.p
    }
    #[inline]
    pub fn scale(&self) -> f32 {
        1.0 / (1.0 - self.p)
    }
}

/// Dropout of one optimizer step: every layer draws its mask from a key mixed from the seed,
/// the step and the layer, so both backends drop the same units without storing a mask.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DropoutSpec {
    pub p: f32,
    pub seed: u32,
    pub step: u64,
}

impl DropoutSpec {
    /// `None` when `p` is 0 (no dropout).
    pub fn new(p: f32, seed: u32, step: u64) -> Option<Self> {
        (p > 0.0).then_some(DropoutSpec { p, seed, step })
    }
    /// The mask of dense layer `l` (1-based).
    pub fn layer(&self, l: usize) -> Dropout {
        Dropout { key: dropout_key(self.seed, self.step, l as u32), p: self.p }
    }
}

pub fn dropout_key(seed: u32, step: u64, layer: u32) -> u32 {
    hash5(seed, DOMAIN_DROPOUT_KEY, step as u32, (step >> 32) as u32, layer)
}
