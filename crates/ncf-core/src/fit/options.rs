//! The options of a fit, typed, with their defaults resolved here and nowhere else, and the
//! fingerprint a checkpoint stores so that a resumed fit is the same fit.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::control::{Control, Monitor, PlateauConfig};
use crate::error::{NcfError, Result};
use crate::recommender::{Corpus, Recommender, TaskKind};
use crate::train::{Algorithm, AlsSpec, Optimizer, TrainConfig};

/// Where a fit finds the cases that choose epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validation {
    None,
    /// Hold one more interaction per user out of the training data, with its own negatives.
    LeaveOneOut,
    /// The validation cases the dataset was split with.
    Dataset,
}

impl Validation {
    pub fn name(self) -> &'static str {
        match self {
            Validation::None => "none",
            Validation::LeaveOneOut => "leave-one-out",
            Validation::Dataset => "dataset",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    Adam,
    Sgd,
    /// Implicit alternating least squares (a dot-product model without biases: `ALS`).
    Als,
}

/// `ReduceLROnPlateau` as the caller gave it; unset fields take PyTorch's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Plateau {
    pub factor: Option<f64>,
    pub patience: Option<u32>,
    pub min_lr: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlyStopping {
    pub patience: u32,
}

/// Write a checkpoint every `every` epochs (and at the last one) to `path`.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointSchedule {
    pub path: PathBuf,
    pub every: Option<u32>,
}

/// What the caller asked of a fit; `None` takes the default.
#[derive(Clone, Debug, Default)]
pub struct FitOptions {
    pub epochs: Option<u32>,
    pub batch_size: Option<u32>,
    pub negatives: Option<u32>,
    pub optimizer: Option<OptimizerKind>,
    pub momentum: Option<f64>,
    pub weight_decay: Option<f64>,
    /// Adam's β1, β2 and ε (PyTorch's defaults 0.9, 0.999, 1e-8; NVIDIA's large-batch NCF
    /// recipe uses β1 0.25, β2 0.5).
    pub beta1: Option<f64>,
    pub beta2: Option<f64>,
    pub eps: Option<f64>,
    /// Row-sparse embedding updates ([`TrainConfig::sparse`]).
    pub sparse: Option<bool>,
    pub l2: Option<f64>,
    /// ALS: the weight α of every unobserved pair.
    pub alpha: Option<f64>,
    /// Batch-1 SGD lock-free across the CPU's threads (Hogwild!), Rendle et al.'s MF recipe.
    pub hogwild: Option<bool>,
    /// Negatives uniform over every item, positives included ([`TrainConfig::uniform_negatives`]).
    pub uniform_negatives: Option<bool>,
    /// ALS: conjugate-gradient steps per row and sweep (default 3; 0: exact solves, CPU only).
    pub cg_steps: Option<u32>,
    pub dropout: Option<f64>,
    pub lr: Option<f64>,
    pub seed: Option<u32>,
    pub validation: Option<Validation>,
    pub validation_negatives: Option<u32>,
    pub monitor: Option<Monitor>,
    pub reduce_lr_on_plateau: Option<Plateau>,
    pub early_stopping: Option<EarlyStopping>,
    pub restore_best: Option<bool>,
    /// The K of HR@K / NDCG@K reported per epoch.
    pub k: Option<u32>,
    /// Evaluate after each epoch (false: train only).
    pub evaluate: Option<bool>,
    pub checkpoint: Option<CheckpointSchedule>,
    pub resume_from: Option<PathBuf>,
    /// Report live progress and accept cancellation (on the GPU, at most two submits then
    /// stay in flight so the host can report each one).
    pub progress: bool,
}

/// Every option with its value for this model and dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub epochs: u32,
    pub batch_size: u32,
    pub negatives: u32,
    pub optimizer: OptimizerKind,
    pub momentum: Option<f64>,
    pub weight_decay: f64,
    /// Adam's (β1, β2, ε) when any was given; `None` keeps PyTorch's defaults.
    pub betas: Option<(f64, f64, f64)>,
    pub sparse: bool,
    pub l2: f64,
    /// ALS's (α, conjugate-gradient steps), with `optimizer: 'als'`.
    pub als: Option<(f64, u32)>,
    pub hogwild: bool,
    pub uniform_negatives: bool,
    pub dropout: f64,
    pub lr: f64,
    pub seed: u32,
    pub validation: Validation,
    pub validation_negatives: u32,
    pub monitor: Monitor,
    /// factor, patience, minimum lr, as given (f64, so the fingerprint round-trips).
    pub plateau: Option<(f64, u32, f64)>,
    pub early_stopping: Option<u32>,
    pub restore_best: bool,
    pub k: u32,
    pub evaluate: bool,
    pub checkpoint: Option<(PathBuf, u32)>,
}

fn positive(field: &str, v: u32) -> Result<u32> {
    if v == 0 {
        return Err(NcfError::invalid(field, "must be a positive integer, got 0"));
    }
    Ok(v)
}

impl FitOptions {
    /// The defaults of the paper's setting (He et al. §4.1: 4 negatives per positive, batch
    /// 256, Adam at 1e-3; NeuMF-pre fine-tunes with SGD §3.4.1), for this model and data.
    pub fn resolve(&self, model: &Recommender, data: &Corpus) -> Result<Resolved> {
        let rating = model.task().kind() == TaskKind::Rating;
        let validation = self.validation.unwrap_or(if data.data.validation.is_some() {
            Validation::Dataset
        } else {
            Validation::None
        });
        if validation == Validation::Dataset && data.data.validation.is_none() {
            return Err(NcfError::invalid(
                "validation",
                "'dataset' needs a dataset with validation cases: split it with { validation: true } or a validationRatio",
            ));
        }
        // torch.optim.lr_scheduler.ReduceLROnPlateau's defaults.
        let plateau = self
            .reduce_lr_on_plateau
            .map(|p| (p.factor.unwrap_or(0.1), p.patience.unwrap_or(10), p.min_lr.unwrap_or(0.0)));
        let lr = self.lr.unwrap_or(0.001);
        if !(lr.is_finite() && lr > 0.0) {
            return Err(NcfError::invalid("lr", format!("must be a positive number, got {lr}")));
        }
        let early_stopping = self.early_stopping.map(|e| positive("earlyStopping.patience", e.patience)).transpose()?;
        let hogwild = self.hogwild.unwrap_or(false);
        let optimizer = self.optimizer.unwrap_or(if model.pretrained() || hogwild {
            OptimizerKind::Sgd
        } else if model.is_als() {
            OptimizerKind::Als
        } else {
            OptimizerKind::Adam
        });
        let als = if optimizer == OptimizerKind::Als {
            Some(self.als_options(model)?)
        } else {
            for (field, given) in [("alpha", self.alpha.is_some()), ("cgSteps", self.cg_steps.is_some())] {
                if given {
                    return Err(NcfError::invalid(field, "applies to optimizer 'als' only"));
                }
            }
            None
        };
        if self.uniform_negatives == Some(true) && (rating || self.negatives == Some(0)) {
            return Err(NcfError::invalid(
                "uniformNegatives",
                "applies only where negatives are sampled (negatives > 0)",
            ));
        }
        let checkpoint = match &self.checkpoint {
            Some(c) if c.path.as_os_str().is_empty() => {
                return Err(NcfError::invalid("checkpoint", "must be { path, every? } with a non-empty path"));
            }
            Some(c) => Some((c.path.clone(), positive("checkpoint.every", c.every.unwrap_or(1))?)),
            None => None,
        };
        Ok(Resolved {
            epochs: positive("epochs", self.epochs.unwrap_or(20))?,
            // Hogwild! steps one sample at a time.
            batch_size: self.batch_size.unwrap_or(if hogwild { 1 } else { 256 }),
            negatives: self.negatives.unwrap_or(if rating { 0 } else { 4 }),
            optimizer,
            momentum: self.momentum,
            weight_decay: self.weight_decay.unwrap_or(0.0),
            betas: (self.beta1.is_some() || self.beta2.is_some() || self.eps.is_some())
                .then(|| (self.beta1.unwrap_or(0.9), self.beta2.unwrap_or(0.999), self.eps.unwrap_or(1e-8))),
            sparse: self.sparse.unwrap_or(false),
            // Rendle et al.'s ML-1M setting (reg 0.007) for ALS; no penalty for the others.
            l2: self.l2.unwrap_or(if als.is_some() { 0.007 } else { 0.0 }),
            als,
            hogwild,
            uniform_negatives: self.uniform_negatives.unwrap_or(false),
            dropout: self.dropout.unwrap_or(0.0),
            lr,
            seed: self.seed.unwrap_or(0),
            validation,
            validation_negatives: self.validation_negatives.unwrap_or(99),
            monitor: self.monitor.unwrap_or(if rating { Monitor::Rmse } else { Monitor::Hr }),
            plateau,
            early_stopping,
            restore_best: self.restore_best.unwrap_or(true),
            k: positive("k", self.k.unwrap_or(10))?,
            evaluate: self.evaluate.unwrap_or(true),
            checkpoint,
        })
    }
}

impl Resolved {
    pub fn optimizer(&self) -> Result<Optimizer> {
        let wd = self.weight_decay as f32;
        if let (OptimizerKind::Sgd, Some(_)) = (self.optimizer, self.betas) {
            return Err(NcfError::invalid("beta1", "beta1, beta2 and eps apply to optimizer 'adam' only"));
        }
        let opt = match (self.optimizer, self.momentum) {
            (OptimizerKind::Adam, None) => match self.betas {
                None => Optimizer::adam_with_decay(wd),
                Some((b1, b2, eps)) => {
                    Optimizer::Adam { beta1: b1 as f32, beta2: b2 as f32, eps: eps as f32, weight_decay: wd }
                }
            },
            (OptimizerKind::Adam, Some(_)) => {
                return Err(NcfError::invalid(
                    "momentum",
                    "applies to optimizer 'sgd' only; Adam keeps its own moment estimates",
                ));
            }
            (OptimizerKind::Sgd, m) => Optimizer::Sgd { momentum: m.unwrap_or(0.0) as f32, weight_decay: wd },
            // ALS takes no gradient steps; the session's optimizer state is its epoch count.
            (OptimizerKind::Als, _) => Optimizer::sgd(),
        };
        opt.validate()?;
        Ok(opt)
    }

    /// The trainer's configuration (the rating scale is set by the fit).
    pub fn train_config(&self) -> Result<TrainConfig> {
        Ok(TrainConfig {
            batch_size: self.batch_size,
            negatives: self.negatives,
            optimizer: self.optimizer()?,
            lr: self.lr as f32,
            seed: self.seed,
            l2: self.l2 as f32,
            dropout: self.dropout as f32,
            rating: None,
            sparse: self.sparse,
            // ALS refuses hogwild (als_options), so at most one applies.
            algorithm: match (self.als, self.hogwild) {
                (Some((alpha, cg_steps)), _) => {
                    Algorithm::Als(AlsSpec { reg: self.l2 as f32, alpha: alpha as f32, cg_steps })
                }
                (None, true) => Algorithm::Hogwild,
                (None, false) => Algorithm::MiniBatch,
            },
            uniform_negatives: self.uniform_negatives,
        })
    }

    pub fn control(&self) -> Control {
        Control {
            monitor: self.monitor,
            plateau: self.plateau.map(|(factor, patience, min_lr)| PlateauConfig {
                factor: factor as f32,
                patience,
                min_lr: min_lr as f32,
            }),
            early_stopping: self.early_stopping,
            restore_best: self.restore_best,
        }
    }

    /// What a resumed fit must share with the one that wrote the checkpoint, under the names
    /// and in the shape the caller knows them (and that earlier versions stored).
    pub fn fingerprint(&self, model: &Recommender) -> Map<String, Value> {
        let l = model.layout();
        let names = |m: Monitor| match m {
            Monitor::Hr => "hr",
            Monitor::Ndcg => "ndcg",
            Monitor::Rmse => "rmse",
        };
        let v = json!({
            "kind": l.kind.name(),
            "layers": l.tower.sizes(),
            "factors": l.predictive_factors(),
            "task": match model.task().kind() { TaskKind::Implicit => "implicit", TaskKind::Rating => "rating" },
            "batchSize": self.batch_size,
            "negatives": self.negatives,
            "optimizer": match self.optimizer {
                OptimizerKind::Adam => "adam",
                OptimizerKind::Sgd => "sgd",
                OptimizerKind::Als => "als",
            },
            "lr": self.lr,
            "momentum": self.momentum,
            "weightDecay": self.weight_decay,
            "l2": self.l2,
            "dropout": self.dropout,
            "seed": self.seed,
            "validation": self.validation.name(),
            "validationNegatives": self.validation_negatives,
            "monitor": names(self.monitor),
            "reduceLrOnPlateau": self.plateau.map(|(factor, patience, min_lr)| json!({
                "factor": factor, "patience": patience, "minLr": min_lr,
            })),
            "earlyStopping": self.early_stopping.map(|p| json!({ "patience": p })),
            "restoreBest": self.restore_best,
            "k": self.k,
            "evaluate": self.evaluate,
        });
        match v {
            Value::Object(mut m) => {
                // Keys added after checkpoints existed are stored only when they are not the
                // default, so a checkpoint from before them still resumes a default fit.
                if self.sparse {
                    m.insert("sparse".into(), json!(true));
                }
                if let Some((b1, b2, eps)) = self.betas {
                    m.insert("adam".into(), json!({ "beta1": b1, "beta2": b2, "eps": eps }));
                }
                if self.hogwild {
                    m.insert("hogwild".into(), json!(true));
                }
                if self.uniform_negatives {
                    m.insert("uniformNegatives".into(), json!(true));
                }
                if let Some((alpha, cg_steps)) = self.als {
                    m.insert("als".into(), json!({ "alpha": alpha, "cgSteps": cg_steps }));
                }
                m
            }
            _ => unreachable!("json! of an object literal"),
        }
    }
}

/// Values equal as the caller wrote them: numbers by value (0 and 0.0 alike), the rest exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

/// Refuses a checkpoint written with other options, naming each difference.
pub fn check_same_fit(stored: &Map<String, Value>, here: &Map<String, Value>) -> Result<()> {
    // Both ways: a key only the checkpoint has (e.g. `sparse: true`, stored only when set)
    // differs from a fit that leaves it at its default.
    let show = |v: Option<&Value>| v.map_or("undefined".to_string(), Value::to_string);
    let keys = here.keys().chain(stored.keys().filter(|k| !here.contains_key(*k)));
    let differs: Vec<String> = keys
        .filter(|k| !matches!((stored.get(*k), here.get(*k)), (Some(s), Some(h)) if same(s, h)))
        .map(|k| format!("{k}: {} there, {} here", show(stored.get(k)), show(here.get(k))))
        .collect();
    if differs.is_empty() {
        return Ok(());
    }
    Err(NcfError::invalid(
        "resumeFrom",
        format!("the checkpoint was written with other options ({})", differs.join("; ")),
    ))
}
