// Dense layers of the NCF MLP tower (He et al. §3.3), as one tiled matrix product with
// flags, so forward (X·Wᵀ + b, ReLU, inverted dropout) and both backward products (dZ·W and
// dZᵀ·X) are one kernel: C[m, n] (+)= Σ_k A[m, k] · B[k, n], every operand a strided view into a flat buffer
// (weights are slices of the parameter buffer in PyTorch's nn.Linear `out × in` layout).
// Each workgroup computes a TILE×TILE block of C from TILE×TILE tiles staged in workgroup
// memory; the sum over k runs tile by tile, so rounding differs from the CPU's plain loop.

struct Gemm {
    m: u32,
    n: u32,
    k: u32,
    flags: u32,
    a_off: u32,
    a_rs: u32,
    a_cs: u32,
    b_off: u32,
    b_rs: u32,
    b_cs: u32,
    c_off: u32,
    c_rs: u32,
    bias_off: u32,
    mask_off: u32,
    dropout_key: u32,
    dropout_p: f32,
    // Batch row of this product's row 0 (dropout masks are drawn per batch row, and a step's
    // micro-batches each start at their own).
    row0: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

const ADD_BIAS: u32 = 1u;      // C[m, n] += bias[n] before the activation
const RELU: u32 = 2u;          // C = max(C, 0)
const MASK_A: u32 = 4u;        // A[m, k] = 0 where mask[m, k] <= 0 (ReLU backward; mask = Y, same strides as A)
const ACCUMULATE: u32 = 8u;    // C += result instead of C = result
const B_ONES: u32 = 16u;       // B is all ones (column sums: the bias gradient)
const DROPOUT: u32 = 32u;      // inverted dropout after the activation, mask from hash(key, row, col)
const SCALE_A: u32 = 64u;      // unmasked A entries times 1/(1−p): dropout's backward (with MASK_A)
const DOMAIN_DROPOUT: u32 = 0x64726f70u;

@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_buf: array<f32>;
@group(0) @binding(4) var<storage, read> bias_buf: array<f32>;
@group(0) @binding(5) var<storage, read> mask_buf: array<f32>;

var<workgroup> tile_a: array<f32, TILE * TILE>;
var<workgroup> tile_b: array<f32, TILE * TILE>;

fn load_a(r: u32, k: u32) -> f32 {
    if r >= g.m || k >= g.k {
        return 0.0;
    }
    let idx = r * g.a_rs + k * g.a_cs;
    if (g.flags & MASK_A) != 0u && mask_buf[g.mask_off + idx] <= 0.0 {
        return 0.0;
    }
    if (g.flags & SCALE_A) != 0u {
        return a_buf[g.a_off + idx] * (1.0 / (1.0 - g.dropout_p));
    }
    return a_buf[g.a_off + idx];
}

fn load_b(k: u32, c: u32) -> f32 {
    if k >= g.k || c >= g.n {
        return 0.0;
    }
    if (g.flags & B_ONES) != 0u {
        return 1.0;
    }
    return b_buf[g.b_off + k * g.b_rs + c * g.b_cs];
}

@compute @workgroup_size(TILE, TILE)
fn gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = wid.y * TILE + lid.y;
    let col = wid.x * TILE + lid.x;
    var acc = 0.0;
    let tiles = (g.k + TILE - 1u) / TILE;
    for (var t = 0u; t < tiles; t++) {
        tile_a[lid.y * TILE + lid.x] = load_a(row, t * TILE + lid.x);
        tile_b[lid.y * TILE + lid.x] = load_b(t * TILE + lid.y, col);
        workgroupBarrier();
        for (var kk = 0u; kk < TILE; kk++) {
            acc += tile_a[lid.y * TILE + kk] * tile_b[kk * TILE + lid.x];
        }
        workgroupBarrier();
    }
    if row >= g.m || col >= g.n {
        return;
    }
    if (g.flags & ADD_BIAS) != 0u {
        acc += bias_buf[g.bias_off + col];
    }
    if (g.flags & RELU) != 0u {
        acc = max(acc, 0.0);
    }
    if (g.flags & DROPOUT) != 0u {
        if unit_f32(hash5(g.dropout_key, DOMAIN_DROPOUT, 0u, g.row0 + row, col)) >= g.dropout_p {
            acc = acc * (1.0 / (1.0 - g.dropout_p));
        } else {
            acc = 0.0;
        }
    }
    let ci = g.c_off + row * g.c_rs + col;
    if (g.flags & ACCUMULATE) != 0u {
        acc += c_buf[ci];
    }
    c_buf[ci] = acc;
}
