//! The review chain of a patch (县 → 市 → 省 → 部): the county submits
//! (上报), the city passes or returns (通过 / 退回) and submits to the
//! province, the province passes or returns and reports to the Ministry
//! (报部). A return goes back to the county with its reason and counts
//! against the level that returned it; only a patch with the county is
//! editable there.
//!
//! [`Review::apply`] is the only way a review changes; it refuses an action
//! out of order, or by a role that does not take it, with the reason.
//!
//! ```
//! use weipian_domain::access::Role;
//! use weipian_domain::review::{Review, ReviewAction, ReviewState};
//! let mut r = Review::default();
//! assert!(r.editable_by_county());
//! r.apply(&ReviewAction::Submit, Role::CountyFiller).unwrap();
//! let err = r.apply(&ReviewAction::Submit, Role::CountyFiller).unwrap_err();
//! assert!(err.to_string().contains("已上报"));
//! r.apply(&ReviewAction::Return { reason: "照片不清晰".into() }, Role::CityReviewer).unwrap();
//! assert_eq!((r.state, r.city_returns), (ReviewState::County, 1));
//! ```

use serde::{Deserialize, Serialize};

use crate::access::Role;

/// Where a patch stands in the chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// With the county: not submitted yet, or returned (editable).
    #[default]
    County,
    /// Submitted by the county, awaiting the city's review.
    City,
    /// Passed by the city, awaiting its submission to the province.
    CityPassed,
    /// Submitted by the city, awaiting the province's review.
    Province,
    /// Passed by the province, awaiting the report to the Ministry.
    ProvincePassed,
    /// Reported to the Ministry (报部).
    Reported,
}

impl ReviewState {
    /// The Chinese name shown to users.
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::County => "县级填报中",
            Self::City => "待市级审核",
            Self::CityPassed => "市级审核通过",
            Self::Province => "待省级审核",
            Self::ProvincePassed => "省级审核通过",
            Self::Reported => "已报部",
        }
    }

    /// Parse a state's code (`county`, `city`, …).
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::County,
            Self::City,
            Self::CityPassed,
            Self::Province,
            Self::ProvincePassed,
            Self::Reported,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// The state's code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::City => "city",
            Self::CityPassed => "city_passed",
            Self::Province => "province",
            Self::ProvincePassed => "province_passed",
            Self::Reported => "reported",
        }
    }
}

/// Where a patch stands in the year's work, as the patch list shows and
/// filters it: with the county — no answer at all (未填报), answered but
/// not complete (填报中), complete and not submitted (待上报), returned by
/// the city or province (已退回) — or one of the review chain's states
/// above the county.
///
/// ```
/// use weipian_domain::review::{ReviewState, WorkStatus};
/// assert_eq!(WorkStatus::parse("returned"), Some(WorkStatus::Returned));
/// assert_eq!(WorkStatus::Returned.review_state(), ReviewState::County);
/// assert_eq!(WorkStatus::Province.name_zh(), ReviewState::Province.name_zh());
/// assert_eq!(WorkStatus::parse("county"), None); // the county's work is one of the four
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    /// With the county, no answer of the patch or of any of its 地块.
    Unanswered,
    /// With the county, answered, the answers not complete yet.
    Draft,
    /// With the county, every answer complete, not returned: ready to submit.
    Ready,
    /// With the county after a return by the city or the province.
    Returned,
    City,
    CityPassed,
    Province,
    ProvincePassed,
    Reported,
}

impl WorkStatus {
    /// Every status, in the order of the work.
    pub const ALL: [Self; 9] = [
        Self::Unanswered,
        Self::Draft,
        Self::Ready,
        Self::Returned,
        Self::City,
        Self::CityPassed,
        Self::Province,
        Self::ProvincePassed,
        Self::Reported,
    ];

    /// The status's code: the four county ones, else the review state's code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Unanswered => "unanswered",
            Self::Draft => "draft",
            Self::Ready => "ready",
            Self::Returned => "returned",
            _ => self.review_state().code(),
        }
    }

    /// The Chinese name shown to users.
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Unanswered => "未填报",
            Self::Draft => "填报中",
            Self::Ready => "待上报",
            Self::Returned => "已退回",
            _ => self.review_state().name_zh(),
        }
    }

    /// Parse a status's code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The review state the patch is in.
    #[must_use]
    pub fn review_state(self) -> ReviewState {
        match self {
            Self::Unanswered | Self::Draft | Self::Ready | Self::Returned => ReviewState::County,
            Self::City => ReviewState::City,
            Self::CityPassed => ReviewState::CityPassed,
            Self::Province => ReviewState::Province,
            Self::ProvincePassed => ReviewState::ProvincePassed,
            Self::Reported => ReviewState::Reported,
        }
    }
}

/// What a reviewer (or the county) does to a patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ReviewAction {
    /// 县级上报 (county filler).
    Submit,
    /// 审核通过 (city reviewer at the city step, province reviewer at the province step).
    Pass {
        #[serde(default)]
        opinion: Option<String>,
    },
    /// 退回 to the county, with the reason (city or province reviewer).
    Return { reason: String },
    /// 市级上报省级 (city reviewer).
    SubmitToProvince,
    /// 报部 (province reviewer).
    Report,
}

impl ReviewAction {
    /// The action's Chinese name.
    #[must_use]
    pub fn name_zh(&self) -> &'static str {
        match self {
            Self::Submit => "县级上报",
            Self::Pass { .. } => "审核通过",
            Self::Return { .. } => "退回",
            Self::SubmitToProvince => "市级上报",
            Self::Report => "报部",
        }
    }

    /// The action's code (`submit`, `pass`, …).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Pass { .. } => "pass",
            Self::Return { .. } => "return",
            Self::SubmitToProvince => "submit_to_province",
            Self::Report => "report",
        }
    }

    /// The reviewer's words (a pass's opinion, a return's reason).
    #[must_use]
    pub fn opinion(&self) -> Option<&str> {
        match self {
            Self::Pass { opinion } => opinion.as_deref(),
            Self::Return { reason } => Some(reason),
            _ => None,
        }
    }
}

/// The last return: by which level and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastReturn {
    /// `city` or `province`.
    pub level: String,
    pub reason: String,
}

/// A patch's review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub state: ReviewState,
    /// 市级退回次数
    pub city_returns: u32,
    /// 省级退回次数
    pub province_returns: u32,
    /// The return the county has to answer, until it submits again.
    pub last_return: Option<LastReturn>,
}

/// Why an action was refused (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReviewError(pub String);

impl Review {
    /// May the county change the patch's answers and evidence now?
    #[must_use]
    pub fn editable_by_county(&self) -> bool {
        self.state == ReviewState::County
    }

    /// The role that acts on the patch in its current state, if any.
    #[must_use]
    pub fn awaiting(&self) -> Option<Role> {
        match self.state {
            ReviewState::County => Some(Role::CountyFiller),
            ReviewState::City | ReviewState::CityPassed => Some(Role::CityReviewer),
            ReviewState::Province | ReviewState::ProvincePassed => Some(Role::ProvinceReviewer),
            ReviewState::Reported => None,
        }
    }

    /// Apply `action` taken by `role`; refused, with the reason, when out of
    /// order or not that role's to take. (Scope is the caller's to check.)
    pub fn apply(&mut self, action: &ReviewAction, role: Role) -> Result<(), ReviewError> {
        use ReviewState as S;
        let refuse = |why: String| Err(ReviewError(why));
        let state = self.state;
        let wrong_role = |who: &str| {
            Err(ReviewError(format!(
                "“{}”由{who}办理，{}不能办理",
                action.name_zh(),
                role.name_zh()
            )))
        };
        match action {
            ReviewAction::Submit => {
                if role != Role::CountyFiller {
                    return wrong_role("县级填报用户");
                }
                if state != S::County {
                    return refuse(format!("图斑已上报（{}），不能重复上报", state.name_zh()));
                }
                self.state = S::City;
                self.last_return = None;
            }
            ReviewAction::Pass { .. } => match (state, role) {
                (S::City, Role::CityReviewer) => self.state = S::CityPassed,
                (S::Province, Role::ProvinceReviewer) => self.state = S::ProvincePassed,
                (S::City, _) => return wrong_role("市级审核用户"),
                (S::Province, _) => return wrong_role("省级审核用户"),
                _ => return refuse(format!("图斑{}，没有待审核的上报", state.name_zh())),
            },
            ReviewAction::Return { reason } => {
                if reason.trim().is_empty() {
                    return refuse("退回须填写原因".into());
                }
                let level = match (state, role) {
                    (S::City | S::CityPassed, Role::CityReviewer) => {
                        self.city_returns += 1;
                        "city"
                    }
                    (S::Province | S::ProvincePassed, Role::ProvinceReviewer) => {
                        self.province_returns += 1;
                        "province"
                    }
                    (S::City | S::CityPassed, _) => return wrong_role("市级审核用户"),
                    (S::Province | S::ProvincePassed, _) => return wrong_role("省级审核用户"),
                    (S::County, _) => return refuse("图斑尚未上报，无可退回".into()),
                    (S::Reported, _) => return refuse("图斑已报部，不能退回".into()),
                };
                self.state = S::County;
                self.last_return = Some(LastReturn {
                    level: level.into(),
                    reason: reason.trim().to_string(),
                });
            }
            ReviewAction::SubmitToProvince => {
                if role != Role::CityReviewer {
                    return wrong_role("市级审核用户");
                }
                if state != S::CityPassed {
                    return refuse(format!(
                        "只有市级审核通过的图斑才能上报省级（当前：{}）",
                        state.name_zh()
                    ));
                }
                self.state = S::Province;
            }
            ReviewAction::Report => {
                if role != Role::ProvinceReviewer {
                    return wrong_role("省级审核用户");
                }
                if state != S::ProvincePassed {
                    return refuse(format!(
                        "只有省级审核通过的图斑才能报部（当前：{}）",
                        state.name_zh()
                    ));
                }
                self.state = S::Reported;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass() -> ReviewAction {
        ReviewAction::Pass { opinion: None }
    }

    fn ret(reason: &str) -> ReviewAction {
        ReviewAction::Return {
            reason: reason.into(),
        }
    }

    #[test]
    fn work_statuses_have_distinct_codes_that_parse_back() {
        let codes: std::collections::HashSet<&str> =
            WorkStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes.len(), WorkStatus::ALL.len());
        for s in WorkStatus::ALL {
            assert_eq!(WorkStatus::parse(s.code()), Some(s));
            if s.review_state() != ReviewState::County {
                assert_eq!(s.code(), s.review_state().code());
            }
        }
        assert_eq!(WorkStatus::Ready.name_zh(), "待上报");
    }

    #[test]
    fn the_whole_chain_in_order() {
        let mut r = Review::default();
        r.apply(&ReviewAction::Submit, Role::CountyFiller).unwrap();
        assert!(!r.editable_by_county());
        assert_eq!(r.awaiting(), Some(Role::CityReviewer));
        r.apply(&pass(), Role::CityReviewer).unwrap();
        r.apply(&ReviewAction::SubmitToProvince, Role::CityReviewer)
            .unwrap();
        r.apply(&pass(), Role::ProvinceReviewer).unwrap();
        r.apply(&ReviewAction::Report, Role::ProvinceReviewer)
            .unwrap();
        assert_eq!(r.state, ReviewState::Reported);
        assert_eq!(r.awaiting(), None);
        let e = r.apply(&ret("x"), Role::ProvinceReviewer).unwrap_err();
        assert!(e.0.contains("已报部"), "{e}");
    }

    #[test]
    fn returns_go_to_the_county_and_count_per_level() {
        let mut r = Review::default();
        r.apply(&ReviewAction::Submit, Role::CountyFiller).unwrap();
        r.apply(&ret("缺少照片"), Role::CityReviewer).unwrap();
        assert!(r.editable_by_county());
        assert_eq!(r.last_return.as_ref().unwrap().reason, "缺少照片");
        r.apply(&ReviewAction::Submit, Role::CountyFiller).unwrap();
        assert_eq!(r.last_return, None);
        r.apply(&pass(), Role::CityReviewer).unwrap();
        // A passed patch not yet sent up may still be returned by the city.
        r.apply(&ret("复核发现面积有误"), Role::CityReviewer)
            .unwrap();
        r.apply(&ReviewAction::Submit, Role::CountyFiller).unwrap();
        r.apply(&pass(), Role::CityReviewer).unwrap();
        r.apply(&ReviewAction::SubmitToProvince, Role::CityReviewer)
            .unwrap();
        r.apply(&ret("判定依据不足"), Role::ProvinceReviewer)
            .unwrap();
        assert_eq!((r.city_returns, r.province_returns), (2, 1));
        assert_eq!(r.state, ReviewState::County);
        assert_eq!(r.last_return.as_ref().unwrap().level, "province");
    }

    #[test]
    fn out_of_order_or_by_the_wrong_role_is_refused_with_the_reason() {
        let mut r = Review::default();
        let e = r.apply(&pass(), Role::CityReviewer).unwrap_err();
        assert!(e.0.contains("没有待审核"), "{e}");
        let e = r
            .apply(&ReviewAction::Submit, Role::CityReviewer)
            .unwrap_err();
        assert!(e.0.contains("县级填报用户"), "{e}");
        r.apply(&ReviewAction::Submit, Role::CountyFiller).unwrap();
        let e = r.apply(&pass(), Role::ProvinceReviewer).unwrap_err();
        assert!(e.0.contains("市级审核用户"), "{e}");
        let e = r
            .apply(&ReviewAction::SubmitToProvince, Role::CityReviewer)
            .unwrap_err();
        assert!(e.0.contains("市级审核通过的图斑"), "{e}");
        let e = r.apply(&ret("  "), Role::CityReviewer).unwrap_err();
        assert!(e.0.contains("原因"), "{e}");
        let e = r
            .apply(&ReviewAction::Report, Role::ProvinceReviewer)
            .unwrap_err();
        assert!(e.0.contains("省级审核通过的图斑"), "{e}");
        assert_eq!(r.state, ReviewState::City); // nothing refused changed anything
    }

    #[test]
    fn actions_and_states_read_and_write_their_codes() {
        let a: ReviewAction =
            serde_json::from_str(r#"{"action":"return","reason":"照片模糊"}"#).unwrap();
        assert_eq!(a.opinion(), Some("照片模糊"));
        assert_eq!(a.code(), "return");
        for s in [
            ReviewState::County,
            ReviewState::City,
            ReviewState::CityPassed,
            ReviewState::Province,
            ReviewState::ProvincePassed,
            ReviewState::Reported,
        ] {
            assert_eq!(ReviewState::parse(s.code()), Some(s));
        }
        assert_eq!(ReviewState::parse("nope"), None);
    }
}
