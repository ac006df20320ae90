//! Reader for the text format of the original NCF code (`Data/` folder of He et al.):
//! `*.train.rating` / `*.test.rating` lines `user\titem[\trating[\ttimestamp]]` with 0-based ids,
//! and `*.test.negative` lines `(user,item)\tneg1\tneg2…`, one per test case, in the order of
//! `test.rating`.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::dataset::{Dataset, TestSet};
use crate::error::{NcfError, Result};

/// Paths of one NCF split.
#[derive(Clone, Debug, Default)]
pub struct NcfPaths {
    pub train: PathBuf,
    pub test_rating: Option<PathBuf>,
    pub test_negative: Option<PathBuf>,
}

fn parse_err(path: &Path, line: usize, message: impl Into<String>) -> NcfError {
    NcfError::Parse { path: path.to_path_buf(), line, message: message.into() }
}

fn parse_id(path: &Path, line: usize, field: &str, text: &str) -> Result<u32> {
    let t = text.trim();
    match t.parse::<i64>() {
        Ok(v) if v < 0 => Err(parse_err(path, line, format!("{field} id {v} is negative"))),
        Ok(v) if v > u32::MAX as i64 - 1 => Err(parse_err(path, line, format!("{field} id {v} is too large"))),
        Ok(v) => Ok(v as u32),
        Err(_) => Err(parse_err(path, line, format!("{field} id '{t}' is not an integer"))),
    }
}

/// Calls `f(line_no, line)` for every non-blank line (1-based numbering; `\r\n` tolerated).
fn for_each_line(path: &Path, mut f: impl FnMut(usize, &str) -> Result<()>) -> Result<()> {
    // Regular files only, and lines of bounded length (a file of NULs is not read whole).
    let mut reader = crate::input::open_input(path, crate::input::ReadLimits::default())?;
    let mut buf = String::new();
    let mut no = 0usize;
    loop {
        buf.clear();
        let n = reader.read_line(&mut buf).map_err(|source| match source.kind() {
            std::io::ErrorKind::InvalidData => parse_err(path, no + 1, "is not valid UTF-8 text"),
            _ => crate::input::read_error(path, no as u64 + 1, source),
        })?;
        if n == 0 {
            return Ok(());
        }
        no += 1;
        let line = buf.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        f(no, line)?;
    }
}

/// Interactions read from a `*.rating` file; `timestamps` is set when every line has one.
pub struct RatingFile {
    pub users: Vec<u32>,
    pub items: Vec<u32>,
    pub timestamps: Option<Vec<i64>>,
    /// Lines folded into another of the same pair (with [`Lines::Distinct`]).
    pub duplicates: usize,
    /// The most lines held at once while reading.
    pub held: usize,
}

/// How [`read_rating_file`] keeps lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// Every line, in file order: a `test.rating` file, whose line k is test case k.
    All,
    /// One line per (user, item) pair, folded while reading (the latest timestamp, then the
    /// last line wins), sorted by pair: a training file, whose memory then follows its
    /// distinct pairs rather than its lines.
    Distinct,
}

/// Reads a `*.rating` file.
pub fn read_rating_file(path: &Path, lines: Lines) -> Result<RatingFile> {
    let (mut users, mut items) = (Vec::new(), Vec::new());
    let mut timestamps = Vec::new();
    let mut pairs = super::fold::Pairs::default();
    let mut count = 0usize;
    let mut all_timed = true;
    let mut widest = [(0u32, 0usize); 2];
    for_each_line(path, |no, line| {
        let cols: Vec<&str> = line.split('\t').collect();
        if !(2..=4).contains(&cols.len()) {
            return Err(parse_err(
                path,
                no,
                format!("expected 2 to 4 tab-separated columns (user, item, rating, timestamp), found {}", cols.len()),
            ));
        }
        let (user, item) = (parse_id(path, no, "user", cols[0])?, parse_id(path, no, "item", cols[1])?);
        count += 1;
        for (w, id) in widest.iter_mut().zip([user, item]) {
            if id >= w.0 {
                *w = (id, no);
            }
        }
        if let Some(r) = cols.get(2)
            && r.trim().parse::<f64>().map(|v| !v.is_finite()).unwrap_or(true)
        {
            return Err(parse_err(path, no, format!("rating '{}' is not a finite number", r.trim())));
        }
        let ts = match cols.get(3) {
            Some(ts) => match ts.trim().parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => return Err(parse_err(path, no, format!("timestamp '{}' is not an integer", ts.trim()))),
            },
            None => None,
        };
        all_timed &= ts.is_some();
        match lines {
            Lines::All => {
                users.push(user);
                items.push(item);
                timestamps.extend(ts);
            }
            Lines::Distinct => pairs
                .push(user, item, 0.0, ts.unwrap_or(0))
                .map_err(|e| NcfError::Limit { path: path.to_path_buf(), message: format!("line {no}: {e}") })?,
        }
        Ok(())
    })?;
    if count == 0 {
        return Err(NcfError::Data(format!("{} holds no interactions", path.display())));
    }
    check_dense_lines(path, widest, count)?;
    let (mut duplicates, mut held) = (0, users.len());
    if lines == Lines::Distinct {
        let (records, folded, peak) = pairs.finish();
        (duplicates, held) = (folded, peak);
        users = records.iter().map(|r| r.user).collect();
        items = records.iter().map(|r| r.item).collect();
        timestamps = records.iter().map(|r| r.ts).collect();
    }
    Ok(RatingFile { users, items, timestamps: all_timed.then_some(timestamps), duplicates, held })
}

/// The ids of an NCF file are dense 0-based indices: the largest user and item id (with their
/// lines) must be ones `rows` lines can justify ([`super::dataset::dense_limit`]). A
/// 17-byte file with the id 2,000,000,000 took over 9 GB.
fn check_dense_lines(path: &Path, widest: [(u32, usize); 2], rows: usize) -> Result<()> {
    let limit = super::dataset::dense_limit(rows);
    for ((id, line), what) in widest.into_iter().zip(["user", "item"]) {
        if id as u64 >= limit {
            return Err(parse_err(
                path,
                line,
                format!(
                    "{what} id {id} is more than a file of {rows} lines can use (at most {limit} dense 0-based ids)"
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a `*.test.negative` file: returns `(users, candidates, per_case)` with the positive
/// first in each case.
pub fn read_negative_file(path: &Path) -> Result<(Vec<u32>, Vec<u32>, u32)> {
    let mut users = Vec::new();
    let mut cands = Vec::new();
    let mut per_case: Option<usize> = None;
    let mut widest = [(0u32, 0usize); 2];
    for_each_line(path, |no, line| {
        let mut cols = line.split('\t');
        let head = cols.next().unwrap_or("").trim();
        let pair = head.strip_prefix('(').and_then(|h| h.strip_suffix(')')).ok_or_else(|| {
            parse_err(path, no, format!("expected '(user,item)' as the first column, found '{head}'"))
        })?;
        let (u, i) = pair
            .split_once(',')
            .ok_or_else(|| parse_err(path, no, format!("expected '(user,item)', found '{head}'")))?;
        users.push(parse_id(path, no, "user", u)?);
        let start = cands.len();
        cands.push(parse_id(path, no, "item", i)?);
        for c in cols {
            cands.push(parse_id(path, no, "negative item", c)?);
        }
        let n = cands.len() - start;
        let top = cands[start..].iter().copied().max().unwrap_or(0);
        for (w, id) in widest.iter_mut().zip([*users.last().unwrap(), top]) {
            if id >= w.0 {
                *w = (id, no);
            }
        }
        if n < 2 {
            return Err(parse_err(path, no, "has no negative items after '(user,item)'"));
        }
        match per_case {
            None => per_case = Some(n),
            Some(p) if p != n => {
                return Err(parse_err(path, no, format!("has {} negatives but earlier lines have {}", n - 1, p - 1)));
            }
            _ => {}
        }
        Ok(())
    })?;
    let per_case = per_case.ok_or_else(|| NcfError::Data(format!("{} holds no test cases", path.display())))?;
    check_dense_lines(path, widest, cands.len())?;
    Ok((users, cands, per_case as u32))
}

/// Loads a whole NCF split. When both test files are given, each `test.negative` line must
/// name the same `(user,item)` as the `test.rating` line of the same number.
pub fn load_ncf(paths: &NcfPaths, num_users: Option<u32>, num_items: Option<u32>) -> Result<Dataset> {
    let train = read_rating_file(&paths.train, Lines::Distinct)?;
    let test = match (&paths.test_rating, &paths.test_negative) {
        (None, None) => None,
        (Some(tr), None) => {
            return Err(NcfError::invalid(
                "testNegative",
                format!(
                    "{} was given without its test.negative file; evaluation ranks the held-out item among sampled negatives, so pass testNegative too",
                    tr.display()
                ),
            ));
        }
        (rating, Some(neg)) => {
            let (tu, cands, per_case) = read_negative_file(neg)?;
            if let Some(rating) = rating {
                let RatingFile { users: ru, items: ri, .. } = read_rating_file(rating, Lines::All)?;
                if ru.len() != tu.len() {
                    return Err(NcfError::Data(format!(
                        "{} has {} test cases but {} has {}",
                        rating.display(),
                        ru.len(),
                        neg.display(),
                        tu.len()
                    )));
                }
                for c in 0..ru.len() {
                    let pos = cands[c * per_case as usize];
                    if ru[c] != tu[c] || ri[c] != pos {
                        return Err(NcfError::Data(format!(
                            "test case {} differs: {} says ({},{}) but {} says ({},{})",
                            c + 1,
                            rating.display(),
                            ru[c],
                            ri[c],
                            neg.display(),
                            tu[c],
                            pos
                        )));
                    }
                }
            }
            Some(TestSet { users: tu, per_case, candidates: cands, ratings: None })
        }
    };
    if let (Some(n), Some(t)) = (num_items, &test)
        && let Some(k) = t.candidates.iter().position(|&c| c >= n)
    {
        let case = k / t.per_case as usize;
        let what = if k % t.per_case as usize == 0 { "test positive" } else { "test negative" };
        return Err(NcfError::Data(format!(
            "{what} item {} of test case {} is outside the item range [0, {n})",
            t.candidates[k],
            case + 1
        )));
    }
    let mut data =
        Dataset::from_pairs(&train.users, &train.items, train.timestamps.as_deref(), test, num_users, num_items)?;
    data.duplicates_removed += train.duplicates;
    Ok(data)
}
