//! Desk-review flags decided in bulk over the API (in process, no socket):
//! by id or by the patches selected in the list, all or nothing, only by
//! city and province reviewers within their region.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use weipian_domain::access::Role;
use weipian_server::config::Config;
use weipian_store::{NewAudit, NewFlag};

#[path = "../../service/tests/common/mod.rs"]
mod common;
use common::*;
mod harness;
use harness::{api_on, Api};

const A: &str = "510104TD200001";
const A2: &str = "510104TD200002";
const B: &str = "510105TD200001";

impl Api {
    /// POST `body` as JSON with the bearer token: status and JSON body.
    async fn post(&self, uri: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method("POST")
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// Open flags of `rules` on a patch, as a rule run raises them.
fn raise(e: &mut Env, jcbh: &str, rules: &[&str]) {
    let id = e.store.patch(&batch(), jcbh).unwrap().unwrap().id;
    let firing: Vec<NewFlag> = rules
        .iter()
        .map(|r| NewFlag {
            rule: (*r).into(),
            message: format!("{r} 触发"),
            evidence: "[]".into(),
        })
        .collect();
    let audit = NewAudit {
        actor: "内业审核规则".into(),
        region: "510000".into(),
        action: "desk.run".into(),
        target: format!("2020/2020Q1/{jcbh}"),
        before: None,
        after: None,
        reason: None,
    };
    e.store.record_flags(id, &firing, &audit).unwrap();
}

/// (rule, status) of a patch's flags, as the city sees them.
async fn flags(api: &Api, token: &str, jcbh: &str) -> Vec<(String, String, i64)> {
    let (s, v) = api
        .get(
            &format!("/api/patches/2020/2020Q1/{jcbh}/flags"),
            Some(token),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                f["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn reviewers_decide_flags_in_bulk_all_or_nothing() {
    let mut e = env_two_counties();
    raise(&mut e, A, &["R01", "R05"]);
    raise(&mut e, A2, &["R05"]);
    raise(&mut e, B, &["R05"]);
    let (api, t) = api_on(
        e,
        Config::default(),
        &[
            ("county", Role::CountyFiller, "510104"),
            ("city", Role::CityReviewer, "510100"),
            ("city-out", Role::CityReviewer, "510300"),
            ("desk", Role::DeskReviewer, "510000"),
        ],
    );
    let uri = "/api/flags/decisions";
    let (county, city, city_out, desk) = (&t[0], &t[1], &t[2], &t[3]);
    let a = flags(&api, city, A).await;
    let ids: Vec<i64> = a.iter().map(|f| f.2).collect();
    let by_patches = json!({ "year": 2020, "batch": "2020Q1", "jcbhs": [A, A2, B], "rule": "R05",
                             "upheld": true, "note": "照片与图斑不符" });
    // No token; a county clerk and the technical-support unit; another city.
    let (s, _) = api.post(uri, None, &by_patches).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for token in [county, desk] {
        for body in [&by_patches, &json!({ "ids": ids, "upheld": false })] {
            let (s, v) = api.post(uri, Some(token), body).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("forbidden")),
                "{v}"
            );
        }
    }
    let (s, v) = api
        .post(uri, Some(city_out), &json!({ "ids": ids, "upheld": true }))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{v}"
    );
    // Malformed selections.
    for body in [
        json!({ "upheld": true }),
        json!({ "ids": ids, "jcbhs": [A], "year": 2020, "batch": "2020Q1", "upheld": true }),
        json!({ "jcbhs": [A], "upheld": true }),
        json!({ "ids": [], "upheld": true }),
        json!({ "ids": ids, "rule": "R05", "upheld": true }),
        json!({ "ids": (1..=5001).collect::<Vec<i64>>(), "upheld": true }),
        json!({ "jcbhs": [A], "year": 2020, "batch": "2020Q1", "rule": "R99", "upheld": true }),
    ] {
        let (s, v) = api.post(uri, Some(city), &body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
            "{body}: {v}"
        );
    }
    assert!(flags(&api, city, A).await.iter().all(|f| f.1 == "open"));
    // The R05 flags of the three selected patches, at once.
    let (s, v) = api.post(uri, Some(city), &by_patches).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["decided"].as_u64(), v["status"].as_str()),
        (Some(3), Some("upheld"))
    );
    let mut decided: Vec<&str> = v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["jcbh"].as_str().unwrap())
        .collect();
    decided.sort_unstable();
    assert_eq!(decided, [A, A2, B]);
    assert_eq!(v["skipped"], json!([]));
    let now: Vec<(String, String)> = flags(&api, city, A)
        .await
        .into_iter()
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(
        now,
        [
            ("R01".to_string(), "open".to_string()),
            ("R05".to_string(), "upheld".to_string())
        ]
    );
    // By id: one already decided among them, so none is; named with its patch.
    let (s, v) = api
        .post(uri, Some(city), &json!({ "ids": ids, "upheld": false }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains(&ids[1].to_string()) && msg.contains(A),
        "{msg}"
    );
    assert_eq!(flags(&api, city, A).await[0].1, "open");
    let (s, v) = api
        .post(
            uri,
            Some(city),
            &json!({ "ids": [ids[0]], "upheld": false, "note": "已核实" }),
        )
        .await;
    assert_eq!((s, v["decided"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    assert_eq!(flags(&api, city, A).await[0].1, "cleared");
    // Documented.
    let (_, doc) = api.get("/api/openapi.json", None).await;
    let op = &doc["paths"]["/api/flags/decisions"]["post"];
    assert!(
        op["requestBody"].is_object() && op["responses"]["403"].is_object(),
        "{op}"
    );
    // The history of the patch shows each decision.
    let (_, h) = api
        .get(
            "/api/patches/2020/2020Q1/510104TD200001/history",
            Some(city),
        )
        .await;
    let text = h.to_string();
    assert!(
        text.contains("desk.uphold") && text.contains("desk.clear"),
        "{text}"
    );
}
