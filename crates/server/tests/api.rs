//! The API end to end (in process, no socket): tokens, scoping for every
//! role, JSON errors with machine codes, versions, the OpenAPI document.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::RegionCode;
use weipian_server::{router, AppState};
use weipian_service::import::import_patches;
use weipian_service::{users, NoProgress};

#[path = "../../service/tests/common/mod.rs"]
mod common;
use common::*;

struct Api {
    app: axum::Router,
    _env: tempfile::TempDir,
}

/// A store with 3 patches in 锦江区 510104 and 1 in 青羊区 510105, and one
/// user (with a token) per (role, region) given.
fn api(logins: &[(&str, Role, &str)]) -> (Api, Vec<String>) {
    let mut e = env_two_counties();
    let root = Actor::local_admin();
    let mut tokens = Vec::new();
    for (name, role, region) in logins {
        let scope = Scope::parse(region).unwrap();
        users::add_user(&mut e.store, &root, name, scope, *role, "a-long-password").unwrap();
        tokens.push(users::issue_token(&mut e.store, &root, name, "test").unwrap());
    }
    let Env { _tmp, store, .. } = e;
    (
        Api {
            app: router(AppState::new(store)),
            _env: _tmp,
        },
        tokens,
    )
}

impl Api {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }
}

fn illegal() -> Value {
    json!({ "PDLX": "WF", "JTQX": "WF01", "PDYJSM": "未批先建", "SJYT": "厂房",
            "WFMJ": 10.0, "WFGDMJ": 5.0, "WFJBNTMJ": 0.0, "XZJSYDMJ": 10.0, "XZJSZYGDMJ": 5.0 })
}

#[tokio::test]
async fn every_operation_for_every_role_in_and_out_of_scope() {
    let logins = [
        ("c-in", Role::CountyFiller, "510104"),
        ("c-out", Role::CountyFiller, "510105"),
        ("city-in", Role::CityReviewer, "510100"),
        ("city-out", Role::CityReviewer, "510300"),
        ("prov-in", Role::ProvinceReviewer, "510000"),
        ("prov-out", Role::ProvinceReviewer, "330000"),
        ("desk-in", Role::DeskReviewer, "510000"),
        ("ministry", Role::Ministry, "000000"),
        ("mil-in", Role::MilitaryOfficer, "510104"),
        ("admin-out", Role::Admin, "330000"),
    ];
    let (api, tokens) = api(&logins);
    let j = "510104TD200001";
    let answer_uri = format!("/api/patches/2020/2020Q1/{j}/answer");
    for ((name, role, region), token) in logins.iter().zip(&tokens) {
        let in_scope = Scope::parse(region)
            .unwrap()
            .contains(RegionCode::parse("510104").unwrap());
        let (s, me) = api.call("GET", "/api/me", Some(token), None).await;
        assert_eq!(
            (s, me["role"].as_str()),
            (StatusCode::OK, Some(role.code())),
            "{name}"
        );
        let (s, list) = api
            .call(
                "GET",
                "/api/patches?year=2020&batch=2020Q1",
                Some(token),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        let listed: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["JCBH"].as_str().unwrap())
            .collect();
        assert_eq!(listed.contains(&j), in_scope, "{name}: {listed:?}");
        let (s, got) = api.call("GET", &answer_uri, Some(token), None).await;
        let (s2, put) = api
            .call(
                "PUT",
                &answer_uri,
                Some(token),
                Some(json!({ "answer": illegal() })),
            )
            .await;
        if !in_scope {
            assert_eq!(
                (s, got["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{name}"
            );
            assert_eq!(
                (s2, put["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{name}"
            );
        } else if *role == Role::CountyFiller {
            assert_eq!(s, StatusCode::OK, "{name}");
            assert_eq!(s2, StatusCode::OK, "{name}: {put}");
            assert_eq!(put["version"], 1);
        } else {
            assert_eq!(s, StatusCode::OK, "{name}");
            assert_eq!(
                (s2, put["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("forbidden")),
                "{name}: {put}"
            );
        }
    }
    // The answer as everyone in scope now sees it.
    let (_, got) = api.call("GET", &answer_uri, Some(&tokens[2]), None).await;
    assert_eq!(got["version"], 1);
    assert_eq!(got["answer"]["WFMJ"], 10.0);
    assert_eq!(got["complete"], false); // no photo yet
    assert!(got["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["field"] == "FJ"));
}

#[tokio::test]
async fn errors_are_json_with_machine_codes() {
    let (api, tokens) = api(&[("clerk", Role::CountyFiller, "510104")]);
    let t = Some(tokens[0].as_str());
    let uri = "/api/patches/2020/2020Q1/510104TD200002/answer";
    assert_eq!(
        api.call("GET", "/api/me", None, None).await.1["code"],
        "unauthorized"
    );
    let (s, v) = api.call("GET", "/api/me", Some("wp_forged"), None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (s, v) = api.call("PUT", uri, t, Some(json!({ "answer": 5 }))).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    let (s, v) = api
        .call(
            "GET",
            "/api/patches?year=2020&batch=2020Q1&region=51",
            t,
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("行政区代码"));
    let (s, _) = api
        .call("PUT", uri, t, Some(json!({ "answer": illegal() })))
        .await;
    assert_eq!(s, StatusCode::OK);
    // A second first-save: conflict, with the version and the fields changed.
    let (s, v) = api
        .call("PUT", uri, t, Some(json!({ "answer": illegal() })))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{v}"
    );
    assert_eq!(v["current_version"], 1);
    let (s, v) = api
        .call(
            "PUT",
            uri,
            t,
            Some(json!({ "answer": illegal(), "based_on": 1 })),
        )
        .await;
    assert_eq!((s, v["version"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
    let (s, v) = api.call("GET", "/api/nothing-here", t, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn lists_page_and_filter() {
    let (api, tokens) = api(&[("prov", Role::ProvinceReviewer, "510000")]);
    let t = Some(tokens[0].as_str());
    let (_, v) = api
        .call(
            "GET",
            "/api/patches?year=2020&batch=2020Q1&per_page=2&page=2",
            t,
            None,
        )
        .await;
    assert_eq!(
        (v["total"].as_u64(), v["items"].as_array().unwrap().len()),
        (Some(4), 2)
    );
    let (_, v) = api
        .call(
            "GET",
            "/api/patches?year=2020&batch=2020Q1&region=510105",
            t,
            None,
        )
        .await;
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["JCBH"], "510105TD200001");
    // Not analysed (no layers): no figures, flags unknown.
    assert_eq!(v["items"][0]["figures"], json!({}));
    assert!(v["items"][0]["ZDHC"].is_null());
}

#[tokio::test]
async fn lists_carry_the_overlay_figures_in_square_metres() {
    use weipian_service::analyze::{analyze, AnalyzeRequest};
    use weipian_service::import::import_layer;
    let mut e = env();
    let path = e.dir.join("p.geojson");
    weipian_formats::geojson::write(&path, &patches(1)).unwrap();
    import_patches(
        &mut e.store,
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    // A 耕地 parcel (水田) covering the whole patch.
    let gd = weipian_formats::Dataset {
        source: "gd".into(),
        fields: vec![weipian_domain::FieldDef::new(
            "DLBM",
            weipian_domain::FieldType::Text { width: 4 },
        )],
        features: vec![weipian_formats::Feature {
            row: 1,
            geometry: Some(geo_types::MultiPolygon(vec![rect(
                104.05, 30.60, 104.07, 30.62,
            )])),
            attrs: vec![text("0101")],
            repairs: vec![],
        }],
        crs: weipian_geo::crs::CrsHint {
            epsg: Some(4490),
            ..Default::default()
        },
        encoding: None,
    };
    let gd_path = e.dir.join("gd.geojson");
    weipian_formats::geojson::write(&gd_path, &gd).unwrap();
    import_layer(
        &mut e.store,
        "gd",
        &gd_path,
        weipian_formats::TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
    analyze(
        &mut e.store,
        &AnalyzeRequest {
            batch: batch(),
            force: false,
        },
        &NoProgress,
    )
    .unwrap();
    let root = Actor::local_admin();
    users::add_user(
        &mut e.store,
        &root,
        "prov",
        Scope::parse("510000").unwrap(),
        Role::ProvinceReviewer,
        "a-long-password",
    )
    .unwrap();
    let token = users::issue_token(&mut e.store, &root, "prov", "t").unwrap();
    let area = e
        .store
        .patch(&batch(), "510104TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    let Env { _tmp, store, .. } = e;
    let api = Api {
        app: router(AppState::new(store)),
        _env: _tmp,
    };
    let (_, v) = api
        .call(
            "GET",
            "/api/patches?year=2020&batch=2020Q1",
            Some(&token),
            None,
        )
        .await;
    let f = &v["items"][0]["figures"];
    let gdmj = f["JCGDMJ_M2"].as_f64().unwrap();
    assert!((gdmj - area).abs() <= 1e-6 * area, "{f}");
    assert_eq!(f["STMJ_M2"].as_f64(), Some(gdmj));
    assert_eq!(v["items"][0]["BMDTB"], false);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let (api, _) = api(&[]);
    let (s, v) = api.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["openapi"], "3.1.0");
    for p in [
        "/api/me",
        "/api/patches",
        "/api/patches/{year}/{batch}/{jcbh}/answer",
        "/api/openapi.json",
    ] {
        assert!(v["paths"].get(p).is_some(), "{p}");
    }
}
