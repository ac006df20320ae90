//! An epoch drawn in windows of training positions is the epoch drawn whole, so a
//! Netflix-size epoch trains in bounded memory with the same samples, batches and weights.

use std::sync::Arc;

use crate::cpu::sampling::{Samples, epoch_samples_from};
use crate::cpu::windows::{Windows, samples_at};
use crate::cpu::{CpuSteps, HogwildSteps};
use crate::data::Dataset;
use crate::data::synthetic::{SyntheticConfig, synthetic};
use crate::fit::Trainer;
use crate::model::{Layout, ModelKind, Params, Tower};
use crate::train::{Optimizer, TrainConfig};

fn data() -> Arc<Dataset> {
    let cfg =
        SyntheticConfig { num_users: 300, num_items: 200, per_user: 12, clusters: 4, test_negatives: 20, seed: 5 };
    Arc::new(synthetic(cfg).unwrap())
}

/// Windows small enough that an epoch of this data takes several, one of them ragged.
const SMALL: Windows = Windows { whole_max: 1000, window: 999 };

fn concat(parts: &[Samples]) -> Samples {
    let mut s = Samples::default();
    for p in parts {
        s.users.extend(&p.users);
        s.items.extend(&p.items);
        s.labels.extend(&p.labels);
    }
    s
}

#[test]
fn windows_draw_exactly_the_whole_epochs_samples() {
    let d = data();
    for (negatives, uniform) in [(4, false), (8, true), (1, false)] {
        for epoch in [0, 3] {
            let whole = epoch_samples_from(&d, negatives, uniform, 7, epoch).unwrap();
            let mut parts = Vec::new();
            let n = SMALL
                .for_each(&d, negatives, uniform, 7, epoch, 64, |s| {
                    parts.push(s.clone());
                    Ok(())
                })
                .unwrap();
            let (last, full) = parts.split_last().unwrap();
            assert!(full.iter().all(|s| s.len() == 960), "every window but the last holds 15 whole batches");
            assert!(!last.is_empty() && last.len() <= 960);
            assert!(parts.len() > 3, "{} windows", parts.len());
            assert_eq!(n as usize, whole.len());
            assert_eq!(concat(&parts), whole, "negatives {negatives}, uniform {uniform}, epoch {epoch}");
        }
    }
    let n = whole_len(&d, 4);
    assert_eq!(
        samples_at(&d, 4, false, 7, 0, 10..20).unwrap(),
        slice(&epoch_samples_from(&d, 4, false, 7, 0).unwrap(), 10, 20)
    );
    assert!(samples_at(&d, 4, false, 7, 0, 0..n + 1).is_err(), "past the epoch");
}

fn whole_len(d: &Dataset, negatives: u32) -> u32 {
    (d.num_interactions() as u32) * (negatives + 1)
}

fn slice(s: &Samples, a: usize, b: usize) -> Samples {
    Samples { users: s.users[a..b].to_vec(), items: s.items[a..b].to_vec(), labels: s.labels[a..b].to_vec() }
}

#[test]
fn windowed_epochs_train_bit_for_bit_as_whole_ones() {
    let d = data();
    let (u, i) = (d.num_users, d.num_items);
    let layouts = [
        Layout::new(ModelKind::Gmf, u, i, 8).unwrap(),
        Layout::neural(ModelKind::NeuMf, u, i, 4, Tower::new(&[16, 8, 4]).unwrap()).unwrap(),
    ];
    for l in layouts {
        for sparse in [false, true] {
            let cfg = TrainConfig {
                batch_size: 32,
                optimizer: Optimizer::adam(),
                lr: 0.01,
                sparse,
                seed: 2,
                ..TrainConfig::default()
            };
            let run = |w: Windows| {
                let mut t = Trainer::new(CpuSteps::new(d.clone(), None, Params::init(l, 1), cfg).unwrap());
                t.set_windows(w);
                let losses: Vec<f64> = (0..2).map(|_| t.run_epoch(None).unwrap().loss).collect();
                (losses, t.params().data.clone())
            };
            let (whole, windowed) = (run(Windows::default()), run(SMALL));
            assert_eq!(whole.0, windowed.0, "{:?} sparse {sparse}: losses", l.kind);
            assert!(whole.1 == windowed.1, "{:?} sparse {sparse}: weights", l.kind);
            assert!(whole.0.iter().all(|x| x.is_finite() && *x > 0.0));
        }
    }
    // Hogwild on one thread is serial SGD, so windows change nothing there either.
    let hog = TrainConfig {
        batch_size: 1,
        negatives: 2,
        optimizer: Optimizer::sgd(),
        lr: 0.05,
        seed: 3,
        algorithm: crate::train::Algorithm::Hogwild,
        ..TrainConfig::default()
    };
    let run = |w: Windows| {
        let start = Params::init_with_std(Layout::new(ModelKind::Mf, u, i, 6).unwrap(), 2, 0.1);
        let mut t = Trainer::new(HogwildSteps::new(d.clone(), None, start, hog).unwrap().with_threads(1));
        t.set_windows(w);
        let r = t.run_epoch(None).unwrap();
        (r.loss, r.samples, t.params().data.clone())
    };
    let (whole, windowed) = (run(Windows::default()), run(SMALL));
    assert_eq!(whole.1, windowed.1);
    assert_eq!(whole.0, windowed.0, "hogwild loss");
    assert!(whole.2 == windowed.2, "hogwild weights");
}
