//! Stored overlay results: one `patch_analysis` row per patch holding, per
//! layer, the result with the revisions of both inputs, so `analyze`
//! recomputes only what changed.
//!
//! Revisions: a layer's is the id of its latest import in `import_log`
//! (`layer:<code>`; county boundaries are the pseudo-layer [`COUNTIES`],
//! import target `regions`); a patch's is when it was last imported or
//! changed. A row whose revisions differ from the current ones is stale.

use std::collections::HashMap;

use geo_types::MultiPolygon;
use rusqlite::{params, OptionalExtension};
use weipian_domain::{BatchId, LayerKind, PatchKind};

use crate::scan::Scan;
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

/// Reader threads for big tables: one per core.
fn read_parts() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
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

    /// The current revision of one patch (none for a military-land one).
    pub fn patch_revision(&self, patch_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT COALESCE(updated_at, imported_at) FROM patches WHERE fid = ?1 AND fid {}",
                    crate::NOT_MILITARY
                ),
                [patch_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The current revision of every patch of a batch, by patch id.
    pub fn patch_revisions(&self, batch: &BatchId) -> Result<HashMap<i64, String>, StoreError> {
        let mut stmt = self.conn.prepare(
            &format!("SELECT fid, COALESCE(updated_at, imported_at) FROM patches WHERE year = ?1 AND batch = ?2 AND fid {}", crate::NOT_MILITARY),
        )?;
        let rows = stmt.query_map(params![i64::from(batch.year), batch.name], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// The patches of a batch as the overlay needs them (geometry, no
    /// attributes), in store order. Read and decoded on all cores.
    pub fn patch_shapes(&self, batch: &BatchId) -> Result<Vec<PatchShape>, StoreError> {
        let year = i64::from(batch.year);
        let scan = Scan {
            table: "patches",
            select: "fid, jcbh, kind, COALESCE(updated_at, imported_at), geom",
            filter: &format!("year = ?1 AND batch = ?2 AND fid {}", crate::NOT_MILITARY),
            params: &[&year, &batch.name],
        };
        let parts = self.scan_parallel(
            &scan,
            read_parts(),
            Vec::with_capacity,
            |out: &mut Vec<PatchShape>, r| {
                let id: i64 = r.get(0)?;
                let jcbh: String = r.get(1)?;
                let kind_code: String = r.get(2)?;
                let kind = PatchKind::parse(&kind_code).ok_or_else(|| {
                    StoreError::Corrupt(format!("图斑 {jcbh} 的种类 “{kind_code}”"))
                })?;
                let geometry = crate::stored_geometry(
                    r.get_ref(4)?.as_blob_or_null()?,
                    &format!("批次 {batch} 图斑 {jcbh}"),
                )?;
                out.push(PatchShape {
                    id,
                    jcbh,
                    kind,
                    geometry,
                    revision: r.get(3)?,
                });
                Ok(())
            },
        )?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Read a layer's features on all cores without building geometries:
    /// `visit(acc, fid, blob, keys)` gets each feature's GeoPackage
    /// geometry blob (decode it with [`weipian_formats::gpkg::visit_rings`]
    /// or `decode_geometry`) and its key values as text (aligned with
    /// `kind.keys`), on the reader thread of its part, with that part's
    /// accumulator made by `init(rows)` (`rows`: about how many rows the part
    /// holds, to reserve capacity). The accumulators come back in fid order
    /// (import order); an absent layer gives none.
    pub fn scan_layer<T, I, V>(
        &self,
        kind: &LayerKind,
        init: I,
        visit: V,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send,
        I: Fn(usize) -> T + Sync,
        V: Fn(&mut T, i64, &[u8], &[Option<&str>]) -> Result<(), StoreError> + Sync,
    {
        let table = kind.table();
        if !weipian_formats::gpkg::table_exists(&self.conn, &table)? {
            return Ok(Vec::new());
        }
        let mut select = String::from("fid, geom");
        for key in kind.keys {
            select.push_str(", ");
            select.push_str(&weipian_formats::gpkg::quote_ident(key.column));
        }
        let quoted = weipian_formats::gpkg::quote_ident(&table);
        let scan = Scan {
            table: &quoted,
            select: &select,
            filter: "1",
            params: &[],
        };
        let nkeys = kind.keys.len();
        self.scan_parallel(&scan, read_parts(), init, |acc, r| {
            let fid: i64 = r.get(0)?;
            let blob = r.get_ref(1)?.as_blob_or_null()?.ok_or_else(|| {
                StoreError::Corrupt(format!("{} fid {fid} 没有图形", kind.name_zh))
            })?;
            let mut keys: Vec<Option<&str>> = Vec::with_capacity(nkeys);
            for i in 0..nkeys {
                keys.push(r.get_ref(2 + i)?.as_str_or_null()?);
            }
            visit(acc, fid, blob, &keys)
        })
    }

    /// The features of a layer whose boxes meet `bbox` (`[minx, miny, maxx,
    /// maxy]`, EPSG:4490), found through the layer's spatial index, in fid
    /// order: `visit(fid, blob, keys)` as for [`Store::scan_layer`]. For a
    /// few shapes (a patch's 地块) instead of a whole batch.
    pub fn scan_layer_within(
        &self,
        kind: &LayerKind,
        bbox: [f64; 4],
        mut visit: impl FnMut(i64, &[u8], &[Option<&str>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let table = kind.table();
        if !weipian_formats::gpkg::table_exists(&self.conn, &table)? {
            return Ok(());
        }
        let mut select = String::from("t.fid, t.geom");
        for key in kind.keys {
            select.push_str(", t.");
            select.push_str(&weipian_formats::gpkg::quote_ident(key.column));
        }
        let quoted = weipian_formats::gpkg::quote_ident(&table);
        let rtree = weipian_formats::gpkg::quote_ident(&format!("rtree_{table}_geom"));
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {select} FROM {quoted} t JOIN {rtree} r ON r.id = t.fid
              WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2
              ORDER BY t.fid"
        ))?;
        let mut rows = stmt.query(params![bbox[0], bbox[1], bbox[2], bbox[3]])?;
        let nkeys = kind.keys.len();
        while let Some(r) = rows.next()? {
            let fid: i64 = r.get(0)?;
            let blob = r.get_ref(1)?.as_blob_or_null()?.ok_or_else(|| {
                StoreError::Corrupt(format!("{} fid {fid} 没有图形", kind.name_zh))
            })?;
            let mut keys: Vec<Option<&str>> = Vec::with_capacity(nkeys);
            for i in 0..nkeys {
                keys.push(r.get_ref(2 + i)?.as_str_or_null()?);
            }
            visit(fid, blob, &keys)?;
        }
        Ok(())
    }

    /// A layer's features as the overlay needs them: geometry and the key
    /// values as text (aligned with `kind.keys`), without the verbatim attributes.
    pub fn layer_shapes(&self, kind: &LayerKind) -> Result<Vec<LayerShape>, StoreError> {
        let parts = self.scan_layer(
            kind,
            Vec::with_capacity,
            |out: &mut Vec<LayerShape>, fid, blob, keys| {
                let geometry =
                    crate::stored_geometry(Some(blob), &format!("{} fid {fid}", kind.name_zh))?;
                out.push((
                    geometry,
                    keys.iter().map(|k| k.map(str::to_string)).collect(),
                ));
                Ok(())
            },
        )?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// The input revisions of every stored overlay result of a batch:
    /// (patch id, layer) → (layer revision, patch revision).
    pub fn overlay_revisions(&self, batch: &BatchId) -> Result<OverlayRevisions, StoreError> {
        let mut out = HashMap::new();
        self.each_result(batch, |patch_id, results| {
            for (layer, e) in results {
                out.insert((patch_id, layer), (e.0, e.1));
            }
        })?;
        Ok(out)
    }

    /// The stored overlay results of some patches, in the order given, by layer.
    pub fn overlay_rows_of(&self, patch_ids: &[i64]) -> Result<Vec<OverlayRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT results FROM patch_analysis WHERE patch_id = ?1")?;
        let mut out = Vec::new();
        for &id in patch_ids {
            let text: Option<String> = stmt.query_row([id], |r| r.get(0)).optional()?;
            let Some(text) = text else { continue };
            for (layer, (layer_revision, patch_revision, area_m2, by_class, features)) in
                parse_results(id, &text)?
            {
                out.push(OverlayRow {
                    patch_id: id,
                    layer,
                    layer_revision,
                    patch_revision,
                    area_m2,
                    by_class,
                    features,
                });
            }
        }
        Ok(out)
    }

    /// Every stored overlay result of a batch's patches, by patch id and layer.
    pub fn overlay_rows(&self, batch: &BatchId) -> Result<Vec<OverlayRow>, StoreError> {
        let mut out = Vec::new();
        self.each_result(batch, |patch_id, results| {
            for (layer, (layer_revision, patch_revision, area_m2, by_class, features)) in results {
                out.push(OverlayRow {
                    patch_id,
                    layer,
                    layer_revision,
                    patch_revision,
                    area_m2,
                    by_class,
                    features,
                });
            }
        })?;
        Ok(out)
    }

    /// Calls `f(patch id, results)` for every analysed patch of a batch, by patch id.
    fn each_result(
        &self,
        batch: &BatchId,
        mut f: impl FnMut(i64, Results),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT a.patch_id, a.results FROM patch_analysis a JOIN patches p ON p.fid = a.patch_id
              WHERE p.year = ?1 AND p.batch = ?2 ORDER BY a.patch_id",
        )?;
        let mut rows = stmt.query(params![i64::from(batch.year), batch.name])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            f(id, parse_results(id, r.get_ref(1)?.as_str()?)?);
        }
        Ok(())
    }

    /// Store overlay results, in one transaction. Each row replaces the
    /// stored result of its (patch, layer); other layers' results of the
    /// patch stay — unless `complete` lists the patch: then `rows` are all
    /// its results and every other stored result of it goes (a patch listed
    /// without rows keeps none).
    pub fn save_overlay(
        &mut self,
        rows: &[OverlayRow],
        complete: Option<&[i64]>,
    ) -> Result<usize, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        write_results_merging(&tx, rows, complete, &now, Target::Patches)?;
        tx.commit()?;
        self.written();
        Ok(rows.len())
    }
}

/// A patch's stored results, `patch_analysis.results`: a JSON object from
/// layer code (or [`COUNTIES`]) to
/// `[layer revision, patch revision, area m², [[class, m²]…], [feature…]]`.
/// Numbers are written shortest-round-trip (serde_json), so they read back
/// bit-exact.
pub(crate) type Results = std::collections::BTreeMap<String, Entry>;
pub(crate) type Entry = (i64, String, f64, Vec<(String, f64)>, Vec<String>);

pub(crate) fn parse_results(patch_id: i64, text: &str) -> Result<Results, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("patch_analysis 图斑 {patch_id} 的分析结果：{e}")))
}

fn entry(row: &OverlayRow) -> Result<Entry, StoreError> {
    let finite = row.area_m2.is_finite() && row.by_class.iter().all(|(_, a)| a.is_finite());
    if !finite {
        return Err(StoreError::Invalid(format!(
            "图斑 {} 的 {} 叠加面积不是有限数值",
            row.patch_id, row.layer
        )));
    }
    Ok((
        row.layer_revision,
        row.patch_revision.clone(),
        row.area_m2,
        row.by_class.clone(),
        row.features.clone(),
    ))
}

/// Rows grouped by patch, patches in id order.
fn by_patch(rows: &[OverlayRow]) -> Vec<&[OverlayRow]> {
    let sorted = rows.windows(2).all(|w| w[0].patch_id <= w[1].patch_id);
    debug_assert!(sorted || rows.is_empty(), "callers sort");
    rows.chunk_by(|a, b| a.patch_id == b.patch_id).collect()
}

/// Where results are stored: per patch, or per 地块 (same format, keyed by parcel id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Patches,
    Parcels,
}

impl Target {
    /// (table, key column)
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Target::Patches => ("patch_analysis", "patch_id"),
            Target::Parcels => ("parcel_analysis", "parcel_id"),
        }
    }
}

fn insert_stmt<'t>(
    tx: &'t rusqlite::Transaction<'_>,
    target: Target,
) -> Result<rusqlite::Statement<'t>, StoreError> {
    let (table, key) = target.table();
    Ok(tx.prepare(&format!(
        "INSERT INTO {table} ({key}, results, analyzed_at) VALUES (?1, ?2, ?3)
         ON CONFLICT ({key}) DO UPDATE SET results = excluded.results, analyzed_at = excluded.analyzed_at"
    ))?)
}

/// Write `rows` as whole results per patch (nothing stored is kept); for
/// the migration, which knows each patch's time of analysis.
pub(crate) fn write_results(
    tx: &rusqlite::Transaction<'_>,
    rows: &[OverlayRow],
    analyzed_at: impl Fn(i64) -> String,
) -> Result<(), StoreError> {
    let mut stmt = insert_stmt(tx, Target::Patches)?;
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| r.patch_id);
    for group in by_patch(&sorted) {
        let id = group[0].patch_id;
        let mut results = Results::new();
        for r in group {
            results.insert(r.layer.clone(), entry(r)?);
        }
        let text =
            serde_json::to_string(&results).map_err(|e| StoreError::Invalid(e.to_string()))?;
        stmt.execute(params![id, text, analyzed_at(id)])?;
    }
    Ok(())
}

pub(crate) fn write_results_merging(
    tx: &rusqlite::Transaction<'_>,
    rows: &[OverlayRow],
    complete: Option<&[i64]>,
    now: &str,
    target: Target,
) -> Result<(), StoreError> {
    let (table, key) = target.table();
    let mut complete: Vec<i64> = complete.map(<[i64]>::to_vec).unwrap_or_default();
    complete.sort_unstable();
    let is_complete = |id: i64| complete.binary_search(&id).is_ok();
    // In key order: the B-tree then grows at its end instead of everywhere.
    let mut sorted: Vec<&OverlayRow> = rows.iter().collect();
    sorted.sort_by_key(|r| r.patch_id);
    let mut stmt = insert_stmt(tx, target)?;
    let mut old = tx.prepare(&format!("SELECT results FROM {table} WHERE {key} = ?1"))?;
    let mut written = Vec::with_capacity(sorted.len() / 4 + 1);
    for group in sorted.chunk_by(|a, b| a.patch_id == b.patch_id) {
        let id = group[0].patch_id;
        let mut results = if is_complete(id) {
            Results::new()
        } else {
            match old.query_row([id], |r| r.get::<_, String>(0)).optional()? {
                Some(text) => parse_results(id, &text)?,
                None => Results::new(),
            }
        };
        for r in group {
            results.insert(r.layer.clone(), entry(r)?);
        }
        let text =
            serde_json::to_string(&results).map_err(|e| StoreError::Invalid(e.to_string()))?;
        stmt.execute(params![id, text, now])?;
        written.push(id);
    }
    // Listed patches without any row keep no results.
    let mut delete = tx.prepare(&format!("DELETE FROM {table} WHERE {key} = ?1"))?;
    for id in complete {
        if written.binary_search(&id).is_err() {
            delete.execute([id])?;
        }
    }
    Ok(())
}
