//! The in-process API the server's tests call (no socket): a store from
//! the shared test environment, one user with a token per (role, region)
//! given, the router over it, and a GET that answers in JSON.

#![allow(dead_code)] // each test file uses its own part

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use weipian_domain::access::{Actor, Role, Scope};
use weipian_server::config::Config;
use weipian_server::{router, AppState};
use weipian_service::users;

use crate::common::Env;

pub struct Api {
    pub app: axum::Router,
    _env: tempfile::TempDir,
}

/// The router over `e`'s store with `config`, after adding one user (and
/// its API token, returned in order) per (name, role, region).
pub fn api_on(mut e: Env, config: Config, logins: &[(&str, Role, &str)]) -> (Api, Vec<String>) {
    let root = Actor::local_admin();
    let mut tokens = Vec::new();
    for (name, role, region) in logins {
        let scope = Scope::parse(region).unwrap();
        users::add_user(&mut e.store, &root, name, scope, *role, "a-long-password").unwrap();
        tokens.push(users::issue_token(&mut e.store, &root, name, "test").unwrap());
    }
    let Env { _tmp, store, .. } = e;
    (
        Api {
            app: router(AppState::with_config(store, config)),
            _env: _tmp,
        },
        tokens,
    )
}

impl Api {
    /// GET `uri` with the bearer token: status, the `header` asked for
    /// (empty when absent) and the body as JSON (`Null` when not JSON).
    pub async fn get_with(
        &self,
        uri: &str,
        token: Option<&str>,
        header: &str,
    ) -> (StatusCode, String, Value) {
        let mut req = Request::builder().method("GET").uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let value = res
            .headers()
            .get(header)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            value,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// GET `uri`: status and JSON body.
    pub async fn get(&self, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (s, _, v) = self.get_with(uri, token, "content-type").await;
        (s, v)
    }
}
