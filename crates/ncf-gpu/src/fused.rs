//! The fused training step of the MLP tower (`shaders/fused.wgsl`): two dispatches per step
//! instead of the per-layer path's `4L + 2` (tower.rs). `tower_train` runs gather, every layer,
//! the head, the loss and the backward through the layers with one thread per sample, storing
//! each layer's activations and `∂z`; `tower_weight_grads` sums `∂W_l` and `∂b_l` of all layers
//! over the batch, one thread per tower parameter.
//!
//! One thread walks a whole sample through the tower, so its serial work grows with the
//! weights (`Σ o·i` per layer, twice); towers wider than [`FUSED_MAX_WIDTH`] keep the tiled
//! per-layer products, which spread a layer over many workgroups.

use ncf_core::{Layout, NcfError, Result};

use crate::context::GpuContext;
use crate::records::NetRecord;
use crate::tower::{TowerIo, TowerMode};

/// Widest layer (input included) the fused step takes: the paper's towers for 8, 16 and 32
/// predictive factors (`[64, 32, 16, 8]` … `[256, 128, 64, 32]`), about 2·44K multiply-adds
/// per sample at 256. Wider towers (64 factors: 512 wide) go through the tiled gemms.
pub const FUSED_MAX_WIDTH: u32 = 256;

/// Most dense layers the `Layers` record describes (ncf-core `MAX_TOWER` widths = 7 layers).
const MAX_LAYERS: usize = 8;

/// Mirror of `struct Layers` in fused.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct LayersRecord {
    count: u32,
    first: u32,
    len: u32,
    _pad: u32,
    dims: [[u32; 4]; MAX_LAYERS],
    blocks: [[u32; 4]; MAX_LAYERS + 1],
}

pub(crate) struct FusedTower {
    param_len: u32,
    bind: wgpu::BindGroup,
    _buffers: Vec<wgpu::Buffer>,
}

impl FusedTower {
    /// Whether a layout's tower takes the fused step.
    pub fn fits(layout: Layout) -> bool {
        let t = layout.tower;
        t.layers() <= MAX_LAYERS && t.sizes().iter().chain([&t.input()]).all(|&w| w <= FUSED_MAX_WIDTH)
    }

    /// The activation (and, alike, `∂z`) floats a pass stores per row.
    pub fn floats_per_row(layout: Layout) -> u64 {
        let t = layout.tower;
        (0..=t.layers()).map(|l| if l == 0 { t.input() } else { t.sizes()[l] } as u64).sum()
    }

    /// `owners` are the row claims of sparse steps (users, items), when training.
    pub fn new(
        ctx: &GpuContext,
        layout: Layout,
        rows: u32,
        io: TowerIo<'_>,
        owners: Option<&[wgpu::Buffer; 2]>,
    ) -> Result<FusedTower> {
        // Bindings a mode does not use get one-word placeholders.
        let scratch: Vec<wgpu::Buffer> =
            (0..6).map(|k| ctx.storage_zeroed(&format!("ncf fused tower scratch {k}"), 4)).collect::<Result<_>>()?;
        let (grads, labels, step_loss, scores, train) = match io.mode {
            TowerMode::Train { grads, labels, step_loss } => (grads, labels, step_loss, &scratch[0], true),
            TowerMode::Score { scores } => (&scratch[1], &scratch[2], &scratch[3], scores, false),
        };
        let owners = owners.map_or([&scratch[4], &scratch[5]], |o| [&o[0], &o[1]]);
        let t = layout.tower;
        let n = t.layers();
        let mut rec = LayersRecord {
            count: n as u32,
            first: layout.weight_offset(1) as u32,
            len: (layout.head_offset() - layout.weight_offset(1)) as u32,
            _pad: 0,
            dims: [[0; 4]; MAX_LAYERS],
            blocks: [[0; 4]; MAX_LAYERS + 1],
        };
        let mut at = 0u64;
        for l in 0..=n {
            rec.blocks[l][0] = u32::try_from(at)
                .map_err(|_| NcfError::invalid("batchSize", format!("{rows} rows overflow the tower's indices")))?;
            at += rows as u64 * if l == 0 { t.input() } else { t.sizes()[l] } as u64;
            if l > 0 {
                let (i, o) = t.dims(l);
                rec.dims[l - 1] =
                    [i as u32, o as u32, layout.weight_offset(l) as u32, layout.layer_bias_offset(l) as u32];
            }
        }
        let acts = ctx.storage_zeroed("ncf fused tower activations", at * 4)?;
        let dz = ctx.storage_zeroed("ncf fused tower dz", if train { at * 4 } else { 4 })?;
        let layers = ctx.uniform("ncf fused tower layers", std::mem::size_of::<LayersRecord>() as u64);
        ctx.queue.write_buffer(&layers, 0, bytemuck::bytes_of(&rec));
        let net = ctx.uniform("ncf fused tower net", std::mem::size_of::<NetRecord>() as u64);
        ctx.queue.write_buffer(&net, 0, bytemuck::bytes_of(&NetRecord::new(layout)));
        let bags = ctx.bags_buffer(layout, io.features)?;
        let bind = ctx.bind_group(
            "ncf fused tower bind group",
            &ctx.pipelines.tower_layout,
            &[
                (0, io.step_ring),
                (1, &net),
                (2, io.params),
                (3, grads),
                (4, io.users),
                (5, io.items),
                (6, labels),
                (7, step_loss),
                (9, &acts),
                (10, &bags),
                (11, &dz),
                (12, &layers),
                (13, owners[0]),
                (14, owners[1]),
                (15, scores),
            ],
            Some(0),
        );
        let mut buffers = vec![acts, dz, layers, net, bags];
        buffers.extend(scratch);
        Ok(FusedTower { param_len: rec.len, bind, _buffers: buffers })
    }

    /// Records the scoring of `len` pairs whose `Step` record is at `step_offset`.
    pub fn encode_score(&self, ctx: &GpuContext, pass: &mut wgpu::ComputePass<'_>, step_offset: u32, len: u32) {
        let wg = crate::shaders::fused_workgroup(ctx.info.workgroup_size);
        let (x, y) = ctx.grid_of(len, wg);
        pass.set_bind_group(0, &self.bind, &[step_offset]);
        pass.set_pipeline(&ctx.pipelines.tower_score);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// Records one step over `len` samples (its `Step` record at `step_offset`); returns the
    /// dispatches recorded.
    pub fn encode(&self, ctx: &GpuContext, pass: &mut wgpu::ComputePass<'_>, step_offset: u32, len: u32) -> u32 {
        let p = &ctx.pipelines;
        pass.set_bind_group(0, &self.bind, &[step_offset]);
        let wg = crate::shaders::fused_workgroup(ctx.info.workgroup_size);
        let (x, y) = ctx.grid_of(len, wg);
        pass.set_pipeline(&p.tower_train);
        pass.dispatch_workgroups(x, y, 1);
        let (x, y) = ctx.grid_of(self.param_len, wg);
        pass.set_pipeline(&p.tower_weight_grads);
        pass.dispatch_workgroups(x, y, 1);
        2
    }
}
