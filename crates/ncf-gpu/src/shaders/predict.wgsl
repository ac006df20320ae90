// GMF logits of arbitrary (user, item) pairs: evaluation candidates and `predict`.
// Ranking uses logits, not σ(z): σ saturates to 1.0 in f32 and would create false ties.

@group(0) @binding(0) var<uniform> st: Step;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> pair_users: array<u32>;
@group(0) @binding(3) var<storage, read> pair_items: array<u32>;
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(WG)
fn predict(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = flat_index(wid, nwg, lid);
    if t >= st.batch_len {
        return;
    }
    let f = st.factors;
    let uo = pair_users[t] * f;
    let io = st.item_offset + pair_items[t] * f;
    let ho = st.h_offset;
    var z = 0.0;
    for (var k = 0u; k < f; k++) {
        z += params[ho + k] * (params[uo + k] * params[io + k]);
    }
    scores[t] = z + params[ho + f];
}
