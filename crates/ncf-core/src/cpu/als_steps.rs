//! The CPU backend's iALS steps (`optimizer: 'als'`): one epoch is one sweep, every user row
//! solved against the fixed item factors and then every item row against the new user
//! factors (`als.rs`), rows in parallel with rayon.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::als::{AlsSpec, gramian, objective, solve_side};
use crate::data::{Csr, Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::model::{Layout, ModelKind, Params};
use crate::train::{EpochSize, Inputs, Progress, StepAt, Steps, TrainConfig, Trained, check_finite_loss};

/// iALS steps on the CPU.
pub struct AlsSteps {
    inputs: Inputs,
    spec: AlsSpec,
    params: Params,
    /// The training positives by item (the transpose of `data.train`), for the item sweep.
    by_item: Csr,
}

/// Refuses what ALS cannot train: anything but a dot-product model without biases or side
/// features, and rating regression.
pub fn check_als(data: &Dataset, params: &Params, cfg: &TrainConfig) -> Result<AlsSpec> {
    let spec =
        cfg.algorithm.als().ok_or_else(|| NcfError::invalid("optimizer", "an ALS session needs optimizer 'als'"))?;
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

impl AlsSteps {
    pub fn new(data: Arc<Dataset>, validation: Option<TestSet>, params: Params, cfg: TrainConfig) -> Result<Self> {
        let spec = check_als(&data, &params, &cfg)?;
        let by_item = transpose(&data.train, data.num_items);
        Ok(AlsSteps { inputs: Inputs { data, validation, cfg }, spec, params, by_item })
    }

    /// One sweep; false when cancelled part-way.
    fn sweep(&mut self, progress: Option<&Progress>) -> bool {
        let l = self.params.layout;
        let (f, nu, ni) = (l.factors as usize, l.num_users as usize, l.num_items as usize);
        let (users, items) = self.params.data.split_at_mut(l.item_offset());
        let items = &mut items[..ni * f];
        let cancelled = || progress.is_some_and(|p| p.cancelled());
        let solved = |n: u64| {
            if let Some(p) = progress {
                p.steps.fetch_add(n, Ordering::Relaxed);
            }
        };
        let train = &self.inputs.data.train;
        let gh = gramian(items, ni, f);
        if !solve_side(&mut users[..nu * f], items, train, &gh, f, ni, self.spec, &cancelled, &solved) {
            return false;
        }
        let gw = gramian(&users[..nu * f], nu, f);
        solve_side(items, &users[..nu * f], &self.by_item, &gw, f, nu, self.spec, &cancelled, &solved)
    }
}

/// The iALS objective of factors `weights` (Rendle et al. 2022, eq. 3), and the check that the
/// sweep that made them stayed finite; CPU and GPU sweeps both end here.
pub fn sweep_objective(
    weights: &[f32],
    l: Layout,
    train: &Csr,
    by_item: &Csr,
    spec: AlsSpec,
    epoch: u32,
) -> Result<f64> {
    let f = l.factors as usize;
    let (w, h) = weights.split_at(l.item_offset());
    let loss = objective(&w[..l.num_users as usize * f], &h[..l.num_items as usize * f], train, by_item, f, spec);
    check_finite_loss(loss, epoch + 1, &crate::train::Algorithm::Als(spec))?;
    if !weights.iter().all(|x| x.is_finite()) {
        return Err(NcfError::Diverged(format!("epoch {}: a factor is not finite", epoch + 1)));
    }
    Ok(loss)
}

impl Steps for AlsSteps {
    super::host_steps!();

    fn epoch_size(&self) -> EpochSize {
        sweep_size(&self.params, &self.inputs.data)
    }

    /// The whole sweep; its loss is the objective after it.
    fn train_steps(
        &mut self,
        range: Range<u64>,
        at: StepAt,
        progress: Option<&Progress>,
        _evaluate: Option<u32>,
    ) -> Result<Trained> {
        check_whole_sweep(&range, self.epoch_size())?;
        if !self.sweep(progress) {
            return Err(NcfError::Cancelled);
        }
        let p = &self.params;
        let loss = sweep_objective(&p.data, p.layout, &self.inputs.data.train, &self.by_item, self.spec, at.epoch)?;
        Ok(Trained { loss_sum: loss, loss_count: 1, evaluated: None })
    }
}

/// An ALS epoch on either backend: a step is a row solved; ALS takes no optimizer steps.
pub fn sweep_size(params: &Params, data: &Dataset) -> EpochSize {
    let l = params.layout;
    let rows = l.num_users as u64 + l.num_items as u64;
    EpochSize { steps: rows, optimizer_steps: 0, samples: data.train.nnz() as u64 }
}

/// A sweep solves every row of both sides in order: it is not split into ranges.
pub fn check_whole_sweep(range: &Range<u64>, size: EpochSize) -> Result<()> {
    if *range != (0..size.steps) {
        return Err(NcfError::invalid(
            "range",
            format!("an ALS sweep trains whole epochs (steps 0..{}), got {range:?}", size.steps),
        ));
    }
    Ok(())
}
