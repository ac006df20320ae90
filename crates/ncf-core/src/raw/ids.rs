//! Dense indices for the caller's ids, in sorted id order (numeric when every id is an
//! integer), so the mapping does not depend on file order.

use std::collections::HashMap;

use crate::error::{NcfError, Result};

/// Dense indices for arbitrary string ids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdEncoder {
    ids: Vec<String>,
    index: HashMap<String, u32>,
}

impl IdEncoder {
    /// Indices in sorted id order: numeric order when every id is an integer, else byte order.
    pub fn build<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let mut unique: Vec<String> = ids.into_iter().map(str::to_string).collect();
        unique.sort_unstable();
        unique.dedup();
        IdEncoder::build_distinct(unique).0
    }

    /// As [`IdEncoder::build`] over ids known to be distinct, taking the strings rather than
    /// copying them; also returns where each given id went (`moved[k]` is the index of `ids[k]`).
    pub fn build_distinct(ids: Vec<String>) -> (Self, Vec<u32>) {
        let numeric: Option<Vec<i64>> = ids.iter().map(|s| s.parse::<i64>().ok()).collect();
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        match &numeric {
            // Numerically equal spellings ("7", "007") fall back to byte order.
            Some(v) => order
                .sort_unstable_by(|&a, &b| (v[a as usize], &ids[a as usize]).cmp(&(v[b as usize], &ids[b as usize]))),
            None => order.sort_unstable_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize])),
        }
        let mut moved = vec![0u32; ids.len()];
        for (rank, &k) in order.iter().enumerate() {
            moved[k as usize] = rank as u32;
        }
        let mut slots: Vec<Option<String>> = ids.into_iter().map(Some).collect();
        let sorted: Vec<String> = order.iter().map(|&k| slots[k as usize].take().expect("a permutation")).collect();
        let index = sorted.iter().enumerate().map(|(k, s)| (s.clone(), k as u32)).collect();
        (IdEncoder { ids: sorted, index }, moved)
    }
    pub fn from_ids(ids: Vec<String>) -> Result<Self> {
        let index: HashMap<String, u32> = ids.iter().enumerate().map(|(k, s)| (s.clone(), k as u32)).collect();
        if index.len() != ids.len() {
            return Err(NcfError::invalid("ids", "contain duplicates"));
        }
        Ok(IdEncoder { ids, index })
    }
    /// True when every id is an integer written canonically (`"42"`, not `"042"` or `"4.0"`)
    /// within ±2^53, so JavaScript can hand them back and forth as numbers without change.
    pub fn is_numeric(&self) -> bool {
        const SAFE: i64 = 1 << 53;
        self.ids.iter().all(|s| s.parse::<i64>().is_ok_and(|v| v.abs() <= SAFE && v.to_string() == *s))
    }
    pub fn encode(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }
    pub fn decode(&self, index: u32) -> Option<&str> {
        self.ids.get(index as usize).map(String::as_str)
    }
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Fails unless a dataset's `side` ids are the model's, in the same order.
pub fn check_same_ids(side: &str, model: &IdEncoder, data: &IdEncoder) -> Result<()> {
    if std::ptr::eq(model, data) || model.ids == data.ids {
        return Ok(());
    }
    let first = model.ids.iter().zip(&data.ids).position(|(a, b)| a != b).unwrap_or(model.len().min(data.len()));
    Err(NcfError::invalid(
        "data",
        format!(
            "its {side} ids differ from the model's ({} vs {} ids, first difference at index {first}): the model was \
             trained on other data. Build the dataset from the same interactions, or use a model fitted on it",
            data.len(),
            model.len()
        ),
    ))
}
