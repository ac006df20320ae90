//! Raw interactions to a [`Dataset`]: ids encoded, the implicit threshold applied, and a
//! separate test file turned into held-out cases with sampled negatives.

use super::collect::{Collector, RawInteractions};
use super::ids::IdEncoder;
use crate::data::Dataset;
use crate::data::holdout::{Draws, push_case};
use crate::data::split::DOMAIN_SPLIT;
use crate::error::{NcfError, Result};

/// A training file and a separate test file (such as MovieLens-100K's `u1.base` / `u1.test`),
/// each read with the same threshold: ids are encoded over both, so a test user or item missing
/// from training still has an index (its embedding stays untrained: a cold row). Every distinct
/// test pair becomes a test case carrying its rating, with `negatives` sampled items its user
/// never interacted with in either file (0: rating metrics only).
pub fn to_dataset_with_test(
    train: RawInteractions,
    test: RawInteractions,
    negatives: u32,
    seed: u32,
) -> Result<(Dataset, IdEncoder, IdEncoder)> {
    if train.is_empty() || test.is_empty() {
        let which = if train.is_empty() { "training" } else { "test" };
        return Err(NcfError::Data(format!("the {which} file has no interaction to use")));
    }
    let users = IdEncoder::build(train.user_ids.iter().chain(&test.user_ids).map(String::as_str));
    let items = IdEncoder::build(train.item_ids.iter().chain(&test.item_ids).map(String::as_str));
    // Each file's first-seen numbering to the shared sorted one.
    let remap = |e: &IdEncoder, ids: &[String]| -> Vec<u32> {
        ids.iter().map(|x| e.encode(x).expect("built from these ids")).collect()
    };
    let (tu, ti) = (remap(&users, &train.user_ids), remap(&items, &train.item_ids));
    let (su, si) = (remap(&users, &test.user_ids), remap(&items, &test.item_ids));
    let (nu, ni) = (users.len() as u32, items.len() as u32);
    if negatives >= ni {
        return Err(NcfError::invalid("testNegatives", format!("must be below the {ni} items, got {negatives}")));
    }
    let u_test: Vec<u32> = test.records.iter().map(|r| su[r.user as usize]).collect();
    let i_test: Vec<u32> = test.records.iter().map(|r| si[r.item as usize]).collect();
    let u_train: Vec<u32> = train.records.iter().map(|r| tu[r.user as usize]).collect();
    let i_train: Vec<u32> = train.records.iter().map(|r| ti[r.item as usize]).collect();
    // Every interaction of a user, for drawing negatives it never had.
    let all_u: Vec<u32> = u_train.iter().chain(&u_test).copied().collect();
    let all_i: Vec<u32> = i_train.iter().chain(&i_test).copied().collect();
    let (known, _, _) = crate::data::Csr::from_pairs(nu, &all_u, &all_i, None);
    drop((all_u, all_i));
    let mut cases = crate::data::TestSet {
        users: Vec::with_capacity(u_test.len()),
        per_case: negatives + 1,
        candidates: Vec::new(),
        ratings: test.ratings(),
    };
    let mut counters = vec![0u32; nu as usize];
    let draws = Draws { seed, domain: DOMAIN_SPLIT };
    for (&u, &i) in u_test.iter().zip(&i_test) {
        let row = known.row(u);
        if negatives > 0 && (ni as usize) - row.len() < negatives as usize {
            return Err(NcfError::Data(format!(
                "test user '{}' has only {} items left to sample {negatives} negatives from; lower negatives",
                users.decode(u).unwrap_or("?"),
                ni as usize - row.len()
            )));
        }
        // The ratings came with the test file, so the case adds none.
        push_case(&mut cases, u, i, None, (row, &[]), ni, draws, &mut counters[u as usize]);
    }
    let mut data = Dataset::from_pairs_rated(
        &u_train,
        &i_train,
        train.timestamps().as_deref(),
        train.ratings().as_deref(),
        Some(cases),
        Some(nu),
        Some(ni),
    )?;
    data.duplicates_removed += train.duplicates;
    Ok((data, users, items))
}

/// Interactions given as parallel arrays of the caller's ids (from JavaScript), checked
/// entry by entry: an empty id, or lengths that differ, name the array and index. With
/// `threshold`, only those rated at least that count.
pub fn from_id_arrays(
    users: Vec<String>,
    items: Vec<String>,
    ratings: Option<Vec<f32>>,
    timestamps: Option<Vec<i64>>,
    threshold: Option<f32>,
) -> Result<RawInteractions> {
    let n = users.len();
    for (field, len) in [
        ("items", Some(items.len())),
        ("ratings", ratings.as_ref().map(Vec::len)),
        ("timestamps", timestamps.as_ref().map(Vec::len)),
    ] {
        if let Some(len) = len
            && len != n
        {
            return Err(NcfError::invalid(field, format!("has {len} entries but users has {n}")));
        }
    }
    if n == 0 {
        return Err(NcfError::Data("the training data is empty: no interactions".into()));
    }
    if threshold.is_some() && ratings.is_none() {
        return Err(NcfError::invalid("threshold", "needs ratings"));
    }
    let mut out = Collector::new(threshold);
    for k in 0..n {
        for (field, ids) in [("users", &users), ("items", &items)] {
            if ids[k].trim().is_empty() {
                return Err(NcfError::invalid(format!("{field}[{k}]"), "is an empty id"));
            }
        }
        let rating = ratings.as_ref().map_or(0.0, |r| r[k]);
        if !rating.is_finite() {
            return Err(NcfError::invalid(format!("ratings[{k}]"), format!("must be a finite number, got {rating}")));
        }
        let ts = timestamps.as_ref().map_or(0, |t| t[k]);
        out.push(&users[k], &items[k], rating, ts)
            .map_err(|r| NcfError::invalid(format!("users[{k}]"), r.message()))?;
    }
    let raw = out.finish(ratings.is_some(), timestamps.is_some());
    if raw.is_empty() {
        return Err(NcfError::Data(format!("no interaction is rated at least {}", threshold.unwrap_or(0.0))));
    }
    Ok(raw)
}

/// A dataset from raw interactions and the encoders of its ids. The reader has applied the
/// threshold and folded duplicates (the latest timestamp kept); they are counted in
/// `duplicates_removed`.
///
/// The records (24 bytes each) are renumbered to the sorted ids and sorted in place into CSR
/// order, then written out from the back and released as they go, so the rows are touched in
/// the order the records are freed: the process holds about 24 bytes an interaction at any
/// moment rather than the 44 that pairs, their source index and per-pair copies of ratings and
/// timestamps took (Netflix's 100M ratings).
pub fn to_dataset(raw: RawInteractions) -> Result<(Dataset, IdEncoder, IdEncoder)> {
    use rayon::prelude::*;
    if raw.is_empty() {
        return Err(NcfError::Data("the training data is empty: no interactions".into()));
    }
    let RawInteractions { user_ids, item_ids, mut records, duplicates, has_ratings, has_timestamps, .. } = raw;
    let (users_enc, to_user) = IdEncoder::build_distinct(user_ids);
    let (items_enc, to_item) = IdEncoder::build_distinct(item_ids);
    records.par_iter_mut().for_each(|r| (r.user, r.item) = (to_user[r.user as usize], to_item[r.item as usize]));
    drop((to_user, to_item));
    records.par_sort_unstable_by_key(|r| (r.user, r.item));
    let (nu, n) = (users_enc.len(), records.len());
    let mut row_ptr = vec![0u32; nu + 1];
    for r in &records {
        row_ptr[r.user as usize + 1] += 1;
    }
    for k in 0..nu {
        row_ptr[k + 1] += row_ptr[k];
    }
    // Zeroed allocations stay untouched (not resident) until written.
    let mut cols = vec![0u32; n];
    let mut ratings = has_ratings.then(|| vec![0f32; n]);
    let mut times = has_timestamps.then(|| vec![0i64; n]);
    const CHUNK: usize = 1 << 22;
    while !records.is_empty() {
        let from = records.len().saturating_sub(CHUNK);
        for (k, r) in records.iter().enumerate().skip(from) {
            cols[k] = r.item;
            if let Some(x) = ratings.as_mut() {
                x[k] = r.rating;
            }
            if let Some(t) = times.as_mut() {
                t[k] = r.ts;
            }
        }
        records.truncate(from);
        records.shrink_to_fit();
    }
    let csr = crate::data::Csr { row_ptr, cols };
    let mut data = Dataset::from_csr(users_enc.len() as u32, items_enc.len() as u32, csr, None)?;
    data.train_ratings = ratings;
    data.train_timestamps = times;
    data.duplicates_removed = duplicates;
    Ok((data, users_enc, items_enc))
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;
    use crate::raw::collect::Collector;

    /// Random interactions with ids that sort differently from first-seen order (numbers that
    /// are not ascending, and strings), duplicates, ratings and timestamps.
    fn raw(seed: u64, numeric: bool, ratings: bool, times: bool) -> RawInteractions {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut c = Collector::new(None);
        for _ in 0..5000 {
            let (u, i) = (rng.random_range(0..300u32), rng.random_range(0..120u32));
            let (u, i) = if numeric {
                (format!("{}", (u * 7919) % 1009), format!("{}", (i * 31) % 127))
            } else {
                (format!("user-{u:x}"), format!("film {}", i * 3))
            };
            c.push(&u, &i, rng.random_range(1..=5) as f32, rng.random_range(0..1000i64)).unwrap();
        }
        c.finish(ratings, times)
    }

    #[test]
    fn to_dataset_equals_the_pairs_path_for_any_id_order() {
        for (seed, numeric, ratings, times) in [(1, true, true, true), (2, false, true, false), (3, true, false, true)]
        {
            let r = raw(seed, numeric, ratings, times);
            // The reference: pairs of sorted indices through `Dataset::from_pairs_rated`.
            let users_enc = IdEncoder::build(r.users());
            let items_enc = IdEncoder::build(r.items());
            let u: Vec<u32> = r.users().iter().map(|x| users_enc.encode(x).unwrap()).collect();
            let i: Vec<u32> = r.items().iter().map(|x| items_enc.encode(x).unwrap()).collect();
            let expected = Dataset::from_pairs_rated(
                &u,
                &i,
                r.timestamps().as_deref(),
                r.ratings().as_deref(),
                None,
                Some(users_enc.len() as u32),
                Some(items_enc.len() as u32),
            )
            .unwrap();
            let dups = r.duplicates();
            let (d, ue, ie) = to_dataset(r).unwrap();
            assert_eq!((ue.ids(), ie.ids()), (users_enc.ids(), items_enc.ids()));
            assert_eq!(d.train.row_ptr, expected.train.row_ptr, "seed {seed}");
            assert_eq!(d.train.cols, expected.train.cols, "seed {seed}");
            assert_eq!(d.train_users, expected.train_users);
            assert_eq!(d.train_ratings, expected.train_ratings, "seed {seed}: ratings follow their pairs");
            assert_eq!(d.train_timestamps, expected.train_timestamps, "seed {seed}: timestamps follow their pairs");
            assert_eq!(d.duplicates_removed, dups);
            assert!(dups > 0 && d.num_users == 300 && d.num_items == 120);
        }
    }
}
