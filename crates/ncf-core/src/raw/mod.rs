//! Interaction files as applications have them, read into the caller's own ids:
//! - CSV/TSV with a header or a column mapping (any delimiter, quoted fields), through the
//!   `csv` crate;
//! - MovieLens `ratings.dat` (`user::item::rating::timestamp`) and `u.data` (tab-separated);
//! - the Netflix Prize `combined_data_*.txt` (`MovieID:` lines, then `CustomerID,Rating,Date`);
//! - any of them gzip-compressed (`.gz`).
//!
//! Records are streamed; every error names `file:line` and the field. Ids are interned and
//! duplicate pairs folded while reading ([`collect`]), so memory follows the distinct pairs,
//! not the lines. A [`ReadProgress`] polled from another thread follows a read as it streams
//! (bytes of the file, lines, interactions). An [`IdEncoder`] maps the
//! ids to dense indices in sorted id order (numeric when every id is an integer), so the mapping
//! does not depend on file order and "the larger item id" means the same before and after.
//!
//! # Files
//! - [`ids`]: [`IdEncoder`] (dense indices in sorted id order), [`check_same_ids`].
//! - [`read`](mod@read): CSV/TSV, MovieLens, Netflix and `.gz` readers into [`RawInteractions`], line by
//!   line, the threshold applied as they read.
//! - [`collect`]: [`RawInteractions`] and the collector behind every reader: ids interned as they
//!   arrive, duplicate pairs folded each time the buffer doubles (the latest timestamp, then the
//!   last given, wins), so memory follows the distinct pairs, not the lines.
//! - [`convert`]: raw interactions to a [`Dataset`](crate::data::Dataset): id arrays, a separate
//!   test file as held-out cases; the records renumbered and sorted in place into CSR order, then
//!   written out and released as they go (about 24 bytes an interaction at the peak).
//! - [`progress`]: [`ReadProgress`]: atomics another thread polls while a load runs (file *k* of
//!   *n*, bytes of the file read below the gzip decoder against its size, lines, kept interactions,
//!   phase); [`read_with_progress`] fills it once per buffer and every 4096 records, and stops at
//!   the file's next read once `cancel` is set (`LoadCancelled`, file:line).
//!
//! - [`options`]: `Dataset.fromFile`'s options ([`options::FileSpec`]) from the caller's JSON.
//!
//! May import `crate::{data, error, input, options}`. Inside: `convert` → `ids`, `collect`; `read` →
//! `collect`, `progress`.

pub mod collect;
pub mod convert;
pub mod ids;
pub mod options;
pub mod progress;
pub mod read;

pub use crate::input::ReadLimits;
pub use collect::RawInteractions;
pub use convert::{from_id_arrays, to_dataset, to_dataset_with_test};
pub use ids::{IdEncoder, check_same_ids};
pub use progress::{ReadPhase, ReadProgress, ReadSnapshot};
pub use read::{Column, CsvSpec, Format, read};
pub use read::{read_with, read_with_progress};

#[cfg(test)]
#[path = "hostile_tests.rs"]
mod hostile_tests;

/// Writes `bytes` to `name` in this process's temporary folder for `tag` (tests).
#[cfg(test)]
pub(crate) fn temp_file(tag: &str, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ncf-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(name: &str, text: &[u8]) -> PathBuf {
        temp_file("raw", name, text)
    }

    #[test]
    fn movielens_dat_and_udata_and_gzip() {
        let dat = file("ratings.dat", b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n");
        let r = read(&dat, &Format::MovieLens).unwrap();
        assert_eq!(r.users(), ["1", "1", "2"]);
        assert_eq!(r.items(), ["1193", "661", "1193"]);
        assert_eq!(r.ratings().as_deref(), Some(&[5.0, 3.0, 4.0][..]));
        assert_eq!(r.timestamps().as_deref(), Some(&[978300760, 978302109, 978298413][..]));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n").unwrap();
        let r = read(&file("u.data.gz", &gz.finish().unwrap()), &Format::MovieLens).unwrap();
        assert_eq!(r.items(), ["242", "302"]);
        let bad = file("bad.dat", b"1::2::5::9\n1::x::5\n3::4::five::9\n");
        let e = read(&bad, &Format::MovieLens).unwrap_err();
        assert!(e.to_string().ends_with("bad.dat:2: has no timestamp where earlier lines had one"), "{e}");
        let e = read(&file("bad2.dat", b"1::2::5::9\n3::4::five::9\n"), &Format::MovieLens).unwrap_err();
        assert!(e.to_string().ends_with("bad2.dat:2: rating 'five' is not a number"), "{e}");
    }

    #[test]
    fn netflix_format() {
        let p =
            file("combined_data_1.txt", b"1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n1488844,4,1970-01-02\n");
        let r = read(&p, &Format::Netflix).unwrap();
        // Sorted by pair, in first-seen id order: (1488844, 1), (1488844, 2), (822109, 1).
        assert_eq!(r.items(), ["1", "2", "1"]);
        assert_eq!(r.users(), ["1488844", "1488844", "822109"]);
        assert_eq!(r.timestamps().unwrap()[1], 86_400);
        assert_eq!(r.timestamps().unwrap()[0], 1_125_964_800, "2005-09-06T00:00Z");
        let e = read(&file("nf-bad.txt", b"1488844,3,2005-09-06\n"), &Format::Netflix).unwrap_err();
        assert!(e.to_string().contains("nf-bad.txt:1: a rating line before any 'MovieID:' line"), "{e}");
        let e = read(&file("nf-bad2.txt", b"1:\n5,3,2005-13-06\n"), &Format::Netflix).unwrap_err();
        assert!(e.to_string().contains("nf-bad2.txt:2: date '2005-13-06' is not a calendar day (YYYY-MM-DD)"), "{e}");
    }

    #[test]
    fn csv_with_header_quotes_and_mapping() {
        let p = file("events.csv", b"user,item,score,when\n\"u,1\",a,4.5,10\nu2,b,2,11\n\n");
        let spec = CsvSpec {
            delimiter: b',',
            has_header: true,
            user: Column::Name("user".into()),
            item: Column::Name("item".into()),
            rating: Some(Column::Name("score".into())),
            timestamp: Some(Column::Index(3)),
        };
        let r = read(&p, &Format::Csv(spec.clone())).unwrap();
        assert_eq!(r.users(), ["u,1", "u2"]);
        assert_eq!(r.ratings().unwrap(), [4.5, 2.0]);
        let e = read(&file("e2.csv", b"user,item,score,when\nu,a,x,1\n"), &Format::Csv(spec.clone())).unwrap_err();
        assert!(e.to_string().ends_with("e2.csv:2: rating 'x' is not a number"), "{e}");
        let mut missing = spec.clone();
        missing.user = Column::Name("customer".into());
        let e = read(&p, &Format::Csv(missing)).unwrap_err();
        assert!(e.to_string().starts_with("columns.user: no column named 'customer'"), "{e}");
        let e = read(&file("e3.csv", b"user,item,score,when\nu,a\n"), &Format::Csv(spec)).unwrap_err();
        assert!(e.to_string().contains("e3.csv:2: has no column 2 (rating)"), "{e}");
    }

    #[test]
    fn encoder_orders_ids_and_threshold_converts() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let raw = |threshold| {
            from_id_arrays(
                s(&["10", "9", "10", "100"]),
                s(&["b", "a", "b", "c"]),
                Some(vec![5.0, 2.0, 4.0, 4.0]),
                None,
                threshold,
            )
        };
        let (d, u, i) = to_dataset(raw(None).unwrap()).unwrap();
        assert_eq!(u.ids(), ["9", "10", "100"], "numeric order");
        assert_eq!(i.ids(), ["a", "b", "c"]);
        assert_eq!(d.duplicates_removed, 1);
        assert_eq!(d.train_ratings.as_deref(), Some(&[2.0, 4.0, 4.0][..]), "the later (10, b) rating");
        assert_eq!(u.decode(u.encode("100").unwrap()), Some("100"));
        let (d, u, _) = to_dataset(raw(Some(4.0)).unwrap()).unwrap();
        assert_eq!(u.ids(), ["10", "100"], "user 9 only rated 2");
        assert_eq!(d.num_interactions(), 2);
        assert!(raw(Some(6.0)).unwrap_err().to_string().contains("no interaction is rated at least 6"));
        assert!(u.is_numeric() && !i.is_numeric());
        assert!(!IdEncoder::build(["7", "007"]).is_numeric(), "'007' would not survive a trip through a JS number");
        assert_eq!(IdEncoder::build(["7", "10", "007"]).ids(), ["007", "7", "10"], "equal numbers in byte order");
        assert!(!IdEncoder::build(["9007199254740993"]).is_numeric(), "beyond 2^53");
    }

    #[test]
    fn a_separate_test_file_shares_the_encoders_and_keeps_ratings() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let train =
            from_id_arrays(s(&["a", "a", "b"]), s(&["x", "y", "x"]), Some(vec![4.0, 2.0, 5.0]), None, None).unwrap();
        let test = from_id_arrays(s(&["b", "c"]), s(&["z", "x"]), Some(vec![3.0, 1.0]), None, None).unwrap();
        let (d, u, i) = to_dataset_with_test(train.clone(), test.clone(), 0, 1).unwrap();
        assert_eq!((u.ids(), i.ids()), (&s(&["a", "b", "c"])[..], &s(&["x", "y", "z"])[..]), "over both files");
        assert_eq!(d.train_ratings.as_deref(), Some(&[4.0, 2.0, 5.0][..]));
        let t = d.test.as_ref().unwrap();
        assert_eq!((t.users.clone(), t.candidates.clone(), t.per_case), (vec![1, 2], vec![2, 0], 1));
        assert_eq!(t.ratings.as_deref(), Some(&[3.0, 1.0][..]));
        assert_eq!(d.train.row(2), &[] as &[u32], "user c is only in the test file: a cold row");
        let (d, _, _) = to_dataset_with_test(train.clone(), test.clone(), 1, 1).unwrap();
        let t = d.test.unwrap();
        // User b had x (train) and z (test): its one negative is y.
        assert_eq!(&t.candidates[..2], &[2, 1]);
        let e = to_dataset_with_test(train.clone(), test.clone(), 2, 1).unwrap_err();
        assert!(e.to_string().contains("test user 'b' has only 1 items left"), "{e}");
        let e = to_dataset_with_test(train, test, 3, 1).unwrap_err();
        assert!(e.to_string().contains("testNegatives: must be below the 3 items"), "{e}");
    }

    #[test]
    fn datasets_with_other_ids_are_refused() {
        let a = IdEncoder::build(["1", "2", "3"]);
        assert!(check_same_ids("user", &a, &IdEncoder::build(["3", "2", "1"])).is_ok(), "same ids, same order");
        let e = check_same_ids("item", &a, &IdEncoder::build(["1", "2", "4"])).unwrap_err();
        assert!(
            e.to_string().contains("item ids differ from the model's (3 vs 3 ids, first difference at index 2)"),
            "{e}"
        );
    }

    #[test]
    fn id_arrays_are_checked_by_index() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let r = from_id_arrays(s(&["ann", "bob"]), s(&["x", "y"]), Some(vec![1.0, 5.0]), Some(vec![3, 4]), Some(3.0));
        let (d, u, _) = to_dataset(r.unwrap()).unwrap();
        assert_eq!((u.ids(), d.num_interactions()), (&["bob".to_string()][..], 1));
        let e = from_id_arrays(s(&["ann", ""]), s(&["x", "y"]), None, None, None).unwrap_err();
        assert!(e.to_string().starts_with("users[1]: is an empty id"), "{e}");
        let e = from_id_arrays(s(&["ann"]), s(&["x", "y"]), None, None, None).unwrap_err();
        assert!(e.to_string().contains("items: has 2 entries but users has 1"), "{e}");
        let e = from_id_arrays(s(&["a", "b"]), s(&["x", "y"]), Some(vec![1.0, f32::NAN]), None, None).unwrap_err();
        assert!(e.to_string().contains("ratings[1]"), "{e}");
        let e = from_id_arrays(s(&["a"]), s(&["x"]), None, Some(vec![]), None).unwrap_err();
        assert!(e.to_string().contains("timestamps: has 0 entries"), "{e}");
    }
}
