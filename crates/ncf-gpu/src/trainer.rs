//! The GPU training loop. Per epoch: one sampling dispatch, then for every batch the model's
//! forward/backward (one dispatch for GMF/MF, the tower's passes for MLP/NeuMF) and a dense
//! optimizer dispatch, [`STEPS_PER_SUBMIT`] steps per
//! compute pass and submit, with per-step parameters taken from a uniform ring by dynamic
//! offset. The loss of every step stays in a GPU buffer; losses, weights and test metrics
//! come back in one read-back at the end of the epoch.

use std::sync::Arc;
use std::time::Instant;

use ncf_core::cpu::sampling::Samples;
use ncf_core::rng::Permutation;
use ncf_core::train::{EpochReport, OptimizerState, Progress, TrainConfig, Trainer, check_finite_loss, check_session};
use ncf_core::train::{Optimizer, StepScalars};
use ncf_core::{Dataset, Layout, NcfError, Params, Result, TestSet};

use crate::context::GpuContext;
use crate::dense::GemmRecord;
use crate::eval::TestBuffers;
use crate::records::{EpochRecord, StepRecord};
use crate::tower::{Tower, TowerIo, TowerMode};

/// Steps recorded per compute pass and submit. Large enough that submit overhead vanishes
/// (lavapipe: ~15 µs per dispatch in a pass vs ~100 µs per submit), small enough that the
/// uniform ring stays a few hundred KiB.
pub const STEPS_PER_SUBMIT: u32 = 512;

/// How a model's forward and backward are recorded.
enum ModelPasses {
    /// GMF and MF: one `forward_backward` dispatch per step (and the side-feature bags it binds).
    Factorization { bind: wgpu::BindGroup, _bags: wgpu::Buffer },
    /// MLP and NeuMF: the tower's passes (tower.rs).
    Neural(Box<Tower>),
}

pub struct GpuTrainer {
    ctx: Arc<GpuContext>,
    data: Arc<Dataset>,
    cfg: TrainConfig,
    layout: Layout,
    params_cpu: Params,
    params: wgpu::Buffer,
    grads: wgpu::Buffer,
    m: wgpu::Buffer,
    v: wgpu::Buffer,
    _csr: [wgpu::Buffer; 3],
    s_users: wgpu::Buffer,
    s_items: wgpu::Buffer,
    s_labels: wgpu::Buffer,
    step_loss: wgpu::Buffer,
    step_ring: wgpu::Buffer,
    epoch_uniform: wgpu::Buffer,
    sampling_bg: wgpu::BindGroup,
    model: ModelPasses,
    optim_bg: wgpu::BindGroup,
    test: Option<TestBuffers>,
    validation: Option<TestBuffers>,
    /// Rating regression: the training ratings, for the per-epoch training RMSE.
    train_eval: Option<TestBuffers>,
    n_samples: u32,
    steps_per_epoch: u32,
    epoch: u32,
    step: u64,
    /// Live progress, with two staging buffers that bring back the losses of each submit.
    progress: Option<(Arc<Progress>, [wgpu::Buffer; 2])>,
}

/// A submit whose losses are on their way to a staging buffer.
struct InFlight {
    index: wgpu::SubmissionIndex,
    slot: usize,
    first: u32,
    last: u32,
}

impl GpuTrainer {
    pub fn new(
        ctx: Arc<GpuContext>,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Self> {
        let layout = params.layout;
        let n_samples = check_session(&data, validation.as_ref(), &params, &cfg)?;
        let steps_per_epoch = cfg.steps_per_epoch(n_samples);
        let n = layout.len() as u64;
        let none = wgpu::BufferUsages::empty();
        let pbuf = ctx.storage_init("ncf params", &params.data, none)?;
        let grads = ctx.storage_zeroed("ncf grads", n * 4)?;
        let m = ctx.storage_zeroed("ncf adam m", n * 4)?;
        let v = ctx.storage_zeroed("ncf adam v", n * 4)?;
        let row_ptr = ctx.storage_init("ncf csr row_ptr", &data.train.row_ptr, none)?;
        let cols = ctx.storage_init("ncf csr cols", &data.train.cols, none)?;
        let pos_users = ctx.storage_init("ncf positive users", &data.train_users, none)?;
        // Ratings of the positives for rating regression (one unused element otherwise).
        let pos_ratings =
            ctx.storage_init("ncf positive ratings", data.train_ratings.as_deref().unwrap_or(&[0.0]), none)?;
        let s_users = ctx.storage_zeroed("ncf sample users", n_samples as u64 * 4)?;
        let s_items = ctx.storage_zeroed("ncf sample items", n_samples as u64 * 4)?;
        let s_labels = ctx.storage_zeroed("ncf sample labels", n_samples as u64 * 4)?;
        let step_loss = ctx.storage_zeroed("ncf step losses", steps_per_epoch as u64 * 4)?;
        let step_ring = ctx.uniform("ncf step ring", ctx.step_stride() * STEPS_PER_SUBMIT as u64);
        let epoch_uniform = ctx.uniform("ncf epoch uniform", std::mem::size_of::<EpochRecord>() as u64);
        let p = &ctx.pipelines;
        let sampling_bg = ctx.bind_group(
            "ncf sampling bind group",
            &p.sampling_layout,
            &[
                (0, &epoch_uniform),
                (1, &row_ptr),
                (2, &cols),
                (3, &pos_users),
                (4, &s_users),
                (5, &s_items),
                (6, &s_labels),
                (7, &pos_ratings),
            ],
            None,
        );
        let model = if layout.kind.is_neural() {
            let io = TowerIo {
                step_ring: &step_ring,
                params: &pbuf,
                users: &s_users,
                items: &s_items,
                features: params.features.as_deref(),
                mode: TowerMode::Train { grads: &grads, labels: &s_labels, step_loss: &step_loss },
            };
            ModelPasses::Neural(Box::new(Tower::new(
                &ctx,
                layout,
                cfg.batch_size.min(n_samples),
                STEPS_PER_SUBMIT,
                io,
            )?))
        } else {
            let bags = crate::records::bags_buffer(&ctx, layout, params.features.as_deref())?;
            let bind = ctx.bind_group(
                "ncf factorization bind group",
                &p.gmf_layout,
                &[
                    (0, &step_ring),
                    (1, &pbuf),
                    (2, &grads),
                    (3, &s_users),
                    (4, &s_items),
                    (5, &s_labels),
                    (6, &step_loss),
                    (8, &bags),
                ],
                Some(0),
            );
            ModelPasses::Factorization { bind, _bags: bags }
        };
        let optim_bg = ctx.bind_group(
            "ncf optimizer bind group",
            &p.optim_layout,
            &[(0, &step_ring), (1, &pbuf), (2, &grads), (3, &m), (4, &v)],
            Some(0),
        );
        let features = params.features.clone();
        let resident = |set: Option<&TestSet>| {
            set.map(|t| TestBuffers::new(&ctx, t, &pbuf, layout, features.as_deref(), cfg.rating)).transpose()
        };
        let test = resident(data.test.as_ref())?;
        let validation = resident(validation.as_ref())?;
        let train_eval = match cfg.rating {
            Some(_) => resident(data.train_cases().as_ref())?,
            None => None,
        };
        ctx.check_errors()?;
        Ok(GpuTrainer {
            ctx,
            data,
            cfg,
            layout,
            params_cpu: params,
            params: pbuf,
            grads,
            m,
            v,
            _csr: [row_ptr, cols, pos_users],
            s_users,
            s_items,
            s_labels,
            step_loss,
            step_ring,
            epoch_uniform,
            sampling_bg,
            model,
            optim_bg,
            test,
            validation,
            train_eval,
            n_samples,
            steps_per_epoch,
            epoch: 0,
            step: 0,
            progress: None,
        })
    }

    /// Waits for the oldest submit in flight and reports its steps, samples and losses.
    fn report_oldest(&self, pending: &mut std::collections::VecDeque<InFlight>) -> Result<()> {
        let (Some(f), Some((p, staging))) = (pending.pop_front(), &self.progress) else { return Ok(()) };
        let bytes = self.ctx.map_read(&staging[f.slot], (f.last - f.first) as u64 * 4, f.index)?;
        let loss: f64 = bytemuck::cast_slice::<u8, f32>(&bytes).iter().map(|&x| x as f64).sum();
        p.advance((f.last - f.first) as u64, self.samples_in(f.first, f.last), loss);
        Ok(())
    }

    /// Samples of the steps `first..last` of an epoch (the last batch may be short).
    fn samples_in(&self, first: u32, last: u32) -> u64 {
        let b = self.cfg.batch_size as u64;
        (last as u64 * b).min(self.n_samples as u64) - first as u64 * b
    }

    fn record(&self, start: u32, len: u32, slot: u32, step: u64) -> StepRecord {
        let s = StepScalars::new(self.cfg.optimizer, self.cfg.lr, step);
        StepRecord::new(self.layout, start, len, slot, &self.cfg, s)
    }

    /// Uploads the step records of one submit (and, for the tower, the gemm records of each
    /// step, whose dropout masks depend on the step) and returns the gemm records.
    fn write_rings(&self, records: &[StepRecord], steps: &[u64]) -> Vec<GemmRecord> {
        self.ctx.write_ring(&self.step_ring, records);
        match &self.model {
            ModelPasses::Neural(tower) => {
                let gemm: Vec<GemmRecord> = records
                    .iter()
                    .zip(steps)
                    .flat_map(|(r, &step)| tower.records(r.batch_len, self.cfg.dropout_at(step)))
                    .collect();
                tower.write_records(&self.ctx, &gemm);
                gemm
            }
            ModelPasses::Factorization { .. } => Vec::new(),
        }
    }

    /// Records one forward/backward (and, when `optimize`, one optimizer) pass per record;
    /// record `k` sits at ring slot `k`.
    fn encode_steps(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        records: &[StepRecord],
        gemm: &[GemmRecord],
        optimize: bool,
    ) {
        let stride = self.ctx.step_stride() as u32;
        let p = &self.ctx.pipelines;
        let (ox, oy) = self.ctx.grid(self.layout.len() as u32);
        let opt_pipeline = match self.cfg.optimizer {
            Optimizer::Adam { .. } => &p.adam,
            Optimizer::Sgd { .. } => &p.sgd,
        };
        for (k, r) in records.iter().enumerate() {
            let offset = k as u32 * stride;
            match &self.model {
                ModelPasses::Factorization { bind, .. } => {
                    let (x, y) = self.ctx.grid(r.batch_len);
                    pass.set_pipeline(&p.forward_backward[self.layout.kind as usize]);
                    pass.set_bind_group(0, bind, &[offset]);
                    pass.dispatch_workgroups(x, y, 1);
                }
                ModelPasses::Neural(tower) => {
                    let per = tower.records_per_pass() as usize;
                    tower.encode(&self.ctx, pass, offset, k as u32, r.batch_len, &gemm[k * per..(k + 1) * per]);
                }
            }
            if optimize {
                pass.set_pipeline(opt_pipeline);
                pass.set_bind_group(0, &self.optim_bg, &[offset]);
                pass.dispatch_workgroups(ox, oy, 1);
            }
        }
    }

    /// Writes a caller-chosen batch into the sample buffers (parity tests).
    fn upload_batch(&self, users: &[u32], items: &[u32], labels: &[f32]) -> Result<u32> {
        let n = users.len();
        if n == 0 || n != items.len() || n != labels.len() || n > self.n_samples as usize {
            return Err(NcfError::invalid("batch", format!("needs 1..={} equal-length arrays", self.n_samples)));
        }
        self.ctx.queue.write_buffer(&self.s_users, 0, bytemuck::cast_slice(users));
        self.ctx.queue.write_buffer(&self.s_items, 0, bytemuck::cast_slice(items));
        self.ctx.queue.write_buffer(&self.s_labels, 0, bytemuck::cast_slice(labels));
        Ok(n as u32)
    }

    /// Runs one caller-chosen batch (forward/backward, then the optimizer when `optimize`),
    /// reading back `what` and the batch's summed loss in one read-back.
    fn run_batch(&mut self, users: &[u32], items: &[u32], labels: &[f32], optimize: bool) -> Result<(Vec<f32>, f64)> {
        let n = self.upload_batch(users, items, labels)?;
        if let ModelPasses::Neural(tower) = &self.model
            && n > tower.rows
        {
            return Err(NcfError::invalid("batch", format!("holds at most batchSize = {} samples", tower.rows)));
        }
        // The step this batch is (or would be): its optimizer scalars and dropout masks.
        let step = self.step + 1;
        if optimize {
            self.step = step;
        }
        let rec = self.record(0, n, 0, step);
        let gemm = self.write_rings(&[rec], &[step]);
        let mut enc = self.ctx.encoder("ncf single batch");
        enc.clear_buffer(&self.step_loss, 0, None);
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("ncf single batch"),
                timestamp_writes: None,
            });
            self.encode_steps(&mut pass, &[rec], &gemm, optimize);
        }
        let what = if optimize { &self.params } else { &self.grads };
        let out = self.ctx.read_back(enc, &[(what, self.layout.len() as u64 * 4), (&self.step_loss, 4)])?;
        let loss: &[f32] = bytemuck::cast_slice(&out[1]);
        Ok((bytemuck::cast_slice(&out[0]).to_vec(), loss[0] as f64))
    }

    /// Batch-mean gradients and summed loss of one batch, without an optimizer step
    /// (the `forward_backward` kernel alone). Clears the gradient buffer afterwards.
    pub fn gradients(&mut self, users: &[u32], items: &[u32], labels: &[f32]) -> Result<(Vec<f32>, f64)> {
        let out = self.run_batch(users, items, labels, false)?;
        let mut clear = self.ctx.encoder("ncf clear grads");
        clear.clear_buffer(&self.grads, 0, None);
        self.ctx.queue.submit([clear.finish()]);
        Ok(out)
    }

    /// One optimizer step on a caller-chosen batch; returns the summed loss.
    pub fn train_batch(&mut self, users: &[u32], items: &[u32], labels: &[f32]) -> Result<f64> {
        let (params, loss) = self.run_batch(users, items, labels, true)?;
        self.params_cpu.data = params;
        Ok(loss)
    }

    /// The samples of the last epoch, in training order, as the GPU drew them.
    pub fn samples(&self) -> Result<Samples> {
        let bytes = self.n_samples as u64 * 4;
        let enc = self.ctx.encoder("ncf read samples");
        let out =
            self.ctx.read_back(enc, &[(&self.s_users, bytes), (&self.s_items, bytes), (&self.s_labels, bytes)])?;
        Ok(Samples {
            users: bytemuck::cast_slice(&out[0]).to_vec(),
            items: bytemuck::cast_slice(&out[1]).to_vec(),
            labels: bytemuck::cast_slice(&out[2]).to_vec(),
        })
    }

    /// Draws the samples of the next epoch without training on them (sampler parity tests).
    pub fn sample_only(&mut self, epoch: u32) -> Result<Samples> {
        let mut enc = self.ctx.encoder("ncf sample only");
        self.encode_sampling(&mut enc, epoch);
        self.ctx.queue.submit([enc.finish()]);
        self.samples()
    }

    fn encode_sampling(&self, enc: &mut wgpu::CommandEncoder, epoch: u32) {
        let perm = Permutation::new(self.n_samples, self.cfg.seed, epoch);
        let rec = EpochRecord {
            n_samples: self.n_samples,
            per: self.cfg.negatives + 1,
            num_items: self.data.num_items,
            seed: self.cfg.seed,
            epoch,
            half_bits: perm.half_bits,
            rated: u32::from(self.cfg.negatives == 0),
            keys: perm.keys,
            ..Default::default()
        };
        self.ctx.queue.write_buffer(&self.epoch_uniform, 0, bytemuck::bytes_of(&rec));
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("ncf sample epoch"),
            timestamp_writes: None,
        });
        let (x, y) = self.ctx.grid(self.n_samples);
        pass.set_pipeline(&self.ctx.pipelines.sample_epoch);
        pass.set_bind_group(0, &self.sampling_bg, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
}

impl Trainer for GpuTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        let staging = [0, 1].map(|k| {
            self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(&format!("ncf progress losses {k}")),
                size: STEPS_PER_SUBMIT as u64 * 4,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        self.progress = Some((progress, staging));
    }

    fn optimizer_state(&self) -> Result<OptimizerState> {
        let bytes = self.layout.len() as u64 * 4;
        let out =
            self.ctx.read_back(self.ctx.encoder("ncf read optimizer state"), &[(&self.m, bytes), (&self.v, bytes)])?;
        Ok(OptimizerState {
            m: bytemuck::cast_slice(&out[0]).to_vec(),
            v: bytemuck::cast_slice(&out[1]).to_vec(),
            step: self.step,
            epoch: self.epoch,
        })
    }

    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        ncf_core::train::check_restorable(self.layout.len(), weights, &state)?;
        let q = &self.ctx.queue;
        q.write_buffer(&self.params, 0, bytemuck::cast_slice(weights));
        q.write_buffer(&self.m, 0, bytemuck::cast_slice(&state.m));
        q.write_buffer(&self.v, 0, bytemuck::cast_slice(&state.v));
        self.params_cpu.data.copy_from_slice(weights);
        self.step = state.step;
        self.epoch = state.epoch;
        self.ctx.check_errors()
    }

    fn backend(&self) -> &'static str {
        "gpu"
    }

    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        if let Some(k) = eval_k {
            ncf_core::train::check_k(k)?;
            // Checked before any step: failing after them would leave the GPU weights an epoch ahead.
            if [&self.test, &self.validation].into_iter().flatten().any(|t| !t.is_rankable()) {
                return Err(ncf_core::NcfError::Data(
                    "the test cases have no sampled negatives to rank against: read the test file with testNegatives, \
                     or train with evaluate: false and use protocol: 'full'"
                        .into(),
                ));
            }
        }
        let start = Instant::now();
        let b = self.cfg.batch_size;
        let mut enc = self.ctx.encoder("ncf epoch");
        enc.clear_buffer(&self.step_loss, 0, None);
        self.encode_sampling(&mut enc, self.epoch);
        let step0 = self.step;
        let mut first = 0u32;
        // With progress attached, at most two submits are in flight: after each submit the
        // host waits for the one before (the GPU stays fed), reports it, and can stop there.
        let mut pending = std::collections::VecDeque::new();
        if let Some((p, _)) = &self.progress {
            p.begin(self.steps_per_epoch as u64);
        }
        while first < self.steps_per_epoch {
            let last = (first + STEPS_PER_SUBMIT).min(self.steps_per_epoch);
            let steps: Vec<u64> = (first..last).map(|s| step0 + s as u64 + 1).collect();
            let records: Vec<StepRecord> = (first..last)
                .zip(&steps)
                .map(|(s, &step)| {
                    let start = s * b;
                    let len = b.min(self.n_samples - start);
                    self.record(start, len, s, step)
                })
                .collect();
            // Queue writes land before the next submit's commands and after earlier submits',
            // so reusing the rings per chunk is ordered by the queue.
            let gemm = self.write_rings(&records, &steps);
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("ncf train steps"),
                    timestamp_writes: None,
                });
                self.encode_steps(&mut pass, &records, &gemm, true);
            }
            let slot = (first / STEPS_PER_SUBMIT) as usize % 2;
            if let Some((_, staging)) = &self.progress {
                enc.copy_buffer_to_buffer(
                    &self.step_loss,
                    first as u64 * 4,
                    &staging[slot],
                    0,
                    (last - first) as u64 * 4,
                );
            }
            let index = self.ctx.queue.submit([enc.finish()]);
            enc = self.ctx.encoder("ncf epoch");
            if let Some((p, _)) = &self.progress {
                pending.push_back(InFlight { index, slot, first, last });
                if pending.len() == 2 {
                    self.report_oldest(&mut pending)?;
                }
                if p.cancelled() {
                    while !pending.is_empty() {
                        self.report_oldest(&mut pending)?;
                    }
                    // Undo the epoch: the model stays at the last complete one.
                    self.ctx.queue.write_buffer(&self.params, 0, bytemuck::cast_slice(&self.params_cpu.data));
                    self.step = step0;
                    return Err(NcfError::Cancelled);
                }
            }
            first = last;
        }
        // The submits still in flight are reported from the epoch's own read-back below, so
        // progress adds no wait before it.
        let unreported: Vec<(u32, u32)> = pending.drain(..).map(|f| (f.first, f.last)).collect();
        self.step = step0 + self.steps_per_epoch as u64;
        // Test and validation scores are computed in the same submit and come back in the
        // epoch's single read-back.
        let sets: Vec<&TestBuffers> = match eval_k {
            Some(k) => {
                let sets: Vec<&TestBuffers> =
                    [&self.test, &self.validation, &self.train_eval].into_iter().flatten().collect();
                for t in &sets {
                    t.encode(&self.ctx, &mut enc, k);
                }
                sets
            }
            None => Vec::new(),
        };
        let mut sources =
            vec![(&self.step_loss, self.steps_per_epoch as u64 * 4), (&self.params, self.layout.len() as u64 * 4)];
        for t in &sets {
            sources.extend(t.sources());
        }
        let out = self.ctx.read_back(enc, &sources)?;
        let losses: &[f32] = bytemuck::cast_slice(&out[0]);
        let loss = losses.iter().map(|&x| x as f64).sum::<f64>() / self.n_samples as f64;
        if let Some((p, _)) = &self.progress {
            for (f, l) in unreported {
                let sum = losses[f as usize..l as usize].iter().map(|&x| x as f64).sum();
                p.advance((l - f) as u64, self.samples_in(f, l), sum);
            }
        }
        if let Err(e) = check_finite_loss(loss, self.epoch + 1) {
            // Leave the model at the last good epoch, on the GPU as on the host.
            self.ctx.queue.write_buffer(&self.params, 0, bytemuck::cast_slice(&self.params_cpu.data));
            return Err(e);
        }
        self.params_cpu.data = bytemuck::cast_slice(&out[1]).to_vec();
        self.epoch += 1;
        let (mut metrics, mut rating) = ([None, None], [None, None, None]);
        let mut next = 2;
        for (slot, set) in [&self.test, &self.validation, &self.train_eval].into_iter().enumerate() {
            if let (Some(k), Some(t)) = (eval_k, set) {
                if t.is_rating() {
                    rating[slot] = Some(t.rating_metrics(&out[next], &out[next + 1])?);
                } else if slot < 2 {
                    metrics[slot] = Some(t.metrics(k, &out[next], &out[next + 1]));
                }
                next += 2;
            }
        }
        Ok(EpochReport {
            epoch: self.epoch,
            loss,
            samples: self.n_samples as u64,
            metrics: metrics[0],
            validation: metrics[1],
            rating: rating[0],
            validation_rating: rating[1],
            train_rating: rating[2],
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    fn set_lr(&mut self, lr: f32) {
        self.cfg.lr = lr;
    }

    fn params(&self) -> &Params {
        &self.params_cpu
    }
}
