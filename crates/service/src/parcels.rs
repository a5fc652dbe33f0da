//! 地块拆分: a county splits a patch into parts judged separately.
//!
//! The parts must partition the patch — no gap, no overlap, nothing outside
//! — up to the year's tolerance for drawing slivers
//! (`[parcels] partition_tolerance_m2` in `data/determination/YEAR.toml`);
//! every problem is listed at once with its area. Each part's area is the
//! official ellipsoidal area, and its overlay figures are computed at once
//! against the layers near the patch (and again by `analyze` when a layer
//! changes). A split patch is answered per part; its figures are the sums of
//! its parts' ([`ParcelsView::totals`]).

use std::path::Path;

use geo_types::MultiPolygon;
use serde::Serialize;
use weipian_domain::access::{Actor, Op};
use weipian_domain::determination::CodeTable;
use weipian_domain::{BatchId, RegionCode};
use weipian_formats::ReadOptions;
use weipian_overlay::partition::check_partition;
use weipian_store::{NewAudit, OverlayRow, PatchShape, Store, StoredPatch};

use crate::answers::{get_part_answer, AnswerView};
use crate::prepare::{identify_crs, prepare_all, Prepared};
use crate::{NoProgress, Progress, RowProblem, ServiceError};

/// Most parts one patch may be split into.
pub const MAX_PARCELS: usize = 200;

/// One shape's overlay figures (a 地块, a feature of a case's range), m².
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ParcelFigures {
    /// Layer code → area inside the layer.
    pub layers: std::collections::BTreeMap<String, f64>,
    /// Layer code → area per class (耕地 by DLBM …).
    pub by_class: std::collections::BTreeMap<String, Vec<(String, f64)>>,
    /// Layer code → labels of the features met (批准文号 …).
    pub features: std::collections::BTreeMap<String, Vec<String>>,
}

/// One 地块 as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParcelView {
    /// 1, 2, …
    pub no: u32,
    /// `JCBH-n`.
    pub dkbh: String,
    /// Official ellipsoidal area, m², unrounded.
    pub area_m2: f64,
    pub figures: ParcelFigures,
    pub answer: AnswerView,
    /// GeoJSON geometry (EPSG:4490).
    pub geometry: serde_json::Value,
    pub created_at: String,
    pub created_by: String,
}

/// A patch's 地块 with their sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParcelsView {
    pub jcbh: String,
    /// The patch's own area, m².
    pub patch_area_m2: f64,
    pub parcels: Vec<ParcelView>,
    /// The patch's figures as the sums of its parts (empty when not split).
    pub totals: ParcelFigures,
    /// Sum of the parts' areas, m².
    pub total_area_m2: f64,
    /// Overlay problems of the parts (a layer that could not be overlaid).
    pub problems: Vec<RowProblem>,
}

/// The patch, if `actor` may read it (else not found), and whether it may determine it.
fn patch_for(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<(StoredPatch, bool), ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    let determine = RegionCode::parse(&patch.xzqdm).is_ok_and(|r| actor.may(Op::Determine, r));
    Ok((patch, determine))
}

pub(crate) fn figures(rows: &[&OverlayRow]) -> ParcelFigures {
    let mut f = ParcelFigures::default();
    for r in rows {
        f.layers.insert(r.layer.clone(), r.area_m2);
        if !r.by_class.is_empty() {
            f.by_class.insert(r.layer.clone(), r.by_class.clone());
        }
        if !r.features.is_empty() {
            f.features.insert(r.layer.clone(), r.features.clone());
        }
    }
    f
}

/// Sums of the parts' figures: areas per layer and per class added up,
/// feature labels united.
pub(crate) fn sum(parts: &[ParcelFigures]) -> ParcelFigures {
    let mut t = ParcelFigures::default();
    for p in parts {
        for (layer, a) in &p.layers {
            *t.layers.entry(layer.clone()).or_default() += a;
        }
        for (layer, classes) in &p.by_class {
            let acc = t.by_class.entry(layer.clone()).or_default();
            for (c, a) in classes {
                match acc.iter_mut().find(|(k, _)| k == c) {
                    Some((_, x)) => *x += a,
                    None => acc.push((c.clone(), *a)),
                }
            }
            acc.sort_by(|a, b| a.0.cmp(&b.0));
        }
        for (layer, labels) in &p.features {
            let acc = t.features.entry(layer.clone()).or_default();
            acc.extend(labels.iter().cloned());
            acc.sort();
            acc.dedup();
        }
    }
    t
}

/// The 地块 of a patch with their figures, answers and sums (anyone who may read the patch).
pub fn parcels(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<ParcelsView, ServiceError> {
    let (patch, _) = patch_for(store, actor, batch, jcbh)?;
    view(store, actor, &patch, Vec::new())
}

fn view(
    store: &Store,
    actor: &Actor,
    patch: &StoredPatch,
    problems: Vec<RowProblem>,
) -> Result<ParcelsView, ServiceError> {
    let rows = store.parcel_overlay_rows(patch.id)?;
    let mut out = Vec::new();
    for p in store.parcels(patch.id)? {
        let mine: Vec<&OverlayRow> = rows.iter().filter(|r| r.patch_id == p.id).collect();
        out.push(ParcelView {
            no: p.no,
            dkbh: crate::answers::part_label(&patch.jcbh, p.no),
            area_m2: p.area_m2,
            figures: figures(&mine),
            answer: get_part_answer(store, actor, &patch.batch, &patch.jcbh, p.no)?,
            geometry: weipian_formats::geojson::geometry_value(&p.geometry),
            created_at: p.created_at,
            created_by: p.created_by,
        });
    }
    let parts: Vec<ParcelFigures> = out.iter().map(|p| p.figures.clone()).collect();
    Ok(ParcelsView {
        jcbh: patch.jcbh.clone(),
        patch_area_m2: patch.area_m2,
        total_area_m2: out.iter().map(|p| p.area_m2).sum(),
        parcels: out,
        totals: sum(&parts),
        problems,
    })
}

/// A split request: the parts in EPSG:4490, already validated geometry.
#[derive(Debug, Clone)]
pub struct Split {
    pub batch: BatchId,
    pub jcbh: String,
    /// Where the parts came from (named in errors: a file, or the request).
    pub source: std::path::PathBuf,
    pub parts: Vec<MultiPolygon<f64>>,
    /// Re-split even though answers exist (they leave the current answers;
    /// history keeps every version).
    pub discard_answers: bool,
    pub reason: Option<String>,
}

/// Split a patch into 地块 (the county filler, in its county). Refused with
/// every problem listed when the parts do not partition the patch; nothing
/// is written then.
pub fn split(store: &mut Store, actor: &Actor, req: &Split) -> Result<ParcelsView, ServiceError> {
    let (patch, determine) = patch_for(store, actor, &req.batch, &req.jcbh)?;
    if !determine {
        return Err(ServiceError::Denied(format!(
            "{}不能拆分图斑（由县级填报）",
            actor.role
        )));
    }
    let reject = |problems: Vec<RowProblem>| ServiceError::Rejected {
        path: req.source.clone(),
        problems,
    };
    let problem = |row: usize, message: String| RowProblem {
        row,
        jcbh: Some(req.jcbh.clone()),
        message,
    };
    if req.parts.len() < 2 {
        return Err(reject(vec![problem(
            0,
            format!(
                "拆分须有至少 2 个地块，现有 {} 个（取消拆分请用“撤销拆分”）",
                req.parts.len()
            ),
        )]));
    }
    if req.parts.len() > MAX_PARCELS {
        return Err(reject(vec![problem(
            0,
            format!(
                "一个图斑最多拆分为 {MAX_PARCELS} 个地块，现有 {} 个",
                req.parts.len()
            ),
        )]));
    }
    let tolerance = CodeTable::embedded(req.batch.year)
        .map_or_else(weipian_domain::determination::ParcelPolicy::default, |t| {
            t.parcels.clone()
        })
        .partition_tolerance_m2;
    let check = check_partition(&patch.geometry, &req.parts)
        .map_err(|e| reject(vec![problem(0, format!("无法核对地块范围：{e}"))]))?;
    let mut problems = Vec::new();
    for (i, a) in check.outside.iter().enumerate() {
        if *a > tolerance {
            problems.push(problem(
                i + 1,
                format!("地块 {} 有 {a:.2} 平方米在图斑范围之外", i + 1),
            ));
        }
    }
    for (i, j, a) in &check.overlaps {
        if *a > tolerance {
            problems.push(problem(
                i + 1,
                format!("地块 {} 与地块 {} 重叠 {a:.2} 平方米", i + 1, j + 1),
            ));
        }
    }
    if check.gap > tolerance {
        problems.push(problem(
            0,
            format!(
                "图斑有 {:.2} 平方米未被任何地块覆盖（地块须完整覆盖图斑）",
                check.gap
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(reject(problems));
    }
    if let Some(weipian_store::SplitBlocker::Cases(ids)) =
        store.split_blocked(patch.id, req.discard_answers)?
    {
        return Err(ServiceError::Invalid(format!(
            "图斑 {} 的地块已关联案件（{}），不能重新拆分",
            req.jcbh,
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("、")
        )));
    }
    let parts: Vec<(MultiPolygon<f64>, f64)> = req
        .parts
        .iter()
        .cloned()
        .zip(check.part_areas.iter().copied())
        .collect();
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "parcels.split".into(),
        target: format!("{}/{}/{}", req.batch.year, req.batch.name, req.jcbh),
        before: None,
        after: None,
        reason: req.reason.clone(),
    };
    let stored = store.set_parcels(patch.id, &parts, req.discard_answers, &audit)?;
    // Figures of the new parts, against the layers near the patch.
    let shapes: Vec<PatchShape> = stored
        .iter()
        .map(|p| PatchShape {
            id: p.id,
            jcbh: crate::answers::part_label(&req.jcbh, p.no),
            kind: patch.kind,
            geometry: p.geometry.clone(),
            revision: p.created_at.clone(),
        })
        .collect();
    let (rows, problems) = crate::analyze::overlay_few(store, &shapes)?;
    store.save_parcel_overlay(&rows)?;
    view(store, actor, &patch, problems)
}

/// Undo a split: the patch is answered as a whole again.
pub fn unsplit(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
    discard_answers: bool,
    reason: Option<String>,
) -> Result<ParcelsView, ServiceError> {
    let (patch, determine) = patch_for(store, actor, batch, jcbh)?;
    if !determine {
        return Err(ServiceError::Denied(format!(
            "{}不能撤销拆分（由县级填报）",
            actor.role
        )));
    }
    if store.parcels(patch.id)?.is_empty() {
        return Err(ServiceError::Invalid(format!("图斑 {jcbh} 没有拆分")));
    }
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "parcels.unsplit".into(),
        target: format!("{}/{}/{jcbh}", batch.year, batch.name),
        before: None,
        after: None,
        reason,
    };
    store.set_parcels(patch.id, &[], discard_answers, &audit)?;
    view(store, actor, &patch, Vec::new())
}

/// Read the parts of a split from a file (Shapefile, GeoJSON, GeoPackage,
/// 国土 TXT; any supported CRS): projected to EPSG:4490 and validated, in
/// file order. A `JCBH`/`监测编号` column, if present, must name the patch
/// on every row.
pub fn read_parts(
    path: &Path,
    jcbh: &str,
    progress: &dyn Progress,
) -> Result<Vec<MultiPolygon<f64>>, ServiceError> {
    let mut ds = weipian_formats::read(
        path,
        &ReadOptions {
            max_bytes: 20 << 20,
            ..ReadOptions::default()
        },
    )?;
    let jcbh_col = ds
        .field_index("JCBH")
        .or_else(|| ds.field_index("监测编号"));
    let mut problems = Vec::new();
    if let Some(c) = jcbh_col {
        for f in &ds.features {
            let v = f.attrs.get(c).and_then(weipian_domain::AttrValue::as_text);
            if v.as_deref().map(str::trim) != Some(jcbh) {
                problems.push(RowProblem {
                    row: f.row,
                    jcbh: v,
                    message: format!("监测编号与要拆分的图斑 {jcbh} 不符"),
                });
            }
        }
    }
    let crs = identify_crs(path, &ds)?;
    let prepared = prepare_all(&mut ds, crs, progress);
    let mut parts = Vec::new();
    for p in prepared {
        match p {
            Ok(Prepared { geometry, .. }) => parts.push(geometry),
            Err(mut e) => {
                e.jcbh = Some(jcbh.to_string());
                problems.push(e);
            }
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Rejected {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(parts)
}

/// [`read_parts`] then [`split`].
pub fn split_from_file(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
    path: &Path,
    discard_answers: bool,
) -> Result<ParcelsView, ServiceError> {
    // Scope first: a file for someone else's patch is not even read.
    patch_for(store, actor, batch, jcbh)?;
    let parts = read_parts(path, jcbh, &NoProgress)?;
    split(
        store,
        actor,
        &Split {
            batch: batch.clone(),
            jcbh: jcbh.to_string(),
            source: path.to_path_buf(),
            parts,
            discard_answers,
            reason: Some(format!(
                "拆分文件：{}",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            )),
        },
    )
}

/// Split a patch along dividing lines drawn across it (lon/lat, EPSG:4490):
/// the patch is cut into its pieces by [`weipian_geo::cut::cut`] and the
/// pieces, largest first, become 地块 1, 2, … through [`split`] (the same
/// partition check, overlay and audit as a split from a file).
pub fn split_by_lines(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
    lines: &[geo_types::LineString<f64>],
    discard_answers: bool,
) -> Result<ParcelsView, ServiceError> {
    let (patch, _) = patch_for(store, actor, batch, jcbh)?;
    let pieces = weipian_geo::cut::cut(&patch.geometry, lines)
        .map_err(|e| ServiceError::Invalid(format!("图斑 {jcbh}：{e}")))?;
    split(
        store,
        actor,
        &Split {
            batch: batch.clone(),
            jcbh: jcbh.to_string(),
            source: std::path::PathBuf::from("分割线"),
            parts: pieces
                .into_iter()
                .map(|p| geo_types::MultiPolygon(vec![p]))
                .collect(),
            discard_answers,
            reason: Some(format!("按 {} 条分割线拆分", lines.len())),
        },
    )
}
