//! Cases (违法行为, counted in 件): the stages from 立案 to 结案, the
//! rectification measures, 消除违法状态, supervision and the responsible
//! parties — as a record changed only by [`Case::apply`], which refuses an
//! event out of order with the reason.
//!
//! ```
//! use weipian_domain::case::{Case, CaseEvent};
//! let mut c = Case::new("锦江违〔2020〕1号");
//! let e = c.apply(&CaseEvent::Close { date: "2020-06-01".into() }).unwrap_err();
//! assert!(e.to_string().contains("尚未立案"));
//! c.apply(&CaseEvent::File { date: "2020-04-01".into(), document: "锦自然资立〔2020〕5号".into() }).unwrap();
//! assert!(c.filing.is_some());
//! ```

use serde::{Deserialize, Serialize};
use time::Date;

use crate::determination::parse_date;

/// 立案
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filing {
    pub date: String,
    pub document: String,
}

/// A measure of a 行政处罚/处理决定.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 罚款
    Fine,
    /// 限期拆除
    Demolition,
    /// 没收
    Confiscation,
    /// 其他
    Other,
}

/// 行政处罚/处理决定
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub date: String,
    pub document: String,
    pub measures: Vec<Measure>,
    /// 罚款金额（元）
    #[serde(default)]
    pub fine_yuan: Option<f64>,
    #[serde(default)]
    pub content: Option<String>,
}

/// Kinds of rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectificationKind {
    /// 拆除
    Demolition,
    /// 复耕
    Recultivation,
    /// 毁闭 (mines)
    Closure,
    /// 补办/完善用地手续
    Remedy,
}

impl RectificationKind {
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Demolition => "拆除",
            Self::Recultivation => "复耕",
            Self::Closure => "毁闭",
            Self::Remedy => "补办用地手续",
        }
    }
}

/// One rectification measure, with its areas (m²).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rectification {
    pub kind: RectificationKind,
    pub date: String,
    pub area_m2: f64,
    #[serde(default)]
    pub cultivated_m2: f64,
    #[serde(default)]
    pub basic_farmland_m2: f64,
    /// 补办手续: 文号
    #[serde(default)]
    pub document: Option<String>,
    /// 补办手续: 批准时间
    #[serde(default)]
    pub approval_date: Option<String>,
    /// On-site photos of the result: SHA-256 of photos attached to the
    /// case's patches (the service checks they are, and when they were taken).
    #[serde(default)]
    pub photos: Vec<String>,
}

/// 挂牌督办
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supervision {
    /// 督办层级 (`province`, `ministry`)
    pub level: String,
    pub demands: String,
    pub deadline: String,
    /// Progress reports: (date, text).
    #[serde(default)]
    pub reports: Vec<(String, String)>,
}

/// Kinds of responsible party (the seed asks to pursue the officials who
/// approved illegally, not only the builders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// 单位
    Unit,
    /// 个人
    Person,
    /// 政府或部门及其工作人员
    Government,
}

/// A responsible party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub kind: PartyKind,
    pub name: String,
    /// Position (for officials).
    #[serde(default)]
    pub position: Option<String>,
}

/// A case record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// 违法行为编号
    pub number: String,
    #[serde(default)]
    pub filing: Option<Filing>,
    #[serde(default)]
    pub decision: Option<Decision>,
    /// 落实到位
    #[serde(default)]
    pub enforced: Option<String>,
    /// 结案
    #[serde(default)]
    pub closed: Option<String>,
    #[serde(default)]
    pub rectifications: Vec<Rectification>,
    /// 消除违法状态
    #[serde(default)]
    pub eliminated: Option<String>,
    #[serde(default)]
    pub supervision: Option<Supervision>,
    /// 公开通报
    #[serde(default)]
    pub public_notice: bool,
    #[serde(default)]
    pub parties: Vec<Party>,
}

/// A change to a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CaseEvent {
    File { date: String, document: String },
    Decide(Decision),
    Enforce { date: String },
    Close { date: String },
    Rectify(Rectification),
    Eliminate { date: String },
    Supervise(Supervision),
    Report { date: String, text: String },
    PublicNotice,
    AddParty(Party),
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CaseError(pub String);

fn date(s: &str, what: &str) -> Result<Date, CaseError> {
    parse_date(s).ok_or_else(|| CaseError(format!("{what}“{s}”应为 YYYY-MM-DD 格式的有效日期")))
}

fn not_before(d: Date, earlier: Option<&str>, what: &str, other: &str) -> Result<(), CaseError> {
    if let Some(e) = earlier.and_then(parse_date) {
        if d < e {
            return Err(CaseError(format!(
                "{what} {d} 早于{other} {e}：日期不能倒退"
            )));
        }
    }
    Ok(())
}

fn area(v: f64, what: &str) -> Result<(), CaseError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(CaseError(format!("{what}应为非负数")))
    }
}

impl Case {
    /// A new case (立案 not yet recorded).
    #[must_use]
    pub fn new(number: &str) -> Case {
        Case {
            number: number.trim().to_string(),
            filing: None,
            decision: None,
            enforced: None,
            closed: None,
            rectifications: Vec::new(),
            eliminated: None,
            supervision: None,
            public_notice: false,
            parties: Vec::new(),
        }
    }

    /// The stage shown in lists.
    #[must_use]
    pub fn stage_zh(&self) -> &'static str {
        if self.closed.is_some() {
            "已结案"
        } else if self.enforced.is_some() {
            "已落实到位"
        } else if self.decision.is_some() {
            "已作出处理决定"
        } else if self.filing.is_some() {
            "已立案"
        } else {
            "未立案"
        }
    }

    /// Apply an event, or refuse it (the case unchanged) with the reason.
    pub fn apply(&mut self, event: &CaseEvent) -> Result<(), CaseError> {
        let filed = || {
            self.filing
                .as_ref()
                .map(|f| f.date.clone())
                .ok_or_else(|| CaseError("尚未立案".into()))
        };
        if self.closed.is_some()
            && !matches!(
                event,
                CaseEvent::PublicNotice | CaseEvent::AddParty(_) | CaseEvent::Report { .. }
            )
        {
            return Err(CaseError("案件已结案，不能再变更".into()));
        }
        match event {
            CaseEvent::File { date: d, document } => {
                if self.filing.is_some() {
                    return Err(CaseError("已经立案".into()));
                }
                date(d, "立案日期")?;
                if document.trim().is_empty() {
                    return Err(CaseError("立案须填写立案文号".into()));
                }
                self.filing = Some(Filing {
                    date: d.clone(),
                    document: document.trim().into(),
                });
            }
            CaseEvent::Decide(dec) => {
                let f = filed().map_err(|_| CaseError("尚未立案，不能作出处理决定".into()))?;
                if self.decision.is_some() {
                    return Err(CaseError("已经作出处理决定".into()));
                }
                let d = date(&dec.date, "决定日期")?;
                not_before(d, Some(&f), "决定日期", "立案日期")?;
                if dec.measures.is_empty() {
                    return Err(CaseError("处理决定须至少包含一项措施".into()));
                }
                if dec.measures.contains(&Measure::Fine) {
                    match dec.fine_yuan {
                        Some(v) if v.is_finite() && v > 0.0 => {}
                        _ => return Err(CaseError("罚款须填写大于零的罚款金额".into())),
                    }
                }
                self.decision = Some(dec.clone());
            }
            CaseEvent::Enforce { date: d } => {
                let dec = self
                    .decision
                    .as_ref()
                    .ok_or_else(|| CaseError("尚未作出处理决定，不能落实到位".into()))?;
                let dd = date(d, "落实日期")?;
                not_before(dd, Some(&dec.date), "落实日期", "决定日期")?;
                self.enforced = Some(d.clone());
            }
            CaseEvent::Close { date: d } => {
                filed().map_err(|_| CaseError("尚未立案，不能结案".into()))?;
                let e = self
                    .enforced
                    .clone()
                    .ok_or_else(|| CaseError("处理决定尚未落实到位，不能结案".into()))?;
                let dd = date(d, "结案日期")?;
                not_before(dd, Some(&e), "结案日期", "落实日期")?;
                self.closed = Some(d.clone());
            }
            CaseEvent::Rectify(r) => {
                let d = date(&r.date, "整改日期")?;
                area(r.area_m2, "整改面积")?;
                area(r.cultivated_m2, "其中耕地")?;
                area(r.basic_farmland_m2, "其中永久基本农田")?;
                if r.cultivated_m2 > r.area_m2 || r.basic_farmland_m2 > r.cultivated_m2 {
                    return Err(CaseError(
                        "面积不一致：其中耕地不能大于整改面积，其中永久基本农田不能大于其中耕地"
                            .into(),
                    ));
                }
                if r.photos.is_empty() {
                    return Err(CaseError("整改措施须附至少一张现场照片".into()));
                }
                if r.kind == RectificationKind::Remedy {
                    if r.document.as_deref().is_none_or(|s| s.trim().is_empty()) {
                        return Err(CaseError("补办用地手续须填写批准文号".into()));
                    }
                    let a = date(r.approval_date.as_deref().unwrap_or(""), "批准时间")?;
                    if a > d {
                        return Err(CaseError(format!("批准时间 {a} 晚于整改日期 {d}")));
                    }
                }
                if self.eliminated.is_some() {
                    return Err(CaseError("已消除违法状态，不能再登记整改措施".into()));
                }
                self.rectifications.push(r.clone());
            }
            CaseEvent::Eliminate { date: d } => {
                if self.rectifications.is_empty() {
                    return Err(CaseError("尚无整改措施，不能认定消除违法状态".into()));
                }
                if self.eliminated.is_some() {
                    return Err(CaseError("已认定消除违法状态".into()));
                }
                let dd = date(d, "消除违法状态日期")?;
                let last = self.rectifications.iter().map(|r| r.date.as_str()).max();
                not_before(dd, last, "消除违法状态日期", "最后一项整改措施日期")?;
                self.eliminated = Some(d.clone());
            }
            CaseEvent::Supervise(s) => {
                date(&s.deadline, "督办期限")?;
                if s.demands.trim().is_empty() {
                    return Err(CaseError("挂牌督办须写明督办要求".into()));
                }
                self.supervision = Some(s.clone());
            }
            CaseEvent::Report { date: d, text } => {
                let sup = self
                    .supervision
                    .as_mut()
                    .ok_or_else(|| CaseError("案件未挂牌督办，无需报告进展".into()))?;
                let dd = date(d, "进展报告日期")?;
                not_before(
                    dd,
                    sup.reports.last().map(|r| r.0.as_str()),
                    "进展报告日期",
                    "上一次报告日期",
                )?;
                sup.reports.push((d.clone(), text.clone()));
            }
            CaseEvent::PublicNotice => self.public_notice = true,
            CaseEvent::AddParty(p) => {
                if p.name.trim().is_empty() {
                    return Err(CaseError("责任主体须填写名称".into()));
                }
                self.parties.push(p.clone());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> CaseEvent {
        CaseEvent::File {
            date: "2020-04-01".into(),
            document: "锦自然资立〔2020〕5号".into(),
        }
    }

    fn decide(date: &str) -> CaseEvent {
        CaseEvent::Decide(Decision {
            date: date.into(),
            document: "锦自然资罚〔2020〕7号".into(),
            measures: vec![Measure::Fine, Measure::Demolition],
            fine_yuan: Some(52_000.0),
            content: None,
        })
    }

    fn rectify(kind: RectificationKind, date: &str) -> CaseEvent {
        CaseEvent::Rectify(Rectification {
            kind,
            date: date.into(),
            area_m2: 1000.0,
            cultivated_m2: 600.0,
            basic_farmland_m2: 100.0,
            document: None,
            approval_date: None,
            photos: vec!["a".repeat(64)],
        })
    }

    fn refused(c: &mut Case, e: &CaseEvent, msg: &str) {
        let before = c.clone();
        let err = c.apply(e).unwrap_err();
        assert!(err.0.contains(msg), "{err} (wanted {msg})");
        assert_eq!(*c, before, "a refused event changes nothing");
    }

    #[test]
    fn the_stages_run_in_order_and_out_of_order_events_say_why() {
        let mut c = Case::new("锦江违〔2020〕1号");
        refused(
            &mut c,
            &CaseEvent::Close {
                date: "2020-06-01".into(),
            },
            "尚未立案",
        );
        refused(&mut c, &decide("2020-05-01"), "尚未立案");
        refused(
            &mut c,
            &CaseEvent::Enforce {
                date: "2020-05-01".into(),
            },
            "尚未作出处理决定",
        );
        c.apply(&file()).unwrap();
        assert_eq!(c.stage_zh(), "已立案");
        refused(&mut c, &file(), "已经立案");
        refused(&mut c, &decide("2020-03-01"), "早于立案日期");
        c.apply(&decide("2020-05-01")).unwrap();
        refused(
            &mut c,
            &CaseEvent::Close {
                date: "2020-06-01".into(),
            },
            "尚未落实到位",
        );
        refused(
            &mut c,
            &CaseEvent::Enforce {
                date: "2020-04-30".into(),
            },
            "日期不能倒退",
        );
        c.apply(&CaseEvent::Enforce {
            date: "2020-05-20".into(),
        })
        .unwrap();
        c.apply(&CaseEvent::Close {
            date: "2020-06-01".into(),
        })
        .unwrap();
        assert_eq!(c.stage_zh(), "已结案");
        refused(
            &mut c,
            &rectify(RectificationKind::Demolition, "2020-06-02"),
            "已结案",
        );
        // Notice and parties may still be recorded after closure.
        c.apply(&CaseEvent::PublicNotice).unwrap();
        c.apply(&CaseEvent::AddParty(Party {
            kind: PartyKind::Government,
            name: "某镇人民政府".into(),
            position: Some("镇长".into()),
        }))
        .unwrap();
    }

    #[test]
    fn decisions_need_measures_and_a_fine_amount() {
        let mut c = Case::new("x");
        c.apply(&file()).unwrap();
        let mut d = Decision {
            date: "2020-05-01".into(),
            document: "x".into(),
            measures: vec![],
            fine_yuan: None,
            content: None,
        };
        refused(&mut c, &CaseEvent::Decide(d.clone()), "至少包含一项措施");
        d.measures = vec![Measure::Fine];
        refused(&mut c, &CaseEvent::Decide(d.clone()), "罚款金额");
        refused(
            &mut c,
            &CaseEvent::Decide(Decision {
                date: "2020-02-30".into(),
                ..d
            }),
            "有效日期",
        );
    }

    #[test]
    fn elimination_needs_a_measure_before_it() {
        let mut c = Case::new("x");
        refused(
            &mut c,
            &CaseEvent::Eliminate {
                date: "2020-07-01".into(),
            },
            "尚无整改措施",
        );
        c.apply(&rectify(RectificationKind::Demolition, "2020-06-10"))
            .unwrap();
        c.apply(&rectify(RectificationKind::Recultivation, "2020-06-20"))
            .unwrap();
        refused(
            &mut c,
            &CaseEvent::Eliminate {
                date: "2020-06-15".into(),
            },
            "最后一项整改措施日期",
        );
        c.apply(&CaseEvent::Eliminate {
            date: "2020-06-30".into(),
        })
        .unwrap();
        refused(
            &mut c,
            &rectify(RectificationKind::Demolition, "2020-07-02"),
            "已消除违法状态",
        );
        // Areas must nest; a remedy needs its approval.
        let mut d = Case::new("y");
        let bad = CaseEvent::Rectify(Rectification {
            kind: RectificationKind::Demolition,
            date: "2020-06-10".into(),
            area_m2: 100.0,
            cultivated_m2: 200.0,
            basic_farmland_m2: 0.0,
            document: None,
            approval_date: None,
            photos: vec!["a".repeat(64)],
        });
        refused(&mut d, &bad, "面积不一致");
        refused(
            &mut d,
            &rectify(RectificationKind::Remedy, "2020-06-10"),
            "批准文号",
        );
        let remedy = CaseEvent::Rectify(Rectification {
            kind: RectificationKind::Remedy,
            date: "2020-06-10".into(),
            area_m2: 100.0,
            cultivated_m2: 0.0,
            basic_farmland_m2: 0.0,
            document: Some("川府土〔2020〕99号".into()),
            approval_date: Some("2020-06-01".into()),
            photos: vec!["a".repeat(64)],
        });
        // A measure without an on-site photo is refused.
        let CaseEvent::Rectify(mut no_photo) = remedy.clone() else {
            unreachable!()
        };
        no_photo.photos.clear();
        refused(&mut d, &CaseEvent::Rectify(no_photo), "现场照片");
        d.apply(&remedy).unwrap();
    }

    #[test]
    fn supervision_takes_reports_in_date_order() {
        let mut c = Case::new("x");
        refused(
            &mut c,
            &CaseEvent::Report {
                date: "2020-06-01".into(),
                text: "x".into(),
            },
            "未挂牌督办",
        );
        c.apply(&CaseEvent::Supervise(Supervision {
            level: "province".into(),
            demands: "30 日内拆除".into(),
            deadline: "2020-07-31".into(),
            reports: vec![],
        }))
        .unwrap();
        c.apply(&CaseEvent::Report {
            date: "2020-06-10".into(),
            text: "已拆除一半".into(),
        })
        .unwrap();
        refused(
            &mut c,
            &CaseEvent::Report {
                date: "2020-06-01".into(),
                text: "x".into(),
            },
            "上一次报告日期",
        );
    }

    #[test]
    fn events_read_from_json() {
        let e: CaseEvent =
            serde_json::from_str(r#"{"event":"file","date":"2020-04-01","document":"x"}"#).unwrap();
        assert_eq!(
            e,
            CaseEvent::File {
                date: "2020-04-01".into(),
                document: "x".into()
            }
        );
        let r: CaseEvent = serde_json::from_str(
            r#"{"event":"rectify","kind":"recultivation","date":"2020-06-01","area_m2":10.5}"#,
        )
        .unwrap();
        assert!(matches!(
            r,
            CaseEvent::Rectify(Rectification {
                kind: RectificationKind::Recultivation,
                ..
            })
        ));
    }
}
