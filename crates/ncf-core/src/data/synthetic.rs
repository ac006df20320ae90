//! A seeded synthetic implicit-feedback dataset with planted structure, shippable with the
//! package (MovieLens may not be redistributed). Users and items get latent taste vectors
//! around a few clusters; each user's positives are drawn without replacement with
//! probability ∝ exp(affinity / temperature) (Gumbel-top-k), plus a popularity tilt. One
//! positive per user is held out, with sampled negatives, in the NCF leave-one-out protocol.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Gumbel, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::dataset::{Dataset, TestSet};
use crate::error::{NcfError, Result};

#[derive(Clone, Copy, Debug)]
pub struct SyntheticConfig {
    pub num_users: u32,
    pub num_items: u32,
    pub per_user: u32,
    pub clusters: u32,
    pub test_negatives: u32,
    pub seed: u32,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig { num_users: 1000, num_items: 800, per_user: 30, clusters: 8, test_negatives: 99, seed: 0 }
    }
}

/// The most interactions [`synthetic`] generates: 2³⁰, ten times Netflix's 100M (about 12 GiB
/// of training pairs and CSR while it builds them).
pub const MAX_SYNTHETIC: u64 = 1 << 30;

pub fn synthetic(cfg: SyntheticConfig) -> Result<Dataset> {
    if cfg.num_users == 0 || cfg.num_items < 2 {
        return Err(NcfError::invalid("numUsers/numItems", "need at least 1 user and 2 items"));
    }
    // Sizes it could not hold are refused before any allocation (numUsers 2e8 took
    // over 9 GB before failing).
    use super::dataset::MAX_ENTITIES;
    for (field, n) in [("numUsers", cfg.num_users), ("numItems", cfg.num_items)] {
        if n > MAX_ENTITIES {
            return Err(NcfError::invalid(field, format!("{n} is more than the {MAX_ENTITIES} a dataset holds")));
        }
    }
    let interactions = cfg.num_users as u64 * (cfg.per_user as u64 + 1);
    if interactions > MAX_SYNTHETIC {
        return Err(NcfError::invalid(
            "numUsers",
            format!(
                "{} users × (perUser {} + 1) = {interactions} interactions, more than the {MAX_SYNTHETIC} the generator makes",
                cfg.num_users, cfg.per_user
            ),
        ));
    }
    if cfg.clusters == 0 {
        return Err(NcfError::invalid("clusters", "must be at least 1"));
    }
    if cfg.per_user < 2 || cfg.per_user as u64 + cfg.test_negatives as u64 >= cfg.num_items as u64 {
        return Err(NcfError::invalid(
            "perUser",
            format!(
                "need 2 <= perUser and perUser + testNegatives < numItems ({} + {} vs {})",
                cfg.per_user, cfg.test_negatives, cfg.num_items
            ),
        ));
    }
    const DIM: usize = 8;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed as u64 ^ 0x5359_4e54);
    let normal = Normal::new(0.0f32, 1.0).expect("normal");
    let gumbel = Gumbel::new(0.0f32, 1.0).expect("gumbel");
    let centers: Vec<[f32; DIM]> =
        (0..cfg.clusters).map(|_| std::array::from_fn(|_| normal.sample(&mut rng))).collect();
    let latent = |n: u32, rng: &mut Xoshiro256PlusPlus| -> Vec<[f32; DIM]> {
        (0..n)
            .map(|_| {
                let c = centers[rng.random_range(0..centers.len())];
                std::array::from_fn(|d| c[d] + 0.5 * normal.sample(rng))
            })
            .collect()
    };
    let users = latent(cfg.num_users, &mut rng);
    let items = latent(cfg.num_items, &mut rng);
    let popularity: Vec<f32> = (0..cfg.num_items).map(|_| 0.5 * normal.sample(&mut rng)).collect();
    let (mut tu, mut ti) = (Vec::new(), Vec::new());
    let mut test =
        TestSet { users: Vec::new(), per_case: cfg.test_negatives + 1, candidates: Vec::new(), ratings: None };
    let mut keys: Vec<(f32, u32)> = Vec::with_capacity(cfg.num_items as usize);
    let mut seen = vec![false; cfg.num_items as usize];
    for (u, pu) in users.iter().enumerate() {
        keys.clear();
        for (i, qi) in items.iter().enumerate() {
            let affinity: f32 = pu.iter().zip(qi).map(|(a, b)| a * b).sum::<f32>() / (DIM as f32).sqrt();
            keys.push((affinity * 1.5 + popularity[i] + gumbel.sample(&mut rng), i as u32));
        }
        keys.select_nth_unstable_by(cfg.per_user as usize - 1, |a, b| b.0.total_cmp(&a.0));
        let chosen: Vec<u32> = keys[..cfg.per_user as usize].iter().map(|k| k.1).collect();
        let held = rng.random_range(0..chosen.len());
        for &i in &chosen {
            seen[i as usize] = true;
        }
        for (k, &i) in chosen.iter().enumerate() {
            if k != held {
                tu.push(u as u32);
                ti.push(i);
            }
        }
        test.users.push(u as u32);
        test.candidates.push(chosen[held]);
        let mut drawn = 0;
        while drawn < cfg.test_negatives {
            let i = rng.random_range(0..cfg.num_items);
            if !seen[i as usize] {
                seen[i as usize] = true;
                test.candidates.push(i);
                drawn += 1;
            }
        }
        for &i in &test.candidates[test.candidates.len() - cfg.test_negatives as usize..] {
            seen[i as usize] = false;
        }
        for &i in &chosen {
            seen[i as usize] = false;
        }
    }
    Dataset::from_pairs(&tu, &ti, None, Some(test), Some(cfg.num_users), Some(cfg.num_items))
}
