//! Who may do what, where: roles, scopes and the permission rule.
//!
//! Every user belongs to one region — a county, a city, a province — or to
//! the whole country (the Ministry), and holds one role. The rule here is
//! pure; the service layer asks it before every read and write, so a handler
//! or a page can never forget the check.
//!
//! ```
//! use weipian_domain::access::{Actor, Op, Role, Scope};
//! use weipian_domain::RegionCode;
//! let county = RegionCode::parse("510104").unwrap();
//! let clerk = Actor::new("lihua", Scope::Region(county), Role::CountyFiller).unwrap();
//! assert!(clerk.may(Op::ReadPatches, county));
//! assert!(clerk.may(Op::Determine, county));
//! assert!(!clerk.may(Op::ReadPatches, RegionCode::parse("510105").unwrap()));
//! let city = Actor::new("wang", Scope::Region(RegionCode::parse("510100").unwrap()), Role::CityReviewer).unwrap();
//! assert!(city.may(Op::ReadPatches, county));
//! assert!(!city.may(Op::Determine, county)); // reviewers review; counties determine
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::region::RegionCode;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县级填报: verifies, determines, attaches evidence, runs cases.
    CountyFiller,
    /// 市级审核.
    CityReviewer,
    /// 省级审核: also reports to the Ministry and may correct county data.
    ProvinceReviewer,
    /// 部级: reads everything, spot-checks.
    Ministry,
    /// 技术支撑单位: reads a province, flags, field checks; never determines.
    DeskReviewer,
    /// 军用地登记: the only role that sees the military-land register.
    MilitaryOfficer,
    /// 管理员: users, imports and analysis within its region.
    Admin,
}

/// Every role, in display order.
pub const ROLES: [Role; 7] = [
    Role::CountyFiller,
    Role::CityReviewer,
    Role::ProvinceReviewer,
    Role::Ministry,
    Role::DeskReviewer,
    Role::MilitaryOfficer,
    Role::Admin,
];

impl Role {
    /// The code used in files, the CLI and the API (`county`, `city`, …).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Role::CountyFiller => "county",
            Role::CityReviewer => "city",
            Role::ProvinceReviewer => "province",
            Role::Ministry => "ministry",
            Role::DeskReviewer => "desk",
            Role::MilitaryOfficer => "military",
            Role::Admin => "admin",
        }
    }

    /// The Chinese name shown to users.
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::CountyFiller => "县级填报",
            Role::CityReviewer => "市级审核",
            Role::ProvinceReviewer => "省级审核",
            Role::Ministry => "部级",
            Role::DeskReviewer => "技术支撑单位审核",
            Role::MilitaryOfficer => "军用地登记",
            Role::Admin => "管理员",
        }
    }

    /// Parse a code or a Chinese name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Role> {
        let t = s.trim();
        ROLES
            .into_iter()
            .find(|r| r.code() == t || r.name_zh() == t)
    }

    /// Which kind of region a user of this role must belong to.
    #[must_use]
    pub fn fits(self, scope: Scope) -> bool {
        let level = scope.level();
        match self {
            Role::CountyFiller => level == ScopeLevel::County,
            Role::CityReviewer => level == ScopeLevel::City,
            Role::ProvinceReviewer | Role::DeskReviewer => level == ScopeLevel::Province,
            Role::Ministry => level == ScopeLevel::National,
            Role::MilitaryOfficer | Role::Admin => true,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

/// The part of the country a user works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// The whole country (the Ministry).
    National,
    /// A province, a city or a county and everything below it.
    Region(RegionCode),
}

/// The level of a scope, from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeLevel {
    National,
    Province,
    City,
    County,
}

impl Scope {
    /// The code written for the whole country.
    pub const NATIONAL_CODE: &'static str = "000000";

    /// Parse `000000` (the whole country) or a region code.
    pub fn parse(s: &str) -> Result<Scope, crate::region::RegionCodeError> {
        if s.trim() == Self::NATIONAL_CODE {
            return Ok(Scope::National);
        }
        RegionCode::parse(s).map(Scope::Region)
    }

    /// The level, from the code's shape (`xx0000` province, `xxxx00` city,
    /// else county). A city without districts (东莞 441900) is a city here;
    /// its patches carry the city code, so they are within it either way.
    #[must_use]
    pub fn level(self) -> ScopeLevel {
        match self {
            Scope::National => ScopeLevel::National,
            Scope::Region(c) if c.value() % 10_000 == 0 => ScopeLevel::Province,
            Scope::Region(c) if c.value() % 100 == 0 => ScopeLevel::City,
            Scope::Region(_) => ScopeLevel::County,
        }
    }

    /// Whether `region` lies inside this scope.
    #[must_use]
    pub fn contains(self, region: RegionCode) -> bool {
        match self {
            Scope::National => true,
            Scope::Region(r) => region.is_within(r),
        }
    }

    /// Whether the whole of `other` lies inside this scope.
    #[must_use]
    pub fn covers(self, other: Scope) -> bool {
        match (self, other) {
            (Scope::National, _) => true,
            (Scope::Region(_), Scope::National) => false,
            (Scope::Region(_), Scope::Region(o)) => self.contains(o),
        }
    }

    /// The code: `000000` or the region's.
    #[must_use]
    pub fn code(self) -> String {
        match self {
            Scope::National => Self::NATIONAL_CODE.to_string(),
            Scope::Region(r) => r.to_string(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::National => f.write_str("全国"),
            Scope::Region(r) => write!(f, "{r}"),
        }
    }
}

/// An operation the service layer guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// List, read and export ordinary (non-military) patches and their figures.
    ReadPatches,
    /// Fill in a patch's answer (determination, evidence, cases).
    Determine,
    /// Read and write the military-land register.
    MilitaryRegister,
    /// Import batches, reference layers and boundaries; run the overlay analysis.
    ManageData,
    /// Create users and issue tokens for users within the scope.
    ManageUsers,
}

/// Who is asking: a signed-in user or a token's owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub scope: Scope,
    pub role: Role,
}

/// Why an actor cannot exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("角色“{role}”不能属于{what}（{scope}）")]
pub struct ActorError {
    pub role: Role,
    pub scope: String,
    pub what: &'static str,
}

impl Actor {
    /// An actor whose role fits its scope (a county filler belongs to a
    /// county, a city reviewer to a city…).
    pub fn new(user: &str, scope: Scope, role: Role) -> Result<Actor, ActorError> {
        if !role.fits(scope) {
            return Err(ActorError {
                role,
                scope: scope.code(),
                what: match scope.level() {
                    ScopeLevel::National => "全国",
                    ScopeLevel::Province => "省级行政区",
                    ScopeLevel::City => "市级行政区",
                    ScopeLevel::County => "县级行政区",
                },
            });
        }
        Ok(Actor {
            user: user.to_string(),
            scope,
            role,
        })
    }

    /// The local operator of the command line: the whole country, administrator.
    #[must_use]
    pub fn local_admin() -> Actor {
        Actor {
            user: "本机管理员".into(),
            scope: Scope::National,
            role: Role::Admin,
        }
    }

    /// May this actor do `op` on something in `region`?
    #[must_use]
    pub fn may(&self, op: Op, region: RegionCode) -> bool {
        self.scope.contains(region) && self.may_at_all(op)
    }

    /// May this actor do `op` anywhere (inside its scope)?
    #[must_use]
    pub fn may_at_all(&self, op: Op) -> bool {
        match op {
            Op::ReadPatches => true,
            Op::Determine => self.role == Role::CountyFiller,
            Op::MilitaryRegister => self.role == Role::MilitaryOfficer,
            Op::ManageData | Op::ManageUsers => self.role == Role::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn roles_parse_from_code_and_chinese_name() {
        for r in ROLES {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(Role::parse(r.name_zh()), Some(r));
        }
        assert_eq!(Role::parse("mayor"), None);
    }

    #[test]
    fn roles_must_fit_their_region_level() {
        let county = Scope::Region(rc("510104"));
        let city = Scope::Region(rc("510100"));
        let province = Scope::Region(rc("510000"));
        assert!(Actor::new("a", county, Role::CountyFiller).is_ok());
        assert!(Actor::new("a", city, Role::CountyFiller).is_err());
        assert!(Actor::new("a", county, Role::CityReviewer).is_err());
        assert!(Actor::new("a", province, Role::ProvinceReviewer).is_ok());
        assert!(Actor::new("a", province, Role::DeskReviewer).is_ok());
        assert!(Actor::new("a", city, Role::DeskReviewer).is_err());
        assert!(Actor::new("a", Scope::National, Role::Ministry).is_ok());
        assert!(Actor::new("a", province, Role::Ministry).is_err());
        for s in [county, city, province, Scope::National] {
            assert!(Actor::new("a", s, Role::Admin).is_ok());
            assert!(Actor::new("a", s, Role::MilitaryOfficer).is_ok());
        }
        let e = Actor::new("a", city, Role::CountyFiller).unwrap_err();
        assert_eq!(e.to_string(), "角色“县级填报”不能属于市级行政区（510100）");
    }

    #[test]
    fn scopes_contain_their_subtree_only() {
        let city = Scope::Region(rc("510100"));
        assert!(city.contains(rc("510104")));
        assert!(city.contains(rc("510100")));
        assert!(!city.contains(rc("510300")));
        assert!(!city.contains(rc("510000")));
        assert!(Scope::National.contains(rc("650100")));
        assert!(Scope::Region(rc("510000")).covers(city));
        assert!(!city.covers(Scope::Region(rc("510000"))));
        assert!(!city.covers(Scope::National));
        assert_eq!(Scope::parse("000000"), Ok(Scope::National));
        assert_eq!(Scope::National.code(), "000000");
        // A city without districts is a city-level scope that contains its own patches.
        let dongguan = Scope::Region(rc("441900"));
        assert_eq!(dongguan.level(), ScopeLevel::City);
        assert!(dongguan.contains(rc("441900")));
    }

    #[test]
    fn only_county_fillers_determine_and_only_admins_manage() {
        let at = |role, scope| Actor::new("x", scope, role).unwrap();
        let county = rc("510104");
        let c = Scope::Region(county);
        let p = Scope::Region(rc("510000"));
        assert!(at(Role::CountyFiller, c).may(Op::Determine, county));
        assert!(!at(Role::ProvinceReviewer, p).may(Op::Determine, county));
        assert!(!at(Role::DeskReviewer, p).may(Op::Determine, county));
        assert!(at(Role::DeskReviewer, p).may(Op::ReadPatches, county));
        assert!(at(Role::Admin, p).may(Op::ManageData, county));
        assert!(!at(Role::Admin, c).may(Op::ManageData, rc("510105")));
        assert!(!at(Role::Ministry, Scope::National).may(Op::ManageUsers, county));
        assert!(at(Role::MilitaryOfficer, c).may(Op::MilitaryRegister, county));
        assert!(!at(Role::CountyFiller, c).may(Op::MilitaryRegister, county));
    }
}
