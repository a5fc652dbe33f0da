//! Deadlines, snapshots, extensions, and what awaits the caller.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use weipian_service::{schedule, today_in_china};

use crate::extract::{JsonBody, PathArgs, QueryArgs};
use crate::{created, with_actor, ApiError, AppState, BatchQuery};

#[derive(Debug, Deserialize)]
pub(crate) struct YearQuery {
    year: u16,
}

pub(crate) async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<YearQuery>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        schedule::status(store, actor, q.year, today_in_china())
    })
    .await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn snapshot(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        schedule::snapshot(store, actor, id)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Extend {
    year: u16,
    deadline: String,
    reason: String,
    measures: String,
    /// YYYY-MM-DD
    new_due: String,
}

pub(crate) async fn extend(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Extend>,
) -> Result<Response, ApiError> {
    let due = weipian_domain::determination::parse_date(&body.new_due)
        .ok_or_else(|| ApiError::invalid(format!("new_due “{}” 应为 YYYY-MM-DD", body.new_due)))?;
    let id = with_actor(&state, &headers, move |store, actor| {
        schedule::request_extension(
            store,
            actor,
            body.year,
            &body.deadline,
            &body.reason,
            &body.measures,
            due,
        )
    })
    .await?;
    Ok(created(json!({ "id": id, "status": "pending" })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Decide {
    grant: bool,
    note: Option<String>,
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    JsonBody(body): JsonBody<Decide>,
) -> Result<Response, ApiError> {
    let e = with_actor(&state, &headers, move |store, actor| {
        schedule::decide_extension(store, actor, id, body.grant, body.note.as_deref())
    })
    .await?;
    Ok(Json(
        json!({ "id": e.id, "status": e.status, "new_due": e.new_due, "decided_by": e.decided_by }),
    )
    .into_response())
}

pub(crate) async fn extensions(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<YearQuery>,
) -> Result<Response, ApiError> {
    let list = with_actor(&state, &headers, move |store, actor| {
        schedule::extensions(store, actor, q.year)
    })
    .await?;
    let rows: Vec<_> = list
        .iter()
        .map(|e| {
            json!({ "id": e.id, "deadline": e.deadline, "region": e.region, "reason": e.reason,
                "measures": e.measures, "new_due": e.new_due, "status": e.status,
                "requested_at": e.requested_at, "requested_by": e.requested_by,
                "decided_at": e.decided_at, "decided_by": e.decided_by, "decision_note": e.decision_note })
        })
        .collect();
    Ok(Json(rows).into_response())
}

pub(crate) async fn awaiting(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<BatchQuery>,
) -> Result<Response, ApiError> {
    let batch = q.id()?;
    let v = with_actor(&state, &headers, move |store, actor| {
        schedule::awaiting(store, actor, &batch, today_in_china())
    })
    .await?;
    Ok(Json(v).into_response())
}
