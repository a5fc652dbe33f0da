//! The military-land register (《军用土地登记表》): restricted to the
//! military-land role. A filed patch leaves every ordinary list, export,
//! count and answer (the store leaves it out of every ordinary read); the
//! register has its own list and export.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use weipian_domain::access::{Actor, Op};
use weipian_domain::determination::parse_date;
use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, RegionCode};
use weipian_formats::{Dataset, Feature};
use weipian_store::{NewAudit, Store};

use crate::ServiceError;

/// One 登记表 record (national-style codes at the edge; area in m²).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MilitaryRecord {
    /// 使用单位（可填代号）
    #[serde(rename = "DWMC", default)]
    pub unit: String,
    /// 用途
    #[serde(rename = "YT", default)]
    pub usage: String,
    /// 面积（平方米）
    #[serde(rename = "MJ", default)]
    pub area_m2: Option<f64>,
    /// 批准或权属文件
    #[serde(rename = "PZWJ", default)]
    pub document: Option<String>,
    /// 填表人
    #[serde(rename = "TBR", default)]
    pub filled_by: String,
    /// 填表日期 YYYY-MM-DD
    #[serde(rename = "TBRQ", default)]
    pub date: String,
    /// 备注
    #[serde(rename = "BZ", default)]
    pub note: Option<String>,
}

impl MilitaryRecord {
    /// Every problem, in Chinese, at once.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.unit.trim().is_empty() {
            p.push("DWMC：使用单位必填".to_string());
        }
        if self.usage.trim().is_empty() {
            p.push("YT：用途必填".to_string());
        }
        if self.filled_by.trim().is_empty() {
            p.push("TBR：填表人必填".to_string());
        }
        if parse_date(&self.date).is_none() {
            p.push(format!(
                "TBRQ：填表日期“{}”应为 YYYY-MM-DD 格式的有效日期",
                self.date
            ));
        }
        if self.area_m2.is_some_and(|a| !a.is_finite() || a < 0.0) {
            p.push("MJ：面积应为非负数".to_string());
        }
        p
    }
}

/// A patch in the register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilitaryView {
    pub jcbh: String,
    pub xzqdm: String,
    /// The patch's ellipsoidal area, m².
    pub area_m2: f64,
    pub record: MilitaryRecord,
    pub filed_at: String,
    pub filed_by: String,
}

/// File a patch into the register (the military-land role, in its scope).
pub fn file(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
    record: &MilitaryRecord,
) -> Result<(), ServiceError> {
    let missing = || ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}"));
    let (patch, filed) = store.patch_any_register(batch, jcbh)?.ok_or_else(missing)?;
    let region = RegionCode::parse(&patch.xzqdm).map_err(|_| missing())?;
    if !actor.may(Op::MilitaryRegister, region) {
        // Someone who may see the ordinary patch learns only that they may not file it.
        return Err(if !filed && actor.may(Op::ReadPatches, region) {
            ServiceError::Denied(format!("{}不能登记军用土地", actor.role))
        } else {
            missing()
        });
    }
    let problems = record.problems();
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(format!(
            "军用土地登记表（图斑 {jcbh}）：{}",
            problems.join("；")
        )));
    }
    let text = serde_json::to_string(record).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    // The audit trail says that it happened, not what the register holds.
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "military.file".into(),
        target: format!("{}/{}/{}", batch.year, batch.name, jcbh),
        before: None,
        after: None,
        reason: None,
    };
    store.file_military(patch.id, &text, &audit)?;
    Ok(())
}

/// The register's patches of a batch within the actor's scope (the military-land role only).
pub fn register(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
) -> Result<Vec<MilitaryView>, ServiceError> {
    if !actor.may_at_all(Op::MilitaryRegister) {
        return Err(ServiceError::Denied(format!(
            "{}不能查看军用土地登记",
            actor.role
        )));
    }
    let mut out = Vec::new();
    for e in store.military_entries(batch)? {
        let visible =
            RegionCode::parse(&e.patch.xzqdm).is_ok_and(|r| actor.may(Op::MilitaryRegister, r));
        if !visible {
            continue;
        }
        let record: MilitaryRecord = serde_json::from_str(&e.record).map_err(|err| {
            ServiceError::Store(weipian_store::StoreError::Corrupt(format!(
                "图斑 {} 的军用土地登记：{err}",
                e.patch.jcbh
            )))
        })?;
        out.push(MilitaryView {
            jcbh: e.patch.jcbh,
            xzqdm: e.patch.xzqdm,
            area_m2: e.patch.area_m2,
            record,
            filed_at: e.filed_at,
            filed_by: e.filed_by,
        });
    }
    Ok(out)
}

/// Write the register (the actor's part of it) as an xlsx 登记表; returns the rows.
pub fn export_register(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    out: &Path,
) -> Result<usize, ServiceError> {
    let list = register(store, actor, batch)?;
    let text = |s: &str| AttrValue::Text(s.to_string());
    let opt = |s: &Option<String>| s.as_deref().map_or(AttrValue::Null, text);
    let real = |w| FieldType::Real {
        width: 0,
        decimals: w,
    };
    let fields = vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new("XZQDM", FieldType::Text { width: 6 }),
        FieldDef::new("TBMJ", real(2)),
        FieldDef::new("DWMC", FieldType::Text { width: 100 }),
        FieldDef::new("YT", FieldType::Text { width: 100 }),
        FieldDef::new("MJ", real(2)),
        FieldDef::new("PZWJ", FieldType::Text { width: 100 }),
        FieldDef::new("TBR", FieldType::Text { width: 30 }),
        FieldDef::new("TBRQ", FieldType::Text { width: 10 }),
        FieldDef::new("BZ", FieldType::Text { width: 200 }),
    ];
    let features = list
        .iter()
        .enumerate()
        .map(|(i, m)| Feature {
            row: i + 1,
            geometry: None,
            attrs: vec![
                text(&m.jcbh),
                text(&m.xzqdm),
                AttrValue::Real(m.area_m2),
                text(&m.record.unit),
                text(&m.record.usage),
                m.record.area_m2.map_or(AttrValue::Null, AttrValue::Real),
                opt(&m.record.document),
                text(&m.record.filled_by),
                text(&m.record.date),
                opt(&m.record.note),
            ],
            repairs: Vec::new(),
        })
        .collect();
    let dataset = Dataset {
        source: out.to_path_buf(),
        fields,
        features,
        crs: weipian_geo::crs::CrsHint::default(),
        encoding: None,
    };
    let headers: BTreeMap<String, String> = [
        ("TBMJ", "图斑面积（平方米）"),
        ("DWMC", "使用单位"),
        ("YT", "用途"),
        ("MJ", "登记面积（平方米）"),
        ("PZWJ", "批准或权属文件"),
        ("TBR", "填表人"),
        ("TBRQ", "填表日期"),
        ("BZ", "备注"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let options = weipian_formats::xlsx::XlsxOptions {
        sheet_name: "军用土地登记表".into(),
        headers,
        text_fields: vec!["TBRQ".into()],
    };
    weipian_formats::xlsx::write(out, &dataset, &options)?;
    Ok(list.len())
}
