//! The other accountability situations of the 处分办法 (#6, point 5) and
//! the blacklist of violating parties (point 7), from the patches, the
//! case records and what reviewers found.
//!
//! Signals, per county:
//! - 不制止、不组织查处: a verified part answered 违法 (land) that belongs to
//!   no case; a case not filed (立案) `unfiled_after_days` after it was
//!   opened;
//! - 压案不查: a filed case without a decision `undecided_after_days` after
//!   filing;
//! - 隐瞒不报: what reviewers found the county had hidden — given by the
//!   caller (a province override that turned an answer into 违法, a desk
//!   flag upheld).
//!
//! Blacklist: the units and persons named in case records (not the
//! government bodies, which answer through accountability) whose cases
//! together reach any of the policy's criteria.
//!
//! ```
//! use weipian_domain::accountability::Policy;
//! use weipian_reports::enforcement::blacklist;
//! assert!(blacklist(&[], Policy::embedded(2020).unwrap()).is_empty());
//! ```

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;
use weipian_domain::accountability::Policy;
use weipian_domain::case::PartyKind;
use weipian_domain::determination::Legality;
use weipian_domain::units::mu;
use weipian_domain::{PatchKind, RegionCode};

use crate::{CaseFact, PatchFact};

/// Something a reviewer found the county had hidden.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concealed {
    pub county: RegionCode,
    /// `JCBH` or `JCBH-n`.
    pub label: String,
    /// What was found, in words.
    pub finding: String,
}

/// One county's signals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RegionSignals {
    pub region: String,
    pub name: String,
    /// Illegal parts in no case.
    pub no_case: Vec<String>,
    /// Cases opened and not filed in time (违法行为编号).
    pub late_filing: Vec<String>,
    /// Cases filed and not decided in time.
    pub late_decision: Vec<String>,
    /// Findings of concealment: (label, finding).
    pub concealed: Vec<(String, String)>,
}

impl RegionSignals {
    fn is_empty(&self) -> bool {
        self.no_case.is_empty()
            && self.late_filing.is_empty()
            && self.late_decision.is_empty()
            && self.concealed.is_empty()
    }

    /// The situations in words, each with what stands behind it — for
    /// documents: (situation, items).
    #[must_use]
    pub fn lines(&self, policy: &Policy) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        if !self.no_case.is_empty() {
            out.push((
                format!(
                    "发现违法行为不组织查处：{} 处违法用地未立案",
                    self.no_case.len()
                ),
                self.no_case.clone(),
            ));
        }
        if !self.late_filing.is_empty() {
            out.push((
                format!(
                    "不制止、不组织查处：{} 件违法行为发现后超过 {} 日未立案",
                    self.late_filing.len(),
                    policy.signals.unfiled_after_days
                ),
                self.late_filing.clone(),
            ));
        }
        if !self.late_decision.is_empty() {
            out.push((
                format!(
                    "压案不查：{} 件违法行为立案后超过 {} 日未作出处理决定",
                    self.late_decision.len(),
                    policy.signals.undecided_after_days
                ),
                self.late_decision.clone(),
            ));
        }
        if !self.concealed.is_empty() {
            out.push((
                format!("隐瞒不报、填报不实：{} 处经审核认定", self.concealed.len()),
                self.concealed
                    .iter()
                    .map(|(l, f)| format!("{l}（{f}）"))
                    .collect(),
            ));
        }
        out
    }
}

fn region_name(code: RegionCode) -> String {
    weipian_domain::region::RegionTable::shared()
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.name.clone())
}

/// The signals of every county that has any, as of `today`.
#[must_use]
pub fn signals(
    patches: &[PatchFact],
    cases: &[CaseFact],
    concealed: &[Concealed],
    policy: &Policy,
    today: Date,
) -> Vec<RegionSignals> {
    let mut by: BTreeMap<RegionCode, RegionSignals> = BTreeMap::new();
    fn entry(by: &mut BTreeMap<RegionCode, RegionSignals>, c: RegionCode) -> &mut RegionSignals {
        by.entry(c).or_insert_with(|| RegionSignals {
            region: c.to_string(),
            name: region_name(c),
            ..RegionSignals::default()
        })
    }
    for p in patches
        .iter()
        .filter(|p| p.kind == PatchKind::Land && p.verified())
    {
        for part in &p.parts {
            if part.legality == Some(Legality::Illegal) && part.case.is_none() {
                entry(&mut by, p.county).no_case.push(part.label.clone());
            }
        }
    }
    let days = |from: Option<Date>| from.map(|d| (today - d).whole_days());
    for c in cases {
        let d = &c.detail;
        if !c.filed && !c.eliminated {
            if let Some(n) = days(d.opened_on) {
                if n > policy.signals.unfiled_after_days {
                    entry(&mut by, c.county).late_filing.push(c.number.clone());
                }
            }
        }
        if c.filed && !c.decided && !c.eliminated {
            if let Some(n) = days(d.filed_on) {
                if n > policy.signals.undecided_after_days {
                    entry(&mut by, c.county)
                        .late_decision
                        .push(c.number.clone());
                }
            }
        }
    }
    for x in concealed {
        entry(&mut by, x.county)
            .concealed
            .push((x.label.clone(), x.finding.clone()));
    }
    by.into_values()
        .filter(|s| !s.is_empty())
        .map(|mut s| {
            s.no_case.sort();
            s.late_filing.sort();
            s.late_decision.sort();
            s.concealed.sort();
            s
        })
        .collect()
}

/// One blacklisted party.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlacklistEntry {
    /// `unit` or `person`.
    pub kind: PartyKind,
    pub name: String,
    /// The counties its cases are in.
    pub counties: Vec<String>,
    /// Its cases (违法行为编号), sorted.
    pub cases: Vec<String>,
    /// Illegal area and cultivated land of those cases, m².
    pub area_m2: f64,
    pub gd_m2: f64,
    /// Cases decided and not carried out.
    pub unenforced: Vec<String>,
    /// Why it is listed, in words.
    pub reasons: Vec<String>,
}

/// The parties meeting any of the policy's criteria, by area (largest first).
#[must_use]
pub fn blacklist(cases: &[CaseFact], policy: &Policy) -> Vec<BlacklistEntry> {
    let rule = &policy.blacklist;
    // Parties are matched on kind and name as written (trimmed).
    let mut by: BTreeMap<(u8, String), BlacklistEntry> = BTreeMap::new();
    for c in cases {
        for p in &c.detail.parties {
            let rank = match p.kind {
                PartyKind::Unit => 0,
                PartyKind::Person => 1,
                PartyKind::Government => continue,
            };
            let name = p.name.trim().to_string();
            if name.is_empty() {
                continue;
            }
            let e = by
                .entry((rank, name.clone()))
                .or_insert_with(|| BlacklistEntry {
                    kind: p.kind,
                    name,
                    counties: Vec::new(),
                    cases: Vec::new(),
                    area_m2: 0.0,
                    gd_m2: 0.0,
                    unenforced: Vec::new(),
                    reasons: Vec::new(),
                });
            if e.cases.contains(&c.number) {
                continue;
            }
            e.cases.push(c.number.clone());
            e.counties.push(c.county.to_string());
            e.area_m2 += c.area_m2;
            e.gd_m2 += c.gd_m2;
            if c.decided && !c.enforced {
                e.unenforced.push(c.number.clone());
            }
        }
    }
    let mut out: Vec<BlacklistEntry> = by
        .into_values()
        .filter_map(|mut e| {
            if mu(e.area_m2) >= rule.min_area_mu {
                e.reasons.push(format!(
                    "违法用地 {:.2} 亩，达到 {} 亩",
                    mu(e.area_m2),
                    rule.min_area_mu
                ));
            }
            if mu(e.gd_m2) >= rule.min_cultivated_mu {
                e.reasons.push(format!(
                    "违法占用耕地 {:.2} 亩，达到 {} 亩",
                    mu(e.gd_m2),
                    rule.min_cultivated_mu
                ));
            }
            if e.cases.len() >= rule.min_cases {
                e.reasons.push(format!(
                    "涉及违法行为 {} 件，达到 {} 件",
                    e.cases.len(),
                    rule.min_cases
                ));
            }
            if rule.unenforced_decision && !e.unenforced.is_empty() {
                e.reasons
                    .push(format!("{} 件处理决定未落实到位", e.unenforced.len()));
            }
            if e.reasons.is_empty() {
                return None;
            }
            e.cases.sort();
            e.counties.sort();
            e.counties.dedup();
            e.unenforced.sort();
            Some(e)
        })
        .collect();
    out.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2).then(a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CaseDetail, PartCase, PartFact};
    use time::macros::date;
    use weipian_domain::case::Party;
    use weipian_domain::units::M2_PER_MU;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn case(n: &str, stages: (bool, bool, bool), detail: CaseDetail, area_mu: f64) -> CaseFact {
        CaseFact {
            number: n.into(),
            county: rc("510104"),
            kind: PatchKind::Land,
            filed: stages.0,
            decided: stages.1,
            closed: false,
            enforced: stages.2,
            eliminated: false,
            area_m2: area_mu * M2_PER_MU,
            gd_m2: area_mu * M2_PER_MU / 2.0,
            jbnt_m2: 0.0,
            detail,
        }
    }

    fn party(kind: PartyKind, name: &str) -> Party {
        Party {
            kind,
            name: name.into(),
            position: None,
        }
    }

    #[test]
    fn late_filing_late_decision_no_case_and_concealment_are_listed_per_county() {
        let p = Policy::embedded(2020).unwrap();
        let today = date!(2020 - 12 - 31);
        let opened = |d| CaseDetail {
            opened_on: Some(d),
            ..CaseDetail::default()
        };
        let cases = vec![
            // Opened 2020-10-31: exactly 61 days before today → late.
            case(
                "A",
                (false, false, false),
                opened(date!(2020 - 10 - 31)),
                1.0,
            ),
            // Opened 2020-11-01: 60 days → not yet.
            case(
                "B",
                (false, false, false),
                opened(date!(2020 - 11 - 01)),
                1.0,
            ),
            // Filed 2020-06-01 (213 days), no decision → 压案不查.
            case(
                "C",
                (true, false, false),
                CaseDetail {
                    filed_on: Some(date!(2020 - 06 - 01)),
                    ..CaseDetail::default()
                },
                1.0,
            ),
            // Filed and decided: nothing.
            case(
                "D",
                (true, true, false),
                CaseDetail {
                    filed_on: Some(date!(2020 - 01 - 01)),
                    ..CaseDetail::default()
                },
                1.0,
            ),
        ];
        let illegal = |label: &str, in_case: bool| PartFact {
            label: label.into(),
            legality: Some(Legality::Illegal),
            complete: true,
            case: in_case.then(|| PartCase {
                number: "A".into(),
                eliminated_on: None,
                rectifications: Vec::new(),
            }),
            ..PartFact::default()
        };
        let patches = vec![PatchFact {
            jcbh: "P".into(),
            county: rc("510104"),
            kind: PatchKind::Land,
            area_m2: 1.0,
            gd_m2: 0.0,
            jbnt_m2: 0.0,
            parts: vec![illegal("P-1", false), illegal("P-2", true)],
        }];
        let concealed = vec![Concealed {
            county: rc("510105"),
            label: "Q".into(),
            finding: "省级改判为违法（原填报为其他）".into(),
        }];
        let s = signals(&patches, &cases, &concealed, p, today);
        assert_eq!(s.len(), 2);
        let jinjiang = &s[0];
        assert_eq!(jinjiang.name, "锦江区");
        assert_eq!(jinjiang.no_case, ["P-1"]);
        assert_eq!(jinjiang.late_filing, ["A"]);
        assert_eq!(jinjiang.late_decision, ["C"]);
        let lines = jinjiang.lines(p);
        assert_eq!(lines.len(), 3);
        assert!(lines[1].0.contains("超过 60 日未立案"), "{lines:?}");
        assert_eq!(s[1].concealed[0].0, "Q");
        assert!(s[1].lines(p)[0].0.contains("隐瞒不报"));
    }

    #[test]
    fn parties_reaching_any_criterion_are_blacklisted_with_their_cases() {
        let p = Policy::embedded(2020).unwrap();
        let with = |parties: Vec<Party>| CaseDetail {
            parties,
            ..CaseDetail::default()
        };
        let unit = || party(PartyKind::Unit, "某某实业有限公司");
        let cases = vec![
            // The company: two cases of 4 亩 each → 2 cases (criterion: 2).
            case("C1", (true, true, true), with(vec![unit()]), 4.0),
            case(
                "C2",
                (true, true, true),
                with(vec![party(PartyKind::Unit, " 某某实业有限公司 ")]),
                4.0,
            ),
            // A person with one big case (15 亩 = the area line).
            case(
                "C3",
                (true, true, true),
                with(vec![party(PartyKind::Person, "张某")]),
                15.0,
            ),
            // A person with a small case, decided and not carried out.
            case(
                "C4",
                (true, true, false),
                with(vec![party(PartyKind::Person, "李某")]),
                1.0,
            ),
            // A person with a small, settled case: not listed; an official never is.
            case(
                "C5",
                (true, true, true),
                with(vec![
                    party(PartyKind::Person, "王某"),
                    party(PartyKind::Government, "某镇人民政府"),
                ]),
                1.0,
            ),
        ];
        let list = blacklist(&cases, p);
        let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["张某", "某某实业有限公司", "李某"]);
        assert_eq!(list[1].cases, ["C1", "C2"]);
        assert!(
            list[1].reasons[0].contains("涉及违法行为 2 件"),
            "{:?}",
            list[1].reasons
        );
        assert!(
            list[0]
                .reasons
                .iter()
                .any(|r| r.contains("违法用地 15.00 亩")),
            "{:?}",
            list[0].reasons
        );
        assert!(list[0]
            .reasons
            .iter()
            .any(|r| r.contains("违法占用耕地 7.50 亩")));
        assert_eq!(list[2].unenforced, ["C4"]);
    }
}
