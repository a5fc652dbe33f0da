//! A patch's history as the audit log records it: every answer saved (of
//! the patch and of its 地块), file attached, split, and every change to the
//! cases it belongs to — for anyone who
//! may read the patch (outside the caller's scope it is "not found").

use serde::Serialize;
use weipian_domain::access::Actor;
use weipian_domain::BatchId;
use weipian_store::{AuditRecord, Store};

use crate::ServiceError;

/// One audit record as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// Position in the audit chain.
    pub seq: i64,
    /// When (UTC, ISO 8601).
    pub at: String,
    pub actor: String,
    /// The actor's region code (`000000` for the whole country).
    pub region: String,
    /// What was done (`answer.save`, `attachment.add`, `case.open`, `case.event`, …).
    pub action: String,
    /// What it was done to: `YEAR/BATCH/JCBH`, `YEAR/BATCH/JCBH-n` (地块 n)
    /// or `case/COUNTY/NUMBER`.
    pub target: String,
    /// The record before and after (JSON when it is JSON, else the text).
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    /// The record's hash in the chain (to check against `weipian audit verify`).
    pub hash: String,
}

fn json_or_text(s: Option<String>) -> Option<serde_json::Value> {
    s.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

impl From<AuditRecord> for HistoryEntry {
    fn from(r: AuditRecord) -> Self {
        Self {
            seq: r.seq,
            at: r.at,
            actor: r.entry.actor,
            region: r.entry.region,
            action: r.entry.action,
            target: r.entry.target,
            before: json_or_text(r.entry.before),
            after: json_or_text(r.entry.after),
            reason: r.entry.reason,
            hash: r.hash,
        }
    }
}

/// The audit records whose target is `target` exactly, or one of its
/// 地块 (`target-n`) when `parts` — the store matches a prefix, and
/// `…/510104TD2000` is a prefix of `…/510104TD200001`.
fn records_of(store: &Store, target: &str, parts: bool) -> Result<Vec<AuditRecord>, ServiceError> {
    let matches = |t: &str| {
        t == target
            || (parts
                && t.strip_prefix(target)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
    };
    Ok(store
        .audit_records(Some(target))?
        .into_iter()
        .filter(|r| matches(&r.entry.target))
        .collect())
}

/// The history of a patch and of its cases, oldest first.
pub fn patch_history(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<Vec<HistoryEntry>, ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    let target = format!("{}/{}/{}", batch.year, batch.name, jcbh);
    let mut records = records_of(store, &target, true)?;
    // A case's patches all lie in its county, so the caller may read it too.
    for id in store.cases_of_patch(patch.id)? {
        if let Some(case) = store.case(id)? {
            records.extend(records_of(
                store,
                &format!("case/{}/{}", case.county, case.number),
                false,
            )?);
        }
    }
    records.sort_by_key(|r| r.seq);
    records.dedup_by_key(|r| r.seq);
    Ok(records.into_iter().map(HistoryEntry::from).collect())
}
