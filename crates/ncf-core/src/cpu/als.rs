//! Implicit alternating least squares (iALS: Hu, Koren & Volinsky, ICDM 2008), regularised as
//! in Rendle et al., "Revisiting the Performance of iALS on Item Recommendation Benchmarks"
//! (RecSys 2022), eq. 3 with ν = 1:
//!
//!   L(W, H) = Σ_{(u,i)∈S} (⟨w_u, h_i⟩ − 1)² + α Σ_u Σ_i ⟨w_u, h_i⟩²
//!           + reg · ( Σ_u (|I_u| + α|I|) ‖w_u‖² + Σ_i (|U_i| + α|U|) ‖h_i‖² ).
//!
//! With H fixed, each user's row has the closed form (their eq. 5)
//!
//!   (α G_H + Σ_{i∈I_u} h_i h_iᵀ + λ_u I) w_u = Σ_{i∈I_u} h_i,   G_H = HᵀH,  λ_u = reg (|I_u| + α|I|),
//!
//! and the item side is the same with the roles swapped. A row is solved exactly (Cholesky,
//! `cg_steps` 0) or by `cg_steps` conjugate-gradient steps warm-started from the current row,
//! as `implicit` does (Takács et al. 2011); the GPU backend runs the latter.

use rayon::prelude::*;

use crate::data::Csr;
use crate::infer::Side;
use crate::model::Params;
pub use crate::train::AlsSpec;

/// G = XᵀX of `rows` rows of width `f` (row-major), in f32 as the solves read it.
pub fn gramian(x: &[f32], rows: usize, f: usize) -> Vec<f32> {
    let mut g = vec![0f32; f * f];
    if rows == 0 {
        return g;
    }
    // SAFETY: the slices hold rows·f and f·f floats, with the strides given.
    unsafe {
        matrixmultiply::sgemm(
            f,
            rows,
            f,
            1.0,
            x.as_ptr(),
            1,
            f as isize,
            x.as_ptr(),
            f as isize,
            1,
            0.0,
            g.as_mut_ptr(),
            f as isize,
            1,
        );
    }
    g
}

/// Per-thread buffers of one row's solve.
struct Scratch {
    gathered: Vec<f32>,
    outer: Vec<f32>,
    a: Vec<f64>,
    b: Vec<f64>,
    v: Vec<f32>,
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
    t: Vec<f32>,
}

impl Scratch {
    fn new(f: usize) -> Self {
        Scratch {
            gathered: Vec::new(),
            outer: vec![0.0; f * f],
            a: vec![0.0; f * f],
            b: vec![0.0; f],
            v: vec![0.0; f],
            r: vec![0.0; f],
            p: vec![0.0; f],
            ap: vec![0.0; f],
            t: Vec::new(),
        }
    }
}

/// Solves every row of `target` (rows × f) against the fixed `other` (its Gramian `gram`),
/// each row's observed columns being `rows.row(r)`. Returns false when `cancelled` stopped it
/// (rows solved so far stay solved: the caller undoes the sweep).
#[allow(clippy::too_many_arguments)]
pub fn solve_side(
    target: &mut [f32],
    other: &[f32],
    rows: &Csr,
    gram: &[f32],
    f: usize,
    other_count: usize,
    spec: AlsSpec,
    cancelled: &(dyn Fn() -> bool + Sync),
    solved: &(dyn Fn(u64) + Sync),
) -> bool {
    const CHUNK: usize = 64;
    let stopped = std::sync::atomic::AtomicBool::new(false);
    target.par_chunks_mut(CHUNK * f).enumerate().for_each_init(
        || Scratch::new(f),
        |s, (c, block)| {
            if stopped.load(std::sync::atomic::Ordering::Relaxed) || cancelled() {
                stopped.store(true, std::sync::atomic::Ordering::Relaxed);
                return;
            }
            for (k, row) in block.chunks_mut(f).enumerate() {
                let r = (c * CHUNK + k) as u32;
                let obs = rows.row(r);
                let lambda = spec.reg * (obs.len() as f32 + spec.alpha * other_count as f32);
                if spec.cg_steps == 0 {
                    solve_exact(row, other, obs, gram, f, spec.alpha, lambda, s);
                } else {
                    solve_cg(row, other, obs, gram, f, spec.alpha, lambda, spec.cg_steps, s);
                }
            }
            solved((block.len() / f) as u64);
        },
    );
    !stopped.into_inner()
}

/// Fold-in: solves each `(row, observed columns)` of `side` exactly (Cholesky) against the
/// first `other_count` rows of the other side of an ALS model's `params`, in place.
pub fn solve_rows_exact(params: &mut Params, side: Side, rows: &[(u32, Vec<u32>)], other_count: u32, spec: AlsSpec) {
    if rows.is_empty() {
        return;
    }
    let l = params.layout;
    let f = l.factors as usize;
    let (pw, qh) = params.data.split_at_mut(l.item_offset());
    let (target, other) = match side {
        Side::Users => (pw, &qh[..other_count as usize * f]),
        Side::Items => (&mut qh[..l.num_items as usize * f], &pw[..other_count as usize * f]),
    };
    let gram = gramian(other, other_count as usize, f);
    let local: Vec<u32> = rows.iter().enumerate().flat_map(|(k, r)| std::iter::repeat_n(k as u32, r.1.len())).collect();
    let cols: Vec<u32> = rows.iter().flat_map(|r| r.1.iter().copied()).collect();
    let (csr, _, _) = Csr::from_pairs(rows.len() as u32, &local, &cols, None);
    let mut solved = vec![0f32; rows.len() * f];
    let exact = AlsSpec { cg_steps: 0, ..spec };
    solve_side(&mut solved, other, &csr, &gram, f, other_count as usize, exact, &|| false, &|_| {});
    for (k, &(r, _)) in rows.iter().enumerate() {
        target[r as usize * f..][..f].copy_from_slice(&solved[k * f..][..f]);
    }
}

/// Copies the observed rows of `other` into `s.gathered` (n × f).
fn gather(other: &[f32], obs: &[u32], f: usize, s: &mut Scratch) {
    s.gathered.clear();
    for &j in obs {
        s.gathered.extend_from_slice(&other[j as usize * f..(j as usize + 1) * f]);
    }
}

/// The exact solve: A = αG + YₒᵀYₒ + λI (YₒᵀYₒ by one sgemm), b = Σ yⱼ, then Cholesky in f64.
#[allow(clippy::too_many_arguments)]
fn solve_exact(
    row: &mut [f32],
    other: &[f32],
    obs: &[u32],
    gram: &[f32],
    f: usize,
    alpha: f32,
    lambda: f32,
    s: &mut Scratch,
) {
    gather(other, obs, f, s);
    let n = obs.len();
    s.outer.iter_mut().for_each(|x| *x = 0.0);
    if n > 0 {
        // SAFETY: gathered is n × f, outer f × f.
        unsafe {
            matrixmultiply::sgemm(
                f,
                n,
                f,
                1.0,
                s.gathered.as_ptr(),
                1,
                f as isize,
                s.gathered.as_ptr(),
                f as isize,
                1,
                0.0,
                s.outer.as_mut_ptr(),
                f as isize,
                1,
            );
        }
    }
    for ((a, &g), &o) in s.a.iter_mut().zip(gram).zip(&s.outer) {
        *a = alpha as f64 * g as f64 + o as f64;
    }
    for i in 0..f {
        s.a[i * f + i] += lambda as f64;
        s.b[i] = 0.0;
    }
    for y in s.gathered.chunks(f) {
        for (b, &v) in s.b.iter_mut().zip(y) {
            *b += v as f64;
        }
    }
    cholesky_solve(&mut s.a, &mut s.b, f);
    for (w, &x) in row.iter_mut().zip(&s.b) {
        *w = x as f32;
    }
}

/// Solves A x = b for a symmetric positive definite A (row-major, overwritten by its Cholesky
/// factor L in the lower triangle); x replaces b.
pub fn cholesky_solve(a: &mut [f64], b: &mut [f64], f: usize) {
    for j in 0..f {
        let mut d = a[j * f + j];
        for k in 0..j {
            d -= a[j * f + k] * a[j * f + k];
        }
        // λ > 0 keeps A positive definite; the floor only guards rounding at tiny λ.
        let d = d.max(1e-30).sqrt();
        a[j * f + j] = d;
        for i in j + 1..f {
            let mut v = a[i * f + j];
            for k in 0..j {
                v -= a[i * f + k] * a[j * f + k];
            }
            a[i * f + j] = v / d;
        }
    }
    // L y = b, then Lᵀ x = y.
    for i in 0..f {
        let mut v = b[i];
        for k in 0..i {
            v -= a[i * f + k] * b[k];
        }
        b[i] = v / a[i * f + i];
    }
    for i in (0..f).rev() {
        let mut v = b[i];
        for k in i + 1..f {
            v -= a[k * f + i] * b[k];
        }
        b[i] = v / a[i * f + i];
    }
}

/// out = (αG + λI) v + Yₒᵀ(Yₒ v), never forming YₒᵀYₒ.
#[allow(clippy::too_many_arguments)]
fn apply(
    out: &mut [f32],
    v: &[f32],
    gram: &[f32],
    f: usize,
    alpha: f32,
    lambda: f32,
    gathered: &[f32],
    t: &mut Vec<f32>,
) {
    for i in 0..f {
        let g = &gram[i * f..(i + 1) * f];
        out[i] = alpha * g.iter().zip(v).map(|(a, b)| a * b).sum::<f32>() + lambda * v[i];
    }
    t.clear();
    t.extend(gathered.chunks(f).map(|y| y.iter().zip(v).map(|(a, b)| a * b).sum::<f32>()));
    for (y, &ty) in gathered.chunks(f).zip(t.iter()) {
        for (o, &yv) in out.iter_mut().zip(y) {
            *o += ty * yv;
        }
    }
}

/// `steps` conjugate-gradient steps on the same system, from the current row.
#[allow(clippy::too_many_arguments)]
fn solve_cg(
    row: &mut [f32],
    other: &[f32],
    obs: &[u32],
    gram: &[f32],
    f: usize,
    alpha: f32,
    lambda: f32,
    steps: u32,
    s: &mut Scratch,
) {
    gather(other, obs, f, s);
    let Scratch { gathered, r, p, ap, t, v, .. } = s;
    // r = b − A x
    apply(ap, row, gram, f, alpha, lambda, gathered, t);
    r.iter_mut().for_each(|x| *x = 0.0);
    for y in gathered.chunks(f) {
        for (ri, &yv) in r.iter_mut().zip(y) {
            *ri += yv;
        }
    }
    for (ri, &a) in r.iter_mut().zip(ap.iter()) {
        *ri -= a;
    }
    p.copy_from_slice(r);
    let mut rs: f32 = r.iter().map(|x| x * x).sum();
    for _ in 0..steps {
        if rs <= 1e-20 {
            break;
        }
        v.copy_from_slice(p);
        apply(ap, v, gram, f, alpha, lambda, gathered, t);
        let pap: f32 = p.iter().zip(ap.iter()).map(|(a, b)| a * b).sum();
        if pap <= 0.0 {
            break;
        }
        let a = rs / pap;
        for i in 0..f {
            row[i] += a * p[i];
            r[i] -= a * ap[i];
        }
        let next: f32 = r.iter().map(|x| x * x).sum();
        let beta = next / rs;
        for i in 0..f {
            p[i] = r[i] + beta * p[i];
        }
        rs = next;
    }
}

/// The objective L above over `nnz` observed pairs, divided by `nnz` (the epoch's loss).
#[allow(clippy::too_many_arguments)]
pub fn objective(w: &[f32], h: &[f32], by_user: &Csr, by_item: &Csr, f: usize, spec: AlsSpec) -> f64 {
    let (nu, ni) = (by_user.num_users() as usize, by_item.num_users() as usize);
    let observed: f64 = (0..nu)
        .into_par_iter()
        .map(|u| {
            let wu = &w[u * f..(u + 1) * f];
            by_user
                .row(u as u32)
                .iter()
                .map(|&i| {
                    let z: f32 = wu.iter().zip(&h[i as usize * f..(i as usize + 1) * f]).map(|(a, b)| a * b).sum();
                    (z as f64 - 1.0).powi(2)
                })
                .sum::<f64>()
        })
        .sum();
    // Σ_u Σ_i ⟨w_u, h_i⟩² = tr(G_W G_H).
    let (gw, gh) = (gramian(w, nu, f), gramian(h, ni, f));
    let all: f64 = (0..f).map(|i| (0..f).map(|j| gw[i * f + j] as f64 * gh[j * f + i] as f64).sum::<f64>()).sum();
    let norms = |x: &[f32], rows: &Csr, other: usize| -> f64 {
        (0..rows.num_users() as usize)
            .map(|r| {
                let n2: f64 = x[r * f..(r + 1) * f].iter().map(|&v| v as f64 * v as f64).sum();
                (rows.row(r as u32).len() as f64 + spec.alpha as f64 * other as f64) * n2
            })
            .sum()
    };
    let reg = spec.reg as f64 * (norms(w, by_user, ni) + norms(h, by_item, nu));
    (observed + spec.alpha as f64 * all + reg) / by_user.nnz().max(1) as f64
}

#[cfg(test)]
#[path = "als_tests.rs"]
mod tests;
