//! Raw interactions to a [`Dataset`]: ids encoded, the implicit threshold applied, and a
//! separate test file turned into held-out cases with sampled negatives.

use super::ids::IdEncoder;
use super::read::RawInteractions;
use crate::data::Dataset;
use crate::data::holdout::{Draws, push_case};
use crate::data::split::DOMAIN_SPLIT;
use crate::error::{NcfError, Result};

/// A training file and a separate test file (such as MovieLens-100K's `u1.base` / `u1.test`):
/// ids are encoded over both, so a test user or item missing from training still has an index
/// (its embedding stays untrained: a cold row). Every test interaction becomes a test case
/// carrying its rating, with `negatives` sampled items its user never interacted with in either
/// file (0: rating metrics only).
pub fn to_dataset_with_test(
    train: &RawInteractions,
    test: &RawInteractions,
    threshold: Option<f32>,
    negatives: u32,
    seed: u32,
) -> Result<(Dataset, IdEncoder, IdEncoder)> {
    let (kt, ks) = (kept(train, threshold)?, kept(test, threshold)?);
    fn ids<'a>(v: &'a [String], k: &[bool]) -> Vec<&'a str> {
        v.iter().zip(k).filter(|p| *p.1).map(|p| p.0.as_str()).collect()
    }
    let (tu, ti, su, si) =
        (ids(&train.users, &kt), ids(&train.items, &kt), ids(&test.users, &ks), ids(&test.items, &ks));
    if tu.is_empty() || su.is_empty() {
        let which = if tu.is_empty() { "training" } else { "test" };
        return Err(NcfError::Data(format!("the {which} file has no interaction to use")));
    }
    let users = IdEncoder::build(tu.iter().chain(&su).copied());
    let items = IdEncoder::build(ti.iter().chain(&si).copied());
    let enc =
        |e: &IdEncoder, v: &[&str]| v.iter().map(|x| e.encode(x).expect("built from these ids")).collect::<Vec<u32>>();
    let pick_f = |v: &Option<Vec<f32>>, k: &[bool]| {
        v.as_ref().map(|r| r.iter().zip(k).filter(|p| *p.1).map(|p| *p.0).collect::<Vec<f32>>())
    };
    let pick_t = |v: &Option<Vec<i64>>, k: &[bool]| {
        v.as_ref().map(|r| r.iter().zip(k).filter(|p| *p.1).map(|p| *p.0).collect::<Vec<i64>>())
    };
    let (nu, ni) = (users.len() as u32, items.len() as u32);
    if negatives >= ni {
        return Err(NcfError::invalid("testNegatives", format!("must be below the {ni} items, got {negatives}")));
    }
    let (u_test, i_test) = (enc(&users, &su), enc(&items, &si));
    // Every interaction of a user, for drawing negatives it never had.
    let mut all_u = enc(&users, &tu);
    let mut all_i = enc(&items, &ti);
    all_u.extend(&u_test);
    all_i.extend(&i_test);
    let (known, _, _) = crate::data::Csr::from_pairs(nu, &all_u, &all_i, None);
    let mut cases = crate::data::TestSet {
        users: Vec::with_capacity(u_test.len()),
        per_case: negatives + 1,
        candidates: Vec::new(),
        ratings: pick_f(&test.ratings, &ks),
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
    let data = Dataset::from_pairs_rated(
        &enc(&users, &tu),
        &enc(&items, &ti),
        pick_t(&train.timestamps, &kt).as_deref(),
        pick_f(&train.ratings, &kt).as_deref(),
        Some(cases),
        Some(nu),
        Some(ni),
    )?;
    Ok((data, users, items))
}

/// Which interactions the implicit conversion keeps: all, or those rated at least `threshold`.
fn kept(raw: &RawInteractions, threshold: Option<f32>) -> Result<Vec<bool>> {
    match (threshold, &raw.ratings) {
        (None, _) => Ok(vec![true; raw.users.len()]),
        (Some(t), Some(r)) => Ok(r.iter().map(|&x| x >= t).collect()),
        (Some(_), None) => Err(NcfError::invalid("threshold", "needs a rating column")),
    }
}

/// Interactions given as parallel arrays of the caller's ids (from JavaScript), checked
/// entry by entry: an empty id, or lengths that differ, name the array and index.
pub fn from_id_arrays(
    users: Vec<String>,
    items: Vec<String>,
    ratings: Option<Vec<f32>>,
    timestamps: Option<Vec<i64>>,
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
    for (field, ids) in [("users", &users), ("items", &items)] {
        if let Some(k) = ids.iter().position(|s| s.trim().is_empty()) {
            return Err(NcfError::invalid(format!("{field}[{k}]"), "is an empty id"));
        }
    }
    if let Some(r) = &ratings
        && let Some(k) = r.iter().position(|x| !x.is_finite())
    {
        return Err(NcfError::invalid(format!("ratings[{k}]"), format!("must be a finite number, got {}", r[k])));
    }
    Ok(RawInteractions { users, items, ratings, timestamps })
}

/// A dataset from raw interactions and the encoders of its ids. With `threshold`, only
/// interactions rated at least that count as positives (implicit conversion); duplicates are
/// removed (the latest timestamp kept).
pub fn to_dataset(raw: &RawInteractions, threshold: Option<f32>) -> Result<(Dataset, IdEncoder, IdEncoder)> {
    let keep = kept(raw, threshold)?;
    let users_enc = IdEncoder::build(raw.users.iter().zip(&keep).filter(|p| *p.1).map(|p| p.0.as_str()));
    let items_enc = IdEncoder::build(raw.items.iter().zip(&keep).filter(|p| *p.1).map(|p| p.0.as_str()));
    let pick = |v: &[String], e: &IdEncoder| -> Vec<u32> {
        v.iter().zip(&keep).filter(|p| *p.1).map(|p| e.encode(p.0).expect("built from these ids")).collect()
    };
    let (u, i) = (pick(&raw.users, &users_enc), pick(&raw.items, &items_enc));
    let ts: Option<Vec<i64>> =
        raw.timestamps.as_ref().map(|t| t.iter().zip(&keep).filter(|p| *p.1).map(|p| *p.0).collect());
    if u.is_empty() {
        return Err(NcfError::Data(format!("no interaction is rated at least {}", threshold.unwrap_or(0.0))));
    }
    let r: Option<Vec<f32>> =
        raw.ratings.as_ref().map(|r| r.iter().zip(&keep).filter(|p| *p.1).map(|p| *p.0).collect());
    let data = Dataset::from_pairs_rated(
        &u,
        &i,
        ts.as_deref(),
        r.as_deref(),
        None,
        Some(users_enc.len() as u32),
        Some(items_enc.len() as u32),
    )?;
    Ok((data, users_enc, items_enc))
}
