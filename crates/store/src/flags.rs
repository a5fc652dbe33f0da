//! Desk-review flags (疑点) per patch: raised by the rules, answered by the
//! county (复核说明), decided by a reviewer (upheld / cleared). Nothing is
//! deleted: a flag whose rule no longer fires after the county's correction
//! is cleared by the system, with that said.

use rusqlite::{params, OptionalExtension};

use crate::answers::{append_audit, NewAudit};
use crate::{Store, StoreError};

/// A flag to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlag {
    pub rule: String,
    pub message: String,
    /// JSON array of evidence strings.
    pub evidence: String,
}

/// A stored flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRow {
    pub id: i64,
    pub patch_id: i64,
    pub rule: String,
    pub message: String,
    pub evidence: String,
    /// `open`, `upheld` or `cleared`.
    pub status: String,
    pub raised_at: String,
    pub raised_by: String,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub replied_by: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

const COLS: &str = "id, patch_id, rule, message, evidence, status, raised_at, raised_by, reply, replied_at, replied_by, decision_note, decided_at, decided_by";

fn flag_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FlagRow> {
    Ok(FlagRow {
        id: r.get(0)?,
        patch_id: r.get(1)?,
        rule: r.get(2)?,
        message: r.get(3)?,
        evidence: r.get(4)?,
        status: r.get(5)?,
        raised_at: r.get(6)?,
        raised_by: r.get(7)?,
        reply: r.get(8)?,
        replied_at: r.get(9)?,
        replied_by: r.get(10)?,
        decision_note: r.get(11)?,
        decided_at: r.get(12)?,
        decided_by: r.get(13)?,
    })
}

/// What a rule run changed for one patch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagRun {
    pub raised: usize,
    pub still_open: usize,
    pub cleared: usize,
}

impl Store {
    /// A patch's flags, oldest first.
    pub fn flags(&self, patch_id: i64) -> Result<Vec<FlagRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLS} FROM flags WHERE patch_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([patch_id], flag_row)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// One flag.
    pub fn flag(&self, id: i64) -> Result<Option<FlagRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLS} FROM flags WHERE id = ?1"),
                [id],
                flag_row,
            )
            .optional()?)
    }

    /// How many flags of a patch are open.
    pub fn open_flag_count(&self, patch_id: i64) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM flags WHERE patch_id = ?1 AND status = 'open'")?
            .query_row([patch_id], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Record what the rules say of a patch now, in one transaction: a flag
    /// not yet open (same rule and message) is raised; an open one the rules
    /// no longer raise is cleared by the system; decided flags stay.
    pub fn record_flags(
        &mut self,
        patch_id: i64,
        now_firing: &[NewFlag],
        audit: &NewAudit,
    ) -> Result<FlagRun, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let open: Vec<(i64, String, String)> = {
            let mut stmt = tx.prepare(
                "SELECT id, rule, message FROM flags WHERE patch_id = ?1 AND status = 'open' ORDER BY id",
            )?;
            let rows = stmt.query_map([patch_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut run = FlagRun::default();
        for f in now_firing {
            if open.iter().any(|(_, r, m)| *r == f.rule && *m == f.message) {
                run.still_open += 1;
            } else {
                tx.execute(
                    "INSERT INTO flags (patch_id, rule, message, evidence, status, raised_at, raised_by)
                     VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6)",
                    params![patch_id, f.rule, f.message, f.evidence, now, audit.actor],
                )?;
                run.raised += 1;
            }
        }
        for (id, rule, message) in &open {
            let firing = now_firing
                .iter()
                .any(|f| f.rule == *rule && f.message == *message);
            if !firing {
                tx.execute(
                    "UPDATE flags SET status = 'cleared', decision_note = '规则复查不再触发', decided_at = ?2, decided_by = ?3
                      WHERE id = ?1",
                    params![id, now, audit.actor],
                )?;
                run.cleared += 1;
            }
        }
        if run.raised > 0 || run.cleared > 0 {
            let mut entry = audit.clone();
            entry.after = Some(format!(
                "新增疑点 {} 个，仍未处理 {} 个，规则不再触发而关闭 {} 个",
                run.raised, run.still_open, run.cleared
            ));
            append_audit(&tx, &now, &entry)?;
        }
        tx.commit()?;
        self.written();
        Ok(run)
    }

    /// The county's 复核 reply to a flag.
    pub fn reply_flag(&mut self, id: i64, reply: &str, audit: &NewAudit) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE flags SET reply = ?2, replied_at = ?3, replied_by = ?4 WHERE id = ?1 AND status = 'open'",
            params![id, reply, now, audit.actor],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("疑点 {id} 已处理，不能再答复")));
        }
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// A reviewer's decision on an open flag: upheld or cleared.
    pub fn decide_flag(
        &mut self,
        id: i64,
        upheld: bool,
        note: Option<&str>,
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE flags SET status = ?2, decision_note = ?3, decided_at = ?4, decided_by = ?5
              WHERE id = ?1 AND status = 'open'",
            params![
                id,
                if upheld { "upheld" } else { "cleared" },
                note,
                now,
                audit.actor
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("疑点 {id} 已处理")));
        }
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(())
    }
}
