//! The options of the dataset constructors and of `Dataset.split`, as the caller wrote them
//! (a JSON object each), read by [`Fields`]: names and types checked once, unknown keys
//! refused, defaults filled. The typed arrays of `fromArrays` cross beside their options.

use std::path::PathBuf;

use super::ncf_files::NcfPaths;
use super::scale::ScaleConfig;
use super::split::SplitMethod;
use super::synthetic::SyntheticConfig;
use crate::error::{NcfError, Result};
use crate::options::{Fields, from_json, names};

/// `Dataset.fromNcfFiles`: the split's files and the sizes the caller may fix.
#[derive(Clone, Debug)]
pub struct NcfFilesSpec {
    pub paths: NcfPaths,
    pub num_users: Option<u32>,
    pub num_items: Option<u32>,
}

impl NcfFilesSpec {
    pub fn from_json(json: &str) -> Result<NcfFilesSpec> {
        from_json("Dataset.fromNcfFiles", json, NcfFilesSpec::read)
    }

    pub fn option_names() -> Vec<&'static str> {
        names(NcfFilesSpec::read)
    }

    fn read(o: &mut Fields) -> Result<NcfFilesSpec> {
        let train = o.required_string("train", "a path to the *.train.rating file is required")?;
        Ok(NcfFilesSpec {
            paths: NcfPaths {
                train: PathBuf::from(train),
                test_rating: o.path("testRating", "must be a path string")?,
                test_negative: o.path("testNegative", "must be a path string")?,
            },
            num_users: o.positive("numUsers")?,
            num_items: o.positive("numItems")?,
        })
    }
}

/// `Dataset.synthetic`'s options over [`SyntheticConfig::default`].
pub fn synthetic_from_json(json: &str) -> Result<SyntheticConfig> {
    from_json("Dataset.synthetic", json, read_synthetic)
}

pub fn synthetic_option_names() -> Vec<&'static str> {
    names(read_synthetic)
}

fn read_synthetic(o: &mut Fields) -> Result<SyntheticConfig> {
    let d = SyntheticConfig::default();
    Ok(SyntheticConfig {
        num_users: o.count("numUsers")?.unwrap_or(d.num_users),
        num_items: o.count("numItems")?.unwrap_or(d.num_items),
        per_user: o.count("perUser")?.unwrap_or(d.per_user),
        clusters: o.count("clusters")?.unwrap_or(d.clusters),
        test_negatives: o.count("testNegatives")?.unwrap_or(d.test_negatives),
        seed: o.count("seed")?.unwrap_or(d.seed),
    })
}

/// `Dataset.syntheticAtScale`: a size by name, and any field overriding it.
pub fn scale_from_json(json: &str) -> Result<ScaleConfig> {
    from_json("Dataset.syntheticAtScale", json, read_scale)
}

pub fn scale_option_names() -> Vec<&'static str> {
    names(read_scale)
}

fn read_scale(o: &mut Fields) -> Result<ScaleConfig> {
    let sizes = [("ml-20m", "ml-20m"), ("netflix", "netflix")];
    let size = o.choice("size", &sizes)?;
    let (nu, ni, interactions) = (o.count("numUsers")?, o.count("numItems")?, o.count_u64("interactions")?);
    let mut cfg =
        if o.is_listing() { ScaleConfig::ml_20m() } else { ScaleConfig::resolve(size, nu, ni, interactions)? };
    let mut set = |name: &'static str, into: &mut u32| -> Result<()> {
        if let Some(v) = o.count(name)? {
            *into = v;
        }
        Ok(())
    };
    set("minPerUser", &mut cfg.min_per_user)?;
    set("clusters", &mut cfg.clusters)?;
    // Without testUsers, as many as the preset's that there are users.
    cfg.test_users = cfg.test_users.min(cfg.num_users);
    set("testUsers", &mut cfg.test_users)?;
    set("testNegatives", &mut cfg.test_negatives)?;
    set("seed", &mut cfg.seed)?;
    if let Some(v) = o.number("inCluster")? {
        cfg.in_cluster = v as f32;
    }
    Ok(cfg)
}

/// The options of `Dataset.fromArrays` beside its arrays: a rating threshold, and (for dense
/// indices only) the sizes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ArraysSpec {
    pub threshold: Option<f32>,
    pub num_users: Option<u32>,
    pub num_items: Option<u32>,
}

impl ArraysSpec {
    /// `dense`: the arrays are dense indices (typed arrays), not the caller's ids.
    pub fn from_json(json: &str, dense: bool) -> Result<ArraysSpec> {
        from_json("Dataset.fromArrays", json, |o| ArraysSpec::read(o, dense))
    }

    pub fn option_names() -> Vec<&'static str> {
        names(|o| ArraysSpec::read(o, true))
    }

    /// The ratings with this threshold, as `Dataset::from_signed_arrays` takes them (a
    /// threshold needs ratings).
    pub fn rated<'a>(&self, ratings: Option<&'a [f32]>) -> Result<Option<(&'a [f32], Option<f32>)>> {
        match (ratings, self.threshold) {
            (None, Some(_)) => Err(NcfError::invalid("threshold", "needs ratings")),
            (r, t) => Ok(r.map(|r| (r, t))),
        }
    }

    /// Timestamps from JavaScript numbers: integers within 2⁵³, each refused by its index.
    pub fn timestamps(t: &[f64]) -> Result<Vec<i64>> {
        t.iter()
            .enumerate()
            .map(|(k, &x)| {
                if x.is_finite() && x.fract() == 0.0 && x.abs() <= crate::options::SAFE_INTEGER {
                    Ok(x as i64)
                } else {
                    Err(NcfError::invalid(format!("timestamps[{k}]"), format!("must be an integer, got {x}")))
                }
            })
            .collect()
    }

    fn read(o: &mut Fields, dense: bool) -> Result<ArraysSpec> {
        let threshold = o.finite("threshold")?.map(|t| t as f32);
        if !dense {
            for name in ["numUsers", "numItems"] {
                o.refuse(name, "applies to typed arrays of indices; with ids the counts come from the ids")?;
            }
        }
        Ok(ArraysSpec { threshold, num_users: o.positive("numUsers")?, num_items: o.positive("numItems")? })
    }
}

/// `Dataset.split`: how interactions are held out, with how many sampled negatives each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitSpec {
    pub method: SplitMethod,
    pub negatives: u32,
    pub seed: u32,
}

/// Sampled negatives of a split's held-out case by default (the NCF protocol's 99).
pub const SPLIT_NEGATIVES: u32 = 99;

impl SplitSpec {
    /// `rated`: the dataset has ratings, so a split may hold out cases for rating metrics
    /// alone (`negatives: 0`).
    pub fn from_json(json: &str, rated: bool) -> Result<SplitSpec> {
        from_json("split", json, |o| SplitSpec::read(o, rated))
    }

    pub fn option_names() -> Vec<&'static str> {
        names(|o| SplitSpec::read(o, true))
    }

    fn read(o: &mut Fields, rated: bool) -> Result<SplitSpec> {
        #[derive(Clone, Copy)]
        enum Name {
            LeaveOneOut,
            Random,
            Time,
        }
        let methods = [("leave-one-out", Name::LeaveOneOut), ("random", Name::Random), ("time", Name::Time)];
        let name = o.choice("method", &methods)?.unwrap_or(Name::LeaveOneOut);
        let (test, validation_ratio) = (o.number("testRatio")?, o.number("validationRatio")?);
        let validation = o.bool("validation")?;
        let negatives = o.count("negatives")?.unwrap_or(SPLIT_NEGATIVES);
        if negatives == 0 && !rated {
            return Err(NcfError::invalid("negatives", "must be a positive integer, got 0"));
        }
        let seed = o.count("seed")?.unwrap_or(0);
        let ratio = |what: &str| -> Result<(f64, f64)> {
            if validation.is_some() {
                let message = format!("applies to leave-one-out; the '{what}' split takes validationRatio");
                return Err(NcfError::invalid("validation", message));
            }
            Ok((test.unwrap_or(0.2), validation_ratio.unwrap_or(0.0)))
        };
        let method = match name {
            Name::LeaveOneOut => {
                for (field, v) in [("testRatio", test), ("validationRatio", validation_ratio)] {
                    if v.is_some() {
                        return Err(NcfError::invalid(
                            field,
                            "applies to the 'random' and 'time' splits; leave-one-out holds out one interaction per user",
                        ));
                    }
                }
                SplitMethod::LeaveOneOut { validation: validation.unwrap_or(false) }
            }
            Name::Random => {
                let (test, validation) = ratio("random")?;
                SplitMethod::Random { test, validation }
            }
            Name::Time => {
                let (test, validation) = ratio("time")?;
                SplitMethod::Time { test, validation }
            }
        };
        Ok(SplitSpec { method, negatives, seed })
    }
}
