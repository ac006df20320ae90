//! What kind of model: GMF, MF, MLP or NeuMF, and the widths of the MLP tower.

use crate::error::{NcfError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    Gmf,
    Mf,
    Mlp,
    NeuMf,
}

impl ModelKind {
    /// Models with an MLP tower (dense layers on the concatenated embeddings).
    pub fn is_neural(self) -> bool {
        matches!(self, ModelKind::Mlp | ModelKind::NeuMf)
    }
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Gmf => "GMF",
            ModelKind::Mf => "MF",
            ModelKind::Mlp => "MLP",
            ModelKind::NeuMf => "NeuMF",
        }
    }
}

/// Longest tower (input width plus up to 7 dense layers).
pub const MAX_TOWER: usize = 8;

/// Widths of the MLP tower: `sizes[0]` is the input (twice the MLP embedding size, since user
/// and item embeddings are concatenated), each later entry one dense ReLU layer (§3.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tower {
    pub(crate) sizes: [u32; MAX_TOWER],
    pub(crate) len: u32,
    /// Side-feature inputs joined after the two embeddings (`F_u + F_i`, 0 without features).
    pub(crate) extra: u32,
}

impl Tower {
    pub fn new(sizes: &[u32]) -> Result<Tower> {
        if sizes.len() < 2 || sizes.len() > MAX_TOWER {
            return Err(NcfError::invalid(
                "layers",
                format!("needs 2..={MAX_TOWER} widths (the input, then each dense layer), got {}", sizes.len()),
            ));
        }
        if let Some(k) = sizes.iter().position(|&s| s == 0 || s > 4096) {
            return Err(NcfError::invalid(format!("layers[{k}]"), format!("must be in 1..=4096, got {}", sizes[k])));
        }
        if !sizes[0].is_multiple_of(2) {
            return Err(NcfError::invalid(
                "layers[0]",
                format!("is the concatenated user and item embedding, so it must be even; got {}", sizes[0]),
            ));
        }
        let mut t = Tower { sizes: [0; MAX_TOWER], len: sizes.len() as u32, extra: 0 };
        t.sizes[..sizes.len()].copy_from_slice(sizes);
        Ok(t)
    }

    /// The paper's tower for `factors` predictive factors and `layers` hidden layers, each
    /// halving the width: 3 layers give `[8f, 4f, 2f, f]` (f = 8: `[64, 32, 16, 8]`).
    pub fn for_factors(factors: u32, layers: u32) -> Result<Tower> {
        if factors == 0 || layers == 0 || layers as usize >= MAX_TOWER || factors > 4096 >> layers {
            return Err(NcfError::invalid(
                "factors",
                format!("{factors} factors with {layers} layers gives no tower within 1..=4096 wide"),
            ));
        }
        let sizes: Vec<u32> = (0..=layers).rev().map(|k| factors << k).collect();
        Tower::new(&sizes)
    }

    pub fn sizes(&self) -> &[u32] {
        &self.sizes[..self.len as usize]
    }
    /// Number of dense layers.
    pub fn layers(&self) -> usize {
        (self.len as usize).saturating_sub(1)
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Size of each MLP embedding (half the input width).
    pub fn embedding(&self) -> u32 {
        self.sizes.first().map_or(0, |&s| s / 2)
    }
    /// Width of the last layer, the MLP's predictive factors.
    pub fn output(&self) -> u32 {
        if self.len == 0 { 0 } else { self.sizes[self.len as usize - 1] }
    }
    /// `(inputs, outputs)` of dense layer `l` (1-based); the first layer also takes the
    /// side-feature inputs.
    pub fn dims(&self, l: usize) -> (usize, usize) {
        let extra = if l == 1 { self.extra as usize } else { 0 };
        (self.sizes[l - 1] as usize + extra, self.sizes[l] as usize)
    }
    /// Width of the tower's input row: both embeddings, then the side features.
    pub fn input(&self) -> u32 {
        self.sizes.first().map_or(0, |&s| s + self.extra)
    }
    /// Side-feature inputs of the first layer.
    pub fn extra(&self) -> u32 {
        self.extra
    }
    pub(crate) fn param_len(&self) -> usize {
        (1..=self.layers()).map(|l| self.dims(l)).map(|(i, o)| o * i + o).sum()
    }
}
