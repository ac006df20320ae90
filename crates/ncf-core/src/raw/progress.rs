//! Live progress of reading interaction files (the Netflix `combined_data_*.txt`
//! files, ≈2 GB, and large CSVs). A [`ReadProgress`] is atomics only: the reader updates it with
//! `Relaxed` stores once per buffer refill (bytes, lines) and once every
//! [`PUBLISH_EVERY`] records (interactions), and any other thread may poll it at any time
//! through [`ReadProgress::snapshot`]. A snapshot's counts may be a buffer apart, never more,
//! and it never mixes two files: a new file starts under a sequence lock, so a poller sees the
//! bytes of a file only grow.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, fence};

use crate::input::InputCounters;

/// Records between two updates of [`ReadSnapshot::interactions`] while a file streams.
pub(crate) const PUBLISH_EVERY: u64 = 4096;

/// What a load is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadPhase {
    /// Streaming a file: bytes, lines and interactions grow.
    Reading,
    /// Every file is read; ids are encoded and the dataset built (`to_dataset`).
    Building,
    /// The dataset is ready.
    Done,
}

/// How far a load got, as [`ReadProgress::snapshot`] saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadSnapshot {
    /// 0-based index of the file being read (the last one opened).
    pub file: u32,
    /// Files in this load (a read with a separate test file reads two).
    pub files: u32,
    /// Bytes of the file consumed so far, as stored on disk: counted below the gzip decoder,
    /// so `bytes_read / total_bytes` is the fraction read of a `.gz` file too.
    pub bytes_read: u64,
    /// The file's size in bytes, from its metadata (0 before it is opened).
    pub total_bytes: u64,
    /// Lines of the file read so far (decompressed; a last line without a line end counts).
    pub lines: u64,
    /// Interactions of the file kept so far: records at or above the threshold, before
    /// duplicate pairs are folded.
    pub interactions: u64,
    pub phase: ReadPhase,
}

/// Progress of a load, shared (put it in an `Arc`) between the reading thread and any number
/// of pollers. Counts are per file: a new file starts them from 0. One thread reads at a time.
#[derive(Debug)]
pub struct ReadProgress {
    /// Odd while a file starts (its counts are reset): [`ReadProgress::snapshot`] retries then.
    seq: AtomicU32,
    /// Files opened so far; the current file's index is one less.
    opened: AtomicU32,
    files: AtomicU32,
    bytes: AtomicU64,
    total: AtomicU64,
    lines: AtomicU64,
    interactions: AtomicU64,
    phase: AtomicU8,
    /// Set by [`ReadProgress::cancel`]; never reset, so a cancelled load stays cancelled.
    cancelled: AtomicBool,
}

impl Default for ReadProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadProgress {
    pub fn new() -> Self {
        ReadProgress {
            seq: AtomicU32::new(0),
            opened: AtomicU32::new(0),
            files: AtomicU32::new(0),
            bytes: AtomicU64::new(0),
            total: AtomicU64::new(0),
            lines: AtomicU64::new(0),
            interactions: AtomicU64::new(0),
            phase: AtomicU8::new(ReadPhase::Reading as u8),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Starts a load of `files` files: every count back to 0, phase reading. Optional: without
    /// it, `files` counts the files opened so far.
    pub fn begin(&self, files: u32) {
        self.restart(|| {
            self.opened.store(0, Relaxed);
            self.files.store(files, Relaxed);
        });
    }

    /// Every count back to 0 and phase reading, with `also`, seen by pollers all at once.
    fn restart(&self, also: impl FnOnce()) {
        let s = self.seq.load(Relaxed);
        self.seq.store(s.wrapping_add(1), Relaxed);
        fence(Release);
        for a in [&self.bytes, &self.total, &self.lines, &self.interactions] {
            a.store(0, Relaxed);
        }
        self.set_phase(ReadPhase::Reading);
        also();
        self.seq.store(s.wrapping_add(2), Release);
    }

    /// Asks the load to stop: the file being read fails with `LoadCancelled` (naming it and the
    /// line reached) at its next read of the file, and later files are never read.
    pub fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Relaxed)
    }

    pub fn set_phase(&self, phase: ReadPhase) {
        self.phase.store(phase as u8, Relaxed);
    }

    pub fn snapshot(&self) -> ReadSnapshot {
        loop {
            let s = self.seq.load(Acquire);
            if s & 1 == 0 {
                let snap = self.load();
                fence(Acquire);
                if self.seq.load(Relaxed) == s {
                    return snap;
                }
            }
            std::hint::spin_loop();
        }
    }

    fn load(&self) -> ReadSnapshot {
        let opened = self.opened.load(Relaxed);
        ReadSnapshot {
            file: opened.saturating_sub(1),
            files: self.files.load(Relaxed).max(opened),
            bytes_read: self.bytes.load(Relaxed),
            total_bytes: self.total.load(Relaxed),
            lines: self.lines.load(Relaxed),
            interactions: self.interactions.load(Relaxed),
            phase: match self.phase.load(Relaxed) {
                0 => ReadPhase::Reading,
                1 => ReadPhase::Building,
                _ => ReadPhase::Done,
            },
        }
    }

    /// The next file of the load starts: its counts from 0, and the counters its input reports
    /// into (bytes below the decompressor, its size, lines).
    pub(crate) fn next_file(&self) -> InputCounters<'_> {
        self.restart(|| {
            self.opened.fetch_add(1, Relaxed);
        });
        InputCounters { bytes: &self.bytes, total: &self.total, lines: &self.lines, cancel: &self.cancelled }
    }

    pub(crate) fn set_interactions(&self, n: u64) {
        self.interactions.store(n, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;
    use crate::raw::{Column, CsvSpec, Format, ReadLimits, read_with_progress, to_dataset};

    fn file(name: &str, bytes: &[u8]) -> PathBuf {
        crate::raw::temp_file("progress", name, bytes)
    }

    /// A Netflix file of `movies` blocks of `per` ratings each, distinct pairs, `\n` ended:
    /// `movies × (per + 1)` lines.
    fn netflix(movies: u32, per: u32) -> Vec<u8> {
        let mut s = String::new();
        for m in 1..=movies {
            s.push_str(&format!("{m}:\n"));
            for c in 0..per {
                s.push_str(&format!("{},{},2005-0{}-1{}\n", 1000 + c, 1 + (c + m) % 5, 1 + c % 9, c % 10));
            }
        }
        s.into_bytes()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    fn read(p: &Path, format: &Format, threshold: Option<f32>, progress: &ReadProgress) -> usize {
        read_with_progress(p, format, ReadLimits::default(), threshold, Some(progress)).unwrap().len()
    }

    #[test]
    fn a_plain_file_is_read_to_its_size_with_every_line_and_interaction() {
        let text = netflix(30, 400);
        let p = file("combined_data_1.txt", &text);
        let progress = ReadProgress::new();
        assert_eq!(progress.snapshot().phase, ReadPhase::Reading);
        assert_eq!(read(&p, &Format::Netflix, None, &progress), 12_000);
        let s = progress.snapshot();
        assert_eq!((s.file, s.files), (0, 1), "one file, opened without begin");
        assert_eq!((s.bytes_read, s.total_bytes), (text.len() as u64, text.len() as u64));
        assert_eq!((s.lines, s.interactions), (30 * 401, 12_000));
        // The threshold keeps ratings of 4 and 5 only: 2 of every 5.
        assert_eq!(read(&p, &Format::Netflix, Some(4.0), &progress), 4800);
        assert_eq!(progress.snapshot().interactions, 4800);
        assert_eq!(progress.snapshot().lines, 30 * 401);
        // No line end after the last line: it counts all the same.
        let p = file("no-newline.dat", b"1::2::5::9\n3::4::1::9");
        read(&p, &Format::MovieLens, None, &progress);
        assert_eq!((progress.snapshot().lines, progress.snapshot().bytes_read), (2, 21));
    }

    #[test]
    fn a_gz_file_counts_its_compressed_bytes() {
        let mut text = b"user,item,score\n".to_vec();
        for k in 0..50_000u32 {
            text.extend_from_slice(format!("u{},i{},{}\n", k % 997, k, k % 5 + 1).as_bytes());
        }
        let gz = gzip(&text);
        let p = file("events.csv.gz", &gz);
        let spec = CsvSpec {
            delimiter: b',',
            has_header: true,
            user: Column::Name("user".into()),
            item: Column::Name("item".into()),
            rating: Some(Column::Name("score".into())),
            timestamp: None,
        };
        let progress = ReadProgress::new();
        assert_eq!(read(&p, &Format::Csv(spec), None, &progress), 50_000);
        let s = progress.snapshot();
        assert!(gz.len() < text.len() / 2, "the test means compressed bytes");
        assert_eq!((s.bytes_read, s.total_bytes), (gz.len() as u64, gz.len() as u64));
        assert_eq!((s.lines, s.interactions), (50_001, 50_000));
    }

    #[test]
    fn a_read_with_a_test_file_reports_the_second_file_of_two() {
        let (train, test) = (netflix(20, 50), netflix(3, 7));
        let (a, b) = (file("nf-train.txt", &train), file("nf-test.txt.gz", &gzip(&test)));
        let progress = Arc::new(ReadProgress::new());
        progress.begin(2);
        assert_eq!((progress.snapshot().file, progress.snapshot().files), (0, 2));
        let poller = {
            let p = progress.clone();
            std::thread::spawn(move || {
                // Polling from another thread while it reads sees bytes that never go back
                // within a file.
                let mut last = (0, 0);
                while p.snapshot().phase != ReadPhase::Done {
                    let s = p.snapshot();
                    assert!((s.file, s.bytes_read) >= last, "{s:?} after {last:?}");
                    last = (s.file, s.bytes_read);
                    std::thread::yield_now();
                }
            })
        };
        read(&a, &Format::Netflix, None, &progress);
        let s = progress.snapshot();
        assert_eq!((s.file, s.files, s.bytes_read, s.lines), (0, 2, train.len() as u64, 20 * 51));
        read(&b, &Format::Netflix, None, &progress);
        let s = progress.snapshot();
        let gz_len = std::fs::metadata(&b).unwrap().len();
        assert_eq!((s.file, s.files), (1, 2), "file index 1 of 2");
        assert_eq!((s.bytes_read, s.total_bytes, s.lines, s.interactions), (gz_len, gz_len, 3 * 8, 21));
        progress.set_phase(ReadPhase::Building);
        assert_eq!(progress.snapshot().phase, ReadPhase::Building);
        to_dataset(read_with_progress(&a, &Format::Netflix, ReadLimits::default(), None, None).unwrap()).unwrap();
        progress.set_phase(ReadPhase::Done);
        poller.join().unwrap();
        assert_eq!(progress.snapshot().file, 1, "a read without progress reports nothing");
        progress.begin(1);
        let s = progress.snapshot();
        assert_eq!((s.file, s.files, s.bytes_read, s.lines, s.phase), (0, 1, 0, 0, ReadPhase::Reading));
    }

    /// A cancelled load stops at the file's next read, naming the file and the line reached;
    /// the flag survives `begin` and the next file, so a cancelled load stays cancelled.
    #[test]
    fn a_cancelled_load_stops_within_the_file_and_names_where() {
        let movies = 400;
        let text = netflix(movies, 5000);
        let total_lines = movies as u64 * 5001;
        let p = file("cancel_mid.txt", &text);
        let progress = Arc::new(ReadProgress::new());
        let reader = {
            let (p, progress) = (p.clone(), progress.clone());
            std::thread::spawn(move || {
                read_with_progress(&p, &Format::Netflix, ReadLimits::default(), None, Some(&progress))
            })
        };
        // Cancel as soon as the first buffer is counted: 44 MB remain, about a second to read.
        while progress.snapshot().lines == 0 {
            std::hint::spin_loop();
        }
        progress.cancel();
        let err = reader.join().unwrap().unwrap_err();
        assert_eq!(err.code(), "ERR_ABORTED");
        match &err {
            crate::NcfError::LoadCancelled { path, line } => {
                assert_eq!(path, &p);
                assert!(*line > 0 && *line < total_lines, "stopped at line {line} of {total_lines}");
            }
            other => panic!("expected LoadCancelled, got {other}"),
        }
        assert!(err.to_string().starts_with(&format!("{}:", p.display())), "{err}");
        assert!(progress.snapshot().bytes_read < text.len() as u64, "the file was not read to its end");
        // A new file of the same load, or a new begin, does not undo it.
        progress.begin(1);
        let small = file("cancel_small.txt", &netflix(2, 3));
        let err = read_with_progress(&small, &Format::Netflix, ReadLimits::default(), None, Some(&progress));
        assert!(matches!(err, Err(crate::NcfError::LoadCancelled { line: 1, .. })), "{err:?}");
        assert!(progress.is_cancelled());
        // A read without progress cannot be cancelled and reads on.
        assert!(read_with_progress(&small, &Format::Netflix, ReadLimits::default(), None, None).is_ok());
    }
}
