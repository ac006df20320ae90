//! Adapter choice and device creation: the best adapter with compute shaders, a device with
//! the adapter's own limits (and native float atomics where it has them), errors recorded
//! instead of panicking, and [`GpuInfo`], what the adapter is.

use std::sync::{Arc, Mutex, OnceLock};

use ncf_core::{NcfError, Result};

/// What the adapter is and the limits that bound the problem sizes it can train.
#[derive(Clone, Debug)]
pub struct GpuInfo {
    pub name: String,
    /// `kind` as text (`"DiscreteGpu"`, `"Cpu"`, …), for people: `gpuInfo()` shows it.
    pub device_type: String,
    /// The typed adapter type; decisions are made on this, never on `device_type`'s text.
    pub kind: wgpu::DeviceType,
    pub backend: String,
    pub driver: String,
    pub driver_info: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroup_size_x: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroups_per_dimension: u32,
    pub min_uniform_buffer_offset_alignment: u32,
    pub subgroup_min_size: u32,
    pub subgroup_max_size: u32,
    pub float32_atomics: bool,
    pub workgroup_size: u32,
}

impl GpuInfo {
    /// A software rasterizer (lavapipe, SwiftShader, WARP): wgpu reports it as
    /// `DeviceType::Cpu`. It runs the kernels on the same cores the CPU backend uses natively.
    pub fn is_software(&self) -> bool {
        self.kind == wgpu::DeviceType::Cpu
    }
}

/// Options for building a context; tests use `force_cas_atomics` to exercise the portable
/// compare-exchange path on adapters that have native float atomics, and `max_binding` to
/// request a device whose storage bindings (and buffers) are at most that many bytes, as a
/// small adapter's would be.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuOptions {
    pub force_cas_atomics: bool,
    pub max_binding: Option<u64>,
}

/// The device's health: the first uncaptured error since the last check, and whether (and why)
/// the device was lost, which no later call can undo.
#[derive(Debug, Default)]
pub(super) struct Health {
    pub first: Mutex<Option<String>>,
    pub lost: OnceLock<String>,
}

pub(super) type ErrorSlot = Arc<Health>;

impl Health {
    fn record(&self, message: String) {
        let mut slot = self.first.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(message);
        }
    }
    /// An error wgpu reported outside any call: out of memory says what to change.
    pub fn record_error(&self, e: &wgpu::Error) {
        self.record(match e {
            wgpu::Error::OutOfMemory { .. } => format!(
                "the GPU ran out of memory ({e}); use a smaller batchSize, model or dataset, or device: 'cpu' \
                 ('auto' continues on the CPU backend)"
            ),
            _ => e.to_string(),
        });
    }
    pub fn record_lost(&self, reason: wgpu::DeviceLostReason, message: &str) {
        let why = format!(
            "the GPU device was lost ({reason:?}{}{message}); the next call opens the GPU again \
             ('auto' continues on the CPU backend)",
            if message.is_empty() { "" } else { ": " }
        );
        let _ = self.lost.set(why.clone());
        self.record(why);
    }
}

/// A device opened on the chosen adapter, before any pipeline exists.
pub(super) struct Opened {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: GpuInfo,
    pub limits: wgpu::Limits,
    pub errors: ErrorSlot,
}

/// What to install, by the platform's own GPU APIs (wgpu's backends per OS in Cargo.toml).
#[cfg(target_os = "windows")]
const NO_ADAPTER_HELP: &str = "no GPU adapter found. Install or update your GPU's driver (DirectX 12 or \
Vulkan), or pass device: 'cpu' to train on the CPU backend";
#[cfg(target_os = "macos")]
const NO_ADAPTER_HELP: &str = "no GPU adapter found (Metal). Pass device: 'cpu' to train on the CPU backend";
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const NO_ADAPTER_HELP: &str = "no GPU adapter found. Install a Vulkan driver for your GPU \
(on Linux without a GPU: `sudo apt-get install mesa-vulkan-drivers libvulkan1` for the lavapipe \
software adapter), or pass device: 'cpu' to train on the CPU backend";

/// Prefer discrete over integrated over virtual over software adapters.
fn rank_device_type(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

/// Opens a device on the best adapter that has compute shaders. An adapter that refuses a device
/// (a broken driver, a translation layer without what it needs) gives way to the next one, so one
/// bad adapter does not hide a working one; when all refuse, the error names each refusal.
pub(super) fn open(opts: GpuOptions) -> Result<Opened> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters.retain(|a| a.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS));
    adapters.sort_by_key(|a| rank_device_type(a.get_info().device_type));
    let mut refusals = Vec::new();
    for adapter in adapters {
        match open_on(&adapter, opts) {
            Ok(opened) => return Ok(opened),
            Err(why) => refusals.push(why),
        }
    }
    Err(NcfError::NoAdapter(if refusals.is_empty() {
        NO_ADAPTER_HELP.into()
    } else {
        format!("{}. {NO_ADAPTER_HELP}", refusals.join("; "))
    }))
}

/// A device on `adapter`, or why the adapter refused one.
fn open_on(adapter: &wgpu::Adapter, opts: GpuOptions) -> std::result::Result<Opened, String> {
    let ainfo = adapter.get_info();
    let float_atomics = !opts.force_cas_atomics && adapter.features().contains(wgpu::Features::SHADER_FLOAT32_ATOMIC);
    let features = if float_atomics { wgpu::Features::SHADER_FLOAT32_ATOMIC } else { wgpu::Features::empty() };
    let mut limits = adapter.limits();
    if let Some(cap) = opts.max_binding {
        // Bound to the storage alignment wgpu requires of the limit (a multiple of 4).
        let cap = (cap.max(4) / 4) * 4;
        limits.max_storage_buffer_binding_size = limits.max_storage_buffer_binding_size.min(cap);
        limits.max_buffer_size = limits.max_buffer_size.min(cap);
    }
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("ncf-native device"),
        required_features: features,
        required_limits: limits.clone(),
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    }))
    .map_err(|e| format!("the adapter '{}' ({:?}) refused a device: {e}", ainfo.name, ainfo.backend))?;

    // wgpu's default handler panics; record the error instead and fail the next sync point.
    let errors: ErrorSlot = Arc::new(Health::default());
    let sink = errors.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| sink.record_error(&e)));
    let lost = errors.clone();
    device.set_device_lost_callback(move |reason, msg| lost.record_lost(reason, &msg));

    // Largest power of two ≤ 256 the adapter allows (the loss reduction needs a power of two).
    let cap = 256.min(limits.max_compute_invocations_per_workgroup).min(limits.max_compute_workgroup_size_x);
    let wg = 1u32 << (31 - cap.max(1).leading_zeros());
    let info = GpuInfo {
        name: ainfo.name.clone(),
        device_type: format!("{:?}", ainfo.device_type),
        kind: ainfo.device_type,
        backend: format!("{:?}", ainfo.backend),
        driver: ainfo.driver.clone(),
        driver_info: ainfo.driver_info.clone(),
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_buffer_size: limits.max_buffer_size,
        max_compute_workgroup_size_x: limits.max_compute_workgroup_size_x,
        max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        min_uniform_buffer_offset_alignment: limits.min_uniform_buffer_offset_alignment,
        subgroup_min_size: ainfo.subgroup_min_size,
        subgroup_max_size: ainfo.subgroup_max_size,
        float32_atomics: float_atomics,
        workgroup_size: wg,
    };
    Ok(Opened { device, queue, info, limits, errors })
}
