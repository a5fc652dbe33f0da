//! User administration (administrators, within their region): list,
//! create, change region and role, disable.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use weipian_domain::access::{Role, Scope};
use weipian_service::users;

use crate::extract::{JsonBody, PathArgs};
use crate::{created, with_actor, ApiError, AppState};

fn scope_role(region: &str, role: &str) -> Result<(Scope, Role), ApiError> {
    let scope = Scope::parse(region).map_err(|e| ApiError::invalid(format!("region：{e}")))?;
    let role = Role::parse(role).ok_or_else(|| {
        ApiError::invalid(format!(
            "role “{role}” 应为 admin、county、city、province、desk、military 或 ministry"
        ))
    })?;
    Ok((scope, role))
}

/// `GET /api/users`.
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = with_actor(&state, &headers, |store, actor| {
        users::list_users(store, actor)
    })
    .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewUserBody {
    name: String,
    region: String,
    role: String,
    password: String,
}

/// `POST /api/users`.
pub(crate) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewUserBody>,
) -> Result<Response, ApiError> {
    let (scope, role) = scope_role(&b.region, &b.role)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        users::add_user(store, actor, b.name.trim(), scope, role, &b.password)
    })
    .await?;
    Ok(created(v))
}

#[derive(Debug, Deserialize)]
pub(crate) struct UpdateBody {
    region: String,
    role: String,
    #[serde(default)]
    disabled: bool,
}

/// `PUT /api/users/{name}`.
pub(crate) async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(name): PathArgs<String>,
    JsonBody(b): JsonBody<UpdateBody>,
) -> Result<Response, ApiError> {
    let (scope, role) = scope_role(&b.region, &b.role)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        users::update_user(store, actor, &name, scope, role, b.disabled)
    })
    .await?;
    Ok(Json(v).into_response())
}
