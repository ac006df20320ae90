// Negative sampling and the epoch shuffle (NCF §4.1), the GPU twin of ncf-core/src/sampling.rs.
// Position t of the epoch holds sample perm(t) (positions base..base + count per dispatch); sample s is positive j = s / per, slot
// k = s % per (0 = the positive, 1.. = its negatives).

struct Epoch {
    n_samples: u32,
    per: u32,
    num_items: u32,
    seed: u32,
    epoch: u32,
    half_bits: u32,
    // 1 for rating regression: labels are the positives' ratings.
    rated: u32,
    // 1: negatives uniform over every item, the user's positives included (Rendle et al.
    // 2020); the draw is the rejection loop's first candidate, as on the CPU.
    uniform: u32,
    keys: vec4<u32>,
    // The window of training positions drawn (an epoch too large for one storage
    // binding is drawn and trained window by window); the outputs are indexed within it.
    base: u32,
    count: u32,
    _p0: u32,
    _p1: u32,
}

const DOMAIN_NEGATIVE: u32 = 0x6e656731u;
const MAX_REJECTIONS: u32 = 32u;

@group(0) @binding(0) var<uniform> ep: Epoch;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> cols: array<u32>;
@group(0) @binding(3) var<storage, read> pos_users: array<u32>;
@group(0) @binding(4) var<storage, read_write> out_users: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_items: array<u32>;
@group(0) @binding(6) var<storage, read_write> out_labels: array<f32>;
@group(0) @binding(7) var<storage, read> pos_ratings: array<f32>;

fn feistel(x: u32) -> u32 {
    let hb = ep.half_bits;
    var mask = 0xffffffffu;
    if hb < 32u {
        mask = (1u << hb) - 1u;
    }
    var l = (x >> hb) & mask;
    var r = x & mask;
    for (var k = 0u; k < 4u; k++) {
        let f = mix(r ^ ep.keys[k]) & mask;
        let nl = r;
        r = l ^ f;
        l = nl;
    }
    return (l << hb) | r;
}

// Cycle-walking keeps the bijection inside [0, n) (Black & Rogaway 2002).
fn permute(t: u32) -> u32 {
    if ep.n_samples <= 1u {
        return t;
    }
    var x = feistel(t);
    while x >= ep.n_samples {
        x = feistel(x);
    }
    return x;
}

// Unbiased draw in [0, n): rejects values below 2^32 mod n; bounded like the CPU twin.
fn uniform_below(n: u32, j: u32, counter: ptr<function, u32>) -> u32 {
    let threshold = (0u - n) % n;
    loop {
        let r = hash5(ep.seed, DOMAIN_NEGATIVE, ep.epoch, j, *counter);
        *counter += 1u;
        if r >= threshold || (*counter & 0xffffu) == 0xffffu {
            return r % n;
        }
    }
    return 0u;
}

fn row_contains(start: u32, end: u32, item: u32) -> bool {
    var lo = start;
    var hi = end;
    while lo < hi {
        let mid = (lo + hi) / 2u;
        if cols[mid] < item {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return lo < end && cols[lo] == item;
}

// r-th item absent from the sorted row: r + #{j : row[j] - j <= r}.
fn nth_absent(start: u32, end: u32, r: u32) -> u32 {
    var lo = 0u;
    var hi = end - start;
    while lo < hi {
        let mid = (lo + hi) / 2u;
        if cols[start + mid] - mid <= r {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return r + lo;
}

fn negative_item(u: u32, j: u32, k: u32) -> u32 {
    let start = row_ptr[u];
    let end = row_ptr[u + 1u];
    var counter = k << 16u;
    if ep.uniform == 1u {
        return uniform_below(ep.num_items, j, &counter);
    }
    for (var a = 0u; a < MAX_REJECTIONS; a++) {
        let c = uniform_below(ep.num_items, j, &counter);
        if !row_contains(start, end, c) {
            return c;
        }
    }
    let r = uniform_below(ep.num_items - (end - start), j, &counter);
    return nth_absent(start, end, r);
}

@compute @workgroup_size(WG)
fn sample_epoch(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let o = flat_index(wid, nwg, lid);
    if o >= ep.count {
        return;
    }
    let s = permute(ep.base + o);
    let j = s / ep.per;
    let k = s % ep.per;
    let u = pos_users[j];
    out_users[o] = u;
    if k == 0u {
        out_items[o] = cols[j];
        // Rating regression (ep.rated) samples the observed ratings, labelled with them.
        out_labels[o] = select(1.0, pos_ratings[j], ep.rated == 1u);
    } else {
        out_items[o] = negative_item(u, j, k);
        out_labels[o] = 0.0;
    }
}
