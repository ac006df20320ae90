//! The optimizer updates on the CPU, the twin of `ncf-gpu`'s `optim.wgsl`: Adam and SGD with
//! PyTorch semantics (`torch.optim.Adam`, `torch.optim.SGD`), applied densely to every
//! parameter each step, as PyTorch does for dense `nn.Embedding` gradients. The options
//! ([`Optimizer`]) and per-step scalars ([`StepScalars`]) are backend-neutral (`crate::train`).

use crate::train::{Optimizer, StepScalars};

/// One Adam step on a slice, then clears the gradient (the GPU kernel does the same so the
/// next step accumulates from zero). Mirrors `torch.optim.adam._single_tensor_adam`:
/// `g ← g + λp`, `m ← m + (1−β1)(g − m)`, `v ← β2 v + (1−β2) g²`, `p ← p − s · m / (√v / √bc2 + ε)`.
#[inline]
pub fn adam_update(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], opt: Optimizer, s: StepScalars) {
    let Optimizer::Adam { beta1, beta2, eps, weight_decay } = opt else { unreachable!("adam_update with SGD") };
    for k in 0..p.len() {
        let gk = g[k] + weight_decay * p[k];
        m[k] += (1.0 - beta1) * (gk - m[k]);
        v[k] = beta2 * v[k] + (1.0 - beta2) * gk * gk;
        let denom = v[k].sqrt() / s.bc2_sqrt + eps;
        p[k] -= s.step_size * (m[k] / denom);
        g[k] = 0.0;
    }
}

/// SGD as `torch.optim.SGD` (dampening 0): `g ← g + λp`; with momentum μ > 0,
/// `b ← μb + g` (b starts at 0, so the first step sets b = g, as PyTorch does) and `g ← b`;
/// then `p ← p − lr·g`. Clears the gradient.
#[inline]
pub fn sgd_update(p: &mut [f32], g: &mut [f32], buf: &mut [f32], opt: Optimizer, s: StepScalars) {
    let Optimizer::Sgd { momentum, weight_decay } = opt else { unreachable!("sgd_update with Adam") };
    for k in 0..p.len() {
        let mut gk = g[k] + weight_decay * p[k];
        if momentum != 0.0 {
            buf[k] = momentum * buf[k] + gk;
            gk = buf[k];
        }
        p[k] -= s.step_size * gk;
        g[k] = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of `torch.optim.Adam(lr=0.1)` on p=1.0 with gradients 0.5, then −0.25,
    /// worked by hand from the update rule above.
    #[test]
    fn adam_matches_hand_computed_pytorch_steps() {
        let opt = Optimizer::adam();
        let (mut p, mut m, mut v) = ([1.0f32], [0f32], [0f32]);
        let mut g = [0.5f32];
        adam_update(&mut p, &mut g, &mut m, &mut v, opt, StepScalars::new(opt, 0.1, 1));
        // Step 1: m̂ = g, v̂ = g² → p = 1 − 0.1·sign(g) (ε negligible).
        assert!((p[0] - 0.9).abs() < 1e-6, "{}", p[0]);
        assert_eq!(g[0], 0.0);
        let mut g = [-0.25f32];
        adam_update(&mut p, &mut g, &mut m, &mut v, opt, StepScalars::new(opt, 0.1, 2));
        // m = 0.9·0.05 − 0.025 = 0.02 → m̂ = 0.02/0.19; v = 0.999·0.00025 + 0.001·0.0625
        let m2 = 0.9f64 * 0.05 + 0.1 * -0.25;
        let v2 = 0.999f64 * 0.00025 + 0.001 * 0.0625;
        let expect = 0.9 - 0.1 * (m2 / 0.19) / ((v2 / (1.0 - 0.999f64.powi(2))).sqrt() + 1e-8);
        assert!((p[0] as f64 - expect).abs() < 1e-6, "{} vs {expect}", p[0]);
    }

    #[test]
    fn sgd_steps_against_the_gradient() {
        let (mut p, mut g, mut b) = ([1.0f32, -2.0], [0.5f32, -1.0], [0f32; 2]);
        let opt = Optimizer::sgd();
        sgd_update(&mut p, &mut g, &mut b, opt, StepScalars::new(opt, 0.1, 1));
        assert_eq!(p, [0.95, -1.9]);
        assert_eq!(g, [0.0, 0.0]);
        assert_eq!(b, [0.0, 0.0], "no momentum buffer without momentum");
    }

    /// `torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01)` on p=1 with gradients 0.5
    /// then 0.5, worked by hand.
    #[test]
    fn sgd_momentum_and_weight_decay_match_hand_computed_steps() {
        let opt = Optimizer::Sgd { momentum: 0.9, weight_decay: 0.01 };
        let (mut p, mut b) = ([1.0f32], [0f32]);
        let s = StepScalars::new(opt, 0.1, 1);
        sgd_update(&mut p, &mut [0.5], &mut b, opt, s);
        // g = 0.5 + 0.01 = 0.51; b = 0.51; p = 1 − 0.051 = 0.949
        assert!((b[0] - 0.51).abs() < 1e-7 && (p[0] - 0.949).abs() < 1e-7, "{b:?} {p:?}");
        sgd_update(&mut p, &mut [0.5], &mut b, opt, s);
        // g = 0.5 + 0.00949 = 0.50949; b = 0.9·0.51 + 0.50949 = 0.96849; p = 0.949 − 0.096849
        assert!((b[0] - 0.96849).abs() < 1e-6, "{b:?}");
        assert!((p[0] - 0.852151).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn adam_weight_decay_is_added_to_the_gradient() {
        let opt = Optimizer::adam_with_decay(0.5);
        let (mut p, mut m, mut v) = ([2.0f32], [0f32], [0f32]);
        // g = 0 + 0.5·2 = 1 → first step moves p by −lr·sign(g).
        adam_update(&mut p, &mut [0.0], &mut m, &mut v, opt, StepScalars::new(opt, 0.1, 1));
        assert!((p[0] - 1.9).abs() < 1e-6, "{}", p[0]);
        assert!((m[0] - 0.1).abs() < 1e-7);
    }
}
