//! The HTTP JSON API of weipian, under `/api/`: config → state → routes, as
//! in maplibre/martin. Handlers only translate HTTP to service calls and
//! back; every permission check happens in the service layer.
//!
//! Authentication: `Authorization: Bearer wp_…` (a token from `weipian user
//! token`). Errors are JSON `{"code": "…", "message": "…"}` with a stable
//! machine code and a Chinese message:
//!
//! | status | code |
//! |---|---|
//! | 401 | `unauthorized` |
//! | 403 | `forbidden` |
//! | 404 | `not_found` (also for anything outside the caller's region) |
//! | 409 | `conflict` (a write based on a stale version) |
//! | 422 | `invalid` |
//! | 500 | `internal` |
//!
//! The store is one SQLite connection; requests take it in turn on the
//! blocking pool (the store's own reads fan out over cores where it pays).

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use weipian_domain::access::Actor;
use weipian_domain::determination::Answer;
use weipian_domain::{BatchId, PatchKind, RegionCode};
use weipian_service::{answers, patches, users, ServiceError};
use weipian_store::Store;

/// Shared state: the store.
#[derive(Clone)]
pub struct AppState {
    store: Arc<Mutex<Store>>,
}

impl AppState {
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self {
            store: Arc::new(Mutex::new(store)),
        }
    }
}

/// An API error: a status, a machine code, a Chinese message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: serde_json::Value,
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let (status, code) = match &e {
            ServiceError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ServiceError::Denied(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ServiceError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            ServiceError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        };
        let extra = match &e {
            ServiceError::Conflict {
                current_version,
                changed_fields,
                ..
            } => json!({ "current_version": current_version, "changed_fields": changed_fields }),
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let (Some(b), Some(x)) = (body.as_object_mut(), self.extra.as_object()) {
            b.extend(x.clone());
        }
        (self.status, Json(body)).into_response()
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid",
        message: message.into(),
        extra: json!({}),
    }
}

/// Run `f` with the store and the caller (from the bearer token) on the blocking pool.
async fn with_actor<T, F>(state: &AppState, headers: &HeaderMap, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store, &Actor) -> Result<T, ServiceError> + Send + 'static,
{
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .ok_or(ServiceError::Unauthorized)?;
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let actor = users::authenticate_token(&store, &token)?;
        f(&mut store, &actor)
    })
    .await
    .map_err(|e| ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        message: format!("内部错误：{e}"),
        extra: json!({}),
    })?
    .map_err(ApiError::from)
}

fn batch_id(year: u16, name: &str) -> Result<BatchId, ApiError> {
    BatchId::new(year, name).map_err(|e| invalid(e.to_string()))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    year: u16,
    batch: String,
    kind: Option<String>,
    region: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn list_patches(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(
            PatchKind::parse(k)
                .ok_or_else(|| invalid(format!("kind “{k}” 应为 land 或 mineral")))?,
        ),
    };
    let region = match q.region.as_deref() {
        None | Some("") => None,
        Some(r) => Some(RegionCode::parse(r).map_err(|e| invalid(e.to_string()))?),
    };
    let req = patches::ListRequest {
        batch,
        kind,
        region,
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(100),
    };
    let page = with_actor(&state, &headers, move |store, actor| {
        patches::list(store, actor, &req)
    })
    .await?;
    Ok(Json(page).into_response())
}

async fn get_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((year, batch, jcbh)): Path<(u16, String, String)>,
) -> Result<Response, ApiError> {
    let batch = batch_id(year, &batch)?;
    let view = with_actor(&state, &headers, move |store, actor| {
        answers::get_answer(store, actor, &batch, &jcbh)
    })
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize)]
struct PutAnswer {
    answer: Answer,
    /// The version edited (absent for the first answer).
    based_on: Option<i64>,
    reason: Option<String>,
}

async fn put_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((year, batch, jcbh)): Path<(u16, String, String)>,
    body: Result<Json<PutAnswer>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) =
        body.map_err(|e| invalid(format!("请求内容不是有效的填报 JSON：{}", e.body_text())))?;
    let req = answers::SaveAnswer {
        batch: batch_id(year, &batch)?,
        jcbh,
        answer: body.answer,
        based_on: body.based_on,
        reason: body.reason,
    };
    let view = with_actor(&state, &headers, move |store, actor| {
        answers::save_answer(store, actor, &req)
    })
    .await?;
    Ok(Json(view).into_response())
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let actor = with_actor(&state, &headers, |_, actor| Ok(actor.clone())).await?;
    Ok(Json(json!({
        "user": actor.user,
        "region": actor.scope.code(),
        "role": actor.role.code(),
        "role_name": actor.role.name_zh(),
    }))
    .into_response())
}

async fn openapi() -> Response {
    Json(openapi_document()).into_response()
}

/// The OpenAPI 3.1 description of the API (served at `/api/openapi.json`).
#[must_use]
pub fn openapi_document() -> serde_json::Value {
    let error = json!({ "$ref": "#/components/schemas/Error" });
    let errors = |codes: &[&str]| -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for c in codes {
            m.insert((*c).into(), json!({ "description": "错误", "content": { "application/json": { "schema": error } } }));
        }
        serde_json::Value::Object(m)
    };
    let path_params = json!([
        { "name": "year", "in": "path", "required": true, "schema": { "type": "integer" } },
        { "name": "batch", "in": "path", "required": true, "schema": { "type": "string" } },
        { "name": "jcbh", "in": "path", "required": true, "schema": { "type": "string" }, "description": "监测编号" }
    ]);
    let mut list_responses = errors(&["401", "422"]);
    list_responses["200"] = json!({ "description": "一页图斑（只含调用者所辖行政区）" });
    let mut get_responses = errors(&["401", "404"]);
    get_responses["200"] = json!({ "description": "当前填报及其校验结果" });
    let mut put_responses = errors(&["401", "403", "404", "409", "422"]);
    put_responses["200"] = json!({ "description": "已保存（不完整时列出全部问题）" });
    json!({
        "openapi": "3.1.0",
        "info": { "title": "weipian 卫片执法 API", "version": env!("CARGO_PKG_VERSION") },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": { "type": "string", "enum": ["unauthorized", "forbidden", "not_found", "conflict", "invalid", "internal"] },
                        "message": { "type": "string" }
                    }
                }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/me": { "get": { "summary": "当前用户", "responses": { "200": { "description": "用户、行政区与角色" }, "401": { "description": "未登录" } } } },
            "/api/patches": { "get": {
                "summary": "图斑列表（分页）",
                "parameters": [
                    { "name": "year", "in": "query", "required": true, "schema": { "type": "integer" } },
                    { "name": "batch", "in": "query", "required": true, "schema": { "type": "string" } },
                    { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["land", "mineral"] } },
                    { "name": "region", "in": "query", "schema": { "type": "string" } },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } },
                    { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }
                ],
                "responses": list_responses
            } },
            "/api/patches/{year}/{batch}/{jcbh}/answer": {
                "get": { "summary": "图斑填报", "parameters": path_params, "responses": get_responses },
                "put": { "summary": "保存图斑填报（基于版本）", "parameters": path_params,
                         "requestBody": { "required": true, "content": { "application/json": { "schema": {
                             "type": "object", "required": ["answer"],
                             "properties": { "answer": { "type": "object" }, "based_on": { "type": ["integer", "null"] }, "reason": { "type": ["string", "null"] } } } } } },
                         "responses": put_responses }
            },
            "/api/openapi.json": { "get": { "summary": "本文档", "security": [], "responses": { "200": { "description": "OpenAPI 文档" } } } }
        }
    })
}

async fn fallback() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        message: "未找到：没有这个接口".into(),
        extra: json!({}),
    }
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/patches", get(list_patches))
        .route(
            "/api/patches/{year}/{batch}/{jcbh}/answer",
            get(get_answer).put(put_answer),
        )
        .route("/api/openapi.json", get(openapi))
        .fallback(fallback)
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(state)
}

/// Serve the API on `addr` until the process ends.
pub async fn serve(store: Store, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "serving");
    axum::serve(listener, router(AppState::new(store))).await
}
