// What the families that score pairs (factorization.wgsl, neural.wgsl) share: the per-user and
// per-item bias terms (Koren et al. 2009, eq. 4) and the GMF-branch side features. Those
// families declare `st`, `params`, `bags` and the `grads` atomics read here; shaders.rs
// `scoring` appends this file to them.

// b_u + b_i + b of one pair (just b without per-entity biases).
fn bias_terms(u: u32, i: u32) -> f32 {
    var z = params[st.n_params - 1u];
    if st.user_bias_offset != 0u {
        z += params[st.user_bias_offset + u] + params[st.item_bias_offset + i];
    }
    return z;
}

// Adds d to the gradients of the terms bias_terms(u, i) reads.
fn add_bias_grads(u: u32, i: u32, d: f32) {
    if st.user_bias_offset != 0u {
        add_grads(st.user_bias_offset + u, d);
        add_grads(st.item_bias_offset + i, d);
    }
    add_grads(st.n_params - 1u, d);
}

// Words per side in the header of the bags buffer (records.rs BAG_HEADER).
const BAG_HEADER: u32 = 5u;

// Element k of the GMF-branch feature vector of an entity on `side` (0 users, 1 items):
// Σ_slots Σ_(row, w) w · G[row][k] over its bags, G the slot's block of the stacked table with
// rows `factors` wide (SVDFeature's p_u + Σ v_s). 0 when that side has no GMF-branch features.
fn gmf_feature(side: u32, entity: u32, k: u32) -> f32 {
    let h = side * BAG_HEADER;
    let tables = bags[h + 4u];
    if tables == 0u {
        return 0.0;
    }
    let n = bags[h];
    let ptr = bags[h + 2u] + entity * n;
    let entries = bags[h + 3u];
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
        let t = bags[tables + j] + k;
        for (var e = bags[ptr + j]; e < bags[ptr + j + 1u]; e++) {
            acc += bitcast<f32>(bags[entries + 2u * e + 1u]) * params[t + bags[entries + 2u * e] * st.factors];
        }
    }
    return acc;
}

// The transpose of gmf_feature: adds w · g to element k of every bag row of the entity.
fn add_gmf_feature_grads(side: u32, entity: u32, k: u32, g: f32) {
    let h = side * BAG_HEADER;
    let tables = bags[h + 4u];
    if tables == 0u {
        return;
    }
    let n = bags[h];
    let ptr = bags[h + 2u] + entity * n;
    let entries = bags[h + 3u];
    for (var j = 0u; j < n; j++) {
        let t = bags[tables + j] + k;
        for (var e = bags[ptr + j]; e < bags[ptr + j + 1u]; e++) {
            add_grads(t + bags[entries + 2u * e] * st.factors, bitcast<f32>(bags[entries + 2u * e + 1u]) * g);
        }
    }
}
