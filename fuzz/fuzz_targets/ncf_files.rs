#![no_main]
//! The NCF text files (`train.rating`, `test.negative`): the input is split at the first NUL
//! into a training file and a negatives file, and loaded as one split.
use libfuzzer_sys::fuzz_target;
use ncf_core::data::ncf_files::{NcfPaths, load_ncf};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let train = common::scratch("train.rating", &data[..cut]);
    let neg = common::scratch("test.negative", data.get(cut + 1..).unwrap_or(&[]));
    for test_negative in [None, Some(neg)] {
        let paths = NcfPaths { train: train.clone(), test_rating: None, test_negative };
        if let Err(e) = load_ncf(&paths, None, None) {
            common::coded(&e);
        }
    }
});
