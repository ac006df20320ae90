//! Side features encoded for a model: every feature column becomes a *slot*, and every user or
//! item a weighted bag of rows of that slot's table, so one gather/scatter rule serves all
//! kinds (the anime studies' NCF with genre, type and episodes):
//! - categorical: one row with weight 1 (row 0 is "missing or unseen");
//! - multi-valued: each value's row with weight 1/n, the mean of their embeddings (an empty
//!   list is an empty bag: the zero vector);
//! - numeric: all numeric columns share one slot whose table is a projection matrix, one row
//!   per column, weighted by the standardised value (a missing value contributes 0, the
//!   training mean). Statistics come from the rows of the entities the model knows.
//!
//! A slot's vector is `Σ w · T[row]`; the vectors of all slots join the MLP tower's input.
//! In the GMF branch (an option) each slot has a second table as wide as the GMF embeddings,
//! and the sum of the slot vectors is added to the user's or item's embedding (p_u + Σ_s v_s,
//! the feature-augmented factors of SVDFeature, Chen et al. JMLR 2012).

use std::collections::{BTreeSet, HashMap};

use crate::error::{NcfError, Result};
use crate::features::{FeatureKind, FeatureValue, RawFeatures};
use crate::raw::IdEncoder;

/// One slot: a table of `rows × dim` embeddings and how values map to its rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// The column name (numeric columns share the slot named `numeric`).
    pub name: String,
    pub kind: FeatureKind,
    pub dim: u32,
    /// Categorical and multi: the values in sorted order. Numeric: the column names.
    pub vocab: Vec<String>,
    /// Numeric: mean and standard deviation of each column over the known entities.
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Slot {
    /// Rows of the slot's table (categorical keeps row 0 for missing or unseen values).
    pub fn table_rows(&self) -> u32 {
        match self.kind {
            FeatureKind::Categorical => self.vocab.len() as u32 + 1,
            FeatureKind::Multi | FeatureKind::Numeric => self.vocab.len() as u32,
        }
    }
}

/// A weighted bag of table rows per (entity, slot), as CSR.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bags {
    /// Bag `(entity r, slot s)` is `rows[ptr[r·S + s] .. ptr[r·S + s + 1]]` with `weights`.
    pub ptr: Vec<u32>,
    pub rows: Vec<u32>,
    pub weights: Vec<f32>,
}

/// The side features of users or items, encoded against the model's id encoder.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSet {
    pub slots: Vec<Slot>,
    pub bags: Bags,
    /// Entities (users or items) covered, in the encoder's index order.
    pub entities: u32,
}

/// Column index and kind of each raw column, grouped into slots (numeric columns last, as one).
fn slot_plan(raw: &RawFeatures) -> Vec<(String, FeatureKind, Vec<usize>)> {
    let mut plan: Vec<(String, FeatureKind, Vec<usize>)> = Vec::new();
    let mut numeric = Vec::new();
    for (c, (name, kind)) in raw.names.iter().zip(&raw.kinds).enumerate() {
        match kind {
            FeatureKind::Numeric => numeric.push(c),
            k => plan.push((name.clone(), *k, vec![c])),
        }
    }
    if !numeric.is_empty() {
        plan.push(("numeric".into(), FeatureKind::Numeric, numeric));
    }
    plan
}

impl FeatureSet {
    /// Encodes `raw` for the entities of `ids` (rows of ids the encoder does not know are left
    /// out; entities without a row get missing values), each slot `dim` wide.
    pub fn build(raw: &RawFeatures, ids: &IdEncoder, dim: u32) -> Result<FeatureSet> {
        if dim == 0 || dim > 1024 {
            return Err(NcfError::invalid("featureDim", format!("must be in 1..=1024, got {dim}")));
        }
        if raw.names.is_empty() {
            return Err(NcfError::invalid("features", "the table has no feature column"));
        }
        // The table's row for each entity, if any.
        let index: HashMap<&str, usize> = raw.ids.iter().enumerate().map(|(k, id)| (id.as_str(), k)).collect();
        let row_of: Vec<Option<&Vec<FeatureValue>>> =
            ids.ids().iter().map(|id| index.get(id.as_str()).map(|&k| &raw.rows[k])).collect();
        let mut slots = Vec::new();
        for (name, kind, cols) in slot_plan(raw) {
            let mut slot = Slot { name, kind, dim, vocab: Vec::new(), mean: Vec::new(), std: Vec::new() };
            match kind {
                FeatureKind::Categorical | FeatureKind::Multi => {
                    let mut vocab = BTreeSet::new();
                    for row in row_of.iter().flatten() {
                        match &row[cols[0]] {
                            FeatureValue::Categorical(Some(v)) => {
                                vocab.insert(v.clone());
                            }
                            FeatureValue::Multi(list) => vocab.extend(list.iter().cloned()),
                            _ => {}
                        }
                    }
                    slot.vocab = vocab.into_iter().collect();
                }
                FeatureKind::Numeric => {
                    for &c in &cols {
                        let xs: Vec<f64> = row_of
                            .iter()
                            .flatten()
                            .filter_map(|row| match row[c] {
                                FeatureValue::Numeric(Some(x)) => Some(x as f64),
                                _ => None,
                            })
                            .collect();
                        let n = xs.len().max(1) as f64;
                        let mean = xs.iter().sum::<f64>() / n;
                        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
                        slot.vocab.push(raw.names[c].clone());
                        slot.mean.push(mean as f32);
                        // A constant column carries no signal; std 1 keeps it finite (value 0).
                        slot.std.push(if var > 0.0 { var.sqrt() as f32 } else { 1.0 });
                    }
                }
            }
            slots.push((slot, cols));
        }
        let mut set = FeatureSet {
            slots: slots.iter().map(|s| s.0.clone()).collect(),
            bags: Bags { ptr: vec![0], ..Default::default() },
            entities: ids.len() as u32,
        };
        for row in &row_of {
            for (s, (_, cols)) in set.slots.clone().iter().zip(&slots) {
                let values: Vec<FeatureValue> = match row {
                    Some(r) => cols.iter().map(|&c| r[c].clone()).collect(),
                    None => Vec::new(),
                };
                let (rows, weights) = set.bag_of(s, &values);
                set.bags.rows.extend(rows);
                set.bags.weights.extend(weights);
                set.bags.ptr.push(set.bags.rows.len() as u32);
            }
        }
        Ok(set)
    }

    /// The bag of one slot for the given column values (empty: all missing). Unseen
    /// categories go to the missing row; unseen multi values are dropped.
    pub(super) fn bag_of(&self, slot: &Slot, values: &[FeatureValue]) -> (Vec<u32>, Vec<f32>) {
        let find = |v: &str| slot.vocab.binary_search_by(|x| x.as_str().cmp(v)).ok();
        match slot.kind {
            FeatureKind::Categorical => {
                let row = match values.first() {
                    Some(FeatureValue::Categorical(Some(v))) => find(v).map_or(0, |k| k as u32 + 1),
                    _ => 0,
                };
                (vec![row], vec![1.0])
            }
            FeatureKind::Multi => {
                let mut known: Vec<u32> = match values.first() {
                    Some(FeatureValue::Multi(list)) => list.iter().filter_map(|v| find(v)).map(|k| k as u32).collect(),
                    _ => Vec::new(),
                };
                // In row order, and a value listed twice counts once.
                known.sort_unstable();
                known.dedup();
                let w = 1.0 / known.len().max(1) as f32;
                let n = known.len();
                (known, vec![w; n])
            }
            FeatureKind::Numeric => {
                let (mut rows, mut weights) = (Vec::new(), Vec::new());
                for (j, v) in values.iter().enumerate() {
                    if let FeatureValue::Numeric(Some(x)) = v {
                        rows.push(j as u32);
                        weights.push((x - slot.mean[j]) / slot.std[j]);
                    }
                }
                (rows, weights)
            }
        }
    }

    /// Checks that the bags index the slot tables (for sets read from files).
    pub fn check(&self) -> std::result::Result<(), String> {
        let (b, n) = (&self.bags, self.slots.len());
        if b.ptr.len() != self.entities as usize * n + 1 || b.ptr.first() != Some(&0) {
            return Err(format!("{} row pointers for {} entities × {n} slots", b.ptr.len(), self.entities));
        }
        if b.rows.len() != b.weights.len() || *b.ptr.last().unwrap_or(&0) as usize != b.rows.len() {
            return Err("row pointers, rows and weights disagree".into());
        }
        for (k, w) in b.ptr.windows(2).enumerate() {
            if w[0] > w[1] {
                return Err(format!("row pointers decrease at bag {k}"));
            }
            let slot = &self.slots[k % n];
            for j in w[0] as usize..w[1] as usize {
                if b.rows[j] >= slot.table_rows() || !b.weights[j].is_finite() {
                    return Err(format!(
                        "bag {k} holds row {} (weight {}) of a {}-row table",
                        b.rows[j],
                        b.weights[j],
                        slot.table_rows()
                    ));
                }
            }
        }
        Ok(())
    }

    /// Total width of the slots' vectors (what joins the tower input).
    pub fn width(&self) -> u32 {
        self.slots.iter().map(|s| s.dim).sum()
    }

    /// Parameters of all slot tables.
    pub fn table_len(&self) -> usize {
        self.slots.iter().map(|s| s.table_rows() as usize * s.dim as usize).sum()
    }

    /// Per slot, where its table starts inside the side's tables and where its vector starts
    /// inside the side's part of the tower input.
    pub fn slot_offsets(&self) -> Vec<(usize, usize)> {
        let (mut table, mut x) = (0usize, 0usize);
        self.slots
            .iter()
            .map(|s| {
                let at = (table, x);
                table += s.table_rows() as usize * s.dim as usize;
                x += s.dim as usize;
                at
            })
            .collect()
    }

    /// Adds the slot vectors of entity `r` (`Σ w · T[row]` per slot) into `out` (the side's
    /// `width()` inputs), reading the tables from `tables`.
    pub fn gather(&self, r: u32, tables: &[f32], out: &mut [f32]) {
        for (s, (slot, (t0, x0))) in self.slots.iter().zip(self.slot_offsets()).enumerate() {
            let d = slot.dim as usize;
            let (rows, weights) = self.bag(r, s);
            for (&row, &w) in rows.iter().zip(weights) {
                let src = &tables[t0 + row as usize * d..][..d];
                for k in 0..d {
                    out[x0 + k] += w * src[k];
                }
            }
        }
    }

    /// The transpose of [`FeatureSet::gather`]: adds `w · dx` into each bag row's gradient.
    pub fn scatter(&self, r: u32, dx: &[f32], grads: &mut [f32]) {
        for (s, (slot, (t0, x0))) in self.slots.iter().zip(self.slot_offsets()).enumerate() {
            let d = slot.dim as usize;
            let (rows, weights) = self.bag(r, s);
            for (&row, &w) in rows.iter().zip(weights) {
                let dst = &mut grads[t0 + row as usize * d..][..d];
                for k in 0..d {
                    dst[k] += w * dx[x0 + k];
                }
            }
        }
    }

    /// Rows of all slot tables together.
    pub fn total_rows(&self) -> u32 {
        self.slots.iter().map(|s| s.table_rows()).sum()
    }

    /// Per slot, its first row among [`FeatureSet::total_rows`] (the GMF-branch tables stack
    /// every slot's rows, each `factors` wide).
    pub fn row_bases(&self) -> Vec<u32> {
        let mut base = 0;
        self.slots
            .iter()
            .map(|s| {
                let at = base;
                base += s.table_rows();
                at
            })
            .collect()
    }

    /// The GMF-branch offset of entity `r`: adds `Σ_slots Σ w · G[row]` (rows of `width`, one
    /// stacked table over all slots) into `out` (`width` values).
    pub fn gather_sum(&self, r: u32, tables: &[f32], width: usize, out: &mut [f32]) {
        for (s, base) in self.row_bases().into_iter().enumerate() {
            let (rows, weights) = self.bag(r, s);
            for (&row, &w) in rows.iter().zip(weights) {
                let src = &tables[(base + row) as usize * width..][..width];
                for k in 0..width {
                    out[k] += w * src[k];
                }
            }
        }
    }

    /// The transpose of [`FeatureSet::gather_sum`]: adds `w · dx` into each bag row's gradient.
    pub fn scatter_sum(&self, r: u32, dx: &[f32], width: usize, grads: &mut [f32]) {
        for (s, base) in self.row_bases().into_iter().enumerate() {
            let (rows, weights) = self.bag(r, s);
            for (&row, &w) in rows.iter().zip(weights) {
                let dst = &mut grads[(base + row) as usize * width..][..width];
                for k in 0..width {
                    dst[k] += w * dx[k];
                }
            }
        }
    }

    /// The bag of entity `r` in slot `s`: `(table rows, weights)`.
    pub fn bag(&self, r: u32, s: usize) -> (&[u32], &[f32]) {
        let k = r as usize * self.slots.len() + s;
        let (a, b) = (self.bags.ptr[k] as usize, self.bags.ptr[k + 1] as usize);
        (&self.bags.rows[a..b], &self.bags.weights[a..b])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn raw() -> RawFeatures {
        use FeatureValue::*;
        let s = |x: &str| x.to_string();
        RawFeatures {
            names: vec![s("genre"), s("episodes"), s("type"), s("score")],
            kinds: vec![FeatureKind::Multi, FeatureKind::Numeric, FeatureKind::Categorical, FeatureKind::Numeric],
            ids: vec![s("a"), s("b"), s("c"), s("zz")],
            rows: vec![
                vec![
                    Multi(vec![s("Drama"), s("Comedy")]),
                    Numeric(Some(10.0)),
                    Categorical(Some(s("TV"))),
                    Numeric(Some(7.0)),
                ],
                vec![Multi(vec![]), Numeric(None), Categorical(None), Numeric(Some(7.0))],
                vec![Multi(vec![s("Action")]), Numeric(Some(30.0)), Categorical(Some(s("Movie"))), Numeric(Some(7.0))],
                // An id the model does not know: left out, and its values do not count.
                vec![Multi(vec![s("Horror")]), Numeric(Some(1e6)), Categorical(Some(s("OVA"))), Numeric(None)],
            ],
        }
    }

    #[test]
    fn slots_vocabularies_statistics_and_bags() {
        // Entities in index order: a, b, c, d (d has no row).
        let ids = IdEncoder::from_ids(["a", "b", "c", "d"].map(String::from).to_vec()).unwrap();
        let f = FeatureSet::build(&raw(), &ids, 4).unwrap();
        let names: Vec<&str> = f.slots.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["genre", "type", "numeric"], "numeric columns share the last slot");
        assert_eq!(f.slots[0].vocab, ["Action", "Comedy", "Drama"], "Horror belongs to an unknown id");
        assert_eq!(f.slots[1].table_rows(), 3, "TV, Movie and the missing row");
        assert_eq!(f.slots[2].vocab, ["episodes", "score"]);
        assert_eq!((f.slots[2].mean[0], f.slots[2].std[0]), (20.0, 10.0), "over a and c only");
        assert_eq!(f.slots[2].std[1], 1.0, "a constant column keeps std 1");
        assert_eq!((f.width(), f.table_len()), (12, (3 + 3 + 2) * 4));
        assert_eq!(f.bag(0, 0), (&[1, 2][..], &[0.5, 0.5][..]), "mean of Comedy and Drama");
        assert_eq!(f.bag(0, 1), (&[2][..], &[1.0][..]), "TV is row 2 (Movie 1, missing 0)");
        assert_eq!(f.bag(0, 2), (&[0, 1][..], &[-1.0, 0.0][..]), "standardised episodes and score");
        assert_eq!(f.bag(1, 0), (&[][..], &[][..]), "an empty genre list is the zero vector");
        assert_eq!(f.bag(1, 1), (&[0][..], &[1.0][..]), "a missing type is the missing row");
        assert_eq!(f.bag(1, 2), (&[1][..], &[0.0][..]), "missing episodes contribute nothing");
        for s in 0..3 {
            let (rows, _) = f.bag(3, s);
            assert!(rows.len() <= 1, "d has no row: missing everywhere");
        }
        assert_eq!(f.bag(3, 1), (&[0][..], &[1.0][..]));
    }
}
