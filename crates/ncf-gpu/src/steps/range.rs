//! The `Steps` implementation: an epoch's head (clearing its losses, drawing its first window)
//! recorded at `prepare_epoch` and submitted with its first steps; a range of steps in submits
//! of [`super::STEPS_PER_SUBMIT`]; and, with the range that ends the epoch, the test and
//! validation scores computed in the same submit as the last steps and brought back in the
//! epoch's single read-back with its losses and weights.

use std::collections::VecDeque;
use std::ops::Range;

use ncf_core::backend::BackendKind;
use ncf_core::train::{EpochSize, Evaluated, Inputs, Progress, SetMetrics, StepAt, Steps, Trained};
use ncf_core::{NcfError, Params, RankMetrics, RatingMetrics, RatingScale, Result, TestSet};

use super::GpuSteps;
use super::staging::InFlight;
use crate::eval::{TestBuffers, evaluate_gpu, evaluate_rating_gpu};
use crate::records::StepRecord;

impl Steps for GpuSteps {
    fn backend(&self) -> BackendKind {
        BackendKind::Gpu
    }

    fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    fn epoch_size(&self) -> EpochSize {
        let steps = self.steps_per_epoch as u64;
        EpochSize { steps, optimizer_steps: steps, samples: self.n_samples as u64 }
    }

    fn prepare_epoch(&mut self, at: StepAt) -> Result<()> {
        let mut enc = self.ctx.encoder("ncf epoch");
        enc.clear_buffer(&self.step_loss, 0, None);
        self.encode_sampling(&mut enc, at.epoch, 0);
        self.epoch = at.epoch;
        self.drawn = Some(0);
        self.head = Some(enc);
        Ok(())
    }

    fn train_steps(
        &mut self,
        range: Range<u64>,
        at: StepAt,
        progress: Option<&Progress>,
        evaluate: Option<u32>,
    ) -> Result<Trained> {
        let end = range.end.min(self.steps_per_epoch as u64) as u32;
        let mut first = range.start.min(end as u64) as u32;
        let start = first;
        let Some(mut enc) = self.head.take() else {
            return Err(NcfError::invalid("range", "train_steps needs prepare_epoch first"));
        };
        self.step = at.step;
        self.inputs.cfg.lr = at.lr;
        let b = self.inputs.cfg.batch_size;
        // Steps per window of samples: a submit never crosses a window's end, and the next
        // window is drawn at the head of the submit after it.
        let per_window = if self.window >= self.n_samples { self.steps_per_epoch } else { self.window / b };
        let mut submits = 0usize;
        if progress.is_some() && self.staging.is_none() {
            self.staging = Some(self.staging_ring());
        }
        // With progress attached, at most two submits are in flight: after each submit the
        // host waits for the one before (the GPU stays fed), reports it, and can stop there.
        let mut pending = VecDeque::new();
        while first < end {
            let window = first / per_window;
            if self.drawn != Some(window) {
                self.encode_sampling(&mut enc, self.epoch, window);
                self.drawn = Some(window);
            }
            let window_end = (window + 1).saturating_mul(per_window);
            let last = (first + self.steps_per_submit).min(end).min(window_end);
            let steps: Vec<u64> = (first..last).map(|s| at.step + s as u64 + 1).collect();
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
            if let (Some(_), Some(staging)) = (progress, &self.staging) {
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
            if let Some(p) = progress {
                pending.push_back(InFlight { index, slot, first, last });
                if pending.len() == 2 {
                    self.report_oldest(&mut pending, p)?;
                }
                if p.cancelled() {
                    while !pending.is_empty() {
                        self.report_oldest(&mut pending, p)?;
                    }
                    return Err(NcfError::Cancelled);
                }
            }
            first = last;
        }
        self.step = at.step + end as u64;
        // The submits still in flight are reported from the range's own read-back below, so
        // progress adds no wait before it.
        let unreported: Vec<(u32, u32)> = pending.drain(..).map(|f| (f.first, f.last)).collect();
        // Test and validation scores are computed in the same submit as the last steps and
        // come back in the range's single read-back.
        let sets: Vec<&TestBuffers> = match evaluate {
            Some(k) if end == self.steps_per_epoch => {
                let sets: Vec<&TestBuffers> =
                    [&self.test, &self.validation, &self.train_eval].into_iter().flatten().collect();
                for t in &sets {
                    t.encode(&self.ctx, &mut enc, k);
                }
                sets
            }
            _ => Vec::new(),
        };
        let mut sources =
            vec![(&self.step_loss, self.steps_per_epoch as u64 * 4), (&self.params, self.layout.len() as u64 * 4)];
        for t in &sets {
            sources.extend(t.sources());
        }
        let out = self.ctx.read_back(enc, &sources)?;
        let losses: &[f32] = bytemuck::cast_slice(&out[0]);
        let loss_sum = losses[start as usize..end as usize].iter().map(|&x| x as f64).sum::<f64>();
        if let Some(p) = progress {
            for (f, l) in unreported {
                let sum = losses[f as usize..l as usize].iter().map(|&x| x as f64).sum();
                p.advance((l - f) as u64, self.samples_in(f, l), sum);
            }
        }
        self.params_cpu.data = bytemuck::cast_slice(&out[1]).to_vec();
        let evaluated = match evaluate {
            Some(k) if end == self.steps_per_epoch => {
                let mut e = Evaluated::default();
                let mut next = 2;
                let slots = [&mut e.test, &mut e.validation, &mut e.train];
                for (slot, set) in slots.into_iter().zip([&self.test, &self.validation, &self.train_eval]) {
                    if let Some(t) = set {
                        *slot = Some(if t.is_rating() {
                            SetMetrics::Rating(t.rating_metrics(&out[next], &out[next + 1])?)
                        } else {
                            SetMetrics::Rank(t.metrics(k, &out[next], &out[next + 1]))
                        });
                        next += 2;
                    }
                }
                Some(e)
            }
            _ => None,
        };
        let count = self.samples_in(start, end);
        Ok(Trained { loss_sum, loss_count: count, evaluated })
    }

    fn params(&self) -> &Params {
        &self.params_cpu
    }

    fn write_params(&mut self, weights: &[f32]) -> Result<()> {
        self.params_cpu.data.copy_from_slice(weights);
        self.ctx.queue.write_buffer(&self.params, 0, bytemuck::cast_slice(weights));
        self.ctx.check_errors()
    }

    fn moments(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let bytes = self.layout.len() as u64 * 4;
        let out =
            self.ctx.read_back(self.ctx.encoder("ncf read optimizer state"), &[(&self.m, bytes), (&self.v, bytes)])?;
        Ok((bytemuck::cast_slice(&out[0]).to_vec(), bytemuck::cast_slice(&out[1]).to_vec()))
    }

    fn write_moments(&mut self, m: &[f32], v: &[f32]) -> Result<()> {
        self.ctx.queue.write_buffer(&self.m, 0, bytemuck::cast_slice(m));
        self.ctx.queue.write_buffer(&self.v, 0, bytemuck::cast_slice(v));
        self.ctx.check_errors()
    }

    fn evaluate(&self, set: &TestSet, k: u32) -> Result<RankMetrics> {
        evaluate_gpu(&self.ctx, &self.params_cpu, set, k)
    }

    fn evaluate_rating(&self, set: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
        evaluate_rating_gpu(&self.ctx, &self.params_cpu, set, scale)
    }
}
