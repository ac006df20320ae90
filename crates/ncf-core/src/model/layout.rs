//! The flat parameter layout: where each block (embeddings, feature tables, tower layers,
//! predict layer, biases) lives in the one `f32` vector both backends share.

use super::features::{FeatureDims, FeatureInputs, ModelFeatures};
use super::kind::{ModelKind, Tower};
use crate::error::{NcfError, Result};
use crate::features::FeatureSet;

/// Offsets of the parameter blocks inside the flat vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub kind: ModelKind,
    pub num_users: u32,
    pub num_items: u32,
    /// Width of the GMF (or MF) embeddings; 0 for MLP.
    pub factors: u32,
    /// The MLP tower; empty for GMF and MF.
    pub tower: Tower,
    /// Side-feature tables and widths (zero without features).
    pub features: FeatureDims,
    /// Per-user and per-item bias terms `b_u + b_i` added to z (always on for MF; an option
    /// for the others, where explicit ratings need them: Koren et al. 2009, eq. 4).
    pub biases: bool,
}

impl Layout {
    /// A GMF or MF layout.
    pub fn new(kind: ModelKind, num_users: u32, num_items: u32, factors: u32) -> Result<Self> {
        if kind.is_neural() {
            return Err(NcfError::invalid("kind", format!("{} needs a tower: use Layout::neural", kind.name())));
        }
        if factors == 0 || factors > 4096 {
            return Err(NcfError::invalid("factors", format!("must be in 1..=4096, got {factors}")));
        }
        Layout {
            kind,
            num_users,
            num_items,
            factors,
            tower: Tower::default(),
            features: FeatureDims::default(),
            biases: kind == ModelKind::Mf,
        }
        .checked()
    }

    /// An MLP (`factors` must be 0) or NeuMF layout.
    pub fn neural(kind: ModelKind, num_users: u32, num_items: u32, factors: u32, tower: Tower) -> Result<Self> {
        match kind {
            ModelKind::Mlp if factors != 0 => {
                return Err(NcfError::invalid("factors", "an MLP has no GMF embeddings; its width is set by layers"));
            }
            ModelKind::NeuMf if factors == 0 || factors > 4096 => {
                return Err(NcfError::invalid("factors", format!("must be in 1..=4096, got {factors}")));
            }
            ModelKind::Gmf | ModelKind::Mf => return Layout::new(kind, num_users, num_items, factors),
            _ => {}
        }
        if tower.is_empty() {
            return Err(NcfError::invalid("layers", "an MLP tower needs at least one dense layer"));
        }
        Layout { kind, num_users, num_items, factors, tower, features: FeatureDims::default(), biases: false }.checked()
    }

    /// This layout with (or without) the user and item bias terms.
    pub fn with_biases(mut self, biases: bool) -> Result<Self> {
        self.biases = biases;
        self.checked()
    }

    /// This layout with `features` entering where `inputs` says, refusing a place the model
    /// does not have (no option is silently dropped).
    pub fn with_features_in(self, features: &ModelFeatures, inputs: FeatureInputs) -> Result<Self> {
        if inputs.tower() && !self.kind.is_neural() {
            return Err(NcfError::invalid(
                "featuresIn",
                format!("'{}' joins the MLP tower; {} has none (use 'gmf')", inputs.name(), self.kind.name()),
            ));
        }
        if inputs.gmf() && self.factors == 0 {
            return Err(NcfError::invalid(
                "featuresIn",
                format!("'{}' adds to the GMF embeddings; {} has none (use 'mlp')", inputs.name(), self.kind.name()),
            ));
        }
        let rows = |s: &Option<FeatureSet>| s.as_ref().map_or(0, |f| f.total_rows());
        if inputs.gmf() && rows(&features.users) + rows(&features.items) == 0 {
            return Err(NcfError::invalid(
                "featuresIn",
                format!(
                    "'{}' needs feature values, but no user or item the model knows has any (every column is empty)",
                    inputs.name()
                ),
            ));
        }
        self.with_features(features.dims_for(inputs, self.factors))
    }

    /// This layout with side features joined to the tower input (MLP and NeuMF) and/or added
    /// to the GMF-branch embeddings (GMF, MF and NeuMF).
    pub fn with_features(mut self, dims: FeatureDims) -> Result<Self> {
        if dims.user_width + dims.item_width > 0 && !self.kind.is_neural() {
            return Err(NcfError::invalid(
                "featuresIn",
                format!("'mlp' joins the MLP tower; {} has none (use 'gmf')", self.kind.name()),
            ));
        }
        if dims.gmf_user_table + dims.gmf_item_table > 0 && self.factors == 0 {
            return Err(NcfError::invalid(
                "featuresIn",
                format!("'gmf' adds to the GMF embeddings; {} has none (use 'mlp')", self.kind.name()),
            ));
        }
        self.features = dims;
        self.tower.extra = dims.user_width + dims.item_width;
        self.checked()
    }

    /// The layout a user's options describe. GMF and MF take `factors`. MLP takes `layers`, or
    /// the paper's 3-layer tower ending in `factors` (default 8); both given must agree. NeuMF
    /// takes `factors` for the GMF branch (default: the tower's last width, else 8) and
    /// `layers` (default the 3-layer tower ending in `factors`).
    pub fn from_options(
        kind: ModelKind,
        num_users: u32,
        num_items: u32,
        factors: Option<u32>,
        layers: Option<&[u32]>,
    ) -> Result<Self> {
        let tower = layers.map(Tower::new).transpose()?;
        match kind {
            ModelKind::Gmf | ModelKind::Mf => {
                if layers.is_some() {
                    return Err(NcfError::invalid(
                        "layers",
                        format!("apply to MLP and NeuMF; {} has no tower", kind.name()),
                    ));
                }
                Layout::new(kind, num_users, num_items, factors.unwrap_or(8))
            }
            ModelKind::Mlp => {
                let tower = match (tower, factors) {
                    (Some(t), Some(f)) if t.output() != f => {
                        return Err(NcfError::invalid(
                            "factors",
                            format!("is {f} but layers end in {}; give one or make them agree", t.output()),
                        ));
                    }
                    (Some(t), _) => t,
                    (None, f) => Tower::for_factors(f.unwrap_or(8), 3)?,
                };
                Layout::neural(kind, num_users, num_items, 0, tower)
            }
            ModelKind::NeuMf => {
                let f = factors.or(tower.map(|t| t.output())).unwrap_or(8);
                let tower = match tower {
                    Some(t) => t,
                    None => Tower::for_factors(f, 3)?,
                };
                Layout::neural(kind, num_users, num_items, f, tower)
            }
        }
    }

    fn checked(self) -> Result<Self> {
        if self.num_users == 0 {
            return Err(NcfError::invalid("numUsers", "must be a positive integer"));
        }
        if self.num_items == 0 {
            return Err(NcfError::invalid("numItems", "must be a positive integer"));
        }
        let rows = self.num_users as u64 + self.num_items as u64;
        let total = rows * (self.factors as u64 + self.tower.embedding() as u64)
            + self.features.user_table as u64
            + self.features.item_table as u64
            + self.features.gmf_user_table as u64
            + self.features.gmf_item_table as u64
            + self.tower.param_len() as u64
            + self.head_len() as u64;
        if total > (u32::MAX as u64) / 4 {
            return Err(NcfError::invalid(
                if self.tower.is_empty() { "factors" } else { "layers" },
                format!(
                    "{} users + {} items give too many parameters ({total}) for this model size",
                    self.num_users, self.num_items
                ),
            ));
        }
        Ok(self)
    }

    /// Predictive factors as the paper counts them: the embedding width for GMF/MF, the last
    /// tower layer for MLP, the GMF width for NeuMF.
    pub fn predictive_factors(&self) -> u32 {
        if self.kind == ModelKind::Mlp { self.tower.output() } else { self.factors }
    }

    /// Parameters from `head_offset` on: `h` (none for MF), the user and item biases when
    /// the layout has them, and `b`.
    fn head_len(&self) -> usize {
        let biases = if self.biases { self.num_users as usize + self.num_items as usize } else { 0 };
        self.h_len() + biases + 1
    }
    /// Length of the predict layer `h` (0 for MF).
    pub fn h_len(&self) -> usize {
        match self.kind {
            ModelKind::Mf => 0,
            _ => self.factors as usize + self.tower.output() as usize,
        }
    }
    pub fn user_offset(&self) -> usize {
        0
    }
    pub fn item_offset(&self) -> usize {
        self.num_users as usize * self.factors as usize
    }
    /// The MLP user embeddings `P_mlp` (U × E), after the GMF embeddings.
    pub fn mlp_user_offset(&self) -> usize {
        (self.num_users as usize + self.num_items as usize) * self.factors as usize
    }
    /// The MLP item embeddings `Q_mlp` (I × E).
    pub fn mlp_item_offset(&self) -> usize {
        self.mlp_user_offset() + self.num_users as usize * self.tower.embedding() as usize
    }
    /// The user side-feature tables, after the MLP item embeddings.
    pub fn user_feature_offset(&self) -> usize {
        self.mlp_item_offset() + self.num_items as usize * self.tower.embedding() as usize
    }
    /// The item side-feature tables.
    pub fn item_feature_offset(&self) -> usize {
        self.user_feature_offset() + self.features.user_table as usize
    }
    /// The GMF-branch user feature tables (all slots' rows stacked, `factors` wide).
    pub fn gmf_user_feature_offset(&self) -> usize {
        self.item_feature_offset() + self.features.item_table as usize
    }
    /// The GMF-branch item feature tables.
    pub fn gmf_item_feature_offset(&self) -> usize {
        self.gmf_user_feature_offset() + self.features.gmf_user_table as usize
    }
    /// End of all embedding tables (the start of the tower for neural models).
    pub fn embeddings_end(&self) -> usize {
        self.gmf_item_feature_offset() + self.features.gmf_item_table as usize
    }
    /// `W_l` (outputs × inputs, row-major) of dense layer `l` (1-based).
    pub fn weight_offset(&self, l: usize) -> usize {
        self.embeddings_end() + (1..l).map(|j| self.tower.dims(j)).map(|(i, o)| o * i + o).sum::<usize>()
    }
    /// `b_l` of dense layer `l`.
    pub fn layer_bias_offset(&self, l: usize) -> usize {
        let (i, o) = self.tower.dims(l);
        self.weight_offset(l) + o * i
    }
    /// Start of the parameters after the embeddings and the tower: `h` (GMF, MLP, NeuMF) or
    /// MF's user biases.
    pub fn head_offset(&self) -> usize {
        self.embeddings_end() + self.tower.param_len()
    }
    /// The user biases `b_u` (U), after `h`; meaningful only when `biases` is set.
    pub fn user_bias_offset(&self) -> usize {
        self.head_offset() + self.h_len()
    }
    /// The item biases `b_i` (I), after the user biases.
    pub fn item_bias_offset(&self) -> usize {
        self.user_bias_offset() + self.num_users as usize
    }
    /// The global bias `b`, always the last parameter.
    pub fn b_offset(&self) -> usize {
        self.len() - 1
    }
    pub fn len(&self) -> usize {
        self.head_offset() + self.head_len()
    }
    pub fn is_empty(&self) -> bool {
        false
    }
}
