//! Patches: batch import (idempotent, history of changes) and queries.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use weipian_domain::{BatchId, FieldDef, PatchKind};
use weipian_formats::gpkg;
use weipian_geo::validate::Repair;

use crate::json::{read_attrs, write_attrs};
use crate::schema::PATCHES;
use crate::{
    area_problem, geometry_problem, log_import, stored_geometry, to_i64, to_usize,
    BatchImportOutcome, BatchMeta, BatchSummary, NewPatch, PatchQuery, Store, StoreError,
    StoredPatch,
};

/// From this many new rows on, an import may rebuild the spatial index
/// packed instead of inserting into it row by row.
const BULK_MIN_ROWS: usize = 1000;

/// A stored patch of the batch being imported, as needed to compare.
struct Existing {
    fid: i64,
    xzqdm: String,
    geom: Vec<u8>,
    tqmj: f64,
    issued: String,
    repairs: String,
    source_row: i64,
    imported_at: String,
    updated_at: Option<String>,
}

fn parse_kind(code: &str) -> Result<PatchKind, StoreError> {
    PatchKind::parse(code).ok_or_else(|| StoreError::Corrupt(format!("图斑类别无效：“{code}”")))
}

fn parse_fields(text: &str, batch: &BatchId, kind: PatchKind) -> Result<Vec<FieldDef>, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "批次 {batch}（{}）的字段结构无法解析：{e}",
            kind.name_zh()
        ))
    })
}

fn parse_repairs(text: &str) -> Result<Vec<Repair>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("修复记录无法解析：{e}")))
}

/// A readable difference between two field schemas.
fn describe_schema_change(old: &[FieldDef], new: &[FieldDef]) -> String {
    let show = |f: &FieldDef| format!("{}（{:?}）", f.name, f.field_type);
    if old.len() != new.len() {
        let old_names: Vec<&str> = old.iter().map(|f| f.name.as_str()).collect();
        let new_names: Vec<&str> = new.iter().map(|f| f.name.as_str()).collect();
        return format!(
            "已导入 {} 个字段（{}），本次 {} 个字段（{}）",
            old.len(),
            old_names.join("、"),
            new.len(),
            new_names.join("、")
        );
    }
    for (i, (a, b)) in old.iter().zip(new).enumerate() {
        if a != b {
            return format!(
                "第 {} 个字段已导入为 {}，本次为 {}",
                i + 1,
                show(a),
                show(b)
            );
        }
    }
    "字段相同".into()
}

/// The string range `[lo, hi)` of codes starting with `prefix` (digits only).
fn prefix_range(prefix: &str) -> (String, String) {
    let mut hi = prefix.to_string();
    if let Some(last) = hi.pop() {
        // Codes are ASCII digits; the successor of '9' is ':'.
        hi.push(char::from_u32(last as u32 + 1).unwrap_or(char::MAX));
    }
    (prefix.to_string(), hi)
}

/// The code range holding every county within `region` (a prefix range:
/// callers still apply [`weipian_domain::RegionCode::is_within`]).
/// The query of [`Store::patch_summaries`] and its arguments.
pub(crate) fn summaries_sql(query: &PatchQuery) -> (String, Vec<Box<dyn rusqlite::ToSql>>) {
    let batch = &query.batch;
    let mut sql = format!(
        "SELECT fid, kind, jcbh, xzqdm, tqmj, COALESCE(updated_at, imported_at) FROM patches
              WHERE year = ?1 AND batch = ?2 AND fid {}",
        crate::NOT_MILITARY
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![
        Box::new(i64::from(batch.year)),
        Box::new(batch.name.clone()),
    ];
    if let Some(kind) = query.kind {
        args.push(Box::new(kind.code()));
        sql.push_str(&format!(" AND kind = ?{}", args.len()));
    }
    if let Some(region) = query.region {
        push_region_range(&mut sql, &mut args, region);
    }
    (sql, args)
}

/// ` AND xzqdm >= ?n AND xzqdm < ?n+1` with the region's bounds as the
/// next arguments (a prefix pre-filter; `RegionCode::is_within` decides).
fn push_region_range(
    sql: &mut String,
    args: &mut Vec<Box<dyn rusqlite::ToSql>>,
    region: weipian_domain::RegionCode,
) {
    let (lo, hi) = region_range(region);
    args.push(Box::new(lo));
    sql.push_str(&format!(" AND xzqdm >= ?{}", args.len()));
    args.push(Box::new(hi));
    sql.push_str(&format!(" AND xzqdm < ?{}", args.len()));
}

pub(crate) fn region_range(region: weipian_domain::RegionCode) -> (String, String) {
    let code = region.to_string();
    let prefix = if region.value().is_multiple_of(10_000) {
        &code[..2]
    } else if region.value().is_multiple_of(100) {
        &code[..4]
    } else {
        &code[..]
    };
    prefix_range(prefix)
}

/// What a list shows of a patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchSummary {
    pub id: i64,
    pub kind: PatchKind,
    pub jcbh: String,
    pub xzqdm: String,
    /// Ellipsoidal area, m².
    pub area_m2: f64,
    /// When it was last imported or changed (the analysis revision).
    pub revision: String,
}

impl Store {
    /// Import a batch file's patches in one transaction.
    ///
    /// A patch is keyed by (year, batch, JCBH). Re-importing is idempotent:
    /// identical patches are left untouched; changed ones are updated and
    /// their previous values kept in `patch_history`; stored patches missing
    /// from the file are kept and counted. The field schema of (batch, kind)
    /// is fixed by the first import: a different one is refused.
    pub fn import_batch(
        &mut self,
        meta: &BatchMeta,
        fields: &[FieldDef],
        patches: &[NewPatch],
    ) -> Result<BatchImportOutcome, StoreError> {
        let batch = BatchId::new(meta.id.year, &meta.id.name)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        validate_fields(fields)?;
        validate_patches(fields, patches)?;
        let fields_json = serde_json::to_string(fields)
            .map_err(|e| StoreError::Invalid(format!("字段结构无法保存：{e}")))?;
        let kind = meta.kind;
        let year = i64::from(batch.year);
        let now = self.now()?;
        let fault = self.fault();

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;

        // The schema is fixed by the first import of (batch, kind).
        let stored_fields: Option<String> = tx
            .query_row(
                "SELECT fields FROM batches WHERE year = ?1 AND batch = ?2 AND kind = ?3",
                params![year, batch.name, kind.code()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(text) = &stored_fields {
            let old = parse_fields(text, &batch, kind)?;
            if old != fields {
                return Err(StoreError::SchemaMismatch {
                    batch,
                    kind,
                    detail: describe_schema_change(&old, fields),
                });
            }
        }

        // A JCBH is unique within a batch, across kinds.
        {
            let mut stmt = tx.prepare(
                "SELECT jcbh FROM patches WHERE year = ?1 AND batch = ?2 AND kind <> ?3",
            )?;
            let other: HashSet<String> = stmt
                .query_map(params![year, batch.name, kind.code()], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if let Some(p) = patches.iter().find(|p| other.contains(&p.jcbh)) {
                let stored = match kind {
                    PatchKind::Land => PatchKind::Mineral,
                    PatchKind::Mineral => PatchKind::Land,
                };
                return Err(StoreError::KindConflict {
                    jcbh: p.jcbh.clone(),
                    batch,
                    stored,
                    importing: kind,
                });
            }
        }

        // What is stored already for (batch, kind).
        let mut existing: HashMap<String, Existing> = HashMap::new();
        if stored_fields.is_some() {
            let mut stmt = tx.prepare(
                "SELECT jcbh, fid, xzqdm, geom, tqmj, issued, repairs, source_row, imported_at, updated_at
                 FROM patches WHERE year = ?1 AND batch = ?2 AND kind = ?3",
            )?;
            let mut rows = stmt.query(params![year, batch.name, kind.code()])?;
            while let Some(r) = rows.next()? {
                existing.insert(
                    r.get(0)?,
                    Existing {
                        fid: r.get(1)?,
                        xzqdm: r.get(2)?,
                        geom: r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
                        tqmj: r.get(4)?,
                        issued: r.get(5)?,
                        repairs: r.get(6)?,
                        source_row: r.get(7)?,
                        imported_at: r.get(8)?,
                        updated_at: r.get(9)?,
                    },
                );
            }
        }

        // Many new rows: suspend the R*Tree trigger and rebuild the index packed.
        let to_insert = patches
            .iter()
            .filter(|p| !existing.contains_key(&p.jcbh))
            .count();
        let stored_rows: i64 = tx.query_row(
            "SELECT coalesce(sum(feature_count), 0) FROM batches",
            [],
            |r| r.get(0),
        )?;
        let bulk = (to_insert >= BULK_MIN_ROWS && to_i64(to_insert) * 2 >= stored_rows)
            .then(|| gpkg::begin_bulk_insert(&tx, PATCHES))
            .transpose()?;

        let mut outcome = BatchImportOutcome::default();
        let mut seen = 0usize;
        let mut area_of_file = 0.0;
        let mut extent_grew_only = true;
        let mut new_extent = Extent::EMPTY;
        {
            let mut insert = tx.prepare(
                "INSERT INTO patches (geom, year, batch, kind, jcbh, xzqdm, tqmj, issued, repairs, source_row, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut update = tx.prepare(
                "UPDATE patches SET geom = ?2, xzqdm = ?3, tqmj = ?4, issued = ?5, repairs = ?6, source_row = ?7,
                        updated_at = ?8
                 WHERE fid = ?1",
            )?;
            let mut history = tx.prepare(
                "INSERT INTO patch_history (patch_fid, year, batch, jcbh, changed_at, new_source, prev_xzqdm, prev_geom,
                   prev_tqmj, prev_issued, prev_repairs, prev_source_row, prev_imported_at, prev_updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut blob = Vec::new();
            let mut issued = String::new();
            let mut written = 0usize;
            for p in patches {
                gpkg::encode_geometry_into(&p.geometry, gpkg::SRS_CGCS2000, &mut blob);
                issued.clear();
                write_attrs(&p.attrs, &mut issued);
                area_of_file += p.area_m2;
                if let Some(e) = existing.get(&p.jcbh) {
                    seen += 1;
                    let same = e.xzqdm == p.xzqdm
                        && e.geom == blob
                        && e.tqmj.to_bits() == p.area_m2.to_bits()
                        && e.issued == issued;
                    if same {
                        outcome.unchanged += 1;
                        continue;
                    }
                    let repairs = repairs_json(&p.repairs)?;
                    history.execute(params![
                        e.fid,
                        year,
                        batch.name,
                        p.jcbh,
                        now,
                        meta.source,
                        e.xzqdm,
                        e.geom,
                        e.tqmj,
                        e.issued,
                        e.repairs,
                        e.source_row,
                        e.imported_at,
                        e.updated_at,
                    ])?;
                    update.execute(params![
                        e.fid,
                        &blob[..],
                        p.xzqdm,
                        p.area_m2,
                        issued,
                        repairs,
                        to_i64(p.source_row),
                        now
                    ])?;
                    outcome.updated += 1;
                    extent_grew_only = false;
                } else {
                    let repairs = repairs_json(&p.repairs)?;
                    insert.raw_bind_parameter(1, &blob[..])?;
                    insert.raw_bind_parameter(2, year)?;
                    insert.raw_bind_parameter(3, batch.name.as_str())?;
                    insert.raw_bind_parameter(4, kind.code())?;
                    insert.raw_bind_parameter(5, p.jcbh.as_str())?;
                    insert.raw_bind_parameter(6, p.xzqdm.as_str())?;
                    insert.raw_bind_parameter(7, p.area_m2)?;
                    insert.raw_bind_parameter(8, issued.as_str())?;
                    insert.raw_bind_parameter(9, repairs.as_str())?;
                    insert.raw_bind_parameter(10, to_i64(p.source_row))?;
                    insert.raw_bind_parameter(11, now.as_str())?;
                    insert.raw_execute()?;
                    outcome.inserted += 1;
                    new_extent.add_blob(&blob);
                }
                written += 1;
                fault.check(written)?;
            }
        }
        outcome.not_in_file = existing.len() - seen;
        if let Some(bulk) = bulk {
            gpkg::end_bulk_insert(&tx, bulk)?;
        }

        // Count and area of everything stored for (batch, kind) now.
        let kept_area: f64 = {
            let in_file: HashSet<&str> = patches.iter().map(|p| p.jcbh.as_str()).collect();
            existing
                .iter()
                .filter(|(k, _)| !in_file.contains(k.as_str()))
                .map(|(_, e)| e.tqmj)
                .sum()
        };
        let count = existing.len() + outcome.inserted;
        let area = area_of_file + kept_area;

        tx.execute(
            "INSERT INTO batches (year, batch, kind, fields, feature_count, area_m2, source, encoding, crs,
                                  first_imported_at, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (year, batch, kind) DO UPDATE SET feature_count = excluded.feature_count,
               area_m2 = excluded.area_m2, source = excluded.source, encoding = excluded.encoding,
               crs = excluded.crs, imported_at = excluded.imported_at",
            params![year, batch.name, kind.code(), fields_json, to_i64(count), area, meta.source, meta.encoding, meta.crs, now],
        )?;
        if outcome.inserted + outcome.updated > 0 {
            if extent_grew_only {
                grow_extent(&tx, &new_extent)?;
            } else {
                gpkg::update_extent(&tx, PATCHES)?;
            }
        }
        log_import(
            &tx,
            &format!("batch:{batch}:{}", kind.code()),
            &meta.source,
            meta.encoding.as_deref(),
            Some(&meta.crs),
            patches.len(),
            &format!(
                "新增 {}，更新 {}，未变 {}，文件中没有 {}",
                outcome.inserted, outcome.updated, outcome.unchanged, outcome.not_in_file
            ),
            &now,
        )?;
        tx.commit()?;
        self.written();
        Ok(outcome)
    }

    /// Every (batch, kind) stored, by year, batch, kind.
    /// The imported batches, counts and areas without the military-land register.
    pub fn batches(&self) -> Result<Vec<BatchSummary>, StoreError> {
        let mut military: HashMap<(i64, String, String), (i64, f64)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT p.year, p.batch, p.kind, COUNT(*), SUM(p.tqmj)
                   FROM military_register m JOIN patches p ON p.fid = m.patch_id
                  GROUP BY p.year, p.batch, p.kind",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                military.insert((r.get(0)?, r.get(1)?, r.get(2)?), (r.get(3)?, r.get(4)?));
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT year, batch, kind, feature_count, area_m2, source, imported_at FROM batches
             ORDER BY year, batch, kind",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let year: i64 = r.get(0)?;
            let name: String = r.get(1)?;
            let id = u16::try_from(year)
                .ok()
                .and_then(|y| BatchId::new(y, &name).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("批次标识无效：{year}/{name}")))?;
            let kind_code: String = r.get(2)?;
            let (m_count, m_area) = military
                .get(&(year, name.clone(), kind_code.clone()))
                .copied()
                .unwrap_or((0, 0.0));
            out.push(BatchSummary {
                id,
                kind: parse_kind(&kind_code)?,
                count: to_usize(r.get::<_, i64>(3)? - m_count, "批次图斑数")?,
                area_m2: r.get::<_, f64>(4)? - m_area,
                source: r.get(5)?,
                imported_at: r.get(6)?,
            });
        }
        Ok(out)
    }

    /// The issued field schema of (batch, kind), if imported.
    pub fn batch_fields(
        &self,
        id: &BatchId,
        kind: PatchKind,
    ) -> Result<Option<Vec<FieldDef>>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT fields FROM batches WHERE year = ?1 AND batch = ?2 AND kind = ?3",
                params![i64::from(id.year), id.name, kind.code()],
                |r| r.get(0),
            )
            .optional()?;
        text.map(|t| parse_fields(&t, id, kind)).transpose()
    }

    /// Patches of a batch (optionally one kind, optionally within a region),
    /// by JCBH — never those in the military-land register.
    pub fn patches(&self, query: &PatchQuery) -> Result<Vec<StoredPatch>, StoreError> {
        self.patches_where(query, None, Register::Ordinary)
    }

    /// One patch of a batch by JCBH (none if it is in the military-land register).
    pub fn patch(&self, batch: &BatchId, jcbh: &str) -> Result<Option<StoredPatch>, StoreError> {
        let query = PatchQuery {
            batch: batch.clone(),
            kind: None,
            region: None,
        };
        Ok(self
            .patches_where(&query, Some(jcbh), Register::Ordinary)?
            .pop())
    }

    /// What a list shows of the patches of a batch (optionally one kind,
    /// optionally within a region), by JCBH, without geometry or issued
    /// attributes — never those in the military-land register.
    pub fn patch_summaries(&self, query: &PatchQuery) -> Result<Vec<PatchSummary>, StoreError> {
        let (sql, args) = summaries_sql(query);
        // No ORDER BY: in JCBH order SQLite would walk `patches_key` and
        // read every row; unordered it reads the covering `patches_list`
        // alone. Sorted below instead.
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let xzqdm: String = r.get(3)?;
            if let Some(region) = query.region {
                // The range pre-filter is by prefix; the rule is RegionCode::is_within.
                let within =
                    weipian_domain::RegionCode::parse(&xzqdm).is_ok_and(|c| c.is_within(region));
                if !within {
                    continue;
                }
            }
            out.push(PatchSummary {
                id: r.get(0)?,
                kind: parse_kind(r.get_ref(1)?.as_str()?)?,
                jcbh: r.get(2)?,
                xzqdm,
                area_m2: r.get(4)?,
                revision: r.get(5)?,
            });
        }
        out.sort_unstable_by(|a, b| a.jcbh.cmp(&b.jcbh));
        Ok(out)
    }

    pub(crate) fn patches_where(
        &self,
        query: &PatchQuery,
        jcbh: Option<&str>,
        register: Register,
    ) -> Result<Vec<StoredPatch>, StoreError> {
        let batch = &query.batch;
        let year = i64::from(batch.year);
        let tx = self.conn.unchecked_transaction()?; // one snapshot for schema and rows

        let mut schemas: HashMap<PatchKind, Arc<Vec<FieldDef>>> = HashMap::new();
        {
            let mut stmt =
                tx.prepare("SELECT kind, fields FROM batches WHERE year = ?1 AND batch = ?2")?;
            let mut rows = stmt.query(params![year, batch.name])?;
            while let Some(r) = rows.next()? {
                let kind = parse_kind(r.get_ref(0)?.as_str()?)?;
                schemas.insert(
                    kind,
                    Arc::new(parse_fields(r.get_ref(1)?.as_str()?, batch, kind)?),
                );
            }
        }

        let mut sql = String::from(
            "SELECT fid, kind, jcbh, xzqdm, geom, tqmj, issued, repairs FROM patches WHERE year = ?1 AND batch = ?2",
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> =
            vec![Box::new(year), Box::new(batch.name.clone())];
        if let Some(kind) = query.kind {
            args.push(Box::new(kind.code()));
            sql.push_str(&format!(" AND kind = ?{}", args.len()));
        }
        if let Some(j) = jcbh {
            args.push(Box::new(j.to_string()));
            sql.push_str(&format!(" AND jcbh = ?{}", args.len()));
        }
        match register {
            Register::Ordinary => sql.push_str(&format!(" AND fid {}", crate::NOT_MILITARY)),
            Register::Military => {
                sql.push_str(" AND fid IN (SELECT patch_id FROM military_register)")
            }
        }
        if let Some(region) = query.region {
            push_region_range(&mut sql, &mut args, region);
        }
        sql.push_str(" ORDER BY jcbh");

        let mut out = Vec::new();
        {
            let mut stmt = tx.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
            while let Some(r) = rows.next()? {
                let xzqdm: String = r.get(3)?;
                if let Some(region) = query.region {
                    // The range pre-filter is by prefix; the rule is RegionCode::is_within.
                    let within = weipian_domain::RegionCode::parse(&xzqdm)
                        .is_ok_and(|c| c.is_within(region));
                    if !within {
                        continue;
                    }
                }
                let kind = parse_kind(r.get_ref(1)?.as_str()?)?;
                let jcbh: String = r.get(2)?;
                let what = format!("图斑 {jcbh}");
                let fields = schemas.get(&kind).cloned().ok_or_else(|| {
                    StoreError::Corrupt(format!("批次 {batch}（{}）缺少字段结构", kind.name_zh()))
                })?;
                let attrs = read_attrs(r.get_ref(6)?.as_str()?)?;
                if attrs.len() != fields.len() {
                    return Err(StoreError::Corrupt(format!(
                        "{what} 的属性个数 {} 与字段个数 {} 不一致",
                        attrs.len(),
                        fields.len()
                    )));
                }
                out.push(StoredPatch {
                    id: r.get(0)?,
                    batch: batch.clone(),
                    kind,
                    geometry: stored_geometry(r.get_ref(4)?.as_blob_or_null()?, &what)?,
                    area_m2: r.get(5)?,
                    repairs: parse_repairs(r.get_ref(7)?.as_str()?)?,
                    fields,
                    attrs,
                    jcbh,
                    xzqdm,
                });
            }
        }
        tx.finish()?;
        Ok(out)
    }
}

fn repairs_json(repairs: &[Repair]) -> Result<String, StoreError> {
    if repairs.is_empty() {
        return Ok("[]".into());
    }
    serde_json::to_string(repairs)
        .map_err(|e| StoreError::Invalid(format!("修复记录无法保存：{e}")))
}

fn validate_fields(fields: &[FieldDef]) -> Result<(), StoreError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, f) in fields.iter().enumerate() {
        if f.name.trim().is_empty() {
            return Err(StoreError::Invalid(format!("第 {} 个字段名为空", i + 1)));
        }
        if let Some(first) = seen.insert(f.name.to_lowercase(), i) {
            return Err(StoreError::Invalid(format!(
                "字段名 “{}” 重复（第 {} 个与第 {} 个，不区分大小写）",
                f.name,
                first + 1,
                i + 1
            )));
        }
    }
    Ok(())
}

fn validate_patches(fields: &[FieldDef], patches: &[NewPatch]) -> Result<(), StoreError> {
    let mut rows: HashMap<&str, usize> = HashMap::with_capacity(patches.len());
    for p in patches {
        let what = || format!("监测编号 {}", p.jcbh);
        if p.jcbh.trim().is_empty() {
            return Err(StoreError::record(
                p.source_row,
                "监测编号为空",
                "缺少监测编号（JCBH）",
            ));
        }
        if p.xzqdm.trim().is_empty() {
            return Err(StoreError::record(
                p.source_row,
                what(),
                "缺少行政区代码（XZQDM）",
            ));
        }
        if p.attrs.len() != fields.len() {
            return Err(StoreError::record(
                p.source_row,
                what(),
                format!(
                    "属性个数 {} 与字段个数 {} 不一致",
                    p.attrs.len(),
                    fields.len()
                ),
            ));
        }
        if let Some(problem) = geometry_problem(&p.geometry).or_else(|| area_problem(p.area_m2)) {
            return Err(StoreError::record(p.source_row, what(), problem));
        }
        if let Some(first) = rows.insert(p.jcbh.as_str(), p.source_row) {
            return Err(StoreError::DuplicateJcbh {
                jcbh: p.jcbh.clone(),
                first_row: first,
                second_row: p.source_row,
            });
        }
    }
    Ok(())
}

/// A bounding box accumulated from geometry blob headers.
#[derive(Debug, Clone, Copy)]
struct Extent([f64; 4]);

impl Extent {
    const EMPTY: Self = Self([
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]);

    fn add_blob(&mut self, blob: &[u8]) {
        if let Ok(Some([a, b, c, d])) = gpkg::geometry_bounds(blob) {
            self.0 = [
                self.0[0].min(a),
                self.0[1].max(b),
                self.0[2].min(c),
                self.0[3].max(d),
            ];
        }
    }
}

/// Widen the patches table's extent in `gpkg_contents` by the inserted
/// geometries (when rows were only added, the extent can only grow).
fn grow_extent(tx: &rusqlite::Transaction<'_>, extent: &Extent) -> Result<(), StoreError> {
    let [min_x, max_x, min_y, max_y] = extent.0;
    if min_x > max_x {
        return Ok(());
    }
    tx.execute(
        "UPDATE gpkg_contents SET
           min_x = min(coalesce(min_x, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3),
           min_y = min(coalesce(min_y, ?4), ?4), max_y = max(coalesce(max_y, ?5), ?5),
           last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
         WHERE table_name = ?1",
        params![PATCHES, min_x, max_x, min_y, max_y],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::prefix_range;

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_range("51"), ("51".into(), "52".into()));
        assert_eq!(prefix_range("5109"), ("5109".into(), "510:".into()));
        assert_eq!(prefix_range("510104"), ("510104".into(), "510105".into()));
    }
}

/// Which register a read is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Register {
    /// Every ordinary read: the military-land register left out.
    Ordinary,
    /// Only the military-land register.
    Military,
}
