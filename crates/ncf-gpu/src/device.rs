//! Backend selection shared by every entry point: `'gpu'` demands an adapter, `'cpu'` never
//! touches one, `'auto'` takes a hardware GPU when there is one and otherwise says why it fell
//! back to the CPU.

use std::sync::Arc;

use ncf_core::cpu::{CpuTrainer, evaluate_cpu, similarity_scores};
use ncf_core::infer::{
    Exclusions, Ranked, Side, UserTargets, check_similar, full_rank_users, recommend_from_scores, side_rows,
    similar_from_scores,
};
use ncf_core::train::{TrainConfig, Trainer};
use ncf_core::{Dataset, Params, RankMetrics, RatingMetrics, RatingScale, Result, TestSet};

use crate::{GpuContext, GpuTrainer, evaluate_gpu, evaluate_rating_gpu, predict_gpu, similarity_gpu};

/// Pairs scored per GPU call when ranking all items: bounds the pair and score buffers
/// (4M pairs = 48 MiB) whatever the number of users.
const SCORE_CHUNK: usize = 1 << 22;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevicePref {
    Auto,
    Gpu,
    Cpu,
}

/// The backend a call will run on.
#[derive(Clone)]
pub enum Backend {
    Gpu(Arc<GpuContext>),
    /// The CPU backend; `fallback` holds the reason when `'auto'` found no GPU.
    Cpu {
        fallback: Option<String>,
    },
}

impl Backend {
    pub fn resolve(pref: DevicePref) -> Result<Backend> {
        match pref {
            DevicePref::Cpu => Ok(Backend::Cpu { fallback: None }),
            DevicePref::Gpu => Ok(Backend::Gpu(GpuContext::shared()?)),
            // A software adapter (lavapipe, SwiftShader, WARP) emulates a GPU on the same cores
            // the CPU backend uses natively, 7–30× slower (BENCHMARKS.md), so 'auto' takes the
            // CPU backend there; 'gpu' still runs on it.
            DevicePref::Auto => match GpuContext::shared() {
                Ok(ctx) if ctx.info.device_type == "Cpu" => Ok(Backend::Cpu {
                    fallback: Some(format!(
                        "the only adapter, '{}', is a software rasterizer, slower than the CPU backend. \
                         Pass device: 'gpu' to use it anyway",
                        ctx.info.name
                    )),
                }),
                Ok(ctx) => Ok(Backend::Gpu(ctx)),
                Err(e) => Ok(Backend::Cpu { fallback: Some(e.to_string()) }),
            },
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Gpu(_) => "gpu",
            Backend::Cpu { .. } => "cpu",
        }
    }

    pub fn fallback(&self) -> Option<&str> {
        match self {
            Backend::Cpu { fallback } => fallback.as_deref(),
            Backend::Gpu(_) => None,
        }
    }

    pub fn trainer(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Trainer>> {
        Ok(match self {
            Backend::Gpu(ctx) => Box::new(GpuTrainer::new(ctx.clone(), data, validation, params, cfg)?),
            Backend::Cpu { .. } => Box::new(CpuTrainer::new(data, validation, params, cfg)?),
        })
    }

    /// Logits of `(users[t], items[t])`.
    pub fn predict(&self, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>> {
        ncf_core::infer::check_pairs(params.layout, users, items)?;
        match self {
            Backend::Gpu(ctx) => {
                let mut out = Vec::with_capacity(users.len());
                for (u, i) in users.chunks(SCORE_CHUNK).zip(items.chunks(SCORE_CHUNK)) {
                    out.extend(predict_gpu(ctx, params, u, i)?);
                }
                Ok(out)
            }
            Backend::Cpu { .. } => Ok(params.logits(users, items)),
        }
    }

    /// Top-`k` items of each user over all items, minus the exclusions. Users are scored in
    /// chunks of about 4M pairs, so memory stays bounded for any number of users.
    pub fn recommend(&self, params: &Params, users: &[u32], k: u32, ex: &Exclusions<'_>) -> Result<Vec<Ranked>> {
        let n = params.layout.num_items;
        if let Some(a) = ex.allow
            && a.len() != n as usize
        {
            return Err(ncf_core::NcfError::invalid("filterItems", format!("must cover {n} items, got {}", a.len())));
        }
        let mut out = Vec::with_capacity(users.len());
        self.score_user_chunks(params, users, |_, chunk, scores| {
            out.extend(recommend_from_scores(chunk, scores, n, k, ex)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Scores every item for `users` in chunks of about [`SCORE_CHUNK`] pairs, handing each
    /// chunk's first index, its users and their row-major scores to `f`.
    fn score_user_chunks(
        &self,
        params: &Params,
        users: &[u32],
        mut f: impl FnMut(usize, &[u32], &[f32]) -> Result<()>,
    ) -> Result<()> {
        let n = params.layout.num_items;
        let per = (SCORE_CHUNK / n as usize).max(1);
        for (c, chunk) in users.chunks(per).enumerate() {
            let pair_users: Vec<u32> = chunk.iter().flat_map(|&u| std::iter::repeat_n(u, n as usize)).collect();
            let pair_items: Vec<u32> = (0..chunk.len()).flat_map(|_| 0..n).collect();
            f(c * per, chunk, &self.predict(params, &pair_users, &pair_items)?)?;
        }
        Ok(())
    }

    /// Full-ranking HR@K, NDCG@K and Recall@K per test user: its held-out items among every
    /// item it has not interacted with outside the test set, scored in bounded chunks of users.
    pub fn evaluate_full(&self, params: &Params, data: &Dataset, k: u32) -> Result<RankMetrics> {
        ncf_core::train::check_k(k)?;
        let test = data.test.as_ref().ok_or_else(|| ncf_core::NcfError::Data("the dataset has no test set".into()))?;
        ncf_core::train::check_test_fits(test, params)?;
        let t = UserTargets::of(data)?;
        let n = params.layout.num_items;
        let mut per_user = Vec::with_capacity(t.users.len());
        self.score_user_chunks(params, &t.users, |first, users, scores| {
            let r = first..first + users.len();
            per_user.extend(full_rank_users(scores, n, &t.relevant[r.clone()], &t.excluded[r], k));
            Ok(())
        })?;
        let hits: Vec<f32> = per_user.iter().map(|c| c.0).collect();
        let ndcgs: Vec<f32> = per_user.iter().map(|c| c.1).collect();
        let mut m = RankMetrics::from_cases(k, &hits, &ndcgs);
        m.recall = Some(per_user.iter().map(|c| c.2 as f64).sum::<f64>() / per_user.len().max(1) as f64);
        Ok(m)
    }

    /// The `k` rows most similar to each query row by cosine similarity (itself excluded).
    pub fn similar(&self, params: &Params, side: Side, queries: &[u32], k: u32) -> Result<Vec<Ranked>> {
        check_similar(params.layout, side, queries, k)?;
        let scores = match self {
            Backend::Gpu(ctx) => similarity_gpu(ctx, params, side, queries)?,
            Backend::Cpu { .. } => similarity_scores(params, side, queries),
        };
        Ok(similar_from_scores(&scores, side_rows(params.layout, side), queries, k))
    }

    /// RMSE / MAE / R² of the held-out ratings of `test`.
    pub fn evaluate_rating(&self, params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
        match self {
            Backend::Gpu(ctx) => evaluate_rating_gpu(ctx, params, test, scale),
            Backend::Cpu { .. } => ncf_core::cpu::evaluate_rating_cpu(params, test, scale),
        }
    }

    pub fn evaluate(&self, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
        match self {
            Backend::Gpu(ctx) => evaluate_gpu(ctx, params, test, k),
            Backend::Cpu { .. } => evaluate_cpu(params, test, k),
        }
    }
}
