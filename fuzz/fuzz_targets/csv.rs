#![no_main]
//! The csv interaction reader, then the conversion to a dataset, on arbitrary bytes.
use libfuzzer_sys::fuzz_target;
use ncf_core::raw::{Column, CsvSpec, Format, ReadLimits, read_with, to_dataset};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let p = common::scratch("csv", data);
    match read_with(
        &p,
        &Format::Csv(CsvSpec {
            delimiter: b',',
            has_header: data.first().is_some_and(|b| b & 1 == 1),
            user: Column::Index(0),
            item: Column::Index(1),
            rating: Some(Column::Index(2)),
            timestamp: None,
        }),
        ReadLimits::default(),
        Some(3.0),
    ) {
        Err(e) => common::coded(&e),
        Ok(raw) => {
            if let Err(e) = to_dataset(raw) {
                common::coded(&e);
            }
        }
    }
});
