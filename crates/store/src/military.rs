//! The restricted military-land register (《军用土地登记表》). A patch filed
//! here disappears from every ordinary read of the store (`NOT_MILITARY`);
//! only these functions see it, and the service lets only the military-land
//! role call them.

use rusqlite::{params, OptionalExtension};
use weipian_domain::BatchId;

use crate::answers::{append_audit, NewAudit};
use crate::patches::Register;
use crate::{PatchQuery, Store, StoreError, StoredPatch};

/// A patch in the register with its 登记表 record (JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct MilitaryEntry {
    pub patch: StoredPatch,
    pub record: String,
    pub filed_at: String,
    pub filed_by: String,
}

impl Store {
    /// File a patch into the military-land register (or replace its record),
    /// with its audit record, in one transaction.
    pub fn file_military(
        &mut self,
        patch_id: i64,
        record: &str,
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO military_register (patch_id, record, filed_at, filed_by) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (patch_id) DO UPDATE SET record = excluded.record, filed_at = excluded.filed_at,
               filed_by = excluded.filed_by",
            params![patch_id, record, now, audit.actor],
        )?;
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// The register's patches of a batch, by JCBH.
    pub fn military_entries(&self, batch: &BatchId) -> Result<Vec<MilitaryEntry>, StoreError> {
        let query = PatchQuery {
            batch: batch.clone(),
            kind: None,
            region: None,
        };
        let patches = self.patches_where(&query, None, Register::Military)?;
        let mut stmt = self.conn.prepare(
            "SELECT record, filed_at, filed_by FROM military_register WHERE patch_id = ?1",
        )?;
        let mut out = Vec::with_capacity(patches.len());
        for patch in patches {
            let row: Option<(String, String, String)> = stmt
                .query_row([patch.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((record, filed_at, filed_by)) = row {
                out.push(MilitaryEntry {
                    patch,
                    record,
                    filed_at,
                    filed_by,
                });
            }
        }
        Ok(out)
    }

    /// A patch of a batch by JCBH whether or not it is in the register, and whether it is.
    pub fn patch_any_register(
        &self,
        batch: &BatchId,
        jcbh: &str,
    ) -> Result<Option<(StoredPatch, bool)>, StoreError> {
        if let Some(p) = self.patch(batch, jcbh)? {
            return Ok(Some((p, false)));
        }
        let query = PatchQuery {
            batch: batch.clone(),
            kind: None,
            region: None,
        };
        Ok(self
            .patches_where(&query, Some(jcbh), Register::Military)?
            .pop()
            .map(|p| (p, true)))
    }
}
