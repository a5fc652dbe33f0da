//! Data management (数据管理) in the browser: what the store holds, imports
//! of batches, reference layers and county boundaries, the overlay analysis
//! — both as background jobs with progress — and exports of patches.
//!
//! An upload is streamed to a private folder under the data directory (never
//! held in memory, refused past the configured size), kept under the user's
//! own file name so every error names that file, and removed when its job
//! ends. Only the extensions the readers take are accepted; what is inside
//! is checked by the readers themselves (zip paths, sizes, encodings).

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use weipian_domain::access::Actor;
use weipian_domain::{PatchKind, RegionCode, RegionTable};
use weipian_formats::TextEncoding;
use weipian_service::{analyze, export, import};
use weipian_store::Store;

use crate::extract::{JsonBody, PathArgs, QueryArgs};
use crate::jobs::Job;
use crate::{batch_id, with_actor, ApiError, AppState};

/// The upload extensions the readers take (a Shapefile comes zipped, with
/// its .dbf/.shx/.prj beside the .shp).
const EXTENSIONS: &[&str] = &["zip", "geojson", "json", "gpkg", "txt"];

/// The store holds: batches, layers, boundaries, recent imports.
pub(crate) async fn inventory(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let max_mb = state.config.server.max_import_bytes() >> 20;
    let mut v = with_actor(&state, &headers, |store, actor| {
        import::inventory(store, actor)
    })
    .await
    .map(|i| json!(i))?;
    v["max_import_mb"] = json!(max_mb);
    v["layer_kinds"] = weipian_domain::LAYER_KINDS
        .iter()
        .map(|k| json!({ "code": k.code, "name": k.name_zh }))
        .collect();
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct BatchArgs {
    year: u16,
    batch: String,
}

/// How current a batch's overlay figures are.
pub(crate) async fn analysis_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<BatchArgs>,
) -> Result<Response, ApiError> {
    let batch = batch_id(q.year, &q.batch)?;
    let v = with_actor(&state, &headers, move |store, actor| {
        analyze::status(store, actor, &batch)
    })
    .await?;
    Ok(Json(v).into_response())
}

/// `?what=patches|layer|regions&name=FILE&…`.
#[derive(Debug, Deserialize)]
pub(crate) struct ImportArgs {
    what: String,
    /// The file's own name (its extension says its format).
    name: String,
    year: Option<u16>,
    batch: Option<String>,
    /// `land` or `mineral` (patches).
    kind: Option<String>,
    /// The layer kind code (`gd`, `jbnt`…).
    layer: Option<String>,
    /// `auto` (default), `gbk` or `utf-8`.
    encoding: Option<String>,
    /// Run the overlay analysis of the batch after importing it.
    #[serde(default)]
    analyze: bool,
}

enum Target {
    Patches {
        batch: weipian_domain::BatchId,
        kind: PatchKind,
        analyze: bool,
    },
    Layer(String),
    Regions,
}

fn encoding(s: Option<&str>) -> Result<TextEncoding, ApiError> {
    match s.map(str::trim) {
        None | Some("") => Ok(TextEncoding::Detect),
        Some(t) => TextEncoding::parse(t)
            .ok_or_else(|| ApiError::invalid(format!("encoding “{t}” 应为 auto、gbk 或 utf-8"))),
    }
}

/// `land` or `mineral`, as the patch kind.
fn patch_kind(s: &str) -> Result<PatchKind, ApiError> {
    PatchKind::parse(s)
        .ok_or_else(|| ApiError::invalid(format!("kind “{s}” 应为 land（土地）或 mineral（矿产）")))
}

/// The user's file name, reduced to a safe last component with an accepted
/// extension.
fn safe_name(name: &str) -> Result<String, ApiError> {
    let last = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>();
    let last = last.trim().trim_start_matches('.').to_string();
    let ext = Path::new(&last)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext {
        Some(e) if EXTENSIONS.contains(&e.as_str()) && last.chars().count() <= 120 => Ok(last),
        Some(e) if e == "shp" || e == "dbf" || e == "shx" => Err(ApiError::invalid(
            "Shapefile 请打包为 zip 上传（含 .shp、.shx、.dbf，最好还有 .prj 与 .cpg）",
        )),
        _ => Err(ApiError::invalid(format!(
            "文件 “{last}” 的格式不受支持：请上传 zip（Shapefile）、GeoJSON、GeoPackage 或国土 TXT"
        ))),
    }
}

impl ImportArgs {
    fn target(&self) -> Result<Target, ApiError> {
        match self.what.as_str() {
            "patches" => {
                let (Some(year), Some(name)) = (self.year, self.batch.as_deref()) else {
                    return Err(ApiError::invalid(
                        "导入图斑须给出年份（year）与批次（batch）",
                    ));
                };
                let kind = patch_kind(self.kind.as_deref().unwrap_or_default())?;
                Ok(Target::Patches {
                    batch: batch_id(year, name.trim())?,
                    kind,
                    analyze: self.analyze,
                })
            }
            "layer" => {
                let code = self.layer.as_deref().unwrap_or_default().trim();
                if weipian_domain::layer::kind(code).is_none() {
                    let known: Vec<String> = weipian_domain::LAYER_KINDS
                        .iter()
                        .map(|k| format!("{}（{}）", k.code, k.name_zh))
                        .collect();
                    return Err(ApiError::invalid(format!(
                        "图层类型 “{code}” 未知，可用：{}",
                        known.join("、")
                    )));
                }
                Ok(Target::Layer(code.to_string()))
            }
            "regions" => Ok(Target::Regions),
            other => Err(ApiError::invalid(format!(
                "what “{other}” 应为 patches（图斑）、layer（基础图层）或 regions（县级行政区界线）"
            ))),
        }
    }
}

/// Stream `body` into `path`, refusing it past `max` bytes (nothing kept).
async fn save_upload(body: Body, path: &Path, max: u64) -> Result<u64, ApiError> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(ApiError::internal)?;
    let mut body = body;
    let mut written: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::invalid(format!("上传内容读取失败：{e}")))?;
        if let Ok(data) = frame.into_data() {
            written += data.len() as u64;
            if written > max {
                drop(file);
                let _ = tokio::fs::remove_file(path).await;
                return Err(ApiError::too_large(
                    usize::try_from(max).unwrap_or(usize::MAX),
                ));
            }
            file.write_all(&data).await.map_err(ApiError::internal)?;
        }
    }
    file.flush().await.map_err(ApiError::internal)?;
    file.sync_all().await.map_err(ApiError::internal)?;
    if written == 0 {
        return Err(ApiError::invalid("上传的文件是空的"));
    }
    Ok(written)
}

/// The caller, checked for `check` before anything is uploaded.
async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    check: fn(&Actor) -> Result<(), weipian_service::ServiceError>,
) -> Result<Actor, ApiError> {
    with_actor(state, headers, move |_, actor| {
        check(actor).map(|()| actor.clone())
    })
    .await
}

/// 202 with the job.
fn accepted(job: &Job) -> Response {
    (StatusCode::ACCEPTED, Json(job.json())).into_response()
}

/// Upload a file and import it as a background job.
pub(crate) async fn start_import(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<ImportArgs>,
    body: Body,
) -> Result<Response, ApiError> {
    let target = q.target()?;
    let encoding = encoding(q.encoding.as_deref())?;
    let name = safe_name(&q.name)?;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let max = state.config.server.max_import_bytes();
    let actor = match &target {
        Target::Patches { .. } => caller(&state, &headers, import::may_import_patches).await?,
        Target::Layer(_) | Target::Regions => {
            caller(&state, &headers, import::may_import_national_tables).await?
        }
    };
    if declared.is_some_and(|n| n > max) {
        return Err(ApiError::too_large(
            usize::try_from(max).unwrap_or(usize::MAX),
        ));
    }
    let uploads = state.data_dir.join("uploads");
    std::fs::create_dir_all(&uploads).map_err(ApiError::internal)?;
    let folder = tempfile::Builder::new()
        .prefix("upload-")
        .tempdir_in(&uploads)
        .map_err(ApiError::internal)?;
    let path = folder.path().join(&name);
    let bytes = save_upload(body, &path, max).await?;
    tracing::info!(user = %actor.user, file = %name, bytes, "data upload received");

    let title = match &target {
        Target::Patches { batch, kind, .. } => {
            format!("导入{}图斑 {batch}：{name}", kind.name_zh())
        }
        Target::Layer(code) => format!(
            "导入基础图层 {}：{name}",
            weipian_domain::layer::kind(code).map_or(code.as_str(), |k| k.name_zh)
        ),
        Target::Regions => format!("导入县级行政区界线：{name}"),
    };
    let dir = state.data_dir.clone();
    let job_actor = actor.clone();
    let job = state.jobs.start(&actor, title, move |progress| {
        // The folder lives as long as the job; errors name the user's file.
        let prefix = format!("{}/", folder.path().display());
        let result = run_import(&dir, &job_actor, target, &path, encoding, progress);
        drop(folder);
        match result {
            // The summary names the file as the user knows it, too.
            Ok(v) => serde_json::from_str(&v.to_string().replace(&prefix, ""))
                .map_err(ApiError::internal),
            Err(e) => Err(e.replace_in_message(&prefix, "")),
        }
    })?;
    Ok(accepted(&job))
}

fn open_store(dir: &Path) -> Result<Store, ApiError> {
    Store::open(dir).map_err(|e| ApiError::from(weipian_service::ServiceError::from(e)))
}

fn run_import(
    dir: &Path,
    actor: &Actor,
    target: Target,
    path: &Path,
    encoding: TextEncoding,
    progress: &Job,
) -> Result<serde_json::Value, ApiError> {
    // The job's own connection: the platform's keeps answering meanwhile.
    let mut store = open_store(dir)?;
    let table = RegionTable::embedded();
    match target {
        Target::Patches {
            batch,
            kind,
            analyze: then_analyze,
        } => {
            let req = import::PatchImportRequest {
                path: path.to_path_buf(),
                batch: batch.clone(),
                kind,
                encoding,
            };
            let imported = import::import_patches(&mut store, actor, &table, &req, progress)?;
            let mut v = json!({ "what": "patches", "import": imported });
            if then_analyze {
                let req = analyze::AnalyzeRequest {
                    batch,
                    force: false,
                };
                v["analysis"] = json!(analyze::analyze(&mut store, actor, &req, progress)?);
            }
            Ok(v)
        }
        Target::Layer(code) => {
            let s = import::import_layer(&mut store, actor, &code, path, encoding, progress)?;
            Ok(json!({ "what": "layer", "import": s }))
        }
        Target::Regions => {
            let s = import::import_regions(&mut store, actor, &table, path, encoding, progress)?;
            Ok(json!({ "what": "regions", "import": s }))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AnalyzeBody {
    year: u16,
    batch: String,
    #[serde(default)]
    force: bool,
}

/// Run the overlay analysis of a batch as a background job.
pub(crate) async fn start_analysis(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AnalyzeBody>,
) -> Result<Response, ApiError> {
    let batch = batch_id(body.year, &body.batch)?;
    let actor = caller(&state, &headers, import::may_import_patches).await?;
    let dir: PathBuf = state.data_dir.clone();
    let job_actor = actor.clone();
    let title = format!(
        "叠加分析 {batch}{}",
        if body.force { "（全部重算）" } else { "" }
    );
    let job = state.jobs.start(&actor, title, move |progress| {
        let mut store = open_store(&dir)?;
        let req = analyze::AnalyzeRequest {
            batch,
            force: body.force,
        };
        let s = analyze::analyze(&mut store, &job_actor, &req, progress)?;
        Ok(json!({ "what": "analysis", "analysis": s }))
    })?;
    Ok(accepted(&job))
}

/// The caller's jobs (all of them for a national administrator), newest first.
pub(crate) async fn jobs(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = with_actor(&state, &headers, |_, a| Ok::<_, ApiError>(a.clone())).await?;
    let list: Vec<_> = state.jobs.list(&actor).iter().map(|j| j.json()).collect();
    Ok(Json(list).into_response())
}

pub(crate) async fn job(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathArgs(id): PathArgs<u64>,
) -> Result<Response, ApiError> {
    let actor = with_actor(&state, &headers, |_, a| Ok::<_, ApiError>(a.clone())).await?;
    Ok(Json(state.jobs.get(&actor, id)?.json()).into_response())
}

/// `?year=&batch=&format=gpkg|shp|geojson|xlsx&region=&kind=`.
#[derive(Debug, Deserialize)]
pub(crate) struct ExportArgs {
    year: u16,
    batch: String,
    format: String,
    region: Option<String>,
    kind: Option<String>,
}

/// The caller's patches of a batch as a file (a Shapefile comes zipped).
pub(crate) async fn export_patches(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryArgs(q): QueryArgs<ExportArgs>,
) -> Result<Response, ApiError> {
    use weipian_formats::Format;
    let batch = batch_id(q.year, &q.batch)?;
    let format = match Format::parse(&q.format) {
        Some(f) if f != Format::Txt => f,
        _ => {
            return Err(ApiError::invalid(format!(
                "format “{}” 应为 gpkg、shp、geojson 或 xlsx",
                q.format.trim()
            )))
        }
    };
    let region = match q.region.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(RegionCode::parse(r).map_err(|e| ApiError::invalid(e.to_string()))?),
    };
    let kind = match q.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) => Some(patch_kind(k)?),
    };
    let stem = format!(
        "图斑-{}-{}{}",
        batch.year,
        batch.name,
        region.map(|r| format!("-{r}")).unwrap_or_default()
    );
    let (ext, media_type) = match format {
        Format::GeoPackage => ("gpkg", "application/geopackage+sqlite3"),
        Format::Shapefile => ("zip", "application/zip"),
        Format::GeoJson => ("geojson", "application/geo+json"),
        _ => ("xlsx", super::XLSX),
    };
    let file_name = format!("{stem}.{ext}");
    let bytes = with_actor(&state, &headers, move |store, actor| {
        let dir = tempfile::tempdir().map_err(ApiError::internal)?;
        let out = match format {
            Format::Shapefile => dir.path().join(format!("{stem}.shp")),
            _ => dir.path().join(format!("{stem}.{ext}")),
        };
        let req = export::ExportRequest {
            batch,
            kind,
            region,
            format,
            out: out.clone(),
        };
        export::export_patches(store, actor, &req, &weipian_service::NoProgress)?;
        if format == Format::Shapefile {
            zip_folder(dir.path())
        } else {
            std::fs::read(&out).map_err(ApiError::internal)
        }
    })
    .await?;
    Ok(super::download(bytes, media_type, &file_name))
}

/// The files of `dir` (a Shapefile's .shp, .shx, .dbf, .prj, .cpg) as one zip.
fn zip_folder(dir: &Path) -> Result<Vec<u8>, ApiError> {
    use std::io::Write;
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(ApiError::internal)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for path in names {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| ApiError::internal("导出文件名无效"))?;
        zip.start_file(name, options).map_err(ApiError::internal)?;
        zip.write_all(&std::fs::read(&path).map_err(ApiError::internal)?)
            .map_err(ApiError::internal)?;
    }
    zip.finish()
        .map(std::io::Cursor::into_inner)
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_reduced_to_a_safe_file_name() {
        assert_eq!(safe_name("批次.zip").unwrap(), "批次.zip");
        assert_eq!(safe_name("../../etc/x.geojson").unwrap(), "x.geojson");
        assert_eq!(safe_name("C:\\data\\图斑.GPKG").unwrap(), "图斑.GPKG");
        assert_eq!(safe_name("..hidden.txt").unwrap(), "hidden.txt");
        assert_eq!(safe_name("a\u{0}b.zip").unwrap(), "ab.zip");
        for bad in [
            "x.exe",
            "x",
            "x.shp",
            "",
            "../",
            &format!("{}.zip", "长".repeat(200)),
        ] {
            assert!(safe_name(bad).is_err(), "{bad}");
        }
        assert!(safe_name("x.shp").unwrap_err().body()["message"]
            .as_str()
            .unwrap()
            .contains("zip"));
    }
}
