//! The geometry half of every import: identify the CRS, project to EPSG:4490,
//! validate (recording repairs), compute the ellipsoidal area. Rows are
//! processed in parallel; results come back in row order.

use geo_types::{MultiPolygon, Rect};
use rayon::prelude::*;
use std::path::Path;
use weipian_formats::Dataset;
use weipian_geo::crs::{self, Crs};
use weipian_geo::validate::Repair;

use crate::{Progress, RowProblem, ServiceError};

/// A feature's geometry ready to store.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
    pub repairs: Vec<Repair>,
}

/// The bounding box of every finite coordinate in the dataset.
pub(crate) fn dataset_bbox(ds: &Dataset) -> Option<Rect<f64>> {
    let (mut minx, mut miny, mut maxx, mut maxy) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for f in &ds.features {
        let Some(g) = &f.geometry else { continue };
        for p in g {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for c in ring {
                    if c.x.is_finite() && c.y.is_finite() {
                        minx = minx.min(c.x);
                        maxx = maxx.max(c.x);
                        miny = miny.min(c.y);
                        maxy = maxy.max(c.y);
                    }
                }
            }
        }
    }
    (minx <= maxx && miny <= maxy).then(|| Rect::new((minx, miny), (maxx, maxy)))
}

/// Decide the dataset's CRS from its metadata and coordinate range.
pub(crate) fn identify_crs(path: &Path, ds: &Dataset) -> Result<Crs, ServiceError> {
    crs::identify(&ds.crs, dataset_bbox(ds)).map_err(|source| ServiceError::Crs {
        path: path.to_path_buf(),
        source,
    })
}

/// Project, validate and measure every feature. Takes the geometries out of
/// the dataset. Returns one result per feature, in order; a failed row
/// carries its problem (the JCBH is filled in by the caller).
pub(crate) fn prepare_all(
    ds: &mut Dataset,
    crs: Crs,
    progress: &dyn Progress,
) -> Vec<Result<Prepared, RowProblem>> {
    progress.stage("投影、校验并计算椭球面积", ds.features.len() as u64);
    let out = ds
        .features
        .par_iter_mut()
        .map(|f| {
            let row = f.row;
            let problem = |message: String| RowProblem {
                row,
                jcbh: None,
                message,
            };
            let reader_repairs = std::mem::take(&mut f.repairs);
            let Some(mut geometry) = f.geometry.take() else {
                progress.advance(1);
                return Err(problem("图形为空（空记录或 NULL 图形）".into()));
            };
            let result = (|| {
                crs::to_geographic(crs, &mut geometry).map_err(|e| problem(e.to_string()))?;
                let validated = weipian_geo::validate::validate(geometry)
                    .map_err(|e| problem(e.to_string()))?;
                let area_m2 = weipian_geo::area::ellipsoidal_area(&validated.geometry);
                let mut repairs = reader_repairs;
                repairs.extend(validated.repairs);
                Ok(Prepared {
                    geometry: validated.geometry,
                    area_m2,
                    repairs,
                })
            })();
            progress.advance(1);
            result
        })
        .collect();
    progress.finish_stage();
    out
}
