//! Fully connected layers of the NCF MLP tower (He et al. §3.3, eq. 10): `y = act(W x + b)`
//! with PyTorch's `nn.Linear` layout (`W` is `out × in`, row-major) and ReLU. This is the CPU
//! oracle of `ncf-gpu`'s `dense.wgsl`; the MLP and NeuMF models build on it.

/// `y[b, o] = act(Σ_k x[b, k] · w[o, k] + bias[o])` for a batch of `rows` inputs.
pub fn dense_forward(
    x: &[f32],
    rows: usize,
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    outputs: usize,
    relu: bool,
) -> Vec<f32> {
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
            y[r * outputs + o] = if relu { z.max(0.0) } else { z };
        }
    }
    y
}

/// Gradients of a dense layer given the upstream gradient `dy` and the layer's output `y`
/// (ReLU's derivative is `[y > 0]`, which equals `[z > 0]`). Returns `(dx, dw, dbias)`, with
/// `dw` and `dbias` summed over the batch.
pub fn dense_backward(
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    rows: usize,
    w: &[f32],
    inputs: usize,
    outputs: usize,
    relu: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let dz: Vec<f32> = dy.iter().zip(y).map(|(&g, &v)| if relu && v <= 0.0 { 0.0 } else { g }).collect();
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
        for relu in [false, true] {
            let x = wave(rows * inputs, 0.3);
            let w = wave(outputs * inputs, 1.1);
            let bias = wave(outputs, 2.0);
            let r = wave(rows * outputs, 0.7);
            let loss = |x: &[f32], w: &[f32], b: &[f32]| -> f64 {
                dense_forward(x, rows, w, b, inputs, outputs, relu).iter().zip(&r).map(|(&y, &g)| (y * g) as f64).sum()
            };
            let y = dense_forward(&x, rows, &w, &bias, inputs, outputs, relu);
            let (dx, dw, db) = dense_backward(&x, &y, &r, rows, &w, inputs, outputs, relu);
            let eps = 1e-3f32;
            let check = |name: &str, analytic: &[f32], f: &dyn Fn(usize, f32) -> f64| {
                for k in 0..analytic.len() {
                    let fd = (f(k, eps) - f(k, -eps)) / (2.0 * eps as f64);
                    assert!(
                        (fd - analytic[k] as f64).abs() <= 2e-3 + 1e-2 * fd.abs(),
                        "relu={relu} {name}[{k}]: {} vs {fd}",
                        analytic[k]
                    );
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
                assert!(y.iter().any(|&v| v == 0.0), "the case must exercise the ReLU mask");
            }
        }
    }
}
