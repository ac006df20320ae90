//! The option names of each options object the core reads, for the test that holds the
//! TypeScript types to them (`__test__/option-schema.test.ts`).

use napi_derive::napi;
use ncf_core::data::options::{self as data, ArraysSpec, NcfFilesSpec, SplitSpec};
use ncf_core::fit::options::FitOptions;
use ncf_core::raw::options::FileSpec;
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
    };
    names.into_iter().map(String::from).collect()
}
