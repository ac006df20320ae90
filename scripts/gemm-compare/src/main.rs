//! One 128-row piece of the NCF tower `[8f, 4f, 2f, f]` (f = 8, 32, 64), as the CPU backend's
//! step runs it on one thread: per layer the forward `y = x·Wᵀ`, the weight gradient
//! `∂W += dzᵀ·x` and the input gradient `∂x = dz·W`, with the strides the backend passes.
//! Prints GFLOP/s for each library, alternating them so that a noisy machine hits both alike.

use std::time::Instant;

/// `C (m×n, row-major) = beta·C + A·B` with A and B given by (row stride, column stride).
type Gemm = fn(usize, usize, usize, &[f32], (isize, isize), &[f32], (isize, isize), f32, &mut [f32]);

fn with_matrixmultiply(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    sa: (isize, isize),
    b: &[f32],
    sb: (isize, isize),
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: the strides describe dense m×k, k×n and m×n views inside the slices (checked above).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            sa.0,
            sa.1,
            b.as_ptr(),
            sb.0,
            sb.1,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

fn with_gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    sa: (isize, isize),
    b: &[f32],
    sb: (isize, isize),
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: as above; `gemm` takes (column stride, row stride) and computes α·C + β·A·B with
    // α = beta (C is read only when `read_dst`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            beta != 0.0,
            a.as_ptr(),
            sa.1,
            sa.0,
            b.as_ptr(),
            sb.1,
            sb.0,
            beta,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

fn main() {
    let rows = 128usize;
    println!("| factors | tower | matrixmultiply GFLOP/s | gemm GFLOP/s | gemm ÷ matrixmultiply |");
    println!("|---|---|---|---|---|");
    for f in [8usize, 32, 64] {
        let dims = [8 * f, 4 * f, 2 * f, f];
        let widest = 8 * f;
        let x: Vec<f32> = (0..rows * widest).map(|i| (i as f32 * 0.37).sin()).collect();
        let w: Vec<f32> = (0..widest * widest).map(|i| (i as f32 * 0.11).cos()).collect();
        let (mut y, mut gw) = (vec![0f32; rows * widest], vec![0f32; widest * widest]);
        let flops: f64 = (0..3).map(|l| 6.0 * (rows * dims[l] * dims[l + 1]) as f64).sum();
        let piece = |g: Gemm, y: &mut [f32], gw: &mut [f32]| {
            for l in 0..3 {
                let (i, o) = (dims[l], dims[l + 1]);
                g(rows, i, o, &x, (i as isize, 1), &w, (1, i as isize), 0.0, y); // y = x·Wᵀ
                g(o, rows, i, &x, (1, o as isize), &x, (i as isize, 1), 1.0, gw); // ∂W += dzᵀ·x
                g(rows, o, i, &x, (o as isize, 1), &w, (i as isize, 1), 0.0, y); // ∂x = dz·W
            }
        };
        let reps = (1e9 / flops) as usize + 1;
        let mut best = [f64::MAX; 2];
        for _round in 0..5 {
            for (k, g) in [with_matrixmultiply as Gemm, with_gemm].into_iter().enumerate() {
                let t = Instant::now();
                (0..reps).for_each(|_| piece(g, &mut y, &mut gw));
                best[k] = best[k].min(t.elapsed().as_secs_f64());
            }
        }
        let rate = |s: f64| flops * reps as f64 / s / 1e9;
        let tower = format!("{}→{}→{}→{}", dims[0], dims[1], dims[2], dims[3]);
        println!("| {f} | {tower} | {:.0} | {:.0} | ×{:.2} |", rate(best[0]), rate(best[1]), best[0] / best[1]);
    }
}
