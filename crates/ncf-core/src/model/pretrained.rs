//! NeuMF-pre (He et al. §3.4.1): a NeuMF built from a trained GMF and a trained MLP, a
//! transform of their parameters.

use super::features::FeatureDims;
use super::kind::ModelKind;
use super::layout::Layout;
use super::params::Params;
use crate::error::{NcfError, Result};

/// NeuMF-pre (§3.4.1): the GMF and MLP embeddings and tower copied from trained models, and the
/// predict layer `h = [α·h_GMF ; (1−α)·h_MLP]`, `b = α·b_GMF + (1−α)·b_MLP` (and the user and
/// item biases alike, when either model has them), so the first
/// forward pass is exactly `α·z_GMF + (1−α)·z_MLP`. An MF (or ALS) may stand in for the GMF:
/// a dot product is a GMF with h = 1, so its branch starts as `α·(p·q + biases)`.
pub fn neumf_from_pretrained(gmf: &Params, mlp: &Params, alpha: f32) -> Result<Params> {
    let (g, m) = (gmf.layout, mlp.layout);
    if !matches!(g.kind, ModelKind::Gmf | ModelKind::Mf) {
        return Err(NcfError::invalid("gmf", format!("must be a GMF or MF model, got {}", g.kind.name())));
    }
    if m.kind != ModelKind::Mlp {
        return Err(NcfError::invalid("mlp", format!("must be an MLP model, got {}", m.kind.name())));
    }
    if (g.num_users, g.num_items) != (m.num_users, m.num_items) {
        return Err(NcfError::invalid(
            "mlp",
            format!(
                "has {} users × {} items but the GMF has {} × {}; both must be trained on the same ids",
                m.num_users, m.num_items, g.num_users, g.num_items
            ),
        ));
    }
    if !(alpha.is_finite() && (0.0..=1.0).contains(&alpha)) {
        return Err(NcfError::invalid("alpha", format!("must be in [0, 1], got {alpha}")));
    }
    if g.features != FeatureDims::default() || m.features != FeatureDims::default() {
        return Err(NcfError::invalid("mlp", "NeuMF-pre fuses models without side features"));
    }
    let biases = g.biases || m.biases;
    let layout = Layout::neural(ModelKind::NeuMf, g.num_users, g.num_items, g.factors, m.tower)?.with_biases(biases)?;
    let mut data = Vec::with_capacity(layout.len());
    data.extend_from_slice(&gmf.data[..g.head_offset()]);
    data.extend_from_slice(&mlp.data[..m.head_offset()]);
    if g.kind == ModelKind::Mf {
        data.extend(std::iter::repeat_n(alpha, g.factors as usize));
    } else {
        data.extend(gmf.data[g.head_offset()..g.user_bias_offset()].iter().map(|&h| alpha * h));
    }
    data.extend(mlp.data[m.head_offset()..m.user_bias_offset()].iter().map(|&h| (1.0 - alpha) * h));
    if biases {
        // b_u and b_i blend like b, a model without them contributing 0.
        let bias = |p: &Params, o: usize| if p.layout.biases { p.data[o] } else { 0.0 };
        for u in 0..g.num_users as usize {
            data.push(
                alpha * bias(gmf, g.user_bias_offset() + u) + (1.0 - alpha) * bias(mlp, m.user_bias_offset() + u),
            );
        }
        for i in 0..g.num_items as usize {
            data.push(
                alpha * bias(gmf, g.item_bias_offset() + i) + (1.0 - alpha) * bias(mlp, m.item_bias_offset() + i),
            );
        }
    }
    data.push(alpha * gmf.data[g.b_offset()] + (1.0 - alpha) * mlp.data[m.b_offset()]);
    Params::from_vec(layout, data)
}
