//! The GPU's mini-batch steps. Per epoch: one sampling dispatch, then for every batch the model's
//! forward/backward (one dispatch for GMF/MF, two for the fused tower of MLP/NeuMF, 4L + 3 for
//! towers too wide to fuse) and one optimizer dispatch (dense, or row-sparse with
//! `TrainConfig.sparse`), up to [`STEPS_PER_SUBMIT`] steps per
//! compute pass and submit, with per-step parameters taken from a uniform ring by dynamic
//! offset. The loss of every step stays in a GPU buffer; losses, weights and test metrics
//! come back in one read-back at the end of the epoch.

//!
//! The steps are split by domain: `submit` records steps and sampling into passes, `range` is
//! the `Steps` implementation (a range of steps in submits of [`STEPS_PER_SUBMIT`], the epoch's
//! one read-back with the evaluation folded in, weights and optimizer state), `staging` brings
//! back each submit's losses for live progress, and `batch` runs caller-chosen batches for the
//! parity tests. This file holds the buffers and bind groups, built once in `new`; the epoch
//! loop above them is `ncf_core::fit::Trainer`.

// Caller-chosen batches and sample read-backs for the parity tests only.
#[cfg(feature = "testing")]
mod batch;
mod range;
mod staging;
mod submit;

use std::sync::Arc;

use ncf_core::train::{Inputs, TrainConfig, check_session};
use ncf_core::{Dataset, Layout, Params, Result, TestSet};

use crate::context::GpuContext;
use crate::eval::TestBuffers;
use crate::fused::FusedTower;
use crate::records::EpochRecord;
use crate::tower::{Tower, TowerIo, TowerMode};

/// Steps recorded per compute pass and submit. Large enough that submit overhead vanishes
/// (lavapipe: ~15 µs per dispatch in a pass vs ~100 µs per submit), small enough that the
/// uniform ring stays a few hundred KiB.
pub const STEPS_PER_SUBMIT: u32 = 512;

/// How a model's forward and backward are recorded.
enum ModelPasses {
    /// GMF and MF: one `forward_backward` dispatch per step (and the side-feature bags it binds).
    Factorization { bind: wgpu::BindGroup, _bags: wgpu::Buffer },
    /// MLP and NeuMF: the tower's per-layer passes (tower.rs), for towers too wide to fuse.
    Neural(Box<Tower>),
    /// MLP and NeuMF: the fused tower step (fused.rs), two dispatches.
    Fused(Box<FusedTower>),
}

pub struct GpuSteps {
    ctx: Arc<GpuContext>,
    inputs: Inputs,
    layout: Layout,
    params_cpu: Params,
    params: wgpu::Buffer,
    // Bound at construction; read back by the test hooks (batch.rs) only.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    grads: wgpu::Buffer,
    m: wgpu::Buffer,
    v: wgpu::Buffer,
    _csr: [wgpu::Buffer; 3],
    // Bound at construction; read back by the test hooks (batch.rs) only.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    s_users: wgpu::Buffer,
    // Bound at construction; read back by the test hooks (batch.rs) only.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    s_items: wgpu::Buffer,
    // Bound at construction; read back by the test hooks (batch.rs) only.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    s_labels: wgpu::Buffer,
    step_loss: wgpu::Buffer,
    step_ring: wgpu::Buffer,
    epoch_uniform: wgpu::Buffer,
    sampling_bg: wgpu::BindGroup,
    model: ModelPasses,
    optim_bg: wgpu::BindGroup,
    /// Row-sparse steps: the optimizer's bind group (optim.wgsl `optimize_sparse`), its
    /// threads for the dense parameters, and each user's and item's owning batch slot.
    sparse_bg: wgpu::BindGroup,
    sparse_dense: u32,
    // Bound at construction; read back by the test hooks (batch.rs) only.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    owners: [wgpu::Buffer; 2],
    _rows: wgpu::Buffer,
    test: Option<TestBuffers>,
    validation: Option<TestBuffers>,
    /// Rating regression: the training ratings, for the per-epoch training RMSE.
    train_eval: Option<TestBuffers>,
    n_samples: u32,
    /// Samples drawn at once: the whole epoch, or (when its samples would not fit a storage
    /// binding or [`MAX_WINDOW`]) a multiple of the batch size; the sample buffers hold one.
    window: u32,
    steps_per_epoch: u32,
    /// The prepared epoch's index; optimizer steps taken (set by each range, advanced by the
    /// test hooks' single batches).
    epoch: u32,
    step: u64,
    /// The prepared epoch's first commands (clearing its losses, drawing its first window),
    /// submitted with its first steps; and the window the sample buffers hold or will.
    head: Option<wgpu::CommandEncoder>,
    drawn: Option<u32>,
    /// Two staging buffers that bring back each submit's losses for live progress (made
    /// when a range first reports progress).
    staging: Option<[wgpu::Buffer; 2]>,
    /// Dispatches the last recorded step took (forward, backward and optimizer).
    dispatches: std::cell::Cell<u32>,
    /// Rows of one forward/backward pass: larger batches run as micro-batches (submit.rs).
    chunk: u32,
    /// Steps recorded per pass and submit (fewer than [`STEPS_PER_SUBMIT`] with micro-batches).
    steps_per_submit: u32,
}

impl GpuSteps {
    /// Compute dispatches one optimizer step records (forward, backward and optimizer), as
    /// counted while the last step was recorded; 0 before any step.
    pub fn dispatches_per_step(&self) -> u32 {
        self.dispatches.get()
    }

    pub fn new(
        ctx: Arc<GpuContext>,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Self> {
        Self::with_limits(ctx, data, validation, params, cfg, None, None)
    }

    /// As [`GpuSteps::new`], with at most `max_chunk` rows per forward/backward pass (tests
    /// force micro-batches with it; by default the chunk comes from the adapter's limits) and
    /// at most `max_window` samples drawn at once (tests force windowed epochs with it; by
    /// default the window comes from the adapter's limits and [`MAX_WINDOW`]).
    pub fn with_limits(
        ctx: Arc<GpuContext>,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
        max_chunk: Option<u32>,
        max_window: Option<u32>,
    ) -> Result<Self> {
        let layout = params.layout;
        let n_samples = check_session(&data, validation.as_ref(), &params, &cfg)?;
        let batch = cfg.batch_size.min(n_samples);
        let chunk = chunk_rows(&ctx, layout, batch).min(max_chunk.unwrap_or(u32::MAX)).max(1);
        let chunks = batch.div_ceil(chunk);
        let per_step = if chunks > 1 { chunks + 1 } else { 1 };
        let steps_per_submit = (STEPS_PER_SUBMIT / per_step).max(1);
        let ring_slots = steps_per_submit * per_step;
        let steps_per_epoch = cfg.steps_per_epoch(n_samples);
        let window = sample_window(&ctx, n_samples, cfg.batch_size, max_window);
        let n = layout.len() as u64;
        let none = wgpu::BufferUsages::empty();
        let pbuf = ctx.storage_init("ncf params", &params.data, none)?;
        let grads = ctx.storage_zeroed("ncf grads", n * 4)?;
        let m = ctx.storage_zeroed("ncf adam m", n * 4)?;
        let v = ctx.storage_zeroed("ncf adam v", n * 4)?;
        let row_ptr = ctx.storage_init("ncf csr row_ptr", &data.train.row_ptr, none)?;
        let cols = ctx.storage_init("ncf csr cols", &data.train.cols, none)?;
        let pos_users = ctx.storage_init("ncf positive users", &data.train_users, none)?;
        // Ratings of the positives for rating regression (one unused element otherwise).
        let pos_ratings =
            ctx.storage_init("ncf positive ratings", data.train_ratings.as_deref().unwrap_or(&[0.0]), none)?;
        let s_users = ctx.storage_zeroed("ncf sample users", window as u64 * 4)?;
        let s_items = ctx.storage_zeroed("ncf sample items", window as u64 * 4)?;
        let s_labels = ctx.storage_zeroed("ncf sample labels", window as u64 * 4)?;
        let step_loss = ctx.storage_zeroed("ncf step losses", steps_per_epoch as u64 * 4)?;
        let step_ring = ctx.uniform("ncf step ring", ctx.step_stride() * ring_slots as u64);
        let unowned = |n: u32, what: &str| ctx.storage_init(what, &vec![u32::MAX; n as usize], none);
        let owners = [unowned(data.num_users, "ncf owner users")?, unowned(data.num_items, "ncf owner items")?];
        let rows_rec = crate::records::RowsRecord::new(layout);
        let rows = ctx.uniform("ncf sparse rows", std::mem::size_of::<crate::records::RowsRecord>() as u64);
        ctx.queue.write_buffer(&rows, 0, bytemuck::bytes_of(&rows_rec));
        let epoch_uniform = ctx.uniform("ncf epoch uniform", std::mem::size_of::<EpochRecord>() as u64);
        let p = &ctx.pipelines;
        let sampling_bg = ctx.bind_group(
            "ncf sampling bind group",
            &p.sampling_layout,
            &[
                (0, &epoch_uniform),
                (1, &row_ptr),
                (2, &cols),
                (3, &pos_users),
                (4, &s_users),
                (5, &s_items),
                (6, &s_labels),
                (7, &pos_ratings),
            ],
            None,
        );
        let model = if layout.kind.is_neural() {
            let io = TowerIo {
                step_ring: &step_ring,
                params: &pbuf,
                users: &s_users,
                items: &s_items,
                features: params.features.as_deref(),
                mode: TowerMode::Train { grads: &grads, labels: &s_labels, step_loss: &step_loss },
            };
            if FusedTower::fits(layout) {
                ModelPasses::Fused(Box::new(FusedTower::new(&ctx, layout, chunk, io, Some(&owners))?))
            } else {
                ModelPasses::Neural(Box::new(Tower::new(&ctx, layout, chunk, ring_slots, io)?))
            }
        } else {
            let bags = ctx.bags_buffer(layout, params.features.as_deref())?;
            let bind = ctx.bind_group(
                "ncf factorization bind group",
                &p.gmf_layout,
                &[
                    (0, &step_ring),
                    (1, &pbuf),
                    (2, &grads),
                    (3, &s_users),
                    (4, &s_items),
                    (5, &s_labels),
                    (6, &step_loss),
                    (8, &bags),
                    (9, &owners[0]),
                    (10, &owners[1]),
                ],
                Some(0),
            );
            ModelPasses::Factorization { bind, _bags: bags }
        };
        let optim_bg = ctx.bind_group(
            "ncf optimizer bind group",
            &p.optim_layout,
            &[(0, &step_ring), (1, &pbuf), (2, &grads), (3, &m), (4, &v)],
            Some(0),
        );
        let sparse_bg = ctx.bind_group(
            "ncf sparse optimizer bind group",
            &p.sparse_layout,
            &[
                (0, &step_ring),
                (1, &pbuf),
                (2, &grads),
                (3, &m),
                (4, &v),
                (5, &owners[0]),
                (6, &owners[1]),
                (7, &s_users),
                (8, &s_items),
                (9, &rows),
            ],
            Some(0),
        );
        let features = params.features.clone();
        let resident = |set: Option<&TestSet>| {
            set.map(|t| TestBuffers::new(&ctx, t, &pbuf, layout, features.as_deref(), cfg.rating)).transpose()
        };
        let test = resident(data.test.as_ref())?;
        let validation_set = validation;
        let validation = resident(validation_set.as_ref())?;
        let train_eval = match cfg.rating {
            Some(_) => resident(data.train_cases().as_ref())?,
            None => None,
        };
        ctx.check_errors()?;
        Ok(GpuSteps {
            ctx,
            inputs: Inputs { data, validation: validation_set, cfg },
            layout,
            params_cpu: params,
            params: pbuf,
            grads,
            m,
            v,
            _csr: [row_ptr, cols, pos_users],
            s_users,
            s_items,
            s_labels,
            step_loss,
            step_ring,
            epoch_uniform,
            sampling_bg,
            model,
            optim_bg,
            sparse_bg,
            sparse_dense: rows_rec.dense_len(),
            owners,
            _rows: rows,
            test,
            validation,
            train_eval,
            n_samples,
            window,
            steps_per_epoch,
            epoch: 0,
            step: 0,
            head: None,
            drawn: None,
            staging: None,
            dispatches: std::cell::Cell::new(0),
            chunk,
            steps_per_submit,
        })
    }
}

/// The most samples drawn at once by default (192 MiB of sample buffers): beyond it an epoch
/// is drawn and trained window by window, so a Netflix-size epoch (502M samples, 6 GB of
/// sample buffers whole) needs none larger.
pub const MAX_WINDOW: u32 = 1 << 24;

/// Samples drawn at once: the whole epoch when it fits a storage binding and the cap, else
/// the most whole batches that do (at least one).
fn sample_window(ctx: &GpuContext, n_samples: u32, batch: u32, max_window: Option<u32>) -> u32 {
    let binding = ctx.info.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
    let cap = (binding / 4).min(MAX_WINDOW.min(max_window.unwrap_or(u32::MAX)) as u64) as u32;
    if n_samples <= cap {
        return n_samples;
    }
    let batch = batch.clamp(1, n_samples);
    (cap / batch).max(1) * batch
}

/// Rows one forward/backward pass takes: the whole batch unless the tower's activations of
/// that many rows would overflow a storage binding (read from the adapter), an index, or the
/// per-layer gemms' workgroups per dimension.
fn chunk_rows(ctx: &GpuContext, layout: Layout, batch: u32) -> u32 {
    if !layout.kind.is_neural() {
        return batch;
    }
    let t = layout.tower;
    let binding = ctx.info.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
    let fit = if FusedTower::fits(layout) {
        // acts and ∂z each hold rows × Σ widths floats in one buffer.
        binding / (4 * FusedTower::floats_per_row(layout))
    } else {
        let widest = (*t.sizes().iter().max().unwrap_or(&1)).max(t.input()) as u64;
        let groups = ctx.info.max_compute_workgroups_per_dimension as u64 * ctx.tile() as u64;
        (binding / (4 * widest)).min((u32::MAX as u64 / 4) / widest).min(groups)
    };
    batch.min(fit.min(u32::MAX as u64) as u32)
}
