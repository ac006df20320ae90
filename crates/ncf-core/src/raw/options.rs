//! `Dataset.fromFile`'s options as the caller wrote them (a JSON object; the TypeScript layer
//! keeps `onProgress`, `progressEvery` and `signal`), read by [`Fields`]: the format and its
//! CSV columns, the threshold, a separate test file, the read limits. An option that does not
//! apply to the format (CSV columns of a MovieLens file) is refused.

use std::path::PathBuf;

use serde_json::Value;

use super::read::{Column, CsvSpec, Format};
use crate::error::{NcfError, Result};
use crate::input::ReadLimits;
use crate::options::{Fields, from_json, names, shown};

/// How to read an interaction file, and what to hold out from a separate test file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileSpec {
    pub format: Format,
    pub limits: ReadLimits,
    /// Keep interactions rated at least this.
    pub threshold: Option<f32>,
    /// A separate test file in the same format (ids encoded over both files).
    pub test: Option<PathBuf>,
    /// Sampled negatives per test case of `test` (0: rating metrics only).
    pub test_negatives: u32,
    pub seed: u32,
}

/// A CSV column, by its header name or its 0-based index; `field` names it in a refusal.
pub(crate) fn column_value(field: &str, v: &Value) -> Result<Column> {
    match v {
        Value::String(s) => Ok(Column::Name(s.clone())),
        v => match v.as_f64() {
            Some(i) if i >= 0.0 && i.fract() == 0.0 && i <= u32::MAX as f64 => Ok(Column::Index(i as usize)),
            _ => Err(NcfError::invalid(field, format!("must be a column name or a 0-based index, got {}", shown(v)))),
        },
    }
}

/// The `delimiter` option of a CSV reader: one ASCII character, or `\t` spelled out.
pub(crate) fn delimiter(o: &mut Fields) -> Result<u8> {
    match o.string("delimiter")?.as_deref().unwrap_or(",").as_bytes() {
        [d] if d.is_ascii() => Ok(*d),
        b"\\t" => Ok(b'\t'),
        _ => Err(NcfError::invalid(o.field("delimiter"), "must be one ASCII character")),
    }
}

fn column(o: &mut Fields, name: &'static str) -> Result<Option<Column>> {
    let field = o.field(name);
    o.take(name).map(|v| column_value(&field, &v)).transpose()
}

impl FileSpec {
    pub fn from_json(json: &str) -> Result<FileSpec> {
        from_json("Dataset.fromFile", json, FileSpec::read)
    }

    pub fn option_names() -> Vec<&'static str> {
        names(FileSpec::read)
    }

    fn read(o: &mut Fields) -> Result<FileSpec> {
        #[derive(Clone, Copy, PartialEq)]
        enum Name {
            Csv,
            MovieLens,
            Netflix,
        }
        let formats = [("csv", Name::Csv), ("movielens", Name::MovieLens), ("netflix", Name::Netflix)];
        let name = o.required_choice("format", &formats)?;
        if name != Name::Csv {
            for option in ["delimiter", "header", "columns"] {
                o.refuse(option, "applies to format: 'csv'")?;
            }
        }
        let delimiter = delimiter(o)?;
        let has_header = o.bool("header")?.unwrap_or(true);
        let mut columns = o.object("columns", "an object { user?, item?, rating?, timestamp? }")?;
        let mut col = |name: &'static str| match columns.as_mut() {
            Some(c) => column(c, name),
            None => Ok(None),
        };
        let (user, item, rating, timestamp) = (col("user")?, col("item")?, col("rating")?, col("timestamp")?);
        if let Some(c) = columns {
            c.done()?;
        }
        let format = match name {
            Name::MovieLens => Format::MovieLens,
            Name::Netflix => Format::Netflix,
            Name::Csv => Format::Csv(CsvSpec {
                delimiter,
                has_header,
                user: user.unwrap_or(Column::Index(0)),
                item: item.unwrap_or(Column::Index(1)),
                rating,
                timestamp,
            }),
        };
        let threshold = o.finite("threshold")?.map(|t| t as f32);
        let test = o.path("test", "must be a path string")?;
        if test.is_none() {
            o.refuse("testNegatives", "applies with a test file (test: path)")?;
            o.refuse("seed", "seeds the negatives of a test file (test: path)")?;
        }
        let test_negatives = o.count("testNegatives")?.unwrap_or(0);
        let seed = o.count("seed")?.unwrap_or(0);
        let d = ReadLimits::default();
        let limits = ReadLimits {
            max_bytes: o.positive_u64("maxBytes", " of bytes")?.unwrap_or(d.max_bytes),
            max_line_bytes: o.positive_u64("maxLineBytes", " of bytes")?.unwrap_or(d.max_line_bytes),
        };
        Ok(FileSpec { format, limits, threshold, test, test_negatives, seed })
    }
}
