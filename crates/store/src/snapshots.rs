//! Snapshots (时点快照): at a cut-off, the answers (every part), review
//! states and cases of a region's patches in the period's batches are
//! copied as they stand, in one transaction; nothing ever changes them
//! afterwards. Extension requests (延期申请) against deadlines live here too.

use rusqlite::{params, OptionalExtension};

use crate::answers::{append_audit, NewAudit};
use crate::{Store, StoreError};

/// A frozen snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRow {
    pub id: i64,
    pub deadline: String,
    pub year: u16,
    pub period: String,
    /// The region frozen (a province code, or `000000`).
    pub region: String,
    /// The batch names frozen (JSON array).
    pub batches: String,
    pub taken_at: String,
    pub taken_by: String,
}

/// One patch part as frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenPart {
    pub patch_id: i64,
    /// The patch's batch, `YEAR/NAME`.
    pub batch: String,
    pub jcbh: String,
    pub xzqdm: String,
    pub part: u32,
    pub answer: Option<String>,
    pub answer_version: Option<i64>,
    pub review_state: String,
    /// Whether the answer was complete at the cut-off.
    pub complete: bool,
}

/// An extension request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRow {
    pub id: i64,
    pub year: u16,
    pub deadline: String,
    pub region: String,
    pub reason: String,
    pub measures: String,
    pub new_due: String,
    /// `pending`, `granted` or `refused`.
    pub status: String,
    pub requested_at: String,
    pub requested_by: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

const SNAP_COLS: &str = "id, deadline, year, period, region, batches, taken_at, taken_by";

fn snap_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotRow> {
    Ok(SnapshotRow {
        id: r.get(0)?,
        deadline: r.get(1)?,
        year: r.get(2)?,
        period: r.get(3)?,
        region: r.get(4)?,
        batches: r.get(5)?,
        taken_at: r.get(6)?,
        taken_by: r.get(7)?,
    })
}

const EXT_COLS: &str = "id, year, deadline, region, reason, measures, new_due, status, requested_at, requested_by, decided_at, decided_by, decision_note";

fn ext_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExtensionRow> {
    Ok(ExtensionRow {
        id: r.get(0)?,
        year: r.get(1)?,
        deadline: r.get(2)?,
        region: r.get(3)?,
        reason: r.get(4)?,
        measures: r.get(5)?,
        new_due: r.get(6)?,
        status: r.get(7)?,
        requested_at: r.get(8)?,
        requested_by: r.get(9)?,
        decided_at: r.get(10)?,
        decided_by: r.get(11)?,
        decision_note: r.get(12)?,
    })
}

impl Store {
    /// Freeze a snapshot of the patches of `batches` (year `year`) whose
    /// XZQDM starts with `region_prefix` (empty: all), military register
    /// left out. Refused if one exists for (year, deadline, region).
    #[allow(clippy::too_many_arguments)] // one snapshot, spelled out
    pub fn freeze_snapshot(
        &mut self,
        year: u16,
        deadline: &str,
        period: &str,
        region: &str,
        region_prefix: &str,
        batches: &[String],
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists = tx
            .query_row(
                "SELECT id FROM snapshots WHERE year = ?1 AND deadline = ?2 AND region = ?3",
                params![year, deadline, region],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        if let Some(id) = exists {
            return Err(StoreError::Invalid(format!(
                "{period}（{region}）已于快照 {id} 冻结"
            )));
        }
        let batches_json =
            serde_json::to_string(batches).map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.execute(
            "INSERT INTO snapshots (deadline, year, period, region, batches, taken_at, taken_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                deadline,
                year,
                period,
                region,
                batches_json,
                now,
                audit.actor
            ],
        )?;
        let id = tx.last_insert_rowid();
        let filter = format!(
            "p.year = ?2 AND p.batch IN (SELECT value FROM json_each(?3))
               AND substr(p.xzqdm, 1, length(?4)) = ?4 AND p.fid {}",
            crate::NOT_MILITARY
        );
        // Answered parts, and every patch without an answer as part 0.
        tx.execute(
            &format!(
                "INSERT INTO snapshot_rows (snapshot_id, patch_id, part, answer, answer_version, review_state, complete)
                 SELECT ?1, p.fid, a.part, a.answer, a.version, COALESCE(r.state, 'county'), a.complete
                   FROM patches p JOIN answers a ON a.patch_id = p.fid
                   LEFT JOIN reviews r ON r.patch_id = p.fid
                  WHERE {filter}"
            ),
            params![id, year, batches_json, region_prefix],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO snapshot_rows (snapshot_id, patch_id, part, answer, answer_version, review_state)
                 SELECT ?1, p.fid, 0, NULL, NULL, COALESCE(r.state, 'county')
                   FROM patches p LEFT JOIN reviews r ON r.patch_id = p.fid
                  WHERE {filter} AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.patch_id = p.fid)"
            ),
            params![id, year, batches_json, region_prefix],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO snapshot_cases (snapshot_id, case_id, record, version)
                 SELECT DISTINCT ?1, c.id, c.record, c.version
                   FROM cases c JOIN case_patches cp ON cp.case_id = c.id JOIN patches p ON p.fid = cp.patch_id
                  WHERE {filter}"
            ),
            params![id, year, batches_json, region_prefix],
        )?;
        let mut entry = audit.clone();
        entry.target = format!("snapshot/{id}");
        append_audit(&tx, &now, &entry)?;
        tx.commit()?;
        self.written();
        Ok(id)
    }

    /// Snapshots of a year, by id.
    pub fn snapshots(&self, year: u16) -> Result<Vec<SnapshotRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SNAP_COLS} FROM snapshots WHERE year = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([year], snap_row)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// One snapshot.
    pub fn snapshot(&self, id: i64) -> Result<Option<SnapshotRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {SNAP_COLS} FROM snapshots WHERE id = ?1"),
                [id],
                snap_row,
            )
            .optional()?)
    }

    /// The frozen parts of a snapshot, by JCBH and part.
    pub fn snapshot_parts(&self, id: i64) -> Result<Vec<FrozenPart>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.patch_id, p.jcbh, p.xzqdm, s.part, s.answer, s.answer_version, s.review_state, s.complete,
                    p.year || '/' || p.batch
               FROM snapshot_rows s JOIN patches p ON p.fid = s.patch_id
              WHERE s.snapshot_id = ?1 ORDER BY p.jcbh, s.part",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(FrozenPart {
                patch_id: r.get(0)?,
                batch: r.get(8)?,
                jcbh: r.get(1)?,
                xzqdm: r.get(2)?,
                part: r.get(3)?,
                answer: r.get(4)?,
                answer_version: r.get(5)?,
                review_state: r.get(6)?,
                complete: r.get(7)?,
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// The frozen cases of a snapshot: (case id, record, version).
    pub fn snapshot_cases(&self, id: i64) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT case_id, record, version FROM snapshot_cases WHERE snapshot_id = ?1 ORDER BY case_id",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// File an extension request; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn request_extension(
        &mut self,
        year: u16,
        deadline: &str,
        region: &str,
        reason: &str,
        measures: &str,
        new_due: &str,
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let pending = tx
            .query_row(
                "SELECT id FROM extensions WHERE year = ?1 AND deadline = ?2 AND region = ?3 AND status = 'pending'",
                params![year, deadline, region],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        if let Some(id) = pending {
            return Err(StoreError::Invalid(format!("已有待批复的延期申请 {id}")));
        }
        tx.execute(
            "INSERT INTO extensions (year, deadline, region, reason, measures, new_due, status, requested_at, requested_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8)",
            params![year, deadline, region, reason, measures, new_due, now, audit.actor],
        )?;
        let id = tx.last_insert_rowid();
        let mut entry = audit.clone();
        entry.target = format!("extension/{id}");
        append_audit(&tx, &now, &entry)?;
        tx.commit()?;
        self.written();
        Ok(id)
    }

    /// Grant or refuse a pending extension request.
    pub fn decide_extension(
        &mut self,
        id: i64,
        grant: bool,
        note: Option<&str>,
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE extensions SET status = ?2, decided_at = ?3, decided_by = ?4, decision_note = ?5
              WHERE id = ?1 AND status = 'pending'",
            params![id, if grant { "granted" } else { "refused" }, now, audit.actor, note],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("延期申请 {id} 已批复")));
        }
        let mut entry = audit.clone();
        entry.target = format!("extension/{id}");
        append_audit(&tx, &now, &entry)?;
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// Extension requests of a year, by id.
    pub fn extensions(&self, year: u16) -> Result<Vec<ExtensionRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {EXT_COLS} FROM extensions WHERE year = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([year], ext_row)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// One extension request.
    pub fn extension(&self, id: i64) -> Result<Option<ExtensionRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {EXT_COLS} FROM extensions WHERE id = ?1"),
                [id],
                ext_row,
            )
            .optional()?)
    }

    /// Per county: (XZQDM, review state) of every ordinary patch of the
    /// batches of a year — what the schedule's progress is counted from.
    /// The provinces (`XX0000`) that have patches in the year's `batches`
    /// (one pass over each batch's key index; no rows leave SQLite).
    pub fn provinces_with_patches(
        &self,
        year: u16,
        batches: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT substr(xzqdm, 1, 2) FROM patches WHERE year = ?1 AND batch = ?2",
        )?;
        let mut out = std::collections::BTreeSet::new();
        for b in batches {
            let rows = stmt.query_map(params![year, b], |r| r.get::<_, String>(0))?;
            for p in rows {
                out.insert(format!("{}0000", p?));
            }
        }
        Ok(out.into_iter().collect())
    }

    pub fn review_states_of(
        &self,
        year: u16,
        batches: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let batches_json =
            serde_json::to_string(batches).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.xzqdm, COALESCE(r.state, 'county') FROM patches p LEFT JOIN reviews r ON r.patch_id = p.fid
              WHERE p.year = ?1 AND p.batch IN (SELECT value FROM json_each(?2)) AND p.fid {}",
            crate::NOT_MILITARY
        ))?;
        let rows = stmt.query_map(params![year, batches_json], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }
}
