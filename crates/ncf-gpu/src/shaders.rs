//! The one place WGSL enters the crate. Each op family lives in its own `.wgsl` file; a module
//! is composed as `const WG` + `common.wgsl` + the atomic helpers it needs + the family.

pub const COMMON: &str = include_str!("shaders/common.wgsl");
pub const SAMPLING: &str = include_str!("shaders/sampling.wgsl");
pub const FACTORIZATION: &str = include_str!("shaders/factorization.wgsl");
pub const OPTIM: &str = include_str!("shaders/optim.wgsl");
pub const METRICS: &str = include_str!("shaders/metrics.wgsl");
pub const DENSE: &str = include_str!("shaders/dense.wgsl");
pub const TOWER: &str = include_str!("shaders/tower.wgsl");
pub const SIMILARITY: &str = include_str!("shaders/similarity.wgsl");
pub const SCORING: &str = include_str!("shaders/scoring.wgsl");
pub const FUSED: &str = include_str!("shaders/fused.wgsl");
pub const ALS: &str = include_str!("shaders/als.wgsl");

/// The fused tower (fused.wgsl) after the neural family whose bindings and helpers it uses.
pub fn fused_tower() -> String {
    scoring(&format!("{TOWER}\n{FUSED}"))
}

/// A pair-scoring family (factorization or neural) with the bias terms and GMF-branch features
/// it shares.
pub fn scoring(family: &str) -> String {
    format!("{family}\n{SCORING}")
}

/// How float atomics are done on this device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicMode {
    /// `atomic<f32>` with `atomicAdd` (wgpu feature SHADER_FLOAT32_ATOMIC).
    NativeF32,
    /// Compare-exchange loop on the bits of an `atomic<u32>`: portable to every adapter.
    CasU32,
}

/// `add_<buf>`, `load_<buf>`, `store_<buf>` for each named `array<AtomicCell>` buffer, and
/// with `step_loss`, `add_workgroup_loss` (the per-step loss reduction).
fn atomic_helpers(mode: AtomicMode, buffers: &[&str]) -> String {
    let mut s = String::new();
    match mode {
        AtomicMode::NativeF32 => {
            s.push_str("alias AtomicCell = atomic<f32>;\n");
            for b in buffers {
                s.push_str(&format!(
                    "fn add_{b}(i: u32, x: f32) {{ atomicAdd(&{b}[i], x); }}\n\
                     fn load_{b}(i: u32) -> f32 {{ return atomicLoad(&{b}[i]); }}\n\
                     fn store_{b}(i: u32, x: f32) {{ atomicStore(&{b}[i], x); }}\n"
                ));
            }
        }
        AtomicMode::CasU32 => {
            s.push_str("alias AtomicCell = atomic<u32>;\n");
            for b in buffers {
                s.push_str(&format!(
                    "fn add_{b}(i: u32, x: f32) {{\n\
                       var old = atomicLoad(&{b}[i]);\n\
                       loop {{\n\
                         let r = atomicCompareExchangeWeak(&{b}[i], old, bitcast<u32>(bitcast<f32>(old) + x));\n\
                         if r.exchanged {{ break; }}\n\
                         old = r.old_value;\n\
                       }}\n\
                     }}\n\
                     fn load_{b}(i: u32) -> f32 {{ return bitcast<f32>(atomicLoad(&{b}[i])); }}\n\
                     fn store_{b}(i: u32, x: f32) {{ atomicStore(&{b}[i], bitcast<u32>(x)); }}\n"
                ));
            }
        }
    }
    if buffers.contains(&"step_loss") {
        // Every thread of a workgroup calls this with its sample's loss (0 when it has none);
        // the sum is reduced in workgroup memory and added once to the step's slot.
        s.push_str(
            "var<workgroup> partial: array<f32, WG>;\n\
             fn add_workgroup_loss(lid: u32, loss: f32) {\n\
               partial[lid] = loss;\n\
               workgroupBarrier();\n\
               for (var w = WG / 2u; w > 0u; w >>= 1u) {\n\
                 if lid < w { partial[lid] += partial[lid + w]; }\n\
                 workgroupBarrier();\n\
               }\n\
               if lid == 0u { add_step_loss(st.step_slot, partial[0]); }\n\
             }\n",
        );
    }
    s
}

/// Full source of a module: workgroup size, shared code, atomic helpers, the family.
/// `TILE` (the side of a square workgroup in `dense.wgsl`) is chosen so `TILE²` fits `wg`;
/// `model` is the `MODEL` constant of `factorization.wgsl` (0 GMF, 1 MF).
pub fn compose(family: &str, wg: u32, model: u32, atomics: Option<(AtomicMode, &[&str])>) -> String {
    let mut s = format!("const WG: u32 = {wg}u;\nconst TILE: u32 = {}u;\nconst MODEL: u32 = {model}u;\n", tile_for(wg));
    s.push_str(COMMON);
    if let Some((mode, buffers)) = atomics {
        s.push_str(&atomic_helpers(mode, buffers));
    }
    s.push_str(family);
    s
}

/// Workgroup size of the fused tower (fused.wgsl), whose threads each carry a whole sample:
/// small, so that a batch of a few hundred samples spreads over many workgroups (lavapipe runs
/// each workgroup on one CPU thread; a GPU spreads them over its compute units), and never
/// above the device's size `wg`.
pub fn fused_workgroup(wg: u32) -> u32 {
    wg.min(64)
}

/// Side of the square `gemm` workgroup: 16 (256 invocations) where allowed, else smaller.
pub fn tile_for(wg: u32) -> u32 {
    let mut t = 16;
    while t * t > wg && t > 1 {
        t /= 2;
    }
    t
}
