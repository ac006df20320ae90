//! Model weights in the flat layout: initialisation, checked construction, side features
//! attached, and cold-start rows. The math that reads them is the backends' (`cpu/`, `ncf-gpu`).

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::Arc;

use super::features::ModelFeatures;
use super::kind::{ModelKind, Tower};
use super::layout::Layout;
use crate::error::{NcfError, Result};

/// Model weights in the flat layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub layout: Layout,
    pub data: Vec<f32>,
    /// The side features' bags, when the layout has features.
    pub features: Option<Arc<ModelFeatures>>,
}

impl Params {
    /// Embeddings from N(0, 0.01) as in the NCF reference code. Tower layers are
    /// Xavier-uniform U(±√(6/(in+out))) with zero biases (Glorot & Bengio 2010, the reference
    /// PyTorch NCF). The predict layer `h` is LeCun-uniform U(±√(3/fan_in)) (Keras
    /// `lecun_uniform` in the original code; PyTorch's `kaiming_uniform_(a=1)` is the same);
    /// biases start at 0.
    pub fn init(layout: Layout, seed: u32) -> Params {
        Params::init_with_std(layout, seed, 0.01)
    }

    /// As [`Params::init`] with embeddings from N(0, `std`) (iALS: 0.1/√d, Rendle et al. 2022).
    pub fn init_with_std(layout: Layout, seed: u32, std: f32) -> Params {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed as u64 ^ 0x6e63_665f_676d_6600);
        let normal = Normal::new(0.0f32, if std.is_finite() && std > 0.0 { std } else { 0.01 }).expect("valid normal");
        let mut data = vec![0f32; layout.len()];
        let embeddings = if layout.kind == ModelKind::Mf { layout.head_offset() } else { layout.embeddings_end() };
        for x in &mut data[..embeddings] {
            *x = normal.sample(&mut rng);
        }
        for l in 1..=layout.tower.layers() {
            let (i, o) = layout.tower.dims(l);
            let limit = (6.0 / (i + o) as f32).sqrt();
            for x in &mut data[layout.weight_offset(l)..][..o * i] {
                *x = rng.random_range(-limit..limit);
            }
        }
        if layout.h_len() > 0 {
            let limit = (3.0 / layout.h_len() as f32).sqrt();
            for x in &mut data[layout.head_offset()..layout.user_bias_offset()] {
                *x = rng.random_range(-limit..limit);
            }
        }
        Params { layout, data, features: None }
    }

    /// Attaches encoded side features; the layout must have been built with their sizes.
    pub fn with_features(mut self, features: ModelFeatures) -> Result<Params> {
        let l = self.layout;
        if l.features.inputs().is_none_or(|i| features.dims_for(i, l.factors) != l.features) {
            return Err(NcfError::invalid("features", "do not match the sizes the model was built with"));
        }
        for (side, set, n) in
            [("user", &features.users, self.layout.num_users), ("item", &features.items, self.layout.num_items)]
        {
            if let Some(s) = set
                && s.entities != n
            {
                return Err(NcfError::invalid("features", format!("cover {} {side}s, the model has {n}", s.entities)));
            }
        }
        self.features = Some(Arc::new(features));
        Ok(self)
    }

    pub fn from_vec(layout: Layout, data: Vec<f32>) -> Result<Params> {
        if data.len() != layout.len() {
            return Err(NcfError::invalid("weights", format!("expected {} values, got {}", layout.len(), data.len())));
        }
        Ok(Params { layout, data, features: None })
    }

    /// Cold start: this model with `users` and `items` new entities appended, described only by
    /// their side features (`bags`, one per new entity, as [`FeatureSet::describe`](crate::features::FeatureSet::describe) makes them).
    /// Their id embeddings are zero, so their scores come from the features (and, for NeuMF, a
    /// GMF branch that contributes 0). New indices start at `num_users` / `num_items`.
    pub fn with_cold(
        &self,
        users: &[Vec<(Vec<u32>, Vec<f32>)>],
        items: &[Vec<(Vec<u32>, Vec<f32>)>],
    ) -> Result<Params> {
        if users.is_empty() && items.is_empty() {
            return Ok(self.clone());
        }
        let f = self.features.as_deref();
        for (side, new, set) in
            [("users", users, f.and_then(|f| f.users.as_ref())), ("items", items, f.and_then(|f| f.items.as_ref()))]
        {
            if !new.is_empty() && set.is_none() {
                return Err(NcfError::invalid(
                    format!("new {side}"),
                    format!("need side features of {side}: the model was built without them"),
                ));
            }
        }
        let grown = self.with_rows(users.len() as u32, items.len() as u32)?;
        let features = ModelFeatures {
            users: f.and_then(|f| f.users.as_ref()).map(|s| s.with_new(users)),
            items: f.and_then(|f| f.items.as_ref()).map(|s| s.with_new(items)),
        };
        grown.with_features(features)
    }

    /// This model with `users` and `items` zero rows appended to every per-user and per-item
    /// block (GMF and MLP embeddings, biases; new biases 0), for fold-in and cold start. The
    /// side-feature tables are copied as they are and the result has no feature values: the
    /// caller attaches them ([`Params::with_cold`]).
    pub fn with_rows(&self, users: u32, items: u32) -> Result<Params> {
        let l = self.layout;
        let (nu, ni) = (l.num_users.checked_add(users), l.num_items.checked_add(items));
        let (Some(nu), Some(ni)) = (nu, ni) else {
            return Err(NcfError::invalid("foldIn", "the model would have more than 2^32 - 1 rows"));
        };
        let tower = Tower { extra: 0, ..l.tower };
        let nl = Layout::neural(l.kind, nu, ni, l.factors, tower)?.with_features(l.features)?.with_biases(l.biases)?;
        let (fu, fi) = (l.factors as usize, l.tower.embedding() as usize);
        let (users, items) = (users as usize, items as usize);
        let mut data = Vec::with_capacity(nl.len());
        let pad = |data: &mut Vec<f32>, n: usize| data.extend(std::iter::repeat_n(0.0, n));
        data.extend_from_slice(&self.data[..l.item_offset()]);
        pad(&mut data, users * fu);
        data.extend_from_slice(&self.data[l.item_offset()..l.mlp_user_offset()]);
        pad(&mut data, items * fu);
        data.extend_from_slice(&self.data[l.mlp_user_offset()..l.mlp_item_offset()]);
        pad(&mut data, users * fi);
        data.extend_from_slice(&self.data[l.mlp_item_offset()..l.user_feature_offset()]);
        pad(&mut data, items * fi);
        if l.biases {
            data.extend_from_slice(&self.data[l.user_feature_offset()..l.item_bias_offset()]);
            pad(&mut data, users);
            data.extend_from_slice(&self.data[l.item_bias_offset()..l.b_offset()]);
            pad(&mut data, items);
            data.push(self.data[l.b_offset()]);
        } else {
            data.extend_from_slice(&self.data[l.user_feature_offset()..]);
        }
        Params::from_vec(nl, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn init_has_the_paper_statistics() {
        let layout = Layout::new(ModelKind::Gmf, 300, 400, 16).unwrap();
        let p = Params::init(layout, 1);
        let emb = &p.data[..layout.head_offset()];
        let mean = emb.iter().map(|&x| x as f64).sum::<f64>() / emb.len() as f64;
        let var = emb.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / emb.len() as f64;
        assert!(mean.abs() < 5e-4, "{mean}");
        assert!((var.sqrt() - 0.01).abs() < 5e-4, "{}", var.sqrt());
        assert_eq!(p.data[layout.b_offset()], 0.0);
        assert_ne!(Params::init(layout, 2).data, p.data);
        let mf = Layout::new(ModelKind::Mf, 300, 400, 16).unwrap();
        assert_eq!(mf.len(), 700 * 16 + 300 + 400 + 1);
        assert!(Params::init(mf, 1).data[mf.head_offset()..].iter().all(|&x| x == 0.0), "MF biases start at 0");
    }
}
