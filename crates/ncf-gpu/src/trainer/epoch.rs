//! The `Trainer` implementation: the epoch loop (sampling, then [`STEPS_PER_SUBMIT`] steps per
//! pass and submit, evaluation, one read-back), cancellation that undoes the epoch, and the
//! optimizer state that checkpoints save and restore.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use ncf_core::train::{EpochReport, OptimizerState, Progress, Trainer, check_finite_loss};
use ncf_core::{NcfError, Params, Result};

use super::GpuTrainer;
use super::staging::InFlight;
use crate::eval::TestBuffers;
use crate::records::StepRecord;

impl Trainer for GpuTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some((progress, self.staging_ring()));
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
                return Err(ncf_core::train::unrankable());
            }
        }
        let start = Instant::now();
        let b = self.cfg.batch_size;
        let mut enc = self.ctx.encoder("ncf epoch");
        enc.clear_buffer(&self.step_loss, 0, None);
        self.encode_sampling(&mut enc, self.epoch, 0);
        let step0 = self.step;
        let mut first = 0u32;
        // Steps per window of samples: a submit never crosses a window's end, and the next
        // window is drawn at the head of the submit after it.
        let per_window = if self.window >= self.n_samples { self.steps_per_epoch } else { self.window / b };
        let mut submits = 0usize;
        // With progress attached, at most two submits are in flight: after each submit the
        // host waits for the one before (the GPU stays fed), reports it, and can stop there.
        let mut pending = VecDeque::new();
        if let Some((p, _)) = &self.progress {
            p.begin(self.steps_per_epoch as u64);
        }
        while first < self.steps_per_epoch {
            if first > 0 && first.is_multiple_of(per_window) {
                self.encode_sampling(&mut enc, self.epoch, first / per_window);
            }
            let window_end = (first / per_window + 1).saturating_mul(per_window);
            let last = (first + self.steps_per_submit).min(self.steps_per_epoch).min(window_end);
            let steps: Vec<u64> = (first..last).map(|s| step0 + s as u64 + 1).collect();
            let records: Vec<Vec<StepRecord>> = (first..last)
                .zip(&steps)
                .map(|(s, &step)| {
                    // The batch's samples sit at its offset within the window.
                    let len = b.min(self.n_samples - s * b);
                    self.step_records((s % per_window) * b, len, s, step)
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
            let slot = submits % 2;
            submits += 1;
            if let Some((_, staging)) = &self.progress {
                enc.copy_buffer_to_buffer(
                    &self.step_loss,
                    first as u64 * 4,
                    &staging[slot],
                    0,
                    (last - first) as u64 * 4,
                );
            }
            let index = self.ctx.submit(enc.finish());
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
