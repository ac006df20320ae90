//! The side features a model takes: where they enter ([`FeatureInputs`]), their sizes in the
//! flat layout ([`FeatureDims`]), and the encoded bags themselves ([`ModelFeatures`]).

use super::kind::ModelKind;
use crate::error::{NcfError, Result};
use crate::features::FeatureSet;

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
