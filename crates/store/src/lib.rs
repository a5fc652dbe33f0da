//! The embedded store of weipian: one OGC GeoPackage file,
//! `<data dir>/weipian.gpkg`, that QGIS and GDAL open as it is.
//!
//! | table | kind | holds |
//! |---|---|---|
//! | `patches` | features | issued patches, keyed by (year, batch, JCBH); `issued` keeps the issued attributes verbatim |
//! | `batches` | — | the field schema and latest import of each (batch, kind) |
//! | `patch_history` | — | previous values of patches a re-issue changed |
//! | `layer_<code>` | features | one per reference-layer kind ([`weipian_domain::LAYER_KINDS`]), made on first import |
//! | `layers` | — | field schema and source of each imported layer |
//! | `region_boundaries` | features | county boundaries |
//! | `regions` | attributes | the national region table |
//! | `import_log` | — | every successful import |
//! | `patch_analysis` | — | overlay results per patch: each layer's figures with the revisions they were computed from |
//! | `users`, `api_tokens` | — | users (region, role, argon2 hash) and the SHA-256 of their API tokens |
//! | `parcels`, `parcel_analysis` | — | 地块: the parts a patch is split into (geometry, area) and their overlay results |
//! | `answers`, `answer_history` | — | the locality's answer per patch or 地块 (`part`; JSON, national codes), versioned; every version kept |
//! | `attachments` | — | evidence files per patch (bytes content-addressed in `evidence/` beside the store) |
//! | `cases`, `case_patches` | — | cases (违法行为): the record as JSON, versioned, linked to their patches or 地块 |
//! | `case_ranges` | — | the illegal-land vector range of a case: features with areas and overlay figures |
//! | `patch_work` | — | each patch's work state for the list (status, answers complete, last change), kept by triggers on `answers`, `reviews`, `parcels` |
//! | `reviews`, `review_log` | — | each patch's place in the review chain (县→市→省→部), versioned, and every step with actor, time and opinion |
//! | `flags` | — | desk-review flags (疑点) per patch: rule, evidence, the county's 复核 reply, the reviewer's decision |
//! | `samples`, `sample_items` | — | 抽查: how each sample was drawn (seed, margin, strata) and its patches with their cross-checking county and result |
//! | `snapshots`, `snapshot_rows`, `snapshot_cases` | — | 时点快照: answers, review states and cases as they stood at a cut-off; never changed |
//! | `extensions` | — | 延期申请 against deadlines: reason, measures, new date, decision |
//! | `field_checks`, `field_check_photos` | — | 外业核查 by the technical-support unit: findings, surveyed boundary, photos |
//! | `military_register` | — | patches filed as military land: left out of every ordinary read (restricted register) |
//! | `audit_log` | — | every change: who, when, region, before → after, reason; SHA-256 chained |
//! | `weipian_meta` | — | `schema_version`, `audit_head` |
//!
//! Invariants: every geometry is EPSG:4490 longitude/latitude; every import
//! is one transaction (a failure leaves the store as it was); issued
//! attributes are never modified in place — a re-issue that changes a patch
//! records the previous values in `patch_history`. The file runs in WAL
//! mode, so readers see the state before or after an import, never a part.

mod analysis;
mod answers;
mod case_ranges;
mod cases;
mod checkpoint;
mod error;
mod evidence;
mod facts;
mod field;
mod flags;
mod gate;
mod json;
mod layers;
mod map;
mod military;
mod parcels;
mod patch_list;
mod patches;
mod regions;
mod reviews;
mod samples;
mod scan;
mod schema;
mod snapshots;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use geo_types::MultiPolygon;
use rusqlite::Connection;
use weipian_domain::{AttrValue, BatchId, FieldDef, LayerKind, PatchKind, RegionCode};
use weipian_formats::gpkg;
use weipian_geo::validate::Repair;

pub use analysis::{LayerShape, OverlayRevisions, OverlayRow, PatchShape, COUNTIES};
pub use answers::{AuditCheck, AuditRecord, NewAudit, StoredAnswer};
pub use case_ranges::{NewRangeFeature, RangeFeatureRow};
pub use cases::CaseRow;
pub use error::StoreError;
pub use evidence::{Attachment, PhotoMeta};
pub use facts::{AnswerInfo, Finding, LayerArea, ParcelInfo};
pub use field::FieldCheckRow;
pub use flags::{FlagRow, FlagRun, NewFlag};
pub use gate::NearPatch;
pub use map::{InView, MapLayerFeature, MapPatch, MapQuery};
pub use military::MilitaryEntry;
pub use parcels::{ParcelRow, SplitBlocker};
pub use patch_list::{FlagFilter, PatchListPage, PatchListQuery, PatchListRow, PatchSort};
pub use patches::PatchSummary;
pub use reviews::{ReviewChange, ReviewStep, StoredReview};
pub use samples::{NewSample, SampleItem, SampleRow};
pub use snapshots::{ExtensionRow, FrozenPart, SnapshotRow};
pub use users::{NewUser, UserRecord};

/// SQL condition on `patches.fid` (or an alias given in the query) that
/// leaves out the military-land register: every ordinary read uses it.
pub(crate) const NOT_MILITARY: &str = "NOT IN (SELECT patch_id FROM military_register)";

/// How long a statement waits for another connection's write to finish.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema version this build creates and reads (the number of migrations).
pub const SCHEMA_VERSION: u32 = schema::LATEST;

/// File name of the store inside the data directory.
pub const FILE_NAME: &str = "weipian.gpkg";

/// A county boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionBoundary {
    pub code: RegionCode,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
    /// Ellipsoidal area, m², unrounded.
    pub area_m2: f64,
}

/// Where a reference layer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSource {
    pub file: String,
    pub encoding: Option<String>,
    pub crs: String,
}

/// One feature of a reference layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFeature {
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
    /// Aligned with `kind.keys`.
    pub keys: Vec<AttrValue>,
    /// Aligned with the layer's fields.
    pub attrs: Vec<AttrValue>,
    pub source_row: usize,
}

/// One line of the import log: a file imported into a table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportRecord {
    /// `regions`, `layer:gd`…, or `batch:YEAR/BATCH:KIND`.
    pub target: String,
    /// The file's name as imported.
    pub source: String,
    pub encoding: Option<String>,
    pub crs: Option<String>,
    pub rows: usize,
    /// UTC, RFC 3339.
    pub imported_at: String,
}

/// What is stored for one reference-layer kind.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSummary {
    pub kind: &'static LayerKind,
    pub count: usize,
    pub area_m2: f64,
    pub source: Option<LayerSource>,
    pub imported_at: Option<String>,
}

/// Identifies one import of a batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMeta {
    pub id: BatchId,
    pub kind: PatchKind,
    /// The file imported (shown in summaries).
    pub source: String,
    pub encoding: Option<String>,
    pub crs: String,
}

/// A patch to import.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPatch {
    pub jcbh: String,
    pub xzqdm: String,
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
    /// Aligned with the batch's fields.
    pub attrs: Vec<AttrValue>,
    pub source_row: usize,
    pub repairs: Vec<Repair>,
}

/// A stored patch.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPatch {
    pub id: i64,
    pub batch: BatchId,
    pub kind: PatchKind,
    pub jcbh: String,
    pub xzqdm: String,
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
    /// The issued field schema of (batch, kind), shared by its patches.
    pub fields: Arc<Vec<FieldDef>>,
    /// Aligned with `fields`, verbatim as issued.
    pub attrs: Vec<AttrValue>,
    pub repairs: Vec<Repair>,
}

/// Counts of one batch import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchImportOutcome {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Stored patches of this batch and kind absent from the file: kept, counted.
    pub not_in_file: usize,
}

/// One (batch, kind) in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchSummary {
    pub id: BatchId,
    pub kind: PatchKind,
    pub count: usize,
    pub area_m2: f64,
    /// The file of the latest import.
    pub source: String,
    /// When the latest import happened (UTC, ISO 8601).
    pub imported_at: String,
}

/// Which patches [`Store::patches`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchQuery {
    pub batch: BatchId,
    /// Both kinds when `None`.
    pub kind: Option<PatchKind>,
    /// Only patches whose XZQDM lies within this region
    /// ([`RegionCode::is_within`]: a province, a city or a county).
    pub region: Option<RegionCode>,
}

/// The store: one GeoPackage file opened read-write.
pub struct Store {
    /// Declared before `conn`: dropped (its last checkpoint done) first.
    checkpointer: checkpoint::Checkpointer,
    conn: Connection,
    path: PathBuf,
    /// Test hook: fail an import after this many rows were written.
    #[cfg(test)]
    fail_after: Option<usize>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open the store in `dir` (created with the file if needed) and bring
    /// its schema up to date.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Self::open_at_version(dir, schema::LATEST)
    }

    /// Open and migrate up to `target` only (tests of migrations).
    pub(crate) fn open_at_version(dir: &Path, target: u32) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        let mut conn = Connection::open(&path).map_err(|e| StoreError::NotAStore {
            path: path.clone(),
            reason: format!("无法打开：{e}"),
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        gpkg::register_functions(&conn)?;
        patch_list::register_functions(&conn)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| StoreError::NotAStore {
                path: path.clone(),
                reason: format!("不是有效的 SQLite 数据库（{e}）"),
            })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotAStore {
                path,
                reason: format!("无法启用 WAL 日志模式（{mode}）"),
            });
        }
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;
             PRAGMA cache_size = -262144;
             PRAGMA temp_store = MEMORY;
             PRAGMA wal_autocheckpoint = 0;
             PRAGMA journal_size_limit = 67108864;",
        )?;
        schema::migrate(&mut conn, &path, target)?;
        let store = Store {
            checkpointer: checkpoint::Checkpointer::start(&path),
            conn,
            path,
            #[cfg(test)]
            fail_after: None,
        };
        store.written(); // a migration may have just written
        Ok(store)
    }

    /// The GeoPackage file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the store.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::version(&self.conn)
    }

    /// Current time, UTC, ISO 8601 with milliseconds (from SQLite: no clock crate).
    fn now(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| {
                r.get(0)
            })?)
    }

    /// After a write transaction committed: checkpoint the WAL in the background.
    fn written(&self) {
        self.checkpointer.request(&self.conn);
    }

    /// The test hook for the import about to start.
    fn fault(&self) -> Fault {
        Fault {
            #[cfg(test)]
            after: self.fail_after,
        }
    }
}

/// Test hook: makes an import fail after a number of rows were written, to
/// check the transaction leaves the store unchanged. Does nothing outside tests.
#[derive(Debug, Clone, Copy)]
struct Fault {
    #[cfg(test)]
    after: Option<usize>,
}

impl Fault {
    #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
    fn check(self, written: usize) -> Result<(), StoreError> {
        #[cfg(test)]
        if self.after.is_some_and(|n| written >= n) {
            return Err(StoreError::Injected);
        }
        let _ = written;
        Ok(())
    }
}

/// Why a geometry cannot be stored, if it cannot.
fn geometry_problem(mp: &MultiPolygon<f64>) -> Option<&'static str> {
    if mp.0.iter().all(|p| p.exterior().0.is_empty()) {
        return Some("图形为空");
    }
    let finite = mp.0.iter().all(|p| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .all(|r| r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite()))
    });
    if finite {
        None
    } else {
        Some("坐标不是有限数值")
    }
}

fn area_problem(area: f64) -> Option<&'static str> {
    (!area.is_finite() || area < 0.0).then_some("面积不是非负有限数值")
}

/// Decode a stored geometry; a NULL or empty one is corruption here.
fn stored_geometry(blob: Option<&[u8]>, what: &str) -> Result<MultiPolygon<f64>, StoreError> {
    let blob = blob.ok_or_else(|| StoreError::Corrupt(format!("{what} 没有图形")))?;
    gpkg::decode_geometry(blob)
        .map_err(|p| StoreError::Corrupt(format!("{what} 的图形无法解析：{p}")))?
        .ok_or_else(|| StoreError::Corrupt(format!("{what} 的图形为空")))
}

fn to_usize(v: i64, what: &str) -> Result<usize, StoreError> {
    usize::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} 为负数：{v}")))
}

fn to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Record a successful import (inside its transaction).
#[allow(clippy::too_many_arguments)]
fn log_import(
    tx: &rusqlite::Transaction<'_>,
    target: &str,
    source: &str,
    encoding: Option<&str>,
    crs: Option<&str>,
    rows: usize,
    summary: &str,
    now: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO import_log (target, source, encoding, crs, rows, summary, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![target, source, encoding, crs, to_i64(rows), summary, now],
    )?;
    Ok(())
}

impl Store {
    /// The latest `limit` imports (of `target` only, when given), newest first.
    pub fn import_log(
        &self,
        target: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ImportRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT target, source, encoding, crs, rows, imported_at FROM import_log
             WHERE ?1 IS NULL OR target = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![target, to_i64(limit)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (target, source, encoding, crs, n, imported_at) = row?;
            out.push(ImportRecord {
                target,
                source,
                encoding,
                crs,
                rows: to_usize(n, "导入记录数")?,
                imported_at,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
