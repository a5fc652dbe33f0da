//! Unit tests of the shapefile reader and writer internals, and "never
//! panics" property tests on arbitrary and mutated bytes.

use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_geo::crs::CrsHint;

use super::*;
use crate::dataset::{Dataset, Feature, ReadOptions};

fn square(x: f64, y: f64, s: f64) -> LineString<f64> {
    LineString(
        [(x, y), (x, y + s), (x + s, y + s), (x + s, y), (x, y)]
            .into_iter()
            .map(|(x, y)| Coord { x, y })
            .collect(),
    )
}

/// A small valid dataset: GBK text, numbers, a date, holes, a null shape.
fn sample() -> Dataset {
    let fields = vec![
        FieldDef::new("DLMC", FieldType::Text { width: 10 }),
        FieldDef::new(
            "MJ",
            FieldType::Real {
                width: 12,
                decimals: 3,
            },
        ),
        FieldDef::new("NF", FieldType::Integer { width: 4 }),
        FieldDef::new("RQ", FieldType::Date),
        FieldDef::new("OK", FieldType::Logical),
    ];
    let mut features = Vec::new();
    for i in 0..4usize {
        let geometry = (i != 2).then(|| {
            let mut hole = square(i as f64 * 10.0 + 1.0, 1.0, 1.0);
            hole.0.reverse();
            MultiPolygon(vec![
                Polygon::new(square(i as f64 * 10.0, 0.0, 5.0), vec![hole]),
                Polygon::new(square(i as f64 * 10.0 + 6.0, 0.0, 2.0), vec![]),
            ])
        });
        features.push(Feature {
            row: i + 1,
            geometry,
            attrs: vec![
                AttrValue::Text("水田".into()),
                AttrValue::Real(1.5 * i as f64),
                AttrValue::Integer(2020 + i as i64),
                AttrValue::Text("2024-01-31".into()),
                AttrValue::Bool(i % 2 == 0),
            ],
            repairs: vec![],
        });
    }
    Dataset {
        source: "s".into(),
        fields,
        features,
        crs: CrsHint::default(),
        encoding: None,
    }
}

fn sample_parts() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let d = sample();
    let (names, _) = dbf::dbf_names(&d.fields);
    let (shp, shx) = geom::write_shapes(&d.features).unwrap();
    let dbf = dbf::write_dbf(&d, &names).unwrap();
    (shp, shx, dbf)
}

#[test]
fn in_memory_round_trip() {
    let (shp, shx, dbf) = sample_parts();
    let d = read_parts(
        Path::new("m.shp"),
        &shp,
        Some(&shx),
        &dbf,
        None,
        Some("GBK"),
        &ReadOptions::default(),
    )
    .unwrap();
    let s = sample();
    assert_eq!(d.fields, s.fields);
    for (a, b) in d.features.iter().zip(&s.features) {
        assert_eq!(a.attrs, b.attrs);
        assert_eq!(a.geometry, b.geometry);
    }
}

#[test]
fn signed_area_orientation() {
    let cw = square(0.0, 0.0, 1.0);
    assert!(geom::signed_area2(&cw.0) < 0.0);
    let mut ccw = cw.clone();
    ccw.0.reverse();
    assert!((geom::signed_area2(&ccw.0) - 2.0).abs() < 1e-12);
    // Zone-prefixed eastings keep their precision.
    let big = square(38_528_770.0, 3_386_666.0, 0.01);
    assert!((geom::signed_area2(&big.0) + 2.0e-4).abs() < 2.0e-4 * 1e-5);
}

#[test]
fn cpg_labels() {
    for l in [
        "GBK",
        "gbk",
        "936",
        "CP936",
        "ANSI 936",
        "GB2312",
        "\u{feff}GBK\r\n",
    ] {
        assert_eq!(dbf::cpg_encoding(l).map(|e| e.1), Some("GBK"), "{l}");
    }
    for l in ["UTF-8", "utf8", "65001"] {
        assert_eq!(dbf::cpg_encoding(l).map(|e| e.1), Some("UTF-8"), "{l}");
    }
    assert!(dbf::cpg_encoding("1252").is_none());
    assert!(dbf::cpg_encoding("").is_none());
}

#[test]
fn shortest_reals_fit_24() {
    for v in [
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        -1.234_567_890_123_456_7e-300,
        0.1,
        1e21,
        123_456_789_012_345_680.0,
    ] {
        let s = dbf::shortest(v);
        assert!(s.len() <= 24, "{v}: {s}");
        assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{s}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        shp in proptest::collection::vec(any::<u8>(), 0..400),
        dbf in proptest::collection::vec(any::<u8>(), 0..400),
        with_shx in any::<bool>(),
    ) {
        let shx = with_shx.then(|| shp.clone());
        let _ = read_parts(Path::new("f.shp"), &shp, shx.as_deref(), &dbf, None, None, &ReadOptions::default());
    }

    #[test]
    fn mutated_files_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12),
        cut_shp in any::<prop::sample::Index>(),
        cut_dbf in any::<prop::sample::Index>(),
        cut in 0u8..4,
    ) {
        let (mut shp, shx, mut dbf) = sample_parts();
        for (at, byte, target) in &edits {
            let buf = match target { 0 => &mut shp, 1 => &mut dbf, _ => &mut shp };
            let i = at.index(buf.len());
            if *target == 2 {
                // Overwrite a 4-byte integer field with an extreme value.
                let v = [i32::MIN, -1, 0, i32::MAX, 0x4000_0000][usize::from(*byte) % 5].to_le_bytes();
                let end = (i + 4).min(buf.len());
                buf[i..end].copy_from_slice(&v[..end - i]);
            } else {
                buf[i] = *byte;
            }
        }
        if cut & 1 == 1 {
            shp.truncate(cut_shp.index(shp.len() + 1));
        }
        if cut & 2 == 2 {
            dbf.truncate(cut_dbf.index(dbf.len() + 1));
        }
        for enc in [crate::TextEncoding::Detect, crate::TextEncoding::Utf8, crate::TextEncoding::Gbk] {
            let o = ReadOptions { encoding: enc, ..ReadOptions::default() };
            let _ = read_parts(Path::new("f.shp"), &shp, Some(&shx), &dbf, Some("x"), None, &o);
            let _ = read_parts(Path::new("f.shp"), &shp, None, &dbf, None, Some("GBK"), &o);
        }
    }
}
