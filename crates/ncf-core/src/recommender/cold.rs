//! Cold start: users and items never seen, described by their side features, appended after
//! the model's own rows (SVDFeature-style: their id embeddings are zero, so the features alone
//! place them).

use serde_json::Value;

use crate::error::{NcfError, Result};
use crate::features::FeatureSet;
use crate::model::Params;

/// `params` with the new entities of `describe` (`{ "users": [description…], "items":
/// [description…] }`) appended, taking indices from numUsers / numItems on, in order.
/// `items_allowed` is false for recommend, which ranks the model's own items.
pub fn with_described(params: Params, describe: &Value, items_allowed: bool) -> Result<Params> {
    if !describe.is_object() {
        return Err(NcfError::invalid("describe", "expected { users?, items? } of descriptions"));
    }
    let f = params.features.clone();
    let side = |key: &str, set: Option<&FeatureSet>| -> Result<Vec<_>> {
        let list = match describe.get(key) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(NcfError::invalid(format!("describe.{key}"), "must be a list of descriptions")),
        };
        list.iter()
            .map(|d| {
                let set = set.ok_or_else(|| {
                    NcfError::invalid(
                        format!("describe.{key}"),
                        format!("needs side features of {key}: the model was built without them"),
                    )
                })?;
                let m = d.as_object().ok_or_else(|| {
                    NcfError::invalid(format!("describe.{key}"), "each description must be an object")
                })?;
                set.describe_json(m)
            })
            .collect()
    };
    let u = side("users", f.as_ref().and_then(|f| f.users.as_ref()))?;
    let i = side("items", f.as_ref().and_then(|f| f.items.as_ref()))?;
    if !items_allowed && !i.is_empty() {
        return Err(NcfError::invalid(
            "describe.items",
            "recommend ranks the model's own items; describe new users only (score new items with predict)",
        ));
    }
    params.with_cold(&u, &i)
}
