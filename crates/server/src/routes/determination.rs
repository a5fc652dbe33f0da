//! The year's 判定 code table as the answer form needs it: categories per
//! kind with their sub-categories and the evidence forms each requires,
//! every form's fields, the deduction kinds and the mineral 处理方式.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use weipian_domain::determination::{CodeTable, Form, Handling};

use crate::extract::PathArgs;
use crate::ApiError;

/// `GET /api/determination/{year}`.
pub(crate) async fn table(PathArgs(year): PathArgs<u16>) -> Result<Response, ApiError> {
    let table = CodeTable::embedded(year).ok_or_else(|| {
        let years: Vec<String> = CodeTable::embedded_years()
            .iter()
            .map(u16::to_string)
            .collect();
        ApiError::not_found(format!(
            "没有 {year} 年的判定类型代码表，现有：{}",
            years.join("、")
        ))
    })?;
    let forms: serde_json::Map<String, serde_json::Value> = Form::ALL
        .iter()
        .map(|f| {
            let code = serde_json::to_value(f)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (code, json!({ "name": f.name_zh(), "fields": f.fields() }))
        })
        .collect();
    let handling: Vec<serde_json::Value> = [Handling::Case, Handling::NonCase, Handling::None]
        .iter()
        .map(|h| json!({ "code": h, "name": h.name_zh() }))
        .collect();
    Ok(Json(json!({
        "year": table.year,
        "land": table.land,
        "mineral": table.mineral,
        "forms": forms,
        "deductions": table.deduction,
        "handling": handling,
        "handling_needs_note": table.policy.handling_needs_note,
    }))
    .into_response())
}
