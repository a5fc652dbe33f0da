//! Bulk answers (表格回填): upload a filled table, download the table to fill.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_service::bulk;

use crate::extract::{QueryArgs, Upload};
use crate::{batch_id, with_actor, ApiError, AppState};

/// Largest table accepted.
pub(crate) const MAX_TABLE_BYTES: usize = 20 << 20;

#[derive(Debug, Deserialize)]
pub(crate) struct TableQuery {
    year: u16,
    batch: String,
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Csv,
}

impl TableQuery {
    fn format(&self) -> Result<Format, ApiError> {
        match self.format.as_deref().map(str::trim) {
            None | Some("" | "xlsx") => Ok(Format::Xlsx),
            Some("csv") => Ok(Format::Csv),
            Some(f) => Err(ApiError::invalid(format!("format “{f}” 应为 xlsx 或 csv"))),
        }
    }
}

/// Apply an uploaded table; 200 with the report (applied, unchanged and
/// rejected rows with every reason) even when rows were rejected.
pub(crate) async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<TableQuery>,
    Upload(bytes): Upload<MAX_TABLE_BYTES>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    // The service reads a file, typed by its extension.
    let ext = match q.format()? {
        Format::Xlsx => "xlsx",
        Format::Csv => "csv",
    };
    let report = with_actor(&state, &headers, move |store, actor| {
        let dir = tempfile::tempdir().map_err(ApiError::internal)?;
        let path = dir.path().join(format!("接口上传.{ext}"));
        std::fs::write(&path, &bytes).map_err(ApiError::internal)?;
        bulk::import_answers(store, actor, &batch, &path).map_err(ApiError::from)
    })
    .await?;
    Ok(Json(report).into_response())
}

/// The answers of the patches the caller may see, in the upload layout.
pub(crate) async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<TableQuery>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    let (ext, media_type) = match q.format()? {
        Format::Xlsx => ("xlsx", super::XLSX),
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
    };
    let name = format!("填报-{}-{}.{ext}", batch.year, batch.name);
    let file_name = name.clone();
    let bytes = with_actor(&state, &headers, move |store, actor| {
        super::written_bytes(&file_name, |path| {
            bulk::export_answers(store, actor, &batch, path).map(|_| ())
        })
    })
    .await?;
    Ok(super::download(bytes, media_type, &name))
}
