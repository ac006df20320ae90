//! Fully connected layers of the NCF MLP tower (He et al. §3.3, eq. 10): `y = act(W x + b)`
//! with PyTorch's `nn.Linear` layout (`W` is `out × in`, row-major), ReLU, and optional
//! inverted dropout after the ReLU. This is the CPU oracle of `ncf-gpu`'s `dense.wgsl`; the MLP
//! and NeuMF models build on it.

use crate::train::Dropout;

/// `y[b, o] = drop(act(Σ_k x[b, k] · w[o, k] + bias[o]))` for a batch of `rows` inputs.
/// Dropout is only defined after a ReLU (the backward pass reads the mask from `y > 0`).
#[allow(clippy::too_many_arguments)]
pub fn dense_forward(
    x: &[f32],
    rows: usize,
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    outputs: usize,
    relu: bool,
    dropout: Option<Dropout>,
) -> Vec<f32> {
    assert!(relu || dropout.is_none(), "dropout follows a ReLU");
    assert_eq!(x.len(), rows * inputs);
    assert_eq!(w.len(), outputs * inputs);
    assert_eq!(bias.len(), outputs);
    let mut y = vec![0f32; rows * outputs];
    for r in 0..rows {
        let xr = &x[r * inputs..(r + 1) * inputs];
        for o in 0..outputs {
            let wo = &w[o * inputs..(o + 1) * inputs];
            let mut z = 0f32;
            for k in 0..inputs {
                z += xr[k] * wo[k];
            }
            z += bias[o];
            if relu {
                z = z.max(0.0);
            }
            if let Some(d) = dropout {
                z = if d.keeps(r, o) { z * d.scale() } else { 0.0 };
            }
            y[r * outputs + o] = z;
        }
    }
    y
}

/// Gradients of a dense layer given the upstream gradient `dy` and the layer's output `y`
/// (ReLU's derivative is `[y > 0]`, which equals `[z > 0]`; with dropout, `y > 0` also means
/// kept, and kept units carry the `1/(1−p)` scale). Returns `(dx, dw, dbias)`, with `dw` and
/// `dbias` summed over the batch.
#[allow(clippy::too_many_arguments)]
pub fn dense_backward(
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    rows: usize,
    w: &[f32],
    inputs: usize,
    outputs: usize,
    relu: bool,
    dropout: Option<Dropout>,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let scale = dropout.map_or(1.0, |d| d.scale());
    let dz: Vec<f32> = dy.iter().zip(y).map(|(&g, &v)| if relu && v <= 0.0 { 0.0 } else { g * scale }).collect();
    let mut dx = vec![0f32; rows * inputs];
    let mut dw = vec![0f32; outputs * inputs];
    let mut db = vec![0f32; outputs];
    for r in 0..rows {
        for o in 0..outputs {
            let g = dz[r * outputs + o];
            db[o] += g;
            for k in 0..inputs {
                dx[r * inputs + k] += g * w[o * inputs + k];
                dw[o * inputs + k] += g * x[r * inputs + k];
            }
        }
    }
    (dx, dw, db)
}

/// A strided matrix view: element `(r, c)` sits at `r * rs + c * cs`.
#[derive(Clone, Copy, Debug)]
pub struct Strides {
    pub rs: usize,
    pub cs: usize,
}

impl Strides {
    pub const fn row_major(cols: usize) -> Self {
        Strides { rs: cols, cs: 1 }
    }
    /// The transpose of a row-major `rows × cols` matrix.
    pub const fn transposed(cols: usize) -> Self {
        Strides { rs: 1, cs: cols }
    }
    /// One past the last element a `rows × cols` view touches; `None` on overflow or when a
    /// stride does not fit `isize` (so the bounds check below can never wrap).
    fn span(&self, rows: usize, cols: usize) -> Option<usize> {
        if self.rs > isize::MAX as usize || self.cs > isize::MAX as usize {
            return None;
        }
        if rows == 0 || cols == 0 {
            return Some(0);
        }
        (rows - 1).checked_mul(self.rs)?.checked_add((cols - 1).checked_mul(self.cs)?)?.checked_add(1)
    }
}

/// `C = beta·C + A·B` for an `m × k` A and a `k × n` B, any strides, through the
/// `matrixmultiply` crate's packed SIMD kernels (the CPU backend's hot loop). Bounds are checked
/// here, which is what makes the call into its raw-pointer API sound.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    sa: Strides,
    b: &[f32],
    sb: Strides,
    beta: f32,
    c: &mut [f32],
    sc: Strides,
) {
    let fits = |s: Strides, r: usize, c: usize, len: usize| s.span(r, c).is_some_and(|n| n <= len);
    assert!(fits(sa, m, k, a.len()) && fits(sb, k, n, b.len()) && fits(sc, m, n, c.len()), "sgemm view out of bounds");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: every element read or written lies within the slices (checked above without
    // overflow), C does not alias A or B (it is a distinct &mut), and the strides fit isize.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            sa.rs as isize,
            sa.cs as isize,
            b.as_ptr(),
            sb.rs as isize,
            sb.cs as isize,
            beta,
            c.as_mut_ptr(),
            sc.rs as isize,
            sc.cs as isize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(n: usize, phase: f32) -> Vec<f32> {
        (0..n).map(|k| ((k as f32 * 0.731 + phase).sin()) * 0.9).collect()
    }

    /// Central differences of L = Σ r ⊙ y against the analytic gradients, for every input,
    /// weight and bias, with and without ReLU. Values are kept away from the ReLU kink.
    #[test]
    fn gradients_match_finite_differences() {
        let (rows, inputs, outputs) = (3, 5, 4);
        for (relu, dropout) in [(false, None), (true, None), (true, Some(Dropout { key: 7, p: 0.3 }))] {
            let x = wave(rows * inputs, 0.3);
            let w = wave(outputs * inputs, 1.1);
            let bias = wave(outputs, 2.0);
            let r = wave(rows * outputs, 0.7);
            let loss = |x: &[f32], w: &[f32], b: &[f32]| -> f64 {
                dense_forward(x, rows, w, b, inputs, outputs, relu, dropout)
                    .iter()
                    .zip(&r)
                    .map(|(&y, &g)| (y * g) as f64)
                    .sum()
            };
            let y = dense_forward(&x, rows, &w, &bias, inputs, outputs, relu, dropout);
            let (dx, dw, db) = dense_backward(&x, &y, &r, rows, &w, inputs, outputs, relu, dropout);
            let eps = 1e-3f32;
            let check = |name: &str, analytic: &[f32], f: &dyn Fn(usize, f32) -> f64| {
                for (k, &a) in analytic.iter().enumerate() {
                    let fd = (f(k, eps) - f(k, -eps)) / (2.0 * eps as f64);
                    assert!((fd - a as f64).abs() <= 2e-3 + 1e-2 * fd.abs(), "relu={relu} {name}[{k}]: {a} vs {fd}");
                }
            };
            check("dx", &dx, &|k, e| {
                let mut v = x.clone();
                v[k] += e;
                loss(&v, &w, &bias)
            });
            check("dw", &dw, &|k, e| {
                let mut v = w.clone();
                v[k] += e;
                loss(&x, &v, &bias)
            });
            check("db", &db, &|k, e| {
                let mut v = bias.clone();
                v[k] += e;
                loss(&x, &w, &v)
            });
            if relu {
                assert!(y.contains(&0.0), "the case must exercise the ReLU mask");
            }
        }
    }

    /// The mask keeps a fraction 1−p of units, depends on the key, and scales kept units.
    /// The SIMD product agrees with the plain loop of `dense_forward` on a transposed view.
    #[test]
    fn sgemm_matches_the_plain_loop() {
        let (rows, inputs, outputs) = (37, 19, 11);
        let x = wave(rows * inputs, 0.1);
        let w = wave(outputs * inputs, 0.5);
        let bias = vec![0.0; outputs];
        let plain = dense_forward(&x, rows, &w, &bias, inputs, outputs, false, None);
        let mut c = vec![1.0; rows * outputs];
        sgemm(
            rows,
            inputs,
            outputs,
            &x,
            Strides::row_major(inputs),
            &w,
            Strides::transposed(inputs),
            0.0,
            &mut c,
            Strides::row_major(outputs),
        );
        for (a, b) in plain.iter().zip(&c) {
            assert!((a - b).abs() <= 1e-5 + 1e-5 * a.abs(), "{a} vs {b}");
        }
    }

    #[test]
    fn dropout_keeps_one_minus_p_and_scales() {
        let d = Dropout { key: 3, p: 0.3 };
        let kept = (0..200).flat_map(|r| (0..50).map(move |c| (r, c))).filter(|&(r, c)| d.keeps(r, c)).count();
        assert!((kept as f64 / 10_000.0 - 0.7).abs() < 0.02, "{kept}");
        let other = Dropout { key: 4, p: 0.3 };
        assert!((0..100).any(|c| d.keeps(0, c) != other.keeps(0, c)));
        let y = dense_forward(&[1.0], 1, &[2.0, 3.0, 4.0], &[0.0; 3], 1, 3, true, Some(Dropout { key: 1, p: 0.5 }));
        for (v, base) in y.iter().zip([2.0f32, 3.0, 4.0]) {
            assert!(*v == 0.0 || (*v - base * 2.0).abs() < 1e-6, "{y:?}");
        }
    }
}
