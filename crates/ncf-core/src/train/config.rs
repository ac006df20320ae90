//! The hyperparameters of one `fit`, the same for every backend.

use super::dropout::DropoutSpec;
use super::optimizer::Optimizer;
use crate::error::{NcfError, Result};
use crate::metrics::RatingScale;
use crate::model::Objective;

/// Hyperparameters of one `fit`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    pub batch_size: u32,
    pub negatives: u32,
    pub optimizer: Optimizer,
    pub lr: f32,
    pub seed: u32,
    /// λ of the per-occurrence L2 penalty on the embedding rows a sample uses.
    pub l2: f32,
    /// Dropout probability after each ReLU of the MLP tower (MLP and NeuMF only).
    pub dropout: f32,
    /// Rating regression (`task: 'rating'`): squared error of r̂ = z + μ on the observed
    /// ratings only (so `negatives` must be 0), evaluated by RMSE/MAE/R² with this scale.
    /// `None`: implicit feedback with sampled negatives and BCE.
    pub rating: Option<RatingScale>,
    /// Row-sparse updates: a step updates only the embedding rows its batch uses (LazyAdam /
    /// `torch.optim.SparseAdam` semantics: untouched rows keep their moments undecayed), and
    /// the dense parameters (tower, predict layer, biases `b`, feature tables) as before.
    /// `false` is PyTorch's dense semantics: every parameter steps every batch.
    pub sparse: bool,
    /// How the epochs are trained, chosen once from the options.
    pub algorithm: Algorithm,
    /// Negatives drawn uniformly from every item, the user's positives included (Rendle et
    /// al. 2020, `mf_simple.py`); `false` draws only items the user has not interacted with
    /// (NCF §4.1).
    pub uniform_negatives: bool,
}

/// The training algorithms: each backend has its steps for the ones it runs, and the one
/// epoch loop (`crate::fit::Trainer`) drives them all.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Algorithm {
    /// Mini-batch gradient steps with the configured optimizer (He et al. 2017, §4.1).
    #[default]
    MiniBatch,
    /// Batch-1 SGD lock-free across the CPU's threads (Hogwild!: Niu et al., NIPS 2011).
    Hogwild,
    /// Implicit alternating least squares (`optimizer: 'als'`): batch size, negatives, the
    /// optimizer and lr do not apply.
    Als(AlsSpec),
}

impl Algorithm {
    /// The iALS hyperparameters, when the algorithm is ALS.
    pub fn als(self) -> Option<AlsSpec> {
        match self {
            Algorithm::Als(spec) => Some(spec),
            _ => None,
        }
    }
}

/// The hyperparameters of iALS (`crate::cpu::als`): Rendle et al. (2022)'s objective with
/// `reg·(|I_u| + α|I|)` per row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlsSpec {
    pub reg: f32,
    /// α, the weight of every unobserved pair.
    pub alpha: f32,
    /// 0: exact (Cholesky) solves; else conjugate-gradient steps per row and sweep.
    pub cg_steps: u32,
}

impl Default for AlsSpec {
    /// Rendle et al. (2022)'s ML-1M setting (reg 0.007, α 0.3) with implicit's 3 CG steps: what a
    /// fit's ALS options default to, and what an ALS model not yet fitted (or loaded from a file
    /// that does not say) solves fold-in rows with.
    fn default() -> Self {
        AlsSpec { reg: 0.007, alpha: 0.3, cg_steps: 3 }
    }
}

/// How fold-in solves a side's rows with everything else fixed (`recommender/fold_in.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RowSolve {
    /// ALS: the exact closed-form row of the iALS objective.
    Als(AlsSpec),
    /// The gradient-trained models: epochs of the training loss over these rows only.
    Steps(RowSteps),
}

/// Fold-in by gradient steps: `epochs` passes of BCE with `negatives` fresh negatives per
/// interaction (He et al. eq. 7, the fit's loss), one Adam step at `lr` per interaction (its
/// positive and negatives) on the folded row alone, `l2` as the fit's per-occurrence penalty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowSteps {
    pub epochs: u32,
    pub lr: f32,
    pub negatives: u32,
    pub l2: f32,
    pub seed: u32,
}

impl Default for RowSteps {
    fn default() -> Self {
        RowSteps { epochs: 20, lr: 0.01, negatives: 4, l2: 0.0, seed: 0 }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            batch_size: 256,
            negatives: 4,
            optimizer: Optimizer::adam(),
            lr: 0.001,
            seed: 0,
            l2: 0.0,
            dropout: 0.0,
            rating: None,
            sparse: false,
            algorithm: Algorithm::MiniBatch,
            uniform_negatives: false,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 || self.batch_size > 1 << 20 {
            return Err(NcfError::invalid("batchSize", format!("must be in 1..=1048576, got {}", self.batch_size)));
        }
        match self.objective() {
            Objective::Bce if self.negatives == 0 || self.negatives > 1000 => {
                return Err(NcfError::invalid("negatives", format!("must be in 1..=1000, got {}", self.negatives)));
            }
            Objective::Squared { .. } if self.negatives != 0 => {
                return Err(NcfError::invalid(
                    "negatives",
                    format!("rating regression trains on the observed ratings only; got {}", self.negatives),
                ));
            }
            Objective::Squared { offset } if !offset.is_finite() => {
                return Err(NcfError::invalid("mean", format!("must be finite, got {offset}")));
            }
            _ => {}
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(NcfError::invalid("lr", format!("must be a positive finite number, got {}", self.lr)));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(NcfError::invalid("l2", format!("must be a finite number >= 0, got {}", self.l2)));
        }
        if !(self.dropout.is_finite() && (0.0..0.95).contains(&self.dropout)) {
            return Err(NcfError::invalid("dropout", format!("must be in [0, 0.95), got {}", self.dropout)));
        }
        self.optimizer.validate()
    }

    /// The training loss this configuration asks for.
    pub fn objective(&self) -> Objective {
        match self.rating {
            Some(s) => Objective::Squared { offset: s.mean },
            None => Objective::Bce,
        }
    }

    /// Dropout of optimizer step `step` (1-based).
    pub fn dropout_at(&self, step: u64) -> Option<DropoutSpec> {
        DropoutSpec::new(self.dropout, self.seed, step)
    }

    /// Optimizer steps in one epoch of `samples` samples.
    pub fn steps_per_epoch(&self, samples: u32) -> u32 {
        samples.div_ceil(self.batch_size)
    }
}
