//! Extractors whose rejections are [`ApiError`]s (JSON, Chinese), so a
//! malformed path, query or body never answers in axum's plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Path parameters; a path that does not parse is "not found".
pub(crate) struct PathArgs<T>(pub T);

impl<S, T> FromRequestParts<S> for PathArgs<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Self(t))
            .map_err(|_| ApiError::not_found("没有这个接口或资源"))
    }
}

/// Query parameters; missing or malformed ones are `invalid`.
pub(crate) struct QueryArgs<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryArgs<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Self(t))
            .map_err(|e| ApiError::invalid(format!("查询参数有误：{}", e.body_text())))
    }
}

/// A JSON body; one that does not parse is `invalid`.
pub(crate) struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(t)| Self(t))
            .map_err(|e| ApiError::invalid(format!("请求内容不是有效的 JSON：{}", e.body_text())))
    }
}

/// A raw body of at most `MAX` bytes (refused with 413 beyond, before
/// reading it when its declared length says so).
pub(crate) struct Upload<const MAX: usize>(pub Bytes);

impl<S, const MAX: usize> FromRequest<S> for Upload<MAX>
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > u64::try_from(MAX).unwrap_or(u64::MAX)) {
            return Err(ApiError::too_large(MAX));
        }
        axum::body::to_bytes(req.into_body(), MAX)
            .await
            .map(Self)
            .map_err(|e| {
                let inner = e.into_inner();
                let mut source: Option<&(dyn std::error::Error + 'static)> = Some(inner.as_ref());
                while let Some(s) = source {
                    if s.is::<http_body_util::LengthLimitError>() {
                        return ApiError::too_large(MAX);
                    }
                    source = s.source();
                }
                ApiError::invalid(format!("上传内容读取失败：{inner}"))
            })
    }
}
