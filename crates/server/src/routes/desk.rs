//! Desk review (内业审核): the rules, running them, a patch's flags, the
//! county's reply and the reviewer's decision.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_domain::desk::RULES;
use weipian_service::desk;

use crate::extract::{JsonBody, PathArgs};
use crate::routes::patches::PatchPath;
use crate::{batch_id, with_actor, ApiError, AppState};

pub(crate) async fn rules(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Any signed-in user may read the rules.
    with_actor(&state, &headers, |_, _| Ok::<_, ApiError>(())).await?;
    Ok(Json(RULES).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Run {
    year: u16,
    batch: String,
    /// Only these patches (all in the caller's region when absent).
    jcbhs: Option<Vec<String>>,
}

pub(crate) async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Run>,
) -> Result<Response, ApiError> {
    let batch = batch_id(body.year, &body.batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        desk::run(
            store,
            actor,
            &batch,
            body.jcbhs.as_deref(),
            weipian_service::today_in_china(),
        )
    })
    .await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn flags(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        desk::flags(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Reply {
    text: String,
}

pub(crate) async fn reply(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    JsonBody(body): JsonBody<Reply>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        desk::reply(store, actor, id, &body.text)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Decision {
    /// true: the problem stands (属实); false: cleared (排除).
    upheld: bool,
    note: Option<String>,
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    JsonBody(body): JsonBody<Decision>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        desk::decide(store, actor, id, body.upheld, body.note.as_deref())
    })
    .await?;
    Ok(Json(v).into_response())
}
