//! A fit's options as the caller wrote them, a JSON object (the Node binding passes the
//! object the TypeScript layer was given, less the options that live there: `device`,
//! `onEpoch`, `onProgress`, `progressEvery`, `signal`). Every option's name and type is
//! checked here, once, with the wording the API documents, and a key that names no option is
//! refused; ranges and defaults are [`FitOptions::resolve`]'s.
//!
//! JSON has no NaN or ±Infinity: the TypeScript layer sends such a number as the string
//! `"NaN"`, `"Infinity"` or `"-Infinity"`, read here as the number it was.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::control::Monitor;
use super::options::{CheckpointSchedule, EarlyStopping, FitOptions, OptimizerKind, Plateau, Validation};
use crate::error::{NcfError, Result};

/// The options of an object, taken one at a time; what is left at the end names no option.
struct Fields {
    /// The object's path (`""` at the top, `"checkpoint."` inside it).
    at: &'static str,
    map: Map<String, Value>,
    /// Every option name taken, for the refusal of the others.
    known: Vec<&'static str>,
}

/// How a JS value reads in a message (`String(v)` in JavaScript).
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        v => v.to_string(),
    }
}

/// A number, or one JSON cannot hold sent as its name.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == "NaN" => Some(f64::NAN),
        Value::String(s) if s == "Infinity" => Some(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

impl Fields {
    fn of(at: &'static str, v: Value, shape: &str) -> Result<Fields> {
        match v {
            Value::Object(map) => Ok(Fields { at, map, known: Vec::new() }),
            _ => {
                let field = if at.is_empty() { "options" } else { at.trim_end_matches('.') };
                Err(NcfError::invalid(field, format!("must be {shape}")))
            }
        }
    }

    fn field(&self, name: &str) -> String {
        format!("{}{name}", self.at)
    }

    /// The value of `name`, when given (`null` is not given: JSON's stand-in for `undefined`).
    fn take(&mut self, name: &'static str) -> Option<Value> {
        self.known.push(name);
        self.map.remove(name).filter(|v| !v.is_null())
    }

    fn number(&mut self, name: &'static str) -> Result<Option<f64>> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => match number(&v).filter(|n| !n.is_nan()) {
                Some(n) => Ok(Some(n)),
                None => Err(NcfError::invalid(self.field(name), format!("must be a number, got {}", shown(&v)))),
            },
        }
    }

    /// A count the caller may set to 0 (`negatives`, `seed`, …).
    fn count(&mut self, name: &'static str) -> Result<Option<u32>> {
        match self.number(name)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&n) => Ok(Some(n as u32)),
            Some(n) => Err(NcfError::invalid(self.field(name), format!("must be a non-negative integer, got {n}"))),
        }
    }

    /// A count of at least 1 (`epochs`, `k`, …).
    fn positive(&mut self, name: &'static str) -> Result<Option<u32>> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => match number(&v) {
                Some(n) if n.fract() == 0.0 && (1.0..=u32::MAX as f64).contains(&n) => Ok(Some(n as u32)),
                _ => Err(NcfError::invalid(self.field(name), format!("must be a positive integer, got {}", shown(&v)))),
            },
        }
    }

    fn bool(&mut self, name: &'static str) -> Result<Option<bool>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(v) => Err(NcfError::invalid(self.field(name), format!("must be true or false, got {}", shown(&v)))),
        }
    }

    /// One of `names`, as its value.
    fn choice<T: Copy>(&mut self, name: &'static str, names: &[(&str, T)]) -> Result<Option<T>> {
        let Some(v) = self.take(name) else { return Ok(None) };
        if let Some((_, t)) = names.iter().find(|(n, _)| v.as_str() == Some(n)) {
            return Ok(Some(*t));
        }
        let list: Vec<String> = names.iter().map(|(n, _)| format!("'{n}'")).collect();
        let text = match list.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => list.concat(),
        };
        Err(NcfError::invalid(self.field(name), format!("must be {text}, got '{}'", shown(&v))))
    }

    /// A non-empty path (`message` says what it must be otherwise).
    fn path(&mut self, name: &'static str, message: &str) -> Result<Option<PathBuf>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(PathBuf::from(s))),
            Some(_) => Err(NcfError::invalid(self.field(name), message)),
        }
    }

    /// Refuses what no option names.
    fn done(self) -> Result<()> {
        let Some(key) = self.map.keys().next() else { return Ok(()) };
        Err(NcfError::invalid(
            self.field(key),
            format!("is not an option here (the options: {})", self.known.join(", ")),
        ))
    }
}

impl FitOptions {
    /// A fit's options from the caller's JSON object, each checked for its name and type.
    pub fn from_json(json: &str) -> Result<FitOptions> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| NcfError::invalid("options", format!("are not JSON: {e}")))?;
        let mut o = Fields::of("", value, "an object")?;
        let optimizers = [("adam", OptimizerKind::Adam), ("sgd", OptimizerKind::Sgd), ("als", OptimizerKind::Als)];
        let validations =
            [("dataset", Validation::Dataset), ("leave-one-out", Validation::LeaveOneOut), ("none", Validation::None)];
        let monitors = [("hr", Monitor::Hr), ("ndcg", Monitor::Ndcg), ("rmse", Monitor::Rmse)];
        let opts = FitOptions {
            epochs: o.positive("epochs")?,
            batch_size: o.count("batchSize")?,
            negatives: o.count("negatives")?,
            optimizer: o.choice("optimizer", &optimizers)?,
            momentum: o.number("momentum")?,
            weight_decay: o.number("weightDecay")?,
            beta1: o.number("beta1")?,
            beta2: o.number("beta2")?,
            eps: o.number("eps")?,
            sparse: o.bool("sparse")?,
            l2: o.number("l2")?,
            alpha: o.number("alpha")?,
            hogwild: o.bool("hogwild")?,
            uniform_negatives: o.bool("uniformNegatives")?,
            cg_steps: o.count("cgSteps")?,
            dropout: o.number("dropout")?,
            lr: o.number("lr")?,
            seed: o.count("seed")?,
            validation: o.choice("validation", &validations)?,
            validation_negatives: o.count("validationNegatives")?,
            monitor: o.choice("monitor", &monitors)?,
            reduce_lr_on_plateau: match o.take("reduceLrOnPlateau") {
                None => None,
                Some(v) => {
                    let mut p = Fields::of("reduceLrOnPlateau.", v, "an object { factor?, patience?, minLr? }")?;
                    let plateau = Plateau {
                        factor: p.number("factor")?,
                        patience: p.count("patience")?,
                        min_lr: p.number("minLr")?,
                    };
                    p.done()?;
                    Some(plateau)
                }
            },
            early_stopping: match o.take("earlyStopping") {
                None => None,
                Some(v) => {
                    let mut e = Fields::of("earlyStopping.", v, "an object { patience }")?;
                    let patience = e.positive("patience")?.ok_or_else(|| {
                        NcfError::invalid("earlyStopping.patience", "must be a positive integer, got undefined")
                    })?;
                    e.done()?;
                    Some(EarlyStopping { patience })
                }
            },
            restore_best: o.bool("restoreBest")?,
            k: o.positive("k")?,
            evaluate: o.bool("evaluate")?,
            checkpoint: match o.take("checkpoint") {
                None => None,
                Some(v) => {
                    let shape = "must be { path, every? } with a path string";
                    let mut c = Fields::of("checkpoint.", v, &shape[8..])?;
                    // An empty path is refused by `resolve`, in its own words.
                    let path = match c.take("path") {
                        Some(Value::String(s)) => PathBuf::from(s),
                        _ => return Err(NcfError::invalid("checkpoint", shape)),
                    };
                    let every = c.positive("every")?;
                    c.done()?;
                    Some(CheckpointSchedule { path, every })
                }
            },
            resume_from: o.path("resumeFrom", "must be a checkpoint path")?,
            // Whether to report progress is the caller's (a callback or a signal), not an option.
            progress: false,
        };
        o.done()?;
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> String {
        FitOptions::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn every_option_reads_from_its_json_name() {
        let o = FitOptions::from_json(
            r#"{"epochs": 3, "batchSize": 64, "negatives": 0, "optimizer": "sgd", "momentum": 0.9,
                "weightDecay": 0.1, "beta1": 0.5, "beta2": 0.6, "eps": 1e-6, "sparse": true, "l2": 0.01,
                "alpha": 0.3, "hogwild": false, "uniformNegatives": true, "cgSteps": 0, "dropout": 0.2,
                "lr": "Infinity", "seed": 7, "validation": "leave-one-out", "validationNegatives": 50,
                "monitor": "ndcg", "reduceLrOnPlateau": {"factor": 0.5, "patience": 2, "minLr": 0},
                "earlyStopping": {"patience": 3}, "restoreBest": false, "k": 20, "evaluate": true,
                "checkpoint": {"path": "a.ckpt", "every": 2}, "resumeFrom": "b.ckpt"}"#,
        )
        .unwrap();
        assert_eq!(
            (o.epochs, o.batch_size, o.negatives, o.cg_steps, o.seed),
            (Some(3), Some(64), Some(0), Some(0), Some(7))
        );
        assert_eq!(
            (o.optimizer, o.validation, o.monitor),
            (Some(OptimizerKind::Sgd), Some(Validation::LeaveOneOut), Some(Monitor::Ndcg))
        );
        assert_eq!(o.lr, Some(f64::INFINITY));
        assert_eq!(o.reduce_lr_on_plateau, Some(Plateau { factor: Some(0.5), patience: Some(2), min_lr: Some(0.0) }));
        assert_eq!(o.early_stopping, Some(EarlyStopping { patience: 3 }));
        assert_eq!(o.checkpoint, Some(CheckpointSchedule { path: "a.ckpt".into(), every: Some(2) }));
        assert_eq!(o.resume_from, Some(PathBuf::from("b.ckpt")));
        assert!(o.sparse == Some(true) && o.hogwild == Some(false) && o.restore_best == Some(false));
        // Absent and null are both unset.
        let d = FitOptions::from_json(r#"{"epochs": null}"#).unwrap();
        assert_eq!(d.epochs, None);
    }

    #[test]
    fn a_wrong_type_or_an_unknown_key_is_refused_by_name() {
        assert_eq!(err(r#"{"evaluate": "no"}"#), "evaluate: must be true or false, got no");
        assert_eq!(err(r#"{"batchSize": "64"}"#), "batchSize: must be a number, got 64");
        assert_eq!(err(r#"{"lr": "NaN"}"#), "lr: must be a number, got NaN");
        assert_eq!(err(r#"{"negatives": -1}"#), "negatives: must be a non-negative integer, got -1");
        assert_eq!(err(r#"{"epochs": 1.5}"#), "epochs: must be a positive integer, got 1.5");
        assert_eq!(err(r#"{"epochs": 0}"#), "epochs: must be a positive integer, got 0");
        assert_eq!(err(r#"{"optimizer": "rmsprop"}"#), "optimizer: must be 'adam', 'sgd' or 'als', got 'rmsprop'");
        assert_eq!(
            err(r#"{"reduceLrOnPlateau": 3}"#),
            "reduceLrOnPlateau: must be an object { factor?, patience?, minLr? }"
        );
        assert_eq!(
            err(r#"{"earlyStopping": {}}"#),
            "earlyStopping.patience: must be a positive integer, got undefined"
        );
        assert_eq!(err(r#"{"checkpoint": {"path": 3}}"#), "checkpoint: must be { path, every? } with a path string");
        assert_eq!(err(r#"{"resumeFrom": ""}"#), "resumeFrom: must be a checkpoint path");
        assert!(err(r#"{"epoch": 3}"#).starts_with("epoch: is not an option here (the options: epochs, batchSize,"));
        assert!(
            err(r#"{"earlyStopping": {"patience": 2, "delta": 1}}"#)
                .starts_with("earlyStopping.delta: is not an option here (the options: patience)")
        );
        assert_eq!(err("[]"), "options: must be an object");
        assert!(err(r#"{"progress": true}"#).starts_with("progress: is not an option here"));
        assert!(err("{").starts_with("options: are not JSON"));
    }
}
