//! Stored overlay results: one row per (patch, layer) with the revisions of
//! both inputs, so `analyze` recomputes only what changed.
//!
//! Revisions: a layer's is the id of its latest import in `import_log`
//! (`layer:<code>`; county boundaries are the pseudo-layer [`COUNTIES`],
//! import target `regions`); a patch's is when it was last imported or
//! changed. A row whose revisions differ from the current ones is stale.

use std::collections::HashMap;

use geo_types::MultiPolygon;
use rayon::prelude::*;
use rusqlite::params;
use weipian_domain::{BatchId, LayerKind, PatchKind};

use crate::{Store, StoreError};

/// A layer feature as the overlay needs it: geometry and key values as text.
pub type LayerShape = (MultiPolygon<f64>, Vec<Option<String>>);

/// (patch id, layer) → (layer revision, patch revision) of stored overlay rows.
pub type OverlayRevisions = HashMap<(i64, String), (i64, String)>;

/// What the overlay needs of a patch: no issued attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchShape {
    pub id: i64,
    pub jcbh: String,
    pub kind: PatchKind,
    pub geometry: MultiPolygon<f64>,
    /// When it was last imported or changed (see the module docs).
    pub revision: String,
}

/// Decode rows of (geometry blob, payload) in parallel: SQLite reads one row
/// at a time, decoding 6 million vertices is the part worth spreading.
fn decode_all<T: Send>(
    raw: Vec<(Vec<u8>, T)>,
    what: &(dyn Fn(usize) -> String + Sync),
) -> Result<Vec<(MultiPolygon<f64>, T)>, StoreError> {
    raw.into_par_iter()
        .enumerate()
        .map(
            |(i, (blob, t))| match weipian_formats::gpkg::decode_geometry(&blob) {
                Ok(Some(g)) => Ok((g, t)),
                // The message is only built for the row that needs it.
                Ok(None) => Err(StoreError::Corrupt(format!("{} 的图形为空", what(i)))),
                Err(p) => Err(StoreError::Corrupt(format!(
                    "{} 的图形无法解析：{p}",
                    what(i)
                ))),
            },
        )
        .collect()
}

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

    /// The patches of a batch as the overlay needs them (geometry, no attributes), by JCBH.
    pub fn patch_shapes(&self, batch: &BatchId) -> Result<Vec<PatchShape>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT fid, jcbh, kind, COALESCE(updated_at, imported_at), geom FROM patches
              WHERE year = ?1 AND batch = ?2 ORDER BY jcbh",
        )?;
        let mut rows = stmt.query(params![i64::from(batch.year), batch.name])?;
        let mut raw = Vec::new();
        while let Some(r) = rows.next()? {
            let kind_code: String = r.get(2)?;
            let kind = PatchKind::parse(&kind_code)
                .ok_or_else(|| StoreError::Corrupt(format!("图斑种类 “{kind_code}”")))?;
            let blob: Vec<u8> = r.get(4)?;
            raw.push((
                blob,
                (
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    kind,
                    r.get::<_, String>(3)?,
                ),
            ));
        }
        let decoded = decode_all(raw, &|i| format!("批次 {batch} 第 {} 个图斑", i + 1))?;
        Ok(decoded
            .into_iter()
            .map(|(geometry, (id, jcbh, kind, revision))| PatchShape {
                id,
                jcbh,
                kind,
                geometry,
                revision,
            })
            .collect())
    }

    /// A layer's features as the overlay needs them: geometry and the key
    /// values as text (aligned with `kind.keys`), without the verbatim attributes.
    pub fn layer_shapes(&self, kind: &LayerKind) -> Result<Vec<LayerShape>, StoreError> {
        let table = kind.table();
        if !weipian_formats::gpkg::table_exists(&self.conn, &table)? {
            return Ok(Vec::new());
        }
        let mut select = String::from("SELECT geom");
        for key in kind.keys {
            select.push_str(", ");
            select.push_str(&weipian_formats::gpkg::quote_ident(key.column));
        }
        let mut stmt = self
            .conn
            .prepare(&format!("{select} FROM \"{table}\" ORDER BY fid"))?;
        let mut rows = stmt.query([])?;
        let mut raw = Vec::new();
        while let Some(r) = rows.next()? {
            let blob: Vec<u8> = r.get(0)?;
            let keys = (1..=kind.keys.len())
                .map(|i| r.get::<_, Option<String>>(i))
                .collect::<Result<Vec<_>, _>>()?;
            raw.push((blob, keys));
        }
        decode_all(raw, &|i| format!("{} 第 {} 个要素", kind.name_zh, i + 1))
    }

    /// The input revisions of every stored overlay row of a batch: (patch id,
    /// layer) → (layer revision, patch revision). Cheap: no figures are read.
    pub fn overlay_revisions(&self, batch: &BatchId) -> Result<OverlayRevisions, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT o.patch_id, o.layer, o.layer_revision, o.patch_revision
               FROM patch_overlay o JOIN patches p ON p.fid = o.patch_id
              WHERE p.year = ?1 AND p.batch = ?2",
        )?;
        let rows = stmt.query_map(params![i64::from(batch.year), batch.name], |r| {
            Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)))
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
            // In key order: the B-tree then grows at its end instead of everywhere.
            let mut sorted: Vec<&OverlayRow> = rows.iter().collect();
            sorted.sort_unstable_by(|a, b| (a.patch_id, &a.layer).cmp(&(b.patch_id, &b.layer)));
            for row in sorted {
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
