//! Fixtures shared by the service's end-to-end tests: two counties of 成都
//! (锦江区 510104, 青羊区 510105) and patches inside them.
#![allow(dead_code)]

use geo_types::{coord, LineString, MultiPolygon, Polygon};
use std::path::{Path, PathBuf};
use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionTable};
use weipian_formats::{Dataset, Feature, TextEncoding};
use weipian_geo::crs::CrsHint;
use weipian_service::import::{import_regions, PatchImportRequest};
use weipian_service::NoProgress;
use weipian_store::{PatchQuery, Store};

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )
}

/// A small irregular patch (7 vertices) around (lon, lat), about 100 m across.
pub fn patch(lon: f64, lat: f64) -> MultiPolygon<f64> {
    let d = 0.0005;
    let pts = [
        (0.0, -1.0),
        (0.9, -0.6),
        (1.1, 0.2),
        (0.5, 0.9),
        (-0.3, 1.0),
        (-1.0, 0.4),
        (-0.8, -0.7),
    ];
    let ring: Vec<_> = pts
        .iter()
        .map(|(x, y)| coord! { x: lon + x * d, y: lat + y * d })
        .collect();
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

pub fn text(s: &str) -> AttrValue {
    AttrValue::Text(s.to_string())
}

/// Two counties of 成都市 side by side.
pub fn counties() -> Dataset {
    let fields = vec![
        FieldDef::new("XZQDM", FieldType::Text { width: 6 }),
        FieldDef::new("XZQMC", FieldType::Text { width: 20 }),
    ];
    let features = vec![
        Feature {
            row: 1,
            geometry: Some(MultiPolygon(vec![rect(104.05, 30.60, 104.15, 30.70)])),
            attrs: vec![text("510104"), text("锦江区")],
            repairs: vec![],
        },
        Feature {
            row: 2,
            geometry: Some(MultiPolygon(vec![rect(103.95, 30.60, 104.05, 30.70)])),
            attrs: vec![text("510105"), text("青羊区")],
            repairs: vec![],
        },
    ];
    Dataset {
        source: PathBuf::from("counties"),
        fields,
        features,
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    }
}

pub fn patch_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("JCBH", FieldType::Text { width: 20 }),
        FieldDef::new("XZQDM", FieldType::Text { width: 6 }),
        FieldDef::new("TBLX", FieldType::Text { width: 4 }),
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 16,
                decimals: 4,
            },
        ),
        FieldDef::new("HSX", FieldType::Date),
        FieldDef::new("BZ", FieldType::Text { width: 60 }),
    ]
}

/// A patch as issued: JCMJ is its area in 亩 to 4 decimals, as the national table gives it.
pub fn patch_feature(row: usize, jcbh: &str, xzqdm: &str, geometry: MultiPolygon<f64>) -> Feature {
    let area = weipian_geo::area::ellipsoidal_area(&geometry);
    let jcmj = (weipian_domain::units::mu(area) * 1e4).round() / 1e4;
    Feature {
        row,
        geometry: Some(geometry),
        attrs: vec![
            text(jcbh),
            text(xzqdm),
            text("1B"),
            AttrValue::Real(jcmj),
            text("2020-03-01"),
            text("水田上新建房屋"),
        ],
        repairs: vec![],
    }
}

/// `n` patches inside 锦江区.
pub fn patches(n: usize) -> Dataset {
    let features = (0..n)
        .map(|i| {
            let lon = 104.06 + 0.004 * (i % 20) as f64;
            let lat = 30.61 + 0.004 * (i / 20) as f64;
            patch_feature(
                i + 1,
                &format!("510104TD20{:04}", i + 1),
                "510104",
                patch(lon, lat),
            )
        })
        .collect();
    Dataset {
        source: PathBuf::from("patches"),
        fields: patch_fields(),
        features,
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    }
}

pub struct Env {
    pub _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub store: Store,
    pub table: RegionTable,
}

pub fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let mut store = Store::open(&dir.join("data")).unwrap();
    let table = RegionTable::embedded();
    let path = dir.join("counties.geojson");
    weipian_formats::geojson::write(&path, &counties()).unwrap();
    let s = import_regions(
        &mut store,
        &weipian_domain::access::Actor::local_admin(),
        &table,
        &path,
        TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.imported, 2);
    Env {
        _tmp: tmp,
        dir,
        store,
        table,
    }
}

pub fn batch() -> BatchId {
    BatchId::new(2020, "2020Q1").unwrap()
}

pub fn request(path: &Path, batch: BatchId) -> PatchImportRequest {
    PatchImportRequest {
        path: path.to_path_buf(),
        batch,
        kind: PatchKind::Land,
        encoding: TextEncoding::Detect,
    }
}

pub fn stored(store: &Store, batch: &BatchId) -> Vec<weipian_store::StoredPatch> {
    store
        .patches(&PatchQuery {
            batch: batch.clone(),
            kind: None,
            region: None,
        })
        .unwrap()
}

/// [`env`] with three patches in 锦江区 (510104TD200001…3) and one in 青羊区
/// (510105TD200001) imported as batch 2020Q1.
pub fn env_two_counties() -> Env {
    let mut e = env();
    let mut ds = patches(4);
    ds.features[3].geometry = Some(patch(104.0, 30.65));
    ds.features[3].attrs[0] = text("510105TD200001");
    ds.features[3].attrs[1] = text("510105");
    let path = e.dir.join("p.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    weipian_service::import::import_patches(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    e
}

// Actors, dates and complete answers for the statistics and gate tests.
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::RegionCode;
use weipian_service::answers::{save_answer, SaveAnswer};

pub fn actor(role: Role, region: &str) -> Actor {
    Actor::new(
        &format!("{}-{region}", role.code()),
        Scope::Region(RegionCode::parse(region).unwrap()),
        role,
    )
    .unwrap()
}

pub fn day(s: &str) -> time::Date {
    weipian_domain::determination::parse_date(s).unwrap()
}

/// A complete answer of `category` (with a photo) on a patch.
pub fn complete(
    e: &mut Env,
    county: &str,
    jcbh: &str,
    at: (f64, f64),
    category: &str,
    based_on: Option<i64>,
) {
    let clerk = actor(Role::CountyFiller, county);
    let photo = weipian_demo::photo::jpeg_with_exif(at.0, at.1, "2020:04:02 10:00:00", 0, 1);
    weipian_service::evidence::attach(&mut e.store, &clerk, &batch(), jcbh, "a.jpg", &photo)
        .unwrap();
    let area = e.store.patch(&batch(), jcbh).unwrap().unwrap().area_m2;
    let answer = match category {
        "WF" => Answer {
            category: "WF".into(),
            sub: Some("WF01".into()),
            basis: "未批先建".into(),
            actual_use: Some("厂房".into()),
            illegal_area_m2: Some(area),
            illegal_cultivated_m2: Some(0.0),
            illegal_basic_farmland_m2: Some(0.0),
            new_construction_m2: Some(area),
            new_construction_cultivated_m2: Some(0.0),
            ..Answer::default()
        },
        _ => Answer {
            category: "QT".into(),
            sub: Some("QT01".into()),
            basis: "地表无变化".into(),
            ..Answer::default()
        },
    };
    let v = save_answer(
        &mut e.store,
        &clerk,
        &SaveAnswer {
            batch: batch(),
            jcbh: jcbh.into(),
            answer,
            based_on,
            reason: None,
        },
    )
    .unwrap();
    assert!(v.complete, "{:?}", v.errors);
}

/// Rectify a case of 510104TD200001 by `kind` on 2020-05-15 (an on-site
/// photo taken the next day attached; a remedy cites its approval) and
/// eliminate the illegal state on 2020-05-20. Returns the case's version.
pub fn rectify_and_eliminate(
    e: &mut Env,
    clerk: &Actor,
    case_id: i64,
    version: i64,
    kind: weipian_domain::case::RectificationKind,
) -> i64 {
    use weipian_domain::case::{CaseEvent, Rectification, RectificationKind};
    let photo = weipian_demo::photo::jpeg_with_exif(104.0601, 30.6101, "2020:05:16 10:00:00", 0, 9);
    let sha = weipian_service::evidence::attach(
        &mut e.store,
        clerk,
        &batch(),
        "510104TD200001",
        "现场照片.jpg",
        &photo,
    )
    .unwrap()
    .sha256;
    let remedy = kind == RectificationKind::Remedy;
    let mut v = version;
    for ev in [
        CaseEvent::Rectify(Rectification {
            kind,
            date: "2020-05-15".into(),
            area_m2: 100.0,
            cultivated_m2: 0.0,
            basic_farmland_m2: 0.0,
            document: remedy.then(|| "川府土〔2020〕9号".into()),
            approval_date: remedy.then(|| "2020-05-15".into()),
            photos: vec![sha],
        }),
        CaseEvent::Eliminate {
            date: "2020-05-20".into(),
        },
    ] {
        v = weipian_service::cases::apply_event(&mut e.store, clerk, case_id, &ev, v)
            .unwrap()
            .version;
    }
    v
}
