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
//! | 403 | `forbidden` (inside the caller's region, but not for its role) |
//! | 404 | `not_found` (also for anything outside the caller's region) |
//! | 409 | `conflict` (a write based on a stale version; with `current_version`) |
//! | 413 | `too_large` (an upload over the route's limit) |
//! | 422 | `invalid` |
//! | 500 | `internal` |
//! | 503 | `busy` (the store is being written by another program) |
//!
//! The routes, one module each (the OpenAPI document in [`openapi_document`]
//! lists them with their parameters):
//!
//! | module | paths |
//! |---|---|
//! | `routes::patches` | `/api/me`, `/api/patches`, `/api/patches/{year}/{batch}/{jcbh}` (detail, `/answer`, `/history`) |
//! | `routes::evidence` | `/api/patches/{year}/{batch}/{jcbh}/attachments[/{sha256}]` (list, upload, download) |
//! | `routes::cases` | `/api/cases`, `/api/cases/{id}`, `/api/cases/{id}/events`, `/api/transfers` |
//! | `routes::military` | `/api/patches/{year}/{batch}/{jcbh}/military`, `/api/military`, `/api/military/export` |
//! | `routes::bulk` | `/api/answers/import`, `/api/answers/export` |
//! | `routes::stats` | `/api/stats`, `/api/stats/cases`, `/api/reports/quick` (季度快报), `/api/reports/results` (半年度、年度成果) |
//! | `routes::accountability` | `/api/accountability`, `/api/accountability/{interview,proposal}`, `/api/accountability/signals`, `/api/blacklist` |
//! | `routes::web` | `/`, `/assets/{name}` (the page, compiled in), `/api/batches` |
//! | `routes::users` | `/api/users`, `/api/users/{name}` (administrators) |
//! | `routes::gate` | `/api/gate` (审批前核查：GET by code, POST a polygon file) |
//! | `routes::map` | `/api/map/patches`, `/api/map/layers/{kind}`, `/api/patches/{year}/{batch}/{jcbh}/geometry` (GeoJSON in a bbox, at most `limit` features) |
//!
//! The store is one SQLite connection; requests take it in turn on the
//! blocking pool (the store's own reads fan out over cores where it pays).
#![recursion_limit = "512"] // the OpenAPI document is one json! literal

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tower_http::compression::{CompressionLayer, Predicate};
use weipian_domain::access::Actor;
use weipian_domain::BatchId;
use weipian_service::users;
use weipian_store::Store;

pub mod config;
mod error;
mod extract;
mod jobs;
mod openapi;
mod routes;
mod session;

pub use error::ApiError;
pub use openapi::openapi_document;

/// Shared state: the store, the failed sign-ins and the configuration
/// (basemap, imagery) with the security policy it implies.
#[derive(Clone)]
pub struct AppState {
    store: Arc<Mutex<Store>>,
    /// The folder of the store (data jobs open their own connection there;
    /// uploads wait under `uploads/`).
    data_dir: std::path::PathBuf,
    limiter: session::Limiter,
    config: Arc<config::Config>,
    csp: axum::http::HeaderValue,
    jobs: jobs::Jobs,
}

impl AppState {
    /// The state with no configuration file (no basemap).
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self::with_config(store, config::Config::default())
    }

    #[must_use]
    pub fn with_config(store: Store, config: config::Config) -> Self {
        let csp = session::content_security_policy(&config.image_origins());
        let data_dir = store
            .path()
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        Self {
            store: Arc::new(Mutex::new(store)),
            data_dir,
            limiter: session::Limiter::default(),
            config: Arc::new(config),
            csp,
            jobs: jobs::Jobs::default(),
        }
    }
}

/// Who is calling: a bearer token (API clients) or a session cookie (the browser).
enum Credential {
    Bearer(String),
    Session(String),
}

fn credential(headers: &HeaderMap) -> Option<Credential> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| Credential::Bearer(t.to_string()))
        .or_else(|| session::cookie_token(headers).map(Credential::Session))
}

/// Run `f` with the store and the caller (from the bearer token or the
/// session cookie) on the blocking pool.
async fn with_actor<T, E, F>(state: &AppState, headers: &HeaderMap, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
    F: FnOnce(&mut Store, &Actor) -> Result<T, E> + Send + 'static,
{
    let cred = credential(headers).ok_or(weipian_service::ServiceError::Unauthorized)?;
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let actor = match &cred {
            Credential::Bearer(t) => users::authenticate_token(&store, t),
            Credential::Session(t) => users::authenticate_session(&store, t),
        }
        .map_err(ApiError::from)?;
        f(&mut store, &actor).map_err(Into::into)
    })
    .await
    .map_err(ApiError::internal)?
}

fn batch_id(year: u16, name: &str) -> Result<BatchId, ApiError> {
    BatchId::new(year, name).map_err(|e| ApiError::invalid(e.to_string()))
}

/// `?year=&batch=`, the batch of a list or an export.
#[derive(Debug, serde::Deserialize)]
struct BatchQuery {
    year: u16,
    batch: String,
}

impl BatchQuery {
    fn id(&self) -> Result<BatchId, ApiError> {
        batch_id(self.year, &self.batch)
    }
}

async fn openapi() -> Response {
    Json(openapi_document()).into_response()
}

async fn fallback() -> ApiError {
    ApiError::not_found("没有这个接口")
}

/// Largest JSON body (answers, cases, register records).
const MAX_JSON_BYTES: usize = 1 << 20;

/// The API's routes.
pub fn router(state: AppState) -> Router {
    use routes::{
        accountability, bulk, cases, data, desk, determination, evidence, field, gate, military,
        parcels, patches, review, sampling, schedule, stats, users as user_admin, web,
    };
    let patch = "/api/patches/{year}/{batch}/{jcbh}";
    Router::new()
        .route("/api/me", get(patches::me))
        .route("/api/batches", get(web::batches))
        .route("/api/regions", get(web::regions))
        .route("/api/platform", get(web::platform))
        .route("/api/determination/{year}", get(determination::table))
        .route("/api/users", get(user_admin::list).post(user_admin::create))
        .route("/api/users/{name}", put(user_admin::update))
        .route("/api/patches", get(patches::list))
        .route(patch, get(patches::detail))
        .route(
            &format!("{patch}/answer"),
            get(patches::get_answer).put(patches::put_answer),
        )
        .route(&format!("{patch}/history"), get(patches::history))
        .route(&format!("{patch}/override"), put(patches::override_answer))
        .route(&format!("{patch}/review"), get(review::get))
        .route("/api/reviews", post(review::act))
        .route("/api/reviews/queue", get(review::queue))
        .route("/api/reviews/pass-all", post(review::pass_all))
        .route(&format!("{patch}/flags"), get(desk::flags))
        .route("/api/desk/rules", get(desk::rules))
        .route("/api/desk/run", post(desk::run))
        .route("/api/flags/{id}/reply", post(desk::reply))
        .route("/api/flags/{id}/decision", post(desk::decide))
        .route("/api/flags/decisions", post(desk::decide_many))
        .route("/api/samples", post(sampling::draw))
        .route("/api/samples/{id}", get(sampling::show))
        .route("/api/samples/{id}/cross", post(sampling::cross))
        .route("/api/samples/{id}/results", post(sampling::record))
        .route("/api/schedule", get(schedule::status))
        .route("/api/snapshots/{id}", get(schedule::snapshot))
        .route(
            "/api/extensions",
            get(schedule::extensions).post(schedule::extend),
        )
        .route("/api/extensions/{id}/decision", post(schedule::decide))
        .route("/api/me/awaiting", get(schedule::awaiting))
        .route("/api/stats", get(stats::get))
        .route("/api/stats/cases", get(stats::cases))
        .route("/api/reports/quick", get(stats::quick))
        .route("/api/reports/results", get(stats::results))
        .route("/api/gate", get(gate::by_code).post(gate::by_file))
        .route("/api/map/patches", get(routes::map::patches))
        .route("/api/map/layers/{kind}", get(routes::map::layer))
        .route(&format!("{patch}/geometry"), get(routes::map::geometry))
        .route("/api/accountability", get(accountability::get))
        .route("/api/accountability/signals", get(accountability::signals))
        .route("/api/blacklist", get(accountability::blacklist))
        .route(
            "/api/accountability/{document}",
            get(accountability::document),
        )
        .route(&format!("{patch}/field-checks"), get(field::list))
        .route("/api/field-checks", post(field::assign))
        .route("/api/field-checks/{id}/result", post(field::complete))
        .route("/api/field-checks/{id}/photos", post(field::photo))
        .route(
            &format!("{patch}/attachments"),
            get(evidence::list).post(evidence::upload),
        )
        .route(
            &format!("{patch}/attachments/{{sha256}}"),
            get(evidence::download),
        )
        .route(&format!("{patch}/military"), post(military::file))
        .route(
            &format!("{patch}/parcels"),
            get(parcels::list)
                .put(parcels::split)
                .delete(parcels::unsplit),
        )
        .route(&format!("{patch}/parcels/cut"), put(parcels::cut))
        .route(
            &format!("{patch}/parcels/{{no}}/answer"),
            get(parcels::get_answer).put(parcels::put_answer),
        )
        .route("/api/cases", get(cases::list).post(cases::open))
        .route("/api/cases/{id}", get(cases::get))
        .route("/api/cases/{id}/events", post(cases::event))
        .route(
            "/api/cases/{id}/range",
            get(parcels::get_range).put(parcels::put_range),
        )
        .route("/api/transfers", get(cases::transfers))
        .route("/api/military", get(military::register))
        .route("/api/military/export", get(military::export))
        .route("/api/data", get(data::inventory))
        .route(
            "/api/data/analysis",
            get(data::analysis_status).post(data::start_analysis),
        )
        .route("/api/data/import", post(data::start_import))
        .route("/api/data/export", get(data::export_patches))
        .route("/api/jobs", get(data::jobs))
        .route("/api/jobs/{id}", get(data::job))
        .route("/api/answers/import", post(bulk::import))
        .route("/api/answers/export", get(bulk::export))
        .route(
            "/api/session",
            get(session::current).delete(session::sign_out),
        )
        .route("/api/me/password", post(session::change_password))
        // Every route above needs a bearer token or a session cookie (and
        // a change made with the cookie, its anti-CSRF token): one without
        // is refused before its path, query or body is even parsed.
        .route_layer(axum::middleware::from_fn(session::require_credentials))
        .route("/api/session", post(session::sign_in))
        .route("/", get(web::index))
        .route("/assets/{name}", get(web::asset))
        .route("/assets/vendor/{name}", get(web::vendor))
        .route("/favicon.ico", get(web::favicon))
        .route("/api/openapi.json", get(openapi))
        .fallback(fallback)
        // Uploads read their bodies with their own limits (`extract::Upload`).
        .layer(axum::extract::DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::security_headers,
        ))
        // Outermost, so what it compresses already carries the security
        // headers (they pass through untouched).
        .layer(compression())
        .with_state(state)
}

/// gzip for clients that accept it (JSON, GeoJSON, the page — 2,000 map
/// patches are ~3 MB), above 32 bytes; not for images or the xlsx/docx/zip
/// downloads, which are compressed already.
fn compression() -> CompressionLayer<impl Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType};
    CompressionLayer::new().compress_when(
        DefaultPredicate::new()
            .and(NotForContentType::const_new(
                "application/vnd.openxmlformats-officedocument",
            ))
            .and(NotForContentType::const_new("application/zip")),
    )
}

/// Serve the platform on `addr` until the process ends.
pub async fn serve(
    store: Store,
    addr: std::net::SocketAddr,
    config: config::Config,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "serving");
    let state = AppState::with_config(store, config);
    tokio::spawn(freeze_at_cutoffs(state.store.clone()));
    axum::serve(listener, router(state)).await
}

/// Freeze each cut-off's snapshot (时点快照) within a minute of the cut-off
/// passing in Beijing time, instead of waiting for the first report or
/// schedule read — so nothing written after the cut-off leaks into it.
async fn freeze_at_cutoffs(store: Arc<Mutex<Store>>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let store = store.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            freeze_due_now(&mut store)
        })
        .await;
        match done {
            Ok(Ok(made)) if !made.is_empty() => tracing::info!(?made, "snapshots frozen"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "freezing snapshots failed"),
            Err(e) => tracing::warn!(error = %e, "freezing snapshots panicked"),
        }
    }
}

/// [`weipian_service::schedule::freeze_due`] for every year that has batches, today.
pub fn freeze_due_now(store: &mut Store) -> Result<Vec<i64>, weipian_service::ServiceError> {
    let today = weipian_service::today_in_china();
    let mut years: Vec<u16> = store.batches()?.iter().map(|b| b.id.year).collect();
    years.sort_unstable();
    years.dedup();
    let mut made = Vec::new();
    for year in years {
        made.extend(weipian_service::schedule::freeze_due(store, year, today)?);
    }
    Ok(made)
}

/// 201 with a JSON body.
fn created<T: serde::Serialize>(body: T) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}
