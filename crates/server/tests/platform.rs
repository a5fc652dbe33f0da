//! What the page asks of the platform besides patches: the year's 判定 code
//! table for the answer form, region names within the caller's scope, and
//! the map configuration (basemap, imagery) — which also widens the
//! Content-Security-Policy to exactly the configured tile origins.

use axum::http::StatusCode;
use weipian_domain::access::Role;
use weipian_server::config::Config;

#[path = "../../service/tests/common/mod.rs"]
mod common;
use common::*;
mod harness;
use harness::{api_on, Api};

fn api(config: Config, logins: &[(&str, Role, &str)]) -> (Api, Vec<String>) {
    api_on(env_two_counties(), config, logins)
}

#[tokio::test]
async fn the_code_table_gives_each_category_its_forms_and_fields() {
    let (api, t) = api(
        Config::default(),
        &[("county", Role::CountyFiller, "510104")],
    );
    let (s, v) = api.get("/api/determination/2020", Some(&t[0])).await;
    assert_eq!(s, StatusCode::OK);
    let wf = v["land"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "WF")
        .unwrap();
    assert_eq!(wf["legality"], "illegal");
    assert_eq!(wf["sub"][0]["code"], "WF01");
    assert_eq!(wf["sub"][0]["requires"][0], "violation");
    let fields: Vec<&str> = v["forms"]["violation"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "SJYT",
            "WFMJ",
            "WFGDMJ",
            "WFJBNTMJ",
            "XZJSYDMJ",
            "XZJSZYGDMJ"
        ]
    );
    assert_eq!(v["forms"]["approval"]["fields"][2]["input"], "date");
    assert!(v["mineral"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "WBH"));
    assert_eq!(v["handling"].as_array().unwrap().len(), 3);
    let (s, v) = api.get("/api/determination/1999", Some(&t[0])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["message"].as_str().unwrap().contains("2020"), "{v}");
    let (s, _) = api.get("/api/determination/2020", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn region_names_cover_the_callers_scope_and_the_regions_above_it() {
    let (api, t) = api(
        Config::default(),
        &[
            ("county", Role::CountyFiller, "510104"),
            ("ministry", Role::Ministry, "000000"),
        ],
    );
    let (s, v) = api.get("/api/regions", Some(&t[0])).await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["510000", "510100", "510104"]);
    assert_eq!(v[2]["name"], "锦江区");
    assert_eq!(v[2]["parent"], "510100");
    let (_, all) = api.get("/api/regions", Some(&t[1])).await;
    assert!(all.as_array().unwrap().len() > 3000);
}

#[tokio::test]
async fn without_a_configuration_there_is_no_basemap_and_images_come_only_from_the_platform() {
    let (api, t) = api(
        Config::default(),
        &[("county", Role::CountyFiller, "510104")],
    );
    let (s, csp, v) = api
        .get_with("/api/platform", Some(&t[0]), "content-security-policy")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["basemap"].is_null());
    assert!(csp.contains("img-src 'self' data: blob:;"), "{csp}");
    let (s, _) = api.get("/api/platform", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_configured_basemap_and_imagery_reach_the_page_and_the_policy() {
    let config = Config::parse(
        r#"
[basemap]
url = "https://t{0-7}.tianditu.gov.cn/DataServer?T=img_w&x={x}&y={y}&l={z}&tk=KEY"
attribution = "天地图"
[imagery."2020/2020Q1"]
before = "http://10.0.0.5:8081/2019/{z}/{x}/{y}.jpg"
after = "http://10.0.0.5:8081/2020/{z}/{x}/{y}.jpg"
"#,
    )
    .unwrap();
    let (api, t) = api(config, &[("county", Role::CountyFiller, "510104")]);
    let (s, csp, v) = api
        .get_with("/api/platform", Some(&t[0]), "content-security-policy")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["basemap"]["kind"], "xyz");
    assert_eq!(v["basemap"]["attribution"], "天地图");
    assert!(v["imagery"]["2020/2020Q1"]["after"]
        .as_str()
        .unwrap()
        .contains("/2020/"));
    assert!(
        csp.contains("img-src 'self' data: blob: http://10.0.0.5:8081 https://*.tianditu.gov.cn;"),
        "{csp}"
    );
    // Scripts still come only from the platform.
    assert!(csp.contains("script-src 'self';"), "{csp}");
}

/// What `weipian serve` runs every minute: every passed cut-off of every
/// year with batches is frozen once, and only once.
#[test]
fn passed_cutoffs_are_frozen_once_by_the_servers_timer() {
    let mut e = env_two_counties();
    let made = weipian_server::freeze_due_now(&mut e.store).unwrap();
    assert!(!made.is_empty(), "the 2020 cut-offs have passed");
    assert!(weipian_server::freeze_due_now(&mut e.store)
        .unwrap()
        .is_empty());
}
