//! GMF and MF on the CPU, the twin of `ncf-gpu`'s `factorization.wgsl`: logits and per-sample
//! gradients (He et al. eq. 9–10; Rendle et al. 2020 for MF). [`Params::logit`],
//! [`Params::logits`] and [`Params::batch_grad`] also dispatch MLP and NeuMF to [`super::tower`].

use super::fused::TowerWorkspace;
use super::scoring::{bias_grads, bias_terms, gmf_branch_grad, gmf_rows, gmf_term};
use super::tower;
use crate::model::{ModelKind, Objective, Params};
use crate::train::DropoutSpec;

/// GMF's `hᵀ(p̃ ⊙ q̃)` or MF's `p̃ · q̃` of a pair's [`gmf_rows`] (no bias terms).
#[inline]
fn gmf_score(params: &Params, p: &[f32], q: &[f32]) -> f32 {
    let l = params.layout;
    match l.kind {
        ModelKind::Mf => gmf_term(-0.0, None, p, q),
        _ => gmf_term(-0.0, Some(&params.data[l.head_offset()..][..l.factors as usize]), p, q),
    }
}

impl Params {
    /// The logit `z` (before the sigmoid) of one pair. For many pairs use [`Params::logits`],
    /// which batches the MLP tower.
    #[inline]
    pub fn logit(&self, u: u32, i: u32) -> f32 {
        let l = self.layout;
        if l.kind.is_neural() {
            return tower::forward(self, &[u], &[i], None).z[0];
        }
        let (p, q) = gmf_rows(self, u, i);
        gmf_score(self, &p, &q) + bias_terms(self, u, i)
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
            .flat_map_iter(|(u, i)| tower::forward(self, u, i, None).z)
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
        dropout: Option<DropoutSpec>,
        objective: Objective,
    ) -> f64 {
        let mut ws = TowerWorkspace::default();
        self.batch_grad_with(&mut ws, grads, users, items, labels, scale, l2, dropout, objective)
    }

    /// [`Params::batch_grad`] with the tower's buffers in `ws` (the trainer keeps one, so a
    /// step allocates nothing).
    #[allow(clippy::too_many_arguments)]
    pub fn batch_grad_with(
        &self,
        ws: &mut TowerWorkspace,
        grads: &mut [f32],
        users: &[u32],
        items: &[u32],
        labels: &[f32],
        scale: f32,
        l2: f32,
        dropout: Option<DropoutSpec>,
        objective: Objective,
    ) -> f64 {
        if self.layout.kind.is_neural() {
            return ws.batch_grad(self, grads, users, items, labels, scale, l2, dropout, objective);
        }
        let mut loss = 0f64;
        for t in 0..users.len() {
            loss += self.accumulate_grad(grads, users[t], items[t], labels[t], scale, l2, objective) as f64;
        }
        loss
    }

    /// Adds `scale · ∂ℓ/∂θ` of one sample into `grads` (same layout) and returns its loss
    /// `ℓ = BCE(z, y) + λ(‖p_u‖² + ‖q_i‖² + b_u² + b_i²)`. The L2 term (`l2` = λ) regularises
    /// the two embedding rows and biases the sample uses, once per occurrence, as Rendle et
    /// al.'s SGD for MF does (`mf_simple.py`); unlike `weightDecay` it leaves untouched rows alone.
    /// With `d = σ(z) − y`: GMF ∂/∂p_u = d·h⊙q_i, ∂/∂q_i = d·h⊙p_u, ∂/∂h = d·p_u⊙q_i;
    /// MF ∂/∂p_u = d·q_i, ∂/∂q_i = d·p_u, ∂/∂b_u = ∂/∂b_i = d; both ∂/∂b = d; plus 2λp_u, 2λq_i,
    /// 2λb_u, 2λb_i.
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
        let (pt, qt) = gmf_rows(self, u, i);
        let z = gmf_score(self, &pt, &qt) + bias_terms(self, u, i);
        let (sample_loss, dz) = objective.eval(z, label);
        let d = dz * scale;
        let r = 2.0 * l2 * scale;
        let norm = gmf_branch_grad(self, grads, u, i, (&pt, &qt), d, r);
        let norm = norm + bias_grads(self, grads, u, i, d, r);
        sample_loss + l2 * norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Layout, ModelKind, bce_with_logits};

    const L2: f32 = 0.05;

    /// The loss written out independently of `Objective::eval`: BCE, or (z + μ − r)².
    fn loss_of(p: &Params, batch: &[(u32, u32, f32)], objective: Objective) -> f64 {
        let f = p.layout.factors as usize;
        let row = |o: usize| p.data[o..o + f].iter().map(|&x| (x * x) as f64).sum::<f64>();
        batch
            .iter()
            .map(|&(u, i, y)| {
                let l = p.layout;
                let mut reg = row(u as usize * f) + row(l.item_offset() + i as usize * f);
                if l.biases {
                    // The per-occurrence L2 covers the sample's two biases too (mf_simple.py).
                    let (bu, bi) =
                        (p.data[l.user_bias_offset() + u as usize], p.data[l.item_bias_offset() + i as usize]);
                    reg += (bu * bu) as f64 + (bi * bi) as f64;
                }
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
        for (k, &gk) in g.iter().enumerate() {
            let mut plus = p.clone();
            plus.data[k] += eps;
            let mut minus = p.clone();
            minus.data[k] -= eps;
            let fd = (loss_of(&plus, &batch, objective) - loss_of(&minus, &batch, objective)) / (2.0 * eps as f64);
            let tol = 1e-3 + 1e-2 * fd.abs();
            assert!(
                (fd - gk as f64).abs() <= tol,
                "{kind:?} {objective:?} param {k}: analytic {gk} vs finite difference {fd}"
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
