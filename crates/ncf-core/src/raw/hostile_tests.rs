//! The reading classes: runaway memory (gz bombs, devices, huge lines, huge ids and
//! sizes) and silent acceptance (unterminated quotes, impossible dates), each now an error
//! naming the file, line, field or limit.

use std::io::Write;
use std::path::PathBuf;

use super::*;
use crate::data::ncf_files::{Lines, read_rating_file};

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ncf-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gzip(bytes: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bytes.for_each(|b| gz.write_all(&b).unwrap());
    gz.finish().unwrap()
}

fn csv() -> Format {
    Format::Csv(CsvSpec {
        delimiter: b',',
        has_header: false,
        user: Column::Index(0),
        item: Column::Index(1),
        rating: None,
        timestamp: None,
    })
}

/// A small gzip inflating to NULs (no line end) was held whole; now the line limit
/// stops it after 1 MiB, naming the file, the limit and the option. The total limit holds too.
#[test]
fn gz_bombs_stop_at_the_line_and_byte_limits() {
    // 64 MiB of NULs compress to ~64 KiB.
    let bomb = file("bomb.csv.gz", &gzip((0..64).map(|_| vec![0u8; 1 << 20])));
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 18);
    for format in [csv(), Format::MovieLens, Format::Netflix] {
        let e = read(&bomb, &format).unwrap_err();
        assert_eq!(e.code(), "ERR_LIMIT", "{format:?}: {e}");
        assert!(e.to_string().starts_with(&format!("{}: has a line longer than 1048576 bytes", bomb.display())), "{e}");
        assert!(e.to_string().contains("maxLineBytes"), "{e}");
    }
    // Many short valid lines: the total limit, lowered here, stops them.
    let rows = file("rows.csv.gz", &gzip((0..1000).map(|k| format!("u{},i{}\n", k % 7, k % 11).into_bytes())));
    let limits = ReadLimits { max_bytes: 4096, ..ReadLimits::default() };
    let e = read_with(&rows, &csv(), limits, None).unwrap_err();
    assert_eq!(e.code(), "ERR_LIMIT");
    assert!(e.to_string().contains("holds more than 4096 bytes (decompressed); raise the limit with maxBytes"), "{e}");
    let r = read(&rows, &csv()).unwrap();
    assert_eq!((r.given(), r.len(), r.duplicates()), (1000, 77, 923), "the defaults read it");
}

/// A gzip of 268M copies of one row was held whole (two strings a line) before
/// de-duplication. Duplicates fold while the file streams now, so the records held at once
/// stay within about twice the distinct pairs however often they repeat.
#[test]
fn a_repeated_file_costs_memory_for_its_distinct_pairs_only() {
    const COPIES: usize = 3_000_000;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for k in 0..COPIES {
        // One row over and over, with a few distinct ones among them.
        let row = if k % 100_000 == 0 { format!("u{},i{},4\n", k / 100_000, k % 3) } else { "u0,i0,5\n".into() };
        std::io::Write::write_all(&mut gz, row.as_bytes()).unwrap();
    }
    let p = file("repeated.csv.gz", &gz.finish().unwrap());
    let spec = CsvSpec {
        rating: Some(Column::Index(2)),
        ..match csv() {
            Format::Csv(s) => s,
            _ => unreachable!(),
        }
    };
    let r = read(&p, &Format::Csv(spec)).unwrap();
    assert_eq!((r.given(), r.len()), (COPIES as u64, 30), "u0..u29, (u0, i0) among them");
    assert_eq!(r.duplicates(), COPIES - 30);
    assert!(r.peak_records() <= 1 << 17, "held {} records at once for 30 distinct pairs", r.peak_records());
    let (d, _, _) = crate::raw::to_dataset(r).unwrap();
    assert_eq!((d.num_interactions(), d.duplicates_removed), (30, COPIES - 30));
    // The NCF training format (dense ids) folds the same way; its test file keeps every line.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for k in 0..COPIES {
        let row = if k % 100_000 == 0 { format!("{}\t{}\t1\n", k / 100_000, k % 3) } else { "0\t0\t1\n".into() };
        gz.write_all(row.as_bytes()).unwrap();
    }
    let train = file("repeated.train.rating.gz", &gz.finish().unwrap());
    let r = read_rating_file(&train, Lines::Distinct).unwrap();
    assert_eq!((r.users.len(), r.duplicates), (30, COPIES - 30));
    assert!(r.held <= 1 << 17, "held {} lines at once for 30 distinct pairs", r.held);
    let paths = crate::data::ncf_files::NcfPaths { train, ..Default::default() };
    let d = crate::data::ncf_files::load_ncf(&paths, None, None).unwrap();
    assert_eq!((d.num_interactions(), d.duplicates_removed), (30, COPIES - 30));
    let r = read_rating_file(&file("cases.test.rating", b"0\t1\n0\t1\n2\t0\n"), Lines::All).unwrap();
    assert_eq!((r.users, r.items, r.duplicates), (vec![0, 0, 2], vec![1, 1, 0], 0), "test cases stay as given");
}

/// `/dev/zero` read as data grew the process without bound, and a folder was
/// `ERR_PARSE`; both are `ERR_IO` now, before a byte is read.
#[cfg(unix)]
#[test]
fn devices_and_folders_are_io_errors() {
    let dir = std::env::temp_dir();
    // A FIFO with no writer: opening it would wait forever.
    let fifo = dir.join(format!("ncf-hostile-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let cases = [(PathBuf::from("/dev/zero"), "not a regular file"), (dir.clone(), "a folder"), (fifo.clone(), "FIFO")];
    for (path, says) in cases {
        for format in [csv(), Format::MovieLens, Format::Netflix] {
            let e = read(&path, &format).unwrap_err();
            assert_eq!(e.code(), "ERR_IO", "{e}");
            assert!(e.to_string().contains(says), "{e}");
        }
        let e = read_rating_file(&path, Lines::Distinct).map(|_| ()).unwrap_err();
        assert_eq!(e.code(), "ERR_IO", "{e}");
    }
    std::fs::remove_file(&fifo).unwrap();
}

/// An unterminated CSV quote swallowed the rest of the file as one id.
#[test]
fn an_unterminated_quote_is_a_parse_error_at_its_line() {
    let p = file("quote.csv", b"u1,i1\nu2,\"i2\nu3,i3\nu4,i4\n");
    let e = read(&p, &csv()).unwrap_err();
    assert_eq!(e.code(), "ERR_PARSE");
    assert!(e.to_string().starts_with(&format!("{}:2: field 2 runs past the end of its line", p.display())), "{e}");
    // Quoted fields that close on their line are fine (RFC 4180), delimiters inside included.
    let ok = file("quoted.csv", b"\"u,1\",\"i \"\"1\"\"\"\nu2,i2\n");
    let r = read(&ok, &csv()).unwrap();
    assert_eq!((r.users()[0], r.items()[0]), ("u,1", "i \"1\""));
}

/// The Netflix date 2005-02-31 was accepted (as 2005-03-03).
#[test]
fn dates_must_be_calendar_days() {
    for bad in ["2005-02-31", "2005-02-29", "1900-02-29", "2005-04-31", "2005-00-10"] {
        let p = file("nf-date.txt", format!("1:\n5,3,{bad}\n").as_bytes());
        let e = read(&p, &Format::Netflix).unwrap_err();
        assert_eq!(e.code(), "ERR_PARSE", "{bad}");
        assert!(e.to_string().starts_with(&format!("{}:2: date '{bad}'", p.display())), "{e}");
    }
    for good in ["2004-02-29", "2000-02-29", "2005-12-31"] {
        let p = file("nf-date-ok.txt", format!("1:\n5,3,{good}\n").as_bytes());
        assert!(read(&p, &Format::Netflix).is_ok(), "{good}");
    }
}

/// A 17-byte NCF file with the id 2,000,000,000 took over 9 GB; `fromArrays` with an
/// index of 2³¹−1 and `synthetic` with 2e8 users likewise. Each is refused before allocating.
#[test]
fn huge_ids_and_sizes_are_refused_before_allocating() {
    let p = file("huge.train.rating", b"2000000000\t1\t5\n");
    assert_eq!(std::fs::metadata(&p).unwrap().len(), 15);
    let e = read_rating_file(&p, Lines::Distinct).map(|_| ()).unwrap_err();
    assert_eq!(e.code(), "ERR_PARSE");
    assert!(
        e.to_string().starts_with(&format!("{}:1: user id 2000000000 is more than a file of 1 lines", p.display())),
        "{e}"
    );
    let e = crate::Dataset::from_signed_arrays(&[0, i32::MAX], &[0, 1], None, None, None, None).unwrap_err();
    assert!(e.to_string().starts_with("users: index 2147483647 is more than 2 interactions can use"), "{e}");
    assert!(e.to_string().contains("pass numUsers"), "{e}");
    // Stating the count is the way out, within what a dataset holds.
    let e = crate::Dataset::from_signed_arrays(&[0, 1], &[0, 1], None, None, Some(1 << 30), None).unwrap_err();
    assert!(e.to_string().contains("more than the 268435456 a dataset holds"), "{e}");
    let cfg = crate::data::synthetic::SyntheticConfig { num_users: 200_000_000, ..Default::default() };
    let e = crate::data::synthetic::synthetic(cfg).unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_ARG");
    assert!(e.to_string().starts_with("numUsers: 200000000 users × (perUser 30 + 1)"), "{e}");
}

/// Empty arrays said "no interaction is rated at least 0".
#[test]
fn empty_arrays_say_so() {
    let e = crate::Dataset::from_signed_arrays(&[], &[], None, None, None, None).unwrap_err();
    assert_eq!(e.to_string(), "the training data is empty: no interactions");
}
