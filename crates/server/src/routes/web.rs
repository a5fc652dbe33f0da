//! The platform's own page and assets, compiled into the binary: nothing is
//! fetched from elsewhere at run time (government intranets have no
//! internet), and nothing runs inline (the CSP forbids it).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::{with_actor, ApiError, AppState};

const INDEX: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const APP_CSS: &str = include_str!("../../web/app.css");

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

/// `/assets/{name}`: the page's script and style sheet.
pub(crate) async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    match name.as_str() {
        "app.js" => Ok(page(APP_JS, "text/javascript; charset=utf-8")),
        "app.css" => Ok(page(APP_CSS, "text/css; charset=utf-8")),
        _ => Err(ApiError::not_found("没有这个文件")),
    }
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
