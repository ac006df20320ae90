//! Every options object the core reads from the caller's JSON: each option read by its name,
//! defaults where unset, a wrong type refused naming the option, and a key that names no
//! option refused naming the call and the nearest option.

use ncf_core::baseline::{BaselineKind, baseline_from_json, baseline_option_names};
use ncf_core::data::options::{
    ArraysSpec, NcfFilesSpec, SplitSpec, scale_from_json, synthetic_from_json, synthetic_option_names,
};
use ncf_core::data::split::SplitMethod;
use ncf_core::features::options::{FeatureFile, feature_dim_from_json};
use ncf_core::raw::options::FileSpec;
use ncf_core::raw::{Column, Format};
use ncf_core::recommender::FoldIn;
use ncf_core::recommender::options::{
    EvaluateOptions, RatingMetric, RecommendOptions, none_from_json, pretrained_alpha_from_json, save_seen_from_json,
    similar_k_from_json,
};

fn message<T: std::fmt::Debug>(r: ncf_core::Result<T>) -> String {
    r.expect_err("refused").to_string()
}

#[test]
fn dataset_options_read_by_name_with_their_defaults() {
    let f = NcfFilesSpec::from_json(r#"{"train": "a.train.rating", "testNegative": "a.test.negative", "numUsers": 3}"#)
        .unwrap();
    assert_eq!(f.paths.train.to_str(), Some("a.train.rating"));
    assert_eq!((f.paths.test_rating, f.num_users, f.num_items), (None, Some(3), None));
    assert_eq!(message(NcfFilesSpec::from_json("{}")), "train: a path to the *.train.rating file is required");

    let s = synthetic_from_json(r#"{"numUsers": 10, "seed": 4}"#).unwrap();
    assert_eq!((s.num_users, s.num_items, s.per_user, s.clusters, s.test_negatives, s.seed), (10, 800, 30, 8, 99, 4));
    assert_eq!(synthetic_option_names(), ["numUsers", "numItems", "perUser", "clusters", "testNegatives", "seed"]);
    assert_eq!(
        message(synthetic_from_json(r#"{"numUser": 3}"#)),
        "Dataset.synthetic: unknown option 'numUser' (did you mean 'numUsers'?)"
    );

    let scale = scale_from_json(r#"{"size": "netflix", "testUsers": 50, "inCluster": 0.5}"#).unwrap();
    assert_eq!((scale.num_users, scale.test_users, scale.in_cluster), (480_189, 50, 0.5));
    assert!(message(scale_from_json(r#"{"numUsers": 10}"#)).starts_with("size: name 'ml-20m' or 'netflix'"));
    assert_eq!(message(scale_from_json(r#"{"size": "ml-10m"}"#)), "size: must be 'ml-20m' or 'netflix', got 'ml-10m'");

    let a = ArraysSpec::from_json(r#"{"threshold": 4, "numItems": 9}"#, true).unwrap();
    assert_eq!(a, ArraysSpec { threshold: Some(4.0), num_users: None, num_items: Some(9) });
    assert!(
        message(ArraysSpec::from_json(r#"{"numUsers": 3}"#, false)).starts_with("numUsers: applies to typed arrays")
    );
    assert_eq!(
        message(ArraysSpec::from_json(r#"{"threshold": "Infinity"}"#, true)),
        "threshold: must be a finite number, got inf"
    );
    assert_eq!(message(a.rated(None)), "threshold: needs ratings");
    assert_eq!(message(ArraysSpec::timestamps(&[1.0, 2.5])), "timestamps[1]: must be an integer, got 2.5");
}

#[test]
fn split_options_hold_their_method_s_rules() {
    let s = SplitSpec::from_json("{}", false).unwrap();
    assert_eq!((s.method, s.negatives, s.seed), (SplitMethod::LeaveOneOut { validation: false }, 99, 0));
    let r = SplitSpec::from_json(r#"{"method": "time", "testRatio": 0.1, "negatives": 0}"#, true).unwrap();
    assert_eq!((r.method, r.negatives), (SplitMethod::Time { test: 0.1, validation: 0.0 }, 0));
    assert_eq!(
        message(SplitSpec::from_json(r#"{"negatives": 0}"#, false)),
        "negatives: must be a positive integer, got 0"
    );
    assert!(
        message(SplitSpec::from_json(r#"{"testRatio": 0.2}"#, false))
            .starts_with("testRatio: applies to the 'random' and 'time' splits")
    );
    assert!(
        message(SplitSpec::from_json(r#"{"method": "random", "validation": true}"#, false))
            .starts_with("validation: applies to leave-one-out")
    );
    assert_eq!(
        message(SplitSpec::from_json(r#"{"metod": "random"}"#, false)),
        "split: unknown option 'metod' (did you mean 'method'?)"
    );
}

#[test]
fn file_options_refuse_what_their_format_does_not_take() {
    let f = FileSpec::from_json(r#"{"format": "csv", "delimiter": "\\t", "columns": {"user": "u", "item": 2}, "test": "t.csv", "testNegatives": 5}"#)
        .unwrap();
    let Format::Csv(csv) = &f.format else { panic!("csv") };
    assert_eq!(
        (csv.delimiter, csv.has_header, &csv.user, &csv.item),
        (b'\t', true, &Column::Name("u".into()), &Column::Index(2))
    );
    assert_eq!((f.test_negatives, f.seed, f.limits.max_line_bytes), (5, 0, 1 << 20));
    assert_eq!(message(FileSpec::from_json("{}")), "format: must be 'csv', 'movielens' or 'netflix', got ''");
    assert_eq!(
        message(FileSpec::from_json(r#"{"format": "movielens", "header": false}"#)),
        "header: applies to format: 'csv'"
    );
    assert_eq!(
        message(FileSpec::from_json(r#"{"format": "csv", "seed": 1}"#)),
        "seed: seeds the negatives of a test file (test: path)"
    );
    assert_eq!(
        message(FileSpec::from_json(r#"{"format": "csv", "columns": {"user": -1}}"#)),
        "columns.user: must be a column name or a 0-based index, got -1"
    );
    assert_eq!(
        message(FileSpec::from_json(r#"{"format": "csv", "columns": {"users": 0}}"#)),
        "columns: unknown option 'users' (did you mean 'user'?)"
    );
    assert_eq!(
        message(FileSpec::from_json(r#"{"format": "csv", "maxBytes": 0}"#)),
        "maxBytes: must be a positive integer of bytes, got 0"
    );
    assert_eq!(
        message(FileSpec::from_json(r#"{"format": "csv", "delimiter": ";;"}"#)),
        "delimiter: must be one ASCII character"
    );
}

#[test]
fn feature_and_baseline_options_read_by_name() {
    let FeatureFile::Csv(spec) = FeatureFile::from_json(
        r#"{"format": "csv", "id": "sku", "multi": [{"column": 1, "separator": "|"}], "numeric": ["price"]}"#,
    )
    .unwrap() else {
        panic!("csv")
    };
    assert_eq!(
        (spec.id, spec.multi, spec.numeric),
        (Column::Name("sku".into()), vec![(Column::Index(1), '|')], vec![Column::Name("price".into())])
    );
    assert_eq!(FeatureFile::from_json(r#"{"format": "movielens-items"}"#).unwrap(), FeatureFile::MovieLensItems);
    assert!(
        message(FeatureFile::from_json(r#"{"format": "movielens-users", "id": 0}"#))
            .starts_with("id: applies to format 'csv'")
    );
    assert_eq!(
        message(FeatureFile::from_json(r#"{"format": "csv", "multi": [{"column": 1, "separator": "||"}]}"#)),
        "multi[0].separator: must be one character, got '||'"
    );
    assert_eq!((feature_dim_from_json("{}").unwrap(), feature_dim_from_json(r#"{"dim": 16}"#).unwrap()), (8, 16));

    assert_eq!(
        baseline_from_json("{}").unwrap(),
        (BaselineKind::Bias { reg_user: 15.0, reg_item: 10.0, iterations: 10 }, true)
    );
    assert_eq!(baseline_from_json(r#"{"kind": "mean", "clip": false}"#).unwrap(), (BaselineKind::GlobalMean, false));
    assert_eq!(message(baseline_from_json(r#"{"kind": "mean", "regUser": 1}"#)), "regUser: applies to kind: 'bias'");
    assert_eq!(message(baseline_from_json(r#"{"regItem": -1}"#)), "regItem: must be a number >= 0, got -1");
    assert_eq!(baseline_option_names(), ["kind", "regUser", "regItem", "iterations", "clip"]);
}

#[test]
fn serving_options_read_by_name_with_their_defaults() {
    assert_eq!(RecommendOptions::from_json("{}", false).unwrap(), RecommendOptions { k: 10, exclude_seen: true });
    assert!(
        message(RecommendOptions::from_json(r#"{"excludeSeen": false}"#, true))
            .starts_with("data: gives the seen items")
    );
    assert_eq!(message(RecommendOptions::from_json(r#"{"k": 0}"#, false)), "k: must be a positive integer, got 0");
    assert_eq!(
        message(RecommendOptions::from_json(r#"{"topK": 5}"#, false)),
        "recommend: unknown option 'topK' (the options: k, excludeSeen)"
    );
    assert_eq!(similar_k_from_json(r#"{"k": 3}"#).unwrap(), 3);
    assert_eq!(
        EvaluateOptions::from_json(r#"{"protocol": "full"}"#).unwrap(),
        EvaluateOptions::Ranking { k: 10, full: true }
    );
    assert_eq!(
        EvaluateOptions::from_json(r#"{"metrics": ["rmse", "r2"]}"#).unwrap(),
        EvaluateOptions::Rating { metrics: vec![RatingMetric::Rmse, RatingMetric::R2] }
    );
    assert_eq!(
        message(EvaluateOptions::from_json(r#"{"metrics": ["rmse"], "k": 5}"#)),
        "k: applies to ranking metrics, not to rating metrics"
    );
    assert_eq!(
        message(EvaluateOptions::from_json(r#"{"metrics": ["mse"]}"#)),
        "metrics[0]: must be 'rmse', 'mae' or 'r2', got mse"
    );
    assert_eq!(message(none_from_json("predict", r#"{"k": 1}"#)), "predict: unknown option 'k' (it takes none)");
    assert!(save_seen_from_json("{}").unwrap());
    assert_eq!(message(save_seen_from_json(r#"{"seen": "no"}"#)), "seen: must be true or false, got no");
    let f = FoldIn::default().with_options_json(r#"{"epochs": 3, "lr": 0.1}"#).unwrap();
    assert_eq!((f.epochs, f.lr, f.l2), (Some(3), Some(0.1), None));
    assert_eq!(
        (pretrained_alpha_from_json("{}").unwrap(), pretrained_alpha_from_json(r#"{"alpha": 1}"#).unwrap()),
        (0.5, 1.0)
    );
    assert_eq!(message(pretrained_alpha_from_json(r#"{"alpha": 2}"#)), "alpha: must be in [0, 1], got 2");
}

#[test]
fn counts_past_32_bits_name_the_limit_and_defaults_fit_the_sizes_given() {
    assert_eq!(
        message(ncf_core::fit::FitOptions::from_json(r#"{"epochs": 1e12}"#)),
        "epochs: must be at most 4294967295 (2^32 − 1), got 1000000000000"
    );
    assert_eq!(
        message(ncf_core::fit::FitOptions::from_json(r#"{"seed": 5e9}"#)),
        "seed: must be at most 4294967295 (2^32 − 1), got 5000000000"
    );
    assert_eq!(
        message(ncf_core::fit::FitOptions::from_json(r#"{"seed": -1}"#)),
        "seed: must be a non-negative integer, got -1"
    );
    // A small generated dataset: the preset's 6,040 test users shrink to the users there are.
    let small = scale_from_json(r#"{"numUsers": 3000, "numItems": 500, "interactions": 60000}"#).unwrap();
    assert_eq!(small.test_users, 3000);
    let asked = scale_from_json(r#"{"numUsers": 3000, "numItems": 500, "interactions": 60000, "testUsers": 4000}"#);
    let refused = message(ncf_core::data::scale::synthetic_at_scale(&asked.unwrap()));
    assert!(refused.starts_with("testUsers: more than the 3000 users"), "{refused}");
}
