//! Live progress: the losses of each submit come back through a 2-slot ring of staging
//! buffers, so the host can report (and stop at) every submit while the GPU runs the next.

use std::collections::VecDeque;

use ncf_core::Result;
use ncf_core::train::Progress;

use super::{GpuSteps, STEPS_PER_SUBMIT};

/// A submit whose losses are on their way to a staging buffer.
pub(super) struct InFlight {
    pub index: wgpu::SubmissionIndex,
    pub slot: usize,
    pub first: u32,
    pub last: u32,
}

impl GpuSteps {
    /// The two staging buffers a submit's step losses are copied into (slot = submit mod 2).
    pub(super) fn staging_ring(&self) -> [wgpu::Buffer; 2] {
        [0, 1].map(|k| {
            self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(&format!("ncf progress losses {k}")),
                size: STEPS_PER_SUBMIT as u64 * 4,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })
    }

    /// Waits for the oldest submit in flight and reports its steps, samples and losses.
    pub(super) fn report_oldest(&self, pending: &mut VecDeque<InFlight>, p: &Progress) -> Result<()> {
        let (Some(f), Some(staging)) = (pending.pop_front(), &self.staging) else { return Ok(()) };
        let bytes = self.ctx.map_read(&staging[f.slot], (f.last - f.first) as u64 * 4, f.index)?;
        let loss: f64 = bytemuck::cast_slice::<u8, f32>(&bytes).iter().map(|&x| x as f64).sum();
        p.advance((f.last - f.first) as u64, self.samples_in(f.first, f.last), loss);
        Ok(())
    }

    /// Samples of the steps `first..last` of an epoch (the last batch may be short).
    pub(super) fn samples_in(&self, first: u32, last: u32) -> u64 {
        let b = self.inputs.cfg.batch_size as u64;
        (last as u64 * b).min(self.n_samples as u64) - first as u64 * b
    }
}
