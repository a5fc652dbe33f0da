//! The illegal-land vector range of a case: uploaded as GeoJSON, Shapefile
//! or 国土 TXT, checked against the case's county and patches, measured.

use std::path::{Path, PathBuf};

use geo_types::MultiPolygon;
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::{AttrValue, FieldDef, FieldType, RegionCode};
use weipian_formats::{Dataset, Feature};
use weipian_geo::crs::CrsHint;
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::case_ranges::{range, upload_range};
use weipian_service::cases::open_case;
use weipian_service::ServiceError;

mod common;
use common::*;

fn actor(role: Role, region: &str) -> Actor {
    Actor::new(
        &format!("{}-{region}", role.code()),
        Scope::Region(RegionCode::parse(region).unwrap()),
        role,
    )
    .unwrap()
}

fn illegal() -> Answer {
    Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        basis: "现场核实：未经批准建设厂房".into(),
        actual_use: Some("厂房".into()),
        illegal_area_m2: Some(100.0),
        illegal_cultivated_m2: Some(0.0),
        illegal_basic_farmland_m2: Some(0.0),
        new_construction_m2: Some(100.0),
        new_construction_cultivated_m2: Some(0.0),
        ..Answer::default()
    }
}

/// A case on 510104TD200001 (around 104.06, 30.61) and 510104TD200002
/// (around 104.064, 30.61).
fn with_case() -> (Env, i64) {
    let mut e = env_two_counties();
    let clerk = actor(Role::CountyFiller, "510104");
    for j in ["510104TD200001", "510104TD200002"] {
        save_answer(
            &mut e.store,
            &clerk,
            &SaveAnswer {
                batch: batch(),
                jcbh: j.into(),
                answer: illegal(),
                based_on: None,
                reason: None,
            },
        )
        .unwrap();
    }
    let c = open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违〔2020〕7号",
        &["510104TD200001".to_string(), "510104TD200002".to_string()],
    )
    .unwrap();
    (e, c.id)
}

fn geojson(dir: &Path, name: &str, shapes: &[MultiPolygon<f64>]) -> PathBuf {
    let ds = Dataset {
        source: PathBuf::from(name),
        fields: vec![FieldDef::new("DKMC", FieldType::Text { width: 20 })],
        features: shapes
            .iter()
            .enumerate()
            .map(|(i, g)| Feature {
                row: i + 1,
                geometry: Some(g.clone()),
                attrs: vec![AttrValue::Text(format!("违法占地{}", i + 1))],
                repairs: vec![],
            })
            .collect(),
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    };
    let path = dir.join(name);
    weipian_formats::geojson::write(&path, &ds).unwrap();
    path
}

#[test]
fn a_range_is_measured_and_replaced_as_a_whole() {
    let (mut e, id) = with_case();
    let clerk = actor(Role::CountyFiller, "510104");
    let r = MultiPolygon(vec![rect(104.0597, 30.6097, 104.0603, 30.6103)]);
    let path = geojson(&e.dir, "range.geojson", std::slice::from_ref(&r));
    let v = upload_range(&mut e.store, &clerk, id, &path).unwrap();
    assert_eq!(v.features.len(), 1);
    let area = weipian_geo::area::ellipsoidal_area(&r);
    assert_eq!(v.features[0].area_m2.to_bits(), area.to_bits());
    assert_eq!(v.total_area_m2.to_bits(), area.to_bits());
    assert_eq!(v.features[0].attrs["DKMC"], "违法占地1");
    assert_eq!(v.source.as_deref(), Some("range.geojson"));
    // The second patch of the case lies outside the range: a warning.
    assert_eq!(v.warnings.len(), 1, "{:?}", v.warnings);
    assert!(v.warnings[0].contains("510104TD200002"));
    // Readable upward; the audit trail records it under the case.
    let city = actor(Role::CityReviewer, "510100");
    assert_eq!(range(&e.store, &city, id).unwrap().features.len(), 1);
    let trail = e.store.audit_records(Some("case/510104/")).unwrap();
    assert!(trail.iter().any(|r| r.entry.action == "case.range"));
    // A new upload replaces it whole.
    let two = geojson(
        &e.dir,
        "range2.geojson",
        &[
            r,
            MultiPolygon(vec![rect(104.0637, 30.6097, 104.0643, 30.6103)]),
        ],
    );
    let v = upload_range(&mut e.store, &clerk, id, &two).unwrap();
    assert_eq!(v.features.len(), 2);
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    let last = e.store.audit_records(Some("case/510104/")).unwrap();
    let last = last.last().unwrap();
    assert!(last
        .entry
        .before
        .as_deref()
        .unwrap()
        .contains("range.geojson"));
}

#[test]
fn features_outside_the_county_or_off_the_patches_are_refused_together() {
    let (mut e, id) = with_case();
    let clerk = actor(Role::CountyFiller, "510104");
    let path = geojson(
        &e.dir,
        "bad.geojson",
        &[
            // Straddles into 青羊区 (the border is 104.05).
            MultiPolygon(vec![rect(104.0495, 30.6097, 104.0601, 30.6103)]),
            // In 锦江区 but touching none of the case's patches.
            MultiPolygon(vec![rect(104.10, 30.65, 104.101, 30.651)]),
        ],
    );
    let err = upload_range(&mut e.store, &clerk, id, &path).unwrap_err();
    let p = err.problems();
    assert_eq!(p.len(), 2, "{err}");
    assert_eq!(p[0].row, 1);
    assert!(p[0].message.contains("510104"), "{err}");
    assert_eq!(p[1].row, 2);
    assert!(p[1].message.contains("不与案件关联的任何图斑"), "{err}");
    assert!(range(&e.store, &clerk, id).unwrap().features.is_empty());
}

#[test]
fn only_cgcs2000_is_accepted_and_txt_files_are_read() {
    let (mut e, id) = with_case();
    let clerk = actor(Role::CountyFiller, "510104");
    // 国土 TXT in 3° zone 35 (CGCS2000): the range around 510104TD200001.
    let mut ring = Vec::new();
    for (lon, lat) in [
        (104.0597, 30.6097),
        (104.0603, 30.6097),
        (104.0603, 30.6103),
        (104.0597, 30.6103),
        (104.0597, 30.6097),
    ] {
        let mut mp = MultiPolygon(vec![geo_types::Polygon::new(
            geo_types::LineString::from(vec![(lon, lat), (lon, lat), (lon, lat), (lon, lat)]),
            vec![],
        )]);
        weipian_geo::crs::from_geographic(
            weipian_geo::crs::Crs::GaussKruger {
                zone: 35,
                prefixed: true,
            },
            &mut mp,
        )
        .unwrap();
        ring.push(mp.0[0].exterior().0[0]);
    }
    let mut txt = String::from(
        "[属性描述]\n格式版本号=1.0\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=35\n[地块坐标]\n5,0.0036,WF001,违法占地,面,,建设用地,,@\n",
    );
    for (i, c) in ring.iter().enumerate() {
        txt.push_str(&format!("J{},1,{:.3},{:.3}\n", i + 1, c.y, c.x));
    }
    let path = e.dir.join("range.txt");
    std::fs::write(&path, txt).unwrap();
    let v = upload_range(&mut e.store, &clerk, id, &path).unwrap();
    assert_eq!(v.features.len(), 1);
    assert!(
        (v.total_area_m2 - 3_700.0).abs() < 200.0,
        "{}",
        v.total_area_m2
    );
    assert_eq!(v.features[0].attrs["DKBH"], "WF001");
    // The same in 西安1980: refused, naming the coordinate system.
    let xian = std::fs::read_to_string(&path)
        .unwrap()
        .replace("2000国家大地坐标系", "1980西安坐标系");
    let bad = e.dir.join("xian.txt");
    std::fs::write(&bad, xian).unwrap();
    let err = upload_range(&mut e.store, &clerk, id, &bad).unwrap_err();
    assert!(err.to_string().contains("西安1980"), "{err}");
}

#[test]
fn only_the_county_filler_of_the_case_uploads() {
    let (mut e, id) = with_case();
    let path = geojson(
        &e.dir,
        "range.geojson",
        &[MultiPolygon(vec![rect(
            104.0597, 30.6097, 104.0603, 30.6103,
        )])],
    );
    let other = actor(Role::CountyFiller, "510105");
    assert!(matches!(
        upload_range(&mut e.store, &other, id, &path),
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        range(&e.store, &other, id),
        Err(ServiceError::NotFound(_))
    ));
    let city = actor(Role::CityReviewer, "510100");
    assert!(matches!(
        upload_range(&mut e.store, &city, id, &path),
        Err(ServiceError::Denied(_))
    ));
}

#[test]
fn a_military_patch_of_the_case_is_never_named() {
    let (mut e, id) = with_case();
    let officer = actor(Role::MilitaryOfficer, "510104");
    weipian_service::military::file(
        &mut e.store,
        &officer,
        &batch(),
        "510104TD200002",
        &weipian_service::military::MilitaryRecord {
            unit: "某部".into(),
            usage: "营区".into(),
            area_m2: None,
            document: None,
            filled_by: "officer".into(),
            date: "2020-04-18".into(),
            note: None,
        },
    )
    .unwrap();
    let clerk = actor(Role::CountyFiller, "510104");
    // A range touching only the military patch overlaps nothing the case shows.
    let path = geojson(
        &e.dir,
        "mil.geojson",
        &[MultiPolygon(vec![rect(
            104.0637, 30.6097, 104.0643, 30.6103,
        )])],
    );
    let err = upload_range(&mut e.store, &clerk, id, &path).unwrap_err();
    assert!(!err.to_string().contains("510104TD200002"), "{err}");
    // Around the other patch: accepted, and no warning names the military one.
    let path = geojson(
        &e.dir,
        "ok.geojson",
        &[MultiPolygon(vec![rect(
            104.0597, 30.6097, 104.0603, 30.6103,
        )])],
    );
    let v = upload_range(&mut e.store, &clerk, id, &path).unwrap();
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
}
