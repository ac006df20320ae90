//! iALS on the GPU (`shaders/als.wgsl`): the twin of `ncf_core::cpu::als` with
//! conjugate-gradient row solves. An epoch is one submit: the item Gramian, every user row,
//! the user Gramian, every item row; the factors are read back once per epoch, where the
//! objective is computed on the host as the CPU session does.

use std::ops::Range;
use std::sync::Arc;

use ncf_core::backend::BackendKind;
use ncf_core::cpu::als::AlsSpec;
use ncf_core::cpu::als_steps::{check_als, check_whole_sweep, sweep_objective, sweep_size, transpose};
use ncf_core::data::Csr;
use ncf_core::train::{EpochSize, Inputs, Progress, StepAt, Steps, TrainConfig, Trained};
use ncf_core::{Dataset, NcfError, Params, RankMetrics, RatingMetrics, RatingScale, Result, TestSet};

use crate::context::GpuContext;
use crate::eval::{evaluate_gpu, evaluate_rating_gpu};

/// Mirror of `struct Als` in als.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct AlsRecord {
    rows: u32,
    f: u32,
    target_off: u32,
    other_off: u32,
    other_rows: u32,
    cg_steps: u32,
    reg: f32,
    alpha: f32,
}

/// The widest rows `solve_rows` holds in workgroup memory (`MAXF` in als.wgsl).
pub const MAX_FACTORS: u32 = 256;

/// One side's sweep: its record and bind group (CSR of its rows, the shared Gramian).
struct Side {
    bind: wgpu::BindGroup,
    rows: u32,
}

/// iALS steps on the GPU.
pub struct GpuAlsSteps {
    ctx: Arc<GpuContext>,
    inputs: Inputs,
    spec: AlsSpec,
    params: Params,
    by_item: Csr,
    weights: wgpu::Buffer,
    users: Side,
    items: Side,
    _buffers: Vec<wgpu::Buffer>,
}

impl GpuAlsSteps {
    pub fn new(
        ctx: Arc<GpuContext>,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Self> {
        let spec = check_als(&data, &params, &cfg)?;
        if spec.cg_steps == 0 {
            return Err(NcfError::invalid(
                "cgSteps",
                "the GPU solves rows by conjugate gradient: pass cgSteps ≥ 1 (3 as implicit does), or device: 'cpu' \
                 for exact solves",
            ));
        }
        let l = params.layout;
        if l.factors > MAX_FACTORS {
            return Err(NcfError::GpuLimit(format!(
                "ALS on the GPU holds rows of at most {MAX_FACTORS} factors in workgroup memory, got {}",
                l.factors
            )));
        }
        let by_item = transpose(&data.train, data.num_items);
        let none = wgpu::BufferUsages::empty();
        let weights = ctx.storage_init("ncf als weights", &params.data, none)?;
        let gram = ctx.storage_zeroed("ncf als gramian", l.factors as u64 * l.factors as u64 * 4)?;
        let f = l.factors;
        let side = |label: &str,
                    rows: &Csr,
                    n: u32,
                    target_off: usize,
                    other_off: usize,
                    other_rows: u32|
         -> Result<(Side, [wgpu::Buffer; 3])> {
            let rec = AlsRecord {
                rows: n,
                f,
                target_off: target_off as u32,
                other_off: other_off as u32,
                other_rows,
                cg_steps: spec.cg_steps,
                reg: spec.reg,
                alpha: spec.alpha,
            };
            let uniform = ctx.uniform(&format!("ncf als {label} record"), std::mem::size_of::<AlsRecord>() as u64);
            ctx.write_padded(&uniform, bytemuck::bytes_of(&rec));
            let ptr = ctx.storage_init(&format!("ncf als {label} row_ptr"), &rows.row_ptr, none)?;
            let cols = ctx.storage_init(&format!("ncf als {label} cols"), &rows.cols, none)?;
            let bind = ctx.bind_group(
                &format!("ncf als {label} bind group"),
                &ctx.pipelines.als_layout,
                &[(0, &uniform), (1, &weights), (2, &ptr), (3, &cols), (4, &gram)],
                None,
            );
            Ok((Side { bind, rows: n }, [uniform, ptr, cols]))
        };
        let (users, ub) = side("users", &data.train, l.num_users, 0, l.item_offset(), l.num_items)?;
        let (items, ib) = side("items", &by_item, l.num_items, l.item_offset(), 0, l.num_users)?;
        let mut buffers: Vec<wgpu::Buffer> = ub.into_iter().chain(ib).collect();
        buffers.push(gram);
        ctx.check_errors()?;
        Ok(GpuAlsSteps {
            ctx,
            inputs: Inputs { data, validation, cfg },
            spec,
            params,
            by_item,
            weights,
            users,
            items,
            _buffers: buffers,
        })
    }

    /// Records one sweep: each side's Gramian of the other, then its rows.
    fn encode(&self, enc: &mut wgpu::CommandEncoder) {
        let f = self.params.layout.factors;
        let mut pass = enc
            .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("ncf als sweep"), timestamp_writes: None });
        for side in [&self.users, &self.items] {
            let (gx, gy) = self.ctx.grid(f * f);
            pass.set_pipeline(&self.ctx.pipelines.als_gramian);
            pass.set_bind_group(0, &side.bind, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
            let (rx, ry) = self.ctx.grid_of(side.rows, 1);
            pass.set_pipeline(&self.ctx.pipelines.als_solve_rows);
            pass.dispatch_workgroups(rx, ry, 1);
        }
    }

    fn upload(&self, weights: &[f32]) {
        self.ctx.write_padded(&self.weights, bytemuck::cast_slice(weights));
    }
}

impl Steps for GpuAlsSteps {
    fn backend(&self) -> BackendKind {
        BackendKind::Gpu
    }

    fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    fn epoch_size(&self) -> EpochSize {
        sweep_size(&self.params, &self.inputs.data)
    }

    /// The whole sweep in one submit, the factors read back once; its loss is the objective
    /// after it, computed on the host as the CPU's is.
    fn train_steps(
        &mut self,
        range: Range<u64>,
        at: StepAt,
        progress: Option<&Progress>,
        _evaluate: Option<u32>,
    ) -> Result<Trained> {
        let size = self.epoch_size();
        check_whole_sweep(&range, size)?;
        if progress.is_some_and(|p| p.cancelled()) {
            return Err(NcfError::Cancelled);
        }
        let mut enc = self.ctx.encoder("ncf als epoch");
        self.encode(&mut enc);
        let bytes = self.params.data.len() as u64 * 4;
        let out = self.ctx.read_back(enc, &[(&self.weights, bytes)])?;
        let next: Vec<f32> = bytemuck::cast_slice(&out[0]).to_vec();
        let train = &self.inputs.data.train;
        let loss = sweep_objective(&next, self.params.layout, train, &self.by_item, self.spec, at.epoch)?;
        self.params.data = next;
        if let Some(p) = progress {
            p.steps.store(size.steps, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(Trained { loss_sum: loss, loss_count: 1, evaluated: None })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn write_params(&mut self, weights: &[f32]) -> Result<()> {
        self.params.data.copy_from_slice(weights);
        self.upload(weights);
        self.ctx.check_errors()
    }

    fn evaluate(&self, set: &TestSet, k: u32) -> Result<RankMetrics> {
        evaluate_gpu(&self.ctx, &self.params, set, k)
    }

    fn evaluate_rating(&self, set: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
        evaluate_rating_gpu(&self.ctx, &self.params, set, scale)
    }
}
