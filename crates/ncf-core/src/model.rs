//! Models trained with binary cross-entropy on sampled negatives (He et al., WWW'17, eq. 7):
//!
//! - **GMF** (§3.2, eq. 9–10): `z = hᵀ(p_u ⊙ q_i) + b`.
//! - **MF**, the dot-product baseline of Rendle et al. (RecSys'20, "Neural Collaborative
//!   Filtering vs. Matrix Factorization Revisited"): `z = p_u · q_i + b_u + b_i + b`.
//! - **MLP** (§3.3, eq. 10): `z = hᵀ a_L + b`, `a_l = ReLU(W_l a_{l−1} + b_l)`,
//!   `a_0 = [p_u ; q_i]` (see [`crate::neural`]).
//! - **NeuMF** (§3.4, eq. 11–12): GMF and MLP with their own embeddings, fused before one
//!   predict layer: `z = hᵀ[p_u ⊙ q_i ; a_L] + b`.
//!
//! Parameters live in one flat `f32` vector: GMF `[P (U×F) | Q (I×F) | h (F) | b]`, MF
//! `[P | Q | b_user (U) | b_item (I) | b]`, NeuMF `[P | Q | P_mlp (U×E) | Q_mlp (I×E) |
//! T_user | T_item | W_1 | b_1 | … | W_L | b_L | h (F + L_L) | b]` (W in PyTorch's `out × in`
//! layout; `T` the side-feature tables, empty without features), MLP the same with F = 0.
//! With `biases` (always for MF, an option for the others) the user and item biases
//! `b_user (U) | b_item (I)` sit between `h` and `b`, and z gains `b_u + b_i`. The GPU buffers
//! use the same layout, so weights move between backends as one copy; the global bias is
//! always the last value.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::borrow::Cow;
use std::sync::Arc;

use crate::error::{NcfError, Result};
use crate::feature_set::FeatureSet;

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
    sizes: [u32; MAX_TOWER],
    len: u32,
    /// Side-feature inputs joined after the two embeddings (`F_u + F_i`, 0 without features).
    extra: u32,
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
    fn param_len(&self) -> usize {
        (1..=self.layers()).map(|l| self.dims(l)).map(|(i, o)| o * i + o).sum()
    }
}

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

/// Sizes of the side features a model takes, per side: the vector widths joined to the tower
/// input and the parameters of their tables; and the GMF-branch tables (all slots' rows
/// stacked, `factors` wide) whose sums are added to the GMF or MF embeddings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeatureDims {
    pub user_width: u32,
    pub item_width: u32,
    pub user_table: u32,
    pub item_table: u32,
    pub gmf_user_table: u32,
    pub gmf_item_table: u32,
}

impl FeatureDims {
    /// Where these features enter the model (`None` without features).
    pub fn inputs(&self) -> Option<FeatureInputs> {
        let tower = self.user_width + self.item_width > 0;
        let gmf = self.gmf_user_table + self.gmf_item_table > 0;
        match (tower, gmf) {
            (true, false) => Some(FeatureInputs::Tower),
            (false, true) => Some(FeatureInputs::Gmf),
            (true, true) => Some(FeatureInputs::Both),
            (false, false) => None,
        }
    }
}

/// Where side features enter a model: the MLP tower's input (the anime NCF), the GMF branch
/// (added to the GMF or MF embeddings, `p_u + Σ_s v_s(u)`, as in SVDFeature), or both (NeuMF).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FeatureInputs {
    #[default]
    Tower,
    Gmf,
    Both,
}

impl FeatureInputs {
    pub fn tower(self) -> bool {
        matches!(self, FeatureInputs::Tower | FeatureInputs::Both)
    }
    pub fn gmf(self) -> bool {
        matches!(self, FeatureInputs::Gmf | FeatureInputs::Both)
    }
    /// `'mlp'`, `'gmf'` or `'both'`, as the API and the model file spell them.
    pub fn name(self) -> &'static str {
        match self {
            FeatureInputs::Tower => "mlp",
            FeatureInputs::Gmf => "gmf",
            FeatureInputs::Both => "both",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "mlp" => Ok(FeatureInputs::Tower),
            "gmf" => Ok(FeatureInputs::Gmf),
            "both" => Ok(FeatureInputs::Both),
            other => Err(NcfError::invalid("featuresIn", format!("must be 'mlp', 'gmf' or 'both', got '{other}'"))),
        }
    }
    /// What a model kind takes when the caller does not say: the tower where there is one.
    pub fn default_for(kind: ModelKind) -> Self {
        if kind.is_neural() { FeatureInputs::Tower } else { FeatureInputs::Gmf }
    }
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

/// Model weights in the flat layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub layout: Layout,
    pub data: Vec<f32>,
    /// The side features' bags, when the layout has features.
    pub features: Option<Arc<ModelFeatures>>,
}

/// The encoded side features of a model's users and items.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFeatures {
    pub users: Option<FeatureSet>,
    pub items: Option<FeatureSet>,
}

impl ModelFeatures {
    /// The layout sizes these features need in the tower input.
    pub fn dims(&self) -> FeatureDims {
        self.dims_for(FeatureInputs::Tower, 0)
    }

    /// The layout sizes these features need where `inputs` puts them, with GMF embeddings
    /// `factors` wide.
    pub fn dims_for(&self, inputs: FeatureInputs, factors: u32) -> FeatureDims {
        let tower = inputs.tower() as u32;
        let gmf = inputs.gmf() as u64;
        let w = |s: &Option<FeatureSet>| s.as_ref().map_or(0, |f| f.width()) * tower;
        let t = |s: &Option<FeatureSet>| s.as_ref().map_or(0, |f| f.table_len() as u32) * tower;
        // Saturating: a size beyond u32 then fails the layout's parameter-count check.
        let g = |s: &Option<FeatureSet>| {
            let n = s.as_ref().map_or(0, |f| f.total_rows() as u64) * factors as u64 * gmf;
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        FeatureDims {
            user_width: w(&self.users),
            item_width: w(&self.items),
            user_table: t(&self.users),
            item_table: t(&self.items),
            gmf_user_table: g(&self.users),
            gmf_item_table: g(&self.items),
        }
    }
}

impl Params {
    /// Embeddings from N(0, 0.01) as in the NCF reference code. Tower layers are
    /// Xavier-uniform U(±√(6/(in+out))) with zero biases (Glorot & Bengio 2010, the reference
    /// PyTorch NCF). The predict layer `h` is LeCun-uniform U(±√(3/fan_in)) (Keras
    /// `lecun_uniform` in the original code; PyTorch's `kaiming_uniform_(a=1)` is the same);
    /// biases start at 0.
    pub fn init(layout: Layout, seed: u32) -> Params {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed as u64 ^ 0x6e63_665f_676d_6600);
        let normal = Normal::new(0.0f32, 0.01).expect("valid normal");
        let mut data = vec![0f32; layout.len()];
        let embeddings = if layout.kind == ModelKind::Mf { layout.head_offset() } else { layout.embeddings_end() };
        for x in &mut data[..embeddings] {
            *x = normal.sample(&mut rng);
        }
        for l in 1..=layout.tower.layers() {
            let (i, o) = layout.tower.dims(l);
            let limit = (6.0 / (i + o) as f32).sqrt();
            for x in &mut data[layout.weight_offset(l)..][..o * i] {
                *x = rng.random_range(-limit..limit);
            }
        }
        if layout.h_len() > 0 {
            let limit = (3.0 / layout.h_len() as f32).sqrt();
            for x in &mut data[layout.head_offset()..layout.user_bias_offset()] {
                *x = rng.random_range(-limit..limit);
            }
        }
        Params { layout, data, features: None }
    }

    /// Attaches encoded side features; the layout must have been built with their sizes.
    pub fn with_features(mut self, features: ModelFeatures) -> Result<Params> {
        let l = self.layout;
        if l.features.inputs().is_none_or(|i| features.dims_for(i, l.factors) != l.features) {
            return Err(NcfError::invalid("features", "do not match the sizes the model was built with"));
        }
        for (side, set, n) in
            [("user", &features.users, self.layout.num_users), ("item", &features.items, self.layout.num_items)]
        {
            if let Some(s) = set
                && s.entities != n
            {
                return Err(NcfError::invalid("features", format!("cover {} {side}s, the model has {n}", s.entities)));
            }
        }
        self.features = Some(Arc::new(features));
        Ok(self)
    }

    pub fn from_vec(layout: Layout, data: Vec<f32>) -> Result<Params> {
        if data.len() != layout.len() {
            return Err(NcfError::invalid("weights", format!("expected {} values, got {}", layout.len(), data.len())));
        }
        Ok(Params { layout, data, features: None })
    }

    /// Cold start: this model with `users` and `items` new entities appended, described only by
    /// their side features (`bags`, one per new entity, as [`FeatureSet::describe`] makes them).
    /// Their id embeddings are zero, so their scores come from the features (and, for NeuMF, a
    /// GMF branch that contributes 0). New indices start at `num_users` / `num_items`.
    pub fn with_cold(
        &self,
        users: &[Vec<(Vec<u32>, Vec<f32>)>],
        items: &[Vec<(Vec<u32>, Vec<f32>)>],
    ) -> Result<Params> {
        if users.is_empty() && items.is_empty() {
            return Ok(self.clone());
        }
        let l = self.layout;
        let f = self.features.as_deref();
        for (side, new, set) in
            [("users", users, f.and_then(|f| f.users.as_ref())), ("items", items, f.and_then(|f| f.items.as_ref()))]
        {
            if !new.is_empty() && set.is_none() {
                return Err(NcfError::invalid(
                    format!("new {side}"),
                    format!("need side features of {side}: the model was built without them"),
                ));
            }
        }
        let (nu, ni) = (l.num_users + users.len() as u32, l.num_items + items.len() as u32);
        let tower = Tower { extra: 0, ..l.tower };
        let nl = Layout::neural(l.kind, nu, ni, l.factors, tower)?.with_features(l.features)?.with_biases(l.biases)?;
        let (fu, fi) = (l.factors as usize, l.tower.embedding() as usize);
        let mut data = Vec::with_capacity(nl.len());
        let pad = |data: &mut Vec<f32>, n: usize| data.extend(std::iter::repeat_n(0.0, n));
        data.extend_from_slice(&self.data[..l.item_offset()]);
        pad(&mut data, users.len() * fu);
        data.extend_from_slice(&self.data[l.item_offset()..l.mlp_user_offset()]);
        pad(&mut data, items.len() * fu);
        data.extend_from_slice(&self.data[l.mlp_user_offset()..l.mlp_item_offset()]);
        pad(&mut data, users.len() * fi);
        data.extend_from_slice(&self.data[l.mlp_item_offset()..l.user_feature_offset()]);
        pad(&mut data, items.len() * fi);
        if l.biases {
            // New users and items start with zero bias: the feature-only score, as for the
            // zeroed id embeddings.
            data.extend_from_slice(&self.data[l.user_feature_offset()..l.item_bias_offset()]);
            pad(&mut data, users.len());
            data.extend_from_slice(&self.data[l.item_bias_offset()..l.b_offset()]);
            pad(&mut data, items.len());
            data.push(self.data[l.b_offset()]);
        } else {
            data.extend_from_slice(&self.data[l.user_feature_offset()..]);
        }
        let features = ModelFeatures {
            users: f.and_then(|f| f.users.as_ref()).map(|s| s.with_new(users)),
            items: f.and_then(|f| f.items.as_ref()).map(|s| s.with_new(items)),
        };
        Params::from_vec(nl, data)?.with_features(features)
    }

    /// The logit `z` (before the sigmoid) of one pair. For many pairs use [`Params::logits`],
    /// which batches the MLP tower.
    #[inline]
    pub fn logit(&self, u: u32, i: u32) -> f32 {
        let l = self.layout;
        if l.kind.is_neural() {
            return crate::neural::forward(self, &[u], &[i], None).z[0];
        }
        let (p, q) = self.gmf_rows(u, i);
        self.gmf_score(&p, &q) + self.bias_terms(u, i)
    }

    /// GMF's `hᵀ(p̃ ⊙ q̃)` or MF's `p̃ · q̃` of a pair's [`Params::gmf_rows`] (no bias terms).
    #[inline]
    fn gmf_score(&self, p: &[f32], q: &[f32]) -> f32 {
        let l = self.layout;
        match l.kind {
            ModelKind::Mf => p.iter().zip(q).map(|(a, b)| a * b).sum(),
            _ => {
                let h = &self.data[l.head_offset()..][..l.factors as usize];
                h.iter().zip(p.iter().zip(q)).map(|(h, (a, b))| h * (a * b)).sum()
            }
        }
    }

    /// The GMF-branch (or MF) vectors of a pair: the embedding rows `p_u`, `q_i`, plus the sums
    /// of their GMF-branch feature vectors when the model has them.
    #[inline]
    pub(crate) fn gmf_rows(&self, u: u32, i: u32) -> (Cow<'_, [f32]>, Cow<'_, [f32]>) {
        let l = self.layout;
        let f = l.factors as usize;
        let p = &self.data[u as usize * f..][..f];
        let q = &self.data[l.item_offset() + i as usize * f..][..f];
        let fd = l.features;
        if fd.gmf_user_table + fd.gmf_item_table == 0 {
            return (Cow::Borrowed(p), Cow::Borrowed(q));
        }
        fn side<'a>(row: &'a [f32], set: Option<&FeatureSet>, tables: &[f32], e: u32) -> Cow<'a, [f32]> {
            match set {
                Some(s) if !tables.is_empty() => {
                    let mut v = row.to_vec();
                    s.gather_sum(e, tables, row.len(), &mut v);
                    Cow::Owned(v)
                }
                _ => Cow::Borrowed(row),
            }
        }
        let sets = self.features.as_deref();
        let ut = &self.data[l.gmf_user_feature_offset()..][..fd.gmf_user_table as usize];
        let it = &self.data[l.gmf_item_feature_offset()..][..fd.gmf_item_table as usize];
        (side(p, sets.and_then(|x| x.users.as_ref()), ut, u), side(q, sets.and_then(|x| x.items.as_ref()), it, i))
    }

    /// `b_u + b_i + b` (just `b` for a layout without per-entity biases).
    #[inline]
    pub(crate) fn bias_terms(&self, u: u32, i: u32) -> f32 {
        let l = self.layout;
        let b = self.data[l.b_offset()];
        if !l.biases {
            return b;
        }
        self.data[l.user_bias_offset() + u as usize] + self.data[l.item_bias_offset() + i as usize] + b
    }

    /// Adds `d` to the gradients of the bias terms `bias_terms(u, i)` reads.
    #[inline]
    pub(crate) fn bias_grads(&self, grads: &mut [f32], u: u32, i: u32, d: f32) {
        let l = self.layout;
        if l.biases {
            grads[l.user_bias_offset() + u as usize] += d;
            grads[l.item_bias_offset() + i as usize] += d;
        }
        grads[l.b_offset()] += d;
    }

    /// Logits of `(users[t], items[t])`, in parallel chunks (the tower runs as batched
    /// matrix products).
    pub fn logits(&self, users: &[u32], items: &[u32]) -> Vec<f32> {
        use rayon::prelude::*;
        assert_eq!(users.len(), items.len());
        if !self.layout.kind.is_neural() {
            return users.par_iter().zip(items).map(|(&u, &i)| self.logit(u, i)).collect();
        }
        const CHUNK: usize = 1024;
        users
            .par_chunks(CHUNK)
            .zip(items.par_chunks(CHUNK))
            .flat_map_iter(|(u, i)| crate::neural::forward(self, u, i, None).z)
            .collect()
    }

    /// Adds the batch-mean gradient of a batch (`scale` = 1/B) into `grads` and returns the
    /// summed loss. `dropout` applies to the tower of neural models.
    #[allow(clippy::too_many_arguments)]
    pub fn batch_grad(
        &self,
        grads: &mut [f32],
        users: &[u32],
        items: &[u32],
        labels: &[f32],
        scale: f32,
        l2: f32,
        dropout: Option<crate::neural::DropoutSpec>,
        objective: Objective,
    ) -> f64 {
        if self.layout.kind.is_neural() {
            use crate::neural::{CHUNK_ROWS, backward, forward_rows};
            let mut loss = 0f64;
            for r0 in (0..users.len()).step_by(CHUNK_ROWS) {
                let r1 = (r0 + CHUNK_ROWS).min(users.len());
                let (u, i) = (&users[r0..r1], &items[r0..r1]);
                let fwd = forward_rows(self, u, i, dropout, r0);
                loss += backward(self, &fwd, u, i, &labels[r0..r1], scale, l2, objective, grads);
            }
            return loss;
        }
        let mut loss = 0f64;
        for t in 0..users.len() {
            loss += self.accumulate_grad(grads, users[t], items[t], labels[t], scale, l2, objective) as f64;
        }
        loss
    }

    /// Adds `scale · ∂ℓ/∂θ` of one sample into `grads` (same layout) and returns its loss
    /// `ℓ = BCE(z, y) + λ(‖p_u‖² + ‖q_i‖²)`. The L2 term (`l2` = λ) regularises the two
    /// embedding rows the sample uses, once per occurrence, as in Rendle et al.'s SGD for MF;
    /// unlike `weightDecay` it leaves untouched rows alone.
    /// With `d = σ(z) − y`: GMF ∂/∂p_u = d·h⊙q_i, ∂/∂q_i = d·h⊙p_u, ∂/∂h = d·p_u⊙q_i;
    /// MF ∂/∂p_u = d·q_i, ∂/∂q_i = d·p_u, ∂/∂b_u = ∂/∂b_i = d; both ∂/∂b = d; plus 2λp_u, 2λq_i.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn accumulate_grad(
        &self,
        grads: &mut [f32],
        u: u32,
        i: u32,
        label: f32,
        scale: f32,
        l2: f32,
        objective: Objective,
    ) -> f32 {
        debug_assert!(!self.layout.kind.is_neural(), "neural models use batch_grad");
        // The pair's rows (feature sums included) serve the score and its gradient.
        let (pt, qt) = self.gmf_rows(u, i);
        let z = self.gmf_score(&pt, &qt) + self.bias_terms(u, i);
        let (sample_loss, dz) = objective.eval(z, label);
        let d = dz * scale;
        let r = 2.0 * l2 * scale;
        let norm = gmf_branch_grad(self, grads, u, i, (&pt, &qt), d, r);
        self.bias_grads(grads, u, i, d);
        sample_loss + l2 * norm
    }
}

/// Adds one sample's gradient of the GMF term `hᵀ(p̃ ⊙ q̃)` (MF: `p̃ · q̃`, h = 1), with
/// `d = ∂ℓ/∂z` and the L2 term `r·p`, `r·q` on the embedding rows, into `grads`; returns
/// `‖p_u‖² + ‖q_i‖²`. Shared by GMF, MF and NeuMF's GMF branch: ∂/∂p̃ = d·h⊙q̃, ∂/∂q̃ = d·h⊙p̃,
/// ∂/∂h = d·p̃⊙q̃. With GMF-branch features p̃ = p_u + Σ w·G[row], so each bag row gets w·∂/∂p̃.
/// `(pt, qt)` are the pair's [`Params::gmf_rows`].
pub(crate) fn gmf_branch_grad(
    p: &Params,
    grads: &mut [f32],
    u: u32,
    i: u32,
    (pt, qt): (&[f32], &[f32]),
    d: f32,
    r: f32,
) -> f32 {
    let l = p.layout;
    let f = l.factors as usize;
    let (uo, io, ho) = (u as usize * f, l.item_offset() + i as usize * f, l.head_offset());
    let with_h = l.kind != ModelKind::Mf;
    let fd = l.features;
    let features = fd.gmf_user_table + fd.gmf_item_table > 0;
    let (mut dp, mut dq) = if features { (vec![0f32; f], vec![0f32; f]) } else { (Vec::new(), Vec::new()) };
    let mut norm = 0f32;
    for k in 0..f {
        let h = if with_h { p.data[ho + k] } else { 1.0 };
        let (p0, q0) = (p.data[uo + k], p.data[io + k]);
        let (gp, gq) = (d * h * qt[k], d * h * pt[k]);
        grads[uo + k] += gp + r * p0;
        grads[io + k] += gq + r * q0;
        if with_h {
            grads[ho + k] += d * pt[k] * qt[k];
        }
        norm += p0 * p0 + q0 * q0;
        if features {
            dp[k] = gp;
            dq[k] = gq;
        }
    }
    if features && let Some(sets) = p.features.as_deref() {
        if let Some(s) = &sets.users {
            s.scatter_sum(u, &dp, f, &mut grads[l.gmf_user_feature_offset()..][..fd.gmf_user_table as usize]);
        }
        if let Some(s) = &sets.items {
            s.scatter_sum(i, &dq, f, &mut grads[l.gmf_item_feature_offset()..][..fd.gmf_item_table as usize]);
        }
    }
    norm
}

/// What a model is trained to predict from its score z.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Objective {
    /// Implicit feedback: ŷ = σ(z), binary cross-entropy with sampled negatives (He et al. eq. 7).
    #[default]
    Bce,
    /// Explicit ratings: r̂ = z + `offset` (the training mean μ), squared error (r̂ − r)²; the
    /// batch mean of it is PyTorch's `MSELoss`.
    Squared { offset: f32 },
}

impl Objective {
    /// `(ℓ, ∂ℓ/∂z)` of one sample with score `z` and target `y`.
    #[inline]
    pub fn eval(self, z: f32, y: f32) -> (f32, f32) {
        match self {
            Objective::Bce => (bce_with_logits(z, y), sigmoid(z) - y),
            Objective::Squared { offset } => {
                let e = z + offset - y;
                (e * e, 2.0 * e)
            }
        }
    }
}

/// Logistic function, split by sign so `exp` never overflows.
#[inline]
pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Binary cross-entropy on a logit: `max(z,0) − z·y + ln(1 + e^{−|z|})`, stable for any z.
/// (`ln(1+x)` rather than `ln_1p` because WGSL has no `log1p`; both backends must agree.)
#[inline]
pub fn bce_with_logits(z: f32, y: f32) -> f32 {
    z.max(0.0) - z * y + (1.0 + (-z.abs()).exp()).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    const L2: f32 = 0.05;

    /// The loss written out independently of `Objective::eval`: BCE, or (z + μ − r)².
    fn loss_of(p: &Params, batch: &[(u32, u32, f32)], objective: Objective) -> f64 {
        let f = p.layout.factors as usize;
        let row = |o: usize| p.data[o..o + f].iter().map(|&x| (x * x) as f64).sum::<f64>();
        batch
            .iter()
            .map(|&(u, i, y)| {
                let reg = row(u as usize * f) + row(p.layout.item_offset() + i as usize * f);
                let z = p.logit(u, i) as f64;
                let sample = match objective {
                    Objective::Bce => bce_with_logits(z as f32, y) as f64,
                    Objective::Squared { offset } => (z + offset as f64 - y as f64).powi(2),
                };
                sample + L2 as f64 * reg
            })
            .sum::<f64>()
            / batch.len() as f64
    }

    /// Central finite differences (in f64 loss, step 1e-3) against the analytic gradient of
    /// the batch-mean BCE and of the batch-mean squared rating error, on every parameter the
    /// batch touches plus untouched ones (which must be 0).
    #[test]
    fn gradients_match_finite_differences() {
        for kind in [ModelKind::Gmf, ModelKind::Mf] {
            // GMF with and without user/item biases, MF with its biases and as a plain dot product.
            for biases in [false, true] {
                for objective in [Objective::Bce, Objective::Squared { offset: 3.5 }] {
                    gradients_match_finite_differences_for(kind, biases, objective);
                }
            }
        }
    }

    fn gradients_match_finite_differences_for(kind: ModelKind, biases: bool, objective: Objective) {
        let layout = Layout::new(kind, 5, 7, 4).unwrap().with_biases(biases).unwrap();
        assert_eq!(layout.len(), 12 * 4 + layout.h_len() + if biases { 12 } else { 0 } + 1);
        let mut p = Params::init(layout, 3);
        // Larger weights than the init so the loss surface is not flat.
        for (k, x) in p.data.iter_mut().enumerate() {
            *x = ((k as f32 * 0.37).sin()) * 0.8;
        }
        let mut batch = vec![(0, 1, 1.0), (0, 2, 0.0), (3, 1, 0.0), (4, 6, 1.0), (0, 1, 0.0)];
        if objective != Objective::Bce {
            // Ratings 1–5 around the offset.
            batch.iter_mut().enumerate().for_each(|(k, b)| b.2 = 1.0 + k as f32);
        }
        let mut g = vec![0f32; layout.len()];
        for &(u, i, y) in &batch {
            p.accumulate_grad(&mut g, u, i, y, 1.0 / batch.len() as f32, L2, objective);
        }
        let eps = 1e-3f32;
        for k in 0..layout.len() {
            let mut plus = p.clone();
            plus.data[k] += eps;
            let mut minus = p.clone();
            minus.data[k] -= eps;
            let fd = (loss_of(&plus, &batch, objective) - loss_of(&minus, &batch, objective)) / (2.0 * eps as f64);
            let tol = 1e-3 + 1e-2 * fd.abs();
            assert!(
                (fd - g[k] as f64).abs() <= tol,
                "{kind:?} {objective:?} param {k}: analytic {} vs finite difference {fd}",
                g[k]
            );
        }
        // Rows no sample touches get exactly zero.
        assert_eq!(g[layout.user_offset() + 4], 0.0); // user 1, factor 0
        assert!(g.iter().any(|&x| x.abs() > 1e-3));
        if biases {
            // b_1 (user 1 is in no sample) stays 0; b_0 and b_i of item 1 carry gradient.
            assert_eq!(g[layout.user_bias_offset() + 1], 0.0);
            assert!(g[layout.user_bias_offset()].abs() > 1e-4 && g[layout.item_bias_offset() + 1].abs() > 1e-4);
        }
    }

    /// A cold item described by an existing item's features scores as that item would with a
    /// zero id embedding; a cold user likewise.
    #[test]
    fn cold_start_scores_from_features_alone() {
        for (kind, biases, inputs) in crate::neural::tests::FEATURED {
            let p = crate::neural::tests::featured_in(kind, biases, inputs);
            let l = p.layout;
            let f = p.features.clone().unwrap();
            let item = 4u32; // genres b and c
            let user = 1u32;
            let item_bag = vec![f.items.as_ref().unwrap().bag(item, 0)]
                .into_iter()
                .map(|(r, w)| (r.to_vec(), w.to_vec()))
                .collect();
            let user_set = f.users.as_ref().unwrap();
            let user_bag = (0..user_set.slots.len())
                .map(|s| user_set.bag(user, s))
                .map(|(r, w)| (r.to_vec(), w.to_vec()))
                .collect();
            let cold = p.with_cold(&[user_bag], &[item_bag]).unwrap();
            assert_eq!((cold.layout.num_users, cold.layout.num_items), (l.num_users + 1, l.num_items + 1));
            // The reference: the same model with the item's and user's id embeddings zeroed.
            let mut zeroed = p.clone();
            let (fu, e) = (l.factors as usize, l.tower.embedding() as usize);
            for (off, w, r) in [
                (l.item_offset(), fu, item as usize),
                (l.mlp_item_offset(), e, item as usize),
                (0, fu, user as usize),
                (l.mlp_user_offset(), e, user as usize),
            ] {
                zeroed.data[off + r * w..off + (r + 1) * w].fill(0.0);
            }
            if biases {
                zeroed.data[l.user_bias_offset() + user as usize] = 0.0;
                zeroed.data[l.item_bias_offset() + item as usize] = 0.0;
            }
            let (nu, ni) = (l.num_users, l.num_items);
            let got = cold.logits(&[0, nu, nu], &[ni, 2, ni]);
            let want =
                [zeroed.logits(&[0], &[item])[0], zeroed.logits(&[user], &[2])[0], zeroed.logits(&[user], &[item])[0]];
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-6, "{kind:?}: cold {got:?} vs zeroed {want:?}");
            }
            // Known pairs are untouched.
            assert_eq!(cold.logits(&[2, 3], &[1, 5]), p.logits(&[2, 3], &[1, 5]));
            let e =
                Params::init(Layout::new(ModelKind::Mf, 2, 2, 2).unwrap(), 0).with_cold(&[], &[vec![]]).unwrap_err();
            assert!(e.to_string().contains("the model was built without them"), "{e}");
        }
    }

    #[test]
    fn bce_is_stable_at_extremes() {
        assert!((bce_with_logits(100.0, 1.0)).abs() < 1e-6);
        assert!((bce_with_logits(-100.0, 1.0) - 100.0).abs() < 1e-3);
        assert!((bce_with_logits(0.0, 0.0) - std::f32::consts::LN_2).abs() < 1e-6);
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
    }

    #[test]
    fn init_has_the_paper_statistics() {
        let layout = Layout::new(ModelKind::Gmf, 300, 400, 16).unwrap();
        let p = Params::init(layout, 1);
        let emb = &p.data[..layout.head_offset()];
        let mean = emb.iter().map(|&x| x as f64).sum::<f64>() / emb.len() as f64;
        let var = emb.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / emb.len() as f64;
        assert!(mean.abs() < 5e-4, "{mean}");
        assert!((var.sqrt() - 0.01).abs() < 5e-4, "{}", var.sqrt());
        assert_eq!(p.data[layout.b_offset()], 0.0);
        assert_ne!(Params::init(layout, 2).data, p.data);
        let mf = Layout::new(ModelKind::Mf, 300, 400, 16).unwrap();
        assert_eq!(mf.len(), 700 * 16 + 300 + 400 + 1);
        assert!(Params::init(mf, 1).data[mf.head_offset()..].iter().all(|&x| x == 0.0), "MF biases start at 0");
    }

    /// GMF with biases adds `b_u + b_i` to the same score; the biases sit between `h` and `b`.
    #[test]
    fn biased_gmf_adds_user_and_item_biases() {
        let plain = Layout::new(ModelKind::Gmf, 2, 3, 2).unwrap();
        let biased = plain.with_biases(true).unwrap();
        assert_eq!(biased.len(), plain.len() + 5);
        assert_eq!(
            (biased.user_bias_offset(), biased.item_bias_offset()),
            (plain.head_offset() + 2, plain.head_offset() + 4)
        );
        let p = Params::init(plain, 4);
        let mut data = p.data[..plain.b_offset()].to_vec();
        data.extend([0.1, -0.2, 0.3, 0.4, -0.5, 0.05]);
        let q = Params::from_vec(biased, data).unwrap();
        let want = p.logit(1, 2) - p.data[plain.b_offset()] + (-0.2 - 0.5 + 0.05);
        assert!((q.logit(1, 2) - want).abs() < 1e-6, "{} vs {want}", q.logit(1, 2));
        assert!(Params::init(biased, 1).data[biased.user_bias_offset()..].iter().all(|&x| x == 0.0));
        // MF without biases is the plain dot product.
        let dot = Layout::new(ModelKind::Mf, 2, 3, 2).unwrap().with_biases(false).unwrap();
        assert_eq!(dot.len(), 5 * 2 + 1);
    }

    #[test]
    fn mf_logit_is_dot_plus_biases() {
        let layout = Layout::new(ModelKind::Mf, 2, 3, 2).unwrap();
        // P = [[1,2],[3,4]], Q = [[.5,.5],[1,0],[0,1]], b_u = [.1,.2], b_i = [.3,.4,.5], b = .05
        let data = vec![1.0, 2.0, 3.0, 4.0, 0.5, 0.5, 1.0, 0.0, 0.0, 1.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.05];
        let p = Params::from_vec(layout, data).unwrap();
        assert!((p.logit(1, 2) - (4.0 + 0.2 + 0.5 + 0.05)).abs() < 1e-6);
        assert!((p.logit(0, 0) - (1.5 + 0.1 + 0.3 + 0.05)).abs() < 1e-6);
    }
}
