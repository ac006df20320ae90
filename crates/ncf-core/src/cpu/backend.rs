//! The CPU backend behind the seam: plain Rust (rayon, matrixmultiply), deterministic, and the
//! test oracle of every GPU kernel.

use std::sync::Arc;

use super::metrics::{evaluate_cpu, evaluate_rating_cpu};
use super::similarity::similarity_scores;
use super::trainer::CpuTrainer;
use crate::backend::{Backend, BackendKind};
use crate::data::{Dataset, TestSet};
use crate::error::Result;
use crate::infer::Side;
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::Params;
use crate::train::{RowSolve, TrainConfig, Trainer};

/// The CPU backend; `fallback` holds the reason when `'auto'` found no GPU worth using.
#[derive(Clone, Debug, Default)]
pub struct CpuBackend {
    pub fallback: Option<String>,
}

impl Backend for CpuBackend {
    fn solve_rows(
        &self,
        params: &mut Params,
        side: Side,
        rows: &[(u32, Vec<u32>)],
        other_count: u32,
        how: RowSolve,
    ) -> Result<()> {
        match how {
            RowSolve::Als(spec) => super::als::solve_rows_exact(params, side, rows, other_count, spec),
            RowSolve::Steps(spec) => super::fold_in::fit_rows(params, side, rows, other_count, spec),
        }
        Ok(())
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Cpu
    }
    fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }
    fn trainer(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Trainer>> {
        if cfg.hogwild {
            return Ok(Box::new(super::hogwild::HogwildTrainer::new(data, validation, params, cfg)?));
        }
        if cfg.als.is_some() {
            return Ok(Box::new(super::als_trainer::AlsTrainer::new(data, validation, params, cfg)?));
        }
        Ok(Box::new(CpuTrainer::new(data, validation, params, cfg)?))
    }
    fn logits(&self, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>> {
        Ok(params.logits(users, items))
    }
    fn similarity(&self, params: &Params, side: Side, queries: &[u32]) -> Result<Vec<f32>> {
        Ok(similarity_scores(params, side, queries))
    }
    fn evaluate(&self, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
        evaluate_cpu(params, test, k)
    }
    fn evaluate_rating(&self, params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
        evaluate_rating_cpu(params, test, scale)
    }
}
