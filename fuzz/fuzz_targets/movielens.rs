#![no_main]
//! The movielens interaction reader, then the conversion to a dataset, on arbitrary bytes.
use libfuzzer_sys::fuzz_target;
use ncf_core::raw::{Format, ReadLimits, read_with, to_dataset};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let p = common::scratch("movielens", data);
    match read_with(&p, &Format::MovieLens, ReadLimits::default(), Some(3.0)) {
        Err(e) => common::coded(&e),
        Ok(raw) => {
            if let Err(e) = to_dataset(raw) {
                common::coded(&e);
            }
        }
    }
});
