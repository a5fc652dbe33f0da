//! Export of patches to the exchange formats.
//!
//! An export carries the issued attributes exactly as issued, then weipian's
//! computed figures under the national codes: `JCMJ` (the patch's ellipsoidal
//! area), `JCGDMJ` (耕地, split into `STMJ`/`SJDMJ`/`HDMJ`), `YJJBNTMJ`,
//! `STBHHXMJ`, `ZRBHDMJ`, `PZYDMJ` — all in 亩, unrounded — what the patch
//! meets (`PZWH`, `BHDMC`, `KQKZ`), the flags (`ZDHC` 重点核查, `BMDTB`
//! 百亩大图斑, `ZYKZ` 重要矿种), `XZQFB` (area per county when it straddles a
//! border) and `TQMJ_M2` (the ellipsoidal area in m²). GeoJSON also carries
//! each area in m² (`<code>_M2`). An issued column whose name is one of these
//! is kept, renamed with the prefix `XF_` (e.g. `XF_JCMJ`).
//!
//! Overlay figures are empty (null) where the layer was not imported or the
//! analysis is out of date; the summary says how many.
//!
//! `TQMJ_M2` marks a file as a weipian export: importing it again drops the
//! computed columns and restores the `XF_` ones, so import → export → import
//! is lossless.

use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use weipian_domain::access::Actor;
use weipian_domain::{units, AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionCode};
use weipian_formats::{Dataset, Feature, Format};
use weipian_geo::crs::CrsHint;
use weipian_store::{OverlayRow, PatchQuery, Store};

use crate::figures::{area_fields, PatchFigures, GD_SPLIT};
use crate::{Progress, ServiceError};

/// The column that marks a weipian export.
pub const MARKER: &str = "TQMJ_M2";
/// Prefix of issued columns renamed because weipian computes that field.
pub const ISSUED_PREFIX: &str = "XF_";

/// Text computed columns (besides the areas).
const LABELS: &[(&str, &str)] = &[("PZWH", "pzyd"), ("BHDMC", "zrbhd"), ("KQKZ", "kq")];
const FLAGS: &[&str] = &["ZDHC", "BMDTB", "ZYKZ"];

/// Every column name weipian computes on export (all formats).
#[must_use]
pub fn computed_names() -> Vec<String> {
    let mut names = vec!["JCMJ".to_string()];
    names.extend(area_fields().map(|(f, _)| f.to_string()));
    names.extend(GD_SPLIT.iter().map(|(f, _)| (*f).to_string()));
    names.extend(LABELS.iter().map(|(f, _)| (*f).to_string()));
    names.extend(FLAGS.iter().map(|f| (*f).to_string()));
    names.push("XZQFB".into());
    let m2: Vec<String> = names
        .iter()
        .filter(|n| n.ends_with("MJ"))
        .map(|n| format!("{n}_M2"))
        .collect();
    names.extend(m2);
    names.push(MARKER.into());
    names.push("TQMJ".into()); // part-1 exports
    names
}

/// The `XF_` name of an issued column (≤ 10 characters, for DBF).
#[must_use]
pub fn issued_name(code: &str) -> String {
    let mut n = format!("{ISSUED_PREFIX}{code}");
    n.truncate(10);
    n
}

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
    /// Patches exported without (current) overlay figures: run `weipian analyze`.
    pub not_analyzed: usize,
    /// Field renames: issued fields clashing with computed ones, and those the
    /// format forced (Shapefile: ≤ 10 ASCII characters).
    pub renamed_fields: Vec<(String, String)>,
}

fn real() -> FieldType {
    FieldType::Real {
        width: 0,
        decimals: 0,
    }
}

fn text() -> FieldType {
    FieldType::Text { width: 0 }
}

fn yes_no(v: Option<bool>) -> AttrValue {
    match v {
        Some(true) => AttrValue::Text("是".into()),
        Some(false) => AttrValue::Text("否".into()),
        None => AttrValue::Null,
    }
}

fn mu(v: Option<f64>) -> AttrValue {
    v.map_or(AttrValue::Null, |m2| AttrValue::Real(units::mu(m2)))
}

fn m2(v: Option<f64>) -> AttrValue {
    v.map_or(AttrValue::Null, AttrValue::Real)
}

fn joined(v: Option<&[String]>) -> AttrValue {
    v.map_or(AttrValue::Null, |list| AttrValue::Text(list.join("；")))
}

/// Export a batch (optionally one kind, one region) to a file.
pub fn export_patches(
    store: &Store,
    actor: &Actor,
    req: &ExportRequest,
    progress: &dyn Progress,
) -> Result<ExportSummary, ServiceError> {
    progress.stage("读取图斑", 0);
    // Only what the actor may see; outside its scope is the same as empty.
    let patches = match crate::scope::region_filter(actor, req.region)? {
        Some(region) => store.patches(&PatchQuery {
            batch: req.batch.clone(),
            kind: req.kind,
            region,
        })?,
        None => Vec::new(),
    };
    let overlay = store.overlay_rows(&req.batch)?;
    let patch_revs = store.patch_revisions(&req.batch)?;
    let layer_revs = store.layer_revisions()?;
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
    let mut by_patch: HashMap<i64, Vec<&OverlayRow>> = HashMap::new();
    for row in &overlay {
        by_patch.entry(row.patch_id).or_default().push(row);
    }

    // Issued columns: every field (land first, then mineral-only ones), renamed where weipian computes that name.
    let computed = computed_names();
    let mut renamed_fields = Vec::new();
    let mut issued: Vec<FieldDef> = Vec::new();
    for kind in [PatchKind::Land, PatchKind::Mineral] {
        if req.kind.is_some_and(|k| k != kind) {
            continue;
        }
        for f in store.batch_fields(&req.batch, kind)?.unwrap_or_default() {
            if !issued.iter().any(|g| g.name.eq_ignore_ascii_case(&f.name)) {
                issued.push(f);
            }
        }
    }
    let mut fields: Vec<FieldDef> = issued
        .iter()
        .map(|f| {
            if computed.iter().any(|c| c.eq_ignore_ascii_case(&f.name)) {
                let to = issued_name(&f.name);
                renamed_fields.push((f.name.clone(), to.clone()));
                FieldDef::new(to, f.field_type)
            } else {
                f.clone()
            }
        })
        .collect();
    let geojson = req.format == Format::GeoJson;
    let area_cols: Vec<(&str, Option<&str>)> = std::iter::once(("JCMJ", None))
        .chain(area_fields().map(|(f, k)| (f, Some(k.code))))
        .collect();
    for (name, _) in &area_cols {
        fields.push(FieldDef::new(*name, real()));
    }
    for (name, _) in GD_SPLIT {
        fields.push(FieldDef::new(*name, real()));
    }
    for (name, _) in LABELS {
        fields.push(FieldDef::new(*name, text()));
    }
    for name in FLAGS {
        fields.push(FieldDef::new(*name, text()));
    }
    fields.push(FieldDef::new("XZQFB", text()));
    fields.push(FieldDef::new(MARKER, real()));
    if geojson {
        for (name, _) in &area_cols {
            if *name != "JCMJ" {
                fields.push(FieldDef::new(format!("{name}_M2"), real()));
            }
        }
    }

    progress.stage("整理属性与叠加分析结果", patches.len() as u64);
    let mut area_m2 = 0.0;
    let mut not_analyzed = 0;
    let mut features = Vec::with_capacity(patches.len());
    for (i, p) in patches.into_iter().enumerate() {
        let figures = PatchFigures::new(
            by_patch.get(&p.id).into_iter().flatten().copied(),
            patch_revs.get(&p.id).map(String::as_str),
            &layer_revs,
        );
        let mut attrs = vec![AttrValue::Null; issued.len()];
        for (f, v) in p.fields.iter().zip(&p.attrs) {
            if let Some(pos) = issued
                .iter()
                .position(|g| g.name.eq_ignore_ascii_case(&f.name))
            {
                attrs[pos] = v.clone();
            }
        }
        let areas: Vec<Option<f64>> = area_cols
            .iter()
            .map(|(_, layer)| layer.map_or(Some(p.area_m2), |l| figures.area(l)))
            .collect();
        // Out of date: an imported layer without a current result (layers
        // never imported are simply empty, not a reason to re-run).
        let stale = area_cols
            .iter()
            .zip(&areas)
            .any(|((_, l), a)| a.is_none() && l.is_some_and(|l| layer_revs.contains_key(l)));
        if stale {
            not_analyzed += 1;
        }
        attrs.extend(areas.iter().map(|a| mu(*a)));
        attrs.extend(
            GD_SPLIT
                .iter()
                .map(|(_, class)| mu(figures.class_area("gd", class))),
        );
        attrs.extend(
            LABELS
                .iter()
                .map(|(_, layer)| joined(figures.labels(layer))),
        );
        attrs.push(yes_no(figures.key_check()));
        attrs.push(yes_no(figures.baimu()));
        attrs.push(yes_no(figures.important_mineral(&p)));
        attrs.push(match figures.counties() {
            Some(list) if list.len() > 1 => AttrValue::Text(
                list.iter()
                    .map(|(c, a)| format!("{c}:{}", units::mu(*a)))
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
            Some(_) => AttrValue::Text(String::new()),
            None => AttrValue::Null,
        });
        attrs.push(AttrValue::Real(p.area_m2));
        if geojson {
            attrs.extend(areas.iter().skip(1).map(|a| m2(*a)));
        }
        area_m2 += p.area_m2;
        progress.advance(1);
        features.push(Feature {
            row: i + 1,
            geometry: Some(p.geometry),
            attrs,
            repairs: Vec::new(),
        });
    }
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
    let format = match req.format {
        Format::Shapefile => {
            let report = weipian_formats::shp::write(&req.out, &dataset)?;
            renamed_fields.extend(report.renamed);
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
            // Chinese headers come from the national field table; add the renamed and m² ones.
            let mut options = weipian_formats::xlsx::XlsxOptions::default();
            let names = area_cols
                .iter()
                .map(|(n, _)| *n)
                .chain(GD_SPLIT.iter().map(|(n, _)| *n));
            for name in names {
                if let Some(h) = weipian_domain::fields::header_zh(name) {
                    options
                        .headers
                        .insert(name.to_string(), format!("{h}（亩）"));
                }
            }
            for (from, to) in &renamed_fields {
                if let Some(h) = weipian_domain::fields::header_zh(from) {
                    options.headers.insert(to.clone(), format!("下发{h}"));
                }
            }
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
        not_analyzed,
        renamed_fields,
    })
}
