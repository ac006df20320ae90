//! Recording work into passes: the epoch's sampling dispatch, and per step the model's
//! forward/backward and the optimizer, with the step and gemm records uploaded to their rings.

use ncf_core::rng::Permutation;
use ncf_core::train::{Optimizer, StepScalars};

use super::{GpuTrainer, ModelPasses};
use crate::dense::GemmRecord;
use crate::records::{EpochRecord, StepRecord};

impl GpuTrainer {
    pub(super) fn record(&self, start: u32, len: u32, slot: u32, step: u64) -> StepRecord {
        let s = StepScalars::new(self.cfg.optimizer, self.cfg.lr, step);
        StepRecord::new(self.layout, start, len, slot, &self.cfg, s).with_dropout(&self.cfg, step)
    }

    /// Uploads the step records of one submit (and, for the tower, the gemm records of each
    /// step, whose dropout masks depend on the step) and returns the gemm records.
    pub(super) fn write_rings(&self, records: &[StepRecord], steps: &[u64]) -> Vec<GemmRecord> {
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
            ModelPasses::Factorization { .. } | ModelPasses::Fused(_) => Vec::new(),
        }
    }

    /// Records one forward/backward (and, when `optimize`, one optimizer) pass per record;
    /// record `k` sits at ring slot `k`.
    pub(super) fn encode_steps(
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
            let mut dispatches = match &self.model {
                ModelPasses::Factorization { bind, .. } => {
                    let (x, y) = self.ctx.grid(r.batch_len);
                    pass.set_pipeline(&p.forward_backward[self.layout.kind as usize]);
                    pass.set_bind_group(0, bind, &[offset]);
                    pass.dispatch_workgroups(x, y, 1);
                    1
                }
                ModelPasses::Neural(tower) => {
                    let per = tower.records_per_pass() as usize;
                    tower.encode(&self.ctx, pass, offset, k as u32, r.batch_len, &gemm[k * per..(k + 1) * per])
                }
                ModelPasses::Fused(tower) => tower.encode(&self.ctx, pass, offset, r.batch_len),
            };
            if optimize && self.cfg.sparse {
                if let ModelPasses::Neural(_) = &self.model {
                    // The per-layer tower claims no rows itself.
                    let (x, y) = self.ctx.grid(r.batch_len);
                    pass.set_pipeline(&p.claim_rows);
                    pass.set_bind_group(0, &self.sparse_bg, &[offset]);
                    pass.dispatch_workgroups(x, y, 1);
                    dispatches += 1;
                }
                // The dense parameters, then one thread per batch slot and side.
                let (x, y) = self.ctx.grid(self.sparse_dense + 2 * r.batch_len);
                pass.set_pipeline(&p.optimize_sparse);
                pass.set_bind_group(0, &self.sparse_bg, &[offset]);
                pass.dispatch_workgroups(x, y, 1);
                dispatches += 1;
            } else if optimize {
                pass.set_pipeline(opt_pipeline);
                pass.set_bind_group(0, &self.optim_bg, &[offset]);
                pass.dispatch_workgroups(ox, oy, 1);
                dispatches += 1;
            }
            self.dispatches.set(dispatches);
        }
    }

    pub(super) fn encode_sampling(&self, enc: &mut wgpu::CommandEncoder, epoch: u32) {
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
