//! Using a trained recommender: each call checks its arguments at once, on the caller's thread
//! (so a bad argument is an immediate error), and returns a job holding a snapshot of the
//! weights that runs on any backend later, off that thread.

use std::sync::Arc;

use super::{Corpus, Recommender, cold};
use crate::backend::{Backend, ranking};
use crate::data::Csr;
use crate::error::{NcfError, Result};
use crate::infer::{Exclusions, Ranked, Side};
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::{Params, sigmoid};

/// Scores of pairs through the model's link function: ŷ = σ(z) for implicit feedback, the
/// predicted rating r̂ = clip(z + μ) for a rating model.
pub struct Predict {
    params: Params,
    users: Vec<u32>,
    items: Vec<u32>,
    scale: Option<RatingScale>,
}

impl Predict {
    pub fn run(self, b: &dyn Backend) -> Result<Vec<f32>> {
        let z = ranking::logits(b, &self.params, &self.users, &self.items)?;
        Ok(match self.scale {
            Some(s) => z.into_iter().map(|z| s.predict(z)).collect(),
            None => z.into_iter().map(sigmoid).collect(),
        })
    }
}

/// What a recommend call asks for.
pub struct RecommendRequest<'a> {
    pub users: Vec<u32>,
    pub k: u32,
    pub exclude_seen: bool,
    /// Only these items may be recommended (an allow-list).
    pub filter_items: Option<&'a [u32]>,
    /// These items are never recommended (a block-list; applied after `filter_items`).
    pub exclude_items: Option<&'a [u32]>,
    /// Whose interactions are "seen" (default: the last fit's, or the loaded file's).
    pub data: Option<&'a Corpus>,
    /// New users described by their features (`{ users: [description…] }`), ranked like any
    /// user with nothing seen.
    pub describe: Option<&'a serde_json::Value>,
}

/// Top-K items per user, ranked by logit; a rating model reports them as predicted ratings.
pub struct Recommend {
    params: Params,
    users: Vec<u32>,
    k: u32,
    seen: Option<Arc<Csr>>,
    allow: Option<Vec<bool>>,
    scale: Option<RatingScale>,
}

impl Recommend {
    pub fn run(self, b: &dyn Backend) -> Result<Vec<Ranked>> {
        let ex = Exclusions { seen: self.seen.as_deref(), allow: self.allow.as_deref() };
        let mut list = ranking::recommend(b, &self.params, &self.users, self.k, &ex)?;
        if let Some(s) = self.scale {
            // Ranked by score; reported as predicted ratings.
            list.iter_mut().for_each(|r| r.scores.iter_mut().for_each(|z| *z = s.predict(*z)));
        }
        Ok(list)
    }
}

/// The `k` rows most similar to each query by cosine similarity.
pub struct Similar {
    params: Params,
    side: Side,
    queries: Vec<u32>,
    k: u32,
}

impl Similar {
    pub fn run(self, b: &dyn Backend) -> Result<Vec<Ranked>> {
        ranking::similar(b, &self.params, self.side, &self.queries, self.k)
    }
}

impl Recommender {
    /// Scores of `(users[t], items[t])` (indices; new rows from `describe` follow the model's).
    pub fn predict(&self, users: Vec<u32>, items: Vec<u32>, describe: Option<&serde_json::Value>) -> Result<Predict> {
        let params = self.weights()?;
        let scale = self.scale_for("predict")?;
        let params = match describe {
            None => params,
            Some(d) => cold::with_described(params, d, true)?,
        };
        crate::infer::check_pairs(params.layout, &users, &items)?;
        Ok(Predict { params, users, items, scale })
    }

    /// Top-`k` items of each user over all items. Implicit models report the logit z as the
    /// score (the ranking is the same as σ(z)'s, and logits do not saturate into ties).
    pub fn recommend(&self, req: RecommendRequest<'_>) -> Result<Recommend> {
        let params = self.weights()?;
        let params = match req.describe {
            None => params,
            Some(d) => cold::with_described(params, d, false)?,
        };
        let l = params.layout;
        if let Some(r) = req.users.iter().position(|&u| u >= l.num_users) {
            return Err(NcfError::invalid(
                format!("users[{r}]"),
                format!("id {} is not below numUsers = {}", req.users[r], l.num_users),
            ));
        }
        let n = l.num_items;
        let check = |field: &str, list: &[u32]| -> Result<()> {
            match list.iter().position(|&i| i >= n) {
                Some(r) => Err(NcfError::invalid(
                    format!("{field}[{r}]"),
                    format!("id {} is not below numItems = {n}", list[r]),
                )),
                None => Ok(()),
            }
        };
        let mut allow = match req.filter_items {
            Some(f) => {
                check("filterItems", f)?;
                let mut allow = vec![false; n as usize];
                f.iter().for_each(|&i| allow[i as usize] = true);
                Some(allow)
            }
            None => None,
        };
        if let Some(x) = req.exclude_items {
            check("excludeItems", x)?;
            let a = allow.get_or_insert_with(|| vec![true; n as usize]);
            x.iter().for_each(|&i| a[i as usize] = false);
        }
        if let Some(d) = req.data {
            self.check_ids(d)?;
        }
        let seen = match (req.exclude_seen, req.data) {
            (false, _) => None,
            (true, Some(d)) => Some(Arc::new(d.data.known_interactions())),
            (true, None) => Some(self.seen().ok_or_else(|| {
                NcfError::invalid(
                    "excludeSeen",
                    "needs the users' interactions: pass data, fit the model first, or load a file saved with its seen items",
                )
            })?),
        };
        let scale = self.scale_for("recommend")?;
        crate::train::check_k(req.k)?;
        Ok(Recommend { params, users: req.users, k: req.k, seen, allow, scale })
    }

    /// The `k` users or items most similar to each of `queries` by cosine similarity of their
    /// embeddings (NeuMF: the mean of both branches' cosines).
    pub fn similar(&self, side: Side, queries: Vec<u32>, k: u32) -> Result<Similar> {
        let params = self.weights()?;
        crate::infer::check_similar(params.layout, side, &queries, k)?;
        Ok(Similar { params, side, queries, k })
    }

    /// Every user's or item's embedding, row-major (NeuMF: `[GMF ; MLP]`).
    pub fn embeddings(&self, side: Side) -> Result<(usize, Vec<f32>)> {
        Ok(crate::infer::embeddings(&self.weights()?, side))
    }

    /// Sampled (He et al. §4.1) or full-ranking HR@k / NDCG@k on `data`'s test cases.
    pub fn evaluate(&self, data: &Corpus, k: u32, full: bool) -> Result<Evaluate> {
        let params = self.weights()?;
        self.check_ids(data)?;
        Ok(Evaluate { params, data: data.data.clone(), k, full })
    }

    /// RMSE / MAE / R² of a rating model on `data`'s held-out ratings.
    pub fn evaluate_rating(&self, data: &Corpus) -> Result<EvaluateRating> {
        let scale = self
            .scale_for("evaluate")?
            .ok_or_else(|| NcfError::invalid("metrics", "RMSE/MAE/R² apply to rating models (task: 'rating')"))?;
        let params = self.weights()?;
        self.check_ids(data)?;
        Ok(EvaluateRating { params, data: data.data.clone(), scale })
    }
}

/// A ranking evaluation, ready to run.
pub struct Evaluate {
    params: Params,
    data: Arc<crate::data::Dataset>,
    k: u32,
    full: bool,
}

impl Evaluate {
    pub fn run(self, b: &dyn Backend) -> Result<RankMetrics> {
        let test = self.data.test_cases()?;
        if self.full {
            ranking::evaluate_full(b, &self.params, &self.data, self.k)
        } else {
            ranking::evaluate(b, &self.params, test, self.k)
        }
    }
}

/// A rating evaluation, ready to run.
pub struct EvaluateRating {
    params: Params,
    data: Arc<crate::data::Dataset>,
    scale: RatingScale,
}

impl EvaluateRating {
    pub fn run(self, b: &dyn Backend) -> Result<RatingMetrics> {
        let test = self.data.test_cases()?;
        ranking::evaluate_rating(b, &self.params, test, self.scale)
    }
}
