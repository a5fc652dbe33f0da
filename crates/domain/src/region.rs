//! Administrative division codes (GB/T 2260) and the region tree.
//!
//! The table ships as data (`data/regions-cn.csv`: code, name, level, parent,
//! development_zone) and is embedded at build time; a newer list in the same
//! shape can be loaded with [`RegionTable::from_csv`] without code changes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A six-digit administrative division code, e.g. `510104` (锦江区).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RegionCode(u32);

/// Why a code was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("行政区代码 “{0}” 不是 6 位数字")]
pub struct RegionCodeError(pub String);

impl RegionCode {
    /// Parse six ASCII digits (surrounding whitespace allowed).
    ///
    /// ```
    /// use weipian_domain::RegionCode;
    /// let c = RegionCode::parse("510104").unwrap();
    /// assert_eq!(c.province().to_string(), "510000");
    /// assert_eq!(c.prefecture().to_string(), "510100");
    /// assert!(RegionCode::parse("51010").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, RegionCodeError> {
        let t = s.trim();
        if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) || t.starts_with('0') {
            return Err(RegionCodeError(s.to_string()));
        }
        t.parse()
            .map(Self)
            .map_err(|_| RegionCodeError(s.to_string()))
    }

    #[must_use]
    pub fn value(self) -> u32 {
        self.0
    }

    /// The province code: first two digits + `0000`.
    #[must_use]
    pub fn province(self) -> Self {
        Self(self.0 / 10_000 * 10_000)
    }

    /// The prefecture code: first four digits + `00`.
    #[must_use]
    pub fn prefecture(self) -> Self {
        Self(self.0 / 100 * 100)
    }

    /// Whether the fifth digit is 7: a development zone, not a GB/T 2260 county.
    #[must_use]
    pub fn is_development_zone_code(self) -> bool {
        (self.0 / 10) % 10 == 7
    }

    /// Whether `self` is `other` or lies below it (510104 is within 510100 and 510000).
    #[must_use]
    pub fn is_within(self, other: Self) -> bool {
        if other.0.is_multiple_of(10_000) {
            self.province() == other
        } else if other.0.is_multiple_of(100) {
            self.prefecture() == other
        } else {
            self == other
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// Level in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

impl RegionLevel {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "province" => Some(Self::Province),
            "city" => Some(Self::City),
            "county" => Some(Self::County),
            _ => None,
        }
    }

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
        }
    }
}

/// One region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
    /// Statistical development zone (fifth digit 7), not a GB/T 2260 county.
    pub development_zone: bool,
    /// A prefecture-level city without districts (东莞市, 中山市, 儋州市) is
    /// also its own county-level unit: patches carry its code as XZQDM.
    pub county_level: bool,
}

/// Why a region table was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegionTableError {
    #[error("行政区划表第 {line} 行：{problem}")]
    Line { line: usize, problem: String },
    #[error("行政区划表缺少表头 code,name,level,parent,development_zone")]
    Header,
}

/// The national region table.
#[derive(Debug, Clone, Default)]
pub struct RegionTable {
    by_code: BTreeMap<RegionCode, Region>,
}

/// The table shipped with weipian (2023 statistical codes).
const EMBEDDED: &str = include_str!("../../../data/regions-cn.csv");

impl RegionTable {
    /// The embedded table, parsed once per process (for lookups on hot
    /// paths; [`RegionTable::embedded`] gives an owned copy).
    #[must_use]
    pub fn shared() -> &'static Self {
        static TABLE: std::sync::OnceLock<RegionTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(Self::embedded)
    }

    /// The table shipped in `data/regions-cn.csv`.
    ///
    /// # Panics
    /// Never in a released build: a unit test parses the embedded file.
    #[must_use]
    pub fn embedded() -> Self {
        #[allow(clippy::expect_used)]
        Self::from_csv(EMBEDDED).expect("embedded data/regions-cn.csv is valid (tested)")
    }

    /// Parse `code,name,level,parent,development_zone` lines (with that header).
    pub fn from_csv(text: &str) -> Result<Self, RegionTableError> {
        let mut lines = text.lines().enumerate();
        let header = lines
            .next()
            .map(|(_, l)| l.trim_start_matches('\u{feff}').trim());
        if header != Some("code,name,level,parent,development_zone") {
            return Err(RegionTableError::Header);
        }
        let mut by_code = BTreeMap::new();
        for (i, line) in lines {
            let line_no = i + 1;
            let bad = |problem: String| RegionTableError::Line {
                line: line_no,
                problem,
            };
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            if cols.len() != 5 {
                return Err(bad(format!("应有 5 列，实有 {} 列", cols.len())));
            }
            let code = RegionCode::parse(cols[0]).map_err(|e| bad(e.to_string()))?;
            let level = RegionLevel::parse(cols[2])
                .ok_or_else(|| bad(format!("未知级别 “{}”", cols[2])))?;
            let parent = if cols[3].is_empty() {
                None
            } else {
                Some(RegionCode::parse(cols[3]).map_err(|e| bad(e.to_string()))?)
            };
            let development_zone = match cols[4] {
                "1" => true,
                "0" => false,
                other => return Err(bad(format!("development_zone 应为 0 或 1，收到 “{other}”"))),
            };
            if let Some(existing) = by_code.get_mut(&code) {
                // The one legal repeat: a city listed again as its own county.
                let r: &mut Region = existing;
                if r.level == RegionLevel::City
                    && level == RegionLevel::County
                    && parent == Some(code)
                {
                    r.county_level = true;
                    continue;
                }
                return Err(bad(format!("代码 {code} 重复")));
            }
            let county_level = level == RegionLevel::County;
            let region = Region {
                code,
                name: cols[1].to_string(),
                level,
                parent,
                development_zone,
                county_level,
            };
            by_code.insert(code, region);
        }
        Ok(Self { by_code })
    }

    #[must_use]
    pub fn get(&self, code: RegionCode) -> Option<&Region> {
        self.by_code.get(&code)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// All regions in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.by_code.values()
    }

    /// The county-level regions (counties, and cities without districts) under `root` (a province, city or county code).
    pub fn counties_within(&self, root: RegionCode) -> impl Iterator<Item = &Region> {
        self.by_code
            .values()
            .filter(move |r| r.county_level && r.code.is_within(root))
    }

    /// The chain from the province down to `code`, e.g. 四川省 › 成都市 › 锦江区.
    #[must_use]
    pub fn ancestry(&self, code: RegionCode) -> Vec<&Region> {
        let mut chain = Vec::new();
        let mut cur = self.get(code);
        while let Some(r) = cur {
            chain.push(r);
            cur = r.parent.and_then(|p| self.get(p));
        }
        chain.reverse();
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_has_the_documented_counts() {
        let t = RegionTable::embedded();
        let count = |l| t.iter().filter(|r| r.level == l).count();
        assert_eq!(count(RegionLevel::Province), 31);
        assert_eq!(count(RegionLevel::City), 342);
        // 2,978 county-level units, three of which are cities without districts.
        assert_eq!(count(RegionLevel::County), 2975);
        assert_eq!(t.iter().filter(|r| r.county_level).count(), 2978);
        assert!(
            t.get(RegionCode::parse("441900").unwrap())
                .unwrap()
                .county_level
        );
        let zone = t.get(RegionCode::parse("130171").unwrap()).unwrap();
        assert!(zone.development_zone && zone.code.is_development_zone_code());
        let jinjiang = RegionCode::parse("510104").unwrap();
        let names: Vec<_> = t
            .ancestry(jinjiang)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["四川省", "成都市", "锦江区"]);
        assert_eq!(
            t.counties_within(RegionCode::parse("510000").unwrap())
                .count(),
            183
        );
        // Every flagged zone has a 7 in the fifth digit, and the other way round.
        for r in t.iter().filter(|r| r.level == RegionLevel::County) {
            assert_eq!(
                r.development_zone,
                r.code.is_development_zone_code(),
                "{}",
                r.code
            );
        }
    }

    #[test]
    fn bad_tables_name_the_line() {
        let e = RegionTable::from_csv("code,name,level,parent,development_zone\n510000,四川省,province,,0\n51010x,成都市,city,510000,0\n");
        assert!(
            matches!(e, Err(RegionTableError::Line { line: 3, .. })),
            "{e:?}"
        );
        assert_eq!(
            RegionTable::from_csv("x\n").unwrap_err(),
            RegionTableError::Header
        );
    }

    #[test]
    fn within() {
        let c = |s| RegionCode::parse(s).unwrap();
        assert!(c("510104").is_within(c("510000")));
        assert!(c("510104").is_within(c("510100")));
        assert!(!c("510104").is_within(c("510300")));
        assert!(c("510104").is_within(c("510104")));
    }
}
