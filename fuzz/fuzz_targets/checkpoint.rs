#![no_main]
//! The checkpoint loader on arbitrary bytes (metadata only, and against a small layout).
use libfuzzer_sys::fuzz_target;
use ncf_core::model::{Layout, ModelKind};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // Both the raw bytes (the checksum's own check) and the re-sealed ones (the parser behind it).
    for data in [data.to_vec(), common::resealed(data)] {
        let data = &data[..];
        let p = common::scratch("ckpt", data);
        let layout = Layout::new(ModelKind::Gmf, 5, 7, 3).expect("layout");
        for l in [None, Some(layout)] {
            if let Err(e) = ncf_core::checkpoint::load(&p, l) {
                common::coded(&e);
            }
        }
    }
});
