//! iALS on the GPU (`shaders/als.wgsl`): the twin of `ncf_core::cpu::als` with
//! conjugate-gradient row solves. An epoch is one submit: the item Gramian, every user row,
//! the user Gramian, every item row; the factors are read back once per epoch, where the
//! objective is computed on the host as the CPU session does.

use std::sync::Arc;
use std::time::Instant;

use ncf_core::cpu::als::{AlsSpec, objective};
use ncf_core::cpu::als_trainer::{check_als, transpose};
use ncf_core::data::Csr;
use ncf_core::train::{
    EpochReport, OptimizerState, Progress, TrainConfig, Trainer, check_finite_loss, check_restorable,
};
use ncf_core::{Dataset, NcfError, Params, Result, TestSet};

use crate::context::GpuContext;
use crate::eval::evaluate_gpu;

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

/// An iALS session on the GPU.
pub struct GpuAlsTrainer {
    ctx: Arc<GpuContext>,
    data: Arc<Dataset>,
    validation: Option<TestSet>,
    spec: AlsSpec,
    params: Params,
    by_item: Csr,
    weights: wgpu::Buffer,
    users: Side,
    items: Side,
    epoch: u32,
    progress: Option<Arc<Progress>>,
    _buffers: Vec<wgpu::Buffer>,
}

impl GpuAlsTrainer {
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
        Ok(GpuAlsTrainer {
            ctx,
            data,
            validation,
            spec,
            params,
            by_item,
            weights,
            users,
            items,
            epoch: 0,
            progress: None,
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

impl Trainer for GpuAlsTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some(progress);
    }

    fn optimizer_state(&self) -> Result<OptimizerState> {
        let n = self.params.data.len();
        Ok(OptimizerState { m: vec![0.0; n], v: vec![0.0; n], step: 0, epoch: self.epoch })
    }

    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        check_restorable(self.params.data.len(), weights, &state)?;
        self.params.data.copy_from_slice(weights);
        self.upload(weights);
        self.epoch = state.epoch;
        self.ctx.check_errors()
    }

    fn backend(&self) -> &'static str {
        "gpu"
    }

    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        let start = Instant::now();
        let l = self.params.layout;
        let rows = l.num_users as u64 + l.num_items as u64;
        if let Some(p) = &self.progress {
            p.begin(rows);
            if p.cancelled() {
                return Err(NcfError::Cancelled);
            }
        }
        let mut enc = self.ctx.encoder("ncf als epoch");
        self.encode(&mut enc);
        let bytes = self.params.data.len() as u64 * 4;
        let out = self.ctx.read_back(enc, &[(&self.weights, bytes)])?;
        let next: Vec<f32> = bytemuck::cast_slice(&out[0]).to_vec();
        let f = l.factors as usize;
        let (w, h) = next.split_at(l.item_offset());
        let loss = objective(
            &w[..l.num_users as usize * f],
            &h[..l.num_items as usize * f],
            &self.data.train,
            &self.by_item,
            f,
            self.spec,
        );
        let finite = check_finite_loss(loss, self.epoch + 1).and_then(|()| {
            if next.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(NcfError::Diverged(format!("epoch {}: a factor is not finite", self.epoch + 1)))
            }
        });
        if let Err(e) = finite {
            // The device keeps the last complete epoch, as the host does.
            self.upload(&self.params.data.clone());
            return Err(e);
        }
        self.params.data = next;
        self.epoch += 1;
        if let Some(p) = &self.progress {
            p.steps.store(rows, std::sync::atomic::Ordering::Relaxed);
        }
        let mut report = EpochReport {
            epoch: self.epoch,
            loss,
            samples: self.data.train.nnz() as u64,
            metrics: None,
            validation: None,
            rating: None,
            validation_rating: None,
            train_rating: None,
            seconds: 0.0,
        };
        if let Some(k) = eval_k {
            let eval = |set: &Option<TestSet>| set.as_ref().map(|s| evaluate_gpu(&self.ctx, &self.params, s, k));
            report.metrics = eval(&self.data.test).transpose()?;
            report.validation = eval(&self.validation).transpose()?;
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }

    fn set_lr(&mut self, _lr: f32) {}

    fn params(&self) -> &Params {
        &self.params
    }
}
