//! The store file opens in GDAL with every table and the right counts.
//!
//! Runs only with `WEIPIAN_GDAL_TESTS=1` (CI installs Debian `gdal-bin` and
//! sets it); with the variable set, a missing GDAL is a failure.

use std::process::Command;

use geo_types::{polygon, MultiPolygon};
use weipian_domain::{layer, AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionCode};
use weipian_store::{BatchMeta, LayerFeature, LayerSource, NewPatch, RegionBoundary, Store};

fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
    ])
}

fn ogrinfo(args: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ogrinfo (install gdal-bin): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ogrinfo {args:?} failed:\n{stdout}\n{stderr}"
    );
    // Warnings are allowed (GDAL < 3.7 warns about GeoPackage 1.4); errors are not.
    assert!(
        !stderr.contains("ERROR"),
        "ogrinfo {args:?} reported errors:\n{stderr}"
    );
    stdout
}

#[test]
fn ogrinfo_lists_every_table_with_its_count() {
    if std::env::var("WEIPIAN_GDAL_TESTS").map_or(true, |v| v != "1") {
        eprintln!("WEIPIAN_GDAL_TESTS≠1: GDAL interoperability checks not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        let fields = vec![
            FieldDef::new("JCBH", FieldType::Text { width: 30 }),
            FieldDef::new(
                "JCMJ",
                FieldType::Real {
                    width: 0,
                    decimals: 0,
                },
            ),
        ];
        // Over 1000 patches: the R*Tree is bulk-loaded, and GDAL must accept it.
        let patches: Vec<NewPatch> = (0..1200)
            .map(|i| NewPatch {
                jcbh: format!("510104SJBG2621{i:04}"),
                xzqdm: "510104".into(),
                geometry: square(104.0 + f64::from(i) * 0.01, 30.6, 0.005),
                area_m2: 1000.0,
                attrs: vec![
                    AttrValue::Text(format!("510104SJBG2621{i:04}")),
                    AttrValue::Real(1.5),
                ],
                source_row: usize::try_from(i).unwrap() + 1,
                repairs: vec![],
            })
            .collect();
        let meta = BatchMeta {
            id: BatchId::new(2020, "2020Q1").unwrap(),
            kind: PatchKind::Land,
            source: "tb.shp".into(),
            encoding: None,
            crs: "EPSG:4490".into(),
        };
        store.import_batch(&meta, &fields, &patches).unwrap();
        let src = LayerSource {
            file: "x.shp".into(),
            encoding: None,
            crs: "EPSG:4490".into(),
        };
        for (code, n) in [("gd", 5usize), ("pzyd", 3), ("jbnt", 2)] {
            let kind = layer::kind(code).unwrap();
            let features: Vec<LayerFeature> = (0..n)
                .map(|i| LayerFeature {
                    geometry: square(104.0 + i as f64 * 0.01, 30.0, 0.004),
                    area_m2: 10.0,
                    keys: vec![AttrValue::Text("k".into()); kind.keys.len()],
                    attrs: vec![AttrValue::Integer(i as i64)],
                    source_row: i + 1,
                })
                .collect();
            store
                .replace_layer(
                    kind,
                    &[FieldDef::new("N", FieldType::Integer { width: 0 })],
                    &features,
                    &src,
                )
                .unwrap();
        }
        let b = RegionBoundary {
            code: RegionCode::parse("510104").unwrap(),
            name: "锦江区".into(),
            geometry: square(104.0, 30.0, 0.5),
            area_m2: 1.0,
        };
        store.replace_region_boundaries(&[b], "县界.shp").unwrap();
    }
    let path = dir.path().join(weipian_store::FILE_NAME);
    let p = path.to_str().unwrap();
    let listing = ogrinfo(&["-q", p]);
    for table in [
        "patches",
        "layer_gd",
        "layer_pzyd",
        "layer_jbnt",
        "region_boundaries",
        "regions",
    ] {
        assert!(listing.contains(table), "{table} not listed:\n{listing}");
    }
    for (table, n) in [
        ("patches", 1200),
        ("layer_gd", 5),
        ("layer_pzyd", 3),
        ("layer_jbnt", 2),
        ("region_boundaries", 1),
    ] {
        let out = ogrinfo(&["-so", p, table]);
        assert!(
            out.contains(&format!("Feature Count: {n}")),
            "{table}:\n{out}"
        );
        assert!(out.contains("Multi Polygon"), "{table}:\n{out}");
    }
    let out = ogrinfo(&["-so", p, "patches"]);
    for col in [
        "jcbh: String",
        "xzqdm: String",
        "tqmj: Real",
        "issued: String",
        "year: Integer",
    ] {
        assert!(out.contains(col), "{col}:\n{out}");
    }
    let out = ogrinfo(&["-so", p, "layer_pzyd"]);
    assert!(
        out.contains("PZWH: String") && out.contains("PZSJ: String"),
        "{out}"
    );
    // The spatial index answers a GDAL spatial filter.
    let out = ogrinfo(&[
        "-q", p, "patches", "-spat", "104.001", "30.601", "104.002", "30.602",
    ]);
    assert_eq!(out.matches("OGRFeature(patches)").count(), 1, "{out}");
    let out = ogrinfo(&[
        "-q", p, "layer_gd", "-spat", "104.0105", "30.001", "104.0106", "30.002",
    ]);
    assert_eq!(out.matches("OGRFeature(layer_gd)").count(), 1, "{out}");
    let out = ogrinfo(&["-so", p, "regions"]);
    let n = weipian_domain::RegionTable::embedded().len();
    assert!(out.contains(&format!("Feature Count: {n}")), "{out}");
}
