//! The other accountability signals (#6, point 5) and the blacklist
//! (point 7) for the year, within the actor's region, from the present
//! state of answers, cases and reviews.

use time::Date;
use weipian_domain::access::Actor;
use weipian_domain::accountability::Policy;
use weipian_domain::determination::{Answer, CodeTable, Legality};
use weipian_domain::schedule::Schedule;
use weipian_domain::{BatchId, RegionCode};
use weipian_reports::enforcement::{self, BlacklistEntry, Concealed, RegionSignals};
use weipian_store::{Finding, Store};

use crate::ServiceError;

/// Which year and where.
#[derive(Debug, Clone)]
pub struct EnforcementRequest {
    pub year: u16,
    /// Within this region (default: the actor's).
    pub region: Option<RegionCode>,
    /// Today in China (the deadlines count from it).
    pub today: Date,
}

struct Context {
    policy: &'static Policy,
    deadline: &'static weipian_domain::schedule::Deadline,
    region: Option<RegionCode>,
}

fn context(actor: &Actor, req: &EnforcementRequest) -> Result<Option<Context>, ServiceError> {
    let Some(region) = crate::scope::region_filter(actor, req.region)? else {
        return Ok(None);
    };
    let policy = Policy::embedded(req.year).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有 {} 年的问责规则（data/accountability/）",
            req.year
        ))
    })?;
    let deadline = Schedule::embedded(req.year)
        .and_then(Schedule::annual_report)
        .ok_or_else(|| {
            ServiceError::Invalid(format!("{} 年的工作时间安排没有年度成果报送时点", req.year))
        })?;
    Ok(Some(Context {
        policy,
        deadline,
        region,
    }))
}

fn legality_of(table: &CodeTable, kind: weipian_domain::PatchKind, text: &str) -> Option<Legality> {
    let a: Answer = serde_json::from_str(text).ok()?;
    table
        .categories(kind)
        .iter()
        .find(|c| c.code == a.category)
        .map(|c| c.legality)
}

fn legality_zh(l: Option<Legality>) -> &'static str {
    match l {
        Some(Legality::Legal) => "合法",
        Some(Legality::Illegal) => "违法",
        Some(Legality::Other) => "其他",
        Some(Legality::FalseChange) => "伪变化",
        None => "未判定",
    }
}

/// What reviewers found hidden: a province override that made an answer
/// 违法 where the county had answered otherwise, and desk-review flags
/// upheld (属实) — read for the whole batch at once.
fn concealed(
    store: &Store,
    table: &CodeTable,
    batches: &[BatchId],
    region: Option<RegionCode>,
) -> Result<Vec<Concealed>, ServiceError> {
    let mut out = Vec::new();
    for b in batches {
        for f in store.review_findings(b, region)? {
            match f {
                Finding::Override {
                    patch_id,
                    jcbh,
                    xzqdm,
                    kind,
                    part,
                    answer,
                    version,
                    reason,
                } => {
                    let (Ok(county), Some(kind)) = (
                        RegionCode::parse(&xzqdm),
                        weipian_domain::PatchKind::parse(&kind),
                    ) else {
                        continue;
                    };
                    if legality_of(table, kind, &answer) != Some(Legality::Illegal) {
                        continue;
                    }
                    let before = match version {
                        v if v > 1 => store.answer_version(patch_id, part, v - 1)?,
                        _ => None,
                    };
                    let was = before.and_then(|b| legality_of(table, kind, &b.answer));
                    if was != Some(Legality::Illegal) {
                        out.push(Concealed {
                            county,
                            label: crate::answers::part_label(&jcbh, part),
                            finding: format!(
                                "省级直接改判为违法（原填报为{}）：{reason}",
                                legality_zh(was)
                            ),
                        });
                    }
                }
                Finding::UpheldFlag {
                    jcbh,
                    xzqdm,
                    rule,
                    message,
                } => {
                    let Ok(county) = RegionCode::parse(&xzqdm) else {
                        continue;
                    };
                    out.push(Concealed {
                        county,
                        label: jcbh,
                        finding: format!("内业审核 {rule} 经认定属实：{message}"),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The counties with any of the other accountability situations.
pub fn signals(
    store: &mut Store,
    actor: &Actor,
    req: &EnforcementRequest,
) -> Result<Vec<RegionSignals>, ServiceError> {
    let Some(cx) = context(actor, req)? else {
        return Ok(Vec::new());
    };
    let period = crate::stats::period_facts(
        store,
        req.year,
        cx.deadline,
        cx.region,
        true,
        req.today,
        None,
    )?;
    let table = crate::stats::code_table(req.year)?;
    let batches: Vec<BatchId> = cx
        .deadline
        .batches
        .iter()
        .filter_map(|b| BatchId::new(req.year, b).ok())
        .collect();
    let hidden = concealed(store, table, &batches, cx.region)?;
    Ok(enforcement::signals(
        &period.facts.patches,
        &period.facts.cases,
        &hidden,
        cx.policy,
        req.today,
    ))
}

/// The blacklist, optionally only the entries whose name, case number or
/// county contains `search`.
pub fn blacklist(
    store: &mut Store,
    actor: &Actor,
    req: &EnforcementRequest,
    search: Option<&str>,
) -> Result<Vec<BlacklistEntry>, ServiceError> {
    let Some(cx) = context(actor, req)? else {
        return Ok(Vec::new());
    };
    let period = crate::stats::period_facts(
        store,
        req.year,
        cx.deadline,
        cx.region,
        true,
        req.today,
        None,
    )?;
    let mut list = enforcement::blacklist(&period.facts.cases, cx.policy);
    if let Some(q) = search.map(str::trim).filter(|q| !q.is_empty()) {
        list.retain(|e| {
            e.name.contains(q)
                || e.cases.iter().any(|c| c.contains(q))
                || e.counties.iter().any(|c| c.starts_with(q))
        });
    }
    Ok(list)
}
