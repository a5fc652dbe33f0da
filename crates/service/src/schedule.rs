//! Deadlines, snapshots and extensions (时间节点、时点快照、延期): what is
//! due from whom and when (the year's `data/schedule/YEAR.toml`), how far
//! each responsible region is, what is overdue; the snapshot frozen at
//! each cut-off (reports of that period are computed from it; later edits
//! never change it and are listed as 时点后整改); and extension requests
//! that the level above grants or refuses.
//!
//! Dates are calendar days in China (the caller passes today's date).

use serde::Serialize;
use time::Date;
use weipian_domain::access::{Actor, Op, Role, Scope};
use weipian_domain::review::ReviewState;
use weipian_domain::schedule::{days_left, rank, Deadline, Level, Schedule};
use weipian_domain::RegionCode;
use weipian_store::{NewAudit, Store};

use crate::ServiceError;

/// A deadline for one responsible region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueItem {
    pub deadline: String,
    pub what: String,
    /// `county`, `city` or `province`.
    pub level: Level,
    pub level_name: String,
    /// The responsible region (a county, city or province code).
    pub region: String,
    /// The due date in force (moved by a granted extension).
    pub due: String,
    pub original_due: String,
    pub extended: bool,
    /// Patches of the deadline's batches in the region, and those not yet
    /// where the level must have brought them.
    pub total: usize,
    pub pending: usize,
    pub done: bool,
    pub overdue: bool,
    /// Days from today to the due date (negative: past).
    pub days_left: i64,
    pub cutoff: bool,
    pub period: Option<String>,
    /// The snapshot frozen at this cut-off for the region's province, if any.
    pub snapshot: Option<i64>,
}

fn schedule(year: u16) -> Result<&'static Schedule, ServiceError> {
    Schedule::embedded(year).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有 {year} 年的工作时间安排（data/schedule/{year}.toml）"
        ))
    })
}

fn granted_due(
    store: &Store,
    year: u16,
    d: &Deadline,
    region: &str,
) -> Result<Option<Date>, ServiceError> {
    Ok(store
        .extensions(year)?
        .into_iter()
        .filter(|e| e.deadline == d.id && e.region == region && e.status == "granted")
        .filter_map(|e| weipian_domain::determination::parse_date(&e.new_due))
        .max())
}

/// The due date in force for a region (its latest granted extension, if later).
pub(crate) fn effective_due(
    store: &Store,
    year: u16,
    d: &Deadline,
    region: &str,
) -> Result<Date, ServiceError> {
    Ok(granted_due(store, year, d, region)?.map_or(d.due, |g| g.max(d.due)))
}

/// Freeze the snapshot of every cut-off whose date (as in force for the
/// province) has passed and that is not frozen yet. Returns the new ids.
pub fn freeze_due(store: &mut Store, year: u16, today: Date) -> Result<Vec<i64>, ServiceError> {
    let Some(s) = Schedule::embedded(year) else {
        return Ok(Vec::new());
    };
    let mut made = Vec::new();
    for d in s.deadline.iter().filter(|d| d.cutoff) {
        let provinces: Vec<String> = store
            .provinces_with_patches(year, &d.batches)?
            .into_iter()
            .filter(|p| RegionCode::parse(p).is_ok_and(|c| d.applies_to(c)))
            .collect();
        let frozen: Vec<String> = store
            .snapshots(year)?
            .into_iter()
            .filter(|x| x.deadline == d.id)
            .map(|x| x.region)
            .collect();
        for p in provinces {
            if frozen.contains(&p) {
                continue;
            }
            let due = effective_due(store, year, d, &p)?;
            if today <= due {
                continue;
            }
            let audit = NewAudit {
                actor: "系统（时点冻结）".into(),
                region: p.clone(),
                action: "snapshot.freeze".into(),
                target: String::new(),
                before: None,
                after: Some(format!(
                    "{}：{} 截止",
                    d.period.as_deref().unwrap_or(&d.id),
                    due
                )),
                reason: None,
            };
            let prefix = p.get(..2).unwrap_or(&p).to_string();
            let id = store.freeze_snapshot(
                year,
                &d.id,
                d.period.as_deref().unwrap_or(&d.id),
                &p,
                &prefix,
                &d.batches,
                &audit,
            )?;
            made.push(id);
        }
    }
    Ok(made)
}

/// What is due from whom within `actor`'s region, and how far along it is
/// (freezing any cut-off that has passed first). By due date, then region.
pub fn status(
    store: &mut Store,
    actor: &Actor,
    year: u16,
    today: Date,
) -> Result<Vec<DueItem>, ServiceError> {
    if !actor.may_at_all(Op::ReadPatches) {
        return Err(ServiceError::Denied(format!(
            "{}不能查看工作进度",
            actor.role
        )));
    }
    let s = schedule(year)?;
    freeze_due(store, year, today)?;
    let snapshots = store.snapshots(year)?;
    let mut out = Vec::new();
    for d in &s.deadline {
        // Per responsible region: (total, pending).
        let mut per: std::collections::BTreeMap<String, (usize, usize)> =
            std::collections::BTreeMap::new();
        for (xzqdm, state) in store.review_states_of(year, &d.batches)? {
            let Ok(county) = RegionCode::parse(&xzqdm) else {
                continue;
            };
            if !d.applies_to(county) || !actor.may(Op::ReadPatches, county) {
                continue;
            }
            let state = ReviewState::parse(&state).unwrap_or_default();
            let e = per
                .entry(d.level.region_of(county).to_string())
                .or_default();
            e.0 += 1;
            if rank(state) < rank(d.level.reach()) {
                e.1 += 1;
            }
        }
        for (region, (total, pending)) in per {
            let due = effective_due(store, year, d, &region)?;
            let province = RegionCode::parse(&region)
                .map(|r| r.province().to_string())
                .unwrap_or_default();
            out.push(DueItem {
                deadline: d.id.clone(),
                what: d.what.clone(),
                level: d.level,
                level_name: d.level.name_zh().into(),
                due: due.to_string(),
                original_due: d.due.to_string(),
                extended: due != d.due,
                total,
                pending,
                done: pending == 0,
                overdue: pending > 0 && today > due,
                days_left: days_left(today, due),
                cutoff: d.cutoff,
                period: d.period.clone(),
                snapshot: snapshots
                    .iter()
                    .find(|x| x.deadline == d.id && x.region == province)
                    .map(|x| x.id),
                region,
            });
        }
    }
    out.sort_by(|a, b| a.due.cmp(&b.due).then(a.region.cmp(&b.region)));
    Ok(out)
}

/// A patch part changed since a snapshot (时点后整改).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AfterCutoff {
    /// The patch's batch, `YEAR/NAME`.
    pub batch: String,
    pub jcbh: String,
    pub part: u32,
    /// What changed: `答复`, `审核状态`.
    pub what: String,
    pub frozen: Option<String>,
    pub now: Option<String>,
}

/// A snapshot as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotView {
    pub id: i64,
    pub deadline: String,
    pub period: String,
    pub region: String,
    pub taken_at: String,
    pub taken_by: String,
    /// Patch parts frozen (within the caller's region).
    pub parts: usize,
    pub cases: usize,
    /// What changed after the cut-off (时点后整改), within the caller's region.
    pub after_cutoff: Vec<AfterCutoff>,
    /// Cases whose record changed after the cut-off: (id, frozen version, now).
    pub cases_after_cutoff: Vec<(i64, i64, i64)>,
}

/// A snapshot and what changed since (anyone whose region meets it).
pub fn snapshot(store: &Store, actor: &Actor, id: i64) -> Result<SnapshotView, ServiceError> {
    let missing = || ServiceError::NotFound(format!("快照 {id}"));
    let row = store.snapshot(id)?.ok_or_else(missing)?;
    let region = RegionCode::parse(&row.region).ok();
    let meets = match (actor.scope, region) {
        (Scope::National, _) => true,
        (Scope::Region(s), Some(r)) => s.is_within(r) || r.is_within(s),
        (Scope::Region(_), None) => false,
    };
    if !meets || !actor.may_at_all(Op::ReadPatches) {
        return Err(missing());
    }
    let visible =
        |xzqdm: &str| RegionCode::parse(xzqdm).is_ok_and(|c| actor.may(Op::ReadPatches, c));
    let parts: Vec<_> = store
        .snapshot_parts(id)?
        .into_iter()
        .filter(|p| visible(&p.xzqdm))
        .collect();
    let mut after = Vec::new();
    for p in &parts {
        let now = store.answer(p.patch_id, p.part)?;
        let now_version = now.as_ref().map(|a| a.version);
        if now_version != p.answer_version {
            after.push(AfterCutoff {
                batch: p.batch.clone(),
                jcbh: p.jcbh.clone(),
                part: p.part,
                what: "答复".into(),
                frozen: p.answer_version.map(|v| format!("版本 {v}")),
                now: now_version.map(|v| format!("版本 {v}")),
            });
        }
        if p.part == 0
            || !parts
                .iter()
                .any(|q| q.patch_id == p.patch_id && q.part < p.part)
        {
            let state = store
                .review(p.patch_id)?
                .map_or_else(|| "county".to_string(), |r| r.state);
            if state != p.review_state {
                after.push(AfterCutoff {
                    batch: p.batch.clone(),
                    jcbh: p.jcbh.clone(),
                    part: 0,
                    what: "审核状态".into(),
                    frozen: Some(p.review_state.clone()),
                    now: Some(state),
                });
            }
        }
    }
    let mut cases_after = Vec::new();
    let frozen_cases = store.snapshot_cases(id)?;
    let mut cases = 0;
    for (case_id, _, version) in &frozen_cases {
        let Some(now) = store.case(*case_id)? else {
            continue;
        };
        let inside = RegionCode::parse(&now.county).is_ok_and(|c| actor.may(Op::ReadPatches, c));
        if !inside {
            continue;
        }
        cases += 1;
        if now.version != *version {
            cases_after.push((*case_id, *version, now.version));
        }
    }
    Ok(SnapshotView {
        id: row.id,
        deadline: row.deadline,
        period: row.period,
        region: row.region,
        taken_at: row.taken_at,
        taken_by: row.taken_by,
        parts: parts.len(),
        cases,
        after_cutoff: after,
        cases_after_cutoff: cases_after,
    })
}

/// An extension request as shown.
pub type ExtensionView = weipian_store::ExtensionRow;

fn level_role(level: Level) -> Role {
    match level {
        Level::County => Role::CountyFiller,
        Level::City => Role::CityReviewer,
        Level::Province => Role::ProvinceReviewer,
    }
}

/// File an extension request (延期申请) for the actor's own region: a
/// force-majeure reason, the measures taken, the date asked for.
pub fn request_extension(
    store: &mut Store,
    actor: &Actor,
    year: u16,
    deadline: &str,
    reason: &str,
    measures: &str,
    new_due: Date,
) -> Result<i64, ServiceError> {
    let d = schedule(year)?
        .get(deadline)
        .ok_or_else(|| ServiceError::NotFound(format!("{year} 年的时间节点 {deadline}")))?;
    if actor.role != level_role(d.level) {
        return Err(ServiceError::Denied(format!(
            "“{}”由{}办理，{}不能为其申请延期",
            d.what,
            d.level.name_zh(),
            actor.role
        )));
    }
    let Scope::Region(region) = actor.scope else {
        return Err(ServiceError::Denied("全国用户不能申请延期".into()));
    };
    if !d.applies_to(region) {
        return Err(ServiceError::NotFound(format!(
            "{region} 的时间节点 {deadline}"
        )));
    }
    if reason.trim().is_empty() || measures.trim().is_empty() {
        return Err(ServiceError::Invalid(
            "延期申请须写明原因和已采取的措施".into(),
        ));
    }
    if new_due <= d.due {
        return Err(ServiceError::Invalid(format!(
            "申请的日期 {new_due} 须晚于原定截止日期 {}",
            d.due
        )));
    }
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "extension.request".into(),
        target: String::new(),
        before: Some(d.due.to_string()),
        after: Some(new_due.to_string()),
        reason: Some(format!("{}；措施：{}", reason.trim(), measures.trim())),
    };
    Ok(store.request_extension(
        year,
        deadline,
        &region.to_string(),
        reason.trim(),
        measures.trim(),
        &new_due.to_string(),
        &audit,
    )?)
}

/// Grant or refuse an extension request: the level above the requester
/// (a city for its counties, a province for its cities, the Ministry for
/// provinces).
pub fn decide_extension(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    grant: bool,
    note: Option<&str>,
) -> Result<ExtensionView, ServiceError> {
    let missing = || ServiceError::NotFound(format!("延期申请 {id}"));
    let e = store.extension(id)?.ok_or_else(missing)?;
    let region = RegionCode::parse(&e.region).map_err(|_| missing())?;
    if !actor.scope.contains(region) {
        return Err(missing());
    }
    let d = schedule(e.year)?.get(&e.deadline).ok_or_else(missing)?;
    let approver = match d.level {
        Level::County => Role::CityReviewer,
        Level::City => Role::ProvinceReviewer,
        Level::Province => Role::Ministry,
    };
    if actor.role != approver {
        return Err(ServiceError::Denied(format!(
            "{}的延期申请由上一级批复，{}不能批复",
            d.level.name_zh(),
            actor.role
        )));
    }
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: if grant {
            "extension.grant"
        } else {
            "extension.refuse"
        }
        .into(),
        target: String::new(),
        before: Some("pending".into()),
        after: Some(if grant { "granted" } else { "refused" }.into()),
        reason: note.map(str::to_string),
    };
    store.decide_extension(id, grant, note, &audit)?;
    store.extension(id)?.ok_or_else(missing)
}

/// The extension requests of a year within `actor`'s region.
pub fn extensions(
    store: &Store,
    actor: &Actor,
    year: u16,
) -> Result<Vec<ExtensionView>, ServiceError> {
    Ok(store
        .extensions(year)?
        .into_iter()
        .filter(|e| {
            RegionCode::parse(&e.region).is_ok_and(|r| match actor.scope {
                Scope::National => true,
                Scope::Region(s) => r.is_within(s) || s.is_within(r),
            })
        })
        .collect())
}

/// Days to the nearest open deadline for a county's patch of `batch` (for
/// the desk rule R07), if the year has a schedule.
pub(crate) fn days_to_county_deadline(
    store: &Store,
    year: u16,
    batch: &str,
    county: RegionCode,
    today: Date,
) -> Result<Option<i64>, ServiceError> {
    let Some(s) = Schedule::embedded(year) else {
        return Ok(None);
    };
    let mut best: Option<i64> = None;
    for d in s.deadlines_for(batch, county) {
        let region = d.level.region_of(county).to_string();
        let due = effective_due(store, year, d, &region)?;
        let left = days_left(today, due);
        best = Some(best.map_or(left, |b: i64| b.min(left)));
    }
    Ok(best)
}

/// One patch in a to-do list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Todo {
    pub jcbh: String,
    pub xzqdm: String,
    pub note: Option<String>,
}

/// What awaits a user in a batch (工作台).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Awaiting {
    /// County: patches with it not answered completely yet.
    pub to_fill: Vec<Todo>,
    /// County: patches returned by the city or province, with the reason.
    pub returned: Vec<Todo>,
    /// County: open desk-review flags not answered yet (复核).
    pub flags_to_answer: Vec<Todo>,
    /// City / province: patches submitted to it, or passed and not sent on.
    pub to_review: Vec<Todo>,
    /// Deadlines not met within the next 7 days, or overdue.
    pub deadlines: Vec<DueItem>,
}

/// What awaits `actor` in `batch` today.
pub fn awaiting(
    store: &mut Store,
    actor: &Actor,
    batch: &weipian_domain::BatchId,
    today: Date,
) -> Result<Awaiting, ServiceError> {
    let mut out = Awaiting {
        to_fill: Vec::new(),
        returned: Vec::new(),
        flags_to_answer: Vec::new(),
        to_review: Vec::new(),
        deadlines: Vec::new(),
    };
    match actor.role {
        Role::CountyFiller => {
            for q in crate::review::queue(store, actor, batch)? {
                let todo = |note| Todo {
                    jcbh: q.jcbh.clone(),
                    xzqdm: q.xzqdm.clone(),
                    note,
                };
                if let Some(r) = &q.last_return {
                    out.returned.push(todo(Some(r.reason.clone())));
                    continue;
                }
                let Some(p) = store.patch(batch, &q.jcbh)? else {
                    continue;
                };
                // Every 地块's answer of a split patch, else the whole
                // patch's: the rule the patch list's statuses use.
                if !store.answers_complete(p.id)? {
                    out.to_fill.push(todo(None));
                }
            }
            let Some(region) = crate::scope::region_filter(actor, None)? else {
                return Ok(out);
            };
            for p in store.patch_summaries(&weipian_store::PatchQuery {
                batch: batch.clone(),
                kind: None,
                region,
            })? {
                for f in store.flags(p.id)? {
                    if f.status == "open" && f.reply.is_none() {
                        out.flags_to_answer.push(Todo {
                            jcbh: p.jcbh.clone(),
                            xzqdm: p.xzqdm.clone(),
                            note: Some(format!("{}：{}", f.rule, f.message)),
                        });
                    }
                }
            }
        }
        Role::CityReviewer | Role::ProvinceReviewer => {
            for q in crate::review::queue(store, actor, batch)? {
                out.to_review.push(Todo {
                    jcbh: q.jcbh,
                    xzqdm: q.xzqdm,
                    note: Some(q.state_name),
                });
            }
        }
        _ => {}
    }
    if Schedule::embedded(batch.year).is_some() {
        // Every level's dates concern the patches in the actor's region:
        // a county must be done before its city's date.
        out.deadlines = status(store, actor, batch.year, today)?
            .into_iter()
            .filter(|d| !d.done && d.days_left <= 7)
            .collect();
    }
    Ok(out)
}
