use napi_derive::napi;

use crate::errors::IntoNapi;
use crate::job::Job;

#[napi(object)]
pub struct GpuLimits {
    pub max_storage_buffer_binding_size: f64,
    pub max_buffer_size: f64,
    pub max_compute_workgroup_size_x: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroups_per_dimension: u32,
    pub min_uniform_buffer_offset_alignment: u32,
}

#[napi(object)]
pub struct GpuInfo {
    pub name: String,
    pub device_type: String,
    pub backend: String,
    pub driver: String,
    pub driver_info: String,
    pub limits: GpuLimits,
    pub subgroup_min_size: u32,
    pub subgroup_max_size: u32,
    pub float32_atomics: bool,
    pub workgroup_size: u32,
}

/// Describes the GPU adapter ncf-native uses; rejects with code ERR_NO_GPU when there is none.
#[napi(ts_return_type = "Promise<GpuInfo>")]
pub fn gpu_info() -> napi::bindgen_prelude::AsyncTask<Job<GpuInfo>> {
    Job::spawn(|| {
        let i = &ncf_gpu::gpu_info().napi()?;
        Ok(GpuInfo {
            name: i.name.clone(),
            device_type: i.device_type.clone(),
            backend: i.backend.clone(),
            driver: i.driver.clone(),
            driver_info: i.driver_info.clone(),
            limits: GpuLimits {
                max_storage_buffer_binding_size: i.max_storage_buffer_binding_size as f64,
                max_buffer_size: i.max_buffer_size as f64,
                max_compute_workgroup_size_x: i.max_compute_workgroup_size_x,
                max_compute_invocations_per_workgroup: i.max_compute_invocations_per_workgroup,
                max_compute_workgroups_per_dimension: i.max_compute_workgroups_per_dimension,
                min_uniform_buffer_offset_alignment: i.min_uniform_buffer_offset_alignment,
            },
            subgroup_min_size: i.subgroup_min_size,
            subgroup_max_size: i.subgroup_max_size,
            float32_atomics: i.float32_atomics,
            workgroup_size: i.workgroup_size,
        })
    })
}
