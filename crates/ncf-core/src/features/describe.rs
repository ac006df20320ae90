//! Cold start: the bags of users and items a model has never seen, built from their described
//! feature values with the vocabularies and statistics of the model's [`FeatureSet`], and the
//! set with them appended (their id embeddings stay zero, so the features alone place them).

use std::collections::HashMap;

use super::set::FeatureSet;
use crate::error::{NcfError, Result};
use crate::features::{FeatureKind, FeatureValue};

impl FeatureSet {
    /// Bags of a new entity described in JSON (`{ "genre": ["Comedy"], "type": "TV",
    /// "episodes": 12 }`): lists for multi-valued columns, strings (or numbers, read as their
    /// text) for categorical ones, numbers for numeric ones, `null` or absence for missing.
    /// A value of the wrong type names its column.
    pub fn describe_json(
        &self,
        values: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Vec<(Vec<u32>, Vec<f32>)>> {
        use serde_json::Value;
        let kind_of = |name: &str| {
            self.slots.iter().find_map(|s| match s.kind {
                FeatureKind::Numeric => s.vocab.iter().any(|c| c == name).then_some(FeatureKind::Numeric),
                k => (s.name == name).then_some(k),
            })
        };
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let mut parsed = HashMap::new();
        for (name, v) in values {
            let bad = |what: &str| NcfError::invalid(format!("features.{name}"), format!("must be {what}, got {v}"));
            let kind = kind_of(name)
                .ok_or_else(|| NcfError::invalid(format!("features.{name}"), "is not a feature of this model"))?;
            let value = match (kind, v) {
                (FeatureKind::Multi, Value::Null) => FeatureValue::Multi(Vec::new()),
                (FeatureKind::Multi, Value::Array(a)) => FeatureValue::Multi(
                    a.iter().map(|x| text(x).ok_or_else(|| bad("a list of strings"))).collect::<Result<_>>()?,
                ),
                (FeatureKind::Multi, _) => return Err(bad("a list of strings")),
                (FeatureKind::Categorical, Value::Null) => FeatureValue::Categorical(None),
                (FeatureKind::Categorical, v) => {
                    FeatureValue::Categorical(Some(text(v).ok_or_else(|| bad("a string"))?))
                }
                (FeatureKind::Numeric, Value::Null) => FeatureValue::Numeric(None),
                (FeatureKind::Numeric, Value::Number(n)) => match n.as_f64() {
                    Some(x) if x.is_finite() => FeatureValue::Numeric(Some(x as f32)),
                    _ => return Err(bad("a finite number")),
                },
                (FeatureKind::Numeric, _) => return Err(bad("a number")),
            };
            parsed.insert(name.clone(), value);
        }
        self.describe(&parsed)
    }

    /// This set with `bags` appended as new entities (cold start).
    pub fn with_new(&self, bags: &[Vec<(Vec<u32>, Vec<f32>)>]) -> FeatureSet {
        let mut out = self.clone();
        for entity in bags {
            for (rows, weights) in entity {
                out.bags.rows.extend(rows);
                out.bags.weights.extend(weights);
                out.bags.ptr.push(out.bags.rows.len() as u32);
            }
        }
        out.entities += bags.len() as u32;
        out
    }

    /// Bags of a new entity described by `values` (column name → value), for cold start. A
    /// column the set does not know is an error; an absent column is missing.
    pub fn describe(&self, values: &HashMap<String, FeatureValue>) -> Result<Vec<(Vec<u32>, Vec<f32>)>> {
        for name in values.keys() {
            let known = self.slots.iter().any(|s| match s.kind {
                FeatureKind::Numeric => s.vocab.contains(name),
                _ => &s.name == name,
            });
            if !known {
                return Err(NcfError::invalid(format!("features.{name}"), "is not a feature of this model"));
            }
        }
        Ok(self
            .slots
            .iter()
            .map(|s| {
                let cols: Vec<FeatureValue> = match s.kind {
                    FeatureKind::Numeric => {
                        s.vocab.iter().map(|c| values.get(c).cloned().unwrap_or(FeatureValue::Numeric(None))).collect()
                    }
                    _ => values.get(&s.name).cloned().into_iter().collect(),
                };
                self.bag_of(s, &cols)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::set::tests::raw;
    use crate::raw::IdEncoder;

    #[test]
    fn cold_start_descriptions() {
        let ids = IdEncoder::from_ids(["a", "b", "c"].map(String::from).to_vec()).unwrap();
        let f = FeatureSet::build(&raw(), &ids, 2).unwrap();
        let mut d = HashMap::new();
        d.insert("genre".to_string(), FeatureValue::Multi(vec!["Drama".into(), "Mecha".into()]));
        d.insert("type".to_string(), FeatureValue::Categorical(Some("OVA".into())));
        d.insert("episodes".to_string(), FeatureValue::Numeric(Some(40.0)));
        let bags = f.describe(&d).unwrap();
        assert_eq!(bags[0], (vec![2], vec![1.0]), "unseen genres are dropped");
        assert_eq!(bags[1], (vec![0], vec![1.0]), "an unseen type is the missing row");
        assert_eq!(bags[2], (vec![0], vec![2.0]), "episodes 40 is +2 std; score is missing");
        d.insert("studio".to_string(), FeatureValue::Categorical(Some("x".into())));
        assert!(f.describe(&d).unwrap_err().to_string().starts_with("features.studio: is not a feature"));
        assert!(FeatureSet::build(&raw(), &ids, 0).is_err());
    }
}
