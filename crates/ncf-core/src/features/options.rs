//! `Features.fromFile`'s options as the caller wrote them (a JSON object), read by
//! [`Fields`]: the format, and for CSV the id column, the multi-valued, categorical and
//! numeric columns. MovieLens files have a fixed layout, so the CSV options are refused there.

use std::path::Path;

use serde_json::Value;

use super::read::{FeatureSpec, RawFeatures, read_feature_csv, read_movielens_items, read_movielens_users};
use crate::error::{NcfError, Result};
use crate::options::{Fields, from_json, names, shown};
use crate::raw::Column;
use crate::raw::options::{column_value, delimiter};

/// How to read a feature table.
#[derive(Clone, Debug, PartialEq)]
pub enum FeatureFile {
    Csv(FeatureSpec),
    /// `u.item` or `movies.dat`: genres and year.
    MovieLensItems,
    /// `u.user` or `users.dat`: gender, age, occupation (and zip).
    MovieLensUsers,
}

const CSV_ONLY: [&str; 6] = ["delimiter", "header", "id", "multi", "categorical", "numeric"];

/// A list of columns, each refused by its index.
fn columns(o: &mut Fields, name: &'static str) -> Result<Vec<Column>> {
    let field = o.field(name);
    match o.take(name) {
        None => Ok(Vec::new()),
        Some(Value::Array(list)) => {
            list.iter().enumerate().map(|(k, v)| column_value(&format!("{field}[{k}]"), v)).collect()
        }
        Some(v) => Err(NcfError::invalid(field, format!("must be an array of columns, got {}", shown(&v)))),
    }
}

impl FeatureFile {
    pub fn from_json(json: &str) -> Result<FeatureFile> {
        from_json("Features.fromFile", json, FeatureFile::read)
    }

    pub fn option_names() -> Vec<&'static str> {
        names(FeatureFile::read)
    }

    /// Reads the table at `path`.
    pub fn read_file(&self, path: &Path) -> Result<RawFeatures> {
        match self {
            FeatureFile::Csv(spec) => read_feature_csv(path, spec),
            FeatureFile::MovieLensItems => read_movielens_items(path),
            FeatureFile::MovieLensUsers => read_movielens_users(path),
        }
    }

    fn read(o: &mut Fields) -> Result<FeatureFile> {
        #[derive(Clone, Copy, PartialEq)]
        enum Name {
            Csv,
            Items,
            Users,
        }
        let formats = [("csv", Name::Csv), ("movielens-items", Name::Items), ("movielens-users", Name::Users)];
        let format = o.required_choice("format", &formats)?;
        if format != Name::Csv {
            let shown = if format == Name::Items { "movielens-items" } else { "movielens-users" };
            for name in CSV_ONLY {
                o.refuse(name, &format!("applies to format 'csv'; '{shown}' has a fixed layout"))?;
            }
        }
        let delimiter = delimiter(o)?;
        let has_header = o.bool("header")?.unwrap_or(true);
        let id = match o.take("id") {
            None => Column::Index(0),
            Some(v) => column_value(&o.field("id"), &v)?,
        };
        let multi = match o.take("multi") {
            None => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(k, m)| {
                    let shape = || NcfError::invalid(format!("multi[{k}]"), "must be { column, separator }");
                    let Value::Object(m) = m else { return Err(shape()) };
                    if let Some(key) = m.keys().find(|k| *k != "column" && *k != "separator") {
                        return Err(NcfError::invalid(
                            format!("multi[{k}]"),
                            format!("unknown option '{key}' (the options: column, separator)"),
                        ));
                    }
                    let column = column_value(&format!("multi[{k}].column"), m.get("column").ok_or_else(shape)?)?;
                    let sep = m.get("separator").and_then(Value::as_str).ok_or_else(shape)?;
                    let mut chars = sep.chars();
                    match (chars.next(), chars.next()) {
                        (Some(ch), None) => Ok((column, ch)),
                        _ => Err(NcfError::invalid(
                            format!("multi[{k}].separator"),
                            format!("must be one character, got '{sep}'"),
                        )),
                    }
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(NcfError::invalid("multi", "must be an array of { column, separator }")),
        };
        let categorical = columns(o, "categorical")?;
        let numeric = columns(o, "numeric")?;
        Ok(match format {
            Name::Items => FeatureFile::MovieLensItems,
            Name::Users => FeatureFile::MovieLensUsers,
            Name::Csv => FeatureFile::Csv(FeatureSpec { delimiter, has_header, id, multi, categorical, numeric }),
        })
    }
}

/// `Dataset.withFeatures`' options beside its tables: each slot's embedding width (default 8).
pub fn feature_dim_from_json(json: &str) -> Result<u32> {
    from_json("withFeatures", json, read_dim)
}

pub fn feature_dim_option_names() -> Vec<&'static str> {
    names(read_dim)
}

fn read_dim(o: &mut Fields) -> Result<u32> {
    Ok(o.positive("dim")?.unwrap_or(8))
}
