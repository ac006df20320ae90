//! The CPU backend behind the seam: plain Rust (rayon, matrixmultiply), deterministic, and the
//! test oracle of every GPU kernel.

use std::sync::Arc;

use super::als_steps::AlsSteps;
use super::hogwild::HogwildSteps;
use super::metrics::{evaluate_cpu, evaluate_rating_cpu};
use super::minibatch::CpuSteps;
use super::similarity::similarity_scores;
use crate::backend::{Backend, BackendKind};
use crate::data::{Dataset, TestSet};
use crate::error::Result;
use crate::infer::Side;
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::Params;
use crate::train::{Algorithm, RowSolve, Steps, TrainConfig};

/// The CPU backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuBackend;

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
    fn steps(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Steps>> {
        Ok(match cfg.algorithm {
            Algorithm::MiniBatch => Box::new(CpuSteps::new(data, validation, params, cfg)?),
            Algorithm::Hogwild => Box::new(HogwildSteps::new(data, validation, params, cfg)?),
            Algorithm::Als(_) => Box::new(AlsSteps::new(data, validation, params, cfg)?),
        })
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
