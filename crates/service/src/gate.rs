//! The approval gate (#6, point 8): “对卫片执法发现的违法行为未依法处理到位的，
//! 不得办理相关审批手续”. An approval desk gives the land it is about to
//! approve — a polygon file (Shapefile, GeoJSON, GeoPackage, 国土 TXT; CGCS2000
//! only, read like every import) or a code (a JCBH, a 地块 `JCBH-n`, or a
//! 批准文号 of the approvals layer) — and learns whether it overlaps an
//! unresolved violation, and which.
//!
//! Unresolved: the current answer of the patch (or 地块) is 违法 and no case
//! it belongs to has eliminated the illegal state (消除违法状态) or carried
//! its decision out (落实到位). Overlaps are exact ellipsoidal areas (the
//! overlay engine). Violations outside the asker's region are counted, not
//! named; military land never appears.

use std::path::Path;

use geo::BoundingRect;
use geo_types::MultiPolygon;
use serde::Serialize;
use weipian_domain::access::{Actor, Op};
use weipian_domain::case::Case;
use weipian_domain::determination::{Answer, CodeTable, Legality};
use weipian_domain::RegionCode;
use weipian_formats::ReadOptions;
use weipian_overlay::{overlay, LayerIndex, AREA_EPSILON_M2};
use weipian_store::Store;

use crate::prepare::{identify_crs, prepare_all};
use crate::{NoProgress, RowProblem, ServiceError};

/// What to check.
#[derive(Debug, Clone, Copy)]
pub enum GateInput<'a> {
    /// A polygon file.
    File(&'a Path),
    /// A JCBH, `JCBH-n`, or 批准文号.
    Code(&'a str),
}

/// An unresolved violation the land overlaps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateHit {
    /// `YEAR/BATCH`.
    pub batch: String,
    pub jcbh: String,
    /// 0 for the whole patch, n for 地块 n.
    pub part: u32,
    /// `JCBH` or `JCBH-n`.
    pub label: String,
    pub county: String,
    /// 判定类型 / 具体情形.
    pub category: String,
    pub sub: Option<String>,
    /// The case (违法行为编号), if one was opened.
    pub case: Option<String>,
    /// Where the handling stands, in words.
    pub status: String,
    /// Area of the violation within the land checked, m², unrounded.
    pub overlap_m2: f64,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateAnswer {
    /// No unresolved violation anywhere in the land.
    pub clear: bool,
    /// The land checked: its shapes and their official area, m².
    pub shapes: usize,
    pub area_m2: f64,
    pub hits: Vec<GateHit>,
    /// Unresolved violations in the land but outside the asker's region
    /// (counted, not named).
    pub outside_region: usize,
    /// The answer in words.
    pub message: String,
}

/// The land a code names.
fn shapes_of_code(store: &Store, code: &str) -> Result<Vec<MultiPolygon<f64>>, ServiceError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(ServiceError::Invalid(
            "请给出图斑编号、地块编号或批准文号".into(),
        ));
    }
    let whole = store.patches_with_jcbh(code)?;
    if !whole.is_empty() {
        return Ok(whole.into_iter().map(|p| p.geometry).collect());
    }
    if let Some((jcbh, no)) = code.rsplit_once('-') {
        if let Ok(no) = no.parse::<u32>() {
            let mut out = Vec::new();
            for p in store.patches_with_jcbh(jcbh)? {
                out.extend(
                    store
                        .parcels(p.id)?
                        .into_iter()
                        .filter(|d| d.no == no)
                        .map(|d| d.geometry),
                );
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
    }
    let approvals = weipian_domain::layer::kind("pzyd")
        .map(|k| store.layer_shapes_where(k, "PZWH", code))
        .transpose()?
        .unwrap_or_default();
    if approvals.is_empty() {
        return Err(ServiceError::NotFound(format!(
            "编号为“{code}”的图斑、地块或批准文号"
        )));
    }
    Ok(approvals)
}

/// The land a file holds (CGCS2000 only, validated, measured).
fn shapes_of_file(path: &Path) -> Result<Vec<(MultiPolygon<f64>, f64)>, ServiceError> {
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
    let crs = identify_crs(path, &ds)?;
    let mut good = Vec::new();
    let mut problems = Vec::new();
    for r in prepare_all(&mut ds, crs, &NoProgress) {
        match r {
            Ok(p) => good.push((p.geometry, p.area_m2)),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Rejected {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(good)
}

/// How far the handling of an illegal part has come; `None` when resolved.
fn unresolved_status(
    store: &Store,
    patch_id: i64,
    part: u32,
) -> Result<Option<(String, Option<String>)>, ServiceError> {
    let mut best: Option<(String, Option<String>)> = None;
    for case_id in store.cases_of_patch(patch_id)? {
        if !store.case_links(case_id)?.contains(&(patch_id, part)) {
            continue;
        }
        let Some(row) = store.case(case_id)? else {
            continue;
        };
        let Ok(case) = serde_json::from_str::<Case>(&row.record) else {
            continue;
        };
        if case.eliminated.is_some() || case.enforced.is_some() {
            return Ok(None);
        }
        let status = match (&case.filing, &case.decision) {
            (None, _) => "已建案，尚未立案查处",
            (Some(_), None) => "已立案，尚未作出处理决定",
            (Some(_), Some(_)) => "已作出处理决定，尚未落实到位",
        };
        best = Some((status.to_string(), Some(case.number)));
    }
    Ok(Some(best.unwrap_or_else(|| {
        ("判定为违法，尚未立案查处".to_string(), None)
    })))
}

/// Check the land against every unresolved violation.
pub fn check(
    store: &Store,
    actor: &Actor,
    input: GateInput<'_>,
) -> Result<GateAnswer, ServiceError> {
    if !actor.may_at_all(Op::ReadPatches) {
        return Err(ServiceError::Denied(format!(
            "{}不能查询违法用地",
            actor.role
        )));
    }
    let shapes: Vec<(MultiPolygon<f64>, f64)> = match input {
        GateInput::File(path) => shapes_of_file(path)?,
        GateInput::Code(code) => shapes_of_code(store, code)?
            .into_iter()
            .map(|g| {
                let a = weipian_geo::area::ellipsoidal_area(&g);
                (g, a)
            })
            .collect(),
    };
    let area_m2: f64 = shapes.iter().map(|(_, a)| a).sum();
    let bbox = shapes
        .iter()
        .filter_map(|(g, _)| g.bounding_rect())
        .reduce(|a, b| {
            geo_types::Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .ok_or_else(|| ServiceError::Invalid("所给范围没有有效图形".into()))?;
    let land = LayerIndex::new(shapes.iter().map(|(g, _)| (g.clone(), 0)).collect());
    let mut hits = Vec::new();
    let mut outside_region = 0;
    let near = store.patches_near([bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y])?;
    for p in near {
        let Some(table) = CodeTable::embedded(p.batch.year) else {
            continue;
        };
        let parcels = store.parcels(p.id)?;
        let parts: Vec<(u32, MultiPolygon<f64>)> = if parcels.is_empty() {
            vec![(0, p.geometry.clone())]
        } else {
            parcels.into_iter().map(|d| (d.no, d.geometry)).collect()
        };
        for (part, geometry) in parts {
            let Some(stored) = store.answer(p.id, part)? else {
                continue;
            };
            let Ok(answer) = serde_json::from_str::<Answer>(&stored.answer) else {
                continue;
            };
            let illegal = table
                .categories(p.kind)
                .iter()
                .any(|c| c.code == answer.category && c.legality == Legality::Illegal);
            if !illegal {
                continue;
            }
            let Some((status, case)) = unresolved_status(store, p.id, part)? else {
                continue;
            };
            let overlap = overlay(&geometry, &land).map_err(|e| {
                ServiceError::Invalid(format!("无法计算与图斑 {} 的重叠：{e}", p.jcbh))
            })?;
            if overlap.area_m2 <= AREA_EPSILON_M2 {
                continue;
            }
            let visible = RegionCode::parse(&p.xzqdm).is_ok_and(|c| actor.may(Op::ReadPatches, c));
            if !visible {
                outside_region += 1;
                continue;
            }
            hits.push(GateHit {
                batch: p.batch.to_string(),
                jcbh: p.jcbh.clone(),
                part,
                label: crate::answers::part_label(&p.jcbh, part),
                county: p.xzqdm.clone(),
                category: answer.category.clone(),
                sub: answer.sub.clone(),
                case,
                status,
                overlap_m2: overlap.area_m2,
            });
        }
    }
    let clear = hits.is_empty() && outside_region == 0;
    let message = if clear {
        "所查范围内没有未依法处理到位的违法用地，可以办理相关审批手续".to_string()
    } else {
        let mut m = format!(
            "所查范围与 {} 处未依法处理到位的违法用地重叠，不得办理相关审批手续",
            hits.len() + outside_region
        );
        if outside_region > 0 {
            m.push_str(&format!("（其中 {outside_region} 处在本辖区以外）"));
        }
        m
    };
    Ok(GateAnswer {
        clear,
        shapes: shapes.len(),
        area_m2,
        hits,
        outside_region,
        message,
    })
}
