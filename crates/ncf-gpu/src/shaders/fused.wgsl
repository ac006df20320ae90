// The fused training step of the MLP tower (MLP and NeuMF, He et al. §3.3–3.4), composed after
// tower.wgsl (whose bindings, `bag_range` and `row_norm` it reuses) and scoring.wgsl.
//
// Everything up to each layer's ∂z is per sample, so one thread per sample runs the whole
// chain in `tower_train`: gather a_0 = [P_mlp[u] ; Q_mlp[i] ; f_u ; f_i] (eq. 10), the layers
// a_l = drop(ReLU(W_l a_{l−1} + b_l)), the head z = h_gᵀ(p_u ⊙ q_i) + h_mᵀ a_L + b (eq. 11–12),
// the loss and d = ∂ℓ/∂z / B, and the backward through the layers, storing every a_l and
// ∂z_l = ∂a_l ⊙ [a_l > 0] (· 1/(1−p) with dropout) in its own row of `acts` / `dz`, then adding
// ∂a_0 to the sample's embedding rows and bag rows (atomics, as in factorization.wgsl).
// Only the shared weights need a sum over the batch: `tower_weight_grads` gives each tower
// parameter one thread that sums ∂W_l[o, k] = Σ_t ∂z_l[t, o] a_{l−1}[t, k] and
// ∂b_l[o] = Σ_t ∂z_l[t, o] over the batch, for every layer in one dispatch, in a fixed order
// (no atomics: each thread owns its parameter). Two dispatches replace gather, L forward
// products, the head, 3L backward products and the scatter (tower.rs, 4L + 2).

struct Layers {
    // Dense layers L.
    count: u32,
    // First tower parameter (W_1) and the tower's parameter count (W_l then b_l per layer).
    first: u32,
    len: u32,
    _pad: u32,
    // Layer l = 1..L at index l − 1: (inputs, outputs, W_l offset, b_l offset).
    dims: array<vec4<u32>, 8>,
    // Block l = 0..L at index l: x = first element of a_l (and of ∂z_l) in `acts` / `dz`,
    // rows of the block `width(l)` wide, one per sample of the pass.
    blocks: array<vec4<u32>, 9>,
}

@group(0) @binding(11) var<storage, read_write> dz: array<f32>;
@group(0) @binding(12) var<uniform> layers: Layers;
// Row-sparse steps: the first batch slot using each user / item row claims it (optim.wgsl).
@group(0) @binding(13) var<storage, read_write> owner_users: array<atomic<u32>>;
@group(0) @binding(14) var<storage, read_write> owner_items: array<atomic<u32>>;
// `tower_score` only: the logits, indexed by pair.
@group(0) @binding(15) var<storage, read_write> scores: array<f32>;

const DOMAIN_DROPOUT_ID: u32 = 0x64726f70u;
const DOMAIN_DROPOUT_KEY: u32 = 0x646b6579u;

// ncf-core dropout.rs: the key of layer l mixes the seed, the 64-bit step and l; unit (row,
// col) is kept when unit(hash(key, row, col)) ≥ p. Rows are the sample's place in its batch.
fn kept(l: u32, row: u32, col: u32) -> bool {
    let key = hash5(st.dropout_seed, DOMAIN_DROPOUT_KEY, st.step_lo, st.step_hi, l);
    return unit_f32(hash5(key, DOMAIN_DROPOUT_ID, 0u, row, col)) >= st.dropout_p;
}

// ReLU's and inverted dropout's backward: ∂a → ∂z through a unit whose output is `a`
// (a dropped or inactive unit has output 0).
fn unit_grad(da: f32, a: f32) -> f32 {
    if a <= 0.0 {
        return 0.0;
    }
    if st.dropout_p > 0.0 {
        return da * (1.0 / (1.0 - st.dropout_p));
    }
    return da;
}

// Column c of a_0 for sample s: its MLP embedding element, or its bag sum Σ w · T[row].
fn input_value(s: u32, c: u32) -> f32 {
    if c < net.emb {
        return params[net.mlp_user_offset + s_users[s] * net.emb + c];
    }
    if c < 2u * net.emb {
        return params[net.mlp_item_offset + s_items[s] * net.emb + (c - net.emb)];
    }
    let r = bag_range(s, c);
    var acc = 0.0;
    for (var j = r.a; j < r.b; j++) {
        let row = bags[r.entries + 2u * j];
        acc += bitcast<f32>(bags[r.entries + 2u * j + 1u]) * params[r.table + row * r.dim + r.k];
    }
    return acc;
}

// Adds g = ∂ℓ/∂a_0[c] of sample s to the parameters column c was gathered from (plus the
// per-occurrence L2 term 2λ/B · p on the two embedding rows).
fn scatter_input(s: u32, c: u32, g: f32) {
    if c < 2u * net.emb {
        var o = net.mlp_user_offset + s_users[s] * net.emb + c;
        if c >= net.emb {
            o = net.mlp_item_offset + s_items[s] * net.emb + (c - net.emb);
        }
        add_grads(o, g + 2.0 * st.l2 * st.inv_batch * params[o]);
        return;
    }
    let r = bag_range(s, c);
    for (var j = r.a; j < r.b; j++) {
        let row = bags[r.entries + 2u * j];
        add_grads(r.table + row * r.dim + r.k, bitcast<f32>(bags[r.entries + 2u * j + 1u]) * g);
    }
}

// Gather and every layer of row t (sample s), into its rows of `acts`.
fn forward_rows(t: u32, s: u32) {
        let a0 = layers.blocks[0].x + t * net.input;
        for (var c = 0u; c < net.input; c++) {
            x_out[a0 + c] = input_value(s, c);
        }
        for (var l = 1u; l <= layers.count; l++) {
            let d = layers.dims[l - 1u];
            let ai = layers.blocks[l - 1u].x + t * d.x;
            let ao = layers.blocks[l].x + t * d.y;
            for (var o = 0u; o < d.y; o++) {
                var acc = params[d.w + o];
                let w = d.z + o * d.x;
                for (var k = 0u; k < d.x; k++) {
                    acc += params[w + k] * x_out[ai + k];
                }
                acc = max(acc, 0.0);
                if st.dropout_p > 0.0 {
                    if kept(l, st.row_base + t, o) {
                        acc = acc * (1.0 / (1.0 - st.dropout_p));
                    } else {
                        acc = 0.0;
                    }
                }
                x_out[ao + o] = acc;
            }
        }
}

// The head's logit of row t: the GMF branch (F = 0 for MLP), h_mᵀ a_L and the bias terms.
fn head_z(t: u32, u: u32, i: u32) -> f32 {
    let aL = layers.blocks[layers.count].x + t * net.last;
    let hm = st.head_offset + st.factors;
    var z = gmf_term(u, i, true);
    for (var k = 0u; k < net.last; k++) {
        z += params[hm + k] * x_out[aL + k];
    }
    return z + bias_terms(u, i);
}

// Logits of the pairs batch_start .. batch_start + batch_len (evaluation and predict).
@compute @workgroup_size(WG)
fn tower_score(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = flat_index(wid, nwg, lid);
    if t < st.batch_len {
        let s = st.batch_start + t;
        forward_rows(t, s);
        scores[s] = head_z(t, s_users[s], s_items[s]);
    }
}

@compute @workgroup_size(WG)
fn tower_train(
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
        forward_rows(t, s);
        // The head: the GMF branch (F = 0 for MLP), h_mᵀ a_L and the bias terms.
        let aL = layers.blocks[layers.count].x + t * net.last;
        let hm = st.head_offset + st.factors;
        let z = head_z(t, u, i);
        let obj = objective_eval(z, s_labels[s], st.objective, st.target_offset);
        let d = obj.y * st.inv_batch;
        var norm = add_gmf_term_grads(u, i, d, true);
        for (var k = 0u; k < net.last; k++) {
            add_grads(hm + k, d * x_out[aL + k]);
            dz[aL + k] = unit_grad(d * params[hm + k], x_out[aL + k]);
        }
        norm += add_bias_grads(u, i, d);
        if st.sparse != 0u {
            atomicMin(&owner_users[u], st.row_base + t);
            atomicMin(&owner_items[i], st.row_base + t);
        }
        norm += row_norm(net.mlp_user_offset + u * net.emb, net.emb) + row_norm(net.mlp_item_offset + i * net.emb, net.emb);
        loss = obj.x + st.l2 * norm;
        // ∂a_{l−1} = W_lᵀ ∂z_l, from the last layer down; ∂a_0 goes to the gathered rows.
        for (var l = layers.count; l >= 1u; l--) {
            let dl = layers.dims[l - 1u];
            let zo = layers.blocks[l].x + t * dl.y;
            let ai = layers.blocks[l - 1u].x + t * dl.x;
            for (var k = 0u; k < dl.x; k++) {
                var g = 0.0;
                for (var o = 0u; o < dl.y; o++) {
                    g += dz[zo + o] * params[dl.z + o * dl.x + k];
                }
                if l > 1u {
                    dz[ai + k] = unit_grad(g, x_out[ai + k]);
                } else {
                    scatter_input(s, k, g);
                }
            }
        }
    }
    add_workgroup_loss(lid, loss);
}

// One thread per tower parameter: its batch sum, added to the gradient it owns.
@compute @workgroup_size(WG)
fn tower_weight_grads(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = flat_index(wid, nwg, lid);
    if k >= layers.len {
        return;
    }
    var l = 1u;
    var local = k;
    var d = layers.dims[0];
    loop {
        d = layers.dims[l - 1u];
        let size = d.x * d.y + d.y;
        if local < size || l == layers.count {
            break;
        }
        local -= size;
        l++;
    }
    let zb = layers.blocks[l].x;
    let ab = layers.blocks[l - 1u].x;
    var acc = 0.0;
    if local < d.x * d.y {
        let o = local / d.x;
        let c = local % d.x;
        for (var t = 0u; t < st.batch_len; t++) {
            acc += dz[zb + t * d.y + o] * x_out[ab + t * d.x + c];
        }
    } else {
        let o = local - d.x * d.y;
        for (var t = 0u; t < st.batch_len; t++) {
            acc += dz[zb + t * d.y + o];
        }
    }
    let p = layers.first + k;
    store_grads(p, load_grads(p) + acc);
}
