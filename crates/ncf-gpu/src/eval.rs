//! Scoring (user, item) pairs and ranking leave-one-out test cases on the GPU.

use ncf_core::metrics::{RankMetrics, RatingMetrics, RatingScale};
use ncf_core::model::ModelFeatures;
use ncf_core::train::{check_k, check_test_fits};
use ncf_core::{Layout, NcfError, Params, Result, TestSet};

use crate::context::GpuContext;
use crate::dense::GemmRecord;
use crate::fused::FusedTower;
use crate::records::StepRecord;
use crate::tower::{Tower, TowerIo, TowerMode};

/// Logits of fixed pairs against a parameter buffer: the `predict` kernel for GMF and MF, the
/// tower in chunks of rows for MLP and NeuMF (their activations would not fit one binding).
pub(crate) struct PairScores {
    pub n: u32,
    pub scores: wgpu::Buffer,
    _users: wgpu::Buffer,
    _items: wgpu::Buffer,
    _uniform: wgpu::Buffer,
    scorer: Scorer,
}

enum Scorer {
    Factorization {
        kind: usize,
        bind: wgpu::BindGroup,
        _bags: wgpu::Buffer,
    },
    /// One fused forward dispatch per chunk of pairs (towers up to 256 wide).
    Fused {
        tower: Box<FusedTower>,
        chunks: Vec<u32>,
    },
    /// One tower pass per chunk of `tower.rows` pairs.
    Neural {
        tower: Box<Tower>,
        chunks: Vec<u32>,
        gemm: Vec<GemmRecord>,
    },
}

/// Pairs per tower pass when scoring: large enough to fill a GPU, small enough that the widest
/// activation stays well inside one storage binding.
const SCORE_ROWS: u32 = 8192;

impl PairScores {
    pub fn new(
        ctx: &GpuContext,
        params: &wgpu::Buffer,
        layout: Layout,
        features: Option<&ModelFeatures>,
        users: &[u32],
        items: &[u32],
    ) -> Result<Self> {
        let n = u32::try_from(users.len()).map_err(|_| NcfError::invalid("users", "too many pairs"))?;
        let users_buf = ctx.storage_init("ncf pair users", users, wgpu::BufferUsages::empty())?;
        let items_buf = ctx.storage_init("ncf pair items", items, wgpu::BufferUsages::empty())?;
        let scores = ctx.storage_zeroed("ncf pair scores", n as u64 * 4)?;
        let (uniform, scorer) = if layout.kind.is_neural() {
            // Floats a row keeps in one binding: every layer's activations in the fused tower's
            // one buffer, else the widest layer's.
            let per_row = if FusedTower::fits(layout) {
                FusedTower::floats_per_row(layout)
            } else {
                *layout.tower.sizes().iter().max().unwrap_or(&1) as u64
            };
            let fit = (ctx.info.max_storage_buffer_binding_size / (4 * per_row)).max(1) as u32;
            let rows = SCORE_ROWS.min(fit).min(n.max(1));
            let chunks: Vec<u32> = (0..n.div_ceil(rows)).map(|c| rows.min(n - c * rows)).collect();
            let uniform = ctx.uniform("ncf score steps", ctx.step_stride() * chunks.len().max(1) as u64);
            let steps: Vec<StepRecord> = chunks
                .iter()
                .enumerate()
                .map(|(c, &len)| {
                    let mut r = StepRecord::for_pairs(layout, len);
                    r.batch_start = c as u32 * rows;
                    r
                })
                .collect();
            ctx.write_ring(&uniform, &steps);
            let io = TowerIo {
                step_ring: &uniform,
                params,
                users: &users_buf,
                items: &items_buf,
                features,
                mode: TowerMode::Score { scores: &scores },
            };
            if FusedTower::fits(layout) {
                let tower = FusedTower::new(ctx, layout, rows, io, None)?;
                return Ok(PairScores {
                    n,
                    scores,
                    _users: users_buf,
                    _items: items_buf,
                    _uniform: uniform,
                    scorer: Scorer::Fused { tower: Box::new(tower), chunks },
                });
            }
            let tower = Tower::new(ctx, layout, rows, chunks.len().max(1) as u32, io)?;
            let gemm: Vec<GemmRecord> = chunks.iter().flat_map(|&len| tower.records(len, None, 0)).collect();
            tower.write_records(ctx, &gemm);
            (uniform, Scorer::Neural { tower: Box::new(tower), chunks, gemm })
        } else {
            let uniform = ctx.uniform("ncf predict step", crate::context::STEP_BYTES);
            let rec = StepRecord::for_pairs(layout, n);
            ctx.queue.write_buffer(&uniform, 0, bytemuck::bytes_of(&rec));
            let bags = ctx.bags_buffer(layout, features)?;
            let bind = ctx.bind_group(
                "ncf predict bind group",
                &ctx.pipelines.predict_layout,
                &[(0, &uniform), (1, params), (3, &users_buf), (4, &items_buf), (7, &scores), (8, &bags)],
                Some(0),
            );
            (uniform, Scorer::Factorization { kind: layout.kind as usize, bind, _bags: bags })
        };
        Ok(PairScores { n, scores, _users: users_buf, _items: items_buf, _uniform: uniform, scorer })
    }

    pub fn encode(&self, ctx: &GpuContext, pass: &mut wgpu::ComputePass<'_>) {
        match &self.scorer {
            Scorer::Factorization { kind, bind, .. } => {
                let (x, y) = ctx.grid(self.n);
                pass.set_pipeline(&ctx.pipelines.predict[*kind]);
                pass.set_bind_group(0, bind, &[0]);
                pass.dispatch_workgroups(x, y, 1);
            }
            Scorer::Fused { tower, chunks } => {
                for (c, &len) in chunks.iter().enumerate() {
                    tower.encode_score(ctx, pass, c as u32 * ctx.step_stride() as u32, len);
                }
            }
            Scorer::Neural { tower, chunks, gemm } => {
                let per = tower.records_per_pass() as usize;
                for (c, &len) in chunks.iter().enumerate() {
                    let offset = c as u32 * ctx.step_stride() as u32;
                    tower.encode(ctx, pass, offset, c as u32, len, &gemm[c * per..(c + 1) * per]);
                }
            }
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct EvalRecord {
    n_cases: u32,
    per_case: u32,
    k: u32,
    clip: u32,
    mean: f32,
    lo: f32,
    hi: f32,
    _pad: u32,
}

/// A test set resident on the GPU: candidate pairs, their scores and per-case HR/NDCG, or for
/// rating regression the held-out pairs and their squared and absolute errors.
pub(crate) struct TestBuffers {
    pairs: PairScores,
    n_cases: u32,
    per_case: u32,
    uniform: wgpu::Buffer,
    pub hits: wgpu::Buffer,
    pub ndcgs: wgpu::Buffer,
    bind: wgpu::BindGroup,
    /// Rating regression: the scale and the true ratings (for R²'s total sum of squares).
    rating: Option<(RatingScale, Vec<f32>)>,
}

impl TestBuffers {
    /// With `rating`, only each case's held-out positive is scored, against its rating.
    pub fn new(
        ctx: &GpuContext,
        test: &TestSet,
        params: &wgpu::Buffer,
        layout: Layout,
        features: Option<&ModelFeatures>,
        rating: Option<RatingScale>,
    ) -> Result<Self> {
        let (pairs, per_case, truth) = match rating {
            None => (
                PairScores::new(ctx, params, layout, features, &test.pair_users(), &test.candidates)?,
                test.per_case,
                None,
            ),
            Some(_) => {
                let (users, items, truth) = ncf_core::train::rating_cases(test)?;
                (PairScores::new(ctx, params, layout, features, &users, &items)?, 1, Some(truth.to_vec()))
            }
        };
        let n_cases = test.len() as u32;
        let hits = ctx.storage_zeroed("ncf eval hits", n_cases as u64 * 4)?;
        let ndcgs = ctx.storage_zeroed("ncf eval ndcgs", n_cases as u64 * 4)?;
        let ratings =
            ctx.storage_init("ncf eval ratings", truth.as_deref().unwrap_or(&[0.0]), wgpu::BufferUsages::empty())?;
        let uniform = ctx.uniform("ncf eval uniform", std::mem::size_of::<EvalRecord>() as u64);
        let bind = ctx.bind_group(
            "ncf metrics bind group",
            &ctx.pipelines.metrics_layout,
            &[(0, &uniform), (1, &pairs.scores), (2, &hits), (3, &ndcgs), (4, &ratings)],
            None,
        );
        let rating = rating.zip(truth);
        Ok(TestBuffers { pairs, n_cases, per_case, uniform, hits, ndcgs, bind, rating })
    }

    /// Records scoring and ranking at cut-off `k` (or the rating errors) into `encoder`.
    pub fn encode(&self, ctx: &GpuContext, encoder: &mut wgpu::CommandEncoder, k: u32) {
        let scale = self.rating.as_ref().map(|r| r.0);
        let rec = EvalRecord {
            n_cases: self.n_cases,
            per_case: self.per_case,
            k,
            clip: u32::from(scale.is_some_and(|s| s.clip)),
            mean: scale.map_or(0.0, |s| s.mean),
            lo: scale.map_or(0.0, |s| s.min),
            hi: scale.map_or(0.0, |s| s.max),
            _pad: 0,
        };
        ctx.queue.write_buffer(&self.uniform, 0, bytemuck::bytes_of(&rec));
        let mut pass = encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("ncf evaluate"), timestamp_writes: None });
        self.pairs.encode(ctx, &mut pass);
        let (x, y) = ctx.grid(self.n_cases);
        let p = &ctx.pipelines;
        pass.set_pipeline(if self.rating.is_some() { &p.rating_errors } else { &p.rank_cases });
        pass.set_bind_group(0, &self.bind, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// RMSE / MAE / R² from the read-back errors (rating regression only).
    pub fn rating_metrics(&self, sq: &[u8], abs: &[u8]) -> Result<RatingMetrics> {
        let truth = &self.rating.as_ref().expect("a rating test set").1;
        RatingMetrics::from_errors(bytemuck::cast_slice(sq), bytemuck::cast_slice(abs), truth)
    }

    pub fn is_rating(&self) -> bool {
        self.rating.is_some()
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
    ncf_core::train::check_rankable(test)?;
    check_test_fits(test, params)?;
    let pbuf = ctx.storage_init("ncf eval params", &params.data, wgpu::BufferUsages::empty())?;
    // Cases in groups whose candidate pairs fit one storage binding (an adapter's limit can be
    // far below a test set's size); each case's hit and NDCG come back and are averaged once.
    let per_case = test.per_case.max(1) as u64;
    let group = (pair_limit(ctx) / per_case).max(1) as usize;
    let (mut hits, mut ndcgs) = (Vec::with_capacity(test.len()), Vec::with_capacity(test.len()));
    for start in (0..test.len()).step_by(group) {
        let end = (start + group).min(test.len());
        let part = TestSet {
            users: test.users[start..end].to_vec(),
            per_case: test.per_case,
            candidates: test.candidates[start * per_case as usize..end * per_case as usize].to_vec(),
            ratings: None,
        };
        let tb = TestBuffers::new(ctx, &part, &pbuf, params.layout, params.features.as_deref(), None)?;
        let mut enc = ctx.encoder("ncf evaluate");
        tb.encode(ctx, &mut enc, k);
        let out = ctx.read_back(enc, &tb.sources())?;
        hits.extend_from_slice(bytemuck::cast_slice::<u8, f32>(&out[0]));
        ndcgs.extend_from_slice(bytemuck::cast_slice::<u8, f32>(&out[1]));
    }
    Ok(RankMetrics::from_cases(k, &hits, &ndcgs))
}

/// The most pairs one scoring pass takes: its users, items and scores are each a storage
/// buffer of 4 bytes a pair, bounded by the adapter's binding limit.
fn pair_limit(ctx: &GpuContext) -> u64 {
    (ctx.info.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size) / 4).max(1)
}

/// Model logits of `(users[t], items[t])` computed on the GPU.
pub fn predict_gpu(ctx: &GpuContext, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>> {
    let l = params.layout;
    ncf_core::infer::check_pairs(l, users, items)?;
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let pbuf = ctx.storage_init("ncf predict params", &params.data, wgpu::BufferUsages::empty())?;
    let group = pair_limit(ctx) as usize;
    let mut z = Vec::with_capacity(users.len());
    for (u, i) in users.chunks(group).zip(items.chunks(group)) {
        let pairs = PairScores::new(ctx, &pbuf, l, params.features.as_deref(), u, i)?;
        let mut enc = ctx.encoder("ncf predict");
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("ncf predict"),
                timestamp_writes: None,
            });
            pairs.encode(ctx, &mut pass);
        }
        let out = ctx.read_back(enc, &[(&pairs.scores, pairs.n as u64 * 4)])?;
        z.extend_from_slice(bytemuck::cast_slice::<u8, f32>(&out[0]));
    }
    Ok(z)
}

/// RMSE / MAE / R² of `params` on the held-out ratings of `test`, computed on the GPU.
pub fn evaluate_rating_gpu(
    ctx: &GpuContext,
    params: &Params,
    test: &TestSet,
    scale: RatingScale,
) -> Result<RatingMetrics> {
    check_test_fits(test, params)?;
    let pbuf = ctx.storage_init("ncf eval params", &params.data, wgpu::BufferUsages::empty())?;
    let tb = TestBuffers::new(ctx, test, &pbuf, params.layout, params.features.as_deref(), Some(scale))?;
    let mut enc = ctx.encoder("ncf evaluate ratings");
    tb.encode(ctx, &mut enc, 1);
    let out = ctx.read_back(enc, &tb.sources())?;
    tb.rating_metrics(&out[0], &out[1])
}
