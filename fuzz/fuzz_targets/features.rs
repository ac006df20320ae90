#![no_main]
//! The side-feature readers (MovieLens `u.item` / `u.user`) on arbitrary bytes.
use libfuzzer_sys::fuzz_target;
use ncf_core::features::read::{read_movielens_items, read_movielens_users};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let p = common::scratch("features", data);
    for r in [read_movielens_items(&p).map(|_| ()), read_movielens_users(&p).map(|_| ())] {
        if let Err(e) = r {
            common::coded(&e);
        }
    }
});
