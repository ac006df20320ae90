#![no_main]
//! The model loader on arbitrary bytes: an error with a code, or a model that saves again.
use libfuzzer_sys::fuzz_target;
use ncf_core::persist::{Extras, from_bytes, to_bytes};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // Both the raw bytes (the checksum's own check) and the re-sealed ones (the parser behind it).
    for data in [data.to_vec(), common::resealed(data)] {
        let data = &data[..];
        match from_bytes(std::path::Path::new("fuzz.ncf"), data) {
            Err(e) => common::coded(&e),
            Ok(loaded) => {
                // Whatever loads is a model this build can also write and read back.
                let ids = loaded.meta.user_ids.clone().zip(loaded.meta.item_ids.clone());
                let bytes =
                    to_bytes(&loaded.params, Extras { ids, ..Default::default() }).expect("a loaded model saves");
                from_bytes(std::path::Path::new("again.ncf"), &bytes).expect("and loads again");
            }
        }
    }
});
