//! The API's one error type: a status, a stable machine code and a Chinese
//! message, rendered as JSON. Service errors map to it here, once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use weipian_service::ServiceError;
use weipian_store::StoreError;

/// An API error: a status, a machine code, a Chinese message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: serde_json::Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            extra: json!({}),
        }
    }

    /// 422: the request is not what the operation takes.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// The error a service refusal code stands for (`not_found`,
    /// `forbidden`, `conflict`, anything else `invalid`), with its message.
    pub(crate) fn from_refusal(code: &str, message: impl Into<String>) -> Self {
        match code {
            "not_found" => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            "forbidden" => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            "conflict" => Self::new(StatusCode::CONFLICT, "conflict", message),
            _ => Self::invalid(message),
        }
    }

    /// 404.
    /// 403 `csrf`: a change sent with the session cookie but without its
    /// anti-CSRF token.
    pub(crate) fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "缺少或错误的防跨站请求令牌（X-CSRF-Token），请刷新页面后重试",
        )
    }

    /// 429 `too_many_attempts`.
    pub(crate) fn too_many_attempts(minutes: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("登录失败次数过多，请 {minutes} 分钟后再试"),
        )
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("未找到：{}", message.into()),
        )
    }

    /// 413: a body over the route's limit.
    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("上传内容超过 {} MB 的上限", limit / (1024 * 1024)),
        )
    }

    /// 500 (logged).
    pub(crate) fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("内部错误：{message}"),
        )
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let (status, code) = match &e {
            ServiceError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ServiceError::Denied(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ServiceError::Conflict { .. } | ServiceError::Store(StoreError::Conflict { .. }) => {
                (StatusCode::CONFLICT, "conflict")
            }
            ServiceError::Store(StoreError::Busy) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            // What the caller sent cannot be stored (e.g. a case number already used).
            ServiceError::Store(
                StoreError::Invalid(_)
                | StoreError::InvalidRecord { .. }
                | StoreError::DuplicateJcbh { .. }
                | StoreError::KindConflict { .. }
                | StoreError::SchemaMismatch { .. },
            ) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ServiceError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        };
        let extra = match &e {
            ServiceError::Conflict {
                current_version,
                changed_fields,
                ..
            } => json!({ "current_version": current_version, "changed_fields": changed_fields }),
            ServiceError::Store(StoreError::Conflict { version, .. }) => {
                json!({ "current_version": version, "changed_fields": [] })
            }
            ServiceError::Rejected { problems, .. } => json!({
                "problems": problems
                    .iter()
                    .map(|p| json!({ "row": p.row, "jcbh": p.jcbh, "message": p.message }))
                    .collect::<Vec<_>>()
            }),
            _ => json!({}),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "internal error");
        }
        Self {
            status,
            code,
            message: e.to_string(),
            extra,
        }
    }
}

impl ApiError {
    /// The JSON body: `code`, `message` and what the error carries
    /// (`current_version` of a conflict, `problems` of a rejected file).
    pub(crate) fn body(&self) -> serde_json::Value {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let (Some(b), Some(x)) = (body.as_object_mut(), self.extra.as_object()) {
            b.extend(x.clone());
        }
        body
    }

    /// The message with `from` replaced by `to` (an upload's temporary
    /// folder by nothing, so errors name the file the user sent).
    pub(crate) fn replace_in_message(mut self, from: &str, to: &str) -> Self {
        self.message = self.message.replace(from, to);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        (self.status, Json(body)).into_response()
    }
}
