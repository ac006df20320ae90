//! NeuMF-pre's parts for `ncf-bench`: the GMF and the MLP, pretrained or loaded from
//! `--pre-dir`, where they are kept keyed by every option that shapes them so that several
//! fine-tuning recipes start from the same two models; with `--carry-adam`, their Adam moments
//! at the selected epochs beside them.

use std::path::PathBuf;

use ncf_core::fit::FitOptions;
use ncf_core::fit::OptimizerState;
use ncf_core::fit::control::Checkpoint;
use ncf_core::recommender::Recommender;
use ncf_core::{ModelKind, NcfError, Result};

/// Adam's moments of a pretrained part (`--carry-adam`).
pub type Moments = Option<OptimizerState>;

/// Where the pretrained parts are kept (`--pre-dir`), under which key, and whether their
/// moments are kept and carried too.
pub struct Store {
    pub dir: Option<PathBuf>,
    pub key: String,
    pub carry: bool,
}

/// The key of a pretraining: every option that shapes the parts.
pub fn key(factors: u32, layers: Option<&[u32]>, o: &FitOptions, validation: Option<f64>) -> String {
    format!(
        "f{factors}-l{}-e{}-lr{}-v{}-s{}-n{}-b{}",
        layers.map_or("default".into(), |l| l.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("x")),
        o.epochs.unwrap_or(0),
        o.lr.unwrap_or(0.0),
        validation.map_or("none".into(), |v| v.to_string()),
        o.seed.unwrap_or(0),
        o.negatives.unwrap_or(0),
        o.batch_size.unwrap_or(0),
    )
}

impl Store {
    /// The part of `kind`: loaded when the store holds it (and its moments, when carried),
    /// else built and trained by `train`, which returns its moments, and then stored.
    pub fn part(
        &self,
        kind: ModelKind,
        label: &str,
        lr: f64,
        build: impl FnOnce() -> Result<Recommender>,
        train: impl FnOnce(&Recommender) -> Result<Moments>,
    ) -> Result<(Recommender, Moments)> {
        let path = self.dir.as_ref().map(|d| d.join(format!("{}-{}.ncf", kind.name().to_lowercase(), self.key)));
        let adam = path.as_ref().map(|p| p.with_extension("adam"));
        let carry = self.carry;
        if let Some(p) = path.as_ref().filter(|p| p.exists() && (!carry || adam.as_ref().is_some_and(|a| a.exists()))) {
            println!("\n## {label}: loaded from {}", p.display());
            let m = Recommender::load(p)?;
            let moments = match adam.as_ref().filter(|_| carry) {
                Some(a) => Some(ncf_core::fit::checkpoint::load(a, Some(m.layout()))?.0.optimizer),
                None => None,
            };
            return Ok((m, moments));
        }
        let m = build()?;
        let moments = train(&m)?;
        if let Some(p) = &path {
            std::fs::create_dir_all(p.parent().unwrap_or(p))
                .map_err(|e| NcfError::Write { path: p.clone(), source: e })?;
            m.save(p, Default::default(), false)?.run()?;
            if let (Some(a), Some(st)) = (&adam, &moments) {
                let ck = Checkpoint {
                    weights: m.weights()?.data,
                    optimizer: st.clone(),
                    lr,
                    best: None,
                    since_best: 0,
                    plateau_best: f64::NEG_INFINITY,
                    plateau_bad: 0,
                };
                ncf_core::fit::checkpoint::save(a, m.layout(), &ck, "{}")?;
            }
        }
        Ok((m, moments))
    }
}

/// The optimizer state NeuMF-pre's fine-tuning starts from: none (fresh moments) unless
/// `carry`, which needs Adam fine-tuning and both parts' moments.
pub fn carried(
    carry: bool,
    adam: bool,
    (gmf, gmf_moments): (&Recommender, Moments),
    (mlp, mlp_moments): (&Recommender, Moments),
    alpha: f32,
) -> Result<Moments> {
    match (carry, gmf_moments, mlp_moments) {
        (false, ..) => Ok(None),
        (true, Some(g), Some(m)) if adam => {
            Ok(Some(OptimizerState::neumf_pre(gmf.layout(), mlp.layout(), &g, &m, alpha)?))
        }
        _ => Err(NcfError::invalid(
            "--carry-adam",
            "needs --optimizer adam and a GMF and MLP pretrained here (not --gmf-from)",
        )),
    }
}
