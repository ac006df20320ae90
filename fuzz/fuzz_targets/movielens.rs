#![no_main]
//! The movielens interaction reader, then the conversion to a dataset, on arbitrary bytes.
use libfuzzer_sys::fuzz_target;
use ncf_core::raw::{Format, read, to_dataset};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let p = common::scratch("movielens", data);
    match read(&p, &Format::MovieLens) {
        Err(e) => common::coded(&e),
        Ok(raw) => {
            if let Err(e) = to_dataset(&raw, Some(3.0)) {
                common::coded(&e);
            }
        }
    }
});
