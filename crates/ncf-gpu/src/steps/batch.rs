//! Caller-chosen batches for the parity tests: one batch's gradients or optimizer step, and
//! the samples an epoch drew, read back from the device.

use ncf_core::cpu::sampling::Samples;
use ncf_core::{NcfError, Result};

use super::GpuSteps;

impl GpuSteps {
    /// Writes a caller-chosen batch into the sample buffers (parity tests).
    pub(super) fn upload_batch(&self, users: &[u32], items: &[u32], labels: &[f32]) -> Result<u32> {
        let n = users.len();
        if n == 0 || n != items.len() || n != labels.len() || n > self.window as usize {
            return Err(NcfError::invalid("batch", format!("needs 1..={} equal-length arrays", self.window)));
        }
        self.ctx.queue.write_buffer(&self.s_users, 0, bytemuck::cast_slice(users));
        self.ctx.queue.write_buffer(&self.s_items, 0, bytemuck::cast_slice(items));
        self.ctx.queue.write_buffer(&self.s_labels, 0, bytemuck::cast_slice(labels));
        Ok(n as u32)
    }

    /// Runs one caller-chosen batch (forward/backward, then the optimizer when `optimize`),
    /// reading back `what` and the batch's summed loss in one read-back.
    pub(super) fn run_batch(
        &mut self,
        users: &[u32],
        items: &[u32],
        labels: &[f32],
        optimize: bool,
    ) -> Result<(Vec<f32>, f64)> {
        let n = self.upload_batch(users, items, labels)?;
        // The step this batch is (or would be): its optimizer scalars and dropout masks.
        let step = self.step + 1;
        if optimize {
            self.step = step;
        }
        let rec = vec![self.step_records(0, n, 0, step)];
        let gemm = self.write_rings(&rec, &[step]);
        let mut enc = self.ctx.encoder("ncf single batch");
        enc.clear_buffer(&self.step_loss, 0, None);
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("ncf single batch"),
                timestamp_writes: None,
            });
            self.encode_steps(&mut pass, &rec, &gemm, optimize);
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
        // A sparse backward claimed rows that no optimizer step released.
        for (o, n) in self.owners.iter().zip([self.inputs.data.num_users, self.inputs.data.num_items]) {
            self.ctx.queue.write_buffer(o, 0, bytemuck::cast_slice(&vec![u32::MAX; n as usize]));
        }
        self.ctx.submit(clear.finish());
        Ok(out)
    }

    /// One optimizer step on a caller-chosen batch; returns the summed loss.
    pub fn train_batch(&mut self, users: &[u32], items: &[u32], labels: &[f32]) -> Result<f64> {
        let (params, loss) = self.run_batch(users, items, labels, true)?;
        self.params_cpu.data = params;
        Ok(loss)
    }

    /// The samples of the last epoch's last window (the whole epoch unless it was drawn in
    /// windows), in training order, as the GPU drew them.
    pub fn samples(&self) -> Result<Samples> {
        let bytes = self.window as u64 * 4;
        let enc = self.ctx.encoder("ncf read samples");
        let out =
            self.ctx.read_back(enc, &[(&self.s_users, bytes), (&self.s_items, bytes), (&self.s_labels, bytes)])?;
        Ok(Samples {
            users: bytemuck::cast_slice(&out[0]).to_vec(),
            items: bytemuck::cast_slice(&out[1]).to_vec(),
            labels: bytemuck::cast_slice(&out[2]).to_vec(),
        })
    }

    /// Draws the first window of an epoch's samples (all of them unless windowed) without
    /// training on them (sampler parity tests).
    pub fn sample_only(&mut self, epoch: u32) -> Result<Samples> {
        let mut enc = self.ctx.encoder("ncf sample only");
        self.encode_sampling(&mut enc, epoch, 0);
        self.ctx.submit(enc.finish());
        self.samples()
    }
}
