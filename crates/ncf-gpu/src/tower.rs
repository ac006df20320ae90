//! The MLP tower of MLP and NeuMF on the GPU: activation buffers for a fixed number of rows,
//! the `gemm` products of every layer (dense.wgsl) and the `gather` / `head_*` / `scatter`
//! kernels around them (tower.wgsl), with their bind groups built once.
//!
//! A buffer may not be bound both read-only and read-write in one dispatch, so every layer has
//! its own activation buffer `a_l` and gradient buffer `∂a_l`; each product reads one and
//! writes the next. Per-dispatch parameters come from two uniform rings by dynamic offset: the
//! caller's `Step` ring (batch position, optimizer scalars) and this tower's `Gemm` ring.

use ncf_core::train::DropoutSpec;
use ncf_core::{Layout, NcfError, Result};

use crate::context::GpuContext;
use crate::dense::{ACCUMULATE, ADD_BIAS, B_ONES, DROPOUT, GEMM_BYTES, GemmRecord, MASK_A, RELU, SCALE_A};
use crate::records::NetRecord;
use ncf_core::model::ModelFeatures;

/// Buffers a tower binds besides its own.
pub(crate) struct TowerIo<'a> {
    pub step_ring: &'a wgpu::Buffer,
    pub params: &'a wgpu::Buffer,
    pub users: &'a wgpu::Buffer,
    pub items: &'a wgpu::Buffer,
    /// The side-feature bags of the model, when it has features.
    pub features: Option<&'a ModelFeatures>,
    pub mode: TowerMode<'a>,
}

pub(crate) enum TowerMode<'a> {
    /// Forward, loss and backward into `grads`, summed losses into `step_loss`.
    Train { grads: &'a wgpu::Buffer, labels: &'a wgpu::Buffer, step_loss: &'a wgpu::Buffer },
    /// Forward only; logits land in `scores[pair]`.
    Score { scores: &'a wgpu::Buffer },
}

pub(crate) struct Tower {
    layout: Layout,
    train: bool,
    _acts: Vec<wgpu::Buffer>,
    _dacts: Vec<wgpu::Buffer>,
    fwd: Vec<wgpu::BindGroup>,
    dw: Vec<wgpu::BindGroup>,
    dx: Vec<wgpu::BindGroup>,
    gemm_ring: wgpu::Buffer,
    _net: wgpu::Buffer,
    gather: wgpu::BindGroup,
    head: wgpu::BindGroup,
    scatter: Option<wgpu::BindGroup>,
    _scratch: Vec<wgpu::Buffer>,
}

impl Tower {
    /// A tower for `rows` rows per pass whose gemm ring holds `passes` passes of records.
    pub fn new(ctx: &GpuContext, layout: Layout, rows: u32, passes: u32, io: TowerIo<'_>) -> Result<Tower> {
        let t = layout.tower;
        let n = t.layers();
        let max = ctx.info.max_compute_workgroups_per_dimension;
        if rows.div_ceil(ctx.tile()) > max {
            return Err(NcfError::invalid(
                "batchSize",
                format!("{rows} rows exceed this adapter's {max} workgroups of {} per dimension", ctx.tile()),
            ));
        }
        let widest = (*t.sizes().iter().max().unwrap_or(&1)).max(t.input()) as u64;
        if rows as u64 * widest > u32::MAX as u64 / 4 {
            return Err(NcfError::invalid(
                "batchSize",
                format!("{rows} rows × a {widest}-wide layer exceed the 2^30 activations one pass may index"),
            ));
        }
        let train = matches!(io.mode, TowerMode::Train { .. });
        // a_0 is [p ; q ; f_u ; f_i], the layers' outputs their widths.
        let width = |l: usize| if l == 0 { t.input() } else { t.sizes()[l] };
        let act = |l: usize, what: &str| {
            ctx.storage_zeroed(&format!("ncf tower {what}{l}"), rows as u64 * width(l) as u64 * 4)
        };
        let acts = (0..=n).map(|l| act(l, "a")).collect::<Result<Vec<_>>>()?;
        let dacts = if train { (0..=n).map(|l| act(l, "da")).collect::<Result<Vec<_>>>()? } else { Vec::new() };
        let per_pass = if train { 4 * n } else { n } as u64;
        let gemm_ring = ctx.uniform("ncf tower gemm ring", ctx.ring_stride(GEMM_BYTES) * per_pass * passes as u64);
        let net = ctx.uniform("ncf tower net", std::mem::size_of::<NetRecord>() as u64);
        ctx.queue.write_buffer(&net, 0, bytemuck::bytes_of(&NetRecord::new(layout)));
        let bags = ctx.bags_buffer(layout, io.features)?;
        let scratch: Vec<wgpu::Buffer> =
            (0..3).map(|k| ctx.storage_zeroed(&format!("ncf tower scratch {k}"), 4)).collect::<Result<_>>()?;
        let gl = &ctx.pipelines.gemm_layout;
        let gemm_bg = |label: String, a: &wgpu::Buffer, b: &wgpu::Buffer, c: &wgpu::Buffer, mask: &wgpu::Buffer| {
            ctx.bind_group_ring(
                &label,
                gl,
                &[(0, &gemm_ring), (1, a), (2, b), (3, c), (4, io.params), (5, mask)],
                Some((0, GEMM_BYTES)),
            )
        };
        let fwd = (1..=n)
            .map(|l| gemm_bg(format!("ncf tower forward {l}"), &acts[l - 1], io.params, &acts[l], io.params))
            .collect();
        let (mut dw, mut dx) = (Vec::new(), Vec::new());
        if let TowerMode::Train { grads, .. } = io.mode {
            for l in 1..=n {
                dw.push(gemm_bg(format!("ncf tower dW {l}"), &dacts[l], &acts[l - 1], grads, &acts[l]));
                dx.push(gemm_bg(format!("ncf tower dx {l}"), &dacts[l], io.params, &dacts[l - 1], &acts[l]));
            }
        }
        let (grads, labels, step_loss, head_out) = match io.mode {
            TowerMode::Train { grads, labels, step_loss } => (grads, labels, step_loss, &dacts[n]),
            TowerMode::Score { scores } => (&scratch[0], &scratch[2], &scratch[1], scores),
        };
        let neural_bg = |label: &str, x_in: &wgpu::Buffer, x_out: &wgpu::Buffer| {
            ctx.bind_group(
                label,
                &ctx.pipelines.neural_layout,
                &[
                    (0, io.step_ring),
                    (1, &net),
                    (2, io.params),
                    (3, grads),
                    (4, io.users),
                    (5, io.items),
                    (6, labels),
                    (7, step_loss),
                    (8, x_in),
                    (9, x_out),
                    (10, &bags),
                ],
                Some(0),
            )
        };
        let gather = neural_bg("ncf tower gather", &scratch[2], &acts[0]);
        let head = neural_bg("ncf tower head", &acts[n], head_out);
        let scatter = train.then(|| neural_bg("ncf tower scatter", &dacts[0], &scratch[2]));
        Ok(Tower {
            layout,
            train,
            _acts: acts,
            _dacts: dacts,
            fwd,
            dw,
            dx,
            gemm_ring,
            _net: net,
            gather,
            head,
            scatter,
            _scratch: scratch,
        })
    }

    /// Gemm records of one pass over `len` rows, in dispatch order: forward per layer, then
    /// (training) dW, db, dx per layer from the last down.
    /// `row0` is the batch row of the pass's first row (micro-batches of one step).
    pub fn records(&self, len: u32, dropout: Option<DropoutSpec>, row0: u32) -> Vec<GemmRecord> {
        let l = self.layout;
        let n = l.tower.layers();
        let mut out = Vec::with_capacity(if self.train { 4 * n } else { n });
        for layer in 1..=n {
            let (i, o) = l.tower.dims(layer);
            let (i, o) = (i as u32, o as u32);
            let drop = dropout.map(|d| d.layer(layer));
            out.push(GemmRecord {
                m: len,
                n: o,
                k: i,
                flags: ADD_BIAS | RELU | if drop.is_some() { DROPOUT } else { 0 },
                a_rs: i,
                a_cs: 1,
                b_off: l.weight_offset(layer) as u32,
                b_rs: 1,
                b_cs: i,
                c_rs: o,
                bias_off: l.layer_bias_offset(layer) as u32,
                dropout_key: drop.map_or(0, |d| d.key),
                dropout_p: drop.map_or(0.0, |d| d.p),
                row0,
                ..Default::default()
            });
        }
        if self.train {
            for layer in (1..=n).rev() {
                let (i, o) = l.tower.dims(layer);
                let (i, o) = (i as u32, o as u32);
                // ∂z = ∂a ⊙ [a > 0] (× 1/(1−p) with dropout), read through MASK_A / SCALE_A.
                let p = dropout.map_or(0.0, |d| d.p);
                let mask = MASK_A | if dropout.is_some() { SCALE_A } else { 0 };
                // ∂W += ∂zᵀ a_{l−1}
                out.push(GemmRecord {
                    m: o,
                    n: i,
                    k: len,
                    flags: mask | ACCUMULATE,
                    a_rs: 1,
                    a_cs: o,
                    b_rs: i,
                    b_cs: 1,
                    c_off: l.weight_offset(layer) as u32,
                    c_rs: i,
                    dropout_p: p,
                    ..Default::default()
                });
                // ∂b += Σ_rows ∂z
                out.push(GemmRecord {
                    m: o,
                    n: 1,
                    k: len,
                    flags: mask | ACCUMULATE | B_ONES,
                    a_rs: 1,
                    a_cs: o,
                    c_off: l.layer_bias_offset(layer) as u32,
                    c_rs: 1,
                    dropout_p: p,
                    ..Default::default()
                });
                // ∂a_{l−1} = ∂z W
                out.push(GemmRecord {
                    m: len,
                    n: i,
                    k: o,
                    flags: mask,
                    a_rs: o,
                    a_cs: 1,
                    b_off: l.weight_offset(layer) as u32,
                    b_rs: i,
                    b_cs: 1,
                    c_rs: i,
                    dropout_p: p,
                    ..Default::default()
                });
            }
        }
        out
    }

    pub fn records_per_pass(&self) -> u32 {
        let n = self.layout.tower.layers() as u32;
        if self.train { 4 * n } else { n }
    }

    /// Uploads the records of consecutive passes (pass `k` uses ring slots from
    /// `k · records_per_pass()`).
    pub fn write_records(&self, ctx: &GpuContext, records: &[GemmRecord]) {
        ctx.write_ring(&self.gemm_ring, records);
    }

    fn dispatch_gemm(
        &self,
        ctx: &GpuContext,
        pass: &mut wgpu::ComputePass<'_>,
        bg: &wgpu::BindGroup,
        slot: u32,
        rec: &GemmRecord,
    ) {
        let tile = ctx.tile();
        let offset = slot * ctx.ring_stride(GEMM_BYTES) as u32;
        pass.set_pipeline(&ctx.pipelines.gemm);
        pass.set_bind_group(0, bg, &[offset]);
        pass.dispatch_workgroups(rec.n.div_ceil(tile), rec.m.div_ceil(tile), 1);
    }

    /// Records pass number `index` over `len` rows: gather, the layers, the head, and (training)
    /// the backward products and the scatter. `step_offset` is the byte offset of its `Step`
    /// record; `records` are this pass's gemm records as [`Tower::records`] made them. Returns
    /// the dispatches recorded.
    pub fn encode(
        &self,
        ctx: &GpuContext,
        pass: &mut wgpu::ComputePass<'_>,
        step_offset: u32,
        index: u32,
        len: u32,
        records: &[GemmRecord],
    ) -> u32 {
        let p = &ctx.pipelines;
        let n = self.layout.tower.layers();
        let base = index * self.records_per_pass();
        let width = self.layout.tower.input();
        let (gx, gy) = ctx.grid(len * width);
        pass.set_pipeline(&p.gather);
        pass.set_bind_group(0, &self.gather, &[step_offset]);
        pass.dispatch_workgroups(gx, gy, 1);
        for (l, (bg, rec)) in self.fwd.iter().zip(records).enumerate() {
            self.dispatch_gemm(ctx, pass, bg, base + l as u32, rec);
        }
        let (hx, hy) = ctx.grid(len);
        pass.set_pipeline(if self.train { &p.head_backward } else { &p.head_forward });
        pass.set_bind_group(0, &self.head, &[step_offset]);
        pass.dispatch_workgroups(hx, hy, 1);
        if let Some(scatter) = &self.scatter {
            for (k, layer) in (1..=n).rev().enumerate() {
                let slot = n + 3 * k;
                self.dispatch_gemm(ctx, pass, &self.dw[layer - 1], base + slot as u32, &records[slot]);
                self.dispatch_gemm(ctx, pass, &self.dw[layer - 1], base + slot as u32 + 1, &records[slot + 1]);
                self.dispatch_gemm(ctx, pass, &self.dx[layer - 1], base + slot as u32 + 2, &records[slot + 2]);
            }
            pass.set_pipeline(&p.scatter);
            pass.set_bind_group(0, scatter, &[step_offset]);
            pass.dispatch_workgroups(gx, gy, 1);
            return 4 * n as u32 + 3;
        }
        n as u32 + 2
    }
}
