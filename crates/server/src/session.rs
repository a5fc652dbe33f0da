//! Browser sign-in: a session cookie (HttpOnly, SameSite=Strict) whose
//! secret never reaches scripts, an anti-CSRF token every change must carry
//! in `X-CSRF-Token`, a limit on failed sign-ins per user name, sign-out
//! and password change. API clients keep using bearer tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use weipian_service::users;

use crate::extract::JsonBody;
use crate::{with_actor, ApiError, AppState};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "weipian_session";
/// Failed sign-ins allowed per user name within [`WINDOW`].
const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(10 * 60);

/// Failed sign-ins per user name (in memory: a restart forgets them).
#[derive(Clone, Default)]
pub(crate) struct Limiter {
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

impl Limiter {
    fn blocked(&self, name: &str) -> Option<u64> {
        let map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(name).and_then(|(n, since)| {
            let left = WINDOW.checked_sub(since.elapsed())?;
            (*n >= MAX_FAILURES).then(|| left.as_secs().div_ceil(60).max(1))
        })
    }

    fn failed(&self, name: &str) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let e = map.entry(name.to_string()).or_insert((0, Instant::now()));
        if e.1.elapsed() > WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    fn succeeded(&self, name: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
    }
}

/// The session secret from the `Cookie` header, if any.
pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "))
}

/// Equal without an early exit (a token compared byte by byte leaks timing).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every route behind it needs a bearer token or a session cookie; a
/// change (anything but GET/HEAD/OPTIONS) made with the cookie must carry
/// the session's anti-CSRF token. Checked before the request is parsed.
pub(crate) async fn require_credentials(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<Response, ApiError> {
    let headers = req.headers();
    if bearer(headers) {
        return Ok(next.run(req).await);
    }
    let Some(token) = cookie_token(headers) else {
        return Err(weipian_service::ServiceError::Unauthorized.into());
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !same(sent.as_bytes(), users::csrf_of(&token).as_bytes()) {
            return Err(ApiError::csrf());
        }
    }
    Ok(next.run(req).await)
}

fn set_cookie(value: &str, max_age: i64) -> HeaderValue {
    // The secret is hex: nothing to escape.
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("weipian_session=; Path=/; Max-Age=0"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignIn {
    name: String,
    password: String,
}

/// `POST /api/session`: sign in with a name and password.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let name = body.name.trim().to_string();
    if let Some(minutes) = state.limiter.blocked(&name) {
        return Err(ApiError::too_many_attempts(minutes));
    }
    let store = state.store.clone();
    let who = name.clone();
    let started = tokio::task::spawn_blocking(move || {
        let mut store = store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        users::start_session(&mut store, &who, &body.password)
    })
    .await
    .map_err(ApiError::internal)?;
    let session = match started {
        Ok(s) => s,
        Err(e) => {
            state.limiter.failed(&name);
            tracing::warn!(user = %name, "sign-in refused");
            return Err(e.into());
        }
    };
    state.limiter.succeeded(&name);
    let mut res = Json(json!({
        "user": session.actor.user,
        "role": session.actor.role.code(),
        "role_name": session.actor.role.name_zh(),
        "region": session.actor.scope.code(),
        "csrf": session.csrf,
    }))
    .into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&session.token, users::SESSION_HOURS * 3600),
    );
    Ok(res)
}

/// `GET /api/session`: who is signed in, and the page's anti-CSRF token.
pub(crate) async fn current(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let csrf = cookie_token(&headers).map(|t| users::csrf_of(&t));
    let actor = with_actor(&state, &headers, |_, actor| {
        Ok::<_, weipian_service::ServiceError>(actor.clone())
    })
    .await?;
    Ok(Json(json!({
        "user": actor.user,
        "role": actor.role.code(),
        "role_name": actor.role.name_zh(),
        "region": actor.scope.code(),
        "csrf": csrf,
    }))
    .into_response())
}

/// `DELETE /api/session`: sign out.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie_token(&headers) {
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            users::end_session(&mut store, &token)
        })
        .await
        .map_err(ApiError::internal)??;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie("", 0));
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordChange {
    current: String,
    new: String,
}

/// `POST /api/me/password`: change one's own password; other sessions end.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<Response, ApiError> {
    let session = cookie_token(&headers);
    with_actor(&state, &headers, move |store, actor| {
        users::change_password(store, actor, &body.current, &body.new, session.as_deref())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The Content-Security-Policy: everything from the platform itself, no
/// inline script or style, images also from the configured basemap and
/// imagery origins.
pub(crate) fn content_security_policy(image_origins: &[String]) -> HeaderValue {
    let mut img = String::from("'self' data: blob:");
    for o in image_origins {
        img.push(' ');
        img.push_str(o);
    }
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    // Origins are checked by `config::origin` (no quotes, spaces or controls).
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
             connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
        )
    })
}

/// Headers on every response: no framing, no sniffing, scripts and styles
/// only from the platform itself (no inline script), no referrer abroad.
pub(crate) async fn security_headers(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, state.csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}
