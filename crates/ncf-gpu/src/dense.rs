//! The `gemm` kernel (`shaders/dense.wgsl`) and the dense-layer products built on it. The MLP
//! tower records these dispatches inside its training passes; the functions here run one
//! product per submit, for tests and one-off use.

use ncf_core::train::Dropout;
use ncf_core::{NcfError, Result};

use crate::context::GpuContext;

/// Mirror of `struct Gemm` in dense.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GemmRecord {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub flags: u32,
    pub a_off: u32,
    pub a_rs: u32,
    pub a_cs: u32,
    pub b_off: u32,
    pub b_rs: u32,
    pub b_cs: u32,
    pub c_off: u32,
    pub c_rs: u32,
    pub bias_off: u32,
    pub mask_off: u32,
    pub dropout_key: u32,
    pub dropout_p: f32,
    /// Batch row of row 0 (dropout masks are drawn per batch row).
    pub row0: u32,
    pub _pad: [u32; 3],
}

/// Size of one `GemmRecord` in a uniform ring.
pub const GEMM_BYTES: u64 = std::mem::size_of::<GemmRecord>() as u64;

pub const ADD_BIAS: u32 = 1;
pub const RELU: u32 = 2;
pub const MASK_A: u32 = 4;
pub const ACCUMULATE: u32 = 8;
pub const B_ONES: u32 = 16;
pub const DROPOUT: u32 = 32;
pub const SCALE_A: u32 = 64;

/// Operands of one product; `c` is the initial C (read when ACCUMULATE is set).
pub struct GemmInputs<'a> {
    pub a: &'a [f32],
    pub b: &'a [f32],
    pub c: &'a [f32],
    pub bias: &'a [f32],
    pub mask: &'a [f32],
}

/// Runs one product and returns C.
pub fn gemm_gpu(ctx: &GpuContext, rec: GemmRecord, inputs: GemmInputs<'_>) -> Result<Vec<f32>> {
    let tile = ctx.tile();
    let (gx, gy) = (rec.n.div_ceil(tile), rec.m.div_ceil(tile));
    let max = ctx.info.max_compute_workgroups_per_dimension;
    if gx > max || gy > max {
        return Err(NcfError::GpuLimit(format!(
            "a {}×{} product exceeds this adapter's {max} workgroups per dimension",
            rec.m, rec.n
        )));
    }
    let none = wgpu::BufferUsages::empty();
    let a = ctx.storage_init("ncf gemm A", inputs.a, none)?;
    let b = ctx.storage_init("ncf gemm B", inputs.b, none)?;
    let c = ctx.storage_init("ncf gemm C", inputs.c, none)?;
    let bias = ctx.storage_init("ncf gemm bias", inputs.bias, none)?;
    let mask = ctx.storage_init("ncf gemm mask", inputs.mask, none)?;
    let uniform = ctx.uniform("ncf gemm uniform", GEMM_BYTES);
    ctx.queue.write_buffer(&uniform, 0, bytemuck::bytes_of(&rec));
    let bind = ctx.bind_group_ring(
        "ncf gemm bind group",
        &ctx.pipelines.gemm_layout,
        &[(0, &uniform), (1, &a), (2, &b), (3, &c), (4, &bias), (5, &mask)],
        Some((0, GEMM_BYTES)),
    );
    let mut enc = ctx.encoder("ncf gemm");
    {
        let mut pass =
            enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("ncf gemm"), timestamp_writes: None });
        pass.set_pipeline(&ctx.pipelines.gemm);
        pass.set_bind_group(0, &bind, &[0]);
        pass.dispatch_workgroups(gx, gy, 1);
    }
    let out = ctx.read_back(enc, &[(&c, (inputs.c.len() * 4) as u64)])?;
    Ok(bytemuck::cast_slice(&out[0]).to_vec())
}

/// `y = drop(act(x Wᵀ + b))` on the GPU (`w` is `outputs × inputs`); dropout follows a ReLU.
#[allow(clippy::too_many_arguments)]
pub fn dense_forward_gpu(
    ctx: &GpuContext,
    x: &[f32],
    rows: usize,
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    outputs: usize,
    relu: bool,
    dropout: Option<Dropout>,
) -> Result<Vec<f32>> {
    if dropout.is_some() && !relu {
        return Err(NcfError::invalid("dropout", "is applied after a ReLU; the layer has none"));
    }
    let rec = GemmRecord {
        m: rows as u32,
        n: outputs as u32,
        k: inputs as u32,
        flags: ADD_BIAS | if relu { RELU } else { 0 } | if dropout.is_some() { DROPOUT } else { 0 },
        dropout_key: dropout.map_or(0, |d| d.key),
        dropout_p: dropout.map_or(0.0, |d| d.p),
        a_rs: inputs as u32,
        a_cs: 1,
        b_rs: 1,
        b_cs: inputs as u32,
        c_rs: outputs as u32,
        ..Default::default()
    };
    gemm_gpu(ctx, rec, GemmInputs { a: x, b: w, c: &vec![0.0; rows * outputs], bias, mask: &[0.0] })
}

/// `(dx, dw, dbias)` of a dense layer on the GPU, each product accumulating into `acc`'s
/// initial values when given (as gradients of shared weights accumulate over a batch). With
/// dropout, kept units (`y > 0`) carry the `1/(1−p)` scale.
#[allow(clippy::too_many_arguments)]
pub fn dense_backward_gpu(
    ctx: &GpuContext,
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    rows: usize,
    w: &[f32],
    inputs: usize,
    outputs: usize,
    relu: bool,
    dropout: Option<Dropout>,
    acc: Option<(&[f32], &[f32])>,
) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
    let mask = if relu { MASK_A } else { 0 } | if dropout.is_some() { SCALE_A } else { 0 };
    let p = dropout.map_or(0.0, |d| d.p);
    let (r, i, o) = (rows as u32, inputs as u32, outputs as u32);
    let accumulate = if acc.is_some() { ACCUMULATE } else { 0 };
    // dx[b, i] = Σ_o dz[b, o] · w[o, i]
    let dx = gemm_gpu(
        ctx,
        GemmRecord {
            m: r,
            n: i,
            k: o,
            flags: mask,
            a_rs: o,
            a_cs: 1,
            b_rs: i,
            b_cs: 1,
            c_rs: i,
            dropout_p: p,
            ..Default::default()
        },
        GemmInputs { a: dy, b: w, c: &vec![0.0; rows * inputs], bias: &[0.0], mask: y },
    )?;
    let zeros_w = vec![0.0; outputs * inputs];
    let zeros_b = vec![0.0; outputs];
    let (dw0, db0) = acc.unwrap_or((&zeros_w, &zeros_b));
    // dw[o, i] = Σ_b dz[b, o] · x[b, i]
    let dw = gemm_gpu(
        ctx,
        GemmRecord {
            m: o,
            n: i,
            k: r,
            flags: mask | accumulate,
            a_rs: 1,
            a_cs: o,
            b_rs: i,
            b_cs: 1,
            c_rs: i,
            dropout_p: p,
            ..Default::default()
        },
        GemmInputs { a: dy, b: x, c: dw0, bias: &[0.0], mask: y },
    )?;
    // db[o] = Σ_b dz[b, o]
    let db = gemm_gpu(
        ctx,
        GemmRecord {
            m: o,
            n: 1,
            k: r,
            flags: mask | accumulate | B_ONES,
            a_rs: 1,
            a_cs: o,
            c_rs: 1,
            dropout_p: p,
            ..Default::default()
        },
        GemmInputs { a: dy, b: &[0.0], c: db0, bias: &[0.0], mask: y },
    )?;
    Ok((dx, dw, db))
}
