//! Buffer helpers and read-back: storage and uniform buffers checked against the adapter's
//! binding limit, uniform rings read by dynamic offset, bind groups, and the one-submit,
//! one-wait copies that bring results back to the host.

use std::num::NonZeroU64;

use ncf_core::{NcfError, Result};

use super::GpuContext;

/// Size in bytes of one `Step` record (see common.wgsl).
pub(crate) const STEP_BYTES: u64 = std::mem::size_of::<crate::records::StepRecord>() as u64;

impl GpuContext {
    /// The bags buffer of a model's side features ([`crate::records::feature_words`]); refuses
    /// a layout with features but no bags, which would silently score without them.
    pub(crate) fn bags_buffer(
        &self,
        layout: ncf_core::Layout,
        features: Option<&ncf_core::model::ModelFeatures>,
    ) -> Result<wgpu::Buffer> {
        if layout.features.inputs().is_some() && features.is_none() {
            return Err(NcfError::invalid("features", "the layout has side features but no bags were given"));
        }
        let words = crate::records::feature_words(layout, features);
        self.storage_init("ncf feature bags", &words, wgpu::BufferUsages::empty())
    }

    /// Dynamic-offset stride of `Step` records.
    pub(crate) fn step_stride(&self) -> u64 {
        self.ring_stride(STEP_BYTES)
    }

    /// Distance between records of `bytes` in a uniform ring read by dynamic offsets.
    pub(crate) fn ring_stride(&self, bytes: u64) -> u64 {
        bytes.next_multiple_of(self.limits.min_uniform_buffer_offset_alignment as u64)
    }

    /// Writes `records` into consecutive ring slots from slot 0.
    pub(crate) fn write_ring<T: bytemuck::Pod>(&self, ring: &wgpu::Buffer, records: &[T]) {
        let size = std::mem::size_of::<T>();
        let stride = self.ring_stride(size as u64) as usize;
        let mut bytes = vec![0u8; stride * records.len()];
        for (k, r) in records.iter().enumerate() {
            bytes[k * stride..k * stride + size].copy_from_slice(bytemuck::bytes_of(r));
        }
        if !bytes.is_empty() {
            self.queue.write_buffer(ring, 0, &bytes);
        }
    }

    /// Checks a storage buffer against the adapter's binding limit before allocating it.
    pub(crate) fn check_storage(&self, what: &str, bytes: u64) -> Result<()> {
        let max = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        if bytes > max {
            return Err(NcfError::GpuLimit(format!(
                "{what} needs {bytes} bytes but the GPU adapter '{}' binds at most {max} bytes per buffer; \
                 use a smaller dataset, batch or model, or device: 'cpu'",
                self.info.name
            )));
        }
        Ok(())
    }

    pub(crate) fn storage_init<T: bytemuck::Pod>(
        &self,
        label: &str,
        data: &[T],
        extra: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        self.check_storage(label, bytes.len() as u64)?;
        // Not `create_buffer_init`: it panics when the device is lost. A queue write is
        // recorded as an error instead, and lands before the next submit all the same.
        self.check_lost()?;
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            // wgpu rejects zero-sized bindings; keep at least one word.
            size: padded(bytes.len() as u64),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST | extra,
            mapped_at_creation: false,
        });
        self.write_padded(&buf, bytes);
        Ok(buf)
    }

    /// Writes `bytes` at the start of `buf`, padded with zeros to whole words.
    pub(crate) fn write_padded(&self, buf: &wgpu::Buffer, bytes: &[u8]) {
        if bytes.len().is_multiple_of(4) {
            if !bytes.is_empty() {
                self.queue.write_buffer(buf, 0, bytes);
            }
        } else {
            let mut words = bytes.to_vec();
            words.resize(bytes.len().next_multiple_of(4), 0);
            self.queue.write_buffer(buf, 0, &words);
        }
    }

    /// Fails at once on a lost device, before any call that would wait on it.
    pub(crate) fn check_lost(&self) -> Result<()> {
        if self.is_lost() { self.check_errors() } else { Ok(()) }
    }

    pub(crate) fn storage_zeroed(&self, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
        self.check_storage(label, bytes)?;
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: padded(bytes),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }

    pub(crate) fn uniform(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.max(16),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A bind group of `(binding, buffer)` pairs; `step_binding` is bound as one `Step` record
    /// for dynamic offsets.
    pub(crate) fn bind_group(
        &self,
        label: &str,
        layout: &wgpu::BindGroupLayout,
        buffers: &[(u32, &wgpu::Buffer)],
        step_binding: Option<u32>,
    ) -> wgpu::BindGroup {
        self.bind_group_ring(label, layout, buffers, step_binding.map(|b| (b, STEP_BYTES)))
    }

    /// As [`GpuContext::bind_group`], with `ring = (binding, record size)` bound as one record
    /// of a uniform ring for dynamic offsets.
    pub(crate) fn bind_group_ring(
        &self,
        label: &str,
        layout: &wgpu::BindGroupLayout,
        buffers: &[(u32, &wgpu::Buffer)],
        ring: Option<(u32, u64)>,
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .map(|&(b, buf)| wgpu::BindGroupEntry {
                binding: b,
                resource: if let Some((_, size)) = ring.filter(|r| r.0 == b) {
                    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: buf,
                        offset: 0,
                        size: NonZeroU64::new(size),
                    })
                } else {
                    buf.as_entire_binding()
                },
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(label), layout, entries: &entries })
    }

    /// Maps `bytes` of a `MAP_READ` buffer that submit `index` filled, once that submit is done,
    /// and returns them (the buffer is unmapped again for reuse).
    pub(crate) fn map_read(&self, buf: &wgpu::Buffer, bytes: u64, index: wgpu::SubmissionIndex) -> Result<Vec<u8>> {
        buf.slice(..padded(bytes)).map_async(wgpu::MapMode::Read, |_| {});
        self.wait_for(index)?;
        take_mapped(buf, bytes)
    }

    /// Copies buffers to host memory with one submit and one wait.
    pub(crate) fn read_back(
        &self,
        encoder: wgpu::CommandEncoder,
        sources: &[(&wgpu::Buffer, u64)],
    ) -> Result<Vec<Vec<u8>>> {
        let mut encoder = encoder;
        let staging: Vec<wgpu::Buffer> = sources
            .iter()
            .map(|&(src, bytes)| {
                let size = padded(bytes);
                let dst = self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("ncf read-back staging"),
                    size,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                encoder.copy_buffer_to_buffer(src, 0, &dst, 0, size);
                dst
            })
            .collect();
        let index = self.submit(encoder.finish());
        for s in &staging {
            s.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        }
        self.wait_for(index)?;
        staging.iter().zip(sources).map(|(s, &(_, bytes))| take_mapped(s, bytes)).collect()
    }

    /// Blocks until submit `index` is done, then fails with any device error it raised (the
    /// mapping callbacks only run inside this poll).
    fn wait_for(&self, index: wgpu::SubmissionIndex) -> Result<()> {
        self.counts.waits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let waited = self.device.poll(wgpu::PollType::Wait { submission_index: Some(index), timeout: None });
        // A wait fails when its submit did (a lost device): the recorded cause comes first.
        self.check_errors()?;
        waited.map_err(|e| NcfError::Gpu(format!("waiting for the GPU failed: {e}")))?;
        Ok(())
    }

    pub(crate) fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }
}

/// Copy sizes are whole words and never 0 (wgpu rejects empty copies and mappings).
fn padded(bytes: u64) -> u64 {
    bytes.max(4).next_multiple_of(4)
}

/// The first `bytes` of a buffer mapped over `..padded(bytes)`, unmapping it for reuse.
fn take_mapped(buf: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
    let view = buf
        .slice(..padded(bytes))
        .get_mapped_range()
        .map_err(|e| NcfError::Gpu(format!("mapping a read-back buffer failed: {e}")))?;
    let out = view[..bytes as usize].to_vec();
    drop(view);
    buf.unmap();
    Ok(out)
}
