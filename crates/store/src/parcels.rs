//! 地块: the parts a county splits a patch into, each judged separately.
//!
//! A split replaces the patch's parts as a whole, in one transaction with
//! its audit record (before → after as GeoJSON, so an earlier split can be
//! read back from the trail). The parts' overlay results live in
//! `parcel_analysis`, in the format of `patch_analysis`, keyed by parcel id.
//! Answers of parts are `answers` rows with `part` = the parcel's number.

use geo_types::MultiPolygon;
use rusqlite::params;
use weipian_domain::BatchId;

use crate::analysis::{parse_results, write_results_merging, Target};
use crate::answers::{append_audit, NewAudit};
use crate::{OverlayRevisions, OverlayRow, PatchShape, Store, StoreError};

/// A stored 地块.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcelRow {
    pub id: i64,
    pub patch_id: i64,
    /// 1, 2, … within the patch.
    pub no: u32,
    /// EPSG:4490.
    pub geometry: MultiPolygon<f64>,
    /// Ellipsoidal area, m², unrounded.
    pub area_m2: f64,
    pub created_at: String,
    pub created_by: String,
}

/// Why a split cannot replace what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitBlocker {
    /// Current answers (of the whole patch or of parts): their parts.
    Answers(Vec<u32>),
    /// Cases linked to parts of the patch: their ids.
    Cases(Vec<i64>),
}

fn geojson(parts: &[(u32, &MultiPolygon<f64>, f64)]) -> String {
    let features: Vec<serde_json::Value> = parts
        .iter()
        .map(|(no, g, area)| {
            serde_json::json!({
                "type": "Feature",
                "properties": { "no": no, "area_m2": area },
                "geometry": weipian_formats::geojson::geometry_value(g),
            })
        })
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string()
}

fn parcel_row(r: &rusqlite::Row<'_>) -> Result<ParcelRow, StoreError> {
    let id: i64 = r.get(0)?;
    Ok(ParcelRow {
        id,
        patch_id: r.get(1)?,
        no: r.get(2)?,
        geometry: crate::stored_geometry(r.get_ref(3)?.as_blob_or_null()?, &format!("地块 {id}"))?,
        area_m2: r.get(4)?,
        created_at: r.get(5)?,
        created_by: r.get(6)?,
    })
}

impl Store {
    /// The 地块 of a patch, by number (none: the patch is not split).
    pub fn parcels(&self, patch_id: i64) -> Result<Vec<ParcelRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, patch_id, no, geom, area_m2, created_at, created_by
               FROM parcels WHERE patch_id = ?1 ORDER BY no",
        )?;
        let mut rows = stmt.query([patch_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(parcel_row(r)?);
        }
        Ok(out)
    }

    /// How many 地块 a patch is split into (0: not split).
    pub fn parcel_count(&self, patch_id: i64) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM parcels WHERE patch_id = ?1")?
            .query_row([patch_id], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// What stops replacing a patch's parts: current answers (unless
    /// `discard_answers`) or cases linked to its parts.
    fn split_blocker(
        tx: &rusqlite::Transaction<'_>,
        patch_id: i64,
        discard_answers: bool,
    ) -> Result<Option<SplitBlocker>, StoreError> {
        let mut stmt = tx.prepare(
            "SELECT DISTINCT case_id FROM case_patches WHERE patch_id = ?1 AND part > 0 ORDER BY case_id",
        )?;
        let cases: Vec<i64> = stmt
            .query_map([patch_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if !cases.is_empty() {
            return Ok(Some(SplitBlocker::Cases(cases)));
        }
        if !discard_answers {
            let mut stmt =
                tx.prepare("SELECT part FROM answers WHERE patch_id = ?1 ORDER BY part")?;
            let parts: Vec<u32> = stmt
                .query_map([patch_id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if !parts.is_empty() {
                return Ok(Some(SplitBlocker::Answers(parts)));
            }
        }
        Ok(None)
    }

    /// Whether a split of the patch would be refused, and why.
    pub fn split_blocked(
        &mut self,
        patch_id: i64,
        discard_answers: bool,
    ) -> Result<Option<SplitBlocker>, StoreError> {
        let tx = self.conn.transaction()?;
        Self::split_blocker(&tx, patch_id, discard_answers)
    }

    /// Replace the parts of a patch by `parts` (geometry, area m²), numbered
    /// 1, 2, … in order; an empty list undoes the split. One transaction
    /// with the audit record. Refused ([`StoreError::Invalid`]) while cases
    /// link parts of the patch, or while it has current answers unless
    /// `discard_answers` — then they leave the current answers (every
    /// version stays in `answer_history`, the audit record names them).
    pub fn set_parcels(
        &mut self,
        patch_id: i64,
        parts: &[(MultiPolygon<f64>, f64)],
        discard_answers: bool,
        audit: &NewAudit,
    ) -> Result<Vec<ParcelRow>, StoreError> {
        let now = self.now()?;
        let old = self.parcels(patch_id)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        crate::reviews::ensure_editable(&tx, patch_id)?;
        match Self::split_blocker(&tx, patch_id, discard_answers)? {
            None => {}
            Some(SplitBlocker::Cases(ids)) => {
                return Err(StoreError::Invalid(format!(
                    "图斑的地块已关联案件（{}），不能重新拆分",
                    ids.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("、")
                )))
            }
            Some(SplitBlocker::Answers(parts)) => {
                return Err(StoreError::Invalid(format!(
                    "图斑已有填报（{}），重新拆分会使其失效；确认后再拆分",
                    parts
                        .iter()
                        .map(|p| if *p == 0 {
                            "整个图斑".into()
                        } else {
                            format!("地块 {p}")
                        })
                        .collect::<Vec<_>>()
                        .join("、")
                )))
            }
        }
        let dropped: i64 = tx.query_row(
            "SELECT COUNT(*) FROM answers WHERE patch_id = ?1",
            [patch_id],
            |r| r.get(0),
        )?;
        tx.execute("DELETE FROM answers WHERE patch_id = ?1", [patch_id])?;
        tx.execute(
            "DELETE FROM parcel_analysis WHERE parcel_id IN (SELECT id FROM parcels WHERE patch_id = ?1)",
            [patch_id],
        )?;
        tx.execute("DELETE FROM parcels WHERE patch_id = ?1", [patch_id])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO parcels (patch_id, no, geom, area_m2, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, (g, area)) in parts.iter().enumerate() {
                if !area.is_finite() {
                    return Err(StoreError::Invalid(format!(
                        "地块 {} 的面积不是有限数值",
                        i + 1
                    )));
                }
                let blob =
                    weipian_formats::gpkg::encode_geometry(g, weipian_formats::gpkg::SRS_CGCS2000);
                insert.execute(params![
                    patch_id,
                    i64::try_from(i + 1).unwrap_or(i64::MAX),
                    blob,
                    area,
                    now,
                    audit.actor
                ])?;
            }
        }
        let before: Vec<_> = old.iter().map(|p| (p.no, &p.geometry, p.area_m2)).collect();
        let after: Vec<_> = parts
            .iter()
            .enumerate()
            .map(|(i, (g, a))| (u32::try_from(i + 1).unwrap_or(u32::MAX), g, *a))
            .collect();
        let mut entry = audit.clone();
        entry.before = (!before.is_empty()).then(|| geojson(&before));
        entry.after = (!after.is_empty()).then(|| geojson(&after));
        if dropped > 0 {
            let note = format!("原有 {dropped} 条填报随拆分失效（历史版本保留）");
            entry.reason = Some(match entry.reason {
                Some(r) => format!("{r}；{note}"),
                None => note,
            });
        }
        append_audit(&tx, &now, &entry)?;
        tx.commit()?;
        self.written();
        self.parcels(patch_id)
    }

    /// The 地块 of a batch as the overlay needs them: `id` is the parcel
    /// id, `jcbh` reads `JCBH-n`, `revision` is when the part was made.
    /// Military-land patches' parts are left out like the patches.
    pub fn parcel_shapes(&self, batch: &BatchId) -> Result<Vec<PatchShape>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT d.id, p.jcbh || '-' || d.no, p.kind, d.created_at, d.geom
               FROM parcels d JOIN patches p ON p.fid = d.patch_id
              WHERE p.year = ?1 AND p.batch = ?2 AND p.fid {} ORDER BY d.id",
            crate::NOT_MILITARY
        ))?;
        let mut rows = stmt.query(params![i64::from(batch.year), batch.name])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let label: String = r.get(1)?;
            let kind_code: String = r.get(2)?;
            let kind = weipian_domain::PatchKind::parse(&kind_code)
                .ok_or_else(|| StoreError::Corrupt(format!("地块 {label} 的种类 “{kind_code}”")))?;
            out.push(PatchShape {
                id: r.get(0)?,
                geometry: crate::stored_geometry(
                    r.get_ref(4)?.as_blob_or_null()?,
                    &format!("地块 {label}"),
                )?,
                jcbh: label,
                kind,
                revision: r.get(3)?,
            });
        }
        Ok(out)
    }

    /// Store overlay results of 地块 (`patch_id` of each row is the parcel
    /// id), merged per layer as [`Store::save_overlay`] does.
    pub fn save_parcel_overlay(&mut self, rows: &[OverlayRow]) -> Result<usize, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        write_results_merging(&tx, rows, None, &now, Target::Parcels)?;
        tx.commit()?;
        self.written();
        Ok(rows.len())
    }

    /// Stored overlay results of a patch's 地块 (`patch_id` of each row is
    /// the parcel id), by parcel id and layer.
    pub fn parcel_overlay_rows(&self, patch_id: i64) -> Result<Vec<OverlayRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT a.parcel_id, a.results FROM parcel_analysis a JOIN parcels d ON d.id = a.parcel_id
              WHERE d.patch_id = ?1 ORDER BY a.parcel_id",
        )?;
        let mut rows = stmt.query([patch_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            for (layer, (layer_revision, patch_revision, area_m2, by_class, features)) in
                parse_results(id, r.get_ref(1)?.as_str()?)?
            {
                out.push(OverlayRow {
                    patch_id: id,
                    layer,
                    layer_revision,
                    patch_revision,
                    area_m2,
                    by_class,
                    features,
                });
            }
        }
        Ok(out)
    }

    /// The input revisions of every stored 地块 result of a batch:
    /// (parcel id, layer) → (layer revision, parcel revision).
    pub fn parcel_overlay_revisions(
        &self,
        batch: &BatchId,
    ) -> Result<OverlayRevisions, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT a.parcel_id, a.results FROM parcel_analysis a
               JOIN parcels d ON d.id = a.parcel_id JOIN patches p ON p.fid = d.patch_id
              WHERE p.year = ?1 AND p.batch = ?2",
        )?;
        let mut rows = stmt.query(params![i64::from(batch.year), batch.name])?;
        let mut out = OverlayRevisions::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            for (layer, e) in parse_results(id, r.get_ref(1)?.as_str()?)? {
                out.insert((id, layer), (e.0, e.1));
            }
        }
        Ok(out)
    }
}
