//! Fold-in: rows for new (or changed) users and items without retraining, the rest of the
//! model fixed. For ALS a row of the iALS objective has a closed form with the other side's
//! factors fixed (Rendle et al. 2022, eq. 5; Hu, Koren & Volinsky 2008, eq. 4):
//!
//!   (α G + Σ_{j∈S} y_j y_jᵀ + reg (|S| + α n) I) x = Σ_{j∈S} y_j,
//!
//! the same solve as a sweep of training, so a folded-in user is where one more user sweep
//! would have put them. GMF, MF, MLP and NeuMF rows take a few epochs of the fit's own loss
//! over their interactions and fresh negatives (`cpu/fold_in.rs`). Users are solved first
//! (against the items as they are), then items (against every user, the folded-in ones
//! included).

use std::sync::Arc;

use super::Task;
use super::{IdSide, Ids, Recommender, TrainingLease, lock};
use crate::backend::Backend;
use crate::data::Csr;
use crate::error::{NcfError, Result};
use crate::infer::Side;
use crate::model::Params;
use crate::raw::IdEncoder;
use crate::train::{AlsSpec, RowSolve, RowSteps};

/// Rows to fold in: each entry is an id and the ids it interacted with.
#[derive(Clone, Debug, Default)]
pub struct FoldIn {
    /// `(user id, item ids)`: the items must be the model's own.
    pub users: Vec<(String, Vec<String>)>,
    /// `(item id, user ids)`: the users may include the users folded in by this call.
    pub items: Vec<(String, Vec<String>)>,
    /// ALS: the objective's reg (default: the last fit's or the file's; else Rendle et al.'s
    /// ML-1M setting, 0.007). Others: λ of the per-occurrence L2 penalty (default 0, the
    /// paper's fit).
    pub l2: Option<f64>,
    /// ALS only: α (default: the fit's, else 0.3).
    pub alpha: Option<f64>,
    /// Gradient fold-in only (see [`RowSteps`]): epochs, Adam's lr, negatives per interaction
    /// and the seed of the negatives and the order.
    pub epochs: Option<u32>,
    pub lr: Option<f64>,
    pub negatives: Option<u32>,
    pub seed: Option<u32>,
}

/// What a fold-in changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FoldInReport {
    pub added_users: u32,
    pub updated_users: u32,
    pub added_items: u32,
    pub updated_items: u32,
}

/// One side's rows to solve: `(row, observed columns sorted and distinct)`, and how many of
/// them are new.
struct Rows {
    rows: Vec<(u32, Vec<u32>)>,
    added: u32,
}

/// A checked fold-in, holding the model's training lease until it has run (no fit may write
/// weights of the old shape meanwhile).
pub struct FoldInJob {
    model: Recommender,
    params: Params,
    ids: Ids,
    users: Rows,
    items: Rows,
    old_items: u32,
    how: RowSolve,
    _lease: TrainingLease,
}

impl Recommender {
    /// Checks and encodes a fold-in on the caller's thread; [`FoldInJob::run`] solves it.
    /// Known ids are re-solved from the given interactions, new ids are appended (and the
    /// model learns them).
    pub fn fold_in(&self, req: FoldIn) -> Result<FoldInJob> {
        let params = self.weights()?;
        let how = self.row_solve(&req)?;
        let lease = self.lease()?;
        if req.users.is_empty() && req.items.is_empty() {
            return Err(NcfError::invalid("foldIn", "expected { users?, items? } with at least one entry"));
        }
        let l = params.layout;
        let mut ids = self.ids();
        // Users first: their items are the model's own, so they are encoded before any new item.
        let users = rows(&mut ids, IdSide::Users, l.num_users, l.num_items, &req.users)?;
        let items = rows(&mut ids, IdSide::Items, l.num_items, l.num_users + users.added, &req.items)?;
        let params = params.with_rows(users.added, items.added)?;
        Ok(FoldInJob { model: self.clone(), params, ids, users, items, old_items: l.num_items, how, _lease: lease })
    }

    /// How this model's rows are solved, from the request's options: each option applies to
    /// one kind of solve, and one given to the other is refused by name.
    fn row_solve(&self, req: &FoldIn) -> Result<RowSolve> {
        let l = self.layout();
        if let Some(fit) = self.als_spec() {
            for (name, given) in [
                ("epochs", req.epochs.is_some()),
                ("lr", req.lr.is_some()),
                ("negatives", req.negatives.is_some()),
                ("seed", req.seed.is_some()),
            ] {
                if given {
                    return Err(NcfError::invalid(name, "applies to gradient fold-in; an ALS row is solved exactly"));
                }
            }
            let (fit_reg, fit_alpha) = (fit.reg, fit.alpha);
            let reg = req.l2.unwrap_or(fit_reg as f64);
            if !(reg.is_finite() && reg > 0.0) {
                return Err(NcfError::invalid("l2", format!("must be a positive number, got {reg}")));
            }
            let alpha = req.alpha.unwrap_or(fit_alpha as f64);
            if !(alpha.is_finite() && alpha >= 0.0) {
                return Err(NcfError::invalid("alpha", format!("must be a finite number >= 0, got {alpha}")));
            }
            return Ok(RowSolve::Als(AlsSpec { reg: reg as f32, alpha: alpha as f32, cg_steps: 0 }));
        }
        if req.alpha.is_some() {
            return Err(NcfError::invalid("alpha", "is the weight of unobserved pairs in ALS; this model has none"));
        }
        if let Task::Rating { .. } = self.task() {
            return Err(NcfError::invalid(
                "foldIn",
                "learns rows from implicit interactions; this model predicts ratings (fit it again with the new ratings)",
            ));
        }
        if l.features != Default::default() {
            return Err(NcfError::invalid(
                "foldIn",
                "this model has side features: describe new users and items by their features (the describe option) instead",
            ));
        }
        let d = RowSteps::default();
        let epochs = req.epochs.unwrap_or(d.epochs);
        if epochs == 0 || epochs > 1000 {
            return Err(NcfError::invalid("epochs", format!("must be in 1..=1000, got {epochs}")));
        }
        let lr = req.lr.unwrap_or(d.lr as f64);
        if !(lr.is_finite() && lr > 0.0) {
            return Err(NcfError::invalid("lr", format!("must be a positive number, got {lr}")));
        }
        let negatives = req.negatives.unwrap_or(d.negatives);
        if negatives == 0 || negatives > 1000 {
            return Err(NcfError::invalid("negatives", format!("must be in 1..=1000, got {negatives}")));
        }
        let l2 = req.l2.unwrap_or(0.0);
        if !(l2.is_finite() && l2 >= 0.0) {
            return Err(NcfError::invalid("l2", format!("must be a finite number >= 0, got {l2}")));
        }
        let seed = req.seed.unwrap_or(d.seed);
        Ok(RowSolve::Steps(RowSteps { epochs, lr: lr as f32, negatives, l2: l2 as f32, seed }))
    }
}

impl FoldInJob {
    /// Solves the users against the items as they were, then the items against every user,
    /// and writes the rows, ids and seen items into the model together.
    pub fn run(self, b: &dyn Backend) -> Result<FoldInReport> {
        let FoldInJob { model, mut params, ids, users, items, old_items, how, _lease } = self;
        let nu = params.layout.num_users;
        b.solve_rows(&mut params, Side::Users, &users.rows, old_items, how)?;
        b.solve_rows(&mut params, Side::Items, &items.rows, nu, how)?;
        // An ALS solve is of a positive definite system and Adam's steps are bounded by lr, so
        // this holds unless the weights were already huge; never keep a non-finite row.
        if let Some(k) = params.data.iter().position(|x| !x.is_finite()) {
            return Err(NcfError::Diverged(format!(
                "fold-in produced a non-finite weight (at {k}); the model is unchanged: raise l2"
            )));
        }
        let seen = model.seen().map(|s| Arc::new(reseen(&s, nu, &users, &items)));
        let layout = params.layout;
        model.set_weights(&params)?;
        *lock(&model.layout) = layout;
        *lock(&model.ids) = ids;
        if seen.is_some() {
            *lock(&model.seen) = seen;
        }
        let updated = |r: &Rows| r.rows.len() as u32 - r.added;
        Ok(FoldInReport {
            added_users: users.added,
            updated_users: updated(&users),
            added_items: items.added,
            updated_items: updated(&items),
        })
    }
}

/// Encodes one side's entries: the row of each id (a new id takes the next row) and its
/// observed columns among `other_rows` rows of the other side.
fn rows(ids: &mut Ids, side: IdSide, n: u32, other_rows: u32, entries: &[(String, Vec<String>)]) -> Result<Rows> {
    let (name, other) = match side {
        IdSide::Users => ("users", IdSide::Items),
        IdSide::Items => ("items", IdSide::Users),
    };
    let mut out = Rows { rows: Vec::with_capacity(entries.len()), added: 0 };
    let mut new_ids: Vec<String> = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for (id, list) in entries {
        let field = format!("foldIn.{name}['{id}']");
        let row = match ids.side(side) {
            Some(e) => match e.encode(id) {
                Some(r) => r,
                None => {
                    new_ids.push(id.clone());
                    out.added += 1;
                    n + out.added - 1
                }
            },
            // A model without ids names rows by index: a new one is the next index.
            None => match id.parse::<u32>().ok().filter(|r| r.to_string() == *id).ok_or(()) {
                Ok(r) if r < n + out.added => r,
                Ok(r) if r == n + out.added => {
                    out.added += 1;
                    r
                }
                _ => {
                    return Err(NcfError::invalid(
                        field,
                        format!("this model's {name} are indices: a new one must be the next, {}", n + out.added),
                    ));
                }
            },
        };
        if !taken.insert(row) {
            return Err(NcfError::invalid(field, "is given twice"));
        }
        if list.is_empty() {
            return Err(NcfError::invalid(field, "needs at least one interaction to solve its row from"));
        }
        let mut cols = ids.encode(other, other_rows, &format!("{field}[]"), list)?;
        cols.sort_unstable();
        cols.dedup();
        out.rows.push((row, cols));
    }
    if !new_ids.is_empty() {
        let e = ids.side(side).as_ref().expect("new ids come from an encoder");
        let mut all = e.ids().to_vec();
        all.extend(new_ids);
        let grown = Some(Arc::new(IdEncoder::from_ids(all)?));
        match side {
            IdSide::Users => ids.users = grown,
            IdSide::Items => ids.items = grown,
        }
    }
    Ok(out)
}

/// The seen items with the folded-in rows: a user's row becomes the items given, and each
/// folded-in item is added to its users' rows.
fn reseen(seen: &Csr, num_users: u32, users: &Rows, items: &Rows) -> Csr {
    let mut replaced = vec![false; num_users as usize];
    users.rows.iter().for_each(|&(u, _)| replaced[u as usize] = true);
    let (mut us, mut is) = (Vec::new(), Vec::new());
    for u in 0..seen.num_users() {
        if !replaced[u as usize] {
            for &i in seen.row(u) {
                us.push(u);
                is.push(i);
            }
        }
    }
    for (u, observed) in &users.rows {
        for &i in observed {
            us.push(*u);
            is.push(i);
        }
    }
    for (i, observed) in &items.rows {
        for &u in observed {
            us.push(u);
            is.push(*i);
        }
    }
    Csr::from_pairs(num_users, &us, &is, None).0
}

#[cfg(test)]
#[path = "fold_in_tests.rs"]
mod tests;
