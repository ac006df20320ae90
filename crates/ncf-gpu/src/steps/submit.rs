//! Recording work into passes: the epoch's sampling dispatch, and per step the model's
//! forward/backward and the optimizer, with the step and gemm records uploaded to their rings.
//!
//! A step whose batch exceeds the trainer's `chunk` rows (activations of a large batch would
//! not fit one storage binding) runs as micro-batches: one forward/backward pass per chunk of
//! rows, each scaled by the whole batch's 1/B and adding into the same gradients and loss
//! slot, then one optimizer step on the whole batch's record, so the math is the big batch's.

use ncf_core::rng::Permutation;
use ncf_core::train::{Optimizer, StepScalars};

use super::{GpuSteps, ModelPasses};
use crate::dense::GemmRecord;
use crate::records::{EpochRecord, StepRecord};

impl GpuSteps {
    pub(super) fn record(&self, start: u32, len: u32, slot: u32, step: u64) -> StepRecord {
        let s = StepScalars::new(self.inputs.cfg.optimizer, self.inputs.cfg.lr, step);
        StepRecord::new(self.layout, start, len, slot, &self.inputs.cfg, s).with_dropout(&self.inputs.cfg, step)
    }

    /// The ring records of one step over samples `start..start + len`: the step's own record
    /// when it fits one pass, else one per micro-batch of at most `chunk` rows (with the whole
    /// batch's 1/B and its first batch slot) followed by the whole batch's record, which the
    /// optimizer reads.
    pub(super) fn step_records(&self, start: u32, len: u32, slot: u32, step: u64) -> Vec<StepRecord> {
        let full = self.record(start, len, slot, step);
        if len <= self.chunk {
            return vec![full];
        }
        let mut out: Vec<StepRecord> = (0..len.div_ceil(self.chunk))
            .map(|c| {
                let r0 = c * self.chunk;
                StepRecord { batch_start: start + r0, batch_len: self.chunk.min(len - r0), row_base: r0, ..full }
            })
            .collect();
        out.push(full);
        out
    }

    /// Uploads the records of one submit's steps (flattened in ring order; for the per-layer
    /// tower also the gemm records of each pass, whose dropout masks depend on the step) and
    /// returns the gemm records.
    pub(super) fn write_rings(&self, steps: &[Vec<StepRecord>], numbers: &[u64]) -> Vec<GemmRecord> {
        let flat: Vec<StepRecord> = steps.iter().flatten().copied().collect();
        self.ctx.write_ring(&self.step_ring, &flat);
        match &self.model {
            ModelPasses::Neural(tower) => {
                let per = tower.records_per_pass() as usize;
                let mut gemm = Vec::with_capacity(flat.len() * per);
                for (records, &step) in steps.iter().zip(numbers) {
                    for (k, r) in records.iter().enumerate() {
                        if records.len() > 1 && k == records.len() - 1 {
                            // The optimizer's record: no tower pass reads its gemm slots.
                            gemm.extend(std::iter::repeat_n(GemmRecord::default(), per));
                        } else {
                            gemm.extend(tower.records(r.batch_len, self.inputs.cfg.dropout_at(step), r.row_base));
                        }
                    }
                }
                tower.write_records(&self.ctx, &gemm);
                gemm
            }
            ModelPasses::Factorization { .. } | ModelPasses::Fused(_) => Vec::new(),
        }
    }

    /// Records every step's forward/backward passes (and, when `optimize`, its optimizer
    /// dispatch); the records sit in the ring in the order `write_rings` put them.
    pub(super) fn encode_steps(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        steps: &[Vec<StepRecord>],
        gemm: &[GemmRecord],
        optimize: bool,
    ) {
        let stride = self.ctx.step_stride() as u32;
        let mut k = 0u32;
        for records in steps {
            let passes = if records.len() > 1 { &records[..records.len() - 1] } else { &records[..] };
            let mut dispatches = 0;
            for r in passes {
                dispatches += self.encode_pass(pass, k, r, gemm);
                k += 1;
            }
            if records.len() > 1 {
                k += 1;
            }
            let whole = records.last().expect("a step has a record");
            if optimize {
                dispatches += self.encode_optimizer(pass, (k - 1) * stride, whole.batch_len);
            }
            self.dispatches.set(dispatches);
        }
    }

    /// One forward/backward pass over record `r` at ring slot `k`; returns its dispatches.
    fn encode_pass(&self, pass: &mut wgpu::ComputePass<'_>, k: u32, r: &StepRecord, gemm: &[GemmRecord]) -> u32 {
        let offset = k * self.ctx.step_stride() as u32;
        match &self.model {
            ModelPasses::Factorization { bind, .. } => {
                let (x, y) = self.ctx.grid(r.batch_len);
                pass.set_pipeline(&self.ctx.pipelines.forward_backward[self.layout.kind as usize]);
                pass.set_bind_group(0, bind, &[offset]);
                pass.dispatch_workgroups(x, y, 1);
                1
            }
            ModelPasses::Neural(tower) => {
                let per = tower.records_per_pass() as usize;
                let k = k as usize;
                tower.encode(&self.ctx, pass, offset, k as u32, r.batch_len, &gemm[k * per..(k + 1) * per])
            }
            ModelPasses::Fused(tower) => tower.encode(&self.ctx, pass, offset, r.batch_len),
        }
    }

    /// The optimizer step of a whole batch of `len` samples whose record is at `offset`;
    /// returns its dispatches.
    fn encode_optimizer(&self, pass: &mut wgpu::ComputePass<'_>, offset: u32, len: u32) -> u32 {
        let p = &self.ctx.pipelines;
        if !self.inputs.cfg.sparse {
            let (x, y) = self.ctx.grid(self.layout.len() as u32);
            pass.set_pipeline(match self.inputs.cfg.optimizer {
                Optimizer::Adam { .. } => &p.adam,
                Optimizer::Sgd { .. } => &p.sgd,
            });
            pass.set_bind_group(0, &self.optim_bg, &[offset]);
            pass.dispatch_workgroups(x, y, 1);
            return 1;
        }
        let mut dispatches = 1;
        pass.set_bind_group(0, &self.sparse_bg, &[offset]);
        if let ModelPasses::Neural(_) = &self.model {
            // The per-layer tower claims no rows itself.
            let (x, y) = self.ctx.grid(len);
            pass.set_pipeline(&p.claim_rows);
            pass.dispatch_workgroups(x, y, 1);
            dispatches += 1;
        }
        // The dense parameters, then one thread per batch slot and side.
        let (x, y) = self.ctx.grid(self.sparse_dense + 2 * len);
        pass.set_pipeline(&p.optimize_sparse);
        pass.dispatch_workgroups(x, y, 1);
        dispatches
    }

    /// Records the sampling of window `w` of `epoch` (training positions `w·window ..`): the
    /// whole epoch when it fits one window. The window's record is written to the queue, so
    /// each window must be recorded in a submit of its own (the epoch loop ends a submit at
    /// every window's end).
    pub(super) fn encode_sampling(&self, enc: &mut wgpu::CommandEncoder, epoch: u32, w: u32) {
        let perm = Permutation::new(self.n_samples, self.inputs.cfg.seed, epoch);
        let base = w * self.window;
        let count = self.window.min(self.n_samples - base);
        let rec = EpochRecord {
            n_samples: self.n_samples,
            per: self.inputs.cfg.negatives + 1,
            num_items: self.inputs.data.num_items,
            seed: self.inputs.cfg.seed,
            epoch,
            half_bits: perm.half_bits,
            rated: u32::from(self.inputs.cfg.negatives == 0),
            uniform: u32::from(self.inputs.cfg.uniform_negatives),
            keys: perm.keys,
            base,
            count,
            _pad: [0; 2],
        };
        self.ctx.queue.write_buffer(&self.epoch_uniform, 0, bytemuck::bytes_of(&rec));
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("ncf sample epoch"),
            timestamp_writes: None,
        });
        let (x, y) = self.ctx.grid(count);
        pass.set_pipeline(&self.ctx.pipelines.sample_epoch);
        pass.set_bind_group(0, &self.sampling_bg, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
}
