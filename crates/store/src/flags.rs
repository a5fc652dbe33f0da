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
        if !decide_in(&tx, &now, id, upheld, note, audit)? {
            return Err(StoreError::Invalid(format!("疑点 {id} 已处理")));
        }
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// A reviewer's decision on many open flags at once, each with its own
    /// audit record, in one transaction: if any of them is no longer open,
    /// nothing is written.
    pub fn decide_flags(
        &mut self,
        decisions: &[(i64, NewAudit)],
        upheld: bool,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (id, audit) in decisions {
            if !decide_in(&tx, &now, *id, upheld, note, audit)? {
                // Dropping `tx` rolls back the decisions made so far.
                return Err(StoreError::Invalid(format!(
                    "疑点 {id}（{}）已处理，本次未认定任何疑点",
                    audit.target
                )));
            }
        }
        tx.commit()?;
        self.written();
        Ok(())
    }
}

/// Decide one flag inside `tx` and audit it; false when it is not open.
fn decide_in(
    tx: &rusqlite::Transaction<'_>,
    now: &str,
    id: i64,
    upheld: bool,
    note: Option<&str>,
    audit: &NewAudit,
) -> Result<bool, StoreError> {
    let n = tx
        .prepare_cached(
            "UPDATE flags SET status = ?2, decision_note = ?3, decided_at = ?4, decided_by = ?5
              WHERE id = ?1 AND status = 'open'",
        )?
        .execute(params![
            id,
            if upheld { "upheld" } else { "cleared" },
            note,
            now,
            audit.actor
        ])?;
    if n == 0 {
        return Ok(false);
    }
    append_audit(tx, now, audit)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use geo_types::{polygon, MultiPolygon};
    use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, PatchKind};

    use super::*;
    use crate::{BatchMeta, NewPatch};

    fn audit(action: &str, target: &str) -> NewAudit {
        NewAudit {
            actor: "审核员".into(),
            region: "510100".into(),
            action: action.into(),
            target: target.into(),
            before: Some("open".into()),
            after: Some("upheld".into()),
            reason: Some("批量认定".into()),
        }
    }

    /// A store with two patches and two open flags on each; the flag ids.
    fn store_with_flags(dir: &std::path::Path) -> (Store, Vec<i64>) {
        let mut store = Store::open(dir).unwrap();
        let patches: Vec<NewPatch> = (0..2)
            .map(|i| {
                let x = 104.0 + f64::from(i) * 0.01;
                NewPatch {
                    jcbh: format!("510104TD{i:04}"),
                    xzqdm: "510104".into(),
                    geometry: MultiPolygon(vec![
                        polygon![(x: x, y: 30.6), (x: x + 0.005, y: 30.6), (x: x + 0.005, y: 30.605), (x: x, y: 30.6)],
                    ]),
                    area_m2: 1000.0,
                    attrs: vec![AttrValue::Text(format!("510104TD{i:04}"))],
                    source_row: usize::try_from(i).unwrap() + 1,
                    repairs: vec![],
                }
            })
            .collect();
        let meta = BatchMeta {
            id: BatchId::new(2020, "2020Q1").unwrap(),
            kind: PatchKind::Land,
            source: "tb.shp".into(),
            encoding: None,
            crs: "EPSG:4490".into(),
        };
        let fields = [FieldDef::new("JCBH", FieldType::Text { width: 30 })];
        store.import_batch(&meta, &fields, &patches).unwrap();
        let flag = |rule: &str| NewFlag {
            rule: rule.into(),
            message: "m".into(),
            evidence: "[]".into(),
        };
        let mut ids = Vec::new();
        for p in store
            .patches(&crate::PatchQuery {
                batch: meta.id.clone(),
                kind: None,
                region: None,
            })
            .unwrap()
        {
            store
                .record_flags(p.id, &[flag("R01"), flag("R02")], &audit("desk.run", "x"))
                .unwrap();
            ids.extend(store.flags(p.id).unwrap().iter().map(|f| f.id));
        }
        (store, ids)
    }

    fn statuses(store: &Store, ids: &[i64]) -> Vec<String> {
        ids.iter()
            .map(|id| store.flag(*id).unwrap().unwrap().status)
            .collect()
    }

    #[test]
    fn many_decisions_are_written_and_audited_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, ids) = store_with_flags(dir.path());
        assert_eq!(ids.len(), 4);
        // One of them already decided: the batch of three is refused whole.
        store
            .decide_flag(
                ids[3],
                false,
                None,
                &audit("desk.clear", "2020/2020Q1/510104TD0001"),
            )
            .unwrap();
        let audits_before = store.audit_records(None).unwrap().len();
        let batch: Vec<(i64, NewAudit)> = [ids[0], ids[1], ids[3]]
            .iter()
            .map(|id| (*id, audit("desk.uphold", &format!("flag-{id}"))))
            .collect();
        let err = store
            .decide_flags(&batch, true, Some("批量认定"))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("疑点 {}（flag-{}）已处理", ids[3], ids[3])),
            "{err}"
        );
        assert_eq!(statuses(&store, &ids), ["open", "open", "open", "cleared"]);
        assert_eq!(store.audit_records(None).unwrap().len(), audits_before);
        // Without it, all three at once, one audit record each, chain intact.
        store
            .decide_flags(&batch[..2], true, Some("批量认定"))
            .unwrap();
        assert_eq!(
            statuses(&store, &ids),
            ["upheld", "upheld", "open", "cleared"]
        );
        let f = store.flag(ids[0]).unwrap().unwrap();
        assert_eq!(
            (f.decision_note.as_deref(), f.decided_by.as_deref()),
            (Some("批量认定"), Some("审核员"))
        );
        let records = store.audit_records(None).unwrap();
        assert_eq!(records.len(), audits_before + 2);
        let targets: Vec<&str> = records[audits_before..]
            .iter()
            .map(|r| r.entry.target.as_str())
            .collect();
        assert_eq!(
            targets,
            [format!("flag-{}", ids[0]), format!("flag-{}", ids[1])]
        );
        assert_eq!(store.verify_audit().unwrap().first_bad, None);
    }
}
