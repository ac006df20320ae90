//! Host-side twins of the uniform records in the WGSL sources.

use ncf_core::Layout;
use ncf_core::model::{ModelFeatures, Objective};
use ncf_core::train::TrainConfig;
use ncf_core::train::{Optimizer, StepScalars};

/// Mirror of `struct Step` in common.wgsl (112 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct StepRecord {
    pub batch_start: u32,
    pub batch_len: u32,
    pub step_slot: u32,
    pub factors: u32,
    pub item_offset: u32,
    pub head_offset: u32,
    pub n_params: u32,
    pub item_bias_offset: u32,
    pub step_size: f32,
    pub bc2_sqrt: f32,
    pub inv_batch: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub momentum: f32,
    pub l2: f32,
    pub objective: u32,
    pub target_offset: f32,
    /// 0 without per-user and per-item biases.
    pub user_bias_offset: u32,
    /// Inverted-dropout rate of this step (0: none) and the seed and step its per-layer keys
    /// are mixed from (ncf-core `dropout_key`), for the fused tower (fused.wgsl).
    pub dropout_p: f32,
    pub dropout_seed: u32,
    pub step_lo: u32,
    pub step_hi: u32,
    /// 1 for a row-sparse step (`TrainConfig::sparse`).
    pub sparse: u32,
    /// Batch slot of this dispatch's first sample.
    pub row_base: u32,
    /// 1 for Adam, 0 for SGD.
    pub adam: u32,
    pub _pad: u32,
}

impl StepRecord {
    pub fn new(
        layout: Layout,
        batch_start: u32,
        batch_len: u32,
        step_slot: u32,
        cfg: &TrainConfig,
        s: StepScalars,
    ) -> Self {
        let opt = cfg.optimizer;
        let (beta1, beta2, eps, momentum) = match opt {
            Optimizer::Adam { beta1, beta2, eps, .. } => (beta1, beta2, eps, 0.0),
            Optimizer::Sgd { momentum, .. } => (0.0, 0.0, 0.0, momentum),
        };
        StepRecord {
            batch_start,
            batch_len,
            step_slot,
            factors: layout.factors,
            item_offset: layout.item_offset() as u32,
            head_offset: layout.head_offset() as u32,
            n_params: layout.len() as u32,
            item_bias_offset: if layout.biases { layout.item_bias_offset() as u32 } else { 0 },
            user_bias_offset: if layout.biases { layout.user_bias_offset() as u32 } else { 0 },
            step_size: s.step_size,
            bc2_sqrt: s.bc2_sqrt,
            inv_batch: 1.0 / batch_len.max(1) as f32,
            beta1,
            beta2,
            eps,
            weight_decay: opt.weight_decay(),
            momentum,
            l2: cfg.l2,
            sparse: u32::from(cfg.sparse),
            adam: u32::from(matches!(opt, Optimizer::Adam { .. })),
            objective: match cfg.objective() {
                Objective::Bce => 0,
                Objective::Squared { .. } => 1,
            },
            target_offset: match cfg.objective() {
                Objective::Bce => 0.0,
                Objective::Squared { offset } => offset,
            },
            ..Default::default()
        }
    }

    /// This record with step `step`'s dropout (ncf-core `TrainConfig::dropout_at`).
    pub fn with_dropout(mut self, cfg: &TrainConfig, step: u64) -> Self {
        if let Some(d) = cfg.dropout_at(step) {
            self.dropout_p = d.p;
            self.dropout_seed = d.seed;
            self.step_lo = d.step as u32;
            self.step_hi = (d.step >> 32) as u32;
        }
        self
    }

    /// Record for the `predict` kernel: `batch_len` pairs, no optimizer.
    pub fn for_pairs(layout: Layout, n: u32) -> Self {
        StepRecord::new(layout, 0, n, 0, &TrainConfig::default(), StepScalars { step_size: 0.0, bc2_sqrt: 1.0 })
    }
}

/// Mirror of `struct Rows` in optim.wgsl: where a row-sparse step's dense ranges and row
/// blocks lie (ncf-core cpu/sparse.rs splits the parameters the same way).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct RowsRecord {
    pub dense: [u32; 4],
    pub user_blocks: [u32; 4],
    pub item_blocks: [u32; 4],
    pub widths: [u32; 4],
}

impl RowsRecord {
    pub fn new(l: Layout) -> Self {
        let b = u32::from(l.biases);
        RowsRecord {
            // Features, tower and h lie between the MLP item embeddings and b_u; b is last.
            dense: [l.user_feature_offset() as u32, l.user_bias_offset() as u32, l.b_offset() as u32, l.len() as u32],
            user_blocks: [0, l.mlp_user_offset() as u32, l.user_bias_offset() as u32, 0],
            item_blocks: [l.item_offset() as u32, l.mlp_item_offset() as u32, l.item_bias_offset() as u32, 0],
            widths: [l.factors, l.tower.embedding(), b, 0],
        }
    }

    /// Threads of the dense part of `optimize_sparse`.
    pub fn dense_len(&self) -> u32 {
        (self.dense[1] - self.dense[0]) + (self.dense[3] - self.dense[2])
    }
}

/// Mirror of `struct Epoch` in sampling.wgsl (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct EpochRecord {
    pub n_samples: u32,
    pub per: u32,
    pub num_items: u32,
    pub seed: u32,
    pub epoch: u32,
    pub half_bits: u32,
    pub rated: u32,
    /// 1: negatives uniform over every item, positives included (`uniform_negatives`).
    pub uniform: u32,
    pub keys: [u32; 4],
    /// The window of training positions this dispatch draws: `base..base + count`.
    pub base: u32,
    pub count: u32,
    pub _pad: [u32; 2],
}

/// Mirror of `struct Net` in tower.wgsl (32 bytes): the tower's fixed geometry.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct NetRecord {
    pub emb: u32,
    pub last: u32,
    pub mlp_user_offset: u32,
    pub mlp_item_offset: u32,
    /// Width of a_0: 2E plus the side-feature inputs.
    pub input: u32,
    /// First a_0 column of the item features (2E + F_u).
    pub item_features: u32,
    pub _pad: [u32; 2],
}

impl NetRecord {
    pub fn new(layout: Layout) -> Self {
        NetRecord {
            emb: layout.tower.embedding(),
            last: layout.tower.output(),
            mlp_user_offset: layout.mlp_user_offset() as u32,
            mlp_item_offset: layout.mlp_item_offset() as u32,
            input: layout.tower.input(),
            item_features: 2 * layout.tower.embedding() + layout.features.user_width,
            _pad: [0; 2],
        }
    }
}

/// Words per side in the header of [`feature_words`].
pub(crate) const BAG_HEADER: usize = 5;

/// The side-feature bags as one `u32` buffer for `tower.wgsl` and `scoring.wgsl` (weights as
/// f32 bits): per side (users, items) a header `[slots, slot table, row pointers, entries, GMF
/// tables]`, then each side's slot table (`dim`, absolute table offset, first a_0 column), its
/// CSR row pointers (entity × slot), its `(row, weight)` entries and, when the features enter
/// the GMF branch, each slot's absolute offset in the stacked GMF-branch table (`factors` wide
/// rows; the header word is 0 otherwise). Without features: the two empty headers.
pub(crate) fn feature_words(layout: Layout, features: Option<&ModelFeatures>) -> Vec<u32> {
    let h = BAG_HEADER;
    let mut w = vec![0u32; 2 * h];
    let fd = layout.features;
    let sides = [
        (
            features.and_then(|f| f.users.as_ref()),
            layout.user_feature_offset(),
            2 * layout.tower.embedding(),
            (fd.gmf_user_table > 0).then(|| layout.gmf_user_feature_offset()),
        ),
        (
            features.and_then(|f| f.items.as_ref()),
            layout.item_feature_offset(),
            2 * layout.tower.embedding() + fd.user_width,
            (fd.gmf_item_table > 0).then(|| layout.gmf_item_feature_offset()),
        ),
    ];
    for (side, (set, table0, x0, gmf0)) in sides.into_iter().enumerate() {
        let Some(set) = set else { continue };
        w[side * h] = set.slots.len() as u32;
        w[side * h + 1] = w.len() as u32;
        for (slot, (t, x)) in set.slots.iter().zip(set.slot_offsets()) {
            w.extend([slot.dim, (table0 + t) as u32, x0 + x as u32]);
        }
        w[side * h + 2] = w.len() as u32;
        w.extend(&set.bags.ptr);
        w[side * h + 3] = w.len() as u32;
        for (&row, &weight) in set.bags.rows.iter().zip(&set.bags.weights) {
            w.extend([row, weight.to_bits()]);
        }
        if let Some(g0) = gmf0 {
            w[side * h + 4] = w.len() as u32;
            w.extend(set.row_bases().iter().map(|&b| (g0 + b as usize * layout.factors as usize) as u32));
        }
    }
    w
}
