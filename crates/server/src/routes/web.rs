//! The platform's own page and assets, compiled into the binary: nothing is
//! fetched from elsewhere at run time (government intranets have no
//! internet), and nothing runs inline (the CSP forbids it).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::{with_actor, ApiError, AppState};

const INDEX: &str = include_str!("../../web/index.html");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The page's own scripts (ES modules) and style sheet: (name, text, type).
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", include_str!("../../web/app.js"), JS),
    ("core.js", include_str!("../../web/core.js"), JS),
    ("desk.js", include_str!("../../web/desk.js"), JS),
    ("list.js", include_str!("../../web/list.js"), JS),
    ("patch.js", include_str!("../../web/patch.js"), JS),
    ("map.js", include_str!("../../web/map.js"), JS),
    ("review.js", include_str!("../../web/review.js"), JS),
    ("cases.js", include_str!("../../web/cases.js"), JS),
    ("field.js", include_str!("../../web/field.js"), JS),
    ("sampling.js", include_str!("../../web/sampling.js"), JS),
    ("reports.js", include_str!("../../web/reports.js"), JS),
    ("gate.js", include_str!("../../web/gate.js"), JS),
    ("military.js", include_str!("../../web/military.js"), JS),
    ("users.js", include_str!("../../web/users.js"), JS),
    ("data.js", include_str!("../../web/data.js"), JS),
    ("snapshot.js", include_str!("../../web/snapshot.js"), JS),
    ("app.css", include_str!("../../web/app.css"), CSS),
];

/// Third-party files, vendored with their build (`crates/server/web-src`,
/// checked against a fresh build by `check.sh` in CI).
const VENDOR: &[(&str, &str, &str)] = &[
    ("ol.js", include_str!("../../web/vendor/ol.js"), JS),
    ("ol.css", include_str!("../../web/vendor/ol.css"), CSS),
    (
        "THIRD-PARTY-NOTICES.txt",
        include_str!("../../web/vendor/THIRD-PARTY-NOTICES.txt"),
        "text/plain; charset=utf-8",
    ),
];

fn page(body: &'static str, media_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `/`: the page.
pub(crate) async fn index() -> Response {
    page(INDEX, "text/html; charset=utf-8")
}

/// `/favicon.ico`: none (browsers ask; answer without an error).
pub(crate) async fn favicon() -> axum::http::StatusCode {
    axum::http::StatusCode::NO_CONTENT
}

/// `/assets/{name}`: the page's scripts and style sheet.
pub(crate) async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    served(ASSETS, &name)
}

/// `/assets/vendor/{name}`: OpenLayers and its notices.
pub(crate) async fn vendor(Path(name): Path<String>) -> Result<Response, ApiError> {
    served(VENDOR, &name)
}

fn served(files: &[(&str, &'static str, &'static str)], name: &str) -> Result<Response, ApiError> {
    files
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, body, media_type)| page(body, media_type))
        .ok_or_else(|| ApiError::not_found("没有这个文件"))
}

/// `/api/batches`: the batches there are (year, name, kinds) — not their
/// counts, which span regions beyond the caller's.
pub(crate) async fn batches(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let list = with_actor(&state, &headers, |store, _| {
        store.batches().map_err(weipian_service::ServiceError::from)
    })
    .await?;
    let mut out: Vec<serde_json::Value> = Vec::new();
    for b in list {
        let name = b.kind.name_zh();
        if let Some(last) = out
            .last_mut()
            .filter(|v| v["year"] == b.id.year && v["batch"] == b.id.name.as_str())
        {
            let joined = format!("{}、{name}", last["kind_name"].as_str().unwrap_or_default());
            last["kind_name"] = joined.into();
            continue;
        }
        out.push(serde_json::json!({ "year": b.id.year, "batch": b.id.name, "kind_name": name }));
    }
    Ok(Json(out).into_response())
}

/// `/api/regions`: code → name, level and parent of every region within the
/// caller's scope and of the regions above it (for labels and pickers).
pub(crate) async fn regions(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = with_actor(&state, &headers, |_, actor| Ok::<_, ApiError>(actor.scope)).await?;
    let table = weipian_domain::region::RegionTable::shared();
    let root = match scope {
        weipian_domain::access::Scope::National => None,
        weipian_domain::access::Scope::Region(r) => Some(r),
    };
    let mut out = Vec::new();
    if let Some(r) = root {
        for a in table.ancestry(r) {
            if a.code != r {
                out.push(region_json(a));
            }
        }
    }
    for reg in table.iter() {
        if root.is_none_or(|r| reg.code.is_within(r)) {
            out.push(region_json(reg));
        }
    }
    Ok(Json(out).into_response())
}

fn region_json(r: &weipian_domain::region::Region) -> serde_json::Value {
    serde_json::json!({
        "code": r.code.to_string(),
        "name": r.name,
        "level": r.level,
        "parent": r.parent.map(|p| p.to_string()),
    })
}

/// `/api/platform`: what the page's maps need from the configuration —
/// the basemap (none: maps without one) and the batches' imagery.
pub(crate) async fn platform(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    with_actor(&state, &headers, |_, _| Ok::<_, ApiError>(())).await?;
    Ok(Json(serde_json::json!({
        "basemap": state.config.basemap,
        "imagery": state.config.imagery,
    }))
    .into_response())
}
