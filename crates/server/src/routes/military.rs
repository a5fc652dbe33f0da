//! The military-land register: filing a patch, the register, its xlsx.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use weipian_service::military::{self, MilitaryRecord};

use super::patches::PatchPath;
use crate::extract::{JsonBody, PathArgs, QueryArgs};
use crate::{batch_id, with_actor, ApiError, AppState, BatchQuery};

pub(crate) async fn file(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
    JsonBody(record): JsonBody<MilitaryRecord>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let filed = jcbh.clone();
    with_actor(&state, &headers, move |store, actor| {
        military::file(store, actor, &batch, &jcbh, &record)
    })
    .await?;
    Ok(Json(json!({ "jcbh": filed, "filed": true })).into_response())
}

pub(crate) async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<BatchQuery>,
) -> Result<Response, ApiError> {
    let batch = q.id()?;
    let list = with_actor(&state, &headers, move |store, actor| {
        military::register(store, actor, &batch)
    })
    .await?;
    Ok(Json(list).into_response())
}

pub(crate) async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<BatchQuery>,
) -> Result<Response, ApiError> {
    let batch = q.id()?;
    let name = format!("军用土地登记表-{}-{}.xlsx", batch.year, batch.name);
    let file_name = name.clone();
    let bytes = with_actor(&state, &headers, move |store, actor| {
        super::written_bytes(&file_name, |path| {
            military::export_register(store, actor, &batch, path).map(|_| ())
        })
    })
    .await?;
    Ok(super::download(bytes, super::XLSX, &name))
}
