//! The CPU backend's iALS session (`optimizer: 'als'`): one epoch is one sweep, every user row
//! solved against the fixed item factors and then every item row against the new user
//! factors (`als.rs`), rows in parallel with rayon.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::als::{AlsSpec, gramian, objective, solve_side};
use super::metrics::evaluate_cpu;
use crate::data::{Csr, Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::model::{ModelKind, Params};
use crate::train::{EpochReport, OptimizerState, Progress, TrainConfig, Trainer, check_finite_loss, check_restorable};

/// An iALS session on the CPU.
pub struct AlsTrainer {
    data: Arc<Dataset>,
    validation: Option<TestSet>,
    spec: AlsSpec,
    params: Params,
    /// The training positives by item (the transpose of `data.train`), for the item sweep.
    by_item: Csr,
    epoch: u32,
    progress: Option<Arc<Progress>>,
}

/// Refuses what ALS cannot train: anything but a dot-product model without biases or side
/// features, and rating regression.
pub fn check_als(data: &Dataset, params: &Params, cfg: &TrainConfig) -> Result<AlsSpec> {
    let spec = cfg.als.ok_or_else(|| NcfError::invalid("optimizer", "an ALS session needs optimizer 'als'"))?;
    let l = params.layout;
    if l.kind != ModelKind::Mf || l.biases || l.features != Default::default() {
        return Err(NcfError::invalid(
            "optimizer",
            "'als' trains a dot-product model without biases or side features (the ALS class)",
        ));
    }
    if cfg.rating.is_some() {
        return Err(NcfError::invalid("optimizer", "'als' trains implicit feedback, not rating regression"));
    }
    if !(spec.reg.is_finite() && spec.reg > 0.0) {
        return Err(NcfError::invalid("l2", format!("ALS needs a positive regularization, got {}", spec.reg)));
    }
    if !(spec.alpha.is_finite() && spec.alpha >= 0.0) {
        return Err(NcfError::invalid("alpha", format!("must be a finite number >= 0, got {}", spec.alpha)));
    }
    if data.num_users != l.num_users || data.num_items != l.num_items {
        return Err(NcfError::invalid(
            "data",
            format!(
                "has {} users × {} items but the model {} × {}",
                data.num_users, data.num_items, l.num_users, l.num_items
            ),
        ));
    }
    Ok(spec)
}

/// The transpose of `rows` (`num_cols` columns): for each column, the rows that hold it.
pub fn transpose(rows: &Csr, num_cols: u32) -> Csr {
    let owners = rows.row_owners();
    Csr::from_pairs(num_cols, &rows.cols, &owners, None).0
}

impl AlsTrainer {
    pub fn new(data: Arc<Dataset>, validation: Option<TestSet>, params: Params, cfg: TrainConfig) -> Result<Self> {
        let spec = check_als(&data, &params, &cfg)?;
        let by_item = transpose(&data.train, data.num_items);
        Ok(AlsTrainer { data, validation, spec, params, by_item, epoch: 0, progress: None })
    }

    /// One sweep; false when cancelled part-way.
    fn sweep(&mut self) -> bool {
        let l = self.params.layout;
        let (f, nu, ni) = (l.factors as usize, l.num_users as usize, l.num_items as usize);
        let (users, items) = self.params.data.split_at_mut(l.item_offset());
        let items = &mut items[..ni * f];
        let progress = self.progress.clone();
        let cancelled = || progress.as_ref().is_some_and(|p| p.cancelled());
        let solved = |n: u64| {
            if let Some(p) = &progress {
                p.steps.fetch_add(n, Ordering::Relaxed);
            }
        };
        let gh = gramian(items, ni, f);
        if !solve_side(&mut users[..nu * f], items, &self.data.train, &gh, f, ni, self.spec, &cancelled, &solved) {
            return false;
        }
        let gw = gramian(&users[..nu * f], nu, f);
        solve_side(items, &users[..nu * f], &self.by_item, &gw, f, nu, self.spec, &cancelled, &solved)
    }
}

impl Trainer for AlsTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some(progress);
    }

    fn optimizer_state(&self) -> Result<OptimizerState> {
        // ALS keeps no moments: its state is the epoch count (checkpoints store zeros).
        let n = self.params.data.len();
        Ok(OptimizerState { m: vec![0.0; n], v: vec![0.0; n], step: 0, epoch: self.epoch })
    }

    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        check_restorable(self.params.data.len(), weights, &state)?;
        self.params.data.copy_from_slice(weights);
        self.epoch = state.epoch;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "cpu"
    }

    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        let start = Instant::now();
        let l = self.params.layout;
        if let Some(p) = &self.progress {
            p.begin(l.num_users as u64 + l.num_items as u64);
        }
        let before = self.params.data.clone();
        if !self.sweep() {
            self.params.data = before;
            return Err(NcfError::Cancelled);
        }
        let f = l.factors as usize;
        let (w, h) = self.params.data.split_at(l.item_offset());
        let loss = objective(
            &w[..l.num_users as usize * f],
            &h[..l.num_items as usize * f],
            &self.data.train,
            &self.by_item,
            f,
            self.spec,
        );
        if let Err(e) = check_finite_loss(loss, self.epoch + 1).and_then(|()| {
            match self.params.data.iter().all(|x| x.is_finite()) {
                true => Ok(()),
                false => Err(NcfError::Diverged(format!("epoch {}: a factor is not finite", self.epoch + 1))),
            }
        }) {
            self.params.data = before;
            return Err(e);
        }
        self.epoch += 1;
        let mut report = EpochReport {
            epoch: self.epoch,
            loss,
            samples: self.data.train.nnz() as u64,
            metrics: None,
            validation: None,
            rating: None,
            validation_rating: None,
            train_rating: None,
            seconds: 0.0,
        };
        if let Some(k) = eval_k {
            let eval = |set: &Option<TestSet>| set.as_ref().map(|s| evaluate_cpu(&self.params, s, k));
            report.metrics = eval(&self.data.test).transpose()?;
            report.validation = eval(&self.validation).transpose()?;
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }

    fn set_lr(&mut self, _lr: f32) {
        // ALS has no learning rate; the fit refuses reduceLrOnPlateau with it.
    }

    fn params(&self) -> &Params {
        &self.params
    }
}
