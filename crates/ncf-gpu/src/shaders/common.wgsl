// Shared by every ncf-native kernel; prepended to each family's source by `shaders.rs`,
// after `const WG: u32` (the workgroup size the host chose from the adapter's limits).

// Per-step parameters. One 112-byte record per optimizer step, bound with a dynamic offset so
// that many steps are recorded in one compute pass without any host round trip.
struct Step {
    batch_start: u32,
    batch_len: u32,
    step_slot: u32,
    factors: u32,
    item_offset: u32,
    // h (GMF and the neural models); for MF, its user biases.
    head_offset: u32,
    n_params: u32,
    // Item biases b_i (when user_bias_offset != 0).
    item_bias_offset: u32,
    step_size: f32,
    bc2_sqrt: f32,
    inv_batch: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    momentum: f32,
    // λ of the per-occurrence L2 penalty on the embedding rows a sample uses.
    l2: f32,
    // 0: binary cross-entropy on σ(z); 1: squared error of z + target_offset (ratings).
    objective: u32,
    // μ, the training mean rating, added to z by the rating objective.
    target_offset: f32,
    // User biases b_u; 0 when the model has no per-user and per-item biases (offset 0 is
    // always the first user embedding, never a bias).
    user_bias_offset: u32,
    // Inverted dropout of this step (p = 0: none): the fused tower mixes each layer's key from
    // the seed and the 64-bit step as ncf-core dropout.rs `dropout_key` does.
    dropout_p: f32,
    dropout_seed: u32,
    step_lo: u32,
    step_hi: u32,
    // 1: row-sparse step (optim.wgsl `adam_sparse`): backward kernels claim each user and item
    // row for the first batch slot that uses it. row_base is the slot of this dispatch's
    // first sample in its batch (micro-batches of one step share the slots).
    sparse: u32,
    row_base: u32,
    // 1: Adam, 0: SGD (for kernels that serve both).
    adam: u32,
    _pad1: u32,
}

// Global invocation index of a 1-D problem dispatched as a 2-D grid (the host splits grids
// above max_compute_workgroups_per_dimension into rows).
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid;
}

// ---- Counter-based RNG: bit-identical to ncf-core/src/rng.rs -------------------------------

// lowbias32 (C. Wellons): a bijective u32 finaliser.
fn mix(x0: u32) -> u32 {
    var x = x0;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

fn hash5(seed: u32, domain: u32, epoch: u32, index: u32, counter: u32) -> u32 {
    return mix(mix(mix(mix(mix(seed ^ 0x9e3779b9u) ^ domain) ^ epoch) ^ index) ^ counter);
}

// A uniform value in [0, 1) from the top 24 bits of a hash (rng.rs `unit_f32`).
fn unit_f32(h: u32) -> f32 {
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        return 1.0 / (1.0 + exp(-z));
    }
    let e = exp(z);
    return e / (1.0 + e);
}

// Binary cross-entropy on a logit, stable for any z (same formula as gmf.rs).
fn bce_with_logits(z: f32, y: f32) -> f32 {
    return max(z, 0.0) - z * y + log(1.0 + exp(-abs(z)));
}

// (ℓ, ∂ℓ/∂z) of one sample: BCE on σ(z) (He et al. eq. 7), or for ratings the squared error
// (z + μ − y)² (the objective of ncf-core model.rs `Objective`).
fn objective_eval(z: f32, y: f32, objective: u32, target_offset: f32) -> vec2<f32> {
    if objective == 1u {
        let e = z + target_offset - y;
        return vec2<f32>(e * e, 2.0 * e);
    }
    return vec2<f32>(bce_with_logits(z, y), sigmoid(z) - y);
}

// NaN test on the bits: `x != x` may be folded away by fast-math shader compilers.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
