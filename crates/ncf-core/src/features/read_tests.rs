//! Tests of `read.rs`, kept beside it so the module stays small.

use super::*;

fn file(name: &str, text: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ncf-features-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn u_item_and_movies_dat() {
    let mut item = b"1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n".to_vec();
    // Latin-1 title, unknown release date, the "unknown" genre.
    item.extend(b"267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
    item.extend(b"9|Mis\xe9rables, Les (1995)|01-Jan-1995||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n");
    let f = read_movielens_items(&file("u.item", &item)).unwrap();
    assert_eq!(f.names, ["genre", "year"]);
    assert_eq!(f.ids, ["1", "267", "9"]);
    let genres = |r: &Vec<FeatureValue>| match &r[0] {
        FeatureValue::Multi(g) => g.clone(),
        _ => unreachable!(),
    };
    assert_eq!(genres(&f.rows[0]), ["Animation", "Children's", "Comedy"]);
    assert_eq!(f.rows[0][1], FeatureValue::Numeric(Some(1995.0)));
    assert_eq!(genres(&f.rows[1]), ["unknown"]);
    assert_eq!(f.rows[1][1], FeatureValue::Numeric(None), "a missing release date is a missing year");
    let dat = read_movielens_items(&file(
        "movies.dat",
        b"1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji::Adventure\n",
    ))
    .unwrap();
    assert_eq!(genres(&dat.rows[0]), ["Animation", "Children's", "Comedy"]);
    assert_eq!(
        (dat.rows[0][1].clone(), dat.rows[1][1].clone()),
        (FeatureValue::Numeric(Some(1995.0)), FeatureValue::Numeric(None))
    );
    let e = read_movielens_items(&file("bad.item", b"1|A|01-Jan-1995||u|0|2|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"))
        .unwrap_err();
    assert!(e.to_string().ends_with("bad.item:1: genre flag Action is '2', not 0 or 1"), "{e}");
    let e = read_movielens_items(&file("short.item", b"1|A|01-Jan-1995\n")).unwrap_err();
    assert!(e.to_string().contains("short.item:1: has 3 fields"), "{e}");
    let e = read_movielens_items(&file("twice.dat", b"1::A (1990)::Drama\n1::B (1991)::Drama\n")).unwrap_err();
    assert!(e.to_string().ends_with("twice.dat:2: id '1' appears twice"), "{e}");
}

#[test]
fn u_user_and_users_dat() {
    let f =
        read_movielens_users(&file("u.user", b"1|24|M|technician|85711\n2|53|F|other|94043\n3||M|none|1\n")).unwrap();
    assert_eq!(f.names, ["age", "gender", "occupation"]);
    assert_eq!(
        f.rows[0],
        [
            FeatureValue::Numeric(Some(24.0)),
            FeatureValue::Categorical(Some("M".into())),
            FeatureValue::Categorical(Some("technician".into()))
        ]
    );
    assert_eq!(f.rows[2][0], FeatureValue::Numeric(None), "an empty age is missing");
    let d = read_movielens_users(&file("users.dat", b"1::F::1::10::48067\n")).unwrap();
    assert_eq!(d.rows[0][0], FeatureValue::Numeric(Some(1.0)));
    assert_eq!(d.rows[0][2], FeatureValue::Categorical(Some("10".into())));
    let e = read_movielens_users(&file("bad.user", b"1|24|M|technician|1\n2|old|F|other|2\n")).unwrap_err();
    assert!(e.to_string().ends_with("bad.user:2: age 'old' is not a number"), "{e}");
}

#[test]
fn csv_feature_table_with_quotes_missing_values_and_gzip() {
    let text = b"anime_id,name,genre,type,episodes\n\
        1,\"Kimi no Na wa.\",\"Drama, Romance, School\",Movie,1\n\
        2,\"Gintama, Season 2\",\"Action, Comedy\",TV,Unknown\n\
        3,Nameless,,,12\n";
    let spec = FeatureSpec {
        delimiter: b',',
        has_header: true,
        id: Column::Name("anime_id".into()),
        multi: vec![(Column::Name("genre".into()), ',')],
        categorical: vec![Column::Name("type".into())],
        numeric: vec![Column::Name("episodes".into())],
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, text).unwrap();
    for p in [file("anime.csv", text), file("anime.csv.gz", &gz.finish().unwrap())] {
        let f = read_feature_csv(&p, &spec).unwrap();
        assert_eq!(f.names, ["genre", "type", "episodes"]);
        assert_eq!(f.rows[0][0], FeatureValue::Multi(vec!["Drama".into(), "Romance".into(), "School".into()]));
        assert_eq!(f.rows[1][2], FeatureValue::Numeric(None), "'Unknown' episodes are missing");
        assert_eq!(
            f.rows[2],
            [FeatureValue::Multi(vec![]), FeatureValue::Categorical(None), FeatureValue::Numeric(Some(12.0))]
        );
    }
    let bad = file("bad.csv", b"anime_id,name,genre,type,episodes\n1,a,Drama,TV,twelve\n");
    let e = read_feature_csv(&bad, &spec).unwrap_err();
    assert!(e.to_string().ends_with("bad.csv:2: episodes 'twelve' is not a number"), "{e}");
    let mut missing = spec.clone();
    missing.numeric = vec![Column::Name("score".into())];
    let e = read_feature_csv(&file("anime2.csv", text), &missing).unwrap_err();
    assert!(e.to_string().starts_with("numeric[0]: no column named 'score'"), "{e}");
    let e = read_feature_csv(&file("short.csv", b"anime_id,name,genre,type,episodes\n1,a\n"), &spec).unwrap_err();
    assert!(e.to_string().contains("short.csv:2: has no column 2 (genre)"), "{e}");
}
