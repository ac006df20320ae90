//! The loop's training control against scripted validation values.

use super::*;
use crate::fit::control::{Monitor, PlateauConfig};
use crate::metrics::RatingScale;
use crate::model::{Layout, ModelKind};
use crate::train::{EpochSize, Inputs, Trained};

/// Steps that replay scripted validation HRs (through the evaluation a backend may fold
/// into its steps) and record the learning rates they are given.
struct Scripted {
    hrs: Vec<f64>,
    lrs: Vec<f32>,
    params: Params,
    inputs: Inputs,
}

impl Steps for Scripted {
    fn backend(&self) -> BackendKind {
        BackendKind::Cpu
    }
    fn inputs(&self) -> &Inputs {
        &self.inputs
    }
    fn epoch_size(&self) -> EpochSize {
        EpochSize { steps: 1, optimizer_steps: 1, samples: 1 }
    }
    fn prepare_epoch(&mut self, _: StepAt) -> Result<()> {
        Ok(())
    }
    fn train_steps(
        &mut self,
        _: std::ops::Range<u64>,
        at: StepAt,
        _: Option<&Progress>,
        _: Option<u32>,
    ) -> Result<Trained> {
        let hr = self.hrs[at.epoch as usize];
        self.lrs.push(at.lr);
        // Weights carry the epoch number so restores are visible.
        self.params.data[0] = (at.epoch + 1) as f32;
        let validation = Some(SetMetrics::Rank(RankMetrics { k: 10, hr, ndcg: hr / 2.0, cases: 1, recall: None }));
        Ok(Trained { loss_sum: 1.0, loss_count: 1, evaluated: Some(Evaluated { validation, ..Default::default() }) })
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn write_params(&mut self, w: &[f32]) -> Result<()> {
        self.params.data.copy_from_slice(w);
        Ok(())
    }
    // The scripted steps replay validation values only; they have no optimizer to save.
    fn moments(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        Err(NcfError::invalid("checkpoint", "the scripted steps have no optimizer state"))
    }
    fn write_moments(&mut self, _: &[f32], _: &[f32]) -> Result<()> {
        Err(NcfError::invalid("resumeFrom", "the scripted steps have no optimizer state"))
    }
    fn evaluate(&self, _: &TestSet, _: u32) -> Result<RankMetrics> {
        Err(NcfError::invalid("k", "the scripted steps evaluate with their steps only"))
    }
    fn evaluate_rating(&self, _: &TestSet, _: RatingScale) -> Result<RatingMetrics> {
        Err(NcfError::invalid("k", "the scripted steps evaluate with their steps only"))
    }
}

fn session(hrs: &[f64], control: Control) -> Trainer<Scripted> {
    let params = Params::init(Layout::new(ModelKind::Gmf, 1, 1, 1).unwrap(), 0);
    let data = Arc::new(Dataset::from_pairs(&[0], &[0], None, None, Some(1), Some(2)).unwrap());
    let inputs = Inputs { data, validation: None, cfg: TrainConfig::default() };
    Trainer::new(Scripted { hrs: hrs.to_vec(), lrs: Vec::new(), params, inputs }).with_control(control, 1.0)
}

const PLAIN: Control = Control { monitor: Monitor::Hr, plateau: None, early_stopping: None, restore_best: true };

/// Starting weights compete as epoch 0: kept when no epoch beats them, replaced otherwise.
#[test]
fn starting_weights_compete_as_epoch_zero() {
    let start = RankMetrics { k: 10, hr: 0.66, ndcg: 0.3, cases: 1, recall: None };
    let mut s = session(&[0.5, 0.65, 0.6], PLAIN).with_initial(Some(&start), None);
    let start_w = s.params().data[0];
    let best: Vec<Option<u32>> = (0..3).map(|_| s.run_epoch(Some(10)).unwrap().best_epoch).collect();
    assert_eq!(best, vec![Some(0); 3]);
    assert_eq!(s.final_params().data[0], start_w, "the starting weights are kept");
    let mut s = session(&[0.5, 0.7], PLAIN).with_initial(Some(&start), None);
    s.run_epoch(Some(10)).unwrap();
    assert_eq!(s.run_epoch(Some(10)).unwrap().best_epoch, Some(2));
    assert_eq!(s.final_params().data[0], 2.0);
}

#[test]
fn restores_the_best_validation_epoch() {
    let mut s = session(&[0.5, 0.7, 0.6, 0.65], PLAIN);
    let best: Vec<Option<u32>> = (0..4).map(|_| s.run_epoch(Some(10)).unwrap().best_epoch).collect();
    assert_eq!(best, vec![Some(1), Some(2), Some(2), Some(2)]);
    assert_eq!(s.final_params().data[0], 2.0);
    assert_eq!(s.params().data[0], 4.0);
    let mut keep_last = session(&[0.5, 0.7, 0.6], Control { restore_best: false, ..PLAIN });
    for _ in 0..3 {
        keep_last.run_epoch(Some(10)).unwrap();
    }
    assert_eq!(keep_last.final_params().data[0], 3.0);
}

#[test]
fn early_stopping_counts_epochs_since_the_best() {
    let mut s = session(&[0.5, 0.6, 0.6, 0.55, 0.7], Control { early_stopping: Some(2), ..PLAIN });
    let stops: Vec<bool> = (0..4).map(|_| s.run_epoch(Some(10)).unwrap().stop).collect();
    // A tie is no improvement: epochs 3 and 4 do not beat 0.6.
    assert_eq!(stops, vec![false, false, false, true]);
}

/// ReduceLROnPlateau(mode='max', factor=0.5, patience=1, threshold=1e-4 rel): the rate drops
/// once more than `patience` epochs in a row fail to beat the best by 1e-4 relative.
#[test]
fn plateau_lowers_the_rate_like_pytorch() {
    let plateau = PlateauConfig { factor: 0.5, patience: 1, min_lr: 0.2 };
    let mut s =
        session(&[0.5, 0.50001, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6], Control { plateau: Some(plateau), ..PLAIN });
    let lrs: Vec<(f64, f64)> = (0..9).map(|_| s.run_epoch(Some(10)).map(|o| (o.lr, o.next_lr)).unwrap()).collect();
    // 0.50001 is below the 1e-4 relative threshold: bad epochs at 2 and 3 → drop after 3.
    // 0.6 improves (epoch 4); epochs 5 and 6 are bad → drop; 7, 8 → drop to the floor 0.2.
    let next: Vec<f64> = lrs.iter().map(|x| x.1).collect();
    let expect = [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2];
    assert!(next.iter().zip(expect).all(|(a, b)| (a - b).abs() < 1e-7), "{next:?}");
    assert_eq!(lrs[3].0, 0.5);
}

#[test]
fn controls_need_validation() {
    let c = Control { early_stopping: Some(3), ..PLAIN };
    assert!(c.validate(false).unwrap_err().to_string().contains("validation: 'leave-one-out'"));
    assert!(c.validate(true).is_ok());
    let bad = Control { plateau: Some(PlateauConfig { factor: 1.5, patience: 1, min_lr: 0.0 }), ..PLAIN };
    assert!(bad.validate(true).unwrap_err().to_string().contains("factor"));
}
