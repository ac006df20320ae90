//! Training configuration, the backend-neutral trainer interface, and the CPU backend: the
//! deterministic plain-Rust oracle that every GPU kernel is tested against, and the fallback
//! when no GPU adapter exists.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale, hit_and_ndcg, rank_of_positive};
use crate::model::{Objective, Params};
use crate::optim::{Optimizer, StepScalars, adam_update, sgd_update};
use crate::sampling::{Samples, epoch_samples, samples_per_epoch};

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
    pub fn dropout_at(&self, step: u64) -> Option<crate::neural::DropoutSpec> {
        crate::neural::DropoutSpec::new(self.dropout, self.seed, step)
    }

    /// Optimizer steps in one epoch of `samples` samples.
    pub fn steps_per_epoch(&self, samples: u32) -> u32 {
        samples.div_ceil(self.batch_size)
    }
}

/// Checks that a dataset fits a model of `num_users × num_items`, and can be trained on.
pub fn check_fits(data: &Dataset, num_users: u32, num_items: u32) -> Result<()> {
    if data.num_users > num_users {
        return Err(NcfError::invalid(
            "numUsers",
            format!("the dataset has {} users but the model was built for {num_users}", data.num_users),
        ));
    }
    if data.num_items > num_items {
        return Err(NcfError::invalid(
            "numItems",
            format!("the dataset has {} items but the model was built for {num_items}", data.num_items),
        ));
    }
    Ok(())
}

/// Everything a training session needs of its inputs, checked once for every backend:
/// hyperparameters, sizes against the model, that negatives can be drawn, and that the test
/// and validation cases fit the model. Returns the samples per epoch.
pub fn check_session(data: &Dataset, validation: Option<&TestSet>, params: &Params, cfg: &TrainConfig) -> Result<u32> {
    cfg.validate()?;
    if cfg.dropout > 0.0 && !params.layout.kind.is_neural() {
        return Err(NcfError::invalid(
            "dropout",
            format!("applies to the MLP tower; {} has none (use l2 or weightDecay)", params.layout.kind.name()),
        ));
    }
    check_fits(data, params.layout.num_users, params.layout.num_items)?;
    match cfg.objective() {
        Objective::Bce => data.check_sampleable()?,
        Objective::Squared { .. } if data.train_ratings.is_none() => {
            return Err(NcfError::Data(
                "task 'rating' needs ratings: the data has none (read a file with a rating column, or pass ratings)"
                    .into(),
            ));
        }
        Objective::Squared { .. } => {}
    }

    for set in data.test.iter().chain(validation) {
        check_test_fits(set, params)?;
    }
    samples_per_epoch(data, cfg.negatives)
}

/// What one epoch produced.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// 1-based epoch number within this fit.
    pub epoch: u32,
    /// Mean BCE over the epoch's samples.
    pub loss: f64,
    pub samples: u64,
    /// Metrics on the test set (reported only, never used to choose).
    pub metrics: Option<RankMetrics>,
    /// Metrics on the validation set, when the session has one.
    pub validation: Option<RankMetrics>,
    /// Rating regression: RMSE/MAE/R² on the test and validation ratings (instead of ranking).
    pub rating: Option<RatingMetrics>,
    pub validation_rating: Option<RatingMetrics>,
    /// Rating regression: the same on the training ratings (weights after the epoch, no dropout).
    pub train_rating: Option<RatingMetrics>,
    /// Wall-clock seconds of training plus evaluation.
    pub seconds: f64,
}

/// A training session on one backend. Weights after each epoch are available from
/// [`Trainer::params`]; the session keeps optimizer state across epochs.
/// Live progress of the epoch in flight, shared with other threads: the trainer updates it
/// after every batch (CPU) or submit (GPU) while one is attached, anyone may read it, and
/// `cancel` asks the epoch to stop at the next such point, undoing its weights and step counter
/// (not the optimizer's moments: a cancelled session is ended, not continued).
#[derive(Debug, Default)]
pub struct Progress {
    /// Optimizer steps done in the current epoch, and the epoch's total.
    pub steps: AtomicU64,
    pub total_steps: AtomicU64,
    /// Samples trained on in the current epoch.
    pub samples: AtomicU64,
    /// Summed loss of those samples (f64 bits).
    loss_sum: AtomicU64,
    /// Set by the caller to stop training.
    pub cancel: AtomicBool,
}

impl Progress {
    /// Starts an epoch of `total` steps.
    pub fn begin(&self, total: u64) {
        self.total_steps.store(total, Ordering::Relaxed);
        self.steps.store(0, Ordering::Relaxed);
        self.samples.store(0, Ordering::Relaxed);
        self.loss_sum.store(0f64.to_bits(), Ordering::Relaxed);
    }
    /// Records `steps` more steps over `samples` samples whose summed loss is `loss`.
    pub fn advance(&self, steps: u64, samples: u64, loss: f64) {
        self.steps.fetch_add(steps, Ordering::Relaxed);
        self.samples.fetch_add(samples, Ordering::Relaxed);
        let sum = f64::from_bits(self.loss_sum.load(Ordering::Relaxed)) + loss;
        self.loss_sum.store(sum.to_bits(), Ordering::Relaxed);
    }
    /// Mean loss of the epoch's samples so far (NaN before the first).
    pub fn running_loss(&self) -> f64 {
        let n = self.samples.load(Ordering::Relaxed);
        if n == 0 { f64::NAN } else { f64::from_bits(self.loss_sum.load(Ordering::Relaxed)) / n as f64 }
    }
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// What an optimizer carries between epochs, beyond the weights: Adam's (or momentum's)
/// moment buffers and the step and epoch counters that key the sampler and dropout.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub step: u64,
    pub epoch: u32,
}

pub trait Trainer: Send {
    /// Attaches live progress (and cancellation) to the following epochs.
    fn set_progress(&mut self, progress: Arc<Progress>);
    /// The optimizer state after the last complete epoch (for checkpoints).
    fn optimizer_state(&self) -> Result<OptimizerState>;
    /// Continues from a checkpoint: these weights and optimizer state (same layout).
    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()>;
    fn backend(&self) -> &'static str;
    /// Trains one epoch and, when `eval_k` is set, evaluates on the validation and test sets
    /// that exist.
    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport>;
    /// Learning rate of the following steps (learning-rate schedules).
    fn set_lr(&mut self, lr: f32);
    /// Weights after the last completed epoch.
    fn params(&self) -> &Params;
}

/// Refuses weights or moments of another size than the model's.
pub fn check_restorable(len: usize, weights: &[f32], state: &OptimizerState) -> Result<()> {
    if weights.len() != len || state.m.len() != len || state.v.len() != len {
        return Err(NcfError::invalid(
            "resumeFrom",
            format!(
                "the checkpoint holds {} weights and {}/{} moments; this model has {len}",
                weights.len(),
                state.m.len(),
                state.v.len()
            ),
        ));
    }
    Ok(())
}

/// Fails on a non-finite loss so that a diverged run never reports numbers.
pub fn check_finite_loss(loss: f64, epoch: u32) -> Result<()> {
    if loss.is_finite() {
        Ok(())
    } else {
        Err(NcfError::Diverged(format!(
            "the mean loss of epoch {epoch} is {loss}; lower lr or check the data (weights were left at the previous epoch)"
        )))
    }
}

/// The CPU backend.
pub struct CpuTrainer {
    data: Arc<Dataset>,
    validation: Option<TestSet>,
    cfg: TrainConfig,
    params: Params,
    grads: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    step: u64,
    epoch: u32,
    progress: Option<Arc<Progress>>,
}

/// Chunk size of the parallel dense optimizer update (element-wise, so results do not depend
/// on the split).
const OPT_CHUNK: usize = 1 << 14;

impl CpuTrainer {
    pub fn new(data: Arc<Dataset>, validation: Option<TestSet>, params: Params, cfg: TrainConfig) -> Result<Self> {
        check_session(&data, validation.as_ref(), &params, &cfg)?;
        let n = params.data.len();
        Ok(CpuTrainer {
            data,
            validation,
            cfg,
            params,
            grads: vec![0.0; n],
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
            epoch: 0,
            progress: None,
        })
    }

    /// Batch-mean gradients of a batch as the next step would compute them (its dropout mask
    /// included), without stepping (for parity and finite-difference tests).
    pub fn gradients(&self, users: &[u32], items: &[u32], labels: &[f32]) -> (Vec<f32>, f64) {
        let mut g = vec![0f32; self.params.data.len()];
        let scale = 1.0 / users.len() as f32;
        let drop = self.cfg.dropout_at(self.step + 1);
        let loss = self.params.batch_grad(&mut g, users, items, labels, scale, self.cfg.l2, drop, self.cfg.objective());
        (g, loss)
    }

    /// One optimizer step on a batch; returns the batch's summed loss.
    pub fn train_batch(&mut self, users: &[u32], items: &[u32], labels: &[f32]) -> f64 {
        let scale = 1.0 / users.len() as f32;
        self.step += 1;
        let drop = self.cfg.dropout_at(self.step);
        let loss = self.params.batch_grad(
            &mut self.grads,
            users,
            items,
            labels,
            scale,
            self.cfg.l2,
            drop,
            self.cfg.objective(),
        );
        let s = StepScalars::new(self.cfg.optimizer, self.cfg.lr, self.step);
        let opt = self.cfg.optimizer;
        let p = self.params.data.par_chunks_mut(OPT_CHUNK);
        let g = self.grads.par_chunks_mut(OPT_CHUNK);
        match opt {
            Optimizer::Adam { .. } => {
                p.zip(g)
                    .zip(self.m.par_chunks_mut(OPT_CHUNK))
                    .zip(self.v.par_chunks_mut(OPT_CHUNK))
                    .for_each(|(((p, g), m), v)| adam_update(p, g, m, v, opt, s));
            }
            Optimizer::Sgd { .. } => {
                // The first moment buffer doubles as SGD's momentum buffer.
                p.zip(g).zip(self.m.par_chunks_mut(OPT_CHUNK)).for_each(|((p, g), b)| sgd_update(p, g, b, opt, s))
            }
        }
        loss
    }

    /// Trains on given samples in order (the whole-epoch parity test feeds the GPU's samples).
    pub fn train_samples(&mut self, samples: &Samples) -> f64 {
        self.train_samples_checked(samples).unwrap_or(f64::NAN)
    }

    /// [`CpuTrainer::train_samples`], reporting to the attached progress after every batch and
    /// stopping with `Cancelled` when it asks.
    fn train_samples_checked(&mut self, samples: &Samples) -> Result<f64> {
        let b = self.cfg.batch_size as usize;
        let progress = self.progress.clone();
        if let Some(p) = &progress {
            p.begin(samples.len().div_ceil(b) as u64);
        }
        let mut loss = 0f64;
        for s in (0..samples.len()).step_by(b) {
            if progress.as_ref().is_some_and(|p| p.cancelled()) {
                return Err(NcfError::Cancelled);
            }
            let e = (s + b).min(samples.len());
            let l = self.train_batch(&samples.users[s..e], &samples.items[s..e], &samples.labels[s..e]);
            loss += l;
            if let Some(p) = &progress {
                p.advance(1, (e - s) as u64, l);
            }
        }
        Ok(loss / samples.len() as f64)
    }
}

impl Trainer for CpuTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some(progress);
    }

    fn optimizer_state(&self) -> Result<OptimizerState> {
        Ok(OptimizerState { m: self.m.clone(), v: self.v.clone(), step: self.step, epoch: self.epoch })
    }

    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        check_restorable(self.params.data.len(), weights, &state)?;
        self.params.data.copy_from_slice(weights);
        self.m = state.m;
        self.v = state.v;
        self.step = state.step;
        self.epoch = state.epoch;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "cpu"
    }

    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        let start = Instant::now();
        let samples = epoch_samples(&self.data, self.cfg.negatives, self.cfg.seed, self.epoch)?;
        let (before, step0) = (self.params.data.clone(), self.step);
        let loss = self.train_samples_checked(&samples).and_then(|loss| {
            check_finite_loss(loss, self.epoch + 1)?;
            Ok(loss)
        });
        let loss = match loss {
            Ok(loss) => loss,
            Err(e) => {
                // Undo the epoch: the model stays at the last complete one.
                self.params.data = before;
                self.step = step0;
                return Err(e);
            }
        };
        self.epoch += 1;
        let mut report = EpochReport {
            epoch: self.epoch,
            loss,
            samples: samples.len() as u64,
            metrics: None,
            validation: None,
            rating: None,
            validation_rating: None,
            train_rating: None,
            seconds: 0.0,
        };
        match (eval_k, self.cfg.rating) {
            (None, _) => {}
            (Some(_), Some(scale)) => {
                let eval = |set: &Option<TestSet>| set.as_ref().map(|s| evaluate_rating_cpu(&self.params, s, scale));
                report.rating = eval(&self.data.test).transpose()?;
                report.validation_rating = eval(&self.validation).transpose()?;
                report.train_rating = eval(&self.data.train_cases()).transpose()?;
            }
            (Some(k), None) => {
                let eval = |set: &Option<TestSet>| set.as_ref().map(|s| evaluate_cpu(&self.params, s, k));
                report.metrics = eval(&self.data.test).transpose()?;
                report.validation = eval(&self.validation).transpose()?;
            }
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }

    fn set_lr(&mut self, lr: f32) {
        self.cfg.lr = lr;
    }

    fn params(&self) -> &Params {
        &self.params
    }
}

/// Sampled ranking needs negatives to rank the held-out item against.
pub fn check_rankable(test: &TestSet) -> Result<()> {
    if test.per_case < 2 {
        return Err(unrankable());
    }
    Ok(())
}

/// The one wording of "these test cases cannot be ranked", whichever layer finds it.
pub fn unrankable() -> NcfError {
    NcfError::Data(
        "the test cases have no sampled negatives to rank against: read the test file with testNegatives, \
         or train with evaluate: false and evaluate with protocol: 'full' (or rating metrics)"
            .into(),
    )
}

pub fn check_k(k: u32) -> Result<()> {
    if k == 0 {
        return Err(NcfError::invalid("k", "must be a positive integer"));
    }
    Ok(())
}

/// Checks that every test user and candidate exists in the model.
pub fn check_test_fits(test: &TestSet, params: &Params) -> Result<()> {
    let l = params.layout;
    if let Some(c) = test.users.iter().position(|&u| u >= l.num_users) {
        return Err(NcfError::Data(format!(
            "test case {} has user {} outside the model's user range [0, {})",
            c + 1,
            test.users[c],
            l.num_users
        )));
    }
    if let Some(k) = test.candidates.iter().position(|&i| i >= l.num_items) {
        let what = if k % test.per_case as usize == 0 { "positive" } else { "negative" };
        return Err(NcfError::Data(format!(
            "test case {} has {what} item {} outside the model's item range [0, {})",
            k / test.per_case as usize + 1,
            test.candidates[k],
            l.num_items
        )));
    }
    Ok(())
}

/// HR@K / NDCG@K on the CPU, ranking by logits (the sigmoid is monotone, and logits do not
/// saturate into false ties the way probabilities near 1.0 do in f32).
pub fn evaluate_cpu(params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
    check_test_fits(test, params)?;
    check_k(k)?;
    check_rankable(test)?;
    let users: Vec<u32> = test.pair_users();
    rank_cases(test, k, &params.logits(&users, &test.candidates))
}

/// The rating scale a rating model learns from its training data: the mean rating μ (the
/// offset of r̂ = z + μ) and the range predictions are clipped to.
pub fn rating_scale(data: &Dataset, clip: bool) -> Result<RatingScale> {
    let r = data.train_ratings.as_deref().ok_or_else(|| {
        NcfError::Data(
            "task 'rating' needs ratings: the data has none (read a file with a rating column, or pass ratings)".into(),
        )
    })?;
    let mean = data.mean_rating().ok_or_else(|| NcfError::Data("the training data has no ratings".into()))?;
    let (min, max) = r.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    Ok(RatingScale { mean, min, max, clip })
}

/// The held-out `(users, items, ratings)` of a test set's cases, for rating metrics.
pub fn rating_cases(test: &TestSet) -> Result<(Vec<u32>, Vec<u32>, &[f32])> {
    let ratings = test.ratings.as_deref().ok_or_else(|| {
        NcfError::Data("the held-out cases have no ratings: rating metrics need data read with its ratings".into())
    })?;
    Ok((test.users.clone(), (0..test.len()).map(|c| test.positive(c)).collect(), ratings))
}

/// RMSE / MAE / R² of r̂ = z + μ (clipped per `scale`) on the held-out ratings, on the CPU.
pub fn evaluate_rating_cpu(params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
    check_test_fits(test, params)?;
    let (users, items, truth) = rating_cases(test)?;
    RatingMetrics::from_scores(&params.logits(&users, &items), truth, scale)
}

/// HR@K / NDCG@K from the scores of every candidate, case-major (ties count against the positive).
fn rank_cases(test: &TestSet, k: u32, scores: &[f32]) -> Result<RankMetrics> {
    check_k(k)?;
    let c = test.per_case as usize;
    let per_case: Vec<(f32, f32)> = scores.par_chunks(c).map(|case| hit_and_ndcg(rank_of_positive(case), k)).collect();
    let (hits, ndcgs): (Vec<f32>, Vec<f32>) = per_case.into_iter().unzip();
    Ok(RankMetrics::from_cases(k, &hits, &ndcgs))
}

/// The ItemPop baseline: ranks candidates by training popularity (ties against the positive).
pub fn evaluate_item_pop(data: &Dataset, k: u32) -> Result<RankMetrics> {
    let test = data.test.as_ref().ok_or_else(|| NcfError::Data("the dataset has no test set".into()))?;
    let counts = data.item_counts();
    let scores: Vec<f32> =
        test.candidates.iter().map(|&i| counts.get(i as usize).copied().unwrap_or(0) as f32).collect();
    rank_cases(test, k, &scores)
}
