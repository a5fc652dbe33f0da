//! Legality determination (判定): the year's code table and the validation
//! of an answer against it.
//!
//! The categories (判定类型 PDLX), their sub-categories (具体情形 JTQX), the
//! evidence each needs and the year's thresholds are data: one TOML file per
//! year in `data/determination/`, all embedded at build time (adding a year
//! is adding a file). [`validate`] checks an answer against the table and the
//! patch's facts and lists **every** missing or contradictory field at once.
//!
//! ```
//! use weipian_domain::determination::{validate, Answer, CodeTable, PatchFacts};
//! use weipian_domain::PatchKind;
//! let table = CodeTable::embedded(2020).unwrap();
//! let facts = PatchFacts { kind: PatchKind::Land, monitored_area_m2: 1000.0, after_image: None, attachments: 0 };
//! let answer = Answer { category: "WF".into(), sub: Some("WF01".into()), ..Answer::default() };
//! let errors = validate(&answer, &facts, table);
//! let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
//! assert!(fields.contains(&"PDYJSM") && fields.contains(&"FJ") && fields.contains(&"WFMJ"));
//! ```

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::batch::PatchKind;

include!(concat!(env!("OUT_DIR"), "/determination_tables.rs"));

/// What a category means in the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Legality {
    /// 合法
    Legal,
    /// 违法
    Illegal,
    /// 其他 (land)
    Other,
    /// 伪变化 (mineral)
    FalseChange,
}

/// A group of evidence fields (see the data file's header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Approval,
    FacilityFiling,
    Temporary,
    Linkage,
    RuralRoad,
    OtherApproval,
    MiningLicence,
    Violation,
}

/// How a form field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Text,
    /// `YYYY-MM-DD`
    Date,
    /// m²
    Area,
    /// A plain number (metres…)
    Number,
}

/// One field of an evidence form: its national code, Chinese label and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FormField {
    pub code: &'static str,
    pub label: &'static str,
    pub input: InputKind,
}

const fn field(code: &'static str, label: &'static str, input: InputKind) -> FormField {
    FormField { code, label, input }
}

impl Form {
    /// Every form, in the data file's order.
    pub const ALL: [Form; 8] = [
        Form::Approval,
        Form::FacilityFiling,
        Form::Temporary,
        Form::Linkage,
        Form::RuralRoad,
        Form::OtherApproval,
        Form::MiningLicence,
        Form::Violation,
    ];

    /// The fields the form asks for (what a front end shows; the
    /// validation's required fields are checked against this list by a test).
    #[must_use]
    pub fn fields(self) -> &'static [FormField] {
        use InputKind::{Area, Date, Number, Text};
        match self {
            Form::Approval => {
                const F: &[FormField] = &[
                    field("PZWH", "批准文号", Text),
                    field("PZJG", "批准机关", Text),
                    field("PZSJ", "批准时间", Date),
                    field("PZMJ", "批准面积", Area),
                    field("JSZDMJ", "建设占地面积", Area),
                ];
                F
            }
            Form::FacilityFiling => {
                const F: &[FormField] = &[field("SSNYDBABH", "设施农用地备案编号", Text)];
                F
            }
            Form::Temporary => {
                const F: &[FormField] = &[field("LSYDPZWH", "临时用地批准文号", Text)];
                F
            }
            Form::Linkage => {
                const F: &[FormField] = &[field("ZJGGXMMC", "增减挂钩项目名称", Text)];
                F
            }
            Form::RuralRoad => {
                const F: &[FormField] = &[field("NCDLKD", "农村道路宽度（米）", Number)];
                F
            }
            Form::OtherApproval => {
                const F: &[FormField] = &[field("QTPZWJ", "其他批准文件", Text)];
                F
            }
            Form::MiningLicence => {
                const F: &[FormField] = &[
                    field("XKZH", "许可证号", Text),
                    field("XKZYXQZ", "许可证有效期", Date),
                ];
                F
            }
            Form::Violation => {
                const F: &[FormField] = &[
                    field("SJYT", "实际用途", Text),
                    field("WFMJ", "违法面积", Area),
                    field("WFGDMJ", "其中耕地", Area),
                    field("WFJBNTMJ", "其中永久基本农田", Area),
                    field("XZJSYDMJ", "新增建设用地面积", Area),
                    field("XZJSZYGDMJ", "其中占用耕地", Area),
                ];
                F
            }
        }
    }

    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Form::Approval => "批准文件（批准文号、批准机关、批准时间、批准面积）",
            Form::FacilityFiling => "设施农用地备案编号",
            Form::Temporary => "临时用地批准文号",
            Form::Linkage => "增减挂钩项目名称",
            Form::RuralRoad => "农村道路宽度",
            Form::OtherApproval => "其他批准文件",
            Form::MiningLicence => "许可证号及有效期",
            Form::Violation => "违法用地情况",
        }
    }
}

/// 处理方式 of an illegal mineral patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// 立案
    Case,
    /// 非立案处理
    NonCase,
    /// 不处理
    None,
}

impl Handling {
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Handling::Case => "立案",
            Handling::NonCase => "非立案处理",
            Handling::None => "不处理",
        }
    }
}

/// A sub-category (具体情形).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SubCategory {
    pub code: String,
    pub name: String,
    /// Any one of these evidence groups satisfies it (none: nothing beyond the basics).
    pub requires: Vec<Form>,
    /// 先批后建: the approval must predate the after image.
    #[serde(default)]
    pub approved_before_construction: bool,
    /// A legal answer of this kind is new construction land (新增建设用地):
    /// it counts in the denominators of the illegal-land ratios.
    #[serde(default)]
    pub new_construction: bool,
}

/// A category (判定类型).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub legality: Legality,
    /// Mineral 违法: a 处理方式 is required.
    #[serde(default)]
    pub needs_handling: bool,
    pub sub: Vec<SubCategory>,
}

/// The year's thresholds.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Policy {
    /// Relative tolerance of area comparisons.
    pub area_tolerance: f64,
    pub rural_road_max_width_m: f64,
    /// Handlings that need a 处理说明.
    pub handling_needs_note: Vec<Handling>,
}

/// The year's rules for evidence files.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct EvidencePolicy {
    /// A photo taken farther than this from its patch is flagged, m.
    pub photo_max_distance_m: f64,
}

/// The year's rules for splitting a patch into 地块.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ParcelPolicy {
    /// The largest gap, overlap or part of a part outside its patch still
    /// accepted as a partition, m² (drawing slivers, not decisions).
    pub partition_tolerance_m2: f64,
}

impl Default for ParcelPolicy {
    fn default() -> Self {
        Self {
            partition_tolerance_m2: 0.1,
        }
    }
}

/// The year's rules for a case's illegal-land vector range (违法用地矢量范围).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RangePolicy {
    /// The largest area of a range feature outside its county still
    /// accepted (drawing along the boundary), m².
    pub outside_county_tolerance_m2: f64,
}

impl Default for RangePolicy {
    fn default() -> Self {
        Self {
            outside_county_tolerance_m2: 1.0,
        }
    }
}

/// A deduction category an illegal answer may claim (feeds accountability).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeductionKind {
    pub code: String,
    pub name: String,
    /// The claim must cite a document (文号).
    pub needs_document: bool,
}

/// One year's code table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CodeTable {
    pub year: u16,
    pub policy: Policy,
    pub evidence: EvidencePolicy,
    #[serde(default)]
    pub parcels: ParcelPolicy,
    #[serde(default)]
    pub case_range: RangePolicy,
    /// Thresholds of the desk-review rules.
    #[serde(default)]
    pub desk: crate::desk::DeskPolicy,
    /// Sampling (抽查) strata and defaults.
    #[serde(default)]
    pub sampling: crate::sampling::SamplingPolicy,
    #[serde(default)]
    pub deduction: Vec<DeductionKind>,
    pub land: Vec<Category>,
    pub mineral: Vec<Category>,
}

/// Why a code table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeTableError {
    #[error("判定类型代码表格式错误：{0}")]
    Syntax(String),
    #[error("判定类型代码表中代码 {0} 重复")]
    Duplicate(String),
    #[error("判定类型代码表：{0}")]
    Invalid(String),
}

impl CodeTable {
    /// Parse and check a table (codes unique per kind, thresholds sane).
    pub fn from_toml(text: &str) -> Result<CodeTable, CodeTableError> {
        let t: CodeTable =
            toml::from_str(text).map_err(|e| CodeTableError::Syntax(e.to_string()))?;
        for cats in [&t.land, &t.mineral] {
            let mut seen = HashSet::new();
            for c in cats {
                if !seen.insert(c.code.as_str()) {
                    return Err(CodeTableError::Duplicate(c.code.clone()));
                }
                for s in &c.sub {
                    if !seen.insert(s.code.as_str()) {
                        return Err(CodeTableError::Duplicate(s.code.clone()));
                    }
                }
                if c.sub.is_empty() {
                    return Err(CodeTableError::Invalid(format!("{} 没有具体情形", c.code)));
                }
            }
        }
        let mut codes = HashSet::new();
        for d in &t.deduction {
            if !codes.insert(d.code.as_str()) {
                return Err(CodeTableError::Duplicate(d.code.clone()));
            }
        }
        let p = &t.policy;
        let sane = (0.0..0.5).contains(&p.area_tolerance)
            && p.rural_road_max_width_m.is_finite()
            && p.rural_road_max_width_m > 0.0
            && t.evidence.photo_max_distance_m.is_finite()
            && t.evidence.photo_max_distance_m > 0.0
            && t.parcels.partition_tolerance_m2.is_finite()
            && t.parcels.partition_tolerance_m2 >= 0.0
            && t.case_range.outside_county_tolerance_m2.is_finite()
            && t.case_range.outside_county_tolerance_m2 >= 0.0
            && (0.0..=1.0).contains(&t.desk.approval_cover_share)
            && (0.0..=1.0).contains(&t.desk.other_gd_share)
            && t.desk.other_gd_m2 >= 0.0
            && t.desk.area_slack_m2 >= 0.0
            && t.desk.phash_max_bits <= 64
            && t.desk.deadline_warning_days >= 0;
        if !sane {
            return Err(CodeTableError::Invalid("policy 阈值超出合理范围".into()));
        }
        Ok(t)
    }

    /// The table embedded for `year`, if the build found its file.
    #[must_use]
    pub fn embedded(year: u16) -> Option<&'static CodeTable> {
        use std::sync::OnceLock;
        static TABLES: OnceLock<Vec<CodeTable>> = OnceLock::new();
        TABLES
            .get_or_init(|| {
                EMBEDDED
                    .iter()
                    .filter_map(|(y, text)| {
                        // Checked by a test for every embedded file.
                        CodeTable::from_toml(text).ok().filter(|t| t.year == *y)
                    })
                    .collect()
            })
            .iter()
            .find(|t| t.year == year)
    }

    /// The years with an embedded table.
    #[must_use]
    pub fn embedded_years() -> Vec<u16> {
        EMBEDDED.iter().map(|(y, _)| *y).collect()
    }

    /// The categories for a kind of patch.
    #[must_use]
    pub fn categories(&self, kind: PatchKind) -> &[Category] {
        match kind {
            PatchKind::Land => &self.land,
            PatchKind::Mineral => &self.mineral,
        }
    }
}

/// A deduction claimed on an illegal answer, with its evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deduction {
    /// The year's deduction code (`wgjy`, `yhyz`, `zdjcss`…).
    #[serde(rename = "LX")]
    pub kind: String,
    /// 文件文号
    #[serde(rename = "WH", default)]
    pub document: Option<String>,
    /// 说明
    #[serde(rename = "SM", default)]
    pub note: Option<String>,
}

/// 移交: a patch outside the natural-resources remit handed to another body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// 接收单位
    #[serde(rename = "JSDW", default)]
    pub receiver: String,
    /// 移交日期 YYYY-MM-DD
    #[serde(rename = "YJRQ", default)]
    pub date: String,
    /// 移交文号
    #[serde(rename = "YJWH", default)]
    pub document: String,
    /// 接收单位反馈
    #[serde(rename = "FKNR", default)]
    pub feedback: Option<String>,
    /// 反馈日期 YYYY-MM-DD
    #[serde(rename = "FKRQ", default)]
    pub feedback_date: Option<String>,
}

impl Transfer {
    /// Handed over, no feedback recorded yet.
    #[must_use]
    pub fn awaiting_feedback(&self) -> bool {
        blank(self.feedback.as_ref())
    }
}

/// The locality's answer for a patch (or a 地块). Field codes at the edge
/// (serde names) are the national table's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// 判定类型
    #[serde(rename = "PDLX")]
    pub category: String,
    /// 具体情形
    #[serde(rename = "JTQX", default)]
    pub sub: Option<String>,
    /// 判定依据说明
    #[serde(rename = "PDYJSM", default)]
    pub basis: String,
    #[serde(rename = "PZWH", default)]
    pub approval_number: Option<String>,
    #[serde(rename = "PZJG", default)]
    pub approval_authority: Option<String>,
    /// YYYY-MM-DD
    #[serde(rename = "PZSJ", default)]
    pub approval_date: Option<String>,
    #[serde(rename = "PZMJ", default)]
    pub approval_area_m2: Option<f64>,
    /// 建设占地面积 (defaults to the monitored area when comparing with 批准面积).
    #[serde(rename = "JSZDMJ", default)]
    pub construction_area_m2: Option<f64>,
    #[serde(rename = "SSNYDBABH", default)]
    pub facility_filing: Option<String>,
    #[serde(rename = "LSYDPZWH", default)]
    pub temporary_permit: Option<String>,
    #[serde(rename = "ZJGGXMMC", default)]
    pub linkage_project: Option<String>,
    #[serde(rename = "NCDLKD", default)]
    pub rural_road_width_m: Option<f64>,
    #[serde(rename = "QTPZWJ", default)]
    pub other_approval: Option<String>,
    #[serde(rename = "XKZH", default)]
    pub licence_number: Option<String>,
    /// YYYY-MM-DD
    #[serde(rename = "XKZYXQZ", default)]
    pub licence_valid_until: Option<String>,
    /// 实际用途
    #[serde(rename = "SJYT", default)]
    pub actual_use: Option<String>,
    #[serde(rename = "WFMJ", default)]
    pub illegal_area_m2: Option<f64>,
    #[serde(rename = "WFGDMJ", default)]
    pub illegal_cultivated_m2: Option<f64>,
    #[serde(rename = "WFJBNTMJ", default)]
    pub illegal_basic_farmland_m2: Option<f64>,
    /// 新增建设用地面积
    #[serde(rename = "XZJSYDMJ", default)]
    pub new_construction_m2: Option<f64>,
    /// 其中占用耕地
    #[serde(rename = "XZJSZYGDMJ", default)]
    pub new_construction_cultivated_m2: Option<f64>,
    /// 处理方式 (mineral 违法)
    #[serde(rename = "CLFS", default)]
    pub handling: Option<Handling>,
    /// 处理说明
    #[serde(rename = "CLSM", default)]
    pub handling_note: Option<String>,
    /// 扣除情形 (illegal answers only)
    #[serde(rename = "KCQX", default, skip_serializing_if = "Vec::is_empty")]
    pub deductions: Vec<Deduction>,
    /// 移交
    #[serde(rename = "YJ", default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
}

/// What the validation needs to know about the patch (or 地块).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchFacts {
    pub kind: PatchKind,
    /// 监测面积, m² (the part's area for a 地块).
    pub monitored_area_m2: f64,
    /// 后时相, the after image's date.
    pub after_image: Option<Date>,
    /// Attachments already stored for this answer.
    pub attachments: usize,
}

/// One problem with one field of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's national code (`WFMJ`, `FJ` for attachments…).
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn blank(v: Option<&String>) -> bool {
    v.is_none_or(|s| s.trim().is_empty())
}

/// Parse `YYYY-MM-DD`.
#[must_use]
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Check an answer: every missing or contradictory field, at once, in a
/// stable order. An empty list means the answer may be saved as complete.
#[must_use]
pub fn validate(answer: &Answer, facts: &PatchFacts, table: &CodeTable) -> Vec<FieldError> {
    let mut out = Vec::new();
    let cats = table.categories(facts.kind);
    let Some(cat) = cats.iter().find(|c| c.code == answer.category.trim()) else {
        let allowed: Vec<String> = cats
            .iter()
            .map(|c| format!("{}（{}）", c.code, c.name))
            .collect();
        out.push(err(
            "PDLX",
            format!(
                "判定类型“{}”无效，{} 年可选：{}",
                answer.category,
                table.year,
                allowed.join("、")
            ),
        ));
        return out;
    };
    if answer.basis.trim().is_empty() {
        out.push(err("PDYJSM", "判定依据说明必填"));
    }
    if facts.attachments == 0 {
        out.push(err("FJ", "至少需要一个附件（照片或证明材料）"));
    }
    let sub = match answer.sub.as_deref().map(str::trim) {
        None | Some("") => {
            out.push(err("JTQX", format!("“{}”须选择具体情形", cat.name)));
            None
        }
        Some(code) => {
            let s = cat.sub.iter().find(|s| s.code == code);
            if s.is_none() {
                let allowed: Vec<String> = cat
                    .sub
                    .iter()
                    .map(|s| format!("{}（{}）", s.code, s.name))
                    .collect();
                out.push(err(
                    "JTQX",
                    format!(
                        "具体情形“{code}”不属于“{}”，可选：{}",
                        cat.name,
                        allowed.join("、")
                    ),
                ));
            }
            s
        }
    };
    let policy = &table.policy;
    let tol = |a: f64| a * (1.0 + policy.area_tolerance);
    if let Some(sub) = sub {
        // Evidence: one of the groups must be complete; report the missing
        // fields of the first group (or all groups' names when several).
        let complete = |f: Form| form_missing(answer, f).is_empty();
        if !sub.requires.is_empty() && !sub.requires.iter().any(|f| complete(*f)) {
            if sub.requires.len() == 1 {
                for (field, label) in form_missing(answer, sub.requires[0]) {
                    out.push(err(field, format!("{label}必填（{}）", sub.name)));
                }
            } else {
                let names: Vec<&str> = sub.requires.iter().map(|f| f.name_zh()).collect();
                let fields: Vec<&str> = form_missing(answer, sub.requires[0])
                    .iter()
                    .map(|(f, _)| *f)
                    .collect();
                out.push(err(
                    fields.first().copied().unwrap_or("PDLX"),
                    format!("“{}”须提供以下之一：{}", sub.name, names.join("；")),
                ));
            }
        }
        // 先批后建: approval no later than the after image.
        if sub.approved_before_construction {
            if let (Some(d), Some(after)) = (
                answer.approval_date.as_deref().and_then(parse_date),
                facts.after_image,
            ) {
                if d > after {
                    out.push(err(
                        "PZSJ",
                        format!(
                            "批准时间 {d} 晚于后时相 {after}：先建后批，不能判定为“{}”",
                            sub.name
                        ),
                    ));
                }
            }
        }
    }
    if let Some(s) = answer
        .approval_date
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        if parse_date(s).is_none() {
            out.push(err(
                "PZSJ",
                format!("批准时间“{s}”应为 YYYY-MM-DD 格式的有效日期"),
            ));
        }
    }
    if let Some(s) = answer
        .licence_valid_until
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        if parse_date(s).is_none() {
            out.push(err(
                "XKZYXQZ",
                format!("许可证有效期“{s}”应为 YYYY-MM-DD 格式的有效日期"),
            ));
        }
    }

    let monitored = facts.monitored_area_m2;
    match cat.legality {
        Legality::Legal => {
            let approved = area(&mut out, "PZMJ", "批准面积", answer.approval_area_m2, false);
            let built = area(
                &mut out,
                "JSZDMJ",
                "建设占地面积",
                answer.construction_area_m2,
                false,
            )
            .unwrap_or(monitored);
            if let Some(a) = approved {
                if tol(a) < built {
                    out.push(err(
                        "PZMJ",
                        format!(
                            "批准面积 {a:.2} 平方米小于建设占地面积 {built:.2} 平方米：应判定为违法（批少占多），或拆分地块分别判定"
                        ),
                    ));
                }
            }
            if let Some(w) = answer.rural_road_width_m {
                if !w.is_finite() || w <= 0.0 {
                    out.push(err("NCDLKD", "农村道路宽度应为正数"));
                } else if w > policy.rural_road_max_width_m {
                    out.push(err(
                        "NCDLKD",
                        format!(
                            "农村道路宽度 {w} 米超过 {} 米，不属于农村道路",
                            policy.rural_road_max_width_m
                        ),
                    ));
                }
            }
        }
        Legality::Illegal => {
            let violation = sub.is_some_and(|s| s.requires.contains(&Form::Violation));
            let wf = area(
                &mut out,
                "WFMJ",
                "违法面积",
                answer.illegal_area_m2,
                violation,
            );
            let gd = area(
                &mut out,
                "WFGDMJ",
                "其中耕地",
                answer.illegal_cultivated_m2,
                violation,
            );
            let jbnt = area(
                &mut out,
                "WFJBNTMJ",
                "其中永久基本农田",
                answer.illegal_basic_farmland_m2,
                violation,
            );
            let xz = area(
                &mut out,
                "XZJSYDMJ",
                "新增建设用地面积",
                answer.new_construction_m2,
                violation,
            );
            let xzgd = area(
                &mut out,
                "XZJSZYGDMJ",
                "其中占用耕地",
                answer.new_construction_cultivated_m2,
                violation,
            );
            if violation && blank(answer.actual_use.as_ref()) {
                out.push(err("SJYT", "实际用途必填"));
            }
            if let Some(w) = wf {
                if w > tol(monitored) {
                    out.push(err(
                        "WFMJ",
                        format!("违法面积 {w:.2} 平方米大于监测面积 {monitored:.2} 平方米"),
                    ));
                }
                if let Some(g) = gd.filter(|g| *g > tol(w)) {
                    out.push(err(
                        "WFGDMJ",
                        format!("其中耕地 {g:.2} 平方米大于违法面积 {w:.2} 平方米"),
                    ));
                }
                if let Some(x) = xz.filter(|x| *x > tol(w)) {
                    out.push(err(
                        "XZJSYDMJ",
                        format!("新增建设用地面积 {x:.2} 平方米大于违法面积 {w:.2} 平方米"),
                    ));
                }
            }
            if let (Some(g), Some(j)) = (gd, jbnt) {
                if j > tol(g) {
                    out.push(err(
                        "WFJBNTMJ",
                        format!("其中永久基本农田 {j:.2} 平方米大于其中耕地 {g:.2} 平方米"),
                    ));
                }
            }
            if let (Some(x), Some(xg)) = (xz, xzgd) {
                if xg > tol(x) {
                    out.push(err(
                        "XZJSZYGDMJ",
                        format!("其中占用耕地 {xg:.2} 平方米大于新增建设用地面积 {x:.2} 平方米"),
                    ));
                }
            }
            if cat.needs_handling {
                match answer.handling {
                    None => out.push(err("CLFS", "须选择处理方式：立案、非立案处理或不处理")),
                    Some(h)
                        if policy.handling_needs_note.contains(&h)
                            && blank(answer.handling_note.as_ref()) =>
                    {
                        out.push(err(
                            "CLSM",
                            format!("处理方式为“{}”时须填写处理说明", h.name_zh()),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        Legality::Other | Legality::FalseChange => {}
    }
    check_deductions(answer, cat, table, &mut out);
    if let Some(t) = &answer.transfer {
        check_transfer(t, &mut out);
    }
    out
}

fn check_deductions(answer: &Answer, cat: &Category, table: &CodeTable, out: &mut Vec<FieldError>) {
    if answer.deductions.is_empty() {
        return;
    }
    if cat.legality != Legality::Illegal {
        out.push(err(
            "KCQX",
            format!("扣除情形只适用于违法图斑，当前判定为“{}”", cat.name),
        ));
        return;
    }
    let mut seen = HashSet::new();
    for d in &answer.deductions {
        let Some(kind) = table.deduction.iter().find(|k| k.code == d.kind.trim()) else {
            let allowed: Vec<String> = table
                .deduction
                .iter()
                .map(|k| format!("{}（{}）", k.code, k.name))
                .collect();
            out.push(err(
                "KCQX",
                format!("扣除情形“{}”无效，可选：{}", d.kind, allowed.join("、")),
            ));
            continue;
        };
        if !seen.insert(kind.code.as_str()) {
            out.push(err("KCQX", format!("扣除情形“{}”重复", kind.name)));
        }
        if kind.needs_document && blank(d.document.as_ref()) {
            out.push(err(
                "KCQX",
                format!("扣除情形“{}”须填写文件文号", kind.name),
            ));
        }
    }
}

fn check_transfer(t: &Transfer, out: &mut Vec<FieldError>) {
    if t.receiver.trim().is_empty() {
        out.push(err("JSDW", "移交须填写接收单位"));
    }
    if t.document.trim().is_empty() {
        out.push(err("YJWH", "移交须填写移交文号"));
    }
    let date = parse_date(&t.date);
    if date.is_none() {
        out.push(err(
            "YJRQ",
            format!("移交日期“{}”应为 YYYY-MM-DD 格式的有效日期", t.date),
        ));
    }
    match (
        blank(t.feedback.as_ref()),
        t.feedback_date.as_deref().filter(|s| !s.trim().is_empty()),
    ) {
        (true, None) => {}
        (true, Some(_)) => out.push(err("FKNR", "有反馈日期时须填写反馈内容")),
        (false, None) => out.push(err("FKRQ", "有反馈内容时须填写反馈日期")),
        (false, Some(f)) => match (parse_date(f), date) {
            (None, _) => out.push(err(
                "FKRQ",
                format!("反馈日期“{f}”应为 YYYY-MM-DD 格式的有效日期"),
            )),
            (Some(fd), Some(d)) if fd < d => {
                out.push(err("FKRQ", format!("反馈日期 {fd} 早于移交日期 {d}")));
            }
            _ => {}
        },
    }
}

/// A non-negative area, or an error (missing when `required`).
fn area(
    out: &mut Vec<FieldError>,
    field: &str,
    label: &str,
    v: Option<f64>,
    required: bool,
) -> Option<f64> {
    match v {
        None if required => {
            out.push(err(field, format!("{label}必填")));
            None
        }
        None => None,
        Some(a) if !a.is_finite() || a < 0.0 => {
            out.push(err(field, format!("{label}应为非负数")));
            None
        }
        Some(a) => Some(a),
    }
}

/// The fields of an evidence group that are empty, with their labels.
fn form_missing(a: &Answer, form: Form) -> Vec<(&'static str, &'static str)> {
    let mut m = Vec::new();
    let mut need = |empty: bool, field, label| {
        if empty {
            m.push((field, label));
        }
    };
    match form {
        Form::Approval => {
            need(blank(a.approval_number.as_ref()), "PZWH", "批准文号");
            need(blank(a.approval_authority.as_ref()), "PZJG", "批准机关");
            need(blank(a.approval_date.as_ref()), "PZSJ", "批准时间");
            need(a.approval_area_m2.is_none(), "PZMJ", "批准面积");
        }
        Form::FacilityFiling => need(
            blank(a.facility_filing.as_ref()),
            "SSNYDBABH",
            "设施农用地备案编号",
        ),
        Form::Temporary => need(
            blank(a.temporary_permit.as_ref()),
            "LSYDPZWH",
            "临时用地批准文号",
        ),
        Form::Linkage => need(
            blank(a.linkage_project.as_ref()),
            "ZJGGXMMC",
            "增减挂钩项目名称",
        ),
        Form::RuralRoad => need(a.rural_road_width_m.is_none(), "NCDLKD", "农村道路宽度"),
        Form::OtherApproval => need(blank(a.other_approval.as_ref()), "QTPZWJ", "其他批准文件"),
        Form::MiningLicence => {
            need(blank(a.licence_number.as_ref()), "XKZH", "许可证号");
            need(
                blank(a.licence_valid_until.as_ref()),
                "XKZYXQZ",
                "许可证有效期",
            );
        }
        // The violation fields are checked with their areas.
        Form::Violation => {}
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn each_forms_fields_cover_what_its_validation_requires() {
        for form in Form::ALL {
            let shown: Vec<&str> = form.fields().iter().map(|f| f.code).collect();
            for (code, _) in form_missing(&Answer::default(), form) {
                assert!(shown.contains(&code), "{form:?} does not show {code}");
            }
        }
        // The violation fields are checked with their areas, by code.
        let violation: Vec<&str> = Form::Violation.fields().iter().map(|f| f.code).collect();
        assert_eq!(
            violation,
            [
                "SJYT",
                "WFMJ",
                "WFGDMJ",
                "WFJBNTMJ",
                "XZJSYDMJ",
                "XZJSZYGDMJ"
            ]
        );
    }

    fn table() -> &'static CodeTable {
        CodeTable::embedded(2020).expect("2020 is embedded")
    }

    fn facts() -> PatchFacts {
        PatchFacts {
            kind: PatchKind::Land,
            monitored_area_m2: 10_000.0,
            after_image: Some(date!(2020 - 03 - 31)),
            attachments: 1,
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn every_embedded_table_parses_and_has_its_year() {
        assert!(CodeTable::embedded_years().contains(&2020));
        for (year, text) in EMBEDDED {
            let t = CodeTable::from_toml(text).unwrap_or_else(|e| panic!("{year}: {e}"));
            assert_eq!(t.year, *year);
        }
        assert!(CodeTable::embedded(1999).is_none());
    }

    #[test]
    fn a_new_year_is_data_only() {
        // A 2021 table with a new sub-category parses and validates answers
        // without any code change.
        let anchor = "legality = \"other\"\n";
        assert!(EMBEDDED[0].1.contains(anchor));
        let text = EMBEDDED[0].1.replace("year = 2020", "year = 2021").replace(
            anchor,
            "legality = \"other\"\n\n  [[land.sub]]\n  code = \"QT09\"\n  name = \"2021 新增情形\"\n  requires = []\n",
        );
        let t = CodeTable::from_toml(&text).unwrap();
        assert_eq!(t.year, 2021);
        let a = Answer {
            category: "QT".into(),
            sub: Some("QT09".into()),
            basis: "现场核实".into(),
            ..Answer::default()
        };
        assert_eq!(validate(&a, &facts(), &t), vec![]);
        assert_eq!(fields(&validate(&a, &facts(), table())), vec!["JTQX"]);
    }

    #[test]
    fn broken_tables_are_refused() {
        let dup = EMBEDDED[0].1.replace("code = \"HF02\"", "code = \"HF01\"");
        assert_eq!(
            CodeTable::from_toml(&dup),
            Err(CodeTableError::Duplicate("HF01".into()))
        );
        assert!(matches!(
            CodeTable::from_toml("year = 'x'"),
            Err(CodeTableError::Syntax(_))
        ));
    }

    #[test]
    fn an_empty_illegal_answer_lists_every_missing_field_at_once() {
        let a = Answer {
            category: "WF".into(),
            sub: Some("WF01".into()),
            ..Answer::default()
        };
        let f = PatchFacts {
            attachments: 0,
            ..facts()
        };
        let e = validate(&a, &f, table());
        assert_eq!(
            fields(&e),
            vec![
                "PDYJSM",
                "FJ",
                "WFMJ",
                "WFGDMJ",
                "WFJBNTMJ",
                "XZJSYDMJ",
                "XZJSZYGDMJ",
                "SJYT"
            ]
        );
        assert!(e.iter().all(|x| !x.message.is_empty()));
    }

    #[test]
    fn illegal_area_contradictions_are_errors() {
        let a = Answer {
            category: "WF".into(),
            sub: Some("WF01".into()),
            basis: "未批先建".into(),
            actual_use: Some("厂房".into()),
            illegal_area_m2: Some(12_000.0), // > 监测面积 10,000
            illegal_cultivated_m2: Some(13_000.0), // > 违法面积
            illegal_basic_farmland_m2: Some(14_000.0), // > 其中耕地
            new_construction_m2: Some(5_000.0),
            new_construction_cultivated_m2: Some(6_000.0), // > 新增建设用地
            ..Answer::default()
        };
        let e = validate(&a, &facts(), table());
        assert_eq!(fields(&e), vec!["WFMJ", "WFGDMJ", "WFJBNTMJ", "XZJSZYGDMJ"]);
        // Within the tolerance is fine.
        let ok = Answer {
            illegal_area_m2: Some(10_005.0),
            illegal_cultivated_m2: Some(8_000.0),
            illegal_basic_farmland_m2: Some(8_000.0),
            new_construction_cultivated_m2: Some(5_000.0),
            ..a
        };
        assert_eq!(validate(&ok, &facts(), table()), vec![]);
    }

    #[test]
    fn legal_answers_need_their_evidence_and_consistent_dates_and_areas() {
        let mut a = Answer {
            category: "HF".into(),
            sub: Some("HF01".into()),
            basis: "已批".into(),
            ..Answer::default()
        };
        assert_eq!(
            fields(&validate(&a, &facts(), table())),
            vec!["PZWH", "PZJG", "PZSJ", "PZMJ"]
        );
        a.approval_number = Some("川府土〔2020〕12号".into());
        a.approval_authority = Some("四川省人民政府".into());
        a.approval_date = Some("2020-05-01".into()); // after the after image: 先建后批
        a.approval_area_m2 = Some(8_000.0); // < construction (monitored 10,000): 批少占多
        let e = validate(&a, &facts(), table());
        assert_eq!(fields(&e), vec!["PZSJ", "PZMJ"], "{e:?}");
        assert!(e[0].message.contains("晚于后时相"));
        assert!(e[1].message.contains("批少占多"));
        // A construction area within the approval, an approval before the image: valid.
        a.approval_date = Some("2019-12-01".into());
        a.construction_area_m2 = Some(7_990.0);
        assert_eq!(validate(&a, &facts(), table()), vec![]);
        a.approval_date = Some("2019-02-30".into());
        assert_eq!(fields(&validate(&a, &facts(), table())), vec!["PZSJ"]);
        // Either of two forms: the message names both.
        let b = Answer {
            category: "HF".into(),
            sub: Some("HF06".into()),
            basis: "土地整治".into(),
            ..Answer::default()
        };
        let e = validate(&b, &facts(), table());
        assert_eq!(e.len(), 1);
        assert!(
            e[0].message.contains("其他批准文件") && e[0].message.contains("批准文件（"),
            "{e:?}"
        );
        // Rural road wider than the year's limit.
        let r = Answer {
            category: "HF".into(),
            sub: Some("HF05".into()),
            basis: "村道".into(),
            rural_road_width_m: Some(9.5),
            ..Answer::default()
        };
        assert_eq!(fields(&validate(&r, &facts(), table())), vec!["NCDLKD"]);
    }

    #[test]
    fn unknown_categories_and_subcategories_name_the_choices() {
        let a = Answer {
            category: "XX".into(),
            ..Answer::default()
        };
        let e = validate(&a, &facts(), table());
        assert_eq!(fields(&e), vec!["PDLX"]);
        assert!(e[0].message.contains("HF（合法）"));
        let b = Answer {
            category: "QT".into(),
            sub: Some("WF01".into()),
            basis: "x".into(),
            ..Answer::default()
        };
        let e = validate(&b, &facts(), table());
        assert_eq!(fields(&e), vec!["JTQX"]);
        assert!(e[0].message.contains("QT01"));
        // Land codes are not mineral codes.
        let m = PatchFacts {
            kind: PatchKind::Mineral,
            ..facts()
        };
        let c = Answer {
            category: "QT".into(),
            ..Answer::default()
        };
        assert_eq!(fields(&validate(&c, &m, table())), vec!["PDLX"]);
    }

    #[test]
    fn illegal_mining_needs_a_handling_and_a_note_unless_filed() {
        let m = PatchFacts {
            kind: PatchKind::Mineral,
            ..facts()
        };
        let mut a = Answer {
            category: "WF".into(),
            sub: Some("KWF01".into()),
            basis: "无证开采".into(),
            ..Answer::default()
        };
        assert_eq!(fields(&validate(&a, &m, table())), vec!["CLFS"]);
        a.handling = Some(Handling::NonCase);
        assert_eq!(fields(&validate(&a, &m, table())), vec!["CLSM"]);
        a.handling_note = Some("已责令停止并恢复".into());
        assert_eq!(validate(&a, &m, table()), vec![]);
        a.handling = Some(Handling::Case);
        a.handling_note = None;
        assert_eq!(validate(&a, &m, table()), vec![]);
        // 越界开采 needs the licence.
        a.sub = Some("KWF02".into());
        assert_eq!(fields(&validate(&a, &m, table())), vec!["XKZH", "XKZYXQZ"]);
    }

    #[test]
    fn deductions_belong_to_illegal_answers_and_cite_documents_where_the_year_says() {
        let base = Answer {
            category: "WF".into(),
            sub: Some("WF01".into()),
            basis: "x".into(),
            actual_use: Some("住宅".into()),
            illegal_area_m2: Some(100.0),
            illegal_cultivated_m2: Some(50.0),
            illegal_basic_farmland_m2: Some(0.0),
            new_construction_m2: Some(100.0),
            new_construction_cultivated_m2: Some(50.0),
            ..Answer::default()
        };
        let d = |kind: &str, doc: Option<&str>| Deduction {
            kind: kind.into(),
            document: doc.map(str::to_string),
            note: None,
        };
        let ok = Answer {
            deductions: vec![d("yhyz", None), d("zdjcss", Some("发改基础〔2020〕1号"))],
            ..base.clone()
        };
        assert_eq!(validate(&ok, &facts(), table()), vec![]);
        let bad = Answer {
            deductions: vec![
                d("zdjcss", None),
                d("xx", None),
                d("yhyz", None),
                d("yhyz", None),
            ],
            ..base.clone()
        };
        let msgs: Vec<String> = validate(&bad, &facts(), table())
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs[0].contains("须填写文件文号")
                && msgs[1].contains("无效")
                && msgs[2].contains("重复"),
            "{msgs:?}"
        );
        let legal = Answer {
            category: "QT".into(),
            sub: Some("QT01".into()),
            deductions: vec![d("yhyz", None)],
            ..base
        };
        assert_eq!(fields(&validate(&legal, &facts(), table())), vec!["KCQX"]);
    }

    #[test]
    fn transfers_need_receiver_document_and_consistent_dates() {
        let t = |fb: Option<&str>, fd: Option<&str>| Answer {
            category: "QT".into(),
            sub: Some("QT02".into()),
            basis: "农村村民建房，移交乡镇".into(),
            transfer: Some(Transfer {
                receiver: "某某镇人民政府".into(),
                date: "2020-05-10".into(),
                document: "锦自然资移〔2020〕3号".into(),
                feedback: fb.map(str::to_string),
                feedback_date: fd.map(str::to_string),
            }),
            ..Answer::default()
        };
        let awaiting = t(None, None);
        assert_eq!(validate(&awaiting, &facts(), table()), vec![]);
        assert!(awaiting.transfer.as_ref().unwrap().awaiting_feedback());
        let done = t(Some("已责令拆除"), Some("2020-06-01"));
        assert_eq!(validate(&done, &facts(), table()), vec![]);
        assert!(!done.transfer.as_ref().unwrap().awaiting_feedback());
        assert_eq!(
            fields(&validate(&t(Some("x"), None), &facts(), table())),
            vec!["FKRQ"]
        );
        assert_eq!(
            fields(&validate(&t(None, Some("2020-06-01")), &facts(), table())),
            vec!["FKNR"]
        );
        let e = validate(&t(Some("x"), Some("2020-05-01")), &facts(), table());
        assert!(e[0].message.contains("早于移交日期"), "{e:?}");
        let empty = Answer {
            transfer: Some(Transfer::default()),
            ..t(None, None)
        };
        assert_eq!(
            fields(&validate(&empty, &facts(), table())),
            vec!["JSDW", "YJWH", "YJRQ"]
        );
    }

    #[test]
    fn answers_use_the_national_codes_in_json() {
        let a: Answer = serde_json::from_str(
            r#"{"PDLX":"WF","JTQX":"WF01","PDYJSM":"x","WFMJ":12.5,"CLFS":"non_case"}"#,
        )
        .unwrap();
        assert_eq!(a.illegal_area_m2, Some(12.5));
        assert_eq!(a.handling, Some(Handling::NonCase));
    }
}
