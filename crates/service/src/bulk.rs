//! Bulk answers (表格回填): counties fill the national table in Excel and
//! upload it. One row per JCBH — per JCBH and 地块编号 (DKBH: the part's
//! number) for a split patch — under the Chinese headers below (the field
//! codes are accepted too); areas in 亩 as in the national table. Each row is
//! scoped and validated like a single answer; valid rows are applied even
//! when others fail; a row equal to the stored answer changes nothing, so
//! uploading the same file twice writes nothing the second time.

use std::path::Path;

use serde::Serialize;
use weipian_domain::access::Actor;
use weipian_domain::determination::{Answer, CodeTable, Handling};
use weipian_domain::units::M2_PER_MU;
use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, PatchKind};
use weipian_formats::table::{read_table, Cell};
use weipian_formats::{Dataset, Feature, ReadOptions};
use weipian_store::{PatchQuery, Store};

use crate::answers::{get_part_answer, part_label, save_part_answer, SaveAnswer};
use crate::ServiceError;

/// How a column's cells are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// 亩 in the file, m² in the answer.
    Mu,
    /// A plain number (metres).
    Number,
    Category,
    Sub,
    Handling,
}

/// The columns: code, Chinese header, kind.
const COLUMNS: &[(&str, &str, Kind)] = &[
    ("PDLX", "判定类型", Kind::Category),
    ("JTQX", "具体情形", Kind::Sub),
    ("PDYJSM", "判定依据说明", Kind::Text),
    ("PZWH", "批准文号", Kind::Text),
    ("PZJG", "批准机关", Kind::Text),
    ("PZSJ", "批准时间", Kind::Text),
    ("PZMJ", "批准面积（亩）", Kind::Mu),
    ("JSZDMJ", "建设占地面积（亩）", Kind::Mu),
    ("SSNYDBABH", "设施农用地备案编号", Kind::Text),
    ("LSYDPZWH", "临时用地批准文号", Kind::Text),
    ("ZJGGXMMC", "增减挂钩项目名称", Kind::Text),
    ("NCDLKD", "农村道路宽度（米）", Kind::Number),
    ("QTPZWJ", "其他批准文件", Kind::Text),
    ("XKZH", "许可证号", Kind::Text),
    ("XKZYXQZ", "许可证有效期至", Kind::Text),
    ("SJYT", "实际用途", Kind::Text),
    ("WFMJ", "违法面积（亩）", Kind::Mu),
    ("WFGDMJ", "其中耕地（亩）", Kind::Mu),
    ("WFJBNTMJ", "其中永久基本农田（亩）", Kind::Mu),
    ("XZJSYDMJ", "新增建设用地面积（亩）", Kind::Mu),
    ("XZJSZYGDMJ", "其中占用耕地（亩）", Kind::Mu),
    ("CLFS", "处理方式", Kind::Handling),
    ("CLSM", "处理说明", Kind::Text),
];

/// The result of an upload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BulkSummary {
    /// JCBHs (`JCBH-n` for 地块 n) whose answer was saved.
    pub applied: Vec<String>,
    /// JCBHs (`JCBH-n` for 地块 n) whose row equals the stored answer.
    pub unchanged: Vec<String>,
    /// Per rejected row: its row number, JCBH and every reason.
    pub rejected: Vec<RejectedRow>,
}

/// A row not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub row: usize,
    pub jcbh: Option<String>,
    pub reasons: Vec<String>,
}

fn answer_value(a: &Answer, code: &str) -> serde_json::Value {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.get(code).cloned())
        .unwrap_or(serde_json::Value::Null)
}

/// Set one field of an answer from a cell; `Err` names the problem.
fn set(
    a: &mut Answer,
    code: &str,
    kind: Kind,
    cell: &Cell,
    table: &CodeTable,
    patch_kind: PatchKind,
) -> Result<(), String> {
    let text = cell.text();
    let value: serde_json::Value = match (kind, &text) {
        (_, None) => serde_json::Value::Null,
        (Kind::Text, Some(t)) => t.clone().into(),
        (Kind::Mu | Kind::Number, Some(t)) => {
            let n = match cell {
                Cell::Number(n) => *n,
                _ => t.parse::<f64>().map_err(|_| format!("“{t}”不是数字"))?,
            };
            if !n.is_finite() {
                return Err(format!("“{t}”不是有限数值"));
            }
            if kind == Kind::Mu {
                (n * M2_PER_MU).into()
            } else {
                n.into()
            }
        }
        (Kind::Category, Some(t)) => table
            .categories(patch_kind)
            .iter()
            .find(|c| c.code == *t || c.name == *t)
            .map_or_else(|| t.clone(), |c| c.code.clone())
            .into(),
        (Kind::Sub, Some(t)) => table
            .categories(patch_kind)
            .iter()
            .flat_map(|c| &c.sub)
            .find(|s| s.code == *t || s.name == *t)
            .map_or_else(|| t.clone(), |s| s.code.clone())
            .into(),
        (Kind::Handling, Some(t)) => {
            let h = [Handling::Case, Handling::NonCase, Handling::None]
                .into_iter()
                .find(|h| {
                    h.name_zh() == t
                        || serde_json::to_value(h)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .as_deref()
                            == Some(t)
                })
                .ok_or_else(|| format!("处理方式“{t}”应为 立案、非立案处理 或 不处理"))?;
            serde_json::to_value(h).map_err(|e| e.to_string())?
        }
    };
    let mut obj = serde_json::to_value(&*a).map_err(|e| e.to_string())?;
    if let Some(o) = obj.as_object_mut() {
        if code == "PDLX" || code == "PDYJSM" {
            o.insert(
                code.into(),
                value
                    .as_str()
                    .map_or_else(|| "".into(), |s| s.to_string().into()),
            );
        } else {
            o.insert(code.into(), value);
        }
    }
    *a = serde_json::from_value(obj).map_err(|e| e.to_string())?;
    Ok(())
}

/// The m² in a stored answer, written as the file writes it (亩), equals the cell?
fn same_as_file(stored: &Answer, code: &str, kind: Kind, cell: &Cell) -> bool {
    let v = answer_value(stored, code);
    match (kind, cell, v.as_f64()) {
        (Kind::Mu, Cell::Number(n), Some(m2)) => m2 / M2_PER_MU == *n,
        (Kind::Mu, Cell::Text(t), Some(m2)) => {
            t.trim().parse::<f64>().is_ok_and(|n| m2 / M2_PER_MU == n)
        }
        _ => false,
    }
}

/// The 地块 number in a 地块编号 cell: empty (the whole patch), `n`, or `JCBH-n`.
fn part_of(jcbh: &str, cell: &Cell) -> Result<u32, String> {
    let Some(t) = cell.text() else {
        return Ok(0);
    };
    let t = t.trim();
    let digits = t
        .strip_prefix(jcbh)
        .and_then(|r| r.strip_prefix('-'))
        .unwrap_or(t);
    let digits = digits.strip_suffix(".0").unwrap_or(digits);
    match digits.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("“{t}”应为地块序号（1、2、…）或“{jcbh}-序号”")),
    }
}

/// Apply an uploaded table of answers as `actor`.
pub fn import_answers(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    path: &Path,
) -> Result<BulkSummary, ServiceError> {
    // Only fillers answer: anyone else is refused before the file is read.
    if !actor.may_at_all(weipian_domain::access::Op::Determine) {
        return Err(ServiceError::Denied(format!(
            "{}不能回填填报（由县级填报）",
            actor.role
        )));
    }
    let table = read_table(
        path,
        &ReadOptions {
            max_bytes: 50 << 20,
            ..ReadOptions::default()
        },
    )?;
    let codes = CodeTable::embedded(batch.year)
        .ok_or_else(|| ServiceError::Invalid(format!("没有 {} 年的判定类型代码表", batch.year)))?;
    let col_of = |h: &str| -> Option<usize> {
        let h = h.trim();
        if h == "JCBH" || h == "监测编号" {
            return Some(usize::MAX);
        }
        if h == "DKBH" || h == "地块编号" {
            return Some(usize::MAX - 1);
        }
        COLUMNS
            .iter()
            .position(|(code, zh, _)| h.eq_ignore_ascii_case(code) || h == *zh)
    };
    let mut jcbh_col = None;
    let mut part_col = None;
    let mut cols: Vec<(usize, usize)> = Vec::new(); // (file column, COLUMNS index)
    let mut unknown = Vec::new();
    for (i, h) in table.headers.iter().enumerate() {
        match col_of(h) {
            Some(usize::MAX) => jcbh_col = Some(i),
            Some(k) if k == usize::MAX - 1 => part_col = Some(i),
            Some(k) => cols.push((i, k)),
            None if h.trim().is_empty() => {}
            None => unknown.push(h.clone()),
        }
    }
    let Some(jcbh_col) = jcbh_col else {
        return Err(ServiceError::Invalid(format!(
            "{}：缺少“监测编号”列",
            path.display()
        )));
    };
    if !unknown.is_empty() {
        tracing::info!(columns = ?unknown, "columns not used by the answer import");
    }
    let mut out = BulkSummary::default();
    for (row, cells) in &table.rows {
        let Some(jcbh) = cells.get(jcbh_col).and_then(Cell::text) else {
            out.rejected.push(RejectedRow {
                row: *row,
                jcbh: None,
                reasons: vec!["监测编号为空".into()],
            });
            continue;
        };
        let part = match part_col.and_then(|c| cells.get(c)) {
            None => Ok(0),
            Some(cell) => part_of(&jcbh, cell),
        };
        let part = match part {
            Ok(p) => p,
            Err(e) => {
                out.rejected.push(RejectedRow {
                    row: *row,
                    jcbh: Some(jcbh),
                    reasons: vec![format!("地块编号：{e}")],
                });
                continue;
            }
        };
        let label = part_label(&jcbh, part);
        let reject = |reasons: Vec<String>| RejectedRow {
            row: *row,
            jcbh: Some(label.clone()),
            reasons,
        };
        let current = match get_part_answer(store, actor, batch, &jcbh, part) {
            Ok(v) => v,
            Err(e) => {
                out.rejected.push(reject(vec![e.to_string()]));
                continue;
            }
        };
        let patch_kind = store
            .patch(batch, &jcbh)?
            .map_or(PatchKind::Land, |p| p.kind);
        let blank_row = cols
            .iter()
            .all(|&(i, _)| cells.get(i).is_none_or(|c| c.text().is_none()));
        if current.answer.is_none() && blank_row {
            out.unchanged.push(label); // nothing filled in, nothing stored
            continue;
        }
        let stored = current.answer.clone();
        let mut answer = stored.clone().unwrap_or_default();
        let mut reasons = Vec::new();
        for &(i, k) in &cols {
            let (code, zh, kind) = COLUMNS[k];
            let cell = cells.get(i).unwrap_or(&Cell::Empty);
            // A value that round-trips to the stored m² keeps it bit for bit.
            if stored
                .as_ref()
                .is_some_and(|s| same_as_file(s, code, kind, cell))
            {
                continue;
            }
            if let Err(e) = set(&mut answer, code, kind, cell, codes, patch_kind) {
                reasons.push(format!("{zh}：{e}"));
            }
        }
        if !reasons.is_empty() {
            out.rejected.push(reject(reasons));
            continue;
        }
        if stored.as_ref() == Some(&answer) {
            out.unchanged.push(label);
            continue;
        }
        let req = SaveAnswer {
            batch: batch.clone(),
            jcbh: jcbh.clone(),
            answer: answer.clone(),
            based_on: (current.version > 0).then_some(current.version),
            reason: Some(format!(
                "表格回填：{}",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            )),
        };
        // Validate first: an invalid row is rejected, not saved as a draft.
        let facts_errors = {
            match crate::answers::validate_for(store, batch, &jcbh, part, &answer) {
                Ok(probe) => probe
                    .into_iter()
                    .map(|e| format!("{}：{}", e.field, e.message))
                    .collect::<Vec<_>>(),
                Err(e) => vec![e.to_string()],
            }
        };
        if !facts_errors.is_empty() {
            out.rejected.push(reject(facts_errors));
            continue;
        }
        match save_part_answer(store, actor, &req, part) {
            Ok(_) => out.applied.push(label),
            Err(e) => out.rejected.push(reject(vec![e.to_string()])),
        }
    }
    Ok(out)
}

/// Write the answers of the patches `actor` may see in the upload layout:
/// `.xlsx`, or `.csv` (UTF-8 with BOM) when `out` ends so.
pub fn export_answers(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    out: &Path,
) -> Result<usize, ServiceError> {
    let Some(region) = crate::scope::region_filter(actor, None)? else {
        return Ok(0);
    };
    let patches = store.patches(&PatchQuery {
        batch: batch.clone(),
        kind: None,
        region,
    })?;
    let mut fields = vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new("DKBH", FieldType::Integer { width: 4 }),
        FieldDef::new("XZQDM", FieldType::Text { width: 6 }),
    ];
    for (code, _, kind) in COLUMNS {
        fields.push(FieldDef::new(
            *code,
            match kind {
                Kind::Mu | Kind::Number => FieldType::Real {
                    width: 0,
                    decimals: 0,
                },
                _ => FieldType::Text { width: 254 },
            },
        ));
    }
    let codes = CodeTable::embedded(batch.year);
    let mut features = Vec::with_capacity(patches.len());
    // One row per unsplit patch, one per 地块 of a split one.
    let mut rows = Vec::with_capacity(patches.len());
    for p in &patches {
        let parcels = store.parcels(p.id)?;
        if parcels.is_empty() {
            rows.push((p, 0));
        } else {
            rows.extend(parcels.iter().map(|d| (p, d.no)));
        }
    }
    for (i, (p, part)) in rows.into_iter().enumerate() {
        let a = store
            .answer(p.id, part)?
            .and_then(|s| serde_json::from_str::<Answer>(&s.answer).ok());
        let mut attrs = vec![
            AttrValue::Text(p.jcbh.clone()),
            if part == 0 {
                AttrValue::Null
            } else {
                AttrValue::Integer(i64::from(part))
            },
            AttrValue::Text(p.xzqdm.clone()),
        ];
        for (code, _, kind) in COLUMNS {
            let v = a
                .as_ref()
                .map_or(serde_json::Value::Null, |a| answer_value(a, code));
            attrs.push(match (kind, v) {
                (_, serde_json::Value::Null) => AttrValue::Null,
                (Kind::Mu, v) => v
                    .as_f64()
                    .map_or(AttrValue::Null, |m2| AttrValue::Real(m2 / M2_PER_MU)),
                (Kind::Number, v) => v.as_f64().map_or(AttrValue::Null, AttrValue::Real),
                (Kind::Category, serde_json::Value::String(c)) => AttrValue::Text(
                    codes
                        .and_then(|t| {
                            t.categories(p.kind)
                                .iter()
                                .find(|x| x.code == c)
                                .map(|x| x.name.clone())
                        })
                        .unwrap_or(c),
                ),
                (Kind::Handling, serde_json::Value::String(h)) => AttrValue::Text(
                    serde_json::from_value::<Handling>(serde_json::Value::String(h.clone()))
                        .map_or(h, |x| x.name_zh().to_string()),
                ),
                (_, serde_json::Value::String(t)) => AttrValue::Text(t),
                (_, other) => AttrValue::Text(other.to_string()),
            });
        }
        features.push(Feature {
            row: i + 1,
            geometry: None,
            attrs,
            repairs: Vec::new(),
        });
    }
    let n = features.len();
    let dataset = Dataset {
        source: out.to_path_buf(),
        fields,
        features,
        crs: weipian_geo::crs::CrsHint::default(),
        encoding: None,
    };
    let headers: std::collections::BTreeMap<String, String> =
        std::iter::once(("JCBH".to_string(), "监测编号".to_string()))
            .chain(std::iter::once((
                "DKBH".to_string(),
                "地块编号".to_string(),
            )))
            .chain(std::iter::once((
                "XZQDM".to_string(),
                "行政区代码".to_string(),
            )))
            .chain(
                COLUMNS
                    .iter()
                    .map(|(c, zh, _)| ((*c).to_string(), (*zh).to_string())),
            )
            .collect();
    let csv = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if csv {
        // Chinese headers; numbers shortest round-trip, so a re-upload is exact.
        let headers: Vec<String> = dataset
            .fields
            .iter()
            .map(|f| {
                headers
                    .get(&f.name)
                    .cloned()
                    .unwrap_or_else(|| f.name.clone())
            })
            .collect();
        let rows: Vec<Vec<String>> = dataset
            .features
            .iter()
            .map(|f| {
                f.attrs
                    .iter()
                    .map(|v| match v {
                        AttrValue::Null => String::new(),
                        AttrValue::Real(x) => format!("{x}"),
                        AttrValue::Integer(i) => i.to_string(),
                        other => other.as_text().unwrap_or_default(),
                    })
                    .collect()
            })
            .collect();
        weipian_formats::table::write_csv(out, &headers, &rows)?;
        return Ok(n);
    }
    let options = weipian_formats::xlsx::XlsxOptions {
        sheet_name: "填报".into(),
        headers,
        text_fields: vec!["PZSJ".into(), "XKZYXQZ".into()],
    };
    weipian_formats::xlsx::write(out, &dataset, &options)?;
    Ok(n)
}
