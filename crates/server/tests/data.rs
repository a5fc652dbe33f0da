//! Data management over the API (in process): a batch uploaded and imported
//! as a background job with its analysis, a bad file refused with its rows
//! named under the user's file name, who may import what, the upload limit,
//! and patches downloaded as GIS files scoped to the caller's region.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use weipian_domain::access::Role;
use weipian_formats::ReadOptions;
use weipian_server::config::{Config, ServerSection};

#[path = "../../service/tests/common/mod.rs"]
mod common;
use common::*;
mod harness;
use harness::{api_on, Api};

async fn post(api: &Api, uri: &str, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap();
    let res = api.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn download(api: &Api, uri: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let req = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = api.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let disposition = res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, disposition, bytes)
}

/// Poll the job until it ends.
async fn finished(api: &Api, token: &str, id: u64) -> Value {
    for _ in 0..600 {
        let (s, v) = api.get(&format!("/api/jobs/{id}"), Some(token)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if v["state"] != "running" {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not end");
}

/// `ds` as GeoJSON bytes.
fn geojson(ds: &weipian_formats::Dataset) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.geojson");
    weipian_formats::geojson::write(&path, ds).unwrap();
    std::fs::read(path).unwrap()
}

const LOGINS: &[(&str, Role, &str)] = &[
    ("admin", Role::Admin, "000000"),
    ("sc-admin", Role::Admin, "510000"),
    ("jj", Role::CountyFiller, "510104"),
];

fn uploads_left(api_dir: &std::path::Path) -> usize {
    std::fs::read_dir(api_dir.join("data").join("uploads")).map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_uploaded_imported_and_analysed_as_a_job() {
    let e = env();
    let dir = e.dir.clone();
    let (api, t) = api_on(e, Config::default(), LOGINS);
    let (admin, jj) = (&t[0], &t[2]);

    let url = "/api/data/import?what=patches&name=%E4%BA%8C%E5%AD%A3%E5%BA%A6.geojson&year=2020&batch=2020Q2&kind=land&analyze=true";
    let (s, v) = post(&api, url, admin, geojson(&patches(30))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["title"], "导入土地图斑 2020/2020Q2：二季度.geojson");
    let job = finished(&api, admin, v["id"].as_u64().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["result"]["import"]["inserted"], 30);
    assert_eq!(job["result"]["analysis"]["patches"], 30);
    assert_eq!(uploads_left(&dir), 0, "the upload is removed with its job");

    // The platform's own connection sees the batch; the analysis is current.
    let (_, inv) = api.get("/api/data", Some(admin)).await;
    let b = &inv["batches"][0];
    assert_eq!(
        (b["batch"].as_str(), b["count"].as_u64()),
        (Some("2020Q2"), Some(30))
    );
    assert_eq!(inv["boundaries"]["rows"], 2);
    assert_eq!(inv["imports"][0]["source"], "二季度.geojson");
    let (_, st) = api
        .get("/api/data/analysis?year=2020&batch=2020Q2", Some(admin))
        .await;
    assert_eq!(
        (st["patches"].as_u64(), st["stale"].as_u64()),
        (Some(30), Some(0)),
        "{st}"
    );
    let (_, list) = api
        .get("/api/patches?year=2020&batch=2020Q2", Some(jj))
        .await;
    assert_eq!(list["total"], 30, "{list}");

    // A file with a duplicate JCBH: refused, nothing written, the rows named
    // under the user's file name (not the server's folder).
    let mut bad = patches(3);
    bad.features[2] = patch_feature(
        3,
        "510104TD200001",
        "510104",
        bad.features[2].geometry.clone().unwrap(),
    );
    let (s, v) = post(
        &api,
        "/api/data/import?what=patches&name=%E9%87%8D%E5%A4%8D.geojson&year=2020&batch=2020Q3&kind=land",
        admin,
        geojson(&bad),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = finished(&api, admin, v["id"].as_u64().unwrap()).await;
    assert_eq!(
        (job["state"].as_str(), job["status"].as_u64()),
        (Some("failed"), Some(422)),
        "{job}"
    );
    let message = job["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("重复.geojson"), "{message}");
    assert!(!message.contains("upload-"), "{message}");
    let problems = job["error"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["jcbh"] == "510104TD200001"),
        "{problems:?}"
    );
    let (_, inv) = api.get("/api/data", Some(admin)).await;
    assert_eq!(inv["batches"].as_array().unwrap().len(), 1);
    assert_eq!(uploads_left(&dir), 0);

    // A re-run of the analysis as its own job: nothing left to recompute.
    let req = Request::builder()
        .method("POST")
        .uri("/api/data/analysis")
        .header("authorization", format!("Bearer {admin}"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"year":2020,"batch":"2020Q2"}"#))
        .unwrap();
    let res = api.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let v: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let job = finished(&api, admin, v["id"].as_u64().unwrap()).await;
    let layers = job["result"]["analysis"]["layers"].as_array().unwrap();
    assert!(layers.iter().all(|l| l["recomputed"] == 0), "{layers:?}");
    // Jobs are the owner's (and national administrators'): the county sees none.
    let (s, _) = api.get(&format!("/api/jobs/{}", v["id"]), Some(jj)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, mine) = api.get("/api/jobs", Some(jj)).await;
    assert_eq!(mine, Value::Array(vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_import_what_and_how_much() {
    let e = env();
    let dir = e.dir.clone();
    let config = Config {
        server: ServerSection {
            max_import_mb: Some(1),
            ..ServerSection::default()
        },
        ..Config::default()
    };
    let (api, t) = api_on(e, config, LOGINS);
    let (admin, province_admin, jj) = (&t[0], &t[1], &t[2]);
    let body = geojson(&patches(2));
    let patches_url =
        "/api/data/import?what=patches&name=a.geojson&year=2020&batch=2020Q2&kind=land";

    // A county clerk imports nothing, and sees no inventory.
    let (s, v) = post(&api, patches_url, jj, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        api.get("/api/data", Some(jj)).await.0,
        StatusCode::FORBIDDEN
    );
    // A provincial administrator imports batches but not national layers.
    let (s, v) = post(
        &api,
        "/api/data/import?what=layer&layer=gd&name=gd.geojson",
        province_admin,
        body.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["message"].as_str().unwrap().contains("全国管理员"), "{v}");
    // Names and kinds the readers do not take are refused before any upload.
    for (url, needle) in [
        (
            "/api/data/import?what=patches&name=a.exe&year=2020&batch=Q&kind=land",
            "不受支持",
        ),
        (
            "/api/data/import?what=patches&name=a.shp&year=2020&batch=Q&kind=land",
            "zip",
        ),
        (
            "/api/data/import?what=layer&layer=xx&name=a.zip",
            "图层类型",
        ),
        ("/api/data/import?what=patches&name=a.zip&kind=land", "年份"),
        ("/api/data/import?what=everything&name=a.zip", "what"),
    ] {
        let (s, v) = post(&api, url, admin, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(needle),
            "{url}: {v}"
        );
    }
    // Past the limit: 413, nothing left on disk.
    let (s, v) = post(&api, patches_url, admin, vec![b' '; (1 << 20) + 1]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(uploads_left(&dir), 0);
    // Not a geometry file at all: the job fails with the reader's reason.
    let (s, v) = post(&api, patches_url, admin, b"not json".to_vec()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = finished(&api, admin, v["id"].as_u64().unwrap()).await;
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("a.geojson"),
        "{job}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_download_as_gis_files_within_the_callers_region() {
    let e = env_two_counties();
    let (api, t) = api_on(e, Config::default(), LOGINS);
    let (admin, jj) = (&t[0], &t[2]);
    let read_back = |bytes: &[u8], name: &str| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        weipian_formats::read(&path, &ReadOptions::default()).unwrap()
    };

    // The county's Shapefile, zipped: its own three patches only.
    let (s, disposition, bytes) = download(
        &api,
        "/api/data/export?year=2020&batch=2020Q1&format=shp",
        jj,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(disposition.ends_with(".zip"), "{disposition}");
    let ds = read_back(&bytes, "x.zip");
    assert_eq!(ds.features.len(), 3);
    let jcbh = ds.field_index("JCBH").unwrap();
    for f in &ds.features {
        assert!(
            f.attrs[jcbh].as_text().unwrap().starts_with("510104"),
            "{:?}",
            f.attrs[jcbh]
        );
    }
    // The administrator's GeoPackage of both counties, and of one by region.
    let (s, _, bytes) = download(
        &api,
        "/api/data/export?year=2020&batch=2020Q1&format=gpkg",
        admin,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(read_back(&bytes, "x.gpkg").features.len(), 4);
    let (_, _, bytes) = download(
        &api,
        "/api/data/export?year=2020&batch=2020Q1&format=geojson&region=510105",
        admin,
    )
    .await;
    assert_eq!(read_back(&bytes, "x.geojson").features.len(), 1);
    // Another county's region is empty for the clerk, not a leak.
    let (s, _, bytes) = download(
        &api,
        "/api/data/export?year=2020&batch=2020Q1&format=geojson&region=510105",
        jj,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let (s, _, _) = download(
        &api,
        "/api/data/export?year=2020&batch=2020Q1&format=dwg",
        jj,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
