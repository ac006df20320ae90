//! The raw-data path reproduces the shared ML-100K NCF split: `u.data` read with its own ids,
//! encoded, and split leave-latest-out (ties to the larger item id) holds out exactly the item
//! of `ml-100k/ncf/ml-100k.test.rating` for every user. Skipped with a notice when the data
//! folder (../shared/data, or $NCF_DATA_DIR) is absent; MovieLens is never copied into the repo.

use std::path::PathBuf;

use ncf_core::data::split::{SplitMethod, split};
use ncf_core::raw::{Format, read, to_dataset};

fn data_dir() -> PathBuf {
    std::env::var("NCF_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

#[test]
fn leave_latest_out_reproduces_the_ml100k_ncf_split() {
    let dir = data_dir().join("ml-100k");
    if !dir.join("u.data").exists() {
        eprintln!("NOTICE: {} not found; skipping the ML-100K split check", dir.display());
        return;
    }
    let raw = read(&dir.join("u.data"), &Format::MovieLens).unwrap();
    assert_eq!((raw.given(), raw.len()), (100_000, 100_000));
    let (data, users, items) = to_dataset(raw).unwrap();
    assert_eq!((users.len(), items.len()), (943, 1682));
    let s = split(&data, SplitMethod::LeaveOneOut { validation: false }, 99, 2017).unwrap();
    let test = s.test.as_ref().unwrap();
    let expected = std::fs::read_to_string(dir.join("ncf/ml-100k.test.rating")).unwrap();
    let mut checked = 0;
    for (case, line) in expected.lines().enumerate() {
        let f: Vec<u32> = line.split('\t').take(2).map(|x| x.parse().unwrap()).collect();
        // The shared split numbers users and items as id − 1.
        let (u, i) = (users.encode(&(f[0] + 1).to_string()).unwrap(), items.encode(&(f[1] + 1).to_string()).unwrap());
        assert_eq!(test.users[case], u, "line {}", case + 1);
        assert_eq!(test.positive(case), i, "user {} (line {}): held-out item", f[0] + 1, case + 1);
        let negatives = &test.candidates[case * 100 + 1..(case + 1) * 100];
        let row = data.train.row(u);
        assert!(negatives.iter().all(|n| row.binary_search(n).is_err()), "negatives are unseen items");
        checked += 1;
    }
    assert_eq!(checked, 943);
    assert_eq!(s.num_interactions(), 100_000 - 943);
}

#[test]
fn movielens_feature_files_read_whole() {
    let dir = data_dir().join("ml-100k");
    if !dir.join("u.item").exists() {
        eprintln!("NOTICE: {} not found; skipping the ML-100K feature files", dir.display());
        return;
    }
    use ncf_core::features::{FeatureValue, read_movielens_items, read_movielens_users};
    let items = read_movielens_items(&dir.join("u.item")).unwrap();
    assert_eq!(items.ids.len(), 1682);
    assert_eq!(items.rows[0][0], FeatureValue::Multi(vec!["Animation".into(), "Children's".into(), "Comedy".into()]));
    let users = read_movielens_users(&dir.join("u.user")).unwrap();
    assert_eq!(users.ids.len(), 943);
    assert_eq!(users.rows[0][0], FeatureValue::Numeric(Some(24.0)));
    let ml1m = data_dir().join("ml-1m");
    if ml1m.join("movies.dat").exists() {
        assert_eq!(read_movielens_items(&ml1m.join("movies.dat")).unwrap().ids.len(), 3883);
        assert_eq!(read_movielens_users(&ml1m.join("users.dat")).unwrap().ids.len(), 6040);
    }
}
