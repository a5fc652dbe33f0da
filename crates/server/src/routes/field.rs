//! 外业核查 by the technical-support unit.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_service::field;

use crate::extract::{JsonBody, PathArgs, QueryArgs, Upload};
use crate::routes::patches::PatchPath;
use crate::{batch_id, created, with_actor, ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct Assign {
    year: u16,
    batch: String,
    jcbhs: Vec<String>,
}

pub(crate) async fn assign(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Assign>,
) -> Result<Response, ApiError> {
    let batch = batch_id(body.year, &body.batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        field::assign(store, actor, &batch, &body.jcbhs)
    })
    .await?;
    Ok(created(v))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Complete {
    findings: String,
    /// The surveyed boundary as GeoJSON (a geometry, a feature or a
    /// feature collection; EPSG:4490).
    boundary: Option<serde_json::Value>,
}

pub(crate) async fn complete(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    JsonBody(body): JsonBody<Complete>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        let Some(b) = body.boundary else {
            return field::complete(store, actor, id, &body.findings, None).map_err(ApiError::from);
        };
        // The readers take files: the GeoJSON goes through one.
        let dir = tempfile::tempdir().map_err(ApiError::internal)?;
        let path = dir.path().join("实测范围.geojson");
        std::fs::write(&path, b.to_string()).map_err(ApiError::internal)?;
        field::complete(store, actor, id, &body.findings, Some(&path)).map_err(ApiError::from)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PhotoQuery {
    name: Option<String>,
}

pub(crate) async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    QueryArgs(q): QueryArgs<PhotoQuery>,
    Upload(bytes): Upload<{ super::evidence::MAX_UPLOAD_BYTES }>,
) -> Result<Response, ApiError> {
    let name = q.name.unwrap_or_else(|| "外业照片.jpg".into());
    let v = with_actor(&state, &headers, move |store, actor| {
        field::add_photo(store, actor, id, &name, &bytes)
    })
    .await?;
    Ok(created(v))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        field::checks(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(v).into_response())
}
