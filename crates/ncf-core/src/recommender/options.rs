//! The options of what a model answers and how it is kept (`recommend`, `similarItems`,
//! `evaluate`, `predict`, `foldIn`, `save`, `load`), as the caller wrote them (a JSON object
//! each), read by [`Fields`]: names, types and defaults once, unknown keys refused. Each
//! reader leaves to the TypeScript layer what is no JSON value there: the device, datasets,
//! id lists it encodes (`filterItems`, `describe`) and a saved file's `info`.

use super::FoldIn;
use crate::error::{NcfError, Result};
use crate::options::{Fields, from_json, names};

/// Items per list when `k` is not given.
pub const DEFAULT_K: u32 = 10;

/// `recommend`'s options: `k` and whether to drop the items each user has seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecommendOptions {
    pub k: u32,
    pub exclude_seen: bool,
}

impl RecommendOptions {
    /// `data`: the caller passed a dataset whose seen items to exclude.
    pub fn from_json(json: &str, data: bool) -> Result<RecommendOptions> {
        let o = from_json("recommend", json, RecommendOptions::read)?;
        if data && !o.exclude_seen {
            return Err(NcfError::invalid(
                "data",
                "gives the seen items to exclude; it has no use with excludeSeen: false",
            ));
        }
        Ok(o)
    }

    pub fn option_names() -> Vec<&'static str> {
        names(RecommendOptions::read)
    }

    fn read(o: &mut Fields) -> Result<RecommendOptions> {
        Ok(RecommendOptions {
            k: o.positive("k")?.unwrap_or(DEFAULT_K),
            exclude_seen: o.bool("excludeSeen")?.unwrap_or(true),
        })
    }
}

/// `similarItems`/`similarUsers`: how many neighbours.
pub fn similar_k_from_json(json: &str) -> Result<u32> {
    from_json("similar", json, read_k)
}

pub fn similar_option_names() -> Vec<&'static str> {
    names(read_k)
}

fn read_k(o: &mut Fields) -> Result<u32> {
    Ok(o.positive("k")?.unwrap_or(DEFAULT_K))
}

/// A rating metric `evaluate` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatingMetric {
    Rmse,
    Mae,
    R2,
}

/// `evaluate`'s options: ranking metrics at `k` (the sampled candidates, or every item), or
/// rating metrics by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvaluateOptions {
    Ranking { k: u32, full: bool },
    Rating { metrics: Vec<RatingMetric> },
}

impl EvaluateOptions {
    pub fn from_json(json: &str) -> Result<EvaluateOptions> {
        from_json("evaluate", json, EvaluateOptions::read)
    }

    pub fn option_names() -> Vec<&'static str> {
        names(EvaluateOptions::read)
    }

    fn read(o: &mut Fields) -> Result<EvaluateOptions> {
        let k = o.positive("k")?;
        let full = o.choice("protocol", &[("sampled", false), ("full", true)])?;
        let Some(list) = o.take("metrics") else {
            return Ok(EvaluateOptions::Ranking { k: k.unwrap_or(DEFAULT_K), full: full.unwrap_or(false) });
        };
        for (name, given) in [("k", k.is_some()), ("protocol", full.is_some())] {
            if given {
                return Err(NcfError::invalid(name, "applies to ranking metrics, not to rating metrics"));
            }
        }
        let list = match list {
            serde_json::Value::Array(a) if !a.is_empty() => a,
            _ => return Err(NcfError::invalid("metrics", "must list 'rmse', 'mae' and/or 'r2'")),
        };
        let named = [("rmse", RatingMetric::Rmse), ("mae", RatingMetric::Mae), ("r2", RatingMetric::R2)];
        let metrics = list
            .iter()
            .enumerate()
            .map(|(k, v)| {
                named.iter().find(|(n, _)| v.as_str() == Some(n)).map(|(_, m)| *m).ok_or_else(|| {
                    NcfError::invalid(
                        format!("metrics[{k}]"),
                        format!("must be 'rmse', 'mae' or 'r2', got {}", crate::options::shown(v)),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(EvaluateOptions::Rating { metrics })
    }
}

/// Options with no option of the core's (`predict`, `load`: the device and the descriptions
/// are the TypeScript layer's): every key is refused, in the words of `what` (the call).
pub fn none_from_json(what: &str, json: &str) -> Result<()> {
    from_json(what, json, |_| Ok(()))
}

/// `save`'s options beside `info`: whether the seen items go into the file.
pub fn save_seen_from_json(json: &str) -> Result<bool> {
    from_json("save", json, read_save)
}

pub fn save_option_names() -> Vec<&'static str> {
    names(read_save)
}

fn read_save(o: &mut Fields) -> Result<bool> {
    Ok(o.bool("seen")?.unwrap_or(true))
}

impl FoldIn {
    /// This request with `foldIn`'s options from the caller's JSON (each default is the
    /// fold-in's own, see [`FoldIn`]).
    pub fn with_options_json(self, json: &str) -> Result<FoldIn> {
        from_json("foldIn", json, |o| FoldIn::read(self, o))
    }

    pub fn option_names() -> Vec<&'static str> {
        names(|o| FoldIn::read(FoldIn::default(), o))
    }

    fn read(req: FoldIn, o: &mut Fields) -> Result<FoldIn> {
        Ok(FoldIn {
            l2: o.number("l2")?,
            alpha: o.number("alpha")?,
            epochs: o.count("epochs")?,
            lr: o.number("lr")?,
            negatives: o.count("negatives")?,
            seed: o.count("seed")?,
            ..req
        })
    }
}

/// `NeuMF.fromPretrained`'s options: α, the GMF branch's weight in the predict layer (He et al.
/// §3.4.1; default 0.5).
pub fn pretrained_alpha_from_json(json: &str) -> Result<f32> {
    from_json("NeuMF.fromPretrained", json, read_alpha)
}

pub fn pretrained_option_names() -> Vec<&'static str> {
    names(read_alpha)
}

fn read_alpha(o: &mut Fields) -> Result<f32> {
    match o.number("alpha")? {
        None => Ok(0.5),
        Some(a) if (0.0..=1.0).contains(&a) => Ok(a as f32),
        Some(a) => Err(NcfError::invalid("alpha", format!("must be in [0, 1], got {a}"))),
    }
}
