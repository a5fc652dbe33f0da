//! Accountability: the ranked lists (JSON or a workbook) and the 约谈名单
//! and 问责建议 documents.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_service::accountability::{accountability, AccountabilityRequest};
use weipian_service::enforcement::EnforcementRequest;

use crate::extract::QueryArgs;
use crate::{with_actor, ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct Query {
    year: u16,
    region: Option<String>,
    #[serde(default)]
    current: bool,
    /// `json` (default) or `xlsx`.
    format: Option<String>,
    #[serde(default)]
    explain: bool,
    /// Assess the data as it stood at the end of this day.
    as_of: Option<String>,
}

async fn report(
    state: &AppState,
    headers: &HeaderMap,
    q: &Query,
) -> Result<weipian_service::accountability::AccountabilityReport, ApiError> {
    let region = q
        .region
        .as_deref()
        .map(weipian_domain::RegionCode::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(format!("region：{e}")))?;
    let req = AccountabilityRequest {
        year: q.year,
        region,
        current: q.current,
        today: weipian_service::today_in_china(),
        as_of: super::stats::as_of(q.as_of.as_deref())?,
    };
    with_actor(state, headers, move |store, actor| {
        accountability(store, actor, &req)
    })
    .await
}

fn input<'a>(
    r: &'a weipian_service::accountability::AccountabilityReport,
    signals: &'a [(String, String, Vec<String>)],
) -> weipian_documents::AccountabilityInput<'a> {
    weipian_documents::AccountabilityInput {
        year: r.year,
        assessments: &r.assessments,
        basis: &r.basis,
        date: r.date,
        signals,
    }
}

fn enforcement_request(q: &Query) -> Result<EnforcementRequest, ApiError> {
    Ok(EnforcementRequest {
        year: q.year,
        region: q
            .region
            .as_deref()
            .map(weipian_domain::RegionCode::parse)
            .transpose()
            .map_err(|e| ApiError::invalid(format!("region：{e}")))?,
        today: weipian_service::today_in_china(),
    })
}

/// The other accountability situations per county.
pub(crate) async fn signals(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<Query>,
) -> Result<Response, ApiError> {
    let req = enforcement_request(&q)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        weipian_service::enforcement::signals(store, actor, &req)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct BlacklistQuery {
    year: u16,
    region: Option<String>,
    /// Name, case number or region code.
    q: Option<String>,
    /// `json` (default) or `xlsx`.
    format: Option<String>,
}

/// The blacklist of violating parties.
pub(crate) async fn blacklist(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(b): QueryArgs<BlacklistQuery>,
) -> Result<Response, ApiError> {
    let req = enforcement_request(&Query {
        year: b.year,
        region: b.region.clone(),
        current: true,
        format: None,
        explain: false,
        as_of: None,
    })?;
    let search = b.q.clone();
    let list = with_actor(&state, &headers, move |store, actor| {
        weipian_service::enforcement::blacklist(store, actor, &req, search.as_deref())
    })
    .await?;
    match b.format.as_deref() {
        None | Some("json") => Ok(Json(list).into_response()),
        Some("xlsx") => {
            let bytes =
                weipian_documents::blacklist_xlsx(b.year, &list).map_err(ApiError::internal)?;
            Ok(super::download(
                bytes,
                super::XLSX,
                &format!("{}年度违法主体黑名单.xlsx", b.year),
            ))
        }
        Some(f) => Err(ApiError::invalid(format!("format “{f}” 应为 json 或 xlsx"))),
    }
}

/// The ranked lists of cities and counties.
pub(crate) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<Query>,
) -> Result<Response, ApiError> {
    let r = report(&state, &headers, &q).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(r).into_response()),
        Some("xlsx") => {
            let bytes = weipian_documents::accountability_xlsx(&input(&r, &[]), q.explain)
                .map_err(ApiError::internal)?;
            Ok(super::download(
                bytes,
                super::XLSX,
                &format!("{}年度问责核算.xlsx", r.year),
            ))
        }
        Some(f) => Err(ApiError::invalid(format!("format “{f}” 应为 json 或 xlsx"))),
    }
}

/// `interview` (约谈名单) or `proposal` (问责建议) as .docx.
pub(crate) async fn document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(which): Path<String>,
    QueryArgs(q): QueryArgs<Query>,
) -> Result<Response, ApiError> {
    let make = match which.as_str() {
        "interview" => weipian_documents::interview_docx,
        "proposal" => weipian_documents::proposal_docx,
        _ => {
            return Err(ApiError::invalid(format!(
                "文书“{which}”应为 interview（约谈名单）或 proposal（问责建议）"
            )))
        }
    };
    let r = report(&state, &headers, &q).await?;
    let req = enforcement_request(&q)?;
    let found = with_actor(&state, &headers, move |store, actor| {
        weipian_service::enforcement::signals(store, actor, &req)
    })
    .await?;
    let rows = weipian_documents::signal_rows(&found, &r.policy);
    let bytes = make(&input(&r, &rows)).map_err(ApiError::internal)?;
    let name = if which == "interview" {
        "约谈名单"
    } else {
        "问责建议"
    };
    Ok(super::download(
        bytes,
        weipian_documents::Format::Docx.mime(),
        &format!("{}年度{name}.docx", r.year),
    ))
}
