//! Desk-review rules (内业审核): checks a technical-support unit runs on
//! every submitted patch, each with a code, a Chinese explanation and the
//! evidence that triggered it. A flag makes the patch a 疑似问题图斑 that
//! goes back for 复核.
//!
//! The rules are pure functions of [`DeskFacts`] (what the service gathers
//! from the store: answers, overlay figures, photos, cases) and the year's
//! thresholds ([`DeskPolicy`], `[desk]` in `data/determination/YEAR.toml`).
//!
//! ```
//! use weipian_domain::desk::{check, DeskFacts, DeskPolicy, RULES};
//! use weipian_domain::PatchKind;
//! let mut facts = DeskFacts { kind: PatchKind::Land, patch_area_m2: 1000.0, ..DeskFacts::default() };
//! // Not answered, no deadline in sight: nothing to say yet.
//! assert!(check(&facts, &DeskPolicy::default()).is_empty());
//! // Three days before the deadline, still incomplete.
//! facts.days_to_deadline = Some(3);
//! let flags = check(&facts, &DeskPolicy::default());
//! assert_eq!(flags.iter().map(|f| f.rule).collect::<Vec<_>>(), vec!["R07"]);
//! assert!(RULES.iter().any(|r| r.code == "R02"));
//! ```

use serde::{Deserialize, Serialize};
use time::Date;

use crate::determination::{Answer, Legality};
use crate::PatchKind;

/// A rule: its code and what it checks (Chinese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub explanation: &'static str,
}

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    Rule {
        code: "R01",
        name: "合法缺批准依据",
        explanation: "判定为合法，但没有批准文件（批准文号、机关、时间、面积）或其他合法形式的依据；或批准面积小于建设占地面积而未判定批少占多",
    },
    Rule {
        code: "R02",
        name: "合法无已批准用地",
        explanation: "判定为合法（依批准文件），但没有已批准用地图斑覆盖该图斑，或所引批准文号不属于与图斑相交的已批准用地",
    },
    Rule {
        code: "R03",
        name: "其他或伪变化却有大面积变化",
        explanation: "判定为其他或伪变化，但叠加分析显示图斑内有大面积耕地（阈值见年度规则）",
    },
    Rule {
        code: "R04",
        name: "面积不一致",
        explanation: "填报面积与叠加分析面积或下发监测面积不一致：违法占用耕地、永久基本农田面积大于叠加所得，或违法面积大于图斑面积",
    },
    Rule {
        code: "R05",
        name: "照片问题",
        explanation: "没有照片，或照片没有 GPS 位置、拍摄位置距图斑过远、拍摄时间早于后时相，或同一张（或几乎相同的）照片也用于其他图斑",
    },
    Rule {
        code: "R06",
        name: "消除违法状态缺整改后照片",
        explanation: "案件认定消除违法状态，但没有拍摄于处理决定之后的整改现场照片",
    },
    Rule {
        code: "R07",
        name: "临近期限仍未填报完整",
        explanation: "填报期限临近（天数见年度规则）或已过，必填项仍为空",
    },
];

/// The year's thresholds for the rules.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeskPolicy {
    /// R02: the approved-land layer must cover at least this share of the patch.
    pub approval_cover_share: f64,
    /// R03: 耕地 in the patch from this many m² …
    pub other_gd_m2: f64,
    /// … or from this share of the patch makes 其他/伪变化 suspicious.
    pub other_gd_share: f64,
    /// R04: differences up to this many m² are rounding, not inconsistency.
    pub area_slack_m2: f64,
    /// R05: two photos whose perceptual hashes differ in at most this many
    /// bits of 64 are the same picture.
    pub phash_max_bits: u32,
    /// R07: warn this many days before a deadline.
    pub deadline_warning_days: i64,
}

impl Default for DeskPolicy {
    fn default() -> Self {
        Self {
            approval_cover_share: 0.9,
            other_gd_m2: 3335.0,
            other_gd_share: 0.5,
            area_slack_m2: 1.0,
            phash_max_bits: 6,
            deadline_warning_days: 7,
        }
    }
}

/// One answer of the patch (the whole patch, or a 地块) with what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct AnsweredPart {
    /// `JCBH` or `JCBH-n`.
    pub label: String,
    pub answer: Answer,
    pub legality: Legality,
    /// Whether the answer's sub-category is approval-based (批准文件).
    pub approval_based: bool,
    /// The part's area (the patch's when whole), m².
    pub area_m2: f64,
}

/// A photo of the patch as the rules see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoFacts {
    pub file_name: String,
    /// What the evidence check already says about it (no GPS, too far,
    /// taken before 后时相, the same bytes on another patch).
    pub flags: Vec<String>,
    /// Other patches (labels) with a near-identical picture.
    pub similar_to: Vec<String>,
}

/// A case of the patch that claims 消除违法状态.
#[derive(Debug, Clone, PartialEq)]
pub struct EliminatedCase {
    pub number: String,
    /// 处理决定 date.
    pub decision: Option<Date>,
    /// Capture dates of the case's rectification photos.
    pub photo_dates: Vec<Option<Date>>,
}

/// Everything the rules look at for one patch.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskFacts {
    pub kind: PatchKind,
    pub patch_area_m2: f64,
    pub answers: Vec<AnsweredPart>,
    /// Overlay figures, m² (None: not analysed or stale).
    pub gd_m2: Option<f64>,
    pub jbnt_m2: Option<f64>,
    pub pzyd_m2: Option<f64>,
    /// 批准文号 of the approved-land features the patch meets.
    pub pzyd_numbers: Vec<String>,
    pub photos: Vec<PhotoFacts>,
    pub cases: Vec<EliminatedCase>,
    /// R07: days left to the county's deadline (negative: past), and
    /// whether the answers are complete.
    pub days_to_deadline: Option<i64>,
    pub complete: bool,
}

impl Default for DeskFacts {
    fn default() -> Self {
        Self {
            kind: PatchKind::Land,
            patch_area_m2: 0.0,
            answers: Vec::new(),
            gd_m2: None,
            jbnt_m2: None,
            pzyd_m2: None,
            pzyd_numbers: Vec::new(),
            photos: Vec::new(),
            cases: Vec::new(),
            days_to_deadline: None,
            complete: false,
        }
    }
}

/// A rule that fired, with what triggered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub rule: &'static str,
    pub message: String,
    /// The facts behind it, readable (Chinese).
    pub evidence: Vec<String>,
}

fn mu(m2: f64) -> f64 {
    crate::units::mu(m2)
}

fn has(s: Option<&String>) -> bool {
    s.is_some_and(|t| !t.trim().is_empty())
}

/// Run every rule on one patch.
#[must_use]
pub fn check(f: &DeskFacts, p: &DeskPolicy) -> Vec<Flag> {
    let mut out = Vec::new();
    for a in &f.answers {
        let x = &a.answer;
        let legal = a.legality == Legality::Legal;
        // R01
        if legal && a.approval_based {
            let approval = has(x.approval_number.as_ref())
                && has(x.approval_authority.as_ref())
                && has(x.approval_date.as_ref())
                && x.approval_area_m2.is_some();
            if !approval {
                out.push(Flag {
                    rule: "R01",
                    message: format!("{} 判定为合法，但批准文件信息不全", a.label),
                    evidence: vec![format!(
                        "批准文号：{}；批准面积：{}",
                        x.approval_number.as_deref().unwrap_or("（空）"),
                        x.approval_area_m2
                            .map_or("（空）".into(), |v| format!("{:.2} 亩", mu(v)))
                    )],
                });
            }
            let built = x.construction_area_m2.unwrap_or(a.area_m2);
            if let Some(pz) = x.approval_area_m2 {
                let js = built;
                if pz + p.area_slack_m2 < js {
                    out.push(Flag {
                        rule: "R01",
                        message: format!(
                            "{} 判定为合法，但批准面积小于建设占地面积（批少占多）",
                            a.label
                        ),
                        evidence: vec![format!(
                            "批准面积 {:.2} 亩 < 建设占地面积 {:.2} 亩",
                            mu(pz),
                            mu(js)
                        )],
                    });
                }
            }
            // R02
            match f.pzyd_m2 {
                Some(covered) if covered < p.approval_cover_share * a.area_m2 => out.push(Flag {
                    rule: "R02",
                    message: format!(
                        "{} 判定为合法，但已批准用地只覆盖其 {:.0}%",
                        a.label,
                        100.0 * covered / a.area_m2.max(1e-9)
                    ),
                    evidence: vec![format!(
                        "已批准用地叠加 {:.2} 亩，图斑 {:.2} 亩（要求至少 {:.0}%）",
                        mu(covered),
                        mu(a.area_m2),
                        100.0 * p.approval_cover_share
                    )],
                }),
                _ => {}
            }
            if let Some(n) = x
                .approval_number
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                if f.pzyd_m2.is_some() && !f.pzyd_numbers.iter().any(|k| k.trim() == n) {
                    out.push(Flag {
                        rule: "R02",
                        message: format!(
                            "{} 所引批准文号 {n} 不属于与图斑相交的已批准用地",
                            a.label
                        ),
                        evidence: vec![format!(
                            "与图斑相交的批准文号：{}",
                            if f.pzyd_numbers.is_empty() {
                                "（无）".into()
                            } else {
                                f.pzyd_numbers.join("、")
                            }
                        )],
                    });
                }
            }
        }
        // R03
        if matches!(a.legality, Legality::Other | Legality::FalseChange) {
            if let Some(gd) = f.gd_m2 {
                let share = gd / f.patch_area_m2.max(1e-9);
                if gd >= p.other_gd_m2 || share >= p.other_gd_share {
                    out.push(Flag {
                        rule: "R03",
                        message: format!(
                            "{} 判定为{}，但图斑内有 {:.2} 亩耕地",
                            a.label,
                            if a.legality == Legality::Other {
                                "其他"
                            } else {
                                "伪变化"
                            },
                            mu(gd)
                        ),
                        evidence: vec![format!(
                            "耕地 {:.2} 亩，占图斑 {:.0}%（阈值 {:.2} 亩或 {:.0}%）",
                            mu(gd),
                            100.0 * share,
                            mu(p.other_gd_m2),
                            100.0 * p.other_gd_share
                        )],
                    });
                }
            }
        }
        // R04
        if a.legality == Legality::Illegal {
            let mut ev = Vec::new();
            if let Some(w) = x.illegal_area_m2 {
                if w > a.area_m2 + p.area_slack_m2 {
                    ev.push(format!(
                        "违法面积 {:.2} 亩 > 图斑面积 {:.2} 亩",
                        mu(w),
                        mu(a.area_m2)
                    ));
                }
            }
            if let (Some(w), Some(gd)) = (x.illegal_cultivated_m2, f.gd_m2) {
                if f.answers.len() == 1 && w > gd + p.area_slack_m2 {
                    ev.push(format!(
                        "违法占用耕地 {:.2} 亩 > 叠加耕地 {:.2} 亩",
                        mu(w),
                        mu(gd)
                    ));
                }
            }
            if let (Some(w), Some(jb)) = (x.illegal_basic_farmland_m2, f.jbnt_m2) {
                if f.answers.len() == 1 && w > jb + p.area_slack_m2 {
                    ev.push(format!(
                        "违法占用永久基本农田 {:.2} 亩 > 叠加永久基本农田 {:.2} 亩",
                        mu(w),
                        mu(jb)
                    ));
                }
            }
            if !ev.is_empty() {
                out.push(Flag {
                    rule: "R04",
                    message: format!("{} 的填报面积与叠加分析不一致", a.label),
                    evidence: ev,
                });
            }
        }
    }
    // R05 (for an answered patch: before that, missing photos are R07's business)
    if f.photos.is_empty() && !f.answers.is_empty() {
        out.push(Flag {
            rule: "R05",
            message: "没有现场照片".into(),
            evidence: vec!["附件中没有照片".into()],
        });
    }
    for ph in &f.photos {
        let mut ev = ph.flags.clone();
        if !ph.similar_to.is_empty() {
            ev.push(format!(
                "与其他图斑的照片几乎相同：{}",
                ph.similar_to.join("、")
            ));
        }
        if !ev.is_empty() {
            out.push(Flag {
                rule: "R05",
                message: format!("照片 {} 有疑点", ph.file_name),
                evidence: ev,
            });
        }
    }
    // R06
    for c in &f.cases {
        let after = c
            .photo_dates
            .iter()
            .flatten()
            .any(|d| c.decision.is_none_or(|dd| *d >= dd));
        if !after {
            out.push(Flag {
                rule: "R06",
                message: format!(
                    "案件 {} 认定消除违法状态，但没有处理决定之后拍摄的整改照片",
                    c.number
                ),
                evidence: vec![format!(
                    "处理决定日期：{}；整改照片 {} 张",
                    c.decision.map_or("（无）".into(), |d| d.to_string()),
                    c.photo_dates.len()
                )],
            });
        }
    }
    // R07
    if let Some(days) = f.days_to_deadline {
        if !f.complete && days <= p.deadline_warning_days {
            out.push(Flag {
                rule: "R07",
                message: if days < 0 {
                    format!("填报期限已过 {} 天，仍未填报完整", -days)
                } else {
                    format!("距填报期限还有 {days} 天，仍未填报完整")
                },
                evidence: vec![format!("提前提醒天数：{}", p.deadline_warning_days)],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(category: &str, legality: Legality, approval_based: bool) -> AnsweredPart {
        AnsweredPart {
            label: "510104TD200001".into(),
            answer: Answer {
                category: category.into(),
                ..Answer::default()
            },
            legality,
            approval_based,
            area_m2: 10_000.0,
        }
    }

    fn photo() -> PhotoFacts {
        PhotoFacts {
            file_name: "a.jpg".into(),
            ..PhotoFacts::default()
        }
    }

    fn facts(parts: Vec<AnsweredPart>) -> DeskFacts {
        DeskFacts {
            patch_area_m2: 10_000.0,
            answers: parts,
            photos: vec![photo()],
            gd_m2: Some(0.0),
            jbnt_m2: Some(0.0),
            pzyd_m2: Some(10_000.0),
            pzyd_numbers: vec!["川府土〔2019〕1号".into()],
            complete: true,
            ..DeskFacts::default()
        }
    }

    fn legal() -> AnsweredPart {
        let mut p = part("HF", Legality::Legal, true);
        p.answer.approval_number = Some("川府土〔2019〕1号".into());
        p.answer.approval_authority = Some("四川省人民政府".into());
        p.answer.approval_date = Some("2019-05-01".into());
        p.answer.approval_area_m2 = Some(10_000.0);
        p
    }

    fn rules(f: &DeskFacts) -> Vec<&'static str> {
        check(f, &DeskPolicy::default())
            .iter()
            .map(|x| x.rule)
            .collect()
    }

    #[test]
    fn a_clean_patch_raises_nothing() {
        assert!(rules(&facts(vec![legal()])).is_empty());
    }

    #[test]
    fn r01_legal_without_approval_or_with_less_approved_than_built() {
        let mut a = legal();
        a.answer.approval_authority = None;
        assert_eq!(rules(&facts(vec![a])), vec!["R01"]);
        let mut b = legal();
        b.answer.approval_area_m2 = Some(8_000.0);
        let f = check(&facts(vec![b]), &DeskPolicy::default());
        assert_eq!(f[0].rule, "R01");
        assert!(f[0].evidence[0].contains("批准面积"), "{f:?}");
        // A typed form (设施农用地) is not approval-based: R01 and R02 do not apply.
        let mut c = part("HF", Legality::Legal, false);
        c.answer.facility_filing = Some("备2020-1".into());
        let mut f = facts(vec![c]);
        f.pzyd_m2 = Some(0.0);
        assert!(rules(&f).is_empty());
    }

    #[test]
    fn r02_no_approved_land_or_a_number_from_elsewhere() {
        let mut f = facts(vec![legal()]);
        f.pzyd_m2 = Some(5_000.0);
        assert_eq!(rules(&f), vec!["R02"]);
        let mut f = facts(vec![legal()]);
        f.pzyd_numbers = vec!["川府土〔2018〕9号".into()];
        let flags = check(&f, &DeskPolicy::default());
        assert_eq!(flags.len(), 1);
        assert!(flags[0].evidence[0].contains("2018"), "{flags:?}");
        // Not analysed: nothing to compare with, nothing said.
        let mut f = facts(vec![legal()]);
        f.pzyd_m2 = None;
        assert!(rules(&f).is_empty());
    }

    #[test]
    fn r03_other_on_much_cultivated_land() {
        let mut f = facts(vec![part("QT", Legality::Other, false)]);
        f.gd_m2 = Some(6_000.0);
        assert_eq!(rules(&f), vec!["R03"]);
        f.gd_m2 = Some(1_000.0);
        assert!(rules(&f).is_empty());
        let mut m = facts(vec![part("WBH", Legality::FalseChange, false)]);
        m.gd_m2 = Some(4_000.0);
        assert_eq!(rules(&m), vec!["R03"]);
    }

    #[test]
    fn r04_areas_beyond_the_overlay_or_the_patch() {
        let mut a = part("WF", Legality::Illegal, false);
        a.answer.illegal_area_m2 = Some(9_000.0);
        a.answer.illegal_cultivated_m2 = Some(5_000.0);
        a.answer.illegal_basic_farmland_m2 = Some(0.0);
        let mut f = facts(vec![a.clone()]);
        f.gd_m2 = Some(5_000.5);
        assert!(rules(&f).is_empty());
        f.gd_m2 = Some(3_000.0);
        let flags = check(&f, &DeskPolicy::default());
        assert_eq!(flags[0].rule, "R04");
        assert!(flags[0].evidence[0].contains("耕地"), "{flags:?}");
        a.answer.illegal_area_m2 = Some(12_000.0);
        let mut f = facts(vec![a]);
        f.gd_m2 = Some(5_000.0);
        assert_eq!(rules(&f), vec!["R04"]);
    }

    #[test]
    fn r05_no_photo_bad_photo_or_one_seen_elsewhere() {
        let mut f = facts(vec![legal()]);
        f.photos.clear();
        assert_eq!(rules(&f), vec!["R05"]);
        let mut f = facts(vec![legal()]);
        f.photos[0].flags.push("照片没有 GPS 位置信息".into());
        assert_eq!(rules(&f), vec!["R05"]);
        let mut f = facts(vec![legal()]);
        f.photos[0].similar_to.push("510104TD200009".into());
        let flags = check(&f, &DeskPolicy::default());
        assert!(flags[0].evidence[0].contains("510104TD200009"), "{flags:?}");
    }

    #[test]
    fn r06_elimination_without_a_photo_after_the_decision() {
        let d = |s: &str| crate::determination::parse_date(s);
        let mut f = facts(vec![part("WF", Legality::Illegal, false)]);
        f.cases.push(EliminatedCase {
            number: "锦违1".into(),
            decision: d("2020-05-01"),
            photo_dates: vec![d("2020-04-20"), None],
        });
        assert_eq!(rules(&f), vec!["R06"]);
        f.cases[0].photo_dates.push(d("2020-05-02"));
        assert!(rules(&f).is_empty());
    }

    #[test]
    fn r07_incomplete_near_or_past_the_deadline() {
        let mut f = facts(vec![legal()]);
        f.complete = false;
        f.days_to_deadline = Some(30);
        assert!(rules(&f).is_empty());
        f.days_to_deadline = Some(3);
        assert_eq!(rules(&f), vec!["R07"]);
        f.days_to_deadline = Some(-2);
        assert!(check(&f, &DeskPolicy::default())[0]
            .message
            .contains("已过 2 天"));
        f.complete = true;
        assert!(rules(&f).is_empty());
    }

    #[test]
    fn every_rule_has_a_code_name_and_explanation() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        assert_eq!(codes, vec!["R01", "R02", "R03", "R04", "R05", "R06", "R07"]);
        assert!(RULES
            .iter()
            .all(|r| !r.name.is_empty() && !r.explanation.is_empty()));
    }
}
