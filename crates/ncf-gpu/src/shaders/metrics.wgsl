// Leave-one-out ranking (He et al. §4.1): per test case, the rank of the positive (slot 0)
// counts the negatives scoring at least as high (ties count against the positive); a NaN
// positive ranks last and a NaN negative counts as higher. HR@K = [rank < K],
// NDCG@K = 1/log2(rank+2).

struct Eval {
    n_cases: u32,
    per_case: u32,
    k: u32,
    // Rating regression: r̂ = z + mean, clamped to [lo, hi] when clip is 1.
    clip: u32,
    mean: f32,
    lo: f32,
    hi: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> ev: Eval;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> hits: array<f32>;
@group(0) @binding(3) var<storage, read_write> ndcgs: array<f32>;
@group(0) @binding(4) var<storage, read> case_ratings: array<f32>;

@compute @workgroup_size(WG)
fn rank_cases(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = flat_index(wid, nwg, lid);
    if c >= ev.n_cases {
        return;
    }
    let base = c * ev.per_case;
    let pos = scores[base];
    var rank = 0u;
    if is_nan(pos) {
        rank = ev.per_case - 1u;
    } else {
        for (var j = 1u; j < ev.per_case; j++) {
            let s = scores[base + j];
            if s >= pos || is_nan(s) {
                rank += 1u;
            }
        }
    }
    if rank < ev.k {
        hits[c] = 1.0;
        ndcgs[c] = 1.0 / log2(f32(rank + 2u));
    } else {
        hits[c] = 0.0;
        ndcgs[c] = 0.0;
    }
}

// Rating regression: per held-out rating (the positive of each case), the squared error into
// `hits` and the absolute error into `ndcgs`; the host sums them in f64 into RMSE, MAE and R²
// (ncf-core metrics.rs `RatingMetrics`).
@compute @workgroup_size(WG)
fn rating_errors(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = flat_index(wid, nwg, lid);
    if c >= ev.n_cases {
        return;
    }
    var r = scores[c * ev.per_case] + ev.mean;
    // clamp() may turn NaN into a bound on some GPUs: keep it NaN, as the CPU does, so a
    // diverged model is an error rather than a plausible RMSE.
    if ev.clip == 1u && !is_nan(r) {
        r = clamp(r, ev.lo, ev.hi);
    }
    let e = r - case_ratings[c];
    hits[c] = e * e;
    ndcgs[c] = abs(e);
}
