use super::*;

#[test]
fn csr_sorts_and_dedupes() {
    let (csr, ts, dropped) = Csr::from_pairs(3, &[2, 0, 2, 2, 0], &[5, 1, 3, 5, 0], Some(&[10, 11, 12, 9, 13]));
    assert_eq!(dropped, 1);
    // Row 2 holds items 3 and 5; the duplicate 5 keeps its latest time (10, not 9).
    assert_eq!(ts.unwrap(), vec![13, 11, 12, 10]);
    assert_eq!(csr.row(0), &[0, 1]);
    assert_eq!(csr.row(1), &[] as &[u32]);
    assert_eq!(csr.row(2), &[3, 5]);
    assert_eq!(csr.row_owners(), vec![0, 0, 2, 2]);
}

#[test]
fn signed_arrays_name_the_bad_index() {
    let e = Dataset::from_signed_arrays(&[0, 1, -3], &[0, 1, 2], None, None, None, None).unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_ARG");
    assert!(e.to_string().contains("users[2]"), "{e}");
    let e = Dataset::from_signed_arrays(&[0, 1], &[0, 9], None, None, None, Some(5)).unwrap_err();
    assert!(e.to_string().contains("items[1]"), "{e}");
    let e = Dataset::from_signed_arrays(&[], &[], None, None, None, None).unwrap_err();
    assert_eq!(e.code(), "ERR_DATA");
    assert!(e.to_string().contains("empty"));
}

#[test]
fn known_interactions_join_train_and_held_out_positives() {
    let mut d = Dataset::from_pairs(&[0, 1], &[3, 1], None, None, None, Some(6)).unwrap();
    d.test = Some(TestSet { users: vec![0, 0], per_case: 2, candidates: vec![5, 0, 1, 0], ratings: None });
    d.validation = Some(TestSet { users: vec![1], per_case: 2, candidates: vec![2, 4], ratings: None });
    let k = d.known_interactions();
    assert_eq!((k.row(0), k.row(1)), (&[1, 3, 5][..], &[1, 2][..]), "negatives are not interactions");
}

#[test]
fn known_interactions_merge_equals_the_pairs_reference() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
    let (users, items) = (200u32, 60u32);
    // Users 150.. have no training row; held-out positives may repeat a training item.
    let (u, i): (Vec<u32>, Vec<u32>) =
        (0..3000).map(|_| (rng.random_range(0..150), rng.random_range(0..items))).unzip();
    let mut d = Dataset::from_pairs(&u, &i, None, None, Some(users), Some(items)).unwrap();
    let case = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus, n: usize| {
        let users: Vec<u32> = (0..n).map(|_| rng.random_range(0..users)).collect();
        let candidates = (0..2 * n).map(|_| rng.random_range(0..items)).collect();
        TestSet { users, per_case: 2, candidates, ratings: None }
    };
    d.test = Some(case(&mut rng, 300));
    d.validation = Some(case(&mut rng, 100));
    let (mut ru, mut ri) = (d.train_users.clone(), d.train.cols.clone());
    for t in [d.test.as_ref().unwrap(), d.validation.as_ref().unwrap()] {
        for c in 0..t.len() {
            ru.push(t.users[c]);
            ri.push(t.positive(c));
        }
    }
    let reference = Csr::from_pairs(users, &ru, &ri, None).0;
    let k = d.known_interactions();
    assert_eq!((k.row_ptr, k.cols), (reference.row_ptr, reference.cols));
}

#[test]
fn counts_default_to_max_id_plus_one() {
    let d = Dataset::from_signed_arrays(&[0, 4], &[7, 2], None, None, None, None).unwrap();
    assert_eq!((d.num_users, d.num_items), (5, 8));
}

#[test]
fn signed_arrays_with_timestamps_and_a_rating_threshold() {
    let (u, i) = ([0, 0, 3], [1, 2, 5]);
    let d = Dataset::from_signed_arrays(&u, &i, Some(&[30, 10, 20]), Some((&[4.0, 5.0, 1.0], Some(4.0))), None, None)
        .unwrap();
    assert_eq!((d.num_users, d.num_items, d.num_interactions()), (4, 6, 2), "counts cover the filtered ids");
    assert_eq!(d.train_timestamps.as_deref(), Some(&[30, 10][..]));
    let e = Dataset::from_signed_arrays(&u, &i, Some(&[1]), None, None, None).unwrap_err();
    assert!(e.to_string().contains("timestamps: has 1 entries but users has 3"), "{e}");
    let e =
        Dataset::from_signed_arrays(&u, &i, None, Some((&[1.0, f32::NAN, 2.0], Some(1.0))), None, None).unwrap_err();
    assert!(e.to_string().contains("ratings[1]"), "{e}");
    let e = Dataset::from_signed_arrays(&u, &i, None, Some((&[1.0, 1.0, 2.0], Some(3.0))), None, None).unwrap_err();
    assert_eq!(e.code(), "ERR_DATA");
}
