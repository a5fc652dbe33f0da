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

pub(crate) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<StatsQuery>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    let level = match q.level.as_deref().unwrap_or("county") {
        "county" => Level::County,
        "city" => Level::City,
        "province" => Level::Province,
        "national" => Level::National,
        other => {
            return Err(ApiError::invalid(format!(
                "level “{other}” 应为 county、city、province 或 national"
            )))
        }
    };
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
