//! What a model is trained to predict from its score z, and the link functions both backends
//! share (`common.wgsl` has the same `sigmoid` and `bce_with_logits`).

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
    #[test]
    fn bce_is_stable_at_extremes() {
        assert!((bce_with_logits(100.0, 1.0)).abs() < 1e-6);
        assert!((bce_with_logits(-100.0, 1.0) - 100.0).abs() < 1e-3);
        assert!((bce_with_logits(0.0, 0.0) - std::f32::consts::LN_2).abs() < 1e-6);
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
    }
}
