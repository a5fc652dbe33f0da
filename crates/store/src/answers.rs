//! The locality's answers per patch, versioned, and the hash-chained audit
//! log every change is appended to (in the same transaction).
//!
//! Versions: an answer starts at version 1 and each save adds one; a save
//! names the version it was based on and is refused when another save came
//! first ([`StoreError::Conflict`]), so no update is ever lost. Every version
//! is kept in `answer_history`.
//!
//! The audit log: record *n* stores the SHA-256 of (its fields, record
//! *n − 1*'s hash); `weipian_meta.audit_head` holds the last sequence number
//! and hash. [`Store::verify_audit`] recomputes the chain and names the first
//! record altered, removed or reordered — including records cut off the end.

use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use crate::{Store, StoreError};

/// The current answer of a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub patch_id: i64,
    /// The 地块 number (0: the whole patch).
    pub part: u32,
    /// Set when a province reviewer changed the answer directly
    /// (省级直接修改): the reason given.
    pub override_reason: Option<String>,
    /// The answer as JSON (national field codes).
    pub answer: String,
    /// Whether it validated when saved.
    pub complete: bool,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
}

/// What an audit record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    pub actor: String,
    /// The actor's region code (`000000` for the whole country).
    pub region: String,
    /// What was done, e.g. `answer.save`.
    pub action: String,
    /// What it was done to, e.g. `2020/2020Q1/510104SJBG26210183`.
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: String,
    pub entry: NewAudit,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of [`Store::verify_audit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    pub records: usize,
    /// The first record found altered, removed or out of order, and why.
    pub first_bad: Option<(i64, String)>,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn record_hash(seq: i64, at: &str, e: &NewAudit, prev: &str) -> String {
    let canonical = serde_json::json!([
        seq, at, e.actor, e.region, e.action, e.target, e.before, e.after, e.reason, prev
    ])
    .to_string();
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn head(tx: &Transaction<'_>) -> Result<(i64, String), StoreError> {
    let v: Option<String> = tx
        .query_row(
            "SELECT value FROM weipian_meta WHERE key = 'audit_head'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match v {
        None => Ok((0, GENESIS.into())),
        Some(s) => {
            let (seq, hash) = s
                .split_once(':')
                .ok_or_else(|| StoreError::Corrupt(format!("audit_head “{s}”")))?;
            let seq = seq
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("audit_head “{s}”")))?;
            Ok((seq, hash.to_string()))
        }
    }
}

/// Append one record to the chain inside `tx`.
pub(crate) fn append_audit(
    tx: &Transaction<'_>,
    at: &str,
    e: &NewAudit,
) -> Result<i64, StoreError> {
    let (last, prev) = head(tx)?;
    let seq = last + 1;
    let hash = record_hash(seq, at, e, &prev);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, region, action, target, before, after, reason, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![seq, at, e.actor, e.region, e.action, e.target, e.before, e.after, e.reason, prev, hash],
    )?;
    tx.execute(
        "INSERT INTO weipian_meta (key, value) VALUES ('audit_head', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [format!("{seq}:{hash}")],
    )?;
    Ok(seq)
}

fn answer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredAnswer> {
    Ok(StoredAnswer {
        patch_id: r.get(0)?,
        answer: r.get(1)?,
        complete: r.get(2)?,
        version: r.get(3)?,
        updated_at: r.get(4)?,
        updated_by: r.get(5)?,
        part: r.get(6)?,
        override_reason: r.get(7)?,
    })
}

impl Store {
    /// The current answer of a patch (`part` 0) or of one of its 地块.
    pub fn answer(&self, patch_id: i64, part: u32) -> Result<Option<StoredAnswer>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT patch_id, answer, complete, version, updated_at, updated_by, part, override_reason
                   FROM answers WHERE patch_id = ?1 AND part = ?2",
                params![patch_id, part],
                answer_row,
            )
            .optional()?)
    }

    /// Every current answer of a patch: the whole patch's and its 地块', by part.
    pub fn answers_of_patch(&self, patch_id: i64) -> Result<Vec<StoredAnswer>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT patch_id, answer, complete, version, updated_at, updated_by, part, override_reason
               FROM answers WHERE patch_id = ?1 ORDER BY part",
        )?;
        let rows = stmt.query_map([patch_id], answer_row)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// Every current answer of a batch with its patch's JCBH and XZQDM, by
    /// JCBH and part.
    pub fn batch_answers(
        &self,
        batch: &weipian_domain::BatchId,
    ) -> Result<Vec<(String, String, StoredAnswer)>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.patch_id, a.answer, a.complete, a.version, a.updated_at, a.updated_by, a.part, a.override_reason, p.jcbh, p.xzqdm
               FROM answers a JOIN patches p ON p.fid = a.patch_id
              WHERE p.year = ?1 AND p.batch = ?2 AND p.fid {} ORDER BY p.jcbh, a.part",
            crate::NOT_MILITARY
        ))?;
        let rows = stmt.query_map(params![i64::from(batch.year), batch.name], |r| {
            Ok((r.get(8)?, r.get(9)?, answer_row(r)?))
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// One earlier version of the answer of a patch or 地块.
    pub fn answer_version(
        &self,
        patch_id: i64,
        part: u32,
        version: i64,
    ) -> Result<Option<StoredAnswer>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT patch_id, answer, complete, version, saved_at, saved_by, part, override_reason FROM answer_history
                  WHERE patch_id = ?1 AND part = ?2 AND version = ?3",
                params![patch_id, part, version],
                answer_row,
            )
            .optional()?)
    }

    /// Save the answer of a patch (`part` 0) or of one of its 地块 based on
    /// version `based_on` (`None`: there was none yet), with its audit
    /// record, in one transaction. Returns the new version; refused with
    /// [`StoreError::Conflict`] when the stored version is not `based_on`.
    /// Versions never repeat, also after a re-split dropped the current
    /// answers: history keeps every one.
    pub fn save_answer(
        &mut self,
        patch_id: i64,
        part: u32,
        answer: &str,
        complete: bool,
        based_on: Option<i64>,
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        self.write_answer(patch_id, part, answer, complete, based_on, None, audit)
    }

    /// [`Store::save_answer`] by a province reviewer changing the answer
    /// directly (省级直接修改), whatever the review state: the reason is kept
    /// with the answer and its version, so every level sees the override.
    #[allow(clippy::too_many_arguments)] // one answer write, spelled out
    pub fn override_answer(
        &mut self,
        patch_id: i64,
        part: u32,
        answer: &str,
        complete: bool,
        based_on: Option<i64>,
        reason: &str,
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("省级直接修改须写明原因".into()));
        }
        self.write_answer(
            patch_id,
            part,
            answer,
            complete,
            based_on,
            Some(reason),
            audit,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn write_answer(
        &mut self,
        patch_id: i64,
        part: u32,
        answer: &str,
        complete: bool,
        based_on: Option<i64>,
        override_reason: Option<&str>,
        audit: &NewAudit,
    ) -> Result<i64, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if override_reason.is_none() {
            crate::reviews::ensure_editable(&tx, patch_id)?;
        }
        let current: Option<StoredAnswer> = tx
            .query_row(
                "SELECT patch_id, answer, complete, version, updated_at, updated_by, part, override_reason
                   FROM answers WHERE patch_id = ?1 AND part = ?2",
                params![patch_id, part],
                answer_row,
            )
            .optional()?;
        if current.as_ref().map(|c| c.version) != based_on {
            return Err(match current {
                Some(c) => StoreError::Conflict {
                    version: c.version,
                    by: c.updated_by,
                    at: c.updated_at,
                },
                None => StoreError::Invalid(format!(
                    "填报记录不存在，不能基于版本 {} 修改",
                    based_on.unwrap_or_default()
                )),
            });
        }
        let last: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM answer_history WHERE patch_id = ?1 AND part = ?2",
            params![patch_id, part],
            |r| r.get(0),
        )?;
        let version = based_on.unwrap_or(last) + 1;
        // Cached: the statement carries the triggers that keep `patch_work`,
        // compiled once per connection rather than on every save.
        tx.prepare_cached(
            "INSERT INTO answers (patch_id, part, answer, complete, version, updated_at, updated_by, override_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (patch_id, part) DO UPDATE SET answer = excluded.answer, complete = excluded.complete,
               version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by,
               override_reason = excluded.override_reason",
        )?
        .execute(params![patch_id, part, answer, complete, version, now, audit.actor, override_reason])?;
        tx.execute(
            "INSERT INTO answer_history (patch_id, part, version, answer, complete, saved_at, saved_by, override_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![patch_id, part, version, answer, complete, now, audit.actor, override_reason],
        )?;
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(version)
    }

    /// Audit records, oldest first; only those whose target starts with `target_prefix` if given.
    pub fn audit_records(
        &self,
        target_prefix: Option<&str>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, at, actor, region, action, target, before, after, reason, prev_hash, hash
               FROM audit_log WHERE ?1 IS NULL OR substr(target, 1, length(?1)) = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([target_prefix], |r| {
            Ok(AuditRecord {
                seq: r.get(0)?,
                at: r.get(1)?,
                entry: NewAudit {
                    actor: r.get(2)?,
                    region: r.get(3)?,
                    action: r.get(4)?,
                    target: r.get(5)?,
                    before: r.get(6)?,
                    after: r.get(7)?,
                    reason: r.get(8)?,
                },
                prev_hash: r.get(9)?,
                hash: r.get(10)?,
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// Recompute the audit chain.
    pub fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        let records = self.audit_records(None)?;
        let tx = self.conn.unchecked_transaction()?;
        let (head_seq, head_hash) = head(&tx)?;
        drop(tx);
        let mut prev = GENESIS.to_string();
        let mut expect = 1;
        for r in &records {
            let bad = |why: &str| {
                Ok(AuditCheck {
                    records: records.len(),
                    first_bad: Some((r.seq, why.to_string())),
                })
            };
            if r.seq != expect {
                return Ok(AuditCheck {
                    records: records.len(),
                    first_bad: Some((
                        expect,
                        format!(
                            "第 {expect} 条记录缺失或顺序被改动（下一条为第 {} 条）",
                            r.seq
                        ),
                    )),
                });
            }
            if r.prev_hash != prev {
                return bad("与上一条记录的链接不符：之前的记录被删除、插入或调换");
            }
            if record_hash(r.seq, &r.at, &r.entry, &r.prev_hash) != r.hash {
                return bad("内容被改动（散列值不符）");
            }
            prev.clone_from(&r.hash);
            expect += 1;
        }
        let last = expect - 1;
        if head_seq != last || (last > 0 && head_hash != prev) {
            return Ok(AuditCheck {
                records: records.len(),
                first_bad: Some((
                    last + 1,
                    format!("记录链末尾应为第 {head_seq} 条，实际只到第 {last} 条：末尾记录被删除或改动"),
                )),
            });
        }
        Ok(AuditCheck {
            records: records.len(),
            first_bad: None,
        })
    }
}
