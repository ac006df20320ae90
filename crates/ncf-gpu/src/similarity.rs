//! Similar items and users on the GPU: cosine similarity of every embedding row to each query
//! row (`shaders/similarity.wgsl`), in chunks of queries that keep the score buffer bounded.
//! Ranking the scores is `ncf_core::infer`'s, shared with the CPU backend.

use ncf_core::infer::{Side, check_similar, embedding_parts, side_rows};
use ncf_core::{NcfError, Params, Result};

use crate::context::GpuContext;

/// Mirror of `struct Sim` in similarity.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct SimRecord {
    rows: u32,
    queries: u32,
    parts: u32,
    _pad: u32,
    offset0: u32,
    width0: u32,
    offset1: u32,
    width1: u32,
}

/// Scores computed per submit: bounds the score buffer (16 MiB) for any number of queries.
const SIM_CHUNK: usize = 1 << 22;

/// Row-major `queries × rows` cosine similarities, as `ncf_core::cpu::similarity_scores`.
pub fn similarity_gpu(ctx: &GpuContext, params: &Params, side: Side, queries: &[u32]) -> Result<Vec<f32>> {
    let l = params.layout;
    check_similar(l, side, queries, 1)?;
    let rows = side_rows(l, side);
    let parts = embedding_parts(l, side);
    let u32_of = |x: usize, what: &str| {
        u32::try_from(x).map_err(|_| NcfError::invalid(what, "the model is too large to index in 32 bits"))
    };
    let mut rec = SimRecord { rows, parts: parts.len() as u32, ..Default::default() };
    (rec.offset0, rec.width0) = (u32_of(parts[0].0, "weights")?, parts[0].1 as u32);
    if let Some(&(off, w)) = parts.get(1) {
        (rec.offset1, rec.width1) = (u32_of(off, "weights")?, w as u32);
    }
    let pbuf = ctx.storage_init("ncf similarity params", &params.data, wgpu::BufferUsages::empty())?;
    let per = (SIM_CHUNK / rows.max(1) as usize).max(1);
    let mut out = Vec::with_capacity(queries.len() * rows as usize);
    for chunk in queries.chunks(per) {
        rec.queries = chunk.len() as u32;
        let total = rows as u64 * chunk.len() as u64;
        let threads = u32::try_from(total).map_err(|_| NcfError::invalid("k", "too many similarity scores"))?;
        let uniform = ctx.uniform("ncf similarity uniform", std::mem::size_of_val(&rec) as u64);
        ctx.write_padded(&uniform, bytemuck::bytes_of(&rec));
        let qbuf = ctx.storage_init("ncf similarity queries", chunk, wgpu::BufferUsages::empty())?;
        let scores = ctx.storage_zeroed("ncf similarity scores", total * 4)?;
        let p = &ctx.pipelines;
        let bind = ctx.bind_group(
            "ncf similarity bind group",
            &p.similarity_layout,
            &[(0, &uniform), (1, &pbuf), (2, &qbuf), (3, &scores)],
            None,
        );
        let mut enc = ctx.encoder("ncf similarity");
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("ncf similarity"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&p.cosine);
            pass.set_bind_group(0, &bind, &[]);
            let (x, y) = ctx.grid(threads);
            pass.dispatch_workgroups(x, y, 1);
        }
        let bytes = ctx.read_back(enc, &[(&scores, total * 4)])?;
        out.extend_from_slice(bytemuck::cast_slice(&bytes[0]));
    }
    Ok(out)
}
