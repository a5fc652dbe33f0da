//! Accountability (问责) per the year's [`Policy`]: for every city and
//! county, the ratio of illegally occupied cultivated land to cultivated
//! land occupied by new construction, before and after each deduction,
//! whether it is accountable and why, how far it is from the line, and the
//! 增违挂钩 quota cut — each amount listing the patches (地块) behind it.
//!
//! The rules, stated once in [`part_effects`]:
//! - only verified land parts count; the numerator is the cultivated land
//!   illegal answers state (其中耕地), the denominator the new-construction
//!   cultivated land (其中占用耕地) of illegal answers and of the legal kinds
//!   the year's table marks as new construction;
//! - annual rule: an illegal part whose case eliminated the illegal state by
//!   `eliminated_by` is no longer illegal — out of the numerator, and out of
//!   the denominator too when the case demolished, re-cultivated or closed it;
//! - deductions, in the policy's order, at most one per part: the answer
//!   claims the category and, where the policy asks, the case has a
//!   rectification of the listed kinds done by `deduction_deadline`;
//!   `both` deducts from the denominator as well;
//! - accountable: ratio ≥ line and the remaining illegal cultivated area
//!   above the level's 亩 line, unless a deep-poverty area (the policy's list);
//!   the lines may come from the average of the level instead.
//!
//! ```
//! use weipian_domain::accountability::Policy;
//! use weipian_reports::accountability::assess;
//! let policy = Policy::embedded(2020).unwrap();
//! let result = assess(&[], policy);
//! assert!(result.cities.is_empty() && result.counties.is_empty());
//! assert_eq!(result.lines.county_mu, 100.0);
//! ```

use std::collections::BTreeMap;

use serde::Serialize;
use weipian_domain::accountability::{LineSource, Policy};
use weipian_domain::case::RectificationKind;
use weipian_domain::determination::Legality;
use weipian_domain::units::{mu, M2_PER_MU};
use weipian_domain::{PatchKind, RegionCode};

use crate::{PartFact, PatchFact};

/// An area and the parts behind it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Amount {
    pub m2: f64,
    /// `JCBH` or `JCBH-n`, sorted.
    pub items: Vec<String>,
}

impl Amount {
    fn add(&mut self, m2: f64, label: &str) {
        self.m2 += m2;
        self.items.push(label.to_string());
    }

    fn merge(&mut self, o: &Amount) {
        self.m2 += o.m2;
        self.items.extend(o.items.iter().cloned());
    }

    /// In 亩, unrounded.
    #[must_use]
    pub fn mu(&self) -> f64 {
        mu(self.m2)
    }
}

/// One step of the computation: what it took off, and where that leaves
/// numerator and denominator.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Step {
    /// `annual` (eliminated by the year's cut-off) or a deduction claim code.
    pub code: String,
    pub name: String,
    /// Deducted from the numerator / the denominator.
    pub numerator: Amount,
    pub denominator: Amount,
    /// After this step, m².
    pub numerator_after_m2: f64,
    pub denominator_after_m2: f64,
}

/// The level a region is assessed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    City,
    County,
}

/// How many 亩 must still be rectified to fall below the line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToFallBelow {
    /// Rectified by remedy (numerator only): more than this brings the
    /// ratio under the line.
    pub ratio_by_remedy_mu: f64,
    /// Rectified by demolition and re-cultivation (both): more than this.
    pub ratio_by_demolition_mu: f64,
    /// At least this brings the area to the line or under.
    pub area_mu: f64,
    /// The least of them.
    pub least_mu: f64,
}

/// One region's assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub region: String,
    /// Its name in the national region table.
    pub name: String,
    pub level: Level,
    /// 违法占用耕地 and 新增建设用地占用耕地 before any step.
    pub numerator: Amount,
    pub denominator: Amount,
    /// The annual rule, then each deduction category in the policy's order.
    pub steps: Vec<Step>,
    /// What remains (m²).
    pub numerator_after_m2: f64,
    pub denominator_after_m2: f64,
    /// Remaining illegal cultivated land, 亩.
    pub area_mu: f64,
    /// numerator ÷ denominator after the steps (0 over nothing).
    pub ratio: f64,
    /// The same in %, for display.
    pub ratio_percent: f64,
    pub exempt: bool,
    pub accountable: bool,
    pub warning: bool,
    /// Why, in words.
    pub reason: String,
    pub to_fall_below: Option<ToFallBelow>,
    /// 增违挂钩: illegal area not yet eliminated (the answers' 违法面积) and
    /// the cut of next year's new construction quota it brings, m².
    pub unresolved: Amount,
    pub quota_cut_m2: f64,
}

/// The lines in force (after any averaging).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lines {
    /// Fractions (0.15).
    pub city_ratio: f64,
    pub county_ratio: f64,
    pub city_mu: f64,
    pub county_mu: f64,
}

/// Cities and counties, ranked: accountable first, then by ratio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessments {
    pub lines: Lines,
    pub cities: Vec<Assessment>,
    pub counties: Vec<Assessment>,
}

/// What one part does to its county's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// Into the numerator / denominator before the steps, m².
    pub numerator_m2: f64,
    pub denominator_m2: f64,
    /// The step that takes it off (0 = annual rule, i = the i-th
    /// deduction + 1) and whether the denominator goes too.
    pub step: Option<(usize, bool)>,
    /// Illegal area still unresolved (增违挂钩), m².
    pub unresolved_m2: f64,
}

fn rectified_by(part: &PartFact, kinds: &[RectificationKind], by: time::Date) -> bool {
    part.case.as_ref().is_some_and(|c| {
        c.rectifications
            .iter()
            .any(|(k, d)| kinds.contains(k) && *d <= by)
    })
}

/// The one statement of how a verified land part counts.
#[must_use]
pub fn part_effects(part: &PartFact, policy: &Policy) -> Effects {
    let s = &part.stated;
    let illegal = part.legality == Some(Legality::Illegal);
    let mut e = Effects {
        numerator_m2: if illegal { s.illegal_gd_m2 } else { 0.0 },
        denominator_m2: s.new_construction_gd_m2,
        ..Effects::default()
    };
    if !illegal {
        return e;
    }
    let eliminated_on = part.case.as_ref().and_then(|c| c.eliminated_on);
    if eliminated_on.is_none() {
        e.unresolved_m2 = s.illegal_m2;
    }
    if eliminated_on.is_some_and(|d| d <= policy.eliminated_by) {
        let gone = rectified_by(
            part,
            &[
                RectificationKind::Demolition,
                RectificationKind::Recultivation,
                RectificationKind::Closure,
            ],
            policy.eliminated_by,
        );
        e.step = Some((0, gone));
        return e;
    }
    for (i, rule) in policy.deduction.iter().enumerate() {
        let claimed = part.claims.contains(&rule.claim);
        let done = rule.rectification.is_empty()
            || rectified_by(part, &rule.rectification, policy.deduction_deadline);
        if claimed && done {
            e.step = Some((i + 1, rule.both));
            break;
        }
    }
    e
}

#[derive(Debug, Clone, Default)]
struct Acc {
    numerator: Amount,
    denominator: Amount,
    /// Per step: (numerator, denominator) deducted.
    steps: Vec<(Amount, Amount)>,
    unresolved: Amount,
}

impl Acc {
    fn new(n_steps: usize) -> Acc {
        Acc {
            steps: vec![(Amount::default(), Amount::default()); n_steps],
            ..Acc::default()
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.numerator.merge(&o.numerator);
        self.denominator.merge(&o.denominator);
        for (a, b) in self.steps.iter_mut().zip(&o.steps) {
            a.0.merge(&b.0);
            a.1.merge(&b.1);
        }
        self.unresolved.merge(&o.unresolved);
    }
}

fn accumulate(patches: &[PatchFact], policy: &Policy) -> BTreeMap<RegionCode, Acc> {
    let n_steps = policy.deduction.len() + 1;
    let mut by: BTreeMap<RegionCode, Acc> = BTreeMap::new();
    for p in patches {
        if p.kind != PatchKind::Land || !p.verified() {
            continue;
        }
        let acc = by.entry(p.county).or_insert_with(|| Acc::new(n_steps));
        for part in &p.parts {
            let e = part_effects(part, policy);
            let label = part.label.as_str();
            if e.numerator_m2 > 0.0 {
                acc.numerator.add(e.numerator_m2, label);
            }
            if e.denominator_m2 > 0.0 {
                acc.denominator.add(e.denominator_m2, label);
            }
            if e.unresolved_m2 > 0.0 {
                acc.unresolved.add(e.unresolved_m2, label);
            }
            if let Some((i, both)) = e.step {
                let (num, den) = &mut acc.steps[i];
                num.add(e.numerator_m2, label);
                if both && e.denominator_m2 > 0.0 {
                    den.add(e.denominator_m2, label);
                }
            }
        }
    }
    by
}

fn sort_items(a: &mut Amount) {
    a.items.sort();
}

fn ratio(n: f64, d: f64) -> f64 {
    if d > 0.0 {
        n / d
    } else {
        0.0
    }
}

fn finish(region: String, level: Level, mut acc: Acc, policy: &Policy) -> Assessment {
    sort_items(&mut acc.numerator);
    sort_items(&mut acc.denominator);
    sort_items(&mut acc.unresolved);
    let (mut n, mut d) = (acc.numerator.m2, acc.denominator.m2);
    let names = std::iter::once((
        "annual".to_string(),
        format!(
            "{}前已消除违法状态（年度成果不再作为违法统计）",
            policy.eliminated_by
        ),
    ))
    .chain(
        policy
            .deduction
            .iter()
            .map(|r| (r.claim.clone(), r.name.clone())),
    );
    let steps = acc
        .steps
        .into_iter()
        .zip(names)
        .map(|((mut num, mut den), (code, name))| {
            sort_items(&mut num);
            sort_items(&mut den);
            n -= num.m2;
            d -= den.m2;
            Step {
                code,
                name,
                numerator: num,
                denominator: den,
                numerator_after_m2: n,
                denominator_after_m2: d,
            }
        })
        .collect();
    let quota_cut_m2 = acc.unresolved.m2 * policy.linkage.factor;
    let name = RegionCode::parse(&region)
        .ok()
        .and_then(|c| weipian_domain::region::RegionTable::shared().get(c))
        .map_or_else(|| region.clone(), |r| r.name.clone());
    Assessment {
        region,
        name,
        level,
        numerator: acc.numerator,
        denominator: acc.denominator,
        steps,
        numerator_after_m2: n,
        denominator_after_m2: d,
        area_mu: mu(n),
        ratio: ratio(n, d),
        ratio_percent: 100.0 * ratio(n, d),
        exempt: false,
        accountable: false,
        warning: false,
        reason: String::new(),
        to_fall_below: None,
        unresolved: acc.unresolved,
        quota_cut_m2,
    }
}

fn average(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u32);
    for x in xs {
        sum += x;
        n += 1;
    }
    (n > 0).then(|| sum / f64::from(n))
}

/// Sums of m² in floating point are not exact: a ratio within 1e-12 of the
/// line counts as on it (≥ holds), an area within 1e-9 亩 of the line as on
/// it (> does not hold) — so exactly 15 % is accountable and exactly 100 亩
/// is not, as the rule says.
const EPS_RATIO: f64 = 1e-12;
const EPS_MU: f64 = 1e-9;

/// Judge each region against the line (ratio as a fraction, area in 亩).
fn judge(a: &mut Assessment, line_ratio: f64, line_mu: f64, policy: &Policy) {
    let region = RegionCode::parse(&a.region).ok();
    a.exempt = region.is_some_and(|r| policy.exempt(r));
    let r = a.ratio;
    let over_ratio = r >= line_ratio - EPS_RATIO;
    let over_area = a.area_mu > line_mu + EPS_MU;
    let figures = format!(
        "违法占用耕地比例 {:.2}%（问责线 {:.2}%），扣除后违法占用耕地 {:.2} 亩（问责线 {:.2} 亩）",
        a.ratio_percent,
        100.0 * line_ratio,
        a.area_mu,
        line_mu
    );
    let would = over_ratio && over_area;
    a.accountable = would && !a.exempt;
    a.warning = !would
        && !a.exempt
        && r >= line_ratio - policy.warning.ratio_margin - EPS_RATIO
        && a.area_mu > (1.0 - policy.warning.area_margin_share) * line_mu + EPS_MU;
    let verdict = if would && !a.exempt {
        "比例达到问责线且面积超过问责线，纳入问责范围"
    } else if would {
        "达到问责线，但属国家级深度贫困地区，不纳入问责范围"
    } else if a.warning {
        "接近问责线，予以预警"
    } else if !over_ratio && !over_area {
        "比例与面积均未达到问责线"
    } else if !over_ratio {
        "比例未达到问责线"
    } else {
        "面积未超过问责线"
    };
    a.reason = format!("{figures}：{verdict}");
    if would {
        let n = a.numerator_after_m2;
        let d = a.denominator_after_m2;
        let remedy = mu((n - line_ratio * d).max(0.0));
        let demolition = if line_ratio < 1.0 {
            mu(((n - line_ratio * d) / (1.0 - line_ratio)).max(0.0))
        } else {
            0.0
        };
        let area = mu((n - line_mu * M2_PER_MU).max(0.0));
        a.to_fall_below = Some(ToFallBelow {
            ratio_by_remedy_mu: remedy,
            ratio_by_demolition_mu: demolition,
            area_mu: area,
            least_mu: remedy.min(area),
        });
    }
}

fn rank(list: &mut [Assessment]) {
    list.sort_by(|a, b| {
        b.accountable
            .cmp(&a.accountable)
            .then(b.warning.cmp(&a.warning))
            .then(b.ratio.total_cmp(&a.ratio))
            .then(a.region.cmp(&b.region))
    });
}

/// Assess every city and county that has verified land patches.
#[must_use]
pub fn assess(patches: &[PatchFact], policy: &Policy) -> Assessments {
    let by_county = accumulate(patches, policy);
    let n_steps = policy.deduction.len() + 1;
    let mut by_city: BTreeMap<RegionCode, Acc> = BTreeMap::new();
    for (county, acc) in &by_county {
        by_city
            .entry(county.prefecture())
            .or_insert_with(|| Acc::new(n_steps))
            .merge(acc);
    }
    let mut counties: Vec<Assessment> = by_county
        .into_iter()
        .map(|(c, acc)| finish(c.to_string(), Level::County, acc, policy))
        .collect();
    let mut cities: Vec<Assessment> = by_city
        .into_iter()
        .map(|(c, acc)| finish(c.to_string(), Level::City, acc, policy))
        .collect();
    let line = &policy.line;
    let ratio_line = |list: &[Assessment]| match line.ratio_from {
        Some(LineSource::Average) => average(
            list.iter()
                .filter(|a| a.denominator_after_m2 > 0.0)
                .map(|a| a.ratio),
        )
        .unwrap_or(line.ratio),
        None => line.ratio,
    };
    let area_line = |list: &[Assessment], fixed: f64| match line.area_from {
        Some(LineSource::Average) => average(list.iter().map(|a| a.area_mu)).unwrap_or(fixed),
        None => fixed,
    };
    let lines = Lines {
        city_ratio: ratio_line(&cities),
        county_ratio: ratio_line(&counties),
        city_mu: area_line(&cities, line.city_mu),
        county_mu: area_line(&counties, line.county_mu),
    };
    for a in &mut cities {
        judge(a, lines.city_ratio, lines.city_mu, policy);
    }
    for a in &mut counties {
        judge(a, lines.county_ratio, lines.county_mu, policy);
    }
    rank(&mut cities);
    rank(&mut counties);
    Assessments {
        lines,
        cities,
        counties,
    }
}

#[cfg(test)]
mod tests;
