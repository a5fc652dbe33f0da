//! Map data over the API (in process, no socket): GeoJSON of the patches in
//! a view, of a reference layer in a view and of one patch; credentials,
//! scope (another county's patch is not found), bad boxes refused.

use axum::http::StatusCode;
use serde_json::Value;
use weipian_domain::access::Role;
use weipian_domain::{layer, AttrValue};
use weipian_server::config::Config;
use weipian_store::{LayerFeature, LayerSource};

#[path = "../../service/tests/common/mod.rs"]
mod common;
use common::*;
mod harness;
use harness::{api_on, Api};

/// Both counties' patches (锦江区 around 104.06–104.068, 30.61; 青羊区 at 104.0, 30.65).
const BOTH: &str = "103.99,30.60,104.08,30.66";

/// The two-county store with one 耕地 feature in 锦江区, and a token per
/// (role, region) given.
fn api(logins: &[(&str, Role, &str)]) -> (Api, Vec<String>) {
    let mut e = env_two_counties();
    e.store
        .replace_layer(
            layer::kind("gd").unwrap(),
            &[],
            &[LayerFeature {
                geometry: geo_types::MultiPolygon(vec![rect(104.06, 30.60, 104.07, 30.61)]),
                area_m2: 1000.0,
                keys: vec![AttrValue::Text("0101".into())],
                attrs: vec![],
                source_row: 1,
            }],
            &LayerSource {
                file: "gd.shp".into(),
                encoding: None,
                crs: "EPSG:4490".into(),
            },
        )
        .unwrap();
    api_on(e, Config::default(), logins)
}

fn ids(v: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    out.sort_unstable();
    out
}

/// Every feature is a GeoJSON Feature with a MultiPolygon of [lon, lat] pairs.
fn assert_geojson(v: &Value) {
    assert_eq!(v["type"], "FeatureCollection");
    for f in v["features"].as_array().unwrap() {
        assert_eq!(f["type"], "Feature");
        assert!(f["properties"].is_object());
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
        for poly in f["geometry"]["coordinates"].as_array().unwrap() {
            for ring in poly.as_array().unwrap() {
                let ring = ring.as_array().unwrap();
                assert!(ring.len() >= 4);
                assert_eq!(ring.first(), ring.last());
                for c in ring {
                    let c = c.as_array().unwrap();
                    assert_eq!(c.len(), 2);
                    assert!((103.0..105.0).contains(&c[0].as_f64().unwrap()));
                    assert!((30.0..31.0).contains(&c[1].as_f64().unwrap()));
                }
            }
        }
    }
}

#[tokio::test]
async fn the_patches_in_a_view_are_the_callers_as_geojson() {
    let (api, tokens) = api(&[
        ("c-jj", Role::CountyFiller, "510104"),
        ("c-qy", Role::CountyFiller, "510105"),
        ("city", Role::CityReviewer, "510100"),
    ]);
    let uri = format!("/api/map/patches?year=2020&batch=2020Q1&bbox={BOTH}");
    let (s, ctype, v) = api.get_with(&uri, Some(&tokens[0]), "content-type").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ctype, "application/geo+json");
    assert_geojson(&v);
    assert_eq!(
        ids(&v),
        ["510104TD200001", "510104TD200002", "510104TD200003"]
    );
    assert_eq!(v["total"], 3);
    assert_eq!(v["truncated"], false);
    let p = &v["features"][0]["properties"];
    for key in ["JCBH", "XZQDM", "kind", "area_m2", "PDLX", "review_state"] {
        assert!(p.get(key).is_some(), "{key} in {p}");
    }
    assert_eq!(p["XZQDM"], "510104");
    assert!(p["PDLX"].is_null());
    assert_eq!(p["review_state"], "county");

    let (_, v) = api.get(&uri, Some(&tokens[1])).await;
    assert_eq!(ids(&v), ["510105TD200001"]);
    let (_, v) = api.get(&uri, Some(&tokens[2])).await;
    assert_eq!(v["total"], 4);
    // A limit keeps the largest and says how many there were.
    let (s, v) = api.get(&format!("{uri}&limit=2"), Some(&tokens[2])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["features"].as_array().unwrap().len(), 2);
    assert_eq!(
        (v["total"].as_u64(), v["truncated"].as_bool()),
        (Some(4), Some(true))
    );
    let areas: Vec<f64> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["area_m2"].as_f64().unwrap())
        .collect();
    assert!(areas[0] >= areas[1], "{areas:?}");
    // A view with nothing in it.
    let (s, v) = api
        .get(
            "/api/map/patches?year=2020&batch=2020Q1&bbox=110,20,110.5,20.5",
            Some(&tokens[2]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["total"].as_u64(), v["features"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn a_patch_with_its_extent_and_another_countys_not_found() {
    let (api, tokens) = api(&[("c-jj", Role::CountyFiller, "510104")]);
    let t = Some(tokens[0].as_str());
    let (s, ctype, v) = api
        .get_with(
            "/api/patches/2020/2020Q1/510104TD200001/geometry",
            t,
            "content-type",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ctype, "application/geo+json");
    assert_geojson(&v);
    assert_eq!(v["features"].as_array().unwrap().len(), 1);
    let f = &v["features"][0];
    assert_eq!(f["properties"]["role"], "patch");
    assert_eq!(f["properties"]["JCBH"], "510104TD200001");
    assert!(f["properties"]["area_m2"].as_f64().unwrap() > 0.0);
    // The extent: the fixture's patch spans ±0.0005° (×1.1 east) around (104.06, 30.61).
    let b: Vec<f64> = v["bbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let want = [
        104.06 - 0.0005,
        30.61 - 0.0005,
        104.06 + 0.00055,
        30.61 + 0.0005,
    ];
    for (got, want) in b.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{b:?}");
    }
    // Another county's patch: the same answer as one that does not exist.
    let (s, v) = api
        .get("/api/patches/2020/2020Q1/510105TD200001/geometry", t)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "not_found");
    let (s2, v2) = api
        .get("/api/patches/2020/2020Q1/510104TD209999/geometry", t)
        .await;
    assert_eq!(s2, StatusCode::NOT_FOUND);
    assert_eq!(v2["code"], v["code"]);
}

#[tokio::test]
async fn reference_layers_for_every_reader_unknown_kinds_not_found() {
    let (api, tokens) = api(&[("c-qy", Role::CountyFiller, "510105")]);
    let t = Some(tokens[0].as_str());
    let (s, ctype, v) = api
        .get_with(
            &format!("/api/map/layers/gd?bbox={BOTH}"),
            t,
            "content-type",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ctype, "application/geo+json");
    assert_geojson(&v);
    assert_eq!(v["total"], 1);
    let p = &v["features"][0]["properties"];
    assert_eq!(p["DLBM"], "0101");
    assert!(p["fid"].is_i64());
    assert_eq!(p["area_m2"], 1000.0);
    // Outside it: nothing; a kind never imported: nothing.
    let (_, v) = api
        .get("/api/map/layers/gd?bbox=104.2,30.6,104.3,30.7", t)
        .await;
    assert_eq!(v["total"], 0);
    let (s, v) = api.get(&format!("/api/map/layers/kq?bbox={BOTH}"), t).await;
    assert_eq!((s, v["total"].as_u64()), (StatusCode::OK, Some(0)));
    let (s, v) = api
        .get(&format!("/api/map/layers/roads?bbox={BOTH}"), t)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["message"].as_str().unwrap().contains("roads"), "{v}");
}

#[tokio::test]
async fn without_credentials_401() {
    let (api, _) = api(&[]);
    for uri in [
        format!("/api/map/patches?year=2020&batch=2020Q1&bbox={BOTH}"),
        format!("/api/map/layers/gd?bbox={BOTH}"),
        "/api/patches/2020/2020Q1/510104TD200001/geometry".to_string(),
    ] {
        let (s, v) = api.get(&uri, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(v["code"], "unauthorized");
        let (s, _) = api.get(&uri, Some("wp_not-a-token")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
    }
}

#[tokio::test]
async fn bad_boxes_and_limits_422_in_chinese_naming_the_parameter() {
    let (api, tokens) = api(&[("city", Role::CityReviewer, "510100")]);
    let t = Some(tokens[0].as_str());
    let cases = [
        (
            "bbox=100,30,105,31",
            "bbox 范围过大（最大 2°×2°），请放大地图",
        ),
        ("bbox=104.1,30.6,104,30.7", "bbox"),
        ("bbox=104,30.6,104.1", "bbox"),
        ("bbox=104,30.6,104.1,abc", "bbox"),
        ("bbox=179.5,30,180.5,30.5", "bbox 超出经纬度范围"),
        ("bbox=104,30.6,104.1,NaN", "bbox"),
        ("", "缺少参数 bbox"),
        (&format!("bbox={BOTH}&limit=0")[..], "limit"),
        (&format!("bbox={BOTH}&limit=5001")[..], "limit"),
        (&format!("bbox={BOTH}&limit=many")[..], "limit"),
    ];
    for (query, wanted) in cases {
        for uri in [
            format!("/api/map/patches?year=2020&batch=2020Q1&{query}"),
            format!("/api/map/layers/gd?{query}"),
        ] {
            let (s, v) = api.get(&uri, t).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {v}");
            assert_eq!(v["code"], "invalid");
            let m = v["message"].as_str().unwrap();
            assert!(m.contains(wanted), "{uri}: {m}");
        }
    }
    // Year and batch are required for patches.
    let (s, _) = api.get(&format!("/api/map/patches?bbox={BOTH}"), t).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// GET `uri` with `Accept-Encoding: gzip` (or none): status, headers, raw body.
async fn get_raw(
    api: &Api,
    uri: &str,
    token: &str,
    gzip: bool,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    if gzip {
        req = req.header("accept-encoding", "gzip");
    }
    let res = api
        .app
        .clone()
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

#[tokio::test]
async fn map_data_is_gzipped_for_clients_that_accept_it_with_the_security_headers() {
    let (api, t) = api(&[("prov", Role::ProvinceReviewer, "510000")]);
    let uri = format!("/api/map/patches?year=2020&batch=2020Q1&bbox={BOTH}");
    let (s, plain_headers, plain) = get_raw(&api, &uri, &t[0], false).await;
    assert_eq!(s, StatusCode::OK);
    assert!(plain_headers.get("content-encoding").is_none());
    let (s, h, gz) = get_raw(&api, &uri, &t[0], true).await;
    assert_eq!(s, StatusCode::OK);
    let header = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    assert_eq!(header("content-encoding"), "gzip");
    assert!(header("vary")
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert!(header("content-type").starts_with("application/"), "{h:?}");
    // Still the security headers.
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert_eq!(h.get(name), plain_headers.get(name), "{name}");
        assert!(!header(name).is_empty(), "{name}");
    }
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gz.as_slice()),
        &mut unzipped,
    )
    .unwrap();
    assert!(gz.len() < plain.len(), "{} ≥ {}", gz.len(), plain.len());
    let json = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
    assert_eq!(json(&unzipped), json(&plain));
    assert_eq!(ids(&json(&unzipped)).len(), 4);
}
