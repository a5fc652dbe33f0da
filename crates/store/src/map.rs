//! Map reads: the features of a view (a bounding box) for the map of the
//! patch page, read through the R*Trees — never all geometries at once.
//!
//! Each read has two steps in one snapshot: the R*Tree gives the
//! candidates (its boxes are single-precision, rounded outwards), those
//! near the box's edges are checked against the exact envelope in their
//! geometry's header (the others are not read), and the
//! matches are counted and ordered by area, largest first; only the first
//! `limit` of them are then read whole.

use geo_types::MultiPolygon;
use rusqlite::types::ValueRef;
use weipian_domain::layer::LayerKind;
use weipian_domain::{BatchId, PatchKind, RegionCode};
use weipian_formats::gpkg;

use crate::{stored_geometry, Store, StoreError};

/// What [`Store::map_patches`] reads.
#[derive(Debug, Clone, PartialEq)]
pub struct MapQuery {
    pub batch: BatchId,
    /// `[minx, miny, maxx, maxy]`, EPSG:4490: patches whose extent meets
    /// it (edges included).
    pub bbox: [f64; 4],
    /// Only patches whose XZQDM lies within this region
    /// ([`RegionCode::is_within`]); every region when `None`.
    pub region: Option<RegionCode>,
    /// At most this many are read whole (the largest).
    pub limit: usize,
}

/// A patch on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPatch {
    pub id: i64,
    pub jcbh: String,
    pub xzqdm: String,
    pub kind: PatchKind,
    /// Ellipsoidal area, m², unrounded.
    pub area_m2: f64,
    /// EPSG:4490.
    pub geometry: MultiPolygon<f64>,
    /// `PDLX` of the current answer of the whole patch (part 0), if any.
    pub category: Option<String>,
    /// The review state's code; `None`: with the county, never submitted.
    pub review_state: Option<String>,
}

/// A reference-layer feature on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapLayerFeature {
    pub fid: i64,
    /// The key columns' text (aligned with the kind's `keys`).
    pub keys: Vec<Option<String>>,
    /// Ellipsoidal area, m², unrounded.
    pub area_m2: f64,
    /// EPSG:4490.
    pub geometry: MultiPolygon<f64>,
}

/// The features of a view: the first `limit` by area, and how many matched.
#[derive(Debug, Clone, PartialEq)]
pub struct InView<T> {
    pub items: Vec<T>,
    /// Every match, `items` included.
    pub total: usize,
}

impl<T> InView<T> {
    /// Whether matches were left out.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.total > self.items.len()
    }
}

/// Whether a `[minx, maxx, miny, maxy]` envelope meets a `[minx, miny, maxx, maxy]` box.
fn meets(env: [f64; 4], bbox: [f64; 4]) -> bool {
    env[0] <= bbox[2] && env[1] >= bbox[0] && env[2] <= bbox[3] && env[3] >= bbox[1]
}

/// Whether the geometry blob's exact envelope meets `bbox` (an empty or
/// missing geometry does not).
fn blob_meets(blob: Option<&[u8]>, bbox: [f64; 4]) -> Result<bool, StoreError> {
    Ok(match blob {
        Some(b) => gpkg::geometry_bounds(b)?.is_some_and(|env| meets(env, bbox)),
        None => false,
    })
}

/// Largest first; the id breaks ties, so a truncated view is stable.
fn by_area_desc(candidates: &mut [(i64, f64)]) {
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

/// The R*Tree condition on alias `r` with `[minx, miny, maxx, maxy]` as `?1`–`?4`.
const RTREE_MEETS: &str = "r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2";

/// Whether the R*Tree box `r` meets `?1`–`?4` by more than its rounding
/// (single precision, outwards: under 2·10⁻⁵° for longitudes and
/// latitudes), so the exact envelope surely meets it too and the geometry
/// need not be read.
const RTREE_SURELY_MEETS: &str =
    "r.minx <= ?3 - 1e-4 AND r.maxx >= ?1 + 1e-4 AND r.miny <= ?4 - 1e-4 AND r.maxy >= ?2 + 1e-4";

/// The candidate's geometry blob, only when the R*Tree cannot decide (`geom`: its column).
fn edge_geometry(geom: &str) -> String {
    format!("CASE WHEN {RTREE_SURELY_MEETS} THEN NULL ELSE {geom} END")
}

/// Whether a candidate row (R*Tree box met) meets the box: surely when no
/// geometry was read for it, else by its exact envelope.
fn candidate_meets(blob: ValueRef<'_>, bbox: [f64; 4]) -> Result<bool, StoreError> {
    match blob {
        ValueRef::Null => Ok(true),
        other => blob_meets(Some(other.as_blob()?), bbox),
    }
}

impl Store {
    /// The patches of a batch in a view: those whose extent meets the box,
    /// within the region, never military land; the largest `limit` of them
    /// (by area, then id) read whole, with their answer's `PDLX` and their
    /// review state.
    pub fn map_patches(&self, query: &MapQuery) -> Result<InView<MapPatch>, StoreError> {
        let b = query.bbox;
        let tx = self.conn.unchecked_transaction()?; // one snapshot
                                                     // The R*Tree drives the read (CROSS JOIN keeps it the outer loop).
        let mut sql = format!(
            "SELECT p.fid, p.xzqdm, p.tqmj, {} FROM rtree_patches_geom r CROSS JOIN patches p
              WHERE {RTREE_MEETS} AND p.fid = r.id AND p.year = ?5 AND p.batch = ?6 AND p.fid {}",
            edge_geometry("p.geom"),
            crate::NOT_MILITARY
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![
            Box::new(b[0]),
            Box::new(b[1]),
            Box::new(b[2]),
            Box::new(b[3]),
            Box::new(i64::from(query.batch.year)),
            Box::new(query.batch.name.clone()),
        ];
        if let Some(region) = query.region {
            let (lo, hi) = crate::patches::region_range(region);
            args.push(Box::new(lo));
            args.push(Box::new(hi));
            sql.push_str(" AND p.xzqdm >= ?7 AND p.xzqdm < ?8");
        }
        let mut candidates: Vec<(i64, f64)> = Vec::new();
        {
            let mut stmt = tx.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
            while let Some(r) = rows.next()? {
                if let Some(region) = query.region {
                    // The range pre-filter is by prefix; the rule is RegionCode::is_within.
                    let within = RegionCode::parse(r.get_ref(1)?.as_str()?)
                        .is_ok_and(|c| c.is_within(region));
                    if !within {
                        continue;
                    }
                }
                if candidate_meets(r.get_ref(3)?, b)? {
                    candidates.push((r.get(0)?, r.get(2)?));
                }
            }
        }
        let total = candidates.len();
        by_area_desc(&mut candidates);
        candidates.truncate(query.limit);

        let mut items = Vec::with_capacity(candidates.len());
        {
            let mut stmt = tx.prepare(
                "SELECT p.jcbh, p.xzqdm, p.kind, p.tqmj, p.geom,
                        CASE WHEN json_valid(a.answer) THEN json_extract(a.answer, '$.PDLX') END,
                        v.state
                   FROM patches p
                   LEFT JOIN answers a ON a.patch_id = p.fid AND a.part = 0
                   LEFT JOIN reviews v ON v.patch_id = p.fid
                  WHERE p.fid = ?1",
            )?;
            for (id, _) in &candidates {
                let mut rows = stmt.query([id])?;
                let Some(r) = rows.next()? else {
                    continue; // cannot happen inside the snapshot
                };
                let jcbh: String = r.get(0)?;
                let kind: String = r.get(2)?;
                let kind = PatchKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("图斑类别无效：“{kind}”")))?;
                let geometry =
                    stored_geometry(r.get_ref(4)?.as_blob_or_null()?, &format!("图斑 {jcbh}"))?;
                let category = match r.get_ref(5)? {
                    ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                    _ => None,
                };
                items.push(MapPatch {
                    id: *id,
                    xzqdm: r.get(1)?,
                    kind,
                    area_m2: r.get(3)?,
                    geometry,
                    category,
                    review_state: r.get(6)?,
                    jcbh,
                });
            }
        }
        tx.finish()?;
        Ok(InView { items, total })
    }

    /// The features of a reference layer in a view: those whose extent
    /// meets the box (`[minx, miny, maxx, maxy]`); the largest `limit` of
    /// them (by area, then fid) read whole. Nothing when the layer was
    /// never imported.
    pub fn map_layer(
        &self,
        kind: &LayerKind,
        bbox: [f64; 4],
        limit: usize,
    ) -> Result<InView<MapLayerFeature>, StoreError> {
        let table = kind.table();
        let tx = self.conn.unchecked_transaction()?; // one snapshot
        if !gpkg::table_exists(&tx, &table)? {
            return Ok(InView {
                items: Vec::new(),
                total: 0,
            });
        }
        let quoted = gpkg::quote_ident(&table);
        let rtree = gpkg::quote_ident(&format!("rtree_{table}_geom"));
        let mut candidates: Vec<(i64, f64)> = Vec::new();
        {
            let mut stmt = tx.prepare(&format!(
                "SELECT t.fid, t.tqmj, {} FROM {rtree} r CROSS JOIN {quoted} t
                  WHERE {RTREE_MEETS} AND t.fid = r.id",
                edge_geometry("t.geom")
            ))?;
            let mut rows = stmt.query(rusqlite::params![bbox[0], bbox[1], bbox[2], bbox[3]])?;
            while let Some(r) = rows.next()? {
                if candidate_meets(r.get_ref(2)?, bbox)? {
                    candidates.push((r.get(0)?, r.get(1)?));
                }
            }
        }
        let total = candidates.len();
        by_area_desc(&mut candidates);
        candidates.truncate(limit);

        let mut select = String::from("t.tqmj, t.geom");
        for key in kind.keys {
            select.push_str(", t.");
            select.push_str(&gpkg::quote_ident(key.column));
        }
        let mut items = Vec::with_capacity(candidates.len());
        {
            let mut stmt =
                tx.prepare(&format!("SELECT {select} FROM {quoted} t WHERE t.fid = ?1"))?;
            for (fid, _) in &candidates {
                let mut rows = stmt.query([fid])?;
                let Some(r) = rows.next()? else {
                    continue; // cannot happen inside the snapshot
                };
                let geometry = stored_geometry(
                    r.get_ref(1)?.as_blob_or_null()?,
                    &format!("{} fid {fid}", kind.name_zh),
                )?;
                let mut keys = Vec::with_capacity(kind.keys.len());
                for i in 0..kind.keys.len() {
                    keys.push(r.get_ref(2 + i)?.as_str_or_null()?.map(str::to_string));
                }
                items.push(MapLayerFeature {
                    fid: *fid,
                    keys,
                    area_m2: r.get(0)?,
                    geometry,
                });
            }
        }
        tx.finish()?;
        Ok(InView { items, total })
    }
}

#[cfg(test)]
mod tests {
    use geo_types::polygon;
    use weipian_domain::{layer, AttrValue, FieldDef, FieldType};

    use super::*;
    use crate::{BatchMeta, LayerFeature, LayerSource, NewAudit, NewPatch};

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
        ])
    }

    fn batch() -> BatchId {
        BatchId::new(2020, "2020Q1").unwrap()
    }

    fn meta(batch: &BatchId) -> BatchMeta {
        BatchMeta {
            id: batch.clone(),
            kind: PatchKind::Land,
            source: "tb.shp".into(),
            encoding: None,
            crs: "EPSG:4490".into(),
        }
    }

    fn new_patch(jcbh: &str, xzqdm: &str, geometry: MultiPolygon<f64>, area: f64) -> NewPatch {
        NewPatch {
            jcbh: jcbh.into(),
            xzqdm: xzqdm.into(),
            geometry,
            area_m2: area,
            attrs: vec![AttrValue::Text(jcbh.into())],
            source_row: 1,
            repairs: vec![],
        }
    }

    fn fields() -> Vec<FieldDef> {
        vec![FieldDef::new("JCBH", FieldType::Text { width: 30 })]
    }

    fn query(bbox: [f64; 4], region: Option<&str>, limit: usize) -> MapQuery {
        MapQuery {
            batch: batch(),
            bbox,
            region: region.map(|r| RegionCode::parse(r).unwrap()),
            limit,
        }
    }

    fn jcbhs(v: &InView<MapPatch>) -> Vec<&str> {
        v.items.iter().map(|p| p.jcbh.as_str()).collect()
    }

    /// Patches of 0.01° at x = 104.00, 104.02, 104.04 … (y 30.00–30.01),
    /// areas growing with x; the last one in 510105, the others in 510104.
    fn store_with(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let patches: Vec<NewPatch> = (0..n)
            .map(|i| {
                let county = if i + 1 == n { "510105" } else { "510104" };
                new_patch(
                    &format!("{county}TD2000{i:02}"),
                    county,
                    square(104.0 + 0.02 * i as f64, 30.0, 0.01),
                    1000.0 + i as f64,
                )
            })
            .collect();
        store
            .import_batch(&meta(&batch()), &fields(), &patches)
            .unwrap();
        (dir, store)
    }

    #[test]
    fn only_patches_meeting_the_box_are_read_edges_included() {
        let (_dir, store) = store_with(5);
        // Inside the first patch only.
        let v = store
            .map_patches(&query([104.001, 30.001, 104.002, 30.002], None, 100))
            .unwrap();
        assert_eq!(jcbhs(&v), ["510104TD200000"]);
        assert_eq!(v.total, 1);
        assert!(!v.truncated());
        // In the gap between the first two: nothing.
        let v = store
            .map_patches(&query([104.011, 30.0, 104.019, 30.01], None, 100))
            .unwrap();
        assert!(v.items.is_empty());
        assert_eq!(v.total, 0);
        // Just beyond the first patch's right edge — closer than the
        // R*Tree's single precision can tell: left out.
        let v = store
            .map_patches(&query([104.010_000_1, 30.0, 104.015, 30.01], None, 100))
            .unwrap();
        assert!(v.items.is_empty(), "{:?}", jcbhs(&v));
        // Touching the edge counts.
        let v = store
            .map_patches(&query([104.01, 30.0, 104.015, 30.01], None, 100))
            .unwrap();
        assert_eq!(jcbhs(&v), ["510104TD200000"]);
        // Across the second and third: both, largest first.
        let v = store
            .map_patches(&query([104.025, 30.005, 104.045, 30.006], None, 100))
            .unwrap();
        assert_eq!(jcbhs(&v), ["510104TD200002", "510104TD200001"]);
        let p = &v.items[1];
        assert_eq!(p.xzqdm, "510104");
        assert_eq!(p.kind, PatchKind::Land);
        assert!((p.area_m2 - 1001.0).abs() < 1e-9);
        assert_eq!(p.geometry, square(104.02, 30.0, 0.01));
        assert_eq!(
            (p.category.as_deref(), p.review_state.as_deref()),
            (None, None)
        );
        // Another batch's patches are not this batch's.
        let mut q = query([103.0, 29.0, 105.0, 31.0], None, 100);
        q.batch = BatchId::new(2020, "2020Q2").unwrap();
        assert_eq!(store.map_patches(&q).unwrap().total, 0);
    }

    #[test]
    fn the_region_limits_the_view() {
        let (_dir, store) = store_with(5);
        let all = [103.9, 29.9, 104.2, 30.1];
        assert_eq!(store.map_patches(&query(all, None, 100)).unwrap().total, 5);
        let v = store.map_patches(&query(all, Some("510105"), 100)).unwrap();
        assert_eq!(jcbhs(&v), ["510105TD200004"]);
        let v = store.map_patches(&query(all, Some("510104"), 100)).unwrap();
        assert_eq!(v.total, 4);
        assert_eq!(
            store
                .map_patches(&query(all, Some("510100"), 100))
                .unwrap()
                .total,
            5
        );
        assert_eq!(
            store
                .map_patches(&query(all, Some("330000"), 100))
                .unwrap()
                .total,
            0
        );
    }

    #[test]
    fn military_land_is_never_on_the_map() {
        let (_dir, mut store) = store_with(3);
        let all = [103.9, 29.9, 104.2, 30.1];
        let id = store.patch(&batch(), "510104TD200001").unwrap().unwrap().id;
        let audit = NewAudit {
            actor: "mil".into(),
            region: "510104".into(),
            action: "military.file".into(),
            target: "x".into(),
            before: None,
            after: None,
            reason: None,
        };
        store.file_military(id, "{}", &audit).unwrap();
        let v = store.map_patches(&query(all, None, 100)).unwrap();
        assert_eq!(v.total, 2);
        assert_eq!(jcbhs(&v), ["510105TD200002", "510104TD200000"]);
    }

    #[test]
    fn a_limit_keeps_the_largest_and_counts_the_rest() {
        let (_dir, store) = store_with(6);
        let all = [103.9, 29.9, 104.2, 30.1];
        let v = store.map_patches(&query(all, None, 2)).unwrap();
        assert_eq!(v.total, 6);
        assert!(v.truncated());
        assert_eq!(jcbhs(&v), ["510105TD200005", "510104TD200004"]);
        let v = store.map_patches(&query(all, None, 6)).unwrap();
        assert_eq!((v.items.len(), v.total, v.truncated()), (6, 6, false));
    }

    #[test]
    fn answers_and_review_states_come_with_the_patches() {
        let (_dir, store) = store_with(2);
        let id = store.patch(&batch(), "510104TD200000").unwrap().unwrap().id;
        store
            .conn
            .execute(
                r#"INSERT INTO answers (patch_id, part, answer, complete, version, updated_at, updated_by)
                   VALUES (?1, 0, '{"PDLX":"WF","JTQX":"WF01"}', 1, 1, 'T', 'u'),
                          (?1, 1, '{"PDLX":"HF"}', 1, 1, 'T', 'u')"#,
                [id],
            )
            .unwrap();
        store
            .conn
            .execute(
                "INSERT INTO reviews (patch_id, state, review, version, updated_at, updated_by)
                 VALUES (?1, 'city', '{}', 1, 'T', 'u')",
                [id],
            )
            .unwrap();
        let v = store
            .map_patches(&query([103.9, 29.9, 104.2, 30.1], None, 10))
            .unwrap();
        let p = v.items.iter().find(|p| p.id == id).unwrap();
        assert_eq!(p.category.as_deref(), Some("WF"));
        assert_eq!(p.review_state.as_deref(), Some("city"));
        let other = v.items.iter().find(|p| p.id != id).unwrap();
        assert_eq!(
            (other.category.as_deref(), other.review_state.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn layer_features_in_a_view_with_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let gd = layer::kind("gd").unwrap();
        // Nothing imported yet: an empty view.
        let v = store.map_layer(gd, [103.0, 29.0, 105.0, 31.0], 10).unwrap();
        assert_eq!((v.items.len(), v.total), (0, 0));
        let features: Vec<LayerFeature> = ["0101", "0102", "0103"]
            .iter()
            .enumerate()
            .map(|(i, dlbm)| LayerFeature {
                geometry: square(104.0 + 0.02 * i as f64, 30.0, 0.01),
                area_m2: 500.0 * (i + 1) as f64,
                keys: vec![AttrValue::Text((*dlbm).into())],
                attrs: vec![],
                source_row: i + 1,
            })
            .collect();
        let source = LayerSource {
            file: "gd.shp".into(),
            encoding: None,
            crs: "EPSG:4490".into(),
        };
        store.replace_layer(gd, &[], &features, &source).unwrap();
        let v = store
            .map_layer(gd, [104.005, 30.0, 104.025, 30.01], 10)
            .unwrap();
        assert_eq!(v.total, 2);
        let keys: Vec<_> = v.items.iter().map(|f| f.keys.clone()).collect();
        assert_eq!(
            keys,
            [
                vec![Some("0102".to_string())],
                vec![Some("0101".to_string())]
            ]
        );
        assert_eq!(v.items[0].geometry, square(104.02, 30.0, 0.01));
        assert!((v.items[0].area_m2 - 1000.0).abs() < 1e-9);
        // Just past the last one's edge: nothing.
        let v = store
            .map_layer(gd, [104.050_000_1, 30.0, 104.06, 30.01], 10)
            .unwrap();
        assert_eq!(v.total, 0);
        // Truncated to the largest.
        let v = store.map_layer(gd, [103.0, 29.0, 105.0, 31.0], 1).unwrap();
        assert_eq!((v.items.len(), v.total, v.truncated()), (1, 3, true));
        assert_eq!(v.items[0].keys, [Some("0103".to_string())]);
    }
}
