//! 地块拆分 and the illegal-land vector range of a case: geometry uploaded
//! as a file (GeoJSON, zipped Shapefile, GeoPackage, 国土 TXT) in the body.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_service::{answers, case_ranges, parcels, ServiceError};

use crate::extract::{JsonBody, PathArgs, QueryArgs, Upload};
use crate::routes::patches::PatchPath;
use crate::{batch_id, with_actor, ApiError, AppState};

/// Largest geometry file accepted.
pub(crate) const MAX_GEOMETRY_BYTES: usize = 20 << 20;

/// The uploaded file's name: its last component only, with an extension
/// the readers know (the format is told by it).
pub(crate) fn file_name(name: Option<&str>, default: &str) -> Result<String, ApiError> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(default);
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_string();
    let ext = base
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if base.starts_with('.') || !["geojson", "json", "zip", "gpkg", "txt"].contains(&ext.as_str()) {
        return Err(ApiError::invalid(format!(
            "文件名“{base}”的扩展名应为 .geojson、.zip（Shapefile 压缩包）、.gpkg 或 .txt（国土坐标文件）"
        )));
    }
    Ok(base)
}

/// Errors name the file the user sent, not the temporary copy.
fn as_sent(e: ServiceError, name: &str) -> ApiError {
    match e {
        ServiceError::Rejected { problems, .. } => ServiceError::Rejected {
            path: name.into(),
            problems,
        }
        .into(),
        ServiceError::Crs { source, .. } => ServiceError::Crs {
            path: name.into(),
            source,
        }
        .into(),
        other => other.into(),
    }
}

/// Write the upload to a temporary file named `name` and run `f` on it.
pub(crate) fn with_file<T>(
    name: &str,
    bytes: &[u8],
    f: impl FnOnce(&std::path::Path) -> Result<T, ServiceError>,
) -> Result<T, ApiError> {
    let dir = tempfile::tempdir().map_err(ApiError::internal)?;
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).map_err(ApiError::internal)?;
    f(&path).map_err(|e| as_sent(e, name))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        parcels::parcels(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SplitQuery {
    /// The file's name (its extension tells the format); default `地块.geojson`.
    name: Option<String>,
    /// Re-split although answers exist (they leave the current answers).
    #[serde(default)]
    discard_answers: bool,
}

pub(crate) async fn split(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
    QueryArgs(q): QueryArgs<SplitQuery>,
    Upload(bytes): Upload<MAX_GEOMETRY_BYTES>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let name = file_name(q.name.as_deref(), "地块.geojson")?;
    let v = with_actor(&state, &headers, move |store, actor| {
        with_file(&name, &bytes, |path| {
            parcels::split_from_file(store, actor, &batch, &jcbh, path, q.discard_answers)
        })
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct UnsplitQuery {
    #[serde(default)]
    discard_answers: bool,
    reason: Option<String>,
}

pub(crate) async fn unsplit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
    QueryArgs(q): QueryArgs<UnsplitQuery>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        parcels::unsplit(store, actor, &batch, &jcbh, q.discard_answers, q.reason)
    })
    .await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn get_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh, no)): PathArgs<(u16, String, String, u32)>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    if no == 0 {
        return Err(ApiError::not_found("地块序号从 1 开始"));
    }
    let v = with_actor(&state, &headers, move |store, actor| {
        answers::get_part_answer(store, actor, &batch, &jcbh, no)
    })
    .await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn put_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh, no)): PathArgs<(u16, String, String, u32)>,
    JsonBody(body): JsonBody<super::patches::PutAnswer>,
) -> Result<Response, ApiError> {
    if no == 0 {
        return Err(ApiError::not_found("地块序号从 1 开始"));
    }
    let req = answers::SaveAnswer {
        batch: batch_id(year, &batch)?,
        jcbh,
        answer: body.answer,
        based_on: body.based_on,
        reason: body.reason,
    };
    let v = with_actor(&state, &headers, move |store, actor| {
        answers::save_part_answer(store, actor, &req, no)
    })
    .await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn get_range(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, move |store, actor| {
        case_ranges::range(store, actor, id)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct RangeQuery {
    /// The file's name (its extension tells the format); default `违法用地范围.geojson`.
    name: Option<String>,
}

pub(crate) async fn put_range(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<i64>,
    QueryArgs(q): QueryArgs<RangeQuery>,
    Upload(bytes): Upload<MAX_GEOMETRY_BYTES>,
) -> Result<Response, ApiError> {
    let name = file_name(q.name.as_deref(), "违法用地范围.geojson")?;
    let v = with_actor(&state, &headers, move |store, actor| {
        with_file(&name, &bytes, |path| {
            case_ranges::upload_range(store, actor, id, path)
        })
    })
    .await?;
    Ok(Json(v).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_known_base_name_is_used() {
        assert_eq!(
            file_name(Some("../../etc/地块.geojson"), "x.txt").unwrap(),
            "地块.geojson"
        );
        assert_eq!(file_name(Some("C:\\a\\b.ZIP"), "x.txt").unwrap(), "b.ZIP");
        assert_eq!(file_name(None, "地块.geojson").unwrap(), "地块.geojson");
        assert!(file_name(Some("a.exe"), "x.txt").is_err());
        assert!(file_name(Some(".geojson"), "x.txt").is_err());
        assert!(file_name(Some("noext"), "x.txt").is_err());
    }
}

/// Largest number of dividing lines, and of points per line.
const MAX_CUT_LINES: usize = 50;
const MAX_CUT_POINTS: usize = 10_000;

#[derive(Debug, Deserialize)]
pub(crate) struct Cut {
    /// Dividing lines, each `[[lon, lat], …]` in EPSG:4490.
    lines: Vec<Vec<[f64; 2]>>,
    #[serde(default)]
    discard_answers: bool,
}

/// `PUT …/parcels/cut`: split along lines drawn across the patch.
pub(crate) async fn cut(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
    JsonBody(body): JsonBody<Cut>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    if body.lines.is_empty() || body.lines.len() > MAX_CUT_LINES {
        return Err(ApiError::invalid(format!(
            "lines 应为 1 到 {MAX_CUT_LINES} 条分割线"
        )));
    }
    if body.lines.iter().any(|l| l.len() > MAX_CUT_POINTS) {
        return Err(ApiError::invalid(format!(
            "每条分割线最多 {MAX_CUT_POINTS} 个点"
        )));
    }
    let lines: Vec<geo_types::LineString<f64>> = body
        .lines
        .iter()
        .map(|l| l.iter().map(|&[x, y]| geo_types::Coord { x, y }).collect())
        .collect();
    let v = with_actor(&state, &headers, move |store, actor| {
        parcels::split_by_lines(store, actor, &batch, &jcbh, &lines, body.discard_answers)
    })
    .await?;
    Ok(Json(v).into_response())
}
