//! Stored overlay results: one row per (patch, layer) with the revisions of
//! both inputs, so `analyze` recomputes only what changed.
//!
//! Revisions: a layer's is the id of its latest import in `import_log`
//! (`layer:<code>`; county boundaries are the pseudo-layer [`COUNTIES`],
//! import target `regions`); a patch's is when it was last imported or
//! changed. A row whose revisions differ from the current ones is stale.

use std::collections::HashMap;

use rusqlite::params;
use weipian_domain::BatchId;

use crate::{Store, StoreError};

/// The pseudo-layer holding each patch's area per county (`by_class` keyed by XZQDM).
pub const COUNTIES: &str = "xzq";

/// The overlay of one patch with one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayRow {
    pub patch_id: i64,
    /// Layer kind code (`gd`, `jbnt`, …) or [`COUNTIES`].
    pub layer: String,
    pub layer_revision: i64,
    pub patch_revision: String,
    /// Ellipsoidal area of patch ∩ union(layer), m², unrounded.
    pub area_m2: f64,
    /// Area per class (e.g. DLBM `0101` for 耕地, XZQDM for counties), m².
    pub by_class: Vec<(String, f64)>,
    /// What the patch meets: key values of the features (批准文号, 矿种…), sorted, unique.
    pub features: Vec<String>,
}

impl Store {
    /// The current revision of every imported layer, and of the county boundaries under [`COUNTIES`].
    pub fn layer_revisions(&self) -> Result<HashMap<String, i64>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT target, MAX(id) FROM import_log WHERE target LIKE 'layer:%' OR target = 'regions' GROUP BY target",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (target, id) = row?;
            let code = match target.strip_prefix("layer:") {
                Some(code) => code.to_string(),
                None => COUNTIES.to_string(),
            };
            out.insert(code, id);
        }
        Ok(out)
    }

    /// The current revision of every patch of a batch, by patch id.
    pub fn patch_revisions(&self, batch: &BatchId) -> Result<HashMap<i64, String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT fid, COALESCE(updated_at, imported_at) FROM patches WHERE year = ?1 AND batch = ?2",
        )?;
        let rows = stmt.query_map(params![i64::from(batch.year), batch.name], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// Every stored overlay row of a batch's patches.
    pub fn overlay_rows(&self, batch: &BatchId) -> Result<Vec<OverlayRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT o.patch_id, o.layer, o.layer_revision, o.patch_revision, o.area_m2, o.by_class, o.features
               FROM patch_overlay o JOIN patches p ON p.fid = o.patch_id
              WHERE p.year = ?1 AND p.batch = ?2
              ORDER BY o.patch_id, o.layer",
        )?;
        let mut rows = stmt.query(params![i64::from(batch.year), batch.name])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let by_class: String = r.get(5)?;
            let features: String = r.get(6)?;
            let bad = |what: &str, e: serde_json::Error| {
                StoreError::Corrupt(format!("patch_overlay.{what}：{e}"))
            };
            out.push(OverlayRow {
                patch_id: r.get(0)?,
                layer: r.get(1)?,
                layer_revision: r.get(2)?,
                patch_revision: r.get(3)?,
                area_m2: r.get(4)?,
                by_class: serde_json::from_str(&by_class).map_err(|e| bad("by_class", e))?,
                features: serde_json::from_str(&features).map_err(|e| bad("features", e))?,
            });
        }
        Ok(out)
    }

    /// Store overlay rows (replacing earlier rows of the same patch and layer), in one transaction.
    pub fn save_overlay(&mut self, rows: &[OverlayRow]) -> Result<usize, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO patch_overlay (patch_id, layer, layer_revision, patch_revision, area_m2, by_class, features, analyzed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (patch_id, layer) DO UPDATE SET
                   layer_revision = excluded.layer_revision, patch_revision = excluded.patch_revision,
                   area_m2 = excluded.area_m2, by_class = excluded.by_class, features = excluded.features,
                   analyzed_at = excluded.analyzed_at",
            )?;
            for row in rows {
                if !row.area_m2.is_finite() {
                    return Err(StoreError::Invalid(format!(
                        "图斑 {} 的 {} 叠加面积不是有限数值",
                        row.patch_id, row.layer
                    )));
                }
                let by_class = serde_json::to_string(&row.by_class)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let features = serde_json::to_string(&row.features)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                stmt.execute(params![
                    row.patch_id,
                    row.layer,
                    row.layer_revision,
                    row.patch_revision,
                    row.area_m2,
                    by_class,
                    features,
                    now
                ])?;
            }
        }
        tx.commit()?;
        self.written();
        Ok(rows.len())
    }
}
