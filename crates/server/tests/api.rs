//! The API end to end (in process, no socket): tokens, scoping for every
//! role, JSON errors with machine codes, versions, the OpenAPI document.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use weipian_domain::access::{Role, Scope};
use weipian_domain::RegionCode;
use weipian_service::import::import_patches;
use weipian_service::NoProgress;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[path = "../../service/tests/common/mod.rs"]
mod common;
use common::*;
mod harness;
use harness::{api_on, Api};

/// A store with 3 patches in 锦江区 510104 and 1 in 青羊区 510105, and one
/// user (with a token) per (role, region) given.
fn api(logins: &[(&str, Role, &str)]) -> (Api, Vec<String>) {
    api_on(
        env_two_counties(),
        weipian_server::config::Config::default(),
        logins,
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

impl Api {
    /// A request with a raw body; the status, headers and body bytes.
    async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req
            .header("content-type", "application/octet-stream")
            .body(Body::from(body))
            .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (parts.status, parts.headers, bytes)
    }

    /// [`Api::send`] answered in JSON.
    async fn upload(&self, uri: &str, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
        let (s, _, bytes) = self.send("POST", uri, token, body).await;
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Taken inside 510104TD200001 (around 104.06, 30.61) after its 后时相; `salt`
/// makes different files of the same photo.
fn photo(salt: u32) -> Vec<u8> {
    weipian_demo::photo::jpeg_with_exif(104.0601, 30.6101, "2020:04:02 10:31:07", 135, salt)
}

fn jcbhs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["jcbh"].as_str().unwrap())
        .collect()
}

/// A table row for bulk answers: an illegal building of `mu` 亩.
fn bulk_csv(rows: &[(&str, f64)]) -> Vec<u8> {
    let mut s = String::from(
        "监测编号,判定类型,具体情形,判定依据说明,实际用途,违法面积（亩）,其中耕地（亩）,其中永久基本农田（亩）,新增建设用地面积（亩）,其中占用耕地（亩）\n",
    );
    for (j, mu) in rows {
        s.push_str(&format!(
            "{j},违法,WF01,未批先建,厂房,{mu},0.1,0,{mu},0.1\n"
        ));
    }
    s.into_bytes()
}

fn illegal() -> Value {
    json!({ "PDLX": "WF", "JTQX": "WF01", "PDYJSM": "未批先建", "SJYT": "厂房",
            "WFMJ": 10.0, "WFGDMJ": 5.0, "WFJBNTMJ": 0.0, "XZJSYDMJ": 10.0, "XZJSZYGDMJ": 5.0 })
}

/// A GeoJSON file (EPSG:4490) of `shapes`, as bytes.
fn geojson_bytes(shapes: &[geo_types::MultiPolygon<f64>]) -> Vec<u8> {
    let ds = weipian_formats::Dataset {
        source: "shapes".into(),
        fields: vec![],
        features: shapes
            .iter()
            .enumerate()
            .map(|(i, g)| weipian_formats::Feature {
                row: i + 1,
                geometry: Some(g.clone()),
                attrs: vec![],
                repairs: vec![],
            })
            .collect(),
        crs: weipian_geo::crs::CrsHint {
            epsg: Some(4490),
            ..weipian_geo::crs::CrsHint::default()
        },
        encoding: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    std::fs::read(path).unwrap()
}

/// The patch of the fixture around (lon, 30.61) cut in two along `lon`.
fn halves(lon: f64) -> Vec<geo_types::MultiPolygon<f64>> {
    use geo::BooleanOps;
    let whole = common::patch(lon, 30.61);
    let cutter = |x0: f64, x1: f64| geo_types::MultiPolygon(vec![rect(x0, 30.60, x1, 30.62)]);
    vec![
        whole.intersection(&cutter(lon - 0.002, lon)),
        whole.intersection(&cutter(lon, lon + 0.002)),
    ]
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one matrix: every operation × every role
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
        ("mil-out", Role::MilitaryOfficer, "510105"),
        ("admin-in", Role::Admin, "510000"),
    ];
    let (api, tokens) = api(&logins);
    let clerk = Some(tokens[0].as_str());
    let j = "510104TD200001";
    // j2 is illegal, transferred to the police and awaiting feedback, and has a case.
    let j2 = "510104TD200002";
    let j3 = "510104TD200003";
    let patch = format!("/api/patches/2020/2020Q1/{j}");
    let answer_uri = format!("{patch}/answer");
    let mut transferred = illegal();
    transferred["YJ"] = json!({ "JSDW": "成都市公安局锦江区分局", "YJRQ": "2020-04-10", "YJWH": "锦自然资移〔2020〕1号" });
    let (s, v) = api
        .call(
            "PUT",
            &format!("/api/patches/2020/2020Q1/{j2}/answer"),
            clerk,
            Some(json!({ "answer": transferred })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, att) = api
        .upload(&format!("{patch}/attachments?name=a.jpg"), clerk, photo(1))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{att}");
    let sha = att["sha256"].as_str().unwrap().to_string();
    // j3 has a photo: a bulk row for it can be complete.
    let (s, _) = api
        .upload(
            &format!("/api/patches/2020/2020Q1/{j3}/attachments?name=c.jpg"),
            clerk,
            weipian_demo::photo::jpeg_with_exif(104.0681, 30.6101, "2020:04:02 10:31:07", 0, 3),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, case) = api
        .call(
            "POST",
            "/api/cases",
            clerk,
            Some(json!({ "year": 2020, "batch": "2020Q1", "number": "锦违〔2020〕1号", "jcbhs": [j2] })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let case_id = case["id"].as_i64().unwrap();
    let case_uri = format!("/api/cases/{case_id}");
    let mut case_version = case["version"].as_i64().unwrap();

    for (i, ((name, role, region), token)) in logins.iter().zip(&tokens).enumerate() {
        let t = Some(token.as_str());
        let in_scope = Scope::parse(region)
            .unwrap()
            .contains(RegionCode::parse("510104").unwrap());
        let county = *role == Role::CountyFiller;
        let military = *role == Role::MilitaryOfficer;
        // Reads: in scope or not found. Writes: the county's; others in scope are told no.
        let read = if in_scope {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        let write = |ok: StatusCode| match (in_scope, county) {
            (false, _) => StatusCode::NOT_FOUND,
            (true, true) => ok,
            (true, false) => StatusCode::FORBIDDEN,
        };
        let code = |s: StatusCode| match s {
            StatusCode::NOT_FOUND => Some("not_found"),
            StatusCode::FORBIDDEN => Some("forbidden"),
            _ => None,
        };

        let (s, me) = api.call("GET", "/api/me", t, None).await;
        assert_eq!(
            (s, me["role"].as_str()),
            (StatusCode::OK, Some(role.code())),
            "{name}"
        );
        let (s, list) = api
            .call("GET", "/api/patches?year=2020&batch=2020Q1", t, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        let listed: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["JCBH"].as_str().unwrap())
            .collect();
        assert_eq!(listed.contains(&j), in_scope, "{name}: {listed:?}");

        // The answer.
        let (s, got) = api.call("GET", &answer_uri, t, None).await;
        assert_eq!((s, got["code"].as_str()), (read, code(read)), "{name}");
        let (s, put) = api
            .call("PUT", &answer_uri, t, Some(json!({ "answer": illegal() })))
            .await;
        let want = write(StatusCode::OK);
        assert_eq!(
            (s, put["code"].as_str()),
            (want, code(want)),
            "{name}: {put}"
        );
        if county && in_scope {
            assert_eq!(put["version"], 1);
        }

        // The detail and the history.
        let (s, d) = api.call("GET", &patch, t, None).await;
        assert_eq!((s, d["code"].as_str()), (read, code(read)), "{name}: {d}");
        if in_scope {
            assert_eq!(d["JCBH"], j);
            assert_eq!(d["attachments"][0]["sha256"], sha.as_str());
            assert!(d["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "HSX" && a["value"] == "2020-03-01"));
        }
        let (s, h) = api.call("GET", &format!("{patch}/history"), t, None).await;
        assert_eq!((s, h["code"].as_str()), (read, code(read)), "{name}: {h}");
        if in_scope {
            assert!(h
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["action"] == "attachment.add"));
        }

        // Evidence: list, upload, download.
        let (s, l) = api
            .call("GET", &format!("{patch}/attachments"), t, None)
            .await;
        assert_eq!((s, l["code"].as_str()), (read, code(read)), "{name}: {l}");
        let (s, up) = api
            .upload(&format!("{patch}/attachments?name=x.jpg"), t, photo(1))
            .await;
        let want = write(StatusCode::CREATED);
        assert_eq!((s, up["code"].as_str()), (want, code(want)), "{name}: {up}");
        let (s, _, bytes) = api
            .send("GET", &format!("{patch}/attachments/{sha}"), t, Vec::new())
            .await;
        assert_eq!(s, read, "{name}");
        assert_eq!(bytes == photo(1), in_scope, "{name}");

        // Cases: list, open, read, events (the county's, and the upper levels').
        let (s, cases) = api
            .call("GET", "/api/cases?year=2020&batch=2020Q1", t, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        let ids: Vec<i64> = cases
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.contains(&case_id), in_scope, "{name}: {cases}");
        let (s, opened) = api
            .call(
                "POST",
                "/api/cases",
                t,
                Some(json!({ "year": 2020, "batch": "2020Q1", "number": format!("锦违-{name}"), "jcbhs": [j2] })),
            )
            .await;
        let want = write(StatusCode::CREATED);
        assert_eq!(
            (s, opened["code"].as_str()),
            (want, code(want)),
            "{name}: {opened}"
        );
        let (s, c) = api.call("GET", &case_uri, t, None).await;
        assert_eq!((s, c["code"].as_str()), (read, code(read)), "{name}: {c}");
        if in_scope {
            assert_eq!(c["patches"], json!([format!("2020/2020Q1/{j2}")]));
        }
        let party = json!({ "event": { "event": "add_party", "kind": "person", "name": format!("当事人{i}") }, "based_on": case_version });
        let (s, ev) = api
            .call("POST", &format!("{case_uri}/events"), t, Some(party))
            .await;
        let want = write(StatusCode::OK);
        assert_eq!((s, ev["code"].as_str()), (want, code(want)), "{name}: {ev}");
        if s == StatusCode::OK {
            case_version = ev["version"].as_i64().unwrap();
        }
        let notice = json!({ "event": { "event": "public_notice" }, "based_on": case_version });
        let (s, ev) = api
            .call("POST", &format!("{case_uri}/events"), t, Some(notice))
            .await;
        let upper = matches!(role, Role::ProvinceReviewer | Role::Ministry);
        let want = match (in_scope, upper) {
            (false, _) => StatusCode::NOT_FOUND,
            (true, true) => StatusCode::OK,
            (true, false) => StatusCode::FORBIDDEN,
        };
        assert_eq!((s, ev["code"].as_str()), (want, code(want)), "{name}: {ev}");
        if s == StatusCode::OK {
            case_version = ev["version"].as_i64().unwrap();
        }

        // Transfers awaiting feedback: what is in scope.
        let (s, tr) = api
            .call("GET", "/api/transfers?year=2020&batch=2020Q1", t, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        assert_eq!(jcbhs(&tr).contains(&j2), in_scope, "{name}: {tr}");

        // The military register: only its role, in its scope. An empty record
        // is refused after the permission check, so nothing is filed here.
        let (s, m) = api
            .call("POST", &format!("{patch}/military"), t, Some(json!({})))
            .await;
        let want = match (in_scope, military) {
            (false, _) => StatusCode::NOT_FOUND,
            (true, true) => StatusCode::UNPROCESSABLE_ENTITY,
            (true, false) => StatusCode::FORBIDDEN,
        };
        assert_eq!(s, want, "{name}: {m}");
        let want = if military {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        let (s, reg) = api
            .call("GET", "/api/military?year=2020&batch=2020Q1", t, None)
            .await;
        assert_eq!(
            (s, reg["code"].as_str()),
            (want, code(want)),
            "{name}: {reg}"
        );
        let (s, headers, bytes) = api
            .send(
                "GET",
                "/api/military/export?year=2020&batch=2020Q1",
                t,
                Vec::new(),
            )
            .await;
        assert_eq!(s, want, "{name}");
        if military {
            assert_eq!(headers["content-type"], XLSX);
            assert!(bytes.starts_with(b"PK"), "{name}");
        }

        // Bulk answers: a row per role with its own area. The county's is
        // applied; anyone else's is rejected in the report, with the reason.
        let mu = 0.15 + 0.01 * i as f64;
        let (s, report) = api
            .upload(
                "/api/answers/import?year=2020&batch=2020Q1&format=csv",
                t,
                bulk_csv(&[(j3, mu)]),
            )
            .await;
        if !county {
            // Only fillers upload answers: refused before the file is read.
            assert_eq!(
                (s, report["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("forbidden")),
                "{name}: {report}"
            );
        } else if in_scope {
            assert_eq!(s, StatusCode::OK, "{name}: {report}");
            assert_eq!(report["applied"], json!([j3]), "{name}: {report}");
        } else {
            // Another county's row: rejected as not found, in the report.
            assert_eq!(s, StatusCode::OK, "{name}: {report}");
            let reason = report["rejected"][0]["reasons"][0]
                .as_str()
                .unwrap_or_default();
            assert!(reason.contains("未找到"), "{name}: {report}");
        }
        let (s, headers, bytes) = api
            .send(
                "GET",
                "/api/answers/export?year=2020&batch=2020Q1",
                t,
                Vec::new(),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        assert_eq!(headers["content-type"], XLSX);
        assert!(bytes.starts_with(b"PK"), "{name}");

        // 地块: j3 split in two (its answer from the bulk row given up),
        // read, a part answered, an undo refused while that answer stands.
        let p3 = format!("/api/patches/2020/2020Q1/{j3}");
        let (s, _, b) = api
            .send(
                "PUT",
                &format!("{p3}/parcels?discard_answers=true&name=split.geojson"),
                t,
                geojson_bytes(&halves(104.068)),
            )
            .await;
        let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
        let want = write(StatusCode::OK);
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");
        let (s, v) = api.call("GET", &format!("{p3}/parcels"), t, None).await;
        assert_eq!((s, v["code"].as_str()), (read, code(read)), "{name}: {v}");
        if in_scope {
            assert_eq!(v["parcels"].as_array().unwrap().len(), 2, "{name}: {v}");
        }
        let part = format!("{p3}/parcels/1/answer");
        let (s, v) = api.call("GET", &part, t, None).await;
        assert_eq!((s, v["code"].as_str()), (read, code(read)), "{name}: {v}");
        let mut small = illegal();
        small["WFMJ"] = json!(1.0);
        small["WFGDMJ"] = json!(0.5);
        small["XZJSYDMJ"] = json!(1.0);
        small["XZJSZYGDMJ"] = json!(0.5);
        let (s, v) = api
            .call("PUT", &part, t, Some(json!({ "answer": small })))
            .await;
        let want = write(StatusCode::OK);
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");
        if s == StatusCode::OK {
            assert_eq!(
                (v["parcel"].as_u64(), v["version"].as_u64()),
                (Some(1), Some(1))
            );
        }
        let (s, v) = api.call("DELETE", &format!("{p3}/parcels"), t, None).await;
        let want = write(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(s, want, "{name}: {v}");

        // The case's illegal-land range: around j2.
        let range = geojson_bytes(&[geo_types::MultiPolygon(vec![rect(
            104.0637, 30.6097, 104.0643, 30.6103,
        )])]);
        let (s, _, b) = api
            .send(
                "PUT",
                &format!("{case_uri}/range?name=范围.geojson"),
                t,
                range,
            )
            .await;
        let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
        let want = write(StatusCode::OK);
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");
        let (s, v) = api.call("GET", &format!("{case_uri}/range"), t, None).await;
        assert_eq!((s, v["code"].as_str()), (read, code(read)), "{name}: {v}");
        if in_scope {
            assert_eq!(v["source"], "范围.geojson", "{name}: {v}");
        }

        // The review chain: j's place, submitting it (the county's), the
        // queue, passing everything submitted (reviewers').
        let (s, v) = api.call("GET", &format!("{patch}/review"), t, None).await;
        assert_eq!((s, v["code"].as_str()), (read, code(read)), "{name}: {v}");
        let (s, v) = api
            .call(
                "POST",
                "/api/reviews",
                t,
                Some(json!({ "year": 2020, "batch": "2020Q1", "jcbhs": [j], "action": { "action": "submit" } })),
            )
            .await;
        let want = write(StatusCode::OK);
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");
        if s == StatusCode::OK {
            assert_eq!(v["done"][0]["state"], "city", "{name}: {v}");
        }
        let (s, _) = api
            .call("GET", "/api/reviews/queue?year=2020&batch=2020Q1", t, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        let (s, v) = api
            .call(
                "POST",
                "/api/reviews/pass-all",
                t,
                Some(json!({ "year": 2020, "batch": "2020Q1" })),
            )
            .await;
        let reviewer = matches!(role, Role::CityReviewer | Role::ProvinceReviewer);
        let want = if reviewer {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");
        let passed = v["done"].as_array().map_or(0, Vec::len);
        assert_eq!(
            passed,
            usize::from(*role == Role::CityReviewer && in_scope),
            "{name}: {v}"
        );

        // 省级直接修改: only a province reviewer, in its province.
        let (s, v) = api
            .call(
                "PUT",
                &format!("/api/patches/2020/2020Q1/{j2}/override"),
                t,
                Some(json!({ "answer": transferred, "reason": "外业核查结果" })),
            )
            .await;
        let want = match (in_scope, *role == Role::ProvinceReviewer) {
            (false, _) => StatusCode::NOT_FOUND,
            (true, true) => StatusCode::OK,
            (true, false) => StatusCode::FORBIDDEN,
        };
        // A stale base version (none given) is a conflict, once permitted.
        let want = if want == StatusCode::OK {
            StatusCode::CONFLICT
        } else {
            want
        };
        assert_eq!(s, want, "{name}: {v}");

        // The schedule and what awaits: everyone, scoped.
        let (s, v) = api.call("GET", "/api/schedule?year=2020", t, None).await;
        assert_eq!(s, StatusCode::OK, "{name}: {v}");
        let counted: usize = v
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["deadline"] == "2020Q1-report")
            .map(|i| i["total"].as_u64().unwrap() as usize)
            .sum();
        let visible = match (*role, in_scope) {
            (_, false) => usize::from(*region == "510105"),
            (Role::CountyFiller | Role::MilitaryOfficer, true) => 3,
            _ => 4,
        };
        assert_eq!(counted, visible, "{name}: {v}");
        let (s, _) = api
            .call("GET", "/api/me/awaiting?year=2020&batch=2020Q1", t, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        // Extensions: the level the deadline is for asks (the province here).
        let (s, v) = api
            .call(
                "POST",
                "/api/extensions",
                t,
                Some(
                    json!({ "year": 2020, "deadline": "2020Y-report", "reason": format!("原因{i}"),
                             "measures": "措施", "new_due": "2021-03-31" }),
                ),
            )
            .await;
        // (Any province may ask for its own region, in scope or not.)
        let want = if *role == Role::ProvinceReviewer {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");

        // 外业核查: reviewers assign; everyone who reads j sees the checks.
        let (s, v) = api
            .call("GET", &format!("{patch}/field-checks"), t, None)
            .await;
        assert_eq!((s, v["code"].as_str()), (read, code(read)), "{name}: {v}");
        let (s, v) = api
            .call(
                "POST",
                "/api/field-checks",
                t,
                Some(json!({ "year": 2020, "batch": "2020Q1", "jcbhs": [format!("510104TD20000{}", 1 + i % 3)] })),
            )
            .await;
        let assigns = matches!(role, Role::CityReviewer | Role::ProvinceReviewer);
        let want = match (assigns, in_scope) {
            (false, _) => StatusCode::FORBIDDEN,
            (true, true) => StatusCode::CREATED,
            (true, false) => StatusCode::NOT_FOUND,
        };
        // (A second open check of the same patch is refused as invalid.)
        assert!(
            s == want || (want == StatusCode::CREATED && s == StatusCode::UNPROCESSABLE_ENTITY),
            "{name}: {s} {v}"
        );

        // Statistics: everyone, counting only what they may read.
        let (s, v) = api
            .call(
                "GET",
                "/api/stats?year=2020&batch=2020Q1&level=province",
                t,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{name}: {v}");
        let issued: u64 = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["issued"]["count"].as_u64().unwrap())
            .sum();
        assert_eq!(issued as usize, visible, "{name}: {v}");
        let (s, v) = api
            .call(
                "GET",
                "/api/stats/cases?year=2020&batch=2020Q1&level=city",
                t,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{name}: {v}");
        let found: u64 = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["found"]["count"].as_u64().unwrap())
            .sum();
        assert_eq!(found > 0, in_scope && *region != "510105", "{name}: {v}");

        // 季度快报: for a region within one's own; out of it, refused.
        let (s, v) = api
            .call(
                "GET",
                "/api/reports/quick?year=2020&quarter=1&region=510104&current=true&explain=true",
                t,
                None,
            )
            .await;
        let want = if in_scope {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(s, want, "{name}: {v}");
        if s == StatusCode::OK {
            let issued = v["doc"]["blanks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["expr"] == "all.issued")
                .unwrap();
            // The three patches of 锦江区, whoever asks.
            assert_eq!(issued["text"], "3", "{name}: {issued}");
            assert_eq!(issued["items"].as_array().unwrap().len(), 3, "{name}");
            let (s, h, docx) = api
                .send(
                    "GET",
                    "/api/reports/quick?year=2020&quarter=1&region=510104&format=docx",
                    t,
                    Vec::new(),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{name}");
            assert!(h["content-type"]
                .to_str()
                .unwrap()
                .contains("wordprocessingml"));
            assert_eq!(&docx[..2], b"PK", "{name}: a zip package");
            let (s, _, book) = api
                .send(
                    "GET",
                    "/api/reports/results?year=2020&period=annual&region=510104&format=xlsx&current=true",
                    t,
                    Vec::new(),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{name}");
            assert_eq!(&book[..2], b"PK", "{name}");
        }

        // 问责: everyone, within their region; the documents download.
        let (s, v) = api
            .call("GET", "/api/accountability?year=2020&current=true", t, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{name}: {v}");
        let scope = Scope::parse(region).unwrap();
        for c in v["counties"].as_array().unwrap() {
            let code = RegionCode::parse(c["region"].as_str().unwrap()).unwrap();
            assert!(scope.contains(code), "{name} sees {code}");
        }
        let (s, h, _) = api
            .send(
                "GET",
                "/api/accountability/proposal?year=2020&current=true",
                t,
                Vec::new(),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{name}");
        assert!(h["content-type"]
            .to_str()
            .unwrap()
            .contains("wordprocessingml"));

        // Signals and the blacklist: everyone, within their region.
        for uri in [
            "/api/accountability/signals?year=2020",
            "/api/blacklist?year=2020&q=x",
        ] {
            let (s, v) = api.call("GET", uri, t, None).await;
            assert_eq!(s, StatusCode::OK, "{name} {uri}: {v}");
            assert!(v.is_array(), "{name}: {v}");
        }

        // 审批前核查: everyone may ask; violations outside one's region are counted, not named.
        let (s, v) = api
            .call("GET", "/api/gate?code=510104TD200001", t, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{name}: {v}");
        if !in_scope {
            assert!(v["hits"].as_array().unwrap().is_empty(), "{name}: {v}");
        }
        let square = br#"{"type":"Polygon","coordinates":[[[104.0595,30.6095],[104.0605,30.6095],[104.0605,30.6105],[104.0595,30.6105],[104.0595,30.6095]]]}"#;
        let (s, v) = api
            .upload("/api/gate?name=a.geojson", t, square.to_vec())
            .await;
        assert_eq!(s, StatusCode::OK, "{name}: {v}");
        assert_eq!(v["shapes"], 1, "{name}: {v}");
        let (s, _) = api.upload("/api/gate?name=a.exe", t, square.to_vec()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name}");

        // 抽查: reviewers and the Ministry draw within their region.
        let (s, v) = api
            .call(
                "POST",
                "/api/samples",
                t,
                Some(json!({ "year": 2020, "batch": "2020Q1", "region": "510104", "seed": 1 })),
            )
            .await;
        let samples = matches!(
            role,
            Role::CityReviewer | Role::ProvinceReviewer | Role::Ministry
        );
        let want = match (samples, in_scope) {
            (false, _) => StatusCode::FORBIDDEN,
            (true, true) => StatusCode::CREATED,
            (true, false) => StatusCode::NOT_FOUND,
        };
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");
        if s == StatusCode::CREATED {
            let (s, _) = api
                .call("GET", &format!("/api/samples/{}", v["id"]), t, None)
                .await;
            assert_eq!(s, StatusCode::OK, "{name}");
            // No other county's clerk sees it.
            let (s, _) = api
                .call(
                    "GET",
                    &format!("/api/samples/{}", v["id"]),
                    Some(&tokens[1]),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{name}");
        }

        // Desk review: the flags of j (read), running the rules (reviewers
        // and the technical-support unit only).
        let (s, v) = api.call("GET", &format!("{patch}/flags"), t, None).await;
        assert_eq!((s, v["code"].as_str()), (read, code(read)), "{name}: {v}");
        let (s, v) = api
            .call(
                "POST",
                "/api/desk/run",
                t,
                Some(json!({ "year": 2020, "batch": "2020Q1", "jcbhs": [j] })),
            )
            .await;
        let runs = matches!(
            role,
            Role::CityReviewer | Role::ProvinceReviewer | Role::DeskReviewer
        );
        let want = match (runs, in_scope) {
            (false, _) => StatusCode::FORBIDDEN,
            (true, true) => StatusCode::OK,
            (true, false) => StatusCode::NOT_FOUND,
        };
        assert_eq!((s, v["code"].as_str()), (want, code(want)), "{name}: {v}");
    }
    // The answer as everyone in scope now sees it.
    let (_, got) = api.call("GET", &answer_uri, Some(&tokens[2]), None).await;
    assert_eq!(got["version"], 1);
    assert_eq!(got["answer"]["WFMJ"], 10.0);
    assert_eq!(
        (&got["complete"], &got["errors"]),
        (&json!(true), &json!([]))
    ); // with its photo
       // One attachment however often the same bytes came; one party; a public notice.
    let (_, l) = api
        .call("GET", &format!("{patch}/attachments"), clerk, None)
        .await;
    assert_eq!(l.as_array().unwrap().len(), 1);
    let (_, c) = api.call("GET", &case_uri, clerk, None).await;
    assert_eq!(c["case"]["parties"].as_array().unwrap().len(), 1);
    assert_eq!(c["case"]["public_notice"], true);
    assert_eq!(c["version"], case_version);
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
    // Every route asks for a valid token (bodies well formed, so that is all that is missing).
    let p = "/api/patches/2020/2020Q1/510104TD200001";
    let b = "year=2020&batch=2020Q1";
    let record = json!({ "DWMC": "某部", "YT": "营区", "TBR": "张三", "TBRQ": "2020-04-20" });
    let open = json!({ "year": 2020, "batch": "2020Q1", "number": "1", "jcbhs": [] });
    let event = json!({ "event": { "event": "public_notice" }, "based_on": 1 });
    for (method, uri, body) in [
        ("GET", p.to_string(), None),
        ("GET", format!("{p}/history"), None),
        ("GET", format!("{p}/attachments"), None),
        ("GET", format!("{p}/attachments/{}", "0".repeat(64)), None),
        ("POST", format!("{p}/military"), Some(record)),
        ("GET", format!("/api/cases?{b}"), None),
        ("POST", "/api/cases".to_string(), Some(open)),
        ("GET", "/api/cases/1".to_string(), None),
        ("POST", "/api/cases/1/events".to_string(), Some(event)),
        ("GET", format!("/api/transfers?{b}"), None),
        ("GET", format!("/api/military?{b}"), None),
        ("GET", format!("/api/military/export?{b}"), None),
        ("GET", format!("/api/answers/export?{b}"), None),
    ] {
        for token in [None, Some("wp_forged")] {
            let (s, v) = api.call(method, &uri, token, body.clone()).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("unauthorized")),
                "{method} {uri}"
            );
        }
    }
    for uri in [
        format!("{p}/attachments?name=a.jpg"),
        format!("/api/answers/import?{b}&format=csv"),
    ] {
        let (s, v) = api.upload(&uri, None, photo(1)).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{uri}"
        );
    }
    // Without a token nothing is parsed: a malformed body or query is still 401.
    for (method, uri, body) in [
        ("PUT", format!("{p}/answer"), Some(json!({ "answer": 5 }))),
        ("GET", "/api/patches?year=x".to_string(), None),
        ("GET", "/api/cases/abc".to_string(), None),
    ] {
        let (s, v) = api.call(method, &uri, None, body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{method} {uri}"
        );
    }
    // A declared length over the limit is refused before the body is read.
    let req = Request::builder()
        .method("POST")
        .uri(format!("{p}/attachments?name=a.jpg"))
        .header("authorization", format!("Bearer {}", tokens[0]))
        .header("content-length", (1u64 << 40).to_string())
        .body(Body::from(photo(1)))
        .unwrap();
    let res = api.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
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
    // The work state of every row.
    let row = &v["items"][0];
    assert_eq!(
        (
            &row["status"],
            &row["status_name"],
            &row["review_state"],
            &row["review_state_name"]
        ),
        (
            &json!("unanswered"),
            &json!("未填报"),
            &json!("county"),
            &json!("县级填报中")
        )
    );
    assert_eq!(
        (
            &row["returned"],
            &row["open_flags"],
            &row["answer_complete"]
        ),
        (&json!(false), &json!(0), &json!(false))
    );
    assert!(row["updated_at"].is_null());
}

/// The JCBHs of a page of `/api/patches`.
fn items(v: &Value) -> Vec<&str> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["JCBH"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn lists_filter_sort_and_refuse_bad_parameters() {
    let (api, tokens) = api(&[
        ("prov", Role::ProvinceReviewer, "510000"),
        ("clerk", Role::CountyFiller, "510104"),
    ]);
    let (prov, clerk) = (Some(tokens[0].as_str()), Some(tokens[1].as_str()));
    let list = |query: &str| format!("/api/patches?year=2020&batch=2020Q1&{query}");
    // An answer saved (incomplete: no evidence) makes a draft.
    let uri = "/api/patches/2020/2020Q1/510104TD200002/answer";
    let (s, v) = api
        .call("PUT", uri, clerk, Some(json!({ "answer": illegal() })))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api.call("GET", &list("status=draft"), prov, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(items(&v), vec!["510104TD200002"]);
    assert_eq!(v["items"][0]["status_name"], "填报中");
    assert_eq!(v["items"][0]["PDLX"], "WF");
    assert!(v["items"][0]["updated_at"].as_str().unwrap().ends_with('Z'));
    let (_, v) = api
        .call(
            "GET",
            &list("status=unanswered,draft&pdlx=WF&jtqx=WF01"),
            prov,
            None,
        )
        .await;
    assert_eq!(items(&v), vec!["510104TD200002"]);
    let (_, v) = api
        .call("GET", &list("status=unanswered"), prov, None)
        .await;
    assert_eq!(v["total"], 3);
    let (_, v) = api
        .call(
            "GET",
            &list("flag=none&q=td2000&sort=jcbh&dir=desc"),
            prov,
            None,
        )
        .await;
    assert_eq!(
        items(&v),
        vec![
            "510105TD200001",
            "510104TD200003",
            "510104TD200002",
            "510104TD200001"
        ]
    );
    let (_, v) = api.call("GET", &list("flag=open"), prov, None).await;
    assert_eq!(v["total"], 0);
    // Areas: every patch of the fixture has its own, in m².
    let (_, all) = api
        .call("GET", &list("sort=area&dir=desc"), prov, None)
        .await;
    let areas: Vec<f64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["area_m2"].as_f64().unwrap())
        .collect();
    assert!(areas.windows(2).all(|w| w[0] >= w[1]), "{areas:?}");
    let (_, v) = api
        .call(
            "GET",
            &list(&format!("min_area={}&max_area={}", areas[1], areas[1])),
            prov,
            None,
        )
        .await;
    // Inclusive bounds: exactly the patches of that area (the fixture's
    // patches share a shape, so several may).
    let same: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["area_m2"].as_f64() == Some(areas[1]))
        .map(|r| r["JCBH"].as_str().unwrap())
        .collect();
    let mut got = items(&v);
    got.sort_unstable();
    let mut want = same.clone();
    want.sort_unstable();
    assert_eq!(got, want);
    let (_, v) = api
        .call(
            "GET",
            &list(&format!("min_area={}", areas[0] * 1.000_001)),
            prov,
            None,
        )
        .await;
    assert_eq!(v["total"], 0);
    let (_, v) = api
        .call("GET", &list("sort=updated&dir=desc&per_page=1"), prov, None)
        .await;
    assert_eq!(
        (v["total"].as_u64(), v["per_page"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(v["items"][0]["JCBH"], "510104TD200002");
    // Another county asked for by a county user: an empty page.
    let (s, v) = api.call("GET", &list("region=510105"), clerk, None).await;
    assert_eq!((s, v["total"].as_u64()), (StatusCode::OK, Some(0)));
    // Values that do not parse: 422 `invalid`, naming the parameter.
    for (query, says) in [
        ("status=xyz", "status “xyz” 不是有效的状态"),
        ("sort=size", "sort “size” 不是有效的排序"),
        ("dir=up", "dir “up”"),
        ("flag=maybe", "flag “maybe”"),
        ("pdlx=XX", "pdlx “XX”"),
        ("min_area=abc", "min_area “abc” 不是数字"),
        ("min_area=5&max_area=1", "大于 max_area"),
    ] {
        let (s, v) = api.call("GET", &list(query), prov, None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
            "{query}: {v}"
        );
        assert!(
            v["message"].as_str().unwrap().contains(says),
            "{query}: {v}"
        );
    }
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
        &weipian_domain::access::Actor::local_admin(),
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
        &weipian_domain::access::Actor::local_admin(),
        "gd",
        &gd_path,
        weipian_formats::TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
    analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &AnalyzeRequest {
            batch: batch(),
            force: false,
        },
        &NoProgress,
    )
    .unwrap();
    let area = e
        .store
        .patch(&batch(), "510104TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    let (api, tokens) = api_on(
        e,
        weipian_server::config::Config::default(),
        &[("prov", Role::ProvinceReviewer, "510000")],
    );
    let token = tokens[0].clone();
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
    let paths = [
        ("/api/me", vec!["get"]),
        ("/api/patches", vec!["get"]),
        ("/api/patches/{year}/{batch}/{jcbh}", vec!["get"]),
        (
            "/api/patches/{year}/{batch}/{jcbh}/answer",
            vec!["get", "put"],
        ),
        ("/api/patches/{year}/{batch}/{jcbh}/history", vec!["get"]),
        (
            "/api/patches/{year}/{batch}/{jcbh}/attachments",
            vec!["get", "post"],
        ),
        (
            "/api/patches/{year}/{batch}/{jcbh}/attachments/{sha256}",
            vec!["get"],
        ),
        ("/api/patches/{year}/{batch}/{jcbh}/military", vec!["post"]),
        ("/api/cases", vec!["get", "post"]),
        ("/api/cases/{id}", vec!["get"]),
        ("/api/cases/{id}/events", vec!["post"]),
        ("/api/cases/{id}/range", vec!["get", "put"]),
        ("/api/patches/{year}/{batch}/{jcbh}/review", vec!["get"]),
        ("/api/reviews", vec!["post"]),
        ("/api/reviews/queue", vec!["get"]),
        ("/api/reviews/pass-all", vec!["post"]),
        ("/api/patches/{year}/{batch}/{jcbh}/flags", vec!["get"]),
        ("/api/desk/rules", vec!["get"]),
        ("/api/stats", vec!["get"]),
        ("/api/stats/cases", vec!["get"]),
        ("/api/reports/quick", vec!["get"]),
        ("/api/reports/results", vec!["get"]),
        ("/api/accountability", vec!["get"]),
        ("/api/gate", vec!["get", "post"]),
        ("/api/data", vec!["get"]),
        ("/api/data/import", vec!["post"]),
        ("/api/data/analysis", vec!["get", "post"]),
        ("/api/data/export", vec!["get"]),
        ("/api/jobs", vec!["get"]),
        ("/api/jobs/{id}", vec!["get"]),
        ("/api/map/patches", vec!["get"]),
        ("/api/map/layers/{kind}", vec!["get"]),
        ("/api/patches/{year}/{batch}/{jcbh}/geometry", vec!["get"]),
        ("/api/accountability/signals", vec!["get"]),
        ("/api/blacklist", vec!["get"]),
        ("/api/accountability/{document}", vec!["get"]),
        (
            "/api/patches/{year}/{batch}/{jcbh}/field-checks",
            vec!["get"],
        ),
        ("/api/field-checks", vec!["post"]),
        ("/api/field-checks/{id}/result", vec!["post"]),
        ("/api/field-checks/{id}/photos", vec!["post"]),
        ("/api/schedule", vec!["get"]),
        ("/api/snapshots/{id}", vec!["get"]),
        ("/api/extensions", vec!["get", "post"]),
        ("/api/extensions/{id}/decision", vec!["post"]),
        ("/api/me/awaiting", vec!["get"]),
        ("/api/samples", vec!["post"]),
        ("/api/samples/{id}", vec!["get"]),
        ("/api/samples/{id}/cross", vec!["post"]),
        ("/api/samples/{id}/results", vec!["post"]),
        ("/api/patches/{year}/{batch}/{jcbh}/override", vec!["put"]),
        ("/api/desk/run", vec!["post"]),
        ("/api/flags/{id}/reply", vec!["post"]),
        ("/api/flags/{id}/decision", vec!["post"]),
        ("/api/flags/decisions", vec!["post"]),
        (
            "/api/patches/{year}/{batch}/{jcbh}/parcels",
            vec!["get", "put", "delete"],
        ),
        (
            "/api/patches/{year}/{batch}/{jcbh}/parcels/{no}/answer",
            vec!["get", "put"],
        ),
        ("/api/transfers", vec!["get"]),
        ("/api/military", vec!["get"]),
        ("/api/military/export", vec!["get"]),
        ("/api/answers/import", vec!["post"]),
        ("/api/answers/export", vec!["get"]),
        ("/api/openapi.json", vec!["get"]),
        ("/api/session", vec!["get", "post", "delete"]),
        ("/api/batches", vec!["get"]),
        ("/api/regions", vec!["get"]),
        (
            "/api/patches/{year}/{batch}/{jcbh}/parcels/cut",
            vec!["put"],
        ),
        ("/api/platform", vec!["get"]),
        ("/api/determination/{year}", vec!["get"]),
        ("/api/users", vec!["get", "post"]),
        ("/api/users/{name}", vec!["put"]),
        ("/api/me/password", vec!["post"]),
    ];
    let documented = v["paths"].as_object().unwrap();
    assert_eq!(documented.len(), paths.len());
    for (p, methods) in paths {
        for m in methods {
            let op = &v["paths"][p][m];
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {p}"
            );
            // Every path parameter of the template is declared.
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|x| x["in"] == "path")
                        .map(|x| x["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let in_template = p.matches('{').count();
            assert_eq!(declared.len(), in_template, "{m} {p}");
            if m == "post" || m == "put" {
                assert!(op["requestBody"].is_object(), "{m} {p}");
            }
        }
    }
}

#[tokio::test]
async fn a_photo_comes_back_byte_identical_and_only_where_it_is_attached() {
    let (api, tokens) = api(&[
        ("clerk", Role::CountyFiller, "510104"),
        ("other", Role::CountyFiller, "510105"),
    ]);
    let t = Some(tokens[0].as_str());
    let uri = "/api/patches/2020/2020Q1/510104TD200001/attachments";
    let jpeg = photo(7);
    let (s, v) = api
        .upload(
            &format!("{uri}?name=%E7%8E%B0%E5%9C%BA%201.jpg"),
            t,
            jpeg.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["file_name"].as_str(), v["media_type"].as_str()),
        (Some("现场 1.jpg"), Some("image/jpeg"))
    );
    assert_eq!(v["taken_at"], "2020-04-02 10:31:07");
    assert!(v["flags"].as_array().unwrap().is_empty(), "{v}");
    let sha = v["sha256"].as_str().unwrap();
    let (s, h, bytes) = api
        .send("GET", &format!("{uri}/{sha}"), t, Vec::new())
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(bytes == jpeg, "not byte-identical");
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%201.jpg"
    );
    // A PDF is served as one; an upper-case sha finds the same file.
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let (s, v) = api
        .upload(&format!("{uri}?name=r.pdf"), t, pdf.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let pdf_sha = v["sha256"].as_str().unwrap().to_ascii_uppercase();
    let (s, h, bytes) = api
        .send("GET", &format!("{uri}/{pdf_sha}"), t, Vec::new())
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "application/pdf")
    );
    assert_eq!(bytes, pdf);
    // Not an image or a PDF, whatever its name says.
    let (s, v) = api
        .upload(
            &format!("{uri}?name=x.jpg"),
            t,
            b"<html><script>alert(1)</script></html>".to_vec(),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    assert!(v["message"].as_str().unwrap().contains("不是 JPEG"), "{v}");
    // Over the limit: told by the service just above it, cut off by the server far above.
    let max = weipian_service::evidence::MAX_ATTACHMENT_BYTES;
    let mut big = photo(8);
    big.resize(max + 1, 0);
    let (s, v) = api.upload(uri, t, big).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("超过 20 MB"), "{v}");
    let mut huge = photo(9);
    huge.resize(max + (1 << 20), 0);
    let (s, v) = api.upload(uri, t, huge).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")),
        "{v}"
    );
    // A file of another patch is not found through this one, even in scope.
    let (s, v) = api
        .upload(
            "/api/patches/2020/2020Q1/510104TD200002/attachments?name=b.jpg",
            t,
            photo(10),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let other = v["sha256"].as_str().unwrap();
    let (s, _, _) = api
        .send("GET", &format!("{uri}/{other}"), t, Vec::new())
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = api
        .send("GET", &format!("{uri}/not-a-sha"), t, Vec::new())
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nor through a patch outside the caller's county, for the right sha.
    let (s, _, bytes) = api
        .send("GET", &format!("{uri}/{sha}"), Some(&tokens[1]), Vec::new())
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!bytes.windows(4).any(|w| w == &jpeg[..4]));
    // Nothing without a token.
    let (s, _, _) = api
        .send("GET", &format!("{uri}/{sha}"), None, Vec::new())
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_case_is_opened_moved_on_and_a_stale_version_is_refused() {
    let (api, tokens) = api(&[("clerk", Role::CountyFiller, "510104")]);
    let t = Some(tokens[0].as_str());
    let j = "510104TD200001";
    api.call(
        "PUT",
        &format!("/api/patches/2020/2020Q1/{j}/answer"),
        t,
        Some(json!({ "answer": illegal() })),
    )
    .await;
    let open =
        json!({ "year": 2020, "batch": "2020Q1", "number": "锦违〔2020〕1号", "jcbhs": [j] });
    let (s, c) = api.call("POST", "/api/cases", t, Some(open.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(
        (c["version"].as_i64(), c["stage"].as_str()),
        (Some(1), Some("未立案"))
    );
    let id = c["id"].as_i64().unwrap();
    // The same number again in the county: refused as invalid, not a server error.
    let (s, v) = api.call("POST", "/api/cases", t, Some(open)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("已存在"));
    // Only illegal patches.
    let (s, v) = api
        .call(
            "POST",
            "/api/cases",
            t,
            Some(json!({ "year": 2020, "batch": "2020Q1", "number": "2", "jcbhs": ["510104TD200002"] })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["message"].as_str().unwrap().contains("未判定为违法"),
        "{v}"
    );
    let events = format!("/api/cases/{id}/events");
    let file =
        json!({ "event": "file", "date": "2020-04-01", "document": "锦自然资立〔2020〕5号" });
    let (s, v) = api
        .call(
            "POST",
            &events,
            t,
            Some(json!({ "event": file, "based_on": 1 })),
        )
        .await;
    assert_eq!(
        (s, v["version"].as_i64(), v["stage"].as_str()),
        (StatusCode::OK, Some(2), Some("已立案")),
        "{v}"
    );
    // Decided on version 1, which is no longer current.
    let close = json!({ "event": "close", "date": "2020-06-01" });
    let (s, v) = api
        .call(
            "POST",
            &events,
            t,
            Some(json!({ "event": close, "based_on": 1 })),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{v}"
    );
    assert_eq!(v["current_version"], 2);
    // Out of order (no decision yet): refused with the reason.
    let (s, v) = api
        .call(
            "POST",
            &events,
            t,
            Some(json!({ "event": close, "based_on": 2 })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Not an event at all.
    let (s, v) = api
        .call(
            "POST",
            &events,
            t,
            Some(json!({ "event": { "event": "burn" }, "based_on": 2 })),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    let (_, list) = api
        .call("GET", "/api/cases?year=2020&batch=2020Q1", t, None)
        .await;
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["version"], 2);
    let (_, d) = api
        .call("GET", &format!("/api/patches/2020/2020Q1/{j}"), t, None)
        .await;
    assert_eq!(d["cases"], json!([id]));
    // The patch's history carries its case.
    let (_, h) = api
        .call(
            "GET",
            &format!("/api/patches/2020/2020Q1/{j}/history"),
            t,
            None,
        )
        .await;
    let actions: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["answer.save", "case.open", "case.event"]);
    assert_eq!(h[2]["after"]["event"], "file");
    // Malformed ids and queries answer in JSON too.
    let (s, v) = api.call("GET", "/api/cases/abc", t, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, v) = api.call("GET", "/api/cases/999", t, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, v) = api.call("GET", "/api/cases?year=x", t, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
}

#[tokio::test]
async fn bulk_answers_through_the_api_apply_good_rows_report_bad_ones_and_are_idempotent() {
    let (api, tokens) = api(&[("clerk", Role::CountyFiller, "510104")]);
    let t = Some(tokens[0].as_str());
    let j = "510104TD200001";
    let (s, _) = api
        .upload(
            &format!("/api/patches/2020/2020Q1/{j}/attachments?name=a.jpg"),
            t,
            photo(1),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut csv = bulk_csv(&[(j, 0.15)]);
    csv.extend_from_slice("510104TD200002,违法,WF01,未批先建,厂房,abc,0.1,0,0.15,0.1\n".as_bytes());
    let uri = "/api/answers/import?year=2020&batch=2020Q1&format=csv";
    let (s, report) = api.upload(uri, t, csv.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], json!([j]));
    assert_eq!(report["rejected"][0]["row"], 3);
    assert_eq!(report["rejected"][0]["jcbh"], "510104TD200002");
    let reason = report["rejected"][0]["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("违法面积（亩）") && reason.contains("不是数字"),
        "{reason}"
    );
    let (_, a) = api
        .call(
            "GET",
            &format!("/api/patches/2020/2020Q1/{j}/answer"),
            t,
            None,
        )
        .await;
    assert_eq!(
        (a["version"].as_i64(), a["complete"].as_bool()),
        (Some(1), Some(true)),
        "{a}"
    );
    let wfmj = a["answer"]["WFMJ"].as_f64().unwrap();
    assert!((wfmj - 100.0).abs() < 1e-9, "{wfmj}"); // 0.15 亩
    let (_, rejected) = api
        .call(
            "GET",
            "/api/patches/2020/2020Q1/510104TD200002/answer",
            t,
            None,
        )
        .await;
    assert_eq!(rejected["version"], 0);
    // The same file again: nothing changes.
    let (s, again) = api.upload(uri, t, csv).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["applied"], json!([]));
    assert_eq!(again["unchanged"], json!([j]));
    let (_, a) = api
        .call(
            "GET",
            &format!("/api/patches/2020/2020Q1/{j}/answer"),
            t,
            None,
        )
        .await;
    assert_eq!(a["version"], 1);
    // The export (xlsx) imports back unchanged.
    let (s, h, xlsx) = api
        .send(
            "GET",
            "/api/answers/export?year=2020&batch=2020Q1&format=xlsx",
            t,
            Vec::new(),
        )
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, XLSX)
    );
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename*=UTF-8''"));
    let (s, round) = api
        .upload("/api/answers/import?year=2020&batch=2020Q1", t, xlsx)
        .await;
    assert_eq!(s, StatusCode::OK, "{round}");
    assert_eq!(
        (
            round["applied"].as_array().unwrap().len(),
            round["rejected"].as_array().unwrap().len()
        ),
        (0, 0),
        "{round}"
    );
    // Formats other than xlsx and csv, and files that are not tables, are refused.
    let (s, _) = api
        .upload(
            "/api/answers/import?year=2020&batch=2020Q1&format=pdf",
            t,
            b"x".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = api
        .upload(
            "/api/answers/import?year=2020&batch=2020Q1",
            t,
            b"not a zip".to_vec(),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    // The CSV export (UTF-8 with BOM) uploads back with nothing to change.
    let (s, headers, csv) = api
        .send(
            "GET",
            "/api/answers/export?year=2020&batch=2020Q1&format=csv",
            t,
            Vec::new(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    assert!(String::from_utf8_lossy(&csv).contains("监测编号"));
    let (s, v) = api
        .upload(
            "/api/answers/import?year=2020&batch=2020Q1&format=csv",
            t,
            csv,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["applied"], json!([]), "{v}");
    assert_eq!(v["rejected"], json!([]), "{v}");
}

#[tokio::test]
async fn a_filed_military_patch_leaves_every_ordinary_view_and_only_the_register_lists_it() {
    let (api, tokens) = api(&[
        ("clerk", Role::CountyFiller, "510104"),
        ("city", Role::CityReviewer, "510100"),
        ("officer", Role::MilitaryOfficer, "510104"),
        ("admin", Role::Admin, "000000"),
    ]);
    let j = "510104TD200002";
    let patch = format!("/api/patches/2020/2020Q1/{j}");
    let (s, _) = api
        .call(
            "PUT",
            &format!("{patch}/answer"),
            Some(&tokens[0]),
            Some(json!({ "answer": illegal() })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let record =
        json!({ "DWMC": "某部", "YT": "营区", "MJ": 5000.0, "TBR": "张三", "TBRQ": "2020-04-20" });
    let (s, v) = api
        .call(
            "POST",
            &format!("{patch}/military"),
            Some(&tokens[2]),
            Some(record.clone()),
        )
        .await;
    assert_eq!(
        (s, v["filed"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    // What each still sees of the batch: 3 + 1 patches less the filed one.
    for ((who, total), token) in [("clerk", 2), ("city", 3), ("officer", 2), ("admin", 3)]
        .iter()
        .zip(&tokens)
    {
        let t = Some(token.as_str());
        let (s, list) = api
            .call("GET", "/api/patches?year=2020&batch=2020Q1", t, None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let listed: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["JCBH"].as_str().unwrap())
            .collect();
        assert!(!listed.contains(&j), "{who}: {listed:?}");
        assert_eq!(list["total"], *total, "{who}");
        for sub in ["", "/answer", "/history", "/attachments"] {
            let (s, v) = api.call("GET", &format!("{patch}{sub}"), t, None).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{who} {sub}"
            );
        }
    }
    // Filing it again: the clerk learns nothing more than "not found".
    let (s, _) = api
        .call(
            "POST",
            &format!("{patch}/military"),
            Some(&tokens[0]),
            Some(record),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, reg) = api
        .call(
            "GET",
            "/api/military?year=2020&batch=2020Q1",
            Some(&tokens[2]),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(jcbhs(&reg), [j]);
    assert_eq!(reg[0]["record"]["DWMC"], "某部");
    let (s, v) = api
        .call(
            "GET",
            "/api/military?year=2020&batch=2020Q1",
            Some(&tokens[0]),
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (s, h, xlsx) = api
        .send(
            "GET",
            "/api/military/export?year=2020&batch=2020Q1",
            Some(&tokens[2]),
            Vec::new(),
        )
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, XLSX)
    );
    assert!(xlsx.starts_with(b"PK"));
}

#[tokio::test]
async fn the_history_lists_every_save_and_attachment_in_order() {
    let (api, tokens) = api(&[
        ("clerk", Role::CountyFiller, "510104"),
        ("other", Role::CountyFiller, "510105"),
    ]);
    let t = Some(tokens[0].as_str());
    let patch = "/api/patches/2020/2020Q1/510104TD200001";
    let (s, _) = api
        .call(
            "PUT",
            &format!("{patch}/answer"),
            t,
            Some(json!({ "answer": illegal() })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut second = illegal();
    second["WFMJ"] = json!(20.0);
    let (s, _) = api
        .call(
            "PUT",
            &format!("{patch}/answer"),
            t,
            Some(json!({ "answer": second, "based_on": 1, "reason": "复核面积" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    api.upload(&format!("{patch}/attachments?name=a.jpg"), t, photo(1))
        .await;
    // Another patch's records stay out.
    api.call(
        "PUT",
        "/api/patches/2020/2020Q1/510104TD200002/answer",
        t,
        Some(json!({ "answer": illegal() })),
    )
    .await;
    let (s, h) = api.call("GET", &format!("{patch}/history"), t, None).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    let actions: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["answer.save", "answer.save", "attachment.add"]);
    assert!(h[0]["before"].is_null());
    assert_eq!(h[0]["after"]["WFMJ"], 10.0);
    assert_eq!(
        (
            h[1]["before"]["WFMJ"].as_f64(),
            h[1]["after"]["WFMJ"].as_f64()
        ),
        (Some(10.0), Some(20.0))
    );
    assert_eq!(h[1]["reason"], "复核面积");
    assert_eq!(h[1]["actor"], "clerk");
    assert!(h[0]["seq"].as_i64() < h[1]["seq"].as_i64());
    assert_eq!(h[2]["after"]["file_name"], "a.jpg");
    let (s, v) = api
        .call("GET", &format!("{patch}/history"), Some(&tokens[1]), None)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn a_patch_goes_up_the_chain_is_returned_and_locked_while_up() {
    let (api, tokens) = api(&[
        ("clerk", Role::CountyFiller, "510104"),
        ("city", Role::CityReviewer, "510100"),
        ("prov", Role::ProvinceReviewer, "510000"),
    ]);
    let (clerk, city, prov) = (
        Some(tokens[0].as_str()),
        Some(tokens[1].as_str()),
        Some(tokens[2].as_str()),
    );
    let j = "510104TD200001";
    let patch = format!("/api/patches/2020/2020Q1/{j}");
    let step = |action: Value, based_on: Option<i64>| json!({ "year": 2020, "batch": "2020Q1", "jcbhs": [j], "action": action, "based_on": based_on });
    // Incomplete: refused with every missing piece.
    let (s, v) = api
        .call(
            "POST",
            "/api/reviews",
            clerk,
            Some(step(json!({ "action": "submit" }), None)),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("尚未填报"), "{v}");
    api.upload(&format!("{patch}/attachments?name=a.jpg"), clerk, photo(1))
        .await;
    let (s, _) = api
        .call(
            "PUT",
            &format!("{patch}/answer"),
            clerk,
            Some(json!({ "answer": illegal() })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = api
        .call(
            "POST",
            "/api/reviews",
            clerk,
            Some(step(json!({ "action": "submit" }), Some(0))),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Up: the answer is locked for the county.
    let (s, v) = api
        .call(
            "PUT",
            &format!("{patch}/answer"),
            clerk,
            Some(json!({ "answer": illegal(), "based_on": 1 })),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("已上报"), "{v}");
    // A stale step is a conflict; the city returns it on the right version.
    let (s, v) = api
        .call(
            "POST",
            "/api/reviews",
            city,
            Some(step(
                json!({ "action": "return", "reason": "面积有误" }),
                Some(0),
            )),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{v}"
    );
    let (s, v) = api
        .call(
            "POST",
            "/api/reviews",
            city,
            Some(step(
                json!({ "action": "return", "reason": "面积有误" }),
                Some(1),
            )),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The county sees it in its queue with the reason, fixes, resubmits.
    let (_, q) = api
        .call(
            "GET",
            "/api/reviews/queue?year=2020&batch=2020Q1",
            clerk,
            None,
        )
        .await;
    let item = q
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["jcbh"] == j)
        .unwrap()
        .clone();
    assert_eq!(item["last_return"]["reason"], "面积有误", "{q}");
    let mut fixed = illegal();
    fixed["WFMJ"] = json!(9.0);
    fixed["XZJSYDMJ"] = json!(9.0);
    let (s, v) = api
        .call(
            "PUT",
            &format!("{patch}/answer"),
            clerk,
            Some(json!({ "answer": fixed, "based_on": 1 })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for (who, action) in [
        (clerk, json!({ "action": "submit" })),
        (city, json!({ "action": "pass", "opinion": "同意" })),
        (city, json!({ "action": "submit_to_province" })),
        (prov, json!({ "action": "pass" })),
        (prov, json!({ "action": "report" })),
    ] {
        let (s, v) = api
            .call(
                "POST",
                "/api/reviews",
                who,
                Some(step(action.clone(), None)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{action}: {v}");
    }
    let (_, v) = api
        .call("GET", &format!("{patch}/review"), city, None)
        .await;
    assert_eq!(
        (v["state"].as_str(), v["city_returns"].as_u64()),
        (Some("reported"), Some(1)),
        "{v}"
    );
    assert_eq!(v["steps"].as_array().unwrap().len(), 7, "{v}");
    // Out of order: 422 with the reason.
    let (s, v) = api
        .call(
            "POST",
            "/api/reviews",
            prov,
            Some(step(json!({ "action": "report" }), None)),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );
}

#[tokio::test]
async fn a_field_check_result_with_its_surveyed_boundary_through_the_api() {
    let (api, tokens) = api(&[
        ("clerk", Role::CountyFiller, "510104"),
        ("prov", Role::ProvinceReviewer, "510000"),
        ("unit", Role::DeskReviewer, "510000"),
    ]);
    let (clerk, prov, unit) = (
        Some(tokens[0].as_str()),
        Some(tokens[1].as_str()),
        Some(tokens[2].as_str()),
    );
    let j = "510104TD200001";
    let (s, v) = api
        .call(
            "POST",
            "/api/field-checks",
            prov,
            Some(json!({ "year": 2020, "batch": "2020Q1", "jcbhs": [j] })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v[0]["id"].as_i64().unwrap();
    let boundary = json!({ "type": "Polygon", "coordinates": [[[104.0598, 30.6098], [104.0602, 30.6098], [104.0602, 30.6102], [104.0598, 30.6102], [104.0598, 30.6098]]] });
    let (s, v) = api
        .call(
            "POST",
            &format!("/api/field-checks/{id}/result"),
            clerk,
            Some(json!({ "findings": "x" })),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{v}"
    );
    let (s, v) = api
        .call(
            "POST",
            &format!("/api/field-checks/{id}/result"),
            unit,
            Some(json!({ "findings": "现场为新建厂房", "boundary": boundary })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let area = v["boundary_area_m2"].as_f64().unwrap();
    assert!((area - 1_600.0).abs() < 200.0, "{v}");
    let (s, v) = api
        .upload(
            &format!("/api/field-checks/{id}/photos?name=现场.jpg"),
            unit,
            photo(3),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = api
        .call(
            "GET",
            &format!("/api/patches/2020/2020Q1/{j}/field-checks"),
            clerk,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            v[0]["status"].as_str(),
            v[0]["photos"].as_array().map(Vec::len)
        ),
        (Some("done"), Some(1)),
        "{v}"
    );
    // A bad boundary is refused with the reason, nothing recorded.
    let (s, v) = api
        .call("POST", &format!("/api/field-checks/{id}/result"), unit, Some(json!({ "findings": "y", "boundary": { "type": "Point", "coordinates": [104.0, 30.0] } })))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

/// Browser sign-in: a session cookie that scripts cannot read, an
/// anti-CSRF token every change must carry, a limit on failed sign-ins,
/// sign-out, password change, and the security headers on every answer.
#[tokio::test]
async fn a_browser_signs_in_with_a_cookie_and_every_change_carries_its_csrf_token() {
    let (api, _) = api(&[("cd-county", Role::CountyFiller, "510104")]);
    let send =
        |method: &str, uri: &str, cookie: Option<&str>, csrf: Option<&str>, body: Option<Value>| {
            let mut req = Request::builder().method(method).uri(uri);
            if let Some(c) = cookie {
                req = req.header("cookie", format!("weipian_session={c}"));
            }
            if let Some(t) = csrf {
                req = req.header("x-csrf-token", t);
            }
            let req = match body {
                Some(b) => req
                    .header("content-type", "application/json")
                    .body(Body::from(b.to_string())),
                None => req.body(Body::empty()),
            }
            .unwrap();
            let app = api.app.clone();
            async move {
                let res = app.oneshot(req).await.unwrap();
                let (parts, body) = res.into_parts();
                let bytes = body.collect().await.unwrap().to_bytes();
                (
                    parts.status,
                    parts.headers,
                    serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
                )
            }
        };
    // Wrong password: 401, the same as an unknown name.
    let (s, h, v) = send(
        "POST",
        "/api/session",
        None,
        None,
        Some(json!({ "name": "cd-county", "password": "wrong" })),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "{v}"
    );
    // Security headers on every answer, errors included.
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert!(!h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("unsafe-inline"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let (s, _, _) = send(
        "POST",
        "/api/session",
        None,
        None,
        Some(json!({ "name": "nobody", "password": "x" })),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Signed in: the cookie is HttpOnly and SameSite=Strict; the body carries the CSRF token.
    let (s, h, v) = send(
        "POST",
        "/api/session",
        None,
        None,
        Some(json!({ "name": "cd-county", "password": "a-long-password" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let set = h["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    let cookie = set
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("weipian_session=")
        .unwrap()
        .to_string();
    assert!(
        !v.to_string().contains(&cookie),
        "the secret never appears in the body"
    );
    let csrf = v["csrf"].as_str().unwrap().to_string();
    assert_eq!(
        (v["user"].as_str(), v["role"].as_str()),
        (Some("cd-county"), Some("county"))
    );

    // Reads with the cookie alone.
    let (s, _, v) = send("GET", "/api/me", Some(&cookie), None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, v) = send("GET", "/api/session", Some(&cookie), None, None).await;
    assert_eq!(
        (s, v["csrf"].as_str()),
        (StatusCode::OK, Some(csrf.as_str()))
    );
    // A change without (or with a wrong) CSRF token is refused before it is parsed.
    let answer = json!({ "answer": { "PDLX": "QT", "JTQX": "QT01", "PDYJSM": "地表无变化" } });
    let uri = "/api/patches/2020/2020Q1/510104TD200001/answer";
    let (s, _, v) = send("PUT", uri, Some(&cookie), None, Some(answer.clone())).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf")),
        "{v}"
    );
    let (s, _, v) = send(
        "PUT",
        uri,
        Some(&cookie),
        Some("0123"),
        Some(answer.clone()),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf")),
        "{v}"
    );
    let (s, _, v) = send("PUT", uri, Some(&cookie), Some(&csrf), Some(answer)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 1, "{v}");

    // Password change: the current password is required; this session stays.
    let (s, _, v) = send(
        "POST",
        "/api/me/password",
        Some(&cookie),
        Some(&csrf),
        Some(json!({ "current": "nope", "new": "another-long-password" })),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _, _) = send(
        "POST",
        "/api/me/password",
        Some(&cookie),
        Some(&csrf),
        Some(json!({ "current": "a-long-password", "new": "another-long-password" })),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = send("GET", "/api/me", Some(&cookie), None, None).await;
    assert_eq!(s, StatusCode::OK);

    // Sign-out needs the token too; afterwards the cookie is worthless.
    let (s, _, _) = send("DELETE", "/api/session", Some(&cookie), None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, h, _) = send("DELETE", "/api/session", Some(&cookie), Some(&csrf), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(h["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (s, _, _) = send("GET", "/api/me", Some(&cookie), None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Five failed sign-ins lock the name for a while — even the right password.
    for _ in 0..5 {
        let (s, _, _) = send(
            "POST",
            "/api/session",
            None,
            None,
            Some(json!({ "name": "cd-county", "password": "guess" })),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, v) = send(
        "POST",
        "/api/session",
        None,
        None,
        Some(json!({ "name": "cd-county", "password": "another-long-password" })),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")),
        "{v}"
    );
}

/// The page and its assets come from the binary, without credentials, with
/// the security headers; nothing runs inline.
#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let (api, tokens) = api(&[("cd-city", Role::CityReviewer, "510100")]);
    let (s, h, body) = api.send("GET", "/", None, Vec::new()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("卫片执法平台")
            && html.contains(r#"<script src="/assets/app.js" type="module"></script>"#)
            && html.contains(r#"<script src="/assets/vendor/ol.js" defer></script>"#)
    );
    // Every <script> has a src (no inline code), and nothing is loaded from elsewhere.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/").count()
    );
    assert!(!html.contains("http://") && !html.contains("https://"));
    // Every module the page imports, transitively, is served, and none
    // of ours names another host.
    let mut todo = vec!["/assets/app.js".to_string(), "/assets/app.css".to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let (s, h, body) = api.send("GET", &path, None, Vec::new()).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let kind = if path.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(
            h["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        let text = String::from_utf8(body).unwrap();
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path} loads nothing from elsewhere"
        );
        for part in text.split("from \"").skip(1) {
            if let Some(target) = part.split('"').next().filter(|t| t.starts_with("/assets/")) {
                todo.push(target.to_string());
            }
        }
    }
    assert!(seen.len() >= 10, "{seen:?}");
    for (path, kind) in [
        ("/assets/vendor/ol.js", "text/javascript"),
        ("/assets/vendor/ol.css", "text/css"),
        ("/assets/vendor/THIRD-PARTY-NOTICES.txt", "text/plain"),
    ] {
        let (s, h, _) = api.send("GET", path, None, Vec::new()).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(
            h["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
    }
    let (s, _, _) = api
        .send("GET", "/assets/../Cargo.toml", None, Vec::new())
        .await;
    assert_ne!(s, StatusCode::OK);
    let (s, _, _) = api.send("GET", "/assets/other.js", None, Vec::new()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The batches for the page's selector.
    let (s, v) = api
        .call("GET", "/api/batches", Some(&tokens[0]), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v[0]["year"].as_u64(), v[0]["batch"].as_str()),
        (Some(2020), Some("2020Q1")),
        "{v}"
    );
    assert!(v[0].get("count").is_none(), "no national counts");
}

/// Administrators create users and set their region and role within their
/// own region; nobody else may.
#[tokio::test]
async fn administrators_manage_users_within_their_region() {
    let (api, tokens) = api(&[
        ("sc-admin", Role::Admin, "510000"),
        ("cd-city", Role::CityReviewer, "510100"),
    ]);
    let (admin, city) = (Some(tokens[0].as_str()), Some(tokens[1].as_str()));
    let body = json!({ "name": "jj-clerk", "region": "510104", "role": "county", "password": "clerk-password-1" });
    let (s, v) = api
        .call("POST", "/api/users", city, Some(body.clone()))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{v}"
    );
    let (s, v) = api
        .call("POST", "/api/users", admin, Some(body.clone()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["region_name"].as_str(), v["role_name"].as_str()),
        (Some("锦江区"), Some("县级填报"))
    );
    let (s, _) = api.call("POST", "/api/users", admin, Some(body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a taken name");
    let (s, v) = api
        .call("POST", "/api/users", admin, Some(json!({ "name": "zj", "region": "330100", "role": "city", "password": "a-long-password" })))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = api
        .call(
            "PUT",
            "/api/users/jj-clerk",
            admin,
            Some(json!({ "region": "510100", "role": "city" })),
        )
        .await;
    assert_eq!(
        (s, v["role"].as_str()),
        (StatusCode::OK, Some("city")),
        "{v}"
    );
    let (s, v) = api
        .call(
            "PUT",
            "/api/users/jj-clerk",
            admin,
            Some(json!({ "region": "510100", "role": "boss" })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = api.call("GET", "/api/users", admin, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "jj-clerk"),
        "{v}"
    );
    let (s, _) = api.call("GET", "/api/users", city, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
