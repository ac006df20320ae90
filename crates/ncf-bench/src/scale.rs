//! The measurements at scale: synthetic data at ML-20M and Netflix size, the process's
//! peak memory, a dataset written out in the Netflix Prize format and read back.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use ncf_core::data::Dataset;
use ncf_core::data::scale::{ScaleConfig, synthetic_at_scale};
use ncf_core::raw::{Column, CsvSpec, Format, ReadLimits, read_with, to_dataset};

/// `VmHWM` (peak resident set) and `VmRSS` of this process, in MiB (Linux; 0 elsewhere).
pub fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

pub fn print_memory(when: &str) {
    let (peak, now) = memory_mib();
    println!("# memory {when}: peak RSS {peak:.0} MiB, RSS now {now:.0} MiB");
}

/// The dataset's own arrays in MiB: the compact CSR (offsets, columns, and ratings and
/// timestamps where held) and the per-interaction user column that sampling reads.
pub fn dataset_mib(d: &Dataset) -> (f64, f64) {
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    let csr = 4 * d.train.row_ptr.len()
        + 4 * d.train.cols.len()
        + d.train_ratings.as_ref().map_or(0, |r| 4 * r.len())
        + d.train_timestamps.as_ref().map_or(0, |t| 8 * t.len());
    (mib(csr), mib(4 * d.train_users.len()))
}

/// `--synthetic ml-20m|netflix [--interactions N] [--test-users N] [--seed S]`.
pub fn generate(
    size: &str,
    interactions: Option<u64>,
    test_users: Option<u32>,
    seed: u32,
) -> ncf_core::Result<Dataset> {
    let mut cfg = ScaleConfig::preset(size)?;
    cfg.seed = seed;
    if let Some(n) = interactions {
        cfg.interactions = n;
    }
    if let Some(t) = test_users {
        cfg.test_users = t;
    }
    let t0 = Instant::now();
    let d = synthetic_at_scale(&cfg)?;
    let per: Vec<usize> = {
        let mut p: Vec<usize> = (0..d.num_users).map(|u| d.train.row(u).len()).collect();
        p.sort_unstable();
        p
    };
    let mut counts = d.item_counts();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    println!(
        "# synthetic {size}: {} users × {} items, {} training interactions in {:.2} s; per user median {} max {}; \
         most popular item {:.2}% of interactions, top 10% of items {:.1}%",
        d.num_users,
        d.num_items,
        d.num_interactions(),
        t0.elapsed().as_secs_f64(),
        per[per.len() / 2],
        per[per.len() - 1],
        100.0 * counts[0] as f64 / d.num_interactions() as f64,
        100.0 * counts[..counts.len() / 10].iter().map(|&c| c as f64).sum::<f64>() / d.num_interactions() as f64,
    );
    Ok(d)
}

/// A seeded rating (1–5) and day (1999–2004) for a pair, the same in both formats.
fn rating_and_day(u: u32, i: u32) -> (u32, u32) {
    let h = ncf_core::rng::mix(u.wrapping_mul(0x9e37_79b9) ^ i);
    (1 + h % 5, (h >> 8) % 2190)
}

/// Writes the training interactions as one Netflix Prize `combined_data` file (`MovieID:`
/// then `CustomerID,Rating,Date` lines, ids from 1), with seeded ratings and dates.
pub fn write_netflix(d: &Dataset, path: &Path) -> std::io::Result<()> {
    let t0 = Instant::now();
    let mut by_item: Vec<Vec<u32>> = vec![Vec::new(); d.num_items as usize];
    for (k, &i) in d.train.cols.iter().enumerate() {
        by_item[i as usize].push(d.train_users[k]);
    }
    let mut w = BufWriter::with_capacity(1 << 22, std::fs::File::create(path)?);
    for (i, users) in by_item.iter().enumerate() {
        writeln!(w, "{}:", i + 1)?;
        for &u in users {
            let (rating, day) = rating_and_day(u, i as u32);
            let (y, doy) = (1999 + day / 365, day % 365);
            writeln!(w, "{},{},{y}-{:02}-{:02}", u + 1, rating, 1 + doy / 31 % 12, 1 + doy % 28)?;
        }
    }
    w.flush()?;
    report_written(path, d, t0)
}

/// Writes the training interactions as a CSV with a header, `user,item,rating,timestamp`
/// (string ids `u…` and `i…`, so the ids are interned as an application's would be).
pub fn write_csv(d: &Dataset, path: &Path) -> std::io::Result<()> {
    let t0 = Instant::now();
    let mut w = BufWriter::with_capacity(1 << 22, std::fs::File::create(path)?);
    writeln!(w, "user,item,rating,timestamp")?;
    for (k, &i) in d.train.cols.iter().enumerate() {
        let u = d.train_users[k];
        let (rating, day) = rating_and_day(u, i);
        writeln!(w, "u{u},i{i},{rating},{}", 915_148_800 + day as u64 * 86_400)?;
    }
    w.flush()?;
    report_written(path, d, t0)
}

fn report_written(path: &Path, d: &Dataset, t0: Instant) -> std::io::Result<()> {
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "# wrote {} ({} ratings, {:.0} MiB) in {:.1} s",
        path.display(),
        d.num_interactions(),
        bytes as f64 / (1 << 20) as f64,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `--read-netflix FILE` or `--read-csv FILE`: reads a file as `Dataset.fromFile` does and
/// reports the time, the dataset's arrays and the process's peak memory at each phase.
pub fn read_file(path: &Path, csv: bool) -> ncf_core::Result<Dataset> {
    let format = if csv {
        Format::Csv(CsvSpec {
            delimiter: b',',
            has_header: true,
            user: Column::Name("user".into()),
            item: Column::Name("item".into()),
            rating: Some(Column::Name("rating".into())),
            timestamp: Some(Column::Name("timestamp".into())),
        })
    } else {
        Format::Netflix
    };
    let t0 = Instant::now();
    let raw = read_with(path, &format, ReadLimits::default(), None)?;
    let read_s = t0.elapsed().as_secs_f64();
    print_memory(&format!("after reading {} ({} distinct pairs, {read_s:.1} s)", path.display(), raw.len()));
    let t1 = Instant::now();
    let (d, _, _) = to_dataset(raw)?;
    let (csr, users) = dataset_mib(&d);
    print_memory(&format!(
        "after building the dataset ({:.1} s): compact CSR with ratings and dates {csr:.0} MiB, user column {users:.0} MiB",
        t1.elapsed().as_secs_f64()
    ));
    Ok(d)
}
