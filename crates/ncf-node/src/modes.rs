//! Every mode that crosses the binding, as a `#[napi(string_enum)]` (TypeScript sees string
//! unions), each with its conversion into the core's typed enum.

use napi_derive::napi;
use ncf_core::backend::{BackendKind, DevicePref};
use ncf_core::infer::Side as CoreSide;
use ncf_core::model::FeatureInputs;
use ncf_core::recommender::{IdKind as CoreIdKind, ModelClass, TaskKind as CoreTask};

#[napi(string_enum = "lowercase")]
pub enum Device {
    Auto,
    Gpu,
    Cpu,
}

impl From<Device> for DevicePref {
    fn from(d: Device) -> Self {
        match d {
            Device::Auto => DevicePref::Auto,
            Device::Gpu => DevicePref::Gpu,
            Device::Cpu => DevicePref::Cpu,
        }
    }
}

/// The backend a call ran on.
#[napi(string_enum = "lowercase")]
#[derive(Clone, Copy)]
pub enum BackendName {
    Gpu,
    Cpu,
}

impl From<BackendKind> for BackendName {
    fn from(k: BackendKind) -> Self {
        match k {
            BackendKind::Gpu => BackendName::Gpu,
            BackendKind::Cpu => BackendName::Cpu,
        }
    }
}

/// The models `NativeModel` implements.
#[napi(string_enum = "lowercase")]
pub enum Kind {
    Gmf,
    Mf,
    Mlp,
    Neumf,
    /// iALS: an MF without biases, fitted with `optimizer: 'als'`.
    Als,
}

impl From<Kind> for ModelClass {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Gmf => ModelClass::Gmf,
            Kind::Mf => ModelClass::Mf,
            Kind::Mlp => ModelClass::Mlp,
            Kind::Neumf => ModelClass::NeuMf,
            Kind::Als => ModelClass::Als,
        }
    }
}

/// Where side features enter a model: the MLP tower, the GMF branch, or both (NeuMF).
#[napi(string_enum = "lowercase")]
pub enum FeaturesIn {
    Mlp,
    Gmf,
    Both,
}

impl From<FeaturesIn> for FeatureInputs {
    fn from(f: FeaturesIn) -> Self {
        match f {
            FeaturesIn::Mlp => FeatureInputs::Tower,
            FeaturesIn::Gmf => FeatureInputs::Gmf,
            FeaturesIn::Both => FeatureInputs::Both,
        }
    }
}

/// What a model learns: implicit feedback (BCE with sampled negatives) or ratings (MSE).
#[napi(string_enum = "lowercase")]
pub enum TaskKind {
    Implicit,
    Rating,
}

impl From<TaskKind> for CoreTask {
    fn from(t: TaskKind) -> Self {
        match t {
            TaskKind::Implicit => CoreTask::Implicit,
            TaskKind::Rating => CoreTask::Rating,
        }
    }
}

impl From<CoreTask> for TaskKind {
    fn from(t: CoreTask) -> Self {
        match t {
            CoreTask::Implicit => TaskKind::Implicit,
            CoreTask::Rating => TaskKind::Rating,
        }
    }
}

#[napi(string_enum = "lowercase")]
pub enum Side {
    Users,
    Items,
}

impl From<Side> for CoreSide {
    fn from(s: Side) -> Self {
        match s {
            Side::Users => CoreSide::Users,
            Side::Items => CoreSide::Items,
        }
    }
}

/// How a side's ids read in JavaScript: indices, integers, or strings.
#[napi(string_enum = "lowercase")]
pub enum IdKind {
    Index,
    Number,
    String,
}

impl From<CoreIdKind> for IdKind {
    fn from(k: CoreIdKind) -> Self {
        match k {
            CoreIdKind::Index => IdKind::Index,
            CoreIdKind::Number => IdKind::Number,
            CoreIdKind::String => IdKind::String,
        }
    }
}
