//! Map data as GeoJSON (`application/geo+json`, EPSG:4490): the patches of
//! a batch in a view, a reference layer in a view, and one patch with its
//! 地块 and case ranges. Views are bounding boxes (`bbox`), at most
//! `limit` features each, the largest — never all geometries at once.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use weipian_service::map;

use crate::extract::{PathArgs, QueryArgs};
use crate::routes::patches::PatchPath;
use crate::{batch_id, with_actor, ApiError, AppState};

/// The GeoJSON media type (RFC 7946).
pub(crate) const GEOJSON: &str = "application/geo+json";

fn geojson<T: Serialize>(body: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, GEOJSON)], bytes).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PatchesQuery {
    year: u16,
    batch: String,
    /// `minx,miny,maxx,maxy`.
    bbox: Option<String>,
    limit: Option<String>,
}

/// `GET /api/map/patches?year=&batch=&bbox=&limit=`.
pub(crate) async fn patches(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<PatchesQuery>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    let bbox = map::bbox_param(q.bbox.as_deref())?;
    let limit = map::limit_param(q.limit.as_deref())?;
    let fc = with_actor(&state, &headers, move |store, actor| {
        map::patches_in_view(store, actor, &batch, bbox, limit)
    })
    .await?;
    geojson(&fc)
}

#[derive(Debug, Deserialize)]
pub(crate) struct LayerQuery {
    /// `minx,miny,maxx,maxy`.
    bbox: Option<String>,
    limit: Option<String>,
}

/// `GET /api/map/layers/{kind}?bbox=&limit=`.
pub(crate) async fn layer(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(kind): PathArgs<String>,
    QueryArgs(q): QueryArgs<LayerQuery>,
) -> Result<Response, ApiError> {
    let bbox = map::bbox_param(q.bbox.as_deref())?;
    let limit = map::limit_param(q.limit.as_deref())?;
    let fc = with_actor(&state, &headers, move |store, actor| {
        map::layer_in_view(store, actor, &kind, bbox, limit)
    })
    .await?;
    geojson(&fc)
}

/// `GET /api/patches/{year}/{batch}/{jcbh}/geometry`.
pub(crate) async fn geometry(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs((year, batch, jcbh)): PatchPath,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let fc = with_actor(&state, &headers, move |store, actor| {
        map::patch_geometry(store, actor, &batch, &jcbh)
    })
    .await?;
    geojson(&fc)
}
