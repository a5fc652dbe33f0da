//! County boundaries.

use std::collections::HashMap;

use rusqlite::{params, TransactionBehavior};
use weipian_domain::RegionCode;
use weipian_formats::gpkg;

use crate::schema::REGION_BOUNDARIES;
use crate::{
    area_problem, geometry_problem, log_import, stored_geometry, RegionBoundary, Store, StoreError,
};

impl Store {
    /// Replace all county boundaries, in one transaction. Returns the number stored.
    pub fn replace_region_boundaries(
        &mut self,
        rows: &[RegionBoundary],
        source: &str,
    ) -> Result<usize, StoreError> {
        let mut seen: HashMap<RegionCode, usize> = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let row = i + 1;
            let what = format!("行政区 {} {}", r.code, r.name);
            if let Some(first) = seen.insert(r.code, row) {
                return Err(StoreError::record(
                    row,
                    what,
                    format!("行政区代码与第 {first} 条重复"),
                ));
            }
            if let Some(p) = geometry_problem(&r.geometry).or_else(|| area_problem(r.area_m2)) {
                return Err(StoreError::record(row, what, p));
            }
        }
        let now = self.now()?;
        let fault = self.fault();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(&format!("DELETE FROM {REGION_BOUNDARIES}"), [])?;
        {
            let mut insert = tx.prepare(&format!(
                "INSERT INTO {REGION_BOUNDARIES} (geom, xzqdm, xzqmc, tqmj) VALUES (?1, ?2, ?3, ?4)"
            ))?;
            let mut blob = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                gpkg::encode_geometry_into(&r.geometry, gpkg::SRS_CGCS2000, &mut blob);
                insert.execute(params![&blob[..], r.code.to_string(), r.name, r.area_m2])?;
                fault.check(i + 1)?;
            }
        }
        gpkg::update_extent(&tx, REGION_BOUNDARIES)?;
        log_import(
            &tx,
            "regions",
            source,
            None,
            None,
            rows.len(),
            &format!("{} 个县级行政区", rows.len()),
            &now,
        )?;
        tx.commit()?;
        self.written();
        Ok(rows.len())
    }

    /// All county boundaries, by code.
    pub fn region_boundaries(&self) -> Result<Vec<RegionBoundary>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT xzqdm, xzqmc, geom, tqmj FROM {REGION_BOUNDARIES} ORDER BY xzqdm"
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let code_text: String = r.get(0)?;
            let code = RegionCode::parse(&code_text)
                .map_err(|e| StoreError::Corrupt(format!("县界表中的行政区代码无效：{e}")))?;
            let geometry = stored_geometry(
                r.get_ref(2)?.as_blob_or_null()?,
                &format!("县界 {code_text}"),
            )?;
            out.push(RegionBoundary {
                code,
                name: r.get(1)?,
                geometry,
                area_m2: r.get(3)?,
            });
        }
        Ok(out)
    }
}
