//! The illegal-land vector range (标准格式违法用地矢量范围) of a case: the
//! features of the uploaded file, replaced as a whole by each upload, in
//! one transaction with the audit record.

use geo_types::MultiPolygon;
use rusqlite::{params, OptionalExtension};

use crate::answers::{append_audit, NewAudit};
use crate::{RegionBoundary, Store, StoreError};

/// A range feature to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRangeFeature {
    /// EPSG:4490.
    pub geometry: MultiPolygon<f64>,
    /// Ellipsoidal area, m², unrounded.
    pub area_m2: f64,
    /// Overlay figures as JSON (the service's format).
    pub figures: String,
    /// The file's attributes as a JSON object.
    pub attrs: String,
}

/// A stored range feature.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeFeatureRow {
    pub no: u32,
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
    pub figures: String,
    pub attrs: String,
    pub source: String,
    pub uploaded_at: String,
    pub uploaded_by: String,
}

impl Store {
    /// Replace the range of a case by `features` (numbered 1, 2, … in order).
    pub fn set_case_range(
        &mut self,
        case_id: i64,
        features: &[NewRangeFeature],
        source: &str,
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let before: Option<String> = tx
            .query_row(
                "SELECT source || '：' || COUNT(*) || ' 个要素，' || SUM(area_m2) || ' 平方米'
                   FROM case_ranges WHERE case_id = ?1 GROUP BY source",
                [case_id],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute("DELETE FROM case_ranges WHERE case_id = ?1", [case_id])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO case_ranges (case_id, no, geom, area_m2, figures, attrs, source, uploaded_at, uploaded_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (i, f) in features.iter().enumerate() {
                if !f.area_m2.is_finite() {
                    return Err(StoreError::Invalid(format!(
                        "要素 {} 的面积不是有限数值",
                        i + 1
                    )));
                }
                let blob = weipian_formats::gpkg::encode_geometry(
                    &f.geometry,
                    weipian_formats::gpkg::SRS_CGCS2000,
                );
                insert.execute(params![
                    case_id,
                    i64::try_from(i + 1).unwrap_or(i64::MAX),
                    blob,
                    f.area_m2,
                    f.figures,
                    f.attrs,
                    source,
                    now,
                    audit.actor
                ])?;
            }
        }
        let mut entry = audit.clone();
        entry.before = before;
        entry.after = Some(format!(
            "{source}：{} 个要素，{} 平方米",
            features.len(),
            features.iter().map(|f| f.area_m2).sum::<f64>()
        ));
        append_audit(&tx, &now, &entry)?;
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// The range of a case, by feature number (empty: none uploaded).
    pub fn case_range(&self, case_id: i64) -> Result<Vec<RangeFeatureRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT no, geom, area_m2, figures, attrs, source, uploaded_at, uploaded_by
               FROM case_ranges WHERE case_id = ?1 ORDER BY no",
        )?;
        let mut rows = stmt.query([case_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let no: u32 = r.get(0)?;
            out.push(RangeFeatureRow {
                no,
                geometry: crate::stored_geometry(
                    r.get_ref(1)?.as_blob_or_null()?,
                    &format!("案件 {case_id} 违法用地范围要素 {no}"),
                )?,
                area_m2: r.get(2)?,
                figures: r.get(3)?,
                attrs: r.get(4)?,
                source: r.get(5)?,
                uploaded_at: r.get(6)?,
                uploaded_by: r.get(7)?,
            });
        }
        Ok(out)
    }

    /// The shapes a case is linked to: `(JCBH or JCBH-n, geometry)` of each
    /// linked patch or 地块 — never one in the military-land register.
    pub fn case_shapes(
        &self,
        case_id: i64,
    ) -> Result<Vec<(String, MultiPolygon<f64>)>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.jcbh, c.part, CASE WHEN c.part = 0 THEN p.geom ELSE d.geom END
               FROM case_patches c JOIN patches p ON p.fid = c.patch_id
               LEFT JOIN parcels d ON d.patch_id = c.patch_id AND d.no = c.part
              WHERE c.case_id = ?1 AND p.fid {} ORDER BY p.jcbh, c.part",
            crate::NOT_MILITARY
        ))?;
        let mut rows = stmt.query([case_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let jcbh: String = r.get(0)?;
            let part: u32 = r.get(1)?;
            let label = if part == 0 {
                jcbh
            } else {
                format!("{jcbh}-{part}")
            };
            let g = crate::stored_geometry(r.get_ref(2)?.as_blob_or_null()?, &label)?;
            out.push((label, g));
        }
        Ok(out)
    }

    /// One county's boundary.
    pub fn region_boundary(
        &self,
        code: &weipian_domain::RegionCode,
    ) -> Result<Option<RegionBoundary>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!(
                    "SELECT xzqmc, geom, tqmj FROM {} WHERE xzqdm = ?1",
                    crate::schema::REGION_BOUNDARIES
                ),
                [code.to_string()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<Vec<u8>>>(1)?,
                        r.get::<_, f64>(2)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(name, blob, area_m2)| {
            Ok(RegionBoundary {
                code: *code,
                name,
                geometry: crate::stored_geometry(blob.as_deref(), &format!("县界 {code}"))?,
                area_m2,
            })
        })
        .transpose()
    }
}
