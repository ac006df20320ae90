//! A model constructor's options (`new GMF({...})`, …) as the caller wrote them, read by
//! [`Fields`]: every option's name and type checked once, a key that names no option of that
//! model refused. Ranges and defaults are [`Recommender::build`](super::Recommender::build)'s.

use super::{Corpus, ModelSpec, TaskKind};
use crate::error::{NcfError, Result};
use crate::model::{FeatureInputs, ModelKind};
use crate::options::{Fields, names};

/// The model a constructor builds: one of the four NCF models, or ALS (an MF without biases
/// or side features, fitted with `optimizer: 'als'` by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelClass {
    Gmf,
    Mf,
    Mlp,
    NeuMf,
    Als,
}

impl ModelClass {
    pub fn kind(self) -> ModelKind {
        match self {
            ModelClass::Gmf => ModelKind::Gmf,
            ModelClass::Mf | ModelClass::Als => ModelKind::Mf,
            ModelClass::Mlp => ModelKind::Mlp,
            ModelClass::NeuMf => ModelKind::NeuMf,
        }
    }

    /// The class's name in the API (`GMF`, `NeuMF`, `ALS`, …).
    pub fn name(self) -> &'static str {
        match self {
            ModelClass::Als => "ALS",
            c => c.kind().name(),
        }
    }
}

/// What ALS refuses, in one sentence.
const NOT_ALS: &str = "does not apply to ALS, a dot product without biases or side features for implicit feedback";

/// The initial standard deviation's bounds, in the words of every refusal of it.
pub(crate) fn init_std_error(shown: impl std::fmt::Display) -> NcfError {
    NcfError::invalid("initStd", format!("must be a number in (0, 10], got {shown}"))
}

impl ModelSpec {
    /// A constructor's options from the caller's JSON object; `features` is the dataset
    /// whose side features the model takes (the one option that is no JSON value).
    pub fn from_json(class: ModelClass, json: &str, features: Option<Corpus>) -> Result<ModelSpec> {
        let mut o = Fields::parse(class.name(), json)?;
        if class == ModelClass::Als {
            for name in ["biases", "task", "clip", "featuresIn", "layers"] {
                o.refuse(name, NOT_ALS)?;
            }
            if features.is_some() {
                return Err(NcfError::invalid("features", NOT_ALS));
            }
        }
        if !matches!(class, ModelClass::Mlp | ModelClass::NeuMf | ModelClass::Als) {
            o.refuse("layers", &format!("apply to MLP and NeuMF; {} has no tower", class.name()))?;
        }
        let spec = ModelSpec::read(class, &mut o, features)?;
        o.done()?;
        Ok(spec)
    }

    /// The option names of `class`'s constructor, as [`ModelSpec::from_json`] reads them
    /// (`features` is read beside them).
    pub fn option_names(class: ModelClass) -> Vec<&'static str> {
        names(|o| ModelSpec::read(class, o, None))
    }

    fn read(class: ModelClass, o: &mut Fields, features: Option<Corpus>) -> Result<ModelSpec> {
        let tower = matches!(class, ModelClass::Mlp | ModelClass::NeuMf);
        let tasks = [("implicit", TaskKind::Implicit), ("rating", TaskKind::Rating)];
        let inputs = [("mlp", FeatureInputs::Tower), ("gmf", FeatureInputs::Gmf), ("both", FeatureInputs::Both)];
        let mut spec = ModelSpec {
            kind: Some(class.kind()),
            num_users: o.required_positive("numUsers")?,
            num_items: o.required_positive("numItems")?,
            factors: o.positive("factors")?,
            layers: if tower { o.positive_list("layers")? } else { None },
            seed: o.count("seed")?.unwrap_or(0),
            init_std: match o.take("initStd") {
                None => None,
                Some(v) => match v.as_f64() {
                    Some(x) if x > 0.0 && x <= 10.0 => Some(x as f32),
                    _ => return Err(init_std_error(crate::options::shown(&v))),
                },
            },
            task: None,
            clip: None,
            features: None,
            biases: None,
            features_in: None,
            als: class == ModelClass::Als,
        };
        if class != ModelClass::Als {
            spec.task = o.choice("task", &tasks)?;
            spec.clip = o.bool("clip")?;
            spec.biases = o.bool("biases")?;
            spec.features_in = o.choice("featuresIn", &inputs)?;
            spec.features = features;
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(class: ModelClass, json: &str) -> String {
        ModelSpec::from_json(class, json, None).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn every_constructor_option_reads_from_its_json_name() {
        let s = ModelSpec::from_json(
            ModelClass::NeuMf,
            r#"{"numUsers": 3, "numItems": 4, "factors": 8, "layers": [16, 8], "seed": 7, "initStd": 0.5,
                "task": "rating", "clip": false, "biases": true, "featuresIn": "both"}"#,
            None,
        )
        .unwrap();
        assert_eq!((s.kind, s.num_users, s.num_items, s.factors, s.seed), (Some(ModelKind::NeuMf), 3, 4, Some(8), 7));
        assert_eq!(s.layers, Some(vec![16, 8]));
        assert_eq!(
            (s.init_std, s.task, s.clip, s.biases),
            (Some(0.5), Some(TaskKind::Rating), Some(false), Some(true))
        );
        assert_eq!(s.features_in, Some(FeatureInputs::Both));
        assert!(!s.als);
        let als = ModelSpec::from_json(ModelClass::Als, r#"{"numUsers": 3, "numItems": 4, "initStd": null}"#, None);
        assert!(als.unwrap().als);
    }

    #[test]
    fn a_wrong_type_an_unknown_key_or_an_option_of_another_model_is_refused_by_name() {
        use ModelClass::*;
        assert_eq!(err(Gmf, r#"{"numItems": 4}"#), "numUsers: must be a positive integer, got undefined");
        assert_eq!(err(Gmf, r#"{"numUsers": 0, "numItems": 4}"#), "numUsers: must be a positive integer, got 0");
        assert_eq!(
            err(Mlp, r#"{"numUsers": 2, "numItems": 4, "layers": [8, 0]}"#),
            "layers[1]: must be a positive integer, got 0"
        );
        assert_eq!(
            err(Mlp, r#"{"numUsers": 2, "numItems": 4, "layers": 8}"#),
            "layers: must be an array of positive integers"
        );
        assert_eq!(
            err(Gmf, r#"{"numUsers": 2, "numItems": 4, "layers": [8, 4]}"#),
            "layers: apply to MLP and NeuMF; GMF has no tower"
        );
        assert_eq!(
            err(Mf, r#"{"numUsers": 2, "numItems": 4, "initStd": "0.1"}"#),
            "initStd: must be a number in (0, 10], got 0.1"
        );
        assert_eq!(
            err(Mf, r#"{"numUsers": 2, "numItems": 4, "task": "ranking"}"#),
            "task: must be 'implicit' or 'rating', got 'ranking'"
        );
        assert!(
            err(Als, r#"{"numUsers": 2, "numItems": 4, "biases": false}"#).starts_with("biases: does not apply to ALS")
        );
        assert!(
            err(Gmf, r#"{"numUsers": 2, "numItems": 4, "factor": 8}"#)
                .starts_with("GMF: unknown option 'factor' (did you mean 'factors'?)")
        );
        assert_eq!(err(Gmf, "[1]"), "options: must be an object");
    }

    #[test]
    fn each_class_lists_the_options_it_reads() {
        let base = ["numUsers", "numItems", "factors", "seed", "initStd"];
        let gradient = ["task", "clip", "biases", "featuresIn"];
        assert_eq!(ModelSpec::option_names(ModelClass::Als), base);
        assert_eq!(ModelSpec::option_names(ModelClass::Gmf), [&base[..], &gradient[..]].concat());
        let tower = ModelSpec::option_names(ModelClass::Mlp);
        assert_eq!(
            tower,
            ["numUsers", "numItems", "factors", "layers", "seed", "initStd", "task", "clip", "biases", "featuresIn"]
        );
    }
}
