//! The GPU context: one adapter, device, queue and every compute pipeline, created once per
//! process and shared (as candle and wgpu's `repeated_compute` example do). Its parts live by
//! domain: `adapter` (adapter choice, device, [`GpuInfo`]), `pipelines` (built once) and
//! `buffers` (buffer helpers, bind groups, read-back).

mod adapter;
mod buffers;
mod pipelines;

use std::sync::{Arc, OnceLock};

use ncf_core::{NcfError, Result};

use crate::shaders::{self, AtomicMode};

pub use adapter::{GpuInfo, GpuOptions};
pub(crate) use buffers::STEP_BYTES;
use pipelines::Pipelines;

pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: GpuInfo,
    pub atomic_mode: AtomicMode,
    pub(crate) limits: wgpu::Limits,
    pub(crate) pipelines: Pipelines,
    errors: adapter::ErrorSlot,
}

impl GpuContext {
    /// The process-wide context, created on first use. A failure is remembered, so a machine
    /// without an adapter answers quickly every time.
    pub fn shared() -> Result<Arc<GpuContext>> {
        static SHARED: OnceLock<std::result::Result<Arc<GpuContext>, String>> = OnceLock::new();
        match SHARED.get_or_init(|| GpuContext::new(GpuOptions::default()).map(Arc::new).map_err(|e| e.to_string())) {
            Ok(ctx) => Ok(ctx.clone()),
            Err(msg) => Err(NcfError::NoAdapter(msg.clone())),
        }
    }

    pub fn new(opts: GpuOptions) -> Result<GpuContext> {
        let adapter::Opened { device, queue, info, limits, errors } = adapter::open(opts)?;
        let atomic_mode = if info.float32_atomics { AtomicMode::NativeF32 } else { AtomicMode::CasU32 };
        let pipelines = Pipelines::build(&device, info.workgroup_size, atomic_mode);
        let ctx = GpuContext { device, queue, info, atomic_mode, limits, pipelines, errors };
        ctx.check_errors()?;
        Ok(ctx)
    }

    /// Fails with the first uncaptured device error since the last check.
    pub fn check_errors(&self) -> Result<()> {
        let mut slot = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        match slot.take() {
            Some(e) => Err(NcfError::Gpu(e)),
            None => Ok(()),
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
