use super::*;

fn small() -> ScaleConfig {
    ScaleConfig {
        num_users: 3_000,
        num_items: 2_000,
        interactions: 120_000,
        min_per_user: 5,
        test_users: 500,
        clusters: 16,
        ..ScaleConfig::ml_20m()
    }
}

fn on_threads(n: usize, cfg: &ScaleConfig) -> Dataset {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    pool.install(|| synthetic_at_scale(cfg)).unwrap()
}

#[test]
fn scale_data_is_the_same_on_any_number_of_threads_and_differs_by_seed() {
    let cfg = small();
    let (one, three) = (on_threads(1, &cfg), on_threads(3, &cfg));
    assert_eq!(one.train.row_ptr, three.train.row_ptr);
    assert_eq!(one.train.cols, three.train.cols);
    let (t1, t3) = (one.test.as_ref().unwrap(), three.test.as_ref().unwrap());
    assert_eq!((&t1.users, &t1.candidates), (&t3.users, &t3.candidates));
    let other = synthetic_at_scale(&ScaleConfig { seed: 1, ..cfg }).unwrap();
    assert_ne!(other.train.cols, one.train.cols);
}

#[test]
fn scale_rows_test_cases_and_totals_are_well_formed() {
    let cfg = small();
    let d = synthetic_at_scale(&cfg).unwrap();
    assert_eq!((d.num_users, d.num_items), (cfg.num_users, cfg.num_items));
    let t = d.test.as_ref().unwrap();
    assert_eq!(t.users.len(), cfg.test_users as usize);
    assert_eq!(t.per_case, cfg.test_negatives + 1);
    // Test users are spread over the ids, not the first 500.
    assert_eq!(t.users[0], 0);
    assert!(*t.users.last().unwrap() >= cfg.num_users - cfg.num_users / cfg.test_users - 1);
    let total = d.num_interactions() + t.users.len();
    let off = (total as f64 - cfg.interactions as f64).abs() / cfg.interactions as f64;
    assert!(off < 0.01, "{total} interactions against {} asked", cfg.interactions);
    for u in 0..cfg.num_users {
        let row = d.train.row(u);
        assert!(row.windows(2).all(|w| w[0] < w[1]), "user {u}: sorted, distinct");
        let with_test = row.len() + t.users.binary_search(&u).is_ok() as usize;
        assert!((cfg.min_per_user as usize..=cfg.cap() as usize).contains(&with_test), "user {u}: {with_test}");
    }
    for (c, &u) in t.users.iter().enumerate() {
        let cand = &t.candidates[c * t.per_case as usize..(c + 1) * t.per_case as usize];
        let row = d.train.row(u);
        assert!(cand.iter().all(|i| row.binary_search(i).is_err()), "case {c}: a candidate is a training positive");
        let mut sorted = cand.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), cand.len(), "case {c}: candidates distinct");
    }
    d.check_sampleable().unwrap();
}

#[test]
fn scale_data_is_skewed_like_real_catalogues() {
    let cfg = small();
    let d = synthetic_at_scale(&cfg).unwrap();
    // Popularity: Zipf over ranks, so the top tenth of items holds far more than a tenth.
    let mut counts = d.item_counts();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top: u64 = counts[..counts.len() / 10].iter().map(|&c| c as u64).sum();
    let share = top as f64 / d.num_interactions() as f64;
    assert!((0.25..0.6).contains(&share), "top 10% of items hold {share:.3}");
    // Activity: heavy-tailed, the busiest user far above the median.
    let mut per_user: Vec<usize> = (0..d.num_users).map(|u| d.train.row(u).len()).collect();
    per_user.sort_unstable();
    let (median, max) = (per_user[per_user.len() / 2], *per_user.last().unwrap());
    let mean = d.num_interactions() as f64 / d.num_users as f64;
    assert!(mean > 1.2 * median as f64, "mean {mean} median {median}");
    assert!(max as f64 > 5.0 * median as f64, "max {max} median {median}");
}

#[test]
fn scale_data_has_planted_clusters() {
    let cfg = small();
    let d = synthetic_at_scale(&cfg).unwrap();
    let Plan { item_cluster, .. } = plan(&cfg);
    // The share of a user's items in its most common cluster: about in_cluster plus the
    // global draws that land there, far above the 1/16 of unstructured data.
    let mut shares = 0.0;
    for u in 0..d.num_users {
        let mut by = vec![0u32; cfg.clusters as usize];
        let row = d.train.row(u);
        for &i in row {
            by[item_cluster[i as usize] as usize] += 1;
        }
        shares += *by.iter().max().unwrap() as f64 / row.len() as f64;
    }
    let mean = shares / d.num_users as f64;
    assert!(mean > 0.8 * cfg.in_cluster as f64, "modal cluster share {mean:.3}");
    let flat = synthetic_at_scale(&ScaleConfig { in_cluster: 0.0, ..cfg }).unwrap();
    let mut flat_shares = 0.0;
    for u in 0..flat.num_users {
        let mut by = vec![0u32; cfg.clusters as usize];
        let row = flat.train.row(u);
        for &i in row {
            by[item_cluster[i as usize] as usize] += 1;
        }
        flat_shares += *by.iter().max().unwrap() as f64 / row.len() as f64;
    }
    assert!(flat_shares / (flat.num_users as f64) < 0.5 * mean, "without clusters the share falls");
}

#[test]
fn scale_presets_and_refusals_name_the_field() {
    let n = ScaleConfig::netflix();
    assert_eq!((n.num_users, n.num_items, n.interactions), (480_189, 17_770, 100_480_507));
    let m = ScaleConfig::preset("ml-20m").unwrap();
    assert_eq!((m.num_users, m.num_items, m.interactions), (138_493, 26_744, 20_000_263));
    let field = |cfg: ScaleConfig| match synthetic_at_scale(&cfg) {
        Err(NcfError::InvalidArg { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(ScaleConfig::preset("ml-200m").unwrap_err().to_string().contains("'ml-200m'"));
    let r = ScaleConfig::resolve(Some("netflix"), None, Some(20_000), None).unwrap();
    assert_eq!((r.num_users, r.num_items, r.interactions), (480_189, 20_000, 100_480_507));
    let custom = ScaleConfig::resolve(None, Some(10), Some(100), Some(500)).unwrap();
    assert_eq!((custom.num_users, custom.num_items, custom.interactions, custom.clusters), (10, 100, 500, 32));
    assert!(ScaleConfig::resolve(None, Some(10), None, Some(500)).unwrap_err().to_string().starts_with("size:"));
    assert_eq!(field(ScaleConfig { interactions: 10, ..small() }), "interactions");
    assert_eq!(field(ScaleConfig { interactions: MAX_SYNTHETIC + 1, ..small() }), "interactions");
    assert_eq!(field(ScaleConfig { num_items: 100, ..small() }), "numItems");
    assert_eq!(field(ScaleConfig { num_users: 0, ..small() }), "numUsers");
    assert_eq!(field(ScaleConfig { min_per_user: 1, ..small() }), "minPerUser");
    assert_eq!(field(ScaleConfig { clusters: 0, ..small() }), "clusters");
    assert_eq!(field(ScaleConfig { in_cluster: 1.5, ..small() }), "inCluster");
    assert_eq!(field(ScaleConfig { activity_sigma: f32::NAN, ..small() }), "activitySigma");
    assert_eq!(field(ScaleConfig { test_users: 3_001, ..small() }), "testUsers");
}

#[test]
fn from_csr_refuses_rows_that_are_not_rows() {
    let ok = Csr { row_ptr: vec![0, 2, 3], cols: vec![1, 4, 0] };
    assert!(Dataset::from_csr(2, 5, ok.clone(), None).is_ok());
    assert!(Dataset::from_csr(2, 4, ok.clone(), None).is_err(), "item 4 of 4");
    assert!(Dataset::from_csr(3, 5, ok, None).is_err(), "offsets for 2 users");
    let unsorted = Csr { row_ptr: vec![0, 2], cols: vec![3, 1] };
    assert!(Dataset::from_csr(1, 5, unsorted, None).is_err());
}
