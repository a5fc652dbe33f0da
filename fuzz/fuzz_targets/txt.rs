//! 国土 TXT reader on arbitrary bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use weipian_formats::{txt, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let _ = txt::read_bytes(Path::new("fuzz.txt"), data, &ReadOptions::default());
});
