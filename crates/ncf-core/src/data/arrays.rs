//! A dataset from JavaScript-side arrays (`Dataset.fromArrays`): signed ids and sizes are
//! checked here, before any allocation that they size, and the first bad index is named.

use super::dataset::{Dataset, check_dense};
use crate::error::{NcfError, Result};

impl Dataset {
    /// Builds a dataset from JavaScript-side signed arrays, naming the first bad index.
    /// `timestamps` order each user's interactions for the splits; `rated` keeps only the
    /// pairs whose rating reaches the threshold (implicit conversion).
    pub fn from_signed_arrays(
        users: &[i32],
        items: &[i32],
        timestamps: Option<&[i64]>,
        rated: Option<(&[f32], Option<f32>)>,
        num_users: Option<i64>,
        num_items: Option<i64>,
    ) -> Result<Dataset> {
        for (field, len) in [
            ("items", Some(items.len())),
            ("timestamps", timestamps.map(<[i64]>::len)),
            ("ratings", rated.map(|r| r.0.len())),
        ] {
            if let Some(len) = len
                && len != users.len()
            {
                return Err(NcfError::invalid(field, format!("has {len} entries but users has {}", users.len())));
            }
        }
        let to_u32 = |field: &str, v: &[i32]| -> Result<Vec<u32>> {
            v.iter()
                .enumerate()
                .map(|(k, &x)| {
                    u32::try_from(x)
                        .map_err(|_| NcfError::invalid(format!("{field}[{k}]"), format!("id {x} is negative")))
                })
                .collect()
        };
        let check_count = |field: &str, n: Option<i64>| -> Result<Option<u32>> {
            match n {
                None => Ok(None),
                Some(n) if n > 0 && n <= u32::MAX as i64 => Ok(Some(n as u32)),
                Some(n) => Err(NcfError::invalid(field, format!("must be a positive integer, got {n}"))),
            }
        };
        if users.is_empty() {
            // Said here, before a threshold could claim nothing was rated high enough.
            return Err(NcfError::Data("the training data is empty: no interactions".into()));
        }
        let u = to_u32("users", users)?;
        let i = to_u32("items", items)?;
        let nu = check_count("numUsers", num_users)?;
        let ni = check_count("numItems", num_items)?;
        if let Some(n) = nu
            && let Some(k) = u.iter().position(|&x| x >= n)
        {
            return Err(NcfError::invalid(format!("users[{k}]"), format!("id {} is not below numUsers = {n}", u[k])));
        }
        if let Some(n) = ni
            && let Some(k) = i.iter().position(|&x| x >= n)
        {
            return Err(NcfError::invalid(format!("items[{k}]"), format!("id {} is not below numItems = {n}", i[k])));
        }
        let Some((ratings, threshold)) = rated else {
            return Dataset::from_pairs(&u, &i, timestamps, None, nu, ni);
        };
        if let Some(k) = ratings.iter().position(|x| !x.is_finite()) {
            return Err(NcfError::invalid(
                format!("ratings[{k}]"),
                format!("must be a finite number, got {}", ratings[k]),
            ));
        }
        let keep: Vec<usize> = (0..u.len()).filter(|&k| threshold.is_none_or(|t| ratings[k] >= t)).collect();
        if keep.is_empty() {
            return Err(NcfError::Data(format!("no interaction is rated at least {}", threshold.unwrap_or(0.0))));
        }
        let pick = |v: &[u32]| keep.iter().map(|&k| v[k]).collect::<Vec<u32>>();
        let ts: Option<Vec<i64>> = timestamps.map(|t| keep.iter().map(|&k| t[k]).collect());
        let r: Vec<f32> = keep.iter().map(|&k| ratings[k]).collect();
        // Counts still cover every id given, so indices mean the same with or without a threshold.
        let derive = |ids: &[u32], field: &str, count: &str| -> Result<Option<u32>> {
            let max = ids.iter().copied().max().unwrap_or(0);
            check_dense(field, count, max, ids.len()).map(|()| Some(max + 1))
        };
        let nu = match nu {
            Some(n) => Some(n),
            None => derive(&u, "users", "numUsers")?,
        };
        let ni = match ni {
            Some(n) => Some(n),
            None => derive(&i, "items", "numItems")?,
        };
        Dataset::from_pairs_rated(&pick(&u), &pick(&i), ts.as_deref(), Some(&r), None, nu, ni)
    }
}
