//! GeoJSON reader on arbitrary bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use weipian_formats::{geojson, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let _ = geojson::read_bytes(Path::new("fuzz.geojson"), data, &ReadOptions::default());
});
