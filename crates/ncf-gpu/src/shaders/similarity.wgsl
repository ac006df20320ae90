// Cosine similarity of embedding rows, for similarItems / similarUsers. One invocation per
// (query, row) pair: per embedding part (GMF/MF factors, then MLP embeddings) it takes
// a·b / (|a| |b|), 0 for a zero vector, and averages the parts, so NeuMF's two branches
// weigh the same whatever their scales (the CPU oracle: ncf-core infer::similarity_scores).

struct Sim {
    rows: u32,
    queries: u32,
    parts: u32,
    _pad: u32,
    // Per part: offset of row 0 in the flat weights, and the row width.
    offset0: u32,
    width0: u32,
    offset1: u32,
    width1: u32,
}

@group(0) @binding(0) var<uniform> sim: Sim;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> query_rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> sim_scores: array<f32>;

fn part_cosine(offset: u32, width: u32, q: u32, r: u32) -> f32 {
    let a = offset + q * width;
    let b = offset + r * width;
    var dot = 0.0;
    var na = 0.0;
    var nb = 0.0;
    for (var j = 0u; j < width; j++) {
        let x = params[a + j];
        let y = params[b + j];
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    let d = sqrt(na) * sqrt(nb);
    return select(0.0, dot / d, d > 0.0);
}

@compute @workgroup_size(WG)
fn cosine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if t >= sim.rows * sim.queries {
        return;
    }
    let q = query_rows[t / sim.rows];
    let r = t % sim.rows;
    var s = part_cosine(sim.offset0, sim.width0, q, r);
    if sim.parts > 1u {
        s += part_cosine(sim.offset1, sim.width1, q, r);
    }
    sim_scores[t] = s / f32(sim.parts);
}
