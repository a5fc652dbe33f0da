//! Safe zip extraction (and the shapefile reader behind it) on arbitrary
//! bytes, with a small size budget so bombs are cut short.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use weipian_formats::{shp, zipin, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        max_bytes: 1 << 22,
        ..ReadOptions::default()
    };
    if let Ok(m) = zipin::extract_shapefile_from(Path::new("fuzz.zip"), Cursor::new(data), &options)
    {
        if let Some(dbf) = m.dbf.as_deref() {
            let _ = shp::read_parts(
                Path::new("fuzz.zip"),
                &m.shp,
                m.shx.as_deref(),
                dbf,
                None,
                None,
                &options,
            );
        }
    }
});
