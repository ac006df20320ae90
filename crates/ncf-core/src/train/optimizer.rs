//! The optimizer options with PyTorch semantics (`torch.optim.Adam`, `torch.optim.SGD`) and
//! the scalars of one step, shared by both backends; the update math is the CPU backend's `optim.rs`
//! (and `ncf-gpu`'s `optim.wgsl`).

use crate::error::{NcfError, Result};

/// `weight_decay` is PyTorch's L2 penalty: `λ·p` is added to the gradient before the update
/// (coupled, as in `torch.optim.Adam`/`SGD`, not AdamW's decoupled decay).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    Adam {
        beta1: f32,
        beta2: f32,
        eps: f32,
        weight_decay: f32,
    },
    /// SGD with optional heavy-ball momentum (`torch.optim.SGD`, dampening 0, no Nesterov).
    Sgd {
        momentum: f32,
        weight_decay: f32,
    },
}

impl Optimizer {
    /// PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8.
    pub fn adam() -> Self {
        Optimizer::adam_with_decay(0.0)
    }

    pub fn adam_with_decay(weight_decay: f32) -> Self {
        Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay }
    }

    pub fn sgd() -> Self {
        Optimizer::Sgd { momentum: 0.0, weight_decay: 0.0 }
    }

    pub fn weight_decay(&self) -> f32 {
        match *self {
            Optimizer::Adam { weight_decay, .. } | Optimizer::Sgd { weight_decay, .. } => weight_decay,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let wd = self.weight_decay();
        if !(wd.is_finite() && wd >= 0.0) {
            return Err(NcfError::invalid("weightDecay", format!("must be a finite number >= 0, got {wd}")));
        }
        if let Optimizer::Adam { beta1, beta2, eps, .. } = *self {
            for (field, b) in [("beta1", beta1), ("beta2", beta2)] {
                if !(b.is_finite() && (0.0..1.0).contains(&b)) {
                    return Err(NcfError::invalid(field, format!("must be in [0, 1), got {b}")));
                }
            }
            if !(eps.is_finite() && eps > 0.0) {
                return Err(NcfError::invalid("eps", format!("must be a positive finite number, got {eps}")));
            }
        }
        if let Optimizer::Sgd { momentum, .. } = *self
            && !(momentum.is_finite() && (0.0..1.0).contains(&momentum))
        {
            return Err(NcfError::invalid("momentum", format!("must be in [0, 1), got {momentum}")));
        }
        Ok(())
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
            Optimizer::Sgd { .. } => StepScalars { step_size: lr, bc2_sqrt: 1.0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_hyperparameters_are_refused_by_name() {
        assert!(Optimizer::Sgd { momentum: 1.0, weight_decay: 0.0 }.validate().is_err());
        let wd = Optimizer::Sgd { momentum: 0.0, weight_decay: -1.0 }.validate().unwrap_err();
        assert!(wd.to_string().contains("weightDecay"), "{wd}");
        assert!(Optimizer::Sgd { momentum: 0.9, weight_decay: 0.0 }.validate().is_ok());
        assert!(Optimizer::adam_with_decay(0.0).validate().is_ok());
        assert!(Optimizer::adam_with_decay(f32::NAN).validate().is_err());
    }
}
