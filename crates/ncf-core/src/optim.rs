//! Optimizers with PyTorch semantics (`torch.optim.Adam`, `torch.optim.SGD`), applied densely
//! to every parameter each step, as PyTorch does for dense `nn.Embedding` gradients.

use crate::error::{NcfError, Result};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    Adam { beta1: f32, beta2: f32, eps: f32 },
    Sgd,
}

impl Optimizer {
    pub fn adam() -> Self {
        Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// Per-step scalars computed on the host in f64 and shared by both backends, so the bias
/// corrections of Kingma & Ba (Algorithm 1) are identical bits on CPU and GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepScalars {
    /// `lr / (1 − β1^t)` for Adam, `lr` for SGD.
    pub step_size: f32,
    /// `sqrt(1 − β2^t)` for Adam, 1 for SGD.
    pub bc2_sqrt: f32,
}

impl StepScalars {
    /// Scalars of step `t` (1-based, as in PyTorch's `state['step']`).
    pub fn new(opt: Optimizer, lr: f32, t: u64) -> Self {
        match opt {
            Optimizer::Adam { beta1, beta2, .. } => {
                let t = t.min(i32::MAX as u64) as i32;
                let bc1 = 1.0 - (beta1 as f64).powi(t);
                let bc2 = 1.0 - (beta2 as f64).powi(t);
                StepScalars { step_size: (lr as f64 / bc1) as f32, bc2_sqrt: bc2.sqrt() as f32 }
            }
            Optimizer::Sgd => StepScalars { step_size: lr, bc2_sqrt: 1.0 },
        }
    }
}

/// One Adam step on a slice, then clears the gradient (the GPU kernel does the same so the
/// next step accumulates from zero). Mirrors `torch.optim.adam._single_tensor_adam`:
/// `m ← m + (1−β1)(g − m)`, `v ← β2 v + (1−β2) g²`, `p ← p − s · m / (√v / √bc2 + ε)`.
#[inline]
pub fn adam_update(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], opt: Optimizer, s: StepScalars) {
    let Optimizer::Adam { beta1, beta2, eps } = opt else { unreachable!("adam_update with SGD") };
    for k in 0..p.len() {
        let gk = g[k];
        m[k] += (1.0 - beta1) * (gk - m[k]);
        v[k] = beta2 * v[k] + (1.0 - beta2) * gk * gk;
        let denom = v[k].sqrt() / s.bc2_sqrt + eps;
        p[k] -= s.step_size * (m[k] / denom);
        g[k] = 0.0;
    }
}

/// Plain SGD `p ← p − lr·g`, then clears the gradient.
#[inline]
pub fn sgd_update(p: &mut [f32], g: &mut [f32], s: StepScalars) {
    for k in 0..p.len() {
        p[k] -= s.step_size * g[k];
        g[k] = 0.0;
    }
}

pub fn parse_optimizer(name: &str) -> Result<Optimizer> {
    match name {
        "adam" => Ok(Optimizer::adam()),
        "sgd" => Ok(Optimizer::Sgd),
        other => Err(NcfError::invalid("optimizer", format!("must be 'adam' or 'sgd', got '{other}'"))),
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
        let (mut p, mut g) = ([1.0f32, -2.0], [0.5f32, -1.0]);
        sgd_update(&mut p, &mut g, StepScalars::new(Optimizer::Sgd, 0.1, 1));
        assert_eq!(p, [0.95, -1.9]);
        assert_eq!(g, [0.0, 0.0]);
    }
}
