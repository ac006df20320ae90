// What the families that score pairs (factorization.wgsl, tower.wgsl) share: the GMF term
// with its gradients (written once, so GMF, MF and NeuMF's GMF branch cannot drift apart), the
// per-user and per-item bias terms (Koren et al. 2009, eq. 4) and the GMF-branch side features.
// Those families declare `st`, `params`, `bags` and the `grads` atomics read here; shaders.rs
// `scoring` appends this file to them. The CPU twins live in ncf-core.

// The GMF term of one pair (He et al. eq. 9–10, and the first half of NeuMF's eq. 11):
// z_GMF = Σ_k h_k · p̃_uk · q̃_ik, where p̃_u = p_u + the user's GMF-branch feature vector
// (gmf_feature, 0 without features) and q̃_i alike. `weighted` false drops h: MF's dot product
// p̃_u · q̃_i (Rendle et al. 2020). Rows are st.factors wide; h sits at st.head_offset.
fn gmf_term(u: u32, i: u32, weighted: bool) -> f32 {
    let f = st.factors;
    let uo = u * f;
    let io = st.item_offset + i * f;
    var z = 0.0;
    for (var k = 0u; k < f; k++) {
        let pq = (params[uo + k] + gmf_feature(0u, u, k)) * (params[io + k] + gmf_feature(1u, i, k));
        if weighted {
            z += params[st.head_offset + k] * pq;
        } else {
            z += pq;
        }
    }
    return z;
}

// The backward of gmf_term for dL/dz = d: ∂/∂h_k = d·p̃_k·q̃_k (when weighted), and
// ∂/∂p̃ = d·h·q̃ reaches p_u and, weighted, every bag row of the user (alike for q̃). The
// per-occurrence L2 term 2λ/B · p (Rendle et al.) is added to the same embedding-row update.
// Returns ‖p_u‖² + ‖q_i‖², the rows' share of the L2 loss.
fn add_gmf_term_grads(u: u32, i: u32, d: f32, weighted: bool) -> f32 {
    let f = st.factors;
    let uo = u * f;
    let io = st.item_offset + i * f;
    let ho = st.head_offset;
    let r = 2.0 * st.l2 * st.inv_batch;
    var norm = 0.0;
    for (var k = 0u; k < f; k++) {
        let p = params[uo + k];
        let q = params[io + k];
        let pt = p + gmf_feature(0u, u, k);
        let qt = q + gmf_feature(1u, i, k);
        var h = 1.0;
        if weighted {
            h = params[ho + k];
            add_grads(ho + k, d * pt * qt);
        }
        add_grads(uo + k, d * h * qt + r * p);
        add_grads(io + k, d * h * pt + r * q);
        add_gmf_feature_grads(0u, u, k, d * h * qt);
        add_gmf_feature_grads(1u, i, k, d * h * pt);
        norm += p * p + q * q;
    }
    return norm;
}

// b_u + b_i + b of one pair (just b without per-entity biases).
fn bias_terms(u: u32, i: u32) -> f32 {
    var z = params[st.n_params - 1u];
    if st.user_bias_offset != 0u {
        z += params[st.user_bias_offset + u] + params[st.item_bias_offset + i];
    }
    return z;
}

// Adds the gradients of the terms bias_terms(u, i) reads: d to b, and to b_u, b_i d plus the
// per-occurrence L2 term 2λ/B · b (as mf_simple.py regularises them); returns b_u² + b_i², their
// share of the L2 loss (scoring.rs bias_grads).
fn add_bias_grads(u: u32, i: u32, d: f32) -> f32 {
    var norm = 0.0;
    if st.user_bias_offset != 0u {
        let r = 2.0 * st.l2 * st.inv_batch;
        let bu = params[st.user_bias_offset + u];
        let bi = params[st.item_bias_offset + i];
        add_grads(st.user_bias_offset + u, d + r * bu);
        add_grads(st.item_bias_offset + i, d + r * bi);
        norm = bu * bu + bi * bi;
    }
    add_grads(st.n_params - 1u, d);
    return norm;
}

// Words per side in the header of the bags buffer (records.rs BAG_HEADER).
const BAG_HEADER: u32 = 5u;

// Where the GMF-branch bags of one entity on `side` (0 users, 1 items) sit in `bags`: the slot
// count (0 when that side has no GMF-branch features, so both loops below are empty), the
// slots' table offsets, the entity's row pointers and the entries (row, weight bits).
struct GmfBags {
    slots: u32,
    tables: u32,
    ptr: u32,
    entries: u32,
}

fn gmf_bags(side: u32, entity: u32) -> GmfBags {
    let h = side * BAG_HEADER;
    let tables = bags[h + 4u];
    if tables == 0u {
        return GmfBags(0u, 0u, 0u, 0u);
    }
    let n = bags[h];
    return GmfBags(n, tables, bags[h + 2u] + entity * n, bags[h + 3u]);
}

// Element k of the GMF-branch feature vector of an entity on `side` (0 users, 1 items):
// Σ_slots Σ_(row, w) w · G[row][k] over its bags, G the slot's block of the stacked table with
// rows `factors` wide (SVDFeature's p_u + Σ v_s). 0 when that side has no GMF-branch features.
fn gmf_feature(side: u32, entity: u32, k: u32) -> f32 {
    let b = gmf_bags(side, entity);
    var acc = 0.0;
    for (var j = 0u; j < b.slots; j++) {
        let t = bags[b.tables + j] + k;
        for (var e = bags[b.ptr + j]; e < bags[b.ptr + j + 1u]; e++) {
            acc += bitcast<f32>(bags[b.entries + 2u * e + 1u]) * params[t + bags[b.entries + 2u * e] * st.factors];
        }
    }
    return acc;
}

// The transpose of gmf_feature: adds w · g to element k of every bag row of the entity.
fn add_gmf_feature_grads(side: u32, entity: u32, k: u32, g: f32) {
    let b = gmf_bags(side, entity);
    for (var j = 0u; j < b.slots; j++) {
        let t = bags[b.tables + j] + k;
        for (var e = bags[b.ptr + j]; e < bags[b.ptr + j + 1u]; e++) {
            add_grads(t + bags[b.entries + 2u * e] * st.factors, bitcast<f32>(bags[b.entries + 2u * e + 1u]) * g);
        }
    }
}
