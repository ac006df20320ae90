//! The caller's ids on a recommender and on the data it is fitted or evaluated on: encoding
//! ids to indices with errors that name the argument, and the check that a dataset speaks the
//! model's ids (otherwise its indices would name other users and items, and every number
//! computed from them would be silently wrong).

use std::sync::Arc;

use crate::data::Dataset;
use crate::error::{NcfError, Result};
use crate::model::ModelFeatures;
use crate::raw::{IdEncoder, check_same_ids};

/// Users or items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdSide {
    Users,
    Items,
}

/// How a side's ids read in JavaScript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// No encoder: the ids are the indices.
    Index,
    /// Every id a canonical safe integer.
    Number,
    String,
}

/// A dataset with the caller's ids (when it was read with them) and its encoded side features.
#[derive(Clone)]
pub struct Corpus {
    pub data: Arc<Dataset>,
    pub users: Option<Arc<IdEncoder>>,
    pub items: Option<Arc<IdEncoder>>,
    pub features: Option<Arc<ModelFeatures>>,
}

impl Corpus {
    pub fn plain(data: Dataset) -> Corpus {
        Corpus { data: Arc::new(data), users: None, items: None, features: None }
    }
    pub fn ids(&self) -> Ids {
        Ids { users: self.users.clone(), items: self.items.clone() }
    }
}

/// The user and item encoders of a model or dataset (both or neither, for a model).
#[derive(Clone, Default)]
pub struct Ids {
    pub users: Option<Arc<IdEncoder>>,
    pub items: Option<Arc<IdEncoder>>,
}

impl Ids {
    pub fn side(&self, side: IdSide) -> &Option<Arc<IdEncoder>> {
        match side {
            IdSide::Users => &self.users,
            IdSide::Items => &self.items,
        }
    }

    pub fn kind(&self, side: IdSide) -> IdKind {
        match self.side(side) {
            None => IdKind::Index,
            Some(e) if e.is_numeric() => IdKind::Number,
            Some(_) => IdKind::String,
        }
    }

    /// Indices of `ids` among `n` rows. `field` names them in errors: `"users[]"` names the
    /// position (`users[3]`), any other name is a single argument (`user`).
    pub fn encode(&self, side: IdSide, n: u32, field: &str, ids: &[String]) -> Result<Vec<u32>> {
        let enc = self.side(side);
        ids.iter()
            .enumerate()
            .map(|(k, id)| {
                let ix = match enc {
                    Some(e) => e.encode(id),
                    None => id.parse::<u32>().ok().filter(|&x| x < n),
                };
                ix.ok_or_else(|| {
                    let at = match field.strip_suffix("[]") {
                        Some(name) => format!("{name}[{k}]"),
                        None => field.to_string(),
                    };
                    NcfError::invalid(at, format!("unknown id '{id}'"))
                })
            })
            .collect()
    }

    /// Ids of indices among `n` rows; errors name `field[k]`.
    pub fn decode(&self, side: IdSide, n: u32, field: &str, ix: &[u32]) -> Result<Vec<String>> {
        let enc = self.side(side);
        ix.iter()
            .enumerate()
            .map(|(k, &i)| {
                let id = match enc {
                    Some(e) => e.decode(i).map(str::to_string),
                    None => (i < n).then(|| i.to_string()),
                };
                id.ok_or_else(|| NcfError::invalid(format!("{field}[{k}]"), format!("index {i} is out of range")))
            })
            .collect()
    }

    /// Refuses data whose ids differ from these.
    pub fn check_same(&self, data: &Ids) -> Result<()> {
        for (side, m, d) in [("user", &self.users, &data.users), ("item", &self.items, &data.items)] {
            if let (Some(m), Some(d)) = (m, d) {
                check_same_ids(side, m, d)?;
            }
        }
        Ok(())
    }
}

/// Names the user of a `UserData` error by the caller's id when the dataset has ids.
pub fn with_user_ids(e: NcfError, users: Option<&IdEncoder>) -> NcfError {
    match (e, users) {
        (NcfError::UserData { user, message }, Some(enc)) => match enc.decode(user) {
            Some(id) => NcfError::Data(format!("user '{id}' {message}")),
            None => NcfError::UserData { user, message },
        },
        (e, _) => e,
    }
}
