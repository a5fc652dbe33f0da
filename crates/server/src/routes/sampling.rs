//! 抽查 and 交叉检查.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_domain::RegionCode;
use weipian_service::sampling::{self, DrawRequest};

use crate::extract::{JsonBody, PathArgs};
use crate::{batch_id, created, with_actor, ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct Draw {
    year: u16,
    batch: String,
    region: Option<String>,
    margin: Option<f64>,
    confidence: Option<f64>,
    seed: u64,
}

pub(crate) async fn draw(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Draw>,
) -> Result<Response, ApiError> {
    let region = body
        .region
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let req = DrawRequest {
        batch: batch_id(body.year, &body.batch)?,
        region,
        margin: body.margin,
        confidence: body.confidence,
        seed: body.seed,
    };
    let v = with_actor(&state, &headers, move |store, actor| {
        sampling::draw(store, actor, &req)
    })
    .await?;
    Ok(created(v))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        sampling::show(store, actor, id)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Cross {
    seed: u64,
}

pub(crate) async fn cross(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    JsonBody(body): JsonBody<Cross>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        sampling::assign_cross_checks(store, actor, id, body.seed)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Record {
    jcbh: String,
    wrong: bool,
    note: Option<String>,
}

pub(crate) async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    JsonBody(body): JsonBody<Record>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        sampling::record(
            store,
            actor,
            id,
            &body.jcbh,
            body.wrong,
            body.note.as_deref(),
        )
    })
    .await?;
    Ok(Json(v).into_response())
}
