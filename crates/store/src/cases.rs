//! Cases: one row per case (the record as JSON, versioned like answers),
//! linked to its patches; every change is audited in the same transaction.

use rusqlite::{params, OptionalExtension};
use weipian_domain::BatchId;

use crate::answers::{append_audit, NewAudit};
use crate::{Store, StoreError};

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i64,
    pub county: String,
    pub number: String,
    /// The case record as JSON.
    pub record: String,
    pub version: i64,
    /// When the case was opened (the violation found), UTC RFC 3339.
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: String,
    pub patch_ids: Vec<i64>,
}

impl Store {
    /// Create a case linked to `links` — (patch id, part): part 0 for a
    /// whole patch, n for its 地块 n; a number already used in the county is
    /// refused.
    pub fn create_case(
        &mut self,
        county: &str,
        number: &str,
        record: &str,
        links: &[(i64, u32)],
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let taken = tx
            .query_row(
                "SELECT 1 FROM cases WHERE county = ?1 AND number = ?2",
                params![county, number],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if taken {
            return Err(StoreError::Invalid(format!(
                "违法行为编号 {number} 在 {county} 已存在"
            )));
        }
        tx.execute(
            "INSERT INTO cases (county, number, record, version, created_at, created_by, updated_at, updated_by)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?4, ?5)",
            params![county, number, record, now, audit.actor],
        )?;
        let id = tx.last_insert_rowid();
        for (p, part) in links {
            tx.execute(
                "INSERT OR IGNORE INTO case_patches (case_id, patch_id, part) VALUES (?1, ?2, ?3)",
                params![id, p, part],
            )?;
        }
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(id)
    }

    /// A case by id.
    pub fn case(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, county, number, record, version, updated_at, updated_by, created_at FROM cases WHERE id = ?1",
                [id],
                |r| {
                    Ok(CaseRow {
                        id: r.get(0)?,
                        county: r.get(1)?,
                        number: r.get(2)?,
                        record: r.get(3)?,
                        version: r.get(4)?,
                        updated_at: r.get(5)?,
                        updated_by: r.get(6)?,
                        created_at: r.get(7)?,
                        patch_ids: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut row) = row else { return Ok(None) };
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT patch_id FROM case_patches WHERE case_id = ?1 ORDER BY patch_id",
        )?;
        row.patch_ids = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(Some(row))
    }

    /// The cases linked to at least one ordinary (non-military) patch of
    /// `batch`, by id.
    pub fn cases_of_batch(&self, batch: &BatchId) -> Result<Vec<CaseRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT DISTINCT cp.case_id FROM case_patches cp JOIN patches p ON p.fid = cp.patch_id
              WHERE p.year = ?1 AND p.batch = ?2 AND p.fid {} ORDER BY cp.case_id",
            crate::NOT_MILITARY
        ))?;
        let ids = stmt
            .query_map(params![i64::from(batch.year), batch.name], |r| {
                r.get::<_, i64>(0)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = self.case(id)? {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// `YEAR/BATCH/JCBH` (or `…/JCBH-n` for 地块 n) of what a case is
    /// linked to, leaving out patches of the military-land register; by
    /// patch id and part.
    pub fn case_patch_labels(&self, case_id: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.year, p.batch, p.jcbh, cp.part FROM case_patches cp JOIN patches p ON p.fid = cp.patch_id
              WHERE cp.case_id = ?1 AND p.fid {} ORDER BY p.fid, cp.part",
            crate::NOT_MILITARY
        ))?;
        let rows = stmt.query_map([case_id], |r| {
            let part: i64 = r.get(3)?;
            Ok(format!(
                "{}/{}/{}{}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                if part > 0 {
                    format!("-{part}")
                } else {
                    String::new()
                }
            ))
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// What a case links: (patch id, part), part 0 a whole patch.
    pub fn case_links(&self, case_id: i64) -> Result<Vec<(i64, u32)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT patch_id, part FROM case_patches WHERE case_id = ?1 ORDER BY patch_id, part",
        )?;
        let rows = stmt.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// The ids of the cases a patch (or one of its 地块) belongs to.
    pub fn cases_of_patch(&self, patch_id: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT case_id FROM case_patches WHERE patch_id = ?1 ORDER BY case_id",
        )?;
        let rows = stmt.query_map([patch_id], |r| r.get(0))?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// Replace a case's record if its version is still `based_on`; returns the new version.
    pub fn update_case(
        &mut self,
        id: i64,
        record: &str,
        based_on: i64,
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (version, by, at): (i64, String, String) = tx
            .query_row(
                "SELECT version, updated_by, updated_at FROM cases WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("案件 {id} 不存在")))?;
        if version != based_on {
            return Err(StoreError::Conflict { version, by, at });
        }
        tx.execute(
            "UPDATE cases SET record = ?1, version = ?2, updated_at = ?3, updated_by = ?4 WHERE id = ?5",
            params![record, version + 1, now, audit.actor, id],
        )?;
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(version + 1)
    }
}
