//! The options of `optimizer: 'als'` (iALS): its own defaults (Rendle et al. 2022's ML-1M
//! setting) and the refusal of every option of gradient training.

use super::options::FitOptions;
use crate::error::{NcfError, Result};
use crate::recommender::{Recommender, TaskKind};

impl FitOptions {
    /// ALS's (α, conjugate-gradient steps), refusing every option of gradient training: ALS
    /// solves each row in closed form, so none of them would have an effect.
    pub(super) fn als_options(&self, model: &Recommender) -> Result<(f64, u32)> {
        let l = model.layout();
        if l.kind != crate::model::ModelKind::Mf || l.biases || l.features != Default::default() {
            return Err(NcfError::invalid(
                "optimizer",
                "'als' trains a dot-product model without biases or side features: use the ALS class \
                 (an MF with biases: false)",
            ));
        }
        if model.task().kind() == TaskKind::Rating {
            return Err(NcfError::invalid("optimizer", "'als' trains implicit feedback; task 'rating' is not for it"));
        }
        let unused = [
            ("batchSize", self.batch_size.is_some()),
            ("negatives", self.negatives.is_some()),
            ("lr", self.lr.is_some()),
            ("momentum", self.momentum.is_some()),
            ("weightDecay", self.weight_decay.is_some()),
            ("beta1", self.beta1.is_some()),
            ("beta2", self.beta2.is_some()),
            ("eps", self.eps.is_some()),
            ("sparse", self.sparse.is_some()),
            ("dropout", self.dropout.is_some()),
            ("reduceLrOnPlateau", self.reduce_lr_on_plateau.is_some()),
            ("hogwild", self.hogwild.is_some()),
            ("uniformNegatives", self.uniform_negatives.is_some()),
        ];
        if let Some((field, _)) = unused.iter().find(|u| u.1) {
            return Err(NcfError::invalid(
                *field,
                "does not apply to optimizer 'als', which solves each row in closed form (its options: l2, alpha, cgSteps)",
            ));
        }
        // Rendle et al. (2022), ML-1M: α 0.3.
        let alpha = self.alpha.unwrap_or(0.3);
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(NcfError::invalid("alpha", format!("must be a finite number >= 0, got {alpha}")));
        }
        if let Some(l2) = self.l2
            && !(l2.is_finite() && l2 > 0.0)
        {
            return Err(NcfError::invalid("l2", format!("ALS needs a positive regularization, got {l2}")));
        }
        let cg = self.cg_steps.unwrap_or(3);
        if cg > 1000 {
            return Err(NcfError::invalid("cgSteps", format!("must be in 0..=1000, got {cg}")));
        }
        Ok((alpha, cg))
    }
}
