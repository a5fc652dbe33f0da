//! Cases (违法行为) and transferred patches awaiting feedback.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_domain::case::CaseEvent;
use weipian_service::{answers, cases};

use crate::extract::{JsonBody, PathArgs, QueryArgs};
use crate::{batch_id, created, with_actor, ApiError, AppState, BatchQuery};

pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<BatchQuery>,
) -> Result<Response, ApiError> {
    let batch = q.id()?;
    let list = with_actor(&state, &headers, move |store, actor| {
        cases::list_cases(store, actor, &batch)
    })
    .await?;
    Ok(Json(list).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct OpenCase {
    year: u16,
    batch: String,
    /// 违法行为编号
    number: String,
    /// The illegal patches of one county the case is about.
    jcbhs: Vec<String>,
}

pub(crate) async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<OpenCase>,
) -> Result<Response, ApiError> {
    let batch = batch_id(body.year, &body.batch)?;
    let view = with_actor(&state, &headers, move |store, actor| {
        cases::open_case(store, actor, &batch, &body.number, &body.jcbhs)
    })
    .await?;
    Ok(created(view))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
) -> Result<Response, ApiError> {
    let view = with_actor(&state, &headers, move |store, actor| {
        cases::get_case(store, actor, id)
    })
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PostEvent {
    event: CaseEvent,
    /// The case version the event was decided on.
    based_on: i64,
}

pub(crate) async fn event(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    JsonBody(body): JsonBody<PostEvent>,
) -> Result<Response, ApiError> {
    let view = with_actor(&state, &headers, move |store, actor| {
        cases::apply_event(store, actor, id, &body.event, body.based_on)
    })
    .await?;
    Ok(Json(view).into_response())
}

pub(crate) async fn transfers(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<BatchQuery>,
) -> Result<Response, ApiError> {
    let batch = q.id()?;
    let list = with_actor(&state, &headers, move |store, actor| {
        answers::transfers_awaiting_feedback(store, actor, &batch)
    })
    .await?;
    Ok(Json(list).into_response())
}
