//! The year's schedule (`data/schedule/YEAR.toml`): what each level must
//! have done for which batches by when, where the cut-offs (时点) are, and
//! what an extension does to a region's due date.
//!
//! A deadline is met for a region when every patch of its batches there has
//! reached the state the level hands on: a county's patches submitted to
//! the city, a city's sent to the province, a province's reported.
//!
//! ```
//! use weipian_domain::schedule::Schedule;
//! use weipian_domain::RegionCode;
//! let s = Schedule::embedded(2020).unwrap();
//! let chengdu = RegionCode::parse("510100").unwrap();
//! let d = s.deadlines_for("2020Q3", chengdu);
//! assert!(d.iter().any(|d| d.id == "2020Q3-city" && d.due.to_string() == "2020-10-20"));
//! ```

use serde::{Deserialize, Serialize};
use time::Date;

use crate::review::ReviewState;
use crate::RegionCode;

include!(concat!(env!("OUT_DIR"), "/schedules.rs"));

/// The level that must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    County,
    City,
    Province,
}

impl Level {
    /// The Chinese name.
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Level::County => "县级",
            Level::City => "市级",
            Level::Province => "省级",
        }
    }

    /// The review state a patch must have reached for this level's deadline.
    #[must_use]
    pub fn reach(self) -> ReviewState {
        match self {
            Level::County => ReviewState::City,
            Level::City => ReviewState::Province,
            Level::Province => ReviewState::Reported,
        }
    }

    /// The responsible region of this level for a county: the county, its
    /// city or its province.
    #[must_use]
    pub fn region_of(self, county: RegionCode) -> RegionCode {
        match self {
            Level::County => county,
            Level::City => county.prefecture(),
            Level::Province => county.province(),
        }
    }
}

/// How far along the chain a state is (for "reached").
#[must_use]
pub fn rank(s: ReviewState) -> u8 {
    match s {
        ReviewState::County => 0,
        ReviewState::City => 1,
        ReviewState::CityPassed => 2,
        ReviewState::Province => 3,
        ReviewState::ProvincePassed => 4,
        ReviewState::Reported => 5,
    }
}

/// One deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub id: String,
    pub what: String,
    pub level: Level,
    pub batches: Vec<String>,
    #[serde(with = "date_text")]
    pub due: Date,
    /// Region code prefixes it applies to (empty: everywhere).
    #[serde(default)]
    pub regions: Vec<String>,
    /// The end of a reporting period: a snapshot is frozen after it.
    #[serde(default)]
    pub cutoff: bool,
    #[serde(default)]
    pub period: Option<String>,
    /// The quarter (1–4) whose 季度快报 this deadline delivers.
    #[serde(default)]
    pub quarter: Option<u8>,
    /// It delivers the year's annual results (年度成果), which
    /// accountability is assessed on.
    #[serde(default)]
    pub annual: bool,
    /// It delivers the half-year results (半年度成果).
    #[serde(default)]
    pub half_year: bool,
}

impl Deadline {
    /// Does it apply to `region` (any level of region code)?
    #[must_use]
    pub fn applies_to(&self, region: RegionCode) -> bool {
        let code = region.to_string();
        self.regions.is_empty() || self.regions.iter().any(|p| code.starts_with(p.as_str()))
    }
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

/// One year's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub year: u16,
    #[serde(default)]
    pub deadline: Vec<Deadline>,
}

/// Why a schedule file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("工作时间安排文件：{0}")]
pub struct ScheduleError(pub String);

impl Schedule {
    /// Parse and check a schedule (ids unique, batches given).
    pub fn from_toml(text: &str) -> Result<Schedule, ScheduleError> {
        let s: Schedule = toml::from_str(text).map_err(|e| ScheduleError(e.to_string()))?;
        let mut ids = std::collections::HashSet::new();
        for d in &s.deadline {
            if !ids.insert(d.id.as_str()) {
                return Err(ScheduleError(format!("deadline {} 重复", d.id)));
            }
            if d.batches.is_empty() {
                return Err(ScheduleError(format!("deadline {} 没有批次", d.id)));
            }
            if let Some(q) = d.quarter {
                if !(1..=4).contains(&q) {
                    return Err(ScheduleError(format!(
                        "deadline {} 的季度 {q} 不在 1–4",
                        d.id
                    )));
                }
                if !d.cutoff {
                    return Err(ScheduleError(format!(
                        "deadline {} 报送季度快报，须为时点（cutoff = true）",
                        d.id
                    )));
                }
            }
        }
        let mut quarters = std::collections::HashSet::new();
        for d in s.deadline.iter().filter_map(|d| d.quarter.map(|q| (q, d))) {
            if !quarters.insert(d.0) {
                return Err(ScheduleError(format!(
                    "第 {} 季度的快报期限重复（{}）",
                    d.0, d.1.id
                )));
            }
        }
        Ok(s)
    }

    /// The cut-off that delivers the half-year results, if the year has one.
    #[must_use]
    pub fn half_year_report(&self) -> Option<&Deadline> {
        self.deadline.iter().find(|d| d.half_year && d.cutoff)
    }

    /// The cut-off that delivers the annual results, if the year has one.
    #[must_use]
    pub fn annual_report(&self) -> Option<&Deadline> {
        self.deadline.iter().find(|d| d.annual && d.cutoff)
    }

    /// The cut-off that delivers quarter `q`'s 季度快报, if the year has one.
    #[must_use]
    pub fn quick_report(&self, q: u8) -> Option<&Deadline> {
        self.deadline.iter().find(|d| d.quarter == Some(q))
    }

    /// The schedule embedded for `year`, if there is one.
    #[must_use]
    pub fn embedded(year: u16) -> Option<&'static Schedule> {
        use std::sync::OnceLock;
        static ALL: OnceLock<Vec<Schedule>> = OnceLock::new();
        ALL.get_or_init(|| {
            EMBEDDED_SCHEDULES
                .iter()
                .filter_map(|(y, text)| Schedule::from_toml(text).ok().filter(|s| s.year == *y))
                .collect()
        })
        .iter()
        .find(|s| s.year == year)
    }

    /// The deadlines for a batch that apply in `region`, by due date.
    #[must_use]
    pub fn deadlines_for(&self, batch: &str, region: RegionCode) -> Vec<&Deadline> {
        let mut out: Vec<&Deadline> = self
            .deadline
            .iter()
            .filter(|d| d.batches.iter().any(|b| b == batch) && d.applies_to(region))
            .collect();
        out.sort_by_key(|d| d.due);
        out
    }

    /// A deadline by id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Deadline> {
        self.deadline.iter().find(|d| d.id == id)
    }
}

/// Whole days from `today` to `due` (negative: past).
#[must_use]
pub fn days_left(today: Date, due: Date) -> i64 {
    (due - today).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_schedule_parses() {
        for (year, text) in EMBEDDED_SCHEDULES {
            let s = Schedule::from_toml(text).unwrap_or_else(|e| panic!("{year}: {e}"));
            assert_eq!(s.year, *year);
        }
        let s = Schedule::embedded(2020).unwrap();
        assert_eq!(s.deadline.iter().filter(|d| d.cutoff).count(), 4);
        // 一、三季度采取快报方式; the half-year and annual results are not 快报.
        assert_eq!(s.quick_report(1).unwrap().batches, vec!["2020Q1"]);
        assert_eq!(s.quick_report(3).unwrap().batches, vec!["2020Q3"]);
        assert!(s.quick_report(2).is_none() && s.quick_report(4).is_none());
        let annual = s.annual_report().unwrap();
        assert_eq!(
            (annual.id.as_str(), annual.batches.len()),
            ("2020Y-report", 4)
        );
    }

    #[test]
    fn a_quick_report_quarter_is_checked() {
        let base = "year = 2021\n[[deadline]]\nid = \"a\"\nwhat = \"x\"\nlevel = \"province\"\nbatches = [\"b\"]\ndue = \"2021-04-30\"\n";
        assert!(Schedule::from_toml(&format!("{base}cutoff = true\nquarter = 1\n")).is_ok());
        let e = Schedule::from_toml(&format!("{base}cutoff = true\nquarter = 5\n")).unwrap_err();
        assert!(e.0.contains("不在 1–4"), "{e}");
        let e = Schedule::from_toml(&format!("{base}quarter = 1\n")).unwrap_err();
        assert!(e.0.contains("cutoff"), "{e}");
        let twice = format!(
            "{base}cutoff = true\nquarter = 1\n{}",
            base.replace("year = 2021\n", "").replace("\"a\"", "\"c\"")
                + "cutoff = true\nquarter = 1\n"
        );
        let e = Schedule::from_toml(&twice).unwrap_err();
        assert!(e.0.contains("重复"), "{e}");
    }

    #[test]
    fn sichuan_cities_have_earlier_dates_than_the_nation() {
        let s = Schedule::embedded(2020).unwrap();
        let chengdu = RegionCode::parse("510104").unwrap();
        let hangzhou = RegionCode::parse("330102").unwrap();
        let ids = |r| {
            s.deadlines_for("2020Q1", r)
                .iter()
                .map(|d| d.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(chengdu),
            vec![
                "2020Q1-report",
                "2020H1-city",
                "2020H1-report",
                "2020Y-city",
                "2020Y-report"
            ]
        );
        assert_eq!(
            ids(hangzhou),
            vec!["2020Q1-report", "2020H1-report", "2020Y-report"]
        );
    }

    #[test]
    fn a_monthly_rhythm_is_just_data() {
        let text = r#"
year = 2021
[[deadline]]
id = "2021-01-county"
what = "县级完成 1 月图斑核实填报"
level = "county"
batches = ["2021-01"]
due = "2021-02-28"
[[deadline]]
id = "2021-02-county"
what = "县级完成 2 月图斑核实填报"
level = "county"
batches = ["2021-02"]
due = "2021-03-31"
cutoff = true
period = "2021年2月"
"#;
        let s = Schedule::from_toml(text).unwrap();
        let r = RegionCode::parse("510104").unwrap();
        assert_eq!(
            s.deadlines_for("2021-02", r)[0].level.reach(),
            ReviewState::City
        );
        let dup = text.replace("2021-02-county", "2021-01-county");
        assert!(Schedule::from_toml(&dup).is_err());
        let bad = text.replace("2021-03-31", "2021-13-01");
        assert!(Schedule::from_toml(&bad).is_err());
    }

    #[test]
    fn levels_name_their_responsible_region() {
        let c = RegionCode::parse("510104").unwrap();
        assert_eq!(Level::City.region_of(c).to_string(), "510100");
        assert_eq!(Level::Province.region_of(c).to_string(), "510000");
        assert!(rank(Level::City.reach()) > rank(Level::County.reach()));
        let d = |s: &str| crate::determination::parse_date(s).unwrap();
        assert_eq!(days_left(d("2020-04-27"), d("2020-04-30")), 3);
        assert_eq!(days_left(d("2020-05-02"), d("2020-04-30")), -2);
    }
}
