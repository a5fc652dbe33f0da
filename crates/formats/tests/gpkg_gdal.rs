//! GeoPackage interoperability with GDAL (`ogrinfo`, `ogr2ogr`).
//!
//! These run only with `WEIPIAN_GDAL_TESTS=1` (CI installs Debian `gdal-bin`
//! and sets it); with the variable set, a missing GDAL is a failure.

use std::path::Path;
use std::process::Command;

use geo_types::{polygon, MultiPolygon};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_formats::{gpkg, Dataset, Feature, ReadOptions};

fn gdal_tests_enabled() -> bool {
    let on = std::env::var("WEIPIAN_GDAL_TESTS").is_ok_and(|v| v == "1");
    if !on {
        eprintln!("WEIPIAN_GDAL_TESTS≠1: GDAL interoperability checks not run");
    }
    on
}

/// Run a GDAL tool; panics (test failure) if it cannot run or fails.
/// Returns (stdout, stderr).
fn run(tool: &str, args: &[&str]) -> (String, String) {
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
    (stdout, stderr)
}

/// GDAL errors ("ERROR n: …") are failures; warnings are allowed. GDAL
/// before 3.7 warns that GeoPackage 1.4 "may only be partially supported".
fn assert_no_gdal_errors(stderr: &str) {
    assert!(!stderr.contains("ERROR"), "GDAL reported errors:\n{stderr}");
}

fn dataset(path: &Path) -> Dataset {
    let g = MultiPolygon(vec![
        polygon!(
            exterior: [(x: 114.30, y: 30.60), (x: 114.31, y: 30.60), (x: 114.31, y: 30.61), (x: 114.30, y: 30.61), (x: 114.30, y: 30.60)],
            interiors: [[(x: 114.302, y: 30.602), (x: 114.304, y: 30.602), (x: 114.304, y: 30.604), (x: 114.302, y: 30.602)]],
        ),
        polygon![(x: 115.0, y: 31.0), (x: 115.1, y: 31.0), (x: 115.0, y: 31.1), (x: 115.0, y: 31.0)],
    ]);
    let features = (1..=5)
        .map(|row| Feature {
            row,
            geometry: Some(g.clone()),
            attrs: vec![
                AttrValue::Text(format!("130403SJBG2621018{row}")),
                AttrValue::Real(1234.5 + row as f64),
                AttrValue::Integer(2020),
                AttrValue::Text("2020-03-31".into()),
                AttrValue::Bool(row % 2 == 0),
                AttrValue::Text("水田".into()),
            ],
            repairs: vec![],
        })
        .collect();
    Dataset {
        source: path.to_path_buf(),
        fields: vec![
            FieldDef::new("JCBH", FieldType::Text { width: 30 }),
            FieldDef::new(
                "JCMJ",
                FieldType::Real {
                    width: 0,
                    decimals: 0,
                },
            ),
            FieldDef::new("NF", FieldType::Integer { width: 0 }),
            FieldDef::new("HSX", FieldType::Date),
            FieldDef::new("SFHF", FieldType::Logical),
            FieldDef::new("备注", FieldType::Text { width: 0 }),
        ],
        features,
        crs: Default::default(),
        encoding: None,
    }
}

#[test]
fn ogrinfo_reads_what_we_write() {
    if !gdal_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tuban.gpkg");
    gpkg::write(&path, "tuban", &dataset(&path)).unwrap();
    let p = path.to_str().unwrap();
    let (out, err) = run("ogrinfo", &["-so", p, "tuban"]);
    assert_no_gdal_errors(&err);
    assert!(out.contains("Feature Count: 5"), "{out}");
    assert!(out.contains("Geometry: Multi Polygon"), "{out}");
    assert!(out.contains("ID[\"EPSG\",4490]"), "{out}");
    for field in [
        "JCBH: String (30.0)",
        "JCMJ: Real",
        "NF: Integer64",
        "HSX: Date",
        "SFHF: Integer(Boolean)",
        "备注: String",
    ] {
        assert!(out.contains(field), "missing {field}:\n{out}");
    }
    // Every feature reads back without complaint, and the spatial index answers.
    let (out, err) = run(
        "ogrinfo",
        &[
            "-q", p, "tuban", "-spat", "114.305", "30.605", "114.306", "30.606",
        ],
    );
    assert_no_gdal_errors(&err);
    assert_eq!(out.matches("OGRFeature(tuban)").count(), 5, "{out}");
    let (out, err) = run(
        "ogrinfo",
        &[
            "-q",
            p,
            "-sql",
            "SELECT count(*) AS n FROM rtree_tuban_geom",
        ],
    );
    assert_no_gdal_errors(&err);
    assert!(
        out.contains("n (Integer) = 5") || out.contains("n (Integer64) = 5"),
        "{out}"
    );
}

#[test]
fn gdal_made_geopackage_from_a_shapefile_reads_and_accepts_writes() {
    if !gdal_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let geojson = dir.path().join("in.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"JCBH":"130403SJBG26210183","XZQDM":"130403","JCMJ":1234.5678,"NF":2020,"HSX":"2020-03-31"},
 "geometry":{"type":"Polygon","coordinates":[[[114.3,30.6],[114.31,30.6],[114.31,30.61],[114.3,30.6]],[[114.301,30.601],[114.303,30.601],[114.303,30.603],[114.301,30.601]]]}},
{"type":"Feature","properties":{"JCBH":"130403SJBG26210184","XZQDM":"013040","JCMJ":1,"NF":2021,"HSX":null},
 "geometry":{"type":"MultiPolygon","coordinates":[[[[114.3,30.6],[114.31,30.6],[114.31,30.61],[114.3,30.6]]],[[[115.3,30.6],[115.31,30.6],[115.31,30.61],[115.3,30.6]]]]}}
]}"#,
    )
    .unwrap();
    let shp_dir = dir.path().join("shp");
    std::fs::create_dir(&shp_dir).unwrap();
    let shp = shp_dir.join("tb.shp");
    let gpkg_path = dir.path().join("from_shp.gpkg");
    run(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            "-a_srs",
            "EPSG:4490",
            shp.to_str().unwrap(),
            geojson.to_str().unwrap(),
        ],
    );
    let (_, err) = run(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            gpkg_path.to_str().unwrap(),
            shp.to_str().unwrap(),
        ],
    );
    assert_no_gdal_errors(&err);

    let d = gpkg::read(&gpkg_path, &ReadOptions::default()).unwrap();
    let names: Vec<_> = d.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["JCBH", "XZQDM", "JCMJ", "NF", "HSX"]);
    assert!(matches!(
        d.fields[0].field_type,
        FieldType::Text { width: 80 }
    ));
    assert!(matches!(d.fields[2].field_type, FieldType::Real { .. }));
    assert!(matches!(d.fields[3].field_type, FieldType::Integer { .. }));
    assert_eq!(d.fields[4].field_type, FieldType::Date);
    assert_eq!(d.crs.epsg, Some(4490));
    assert_eq!(d.features.len(), 2);
    assert_eq!(
        d.features[0].attrs[0],
        AttrValue::Text("130403SJBG26210183".into())
    );
    assert_eq!(d.features[1].attrs[1], AttrValue::Text("013040".into()));
    assert_eq!(d.features[0].attrs[2], AttrValue::Real(1234.5678));
    assert_eq!(d.features[0].attrs[3], AttrValue::Integer(2020));
    assert_eq!(d.features[0].attrs[4], AttrValue::Text("2020-03-31".into()));
    assert_eq!(d.features[1].attrs[4], AttrValue::Null);
    let g0 = d.features[0].geometry.as_ref().unwrap();
    assert_eq!(g0.0.len(), 1);
    assert_eq!(g0.0[0].interiors().len(), 1);
    assert_eq!(d.features[1].geometry.as_ref().unwrap().0.len(), 2);

    // GDAL's R*Tree triggers call ST_* functions: writing works once they are registered.
    let conn = rusqlite::Connection::open(&gpkg_path).unwrap();
    gpkg::register_functions(&conn).unwrap();
    let blob = gpkg::encode_geometry(g0, 4490);
    conn.execute("INSERT INTO tb (geom, JCBH) VALUES (?1, 'new')", [&blob])
        .unwrap();
    conn.execute(
        "UPDATE tb SET geom = ?1 WHERE JCBH = '130403SJBG26210184'",
        [&blob],
    )
    .unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM rtree_tb_geom", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    drop(conn);
    let (out, err) = run("ogrinfo", &["-so", gpkg_path.to_str().unwrap(), "tb"]);
    assert_no_gdal_errors(&err);
    assert!(out.contains("Feature Count: 3"), "{out}");
}
