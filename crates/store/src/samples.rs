//! Samples (抽查) and their items: drawn once (the draw is reproducible from
//! its stored seed), checkers assigned for cross-checks, results recorded —
//! each change with its audit record in one transaction.

use rusqlite::{params, OptionalExtension};
use weipian_domain::BatchId;

use crate::answers::{append_audit, NewAudit};
use crate::{Store, StoreError};

/// A sample as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRow {
    pub id: i64,
    pub batch: BatchId,
    /// The region sampled (XZQDM of a province, city or county).
    pub region: String,
    pub seed: i64,
    pub margin: f64,
    pub confidence: f64,
    pub population: usize,
    /// JSON object: stratum → patches in the population.
    pub strata: String,
    pub created_at: String,
    pub created_by: String,
}

/// A sampled patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleItem {
    pub patch_id: i64,
    pub jcbh: String,
    pub xzqdm: String,
    pub stratum: String,
    /// The county checking it (交叉检查), if assigned.
    pub checker: Option<String>,
    /// `correct` or `wrong`, once checked.
    pub result: Option<String>,
    pub note: Option<String>,
    pub checked_by: Option<String>,
    pub checked_at: Option<String>,
}

/// A sample to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSample {
    pub batch: BatchId,
    pub region: String,
    pub seed: i64,
    pub margin: f64,
    pub confidence: f64,
    pub population: usize,
    pub strata: String,
    /// (patch id, stratum)
    pub items: Vec<(i64, String)>,
}

impl Store {
    /// Store a drawn sample; returns its id.
    pub fn create_sample(&mut self, s: &NewSample, audit: &NewAudit) -> Result<i64, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO samples (year, batch, region, seed, margin, confidence, population, strata, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                i64::from(s.batch.year),
                s.batch.name,
                s.region,
                s.seed,
                s.margin,
                s.confidence,
                i64::try_from(s.population).unwrap_or(i64::MAX),
                s.strata,
                now,
                audit.actor
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut ins = tx.prepare(
                "INSERT INTO sample_items (sample_id, patch_id, stratum) VALUES (?1, ?2, ?3)",
            )?;
            for (p, stratum) in &s.items {
                ins.execute(params![id, p, stratum])?;
            }
        }
        let mut entry = audit.clone();
        entry.target = format!("sample/{id}");
        append_audit(&tx, &now, &entry)?;
        tx.commit()?;
        self.written();
        Ok(id)
    }

    /// A sample and its items (ordinary patches only), by stratum and JCBH.
    pub fn sample(&self, id: i64) -> Result<Option<(SampleRow, Vec<SampleItem>)>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, year, batch, region, seed, margin, confidence, population, strata, created_at, created_by
                   FROM samples WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, f64>(5)?,
                        r.get::<_, f64>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, String>(9)?,
                        r.get::<_, String>(10)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, year, batch, region, seed, margin, confidence, population, strata, at, by)) =
            row
        else {
            return Ok(None);
        };
        let batch = BatchId::new(
            u16::try_from(year).map_err(|_| StoreError::Corrupt(format!("抽查 {id} 的年份")))?,
            &batch,
        )
        .map_err(|e| StoreError::Corrupt(format!("抽查 {id} 的批次：{e}")))?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT i.patch_id, p.jcbh, p.xzqdm, i.stratum, i.checker, i.result, i.note, i.checked_by, i.checked_at
               FROM sample_items i JOIN patches p ON p.fid = i.patch_id
              WHERE i.sample_id = ?1 AND p.fid {} ORDER BY i.stratum, p.jcbh",
            crate::NOT_MILITARY
        ))?;
        let items = stmt
            .query_map([id], |r| {
                Ok(SampleItem {
                    patch_id: r.get(0)?,
                    jcbh: r.get(1)?,
                    xzqdm: r.get(2)?,
                    stratum: r.get(3)?,
                    checker: r.get(4)?,
                    result: r.get(5)?,
                    note: r.get(6)?,
                    checked_by: r.get(7)?,
                    checked_at: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some((
            SampleRow {
                id,
                batch,
                region,
                seed,
                margin,
                confidence,
                population: usize::try_from(population).unwrap_or(0),
                strata,
                created_at: at,
                created_by: by,
            },
            items,
        )))
    }

    /// Assign the checking county of each item: (patch id, county).
    pub fn assign_checkers(
        &mut self,
        id: i64,
        assignments: &[(i64, String)],
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut upd = tx.prepare(
                "UPDATE sample_items SET checker = ?3 WHERE sample_id = ?1 AND patch_id = ?2",
            )?;
            for (p, c) in assignments {
                upd.execute(params![id, p, c])?;
            }
        }
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// Record the check of one sampled patch (a later check replaces it; the
    /// audit trail keeps both).
    pub fn record_sample_result(
        &mut self,
        id: i64,
        patch_id: i64,
        wrong: bool,
        note: Option<&str>,
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE sample_items SET result = ?3, note = ?4, checked_by = ?5, checked_at = ?6
              WHERE sample_id = ?1 AND patch_id = ?2",
            params![
                id,
                patch_id,
                if wrong { "wrong" } else { "correct" },
                note,
                audit.actor,
                now
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid("该图斑不在本次抽查样本中".into()));
        }
        append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(())
    }
}
