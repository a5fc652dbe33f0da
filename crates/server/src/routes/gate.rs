//! The approval gate: does this land overlap an unresolved violation?

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_service::gate::{check, GateInput};

use crate::extract::{QueryArgs, Upload};
use crate::routes::parcels::{file_name, with_file, MAX_GEOMETRY_BYTES};
use crate::{with_actor, ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct CodeQuery {
    /// A JCBH, `JCBH-n` or 批准文号.
    code: String,
}

/// By code.
pub(crate) async fn by_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<CodeQuery>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        check(store, actor, GateInput::Code(&q.code))
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct FileQuery {
    /// The file's name (its extension tells the format).
    name: Option<String>,
}

/// By a polygon file in the body.
pub(crate) async fn by_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<FileQuery>,
    Upload(bytes): Upload<MAX_GEOMETRY_BYTES>,
) -> Result<Response, ApiError> {
    let name = file_name(q.name.as_deref(), "拟审批范围.geojson")?;
    let v = with_actor(&state, &headers, move |store, actor| {
        with_file(&name, &bytes, |path| {
            check(store, actor, GateInput::File(path))
        })
    })
    .await?;
    Ok(Json(v).into_response())
}
