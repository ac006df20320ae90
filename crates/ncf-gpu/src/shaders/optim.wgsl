// Dense optimizer updates with PyTorch semantics (torch.optim.Adam / SGD), one thread per
// parameter. Each kernel consumes the accumulated gradient and clears it for the next step,
// so no separate zeroing pass is needed.

@group(0) @binding(0) var<uniform> st: Step;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<AtomicCell>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// Kingma & Ba, Algorithm 1, in PyTorch's form, with L2 weight decay λ added to the gradient:
// g ← g + λp; m ← m + (1−β1)(g − m); v ← β2·v + (1−β2)·g²;
// p ← p − s·m / (√v/√(1−β2^t) + ε), s = lr/(1−β1^t).
@compute @workgroup_size(WG)
fn adam(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = flat_index(wid, nwg, lid);
    if k >= st.n_params {
        return;
    }
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
@compute @workgroup_size(WG)
fn sgd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = flat_index(wid, nwg, lid);
    if k >= st.n_params {
        return;
    }
    var g = load_grads(k) + st.weight_decay * params[k];
    if st.momentum != 0.0 {
        g = st.momentum * m[k] + g;
        m[k] = g;
    }
    params[k] = params[k] - st.step_size * g;
    store_grads(k, 0.0);
}
