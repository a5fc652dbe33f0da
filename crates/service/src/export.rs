//! Export of patches to the exchange formats.
//!
//! An export carries the issued attributes exactly as issued, then weipian's
//! computed areas: `TQMJ` (ellipsoidal area in 亩, unrounded) and `TQMJ_M2`
//! (the same in m²). Geometry is EPSG:4490.

use serde::Serialize;
use std::path::PathBuf;
use weipian_domain::{units, AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionCode};
use weipian_formats::{Dataset, Feature, Format};
use weipian_geo::crs::CrsHint;
use weipian_store::{PatchQuery, Store};

use crate::{Progress, ServiceError};

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub batch: BatchId,
    pub kind: Option<PatchKind>,
    pub region: Option<RegionCode>,
    pub format: Format,
    pub out: PathBuf,
}

/// Result of an export.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub out: PathBuf,
    pub format: String,
    pub patches: usize,
    pub area_m2: f64,
    /// Field renames the format forced (Shapefile: ≤ 10 ASCII characters).
    pub renamed_fields: Vec<(String, String)>,
}

/// Export a batch (optionally one kind, one region) to a file.
pub fn export_patches(
    store: &Store,
    req: &ExportRequest,
    progress: &dyn Progress,
) -> Result<ExportSummary, ServiceError> {
    progress.stage("读取图斑", 0);
    let query = PatchQuery {
        batch: req.batch.clone(),
        kind: req.kind,
        region: req.region,
    };
    let patches = store.patches(&query)?;
    progress.finish_stage();
    if patches.is_empty() {
        let mut what = format!("批次 {}", req.batch);
        if let Some(k) = req.kind {
            what.push_str(&format!(" 的{}图斑", k.name_zh()));
        }
        if let Some(r) = req.region {
            what.push_str(&format!("（行政区 {r}）"));
        }
        return Err(ServiceError::Invalid(format!("{what}没有可导出的图斑")));
    }

    // The columns: every issued field (land first, then mineral-only ones), then the computed ones.
    let mut fields: Vec<FieldDef> = Vec::new();
    for kind in [PatchKind::Land, PatchKind::Mineral] {
        if req.kind.is_some_and(|k| k != kind) {
            continue;
        }
        if let Some(schema) = store.batch_fields(&req.batch, kind)? {
            for f in schema {
                if !fields.iter().any(|g| g.name.eq_ignore_ascii_case(&f.name)) {
                    fields.push(f);
                }
            }
        }
    }
    let issued = fields.len();
    fields.push(FieldDef::new(
        "TQMJ",
        FieldType::Real {
            width: 0,
            decimals: 0,
        },
    ));
    fields.push(FieldDef::new(
        "TQMJ_M2",
        FieldType::Real {
            width: 0,
            decimals: 0,
        },
    ));

    progress.stage("整理属性", patches.len() as u64);
    let mut area_m2 = 0.0;
    let features: Vec<Feature> = patches
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let mut attrs = vec![AttrValue::Null; fields.len()];
            for (f, v) in p.fields.iter().zip(p.attrs) {
                if let Some(pos) = fields[..issued]
                    .iter()
                    .position(|g| g.name.eq_ignore_ascii_case(&f.name))
                {
                    attrs[pos] = v;
                }
            }
            attrs[issued] = AttrValue::Real(units::mu(p.area_m2));
            attrs[issued + 1] = AttrValue::Real(p.area_m2);
            area_m2 += p.area_m2;
            progress.advance(1);
            Feature {
                row: i + 1,
                geometry: Some(p.geometry),
                attrs,
                repairs: Vec::new(),
            }
        })
        .collect();
    progress.finish_stage();
    let count = features.len();
    let dataset = Dataset {
        source: req.out.clone(),
        fields,
        features,
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    };

    progress.stage(&format!("写出 {}", req.out.display()), 0);
    let mut renamed_fields = Vec::new();
    let format = match req.format {
        Format::Shapefile => {
            let report = weipian_formats::shp::write(&req.out, &dataset)?;
            renamed_fields = report.renamed;
            "shp"
        }
        Format::GeoJson => {
            weipian_formats::geojson::write(&req.out, &dataset)?;
            "geojson"
        }
        Format::GeoPackage => {
            weipian_formats::gpkg::write(&req.out, "patches", &dataset)?;
            "gpkg"
        }
        Format::Xlsx => {
            // Headers come from the national field table (TQMJ → 椭球面积（亩）…).
            let options = weipian_formats::xlsx::XlsxOptions::default();
            weipian_formats::xlsx::write(&req.out, &dataset, &options)?;
            "xlsx"
        }
        Format::Txt => return Err(ServiceError::Invalid("暂不支持导出为国土 TXT 格式".into())),
    };
    progress.finish_stage();
    Ok(ExportSummary {
        out: req.out.clone(),
        format: format.into(),
        patches: count,
        area_m2,
        renamed_fields,
    })
}
