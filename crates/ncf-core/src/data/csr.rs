//! Training positives as per-user sorted CSR rows.

/// Training positives of every user as a compressed sparse row matrix.
/// Row `u` is `cols[row_ptr[u]..row_ptr[u+1]]`, strictly increasing (duplicates removed).
#[derive(Clone, Debug, Default)]
pub struct Csr {
    pub row_ptr: Vec<u32>,
    pub cols: Vec<u32>,
}

impl Csr {
    /// Builds rows from unsorted `(user, item)` pairs; returns the matrix, the timestamps in
    /// CSR order (when given), and the number of duplicate pairs dropped. A duplicate keeps its
    /// latest timestamp.
    pub fn from_pairs(
        num_users: u32,
        users: &[u32],
        items: &[u32],
        timestamps: Option<&[i64]>,
    ) -> (Csr, Option<Vec<i64>>, usize) {
        let (csr, kept) = Csr::from_pairs_indexed(num_users, users, items, timestamps);
        let ts = timestamps.map(|t| kept.iter().map(|&k| t[k as usize]).collect());
        let dropped = users.len() - csr.cols.len();
        (csr, ts, dropped)
    }

    /// As [`Csr::from_pairs`], returning for every stored entry the input index it came from
    /// (of a run of duplicates, the latest by timestamp, then the last given), so per-pair
    /// values such as ratings can follow.
    pub fn from_pairs_indexed(
        num_users: u32,
        users: &[u32],
        items: &[u32],
        timestamps: Option<&[i64]>,
    ) -> (Csr, Vec<u32>) {
        let mut start = vec![0u32; num_users as usize + 1];
        for &u in users {
            start[u as usize + 1] += 1;
        }
        for u in 0..num_users as usize {
            start[u + 1] += start[u];
        }
        // Input indices grouped by user.
        let mut fill = start.clone();
        let mut order = vec![0u32; users.len()];
        for (k, &u) in users.iter().enumerate() {
            order[fill[u as usize] as usize] = k as u32;
            fill[u as usize] += 1;
        }
        let ts_of = |k: u32| timestamps.map_or(0, |t| t[k as usize]);
        let mut row_ptr = vec![0u32; num_users as usize + 1];
        let mut cols = Vec::with_capacity(users.len());
        let mut kept = Vec::with_capacity(users.len());
        for u in 0..num_users as usize {
            let row = &mut order[start[u] as usize..start[u + 1] as usize];
            // By item, then time, then input order, so the last of a run of duplicates is the
            // latest (the stable sort keeps input order among equal keys).
            row.sort_by_key(|&k| (items[k as usize], ts_of(k)));
            let row_start = cols.len();
            for &k in row.iter() {
                let item = items[k as usize];
                if cols.len() > row_start && cols.last() == Some(&item) {
                    *kept.last_mut().expect("aligned with cols") = k;
                    continue;
                }
                cols.push(item);
                kept.push(k);
            }
            row_ptr[u + 1] = cols.len() as u32;
        }
        (Csr { row_ptr, cols }, kept)
    }

    pub fn num_users(&self) -> u32 {
        self.row_ptr.len().saturating_sub(1) as u32
    }

    pub fn nnz(&self) -> usize {
        self.cols.len()
    }

    pub fn row(&self, u: u32) -> &[u32] {
        &self.cols[self.row_ptr[u as usize] as usize..self.row_ptr[u as usize + 1] as usize]
    }

    /// The user of every stored positive, in CSR order (`users[j]` owns `cols[j]`).
    pub fn row_owners(&self) -> Vec<u32> {
        let mut owners = Vec::with_capacity(self.cols.len());
        for u in 0..self.num_users() {
            let len = self.row_ptr[u as usize + 1] - self.row_ptr[u as usize];
            owners.extend(std::iter::repeat_n(u, len as usize));
        }
        owners
    }
}

/// True when the sorted `row` holds `item` (binary search, as on the GPU).
#[inline]
pub fn row_contains(row: &[u32], item: u32) -> bool {
    let (mut lo, mut hi) = (0usize, row.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if row[mid] < item {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo < row.len() && row[lo] == item
}
