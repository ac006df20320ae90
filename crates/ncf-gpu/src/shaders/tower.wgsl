// The parts of MLP and NeuMF (He et al. §3.3–3.4) around the dense tower, whose layers run on
// `gemm` (dense.wgsl). Per batch of B samples:
//   gather         a_0[t] = [P_mlp[u_t] ; Q_mlp[i_t] ; f_u ; f_i]   (eq. 10; side features as in
//                  the anime NCF: each slot's vector is Σ w · T[row] over the entity's bag)
//   (gemm ×L)      a_l = drop(ReLU(a_{l−1} W_lᵀ + b_l))
//   head_backward  z = h_gᵀ(p_u ⊙ q_i) + h_mᵀ a_L + b (eq. 11–12), the loss, d = (σ(z) − y)/B,
//                  the GMF-branch and predict-layer gradients, and ∂a_L = d·h_m
//   (gemm ×3L)     the tower's backward products
//   scatter        ∂a_0 into the two MLP embedding rows of each sample, and w · ∂a_0 into every
//                  feature-table row of its bags
// `head_forward` replaces `head_backward` when only scores are wanted.
//
// Parameters follow ncf-core's layout: [P | Q | P_mlp | Q_mlp | tower | h (F + L) | b], MLP with
// F = 0. Gradients of rows shared by several samples (embeddings, h, b) accumulate with atomic
// adds, as in factorization.wgsl; each sample owns its rows of the activation buffers.

struct Net {
    // MLP embedding size E.
    emb: u32,
    // Width of the last tower layer.
    last: u32,
    mlp_user_offset: u32,
    mlp_item_offset: u32,
    // Width of a_0: 2E plus the side-feature inputs.
    input: u32,
    // First a_0 column of the item features (2E + F_u).
    item_features: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> st: Step;
@group(0) @binding(1) var<uniform> net: Net;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<AtomicCell>;
@group(0) @binding(4) var<storage, read> s_users: array<u32>;
@group(0) @binding(5) var<storage, read> s_items: array<u32>;
@group(0) @binding(6) var<storage, read> s_labels: array<f32>;
@group(0) @binding(7) var<storage, read_write> step_loss: array<AtomicCell>;
// head: a_L; scatter: ∂a_0.
@group(0) @binding(8) var<storage, read> x_in: array<f32>;
// gather: a_0; head_backward: ∂a_L; head_forward: scores (indexed by pair, not batch row).
@group(0) @binding(9) var<storage, read_write> x_out: array<f32>;
// Side-feature bags (records.rs `feature_words`): per side a header [slots, slot table, row
// pointers, entries, GMF tables]; slots are (dim, table offset, first a_0 column); entries
// (row, weight bits). scoring.wgsl reads the GMF-branch part.
@group(0) @binding(10) var<storage, read> bags: array<u32>;

// The bag entries of a_0 column c (c >= 2E) of sample s: the slot's table, its width, the
// column within the slot and the entries range [a, b). `found` is false for no slot.
struct BagRange {
    found: bool,
    entries: u32,
    table: u32,
    dim: u32,
    k: u32,
    a: u32,
    b: u32,
}

fn bag_range(s: u32, c: u32) -> BagRange {
    var side = 0u;
    var entity = s_users[s];
    if c >= net.item_features {
        side = 1u;
        entity = s_items[s];
    }
    let h = side * BAG_HEADER;
    let n = bags[h];
    let slots = bags[h + 1u];
    let ptr = bags[h + 2u];
    var r = BagRange(false, bags[h + 3u], 0u, 0u, 0u, 0u, 0u);
    for (var j = 0u; j < n; j++) {
        let dim = bags[slots + 3u * j];
        let x0 = bags[slots + 3u * j + 2u];
        if c >= x0 && c < x0 + dim {
            r.found = true;
            r.table = bags[slots + 3u * j + 1u];
            r.dim = dim;
            r.k = c - x0;
            r.a = bags[ptr + entity * n + j];
            r.b = bags[ptr + entity * n + j + 1u];
        }
    }
    return r;
}


// Parameter index of element g of a_0's first 2E columns (row width net.input): column c < E
// is the user's MLP row, the rest the item's.
fn embedding_index(g: u32) -> u32 {
    let s = st.batch_start + g / net.input;
    let c = g % net.input;
    if c < net.emb {
        return net.mlp_user_offset + s_users[s] * net.emb + c;
    }
    return net.mlp_item_offset + s_items[s] * net.emb + (c - net.emb);
}

// One thread per element of a_0 (B × input).
@compute @workgroup_size(WG)
fn gather(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = flat_index(wid, nwg, lid);
    if g >= st.batch_len * net.input {
        return;
    }
    let c = g % net.input;
    if c < 2u * net.emb {
        x_out[g] = params[embedding_index(g)];
        return;
    }
    let r = bag_range(st.batch_start + g / net.input, c);
    var acc = 0.0;
    for (var j = r.a; j < r.b; j++) {
        let row = bags[r.entries + 2u * j];
        acc += bitcast<f32>(bags[r.entries + 2u * j + 1u]) * params[r.table + row * r.dim + r.k];
    }
    x_out[g] = acc;
}

fn head_logit(t: u32, u: u32, i: u32) -> f32 {
    // The GMF branch (empty for MLP, F = 0), then the tower's h_mᵀ a_L, into one sum.
    var z = gmf_term(u, i, true);
    let hm = st.head_offset + st.factors;
    for (var k = 0u; k < net.last; k++) {
        z += params[hm + k] * x_in[t * net.last + k];
    }
    return z + bias_terms(u, i);
}

// Scores of the pairs batch_start .. batch_start + batch_len into x_out[pair].
@compute @workgroup_size(WG)
fn head_forward(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = flat_index(wid, nwg, lid);
    if t >= st.batch_len {
        return;
    }
    let s = st.batch_start + t;
    x_out[s] = head_logit(t, s_users[s], s_items[s]);
}

fn row_norm(offset: u32, n: u32) -> f32 {
    var acc = 0.0;
    for (var k = 0u; k < n; k++) {
        let x = params[offset + k];
        acc += x * x;
    }
    return acc;
}

// One thread per sample. The batch's summed loss (BCE + per-occurrence L2 of the four
// embedding rows) is reduced in workgroup memory into step_loss[step_slot].
@compute @workgroup_size(WG)
fn head_backward(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = flat_index(wid, nwg, lid);
    var loss = 0.0;
    if t < st.batch_len {
        let s = st.batch_start + t;
        let u = s_users[s];
        let i = s_items[s];
        let y = s_labels[s];
        let z = head_logit(t, u, i);
        let obj = objective_eval(z, y, st.objective, st.target_offset);
        let d = obj.y * st.inv_batch;
        // The GMF branch's gradients and the L2 norm of its two rows (scoring.wgsl).
        var norm = add_gmf_term_grads(u, i, d, true);
        let hm = st.head_offset + st.factors;
        for (var k = 0u; k < net.last; k++) {
            add_grads(hm + k, d * x_in[t * net.last + k]);
            x_out[t * net.last + k] = d * params[hm + k];
        }
        norm += add_bias_grads(u, i, d);
        norm += row_norm(net.mlp_user_offset + u * net.emb, net.emb) + row_norm(net.mlp_item_offset + i * net.emb, net.emb);
        loss = obj.x + st.l2 * norm;
    }
    add_workgroup_loss(lid, loss);
}

// One thread per element of ∂a_0 (B × input): the gradient plus the L2 term lands in its
// embedding row; samples sharing a row add atomically.
@compute @workgroup_size(WG)
fn scatter(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = flat_index(wid, nwg, lid);
    if g >= st.batch_len * net.input {
        return;
    }
    let c = g % net.input;
    if c < 2u * net.emb {
        let o = embedding_index(g);
        add_grads(o, x_in[g] + 2.0 * st.l2 * st.inv_batch * params[o]);
        return;
    }
    let r = bag_range(st.batch_start + g / net.input, c);
    for (var j = r.a; j < r.b; j++) {
        let row = bags[r.entries + 2u * j];
        add_grads(r.table + row * r.dim + r.k, bitcast<f32>(bags[r.entries + 2u * j + 1u]) * x_in[g]);
    }
}
