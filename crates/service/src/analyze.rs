//! Overlay analysis (`weipian analyze`): for every patch of a batch, the
//! area inside each reference layer (union-correct), per class where the layer
//! has classes (耕地 by DLBM), the layer features it meets (批准文号, 矿种…) and
//! its area per county. Results are stored per (patch, layer) with the
//! revisions of both inputs; without `force` only stale pairs are recomputed.

use geo_types::MultiPolygon;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use weipian_domain::{BatchId, LayerKind, LAYER_KINDS};
use weipian_overlay::{county_shares, overlay_all, LayerBuilder, LayerIndex};
use weipian_store::{OverlayRow, PatchShape, Store, COUNTIES};

use crate::{Progress, RowProblem, ServiceError};

/// What to analyse.
#[derive(Debug, Clone)]
pub struct AnalyzeRequest {
    pub batch: BatchId,
    /// Recompute everything, not only what changed.
    pub force: bool,
}

/// Per-layer figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct LayerRun {
    pub layer: String,
    pub name_zh: String,
    pub features: usize,
    /// Patches recomputed against this layer in this run.
    pub recomputed: usize,
    /// Patches whose stored result was still current.
    pub reused: usize,
}

/// Result of `analyze`.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyzeSummary {
    pub batch: String,
    pub patches: usize,
    /// 地块 of split patches, analysed with them (not counted in `patches`,
    /// nor in the per-layer counts).
    pub parcels: usize,
    pub layers: Vec<LayerRun>,
    /// Reference layers not imported (their figures stay empty).
    pub missing_layers: Vec<String>,
    /// Patches the overlay engine could not handle, with their JCBH.
    pub problems: Vec<RowProblem>,
}

/// Is the stored row for (patch, layer) current?
fn current(row: Option<&(i64, String)>, layer_rev: i64, patch_rev: Option<&String>) -> bool {
    matches!((row, patch_rev), (Some((l, p)), Some(pr)) if *l == layer_rev && p == pr)
}

/// Run the overlay analysis of a batch.
pub fn analyze(
    store: &mut Store,
    actor: &weipian_domain::access::Actor,
    req: &AnalyzeRequest,
    progress: &dyn Progress,
) -> Result<AnalyzeSummary, ServiceError> {
    if !actor.may_at_all(weipian_domain::access::Op::ManageData) {
        return Err(ServiceError::Denied(format!(
            "{}不能运行叠加分析（由管理员运行）",
            actor.role
        )));
    }
    progress.stage("读取图斑", 0);
    let t = std::time::Instant::now();
    let patches = store.patch_shapes(&req.batch)?;
    progress.finish_stage();
    if patches.is_empty() {
        return Err(ServiceError::Invalid(format!(
            "批次 {} 没有图斑（用 weipian batches 查看已导入批次）",
            req.batch
        )));
    }
    tracing::info!(
        patches = patches.len(),
        secs = t.elapsed().as_secs_f64(),
        "read patches"
    );
    // 地块 are analysed after the patches, as shapes of their own:
    // `shapes[..n]` are patches, the rest parcels.
    let n = patches.len();
    let mut patches = patches;
    patches.extend(store.parcel_shapes(&req.batch)?);
    // Geometries apart, so a layer that needs every patch borrows them instead of copying.
    let geometries: Vec<MultiPolygon<f64>> = patches
        .iter_mut()
        .map(|p| std::mem::replace(&mut p.geometry, MultiPolygon(Vec::new())))
        .collect();
    let layer_revs = store.layer_revisions()?;
    // With --force nothing stored is reused, so nothing needs reading.
    let (stored, stored_parcels) = if req.force {
        (HashMap::new(), HashMap::new())
    } else {
        (
            store.overlay_revisions(&req.batch)?,
            store.parcel_overlay_revisions(&req.batch)?,
        )
    };

    let mut rows = Vec::new();
    let mut runs = Vec::new();
    let mut missing_layers = Vec::new();
    let mut problems = Vec::new();

    // Which shapes (indices, in order) need this layer (or the counties) recomputed.
    let stale = |layer: &str, rev: i64| -> Vec<usize> {
        (0..patches.len())
            .filter(|&i| {
                let p = &patches[i];
                let stored = if i < n { &stored } else { &stored_parcels };
                req.force
                    || !current(
                        stored.get(&(p.id, layer.to_string())),
                        rev,
                        Some(&p.revision),
                    )
            })
            .collect()
    };
    let mut parcel_rows = Vec::new();

    for kind in LAYER_KINDS {
        let Some(&rev) = layer_revs.get(kind.code) else {
            missing_layers.push(format!("{}（{}）", kind.code, kind.name_zh));
            continue;
        };
        let todo = stale(kind.code, rev);
        if todo.is_empty() {
            runs.push(LayerRun {
                layer: kind.code.into(),
                name_zh: kind.name_zh.into(),
                features: 0,
                recomputed: 0,
                reused: n,
            });
            continue;
        }
        let (mut run, new_rows, mut errs) =
            overlay_layer(store, kind, rev, &patches, &geometries, &todo, progress)?;
        run.recomputed = todo.iter().filter(|&&i| i < n).count();
        run_push(&mut runs, run, n);
        for (i, row) in new_rows {
            if i < n {
                rows.push(row);
            } else {
                parcel_rows.push(row);
            }
        }
        problems.append(&mut errs);
    }

    // Area per county, for patches on a border.
    if let Some(&rev) = layer_revs.get(COUNTIES) {
        let mut todo = stale(COUNTIES, rev);
        todo.retain(|&i| i < n); // parts lie in their patch's counties
        if !todo.is_empty() {
            progress.stage("计算图斑在各县的面积", todo.len() as u64);
            let t = std::time::Instant::now();
            let counties = store.region_boundaries()?;
            let codes: Vec<String> = counties.iter().map(|c| c.code.to_string()).collect();
            let index = LayerIndex::new(counties.into_iter().map(|c| (c.geometry, 0)).collect());
            let shares: Vec<_> = {
                use rayon::prelude::*;
                todo.par_iter()
                    .map(|p| {
                        let r = county_shares(&geometries[*p], &index);
                        progress.advance(1);
                        r
                    })
                    .collect()
            };
            for (p, share) in todo.iter().map(|&i| &patches[i]).zip(shares) {
                match share {
                    Ok(list) => {
                        let by_class: Vec<(String, f64)> =
                            list.iter().map(|(i, a)| (codes[*i].clone(), *a)).collect();
                        rows.push(OverlayRow {
                            patch_id: p.id,
                            layer: COUNTIES.into(),
                            layer_revision: rev,
                            patch_revision: p.revision.clone(),
                            area_m2: by_class.iter().map(|(_, a)| a).sum(),
                            features: by_class.iter().map(|(c, _)| c.clone()).collect(),
                            by_class,
                        });
                    }
                    Err(e) => problems.push(RowProblem {
                        row: 0,
                        jcbh: Some(p.jcbh.clone()),
                        message: format!("计算所在县面积失败：{e}"),
                    }),
                }
            }
            tracing::info!(
                patches = todo.len(),
                secs = t.elapsed().as_secs_f64(),
                "county shares done"
            );
            progress.finish_stage();
            run_push(
                &mut runs,
                LayerRun {
                    layer: COUNTIES.into(),
                    name_zh: "县级行政区".into(),
                    features: codes.len(),
                    recomputed: todo.len(),
                    reused: 0,
                },
                n,
            );
        }
    } else {
        missing_layers.push(format!("{COUNTIES}（县级行政区界线）"));
    }

    progress.stage("保存分析结果", 0);
    let t = std::time::Instant::now();
    // With --force every patch was recomputed: its stored results are
    // replaced as a whole (a layer that failed keeps no stale figure).
    let ids: Vec<i64> = patches[..n].iter().map(|p| p.id).collect();
    store.save_overlay(&rows, req.force.then_some(ids.as_slice()))?;
    store.save_parcel_overlay(&parcel_rows)?;
    tracing::info!(
        rows = rows.len(),
        secs = t.elapsed().as_secs_f64(),
        "results saved"
    );
    progress.finish_stage();
    problems.sort_by(|a, b| a.jcbh.cmp(&b.jcbh));
    Ok(AnalyzeSummary {
        batch: req.batch.to_string(),
        patches: n,
        parcels: patches.len() - n,
        layers: runs,
        missing_layers,
        problems,
    })
}

/// How current a batch's overlay figures are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalysisStatus {
    pub batch: String,
    pub patches: usize,
    /// Patches with at least one figure missing or computed from an older
    /// revision of the patch, a layer or the county boundaries: what a run
    /// without `force` would recompute.
    pub stale: usize,
    /// Reference layers (and the county boundaries) not imported.
    pub missing_layers: Vec<String>,
}

/// Which patches of a batch need the overlay analysis (run again), without
/// running it: the same test [`analyze`] applies.
pub fn status(
    store: &Store,
    actor: &weipian_domain::access::Actor,
    batch: &BatchId,
) -> Result<AnalysisStatus, ServiceError> {
    if !actor.may_at_all(weipian_domain::access::Op::ManageData) {
        return Err(ServiceError::Denied(format!(
            "{}不能查看叠加分析状态（由管理员运行）",
            actor.role
        )));
    }
    let patches = store.patch_revisions(batch)?;
    let layer_revs = store.layer_revisions()?;
    let stored = store.overlay_revisions(batch)?;
    let mut layers: Vec<(&str, i64)> = Vec::new();
    let mut missing_layers = Vec::new();
    for kind in LAYER_KINDS {
        match layer_revs.get(kind.code) {
            Some(&rev) => layers.push((kind.code, rev)),
            None => missing_layers.push(format!("{}（{}）", kind.code, kind.name_zh)),
        }
    }
    match layer_revs.get(COUNTIES) {
        Some(&rev) => layers.push((COUNTIES, rev)),
        None => missing_layers.push(format!("{COUNTIES}（县级行政区界线）")),
    }
    let stale = patches
        .iter()
        .filter(|(id, rev)| {
            layers.iter().any(|(layer, layer_rev)| {
                !current(
                    stored.get(&(**id, (*layer).to_string())),
                    *layer_rev,
                    Some(rev),
                )
            })
        })
        .count();
    Ok(AnalysisStatus {
        batch: batch.to_string(),
        patches: patches.len(),
        stale,
        missing_layers,
    })
}

fn run_push(runs: &mut Vec<LayerRun>, mut run: LayerRun, total: usize) {
    run.reused = total - run.recomputed;
    runs.push(run);
}

/// A reference layer read into an overlay index, with what the rows need.
struct LayerRead {
    index: LayerIndex,
    /// The label key (批准文号, 矿种…) of each feature, in index order.
    labels: Vec<Option<String>>,
    /// Class texts by class number; `None` when the layer has no class key.
    classes: Option<Vec<String>>,
    features: usize,
}

/// Per reader thread: a builder and what goes with its features.
struct ReadPart {
    builder: LayerBuilder,
    /// Rows the part is expected to hold.
    expected: usize,
    labels: Vec<Option<String>>,
    seen: HashMap<String, u16>,
    scratch: Vec<geo_types::Coord<f64>>,
}

impl ReadPart {
    fn new(rows: usize) -> Self {
        ReadPart {
            builder: LayerBuilder::with_capacity(rows, 0),
            expected: rows,
            labels: Vec::new(),
            seen: HashMap::new(),
            scratch: Vec::new(),
        }
    }
}

/// Class texts numbered in a table shared by the reader threads (a handful
/// of DLBM codes: each thread asks it only for a text it has not seen yet);
/// a blank class is a class of its own (“”), so it is counted in the
/// layer's total but in no named class.
struct ClassTable(std::sync::Mutex<Vec<String>>);

impl ClassTable {
    fn class_of(&self, seen: &mut HashMap<String, u16>, text: &str) -> u16 {
        if let Some(&c) = seen.get(text) {
            return c;
        }
        let mut table = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = match table.iter().position(|t| t == text) {
            Some(i) => i,
            None => {
                table.push(text.to_string());
                table.len() - 1
            }
        };
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        seen.insert(text.to_string(), c);
        c
    }
}

/// Add one stored feature to a reader part.
fn read_feature(
    kind: &LayerKind,
    cols: (Option<usize>, Option<usize>),
    classes: &ClassTable,
    part: &mut ReadPart,
    fid: i64,
    blob: &[u8],
    keys: &[Option<&str>],
) -> Result<(), weipian_store::StoreError> {
    let (class_col, label_col) = cols;
    let text = |c: Option<usize>| {
        c.and_then(|c| keys.get(c).copied().flatten())
            .map(str::trim)
            .filter(|t| !t.is_empty())
    };
    let class = match class_col {
        Some(_) => classes.class_of(&mut part.seen, text(class_col).unwrap_or("")),
        None => 0,
    };
    part.labels.push(text(label_col).map(str::to_string));
    part.builder.begin_feature(class);
    let ReadPart {
        builder,
        scratch,
        expected,
        ..
    } = part;
    let any = weipian_formats::gpkg::visit_rings(blob, scratch, |ring, outer| {
        builder.push_ring(ring, outer);
    })
    .map_err(|p| {
        weipian_store::StoreError::Corrupt(format!(
            "{} fid {fid} 的图形无法解析：{p}",
            kind.name_zh
        ))
    })?;
    builder.end_feature();
    // Reserve the part's coordinates once, from its first features:
    // growing by doubling copies and re-faults hundreds of MB.
    if builder.len() == 1024 {
        let per_feature = builder.coords_len() / 1024 + 1;
        let rest = expected.saturating_sub(1024);
        builder.reserve(rest, per_feature * rest * 9 / 8);
    }
    if !any {
        return Err(weipian_store::StoreError::Corrupt(format!(
            "{} fid {fid} 的图形为空",
            kind.name_zh
        )));
    }
    Ok(())
}

/// Read a layer (all of it, on every core; or only the features whose boxes
/// meet `within`) into an overlay index.
fn read_layer(
    store: &Store,
    kind: &'static LayerKind,
    within: Option<[f64; 4]>,
) -> Result<LayerRead, ServiceError> {
    let t = std::time::Instant::now();
    let col = |name: Option<&str>| name.and_then(|n| kind.keys.iter().position(|k| k.column == n));
    let cols = (col(kind.class_key), col(kind.label_key));
    let classes = ClassTable(std::sync::Mutex::new(Vec::new()));
    let parts = match within {
        None => store.scan_layer(kind, ReadPart::new, |part, fid, blob, keys| {
            read_feature(kind, cols, &classes, part, fid, blob, keys)
        })?,
        Some(bbox) => {
            let mut part = ReadPart::new(0);
            store.scan_layer_within(kind, bbox, |fid, blob, keys| {
                read_feature(kind, cols, &classes, &mut part, fid, blob, keys)
            })?;
            vec![part]
        }
    };
    let mut builder = LayerBuilder::new();
    let mut labels: Vec<Option<String>> = Vec::new();
    for part in parts {
        builder.append(part.builder);
        labels.extend(part.labels);
    }
    let classes = classes
        .0
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let features = builder.len();
    let index = builder.finish();
    tracing::debug!(
        layer = kind.code,
        features,
        secs = t.elapsed().as_secs_f64(),
        "layer read and indexed"
    );
    if !index.skipped().is_empty() {
        tracing::warn!(
            layer = kind.code,
            skipped = index.skipped().len(),
            "features without a usable ring take no part"
        );
    }
    Ok(LayerRead {
        index,
        labels,
        classes: cols.0.map(|_| classes),
        features,
    })
}

/// The stored row of one overlay result.
fn overlay_row(
    kind: &LayerKind,
    rev: i64,
    shape: &PatchShape,
    ov: &weipian_overlay::Overlap,
    layer: &LayerRead,
) -> OverlayRow {
    let by_class = match &layer.classes {
        Some(classes) => {
            let mut named: Vec<(String, f64)> = ov
                .by_class
                .iter()
                .map(|(c, a)| {
                    (
                        classes.get(usize::from(*c)).cloned().unwrap_or_default(),
                        *a,
                    )
                })
                .collect();
            // Class numbers depend on reading order: sort by text.
            named.sort_by(|a, b| a.0.cmp(&b.0));
            named
        }
        None => Vec::new(),
    };
    let features: BTreeSet<String> = ov
        .features
        .iter()
        .filter_map(|i| layer.labels.get(*i).cloned().flatten())
        .collect();
    OverlayRow {
        patch_id: shape.id,
        layer: kind.code.into(),
        layer_revision: rev,
        patch_revision: shape.revision.clone(),
        area_m2: ov.area_m2,
        by_class,
        features: features.into_iter().collect(),
    }
}

/// What overlaying one layer gave: the run's figures, rows tagged with
/// their shape's index, problems.
type LayerOutcome = (LayerRun, Vec<(usize, OverlayRow)>, Vec<RowProblem>);

/// Overlay the `todo` shapes with one layer: rows tagged with the shape's index.
fn overlay_layer(
    store: &Store,
    kind: &'static LayerKind,
    rev: i64,
    patches: &[PatchShape],
    geometries: &[MultiPolygon<f64>],
    todo: &[usize],
    progress: &dyn Progress,
) -> Result<LayerOutcome, ServiceError> {
    progress.stage(&format!("读取{}图层并建立空间索引", kind.name_zh), 0);
    let t = std::time::Instant::now();
    let layer = read_layer(store, kind, None)?;
    tracing::info!(
        layer = kind.code,
        features = layer.features,
        secs = t.elapsed().as_secs_f64(),
        "layer read and indexed"
    );
    progress.finish_stage();

    progress.stage(
        &format!(
            "叠加分析：{}（{} 个图斑 × {} 个要素）",
            kind.name_zh,
            todo.len(),
            layer.features
        ),
        0,
    );
    let geoms: Cow<'_, [MultiPolygon<f64>]> = if todo.len() == geometries.len() {
        Cow::Borrowed(geometries) // every patch, in order
    } else {
        Cow::Owned(todo.iter().map(|&i| geometries[i].clone()).collect())
    };
    let t = std::time::Instant::now();
    let results = overlay_all(&geoms, &layer.index);
    tracing::info!(
        layer = kind.code,
        patches = geoms.len(),
        secs = t.elapsed().as_secs_f64(),
        "overlay done"
    );
    progress.finish_stage();

    let mut rows = Vec::with_capacity(todo.len());
    let mut problems = Vec::new();
    for (&i, r) in todo.iter().zip(results) {
        let p = &patches[i];
        match r {
            Ok(ov) => rows.push((i, overlay_row(kind, rev, p, &ov, &layer))),
            Err(e) => problems.push(RowProblem {
                row: 0,
                jcbh: Some(p.jcbh.clone()),
                message: format!("{}叠加失败：{e}", kind.name_zh),
            }),
        }
    }
    let run = LayerRun {
        layer: kind.code.into(),
        name_zh: kind.name_zh.into(),
        features: layer.features,
        recomputed: todo.len(),
        reused: 0,
    };
    Ok((run, rows, problems))
}

/// Overlay a few shapes (a patch's 地块, EPSG:4490 with their own geometry)
/// with every imported layer, reading only the features near them. Rows
/// carry `shape.id`; county shares are not computed.
pub(crate) fn overlay_few(
    store: &Store,
    shapes: &[PatchShape],
) -> Result<(Vec<OverlayRow>, Vec<RowProblem>), ServiceError> {
    use geo::BoundingRect;
    let mut bbox: Option<geo_types::Rect<f64>> = None;
    for s in shapes {
        if let Some(r) = s.geometry.bounding_rect() {
            bbox = Some(match bbox {
                None => r,
                Some(b) => geo_types::Rect::new(
                    (b.min().x.min(r.min().x), b.min().y.min(r.min().y)),
                    (b.max().x.max(r.max().x), b.max().y.max(r.max().y)),
                ),
            });
        }
    }
    let Some(bbox) = bbox else {
        return Ok((Vec::new(), Vec::new()));
    };
    let within = [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y];
    let layer_revs = store.layer_revisions()?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for kind in LAYER_KINDS {
        let Some(&rev) = layer_revs.get(kind.code) else {
            continue;
        };
        let layer = read_layer(store, kind, Some(within))?;
        for s in shapes {
            match weipian_overlay::overlay(&s.geometry, &layer.index) {
                Ok(ov) => rows.push(overlay_row(kind, rev, s, &ov, &layer)),
                Err(e) => problems.push(RowProblem {
                    row: 0,
                    jcbh: Some(s.jcbh.clone()),
                    message: format!("{}叠加失败：{e}", kind.name_zh),
                }),
            }
        }
    }
    Ok((rows, problems))
}
