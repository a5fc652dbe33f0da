//! End-to-end tests of the import/export pipeline over a real store:
//! file → CRS → validation → area → store → export → import.

use geo_types::{LineString, MultiPolygon, Polygon};
use std::path::PathBuf;
use weipian_domain::access::Actor;
use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, PatchKind};
use weipian_formats::{Dataset, Feature, Format, TextEncoding};
use weipian_geo::crs::{Crs, CrsHint};
use weipian_service::export::{export_patches, ExportRequest};
use weipian_service::import::import_patches;
use weipian_service::{NoProgress, ServiceError};

mod common;
use common::*;

#[test]
fn shapefile_import_is_idempotent_and_measures_ellipsoidal_areas() {
    let mut e = env();
    let path = e.dir.join("p.shp");
    weipian_formats::shp::write(&path, &patches(50)).unwrap();
    let s = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    assert_eq!((s.inserted, s.updated, s.unchanged), (50, 0, 0));
    assert_eq!(s.source.epsg, 4490);
    assert!(
        s.source.encoding.as_deref().unwrap_or("").contains("GBK"),
        "{:?}",
        s.source.encoding
    );
    let expected: f64 = patches(50)
        .features
        .iter()
        .map(|f| weipian_geo::area::ellipsoidal_area(f.geometry.as_ref().unwrap()))
        .sum();
    assert!(
        (s.area_m2 - expected).abs() < 1e-6,
        "{} vs {}",
        s.area_m2,
        expected
    );
    // Again: nothing changes.
    let again = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 50));
    let rows = stored(&e.store, &batch());
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0].attrs[5], text("水田上新建房屋"));
    assert_eq!(rows[0].attrs[4], text("2020-03-01"));
}

#[test]
fn duplicate_jcbh_names_both_rows_and_writes_nothing() {
    let mut e = env();
    let mut ds = patches(5);
    ds.features[3].attrs[0] = text("510104TD200002");
    let path = e.dir.join("dup.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    let err = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("510104TD200002") && msg.contains("第 2 条") && msg.contains("第 4 条"),
        "{msg}"
    );
    assert!(msg.contains("dup.geojson"), "{msg}");
    assert!(stored(&e.store, &batch()).is_empty());
    assert!(e.store.batches().unwrap().is_empty());
}

#[test]
fn bad_geometry_and_codes_are_refused_per_jcbh() {
    let mut e = env();
    let mut ds = patches(6);
    // A bow-tie.
    let bow = Polygon::new(
        LineString::from(vec![
            (104.07, 30.62),
            (104.071, 30.621),
            (104.071, 30.62),
            (104.07, 30.621),
            (104.07, 30.62),
        ]),
        vec![],
    );
    ds.features[1].geometry = Some(MultiPolygon(vec![bow]));
    ds.features[2].geometry = None;
    ds.features[3].attrs[1] = text("510199");
    ds.features[4].attrs[1] = text("51010");
    let path = e.dir.join("bad.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    let err = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap_err();
    let problems = err.problems();
    assert_eq!(problems.len(), 4, "{err}");
    assert_eq!(problems[0].jcbh.as_deref(), Some("510104TD200002"));
    assert!(
        problems[0].message.contains("自相交"),
        "{}",
        problems[0].message
    );
    assert!(
        problems[1].message.contains("空"),
        "{}",
        problems[1].message
    );
    assert!(
        problems[2].message.contains("510199"),
        "{}",
        problems[2].message
    );
    assert!(
        problems[3].message.contains("51010"),
        "{}",
        problems[3].message
    );
    assert!(e.store.batches().unwrap().is_empty());
}

#[test]
fn centroid_outside_its_county_is_reported_per_jcbh() {
    let mut e = env();
    let mut ds = patches(3);
    ds.features[2].attrs[1] = text("510105"); // lies in 510104
    let path = e.dir.join("w.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    let s = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.inserted, 3);
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(s.warnings[0].jcbh.as_deref(), Some("510104TD200003"));
    assert!(
        s.warnings[0].message.contains("县界"),
        "{}",
        s.warnings[0].message
    );
}

#[test]
fn gauss_kruger_input_gives_the_same_patches() {
    let mut e = env();
    let geographic = patches(10);
    let mut projected = geographic.clone();
    let zone = Crs::GaussKruger {
        zone: 35,
        prefixed: true,
    };
    for f in &mut projected.features {
        weipian_geo::crs::from_geographic(zone, f.geometry.as_mut().unwrap()).unwrap();
    }
    // A Shapefile whose .prj names the zone, as GIS software writes it.
    let path = e.dir.join("gk.shp");
    weipian_formats::shp::write(&path, &projected).unwrap();
    std::fs::write(
        e.dir.join("gk.prj"),
        r#"PROJCS["CGCS2000_3_Degree_GK_Zone_35",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",35500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
    )
    .unwrap();
    let s = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.source.epsg, 4523);
    let rows = stored(&e.store, &batch());
    for (row, f) in rows.iter().zip(&geographic.features) {
        let want = weipian_geo::area::ellipsoidal_area(f.geometry.as_ref().unwrap());
        assert!(
            (row.area_m2 - want).abs() / want < 1e-9,
            "{} vs {want}",
            row.area_m2
        );
    }
}

#[test]
fn gcj02_shifted_data_is_refused() {
    let mut e = env();
    // True positions just inside the east edge of 青羊区 (510105); GCJ-02
    // moves them a few hundred metres east, into 锦江区.
    let mut ds = patches(20);
    for (i, f) in ds.features.iter_mut().enumerate() {
        let mut g = patch(104.0485, 30.61 + 0.004 * i as f64);
        for p in &mut g.0 {
            p.exterior_mut(|r| {
                for c in r.coords_mut() {
                    (c.x, c.y) = weipian_geo::crs::gcj02::wgs84_to_gcj02(c.x, c.y);
                }
            });
        }
        f.geometry = Some(g);
        f.attrs[1] = text("510105");
    }
    let path = e.dir.join("gcj.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    match import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    ) {
        Err(ServiceError::Rejected { problems, .. }) => {
            assert!(problems[0].message.contains("GCJ-02"), "{problems:?}");
        }
        other => panic!("expected a GCJ-02 refusal, got {other:?}"),
    }
    assert!(e.store.batches().unwrap().is_empty());
}

#[test]
fn export_then_import_is_lossless_for_every_geometry_format() {
    let mut e = env();
    let path = e.dir.join("orig.shp");
    weipian_formats::shp::write(&path, &patches(30)).unwrap();
    import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    let original = stored(&e.store, &batch());
    for (i, (format, ext)) in [
        (Format::Shapefile, "shp"),
        (Format::GeoJson, "geojson"),
        (Format::GeoPackage, "gpkg"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = e.dir.join(format!("export.{ext}"));
        let req = ExportRequest {
            batch: batch(),
            kind: None,
            region: None,
            format,
            out: out.clone(),
        };
        let s = export_patches(&e.store, &Actor::local_admin(), &req, &NoProgress).unwrap();
        assert_eq!(s.patches, 30);
        let again = BatchId::new(2021, &format!("RT{i}")).unwrap();
        let summary = import_patches(
            &mut e.store,
            &weipian_domain::access::Actor::local_admin(),
            &e.table,
            &request(&out, again.clone()),
            &NoProgress,
        )
        .unwrap();
        // The computed columns are recognised and dropped; XF_JCMJ is JCMJ again.
        for c in ["JCMJ", "JCGDMJ", "PZWH", "ZDHC", "TQMJ_M2"] {
            assert!(
                summary.ignored_columns.iter().any(|i| i == c),
                "{ext}: {c} in {:?}",
                summary.ignored_columns
            );
        }
        assert!(summary.warnings.is_empty(), "{ext}: {:?}", summary.warnings);
        let back = stored(&e.store, &again);
        assert_eq!(back.len(), original.len(), "{ext}");
        for (a, b) in original.iter().zip(&back) {
            assert_eq!(a.jcbh, b.jcbh, "{ext}");
            assert_eq!(a.xzqdm, b.xzqdm, "{ext}");
            assert_eq!(a.geometry, b.geometry, "{ext}: geometry of {}", a.jcbh);
            assert_eq!(
                a.area_m2.to_bits(),
                b.area_m2.to_bits(),
                "{ext}: area of {}",
                a.jcbh
            );
            assert_eq!(a.fields.len(), b.fields.len(), "{ext}");
            for ((fa, fb), (va, vb)) in a
                .fields
                .iter()
                .zip(b.fields.iter())
                .zip(a.attrs.iter().zip(&b.attrs))
            {
                assert_eq!(fa.name, fb.name, "{ext}");
                assert_eq!(va, vb, "{ext}: {} of {}", fa.name, a.jcbh);
            }
        }
    }
    // xlsx: one row per patch.
    let out = e.dir.join("export.xlsx");
    let req = ExportRequest {
        batch: batch(),
        kind: None,
        region: None,
        format: Format::Xlsx,
        out: out.clone(),
    };
    assert_eq!(
        export_patches(&e.store, &Actor::local_admin(), &req, &NoProgress)
            .unwrap()
            .patches,
        30
    );
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
}

#[test]
fn export_by_region_keeps_only_that_region() {
    let mut e = env();
    let mut ds = patches(4);
    ds.features[0].geometry = Some(patch(104.0, 30.65));
    ds.features[0].attrs[1] = text("510105");
    let path = e.dir.join("two.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    let out = e.dir.join("r.geojson");
    let region = weipian_domain::RegionCode::parse("510104").ok();
    let req = ExportRequest {
        batch: batch(),
        kind: Some(PatchKind::Land),
        region,
        format: Format::GeoJson,
        out,
    };
    assert_eq!(
        export_patches(&e.store, &Actor::local_admin(), &req, &NoProgress)
            .unwrap()
            .patches,
        3
    );
    let none = ExportRequest {
        batch: batch(),
        kind: Some(PatchKind::Mineral),
        region: None,
        format: Format::GeoJson,
        out: e.dir.join("m.geojson"),
    };
    let err = export_patches(&e.store, &Actor::local_admin(), &none, &NoProgress).unwrap_err();
    assert!(err.to_string().contains("没有可导出的图斑"), "{err}");
}

/// The 国土 TXT boundary format: zone-prefixed GK coordinates, X = northing,
/// Y = easting, a hole, an unclosed ring (repaired and reported), no XZQDM
/// (derived from the county boundaries and reported).
#[test]
fn guotu_txt_import_derives_the_county_and_reports_the_repair() {
    let mut e = env();
    let zone = Crs::GaussKruger {
        zone: 35,
        prefixed: true,
    };
    let gk = |lon: f64, lat: f64| zone.point_from_geographic(lon, lat);
    let ring = |pts: &[(f64, f64)], ring_no: usize, close: bool| {
        let mut lines = Vec::new();
        let mut all: Vec<(f64, f64)> = pts.to_vec();
        if close {
            all.push(pts[0]);
        }
        for (i, (lon, lat)) in all.iter().enumerate() {
            let (x, y) = gk(*lon, *lat);
            lines.push(format!("J{},{ring_no},{y:.4},{x:.4}", i + 1));
        }
        lines
    };
    let outer = [
        (104.060, 30.620),
        (104.064, 30.620),
        (104.064, 30.624),
        (104.060, 30.624),
    ];
    let hole = [
        (104.061, 30.621),
        (104.061, 30.622),
        (104.062, 30.622),
        (104.062, 30.621),
    ];
    let second = [(104.070, 30.630), (104.072, 30.630), (104.071, 30.632)];
    let mut p1 = ring(&outer, 1, true);
    p1.extend(ring(&hole, 2, true));
    let p2 = ring(&second, 1, false); // left open
    let text = format!(
        "[属性描述]\n格式版本号=1.01版本\n数据产生单位=测试\n数据产生日期=2020-03-01\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=35\n精度=0.0001\n转换参数=,,,,,,\n[地块坐标]\n{},0.1500,510104TD200001,测试地块一,面,,建设用地,0602,@\n{}\n{},0.0200,510104TD200002,测试地块二,面,,建设用地,0602,@\n{}\n",
        p1.len(),
        p1.join("\n"),
        p2.len(),
        p2.join("\n")
    );
    let path = e.dir.join("parcels.txt");
    std::fs::write(&path, text).unwrap();
    let s = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.inserted, 2, "{s:?}");
    assert_eq!(s.source.epsg, 4523);
    assert_eq!(s.repairs.len(), 1, "{:?}", s.repairs);
    assert_eq!(s.repairs[0].jcbh.as_deref(), Some("510104TD200002"));
    assert!(
        s.warnings
            .iter()
            .all(|w| w.message.contains("推定为 510104")),
        "{:?}",
        s.warnings
    );
    let rows = stored(&e.store, &batch());
    assert_eq!(rows[0].xzqdm, "510104");
    assert_eq!(rows[0].geometry.0[0].interiors().len(), 1);
    let outer_only = weipian_geo::area::ellipsoidal_area(&MultiPolygon(vec![Polygon::new(
        LineString::from(outer.to_vec()),
        vec![],
    )]));
    assert!(rows[0].area_m2 < outer_only && rows[0].area_m2 > 0.9 * outer_only);
}

/// A wrong datum or data outside China is refused with what was found, and nothing is written.
#[test]
fn wrong_datum_and_foreign_coordinates_are_refused() {
    let mut e = env();
    let path = e.dir.join("xian.shp");
    weipian_formats::shp::write(&path, &patches(3)).unwrap();
    std::fs::write(
        e.dir.join("xian.prj"),
        r#"GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
    )
    .unwrap();
    let err = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("xian.shp") && msg.contains("西安"), "{msg}");

    let mut abroad = patches(3);
    for f in &mut abroad.features {
        for p in &mut f.geometry.as_mut().unwrap().0 {
            p.exterior_mut(|r| r.coords_mut().for_each(|c| c.x -= 100.0)); // 4°E: Europe
        }
    }
    let path = e.dir.join("abroad.geojson");
    weipian_formats::geojson::write(&path, &abroad).unwrap();
    let err = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("abroad.geojson") && msg.contains("中国"),
        "{msg}"
    );
    assert!(e.store.batches().unwrap().is_empty());
}

/// A reference layer of axis-aligned rectangles (so intersections are rectangles with exact areas).
fn layer(fields: Vec<FieldDef>, items: Vec<(Polygon<f64>, Vec<AttrValue>)>) -> Dataset {
    let features = items
        .into_iter()
        .enumerate()
        .map(|(i, (p, attrs))| Feature {
            row: i + 1,
            geometry: Some(MultiPolygon(vec![p])),
            attrs,
            repairs: vec![],
        })
        .collect();
    Dataset {
        source: PathBuf::from("layer"),
        fields,
        features,
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    }
}

fn rect_area(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    weipian_geo::area::ellipsoidal_area(&MultiPolygon(vec![rect(x0, y0, x1, y1)]))
}

#[test]
fn analyze_computes_union_correct_figures_and_recomputes_only_what_changed() {
    use weipian_service::analyze::{analyze, AnalyzeRequest};
    use weipian_service::import::import_layer;
    let mut e = env();
    // Two square patches of 0.002° in 锦江区, the second straddling into 青羊区.
    let p1 = MultiPolygon(vec![rect(104.100, 30.650, 104.102, 30.652)]);
    let p2 = MultiPolygon(vec![rect(104.049, 30.650, 104.051, 30.652)]);
    let mut ds = patches(2);
    ds.features[0] = patch_feature(1, "510104TD200001", "510104", p1.clone());
    ds.features[1] = patch_feature(2, "510104TD200002", "510104", p2.clone());
    let ppath = e.dir.join("p.geojson");
    weipian_formats::geojson::write(&ppath, &ds).unwrap();
    import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&ppath, batch()),
        &NoProgress,
    )
    .unwrap();

    // 耕地: 水田 over the west half of p1, 旱地 over the south half — overlapping each other.
    let gd_fields = vec![FieldDef::new("DLBM", FieldType::Text { width: 4 })];
    let gd = layer(
        gd_fields.clone(),
        vec![
            (rect(104.099, 30.649, 104.101, 30.653), vec![text("0101")]),
            (rect(104.099, 30.649, 104.103, 30.651), vec![text("0103")]),
        ],
    );
    let gpath = e.dir.join("gd.geojson");
    weipian_formats::geojson::write(&gpath, &gd).unwrap();
    import_layer(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        "gd",
        &gpath,
        TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
    // Approvals: two overlapping ones cover all of p1.
    let pz_fields = vec![
        FieldDef::new("PZWH", FieldType::Text { width: 30 }),
        FieldDef::new("PZSJ", FieldType::Date),
    ];
    let pz = layer(
        pz_fields,
        vec![
            (
                rect(104.0995, 30.6495, 104.1015, 30.6525),
                vec![text("川府土〔2019〕1号"), text("2019-05-01")],
            ),
            (
                rect(104.1005, 30.6495, 104.1025, 30.6525),
                vec![text("川府土〔2019〕2号"), text("2019-06-01")],
            ),
        ],
    );
    let zpath = e.dir.join("pzyd.geojson");
    weipian_formats::geojson::write(&zpath, &pz).unwrap();
    import_layer(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        "pzyd",
        &zpath,
        TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();

    let req = AnalyzeRequest {
        batch: batch(),
        force: false,
    };
    let status = |e: &Env| {
        weipian_service::analyze::status(&e.store, &Actor::local_admin(), &batch()).unwrap()
    };
    let before = status(&e);
    assert_eq!((before.patches, before.stale), (2, 2));
    assert!(before.missing_layers.iter().any(|m| m.starts_with("jbnt")));
    let s = analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &req,
        &NoProgress,
    )
    .unwrap();
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert!(s.missing_layers.iter().any(|m| m.starts_with("jbnt")));

    let out = e.dir.join("a.geojson");
    let ex = ExportRequest {
        batch: batch(),
        kind: None,
        region: None,
        format: Format::GeoJson,
        out: out.clone(),
    };
    let summary = export_patches(&e.store, &Actor::local_admin(), &ex, &NoProgress).unwrap();
    // jbnt/sthx/zrbhd were never imported: their columns stay empty, which is not "out of date".
    assert_eq!(summary.not_analyzed, 0);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let props = |i: usize| doc["features"][i]["properties"].clone();
    let close = |got: &serde_json::Value, want: f64| {
        let g = got
            .as_f64()
            .unwrap_or_else(|| panic!("not a number: {got}"));
        assert!((g - want).abs() <= 1e-6 * want.max(1.0), "{g} vs {want}");
    };
    // 耕地 = union of the two parcels within p1: west half ∪ south half = 3/4 of p1.
    let west = rect_area(104.100, 30.650, 104.101, 30.652);
    let south = rect_area(104.100, 30.650, 104.102, 30.651);
    let both = rect_area(104.100, 30.650, 104.101, 30.651);
    close(&props(0)["JCGDMJ_M2"], west + south - both);
    close(&props(0)["STMJ"], weipian_domain::units::mu(west));
    close(&props(0)["HDMJ"], weipian_domain::units::mu(south));
    close(
        &props(0)["PZYDMJ_M2"],
        rect_area(104.100, 30.650, 104.102, 30.652),
    );
    assert_eq!(props(0)["PZWH"], "川府土〔2019〕1号；川府土〔2019〕2号");
    assert_eq!(props(0)["BMDTB"], "否");
    assert!(props(0)["YJJBNTMJ"].is_null());
    // p2 straddles the border at 104.05: half in each county.
    let shares = props(1)["XZQFB"].as_str().unwrap().to_string();
    assert!(
        shares.contains("510104:") && shares.contains("510105:"),
        "{shares}"
    );
    close(&props(1)["JCGDMJ_M2"], 0.0);

    assert_eq!(status(&e).stale, 0);
    // Only the administrator sees it.
    let county = Actor::new(
        "c",
        weipian_domain::access::Scope::parse("510104").unwrap(),
        weipian_domain::access::Role::CountyFiller,
    )
    .unwrap();
    assert!(weipian_service::analyze::status(&e.store, &county, &batch()).is_err());
    // Nothing changed: nothing recomputed.
    let again = analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &req,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        again.layers.iter().map(|l| l.recomputed).sum::<usize>(),
        0,
        "{:?}",
        again.layers
    );
    // A replaced layer: only that layer is recomputed, for every patch.
    import_layer(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        "gd",
        &gpath,
        TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        status(&e).stale,
        2,
        "a replaced layer makes every patch stale"
    );
    let after_layer = analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &req,
        &NoProgress,
    )
    .unwrap();
    for l in &after_layer.layers {
        assert_eq!(l.recomputed, if l.layer == "gd" { 2 } else { 0 }, "{l:?}");
    }
    // A re-issued patch: only that patch is recomputed, against every layer.
    ds.features[1] = patch_feature(
        2,
        "510104TD200002",
        "510104",
        MultiPolygon(vec![rect(104.110, 30.650, 104.112, 30.652)]),
    );
    weipian_formats::geojson::write(&ppath, &ds).unwrap();
    let re = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&ppath, batch()),
        &NoProgress,
    )
    .unwrap();
    assert_eq!((re.updated, re.unchanged), (1, 1));
    assert_eq!(status(&e).stale, 1, "only the re-issued patch is stale");
    let after_patch = analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &req,
        &NoProgress,
    )
    .unwrap();
    assert!(
        after_patch.layers.iter().all(|l| l.recomputed == 1),
        "{:?}",
        after_patch.layers
    );
    // --force recomputes everything.
    let forced = analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &AnalyzeRequest {
            batch: batch(),
            force: true,
        },
        &NoProgress,
    )
    .unwrap();
    assert!(
        forced.layers.iter().all(|l| l.recomputed == 2),
        "{:?}",
        forced.layers
    );
}

#[test]
fn an_issued_area_far_from_the_geometry_is_reported() {
    let mut e = env();
    let mut ds = patches(3);
    ds.features[1].attrs[3] = AttrValue::Real(999.0);
    let path = e.dir.join("jcmj.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    let s = import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.inserted, 3);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert_eq!(s.warnings[0].jcbh.as_deref(), Some("510104TD200002"));
    assert!(
        s.warnings[0].message.contains("JCMJ"),
        "{}",
        s.warnings[0].message
    );
}

/// Export × every role × in-scope / out-of-scope region: an actor sees its
/// subtree only, and a request outside it is answered like an empty one.
#[test]
fn exports_are_scoped_to_the_actors_region_for_every_role() {
    use weipian_domain::access::{Role, Scope, ROLES};
    use weipian_domain::RegionCode;
    let mut e = env();
    let mut ds = patches(4);
    ds.features[0].geometry = Some(patch(104.0, 30.65));
    ds.features[0].attrs[1] = text("510105");
    let path = e.dir.join("two.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    let rc = |s: &str| RegionCode::parse(s).unwrap();
    let export = |actor: &Actor, region: Option<&str>| -> Result<usize, ServiceError> {
        let req = ExportRequest {
            batch: batch(),
            kind: None,
            region: region.map(rc),
            format: Format::GeoJson,
            out: e.dir.join("scoped.geojson"),
        };
        export_patches(&e.store, actor, &req, &NoProgress).map(|s| s.patches)
    };
    let empty = |r: Result<usize, ServiceError>| match r {
        Err(err) => err.to_string().contains("没有可导出的图斑"),
        Ok(_) => false,
    };
    // 3 patches in 510104 锦江区, 1 in 510105 青羊区 (both in 成都 510100, 四川 510000).
    for role in ROLES {
        for (scope, mine, other) in [
            (Scope::Region(rc("510104")), 3, "510105"),
            (Scope::Region(rc("510105")), 1, "510104"),
            (Scope::Region(rc("510100")), 4, "510300"),
            (Scope::Region(rc("510000")), 4, "330000"),
            (Scope::National, 4, ""),
        ] {
            let Ok(actor) = Actor::new("u", scope, role) else {
                continue; // the role does not exist at this level
            };
            assert_eq!(export(&actor, None).unwrap(), mine, "{role:?} {scope}");
            // Asking for the whole province narrows to the actor's own region.
            assert_eq!(
                export(&actor, Some("510000")).unwrap(),
                mine,
                "{role:?} {scope}"
            );
            if !other.is_empty() {
                assert!(
                    empty(export(&actor, Some(other))),
                    "{role:?} {scope} asks {other}"
                );
            }
        }
    }
    // The same answer for a region outside the scope and a region without patches.
    let clerk = Actor::new("u", Scope::Region(rc("510104")), Role::CountyFiller).unwrap();
    let outside = export(&clerk, Some("510105")).unwrap_err().to_string();
    let nothing = export(&Actor::local_admin(), Some("510106"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        outside.replace("510105", "X"),
        nothing.replace("510106", "X")
    );
}
