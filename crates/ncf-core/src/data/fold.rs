//! Interactions folded while they stream in: duplicate (user, item) pairs are removed each
//! time the buffer doubles, so reading a file costs memory for its distinct pairs, however
//! often a pair repeats (a gzip of 268M copies of one row was held whole). The rule
//! is the one `Csr::from_pairs_indexed` applies to what is left: of a pair's occurrences the
//! latest by timestamp wins, then the last in the input.

use rayon::slice::ParallelSliceMut;

/// The first fold happens at this many records; later ones when the buffer has doubled since.
pub const FIRST_FOLD: usize = 1 << 16;

/// One occurrence of a pair. `seq` orders occurrences with equal timestamps (the later in the
/// input wins); it fits the padding before `ts`, so a record is 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    pub user: u32,
    pub item: u32,
    pub rating: f32,
    seq: u32,
    pub ts: i64,
}

/// The buffer of records, folded as it grows.
#[derive(Clone, Debug)]
pub struct Pairs {
    records: Vec<Record>,
    next_fold: usize,
    peak: usize,
    duplicates: usize,
}

impl Default for Pairs {
    fn default() -> Self {
        Pairs { records: Vec::new(), next_fold: FIRST_FOLD, peak: 0, duplicates: 0 }
    }
}

/// More distinct pairs than 32-bit row offsets address.
#[derive(Debug, PartialEq)]
pub struct TooManyPairs;

impl std::fmt::Display for TooManyPairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} distinct (user, item) pairs", u32::MAX - 1)
    }
}

impl Pairs {
    pub fn push(&mut self, user: u32, item: u32, rating: f32, ts: i64) -> Result<(), TooManyPairs> {
        if self.records.len() >= self.next_fold {
            self.fold();
            if self.records.len() >= (u32::MAX - 1) as usize {
                return Err(TooManyPairs);
            }
        }
        // Survivors of a fold have seq 0; every record pushed after is later in the input.
        let seq = self.records.len() as u32;
        self.records.push(Record { user, item, rating, seq, ts });
        self.peak = self.peak.max(self.records.len());
        Ok(())
    }

    /// Keeps one record per pair, sorted by (user, item).
    fn fold(&mut self) {
        let recs = &mut self.records;
        recs.par_sort_unstable_by_key(|r| (r.user, r.item, r.ts, r.seq));
        let mut w = 0;
        for k in 0..recs.len() {
            let last_of_run = recs.get(k + 1).is_none_or(|n| (n.user, n.item) != (recs[k].user, recs[k].item));
            if last_of_run {
                recs[w] = Record { seq: 0, ..recs[k] };
                w += 1;
            }
        }
        self.duplicates += recs.len() - w;
        recs.truncate(w);
        self.next_fold = (2 * w).max(FIRST_FOLD);
    }

    /// The distinct pairs sorted by (user, item), the occurrences folded away, and the most
    /// records held at once (about twice the distinct pairs at most).
    pub fn finish(mut self) -> (Vec<Record>, usize, usize) {
        self.fold();
        self.records.shrink_to_fit();
        (self.records, self.duplicates, self.peak)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_the_latest_and_then_the_last_occurrence() {
        let mut p = Pairs::default();
        let n = 5 * FIRST_FOLD as i64;
        // Enough records to fold several times between occurrences of the same pair.
        for k in 0..n {
            p.push((k % 1000) as u32, (k % 7) as u32, (k % 5) as f32, k / 3).unwrap();
        }
        p.push(3, 3, 9.0, 1 << 40).unwrap();
        p.push(3, 3, 8.0, 1 << 40).unwrap();
        let (recs, dups, peak) = p.finish();
        assert_eq!(recs.len(), 7000, "1000 users × 7 items");
        assert_eq!(dups + recs.len(), n as usize + 2);
        assert!(recs.windows(2).all(|w| (w[0].user, w[0].item) < (w[1].user, w[1].item)), "sorted, distinct");
        let at = |u, i| recs.iter().find(|r| (r.user, r.item) == (u, i)).unwrap();
        assert_eq!(at(3, 3).rating, 8.0, "equal timestamps: the later in the input wins");
        // Any other pair keeps its latest occurrence: the largest k of the pair.
        let k = (0..n).rev().find(|k| (k % 1000, k % 7) == (5, 6)).unwrap();
        assert_eq!((at(5, 6).ts, at(5, 6).rating), (k / 3, (k % 5) as f32));
        assert!(peak <= 2 * FIRST_FOLD + 1, "{peak}");
    }
}
