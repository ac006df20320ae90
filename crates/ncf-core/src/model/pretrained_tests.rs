//! NeuMF-pre's carried moments: each block lands where `neumf_from_pretrained` puts its
//! weights, scaled as NeuMF's gradient of that block is scaled against its part's.

use super::*;
use crate::model::{Objective, Tower};

fn wavy(layout: Layout, phase: f32) -> Params {
    let mut p = Params::init(layout, 1);
    for (k, x) in p.data.iter_mut().enumerate() {
        *x = (k as f32 * 0.37 + phase).sin() * 0.6;
    }
    p
}

fn grad(p: &Params, u: u32, i: u32, y: f32) -> (Vec<f32>, f32) {
    let mut g = vec![0f32; p.data.len()];
    p.batch_grad(&mut g, &[u], &[i], &[y], 1.0, 0.0, None, Objective::Bce);
    let z = p.logits(&[u], &[i])[0];
    (g, 1.0 / (1.0 + (-z).exp()) - y)
}

/// The rationale of the scaling, checked on one sample: NeuMF's gradient of every GMF
/// embedding and of every MLP embedding and tower weight is the part's own gradient times
/// α (resp. 1 − α) times the ratio of the residuals σ(z) − y; of `h` it is the part's times
/// the ratio alone. So for moments built from the parts' gradients, `m` scales by α and `v`
/// by α², and `h` keeps its own.
#[test]
fn neumf_gradients_are_the_parts_scaled_by_alpha() {
    let tower = Tower::new(&[8, 6, 4]).unwrap();
    let gmf = wavy(Layout::new(ModelKind::Gmf, 5, 7, 3).unwrap(), 0.0);
    let mut mlp = wavy(Layout::neural(ModelKind::Mlp, 5, 7, 0, tower).unwrap(), 1.0);
    // Positive tower biases keep the ReLUs active, so the tower gradient is not zero.
    for l in 1..=tower.layers() {
        let (_, o) = tower.dims(l);
        let at = mlp.layout.layer_bias_offset(l);
        for x in &mut mlp.data[at..at + o] {
            *x = x.abs() + 0.3;
        }
    }
    let alpha = 0.3f32;
    let neumf = neumf_from_pretrained(&gmf, &mlp, alpha).unwrap();
    let (gl, ml) = (gmf.layout, mlp.layout);
    // The positions of the parts' blocks in NeuMF's vector, as `blend` lays them out.
    let gmf_emb = 0..gl.head_offset();
    let mlp_emb = gl.head_offset()..gl.head_offset() + ml.head_offset();
    let h = mlp_emb.end..mlp_emb.end + gl.h_len() + ml.h_len();
    for (u, i, y) in [(1u32, 2u32, 1.0f32), (4, 6, 0.0)] {
        let (gg, rg) = grad(&gmf, u, i, y);
        let (gm, rm) = grad(&mlp, u, i, y);
        let (gn, rn) = grad(&neumf, u, i, y);
        let close = |a: f32, b: f32, what: &str| {
            assert!((a - b).abs() <= 1e-6 + 1e-4 * b.abs(), "{what}: {a} vs {b}");
        };
        let mut nonzero = 0;
        for k in gmf_emb.clone() {
            close(gn[k], alpha * rn / rg * gg[k], "GMF embedding");
            nonzero += usize::from(gg[k] != 0.0);
        }
        for (k, n) in mlp_emb.clone().enumerate() {
            close(gn[n], (1.0 - alpha) * rn / rm * gm[k], "MLP embedding or tower");
            nonzero += usize::from(gm[k] != 0.0);
        }
        let parts_h: Vec<f32> = gg[gl.head_offset()..gl.user_bias_offset()]
            .iter()
            .map(|g| rn / rg * g)
            .chain(gm[ml.head_offset()..ml.user_bias_offset()].iter().map(|g| rn / rm * g))
            .collect();
        for (k, want) in h.clone().zip(parts_h) {
            close(gn[k], want, "h");
        }
        assert!(nonzero > 20, "the sample reaches the blocks ({nonzero} nonzero gradients)");
    }
}

#[test]
fn moments_land_in_neumfs_layout_scaled_by_their_branch() {
    let tower = Tower::new(&[8, 6, 4]).unwrap();
    let gl = Layout::new(ModelKind::Gmf, 5, 7, 3).unwrap();
    let ml = Layout::neural(ModelKind::Mlp, 5, 7, 0, tower).unwrap();
    let moment = |l: Layout, base: f32| (0..l.len()).map(|k| base + k as f32).collect::<Vec<f32>>();
    let (gs, ms) = (moment(gl, 1.0), moment(ml, 1000.0));
    let alpha = 0.25f32;
    let neumf = fused_layout(gl, ml, alpha).unwrap();
    let (g_end, m_end) = (gl.head_offset(), gl.head_offset() + ml.head_offset());
    for power in [1, 2] {
        let c = neumf_moment_from_pretrained(gl, ml, &gs, &ms, alpha, power).unwrap();
        assert_eq!(c.len(), neumf.len());
        // Embeddings and tower: scaled by their branch's factor (m) or its square (v).
        for k in [0, g_end - 1] {
            assert_eq!(c[k], alpha.powi(power) * gs[k]);
        }
        for k in [0, ml.head_offset() - 1] {
            assert_eq!(c[g_end + k], 0.75f32.powi(power) * ms[k]);
        }
        // h: the GMF's then the MLP's, unscaled.
        assert_eq!(c[m_end], gs[gl.head_offset()]);
        assert_eq!(c[m_end + gl.h_len()], ms[ml.head_offset()]);
        assert_eq!(c[m_end + gl.h_len() + ml.h_len() - 1], ms[ml.user_bias_offset() - 1]);
        // b blends as the weights do.
        assert_eq!(c[neumf.b_offset()], alpha * gs[gl.b_offset()] + 0.75 * ms[ml.b_offset()]);
    }
    // What cannot carry is refused by name.
    let mf = Layout::new(ModelKind::Mf, 5, 7, 3).unwrap();
    let err = neumf_moment_from_pretrained(mf, ml, &moment(mf, 0.0), &ms, alpha, 1).unwrap_err();
    assert!(err.to_string().contains("an MF trains by plain SGD"), "{err}");
    let err = neumf_moment_from_pretrained(gl, ml, &gs[..3], &ms, alpha, 1).unwrap_err();
    assert!(err.to_string().starts_with("gmf: its moments hold 3 values"), "{err}");
    assert!(neumf_moment_from_pretrained(gl, ml, &gs, &ms, 1.5, 1).is_err());
}
