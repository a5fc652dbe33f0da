//! Shapefile reader on arbitrary bytes, split deterministically into parts:
//!
//! byte 0: flags — bit 0: an `.shx` is present; bits 1–2: encoding
//! (0/3 detect, 1 UTF-8, 2 GBK); bit 3: a `.cpg` saying GBK.
//! bytes 1–2: `.shp` length (u16 LE); bytes 3–4: `.shx` length (u16 LE);
//! then the `.shp`, the `.shx` (when present) and the rest is the `.dbf`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use weipian_formats::{shp, ReadOptions, TextEncoding};

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<5>() else {
        return;
    };
    let flags = head[0];
    let shp_len = usize::from(u16::from_le_bytes([head[1], head[2]])).min(rest.len());
    let (shp_bytes, rest) = rest.split_at(shp_len);
    let (shx, dbf) = if flags & 1 == 1 {
        let shx_len = usize::from(u16::from_le_bytes([head[3], head[4]])).min(rest.len());
        let (shx, dbf) = rest.split_at(shx_len);
        (Some(shx), dbf)
    } else {
        (None, rest)
    };
    let encoding = match (flags >> 1) & 3 {
        1 => TextEncoding::Utf8,
        2 => TextEncoding::Gbk,
        _ => TextEncoding::Detect,
    };
    let cpg = (flags & 8 == 8).then_some("GBK");
    let options = ReadOptions {
        encoding,
        ..ReadOptions::default()
    };
    let _ = shp::read_parts(
        Path::new("fuzz.shp"),
        shp_bytes,
        shx,
        dbf,
        None,
        cpg,
        &options,
    );
});
