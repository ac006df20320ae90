// Optimizer updates with PyTorch semantics (torch.optim.Adam / SGD), one thread per parameter
// (dense) or per touched row (sparse). Each kernel consumes the accumulated gradient and clears
// it for the next step, so no separate zeroing pass is needed.

@group(0) @binding(0) var<uniform> st: Step;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<AtomicCell>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
// Row-sparse steps only: the batch slot that owns each user / item row this step
// (0xFFFFFFFF: none), the batch, and the row blocks.
@group(0) @binding(5) var<storage, read_write> owner_users: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> owner_items: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read> s_users: array<u32>;
@group(0) @binding(8) var<storage, read> s_items: array<u32>;
@group(0) @binding(9) var<uniform> rows: Rows;

// Kingma & Ba, Algorithm 1, in PyTorch's form, with L2 weight decay λ added to the gradient:
// g ← g + λp; m ← m + (1−β1)(g − m); v ← β2·v + (1−β2)·g²;
// p ← p − s·m / (√v/√(1−β2^t) + ε), s = lr/(1−β1^t).
fn adam_at(k: u32) {
    let g = load_grads(k) + st.weight_decay * params[k];
    let mk = m[k] + (1.0 - st.beta1) * (g - m[k]);
    let vk = st.beta2 * v[k] + (1.0 - st.beta2) * g * g;
    m[k] = mk;
    v[k] = vk;
    let denom = sqrt(vk) / st.bc2_sqrt + st.eps;
    params[k] = params[k] - st.step_size * (mk / denom);
    store_grads(k, 0.0);
}

// torch.optim.SGD (dampening 0): g ← g + λp; with momentum μ, b ← μb + g (b starts at 0, so
// the first step sets b = g) and g ← b; then p ← p − lr·g. `m` holds the momentum buffer.
fn sgd_at(k: u32) {
    var g = load_grads(k) + st.weight_decay * params[k];
    if st.momentum != 0.0 {
        g = st.momentum * m[k] + g;
        m[k] = g;
    }
    params[k] = params[k] - st.step_size * g;
    store_grads(k, 0.0);
}

fn update_at(k: u32) {
    if st.adam != 0u {
        adam_at(k);
    } else {
        sgd_at(k);
    }
}

@compute @workgroup_size(WG)
fn adam(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = flat_index(wid, nwg, lid);
    if k < st.n_params {
        adam_at(k);
    }
}

@compute @workgroup_size(WG)
fn sgd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = flat_index(wid, nwg, lid);
    if k < st.n_params {
        sgd_at(k);
    }
}

// ---- Row-sparse steps (TrainConfig.sparse: LazyAdam / torch.optim.SparseAdam) -------------
// Row tables are the user-indexed blocks (P, P_mlp, b_u) and the item-indexed ones (Q, Q_mlp,
// b_i); every other parameter is dense and steps every batch. A step updates only the rows its
// batch uses: untouched rows keep p, m and v (their moments are not decayed) and a zero
// gradient. The backward kernel has each sample b claim its rows with atomicMin(owner[row], b),
// so exactly one batch slot owns each distinct row; here that slot updates the row, clears
// its gradient and releases the claim for the next step. One dispatch: threads [0, dense) step
// the dense parameters, then one thread per batch slot per side.

struct Rows {
    // Dense ranges [d0, d1) (feature tables, tower, h) and [d2, d3) (b).
    d0: u32,
    d1: u32,
    d2: u32,
    d3: u32,
    // Per side (x users, y items) the three blocks' offsets and the widths (F, E, 1 or 0).
    user_blocks: vec4<u32>,
    item_blocks: vec4<u32>,
    widths: vec4<u32>,
}

fn dense_threads() -> u32 {
    return (rows.d1 - rows.d0) + (rows.d3 - rows.d2);
}

fn step_row(blocks: vec4<u32>, r: u32) {
    for (var j = 0u; j < 3u; j++) {
        let w = rows.widths[j];
        for (var c = 0u; c < w; c++) {
            update_at(blocks[j] + r * w + c);
        }
    }
}

@compute @workgroup_size(WG)
fn optimize_sparse(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = flat_index(wid, nwg, lid);
    let dense = dense_threads();
    if k < dense {
        let first = rows.d1 - rows.d0;
        if k < first {
            update_at(rows.d0 + k);
        } else {
            update_at(rows.d2 + (k - first));
        }
        return;
    }
    let slot = k - dense;
    if slot < st.batch_len {
        let u = s_users[st.batch_start + slot];
        if atomicLoad(&owner_users[u]) == slot {
            step_row(rows.user_blocks, u);
            atomicStore(&owner_users[u], 0xFFFFFFFFu);
        }
    } else if slot < 2u * st.batch_len {
        let b = slot - st.batch_len;
        let i = s_items[st.batch_start + b];
        if atomicLoad(&owner_items[i]) == b {
            step_row(rows.item_blocks, i);
            atomicStore(&owner_items[i], 0xFFFFFFFFu);
        }
    }
}

// The claims of a batch for backward paths that make none themselves (the per-layer tower).
@compute @workgroup_size(WG)
fn claim_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let b = flat_index(wid, nwg, lid);
    if b < st.batch_len {
        atomicMin(&owner_users[s_users[st.batch_start + b]], b);
        atomicMin(&owner_items[s_items[st.batch_start + b]], b);
    }
}
