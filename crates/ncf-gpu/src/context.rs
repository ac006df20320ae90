//! The GPU context: one adapter, device, queue and every compute pipeline, created once per
//! process and shared (as candle and wgpu's `repeated_compute` example do).

use std::num::NonZeroU64;
use std::sync::{Arc, Mutex, OnceLock};

use ncf_core::{NcfError, Result};
use wgpu::util::DeviceExt;

use crate::shaders::{self, AtomicMode};

/// What the adapter is and the limits that bound the problem sizes it can train.
#[derive(Clone, Debug)]
pub struct GpuInfo {
    pub name: String,
    pub device_type: String,
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

/// Options for building a context; tests use `force_cas_atomics` to exercise the portable
/// compare-exchange path on adapters that have native float atomics.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuOptions {
    pub force_cas_atomics: bool,
}

pub(crate) struct Pipelines {
    pub sampling_layout: wgpu::BindGroupLayout,
    pub gmf_layout: wgpu::BindGroupLayout,
    pub predict_layout: wgpu::BindGroupLayout,
    pub optim_layout: wgpu::BindGroupLayout,
    pub metrics_layout: wgpu::BindGroupLayout,
    pub sample_epoch: wgpu::ComputePipeline,
    /// Per model kind (index `kind as usize`: GMF, MF).
    pub forward_backward: [wgpu::ComputePipeline; 2],
    pub predict: [wgpu::ComputePipeline; 2],
    pub adam: wgpu::ComputePipeline,
    pub sgd: wgpu::ComputePipeline,
    pub rank_cases: wgpu::ComputePipeline,
    pub rating_errors: wgpu::ComputePipeline,
    pub gemm_layout: wgpu::BindGroupLayout,
    pub gemm: wgpu::ComputePipeline,
    pub neural_layout: wgpu::BindGroupLayout,
    pub gather: wgpu::ComputePipeline,
    pub head_forward: wgpu::ComputePipeline,
    pub head_backward: wgpu::ComputePipeline,
    pub scatter: wgpu::ComputePipeline,
    pub similarity_layout: wgpu::BindGroupLayout,
    pub cosine: wgpu::ComputePipeline,
}

pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: GpuInfo,
    pub atomic_mode: AtomicMode,
    pub(crate) limits: wgpu::Limits,
    pub(crate) pipelines: Pipelines,
    errors: Arc<Mutex<Option<String>>>,
}

/// Size in bytes of one `Step` record (see common.wgsl).
pub(crate) const STEP_BYTES: u64 = 80;

const NO_ADAPTER_HELP: &str = "no GPU adapter found. Install a Vulkan driver for your GPU \
(on Linux without a GPU: `sudo apt-get install mesa-vulkan-drivers libvulkan1` for the lavapipe \
software adapter), or pass device: 'cpu' to train on the CPU backend";

fn rank_device_type(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

#[derive(Clone, Copy)]
enum Slot {
    Uniform { dynamic: bool },
    Storage { read_only: bool },
}

/// A bind group layout of `(binding, slot)` pairs; bindings need not be contiguous, so entry
/// points of one module can each bind the subset they use.
fn layout(device: &wgpu::Device, label: &str, slots: &[(u32, Slot)]) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = slots
        .iter()
        .map(|(b, slot)| wgpu::BindGroupLayoutEntry {
            binding: *b,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: match *slot {
                Slot::Uniform { dynamic } => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: dynamic,
                    min_binding_size: None,
                },
                Slot::Storage { read_only } => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            },
            count: None,
        })
        .collect();
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(label), entries: &entries })
}

fn pipeline(
    device: &wgpu::Device,
    label: &str,
    source: &str,
    entry: &str,
    bgl: &wgpu::BindGroupLayout,
) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(bgl)],
        immediate_size: 0,
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pl),
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
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
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        // Prefer discrete over integrated over virtual over software adapters.
        adapters.retain(|a| a.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS));
        adapters.sort_by_key(|a| rank_device_type(a.get_info().device_type));
        let adapter = adapters.into_iter().next().ok_or_else(|| NcfError::NoAdapter(NO_ADAPTER_HELP.into()))?;
        let ainfo = adapter.get_info();
        let float_atomics =
            !opts.force_cas_atomics && adapter.features().contains(wgpu::Features::SHADER_FLOAT32_ATOMIC);
        let features = if float_atomics { wgpu::Features::SHADER_FLOAT32_ATOMIC } else { wgpu::Features::empty() };
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("ncf-native device"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| {
            NcfError::NoAdapter(format!("the adapter '{}' refused a device: {e}. {NO_ADAPTER_HELP}", ainfo.name))
        })?;

        // wgpu's default handler panics; record the error instead and fail the next sync point.
        let errors = Arc::new(Mutex::new(None::<String>));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(e.to_string());
            }
        }));
        let lost = errors.clone();
        device.set_device_lost_callback(move |reason, msg| {
            let mut slot = lost.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(format!("device lost ({reason:?}): {msg}"));
            }
        });

        // Largest power of two ≤ 256 the adapter allows (the loss reduction needs a power of two).
        let cap = 256.min(limits.max_compute_invocations_per_workgroup).min(limits.max_compute_workgroup_size_x);
        let wg = 1u32 << (31 - cap.max(1).leading_zeros());
        let atomic_mode = if float_atomics { AtomicMode::NativeF32 } else { AtomicMode::CasU32 };
        let pipelines = build_pipelines(&device, wg, atomic_mode);

        let info = GpuInfo {
            name: ainfo.name.clone(),
            device_type: format!("{:?}", ainfo.device_type),
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
        let groups = threads.div_ceil(self.info.workgroup_size).max(1);
        let max = self.limits.max_compute_workgroups_per_dimension;
        if groups <= max { (groups, 1) } else { (max, groups.div_ceil(max)) }
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
            return Err(NcfError::Data(format!(
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
        // wgpu rejects zero-sized bindings; keep at least one element.
        let padded;
        let contents = if bytes.is_empty() {
            padded = [0u8; 4];
            &padded[..]
        } else {
            bytes
        };
        Ok(self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST | extra,
        }))
    }

    pub(crate) fn storage_zeroed(&self, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
        self.check_storage(label, bytes)?;
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.max(4).next_multiple_of(4),
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
        let slice = buf.slice(..bytes.max(4).next_multiple_of(4));
        slice.map_async(wgpu::MapMode::Read, |_| {});
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(index), timeout: None })
            .map_err(|e| NcfError::Gpu(format!("waiting for the GPU failed: {e}")))?;
        self.check_errors()?;
        let view =
            slice.get_mapped_range().map_err(|e| NcfError::Gpu(format!("mapping a read-back buffer failed: {e}")))?;
        let out = view[..bytes as usize].to_vec();
        drop(view);
        buf.unmap();
        Ok(out)
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
            .map(|(src, bytes)| {
                let size = bytes.max(&4).next_multiple_of(4);
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
        let index = self.queue.submit([encoder.finish()]);
        for s in &staging {
            s.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        }
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(index), timeout: None })
            .map_err(|e| NcfError::Gpu(format!("waiting for the GPU failed: {e}")))?;
        self.check_errors()?;
        let mut out = Vec::with_capacity(staging.len());
        for (s, (_, bytes)) in staging.iter().zip(sources) {
            let view = s
                .slice(..)
                .get_mapped_range()
                .map_err(|e| NcfError::Gpu(format!("mapping a read-back buffer failed: {e}")))?;
            out.push(view[..*bytes as usize].to_vec());
            drop(view);
            s.unmap();
        }
        Ok(out)
    }

    pub(crate) fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }
}

fn build_pipelines(device: &wgpu::Device, wg: u32, mode: AtomicMode) -> Pipelines {
    use Slot::*;
    let ro = Storage { read_only: true };
    let rw = Storage { read_only: false };
    let dynu = Uniform { dynamic: true };
    let u = Uniform { dynamic: false };
    let sampling_layout =
        layout(device, "ncf sampling layout", &[(0, u), (1, ro), (2, ro), (3, ro), (4, rw), (5, rw), (6, rw), (7, ro)]);
    let gmf_layout = layout(
        device,
        "ncf factorization layout",
        &[(0, dynu), (1, ro), (2, rw), (3, ro), (4, ro), (5, ro), (6, rw), (8, ro)],
    );
    let predict_layout =
        layout(device, "ncf factorization predict layout", &[(0, dynu), (1, ro), (3, ro), (4, ro), (7, rw), (8, ro)]);
    let optim_layout = layout(device, "ncf optimizer layout", &[(0, dynu), (1, rw), (2, rw), (3, rw), (4, rw)]);
    let metrics_layout = layout(device, "ncf metrics layout", &[(0, u), (1, ro), (2, rw), (3, rw), (4, ro)]);

    let sampling_src = shaders::compose(shaders::SAMPLING, wg, 0, None);
    let model_src = |m: u32| {
        shaders::compose(&shaders::scoring(shaders::FACTORIZATION), wg, m, Some((mode, &["grads", "step_loss"])))
    };
    let (gmf_src, mf_src) = (model_src(0), model_src(1));
    let optim_src = shaders::compose(shaders::OPTIM, wg, 0, Some((mode, &["grads"])));
    let metrics_src = shaders::compose(shaders::METRICS, wg, 0, None);
    let dense_src = shaders::compose(shaders::DENSE, wg, 0, None);
    let gemm_layout = layout(device, "ncf gemm layout", &[(0, dynu), (1, ro), (2, ro), (3, rw), (4, ro), (5, ro)]);
    let neural_layout = layout(
        device,
        "ncf neural layout",
        &[(0, dynu), (1, u), (2, ro), (3, rw), (4, ro), (5, ro), (6, ro), (7, rw), (8, ro), (9, rw), (10, ro)],
    );
    let neural_src = shaders::compose(&shaders::scoring(shaders::NEURAL), wg, 0, Some((mode, &["grads", "step_loss"])));
    let neural = |entry: &str| pipeline(device, &format!("ncf neural {entry}"), &neural_src, entry, &neural_layout);
    let similarity_layout = layout(device, "ncf similarity layout", &[(0, u), (1, ro), (2, ro), (3, rw)]);
    let similarity_src = shaders::compose(shaders::SIMILARITY, wg, 0, None);
    Pipelines {
        sample_epoch: pipeline(device, "ncf sample_epoch", &sampling_src, "sample_epoch", &sampling_layout),
        forward_backward: [
            pipeline(device, "ncf gmf forward_backward", &gmf_src, "forward_backward", &gmf_layout),
            pipeline(device, "ncf mf forward_backward", &mf_src, "forward_backward", &gmf_layout),
        ],
        predict: [
            pipeline(device, "ncf gmf predict", &gmf_src, "predict", &predict_layout),
            pipeline(device, "ncf mf predict", &mf_src, "predict", &predict_layout),
        ],
        adam: pipeline(device, "ncf adam", &optim_src, "adam", &optim_layout),
        sgd: pipeline(device, "ncf sgd", &optim_src, "sgd", &optim_layout),
        rank_cases: pipeline(device, "ncf rank_cases", &metrics_src, "rank_cases", &metrics_layout),
        rating_errors: pipeline(device, "ncf rating_errors", &metrics_src, "rating_errors", &metrics_layout),
        gemm: pipeline(device, "ncf dense gemm", &dense_src, "gemm", &gemm_layout),
        gather: neural("gather"),
        head_forward: neural("head_forward"),
        head_backward: neural("head_backward"),
        scatter: neural("scatter"),
        cosine: pipeline(device, "ncf similarity cosine", &similarity_src, "cosine", &similarity_layout),
        similarity_layout,
        neural_layout,
        gemm_layout,
        sampling_layout,
        gmf_layout,
        predict_layout,
        optim_layout,
        metrics_layout,
    }
}
