//! Adam's state carried from NeuMF-pre's pretrained parts into its fine-tuning (measured in
//! BENCHMARKS.md, where it changes nothing beyond noise).

use super::control::OptimizerState;
use crate::error::Result;
use crate::model::{Layout, neumf_moment_from_pretrained};

impl OptimizerState {
    /// NeuMF-pre's starting optimizer state from its GMF's and MLP's (see
    /// [`neumf_moment_from_pretrained`] for how each block maps). The step count is the larger
    /// of the two, so Adam's bias correction stays as far along as pretraining left it; the
    /// epoch count restarts at 0, as fine-tuning counts its own epochs.
    pub fn neumf_pre(gmf: Layout, mlp: Layout, g: &OptimizerState, m: &OptimizerState, alpha: f32) -> Result<Self> {
        Ok(OptimizerState {
            m: neumf_moment_from_pretrained(gmf, mlp, &g.m, &m.m, alpha, 1)?,
            v: neumf_moment_from_pretrained(gmf, mlp, &g.v, &m.v, alpha, 2)?,
            step: g.step.max(m.step),
            epoch: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, Tower};

    #[test]
    fn both_moments_map_the_step_carries_and_the_epoch_restarts() {
        let gl = Layout::new(ModelKind::Gmf, 5, 7, 3).unwrap();
        let ml = Layout::neural(ModelKind::Mlp, 5, 7, 0, Tower::new(&[8, 6, 4]).unwrap()).unwrap();
        let state = |l: Layout, step: u64| OptimizerState {
            m: (0..l.len()).map(|k| 1.0 + k as f32).collect(),
            v: (0..l.len()).map(|k| 2.0 + k as f32).collect(),
            step,
            epoch: 9,
        };
        let s = OptimizerState::neumf_pre(gl, ml, &state(gl, 40), &state(ml, 70), 0.5).unwrap();
        assert_eq!((s.step, s.epoch), (70, 0));
        // The first GMF embedding value: m scales by α, v by α².
        assert_eq!((s.m[0], s.v[0]), (0.5, 0.5));
        assert_eq!(s.m.len(), s.v.len());
        let short = OptimizerState { v: vec![0.0; 2], ..state(gl, 1) };
        let err = OptimizerState::neumf_pre(gl, ml, &short, &state(ml, 1), 0.5).unwrap_err();
        assert!(err.to_string().starts_with("gmf: its moments hold 2 values"), "{err}");
    }
}
