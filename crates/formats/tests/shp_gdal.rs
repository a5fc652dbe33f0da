//! Shapefile and GeoJSON interoperability with GDAL (`ogrinfo`, `ogr2ogr`):
//! GDAL reads what we write, and we read what GDAL writes.
//!
//! These run only with `WEIPIAN_GDAL_TESTS=1` (CI installs Debian `gdal-bin`
//! and sets it); with the variable set, a missing GDAL is a failure.

use std::path::Path;
use std::process::Command;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_formats::{geojson, shp, Dataset, Feature, ReadOptions};

fn gdal_tests_enabled() -> bool {
    let on = std::env::var("WEIPIAN_GDAL_TESTS").is_ok_and(|v| v == "1");
    if !on {
        eprintln!("WEIPIAN_GDAL_TESTS≠1: GDAL interoperability checks not run");
    }
    on
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} (install gdal-bin): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{stdout}\n{stderr}"
    );
    assert!(!stderr.contains("ERROR"), "GDAL reported errors:\n{stderr}");
    stdout
}

fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
    LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect())
}

/// Two features in EPSG:4490: GBK text, a declared Real, a date, a hole.
fn sample() -> Dataset {
    let outer = ring(&[
        (114.3, 30.6),
        (114.3, 30.61),
        (114.31, 30.61),
        (114.31, 30.6),
        (114.3, 30.6),
    ]);
    let hole = ring(&[
        (114.301, 30.601),
        (114.302, 30.601),
        (114.302, 30.602),
        (114.301, 30.602),
        (114.301, 30.601),
    ]);
    let other = ring(&[
        (114.4, 30.6),
        (114.4, 30.7),
        (114.5, 30.7),
        (114.5, 30.6),
        (114.4, 30.6),
    ]);
    let fields = vec![
        FieldDef::new("JCBH", FieldType::Text { width: 18 }),
        FieldDef::new("DLMC", FieldType::Text { width: 20 }),
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 16,
                decimals: 4,
            },
        ),
        FieldDef::new("XFSJ", FieldType::Date),
    ];
    let features = vec![
        Feature {
            row: 1,
            geometry: Some(MultiPolygon(vec![Polygon::new(outer, vec![hole])])),
            attrs: vec![
                AttrValue::Text("130403SJBG26210183".into()),
                AttrValue::Text("水田".into()),
                AttrValue::Real(1234.5678),
                AttrValue::Text("2024-03-15".into()),
            ],
            repairs: vec![],
        },
        Feature {
            row: 2,
            geometry: Some(MultiPolygon(vec![Polygon::new(other, vec![])])),
            attrs: vec![
                AttrValue::Text("130403SJBG26210184".into()),
                AttrValue::Text("农村宅基地".into()),
                AttrValue::Real(0.5),
                AttrValue::Null,
            ],
            repairs: vec![],
        },
    ];
    Dataset {
        source: "mem".into(),
        fields,
        features,
        crs: Default::default(),
        encoding: None,
    }
}

#[test]
fn gdal_reads_our_shapefile_and_geojson() {
    if !gdal_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("图斑.shp");
    shp::write(&path, &sample()).unwrap();
    let info = run("ogrinfo", &["-al", path.to_str().unwrap()]);
    assert!(info.contains("ID[\"EPSG\",4490]"), "{info}");
    assert!(info.contains("DLMC (String) = 水田"), "{info}");
    assert!(info.contains("DLMC (String) = 农村宅基地"), "{info}");
    assert!(info.contains("JCMJ: Real (16.4)"), "{info}");
    assert!(info.contains("JCMJ (Real) = 1234.5678"), "{info}");
    assert!(info.contains("XFSJ (Date) = 2024/03/15"), "{info}");
    assert!(info.contains("Feature Count: 2"), "{info}");

    let gj = dir.path().join("图斑.geojson");
    geojson::write(&gj, &sample()).unwrap();
    let info = run("ogrinfo", &["-al", gj.to_str().unwrap()]);
    assert!(info.contains("ID[\"EPSG\",4490]"), "{info}");
    assert!(info.contains("DLMC (String) = 水田"), "{info}");
    assert!(info.contains("JCMJ (Real) = 1234.5678"), "{info}");
}

fn convert(dir: &Path, src: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut args = vec!["-f", "ESRI Shapefile"];
    args.extend_from_slice(extra);
    args.push(out.to_str().unwrap());
    args.push(src.to_str().unwrap());
    run("ogr2ogr", &args);
    out
}

#[test]
fn we_read_what_gdal_writes() {
    if !gdal_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.shp");
    let original = sample();
    shp::write(&src, &original).unwrap();
    let ours = shp::read(&src, &ReadOptions::default()).unwrap();

    // UTF-8 with a .cpg, and GBK as Chinese GIS tools write it. (GDAL 3.6's
    // default, LDID 87 = ISO-8859-1, turns Chinese into "??" itself.)
    for (name, extra) in [
        ("utf8.shp", &["-lco", "ENCODING=UTF-8"][..]),
        ("gbk.shp", &["-lco", "ENCODING=CP936"][..]),
    ] {
        let out = convert(dir.path(), &src, name, extra);
        let theirs = shp::read(&out, &ReadOptions::default()).unwrap();
        let enc = theirs.encoding.clone().unwrap();
        if name == "gbk.shp" {
            assert!(enc.starts_with("GBK"), "{enc}");
        } else {
            assert!(enc.starts_with("UTF-8"), "{enc}");
        }
        assert!(
            theirs.crs.wkt.as_deref().unwrap().contains("China"),
            "{:?}",
            theirs.crs.wkt
        );
        assert_eq!(theirs.fields.len(), original.fields.len());
        for (a, b) in ours.features.iter().zip(&theirs.features) {
            assert_eq!(a.attrs, b.attrs, "{name}");
            assert_eq!(a.geometry, b.geometry, "{name}");
        }
    }
}
