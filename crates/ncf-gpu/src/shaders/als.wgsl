// iALS (Hu, Koren & Volinsky 2008; Rendle et al. 2022's regularisation), the twin of
// ncf-core's cpu/als.rs with conjugate-gradient solves:
// - `gramian`: G = YᵀY of the fixed side, one invocation per entry;
// - `solve_rows`: one workgroup per row of the side being solved, `cg_steps` conjugate-gradient
//   steps on (αG + YₒᵀYₒ + λI) w = Σ_{j∈obs} y_j from the current row, λ = reg·(|obs| + α·n).
//   YₒᵀYₒ is never formed: each product reads the observed rows in blocks of WG.

const MAXF: u32 = 256u;

struct Als {
    rows: u32,
    f: u32,
    target_off: u32,
    other_off: u32,
    other_rows: u32,
    cg_steps: u32,
    reg: f32,
    alpha: f32,
}

@group(0) @binding(0) var<uniform> als: Als;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(3) var<storage, read> cols: array<u32>;
@group(0) @binding(4) var<storage, read_write> gram: array<f32>;

@compute @workgroup_size(WG)
fn gramian(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let f = als.f;
    if t >= f * f {
        return;
    }
    let i = t / f;
    let j = t % f;
    var s = 0.0;
    for (var r = 0u; r < als.other_rows; r++) {
        let base = als.other_off + r * f;
        s += params[base + i] * params[base + j];
    }
    gram[t] = s;
}

var<workgroup> x: array<f32, MAXF>;
var<workgroup> res: array<f32, MAXF>;
var<workgroup> p: array<f32, MAXF>;
var<workgroup> ap: array<f32, MAXF>;
var<workgroup> red: array<f32, WG>;
var<workgroup> tj: array<f32, WG>;

// Σ over the workgroup of each invocation's `v`, the same value for all (uniform).
fn workgroup_sum(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w >>= 1u) {
        if lid < w {
            red[lid] += red[lid + w];
        }
        workgroupBarrier();
    }
    let s = workgroupUniformLoad(&red[0]);
    return s;
}

// ap = (αG + λI) p + Yₒᵀ(Yₒ p) for the observed columns cols[start..end].
fn apply_p(lid: u32, start: u32, end: u32, lambda: f32) {
    let f = als.f;
    for (var d = lid; d < f; d += WG) {
        var s = 0.0;
        for (var e = 0u; e < f; e++) {
            s += gram[d * f + e] * p[e];
        }
        ap[d] = als.alpha * s + lambda * p[d];
    }
    for (var k0 = start; k0 < end; k0 += WG) {
        let k = k0 + lid;
        var dot = 0.0;
        if k < end {
            let base = als.other_off + cols[k] * f;
            for (var e = 0u; e < f; e++) {
                dot += params[base + e] * p[e];
            }
        }
        tj[lid] = dot;
        workgroupBarrier();
        let n = min(WG, end - k0);
        for (var d = lid; d < f; d += WG) {
            var s = 0.0;
            for (var m = 0u; m < n; m++) {
                s += tj[m] * params[als.other_off + cols[k0 + m] * f + d];
            }
            ap[d] += s;
        }
        workgroupBarrier();
    }
    // Every read of p above is done before a caller writes p: with no observed column (a user
    // or an item without training interactions) the loop runs no barrier of its own.
    workgroupBarrier();
}

@compute @workgroup_size(WG)
fn solve_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    // One workgroup per row: the row index is the same for every invocation of it.
    let row = wid.y * nwg.x + wid.x;
    if row >= als.rows {
        return;
    }
    let f = als.f;
    let start = row_ptr[row];
    let end = row_ptr[row + 1u];
    let lambda = als.reg * (f32(end - start) + als.alpha * f32(als.other_rows));
    let own = als.target_off + row * f;
    // b = Σ y_j into res; x from the current row, copied into p for the first product.
    for (var d = lid; d < f; d += WG) {
        var b = 0.0;
        for (var k = start; k < end; k++) {
            b += params[als.other_off + cols[k] * f + d];
        }
        res[d] = b;
        x[d] = params[own + d];
        p[d] = x[d];
    }
    workgroupBarrier();
    apply_p(lid, start, end, lambda);
    var mine = 0.0;
    for (var d = lid; d < f; d += WG) {
        res[d] -= ap[d];
        p[d] = res[d];
        mine += res[d] * res[d];
    }
    var rs = workgroup_sum(lid, mine);
    for (var step = 0u; step < als.cg_steps; step++) {
        if rs <= 1e-20 {
            break;
        }
        apply_p(lid, start, end, lambda);
        mine = 0.0;
        for (var d = lid; d < f; d += WG) {
            mine += p[d] * ap[d];
        }
        let pap = workgroup_sum(lid, mine);
        if pap <= 0.0 {
            break;
        }
        let a = rs / pap;
        mine = 0.0;
        for (var d = lid; d < f; d += WG) {
            x[d] += a * p[d];
            res[d] -= a * ap[d];
            mine += res[d] * res[d];
        }
        let next = workgroup_sum(lid, mine);
        let beta = next / rs;
        for (var d = lid; d < f; d += WG) {
            p[d] = res[d] + beta * p[d];
        }
        rs = next;
        workgroupBarrier();
    }
    for (var d = lid; d < f; d += WG) {
        params[own + d] = x[d];
    }
}
