//! GeoPackage: a dataset written and read back is the same dataset.

use std::path::PathBuf;

use geo_types::{polygon, MultiPolygon};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_formats::{gpkg, Dataset, Feature, Problem, ReadOptions};
use weipian_geo::crs::CrsHint;

fn fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new("XZQDM", FieldType::Text { width: 0 }),
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
        FieldDef::new("备注 \"说明\"", FieldType::Text { width: 0 }),
    ]
}

fn dataset(source: PathBuf) -> Dataset {
    let with_hole = MultiPolygon(vec![polygon!(
        exterior: [(x: 114.30, y: 30.60), (x: 114.31, y: 30.60), (x: 114.31, y: 30.61), (x: 114.30, y: 30.61), (x: 114.30, y: 30.60)],
        interiors: [[(x: 114.302, y: 30.602), (x: 114.304, y: 30.602), (x: 114.304, y: 30.604), (x: 114.302, y: 30.602)]],
    )]);
    let multipart = MultiPolygon(vec![
        polygon![(x: 116.1, y: 39.9), (x: 116.1000001, y: 39.9), (x: 116.1, y: 39.9000001), (x: 116.1, y: 39.9)],
        polygon![(x: 117.0, y: 40.0), (x: 117.5, y: 40.0), (x: 117.5, y: 40.5), (x: 117.0, y: 40.0)],
    ]);
    let features = vec![
        Feature {
            row: 1,
            geometry: Some(with_hole),
            attrs: vec![
                AttrValue::Text("130403SJBG26210183".into()),
                AttrValue::Text("013040".into()),
                AttrValue::Real(1063125.1079123456),
                AttrValue::Integer(2020),
                AttrValue::Text("2020-03-31".into()),
                AttrValue::Bool(true),
                AttrValue::Text("水田；含 \"引号\"".into()),
            ],
            repairs: vec![],
        },
        Feature {
            row: 2,
            geometry: Some(multipart),
            attrs: vec![
                AttrValue::Text("110105SJBG26210002".into()),
                AttrValue::Text("110105".into()),
                AttrValue::Real(0.1 + 0.2),
                AttrValue::Integer(-7),
                AttrValue::Null,
                AttrValue::Bool(false),
                AttrValue::Null,
            ],
            repairs: vec![],
        },
        Feature {
            row: 3,
            geometry: None,
            attrs: vec![AttrValue::Null; 7],
            repairs: vec![],
        },
    ];
    Dataset {
        source,
        fields: fields(),
        features,
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    }
}

#[test]
fn write_then_read_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.gpkg");
    let original = dataset(path.clone());
    gpkg::write(&path, "tuban", &original).unwrap();

    let back = gpkg::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(back.fields, original.fields);
    assert_eq!(back.features, original.features);
    assert_eq!(back.crs.epsg, Some(4490));
    assert!(back
        .crs
        .wkt
        .as_deref()
        .is_some_and(|w| w.contains("China Geodetic Coordinate System 2000")));
    assert_eq!(back.encoding, None);

    // No temporary file left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("out.gpkg")]);
}

#[test]
fn the_file_is_a_geopackage_with_index_and_extent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.gpkg");
    gpkg::write(&path, "tuban", &dataset(path.clone())).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    let ver: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, 0x4750_4B47);
    assert_eq!(ver, 10300);
    let n: i64 = conn
        .query_row("SELECT count(*) FROM rtree_tuban_geom", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2, "two features have geometry");
    let ext: (f64, f64, f64, f64) = conn
        .query_row(
            "SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name = 'tuban'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(ext, (114.30, 117.5, 30.60, 40.5));
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
}

#[test]
fn a_table_name_with_sql_injection_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.gpkg");
    let err = gpkg::write(
        &path,
        "t\"; DROP TABLE gpkg_contents; --",
        &dataset(path.clone()),
    )
    .unwrap_err();
    assert!(matches!(err.problem, Problem::Invalid(_)), "{err}");
    assert!(err.to_string().contains("表名"), "{err}");
    assert!(!path.exists());
}

#[test]
fn several_layers_need_a_choice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.gpkg");
    gpkg::write(&path, "a", &dataset(path.clone())).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        gpkg::register_functions(&conn).unwrap();
        gpkg::create_feature_table(&conn, "b", &[("x", "TEXT")], 4490, "第二层", "").unwrap();
    }
    let err = gpkg::read(&path, &ReadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("a、b") && msg.contains("--layer"), "{msg}");
    let b = gpkg::read(
        &path,
        &ReadOptions {
            layer: Some("第二层".into()),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        b.fields,
        vec![FieldDef::new("x", FieldType::Text { width: 0 })]
    );
    assert!(b.features.is_empty());
    let err = gpkg::read(
        &path,
        &ReadOptions {
            layer: Some("c".into()),
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("没有图层"), "{err}");
}

#[test]
fn a_non_geopackage_file_is_refused_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.gpkg");
    std::fs::write(
        &path,
        b"this is not sqlite at all, not even close........................",
    )
    .unwrap();
    let err = gpkg::read(&path, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("GeoPackage"), "{err}");
}

#[test]
fn a_projected_dataset_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gk.gpkg");
    let mut d = dataset(path.clone());
    d.crs.epsg = Some(4547);
    let err = gpkg::write(&path, "t", &d).unwrap_err();
    assert!(err.to_string().contains("EPSG:4490"), "{err}");
}

#[test]
fn encoding_is_fast_enough_to_not_matter() {
    // Not a timing assertion: 3.2 M vertices encode and decode exactly.
    let mut polys = Vec::new();
    for i in 0..100_000u32 {
        let x0 = 100.0 + f64::from(i % 1000) * 0.01;
        let y0 = 30.0 + f64::from(i / 1000) * 0.01;
        let mut ring = Vec::with_capacity(32);
        for k in 0..31 {
            let a = f64::from(k) / 31.0 * std::f64::consts::TAU;
            ring.push((x0 + 0.004 * a.cos(), y0 + 0.004 * a.sin()));
        }
        ring.push(ring[0]);
        polys.push(MultiPolygon(vec![geo_types::Polygon::new(
            ring.into(),
            vec![],
        )]));
    }
    let mut total = 0usize;
    let mut buf = Vec::new();
    for p in &polys {
        gpkg::encode_geometry_into(p, 4490, &mut buf);
        total += buf.len();
    }
    assert_eq!(total, 100_000 * (8 + 32 + 9 + 9 + 4 + 32 * 16));
    let blob = gpkg::encode_geometry(&polys[12345], 4490);
    assert_eq!(
        gpkg::decode_geometry(&blob).unwrap().as_ref(),
        Some(&polys[12345])
    );
}
