//! Evidence files of a patch: list, upload (the raw bytes, the name in
//! `?name=`), download (only a file attached to that patch).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_service::evidence::{self, MAX_ATTACHMENT_BYTES};

use super::patches::PatchPath;
use crate::extract::{PathArgs, QueryArgs, Upload};
use crate::{batch_id, created, with_actor, ApiError, AppState};

/// The upload limit: the service's own (which answers with the file's size)
/// plus room for a slightly larger file to reach it.
pub(crate) const MAX_UPLOAD_BYTES: usize = MAX_ATTACHMENT_BYTES + (64 << 10);

pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let list = with_actor(&state, &headers, move |store, actor| {
        evidence::attachments(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(list).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct UploadQuery {
    /// The file's name as shown (its type comes from its content).
    name: Option<String>,
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
    QueryArgs(q): QueryArgs<UploadQuery>,
    Upload(bytes): Upload<MAX_UPLOAD_BYTES>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let name = q.name.unwrap_or_default();
    let view = with_actor(&state, &headers, move |store, actor| {
        evidence::attach(store, actor, &batch, &jcbh, &name, &bytes)
    })
    .await?;
    Ok(created(view))
}

/// Only the types the service accepts are served as themselves.
fn served_type(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" => "image/jpeg",
        "image/png" => "image/png",
        "application/pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

pub(crate) async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh, sha256)): PathArgs<(u16, String, String, String)>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let file = with_actor(&state, &headers, move |store, actor| {
        evidence::attachment_file(store, actor, &batch, &jcbh, &sha256)
    })
    .await?;
    Ok(super::download(
        file.bytes,
        served_type(&file.media_type),
        &file.file_name,
    ))
}
