//! The period reports for a region: the 季度卫片执法工作情况快报 (#6,
//! point 2) and the half-year and annual results (point 3). The period's
//! batches and cut-off come from the year's schedule; the region's patches
//! and cases — from the province's frozen snapshot once the cut-off has
//! passed, as things stand before (or when asked) — fill the year's
//! template, with the same figures per sub-region for the tables. Annual
//! results leave out as illegal what was eliminated by the year's cut-off
//! (the accountability policy's `eliminated_by`).

use serde::Serialize;
use time::Date;
use weipian_domain::access::{Actor, Op, Scope};
use weipian_domain::region::RegionTable;
use weipian_domain::schedule::{Deadline, Schedule};
use weipian_domain::RegionCode;
use weipian_reports::quick::{
    figures_by_region_with, quarter_zh, render, table, Figures, Kind, QuickDoc, QuickTable, Rules,
    Subject, Template,
};
use weipian_store::Store;

use crate::ServiceError;

/// Which report.
#[derive(Debug, Clone)]
pub struct QuickRequest {
    pub year: u16,
    pub quarter: u8,
    /// A province, city or county (XZQDM).
    pub region: RegionCode,
    /// Count as things stand even after the cut-off (the snapshot is the default then).
    pub current: bool,
    /// List the patches or cases behind every blank.
    pub explain: bool,
    /// Today in China (decides whether the cut-off has passed).
    pub today: Date,
    /// Count as things stood at the end of this day instead.
    pub as_of: Option<Date>,
}

/// The half-year or annual results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    HalfYear,
    Annual,
}

impl Period {
    /// `h1` / `half-year`, `annual` / `year`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Period> {
        match s.trim() {
            "h1" | "half-year" | "half_year" | "半年" => Some(Period::HalfYear),
            "annual" | "year" | "年度" => Some(Period::Annual),
            _ => None,
        }
    }
}

/// Which results.
#[derive(Debug, Clone)]
pub struct ResultsRequest {
    pub year: u16,
    pub period: Period,
    pub region: RegionCode,
    pub current: bool,
    pub explain: bool,
    pub today: Date,
    /// Count as things stood at the end of this day instead.
    pub as_of: Option<Date>,
}

/// A filled report and where its numbers come from.
#[derive(Debug, Clone, Serialize)]
pub struct QuickReport {
    pub doc: QuickDoc,
    /// The region and its sub-regions, for the workbook.
    pub table: QuickTable,
    /// Every indicator of the region and its sub-regions: (code, name,
    /// figures) — for the results' full tables.
    #[serde(skip)]
    pub figures: Vec<(String, String, Figures)>,
    /// The batches counted.
    pub batches: Vec<String>,
    /// The frozen snapshot counted, if any.
    pub snapshot: Option<i64>,
    /// In words: 时点快照 or 当前数据, and when.
    pub basis: String,
}

fn region_name(regions: &RegionTable, code: RegionCode) -> String {
    regions
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.name.clone())
}

fn schedule(year: u16) -> Result<&'static Schedule, ServiceError> {
    Schedule::embedded(year).ok_or_else(|| {
        ServiceError::Invalid(format!("没有 {year} 年的工作时间安排（data/schedule/）"))
    })
}

/// Fill the quarter's 快报 for `req.region`, which must lie within the
/// actor's region (a city reviewer reports on its city or a county of it,
/// never on the province).
pub fn quick(
    store: &mut Store,
    actor: &Actor,
    req: &QuickRequest,
) -> Result<QuickReport, ServiceError> {
    let schedule = schedule(req.year)?;
    let deadline = schedule.quick_report(req.quarter).ok_or_else(|| {
        let have: Vec<String> = (1..=4u8)
            .filter(|q| schedule.quick_report(*q).is_some())
            .map(|q| format!("第{}季度", quarter_zh(q)))
            .collect();
        ServiceError::Invalid(format!(
            "{} 年第{}季度没有季度快报（按工作时间安排，快报季度为：{}）",
            req.year,
            quarter_zh(req.quarter),
            if have.is_empty() {
                "无".to_string()
            } else {
                have.join("、")
            }
        ))
    })?;
    fill(
        store,
        actor,
        &Fill {
            kind: Kind::Quick,
            year: req.year,
            quarter: req.quarter,
            region: req.region,
            current: req.current,
            explain: req.explain,
            today: req.today,
            as_of: req.as_of,
            deadline,
            rules: Rules::QUARTERLY,
        },
    )
}

/// The half-year or annual results of `req.region` (within the actor's region).
pub fn results(
    store: &mut Store,
    actor: &Actor,
    req: &ResultsRequest,
) -> Result<QuickReport, ServiceError> {
    let schedule = schedule(req.year)?;
    let (deadline, kind, rules) = match req.period {
        Period::HalfYear => (
            schedule.half_year_report(),
            Kind::HalfYear,
            Rules::QUARTERLY,
        ),
        Period::Annual => {
            let policy = weipian_domain::accountability::Policy::embedded(req.year)
                .ok_or_else(|| {
                    ServiceError::Invalid(format!(
                        "没有 {} 年的问责规则（data/accountability/），无法确定年度消除违法状态的截止日",
                        req.year
                    ))
                })?;
            (
                schedule.annual_report(),
                Kind::Annual,
                Rules {
                    eliminated_by: Some(policy.eliminated_by),
                },
            )
        }
    };
    let deadline = deadline.ok_or_else(|| {
        ServiceError::Invalid(format!(
            "{} 年的工作时间安排没有{}成果的报送时点",
            req.year,
            if req.period == Period::Annual {
                "年度"
            } else {
                "半年度"
            }
        ))
    })?;
    fill(
        store,
        actor,
        &Fill {
            kind,
            year: req.year,
            quarter: if req.period == Period::Annual { 4 } else { 2 },
            region: req.region,
            current: req.current,
            explain: req.explain,
            today: req.today,
            as_of: req.as_of,
            deadline,
            rules,
        },
    )
}

struct Fill<'a> {
    kind: Kind,
    year: u16,
    quarter: u8,
    region: RegionCode,
    current: bool,
    explain: bool,
    today: Date,
    as_of: Option<Date>,
    deadline: &'a Deadline,
    rules: Rules,
}

fn fill(store: &mut Store, actor: &Actor, f: &Fill<'_>) -> Result<QuickReport, ServiceError> {
    if !actor.may_at_all(Op::ReadPatches) {
        return Err(ServiceError::Denied(format!("{}不能查看统计", actor.role)));
    }
    let inside = match actor.scope {
        Scope::National => true,
        Scope::Region(s) => f.region.is_within(s),
    };
    let what = match f.kind {
        Kind::Quick => "快报",
        Kind::HalfYear => "半年度成果",
        Kind::Annual => "年度成果",
    };
    if !inside {
        return Err(ServiceError::Denied(format!(
            "只能生成本辖区（{}）内的{what}，不能生成 {} 的{what}",
            actor.scope.code(),
            f.region
        )));
    }
    let regions = RegionTable::shared();
    if regions.get(f.region).is_none() {
        return Err(ServiceError::NotFound(format!("行政区 {}", f.region)));
    }
    let template = Template::embedded_kind(f.year, f.kind).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有适用于 {} 年的{what}模板（data/reports/）",
            f.year
        ))
    })?;
    let period = crate::stats::period_facts(
        store,
        f.year,
        f.deadline,
        Some(f.region),
        f.current,
        f.today,
        f.as_of,
    )?;
    let facts = period.facts;
    let by_region = figures_by_region_with(&facts.patches, &facts.cases, f.rules);
    let empty = Figures::default();
    let figs = by_region.get(&f.region.to_string()).unwrap_or(&empty);

    let place: String = regions
        .ancestry(f.region)
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let name = region_name(regions, f.region);
    let subject = Subject::new(&name, &place, f.year, f.quarter, period.date);
    let mut doc = render(&template, &subject, figs);
    if f.explain {
        doc.explain_with(&facts.patches, &facts.cases, f.rules);
    }

    // Rows: each child region (every one the region table lists, with or
    // without patches), then the region itself as 合计.
    let mut children: Vec<(String, String)> = regions
        .iter()
        .filter(|r| r.parent == Some(f.region) && r.code != f.region)
        .map(|r| (r.code.to_string(), r.name.clone()))
        .collect();
    children.sort();
    let mut rows: Vec<(String, String, Figures)> = children
        .iter()
        .map(|(code, n)| {
            (
                code.clone(),
                n.clone(),
                by_region.get(code).cloned().unwrap_or_default(),
            )
        })
        .collect();
    rows.push((
        f.region.to_string(),
        format!("{name}（合计）"),
        figs.clone(),
    ));
    let refs: Vec<(String, String, &Figures)> = rows
        .iter()
        .map(|(c, n, x)| (c.clone(), n.clone(), x))
        .collect();
    let table = table(&template, &refs);
    tracing::info!(
        region = %f.region,
        year = f.year,
        kind = ?f.kind,
        patches = facts.patches.len(),
        cases = facts.cases.len(),
        "报表"
    );
    Ok(QuickReport {
        doc,
        table,
        figures: rows,
        batches: f.deadline.batches.clone(),
        snapshot: period.snapshots.first().copied(),
        basis: period.basis,
    })
}
