//! The short seeded run of the fuzz targets that CI makes (the long runs use
//! `cargo fuzz`, see `fuzz/README.md`). Every seed of `fuzz/corpus/<target>` and 200 seeded
//! mutations of each (bit flips, byte changes, insertions, deletions, truncations, repeats)
//! go through the same parsers as the fuzz targets. Each must end in an error with a code or
//! a result, never a panic; model files that load must save and load again.

use std::path::{Path, PathBuf};

use ncf_core::model::{Layout, ModelKind};
use ncf_core::persist::{Extras, from_bytes, to_bytes};
use ncf_core::raw::{Column, CsvSpec, Format, ReadLimits, read_with, to_dataset};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const MUTATIONS: usize = 200;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut seeds: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "{target}: no seeds");
    seeds.into_iter().map(|s| s.1).collect()
}

fn mutate(seed: &[u8], rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..rng.random_range(1..4) {
        let n = b.len().max(1);
        match rng.random_range(0..6) {
            0 if !b.is_empty() => {
                let k = rng.random_range(0..b.len());
                b[k] ^= 1 << rng.random_range(0..8);
            }
            1 if !b.is_empty() => {
                let k = rng.random_range(0..b.len());
                b[k] = [0u8, b'\n', b'"', b',', b':', b'\t', 0xff, b'9'][rng.random_range(0..8)];
            }
            2 => {
                let k = rng.random_range(0..=b.len());
                b.insert(k, rng.random());
            }
            3 if !b.is_empty() => {
                b.remove(rng.random_range(0..b.len()));
            }
            4 => b.truncate(rng.random_range(0..n)),
            _ => {
                let (a, z) = (rng.random_range(0..n), rng.random_range(0..n));
                let chunk = b.get(a.min(z)..a.max(z)).unwrap_or(&[]).to_vec();
                let k = rng.random_range(0..=b.len());
                b.splice(k..k, chunk);
            }
        }
    }
    b
}

/// Every seed and its mutations, written to a scratch file when the parser takes a path.
fn run(target: &str, mut check: impl FnMut(&[u8], &Path)) -> usize {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(15);
    let path = std::env::temp_dir().join(format!("ncf-seeded-{}-{target}", std::process::id()));
    let mut n = 0;
    for seed in corpus(target) {
        let inputs = std::iter::once(seed.clone()).chain((0..MUTATIONS).map(|_| mutate(&seed, &mut rng)));
        for input in inputs.collect::<Vec<_>>() {
            std::fs::write(&path, &input).unwrap();
            check(&input, &path);
            n += 1;
        }
    }
    let _ = std::fs::remove_file(&path);
    n
}

fn coded(r: Result<(), ncf_core::NcfError>) {
    if let Err(e) = r {
        assert!(e.code().starts_with("ERR_"), "{e}");
    }
}

#[test]
fn model_files_and_checkpoints() {
    let n = run("model_file", |b, _| match from_bytes(Path::new("m.ncf"), b) {
        Err(e) => assert_eq!(e.code(), "ERR_FORMAT", "{e}"),
        Ok(l) => {
            let ids = l.meta.user_ids.clone().zip(l.meta.item_ids.clone());
            let again = to_bytes(&l.params, Extras { ids, ..Default::default() }).unwrap();
            assert_eq!(from_bytes(Path::new("m.ncf"), &again).unwrap().params, l.params);
        }
    });
    let layout = Layout::new(ModelKind::Gmf, 5, 7, 3).unwrap();
    let m = run("checkpoint", |_, p| {
        for l in [None, Some(layout)] {
            coded(ncf_core::fit::checkpoint::load(p, l).map(|_| ()));
        }
    });
    assert!(n + m >= 4 * (MUTATIONS + 1));
}

#[test]
fn interaction_files() {
    let csv = Format::Csv(CsvSpec {
        delimiter: b',',
        has_header: true,
        user: Column::Index(0),
        item: Column::Index(1),
        rating: Some(Column::Index(2)),
        timestamp: None,
    });
    for (target, format) in [("csv", csv), ("movielens", Format::MovieLens), ("netflix", Format::Netflix)] {
        run(target, |_, p| {
            coded(read_with(p, &format, ReadLimits::default(), Some(3.0)).and_then(|raw| to_dataset(raw).map(|_| ())))
        });
    }
}

#[test]
fn ncf_and_feature_files() {
    use ncf_core::data::ncf_files::{NcfPaths, load_ncf};
    use ncf_core::features::read::{read_movielens_items, read_movielens_users};
    let neg = std::env::temp_dir().join(format!("ncf-seeded-{}-negative", std::process::id()));
    run("ncf_files", |b, _| {
        let cut = b.iter().position(|&x| x == 0).unwrap_or(b.len());
        let train = std::env::temp_dir().join(format!("ncf-seeded-{}-train", std::process::id()));
        std::fs::write(&train, &b[..cut]).unwrap();
        std::fs::write(&neg, b.get(cut + 1..).unwrap_or(&[])).unwrap();
        for test_negative in [None, Some(neg.clone())] {
            coded(
                load_ncf(&NcfPaths { train: train.clone(), test_rating: None, test_negative }, None, None).map(|_| ()),
            );
        }
    });
    run("features", |_, p| {
        coded(read_movielens_items(p).map(|_| ()));
        coded(read_movielens_users(p).map(|_| ()));
    });
}
