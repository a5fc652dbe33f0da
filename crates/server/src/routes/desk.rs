//! Desk review (内业审核): the rules, running them, a patch's flags, the
//! county's reply and the reviewer's decision (on one flag, or on many at once).

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

/// A bulk decision: the flags by id, or every open flag of the patches
/// `jcbhs` of a batch (only those of `rule`, when given).
#[derive(Debug, Deserialize)]
pub(crate) struct Decisions {
    ids: Option<Vec<i64>>,
    year: Option<u16>,
    batch: Option<String>,
    jcbhs: Option<Vec<String>>,
    rule: Option<String>,
    /// true: the problems stand (属实); false: cleared (排除).
    upheld: bool,
    note: Option<String>,
}

enum Selection {
    Ids(Vec<i64>),
    Patches(weipian_domain::BatchId, Vec<String>),
}

pub(crate) async fn decide_many(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Decisions>,
) -> Result<Response, ApiError> {
    let Decisions {
        ids,
        year,
        batch,
        jcbhs,
        rule,
        upheld,
        note,
    } = body;
    let selection = match (ids, jcbhs) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("疑点编号 ids 与图斑 jcbhs 只能给出一种"))
        }
        (Some(_), None) if rule.is_some() => {
            return Err(ApiError::invalid("规则 rule 只用于按图斑认定（jcbhs）"))
        }
        (Some(ids), None) => Selection::Ids(ids),
        (None, Some(jcbhs)) => {
            let (Some(year), Some(batch)) = (year, batch) else {
                return Err(ApiError::invalid("按图斑认定疑点须给出 year 与 batch"));
            };
            Selection::Patches(batch_id(year, &batch)?, jcbhs)
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "须给出疑点编号 ids，或图斑 year、batch、jcbhs",
            ))
        }
    };
    let v = with_actor(&state, &headers, move |store, actor| match selection {
        Selection::Ids(ids) => desk::decide_many(store, actor, &ids, upheld, note.as_deref()),
        Selection::Patches(batch, jcbhs) => desk::decide_open_of_patches(
            store,
            actor,
            &batch,
            &jcbhs,
            rule.as_deref(),
            upheld,
            note.as_deref(),
        ),
    })
    .await?;
    Ok(Json(v).into_response())
}
