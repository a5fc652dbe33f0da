//! Statistics over the region tree (county → city → province → nation):
//! for each region, how many patches were issued and with what monitored,
//! cultivated and basic-farmland area; how many are verified (every answer
//! complete); and the verified ones split into 合法 / 违法 / 其他 / 伪变化 —
//! each figure a [`Tally`] that lists the patches (or 地块) behind it, so
//! every number can be expanded. Areas are summed unrounded in m²; rounding
//! is the renderer's business.
//!
//! Pure: the service gathers [`PatchFact`]s from the store (as things stand,
//! or from a period's frozen snapshot) and scopes them.
//!
//! A patch split into 地块 counts once as issued and once as verified; its
//! parts are counted under their own determinations, each with its own
//! area and overlay figures (`JCBH-n`).
//!
//! ```
//! use weipian_domain::determination::Legality;
//! use weipian_domain::{PatchKind, RegionCode};
//! use weipian_reports::{aggregate, Level, PartFact, PatchFact};
//! let county = RegionCode::parse("510104").unwrap();
//! let part = |l, m2| PartFact { label: "510104TD200001".into(), legality: Some(l), complete: true,
//!     area_m2: m2, ..PartFact::default() };
//! let facts = vec![PatchFact { jcbh: "510104TD200001".into(), county, kind: PatchKind::Land,
//!     area_m2: 100.0, gd_m2: 40.0, jbnt_m2: 0.0, parts: vec![part(Legality::Illegal, 100.0)] }];
//! let by_city = aggregate(&facts, Level::City);
//! assert_eq!(by_city[0].region, "510100");
//! assert_eq!(by_city[0].illegal.count, 1);
//! assert_eq!(by_city[0].issued.gd_m2, 40.0);
//! ```

pub mod accountability;
pub mod enforcement;
pub mod quick;

use serde::Serialize;
use weipian_domain::determination::Legality;
use weipian_domain::{PatchKind, RegionCode};

/// The areas a part's answer itself states, m² (0 where it states none).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StatedAreas {
    /// 违法面积, 其中耕地, 其中永久基本农田 (illegal answers).
    pub illegal_m2: f64,
    pub illegal_gd_m2: f64,
    pub illegal_jbnt_m2: f64,
    /// 新增建设用地面积 and 其中占用耕地 (illegal answers, and legal ones of
    /// a kind the year's table marks as new construction).
    pub new_construction_m2: f64,
    pub new_construction_gd_m2: f64,
}

/// One part of a patch as answered (the whole patch when it is not split).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartFact {
    /// `JCBH` or `JCBH-n`.
    pub label: String,
    /// None: not answered.
    pub legality: Option<Legality>,
    pub complete: bool,
    /// The part's monitored area and its cultivated / basic-farmland overlay, m².
    pub area_m2: f64,
    pub gd_m2: f64,
    pub jbnt_m2: f64,
    /// What the answer states.
    pub stated: StatedAreas,
    /// A case this part belongs to has eliminated the illegal state (消除违法状态).
    pub eliminated: bool,
    /// The deduction categories its (illegal) answer claims (扣除情形 codes).
    pub claims: Vec<String>,
    /// The case it belongs to, if any.
    pub case: Option<PartCase>,
}

/// What accountability needs of the case a part belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct PartCase {
    /// 违法行为编号.
    pub number: String,
    /// 消除违法状态: when.
    pub eliminated_on: Option<time::Date>,
    /// Its rectifications: kind and the day it was done (补办手续: the
    /// approval's date).
    pub rectifications: Vec<(weipian_domain::case::RectificationKind, time::Date)>,
}

/// One issued patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchFact {
    pub jcbh: String,
    pub county: RegionCode,
    pub kind: PatchKind,
    /// Monitored area and its cultivated / basic-farmland overlay, m².
    pub area_m2: f64,
    pub gd_m2: f64,
    pub jbnt_m2: f64,
    /// At least one (the whole patch, or its 地块).
    pub parts: Vec<PartFact>,
}

impl PatchFact {
    /// Verified: every part answered completely.
    #[must_use]
    pub fn verified(&self) -> bool {
        !self.parts.is_empty() && self.parts.iter().all(|p| p.complete)
    }
}

/// How many, how much, and which.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub count: usize,
    pub area_m2: f64,
    pub gd_m2: f64,
    pub jbnt_m2: f64,
    /// The patches (or `JCBH-n` 地块) behind the figure, sorted.
    pub items: Vec<String>,
}

impl Tally {
    fn add(&mut self, label: &str, area: f64, gd: f64, jbnt: f64) {
        self.count += 1;
        self.area_m2 += area;
        self.gd_m2 += gd;
        self.jbnt_m2 += jbnt;
        self.items.push(label.to_string());
    }

    fn merge(&mut self, o: &Tally) {
        self.count += o.count;
        self.area_m2 += o.area_m2;
        self.gd_m2 += o.gd_m2;
        self.jbnt_m2 += o.jbnt_m2;
        self.items.extend(o.items.iter().cloned());
    }
}

/// The level figures are grouped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    County,
    City,
    Province,
    National,
}

impl Level {
    /// `county`, `city`, `province` or `national`.
    #[must_use]
    pub fn parse(code: &str) -> Option<Level> {
        match code {
            "county" => Some(Level::County),
            "city" => Some(Level::City),
            "province" => Some(Level::Province),
            "national" => Some(Level::National),
            _ => None,
        }
    }

    fn region_of(self, county: RegionCode) -> String {
        match self {
            Level::County => county.to_string(),
            Level::City => county.prefecture().to_string(),
            Level::Province => county.province().to_string(),
            Level::National => "000000".into(),
        }
    }
}

/// One region's figures, by kind of patch (land and mineral apart).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RegionStats {
    pub region: String,
    pub kind: String,
    pub issued: Tally,
    pub verified: Tally,
    pub legal: Tally,
    pub illegal: Tally,
    /// 其他 (land).
    pub other: Tally,
    /// 伪变化 (mineral).
    pub false_change: Tally,
}

impl RegionStats {
    fn merge(&mut self, o: &RegionStats) {
        self.issued.merge(&o.issued);
        self.verified.merge(&o.verified);
        self.legal.merge(&o.legal);
        self.illegal.merge(&o.illegal);
        self.other.merge(&o.other);
        self.false_change.merge(&o.false_change);
    }

    fn sort(&mut self) {
        for t in [
            &mut self.issued,
            &mut self.verified,
            &mut self.legal,
            &mut self.illegal,
            &mut self.other,
            &mut self.false_change,
        ] {
            t.items.sort();
        }
    }
}

fn one(p: &PatchFact) -> RegionStats {
    let mut s = RegionStats::default();
    s.issued.add(&p.jcbh, p.area_m2, p.gd_m2, p.jbnt_m2);
    if p.verified() {
        s.verified.add(&p.jcbh, p.area_m2, p.gd_m2, p.jbnt_m2);
        for part in &p.parts {
            let t = match part.legality {
                Some(Legality::Legal) => &mut s.legal,
                Some(Legality::Illegal) => &mut s.illegal,
                Some(Legality::Other) => &mut s.other,
                Some(Legality::FalseChange) => &mut s.false_change,
                None => continue,
            };
            t.add(&part.label, part.area_m2, part.gd_m2, part.jbnt_m2);
        }
    }
    s
}

/// The figures of every region at `level` (and per kind), by region then
/// kind, each traceable to its patches.
#[must_use]
pub fn aggregate(facts: &[PatchFact], level: Level) -> Vec<RegionStats> {
    let mut by: std::collections::BTreeMap<(String, &'static str), RegionStats> =
        std::collections::BTreeMap::new();
    for p in facts {
        let key = (level.region_of(p.county), p.kind.code());
        let s = by.entry(key.clone()).or_insert_with(|| RegionStats {
            region: key.0.clone(),
            kind: key.1.to_string(),
            ..RegionStats::default()
        });
        s.merge(&one(p));
    }
    by.into_values()
        .map(|mut s| {
            s.sort();
            s
        })
        .collect()
}

/// One case (违法行为, counted in 件) as the statistics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFact {
    /// 违法行为编号.
    pub number: String,
    pub county: RegionCode,
    pub kind: PatchKind,
    /// 立案, 作出行政处罚（处理）, 结案, 落实到位, 消除违法状态.
    pub filed: bool,
    pub decided: bool,
    pub closed: bool,
    pub enforced: bool,
    pub eliminated: bool,
    /// The illegal areas its patches' answers give (违法面积, 其中耕地,
    /// 其中永久基本农田), m².
    pub area_m2: f64,
    pub gd_m2: f64,
    pub jbnt_m2: f64,
    /// Dates and parties (for the other accountability signals and the blacklist).
    pub detail: CaseDetail,
}

/// When a case reached its stages, and who it is against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseDetail {
    /// The day the case was opened (the violation found).
    pub opened_on: Option<time::Date>,
    pub filed_on: Option<time::Date>,
    pub decided_on: Option<time::Date>,
    /// 消除违法状态: when.
    pub eliminated_on: Option<time::Date>,
    /// 当事人.
    pub parties: Vec<weipian_domain::case::Party>,
}

/// One region's cases by stage (a case counts in every stage it reached).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaseStats {
    pub region: String,
    pub kind: String,
    /// 发现违法行为 (every case).
    pub found: Tally,
    pub filed: Tally,
    pub decided: Tally,
    pub closed: Tally,
    pub enforced: Tally,
    pub eliminated: Tally,
}

/// Cases by region at `level` and kind, each stage traceable to its case numbers.
#[must_use]
pub fn aggregate_cases(facts: &[CaseFact], level: Level) -> Vec<CaseStats> {
    let mut by: std::collections::BTreeMap<(String, &'static str), CaseStats> =
        std::collections::BTreeMap::new();
    for c in facts {
        let key = (level.region_of(c.county), c.kind.code());
        let s = by.entry(key.clone()).or_insert_with(|| CaseStats {
            region: key.0.clone(),
            kind: key.1.to_string(),
            ..CaseStats::default()
        });
        let add = |t: &mut Tally| t.add(&c.number, c.area_m2, c.gd_m2, c.jbnt_m2);
        add(&mut s.found);
        for (reached, t) in [
            (c.filed, &mut s.filed),
            (c.decided, &mut s.decided),
            (c.closed, &mut s.closed),
            (c.enforced, &mut s.enforced),
            (c.eliminated, &mut s.eliminated),
        ] {
            if reached {
                add(t);
            }
        }
    }
    by.into_values()
        .map(|mut s| {
            for t in [
                &mut s.found,
                &mut s.filed,
                &mut s.decided,
                &mut s.closed,
                &mut s.enforced,
                &mut s.eliminated,
            ] {
                t.items.sort();
            }
            s
        })
        .collect()
}

/// `part` over `whole` as a percentage with two decimals' worth of
/// precision left to the renderer; 0 when `whole` is 0 (as the template asks).
#[must_use]
pub fn percent(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        0.0
    } else {
        100.0 * part / whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn part(
        label: &str,
        legality: Option<Legality>,
        complete: bool,
        area: f64,
        gd: f64,
    ) -> PartFact {
        PartFact {
            label: label.into(),
            legality,
            complete,
            area_m2: area,
            gd_m2: gd,
            jbnt_m2: gd / 2.0,
            ..PartFact::default()
        }
    }

    fn patch(
        jcbh: &str,
        county: &str,
        kind: PatchKind,
        area: f64,
        gd: f64,
        parts: Vec<PartFact>,
    ) -> PatchFact {
        PatchFact {
            jcbh: jcbh.into(),
            county: rc(county),
            kind,
            area_m2: area,
            gd_m2: gd,
            jbnt_m2: gd / 2.0,
            parts,
        }
    }

    fn facts() -> Vec<PatchFact> {
        use Legality::*;
        vec![
            // 锦江区: illegal, legal, unanswered, incomplete.
            patch(
                "A1",
                "510104",
                PatchKind::Land,
                1000.0,
                400.0,
                vec![part("A1", Some(Illegal), true, 1000.0, 400.0)],
            ),
            patch(
                "A2",
                "510104",
                PatchKind::Land,
                2000.0,
                0.0,
                vec![part("A2", Some(Legal), true, 2000.0, 0.0)],
            ),
            patch(
                "A3",
                "510104",
                PatchKind::Land,
                500.0,
                100.0,
                vec![part("A3", None, false, 500.0, 100.0)],
            ),
            patch(
                "A4",
                "510104",
                PatchKind::Land,
                300.0,
                0.0,
                vec![part("A4", Some(Other), false, 300.0, 0.0)],
            ),
            // 青羊区: split into an illegal and an "other" part.
            patch(
                "B1",
                "510105",
                PatchKind::Land,
                1500.0,
                600.0,
                vec![
                    part("B1-1", Some(Illegal), true, 1000.0, 600.0),
                    part("B1-2", Some(Other), true, 500.0, 0.0),
                ],
            ),
            // A mineral patch in the same county.
            patch(
                "M1",
                "510105",
                PatchKind::Mineral,
                800.0,
                0.0,
                vec![part("M1", Some(FalseChange), true, 800.0, 0.0)],
            ),
            // Another city.
            patch(
                "C1",
                "510301",
                PatchKind::Land,
                700.0,
                70.0,
                vec![part("C1", Some(Illegal), true, 700.0, 70.0)],
            ),
        ]
    }

    #[test]
    fn counties_add_up_to_their_city_and_province() {
        let f = facts();
        let counties = aggregate(&f, Level::County);
        let jinjiang = counties.iter().find(|s| s.region == "510104").unwrap();
        assert_eq!((jinjiang.issued.count, jinjiang.verified.count), (4, 2));
        assert_eq!(jinjiang.issued.area_m2, 3800.0);
        assert_eq!(jinjiang.illegal.items, vec!["A1"]);
        assert_eq!(
            (jinjiang.illegal.gd_m2, jinjiang.illegal.jbnt_m2),
            (400.0, 200.0)
        );
        // The split patch: verified once, its parts under their own determinations.
        let qingyang = counties
            .iter()
            .find(|s| s.region == "510105" && s.kind == "land")
            .unwrap();
        assert_eq!(
            (
                qingyang.verified.count,
                qingyang.illegal.items.clone(),
                qingyang.other.items.clone()
            ),
            (1, vec!["B1-1".to_string()], vec!["B1-2".to_string()])
        );
        assert_eq!(
            qingyang.illegal.area_m2 + qingyang.other.area_m2,
            qingyang.verified.area_m2
        );
        // City = sum of its counties (land); the other city stays apart; minerals apart.
        let cities = aggregate(&f, Level::City);
        let chengdu = cities
            .iter()
            .find(|s| s.region == "510100" && s.kind == "land")
            .unwrap();
        assert_eq!(
            chengdu.issued.count,
            jinjiang.issued.count + qingyang.issued.count
        );
        assert_eq!(chengdu.illegal.items, vec!["A1", "B1-1"]);
        assert_eq!(chengdu.illegal.area_m2, 2000.0);
        let mineral = cities
            .iter()
            .find(|s| s.region == "510100" && s.kind == "mineral")
            .unwrap();
        assert_eq!(mineral.false_change.count, 1);
        let sichuan = aggregate(&f, Level::Province);
        let land = sichuan.iter().find(|s| s.kind == "land").unwrap();
        assert_eq!(
            (land.region.as_str(), land.issued.count, land.illegal.count),
            ("510000", 6, 3)
        );
        let national = aggregate(&f, Level::National);
        assert_eq!(national.iter().map(|s| s.issued.count).sum::<usize>(), 7);
    }

    #[test]
    fn cases_count_in_every_stage_they_reached() {
        let case = |n: &str, county: &str, stages: [bool; 5], area: f64| CaseFact {
            number: n.into(),
            county: rc(county),
            kind: PatchKind::Land,
            filed: stages[0],
            decided: stages[1],
            closed: stages[2],
            enforced: stages[3],
            eliminated: stages[4],
            area_m2: area,
            gd_m2: area / 2.0,
            jbnt_m2: 0.0,
            detail: CaseDetail::default(),
        };
        let f = vec![
            case("违1", "510104", [false; 5], 100.0),
            case("违2", "510104", [true, true, false, false, false], 200.0),
            case("违3", "510105", [true, true, true, true, true], 300.0),
        ];
        let city = aggregate_cases(&f, Level::City);
        assert_eq!(city.len(), 1);
        let c = &city[0];
        assert_eq!(
            (
                c.found.count,
                c.filed.count,
                c.decided.count,
                c.closed.count,
                c.eliminated.count
            ),
            (3, 2, 2, 1, 1)
        );
        assert_eq!(c.filed.items, vec!["违2", "违3"]);
        assert_eq!((c.eliminated.area_m2, c.eliminated.gd_m2), (300.0, 150.0));
        assert_eq!(c.found.area_m2, 600.0);
        let counties = aggregate_cases(&f, Level::County);
        assert_eq!(
            counties
                .iter()
                .map(|s| s.region.as_str())
                .collect::<Vec<_>>(),
            vec!["510104", "510105"]
        );
    }

    #[test]
    fn percentages_are_zero_over_nothing() {
        assert_eq!(percent(1.0, 0.0), 0.0);
        assert!((percent(1.0, 3.0) - 33.333_333).abs() < 1e-4);
    }
}
