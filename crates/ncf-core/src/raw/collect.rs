//! Interactions gathered while a file streams. Ids are interned as they arrive, and duplicate
//! (user, item) pairs are folded away as the buffer grows ([`crate::data::fold`]), so a file
//! costs memory for its distinct pairs and ids only: a gzip of 268M copies of one row holds
//! one record, where it used to hold two strings per line.
//!
//! The implicit threshold is applied here, before folding: of a pair's occurrences only those
//! rated at least the threshold compete, so "rated 5 on Monday, 2 on Friday" with threshold 4
//! keeps Monday's interaction, as filtering the whole file first and de-duplicating after would.

use std::collections::HashMap;

use crate::data::dataset::MAX_ENTITIES;
pub(crate) use crate::data::fold::Record;
use crate::data::fold::{Pairs, TooManyPairs};

/// Distinct ids, numbered in first-seen order.
#[derive(Debug, Default)]
struct Interner {
    index: HashMap<Box<str>, u32>,
}

impl Interner {
    fn get(&mut self, id: &str) -> Option<u32> {
        if let Some(&k) = self.index.get(id) {
            return Some(k);
        }
        let k = self.index.len() as u32;
        if k >= MAX_ENTITIES {
            return None;
        }
        self.index.insert(id.into(), k);
        Some(k)
    }
    /// The ids by number; the map's strings move, nothing is copied.
    fn into_ids(self) -> Vec<String> {
        let mut ids = vec![String::new(); self.index.len()];
        for (id, k) in self.index {
            ids[k as usize] = id.into();
        }
        ids
    }
}

/// Why a record could not be taken; the reader adds the file and line.
#[derive(Debug, PartialEq)]
pub(crate) enum Refused {
    /// More distinct ids than a dataset holds, on this side.
    TooManyIds(&'static str),
    /// More distinct pairs than 32-bit row offsets address.
    TooManyPairs,
}

impl Refused {
    pub(crate) fn message(&self) -> String {
        match self {
            Refused::TooManyIds(side) => {
                format!("more than {MAX_ENTITIES} distinct {side} ids, the most a dataset holds")
            }
            Refused::TooManyPairs => TooManyPairs.to_string(),
        }
    }
}

/// The streaming side of [`RawInteractions`]: push records, then [`Collector::finish`].
#[derive(Debug)]
pub(crate) struct Collector {
    threshold: Option<f32>,
    users: Interner,
    items: Interner,
    pairs: Pairs,
    /// Records given, including those below the threshold.
    pub given: u64,
}

impl Collector {
    pub(crate) fn new(threshold: Option<f32>) -> Self {
        Collector {
            threshold,
            users: Interner::default(),
            items: Interner::default(),
            pairs: Pairs::default(),
            given: 0,
        }
    }

    /// Takes one interaction (`rating` 0 and `ts` 0 when the input has none). Below the
    /// threshold it is counted and dropped, its ids not interned: an id whose every
    /// interaction is below the threshold gets no row.
    pub(crate) fn push(&mut self, user: &str, item: &str, rating: f32, ts: i64) -> Result<(), Refused> {
        self.given += 1;
        if self.threshold.is_some_and(|t| rating < t) {
            return Ok(());
        }
        let user = self.users.get(user).ok_or(Refused::TooManyIds("user"))?;
        let item = self.items.get(item).ok_or(Refused::TooManyIds("item"))?;
        self.pairs.push(user, item, rating, ts).map_err(|TooManyPairs| Refused::TooManyPairs)
    }

    pub(crate) fn finish(self, ratings: bool, timestamps: bool) -> RawInteractions {
        let (records, duplicates, peak_records) = self.pairs.finish();
        RawInteractions {
            user_ids: self.users.into_ids(),
            item_ids: self.items.into_ids(),
            records,
            has_ratings: ratings,
            has_timestamps: timestamps,
            duplicates,
            given: self.given,
            peak_records,
        }
    }
}

/// Interactions with the file's own ids: one per distinct (user, item) pair, sorted by the
/// pair in first-seen id order. Built by [`super::read()`] or [`super::from_id_arrays`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawInteractions {
    pub(crate) user_ids: Vec<String>,
    pub(crate) item_ids: Vec<String>,
    pub(crate) records: Vec<Record>,
    pub(crate) has_ratings: bool,
    pub(crate) has_timestamps: bool,
    pub(crate) duplicates: usize,
    pub(crate) given: u64,
    pub(crate) peak_records: usize,
}

impl RawInteractions {
    /// Distinct pairs kept.
    pub fn len(&self) -> usize {
        self.records.len()
    }
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    /// The user id of every kept pair.
    pub fn users(&self) -> Vec<&str> {
        self.records.iter().map(|r| self.user_ids[r.user as usize].as_str()).collect()
    }
    /// The item id of every kept pair.
    pub fn items(&self) -> Vec<&str> {
        self.records.iter().map(|r| self.item_ids[r.item as usize].as_str()).collect()
    }
    /// The rating of every kept pair (of its latest occurrence), when the input has ratings.
    pub fn ratings(&self) -> Option<Vec<f32>> {
        self.has_ratings.then(|| self.records.iter().map(|r| r.rating).collect())
    }
    /// The timestamp of every kept pair (its latest), when the input has timestamps.
    pub fn timestamps(&self) -> Option<Vec<i64>> {
        self.has_timestamps.then(|| self.records.iter().map(|r| r.ts).collect())
    }
    /// Occurrences folded into an earlier or later one of the same pair (above the threshold).
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }
    /// Records read, including duplicates and those below the threshold.
    pub fn given(&self) -> u64 {
        self.given
    }
    /// The most records held at once while reading: the reader's memory bound is that this
    /// stays within about twice the distinct pairs.
    pub fn peak_records(&self) -> usize {
        self.peak_records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_applies_before_folding() {
        let mut c = Collector::new(Some(4.0));
        c.push("a", "x", 5.0, 10).unwrap();
        c.push("a", "x", 2.0, 20).unwrap();
        c.push("b", "y", 1.0, 5).unwrap();
        let raw = c.finish(true, true);
        assert_eq!((raw.users(), raw.timestamps().unwrap()), (vec!["a"], vec![10]), "Monday's 5, not Friday's 2");
        assert_eq!(raw.user_ids, ["a"], "b rated below the threshold only: no id");
        assert_eq!((raw.duplicates(), raw.given()), (0, 3));
    }
}
