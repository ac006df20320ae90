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
    let layout = fused_layout(gmf.layout, mlp.layout, alpha)?;
    Params::from_vec(layout, blend(gmf.layout, mlp.layout, &gmf.data, &mlp.data, alpha, Blend::Weights))
}

/// One of Adam's moments for fine-tuning NeuMF-pre, carried over from its parts' pretraining,
/// in the layout [`neumf_from_pretrained`] builds:
/// `power` 1 for the first moment `m`, 2 for the second `v`. NeuMF's gradient of a GMF
/// embedding, or of the MLP's embeddings and tower, is its part's gradient times α or 1 − α
/// (the predict layer scales the branch), so `m` scales by that factor and `v` by its square;
/// the predict layer's gradient keeps its scale, so `h` keeps its moments; the biases blend as
/// the weights do. An MF has no moments (Hogwild SGD) and is refused.
/// `train::OptimizerState::neumf_pre` assembles both moments and the step count.
pub fn neumf_moment_from_pretrained(
    gmf: Layout,
    mlp: Layout,
    gmf_moment: &[f32],
    mlp_moment: &[f32],
    alpha: f32,
    power: i32,
) -> Result<Vec<f32>> {
    fused_layout(gmf, mlp, alpha)?;
    if gmf.kind != ModelKind::Gmf {
        return Err(NcfError::invalid("gmf", "Adam's moments carry over from a GMF only (an MF trains by plain SGD)"));
    }
    for (name, l, moment) in [("gmf", gmf, gmf_moment), ("mlp", mlp, mlp_moment)] {
        if moment.len() != l.len() {
            return Err(NcfError::invalid(
                name,
                format!("its moments hold {} values; the model has {}", moment.len(), l.len()),
            ));
        }
    }
    Ok(blend(gmf, mlp, gmf_moment, mlp_moment, alpha, Blend::Moment { power }))
}

/// NeuMF-pre's layout from its parts', refusing parts that cannot fuse.
fn fused_layout(g: Layout, m: Layout, alpha: f32) -> Result<Layout> {
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
    Layout::neural(ModelKind::NeuMf, g.num_users, g.num_items, g.factors, m.tower)?.with_biases(g.biases || m.biases)
}

/// What [`blend`] assembles: the weights, or one of Adam's moments (`power` 1 for `m`, 2 for `v`).
#[derive(Clone, Copy)]
enum Blend {
    Weights,
    Moment { power: i32 },
}

/// Assembles a vector in NeuMF's layout from the parts' vectors `gd` and `md` (weights or
/// moments, per `how`); the layouts are checked by [`fused_layout`].
fn blend(g: Layout, m: Layout, gd: &[f32], md: &[f32], alpha: f32, how: Blend) -> Vec<f32> {
    let biases = g.biases || m.biases;
    // Embeddings and tower: weights as they are; moments scaled with their gradient.
    let (branch_g, branch_m) = match how {
        Blend::Weights => (1.0, 1.0),
        Blend::Moment { power } => (alpha.powi(power), (1.0 - alpha).powi(power)),
    };
    let mut out = Vec::with_capacity(gd.len() + md.len());
    out.extend(gd[..g.head_offset()].iter().map(|&x| branch_g * x));
    out.extend(md[..m.head_offset()].iter().map(|&x| branch_m * x));
    // The predict layer: h = [α·h_GMF ; (1−α)·h_MLP]; its moments are the parts' own.
    let (head_g, head_m) = match how {
        Blend::Weights => (alpha, 1.0 - alpha),
        Blend::Moment { .. } => (1.0, 1.0),
    };
    if g.kind == ModelKind::Mf {
        // A dot product is a GMF with h = 1 (and no moments for it).
        let h = if matches!(how, Blend::Weights) { alpha } else { 0.0 };
        out.extend(std::iter::repeat_n(h, g.factors as usize));
    } else {
        out.extend(gd[g.head_offset()..g.user_bias_offset()].iter().map(|&h| head_g * h));
    }
    out.extend(md[m.head_offset()..m.user_bias_offset()].iter().map(|&h| head_m * h));
    // b_u, b_i and b blend by α, a model without biases contributing 0.
    let mix = |x: f32, y: f32| alpha * x + (1.0 - alpha) * y;
    if biases {
        let bias = |l: Layout, d: &[f32], o: usize| if l.biases { d[o] } else { 0.0 };
        for u in 0..g.num_users as usize {
            out.push(mix(bias(g, gd, g.user_bias_offset() + u), bias(m, md, m.user_bias_offset() + u)));
        }
        for i in 0..g.num_items as usize {
            out.push(mix(bias(g, gd, g.item_bias_offset() + i), bias(m, md, m.item_bias_offset() + i)));
        }
    }
    out.push(mix(gd[g.b_offset()], md[m.b_offset()]));
    out
}

#[cfg(test)]
#[path = "pretrained_tests.rs"]
mod tests;
