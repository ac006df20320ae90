//! Interaction data: training positives as per-user sorted CSR rows, and the
//! leave-one-out test set of the NCF protocol (one held-out positive plus sampled negatives
//! per test case).

use super::csr::Csr;
use crate::error::{NcfError, Result};

/// Leave-one-out test cases: case `c` asks to rank `candidates[c*C]` (the held-out positive)
/// among `candidates[c*C+1 .. (c+1)*C]` (its sampled negatives) for user `users[c]`.
#[derive(Clone, Debug)]
pub struct TestSet {
    pub users: Vec<u32>,
    /// Candidates per case, the positive first (`1 + negatives`).
    pub per_case: u32,
    pub candidates: Vec<u32>,
    /// The rating of each case's held-out positive, when the data has ratings (what rating
    /// regression is evaluated on).
    pub ratings: Option<Vec<f32>>,
}

impl TestSet {
    pub fn len(&self) -> usize {
        self.users.len()
    }
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
    pub fn positive(&self, case: usize) -> u32 {
        self.candidates[case * self.per_case as usize]
    }
    /// The user of every candidate pair, parallel to `candidates`.
    pub fn pair_users(&self) -> Vec<u32> {
        let c = self.per_case as usize;
        (0..self.candidates.len()).map(|k| self.users[k / c]).collect()
    }
}

/// A dataset: implicit-feedback training positives and an optional test set.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub num_users: u32,
    pub num_items: u32,
    pub train: Csr,
    /// `train.row_owners()`, kept because sampling and uploads need it every epoch.
    pub train_users: Vec<u32>,
    /// Timestamps of the training positives in CSR order, when the source had them.
    pub train_timestamps: Option<Vec<i64>>,
    /// Ratings of the training positives in CSR order, when the source had them.
    pub train_ratings: Option<Vec<f32>>,
    pub test: Option<TestSet>,
    /// Validation cases held out by [`crate::data::split::split`], for choosing epochs without
    /// looking at the test set.
    pub validation: Option<TestSet>,
    /// Duplicate training pairs dropped while loading.
    pub duplicates_removed: usize,
}

/// The most users or items a dataset holds (u32 indices, and tables that fit a machine).
pub const MAX_ENTITIES: u32 = 1 << 28;

/// The largest dense index `rows` interactions can justify when the count is derived from the
/// data: twice as many ids as rows, plus 2²⁰ of slack for small files with gaps. Beyond it most
/// indices would be empty rows, which is a mistake (or an attack), not data.
pub fn dense_limit(rows: usize) -> u64 {
    (2 * rows as u64 + (1 << 20)).min(MAX_ENTITIES as u64)
}

/// Refuses a derived dense index beyond [`dense_limit`], naming the field and the option
/// (`count`, e.g. `numUsers`) that states the count instead.
pub fn check_dense(field: &str, count: &str, max_id: u32, rows: usize) -> Result<()> {
    let limit = dense_limit(rows);
    if max_id as u64 >= limit {
        let entity = count;
        return Err(NcfError::invalid(
            field,
            format!(
                "index {max_id} is more than {rows} interactions can use (at most {limit} distinct ids); \
                 pass {entity} to state the count, or re-index the ids densely"
            ),
        ));
    }
    Ok(())
}

impl Dataset {
    /// A CRC-32C of the interactions (sizes, training pairs and ratings, test and validation
    /// cases), as 8 hex digits: what a checkpoint stores so that it resumes only on the data
    /// it was written on, not on another dataset of the same shape.
    pub fn fingerprint(&self) -> String {
        let mut crc = crc32c::crc32c(&[self.num_users.to_le_bytes(), self.num_items.to_le_bytes()].concat());
        let mut add = |words: &[u32]| crc = crc32c::crc32c_append(crc, bytemuck::cast_slice(words));
        add(&self.train.row_ptr);
        add(&self.train.cols);
        if let Some(r) = &self.train_ratings {
            add(bytemuck::cast_slice(r));
        }
        for t in [&self.test, &self.validation].into_iter().flatten() {
            add(&[t.users.len() as u32, t.per_case]);
            add(&t.users);
            add(&t.candidates);
            if let Some(r) = &t.ratings {
                add(bytemuck::cast_slice(r));
            }
        }
        format!("{crc:08x}")
    }

    /// The held-out test cases, or the one error every evaluation gives without them.
    pub fn test_cases(&self) -> Result<&TestSet> {
        self.test.as_ref().ok_or_else(|| {
            NcfError::Data(
                "the dataset has no test set: load it with its test file (testNegative for the NCF format), or split it".into(),
            )
        })
    }

    /// Builds a dataset from validated pairs. `num_users`/`num_items`, when given, must exceed
    /// every id; otherwise they are `max id + 1` over train and test.
    pub fn from_pairs(
        users: &[u32],
        items: &[u32],
        timestamps: Option<&[i64]>,
        test: Option<TestSet>,
        num_users: Option<u32>,
        num_items: Option<u32>,
    ) -> Result<Dataset> {
        Dataset::from_pairs_kept(users, items, timestamps, test, num_users, num_items).map(|(d, _)| d)
    }

    /// As [`Dataset::from_pairs`], also returning for each training positive (CSR order) the
    /// index of the input pair it came from, for per-pair values to follow. It is not kept in
    /// the dataset: at Netflix size it would hold 400 MB for nothing.
    fn from_pairs_kept(
        users: &[u32],
        items: &[u32],
        timestamps: Option<&[i64]>,
        test: Option<TestSet>,
        num_users: Option<u32>,
        num_items: Option<u32>,
    ) -> Result<(Dataset, Vec<u32>)> {
        if users.is_empty() {
            return Err(NcfError::Data("the training data is empty: no interactions".into()));
        }
        if users.len() != items.len() {
            return Err(NcfError::invalid(
                "items",
                format!("has {} entries but users has {}", items.len(), users.len()),
            ));
        }
        let max_user = users.iter().copied().max().unwrap_or(0);
        let max_item = items.iter().copied().max().unwrap_or(0);
        let (mut tu, mut ti) = (0u32, 0u32);
        if let Some(t) = &test {
            tu = t.users.iter().copied().max().unwrap_or(0);
            ti = t.candidates.iter().copied().max().unwrap_or(0);
        }
        // An explicit count must exceed every id in train and test; a derived one must be one
        // the data can justify (one index of 2³¹−1 allocated tables of 2³¹ rows).
        let rows = users.len() + test.as_ref().map_or(0, |t| t.candidates.len());
        let count = |field: &str, given: Option<u32>, max_id: u32| -> Result<u32> {
            match given {
                Some(n) if n == 0 || max_id >= n => {
                    Err(NcfError::invalid(field, format!("{n} is too small: the data holds id {max_id}")))
                }
                Some(n) if n > MAX_ENTITIES => {
                    Err(NcfError::invalid(field, format!("{n} is more than the {MAX_ENTITIES} a dataset holds")))
                }
                Some(n) => Ok(n),
                None => {
                    let array = if field == "numUsers" { "users" } else { "items" };
                    check_dense(array, field, max_id, rows).map(|()| max_id + 1)
                }
            }
        };
        let num_users = count("numUsers", num_users, max_user.max(tu))?;
        let num_items = count("numItems", num_items, max_item.max(ti))?;
        let (train, kept) = Csr::from_pairs_indexed(num_users, users, items, timestamps);
        let train_timestamps = timestamps.map(|t| kept.iter().map(|&k| t[k as usize]).collect());
        let duplicates_removed = users.len() - train.nnz();
        let train_users = train.row_owners();
        let d = Dataset {
            num_users,
            num_items,
            train,
            train_users,
            train_timestamps,
            train_ratings: None,
            test,
            validation: None,
            duplicates_removed,
        };
        Ok((d, kept))
    }

    /// A dataset from rows already in CSR form (what a generator at scale builds directly,
    /// without the pairs' 8 bytes an interaction): every row strictly increasing, every item
    /// below `num_items`, test users and candidates in range.
    pub fn from_csr(num_users: u32, num_items: u32, train: Csr, test: Option<TestSet>) -> Result<Dataset> {
        if num_users == 0 || num_users > MAX_ENTITIES || num_items == 0 || num_items > MAX_ENTITIES {
            return Err(NcfError::invalid(
                "numUsers/numItems",
                format!("{num_users} × {num_items}: each must be 1 to {MAX_ENTITIES}"),
            ));
        }
        if train.row_ptr.len() != num_users as usize + 1
            || train.row_ptr.first() != Some(&0)
            || *train.row_ptr.last().unwrap_or(&0) as usize != train.cols.len()
            || train.row_ptr.windows(2).any(|w| w[0] > w[1])
        {
            return Err(NcfError::invalid("train", "row offsets do not describe the columns"));
        }
        if train.cols.is_empty() {
            return Err(NcfError::Data("the training data is empty: no interactions".into()));
        }
        for u in 0..num_users {
            let row = train.row(u);
            if row.windows(2).any(|w| w[0] >= w[1]) || row.last().is_some_and(|&i| i >= num_items) {
                return Err(NcfError::UserData {
                    user: u,
                    message: format!("row is not strictly increasing items below {num_items}"),
                });
            }
        }
        if let Some(t) = &test
            && (t.users.iter().any(|&u| u >= num_users)
                || t.candidates.iter().any(|&i| i >= num_items)
                || t.candidates.len() != t.users.len() * t.per_case as usize)
        {
            return Err(NcfError::invalid("test", "cases out of range or of the wrong length"));
        }
        let train_users = train.row_owners();
        Ok(Dataset {
            num_users,
            num_items,
            train,
            train_users,
            train_timestamps: None,
            train_ratings: None,
            test,
            validation: None,
            duplicates_removed: 0,
        })
    }

    /// As [`Dataset::from_pairs`], keeping each pair's rating (a duplicate keeps the rating of
    /// its latest occurrence).
    pub fn from_pairs_rated(
        users: &[u32],
        items: &[u32],
        timestamps: Option<&[i64]>,
        ratings: Option<&[f32]>,
        test: Option<TestSet>,
        num_users: Option<u32>,
        num_items: Option<u32>,
    ) -> Result<Dataset> {
        let (mut d, kept) = Dataset::from_pairs_kept(users, items, timestamps, test, num_users, num_items)?;
        if let Some(r) = ratings {
            if r.len() != users.len() {
                return Err(NcfError::invalid(
                    "ratings",
                    format!("has {} entries but users has {}", r.len(), users.len()),
                ));
            }
            if let Some(k) = r.iter().position(|x| !x.is_finite()) {
                return Err(NcfError::invalid(
                    format!("ratings[{k}]"),
                    format!("must be a finite number, got {}", r[k]),
                ));
            }
            d.train_ratings = Some(kept.iter().map(|&k| r[k as usize]).collect());
        }
        Ok(d)
    }

    /// The training ratings as cases (one per rated positive, no negatives), for the training
    /// RMSE / MAE / R² of rating models; `None` without ratings.
    pub fn train_cases(&self) -> Option<TestSet> {
        let r = self.train_ratings.as_ref()?;
        Some(TestSet {
            users: self.train_users.clone(),
            per_case: 1,
            candidates: self.train.cols.clone(),
            ratings: Some(r.clone()),
        })
    }

    /// Mean training rating (the global mean μ of rating models), when the data has ratings.
    pub fn mean_rating(&self) -> Option<f32> {
        let r = self.train_ratings.as_ref()?;
        (!r.is_empty()).then(|| (r.iter().map(|&x| x as f64).sum::<f64>() / r.len() as f64) as f32)
    }

    pub fn num_interactions(&self) -> usize {
        self.train.nnz()
    }

    /// Fails when some user has interacted with every item (no negative can be drawn) or has
    /// no item left to sample.
    pub fn check_sampleable(&self) -> Result<()> {
        for u in 0..self.num_users {
            let deg = self.train.row(u).len() as u32;
            if deg > 0 && deg >= self.num_items {
                return Err(NcfError::UserData {
                    user: u,
                    message: format!(
                        "has interacted with all {} items, so no negative item can be sampled for it",
                        self.num_items
                    ),
                });
            }
        }
        Ok(())
    }

    /// Every interaction the dataset knows, per user: training positives plus the held-out
    /// positives of its test and validation cases. What a served model must not recommend
    /// again (`excludeSeen`).
    pub fn known_interactions(&self) -> Csr {
        // The held-out positives, merged into each user's sorted row: memory for the result
        // only (going through pairs took 2 GB on the way at Netflix size).
        let mut extra: Vec<(u32, u32)> = [&self.test, &self.validation]
            .into_iter()
            .flatten()
            .flat_map(|t| (0..t.len()).map(move |c| (t.users[c], t.positive(c))))
            .collect();
        if extra.is_empty() {
            return self.train.clone();
        }
        extra.sort_unstable();
        extra.dedup();
        let mut row_ptr = Vec::with_capacity(self.num_users as usize + 1);
        row_ptr.push(0u32);
        let mut cols = Vec::with_capacity(self.train.nnz() + extra.len());
        let mut next = extra.iter().peekable();
        for u in 0..self.num_users {
            let mut held: Vec<u32> = Vec::new();
            while let Some(&&(_, i)) = next.peek().filter(|e| e.0 == u) {
                held.push(i);
                next.next();
            }
            let row = self.train.row(u);
            let (mut a, mut b) = (0, 0);
            while a < row.len() || b < held.len() {
                let take_row = b == held.len() || (a < row.len() && row[a] <= held[b]);
                let item = if take_row { row[a] } else { held[b] };
                if take_row {
                    a += 1;
                    if b < held.len() && held[b] == item {
                        b += 1;
                    }
                } else {
                    b += 1;
                }
                cols.push(item);
            }
            row_ptr.push(cols.len() as u32);
        }
        Csr { row_ptr, cols }
    }

    /// Item popularity (training counts), the ItemPop baseline's scores.
    pub fn item_counts(&self) -> Vec<u32> {
        let mut c = vec![0u32; self.num_items as usize];
        for &i in &self.train.cols {
            c[i as usize] += 1;
        }
        c
    }
}

#[cfg(test)]
#[path = "dataset_tests.rs"]
mod tests;
