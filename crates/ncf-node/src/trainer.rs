//! `NativeTrainer`: the binding of one `ncf_core::fit::Fit`. `src/fit.ts` drives its epochs
//! (timers, AbortSignal, callbacks); the fit itself (defaults, checks, control, checkpoints,
//! resume) is the core's.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::NcfError;
use ncf_core::fit::{Fit, FitOptions};
use ncf_core::train::Progress;

use crate::dataset::NativeDataset;
use crate::errors::{IntoNapi, Result, to_napi};
use crate::job::Job;
use crate::model::{NativeModel, backend};
use crate::modes::{BackendName, Device};
use crate::results::{NativeEpoch, NativeProgress};

#[napi]
impl NativeModel {
    /// Starts a fit on `device` with the caller's options as a JSON object (`progress`: report live
    /// progress and accept `cancel()`): checks here, then the holdout, the first evaluation and the trainer in a
    /// job (resolving the device may create the GPU context).
    #[napi(ts_return_type = "Promise<NativeTrainer>")]
    pub fn create_trainer(
        &self,
        data: &NativeDataset,
        options_json: String,
        device: Device,
        progress: bool,
    ) -> Result<AsyncTask<Job<NativeTrainer>>> {
        // Every option's name, type, range and default is the core's (ncf_core::fit).
        let opts = FitOptions { progress, ..FitOptions::from_json(&options_json).napi()? };
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
