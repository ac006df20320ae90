//! Reading interaction files (CSV/TSV, MovieLens, Netflix, `.gz`) into the file's own ids,
//! streamed, every error naming `file:line` and the field.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::collect::{Collector, RawInteractions};
use super::progress::{PUBLISH_EVERY, ReadProgress};
use crate::error::{NcfError, Result};
use crate::input::{ReadLimits, open_input_counted, read_error};

/// A column by 0-based position or by header name.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    Index(usize),
    Name(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct CsvSpec {
    pub delimiter: u8,
    pub has_header: bool,
    pub user: Column,
    pub item: Column,
    pub rating: Option<Column>,
    pub timestamp: Option<Column>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Format {
    Csv(CsvSpec),
    /// `ratings.dat` (`::`) or `u.data` (tabs): user, item, rating, timestamp.
    MovieLens,
    /// Netflix Prize `combined_data_*.txt`.
    Netflix,
}

struct Sink<'a> {
    path: PathBuf,
    out: Collector,
    threshold: Option<f32>,
    has_rating: Option<bool>,
    has_ts: Option<bool>,
    /// Records at or above the threshold, reported to `progress` every [`PUBLISH_EVERY`].
    kept: u64,
    progress: Option<&'a ReadProgress>,
}

impl<'a> Sink<'a> {
    fn new(path: &Path, threshold: Option<f32>, progress: Option<&'a ReadProgress>) -> Self {
        Sink {
            path: path.to_path_buf(),
            out: Collector::new(threshold),
            threshold,
            has_rating: None,
            has_ts: None,
            kept: 0,
            progress,
        }
    }
    fn err(&self, line: u64, message: String) -> NcfError {
        NcfError::Parse { path: self.path.clone(), line: line as usize, message }
    }
    fn id(&self, line: u64, field: &str, v: &str) -> Result<()> {
        if v.trim().is_empty() {
            return Err(self.err(line, format!("{field} is empty")));
        }
        Ok(())
    }
    fn push(&mut self, line: u64, user: &str, item: &str, rating: Option<&str>, ts: Option<i64>) -> Result<()> {
        self.id(line, "user", user)?;
        self.id(line, "item", item)?;
        let rating = rating
            .map(|r| {
                r.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| self.err(line, format!("rating '{}' is not a number", r.trim())))
            })
            .transpose()?;
        for (seen, now, what) in
            [(&mut self.has_rating, rating.is_some(), "rating"), (&mut self.has_ts, ts.is_some(), "timestamp")]
        {
            match *seen {
                None => *seen = Some(now),
                Some(before) if before != now => {
                    return Err(NcfError::Parse {
                        path: self.path.clone(),
                        line: line as usize,
                        message: format!(
                            "has {} {what} where earlier lines {}",
                            if now { "a" } else { "no" },
                            if before { "had one" } else { "had none" }
                        ),
                    });
                }
                _ => {}
            }
        }
        if self.threshold.is_some() && rating.is_none() {
            return Err(NcfError::invalid(
                "threshold",
                format!("needs a rating column; {}:{line} has no rating", self.path.display()),
            ));
        }
        let rating = rating.unwrap_or(0.0);
        self.out.push(user.trim(), item.trim(), rating, ts.unwrap_or(0)).map_err(|r| NcfError::Limit {
            path: self.path.clone(),
            message: format!("line {line}: {}", r.message()),
        })?;
        // As the collector keeps them.
        if !self.threshold.is_some_and(|t| rating < t) {
            self.kept += 1;
        }
        if self.out.given.is_multiple_of(PUBLISH_EVERY)
            && let Some(p) = self.progress
        {
            p.set_interactions(self.kept);
        }
        Ok(())
    }
    fn finish(self) -> Result<RawInteractions> {
        if let Some(p) = self.progress {
            p.set_interactions(self.kept);
        }
        if self.out.given == 0 {
            return Err(NcfError::Data(format!("{}: no interactions", self.path.display())));
        }
        let raw = self.out.finish(self.has_rating == Some(true), self.has_ts == Some(true));
        if let (true, Some(t)) = (raw.is_empty(), self.threshold) {
            return Err(NcfError::Data(format!("{}: no interaction is rated at least {t}", self.path.display())));
        }
        Ok(raw)
    }
}

fn parse_ts(sink: &Sink, line: u64, v: &str) -> Result<i64> {
    let v = v.trim();
    v.parse::<i64>().map_err(|_| sink.err(line, format!("timestamp '{v}' is not an integer")))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` as seconds since the epoch (midnight UTC).
fn parse_date(sink: &Sink, line: u64, v: &str) -> Result<i64> {
    let bad = || sink.err(line, format!("date '{}' is not YYYY-MM-DD", v.trim()));
    let parts: Vec<&str> = v.trim().split('-').collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let n = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let (y, m, d) = (n(parts[0])?, n(parts[1])?, n(parts[2])?);
    // A real calendar day (2005-02-31 was accepted as 2005-03-03).
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days[m as usize - 1] {
        return Err(sink.err(line, format!("date '{}' is not a calendar day (YYYY-MM-DD)", v.trim())));
    }
    Ok(days_from_civil(y, m, d) * 86_400)
}

/// Reads one interaction file within the default [`ReadLimits`], keeping every interaction.
pub fn read(path: &Path, format: &Format) -> Result<RawInteractions> {
    read_with(path, format, ReadLimits::default(), None)
}

/// Reads one interaction file within `limits`. With `threshold`, only interactions rated at
/// least that count (the implicit conversion), applied before duplicates are folded.
pub fn read_with(path: &Path, format: &Format, limits: ReadLimits, threshold: Option<f32>) -> Result<RawInteractions> {
    read_with_progress(path, format, limits, threshold, None)
}

/// [`read_with`], reporting into `progress` as it streams: the file starts as the next file of
/// the load, then its bytes, lines and kept interactions grow (see [`ReadProgress`]). The phase
/// stays reading; the caller moves it on.
pub fn read_with_progress(
    path: &Path,
    format: &Format,
    limits: ReadLimits,
    threshold: Option<f32>,
    progress: Option<&ReadProgress>,
) -> Result<RawInteractions> {
    let counters = progress.map(|p| p.next_file());
    let mut sink = Sink::new(path, threshold, progress);
    let open = |p: &Path| open_input_counted(p, limits, counters);
    match format {
        Format::MovieLens => {
            for (k, line) in open(path)?.lines().enumerate() {
                let n = k as u64 + 1;
                let line = line.map_err(|e| read_error(path, n, e))?;
                if line.trim().is_empty() {
                    continue;
                }
                let f: Vec<&str> =
                    if line.contains("::") { line.split("::").collect() } else { line.split('\t').collect() };
                if !(2..=4).contains(&f.len()) {
                    return Err(
                        sink.err(n, format!("expected user, item[, rating[, timestamp]], got {} fields", f.len()))
                    );
                }
                let ts = f.get(3).map(|t| parse_ts(&sink, n, t)).transpose()?;
                sink.push(n, f[0], f[1], f.get(2).copied(), ts)?;
            }
        }
        Format::Netflix => {
            let mut movie: Option<String> = None;
            for (k, line) in open(path)?.lines().enumerate() {
                let n = k as u64 + 1;
                let line = line.map_err(|e| read_error(path, n, e))?;
                let t = line.trim();
                if t.is_empty() {
                    continue;
                }
                if let Some(id) = t.strip_suffix(':') {
                    sink.id(n, "MovieID", id)?;
                    movie = Some(id.trim().to_string());
                    continue;
                }
                let m =
                    movie.as_deref().ok_or_else(|| sink.err(n, "a rating line before any 'MovieID:' line".into()))?;
                let f: Vec<&str> = t.split(',').collect();
                if f.len() != 3 {
                    return Err(sink.err(n, format!("expected CustomerID,Rating,Date, got {} fields", f.len())));
                }
                let ts = parse_date(&sink, n, f[2])?;
                sink.push(n, f[0], m, Some(f[1]), Some(ts))?;
            }
        }
        Format::Csv(spec) => {
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(spec.delimiter)
                .has_headers(spec.has_header)
                .flexible(true)
                .trim(csv::Trim::All)
                .from_reader(open(path)?);
            let csv_error = |e: csv::Error| {
                let line = e.position().map_or(0, |p| p.line());
                if e.is_io_error() {
                    match e.into_kind() {
                        csv::ErrorKind::Io(e) => return read_error(path, line, e),
                        _ => unreachable!("is_io_error"),
                    }
                }
                NcfError::Parse {
                    path: path.to_path_buf(),
                    line: line as usize,
                    message: format!("malformed record: {e}"),
                }
            };
            let headers = if spec.has_header { Some(rdr.headers().map_err(csv_error)?.clone()) } else { None };
            let resolve = |c: &Column, field: &str| -> Result<usize> {
                match c {
                    Column::Index(i) => Ok(*i),
                    Column::Name(name) => {
                        headers.as_ref().and_then(|h| h.iter().position(|x| x == name)).ok_or_else(|| {
                            NcfError::invalid(
                                format!("columns.{field}"),
                                format!("no column named '{name}' in the header of {}", path.display()),
                            )
                        })
                    }
                }
            };
            let (cu, ci) = (resolve(&spec.user, "user")?, resolve(&spec.item, "item")?);
            let cr = spec.rating.as_ref().map(|c| resolve(c, "rating")).transpose()?;
            let ct = spec.timestamp.as_ref().map(|c| resolve(c, "timestamp")).transpose()?;
            for rec in rdr.records() {
                let rec = rec.map_err(csv_error)?;
                let n = rec.position().map_or(0, |p| p.line());
                // RFC 4180 lets a quoted field span lines; in an interaction file that is a
                // quote never closed, which would swallow the rest of the file as one id.
                if let Some(k) = rec.iter().position(|f| f.contains(['\n', '\r'])) {
                    return Err(sink.err(
                        n,
                        format!("field {} runs past the end of its line: a quote opened here is never closed", k + 1),
                    ));
                }
                if rec.iter().all(|f| f.is_empty()) {
                    continue;
                }
                let get = |c: usize, field: &str| {
                    rec.get(c).ok_or_else(|| {
                        sink.err(n, format!("has no column {c} ({field}); the record has {} fields", rec.len()))
                    })
                };
                let (user, item) = (get(cu, "user")?, get(ci, "item")?);
                let rating = cr.map(|c| get(c, "rating")).transpose()?;
                let ts = ct.map(|c| get(c, "timestamp").and_then(|t| parse_ts(&sink, n, t))).transpose()?;
                sink.push(n, user, item, rating, ts)?;
            }
        }
    }
    sink.finish()
}
