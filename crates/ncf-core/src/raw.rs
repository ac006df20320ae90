//! Interaction files as applications have them, read into the caller's own ids:
//! - CSV/TSV with a header or a column mapping (any delimiter, quoted fields), through the
//!   `csv` crate;
//! - MovieLens `ratings.dat` (`user::item::rating::timestamp`) and `u.data` (tab-separated);
//! - the Netflix Prize `combined_data_*.txt` (`MovieID:` lines, then `CustomerID,Rating,Date`);
//! - any of them gzip-compressed (`.gz`).
//!
//! Records are streamed; every error names `file:line` and the field. An [`IdEncoder`] maps the
//! ids to dense indices in sorted id order (numeric when every id is an integer), so the mapping
//! does not depend on file order and "the larger item id" means the same before and after.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::data::Dataset;
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
        if unique.iter().all(|s| s.parse::<i64>().is_ok()) {
            unique.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
        }
        let index = unique.iter().enumerate().map(|(k, s)| (s.clone(), k as u32)).collect();
        IdEncoder { ids: unique, index }
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

/// Interactions with the file's own ids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawInteractions {
    pub users: Vec<String>,
    pub items: Vec<String>,
    pub ratings: Option<Vec<f32>>,
    pub timestamps: Option<Vec<i64>>,
}

/// A buffered reader of a file, decompressed when its name ends in `.gz`.
pub(crate) fn open_input(path: &Path) -> Result<Box<dyn BufRead>> {
    open(path)
}

fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let f = File::open(path).map_err(|source| NcfError::Io { path: path.to_path_buf(), source })?;
    let r: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else {
        Box::new(f)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 16, r)))
}

struct Sink {
    path: PathBuf,
    out: RawInteractions,
    ratings: Vec<f32>,
    timestamps: Vec<i64>,
    has_rating: Option<bool>,
    has_ts: Option<bool>,
}

impl Sink {
    fn new(path: &Path) -> Self {
        Sink {
            path: path.to_path_buf(),
            out: RawInteractions::default(),
            ratings: Vec::new(),
            timestamps: Vec::new(),
            has_rating: None,
            has_ts: None,
        }
    }
    fn err(&self, line: u64, message: String) -> NcfError {
        NcfError::Parse { path: self.path.clone(), line: line as usize, message }
    }
    fn id(&self, line: u64, field: &str, v: &str) -> Result<String> {
        let v = v.trim();
        if v.is_empty() {
            return Err(self.err(line, format!("{field} is empty")));
        }
        Ok(v.to_string())
    }
    fn push(&mut self, line: u64, user: &str, item: &str, rating: Option<&str>, ts: Option<i64>) -> Result<()> {
        let (user, item) = (self.id(line, "user", user)?, self.id(line, "item", item)?);
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
        self.out.users.push(user);
        self.out.items.push(item);
        if let Some(r) = rating {
            self.ratings.push(r);
        }
        if let Some(t) = ts {
            self.timestamps.push(t);
        }
        Ok(())
    }
    fn finish(mut self) -> Result<RawInteractions> {
        if self.out.users.is_empty() {
            return Err(NcfError::Data(format!("{}: no interactions", self.path.display())));
        }
        if self.has_rating == Some(true) {
            self.out.ratings = Some(self.ratings);
        }
        if self.has_ts == Some(true) {
            self.out.timestamps = Some(self.timestamps);
        }
        Ok(self.out)
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
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d) * 86_400)
}

/// Reads one interaction file.
pub fn read(path: &Path, format: &Format) -> Result<RawInteractions> {
    let mut sink = Sink::new(path);
    match format {
        Format::MovieLens => {
            for (k, line) in open(path)?.lines().enumerate() {
                let n = k as u64 + 1;
                let line = line.map_err(|e| sink.err(n, format!("unreadable: {e}")))?;
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
                let line = line.map_err(|e| sink.err(n, format!("unreadable: {e}")))?;
                let t = line.trim();
                if t.is_empty() {
                    continue;
                }
                if let Some(id) = t.strip_suffix(':') {
                    movie = Some(sink.id(n, "MovieID", id)?);
                    continue;
                }
                let m = movie.clone().ok_or_else(|| sink.err(n, "a rating line before any 'MovieID:' line".into()))?;
                let f: Vec<&str> = t.split(',').collect();
                if f.len() != 3 {
                    return Err(sink.err(n, format!("expected CustomerID,Rating,Date, got {} fields", f.len())));
                }
                let ts = parse_date(&sink, n, f[2])?;
                sink.push(n, f[0], &m, Some(f[1]), Some(ts))?;
            }
        }
        Format::Csv(spec) => {
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(spec.delimiter)
                .has_headers(spec.has_header)
                .flexible(true)
                .trim(csv::Trim::All)
                .from_reader(open(path)?);
            let headers = if spec.has_header {
                Some(rdr.headers().map_err(|e| sink.err(1, format!("unreadable header: {e}")))?.clone())
            } else {
                None
            };
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
                let rec = rec.map_err(|e| {
                    let line = e.position().map_or(0, |p| p.line());
                    sink.err(line, format!("malformed record: {e}"))
                })?;
                let n = rec.position().map_or(0, |p| p.line());
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

/// A training file and a separate test file (such as MovieLens-100K's `u1.base` / `u1.test`):
/// ids are encoded over both, so a test user or item missing from training still has an index
/// (its embedding stays untrained: a cold row). Every test interaction becomes a test case
/// carrying its rating, with `negatives` sampled items its user never interacted with in either
/// file (0: rating metrics only).
pub fn to_dataset_with_test(
    train: &RawInteractions,
    test: &RawInteractions,
    threshold: Option<f32>,
    negatives: u32,
    seed: u32,
) -> Result<(Dataset, IdEncoder, IdEncoder)> {
    let (kt, ks) = (kept(train, threshold)?, kept(test, threshold)?);
    fn ids<'a>(v: &'a [String], k: &[bool]) -> Vec<&'a str> {
        v.iter().zip(k).filter(|p| *p.1).map(|p| p.0.as_str()).collect()
    }
    let (tu, ti, su, si) =
        (ids(&train.users, &kt), ids(&train.items, &kt), ids(&test.users, &ks), ids(&test.items, &ks));
    if tu.is_empty() || su.is_empty() {
        let which = if tu.is_empty() { "training" } else { "test" };
        return Err(NcfError::Data(format!("the {which} file has no interaction to use")));
    }
    let users = IdEncoder::build(tu.iter().chain(&su).copied());
    let items = IdEncoder::build(ti.iter().chain(&si).copied());
    let enc =
        |e: &IdEncoder, v: &[&str]| v.iter().map(|x| e.encode(x).expect("built from these ids")).collect::<Vec<u32>>();
    let pick_f = |v: &Option<Vec<f32>>, k: &[bool]| {
        v.as_ref().map(|r| r.iter().zip(k).filter(|p| *p.1).map(|p| *p.0).collect::<Vec<f32>>())
    };
    let pick_t = |v: &Option<Vec<i64>>, k: &[bool]| {
        v.as_ref().map(|r| r.iter().zip(k).filter(|p| *p.1).map(|p| *p.0).collect::<Vec<i64>>())
    };
    let (nu, ni) = (users.len() as u32, items.len() as u32);
    if negatives >= ni {
        return Err(NcfError::invalid("testNegatives", format!("must be below the {ni} items, got {negatives}")));
    }
    let (u_test, i_test) = (enc(&users, &su), enc(&items, &si));
    // Every interaction of a user, for drawing negatives it never had.
    let mut all_u = enc(&users, &tu);
    let mut all_i = enc(&items, &ti);
    all_u.extend(&u_test);
    all_i.extend(&i_test);
    let (known, _, _) = crate::data::Csr::from_pairs(nu, &all_u, &all_i, None);
    let mut cases = crate::data::TestSet {
        users: Vec::with_capacity(u_test.len()),
        per_case: negatives + 1,
        candidates: Vec::new(),
        ratings: pick_f(&test.ratings, &ks),
    };
    let mut counters = vec![0u32; nu as usize];
    for (&u, &i) in u_test.iter().zip(&i_test) {
        cases.users.push(u);
        cases.candidates.push(i);
        if negatives > 0 {
            let row = known.row(u);
            if (ni as usize) - row.len() < negatives as usize {
                return Err(NcfError::Data(format!(
                    "test user '{}' has only {} items left to sample {negatives} negatives from; lower negatives",
                    users.decode(u).unwrap_or("?"),
                    ni as usize - row.len()
                )));
            }
            let c = &mut counters[u as usize];
            cases.candidates.extend(crate::split::sample_negatives(ni, row, negatives, seed, u, c));
        }
    }
    let data = Dataset::from_pairs_rated(
        &enc(&users, &tu),
        &enc(&items, &ti),
        pick_t(&train.timestamps, &kt).as_deref(),
        pick_f(&train.ratings, &kt).as_deref(),
        Some(cases),
        Some(nu),
        Some(ni),
    )?;
    Ok((data, users, items))
}

/// Which interactions the implicit conversion keeps: all, or those rated at least `threshold`.
fn kept(raw: &RawInteractions, threshold: Option<f32>) -> Result<Vec<bool>> {
    match (threshold, &raw.ratings) {
        (None, _) => Ok(vec![true; raw.users.len()]),
        (Some(t), Some(r)) => Ok(r.iter().map(|&x| x >= t).collect()),
        (Some(_), None) => Err(NcfError::invalid("threshold", "needs a rating column")),
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

/// Interactions given as parallel arrays of the caller's ids (from JavaScript), checked
/// entry by entry: an empty id, or lengths that differ, name the array and index.
pub fn from_id_arrays(
    users: Vec<String>,
    items: Vec<String>,
    ratings: Option<Vec<f32>>,
    timestamps: Option<Vec<i64>>,
) -> Result<RawInteractions> {
    let n = users.len();
    for (field, len) in [
        ("items", Some(items.len())),
        ("ratings", ratings.as_ref().map(Vec::len)),
        ("timestamps", timestamps.as_ref().map(Vec::len)),
    ] {
        if let Some(len) = len
            && len != n
        {
            return Err(NcfError::invalid(field, format!("has {len} entries but users has {n}")));
        }
    }
    for (field, ids) in [("users", &users), ("items", &items)] {
        if let Some(k) = ids.iter().position(|s| s.trim().is_empty()) {
            return Err(NcfError::invalid(format!("{field}[{k}]"), "is an empty id"));
        }
    }
    if let Some(r) = &ratings
        && let Some(k) = r.iter().position(|x| !x.is_finite())
    {
        return Err(NcfError::invalid(format!("ratings[{k}]"), format!("must be a finite number, got {}", r[k])));
    }
    Ok(RawInteractions { users, items, ratings, timestamps })
}

/// A dataset from raw interactions and the encoders of its ids. With `threshold`, only
/// interactions rated at least that count as positives (implicit conversion); duplicates are
/// removed (the latest timestamp kept).
pub fn to_dataset(raw: &RawInteractions, threshold: Option<f32>) -> Result<(Dataset, IdEncoder, IdEncoder)> {
    let keep = kept(raw, threshold)?;
    let users_enc = IdEncoder::build(raw.users.iter().zip(&keep).filter(|p| *p.1).map(|p| p.0.as_str()));
    let items_enc = IdEncoder::build(raw.items.iter().zip(&keep).filter(|p| *p.1).map(|p| p.0.as_str()));
    let pick = |v: &[String], e: &IdEncoder| -> Vec<u32> {
        v.iter().zip(&keep).filter(|p| *p.1).map(|p| e.encode(p.0).expect("built from these ids")).collect()
    };
    let (u, i) = (pick(&raw.users, &users_enc), pick(&raw.items, &items_enc));
    let ts: Option<Vec<i64>> =
        raw.timestamps.as_ref().map(|t| t.iter().zip(&keep).filter(|p| *p.1).map(|p| *p.0).collect());
    if u.is_empty() {
        return Err(NcfError::Data(format!("no interaction is rated at least {}", threshold.unwrap_or(0.0))));
    }
    let r: Option<Vec<f32>> =
        raw.ratings.as_ref().map(|r| r.iter().zip(&keep).filter(|p| *p.1).map(|p| *p.0).collect());
    let data = Dataset::from_pairs_rated(
        &u,
        &i,
        ts.as_deref(),
        r.as_deref(),
        None,
        Some(users_enc.len() as u32),
        Some(items_enc.len() as u32),
    )?;
    Ok((data, users_enc, items_enc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ncf-raw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn movielens_dat_and_udata_and_gzip() {
        let dat = file("ratings.dat", b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n");
        let r = read(&dat, &Format::MovieLens).unwrap();
        assert_eq!(r.users, ["1", "1", "2"]);
        assert_eq!(r.ratings.as_deref(), Some(&[5.0, 3.0, 4.0][..]));
        assert_eq!(r.timestamps.as_deref(), Some(&[978300760, 978302109, 978298413][..]));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n").unwrap();
        let r = read(&file("u.data.gz", &gz.finish().unwrap()), &Format::MovieLens).unwrap();
        assert_eq!(r.items, ["242", "302"]);
        let bad = file("bad.dat", b"1::2::5::9\n1::x::5\n3::4::five::9\n");
        let e = read(&bad, &Format::MovieLens).unwrap_err();
        assert!(e.to_string().ends_with("bad.dat:2: has no timestamp where earlier lines had one"), "{e}");
        let e = read(&file("bad2.dat", b"1::2::5::9\n3::4::five::9\n"), &Format::MovieLens).unwrap_err();
        assert!(e.to_string().ends_with("bad2.dat:2: rating 'five' is not a number"), "{e}");
    }

    #[test]
    fn netflix_format() {
        let p =
            file("combined_data_1.txt", b"1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n1488844,4,1970-01-02\n");
        let r = read(&p, &Format::Netflix).unwrap();
        assert_eq!(r.items, ["1", "1", "2"]);
        assert_eq!(r.users, ["1488844", "822109", "1488844"]);
        assert_eq!(r.timestamps.as_ref().unwrap()[2], 86_400);
        assert_eq!(r.timestamps.as_ref().unwrap()[0], 1_125_964_800, "2005-09-06T00:00Z");
        let e = read(&file("nf-bad.txt", b"1488844,3,2005-09-06\n"), &Format::Netflix).unwrap_err();
        assert!(e.to_string().contains("nf-bad.txt:1: a rating line before any 'MovieID:' line"), "{e}");
        let e = read(&file("nf-bad2.txt", b"1:\n5,3,2005-13-06\n"), &Format::Netflix).unwrap_err();
        assert!(e.to_string().contains("nf-bad2.txt:2: date '2005-13-06' is not YYYY-MM-DD"), "{e}");
    }

    #[test]
    fn csv_with_header_quotes_and_mapping() {
        let p = file("events.csv", b"user,item,score,when\n\"u,1\",a,4.5,10\nu2,b,2,11\n\n");
        let spec = CsvSpec {
            delimiter: b',',
            has_header: true,
            user: Column::Name("user".into()),
            item: Column::Name("item".into()),
            rating: Some(Column::Name("score".into())),
            timestamp: Some(Column::Index(3)),
        };
        let r = read(&p, &Format::Csv(spec.clone())).unwrap();
        assert_eq!(r.users, ["u,1", "u2"]);
        assert_eq!(r.ratings.unwrap(), [4.5, 2.0]);
        let e = read(&file("e2.csv", b"user,item,score,when\nu,a,x,1\n"), &Format::Csv(spec.clone())).unwrap_err();
        assert!(e.to_string().ends_with("e2.csv:2: rating 'x' is not a number"), "{e}");
        let mut missing = spec.clone();
        missing.user = Column::Name("customer".into());
        let e = read(&p, &Format::Csv(missing)).unwrap_err();
        assert!(e.to_string().starts_with("columns.user: no column named 'customer'"), "{e}");
        let e = read(&file("e3.csv", b"user,item,score,when\nu,a\n"), &Format::Csv(spec)).unwrap_err();
        assert!(e.to_string().contains("e3.csv:2: has no column 2 (rating)"), "{e}");
    }

    #[test]
    fn encoder_orders_ids_and_threshold_converts() {
        let raw = RawInteractions {
            users: vec!["10".into(), "9".into(), "10".into(), "100".into()],
            items: vec!["b".into(), "a".into(), "b".into(), "c".into()],
            ratings: Some(vec![5.0, 2.0, 4.0, 4.0]),
            timestamps: None,
        };
        let (d, u, i) = to_dataset(&raw, None).unwrap();
        assert_eq!(u.ids(), ["9", "10", "100"], "numeric order");
        assert_eq!(i.ids(), ["a", "b", "c"]);
        assert_eq!(d.duplicates_removed, 1);
        assert_eq!(u.decode(u.encode("100").unwrap()), Some("100"));
        let (d, u, _) = to_dataset(&raw, Some(4.0)).unwrap();
        assert_eq!(u.ids(), ["10", "100"], "user 9 only rated 2");
        assert_eq!(d.num_interactions(), 2);
        assert!(to_dataset(&raw, Some(6.0)).unwrap_err().to_string().contains("no interaction is rated at least 6"));
        assert!(u.is_numeric() && !i.is_numeric());
        assert!(!IdEncoder::build(["7", "007"]).is_numeric(), "'007' would not survive a trip through a JS number");
        assert!(!IdEncoder::build(["9007199254740993"]).is_numeric(), "beyond 2^53");
    }

    #[test]
    fn a_separate_test_file_shares_the_encoders_and_keeps_ratings() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let train = from_id_arrays(s(&["a", "a", "b"]), s(&["x", "y", "x"]), Some(vec![4.0, 2.0, 5.0]), None).unwrap();
        let test = from_id_arrays(s(&["b", "c"]), s(&["z", "x"]), Some(vec![3.0, 1.0]), None).unwrap();
        let (d, u, i) = to_dataset_with_test(&train, &test, None, 0, 1).unwrap();
        assert_eq!((u.ids(), i.ids()), (&s(&["a", "b", "c"])[..], &s(&["x", "y", "z"])[..]), "over both files");
        assert_eq!(d.train_ratings.as_deref(), Some(&[4.0, 2.0, 5.0][..]));
        let t = d.test.as_ref().unwrap();
        assert_eq!((t.users.clone(), t.candidates.clone(), t.per_case), (vec![1, 2], vec![2, 0], 1));
        assert_eq!(t.ratings.as_deref(), Some(&[3.0, 1.0][..]));
        assert_eq!(d.train.row(2), &[] as &[u32], "user c is only in the test file: a cold row");
        let (d, _, _) = to_dataset_with_test(&train, &test, None, 1, 1).unwrap();
        let t = d.test.unwrap();
        // User b had x (train) and z (test): its one negative is y.
        assert_eq!(&t.candidates[..2], &[2, 1]);
        let e = to_dataset_with_test(&train, &test, None, 2, 1).unwrap_err();
        assert!(e.to_string().contains("test user 'b' has only 1 items left"), "{e}");
        let e = to_dataset_with_test(&train, &test, None, 3, 1).unwrap_err();
        assert!(e.to_string().contains("testNegatives: must be below the 3 items"), "{e}");
    }

    #[test]
    fn datasets_with_other_ids_are_refused() {
        let a = IdEncoder::build(["1", "2", "3"]);
        assert!(check_same_ids("user", &a, &IdEncoder::build(["3", "2", "1"])).is_ok(), "same ids, same order");
        let e = check_same_ids("item", &a, &IdEncoder::build(["1", "2", "4"])).unwrap_err();
        assert!(
            e.to_string().contains("item ids differ from the model's (3 vs 3 ids, first difference at index 2)"),
            "{e}"
        );
    }

    #[test]
    fn id_arrays_are_checked_by_index() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let r = from_id_arrays(s(&["ann", "bob"]), s(&["x", "y"]), Some(vec![1.0, 5.0]), Some(vec![3, 4])).unwrap();
        let (d, u, _) = to_dataset(&r, Some(3.0)).unwrap();
        assert_eq!((u.ids(), d.num_interactions()), (&["bob".to_string()][..], 1));
        let e = from_id_arrays(s(&["ann", ""]), s(&["x", "y"]), None, None).unwrap_err();
        assert!(e.to_string().starts_with("users[1]: is an empty id"), "{e}");
        let e = from_id_arrays(s(&["ann"]), s(&["x", "y"]), None, None).unwrap_err();
        assert!(e.to_string().contains("items: has 2 entries but users has 1"), "{e}");
        let e = from_id_arrays(s(&["a", "b"]), s(&["x", "y"]), Some(vec![1.0, f32::NAN]), None).unwrap_err();
        assert!(e.to_string().contains("ratings[1]"), "{e}");
        let e = from_id_arrays(s(&["a"]), s(&["x"]), None, Some(vec![])).unwrap_err();
        assert!(e.to_string().contains("timestamps: has 0 entries"), "{e}");
    }
}
