//! The illegal-land vector range of a case (标准格式违法用地矢量范围): the
//! county uploads the surveyed extent of the illegal land as Shapefile,
//! GeoJSON, GeoPackage or 国土 TXT. It is read like every import (CRS
//! recognised and only CGCS2000 accepted, geometry validated, official
//! ellipsoidal areas), then checked against the case: every feature inside
//! the case's county (up to the year's tolerance) and overlapping at least
//! one of the case's patches or 地块. Each feature gets its overlay figures
//! (耕地, 永久基本农田 …) from the layers near it. An upload replaces the
//! previous range as a whole; the audit trail keeps what it replaced.

use std::path::Path;

use serde::Serialize;
use weipian_domain::access::{Actor, Op};
use weipian_domain::determination::{CodeTable, RangePolicy};
use weipian_domain::RegionCode;
use weipian_formats::ReadOptions;
use weipian_overlay::{overlay, LayerIndex, AREA_EPSILON_M2};
use weipian_store::{NewAudit, NewRangeFeature, OverlayRow, PatchShape, Store};

use crate::parcels::{figures, sum, ParcelFigures};
use crate::prepare::{identify_crs, prepare_all, Prepared};
use crate::{NoProgress, RowProblem, ServiceError};

/// One feature of a range as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RangeFeatureView {
    pub no: u32,
    /// Official ellipsoidal area, m², unrounded.
    pub area_m2: f64,
    pub figures: ParcelFigures,
    /// The file's attributes (地块名称, 用途 …).
    pub attrs: serde_json::Value,
    /// GeoJSON geometry (EPSG:4490).
    pub geometry: serde_json::Value,
}

/// A case's range with its totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RangeView {
    pub case_id: i64,
    pub source: Option<String>,
    pub uploaded_at: Option<String>,
    pub uploaded_by: Option<String>,
    pub features: Vec<RangeFeatureView>,
    pub total_area_m2: f64,
    pub totals: ParcelFigures,
    /// Things a reviewer should know (a linked patch the range does not touch …).
    pub warnings: Vec<String>,
}

/// The range of a case (anyone who may read the case).
pub fn range(store: &Store, actor: &Actor, case_id: i64) -> Result<RangeView, ServiceError> {
    crate::cases::get_case(store, actor, case_id)?;
    view(store, case_id, Vec::new())
}

fn view(store: &Store, case_id: i64, warnings: Vec<String>) -> Result<RangeView, ServiceError> {
    let rows = store.case_range(case_id)?;
    let mut features = Vec::with_capacity(rows.len());
    for r in &rows {
        let figures: ParcelFigures = serde_json::from_str(&r.figures).map_err(|e| {
            ServiceError::Store(weipian_store::StoreError::Corrupt(format!(
                "案件 {case_id} 违法用地范围要素 {} 的叠加结果：{e}",
                r.no
            )))
        })?;
        features.push(RangeFeatureView {
            no: r.no,
            area_m2: r.area_m2,
            figures,
            attrs: serde_json::from_str(&r.attrs).unwrap_or(serde_json::Value::Null),
            geometry: weipian_formats::geojson::geometry_value(&r.geometry),
        });
    }
    let parts: Vec<ParcelFigures> = features.iter().map(|f| f.figures.clone()).collect();
    Ok(RangeView {
        case_id,
        source: rows.first().map(|r| r.source.clone()),
        uploaded_at: rows.first().map(|r| r.uploaded_at.clone()),
        uploaded_by: rows.first().map(|r| r.uploaded_by.clone()),
        total_area_m2: features.iter().map(|f| f.area_m2).sum(),
        totals: sum(&parts),
        features,
        warnings,
    })
}

/// Upload the range of a case from a file (the county filler of the case's
/// county). Every problem is listed at once; nothing is written then.
pub fn upload_range(
    store: &mut Store,
    actor: &Actor,
    case_id: i64,
    path: &Path,
) -> Result<RangeView, ServiceError> {
    let case = crate::cases::get_case(store, actor, case_id)?;
    let county = RegionCode::parse(&case.county)
        .map_err(|_| ServiceError::NotFound(format!("案件 {case_id}")))?;
    if !actor.may(Op::Determine, county) {
        return Err(ServiceError::Denied(format!(
            "{}不能上传违法用地矢量范围（由县级填报）",
            actor.role
        )));
    }
    let policy = case
        .patches
        .first()
        .and_then(|label| label.split('/').next()?.parse::<u16>().ok())
        .and_then(CodeTable::embedded)
        .map_or_else(RangePolicy::default, |t| t.case_range.clone());
    let mut ds = weipian_formats::read(
        path,
        &ReadOptions {
            max_bytes: 50 << 20,
            ..ReadOptions::default()
        },
    )?;
    if ds.features.is_empty() {
        return Err(ServiceError::Rejected {
            path: path.to_path_buf(),
            problems: vec![RowProblem {
                row: 0,
                jcbh: None,
                message: "文件中没有要素".into(),
            }],
        });
    }
    let attrs: Vec<serde_json::Value> = ds
        .features
        .iter()
        .map(|f| {
            let mut o = serde_json::Map::new();
            for (field, v) in ds.fields.iter().zip(&f.attrs) {
                if let Some(t) = v.as_text() {
                    o.insert(field.name.clone(), t.into());
                }
            }
            serde_json::Value::Object(o)
        })
        .collect();
    let rows: Vec<usize> = ds.features.iter().map(|f| f.row).collect();
    let crs = identify_crs(path, &ds)?;
    let prepared = prepare_all(&mut ds, crs, &NoProgress);

    let boundary = store.region_boundary(&county)?.ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有县 {county} 的界线，无法核对违法用地范围（先导入县界）"
        ))
    })?;
    let county_index = LayerIndex::new(vec![(boundary.geometry, 0)]);
    let linked = store.case_shapes(case_id)?;
    let linked_index = LayerIndex::new(linked.iter().map(|(_, g)| (g.clone(), 0)).collect());
    let mut touched = vec![false; linked.len()];
    let mut problems = Vec::new();
    let mut good: Vec<(Prepared, serde_json::Value)> = Vec::new();
    for ((row, prep), attrs) in rows.iter().zip(prepared).zip(attrs) {
        let p = match prep {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let problem = |message: String| RowProblem {
            row: *row,
            jcbh: None,
            message,
        };
        match overlay(&p.geometry, &county_index) {
            Ok(o) => {
                let outside = p.area_m2 - o.area_m2;
                if outside > policy.outside_county_tolerance_m2 {
                    problems.push(problem(format!(
                        "有 {outside:.2} 平方米在案件所在县 {county}（{}）之外",
                        boundary.name
                    )));
                }
            }
            Err(e) => problems.push(problem(format!("无法核对是否在县内：{e}"))),
        }
        match overlay(&p.geometry, &linked_index) {
            Ok(o) if o.area_m2 > AREA_EPSILON_M2 => {
                for i in o.features {
                    touched[i] = true;
                }
            }
            Ok(_) => problems.push(problem(format!(
                "不与案件关联的任何图斑（{}）重叠",
                linked
                    .iter()
                    .map(|(l, _)| l.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ))),
            Err(e) => problems.push(problem(format!("无法核对与图斑的重叠：{e}"))),
        }
        good.push((p, attrs));
    }
    if !problems.is_empty() {
        return Err(ServiceError::Rejected {
            path: path.to_path_buf(),
            problems,
        });
    }
    let warnings: Vec<String> = linked
        .iter()
        .zip(&touched)
        .filter(|(_, t)| !**t)
        .map(|((l, _), _)| format!("案件关联的图斑 {l} 不在违法用地范围内"))
        .collect();

    // Overlay figures of each feature, from the layers near them.
    let shapes: Vec<PatchShape> = good
        .iter()
        .enumerate()
        .map(|(i, (p, _))| PatchShape {
            id: i64::try_from(i).unwrap_or(i64::MAX),
            jcbh: format!("要素 {}", i + 1),
            kind: weipian_domain::PatchKind::Land,
            geometry: p.geometry.clone(),
            revision: String::new(),
        })
        .collect();
    let (overlay_rows, overlay_problems) = crate::analyze::overlay_few(store, &shapes)?;
    if !overlay_problems.is_empty() {
        return Err(ServiceError::Rejected {
            path: path.to_path_buf(),
            problems: overlay_problems,
        });
    }
    let mut features = Vec::with_capacity(good.len());
    for (i, (p, attrs)) in good.into_iter().enumerate() {
        let id = i64::try_from(i).unwrap_or(i64::MAX);
        let mine: Vec<&OverlayRow> = overlay_rows.iter().filter(|r| r.patch_id == id).collect();
        features.push(NewRangeFeature {
            geometry: p.geometry,
            area_m2: p.area_m2,
            figures: serde_json::to_string(&figures(&mine))
                .map_err(|e| ServiceError::Invalid(e.to_string()))?,
            attrs: attrs.to_string(),
        });
    }
    let source = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "case.range".into(),
        target: format!("case/{}/{}", case.county, case.case.number),
        before: None,
        after: None,
        reason: None,
    };
    store.set_case_range(case_id, &features, &source, &audit)?;
    view(store, case_id, warnings)
}
