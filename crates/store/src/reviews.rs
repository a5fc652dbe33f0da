//! The review chain per patch: its current place (`reviews`, versioned; no
//! row means "with the county, never submitted") and every step taken
//! (`review_log`), written with their audit records in one transaction.
//!
//! While a patch is anywhere but with the county, the store refuses to
//! change its answers, attachments and 地块 ([`ensure_editable`]): the
//! check is inside the writing transaction, so a submission can never
//! slip between a county's check and its write.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::answers::{append_audit, NewAudit};
use crate::{Store, StoreError};

/// A patch's stored review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReview {
    pub patch_id: i64,
    /// The state's code (`county`, `city`, …).
    pub state: String,
    /// The review as JSON (the domain's `Review`).
    pub review: String,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
}

/// One step of the chain as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStep {
    pub seq: i64,
    pub patch_id: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor: String,
    pub role: String,
    pub region: String,
    pub opinion: Option<String>,
    pub at: String,
}

/// A change to save: the new review of a patch, based on a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewChange {
    pub patch_id: i64,
    pub state: String,
    pub review: String,
    /// The version the change was decided on (0: no row yet).
    pub based_on: i64,
    pub action: String,
    pub from_state: String,
    pub role: String,
    pub opinion: Option<String>,
    pub audit: NewAudit,
}

/// Refuse a change to a patch that is not with the county.
pub(crate) fn ensure_editable(tx: &Transaction<'_>, patch_id: i64) -> Result<(), StoreError> {
    let state: Option<String> = tx
        .query_row(
            "SELECT state FROM reviews WHERE patch_id = ?1",
            [patch_id],
            |r| r.get(0),
        )
        .optional()?;
    match state.as_deref() {
        None | Some("county") => Ok(()),
        Some(_) => Err(StoreError::Invalid(
            "图斑已上报，县级不能再修改（待上级退回后方可修改）".into(),
        )),
    }
}

fn review_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredReview> {
    Ok(StoredReview {
        patch_id: r.get(0)?,
        state: r.get(1)?,
        review: r.get(2)?,
        version: r.get(3)?,
        updated_at: r.get(4)?,
        updated_by: r.get(5)?,
    })
}

impl Store {
    /// A patch's review (none: with the county, never submitted).
    pub fn review(&self, patch_id: i64) -> Result<Option<StoredReview>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT patch_id, state, review, version, updated_at, updated_by FROM reviews WHERE patch_id = ?1",
            )?
            .query_row([patch_id], review_row)
            .optional()?)
    }

    /// The steps taken on a patch, oldest first.
    pub fn review_steps(&self, patch_id: i64) -> Result<Vec<ReviewStep>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, patch_id, action, from_state, to_state, actor, role, region, opinion, at
               FROM review_log WHERE patch_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([patch_id], |r| {
            Ok(ReviewStep {
                seq: r.get(0)?,
                patch_id: r.get(1)?,
                action: r.get(2)?,
                from_state: r.get(3)?,
                to_state: r.get(4)?,
                actor: r.get(5)?,
                role: r.get(6)?,
                region: r.get(7)?,
                opinion: r.get(8)?,
                at: r.get(9)?,
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// Save review changes in one transaction. A change whose patch's
    /// version is no longer `based_on` (someone acted first) is not applied:
    /// its entry in the result is the [`StoreError::Conflict`]; the others
    /// are. Returns, per change, its new version or why it was skipped.
    pub fn save_reviews(
        &mut self,
        changes: &[ReviewChange],
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(changes.len());
        {
            let mut current = tx.prepare(
                "SELECT patch_id, state, review, version, updated_at, updated_by FROM reviews WHERE patch_id = ?1",
            )?;
            let mut upsert = tx.prepare(
                "INSERT INTO reviews (patch_id, state, review, version, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (patch_id) DO UPDATE SET state = excluded.state, review = excluded.review,
                   version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )?;
            let mut log = tx.prepare(
                "INSERT INTO review_log (patch_id, action, from_state, to_state, actor, role, region, opinion, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for c in changes {
                let cur = current.query_row([c.patch_id], review_row).optional()?;
                let version = cur.as_ref().map_or(0, |r| r.version);
                if version != c.based_on {
                    let (by, at) = cur
                        .map(|r| (r.updated_by, r.updated_at))
                        .unwrap_or_default();
                    out.push(Err(StoreError::Conflict { version, by, at }));
                    continue;
                }
                let next = version + 1;
                upsert.execute(params![
                    c.patch_id,
                    c.state,
                    c.review,
                    next,
                    now,
                    c.audit.actor
                ])?;
                log.execute(params![
                    c.patch_id,
                    c.action,
                    c.from_state,
                    c.state,
                    c.audit.actor,
                    c.role,
                    c.audit.region,
                    c.opinion,
                    now
                ])?;
                append_audit(&tx, &now, &c.audit)?;
                out.push(Ok(next));
            }
        }
        tx.commit()?;
        self.written();
        Ok(out)
    }

    /// The ids and review states of the patches of a batch (ordinary ones,
    /// not the military register) whose review is in `states`; with the
    /// county and never submitted counts as `county`.
    pub fn patches_in_review_states(
        &self,
        batch: &weipian_domain::BatchId,
        states: &[&str],
    ) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.fid, p.jcbh, p.xzqdm, COALESCE(r.state, 'county') FROM patches p
               LEFT JOIN reviews r ON r.patch_id = p.fid
              WHERE p.year = ?1 AND p.batch = ?2 AND p.fid {} ORDER BY p.jcbh",
            crate::NOT_MILITARY
        ))?;
        let rows = stmt.query_map(params![i64::from(batch.year), batch.name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let row: (i64, String, String, String) = row?;
            if states.contains(&row.3.as_str()) {
                out.push(row);
            }
        }
        Ok(out)
    }
}
