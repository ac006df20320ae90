//! The optimizer updates on the CPU, the twin of `ncf-gpu`'s `optim.wgsl`: Adam and SGD with
//! PyTorch semantics (`torch.optim.Adam`, `torch.optim.SGD`), applied densely to every
//! parameter each step, as PyTorch does for dense `nn.Embedding` gradients. The options
//! ([`Optimizer`]) and per-step scalars ([`StepScalars`]) are backend-neutral (`crate::train`).

use rayon::prelude::*;

use crate::train::{Optimizer, StepScalars};

/// One Adam step on a slice, then clears the gradient (the GPU kernel does the same so the
/// next step accumulates from zero). Mirrors `torch.optim.adam._single_tensor_adam`:
/// `g ← g + λp`, `m ← m + (1−β1)(g − m)`, `v ← β2 v + (1−β2) g²`, `p ← p − s · m / (√v / √bc2 + ε)`.
///
/// Runs the widest SIMD the CPU has (AVX-512, else AVX2, chosen at run time: the crate builds
/// for baseline x86-64). Each body has its own `#[target_feature]` wrappers on purpose: one
/// generic wrapper taking a closure measured 1.3–2× slower here (the body was not vectorised at
/// the wider width). The body is one loop the compiler vectorises lane-wise, without
/// contracting `a·b + c` into FMA (Rust never does), so every width gives the same bits as
/// the scalar loop.
#[inline]
pub fn adam_update(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], opt: Optimizer, s: StepScalars) {
    let Optimizer::Adam { beta1, beta2, eps, weight_decay } = opt else { unreachable!("adam_update with SGD") };
    let k = AdamConsts { beta1, beta2, eps, weight_decay, step_size: s.step_size, bc2_sqrt: s.bc2_sqrt };
    let n = p.len();
    let (g, m, v) = (&mut g[..n], &mut m[..n], &mut v[..n]);
    #[cfg(target_arch = "x86_64")]
    {
        if n >= 16 && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { adam_avx512(p, g, m, v, k) };
        }
        if n >= 8 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { adam_avx2(p, g, m, v, k) };
        }
    }
    adam_body(p, g, m, v, k)
}

#[derive(Clone, Copy)]
struct AdamConsts {
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    step_size: f32,
    bc2_sqrt: f32,
}

#[inline(always)]
fn adam_body(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], c: AdamConsts) {
    let n = p.len();
    let (g, m, v) = (&mut g[..n], &mut m[..n], &mut v[..n]);
    for k in 0..n {
        let gk = g[k] + c.weight_decay * p[k];
        let mk = m[k] + (1.0 - c.beta1) * (gk - m[k]);
        let vk = c.beta2 * v[k] + (1.0 - c.beta2) * gk * gk;
        let denom = vk.sqrt() / c.bc2_sqrt + c.eps;
        p[k] -= c.step_size * (mk / denom);
        m[k] = mk;
        v[k] = vk;
        g[k] = 0.0;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn adam_avx512(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], c: AdamConsts) {
    adam_body(p, g, m, v, c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn adam_avx2(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], c: AdamConsts) {
    adam_body(p, g, m, v, c)
}

/// SGD as `torch.optim.SGD` (dampening 0): `g ← g + λp`; with momentum μ > 0,
/// `b ← μb + g` (b starts at 0, so the first step sets b = g, as PyTorch does) and `g ← b`;
/// then `p ← p − lr·g`. Clears the gradient. Dispatched like [`adam_update`].
#[inline]
pub fn sgd_update(p: &mut [f32], g: &mut [f32], buf: &mut [f32], opt: Optimizer, s: StepScalars) {
    let Optimizer::Sgd { momentum, weight_decay } = opt else { unreachable!("sgd_update with Adam") };
    let c = SgdConsts { momentum, weight_decay, lr: s.step_size };
    let n = p.len();
    let (g, buf) = (&mut g[..n], &mut buf[..n]);
    #[cfg(target_arch = "x86_64")]
    {
        if n >= 16 && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { sgd_avx512(p, g, buf, c) };
        }
        if n >= 8 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { sgd_avx2(p, g, buf, c) };
        }
    }
    sgd_body(p, g, buf, c)
}

#[derive(Clone, Copy)]
struct SgdConsts {
    momentum: f32,
    weight_decay: f32,
    lr: f32,
}

#[inline(always)]
fn sgd_body(p: &mut [f32], g: &mut [f32], buf: &mut [f32], c: SgdConsts) {
    let n = p.len();
    let (g, buf) = (&mut g[..n], &mut buf[..n]);
    // The momentum test is hoisted out of the loop so both loops vectorise.
    if c.momentum != 0.0 {
        for k in 0..n {
            let b = c.momentum * buf[k] + (g[k] + c.weight_decay * p[k]);
            buf[k] = b;
            p[k] -= c.lr * b;
            g[k] = 0.0;
        }
    } else {
        for k in 0..n {
            p[k] -= c.lr * (g[k] + c.weight_decay * p[k]);
            g[k] = 0.0;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sgd_avx512(p: &mut [f32], g: &mut [f32], buf: &mut [f32], c: SgdConsts) {
    sgd_body(p, g, buf, c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sgd_avx2(p: &mut [f32], g: &mut [f32], buf: &mut [f32], c: SgdConsts) {
    sgd_body(p, g, buf, c)
}

/// One optimizer step (Adam or SGD, whose momentum buffer is `m`) on a slice.
#[inline]
pub fn update(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], opt: Optimizer, s: StepScalars) {
    match opt {
        Optimizer::Adam { .. } => adam_update(p, g, m, v, opt, s),
        Optimizer::Sgd { .. } => sgd_update(p, g, m, opt, s),
    }
}

/// Where a row-sparse step finds the gradient of its `k`-th row `rows[k]`.
pub enum GradAt<'a> {
    /// In the full-size gradient table, at the row's own place (`rows[k] · width`).
    Table(&'a mut [f32]),
    /// In a compact buffer of the batch's rows, at `k · stride + offset`: the row shards add a
    /// batch's gradients there, so that the table-sized gradient is never read or cleared.
    Compact { g: &'a mut [f32], stride: usize, offset: usize },
}

impl GradAt<'_> {
    #[inline(always)]
    fn row(&mut self, k: usize, r: u32, w: usize) -> &mut [f32] {
        match self {
            GradAt::Table(g) => &mut g[r as usize * w..][..w],
            GradAt::Compact { g, stride, offset } => &mut g[k * *stride + *offset..][..w],
        }
    }
}

/// Hints the CPU to bring `x` into cache (a no-op off x86-64).
#[inline(always)]
pub fn prefetch(x: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in x.chunks(16) {
        // SAFETY: prefetching is only a hint; the address is inside `x`, and it never faults.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// [`update`] on rows `rows` (each `width` wide) of one table, with their gradients where `g`
/// says (and cleared there): the row-sparse step's inner loop. The SIMD level is chosen once
/// per table rather than once per (short) row.
pub fn update_rows(
    (p, m, v): (&mut [f32], &mut [f32], &mut [f32]),
    g: GradAt<'_>,
    width: usize,
    rows: &[u32],
    opt: Optimizer,
    s: StepScalars,
) {
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn each(
        p: &mut [f32],
        mut g: GradAt<'_>,
        m: &mut [f32],
        v: &mut [f32],
        w: usize,
        rows: &[u32],
        opt: Optimizer,
        s: StepScalars,
    ) {
        for (k, &r) in rows.iter().enumerate() {
            // The rows are scattered over tables larger than the cache: ask for the next row
            // while this one steps, so that its misses overlap this row's arithmetic.
            if let Some(&next) = rows.get(k + 1) {
                let o = next as usize * w;
                [&p[o..o + w], &m[o..o + w], &v[o..o + w]].into_iter().for_each(prefetch);
            }
            let o = r as usize * w;
            let (p, g, m, v) = (&mut p[o..o + w], g.row(k, r, w), &mut m[o..o + w], &mut v[o..o + w]);
            match opt {
                Optimizer::Adam { beta1, beta2, eps, weight_decay } => {
                    let c =
                        AdamConsts { beta1, beta2, eps, weight_decay, step_size: s.step_size, bc2_sqrt: s.bc2_sqrt };
                    adam_body(p, g, m, v, c)
                }
                Optimizer::Sgd { momentum, weight_decay } => {
                    sgd_body(p, g, m, SgdConsts { momentum, weight_decay, lr: s.step_size })
                }
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn avx512(
            p: &mut [f32],
            g: GradAt<'_>,
            m: &mut [f32],
            v: &mut [f32],
            w: usize,
            rows: &[u32],
            opt: Optimizer,
            s: StepScalars,
        ) {
            each(p, g, m, v, w, rows, opt, s)
        }
        #[target_feature(enable = "avx2")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn avx2(
            p: &mut [f32],
            g: GradAt<'_>,
            m: &mut [f32],
            v: &mut [f32],
            w: usize,
            rows: &[u32],
            opt: Optimizer,
            s: StepScalars,
        ) {
            each(p, g, m, v, w, rows, opt, s)
        }
        if width >= 16 && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { avx512(p, g, m, v, width, rows, opt, s) };
        }
        if width >= 8 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { avx2(p, g, m, v, width, rows, opt, s) };
        }
    }
    each(p, g, m, v, width, rows, opt, s)
}

/// Elements per parallel task of [`update_dense`]: large enough that rayon's scheduling is
/// noise next to the work (~30 µs of Adam), small enough to split a GMF model across two cores.
const OPT_CHUNK: usize = 1 << 14;

/// [`update`] over whole vectors, in parallel chunks. The update is element-wise, so the
/// result does not depend on the split or the thread count.
pub fn update_dense(p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32], opt: Optimizer, s: StepScalars) {
    if p.len() <= OPT_CHUNK {
        return update(p, g, m, v, opt, s);
    }
    let chunk = p.len().div_ceil(rayon::current_num_threads() * 2).max(OPT_CHUNK);
    match opt {
        Optimizer::Adam { .. } => p
            .par_chunks_mut(chunk)
            .zip(g.par_chunks_mut(chunk))
            .zip(m.par_chunks_mut(chunk))
            .zip(v.par_chunks_mut(chunk))
            .for_each(|(((p, g), m), v)| adam_update(p, g, m, v, opt, s)),
        // SGD needs no second moment; `v` is not read.
        Optimizer::Sgd { .. } => p
            .par_chunks_mut(chunk)
            .zip(g.par_chunks_mut(chunk))
            .zip(m.par_chunks_mut(chunk))
            .for_each(|((p, g), b)| sgd_update(p, g, b, opt, s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of `torch.optim.Adam(lr=0.1)` on p=1.0 with gradients 0.5, then −0.25,
    /// worked by hand from the update rule above.
    #[test]
    fn adam_matches_hand_computed_pytorch_steps() {
        let opt = Optimizer::adam();
        let (mut p, mut m, mut v) = ([1.0f32], [0f32], [0f32]);
        let mut g = [0.5f32];
        adam_update(&mut p, &mut g, &mut m, &mut v, opt, StepScalars::new(opt, 0.1, 1));
        // Step 1: m̂ = g, v̂ = g² → p = 1 − 0.1·sign(g) (ε negligible).
        assert!((p[0] - 0.9).abs() < 1e-6, "{}", p[0]);
        assert_eq!(g[0], 0.0);
        let mut g = [-0.25f32];
        adam_update(&mut p, &mut g, &mut m, &mut v, opt, StepScalars::new(opt, 0.1, 2));
        // m = 0.9·0.05 − 0.025 = 0.02 → m̂ = 0.02/0.19; v = 0.999·0.00025 + 0.001·0.0625
        let m2 = 0.9f64 * 0.05 + 0.1 * -0.25;
        let v2 = 0.999f64 * 0.00025 + 0.001 * 0.0625;
        let expect = 0.9 - 0.1 * (m2 / 0.19) / ((v2 / (1.0 - 0.999f64.powi(2))).sqrt() + 1e-8);
        assert!((p[0] as f64 - expect).abs() < 1e-6, "{} vs {expect}", p[0]);
    }

    #[test]
    fn sgd_steps_against_the_gradient() {
        let (mut p, mut g, mut b) = ([1.0f32, -2.0], [0.5f32, -1.0], [0f32; 2]);
        let opt = Optimizer::sgd();
        sgd_update(&mut p, &mut g, &mut b, opt, StepScalars::new(opt, 0.1, 1));
        assert_eq!(p, [0.95, -1.9]);
        assert_eq!(g, [0.0, 0.0]);
        assert_eq!(b, [0.0, 0.0], "no momentum buffer without momentum");
    }

    /// `torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01)` on p=1 with gradients 0.5
    /// then 0.5, worked by hand.
    #[test]
    fn sgd_momentum_and_weight_decay_match_hand_computed_steps() {
        let opt = Optimizer::Sgd { momentum: 0.9, weight_decay: 0.01 };
        let (mut p, mut b) = ([1.0f32], [0f32]);
        let s = StepScalars::new(opt, 0.1, 1);
        sgd_update(&mut p, &mut [0.5], &mut b, opt, s);
        // g = 0.5 + 0.01 = 0.51; b = 0.51; p = 1 − 0.051 = 0.949
        assert!((b[0] - 0.51).abs() < 1e-7 && (p[0] - 0.949).abs() < 1e-7, "{b:?} {p:?}");
        sgd_update(&mut p, &mut [0.5], &mut b, opt, s);
        // g = 0.5 + 0.00949 = 0.50949; b = 0.9·0.51 + 0.50949 = 0.96849; p = 0.949 − 0.096849
        assert!((b[0] - 0.96849).abs() < 1e-6, "{b:?}");
        assert!((p[0] - 0.852151).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn adam_weight_decay_is_added_to_the_gradient() {
        let opt = Optimizer::adam_with_decay(0.5);
        let (mut p, mut m, mut v) = ([2.0f32], [0f32], [0f32]);
        // g = 0 + 0.5·2 = 1 → first step moves p by −lr·sign(g).
        adam_update(&mut p, &mut [0.0], &mut m, &mut v, opt, StepScalars::new(opt, 0.1, 1));
        assert!((p[0] - 1.9).abs() < 1e-6, "{}", p[0]);
        assert!((m[0] - 0.1).abs() < 1e-7);
    }
}
