//! Import of county boundaries, reference layers and patch batches.
//!
//! Every import reads the whole file, checks every row, and writes only when
//! nothing was wrong — in one store transaction.

use geo::{BoundingRect, Centroid, Contains};
use geo_types::{MultiPolygon, Point};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use weipian_domain::access::{Actor, Op};
use weipian_domain::{AttrValue, BatchId, FieldDef, PatchKind, RegionCode, RegionTable};
use weipian_formats::{Dataset, ReadOptions, TextEncoding};
use weipian_geo::crs::Crs;
use weipian_geo::validate::Repair;
use weipian_store::{BatchMeta, LayerFeature, LayerSource, NewPatch, RegionBoundary, Store};

use crate::prepare::{identify_crs, prepare_all, Prepared};
use crate::{Progress, RowProblem, ServiceError};

/// Read a file with the given encoding choice.
fn read(
    path: &Path,
    encoding: TextEncoding,
    progress: &dyn Progress,
) -> Result<Dataset, ServiceError> {
    progress.stage(&format!("读取 {}", path.display()), 0);
    let options = ReadOptions {
        encoding,
        ..ReadOptions::default()
    };
    let ds = weipian_formats::read(path, &options)?;
    progress.finish_stage();
    Ok(ds)
}

/// Whether `actor` may import county boundaries or reference layers
/// (checked before an upload is accepted, and again by the import).
pub fn may_import_national_tables(actor: &Actor) -> Result<(), ServiceError> {
    national_admin(actor, "县级行政区界线或基础图层")
}

/// Whether `actor` may import patch batches (checked before an upload is
/// accepted, and again by the import).
pub fn may_import_patches(actor: &Actor) -> Result<(), ServiceError> {
    if actor.may_at_all(Op::ManageData) {
        Ok(())
    } else {
        Err(ServiceError::Denied(format!(
            "{}不能导入图斑（由管理员导入）",
            actor.role
        )))
    }
}

/// Region boundaries and reference layers are whole national tables: only
/// an administrator of the whole country replaces them.
fn national_admin(actor: &Actor, what: &str) -> Result<(), ServiceError> {
    if actor.may_at_all(Op::ManageData) && actor.scope == weipian_domain::access::Scope::National {
        Ok(())
    } else {
        Err(ServiceError::Denied(format!(
            "{}（{}）不能导入{what}（须为全国管理员）",
            actor.role,
            actor.scope.code()
        )))
    }
}

fn rejected(path: &Path, mut problems: Vec<RowProblem>) -> ServiceError {
    problems.sort_by_key(|p| p.row);
    ServiceError::Rejected {
        path: path.to_path_buf(),
        problems,
    }
}

fn file_problem(path: &Path, message: String) -> ServiceError {
    rejected(
        path,
        vec![RowProblem {
            row: 0,
            jcbh: None,
            message,
        }],
    )
}

/// A repair made to one patch, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct RepairNote {
    pub row: usize,
    pub jcbh: Option<String>,
    pub repairs: Vec<String>,
}

/// What a file was, as the import understood it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub file: PathBuf,
    pub features: usize,
    pub crs: String,
    pub epsg: u32,
    pub encoding: Option<String>,
}

/// The source recorded with an import: the file's name. Where it was on
/// the importing machine (or in the server's upload folder) means nothing
/// to the others who read the record.
fn recorded_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn source_info(path: &Path, ds: &Dataset, crs: Crs) -> SourceInfo {
    SourceInfo {
        file: path.to_path_buf(),
        features: ds.features.len(),
        crs: crs.name_zh(),
        epsg: crs.epsg(),
        encoding: ds.encoding.clone(),
    }
}

fn repair_note(row: usize, jcbh: Option<&str>, repairs: &[Repair]) -> Option<RepairNote> {
    (!repairs.is_empty()).then(|| RepairNote {
        row,
        jcbh: jcbh.map(str::to_string),
        repairs: repairs.iter().map(ToString::to_string).collect(),
    })
}

// ---------------------------------------------------------------- regions

/// Result of `import regions`.
#[derive(Debug, Clone, Serialize)]
pub struct RegionImportSummary {
    pub source: SourceInfo,
    pub imported: usize,
    pub warnings: Vec<RowProblem>,
    pub repairs: Vec<RepairNote>,
}

/// Import county boundaries (fields XZQDM and XZQMC), replacing the previous set.
pub fn import_regions(
    store: &mut Store,
    actor: &Actor,
    table: &RegionTable,
    path: &Path,
    encoding: TextEncoding,
    progress: &dyn Progress,
) -> Result<RegionImportSummary, ServiceError> {
    national_admin(actor, "县级行政区界线")?;
    let mut ds = read(path, encoding, progress)?;
    let code_col = ds
        .field_index("XZQDM")
        .ok_or_else(|| file_problem(path, "缺少字段 XZQDM（行政区代码）".into()))?;
    let name_col = ds.field_index("XZQMC");
    let crs = identify_crs(path, &ds)?;
    let source = source_info(path, &ds, crs);
    let rows: Vec<(usize, Option<String>, Option<String>)> = ds
        .features
        .iter()
        .map(|f| {
            (
                f.row,
                f.attrs[code_col].as_text(),
                name_col.and_then(|i| f.attrs[i].as_text()),
            )
        })
        .collect();
    let prepared = prepare_all(&mut ds, crs, progress);

    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut repairs = Vec::new();
    let mut seen: HashMap<RegionCode, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for ((row, code, name), prep) in rows.into_iter().zip(prepared) {
        let problem = |message: String| RowProblem {
            row,
            jcbh: None,
            message,
        };
        let code = match code.as_deref().map(RegionCode::parse) {
            None => {
                problems.push(problem("XZQDM 为空".into()));
                continue;
            }
            Some(Err(e)) => {
                problems.push(problem(e.to_string()));
                continue;
            }
            Some(Ok(c)) => c,
        };
        match table.get(code) {
            Some(r) if r.county_level => {
                if let Some(n) = &name {
                    if n != &r.name {
                        warnings.push(problem(format!(
                            "XZQMC “{n}” 与行政区划表中 {code} 的名称 “{}” 不一致",
                            r.name
                        )));
                    }
                }
                if r.development_zone {
                    warnings.push(problem(format!(
                        "{code} 为开发区统计代码，不是 GB/T 2260 县级区划"
                    )));
                }
            }
            Some(r) => {
                problems.push(problem(format!("{code}（{}）不是县级行政区", r.name)));
                continue;
            }
            None => {
                problems.push(problem(format!("行政区划表中没有代码 {code}")));
                continue;
            }
        }
        if let Some(first) = seen.insert(code, row) {
            problems.push(problem(format!("XZQDM {code} 与第 {first} 条记录重复")));
            continue;
        }
        match prep {
            Err(p) => problems.push(p),
            Ok(Prepared {
                geometry,
                area_m2,
                repairs: r,
            }) => {
                repairs.extend(repair_note(row, None, &r));
                let name = name
                    .or_else(|| table.get(code).map(|r| r.name.clone()))
                    .unwrap_or_default();
                out.push(RegionBoundary {
                    code,
                    name,
                    geometry,
                    area_m2,
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(rejected(path, problems));
    }
    progress.stage("写入数据库", 0);
    let imported = store.replace_region_boundaries(&out, &recorded_name(path))?;
    progress.finish_stage();
    Ok(RegionImportSummary {
        source,
        imported,
        warnings,
        repairs,
    })
}

// ---------------------------------------------------------------- layers

/// Result of `import layer`.
#[derive(Debug, Clone, Serialize)]
pub struct LayerImportSummary {
    pub kind: String,
    pub kind_zh: String,
    pub source: SourceInfo,
    pub imported: usize,
    pub area_m2: f64,
    pub repairs: Vec<RepairNote>,
}

/// Import a reference layer of `kind` (e.g. `gd`), replacing its previous contents.
pub fn import_layer(
    store: &mut Store,
    actor: &Actor,
    kind_code: &str,
    path: &Path,
    encoding: TextEncoding,
    progress: &dyn Progress,
) -> Result<LayerImportSummary, ServiceError> {
    national_admin(actor, "基础图层")?;
    let kind = weipian_domain::layer::kind(kind_code).ok_or_else(|| {
        let known: Vec<String> = weipian_domain::LAYER_KINDS
            .iter()
            .map(|k| format!("{}（{}）", k.code, k.name_zh))
            .collect();
        ServiceError::Invalid(format!(
            "未知的图层类型 “{kind_code}”，可用：{}",
            known.join("、")
        ))
    })?;
    let mut ds = read(path, encoding, progress)?;
    // Locate the key attributes.
    let mut key_cols = Vec::with_capacity(kind.keys.len());
    for key in kind.keys {
        let col = key.sources.iter().find_map(|s| ds.field_index(s));
        if col.is_none() && key.required {
            return Err(file_problem(
                path,
                format!(
                    "{}图层缺少字段 {}（{}），可接受的字段名：{}",
                    kind.name_zh,
                    key.column,
                    key.name_zh,
                    key.sources.join("、")
                ),
            ));
        }
        key_cols.push(col);
    }
    let crs = identify_crs(path, &ds)?;
    let source = source_info(path, &ds, crs);
    let attrs: Vec<(usize, Vec<AttrValue>)> = ds
        .features
        .iter_mut()
        .map(|f| (f.row, std::mem::take(&mut f.attrs)))
        .collect();
    let prepared = prepare_all(&mut ds, crs, progress);

    let mut problems = Vec::new();
    let mut repairs = Vec::new();
    let mut out = Vec::with_capacity(attrs.len());
    for ((row, attrs), prep) in attrs.into_iter().zip(prepared) {
        let mut keys = Vec::with_capacity(kind.keys.len());
        for (key, col) in kind.keys.iter().zip(&key_cols) {
            let v = col.map_or(AttrValue::Null, |c| attrs[c].clone());
            if key.required && v.as_text().is_none() {
                problems.push(RowProblem {
                    row,
                    jcbh: None,
                    message: format!("{}（{}）为空", key.column, key.name_zh),
                });
            }
            keys.push(v);
        }
        match prep {
            Err(p) => problems.push(p),
            Ok(Prepared {
                geometry,
                area_m2,
                repairs: r,
            }) => {
                repairs.extend(repair_note(row, None, &r));
                out.push(LayerFeature {
                    geometry,
                    area_m2,
                    keys,
                    attrs,
                    source_row: row,
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(rejected(path, problems));
    }
    progress.stage("写入数据库", 0);
    let layer_source = LayerSource {
        file: recorded_name(path),
        encoding: ds.encoding.clone(),
        crs: crs.name_zh(),
    };
    let imported = store.replace_layer(kind, &ds.fields, &out, &layer_source)?;
    progress.finish_stage();
    let area_m2 = out.iter().map(|f| f.area_m2).sum();
    Ok(LayerImportSummary {
        kind: kind.code.to_string(),
        kind_zh: kind.name_zh.to_string(),
        source,
        imported,
        area_m2,
        repairs,
    })
}

// ---------------------------------------------------------------- patches

/// What to import.
#[derive(Debug, Clone)]
pub struct PatchImportRequest {
    pub path: PathBuf,
    pub batch: BatchId,
    pub kind: PatchKind,
    pub encoding: TextEncoding,
}

/// Result of `import patches`.
#[derive(Debug, Clone, Serialize)]
pub struct PatchImportSummary {
    pub batch: String,
    pub kind: PatchKind,
    pub source: SourceInfo,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Patches of this batch and kind already stored but absent from the file (kept).
    pub not_in_file: usize,
    /// Sum of the ellipsoidal areas of the file's patches, m².
    pub area_m2: f64,
    pub repairs: Vec<RepairNote>,
    /// Problems that do not stop the import (listed per JCBH).
    pub warnings: Vec<RowProblem>,
    /// weipian's own computed columns found in the file and not kept as issued.
    pub ignored_columns: Vec<String>,
}

/// County boundaries by code, for the XZQDM checks.
struct Counties {
    boundaries: HashMap<RegionCode, MultiPolygon<f64>>,
}

impl Counties {
    fn load(store: &Store) -> Result<Self, ServiceError> {
        let boundaries = store
            .region_boundaries()?
            .into_iter()
            .map(|b| (b.code, b.geometry))
            .collect();
        Ok(Self { boundaries })
    }

    fn is_empty(&self) -> bool {
        self.boundaries.is_empty()
    }

    /// Whether `p` is inside county `code`; `None` when its boundary is unknown.
    fn contains(&self, code: RegionCode, p: Point<f64>) -> Option<bool> {
        self.boundaries.get(&code).map(|b| b.contains(&p))
    }

    /// The county whose boundary holds `p`.
    fn locate(&self, p: Point<f64>) -> Option<RegionCode> {
        self.boundaries
            .iter()
            .filter(|(_, b)| {
                b.bounding_rect().is_some_and(|r| {
                    r.min().x <= p.x()
                        && p.x() <= r.max().x
                        && r.min().y <= p.y()
                        && p.y() <= r.max().y
                })
            })
            .find(|(_, b)| b.contains(&p))
            .map(|(c, _)| *c)
    }
}

/// Largest relative difference between an issued area and the geometry's
/// ellipsoidal area that is not worth a warning.
pub const ISSUED_AREA_TOLERANCE: f64 = 0.001;

/// A warning when the issued JCMJ differs from the geometry's area by more
/// than 0.1 %. Issued areas are in 亩 in the national table; m² and 公顷 are
/// accepted too (whichever matches), so only a real disagreement is reported.
fn issued_area_mismatch(value: Option<&AttrValue>, area_m2: f64) -> Option<String> {
    use weipian_domain::units;
    let issued = value?.as_f64()?;
    if area_m2 <= 0.0 {
        return None;
    }
    let candidates = [units::mu(area_m2), area_m2, units::hectares(area_m2)];
    let off = |c: f64| (issued - c).abs() / c;
    if candidates.iter().any(|c| off(*c) <= ISSUED_AREA_TOLERANCE) {
        return None;
    }
    Some(format!(
        "下发监测面积 JCMJ = {issued} 与图形椭球面积 {} 亩（{:.2} 平方米）相差 {:.2}%",
        units::format_mu(area_m2),
        area_m2,
        off(units::mu(area_m2)) * 100.0
    ))
}

/// Import one batch file of patches.
pub fn import_patches(
    store: &mut Store,
    actor: &Actor,
    table: &RegionTable,
    req: &PatchImportRequest,
    progress: &dyn Progress,
) -> Result<PatchImportSummary, ServiceError> {
    may_import_patches(actor)?;
    let path = req.path.as_path();
    let mut ds = read(path, req.encoding, progress)?;

    // JCBH: the national code; a 国土 TXT file numbers its parcels in DKBH.
    let jcbh_col = ds
        .field_index("JCBH")
        .or_else(|| ds.field_index("DKBH"))
        .ok_or_else(|| file_problem(path, "缺少字段 JCBH（监测编号）".into()))?;
    let xzqdm_col = ds.field_index("XZQDM");
    let counties = Counties::load(store)?;
    if xzqdm_col.is_none() && counties.is_empty() {
        return Err(file_problem(
            path,
            "缺少字段 XZQDM（行政区代码），且尚未导入县级行政区界线，无法推定（先运行 weipian import regions）".into(),
        ));
    }

    // A weipian export (it carries the marker column): drop the computed
    // columns and give renamed issued columns (XF_JCMJ) their names back, so
    // import → export → import is lossless. Any other file is kept verbatim.
    let mut ignored_columns = Vec::new();
    let exported = ds.field_index(crate::export::MARKER).is_some();
    let computed = crate::export::computed_names();
    let keep: Vec<bool> = ds
        .fields
        .iter()
        .map(|f| {
            let drop = exported && computed.iter().any(|c| c.eq_ignore_ascii_case(&f.name));
            if drop {
                ignored_columns.push(f.name.clone());
            }
            !drop
        })
        .collect();
    let fields: Vec<FieldDef> = ds
        .fields
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(f, _)| {
            let original = exported
                .then(|| {
                    computed
                        .iter()
                        .find(|c| crate::export::issued_name(c).eq_ignore_ascii_case(&f.name))
                })
                .flatten();
            match original {
                Some(name) => FieldDef::new(name.clone(), f.field_type),
                None => f.clone(),
            }
        })
        .collect();

    let crs = identify_crs(path, &ds)?;
    let source = source_info(path, &ds, crs);

    // Identity of every row before the geometry is taken.
    struct RowId {
        row: usize,
        jcbh: Option<String>,
        xzqdm: Option<String>,
        attrs: Vec<AttrValue>,
    }
    let ids: Vec<RowId> = ds
        .features
        .iter_mut()
        .map(|f| {
            let jcbh = f.attrs[jcbh_col].as_text();
            let xzqdm = xzqdm_col.and_then(|c| f.attrs[c].as_text());
            let attrs = std::mem::take(&mut f.attrs)
                .into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(v, _)| v)
                .collect();
            RowId {
                row: f.row,
                jcbh,
                xzqdm,
                attrs,
            }
        })
        .collect();
    let prepared = prepare_all(&mut ds, crs, progress);
    let issued_area_col = fields
        .iter()
        .position(|f| f.name.eq_ignore_ascii_case("JCMJ"));

    progress.stage("检查监测编号与行政区代码", ids.len() as u64);
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut repairs = Vec::new();
    let mut first_row: HashMap<String, usize> = HashMap::with_capacity(ids.len());
    let mut patches = Vec::with_capacity(ids.len());
    let mut outside = 0usize;
    let mut outside_but_gcj = 0usize;
    for (id, prep) in ids.into_iter().zip(prepared) {
        let RowId {
            row,
            jcbh,
            xzqdm,
            attrs,
        } = id;
        let problem = |message: String| RowProblem {
            row,
            jcbh: jcbh.clone(),
            message,
        };
        let Some(jcbh_text) = jcbh.clone() else {
            problems.push(problem("JCBH（监测编号）为空".into()));
            continue;
        };
        if let Some(first) = first_row.insert(jcbh_text.clone(), row) {
            problems.push(problem(format!(
                "JCBH {jcbh_text} 在第 {first} 条和第 {row} 条记录重复"
            )));
            continue;
        }
        let prep = match prep {
            Ok(p) => p,
            Err(mut p) => {
                p.jcbh = jcbh.clone();
                problems.push(p);
                continue;
            }
        };
        let centroid = prep.geometry.centroid();
        // XZQDM: given and checked, or derived from the boundaries.
        let code = match xzqdm.as_deref() {
            Some(text) => match RegionCode::parse(text) {
                Err(e) => {
                    problems.push(problem(e.to_string()));
                    continue;
                }
                Ok(c) => c,
            },
            None if xzqdm_col.is_some() => {
                problems.push(problem("XZQDM（行政区代码）为空".into()));
                continue;
            }
            None => match centroid.and_then(|c| counties.locate(c)) {
                Some(c) => {
                    warnings.push(problem(format!("文件无 XZQDM，按县界推定为 {c}")));
                    c
                }
                None => {
                    problems.push(problem(
                        "文件无 XZQDM，且图斑中心点不在任何已导入的县界内".into(),
                    ));
                    continue;
                }
            },
        };
        match table.get(code) {
            None => {
                problems.push(problem(format!("XZQDM {code} 不在行政区划代码表中")));
                continue;
            }
            Some(r) if !r.county_level => {
                problems.push(problem(format!("XZQDM {code}（{}）不是县级行政区", r.name)));
                continue;
            }
            Some(r) if r.development_zone => {
                warnings.push(problem(format!(
                    "XZQDM {code}（{}）为开发区统计代码，不是 GB/T 2260 县级区划",
                    r.name
                )));
            }
            Some(_) => {}
        }
        if !actor.may(Op::ManageData, code) {
            problems.push(problem(format!(
                "XZQDM {code} 不在您管理的行政区（{}）内",
                actor.scope.code()
            )));
            continue;
        }
        if let Some(c) = centroid {
            if counties.contains(code, c) == Some(false) {
                outside += 1;
                let (lon, lat) = weipian_geo::crs::gcj02::gcj02_to_wgs84(c.x(), c.y());
                if counties.contains(code, Point::new(lon, lat)) == Some(true) {
                    outside_but_gcj += 1;
                }
                warnings.push(problem(format!(
                    "图斑中心点 ({:.6}, {:.6}) 不在 XZQDM {code} 的县界内",
                    c.x(),
                    c.y()
                )));
            }
        }
        if let Some(w) =
            issued_area_col.and_then(|c| issued_area_mismatch(attrs.get(c), prep.area_m2))
        {
            warnings.push(problem(w));
        }
        repairs.extend(repair_note(row, Some(&jcbh_text), &prep.repairs));
        patches.push(NewPatch {
            jcbh: jcbh_text,
            xzqdm: code.to_string(),
            geometry: prep.geometry,
            area_m2: prep.area_m2,
            attrs,
            source_row: row,
            repairs: prep.repairs,
        });
        progress.advance(1);
    }
    progress.finish_stage();

    // Data shifted to GCJ-02 (Amap/ECharts "Mars coordinates") lands
    // 450–750 m off: most centroids miss their county, and un-shifting them
    // puts them back. Refuse the whole file rather than store shifted data.
    if outside >= 5 && outside * 2 >= patches.len() && outside_but_gcj * 10 >= outside * 8 {
        return Err(file_problem(
            path,
            format!(
                "{outside} 个图斑中心点不在其 XZQDM 县界内，其中 {outside_but_gcj} 个按 GCJ-02（火星坐标）反偏移后落入县界：数据疑似 GCJ-02 坐标，不是 CGCS2000"
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(rejected(path, problems));
    }

    progress.stage("写入数据库", 0);
    let meta = BatchMeta {
        id: req.batch.clone(),
        kind: req.kind,
        source: recorded_name(path),
        encoding: ds.encoding.clone(),
        crs: crs.name_zh(),
    };
    let outcome = store.import_batch(&meta, &fields, &patches)?;
    progress.finish_stage();
    let area_m2 = patches.iter().map(|p| p.area_m2).sum();
    Ok(PatchImportSummary {
        batch: req.batch.to_string(),
        kind: req.kind,
        source,
        inserted: outcome.inserted,
        updated: outcome.updated,
        unchanged: outcome.unchanged,
        not_in_file: outcome.not_in_file,
        area_m2,
        repairs,
        warnings,
        ignored_columns,
    })
}

// ---------------------------------------------------------------- inventory

/// What data the store holds, for the administrators' data page.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub batches: Vec<serde_json::Value>,
    pub layers: Vec<serde_json::Value>,
    /// The latest import of the county boundaries, if any.
    pub boundaries: Option<weipian_store::ImportRecord>,
    /// The latest imports of anything, newest first.
    pub imports: Vec<weipian_store::ImportRecord>,
}

/// The batches, reference layers, county boundaries and recent imports
/// (administrators only).
pub fn inventory(store: &Store, actor: &Actor) -> Result<Inventory, ServiceError> {
    if !actor.may_at_all(Op::ManageData) {
        return Err(ServiceError::Denied(format!(
            "{}不能查看数据管理（由管理员管理）",
            actor.role
        )));
    }
    let batches = store
        .batches()?
        .into_iter()
        .map(|b| {
            serde_json::json!({
                "year": b.id.year, "batch": b.id.name, "kind": b.kind, "kind_name": b.kind.name_zh(),
                "count": b.count, "area_m2": b.area_m2, "source": b.source, "imported_at": b.imported_at,
            })
        })
        .collect();
    let layers = store
        .layers()?
        .into_iter()
        .map(|l| {
            serde_json::json!({
                "kind": l.kind.code, "name": l.kind.name_zh, "count": l.count, "area_m2": l.area_m2,
                "source": l.source.as_ref().map(|s| s.file.clone()), "imported_at": l.imported_at,
            })
        })
        .collect();
    Ok(Inventory {
        batches,
        layers,
        boundaries: store.import_log(Some("regions"), 1)?.into_iter().next(),
        imports: store.import_log(None, 30)?,
    })
}
