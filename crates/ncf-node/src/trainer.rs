//! `NativeTrainer`: the binding of one `ncf_core::fit::Fit`. `src/fit.ts` drives its epochs
//! (timers, AbortSignal, callbacks); the fit itself (defaults, checks, control, checkpoints,
//! resume) is the core's.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::NcfError;
use ncf_core::fit::{CheckpointSchedule, EarlyStopping, Fit, FitOptions, Plateau};
use ncf_core::train::Progress;

use crate::convert::opt_u32;
use crate::dataset::NativeDataset;
use crate::errors::{IntoNapi, Result, to_napi};
use crate::job::Job;
use crate::model::{NativeModel, backend};
use crate::modes::{BackendName, Device, MonitorName, OptimizerName, ValidationMode};
use crate::results::{NativeEpoch, NativeProgress};

/// A fit's options as the caller gave them; unset ones take the core's defaults.
#[napi(object)]
pub struct NativeFitOptions {
    pub epochs: Option<f64>,
    pub batch_size: Option<f64>,
    pub negatives: Option<f64>,
    pub optimizer: Option<OptimizerName>,
    pub momentum: Option<f64>,
    pub weight_decay: Option<f64>,
    pub beta1: Option<f64>,
    pub beta2: Option<f64>,
    pub eps: Option<f64>,
    /// Row-sparse embedding updates (LazyAdam semantics).
    pub sparse: Option<bool>,
    pub l2: Option<f64>,
    /// `optimizer: 'als'`: the weight of every unobserved pair.
    pub alpha: Option<f64>,
    /// `optimizer: 'als'`: conjugate-gradient steps per row (0: exact solves).
    pub cg_steps: Option<f64>,
    /// Batch-1 SGD lock-free across the CPU's threads.
    pub hogwild: Option<bool>,
    /// Negatives uniform over every item, the user's positives included.
    pub uniform_negatives: Option<bool>,
    /// Dropout after each ReLU of the MLP tower.
    pub dropout: Option<f64>,
    pub lr: Option<f64>,
    pub seed: Option<f64>,
    pub device: Device,
    pub validation: Option<ValidationMode>,
    pub validation_negatives: Option<f64>,
    pub monitor: Option<MonitorName>,
    /// ReduceLROnPlateau, when `plateau` is true: each field optional.
    pub plateau: Option<bool>,
    pub plateau_factor: Option<f64>,
    pub plateau_patience: Option<f64>,
    pub plateau_min_lr: Option<f64>,
    pub early_stopping_patience: Option<f64>,
    pub restore_best: Option<bool>,
    pub k: Option<f64>,
    pub evaluate: Option<bool>,
    pub checkpoint_path: Option<String>,
    pub checkpoint_every: Option<f64>,
    pub resume_from: Option<String>,
    /// Report live progress and accept `cancel()`.
    pub progress: Option<bool>,
}

impl NativeFitOptions {
    fn into_core(self) -> Result<(FitOptions, Device)> {
        let plateau = (self.plateau == Some(true)).then(|| -> Result<Plateau> {
            Ok(Plateau {
                factor: self.plateau_factor,
                patience: opt_u32("reduceLrOnPlateau.patience", self.plateau_patience)?,
                min_lr: self.plateau_min_lr,
            })
        });
        let early = opt_u32("earlyStopping.patience", self.early_stopping_patience)?;
        let opts = FitOptions {
            epochs: opt_u32("epochs", self.epochs)?,
            batch_size: opt_u32("batchSize", self.batch_size)?,
            negatives: opt_u32("negatives", self.negatives)?,
            optimizer: self.optimizer.map(Into::into),
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            sparse: self.sparse,
            l2: self.l2,
            alpha: self.alpha,
            cg_steps: opt_u32("cgSteps", self.cg_steps)?,
            hogwild: self.hogwild,
            uniform_negatives: self.uniform_negatives,
            dropout: self.dropout,
            lr: self.lr,
            seed: opt_u32("seed", self.seed)?,
            validation: self.validation.map(Into::into),
            validation_negatives: opt_u32("validationNegatives", self.validation_negatives)?,
            monitor: self.monitor.map(Into::into),
            reduce_lr_on_plateau: plateau.transpose()?,
            early_stopping: early.map(|patience| EarlyStopping { patience }),
            restore_best: self.restore_best,
            k: opt_u32("k", self.k)?,
            evaluate: self.evaluate,
            checkpoint: match self.checkpoint_path {
                Some(path) => Some(CheckpointSchedule {
                    path: PathBuf::from(path),
                    every: opt_u32("checkpoint.every", self.checkpoint_every)?,
                }),
                None => None,
            },
            resume_from: self.resume_from.map(PathBuf::from),
            progress: self.progress.unwrap_or(false),
        };
        Ok((opts, self.device))
    }
}

#[napi]
impl NativeModel {
    /// Starts a fit: checks here, then the holdout, the first evaluation and the trainer in a
    /// job (resolving the device may create the GPU context).
    #[napi(ts_return_type = "Promise<NativeTrainer>")]
    pub fn create_trainer(
        &self,
        data: &NativeDataset,
        opts: NativeFitOptions,
    ) -> Result<AsyncTask<Job<NativeTrainer>>> {
        let (opts, device) = opts.into_core()?;
        let plan = Fit::plan(&self.inner, &data.corpus(), &opts).napi()?;
        Ok(Job::spawn(move || {
            let fit = plan.start(backend(device)?).napi()?;
            Ok(NativeTrainer {
                backend: fit.backend().into(),
                fallback: fit.fallback().map(str::to_string),
                epochs: fit.epochs(),
                history: fit.history().iter().map(NativeEpoch::from).collect::<Vec<_>>().into(),
                progress: fit.progress(),
                fit: Arc::new(Mutex::new(Some(fit))),
            })
        }))
    }
}

/// One `fit` session.
#[napi]
pub struct NativeTrainer {
    backend: BackendName,
    fallback: Option<String>,
    epochs: u32,
    /// The epochs a resumed fit had completed.
    history: Mutex<Vec<NativeEpoch>>,
    fit: Arc<Mutex<Option<Fit>>>,
    /// Outside the fit's lock, so it can be read and cancelled while an epoch runs.
    progress: Option<Arc<Progress>>,
}

fn closed() -> napi::Error<crate::errors::Code> {
    to_napi(ncf_core::fit::closed())
}

#[napi]
impl NativeTrainer {
    #[napi(getter)]
    pub fn backend(&self) -> BackendName {
        self.backend
    }
    /// Why `'auto'` fell back to the CPU, if it did.
    #[napi(getter)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.fallback.clone()
    }
    /// Epochs the fit trains (its `epochs` option).
    #[napi(getter)]
    pub fn epochs(&self) -> u32 {
        self.epochs
    }
    /// The epochs a resumed fit had completed before this session (taken once).
    #[napi]
    pub fn take_resumed(&self) -> Vec<NativeEpoch> {
        std::mem::take(&mut *self.history.lock().unwrap_or_else(|p| p.into_inner()))
    }
    /// Whether every epoch is trained (or early stopping ended the fit); `epoch` is the
    /// number complete, resumed ones included.
    #[napi]
    pub fn state(&self) -> Result<NativeFitState> {
        let guard = self.fit.try_lock().map_err(|_| to_napi(NcfError::Busy))?;
        let f = guard.as_ref().ok_or_else(closed)?;
        Ok(NativeFitState {
            done: f.done(),
            epoch: f.epoch(),
            stopped_early: f.stopped_early(),
            backend: f.backend().into(),
            fallback_reason: f.fallback().map(str::to_string),
        })
    }

    /// Live progress of the epoch in flight (null unless created with `progress`). Cheap: it
    /// reads a few atomics, so it can be polled from a timer while `runEpoch` runs.
    #[napi]
    pub fn progress(&self) -> Option<NativeProgress> {
        let p = self.progress.as_ref()?;
        let loss = p.running_loss();
        Some(NativeProgress {
            steps: p.steps.load(Ordering::Relaxed) as f64,
            total_steps: p.total_steps.load(Ordering::Relaxed) as f64,
            samples: p.samples.load(Ordering::Relaxed) as f64,
            loss: loss.is_finite().then_some(loss),
        })
    }

    /// Asks the running epoch to stop at its next batch (CPU) or submit (GPU); it then fails
    /// with `ERR_ABORTED` and the model keeps its last complete epoch. Needs `progress`.
    #[napi]
    pub fn cancel(&self) -> bool {
        match &self.progress {
            Some(p) => {
                p.cancel.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Trains (and evaluates) the next epoch; the model holds its weights afterwards.
    #[napi(ts_return_type = "Promise<NativeEpoch>")]
    pub fn run_epoch(&self) -> AsyncTask<Job<NativeEpoch>> {
        // Until the trainer starts this epoch, progress reads as "not started" rather than the
        // previous epoch's totals (a timer may poll before the job runs).
        if let Some(p) = &self.progress {
            p.begin(0);
        }
        let fit = self.fit.clone();
        Job::spawn(move || {
            let mut guard = fit.try_lock().map_err(|_| to_napi(NcfError::Busy))?;
            let f = guard.as_mut().ok_or_else(closed)?;
            Ok(NativeEpoch::from(&f.run_epoch().napi()?))
        })
    }

    /// Ends the session: the model keeps the best validation epoch's weights (with
    /// `restoreBest`) or the last epoch's, and the session's buffers are freed now. Returns the
    /// best epoch, if any.
    #[napi]
    pub fn finish(&self) -> Result<Option<u32>> {
        let mut guard = self.fit.try_lock().map_err(|_| to_napi(NcfError::Busy))?;
        match guard.take() {
            Some(mut f) => f.finish().napi(),
            None => Ok(None),
        }
    }
}

/// Where a fit stands between epochs.
#[napi(object)]
pub struct NativeFitState {
    pub done: bool,
    pub epoch: u32,
    pub stopped_early: bool,
    /// The backend training now: `'cpu'` once `'auto'` has moved a fit off a failed GPU.
    pub backend: BackendName,
    pub fallback_reason: Option<String>,
}
