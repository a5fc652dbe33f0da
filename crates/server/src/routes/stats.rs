//! Statistics over the region tree.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_reports::Level;
use weipian_service::stats::{stats, StatsRequest};

use crate::extract::QueryArgs;
use crate::{batch_id, with_actor, ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct StatsQuery {
    year: u16,
    batch: String,
    /// `county` (default), `city`, `province` or `national`.
    level: Option<String>,
    /// Count from this frozen snapshot.
    snapshot: Option<i64>,
}

fn level_of(text: Option<&str>) -> Result<Level, ApiError> {
    let text = text.unwrap_or("county");
    Level::parse(text).ok_or_else(|| {
        ApiError::invalid(format!(
            "level “{text}” 应为 county、city、province 或 national"
        ))
    })
}

/// Cases (件) by region and stage.
pub(crate) async fn cases(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<StatsQuery>,
) -> Result<Response, ApiError> {
    let req = StatsRequest {
        batch: batch_id(q.year, &q.batch)?,
        level: level_of(q.level.as_deref())?,
        snapshot: q.snapshot,
    };
    let v = with_actor(&state, &headers, move |store, actor| {
        weipian_service::stats::case_stats(store, actor, &req)
    })
    .await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<StatsQuery>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    let level = level_of(q.level.as_deref())?;
    let req = StatsRequest {
        batch,
        level,
        snapshot: q.snapshot,
    };
    let v = with_actor(&state, &headers, move |store, actor| {
        stats(store, actor, &req)
    })
    .await?;
    Ok(Json(v).into_response())
}
