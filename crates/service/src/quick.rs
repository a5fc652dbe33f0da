//! The 季度卫片执法工作情况快报 for a region (#6, point 2): the quarter's
//! batches (from the year's schedule), the region's patches and cases —
//! from the province's frozen snapshot once the quarter's cut-off has
//! passed, as things stand before (or when asked) — filled into the
//! year's template, with the same figures per sub-region for the workbook.

use serde::Serialize;
use time::Date;
use weipian_domain::access::{Actor, Op, Scope};
use weipian_domain::region::RegionTable;
use weipian_domain::schedule::Schedule;
use weipian_domain::RegionCode;
use weipian_reports::quick::{
    figures_by_region, quarter_zh, render, table, Figures, QuickDoc, QuickTable, Subject, Template,
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
}

/// A filled report and where its numbers come from.
#[derive(Debug, Clone, Serialize)]
pub struct QuickReport {
    pub doc: QuickDoc,
    /// The region and its sub-regions, for the workbook.
    pub table: QuickTable,
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

/// Fill the quarter's 快报 for `req.region`, which must lie within the
/// actor's region (a city reviewer reports on its city or a county of it,
/// never on the province).
pub fn quick(
    store: &mut Store,
    actor: &Actor,
    req: &QuickRequest,
) -> Result<QuickReport, ServiceError> {
    if !actor.may_at_all(Op::ReadPatches) {
        return Err(ServiceError::Denied(format!("{}不能查看统计", actor.role)));
    }
    let inside = match actor.scope {
        Scope::National => true,
        Scope::Region(s) => req.region.is_within(s),
    };
    if !inside {
        return Err(ServiceError::Denied(format!(
            "只能生成本辖区（{}）内的快报，不能生成 {} 的快报",
            actor.scope.code(),
            req.region
        )));
    }
    let regions = RegionTable::shared();
    if regions.get(req.region).is_none() {
        return Err(ServiceError::NotFound(format!("行政区 {}", req.region)));
    }
    let schedule = Schedule::embedded(req.year).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有 {} 年的工作时间安排（data/schedule/）",
            req.year
        ))
    })?;
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
    let template = Template::embedded(req.year).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有适用于 {} 年的报表模板（data/reports/）",
            req.year
        ))
    })?;
    let period = crate::stats::period_facts(
        store,
        req.year,
        deadline,
        Some(req.region),
        req.current,
        req.today,
    )?;
    let (facts, snapshot, date, basis) = (
        period.facts,
        period.snapshots.first().copied(),
        period.date,
        period.basis,
    );
    let by_region = figures_by_region(&facts.patches, &facts.cases);
    let empty = Figures::default();
    let figs = by_region.get(&req.region.to_string()).unwrap_or(&empty);

    let ancestry = regions.ancestry(req.region);
    let place: String = ancestry.iter().map(|r| r.name.as_str()).collect();
    let name = region_name(regions, req.region);
    let subject = Subject::new(&name, &place, req.year, req.quarter, date);
    let mut doc = render(&template, &subject, figs);
    if req.explain {
        doc.explain(&facts.patches, &facts.cases);
    }

    // Rows: each child region (every one the region table lists, with or
    // without patches), then the region itself as 合计.
    let mut children: Vec<(String, String)> = regions
        .iter()
        .filter(|r| r.parent == Some(req.region) && r.code != req.region)
        .map(|r| (r.code.to_string(), r.name.clone()))
        .collect();
    children.sort();
    let mut rows: Vec<(String, String, &Figures)> = children
        .iter()
        .map(|(code, n)| {
            (
                code.clone(),
                n.clone(),
                by_region.get(code).unwrap_or(&empty),
            )
        })
        .collect();
    rows.push((req.region.to_string(), format!("{name}（合计）"), figs));
    let table = table(&template, &rows);
    tracing::info!(
        region = %req.region,
        year = req.year,
        quarter = req.quarter,
        patches = facts.patches.len(),
        cases = facts.cases.len(),
        "季度快报"
    );
    Ok(QuickReport {
        doc,
        table,
        batches: deadline.batches.clone(),
        snapshot,
        basis,
    })
}
