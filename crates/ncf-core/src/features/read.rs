//! Side features of users and items, read from files as the application has them:
//! - a generic CSV/TSV feature table with a column spec (`id`, multi-valued categorical columns
//!   with their own separator, single categorical columns, numeric columns), quoted fields with
//!   commas inside, `.gz`;
//! - MovieLens: `u.item` (19 genre flags, release date), `movies.dat` (`|`-separated genres,
//!   the year in the title), `u.user` (age, gender, occupation) and `users.dat`.
//!
//! Missing values have one policy, applied by every reader: an empty field or a token of
//! [`MISSING`] (`Unknown`, `NA`, …) is *missing*. A missing categorical value is its own level
//! (`None`, later an "unknown" embedding row); a multi-valued column with no values is an empty
//! list (its mean embedding is the zero vector); a missing number is `None` (later the training
//! mean, 0 after standardisation). Every error names `file:line` and the column.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::error::{NcfError, Result};
use crate::raw::Column;

/// Tokens read as a missing value (compared after trimming, case-insensitively).
pub const MISSING: [&str; 6] = ["", "unknown", "na", "n/a", "nan", "null"];

/// The 19 genres of MovieLens-100K's `u.item` flags, in column order (`u.genre`).
pub const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// What a feature column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureKind {
    /// A list of categories per row (genres); each gets an embedding, the row takes their mean.
    Multi,
    /// One category per row (type, gender, occupation).
    Categorical,
    /// A number per row (episodes, age), standardised with training statistics.
    Numeric,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FeatureValue {
    Multi(Vec<String>),
    Categorical(Option<String>),
    Numeric(Option<f32>),
}

/// A feature table: one row of values per id, columns in declaration order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawFeatures {
    pub names: Vec<String>,
    pub kinds: Vec<FeatureKind>,
    pub ids: Vec<String>,
    pub rows: Vec<Vec<FeatureValue>>,
}

/// Which columns of a CSV/TSV feature table hold what.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSpec {
    pub delimiter: u8,
    pub has_header: bool,
    pub id: Column,
    /// Multi-valued columns and the separator inside a field (`"Action|Comedy"`).
    pub multi: Vec<(Column, char)>,
    pub categorical: Vec<Column>,
    pub numeric: Vec<Column>,
}

fn is_missing(v: &str) -> bool {
    let t = v.trim();
    MISSING.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// Builds rows while checking ids, naming `file:line` in errors.
struct Table {
    path: PathBuf,
    out: RawFeatures,
    seen: HashSet<String>,
}

impl Table {
    fn new(path: &Path, columns: Vec<(String, FeatureKind)>) -> Self {
        let (names, kinds) = columns.into_iter().unzip();
        Table {
            path: path.to_path_buf(),
            out: RawFeatures { names, kinds, ..Default::default() },
            seen: HashSet::new(),
        }
    }
    fn err(&self, line: u64, message: String) -> NcfError {
        NcfError::Parse { path: self.path.clone(), line: line as usize, message }
    }
    fn number(&self, line: u64, column: &str, v: &str) -> Result<Option<f32>> {
        if is_missing(v) {
            return Ok(None);
        }
        match v.trim().parse::<f32>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(self.err(line, format!("{column} '{}' is not a number", v.trim()))),
        }
    }
    fn category(v: &str) -> Option<String> {
        (!is_missing(v)).then(|| v.trim().to_string())
    }
    fn list(v: &str, sep: char) -> Vec<String> {
        v.split(sep).filter(|x| !is_missing(x)).map(|x| x.trim().to_string()).collect()
    }
    fn push(&mut self, line: u64, id: &str, row: Vec<FeatureValue>) -> Result<()> {
        let id = id.trim();
        if id.is_empty() {
            return Err(self.err(line, "id is empty".into()));
        }
        if !self.seen.insert(id.to_string()) {
            return Err(self.err(line, format!("id '{id}' appears twice")));
        }
        self.out.ids.push(id.to_string());
        self.out.rows.push(row);
        Ok(())
    }
}

fn lines(path: &Path) -> Result<impl Iterator<Item = Result<(u64, String)>>> {
    let reader = crate::input::open_input(path, crate::input::ReadLimits::default())?;
    let p = path.to_path_buf();
    Ok(reader.split(b'\n').enumerate().map(move |(k, l)| {
        let bytes = l.map_err(|e| crate::input::read_error(&p, k as u64 + 1, e))?;
        // MovieLens files are Latin-1; ids and categories are ASCII, titles are not used.
        let mut s = String::from_utf8_lossy(&bytes).into_owned();
        if s.ends_with('\r') {
            s.pop();
        }
        Ok((k as u64 + 1, s))
    }))
}

/// MovieLens items: `u.item` (`id|title|date|video date|url|19 genre flags`) or `movies.dat`
/// (`id::title (year)::Genre|Genre`). Columns: `genre` (multi) and `year` (numeric; from the
/// release date or the title, missing when absent).
pub fn read_movielens_items(path: &Path) -> Result<RawFeatures> {
    let mut t = Table::new(path, vec![("genre".into(), FeatureKind::Multi), ("year".into(), FeatureKind::Numeric)]);
    for l in lines(path)? {
        let (n, line) = l?;
        if line.trim().is_empty() {
            continue;
        }
        if line.contains("::") {
            let f: Vec<&str> = line.splitn(3, "::").collect();
            if f.len() < 3 {
                return Err(t.err(n, "expected id::title::genres".into()));
            }
            let year = title_year(f[1]);
            t.push(n, f[0], vec![FeatureValue::Multi(Table::list(f[2], '|')), FeatureValue::Numeric(year)])?;
        } else {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() != 5 + ML100K_GENRES.len() {
                return Err(t.err(
                    n,
                    format!("has {} fields; u.item has 24 (id|title|date|video|url|19 genre flags)", f.len()),
                ));
            }
            let mut genres = Vec::new();
            for (g, flag) in ML100K_GENRES.iter().zip(&f[5..]) {
                match flag.trim() {
                    "1" => genres.push(g.to_string()),
                    "0" => {}
                    other => return Err(t.err(n, format!("genre flag {g} is '{other}', not 0 or 1"))),
                }
            }
            // "01-Jan-1995": the year is the last field of the date.
            let year = match f[2].trim().rsplit('-').next() {
                Some(y) if !is_missing(f[2]) => t.number(n, "release date year", y)?,
                _ => None,
            };
            t.push(n, f[0], vec![FeatureValue::Multi(genres), FeatureValue::Numeric(year)])?;
        }
    }
    Ok(t.out)
}

/// The year in a MovieLens title, "Toy Story (1995)" → 1995.
fn title_year(title: &str) -> Option<f32> {
    let t = title.trim();
    let open = t.rfind('(')?;
    let y = t[open + 1..].strip_suffix(')')?;
    (y.len() == 4).then(|| y.parse::<f32>().ok()).flatten()
}

/// MovieLens users: `u.user` (`id|age|gender|occupation|zip`) or `users.dat`
/// (`id::gender::age group::occupation code::zip`). Columns: `age` (numeric), `gender` and
/// `occupation` (categorical). Zip codes are not used.
pub fn read_movielens_users(path: &Path) -> Result<RawFeatures> {
    let mut t = Table::new(
        path,
        vec![
            ("age".into(), FeatureKind::Numeric),
            ("gender".into(), FeatureKind::Categorical),
            ("occupation".into(), FeatureKind::Categorical),
        ],
    );
    for l in lines(path)? {
        let (n, line) = l?;
        if line.trim().is_empty() {
            continue;
        }
        let (id, age, gender, occupation) = if line.contains("::") {
            let f: Vec<&str> = line.split("::").collect();
            if f.len() != 5 {
                return Err(
                    t.err(n, format!("has {} fields; users.dat has 5 (id::gender::age::occupation::zip)", f.len()))
                );
            }
            (f[0], f[2], f[1], f[3])
        } else {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() != 5 {
                return Err(t.err(n, format!("has {} fields; u.user has 5 (id|age|gender|occupation|zip)", f.len())));
            }
            (f[0], f[1], f[2], f[3])
        };
        let row = vec![
            FeatureValue::Numeric(t.number(n, "age", age)?),
            FeatureValue::Categorical(Table::category(gender)),
            FeatureValue::Categorical(Table::category(occupation)),
        ];
        t.push(n, id, row)?;
    }
    Ok(t.out)
}

/// A CSV/TSV feature table read with the `csv` crate (quoted fields, any delimiter), `.gz` too.
pub fn read_feature_csv(path: &Path, spec: &FeatureSpec) -> Result<RawFeatures> {
    let reader = crate::input::open_input(path, crate::input::ReadLimits::default())?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(spec.delimiter)
        .has_headers(spec.has_header)
        .flexible(true)
        .from_reader(reader);
    let header: Vec<String> = if spec.has_header {
        rdr.headers()
            .map_err(|e| NcfError::Parse { path: path.to_path_buf(), line: 1, message: e.to_string() })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect()
    } else {
        Vec::new()
    };
    let resolve = |field: String, c: &Column| -> Result<(usize, String)> {
        match c {
            Column::Index(i) => Ok((*i, header.get(*i).cloned().unwrap_or_else(|| format!("column {i}")))),
            Column::Name(name) => header
                .iter()
                .position(|h| h == name)
                .map(|i| (i, name.clone()))
                .ok_or_else(|| NcfError::invalid(field, format!("no column named '{name}' in {}", path.display()))),
        }
    };
    let (id_col, _) = resolve("columns.id".into(), &spec.id)?;
    let mut cols: Vec<(usize, String, FeatureKind, char)> = Vec::new();
    for (k, (c, sep)) in spec.multi.iter().enumerate() {
        let (i, name) = resolve(format!("multi[{k}]"), c)?;
        cols.push((i, name, FeatureKind::Multi, *sep));
    }
    for (k, c) in spec.categorical.iter().enumerate() {
        let (i, name) = resolve(format!("categorical[{k}]"), c)?;
        cols.push((i, name, FeatureKind::Categorical, ','));
    }
    for (k, c) in spec.numeric.iter().enumerate() {
        let (i, name) = resolve(format!("numeric[{k}]"), c)?;
        cols.push((i, name, FeatureKind::Numeric, ','));
    }
    if cols.is_empty() {
        return Err(NcfError::invalid("columns", "declare at least one multi, categorical or numeric column"));
    }
    let mut names = HashSet::new();
    if let Some(c) = cols.iter().find(|c| !names.insert(c.1.clone())) {
        return Err(NcfError::invalid("columns", format!("column '{}' is declared twice", c.1)));
    }
    let mut t = Table::new(path, cols.iter().map(|c| (c.1.clone(), c.2)).collect());
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            NcfError::Parse { path: path.to_path_buf(), line, message: e.to_string() }
        })?;
        let n = rec.position().map_or(0, |p| p.line());
        let field = |i: usize, name: &str| rec.get(i).ok_or_else(|| t.err(n, format!("has no column {i} ({name})")));
        let id = field(id_col, "id")?.to_string();
        let mut row = Vec::with_capacity(cols.len());
        for (i, name, kind, sep) in &cols {
            let v = field(*i, name)?;
            row.push(match kind {
                FeatureKind::Multi => FeatureValue::Multi(Table::list(v, *sep)),
                FeatureKind::Categorical => FeatureValue::Categorical(Table::category(v)),
                FeatureKind::Numeric => FeatureValue::Numeric(t.number(n, name, v)?),
            });
        }
        t.push(n, &id, row)?;
    }
    Ok(t.out)
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
