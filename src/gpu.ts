// The GPU adapter as ncf-native sees it (`gpuInfo`).
import { call } from './errors.js'
import { native } from './native.js'

/** The adapter's limits that bound what can be trained on it. */
export interface GpuLimits {
  /** Largest storage buffer one binding may see, in bytes (wgpu `max_storage_buffer_binding_size`). */
  maxStorageBufferBindingSize: number
  /** Largest buffer the device allocates, in bytes. */
  maxBufferSize: number
  /** Largest workgroup width in x. */
  maxComputeWorkgroupSizeX: number
  /** Most invocations in one workgroup. */
  maxComputeInvocationsPerWorkgroup: number
  /** Most workgroups per dispatch dimension. */
  maxComputeWorkgroupsPerDimension: number
  /** Alignment of dynamic uniform offsets, in bytes (the per-step record ring follows it). */
  minUniformBufferOffsetAlignment: number
}

/** What {@link gpuInfo} reports about the GPU adapter. */
export interface GpuInfo {
  /** Adapter name, e.g. `NVIDIA H100` or `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  name: string
  /** `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` (software) or `Other`. */
  deviceType: string
  /** Graphics API: `Vulkan`, `Metal` or `Dx12`. */
  backend: string
  /** Driver name. */
  driver: string
  /** Driver version and details. */
  driverInfo: string
  /** The limits the kernels are sized by. */
  limits: GpuLimits
  /** Smallest subgroup (warp, wave) size the adapter reports. */
  subgroupMinSize: number
  /** Largest subgroup size the adapter reports. */
  subgroupMaxSize: number
  /** Whether gradients accumulate with native f32 atomics (else a compare-exchange loop). */
  float32Atomics: boolean
  /** Workgroup size the kernels were compiled with. */
  workgroupSize: number
}

/**
 * Describes the GPU adapter ncf-native trains on. The adapter is chosen once per process:
 * discrete over integrated over virtual over software.
 *
 * @throws {@link NcfError} `ERR_NO_GPU` when no adapter exists; the message says what to
 * install, and `device: 'cpu'` always works.
 * @example
 * ```ts
 * const info = await gpuInfo()
 * console.log(info.name, info.backend, info.limits.maxStorageBufferBindingSize)
 * ```
 */
export async function gpuInfo(): Promise<GpuInfo> {
  return call(() => native.gpuInfo())
}
