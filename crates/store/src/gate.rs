//! Spatial and code lookups for the approval gate (不得办理相关审批手续):
//! the patches near an extent or with a JCBH, and reference-layer features
//! by a key's value — never military land.

use geo_types::MultiPolygon;
use rusqlite::params;
use weipian_domain::layer::LayerKind;
use weipian_domain::{BatchId, PatchKind};

use crate::{Store, StoreError};

/// A patch with its shape, for overlap checks.
#[derive(Debug, Clone)]
pub struct NearPatch {
    pub id: i64,
    pub batch: BatchId,
    pub jcbh: String,
    pub xzqdm: String,
    pub kind: PatchKind,
    /// EPSG:4490.
    pub geometry: MultiPolygon<f64>,
}

impl Store {
    fn near_patches(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<NearPatch>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.fid, p.year, p.batch, p.jcbh, p.xzqdm, p.kind, p.geom FROM patches p
              WHERE {filter} AND p.fid {} ORDER BY p.year, p.batch, p.jcbh",
            crate::NOT_MILITARY
        ))?;
        let mut rows = stmt.query(args)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let year: i64 = r.get(1)?;
            let name: String = r.get(2)?;
            let jcbh: String = r.get(3)?;
            let batch = u16::try_from(year)
                .ok()
                .and_then(|y| BatchId::new(y, &name).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("批次标识无效：{year}/{name}")))?;
            let kind: String = r.get(5)?;
            let kind = PatchKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("图斑类别无效：“{kind}”")))?;
            let geometry = crate::stored_geometry(r.get_ref(6)?.as_blob_or_null()?, &jcbh)?;
            out.push(NearPatch {
                id: r.get(0)?,
                batch,
                jcbh,
                xzqdm: r.get(4)?,
                kind,
                geometry,
            });
        }
        Ok(out)
    }

    /// Every patch (any batch) whose extent meets `bbox` (minx, miny, maxx, maxy).
    pub fn patches_near(&self, bbox: [f64; 4]) -> Result<Vec<NearPatch>, StoreError> {
        self.near_patches(
            "p.fid IN (SELECT id FROM rtree_patches_geom
                        WHERE minx <= ?3 AND maxx >= ?1 AND miny <= ?4 AND maxy >= ?2)",
            &[&bbox[0], &bbox[1], &bbox[2], &bbox[3]],
        )
    }

    /// Every patch (any batch) with this JCBH.
    pub fn patches_with_jcbh(&self, jcbh: &str) -> Result<Vec<NearPatch>, StoreError> {
        self.near_patches("p.jcbh = ?1", &[&jcbh])
    }

    /// The shapes of a reference layer's features whose key `column` has
    /// `value` (e.g. the approvals with one 批准文号).
    pub fn layer_shapes_where(
        &self,
        kind: &LayerKind,
        column: &str,
        value: &str,
    ) -> Result<Vec<MultiPolygon<f64>>, StoreError> {
        let table = kind.table();
        if !weipian_formats::gpkg::table_exists(&self.conn, &table)?
            || !kind.keys.iter().any(|k| k.column == column)
        {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT fid, geom FROM {} WHERE {} = ?1 ORDER BY fid",
            weipian_formats::gpkg::quote_ident(&table),
            weipian_formats::gpkg::quote_ident(column)
        ))?;
        let mut rows = stmt.query(params![value])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let fid: i64 = r.get(0)?;
            out.push(crate::stored_geometry(
                r.get_ref(1)?.as_blob_or_null()?,
                &format!("{} fid {fid}", kind.name_zh),
            )?);
        }
        Ok(out)
    }
}
