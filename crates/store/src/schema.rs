//! The store's schema and its migrations.
//!
//! The schema version lives in `weipian_meta` (key `schema_version`); `PRAGMA
//! user_version` belongs to GeoPackage. Migrations are an ordered list; each
//! runs in its own immediate transaction together with the version bump, so
//! a store is always at exactly one version, and two processes opening the
//! same store at once cannot both migrate.

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use weipian_domain::RegionTable;
use weipian_formats::gpkg;

use crate::StoreError;

/// One schema step.
pub(crate) struct Migration {
    pub(crate) name: &'static str,
    pub(crate) apply: fn(&Transaction<'_>) -> Result<(), StoreError>,
}

/// Every migration, in order: index + 1 is the version it produces.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "GeoPackage、行政区划、县界、基础数据登记",
        apply: migration_1,
    },
    Migration {
        name: "图斑、批次字段结构、图斑变更历史",
        apply: migration_2,
    },
    Migration {
        name: "叠加分析结果",
        apply: migration_3,
    },
    Migration {
        name: "叠加分析结果按图斑存储",
        apply: migration_4,
    },
    Migration {
        name: "用户与访问令牌",
        apply: migration_5,
    },
    Migration {
        name: "填报记录（带版本）与审计日志（散列链）",
        apply: migration_6,
    },
    Migration {
        name: "照片拍摄时间与位置（EXIF）",
        apply: migration_7,
    },
    Migration {
        name: "军用土地登记（受限）",
        apply: migration_8,
    },
    Migration {
        name: "违法案件（带版本）",
        apply: migration_9,
    },
    Migration {
        name: "图斑拆分地块、地块叠加分析、按地块填报",
        apply: migration_10,
    },
    Migration {
        name: "案件的违法用地矢量范围",
        apply: migration_11,
    },
    Migration {
        name: "审核链：县级上报、市级与省级审核、报部",
        apply: migration_12,
    },
    Migration {
        name: "照片感知哈希、内业审核疑点",
        apply: migration_13,
    },
    Migration {
        name: "省级直接修改（原因随填报保存）",
        apply: migration_14,
    },
    Migration {
        name: "抽查样本与交叉检查",
        apply: migration_15,
    },
    Migration {
        name: "时点快照与延期申请",
        apply: migration_16,
    },
    Migration {
        name: "技术支撑单位外业核查",
        apply: migration_17,
    },
    Migration {
        name: "快照记录填报是否完整",
        apply: migration_18,
    },
    Migration {
        name: "按批次和行政区检索图斑的索引",
        apply: migration_19,
    },
    Migration {
        name: "浏览器登录会话",
        apply: migration_20,
    },
    Migration {
        name: "图斑列表：覆盖索引、判定类型索引、图斑工作状态",
        apply: migration_21,
    },
    Migration {
        name: "统计读取：图斑覆盖索引含修订时间",
        apply: migration_22,
    },
];

/// The version a fully migrated store has.
#[allow(clippy::cast_possible_truncation)] // a handful of migrations
pub(crate) const LATEST: u32 = MIGRATIONS.len() as u32;

pub(crate) const PATCHES: &str = "patches";
pub(crate) const REGION_BOUNDARIES: &str = "region_boundaries";

/// The schema version recorded in the store (0 for a new file).
pub(crate) fn version(conn: &Connection) -> Result<u32, StoreError> {
    if !gpkg::table_exists(conn, "weipian_meta")? {
        return Ok(0);
    }
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM weipian_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match v {
        None => Ok(0),
        Some(s) => s
            .trim()
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("schema_version 不是数字：“{s}”"))),
    }
}

/// Bring the store up to `target` (≤ [`LATEST`]).
pub(crate) fn migrate(
    conn: &mut Connection,
    path: &std::path::Path,
    target: u32,
) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = version(&tx)?;
        if current > LATEST {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: current,
                supported: LATEST,
            });
        }
        if current >= target {
            tx.commit()?;
            return Ok(());
        }
        if current == 0 {
            refuse_foreign_database(&tx, path)?;
        }
        let index = current as usize;
        let step = &MIGRATIONS[index];
        let next = current + 1;
        (step.apply)(&tx).map_err(|e| StoreError::Migration {
            version: next,
            name: step.name,
            source: Box::new(e),
        })?;
        tx.execute(
            "INSERT INTO weipian_meta (key, value) VALUES ('schema_version', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [next.to_string()],
        )?;
        tx.commit()?;
    }
}

/// A database at version 0 must be empty (or hold only GeoPackage metadata):
/// never take over someone else's file.
fn refuse_foreign_database(conn: &Connection, path: &std::path::Path) -> Result<(), StoreError> {
    let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if app != 0 && app != i64::from(gpkg::APPLICATION_ID) {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: format!("SQLite application_id 为 {app:#x}，不是 GeoPackage"),
        });
    }
    let other: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'gpkg\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
               AND name <> 'weipian_meta' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(name) = other {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: format!("文件中已有其他数据表（{name}）"),
        });
    }
    Ok(())
}

fn migration_1(tx: &Transaction<'_>) -> Result<(), StoreError> {
    gpkg::init(tx)?;
    tx.execute_batch(
        "
CREATE TABLE weipian_meta (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);

-- The national region table (GB/T 2260 + statistical development zones).
CREATE TABLE regions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  level TEXT NOT NULL,
  parent TEXT,
  development_zone BOOLEAN NOT NULL,
  county_level BOOLEAN NOT NULL
);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)
VALUES ('regions', 'attributes', '行政区划', '行政区划代码表（GB/T 2260，含统计用开发区）',
        strftime('%Y-%m-%dT%H:%M:%fZ','now'));

-- One row per reference-layer kind ever imported: its field schema and source.
CREATE TABLE layers (
  code TEXT PRIMARY KEY NOT NULL,
  fields TEXT NOT NULL,
  feature_count INTEGER NOT NULL,
  area_m2 REAL NOT NULL,
  source_file TEXT NOT NULL,
  encoding TEXT,
  crs TEXT NOT NULL,
  imported_at TEXT NOT NULL
);

-- Every import, successful ones only (a failed import leaves no trace).
CREATE TABLE import_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  target TEXT NOT NULL,
  source TEXT NOT NULL,
  encoding TEXT,
  crs TEXT,
  rows INTEGER NOT NULL,
  summary TEXT,
  imported_at TEXT NOT NULL
);
",
    )?;
    {
        let table = RegionTable::embedded();
        let mut insert = tx.prepare(
            "INSERT INTO regions (code, name, level, parent, development_zone, county_level)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in table.iter() {
            insert.execute(params![
                r.code.to_string(),
                r.name,
                r.level.code(),
                r.parent.map(|p| p.to_string()),
                r.development_zone,
                r.county_level,
            ])?;
        }
    }
    gpkg::create_feature_table(
        tx,
        REGION_BOUNDARIES,
        &[
            ("xzqdm", "TEXT NOT NULL"),
            ("xzqmc", "TEXT NOT NULL"),
            ("tqmj", "REAL NOT NULL"),
        ],
        gpkg::SRS_CGCS2000,
        "县级行政区界线",
        "县级行政区界线；tqmj 为椭球面积（平方米）",
    )?;
    tx.execute_batch("CREATE UNIQUE INDEX region_boundaries_xzqdm ON region_boundaries (xzqdm);")?;
    Ok(())
}

fn migration_2(tx: &Transaction<'_>) -> Result<(), StoreError> {
    gpkg::create_feature_table(
        tx,
        PATCHES,
        &[
            ("year", "INTEGER NOT NULL"),
            ("batch", "TEXT NOT NULL"),
            ("kind", "TEXT NOT NULL"),
            ("jcbh", "TEXT NOT NULL"),
            ("xzqdm", "TEXT NOT NULL"),
            ("tqmj", "REAL NOT NULL"),
            ("issued", "TEXT NOT NULL"),
            ("repairs", "TEXT NOT NULL"),
            ("source_row", "INTEGER NOT NULL"),
            ("imported_at", "TEXT NOT NULL"),
            ("updated_at", "TEXT"),
        ],
        gpkg::SRS_CGCS2000,
        "图斑",
        "卫片执法下发图斑。issued：下发属性（JSON 数组，字段顺序见 batches.fields），原样保存、不可修改；tqmj：椭球面积（平方米）",
    )?;
    tx.execute_batch(
        "
CREATE UNIQUE INDEX patches_key ON patches (year, batch, jcbh);
CREATE INDEX patches_batch_kind ON patches (year, batch, kind);
CREATE INDEX patches_xzqdm ON patches (xzqdm);

-- The issued field schema of each (batch, kind), and the latest import.
CREATE TABLE batches (
  year INTEGER NOT NULL,
  batch TEXT NOT NULL,
  kind TEXT NOT NULL,
  fields TEXT NOT NULL,
  feature_count INTEGER NOT NULL,
  area_m2 REAL NOT NULL,
  source TEXT NOT NULL,
  encoding TEXT,
  crs TEXT NOT NULL,
  first_imported_at TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY (year, batch, kind)
);

-- Previous values of a patch each time a re-issue changed it.
CREATE TABLE patch_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  patch_fid INTEGER NOT NULL REFERENCES patches (fid) ON DELETE CASCADE,
  year INTEGER NOT NULL,
  batch TEXT NOT NULL,
  jcbh TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  new_source TEXT NOT NULL,
  prev_xzqdm TEXT NOT NULL,
  prev_geom BLOB,
  prev_tqmj REAL NOT NULL,
  prev_issued TEXT NOT NULL,
  prev_repairs TEXT NOT NULL,
  prev_source_row INTEGER NOT NULL,
  prev_imported_at TEXT NOT NULL,
  prev_updated_at TEXT
);
CREATE INDEX patch_history_patch ON patch_history (patch_fid);
",
    )?;
    Ok(())
}

/// Overlay results: one row per (patch, layer), with input revisions.
fn migration_3(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE patch_overlay (
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  layer TEXT NOT NULL,
  layer_revision INTEGER NOT NULL,
  patch_revision TEXT NOT NULL,
  area_m2 REAL NOT NULL,
  by_class TEXT NOT NULL,
  features TEXT NOT NULL,
  analyzed_at TEXT NOT NULL,
  PRIMARY KEY (patch_id, layer)
) WITHOUT ROWID;
",
    )?;
    Ok(())
}

/// Overlay results: one row per patch instead of one per (patch, layer)
/// (a quarter of the rows to write; see `analysis.rs` for the JSON). Rows of
/// migration 3 are carried over exactly (numbers re-encoded by Rust, not by
/// SQLite's JSON functions, which print 15 digits).
fn migration_4(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE patch_analysis (
  patch_id INTEGER PRIMARY KEY NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  results TEXT NOT NULL,
  analyzed_at TEXT NOT NULL
);
",
    )?;
    let mut rows = Vec::new();
    let mut analyzed = std::collections::HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT patch_id, layer, layer_revision, patch_revision, area_m2, by_class, features, analyzed_at
               FROM patch_overlay ORDER BY patch_id, layer",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let bad = |e: serde_json::Error| StoreError::Corrupt(format!("patch_overlay：{e}"));
            let by_class: String = r.get(5)?;
            let features: String = r.get(6)?;
            let patch_id: i64 = r.get(0)?;
            let at: String = r.get(7)?;
            let e = analyzed.entry(patch_id).or_insert_with(String::new);
            if at > *e {
                *e = at;
            }
            rows.push(crate::OverlayRow {
                patch_id,
                layer: r.get(1)?,
                layer_revision: r.get(2)?,
                patch_revision: r.get(3)?,
                area_m2: r.get(4)?,
                by_class: serde_json::from_str(&by_class).map_err(bad)?,
                features: serde_json::from_str(&features).map_err(bad)?,
            });
        }
    }
    crate::analysis::write_results(tx, &rows, |id| {
        analyzed.get(&id).cloned().unwrap_or_default()
    })?;
    tx.execute_batch("DROP TABLE patch_overlay;")?;
    Ok(())
}

/// Users (argon2 password hashes) and API tokens (SHA-256 of the token).
fn migration_5(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  name TEXT NOT NULL UNIQUE,
  region TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  disabled_at TEXT
);
CREATE TABLE api_tokens (
  token_sha256 TEXT PRIMARY KEY NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
",
    )?;
    Ok(())
}

/// Answers with versions and history; the hash-chained audit log;
/// attachments (their bytes live content-addressed under `evidence/`).
fn migration_6(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE answers (
  patch_id INTEGER PRIMARY KEY NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  answer TEXT NOT NULL,
  complete INTEGER NOT NULL,
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE TABLE answer_history (
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  answer TEXT NOT NULL,
  complete INTEGER NOT NULL,
  saved_at TEXT NOT NULL,
  saved_by TEXT NOT NULL,
  PRIMARY KEY (patch_id, version)
) WITHOUT ROWID;
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY NOT NULL,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  region TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT,
  after TEXT,
  reason TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target);
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  file_name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  added_at TEXT NOT NULL,
  added_by TEXT NOT NULL,
  UNIQUE (patch_id, sha256)
);
CREATE INDEX attachments_sha256 ON attachments (sha256);
",
    )?;
    Ok(())
}

/// What a photo's EXIF says: capture time, GPS position and direction.
fn migration_7(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
ALTER TABLE attachments ADD COLUMN taken_at TEXT;
ALTER TABLE attachments ADD COLUMN lon REAL;
ALTER TABLE attachments ADD COLUMN lat REAL;
ALTER TABLE attachments ADD COLUMN direction REAL;
",
    )?;
    Ok(())
}

/// The restricted military-land register: a patch listed here is left out
/// of every ordinary read of the store.
fn migration_8(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE military_register (
  patch_id INTEGER PRIMARY KEY NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  record TEXT NOT NULL,
  filed_at TEXT NOT NULL,
  filed_by TEXT NOT NULL
);
",
    )?;
    Ok(())
}

/// Cases (违法行为): the record as JSON, versioned, linked to their patches.
fn migration_9(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  county TEXT NOT NULL,
  number TEXT NOT NULL,
  record TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  UNIQUE (county, number)
);
CREATE TABLE case_patches (
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  PRIMARY KEY (case_id, patch_id)
) WITHOUT ROWID;
CREATE INDEX case_patches_patch ON case_patches (patch_id);
",
    )?;
    Ok(())
}

/// 地块: a patch split into parts judged separately. Parts get their own
/// overlay results; answers (and their history) and case links are keyed by
/// (patch, part), part 0 being the whole patch — existing rows become part 0.
fn migration_10(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE parcels (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  no INTEGER NOT NULL CHECK (no >= 1),
  geom BLOB NOT NULL,
  area_m2 REAL NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (patch_id, no)
);
CREATE TABLE parcel_analysis (
  parcel_id INTEGER PRIMARY KEY NOT NULL REFERENCES parcels(id) ON DELETE CASCADE,
  results TEXT NOT NULL,
  analyzed_at TEXT NOT NULL
);
CREATE TABLE answers_v10 (
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  part INTEGER NOT NULL DEFAULT 0,
  answer TEXT NOT NULL,
  complete INTEGER NOT NULL,
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (patch_id, part)
) WITHOUT ROWID;
INSERT INTO answers_v10 (patch_id, part, answer, complete, version, updated_at, updated_by)
  SELECT patch_id, 0, answer, complete, version, updated_at, updated_by FROM answers;
DROP TABLE answers;
ALTER TABLE answers_v10 RENAME TO answers;
CREATE TABLE answer_history_v10 (
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  part INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL,
  answer TEXT NOT NULL,
  complete INTEGER NOT NULL,
  saved_at TEXT NOT NULL,
  saved_by TEXT NOT NULL,
  PRIMARY KEY (patch_id, part, version)
) WITHOUT ROWID;
INSERT INTO answer_history_v10 (patch_id, part, version, answer, complete, saved_at, saved_by)
  SELECT patch_id, 0, version, answer, complete, saved_at, saved_by FROM answer_history;
DROP TABLE answer_history;
ALTER TABLE answer_history_v10 RENAME TO answer_history;
CREATE TABLE case_patches_v10 (
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  part INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (case_id, patch_id, part)
) WITHOUT ROWID;
INSERT INTO case_patches_v10 (case_id, patch_id, part) SELECT case_id, patch_id, 0 FROM case_patches;
DROP TABLE case_patches;
ALTER TABLE case_patches_v10 RENAME TO case_patches;
CREATE INDEX case_patches_patch ON case_patches (patch_id);
",
    )?;
    Ok(())
}

/// The illegal-land vector range (标准格式违法用地矢量范围) of a case: its
/// features as uploaded (EPSG:4490), with their areas and overlay figures.
fn migration_11(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE case_ranges (
  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  no INTEGER NOT NULL CHECK (no >= 1),
  geom BLOB NOT NULL,
  area_m2 REAL NOT NULL,
  figures TEXT NOT NULL,
  attrs TEXT NOT NULL,
  source TEXT NOT NULL,
  uploaded_at TEXT NOT NULL,
  uploaded_by TEXT NOT NULL,
  PRIMARY KEY (case_id, no)
) WITHOUT ROWID;
",
    )?;
    Ok(())
}

/// The review chain: each patch's place in it (absent: with the county,
/// never submitted), versioned, and every step with actor, time and opinion.
fn migration_12(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE reviews (
  patch_id INTEGER PRIMARY KEY NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  state TEXT NOT NULL,
  review TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE INDEX reviews_state ON reviews (state);
CREATE TABLE review_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  action TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  region TEXT NOT NULL,
  opinion TEXT,
  at TEXT NOT NULL
);
CREATE INDEX review_log_patch ON review_log (patch_id);
",
    )?;
    Ok(())
}

/// Photos' perceptual hashes (the same scene in other files); desk-review
/// flags (疑点) with the county's 复核 reply and the reviewer's decision.
fn migration_13(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
ALTER TABLE attachments ADD COLUMN phash INTEGER;
CREATE TABLE flags (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  rule TEXT NOT NULL,
  message TEXT NOT NULL,
  evidence TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'cleared')),
  raised_at TEXT NOT NULL,
  raised_by TEXT NOT NULL,
  reply TEXT,
  replied_at TEXT,
  replied_by TEXT,
  decision_note TEXT,
  decided_at TEXT,
  decided_by TEXT
);
CREATE INDEX flags_patch ON flags (patch_id);
",
    )?;
    Ok(())
}

/// 省级直接修改: an answer written by a province reviewer over the county's
/// keeps the reason with it (and with its version in the history).
fn migration_14(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
ALTER TABLE answers ADD COLUMN override_reason TEXT;
ALTER TABLE answer_history ADD COLUMN override_reason TEXT;
",
    )?;
    Ok(())
}

/// Samples (抽查): how each was drawn (seed, margin, strata sizes) and the
/// sampled patches with their cross-checking county and result.
fn migration_15(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE samples (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  year INTEGER NOT NULL,
  batch TEXT NOT NULL,
  region TEXT NOT NULL,
  seed INTEGER NOT NULL,
  margin REAL NOT NULL,
  confidence REAL NOT NULL,
  population INTEGER NOT NULL,
  strata TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE sample_items (
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  stratum TEXT NOT NULL,
  checker TEXT,
  result TEXT CHECK (result IN ('correct', 'wrong')),
  note TEXT,
  checked_by TEXT,
  checked_at TEXT,
  PRIMARY KEY (sample_id, patch_id)
) WITHOUT ROWID;
",
    )?;
    Ok(())
}

/// Snapshots frozen at each cut-off (the answers, review states and cases
/// as they stood), and extension requests against deadlines.
fn migration_16(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  deadline TEXT NOT NULL,
  year INTEGER NOT NULL,
  period TEXT NOT NULL,
  region TEXT NOT NULL,
  batches TEXT NOT NULL,
  taken_at TEXT NOT NULL,
  taken_by TEXT NOT NULL,
  UNIQUE (year, deadline, region)
);
CREATE TABLE snapshot_rows (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  patch_id INTEGER NOT NULL,
  part INTEGER NOT NULL,
  answer TEXT,
  answer_version INTEGER,
  review_state TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, patch_id, part)
) WITHOUT ROWID;
CREATE TABLE snapshot_cases (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  case_id INTEGER NOT NULL,
  record TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, case_id)
) WITHOUT ROWID;
CREATE TABLE extensions (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  year INTEGER NOT NULL,
  deadline TEXT NOT NULL,
  region TEXT NOT NULL,
  reason TEXT NOT NULL,
  measures TEXT NOT NULL,
  new_due TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'refused')),
  requested_at TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  decided_at TEXT,
  decided_by TEXT,
  decision_note TEXT
);
",
    )?;
    Ok(())
}

/// Field checks (外业核查) by the technical-support unit: assignment, the
/// unit's findings and surveyed boundary, its photos (bytes in `evidence/`).
fn migration_17(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE field_checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  patch_id INTEGER NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('assigned', 'done')),
  assigned_at TEXT NOT NULL,
  assigned_by TEXT NOT NULL,
  findings TEXT,
  boundary BLOB,
  boundary_area_m2 REAL,
  done_at TEXT,
  done_by TEXT
);
CREATE INDEX field_checks_patch ON field_checks (patch_id);
CREATE TABLE field_check_photos (
  field_check_id INTEGER NOT NULL REFERENCES field_checks(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  file_name TEXT NOT NULL,
  taken_at TEXT,
  lon REAL,
  lat REAL,
  added_at TEXT NOT NULL,
  added_by TEXT NOT NULL,
  PRIMARY KEY (field_check_id, sha256)
) WITHOUT ROWID;
",
    )?;
    Ok(())
}

/// A snapshot keeps whether each frozen answer was complete then (what
/// "verified" means in the period's statistics).
fn migration_18(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch("ALTER TABLE snapshot_rows ADD COLUMN complete INTEGER NOT NULL DEFAULT 0;")?;
    Ok(())
}

/// Patches of a batch within a region (statistics, reports, the lists) are
/// found through one index instead of a scan of the batch.
fn migration_19(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch("CREATE INDEX patches_batch_xzqdm ON patches (year, batch, xzqdm);")?;
    Ok(())
}

/// Browser sessions: the SHA-256 of the cookie's secret, whose they are,
/// when they end; and the users' password changes.
fn migration_20(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE TABLE sessions (
  token_sha256 TEXT PRIMARY KEY NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ended_at TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
",
    )?;
    Ok(())
}

/// The work state of one patch as the list shows and filters it, computed
/// from the current `answers`, `reviews` and `parcels` of the patches whose
/// ids `{ids}` (a query with an `id` column) yields:
///
/// - `status`: the review state when above the county; else `returned`
///   (with the county, the review JSON holding a `last_return`),
///   `unanswered` (no answer of any part), `ready` (`complete`), `draft`;
/// - `complete`: a split patch's every 地块 (`parcels.no`) has a complete
///   answer; an unsplit patch's part-0 answer is complete (the rule the
///   county's to-do list and submission use);
/// - `updated_at`: the latest `updated_at` of its answers and its review.
///
/// Patches that are gone are skipped (a cascade deleting their answers).
/// An upsert, not `INSERT OR REPLACE`: a trigger's `OR` conflict clause
/// yields to the one of the statement that fired it.
const PATCH_WORK_21: &str = "
INSERT INTO patch_work (patch_id, status, complete, updated_at)
SELECT id,
       CASE WHEN state IS NOT NULL AND state <> 'county' THEN state
            WHEN returned THEN 'returned'
            WHEN NOT answered THEN 'unanswered'
            WHEN complete THEN 'ready'
            ELSE 'draft' END,
       complete,
       NULLIF(max(coalesce(answered_at, ''), coalesce(reviewed_at, '')), '')
  FROM (SELECT x.id AS id, r.state AS state, r.updated_at AS reviewed_at,
               (CASE WHEN json_valid(r.review) THEN json_extract(r.review, '$.last_return') END)
                 IS NOT NULL AS returned,
               EXISTS (SELECT 1 FROM answers a WHERE a.patch_id = x.id) AS answered,
               CASE WHEN EXISTS (SELECT 1 FROM parcels d WHERE d.patch_id = x.id)
                    THEN NOT EXISTS (SELECT 1 FROM parcels d WHERE d.patch_id = x.id AND NOT EXISTS
                           (SELECT 1 FROM answers a WHERE a.patch_id = x.id AND a.part = d.no AND a.complete))
                    ELSE EXISTS (SELECT 1 FROM answers a WHERE a.patch_id = x.id AND a.part = 0 AND a.complete)
               END AS complete,
               (SELECT max(a.updated_at) FROM answers a WHERE a.patch_id = x.id) AS answered_at
          FROM ({ids}) x LEFT JOIN reviews r ON r.patch_id = x.id
         WHERE EXISTS (SELECT 1 FROM patches p WHERE p.fid = x.id))
 WHERE true
    ON CONFLICT (patch_id) DO UPDATE SET status = excluded.status, complete = excluded.complete,
       updated_at = excluded.updated_at";

/// The patch list, fast at province scale (issue #7):
///
/// - `patches_list`, a covering index of what the list filters and sorts
///   on, so a province's patches are found, counted and ordered without
///   reading their rows (which hold the geometry); it replaces
///   `patches_batch_xzqdm`, its prefix;
/// - the 判定类型 and 具体情形 of every answer indexed (`answers_pdlx`,
///   `answers_jtqx`), flags by status (`flags_status`);
/// - `patch_work`: each patch's work state (status, whether its answers are
///   complete, when its answers or review last changed), kept by triggers
///   on `answers`, `reviews` and `parcels` — every write to them recomputes
///   the row from what is stored, so it cannot drift; no row means
///   unanswered, never changed. Filled here from what is stored.
///
/// A later migration that rebuilds one of those three tables must create
/// the triggers again (dropping a table drops its triggers).
/// The covering index of the patch list also carries each patch's revision
/// (`COALESCE(updated_at, imported_at)`), so the statistics read a batch's
/// patches from the index alone, without touching their rows (which hold
/// the geometry and the issued attributes): ten times faster at 200,000
/// patches.
fn migration_22(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
DROP INDEX patches_list;
CREATE INDEX patches_list ON patches (year, batch, xzqdm, kind, jcbh, tqmj, updated_at, imported_at);
",
    )?;
    Ok(())
}

fn migration_21(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
CREATE INDEX patches_list ON patches (year, batch, xzqdm, kind, jcbh, tqmj);
DROP INDEX patches_batch_xzqdm;
CREATE INDEX answers_pdlx ON answers (CASE WHEN json_valid(answer) THEN json_extract(answer, '$.PDLX') END);
CREATE INDEX answers_jtqx ON answers (CASE WHEN json_valid(answer) THEN json_extract(answer, '$.JTQX') END);
CREATE INDEX flags_status ON flags (status, patch_id);
CREATE TABLE patch_work (
  patch_id INTEGER PRIMARY KEY NOT NULL REFERENCES patches(fid) ON DELETE CASCADE,
  status TEXT NOT NULL,
  complete INTEGER NOT NULL,
  updated_at TEXT
);
CREATE INDEX patch_work_status ON patch_work (status);
",
    )?;
    let mut sql = String::new();
    for table in ["answers", "reviews", "parcels"] {
        for (event, row) in [("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")] {
            sql.push_str(&format!(
                "CREATE TRIGGER patch_work_{table}_{event} AFTER {event} ON {table} BEGIN {}; END;\n",
                PATCH_WORK_21.replace("{ids}", &format!("SELECT {row}.patch_id AS id"))
            ));
        }
    }
    sql.push_str(&PATCH_WORK_21.replace(
        "{ids}",
        "SELECT patch_id AS id FROM answers UNION SELECT patch_id FROM reviews
         UNION SELECT patch_id FROM parcels",
    ));
    tx.execute_batch(&sql)?;
    Ok(())
}
