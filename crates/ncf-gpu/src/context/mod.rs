//! The GPU context: one adapter, device, queue and every compute pipeline, created once per
//! process and shared (as candle and wgpu's `repeated_compute` example do). Its parts live by
//! domain: `adapter` (adapter choice, device, [`GpuInfo`]), `pipelines` (built once) and
//! `buffers` (buffer helpers, bind groups, read-back).

mod adapter;
mod buffers;
mod pipelines;

use std::sync::{Arc, Mutex};

use ncf_core::{NcfError, Result};

use crate::shaders::{self, AtomicMode};

pub use adapter::{GpuInfo, GpuOptions};
pub(crate) use buffers::STEP_BYTES;
use pipelines::Pipelines;

/// A device fault [`GpuContext::simulate_fault`] can cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuFault {
    DeviceLost,
    OutOfMemory,
}

pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: GpuInfo,
    pub atomic_mode: AtomicMode,
    pub(crate) limits: wgpu::Limits,
    pub(crate) pipelines: Pipelines,
    errors: adapter::ErrorSlot,
    counts: Counters,
}

/// Submits and host waits on this context since it was made ([`GpuContext::counts`]): the
/// benchmarks and tests use them to show that an epoch's submits and read-backs do not grow.
#[derive(Debug, Default)]
struct Counters {
    submits: std::sync::atomic::AtomicU64,
    waits: std::sync::atomic::AtomicU64,
}

/// A snapshot of [`GpuContext::counts`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuCounts {
    /// Command buffers submitted to the queue.
    pub submits: u64,
    /// Times the host waited for the device to bring data back (read-backs and progress maps).
    pub waits: u64,
}

impl std::ops::Sub for GpuCounts {
    type Output = GpuCounts;
    fn sub(self, o: GpuCounts) -> GpuCounts {
        GpuCounts { submits: self.submits - o.submits, waits: self.waits - o.waits }
    }
}

impl GpuContext {
    /// The process-wide context, created on first use. A failure to find an adapter is
    /// remembered, so a machine without one answers quickly every time; a context whose device
    /// was lost (a driver reset, an unplugged GPU) is replaced by a new one on the next call.
    pub fn shared() -> Result<Arc<GpuContext>> {
        type Slot = Option<std::result::Result<Arc<GpuContext>, String>>;
        static SHARED: Mutex<Slot> = Mutex::new(None);
        let mut slot = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(Ok(ctx)) = &*slot
            && ctx.is_lost()
        {
            *slot = None;
        }
        let made =
            slot.get_or_insert_with(|| GpuContext::new(GpuOptions::default()).map(Arc::new).map_err(|e| e.to_string()));
        match made {
            Ok(ctx) => Ok(ctx.clone()),
            Err(msg) => Err(NcfError::NoAdapter(msg.clone())),
        }
    }

    pub fn new(opts: GpuOptions) -> Result<GpuContext> {
        let adapter::Opened { device, queue, info, limits, errors } = adapter::open(opts)?;
        let atomic_mode = if info.float32_atomics { AtomicMode::NativeF32 } else { AtomicMode::CasU32 };
        let pipelines = Pipelines::build(&device, info.workgroup_size, atomic_mode);
        let ctx =
            GpuContext { device, queue, info, atomic_mode, limits, pipelines, errors, counts: Counters::default() };
        ctx.check_errors()?;
        Ok(ctx)
    }

    /// Submits one command buffer, counted in [`GpuContext::counts`].
    pub(crate) fn submit(&self, commands: wgpu::CommandBuffer) -> wgpu::SubmissionIndex {
        self.counts.submits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.queue.submit([commands])
    }

    /// Submits and host waits so far on this context.
    pub fn counts(&self) -> GpuCounts {
        let get = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
        GpuCounts { submits: get(&self.counts.submits), waits: get(&self.counts.waits) }
    }

    /// Fails with the first uncaptured device error since the last check, and on every call
    /// once the device is lost (saying so, rather than whatever failed because of it).
    pub fn check_errors(&self) -> Result<()> {
        let first = self.errors.first.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(lost) = self.errors.lost.get() {
            return Err(NcfError::Gpu(lost.clone()));
        }
        first.map_or(Ok(()), |e| Err(NcfError::Gpu(e)))
    }

    /// True once the device is lost: nothing on it can run again.
    pub fn is_lost(&self) -> bool {
        self.errors.lost.get().is_some()
    }

    /// Causes a fault that cannot be caused on demand, for tests of what follows one:
    /// [`GpuFault::DeviceLost`] destroys the device (wgpu's own loss path: the lost callback
    /// runs and every later call fails); [`GpuFault::OutOfMemory`] reports the error wgpu
    /// reports when an allocation fails, at the next sync point.
    pub fn simulate_fault(&self, fault: GpuFault) {
        match fault {
            GpuFault::DeviceLost => {
                self.device.destroy();
                // wgpu runs the lost callback at its next maintenance; do it now.
                let _ = self.device.poll(wgpu::PollType::Poll);
            }
            GpuFault::OutOfMemory => self.errors.record_error(&wgpu::Error::OutOfMemory {
                source: Box::new(std::io::Error::other("simulated: no memory left on the device")),
            }),
        }
    }

    /// Side of the square workgroup of the `gemm` kernel.
    pub fn tile(&self) -> u32 {
        shaders::tile_for(self.info.workgroup_size)
    }

    /// Workgroup grid for `threads` invocations, split into rows when it exceeds the
    /// per-dimension limit.
    pub(crate) fn grid(&self, threads: u32) -> (u32, u32) {
        self.grid_of(threads, self.info.workgroup_size)
    }

    /// [`GpuContext::grid`] for workgroups of `wg` invocations.
    pub(crate) fn grid_of(&self, threads: u32, wg: u32) -> (u32, u32) {
        let groups = threads.div_ceil(wg).max(1);
        let max = self.limits.max_compute_workgroups_per_dimension;
        if groups <= max { (groups, 1) } else { (max, groups.div_ceil(max)) }
    }
}
