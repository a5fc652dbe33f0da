//! Accountability (#6, points 4 and 6): the year's annual-results data —
//! each province's snapshot at the annual cut-off once it has passed, the
//! present otherwise or when asked — assessed city by city and county by
//! county under the year's policy (`data/accountability/YEAR.toml`), within
//! the actor's region.

use serde::Serialize;
use time::Date;
use weipian_domain::access::Actor;
use weipian_domain::accountability::Policy;
use weipian_domain::schedule::Schedule;
use weipian_domain::RegionCode;
use weipian_reports::accountability::{assess, Assessments};
use weipian_store::Store;

use crate::ServiceError;

/// What to assess.
#[derive(Debug, Clone)]
pub struct AccountabilityRequest {
    pub year: u16,
    /// Within this region (default: the actor's).
    pub region: Option<RegionCode>,
    /// Count the present even after the annual cut-off.
    pub current: bool,
    /// Today in China.
    pub today: Date,
    /// Assess the data as it stood at the end of this day instead.
    pub as_of: Option<Date>,
}

/// The ranked lists and what they rest on.
#[derive(Debug, Clone, Serialize)]
pub struct AccountabilityReport {
    pub year: u16,
    #[serde(flatten)]
    pub assessments: Assessments,
    pub policy: Policy,
    pub batches: Vec<String>,
    pub snapshots: Vec<i64>,
    pub basis: String,
    /// 上报时间 of the documents.
    #[serde(skip)]
    pub date: Date,
}

/// Assess the cities and counties within the actor's region.
pub fn accountability(
    store: &mut Store,
    actor: &Actor,
    req: &AccountabilityRequest,
) -> Result<AccountabilityReport, ServiceError> {
    let Some(region) = crate::scope::region_filter(actor, req.region)? else {
        return Err(ServiceError::NotFound(format!(
            "行政区 {}",
            req.region.map(|r| r.to_string()).unwrap_or_default()
        )));
    };
    let policy = Policy::embedded(req.year).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有 {} 年的问责规则（data/accountability/）",
            req.year
        ))
    })?;
    let schedule = Schedule::embedded(req.year).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有 {} 年的工作时间安排（data/schedule/）",
            req.year
        ))
    })?;
    let deadline = schedule.annual_report().ok_or_else(|| {
        ServiceError::Invalid(format!("{} 年的工作时间安排没有年度成果报送时点", req.year))
    })?;
    let period = crate::stats::period_facts(
        store,
        req.year,
        deadline,
        region,
        req.current,
        req.today,
        req.as_of,
    )?;
    let assessments = assess(&period.facts.patches, policy);
    tracing::info!(
        year = req.year,
        patches = period.facts.patches.len(),
        cities = assessments.cities.len(),
        counties = assessments.counties.len(),
        "问责核算"
    );
    Ok(AccountabilityReport {
        year: req.year,
        assessments,
        policy: policy.clone(),
        batches: deadline.batches.clone(),
        snapshots: period.snapshots,
        basis: period.basis,
        date: period.date,
    })
}
