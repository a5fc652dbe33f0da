//! Bulk reads for statistics and reports: a batch's answers, 地块, layer
//! areas and cases — optionally within a region — in a handful of queries
//! instead of several per patch, so a province or the nation can be
//! counted in seconds. Military-register patches never appear.

use std::collections::HashMap;

use rusqlite::params;
use serde::de::IgnoredAny;
use weipian_domain::{BatchId, RegionCode};

use crate::{CaseRow, Store, StoreError};

/// One layer's area in a patch's (or 地块's) stored overlay results, with
/// the revisions that tell whether it is current.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerArea {
    pub layer: String,
    pub layer_revision: i64,
    pub patch_revision: String,
    pub area_m2: f64,
}

/// A 地块 without its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcelInfo {
    pub id: i64,
    pub patch_id: i64,
    pub no: u32,
    pub area_m2: f64,
}

/// An answer of a patch or 地块, as stored now.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerInfo {
    pub patch_id: i64,
    pub part: u32,
    pub answer: String,
    pub complete: bool,
}

/// A case and its links (patch id, part).
pub type CaseWithLinks = (CaseRow, Vec<(i64, u32)>);

/// Only what the statistics need of a result entry: the heavy parts
/// (areas by class, feature labels) are skipped, not parsed.
type LightResults = std::collections::BTreeMap<String, (i64, String, f64, IgnoredAny, IgnoredAny)>;

/// The arguments of a batch query — `?1` the year, `?2` the batch name,
/// then `extra` — and, for a region, the clause
/// `AND p.xzqdm >= ?n AND p.xzqdm < ?n+1` with its bounds appended.
fn batch_args(
    batch: &BatchId,
    extra: &[&str],
    region: Option<RegionCode>,
) -> (String, Vec<Box<dyn rusqlite::ToSql>>) {
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![
        Box::new(i64::from(batch.year)),
        Box::new(batch.name.clone()),
    ];
    args.extend(
        extra
            .iter()
            .map(|e| Box::new((*e).to_string()) as Box<dyn rusqlite::ToSql>),
    );
    let clause = match region {
        None => String::new(),
        Some(r) => {
            let (lo, hi) = crate::patches::region_range(r);
            let first = args.len() + 1;
            args.push(Box::new(lo));
            args.push(Box::new(hi));
            format!(" AND p.xzqdm >= ?{first} AND p.xzqdm < ?{}", first + 1)
        }
    };
    (clause, args)
}

fn answer_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<AnswerInfo> {
    Ok(AnswerInfo {
        patch_id: r.get(0)?,
        part: r.get(1)?,
        answer: r.get(2)?,
        complete: r.get::<_, i64>(3)? != 0,
    })
}

/// The `layers`' areas in one stored result (of patch or 地块 `id`).
fn light_results(id: i64, text: &str, layers: &[&str]) -> Result<Vec<LayerArea>, StoreError> {
    let parsed: LightResults = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("图斑（地块）{id} 的分析结果：{e}")))?;
    Ok(parsed
        .into_iter()
        .filter(|(layer, _)| layers.contains(&layer.as_str()))
        .map(
            |(layer, (layer_revision, patch_revision, area_m2, _, _))| LayerArea {
                layer,
                layer_revision,
                patch_revision,
                area_m2,
            },
        )
        .collect())
}

fn light(
    rows: &mut rusqlite::Rows<'_>,
    layers: &[&str],
) -> Result<HashMap<i64, Vec<LayerArea>>, StoreError> {
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let v = light_results(id, r.get_ref(1)?.as_str()?, layers)?;
        out.insert(id, v);
    }
    Ok(out)
}

impl Store {
    /// The `layers`' areas of every patch of the batch (within `region`),
    /// by patch id.
    pub fn layer_areas(
        &self,
        batch: &BatchId,
        region: Option<RegionCode>,
        layers: &[&str],
    ) -> Result<HashMap<i64, Vec<LayerArea>>, StoreError> {
        // Half a kilobyte of JSON per patch: read in one pass (the patches
        // picked through the batch index, not joined row by row), then
        // parsed on every core.
        let (clause, args) = batch_args(batch, &[], region);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT patch_id, results FROM patch_analysis
              WHERE patch_id IN (SELECT p.fid FROM patches p WHERE p.year = ?1 AND p.batch = ?2{clause})"
        ))?;
        let raw: Vec<(i64, String)> = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        use rayon::prelude::*;
        raw.par_iter()
            .map(|(id, text)| Ok((*id, light_results(*id, text, layers)?)))
            .collect()
    }

    /// The `layers`' areas of every 地块 of the batch's patches, by parcel id.
    pub fn parcel_layer_areas(
        &self,
        batch: &BatchId,
        region: Option<RegionCode>,
        layers: &[&str],
    ) -> Result<HashMap<i64, Vec<LayerArea>>, StoreError> {
        let (clause, args) = batch_args(batch, &[], region);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.parcel_id, a.results FROM parcel_analysis a
               JOIN parcels d ON d.id = a.parcel_id JOIN patches p ON p.fid = d.patch_id
              WHERE p.year = ?1 AND p.batch = ?2{clause}"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        light(&mut rows, layers)
    }

    /// Every 地块 of the batch's patches (within `region`), without shapes.
    pub fn parcels_of_batch(
        &self,
        batch: &BatchId,
        region: Option<RegionCode>,
    ) -> Result<Vec<ParcelInfo>, StoreError> {
        let (clause, args) = batch_args(batch, &[], region);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT d.id, d.patch_id, d.no, d.area_m2 FROM parcels d JOIN patches p ON p.fid = d.patch_id
              WHERE p.year = ?1 AND p.batch = ?2{clause} ORDER BY d.patch_id, d.no"
        ))?;
        let map = |r: &rusqlite::Row<'_>| {
            Ok(ParcelInfo {
                id: r.get(0)?,
                patch_id: r.get(1)?,
                no: r.get(2)?,
                area_m2: r.get(3)?,
            })
        };
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), map)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every current answer of the batch's patches and 地块 (within `region`).
    pub fn answers_of_batch(
        &self,
        batch: &BatchId,
        region: Option<RegionCode>,
    ) -> Result<Vec<AnswerInfo>, StoreError> {
        let (clause, args) = batch_args(batch, &[], region);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.patch_id, a.part, a.answer, a.complete FROM answers a JOIN patches p ON p.fid = a.patch_id
              WHERE p.year = ?1 AND p.batch = ?2{clause} AND p.fid {}",
            crate::NOT_MILITARY
        ))?;
        let map = answer_info;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), map)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every case linked to the batch's patches (within `region`), with
    /// all its links (patch id, part), in two queries.
    pub fn cases_with_links(
        &self,
        batch: &BatchId,
        region: Option<RegionCode>,
    ) -> Result<Vec<CaseWithLinks>, StoreError> {
        let (clause, args) = batch_args(batch, &[], region);
        let ids_sql = format!(
            "SELECT DISTINCT cp.case_id FROM case_patches cp JOIN patches p ON p.fid = cp.patch_id
              WHERE p.year = ?1 AND p.batch = ?2{clause} AND p.fid {}",
            crate::NOT_MILITARY
        );
        let mut stmt = self.conn.prepare(&format!(
            "SELECT c.id, c.county, c.number, c.record, c.version, c.updated_at, c.updated_by, c.created_at,
                    cp.patch_id, cp.part
               FROM cases c JOIN case_patches cp ON cp.case_id = c.id
              WHERE c.id IN ({ids_sql}) AND cp.patch_id {}
              ORDER BY c.id, cp.patch_id, cp.part",
            crate::NOT_MILITARY
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        let mut out: Vec<CaseWithLinks> = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let link: (i64, u32) = (r.get(8)?, r.get(9)?);
            if let Some((row, links)) = out.last_mut().filter(|(row, _)| row.id == id) {
                links.push(link);
                row.patch_ids.push(link.0);
                continue;
            }
            out.push((
                CaseRow {
                    id,
                    county: r.get(1)?,
                    number: r.get(2)?,
                    record: r.get(3)?,
                    version: r.get(4)?,
                    updated_at: r.get(5)?,
                    updated_by: r.get(6)?,
                    created_at: r.get(7)?,
                    patch_ids: vec![link.0],
                },
                vec![link],
            ));
        }
        for (row, _) in &mut out {
            row.patch_ids.dedup();
        }
        Ok(out)
    }
}

impl Store {
    /// The answers of the batch's patches and 地块 (within `region`) as
    /// they stood just before `before` (a stored UTC timestamp bound,
    /// `YYYY-MM-DDTHH:MM:SS.sssZ`): the last version saved earlier.
    pub fn answers_as_of(
        &self,
        batch: &BatchId,
        region: Option<RegionCode>,
        before: &str,
    ) -> Result<Vec<AnswerInfo>, StoreError> {
        let (clause, args) = batch_args(batch, &[before], region);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT h.patch_id, h.part, h.answer, h.complete FROM answer_history h
               JOIN patches p ON p.fid = h.patch_id
              WHERE p.year = ?1 AND p.batch = ?2{clause} AND p.fid {}
                AND h.version = (SELECT MAX(version) FROM answer_history x
                                  WHERE x.patch_id = h.patch_id AND x.part = h.part AND x.saved_at < ?3)",
            crate::NOT_MILITARY
        ))?;
        let map = answer_info;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), map)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The batch's patches imported at or after `before` (not yet issued then).
    pub fn patches_imported_since(
        &self,
        batch: &BatchId,
        before: &str,
    ) -> Result<std::collections::HashSet<i64>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT fid FROM patches WHERE year = ?1 AND batch = ?2 AND imported_at >= ?3",
        )?;
        let rows = stmt.query_map(params![i64::from(batch.year), batch.name, before], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A case's record as it stood just before `before`, from the audit
    /// trail: `None` when it was opened later; the record before the first
    /// event recorded since, or the current one.
    pub fn case_record_as_of(
        &self,
        case: &CaseRow,
        before: &str,
    ) -> Result<Option<String>, StoreError> {
        if case.created_at.as_str() >= before {
            return Ok(None);
        }
        let target = format!("case/{}/{}", case.county, case.number);
        let first_later: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT before FROM audit_log WHERE target = ?1 AND action = 'case.event' AND at >= ?2
                  ORDER BY seq LIMIT 1",
                params![target, before],
                |r| r.get(0),
            )
            .optional()?;
        Ok(Some(match first_later {
            Some(Some(record)) => record,
            _ => case.record.clone(),
        }))
    }
}

use rusqlite::OptionalExtension as _;

/// What review found about a patch of a batch: a province override of an
/// answer, or an upheld desk flag.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// A current answer a province reviewer set directly (with its reason).
    Override {
        patch_id: i64,
        jcbh: String,
        xzqdm: String,
        kind: String,
        part: u32,
        answer: String,
        version: i64,
        reason: String,
    },
    /// A desk-review flag a reviewer found true (属实).
    UpheldFlag {
        jcbh: String,
        xzqdm: String,
        rule: String,
        message: String,
    },
}

impl Store {
    /// The batch's province overrides and upheld desk flags (within
    /// `region`), in two queries — never military land.
    pub fn review_findings(
        &self,
        batch: &BatchId,
        region: Option<RegionCode>,
    ) -> Result<Vec<Finding>, StoreError> {
        let (clause, args) = batch_args(batch, &[], region);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.fid, p.jcbh, p.xzqdm, p.kind, a.part, a.answer, a.version, a.override_reason
               FROM answers a JOIN patches p ON p.fid = a.patch_id
              WHERE p.year = ?1 AND p.batch = ?2{clause} AND a.override_reason IS NOT NULL
                AND p.fid {} ORDER BY p.jcbh, a.part",
            crate::NOT_MILITARY
        ))?;
        let mut out: Vec<Finding> = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok(Finding::Override {
                    patch_id: r.get(0)?,
                    jcbh: r.get(1)?,
                    xzqdm: r.get(2)?,
                    kind: r.get(3)?,
                    part: r.get(4)?,
                    answer: r.get(5)?,
                    version: r.get(6)?,
                    reason: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.jcbh, p.xzqdm, f.rule, f.message FROM flags f JOIN patches p ON p.fid = f.patch_id
              WHERE p.year = ?1 AND p.batch = ?2{clause} AND f.status = 'upheld'
                AND p.fid {} ORDER BY p.jcbh, f.id",
            crate::NOT_MILITARY
        ))?;
        let flags = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(Finding::UpheldFlag {
                jcbh: r.get(0)?,
                xzqdm: r.get(1)?,
                rule: r.get(2)?,
                message: r.get(3)?,
            })
        })?;
        for f in flags {
            out.push(f?);
        }
        Ok(out)
    }
}
