//! 地块拆分 over a real store: the parts must partition the patch, get their
//! own areas and overlay figures, are answered one by one (also in bulk),
//! and a re-split never silently drops an answer.

use std::path::{Path, PathBuf};

use geo::BooleanOps;
use geo_types::{line_string, MultiPolygon};
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::{AttrValue, FieldDef, FieldType, RegionCode};
use weipian_formats::{Dataset, Feature, TextEncoding};
use weipian_geo::crs::CrsHint;
use weipian_service::answers::{get_part_answer, save_answer, save_part_answer, SaveAnswer};
use weipian_service::parcels::{parcels, split_from_file, unsplit};
use weipian_service::{NoProgress, ServiceError};

mod common;
use common::*;

const J: &str = "510104TD200001";

fn actor(role: Role, region: &str) -> Actor {
    Actor::new(
        &format!("{}-{region}", role.code()),
        Scope::Region(RegionCode::parse(region).unwrap()),
        role,
    )
    .unwrap()
}

fn clerk() -> Actor {
    actor(Role::CountyFiller, "510104")
}

/// The patch 510104TD200001 (around 104.06, 30.61) as stored.
fn the_patch(e: &Env) -> MultiPolygon<f64> {
    e.store.patch(&batch(), J).unwrap().unwrap().geometry
}

/// `whole` cut by the meridian `x`: (west, east).
fn cut(whole: &MultiPolygon<f64>, x: f64) -> (MultiPolygon<f64>, MultiPolygon<f64>) {
    // Cutters just larger than the patch: geo's boolean operations snap to
    // a grid scaled to the inputs' extent.
    let west = MultiPolygon(vec![rect(x - 0.002, 30.6, x, 30.62)]);
    let east = MultiPolygon(vec![rect(x, 30.6, x + 0.002, 30.62)]);
    (whole.intersection(&west), whole.intersection(&east))
}

fn write_parts(dir: &Path, name: &str, parts: &[MultiPolygon<f64>]) -> PathBuf {
    let ds = Dataset {
        source: PathBuf::from(name),
        fields: vec![FieldDef::new("JCBH", FieldType::Text { width: 20 })],
        features: parts
            .iter()
            .enumerate()
            .map(|(i, g)| Feature {
                row: i + 1,
                geometry: Some(g.clone()),
                attrs: vec![AttrValue::Text(J.into())],
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

fn illegal(area: f64) -> Answer {
    Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        basis: "现场核实：未经批准建设厂房".into(),
        actual_use: Some("厂房".into()),
        illegal_area_m2: Some(area),
        illegal_cultivated_m2: Some(0.0),
        illegal_basic_farmland_m2: Some(0.0),
        new_construction_m2: Some(area),
        new_construction_cultivated_m2: Some(0.0),
        ..Answer::default()
    }
}

fn req(answer: Answer, based_on: Option<i64>) -> SaveAnswer {
    SaveAnswer {
        batch: batch(),
        jcbh: J.into(),
        answer,
        based_on,
        reason: None,
    }
}

/// 耕地 (水田 0101) over everything west of 104.0598.
fn import_gd(e: &mut Env) {
    let ds = Dataset {
        source: PathBuf::from("gd"),
        fields: vec![FieldDef::new("DLBM", FieldType::Text { width: 4 })],
        features: vec![Feature {
            row: 1,
            geometry: Some(MultiPolygon(vec![rect(104.05, 30.60, 104.0598, 30.62)])),
            attrs: vec![AttrValue::Text("0101".into())],
            repairs: vec![],
        }],
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    };
    let path = e.dir.join("gd.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    weipian_service::import::import_layer(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        "gd",
        &path,
        TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
}

#[test]
fn a_split_partitions_the_patch_and_its_figures_are_the_sums_of_its_parts() {
    let mut e = env_two_counties();
    import_gd(&mut e);
    weipian_service::analyze::analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &weipian_service::analyze::AnalyzeRequest {
            batch: batch(),
            force: false,
        },
        &NoProgress,
    )
    .unwrap();
    let whole = the_patch(&e);
    let (west, east) = cut(&whole, 104.06);
    let file = write_parts(&e.dir, "split.geojson", &[west, east]);
    let v = split_from_file(&mut e.store, &clerk(), &batch(), J, &file, false).unwrap();
    assert_eq!(v.parcels.len(), 2);
    assert_eq!(v.parcels[1].dkbh, format!("{J}-2"));
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    // Areas: official, and adding up to the patch's.
    let area = weipian_geo::area::ellipsoidal_area(&whole);
    assert!(
        (v.total_area_m2 - area).abs() < 0.01,
        "{} vs {area}",
        v.total_area_m2
    );
    assert!(v.parcels.iter().all(|p| p.area_m2 > 0.3 * area));
    // Overlay figures at once: 耕地 lies in the western part only, and the
    // sums equal the patch's own overlay.
    let gd = |f: &weipian_service::parcels::ParcelFigures| f.layers.get("gd").copied().unwrap();
    assert!(gd(&v.parcels[0].figures) > 100.0);
    assert!(gd(&v.parcels[1].figures).abs() < 1e-9);
    let patch_gd = e
        .store
        .overlay_rows(&batch())
        .unwrap()
        .into_iter()
        .find(|r| r.layer == "gd" && r.patch_id == e.store.patch(&batch(), J).unwrap().unwrap().id)
        .unwrap()
        .area_m2;
    assert!(
        (gd(&v.totals) - patch_gd).abs() < 0.01,
        "{} vs {patch_gd}",
        gd(&v.totals)
    );
    assert_eq!(v.totals.by_class["gd"][0].0, "0101");
    // The split is in the audit trail, with the parts' geometry.
    let trail = e
        .store
        .audit_records(Some(&format!("2020/2020Q1/{J}")))
        .unwrap();
    let last = trail.last().unwrap();
    assert_eq!(last.entry.action, "parcels.split");
    assert!(last
        .entry
        .after
        .as_deref()
        .unwrap()
        .contains("MultiPolygon"));
    // Anyone above reads it; `analyze` recomputes parts when a layer changes.
    let city = actor(Role::CityReviewer, "510100");
    assert_eq!(
        parcels(&e.store, &city, &batch(), J).unwrap().parcels.len(),
        2
    );
    import_gd(&mut e);
    let s = weipian_service::analyze::analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &weipian_service::analyze::AnalyzeRequest {
            batch: batch(),
            force: false,
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.parcels, 2);
    let again = parcels(&e.store, &city, &batch(), J).unwrap();
    assert_eq!(gd(&again.totals).to_bits(), gd(&v.totals).to_bits());
}

#[test]
fn parts_that_do_not_partition_the_patch_are_refused_with_every_problem() {
    let mut e = env_two_counties();
    let whole = the_patch(&e);
    let (west, east) = cut(&whole, 104.06);
    // East reaches 10 m into the west part (overlap); a third part lies outside.
    let (_, wide_east) = cut(&whole, 104.0599);
    let outside = MultiPolygon(vec![rect(104.07, 30.61, 104.0705, 30.6105)]);
    let file = write_parts(&e.dir, "bad.geojson", &[west.clone(), wide_east, outside]);
    let err = split_from_file(&mut e.store, &clerk(), &batch(), J, &file, false).unwrap_err();
    let msgs: Vec<String> = err.problems().iter().map(|p| p.message.clone()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("地块 3") && m.contains("图斑范围之外")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("地块 1 与地块 2 重叠")),
        "{msgs:?}"
    );
    assert!(err.to_string().contains("bad.geojson"), "{err}");
    // A gap: the west part alone (with a sliver of the east) leaves most uncovered.
    let (sliver, _) = cut(&east, 104.0601);
    let file = write_parts(&e.dir, "gap.geojson", &[west, sliver]);
    let err = split_from_file(&mut e.store, &clerk(), &batch(), J, &file, false).unwrap_err();
    assert!(err.to_string().contains("未被任何地块覆盖"), "{err}");
    // A single part is no split; a file for another patch is refused by row.
    let file = write_parts(&e.dir, "one.geojson", &[whole]);
    let err = split_from_file(&mut e.store, &clerk(), &batch(), J, &file, false).unwrap_err();
    assert!(err.to_string().contains("至少 2 个地块"), "{err}");
    let err = split_from_file(
        &mut e.store,
        &clerk(),
        &batch(),
        "510104TD200002",
        &file,
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("监测编号与要拆分的图斑"), "{err}");
    // Nothing was written.
    assert!(parcels(&e.store, &clerk(), &batch(), J)
        .unwrap()
        .parcels
        .is_empty());
}

#[test]
fn only_the_county_filler_of_the_county_splits() {
    let mut e = env_two_counties();
    let (west, east) = cut(&the_patch(&e), 104.06);
    let file = write_parts(&e.dir, "split.geojson", &[west, east]);
    let other = actor(Role::CountyFiller, "510105");
    let err = split_from_file(&mut e.store, &other, &batch(), J, &file, false).unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    let err = parcels(&e.store, &other, &batch(), J).unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    let city = actor(Role::CityReviewer, "510100");
    let err = split_from_file(&mut e.store, &city, &batch(), J, &file, false).unwrap_err();
    assert!(matches!(err, ServiceError::Denied(_)), "{err}");
}

#[test]
fn a_split_patch_is_answered_per_part_and_a_resplit_keeps_every_version() {
    let mut e = env_two_counties();
    let c = clerk();
    // Answered as a whole first.
    save_answer(&mut e.store, &c, &req(illegal(100.0), None)).unwrap();
    let (west, east) = cut(&the_patch(&e), 104.06);
    let file = write_parts(&e.dir, "split.geojson", &[west, east]);
    // A split would drop that answer: refused until confirmed.
    let err = split_from_file(&mut e.store, &c, &batch(), J, &file, false).unwrap_err();
    assert!(err.to_string().contains("整个图斑"), "{err}");
    let v = split_from_file(&mut e.store, &c, &batch(), J, &file, true).unwrap();
    let part_area = v.parcels[0].area_m2;
    // The whole patch takes no answer now; part 3 does not exist.
    let err = save_answer(&mut e.store, &c, &req(illegal(1.0), None)).unwrap_err();
    assert!(err.to_string().contains("请按地块填报"), "{err}");
    let err = save_part_answer(&mut e.store, &c, &req(illegal(1.0), None), 3).unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    // A part is validated against its own area.
    let too_big =
        save_part_answer(&mut e.store, &c, &req(illegal(part_area + 50.0), None), 1).unwrap();
    assert!(
        too_big.errors.iter().any(|x| x.field == "WFMJ"),
        "{:?}",
        too_big.errors
    );
    let ok =
        save_part_answer(&mut e.store, &c, &req(illegal(part_area - 1.0), Some(1)), 1).unwrap();
    assert!(
        ok.errors.iter().all(|x| x.field != "WFMJ"),
        "{:?}",
        ok.errors
    );
    assert_eq!(ok.version, 2);
    let shown = get_part_answer(&e.store, &c, &batch(), J, 1).unwrap();
    assert_eq!(shown.parcel, 1);
    assert_eq!(shown.version, 2);
    // Undo the split: refused while part 1 has an answer, then confirmed.
    let err = unsplit(&mut e.store, &c, &batch(), J, false, None).unwrap_err();
    assert!(err.to_string().contains("地块 1"), "{err}");
    unsplit(&mut e.store, &c, &batch(), J, true, Some("拆分有误".into())).unwrap();
    // The whole patch is answered again; its earlier versions are all kept
    // and the version chain goes on.
    let v = save_answer(&mut e.store, &c, &req(illegal(100.0), None)).unwrap();
    assert_eq!(v.version, 2);
    let p = e.store.patch(&batch(), J).unwrap().unwrap();
    assert!(e.store.answer_version(p.id, 0, 1).unwrap().is_some());
    assert!(e.store.answer_version(p.id, 1, 2).unwrap().is_some());
}

#[test]
fn bulk_answers_address_parts_by_their_number() {
    use weipian_service::bulk::{export_answers, import_answers};
    let mut e = env_two_counties();
    let c = clerk();
    let (west, east) = cut(&the_patch(&e), 104.06);
    let file = write_parts(&e.dir, "split.geojson", &[west, east]);
    split_from_file(&mut e.store, &c, &batch(), J, &file, false).unwrap();
    let photo =
        weipian_demo::photo::jpeg_with_exif(104.0601, 30.6101, "2020:04:02 10:31:07", 90, 0);
    weipian_service::evidence::attach(&mut e.store, &c, &batch(), J, "现场.jpg", &photo).unwrap();
    save_part_answer(&mut e.store, &c, &req(illegal(10.0), None), 1).unwrap();
    let csv = e.dir.join("answers.csv");
    std::fs::write(
        &csv,
        format!(
            "监测编号,地块编号,判定类型,具体情形,判定依据说明\n\
             {J},2,其他,QT01,现场核实：无变化\n\
             {J},,其他,QT01,现场核实：无变化\n\
             {J},{J}-9,其他,QT01,现场核实：无变化\n\
             {J},x,其他,QT01,现场核实：无变化\n"
        ),
    )
    .unwrap();
    let s = import_answers(&mut e.store, &c, &batch(), &csv).unwrap();
    assert_eq!(s.applied, vec![format!("{J}-2")], "{s:?}");
    let reasons: Vec<String> = s.rejected.iter().map(|r| r.reasons.join("；")).collect();
    assert_eq!(s.rejected.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("请按地块填报"), "{reasons:?}");
    assert!(reasons[1].contains("地块 9"), "{reasons:?}");
    assert!(reasons[2].contains("地块编号"), "{reasons:?}");
    assert_eq!(
        s.rejected[1].jcbh.as_deref(),
        Some(format!("{J}-9").as_str())
    );
    // Export: one row per part of the split patch.
    let out = e.dir.join("out.xlsx");
    export_answers(&e.store, &c, &batch(), &out).unwrap();
    let t =
        weipian_formats::table::read_table(&out, &weipian_formats::ReadOptions::default()).unwrap();
    let dk = t.headers.iter().position(|h| h == "地块编号").unwrap();
    let rows: Vec<(String, Option<String>)> = t
        .rows
        .iter()
        .map(|(_, r)| (r[0].text().unwrap(), r[dk].text()))
        .collect();
    assert_eq!(
        rows.iter()
            .filter(|(j, _)| j == J)
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>(),
        vec![Some("1".to_string()), Some("2".to_string())]
    );
    // Re-importing the export changes nothing.
    let s = import_answers(&mut e.store, &c, &batch(), &out).unwrap();
    assert!(s.applied.is_empty() && s.rejected.is_empty(), "{s:?}");
}

#[test]
fn split_parts_may_come_in_a_projected_crs() {
    // The same split, in CGCS2000 3° zone 35 with the zone-prefixed easting
    // and no .prj, as surveyors often deliver it: recognised from the
    // coordinates, projected back, it partitions the patch.
    let mut e = env_two_counties();
    let (west, east) = cut(&the_patch(&e), 104.06);
    let mut parts = vec![west, east];
    for p in &mut parts {
        weipian_geo::crs::from_geographic(
            weipian_geo::crs::Crs::GaussKruger {
                zone: 35,
                prefixed: true,
            },
            p,
        )
        .unwrap();
    }
    let ds = Dataset {
        source: PathBuf::from("gk"),
        fields: vec![],
        features: parts
            .into_iter()
            .enumerate()
            .map(|(i, g)| Feature {
                row: i + 1,
                geometry: Some(g),
                attrs: vec![],
                repairs: vec![],
            })
            .collect(),
        crs: CrsHint {
            epsg: Some(4523),
            ..CrsHint::default()
        },
        encoding: None,
    };
    let path = e.dir.join("gk.shp");
    weipian_formats::shp::write(&path, &ds).unwrap();
    std::fs::remove_file(e.dir.join("gk.prj")).unwrap();
    let v = split_from_file(&mut e.store, &clerk(), &batch(), J, &path, false).unwrap();
    assert_eq!(v.parcels.len(), 2);
}

#[test]
fn a_case_links_illegal_parts_and_then_the_split_stays() {
    use weipian_service::cases::open_case;
    let mut e = env_two_counties();
    let c = clerk();
    let (west, east) = cut(&the_patch(&e), 104.06);
    let file = write_parts(&e.dir, "split.geojson", &[west, east]);
    split_from_file(&mut e.store, &c, &batch(), J, &file, false).unwrap();
    save_part_answer(&mut e.store, &c, &req(illegal(10.0), None), 1).unwrap();
    // The whole patch, an unanswered part, a part that does not exist.
    let err = open_case(&mut e.store, &c, &batch(), "锦违1", &[J.to_string()]).unwrap_err();
    assert!(err.to_string().contains("请按地块立案"), "{err}");
    let err = open_case(&mut e.store, &c, &batch(), "锦违1", &[format!("{J}-2")]).unwrap_err();
    assert!(err.to_string().contains("未判定为违法"), "{err}");
    let err = open_case(&mut e.store, &c, &batch(), "锦违1", &[format!("{J}-3")]).unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    let case = open_case(&mut e.store, &c, &batch(), "锦违1", &[format!("{J}-1")]).unwrap();
    assert_eq!(case.patches, vec![format!("2020/2020Q1/{J}-1")]);
    // A case on a part pins the split.
    let err = unsplit(&mut e.store, &c, &batch(), J, true, None).unwrap_err();
    assert!(err.to_string().contains("案件"), "{err}");
}

/// A clerk draws one line across the patch on the map: the patch is cut
/// there into two 地块 that partition it (the same check as a file) and
/// add up to its area; a line that misses the patch is refused, unsplit.
#[test]
fn a_line_drawn_across_the_patch_splits_it_into_parcels() {
    let mut e = env_two_counties();
    let whole = the_patch(&e);
    let area = weipian_geo::area::ellipsoidal_area(&whole);
    let miss = line_string![(x: 105.0, y: 29.0), (x: 105.0, y: 31.0)];
    let err = weipian_service::parcels::split_by_lines(
        &mut e.store,
        &clerk(),
        &batch(),
        J,
        &[miss],
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("未穿过图斑"), "{err}");
    assert!(parcels(&e.store, &clerk(), &batch(), J)
        .unwrap()
        .parcels
        .is_empty());
    let line = line_string![(x: 104.06, y: 30.6), (x: 104.06, y: 30.62)];
    let v = weipian_service::parcels::split_by_lines(
        &mut e.store,
        &clerk(),
        &batch(),
        J,
        &[line],
        false,
    )
    .unwrap();
    assert_eq!(v.parcels.len(), 2);
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert!(
        (v.total_area_m2 - area).abs() < 0.1,
        "{} vs {area}",
        v.total_area_m2
    );
    // Another county's clerk cannot cut it (not found, as if absent).
    let other = actor(Role::CountyFiller, "510105");
    let line = line_string![(x: 104.061, y: 30.6), (x: 104.061, y: 30.62)];
    let err =
        weipian_service::parcels::split_by_lines(&mut e.store, &other, &batch(), J, &[line], true)
            .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
}
