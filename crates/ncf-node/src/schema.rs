//! The option names of each options object the core reads, for the test that holds the
//! TypeScript types to them (`__test__/option-schema.test.ts`).

use napi_derive::napi;
use ncf_core::data::options::{self as data, ArraysSpec, NcfFilesSpec, SplitSpec};
use ncf_core::features::options::{self as features, FeatureFile};
use ncf_core::fit::options::FitOptions;
use ncf_core::raw::options::FileSpec;
use ncf_core::recommender::FoldIn;
use ncf_core::recommender::options::{self as serve, EvaluateOptions, RecommendOptions};
use ncf_core::recommender::{ModelClass, ModelSpec};

use crate::modes::Kind;

/// An options object the core reads from JSON.
#[napi(string_enum)]
pub enum OptionsOf {
    /// `NcfModel.fit`.
    #[napi(value = "fit")]
    Fit,
    #[napi(value = "GMF")]
    Gmf,
    #[napi(value = "MF")]
    Mf,
    #[napi(value = "MLP")]
    Mlp,
    #[napi(value = "NeuMF")]
    Neumf,
    #[napi(value = "ALS")]
    Als,
    #[napi(value = "Dataset.fromNcfFiles")]
    NcfFiles,
    #[napi(value = "Dataset.fromArrays")]
    Arrays,
    #[napi(value = "Dataset.fromFile")]
    File,
    #[napi(value = "Dataset.split")]
    Split,
    #[napi(value = "Dataset.synthetic")]
    Synthetic,
    #[napi(value = "Dataset.syntheticAtScale")]
    Scale,
    #[napi(value = "Dataset.withFeatures")]
    WithFeatures,
    #[napi(value = "Features.fromFile")]
    FeatureFile,
    #[napi(value = "Baseline")]
    Baseline,
    #[napi(value = "NeuMF.fromPretrained")]
    Pretrained,
    #[napi(value = "recommend")]
    Recommend,
    #[napi(value = "similar")]
    Similar,
    #[napi(value = "evaluate")]
    Evaluate,
    #[napi(value = "predict")]
    Predict,
    #[napi(value = "foldIn")]
    FoldIn,
    #[napi(value = "save")]
    Save,
    #[napi(value = "load")]
    Load,
}

/// The names the core reads in `of`, in its reading order.
#[napi]
pub fn option_names(of: OptionsOf) -> Vec<String> {
    let model = |k: Kind| ModelSpec::option_names(ModelClass::from(k));
    let names = match of {
        OptionsOf::Fit => FitOptions::option_names(),
        OptionsOf::Gmf => model(Kind::Gmf),
        OptionsOf::Mf => model(Kind::Mf),
        OptionsOf::Mlp => model(Kind::Mlp),
        OptionsOf::Neumf => model(Kind::Neumf),
        OptionsOf::Als => model(Kind::Als),
        OptionsOf::NcfFiles => NcfFilesSpec::option_names(),
        OptionsOf::Arrays => ArraysSpec::option_names(),
        OptionsOf::File => FileSpec::option_names(),
        OptionsOf::Split => SplitSpec::option_names(),
        OptionsOf::Synthetic => data::synthetic_option_names(),
        OptionsOf::Scale => data::scale_option_names(),
        OptionsOf::WithFeatures => features::feature_dim_option_names(),
        OptionsOf::FeatureFile => FeatureFile::option_names(),
        OptionsOf::Baseline => ncf_core::baseline::baseline_option_names(),
        OptionsOf::Pretrained => serve::pretrained_option_names(),
        OptionsOf::Recommend => RecommendOptions::option_names(),
        OptionsOf::Similar => serve::similar_option_names(),
        OptionsOf::Evaluate => EvaluateOptions::option_names(),
        OptionsOf::FoldIn => FoldIn::option_names(),
        OptionsOf::Save => serve::save_option_names(),
        // Every key of these is the TypeScript layer's (a device, descriptions).
        OptionsOf::Predict | OptionsOf::Load => Vec::new(),
    };
    names.into_iter().map(String::from).collect()
}
