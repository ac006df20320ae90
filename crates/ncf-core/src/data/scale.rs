//! Seeded synthetic implicit feedback at the size of real catalogues: ML-20M
//! (138,493 users × 26,744 items × 20.0M interactions) and the Netflix Prize (480,189 × 17,770
//! × 100.5M), with their skew, built straight into CSR rows in parallel.
//!
//! [`super::synthetic`] scores every (user, item) pair, O(users × items): fine for the demo's
//! 2,000 × 1,000, hours at Netflix size. Here each interaction costs one draw:
//! - **Activity:** a user's count is `min + LogNormal(0, σ)` scaled to the target total (real
//!   catalogues are heavy-tailed: ML-20M's median user has 68 ratings against a mean of 144),
//!   capped at a quarter of the items so negatives stay easy to draw.
//! - **Popularity:** item weights follow a Zipf law over a shuffled rank, `(rank + 30)^-1.2`:
//!   the most popular item then holds about 0.3% of all interactions, as in ML-20M (0.34%) and
//!   Netflix (0.23%), and the top tenth of items about two thirds.
//! - **Planted structure:** items and users belong to taste clusters; a share `in_cluster` of a
//!   user's interactions is drawn from its cluster's items (by popularity), the rest from all
//!   items. A model that learns the clusters beats popularity, so HR@10 says whether training
//!   works at this size.
//!
//! Each user draws from its own stream (`seed`, user), so the data is the same on any number of
//! threads. Memory: the rows (4 bytes an interaction) and `train_users` (4 more), nothing else
//! of that order; the pairs are never materialised.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::csr::Csr;
use super::dataset::{Dataset, MAX_ENTITIES, TestSet};
use super::synthetic::MAX_SYNTHETIC;
use crate::error::{NcfError, Result};

/// The shape of a generated dataset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleConfig {
    pub num_users: u32,
    pub num_items: u32,
    /// Interactions in all (training positives plus held-out test positives), about.
    pub interactions: u64,
    /// The fewest interactions a user has (ML-20M keeps users with 20 or more).
    pub min_per_user: u32,
    /// σ of the log-normal activity: larger is a heavier tail.
    pub activity_sigma: f32,
    pub clusters: u32,
    /// Share of a user's interactions drawn from its own cluster.
    pub in_cluster: f32,
    /// Users with a held-out test case, spread evenly over the ids (each keeps one positive
    /// out of training, ranked among `test_negatives` sampled items). The rest train on all
    /// of theirs: at Netflix size, 480k × 100 candidates would be evaluated every epoch.
    pub test_users: u32,
    pub test_negatives: u32,
    pub seed: u32,
}

impl ScaleConfig {
    /// MovieLens-20M's size: 138,493 users, 26,744 items, 20,000,263 ratings, at least 20 a user.
    pub fn ml_20m() -> Self {
        ScaleConfig {
            num_users: 138_493,
            num_items: 26_744,
            interactions: 20_000_263,
            min_per_user: 20,
            activity_sigma: 1.1,
            clusters: 32,
            in_cluster: 0.6,
            test_users: 6_040,
            test_negatives: 99,
            seed: 0,
        }
    }

    /// The Netflix Prize's size: 480,189 users, 17,770 films, 100,480,507 ratings.
    pub fn netflix() -> Self {
        ScaleConfig {
            num_users: 480_189,
            num_items: 17_770,
            interactions: 100_480_507,
            min_per_user: 2,
            ..ScaleConfig::ml_20m()
        }
    }

    /// A named size: `ml-20m` or `netflix`.
    pub fn preset(name: &str) -> Result<Self> {
        match name {
            "ml-20m" => Ok(ScaleConfig::ml_20m()),
            "netflix" => Ok(ScaleConfig::netflix()),
            other => Err(NcfError::invalid("size", format!("must be 'ml-20m' or 'netflix', got '{other}'"))),
        }
    }

    /// A named size with the counts given overriding it, or, without a name, the three counts
    /// (each required then) with ML-20M's shape otherwise. The rest of the fields keep the
    /// base's values for the caller to set.
    pub fn resolve(
        size: Option<&str>,
        num_users: Option<u32>,
        num_items: Option<u32>,
        interactions: Option<u64>,
    ) -> Result<Self> {
        let base = match size {
            Some(name) => ScaleConfig::preset(name)?,
            None if num_users.is_none() || num_items.is_none() || interactions.is_none() => {
                return Err(NcfError::invalid(
                    "size",
                    "name 'ml-20m' or 'netflix', or give numUsers, numItems and interactions",
                ));
            }
            None => ScaleConfig::ml_20m(),
        };
        Ok(ScaleConfig {
            num_users: num_users.unwrap_or(base.num_users),
            num_items: num_items.unwrap_or(base.num_items),
            interactions: interactions.unwrap_or(base.interactions),
            ..base
        })
    }

    /// The most interactions one user gets: a quarter of the items, so that a user's negatives
    /// (and its test case's sampled items) are found in a few draws.
    pub fn cap(&self) -> u32 {
        (self.num_items / 4).max(self.min_per_user)
    }

    fn check(&self) -> Result<()> {
        for (field, n) in [("numUsers", self.num_users), ("numItems", self.num_items)] {
            if n == 0 || n > MAX_ENTITIES {
                return Err(NcfError::invalid(field, format!("{n}: must be 1 to {MAX_ENTITIES}")));
            }
        }
        if self.interactions > MAX_SYNTHETIC {
            return Err(NcfError::invalid(
                "interactions",
                format!("{} is more than the {MAX_SYNTHETIC} the generator makes", self.interactions),
            ));
        }
        if self.min_per_user < 2 {
            return Err(NcfError::invalid("minPerUser", "must be at least 2 (one is held out for test)"));
        }
        // Negatives: a capped user plus its sampled test items must leave items unused.
        if self.num_items < 8 || self.cap() as u64 + self.test_negatives as u64 + 1 > self.num_items as u64 / 2 {
            return Err(NcfError::invalid(
                "numItems",
                format!(
                    "{} items leave no room for {} interactions a user and {} test negatives",
                    self.num_items,
                    self.cap(),
                    self.test_negatives
                ),
            ));
        }
        let least = self.num_users as u64 * self.min_per_user as u64;
        let most = self.num_users as u64 * self.cap() as u64;
        if self.interactions < least || self.interactions > most {
            return Err(NcfError::invalid(
                "interactions",
                format!(
                    "{} cannot be spread over {} users at {}..={} each",
                    self.interactions,
                    self.num_users,
                    self.min_per_user,
                    self.cap()
                ),
            ));
        }
        if self.clusters == 0 || self.clusters > self.num_items / 8 {
            return Err(NcfError::invalid("clusters", format!("must be 1 to {}", self.num_items / 8)));
        }
        if !(0.0..=1.0).contains(&self.in_cluster) {
            return Err(NcfError::invalid("inCluster", "must be in [0, 1]"));
        }
        if !(self.activity_sigma.is_finite() && (0.0..=3.0).contains(&self.activity_sigma)) {
            return Err(NcfError::invalid("activitySigma", "must be in [0, 3]"));
        }
        if self.test_users > self.num_users {
            return Err(NcfError::invalid("testUsers", format!("more than the {} users", self.num_users)));
        }
        Ok(())
    }
}

/// One user's stream: independent of every other user's and of the thread that runs it.
fn user_rng(seed: u32, domain: u64, user: u32) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64((seed as u64) << 32 ^ user as u64 ^ domain.rotate_left(48))
}

/// Draws by weight from a cumulative table (binary search).
struct Cumulative {
    items: Vec<u32>,
    upto: Vec<f64>,
}

impl Cumulative {
    fn new(items: Vec<u32>, weight: impl Fn(u32) -> f64) -> Self {
        let mut total = 0.0;
        let upto = items
            .iter()
            .map(|&i| {
                total += weight(i);
                total
            })
            .collect();
        Cumulative { items, upto }
    }
    fn draw(&self, rng: &mut Xoshiro256PlusPlus) -> u32 {
        let x = rng.random::<f64>() * self.upto.last().copied().unwrap_or(0.0);
        let k = self.upto.partition_point(|&c| c <= x).min(self.items.len() - 1);
        self.items[k]
    }
}

/// An item's popularity weight by rank, `(rank + 30)^-1.2`: the most popular item then holds
/// about 0.3% of the interactions and the top tenth of items about two thirds (measured at
/// ML-20M size: 0.31% and 65%; ML-20M's own most rated film holds 0.34%).
fn zipf(rank: u32) -> f64 {
    (rank as f64 + 30.0).powf(-1.2)
}

/// The items' popularity ranks and taste clusters.
struct Plan {
    rank: Vec<u32>,
    item_cluster: Vec<u32>,
}

fn plan(cfg: &ScaleConfig) -> Plan {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed as u64 ^ 0x5343_414c_4521);
    let mut rank: Vec<u32> = (0..cfg.num_items).collect();
    for k in (1..cfg.num_items as usize).rev() {
        rank.swap(k, rng.random_range(0..=k));
    }
    let item_cluster = (0..cfg.num_items).map(|_| rng.random_range(0..cfg.clusters)).collect();
    Plan { rank, item_cluster }
}

/// Generates the dataset `cfg` describes. Deterministic in `cfg` (the seed included).
pub fn synthetic_at_scale(cfg: &ScaleConfig) -> Result<Dataset> {
    cfg.check()?;
    let (n_users, n_items) = (cfg.num_users as usize, cfg.num_items as usize);
    let Plan { rank, item_cluster } = plan(cfg);
    let weight = |i: u32| zipf(rank[i as usize]);
    let global = Cumulative::new((0..cfg.num_items).collect(), weight);
    let by_cluster: Vec<Cumulative> = (0..cfg.clusters)
        .map(|c| Cumulative::new((0..cfg.num_items).filter(|&i| item_cluster[i as usize] == c).collect(), weight))
        .collect();

    let counts = activity(cfg);
    let test_user = {
        let mut t = vec![false; n_users];
        for k in 0..cfg.test_users as u64 {
            t[(k * n_users as u64 / cfg.test_users as u64) as usize] = true;
        }
        t
    };
    let mut row_ptr = Vec::with_capacity(n_users + 1);
    row_ptr.push(0u32);
    let mut total = 0u64;
    for (u, &c) in counts.iter().enumerate() {
        total += (c - test_user[u] as u32) as u64;
        if total >= u32::MAX as u64 {
            return Err(NcfError::invalid("interactions", "more than 32-bit row offsets address"));
        }
        row_ptr.push(total as u32);
    }
    let mut cols = vec![0u32; total as usize];
    let mut rows: Vec<&mut [u32]> = Vec::with_capacity(n_users);
    let mut rest = cols.as_mut_slice();
    for w in row_ptr.windows(2) {
        let (row, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
        rows.push(row);
        rest = tail;
    }
    let per_case = cfg.test_negatives + 1;
    // Each user's row (and test case) from its own stream; `seen` is one bitmap a thread.
    let cases: Vec<Option<Vec<u32>>> = rows
        .into_par_iter()
        .enumerate()
        .map_init(
            || vec![false; n_items],
            |seen, (u, row)| {
                let mut r = user_rng(cfg.seed, 1, u as u32);
                let cluster = &by_cluster[r.random_range(0..cfg.clusters) as usize];
                let want = counts[u] as usize;
                let mut drawn: Vec<u32> = Vec::with_capacity(want);
                let mut tries = 0usize;
                while drawn.len() < want {
                    tries += 1;
                    // Popular items run out for heavy users: past 8 draws an interaction,
                    // uniform draws finish the row (at most a quarter of the items are taken).
                    let i = if tries > 8 * want {
                        r.random_range(0..cfg.num_items)
                    } else if r.random::<f32>() < cfg.in_cluster {
                        cluster.draw(&mut r)
                    } else {
                        global.draw(&mut r)
                    };
                    if !seen[i as usize] {
                        seen[i as usize] = true;
                        drawn.push(i);
                    }
                }
                let case = test_user[u].then(|| {
                    let held = drawn.swap_remove(r.random_range(0..drawn.len()));
                    let mut c = Vec::with_capacity(per_case as usize);
                    c.push(held);
                    while c.len() < per_case as usize {
                        let i = r.random_range(0..cfg.num_items);
                        if !seen[i as usize] {
                            seen[i as usize] = true;
                            c.push(i);
                        }
                    }
                    for &i in &c {
                        seen[i as usize] = false;
                    }
                    c
                });
                for &i in &drawn {
                    seen[i as usize] = false;
                }
                drawn.sort_unstable();
                row.copy_from_slice(&drawn);
                case
            },
        )
        .collect();
    let mut test = TestSet { users: Vec::new(), per_case, candidates: Vec::new(), ratings: None };
    for (u, c) in cases.into_iter().enumerate() {
        if let Some(c) = c {
            test.users.push(u as u32);
            test.candidates.extend(c);
        }
    }
    let test = (!test.users.is_empty()).then_some(test);
    Dataset::from_csr(cfg.num_users, cfg.num_items, Csr { row_ptr, cols }, test)
}

/// Interactions per user: `min + LogNormal(0, σ)` scaled so that the total is about
/// `cfg.interactions`, each capped at [`ScaleConfig::cap`].
fn activity(cfg: &ScaleConfig) -> Vec<u32> {
    let raw: Vec<f64> = (0..cfg.num_users)
        .into_par_iter()
        .map(|u| {
            let z: f64 = StandardNormal.sample(&mut user_rng(cfg.seed, 0, u));
            (cfg.activity_sigma as f64 * z).exp()
        })
        .collect();
    let (min, cap) = (cfg.min_per_user as f64, cfg.cap() as f64);
    let spare = cfg.interactions as f64 - cfg.num_users as f64 * min;
    // The cap removes mass from the heaviest users; a few rounds of rescaling put it back.
    let mut scale = spare / raw.iter().sum::<f64>();
    for _ in 0..8 {
        let got: f64 = raw.iter().map(|&x| (min + x * scale).min(cap) - min).sum();
        if got <= 0.0 {
            break;
        }
        scale *= spare / got;
    }
    raw.iter().map(|&x| (min + x * scale).round().min(cap) as u32).collect()
}

#[cfg(test)]
#[path = "scale_tests.rs"]
mod tests;
