//! The caller, the patch list, one patch's detail, its answer and its history.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use weipian_domain::determination::Answer;
use weipian_domain::{PatchKind, RegionCode};
use weipian_service::{answers, history, patches};

use crate::extract::{JsonBody, PathArgs, QueryArgs};
use crate::{batch_id, with_actor, ApiError, AppState};

/// `{year}/{batch}/{jcbh}`.
pub(crate) type PatchPath = PathArgs<(u16, String, String)>;

pub(crate) async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = with_actor(&state, &headers, |_, actor| {
        Ok::<_, ApiError>(actor.clone())
    })
    .await?;
    Ok(Json(json!({
        "user": actor.user,
        "region": actor.scope.code(),
        "role": actor.role.code(),
        "role_name": actor.role.name_zh(),
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    year: u16,
    batch: String,
    kind: Option<String>,
    region: Option<String>,
    status: Option<String>,
    pdlx: Option<String>,
    jtqx: Option<String>,
    flag: Option<String>,
    min_area: Option<String>,
    max_area: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

/// An area parameter in m² (blank: none).
fn area(name: &str, value: Option<&str>) -> Result<Option<f64>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .map(Some)
            .map_err(|_| ApiError::invalid(format!("{name} “{v}” 不是数字（平方米）"))),
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<ListQuery>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(
            PatchKind::parse(k)
                .ok_or_else(|| ApiError::invalid(format!("kind “{k}” 应为 land 或 mineral")))?,
        ),
    };
    let region = match q.region.as_deref() {
        None | Some("") => None,
        Some(r) => Some(RegionCode::parse(r).map_err(|e| ApiError::invalid(e.to_string()))?),
    };
    let req = patches::ListRequest {
        batch,
        kind,
        region,
        status: q.status,
        pdlx: q.pdlx,
        jtqx: q.jtqx,
        flag: q.flag,
        min_area: area("min_area", q.min_area.as_deref())?,
        max_area: area("max_area", q.max_area.as_deref())?,
        q: q.q,
        sort: q.sort,
        dir: q.dir,
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(patches::DEFAULT_PER_PAGE),
    };
    let page = with_actor(&state, &headers, move |store, actor| {
        patches::list(store, actor, &req)
    })
    .await?;
    Ok(Json(page).into_response())
}

pub(crate) async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let detail = with_actor(&state, &headers, move |store, actor| {
        patches::detail(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(detail).into_response())
}

pub(crate) async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let records = with_actor(&state, &headers, move |store, actor| {
        history::patch_history(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(records).into_response())
}

pub(crate) async fn get_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let view = with_actor(&state, &headers, move |store, actor| {
        answers::get_answer(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PutAnswer {
    pub(crate) answer: Answer,
    /// The version edited (absent for the first answer).
    pub(crate) based_on: Option<i64>,
    pub(crate) reason: Option<String>,
}

pub(crate) async fn put_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
    JsonBody(body): JsonBody<PutAnswer>,
) -> Result<Response, ApiError> {
    let req = answers::SaveAnswer {
        batch: batch_id(year, &batch)?,
        jcbh,
        answer: body.answer,
        based_on: body.based_on,
        reason: body.reason,
    };
    let view = with_actor(&state, &headers, move |store, actor| {
        answers::save_answer(store, actor, &req)
    })
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Override {
    answer: Answer,
    based_on: Option<i64>,
    /// Why the province writes the answer itself (required).
    reason: String,
    /// A 地块 of a split patch (absent: the whole patch).
    parcel: Option<u32>,
}

/// 省级直接修改 (province reviewers, with a reason).
pub(crate) async fn override_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
    JsonBody(body): JsonBody<Override>,
) -> Result<Response, ApiError> {
    let req = answers::SaveAnswer {
        batch: batch_id(year, &batch)?,
        jcbh,
        answer: body.answer,
        based_on: body.based_on,
        reason: None,
    };
    let view = with_actor(&state, &headers, move |store, actor| {
        answers::override_answer(store, actor, &req, body.parcel.unwrap_or(0), &body.reason)
    })
    .await?;
    Ok(Json(view).into_response())
}
