//! The year's accountability rules (问责) from `data/accountability/YEAR.toml`:
//! the annual elimination cut-off, the deduction categories and their
//! deadline, the line (ratio and area, fixed or from the average), the
//! early-warning margins, the 增违挂钩 factor, the blacklist criteria and
//! the other signals' deadlines; and the national deep-poverty areas
//! (`data/accountability/deep-poverty.csv`) that are excepted.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::RectificationKind;
use crate::RegionCode;

include!(concat!(env!("OUT_DIR"), "/accountability.rs"));

const DEEP_POVERTY: &str = include_str!("../../../data/accountability/deep-poverty.csv");

/// Where a line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineSource {
    /// The average over the regions of the same level being assessed.
    Average,
}

/// The accountability line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Accountable from this ratio on (inclusive), e.g. 0.15.
    pub ratio: f64,
    /// …and above these 亩 of illegal cultivated land after deductions (exclusive).
    pub city_mu: f64,
    pub county_mu: f64,
    /// Replace the fixed ratio with the average of the level's ratios.
    #[serde(default)]
    pub ratio_from: Option<LineSource>,
    /// Replace the fixed areas with the average of the level's areas.
    #[serde(default)]
    pub area_from: Option<LineSource>,
}

/// How close to the line counts as a warning (预警).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// The ratio is at least `line − ratio_margin`…
    pub ratio_margin: f64,
    /// …and the area above `(1 − area_margin_share) × area line`.
    pub area_margin_share: f64,
}

/// One deduction category (扣除情形).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeductionRule {
    /// The claim an illegal answer makes (the code table's `[[deduction]]` code).
    pub claim: String,
    pub name: String,
    /// From numerator and denominator (`true`) or the numerator only.
    pub both: bool,
    /// A rectification of one of these kinds, by the deadline, is required.
    #[serde(default)]
    pub rectification: Vec<RectificationKind>,
}

/// 增违挂钩.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linkage {
    /// Next year's quota is cut by this many times the unresolved illegal area.
    pub factor: f64,
}

/// Who goes on the blacklist (any one criterion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlacklistRule {
    pub min_area_mu: f64,
    pub min_cultivated_mu: f64,
    pub min_cases: usize,
    /// A decision not carried out (作出处理决定后未落实到位).
    pub unenforced_decision: bool,
}

/// The other accountability situations' deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// Found (the case opened) and not filed after this many days.
    pub unfiled_after_days: i64,
    /// Filed and no decision after this many days.
    pub undecided_after_days: i64,
}

/// One year's accountability policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub year: u16,
    /// Eliminated by this day: no longer counted as illegal (annual results).
    #[serde(with = "date_text")]
    pub eliminated_by: Date,
    /// Deductions count only when done by this day.
    #[serde(with = "date_text")]
    pub deduction_deadline: Date,
    pub exempt_deep_poverty: bool,
    pub line: Line,
    pub warning: Warning,
    #[serde(default)]
    pub deduction: Vec<DeductionRule>,
    pub linkage: Linkage,
    pub blacklist: BlacklistRule,
    pub signals: Signals,
}

mod date_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let t = String::deserialize(d)?;
        crate::determination::parse_date(&t)
            .ok_or_else(|| serde::de::Error::custom(format!("日期“{t}”应为 YYYY-MM-DD")))
    }
}

/// Why a policy file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("问责规则文件：{0}")]
pub struct PolicyError(pub String);

impl Policy {
    /// Parse and check a policy.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let p: Policy = toml::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        let l = &p.line;
        let sane = (0.0..=1.0).contains(&l.ratio)
            && l.city_mu >= 0.0
            && l.county_mu >= 0.0
            && (0.0..=1.0).contains(&p.warning.ratio_margin)
            && (0.0..=1.0).contains(&p.warning.area_margin_share)
            && p.linkage.factor.is_finite()
            && p.linkage.factor >= 0.0
            && p.signals.unfiled_after_days >= 0
            && p.signals.undecided_after_days >= 0;
        if !sane {
            return Err(PolicyError("阈值超出合理范围".into()));
        }
        if p.deduction_deadline < p.eliminated_by {
            return Err(PolicyError(
                "扣除截止日期早于年度消除违法状态的截止日期".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for d in &p.deduction {
            if !seen.insert(d.claim.as_str()) {
                return Err(PolicyError(format!("扣除情形 {} 重复", d.claim)));
            }
        }
        Ok(p)
    }

    /// The policy embedded for `year`.
    #[must_use]
    pub fn embedded(year: u16) -> Option<&'static Policy> {
        use std::sync::OnceLock;
        static ALL: OnceLock<Vec<Policy>> = OnceLock::new();
        ALL.get_or_init(|| {
            EMBEDDED_ACCOUNTABILITY
                .iter()
                // Every embedded file is checked by a test.
                .filter_map(|(y, text)| Policy::from_toml(text).ok().filter(|p| p.year == *y))
                .collect()
        })
        .iter()
        .find(|p| p.year == year)
    }

    /// Is `region` (a city or county) excepted as a deep-poverty area: it,
    /// or the city above it, is on the list?
    #[must_use]
    pub fn exempt(&self, region: RegionCode) -> bool {
        self.exempt_deep_poverty
            && deep_poverty()
                .iter()
                .any(|(code, _)| region == *code || region.is_within(*code))
    }
}

/// The national deep-poverty areas (code, name) as listed in `data/`.
#[must_use]
pub fn deep_poverty() -> &'static [(RegionCode, String)] {
    use std::sync::OnceLock;
    static LIST: OnceLock<Vec<(RegionCode, String)>> = OnceLock::new();
    LIST.get_or_init(|| {
        DEEP_POVERTY
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let code = RegionCode::parse(f.next()?.trim()).ok()?;
                Some((code, f.next()?.trim().to_string()))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_policy_parses_and_its_claims_are_in_the_code_table() {
        for (year, text) in EMBEDDED_ACCOUNTABILITY {
            let p = Policy::from_toml(text).unwrap_or_else(|e| panic!("{year}: {e}"));
            assert_eq!(p.year, *year);
            let table = crate::determination::CodeTable::embedded(*year).unwrap();
            for d in &p.deduction {
                assert!(
                    table.deduction.iter().any(|k| k.code == d.claim),
                    "{year}: claim {} not in the code table",
                    d.claim
                );
            }
        }
        let p = Policy::embedded(2020).unwrap();
        assert_eq!(
            (p.line.ratio, p.line.city_mu, p.line.county_mu),
            (0.15, 500.0, 100.0)
        );
        assert_eq!(p.deduction_deadline.to_string(), "2021-02-28");
        assert_eq!(p.deduction.iter().filter(|d| d.both).count(), 1);
    }

    #[test]
    fn the_deep_poverty_list_names_real_regions_and_covers_their_counties() {
        let regions = crate::region::RegionTable::shared();
        let list = deep_poverty();
        assert!(!list.is_empty());
        for (code, name) in list {
            assert_eq!(&regions.get(*code).unwrap().name, name);
        }
        let p = Policy::embedded(2020).unwrap();
        let rc = |s| RegionCode::parse(s).unwrap();
        assert!(p.exempt(rc("513400")) && p.exempt(rc("513433")));
        assert!(!p.exempt(rc("510100")) && !p.exempt(rc("510104")));
    }

    #[test]
    fn bad_policies_are_refused() {
        let text = EMBEDDED_ACCOUNTABILITY[0].1;
        let e = Policy::from_toml(&text.replace("ratio = 0.15", "ratio = 15")).unwrap_err();
        assert!(e.0.contains("合理范围"), "{e}");
        let e = Policy::from_toml(&text.replace("2021-02-28", "2020-12-01")).unwrap_err();
        assert!(e.0.contains("早于"), "{e}");
        let e =
            Policy::from_toml(&text.replace("claim = \"yqfk\"", "claim = \"yhyz\"")).unwrap_err();
        assert!(e.0.contains("重复"), "{e}");
    }
}
