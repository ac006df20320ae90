//! Scoring (user, item) pairs and ranking leave-one-out test cases on the GPU.

use ncf_core::metrics::RankMetrics;
use ncf_core::train::{check_k, check_test_fits};
use ncf_core::{Layout, NcfError, Params, Result, TestSet};

use crate::context::GpuContext;
use crate::records::StepRecord;

/// Logits of fixed pairs against a parameter buffer (the `predict` kernel).
pub(crate) struct PairScores {
    pub n: u32,
    kind: usize,
    pub scores: wgpu::Buffer,
    _users: wgpu::Buffer,
    _items: wgpu::Buffer,
    _uniform: wgpu::Buffer,
    bind: wgpu::BindGroup,
}

impl PairScores {
    pub fn new(ctx: &GpuContext, params: &wgpu::Buffer, layout: Layout, users: &[u32], items: &[u32]) -> Result<Self> {
        let n = u32::try_from(users.len()).map_err(|_| NcfError::invalid("users", "too many pairs"))?;
        let users_buf = ctx.storage_init("ncf pair users", users, wgpu::BufferUsages::empty())?;
        let items_buf = ctx.storage_init("ncf pair items", items, wgpu::BufferUsages::empty())?;
        let scores = ctx.storage_zeroed("ncf pair scores", n as u64 * 4)?;
        let uniform = ctx.uniform("ncf predict step", crate::context::STEP_BYTES);
        let rec = StepRecord::for_pairs(layout, n);
        ctx.queue.write_buffer(&uniform, 0, bytemuck::bytes_of(&rec));
        let bind = ctx.bind_group(
            "ncf predict bind group",
            &ctx.pipelines.predict_layout,
            &[(0, &uniform), (1, params), (3, &users_buf), (4, &items_buf), (7, &scores)],
            Some(0),
        );
        Ok(PairScores {
            n,
            kind: layout.kind as usize,
            scores,
            _users: users_buf,
            _items: items_buf,
            _uniform: uniform,
            bind,
        })
    }

    pub fn encode(&self, ctx: &GpuContext, pass: &mut wgpu::ComputePass<'_>) {
        let (x, y) = ctx.grid(self.n);
        pass.set_pipeline(&ctx.pipelines.predict[self.kind]);
        pass.set_bind_group(0, &self.bind, &[0]);
        pass.dispatch_workgroups(x, y, 1);
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct EvalRecord {
    n_cases: u32,
    per_case: u32,
    k: u32,
    _pad: u32,
}

/// A test set resident on the GPU: candidate pairs, their scores and per-case HR/NDCG.
pub(crate) struct TestBuffers {
    pairs: PairScores,
    n_cases: u32,
    per_case: u32,
    uniform: wgpu::Buffer,
    pub hits: wgpu::Buffer,
    pub ndcgs: wgpu::Buffer,
    bind: wgpu::BindGroup,
}

impl TestBuffers {
    pub fn new(ctx: &GpuContext, test: &TestSet, params: &wgpu::Buffer, layout: Layout) -> Result<Self> {
        let c = test.per_case as usize;
        let users: Vec<u32> = (0..test.candidates.len()).map(|k| test.users[k / c]).collect();
        let pairs = PairScores::new(ctx, params, layout, &users, &test.candidates)?;
        let n_cases = test.len() as u32;
        let hits = ctx.storage_zeroed("ncf eval hits", n_cases as u64 * 4)?;
        let ndcgs = ctx.storage_zeroed("ncf eval ndcgs", n_cases as u64 * 4)?;
        let uniform = ctx.uniform("ncf eval uniform", 16);
        let bind = ctx.bind_group(
            "ncf rank bind group",
            &ctx.pipelines.metrics_layout,
            &[(0, &uniform), (1, &pairs.scores), (2, &hits), (3, &ndcgs)],
            None,
        );
        Ok(TestBuffers { pairs, n_cases, per_case: test.per_case, uniform, hits, ndcgs, bind })
    }

    /// Records scoring and ranking at cut-off `k` into `encoder`.
    pub fn encode(&self, ctx: &GpuContext, encoder: &mut wgpu::CommandEncoder, k: u32) {
        let rec = EvalRecord { n_cases: self.n_cases, per_case: self.per_case, k, _pad: 0 };
        ctx.queue.write_buffer(&self.uniform, 0, bytemuck::bytes_of(&rec));
        let mut pass = encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("ncf evaluate"), timestamp_writes: None });
        self.pairs.encode(ctx, &mut pass);
        let (x, y) = ctx.grid(self.n_cases);
        pass.set_pipeline(&ctx.pipelines.rank_cases);
        pass.set_bind_group(0, &self.bind, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    pub fn sources(&self) -> [(&wgpu::Buffer, u64); 2] {
        [(&self.hits, self.n_cases as u64 * 4), (&self.ndcgs, self.n_cases as u64 * 4)]
    }

    pub fn metrics(&self, k: u32, hits: &[u8], ndcgs: &[u8]) -> RankMetrics {
        RankMetrics::from_cases(k, bytemuck::cast_slice(hits), bytemuck::cast_slice(ndcgs))
    }
}

/// HR@K / NDCG@K of `params` on `test`, computed on the GPU.
pub fn evaluate_gpu(ctx: &GpuContext, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
    check_k(k)?;
    check_test_fits(test, params)?;
    let pbuf = ctx.storage_init("ncf eval params", &params.data, wgpu::BufferUsages::empty())?;
    let tb = TestBuffers::new(ctx, test, &pbuf, params.layout)?;
    let mut enc = ctx.encoder("ncf evaluate");
    tb.encode(ctx, &mut enc, k);
    let out = ctx.read_back(enc, &tb.sources())?;
    Ok(tb.metrics(k, &out[0], &out[1]))
}

/// Model logits of `(users[t], items[t])` computed on the GPU.
pub fn predict_gpu(ctx: &GpuContext, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>> {
    let l = params.layout;
    if users.len() != items.len() {
        return Err(NcfError::invalid("items", format!("has {} entries but users has {}", items.len(), users.len())));
    }
    if let Some(k) = users.iter().position(|&u| u >= l.num_users) {
        return Err(NcfError::invalid(
            format!("users[{k}]"),
            format!("id {} is not below numUsers = {}", users[k], l.num_users),
        ));
    }
    if let Some(k) = items.iter().position(|&i| i >= l.num_items) {
        return Err(NcfError::invalid(
            format!("items[{k}]"),
            format!("id {} is not below numItems = {}", items[k], l.num_items),
        ));
    }
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let pbuf = ctx.storage_init("ncf predict params", &params.data, wgpu::BufferUsages::empty())?;
    let pairs = PairScores::new(ctx, &pbuf, l, users, items)?;
    let mut enc = ctx.encoder("ncf predict");
    {
        let mut pass =
            enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("ncf predict"), timestamp_writes: None });
        pairs.encode(ctx, &mut pass);
    }
    let out = ctx.read_back(enc, &[(&pairs.scores, pairs.n as u64 * 4)])?;
    Ok(bytemuck::cast_slice(&out[0]).to_vec())
}
