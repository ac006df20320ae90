//! iALS: the solves are the minimisers they claim to be, conjugate gradient approaches the
//! exact solve, a sweep never raises the objective, and the session refuses what it cannot train.

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::cpu::als::{AlsSpec, cholesky_solve, gramian, objective, solve_side};
use crate::cpu::als_steps::{AlsSteps, transpose};
use crate::data::{Csr, Dataset};
use crate::fit::Trainer;
use crate::model::{Layout, ModelKind, Params};
use crate::train::{Algorithm, TrainConfig};

fn random_data(rng: &mut Xoshiro256PlusPlus, users: u32, items: u32) -> Dataset {
    let (mut us, mut is) = (Vec::new(), Vec::new());
    for u in 0..users {
        for _ in 0..rng.random_range(0..12) {
            us.push(u);
            is.push(rng.random_range(0..items));
        }
    }
    us.push(0);
    is.push(0);
    Dataset::from_pairs(&us, &is, None, None, Some(users), Some(items)).unwrap()
}

fn random_rows(rng: &mut Xoshiro256PlusPlus, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-0.5f32..0.5)).collect()
}

const SPEC: AlsSpec = AlsSpec { reg: 0.05, alpha: 0.3, cg_steps: 0 };

fn sweep_users(w: &mut [f32], h: &[f32], rows: &Csr, f: usize, ni: usize, spec: AlsSpec) {
    let g = gramian(h, ni, f);
    assert!(solve_side(w, h, rows, &g, f, ni, spec, &|| false, &|_| {}));
}

#[test]
fn cholesky_solves_a_known_system() {
    // A = [[4, 2], [2, 3]], b = [2, 1]: x = [0.5, 0].
    let (mut a, mut b): (Vec<f64>, Vec<f64>) = (vec![4.0, 2.0, 2.0, 3.0], vec![2.0, 1.0]);
    cholesky_solve(&mut a, &mut b, 2);
    assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12, "{b:?}");
}

#[test]
fn gramian_is_xtx() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let (n, f) = (37, 5);
    let x = random_rows(&mut rng, n * f);
    let g = gramian(&x, n, f);
    for i in 0..f {
        for j in 0..f {
            let want: f64 = (0..n).map(|r| x[r * f + i] as f64 * x[r * f + j] as f64).sum();
            assert!((g[i * f + j] as f64 - want).abs() <= 1e-5 * want.abs().max(1.0), "G[{i}][{j}]");
        }
    }
}

/// The exact user solve is the minimiser of the objective over the user rows: its central
/// finite differences vanish and every one-sided step goes up.
#[test]
fn an_exact_solve_minimises_the_objective_over_its_side() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let (nu, ni, f) = (40u32, 30u32, 6usize);
    let d = random_data(&mut rng, nu, ni);
    let by_item = transpose(&d.train, ni);
    let h = random_rows(&mut rng, ni as usize * f);
    let mut w = random_rows(&mut rng, nu as usize * f);
    sweep_users(&mut w, &h, &d.train, f, ni as usize, SPEC);
    let at = |w: &[f32]| objective(w, &h, &d.train, &by_item, f, SPEC);
    let base = at(&w);
    let eps = 1e-2f32;
    for k in [0, 7, 3 * f + 2, (nu as usize - 1) * f + 5] {
        let (mut up, mut down) = (w.clone(), w.clone());
        up[k] += eps;
        down[k] -= eps;
        let (fu, fd) = (at(&up), at(&down));
        assert!(fu >= base - 1e-9 && fd >= base - 1e-9, "w[{k}]: {fd} {base} {fu}");
        let slope = (fu - fd) / (2.0 * eps as f64);
        let curvature = (fu + fd - 2.0 * base) / (eps as f64 * eps as f64);
        // The slope at a minimum is zero; against the curvature that makes the step visible.
        assert!(slope.abs() <= 1e-3 * curvature.max(1e-6), "w[{k}]: slope {slope}, curvature {curvature}");
    }
}

/// Conjugate gradient from the same start reaches the exact solve as its steps grow.
#[test]
fn conjugate_gradient_approaches_the_exact_solve() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let (nu, ni, f) = (70u32, 50u32, 8usize);
    let d = random_data(&mut rng, nu, ni);
    let h = random_rows(&mut rng, ni as usize * f);
    let start = random_rows(&mut rng, nu as usize * f);
    let mut exact = start.clone();
    sweep_users(&mut exact, &h, &d.train, f, ni as usize, SPEC);
    let mut last = f64::INFINITY;
    for steps in [1, 3, 8] {
        let mut cg = start.clone();
        sweep_users(&mut cg, &h, &d.train, f, ni as usize, AlsSpec { cg_steps: steps, ..SPEC });
        let err = cg.iter().zip(&exact).map(|(a, b)| (a - b).abs() as f64).fold(0.0, f64::max);
        assert!(err < last, "{steps} steps: error {err} after {last}");
        last = err;
    }
    assert!(last < 1e-4, "8 steps on an 8-dimensional system solve it: {last}");
}

#[test]
fn every_sweep_lowers_the_objective_and_the_session_undoes_a_cancel() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    // Over 64 rows per side, so the sweep runs as several parallel blocks.
    let (nu, ni, f) = (300u32, 150u32, 8u32);
    let data = Arc::new(random_data(&mut rng, nu, ni));
    let layout = Layout::new(ModelKind::Mf, nu, ni, f).unwrap().with_biases(false).unwrap();
    let cfg = TrainConfig { algorithm: Algorithm::Als(SPEC), ..TrainConfig::default() };
    let mut t = Trainer::new(AlsSteps::new(data.clone(), None, Params::init_with_std(layout, 1, 0.1), cfg).unwrap());
    let mut last = f64::INFINITY;
    for e in 1..=4 {
        let r = t.run_epoch(None).unwrap();
        assert_eq!(r.epoch, e);
        assert!(r.loss.is_finite() && r.loss <= last + 1e-9, "epoch {e}: {} after {last}", r.loss);
        last = r.loss;
    }
    let progress = Arc::new(crate::train::Progress::default());
    t.set_progress(progress.clone());
    let before = t.params().clone();
    progress.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(matches!(t.run_epoch(None).unwrap_err(), crate::NcfError::Cancelled));
    assert_eq!(t.params().data, before.data, "a cancelled sweep is undone");
}

#[test]
fn als_refuses_models_it_cannot_train() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let data = Arc::new(random_data(&mut rng, 20, 10));
    let cfg = TrainConfig { algorithm: Algorithm::Als(SPEC), ..TrainConfig::default() };
    for layout in [Layout::new(ModelKind::Mf, 20, 10, 4).unwrap(), Layout::new(ModelKind::Gmf, 20, 10, 4).unwrap()] {
        let e = AlsSteps::new(data.clone(), None, Params::init(layout, 1), cfg).err().unwrap();
        assert!(e.to_string().contains("without biases"), "{e}");
    }
    let plain = Layout::new(ModelKind::Mf, 20, 10, 4).unwrap().with_biases(false).unwrap();
    let bad = TrainConfig { algorithm: Algorithm::Als(AlsSpec { reg: 0.0, ..SPEC }), ..TrainConfig::default() };
    let e = AlsSteps::new(data, None, Params::init(plain, 1), bad).err().unwrap();
    assert!(e.to_string().starts_with("l2: ALS needs a positive regularization"), "{e}");
}
