//! The review chain: a patch's place in it, steps on one patch or many, the
//! queue of what awaits the caller, passing everything submitted.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_domain::review::ReviewAction;
use weipian_service::review;

use crate::extract::{JsonBody, PathArgs, QueryArgs};
use crate::routes::patches::PatchPath;
use crate::{batch_id, with_actor, ApiError, AppState, BatchQuery};

pub(crate) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        review::review(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Act {
    year: u16,
    batch: String,
    jcbhs: Vec<String>,
    action: ReviewAction,
    /// For one patch: the review version the step was decided on.
    based_on: Option<i64>,
}

/// One patch: its new state, or the error (404, 403, 409, 422). Several:
/// 200 with what was done and, per patch not acted on, the reason.
pub(crate) async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Act>,
) -> Result<Response, ApiError> {
    let batch = batch_id(body.year, &body.batch)?;
    if body.jcbhs.is_empty() {
        return Err(ApiError::invalid("jcbhs 不能为空"));
    }
    let single = body.jcbhs.len() == 1;
    let outcome = with_actor(&state, &headers, move |store, actor| {
        review::act(
            store,
            actor,
            &batch,
            &body.jcbhs,
            &body.action,
            body.based_on,
        )
    })
    .await?;
    if single {
        if let Some(r) = outcome.refused.first() {
            return Err(ApiError::from_refusal(&r.code, r.reason.clone()));
        }
    }
    Ok(Json(outcome).into_response())
}

pub(crate) async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<BatchQuery>,
) -> Result<Response, ApiError> {
    let batch = q.id()?;
    let v = with_actor(&state, &headers, move |store, actor| {
        review::queue(store, actor, &batch)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PassAll {
    year: u16,
    batch: String,
    opinion: Option<String>,
}

pub(crate) async fn pass_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PassAll>,
) -> Result<Response, ApiError> {
    let batch = batch_id(body.year, &body.batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        review::pass_all(store, actor, &batch, body.opinion)
    })
    .await?;
    Ok(Json(v).into_response())
}
