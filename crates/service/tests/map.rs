//! Map data for an actor: the patches in a view are only those of its
//! region; one patch's geometry outside it is "not found"; reference layers
//! are readable by everyone; the patch with its 地块 and case ranges.

use std::path::{Path, PathBuf};

use geo::BooleanOps;
use geo_types::MultiPolygon;
use weipian_domain::access::{Actor, Role};
use weipian_domain::determination::Answer;
use weipian_domain::{layer, AttrValue, FieldDef, FieldType};
use weipian_formats::{Dataset, Feature};
use weipian_geo::crs::CrsHint;
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::map::{layer_in_view, patch_geometry, patches_in_view, Bbox};
use weipian_service::ServiceError;
use weipian_store::{LayerFeature, LayerSource};

mod common;
use common::{actor, batch, env_two_counties, rect, Env};

/// Both counties' patches: 锦江区 around (104.06–104.068, 30.61), 青羊区 at (104.0, 30.65).
fn both() -> Bbox {
    Bbox::new([103.99, 30.60, 104.08, 30.66]).unwrap()
}

fn jcbhs(v: &serde_json::Value) -> Vec<&str> {
    let mut out: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["JCBH"].as_str().unwrap())
        .collect();
    out.sort_unstable();
    out
}

fn in_view(e: &Env, who: &Actor, bbox: Bbox, limit: usize) -> serde_json::Value {
    serde_json::to_value(patches_in_view(&e.store, who, &batch(), bbox, limit).unwrap()).unwrap()
}

#[test]
fn a_county_sees_only_its_own_patches_in_a_view_over_two_counties() {
    let e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let v = in_view(&e, &jinjiang, both(), 100);
    assert_eq!(
        jcbhs(&v),
        ["510104TD200001", "510104TD200002", "510104TD200003"]
    );
    assert_eq!(
        (v["total"].as_u64(), v["truncated"].as_bool()),
        (Some(3), Some(false))
    );
    let qingyang = actor(Role::CountyFiller, "510105");
    assert_eq!(
        jcbhs(&in_view(&e, &qingyang, both(), 100)),
        ["510105TD200001"]
    );
    let city = actor(Role::CityReviewer, "510100");
    assert_eq!(in_view(&e, &city, both(), 100)["total"], 4);
    let national = Actor::local_admin();
    assert_eq!(in_view(&e, &national, both(), 100)["total"], 4);
    let elsewhere = actor(Role::ProvinceReviewer, "330000");
    let v = in_view(&e, &elsewhere, both(), 100);
    assert_eq!(
        (v["total"].as_u64(), v["features"].as_array().unwrap().len()),
        (Some(0), 0)
    );
    // Truncated: the count says how many the actor may see, not more.
    let v = in_view(&e, &jinjiang, both(), 1);
    assert_eq!(v["features"].as_array().unwrap().len(), 1);
    assert_eq!(
        (v["total"].as_u64(), v["truncated"].as_bool()),
        (Some(3), Some(true))
    );
}

#[test]
fn properties_carry_the_answer_and_the_review_state() {
    let mut e = env_two_counties();
    let clerk = actor(Role::CountyFiller, "510104");
    save_answer(
        &mut e.store,
        &clerk,
        &SaveAnswer {
            batch: batch(),
            jcbh: "510104TD200001".into(),
            answer: Answer {
                category: "QT".into(),
                sub: Some("QT01".into()),
                basis: "地表无变化".into(),
                ..Answer::default()
            },
            based_on: None,
            reason: None,
        },
    )
    .unwrap();
    let v = in_view(&e, &clerk, both(), 100);
    let f = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "510104TD200001")
        .unwrap();
    let p = &f["properties"];
    assert_eq!(p["PDLX"], "QT");
    assert_eq!(p["review_state"], "county");
    assert_eq!(p["XZQDM"], "510104");
    assert_eq!(p["kind"], "land");
    let stored = e.store.patch(&batch(), "510104TD200001").unwrap().unwrap();
    assert_eq!(
        p["area_m2"].as_f64().unwrap().to_bits(),
        stored.area_m2.to_bits()
    );
    assert_eq!(
        f["geometry"],
        weipian_formats::geojson::geometry_value(&stored.geometry)
    );
    let other = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "510104TD200002")
        .unwrap();
    assert!(other["properties"]["PDLX"].is_null());
}

#[test]
fn another_countys_patch_geometry_is_not_found() {
    let e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let err = patch_geometry(&e.store, &jinjiang, &batch(), "510105TD200001").unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    // The same answer as for a patch that does not exist.
    let err = patch_geometry(&e.store, &jinjiang, &batch(), "510104TD209999").unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    // Its own county and the city above see it.
    let city = actor(Role::CityReviewer, "510100");
    let v =
        serde_json::to_value(patch_geometry(&e.store, &city, &batch(), "510105TD200001").unwrap())
            .unwrap();
    assert_eq!(v["features"][0]["properties"]["role"], "patch");
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
                attrs: vec![AttrValue::Text(format!("地块{}", i + 1))],
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
fn a_patch_comes_with_its_parcels_and_case_ranges() {
    let mut e = env_two_counties();
    let clerk = actor(Role::CountyFiller, "510104");
    let j = "510104TD200001";
    let whole = e.store.patch(&batch(), j).unwrap().unwrap().geometry;
    // Alone: the patch and its extent.
    let v = serde_json::to_value(patch_geometry(&e.store, &clerk, &batch(), j).unwrap()).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["features"].as_array().unwrap().len(), 1);
    let xs: Vec<f64> = whole.0[0].exterior().0.iter().map(|c| c.x).collect();
    let ys: Vec<f64> = whole.0[0].exterior().0.iter().map(|c| c.y).collect();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(
        v["bbox"],
        serde_json::json!([min(&xs), min(&ys), max(&xs), max(&ys)])
    );
    assert!(v.get("total").is_none() && v.get("truncated").is_none());

    // Split in two along 104.06.
    let west = MultiPolygon(vec![rect(104.058, 30.6, 104.06, 30.62)]);
    let east = MultiPolygon(vec![rect(104.06, 30.6, 104.062, 30.62)]);
    let parts = vec![whole.intersection(&west), whole.intersection(&east)];
    weipian_service::parcels::split(
        &mut e.store,
        &clerk,
        &weipian_service::parcels::Split {
            batch: batch(),
            jcbh: j.into(),
            source: PathBuf::from("地块.geojson"),
            parts: parts.clone(),
            discard_answers: false,
            reason: None,
        },
    )
    .unwrap();
    // A case on the next patch, with an illegal-land range.
    let illegal = Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        basis: "未批先建".into(),
        actual_use: Some("厂房".into()),
        illegal_area_m2: Some(100.0),
        illegal_cultivated_m2: Some(0.0),
        illegal_basic_farmland_m2: Some(0.0),
        new_construction_m2: Some(100.0),
        new_construction_cultivated_m2: Some(0.0),
        ..Answer::default()
    };
    save_answer(
        &mut e.store,
        &clerk,
        &SaveAnswer {
            batch: batch(),
            jcbh: "510104TD200002".into(),
            answer: illegal,
            based_on: None,
            reason: None,
        },
    )
    .unwrap();
    let case = weipian_service::cases::open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违〔2020〕9号",
        &["510104TD200002".to_string()],
    )
    .unwrap();
    let range = MultiPolygon(vec![rect(104.0637, 30.6097, 104.0643, 30.6103)]);
    let path = geojson(&e.dir, "range.geojson", std::slice::from_ref(&range));
    weipian_service::case_ranges::upload_range(&mut e.store, &clerk, case.id, &path).unwrap();

    let v = serde_json::to_value(patch_geometry(&e.store, &clerk, &batch(), j).unwrap()).unwrap();
    let roles: Vec<(&str, Option<u64>)> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["properties"]["role"].as_str().unwrap(),
                f["properties"]["part"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [("patch", None), ("parcel", Some(1)), ("parcel", Some(2))]
    );
    assert_eq!(v["features"][1]["id"], format!("{j}-1"));
    assert_eq!(
        v["features"][2]["geometry"],
        weipian_formats::geojson::geometry_value(&parts[1])
    );

    let j2 = "510104TD200002";
    let v = serde_json::to_value(patch_geometry(&e.store, &clerk, &batch(), j2).unwrap()).unwrap();
    let f = &v["features"].as_array().unwrap()[1];
    assert_eq!(f["properties"]["role"], "case_range");
    assert_eq!(f["properties"]["case_id"], case.id);
    assert_eq!(f["properties"]["case_number"], "锦违〔2020〕9号");
    assert_eq!(f["properties"]["no"], 1);
    assert_eq!(
        f["properties"]["area_m2"].as_f64().unwrap().to_bits(),
        weipian_geo::area::ellipsoidal_area(&range).to_bits()
    );
    assert_eq!(
        f["geometry"],
        weipian_formats::geojson::geometry_value(&range)
    );
}

#[test]
fn reference_layers_are_readable_by_any_reader_and_unknown_kinds_not_found() {
    let mut e = env_two_counties();
    let gd = layer::kind("gd").unwrap();
    let feature = |x: f64, dlbm: &str, row: usize| LayerFeature {
        geometry: MultiPolygon(vec![rect(x, 30.60, x + 0.01, 30.61)]),
        area_m2: 1000.0 * row as f64,
        keys: vec![AttrValue::Text(dlbm.into())],
        attrs: vec![],
        source_row: row,
    };
    e.store
        .replace_layer(
            gd,
            &[],
            &[feature(104.06, "0101", 1), feature(104.0, "0103", 2)],
            &LayerSource {
                file: "gd.shp".into(),
                encoding: None,
                crs: "EPSG:4490".into(),
            },
        )
        .unwrap();
    // A county filler of 青羊区 sees 耕地 in 锦江区 too: province-wide data.
    let qingyang = actor(Role::CountyFiller, "510105");
    let v = serde_json::to_value(layer_in_view(&e.store, &qingyang, "gd", both(), 100).unwrap())
        .unwrap();
    assert_eq!(v["total"], 2);
    let props: Vec<_> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["DLBM"].as_str().unwrap())
        .collect();
    assert_eq!(props, ["0103", "0101"]); // largest first
    assert!(v["features"][0]["properties"]["fid"].is_i64());
    let small = Bbox::new([104.061, 30.601, 104.062, 30.602]).unwrap();
    let v = serde_json::to_value(layer_in_view(&e.store, &qingyang, "gd", small, 100).unwrap())
        .unwrap();
    assert_eq!(v["total"], 1);
    // A kind never imported: empty. An unknown one: not found.
    let v = serde_json::to_value(layer_in_view(&e.store, &qingyang, "jbnt", both(), 100).unwrap())
        .unwrap();
    assert_eq!(v["total"], 0);
    let err = layer_in_view(&e.store, &qingyang, "roads", both(), 100).unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
}
