//! A fit's options as the caller wrote them, a JSON object (the TypeScript layer keeps
//! `device`, `onEpoch`, `onProgress`, `progressEvery` and `signal`), read by
//! [`crate::options::Fields`]: every option's name and type checked once, unknown keys refused.
//! Ranges and defaults are [`FitOptions::resolve`]'s.

use std::path::PathBuf;

use serde_json::Value;

use super::control::Monitor;
use super::options::{CheckpointSchedule, EarlyStopping, FitOptions, OptimizerKind, Plateau, Validation};
use crate::error::{NcfError, Result};
use crate::options::{Fields, from_json, names};

impl FitOptions {
    /// A fit's options from the caller's JSON object, each checked for its name and type.
    pub fn from_json(json: &str) -> Result<FitOptions> {
        from_json("fit", json, FitOptions::read)
    }

    /// The names of a fit's options, as [`FitOptions::from_json`] reads them.
    pub fn option_names() -> Vec<&'static str> {
        names(FitOptions::read)
    }

    fn read(o: &mut Fields) -> Result<FitOptions> {
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
            reduce_lr_on_plateau: match o.object("reduceLrOnPlateau", "an object { factor?, patience?, minLr? }")? {
                None => None,
                Some(mut p) => {
                    let plateau = Plateau {
                        factor: p.number("factor")?,
                        patience: p.count("patience")?,
                        min_lr: p.number("minLr")?,
                    };
                    p.done()?;
                    Some(plateau)
                }
            },
            early_stopping: match o.object("earlyStopping", "an object { patience }")? {
                None => None,
                Some(mut e) => {
                    let patience = e.required_positive("patience")?;
                    e.done()?;
                    Some(EarlyStopping { patience })
                }
            },
            restore_best: o.bool("restoreBest")?,
            k: o.positive("k")?,
            evaluate: o.bool("evaluate")?,
            checkpoint: match o.object("checkpoint", "{ path, every? } with a path string")? {
                None => None,
                Some(mut c) => {
                    let shape = "must be { path, every? } with a path string";
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
        assert_eq!(err(r#"{"epoch": 3}"#), "fit: unknown option 'epoch' (did you mean 'epochs'?)");
        assert!(
            err(r#"{"velocity": 3}"#).starts_with("fit: unknown option 'velocity' (the options: epochs, batchSize,")
        );
        assert!(
            err(r#"{"earlyStopping": {"patience": 2, "delta": 1}}"#)
                .starts_with("earlyStopping: unknown option 'delta' (the options: patience)")
        );
        assert_eq!(err("[]"), "options: must be an object");
        assert!(err(r#"{"progress": true}"#).starts_with("fit: unknown option 'progress'"));
        assert!(err("{").starts_with("options: are not JSON"));
    }
}
