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
    /// Count as things stood at the end of this day (YYYY-MM-DD).
    as_of: Option<String>,
    /// `false`: figures only, without the JCBH lists behind them.
    items: Option<bool>,
}

/// Drop every `items` list (the patches behind a figure) from `v`.
fn without_items(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("items");
            m.values_mut().for_each(without_items);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_items),
        _ => {}
    }
}

/// An `as_of` query value.
pub(crate) fn as_of(text: Option<&str>) -> Result<Option<time::Date>, ApiError> {
    text.map(|t| {
        weipian_domain::determination::parse_date(t)
            .ok_or_else(|| ApiError::invalid(format!("as_of “{t}” 应为 YYYY-MM-DD")))
    })
    .transpose()
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
        as_of: as_of(q.as_of.as_deref())?,
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
        as_of: as_of(q.as_of.as_deref())?,
    };
    let keep_items = q.items.unwrap_or(true);
    let v = with_actor(&state, &headers, move |store, actor| {
        stats(store, actor, &req)
    })
    .await?;
    if keep_items {
        return Ok(Json(v).into_response());
    }
    let mut v = serde_json::to_value(v).map_err(ApiError::internal)?;
    without_items(&mut v);
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct QuickQuery {
    year: u16,
    quarter: u8,
    /// XZQDM of a province, city or county.
    region: String,
    /// `json` (default), `md`, `html`, `docx` or `xlsx`.
    format: Option<String>,
    #[serde(default)]
    explain: bool,
    /// Count as things stand even after the cut-off.
    #[serde(default)]
    current: bool,
    /// Count as things stood at the end of this day.
    as_of: Option<String>,
}

/// 季度卫片执法工作情况快报: JSON (the filled paragraphs, every blank with
/// its figure and, with `explain`, the patches or cases behind it), or
/// the document to download.
pub(crate) async fn quick(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<QuickQuery>,
) -> Result<Response, ApiError> {
    let region = weipian_domain::RegionCode::parse(&q.region)
        .map_err(|e| ApiError::invalid(format!("region：{e}")))?;
    let format = match q.format.as_deref() {
        None | Some("json") => None,
        Some(f) => Some(weipian_documents::Format::parse(f).ok_or_else(|| {
            ApiError::invalid(format!("format “{f}” 应为 json、md、html、docx 或 xlsx"))
        })?),
    };
    let req = weipian_service::quick::QuickRequest {
        year: q.year,
        quarter: q.quarter,
        region,
        current: q.current,
        explain: q.explain,
        today: weipian_service::today_in_china(),
        as_of: as_of(q.as_of.as_deref())?,
    };
    let report = with_actor(&state, &headers, move |store, actor| {
        weipian_service::quick::quick(store, actor, &req)
    })
    .await?;
    let Some(format) = format else {
        return Ok(Json(report).into_response());
    };
    let bytes = weipian_documents::quick(&report.doc, &report.table, format, q.explain)
        .map_err(ApiError::internal)?;
    let name = format!("{}.{}", report.doc.title(), format.extension());
    Ok(super::download(bytes, format.mime(), &name))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResultsQuery {
    year: u16,
    /// `h1` or `annual`.
    period: String,
    region: String,
    /// `json` (default), `md`, `html`, `docx` or `xlsx`.
    format: Option<String>,
    #[serde(default)]
    explain: bool,
    #[serde(default)]
    current: bool,
    as_of: Option<String>,
}

/// Half-year or annual results: JSON, or the document to download.
pub(crate) async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<ResultsQuery>,
) -> Result<Response, ApiError> {
    let region = weipian_domain::RegionCode::parse(&q.region)
        .map_err(|e| ApiError::invalid(format!("region：{e}")))?;
    let period = weipian_service::quick::Period::parse(&q.period)
        .ok_or_else(|| ApiError::invalid(format!("period “{}” 应为 h1 或 annual", q.period)))?;
    let format = match q.format.as_deref() {
        None | Some("json") => None,
        Some(f) => Some(weipian_documents::Format::parse(f).ok_or_else(|| {
            ApiError::invalid(format!("format “{f}” 应为 json、md、html、docx 或 xlsx"))
        })?),
    };
    let req = weipian_service::quick::ResultsRequest {
        year: q.year,
        period,
        region,
        current: q.current,
        explain: q.explain,
        today: weipian_service::today_in_china(),
        as_of: as_of(q.as_of.as_deref())?,
    };
    let report = with_actor(&state, &headers, move |store, actor| {
        weipian_service::quick::results(store, actor, &req)
    })
    .await?;
    let Some(format) = format else {
        return Ok(Json(report).into_response());
    };
    let bytes = weipian_documents::results(
        &report.doc,
        &report.table,
        &report.figures,
        format,
        q.explain,
    )
    .map_err(ApiError::internal)?;
    let name = format!("{}.{}", report.doc.title(), format.extension());
    Ok(super::download(bytes, format.mime(), &name))
}
