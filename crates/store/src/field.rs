//! Field checks (外业核查) by the technical-support unit: assigned per
//! patch, then the unit's findings, surveyed boundary and photos, kept
//! beside the county's answer. Every change is audited.

use geo_types::MultiPolygon;
use rusqlite::{params, OptionalExtension};

use crate::answers::{append_audit, NewAudit};
use crate::{PhotoMeta, Store, StoreError};

/// A field check as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCheckRow {
    pub id: i64,
    pub patch_id: i64,
    /// `assigned` or `done`.
    pub status: String,
    pub assigned_at: String,
    pub assigned_by: String,
    pub findings: Option<String>,
    /// EPSG:4490.
    pub boundary: Option<MultiPolygon<f64>>,
    pub boundary_area_m2: Option<f64>,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub photos: Vec<FieldPhotoRow>,
}

/// A field-check photo: (SHA-256, file name, capture time, lon, lat).
pub type FieldPhotoRow = (String, String, Option<String>, Option<f64>, Option<f64>);

impl Store {
    /// Assign a field check of a patch; returns its id.
    pub fn assign_field_check(
        &mut self,
        patch_id: i64,
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let open = tx
            .query_row(
                "SELECT id FROM field_checks WHERE patch_id = ?1 AND status = 'assigned'",
                [patch_id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        if let Some(id) = open {
            return Err(StoreError::Invalid(format!(
                "该图斑已有未完成的外业核查 {id}"
            )));
        }
        tx.execute(
            "INSERT INTO field_checks (patch_id, status, assigned_at, assigned_by) VALUES (?1, 'assigned', ?2, ?3)",
            params![patch_id, now, audit.actor],
        )?;
        let id = tx.last_insert_rowid();
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(id)
    }

    /// Record the unit's result: findings and, if surveyed, the boundary.
    pub fn complete_field_check(
        &mut self,
        id: i64,
        findings: &str,
        boundary: Option<(&MultiPolygon<f64>, f64)>,
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let blob = boundary.map(|(g, _)| {
            weipian_formats::gpkg::encode_geometry(g, weipian_formats::gpkg::SRS_CGCS2000)
        });
        let n = tx.execute(
            "UPDATE field_checks SET status = 'done', findings = ?2, boundary = ?3, boundary_area_m2 = ?4,
                    done_at = ?5, done_by = ?6
              WHERE id = ?1",
            params![id, findings, blob, boundary.map(|(_, a)| a), now, audit.actor],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("外业核查 {id} 不存在")));
        }
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// Add a photo to a field check (bytes into `evidence/`).
    pub fn add_field_photo(
        &mut self,
        id: i64,
        bytes: &[u8],
        file_name: &str,
        photo: &PhotoMeta,
        audit: &NewAudit,
    ) -> Result<String, StoreError> {
        let sha = self.put_evidence(bytes)?;
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR IGNORE INTO field_check_photos (field_check_id, sha256, file_name, taken_at, lon, lat, added_at, added_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, sha, file_name, photo.taken_at, photo.lon, photo.lat, now, audit.actor],
        )?;
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(sha)
    }

    /// One field check.
    pub fn field_check(&self, id: i64) -> Result<Option<FieldCheckRow>, StoreError> {
        let ids: Vec<i64> = self
            .conn
            .prepare("SELECT id FROM field_checks WHERE id = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(self.field_checks_where(&ids)?.pop())
    }

    /// The field checks of a patch, oldest first.
    pub fn field_checks(&self, patch_id: i64) -> Result<Vec<FieldCheckRow>, StoreError> {
        let ids: Vec<i64> = self
            .conn
            .prepare("SELECT id FROM field_checks WHERE patch_id = ?1 ORDER BY id")?
            .query_map([patch_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        self.field_checks_where(&ids)
    }

    fn field_checks_where(&self, ids: &[i64]) -> Result<Vec<FieldCheckRow>, StoreError> {
        let mut out = Vec::new();
        let mut one = self.conn.prepare(
            "SELECT id, patch_id, status, assigned_at, assigned_by, findings, boundary, boundary_area_m2, done_at, done_by
               FROM field_checks WHERE id = ?1",
        )?;
        let mut photos = self.conn.prepare(
            "SELECT sha256, file_name, taken_at, lon, lat FROM field_check_photos
              WHERE field_check_id = ?1 ORDER BY added_at, sha256",
        )?;
        for id in ids {
            let mut rows = one.query([id])?;
            let Some(r) = rows.next()? else { continue };
            let boundary = match r.get_ref(6)?.as_blob_or_null()? {
                Some(b) => Some(crate::stored_geometry(Some(b), &format!("外业核查 {id}"))?),
                None => None,
            };
            let list = photos
                .query_map([id], |p| {
                    Ok((p.get(0)?, p.get(1)?, p.get(2)?, p.get(3)?, p.get(4)?))
                })?
                .collect::<Result<_, _>>()?;
            out.push(FieldCheckRow {
                id: r.get(0)?,
                patch_id: r.get(1)?,
                status: r.get(2)?,
                assigned_at: r.get(3)?,
                assigned_by: r.get(4)?,
                findings: r.get(5)?,
                boundary,
                boundary_area_m2: r.get(7)?,
                done_at: r.get(8)?,
                done_by: r.get(9)?,
                photos: list,
            });
        }
        Ok(out)
    }
}
