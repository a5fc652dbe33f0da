//! Sampling (抽查) and cross-checks (交叉检查) for reviewers: draw a
//! reproducible stratified sample of a region's answered patches sized for
//! a target margin of error, assign counties to check each other's sampled
//! patches (never their own), record each check, and estimate the share of
//! wrong answers with its confidence interval. The statistics are the
//! domain's ([`weipian_domain::sampling`]).

use serde::Serialize;
use weipian_domain::access::{Actor, Op, Role};
use weipian_domain::determination::{Answer, CodeTable};
use weipian_domain::sampling::{
    cross_assignment, draw as draw_units, estimate, sample_size, z_for, Estimate, StratumResult,
    Unit,
};
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{NewAudit, NewSample, PatchQuery, SampleItem, SampleRow, Store};

use crate::ServiceError;

/// A draw request.
#[derive(Debug, Clone)]
pub struct DrawRequest {
    pub batch: BatchId,
    /// The region to sample (default: the actor's).
    pub region: Option<RegionCode>,
    /// Target margin of error (default: the year's).
    pub margin: Option<f64>,
    /// 0.90, 0.95 or 0.99 (default: the year's).
    pub confidence: Option<f64>,
    pub seed: u64,
}

/// One stratum as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumView {
    pub stratum: String,
    pub population: usize,
    pub sampled: usize,
    pub checked: usize,
    pub wrong: usize,
}

/// A sample as shown to its sampler (every item) or to a checking county
/// (its items only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleView {
    pub id: i64,
    pub batch: String,
    pub region: String,
    pub seed: i64,
    pub margin: f64,
    pub confidence: f64,
    pub population: usize,
    pub strata: Vec<StratumView>,
    pub items: Vec<ItemView>,
    /// The share of wrong answers in the population with its interval.
    pub estimate: Estimate,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemView {
    pub jcbh: String,
    pub xzqdm: String,
    pub stratum: String,
    pub checker: Option<String>,
    pub result: Option<String>,
    pub note: Option<String>,
    pub checked_by: Option<String>,
    pub checked_at: Option<String>,
}

fn item_view(i: &SampleItem) -> ItemView {
    ItemView {
        jcbh: i.jcbh.clone(),
        xzqdm: i.xzqdm.clone(),
        stratum: i.stratum.clone(),
        checker: i.checker.clone(),
        result: i.result.clone(),
        note: i.note.clone(),
        checked_by: i.checked_by.clone(),
        checked_at: i.checked_at.clone(),
    }
}

fn samplers(role: Role) -> bool {
    matches!(
        role,
        Role::CityReviewer | Role::ProvinceReviewer | Role::Ministry
    )
}

/// The stratum of a patch: its determination (all of its 地块', joined) and area class.
fn stratum(
    store: &Store,
    table: &CodeTable,
    p: &weipian_store::PatchSummary,
) -> Result<Option<String>, ServiceError> {
    let answers = store.answers_of_patch(p.id)?;
    let mut names: Vec<String> = answers
        .iter()
        .filter_map(|a| serde_json::from_str::<Answer>(&a.answer).ok())
        .map(|a| {
            table
                .categories(p.kind)
                .iter()
                .find(|c| c.code == a.category)
                .map_or(a.category.clone(), |c| c.name.clone())
        })
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    names.sort();
    names.dedup();
    Ok(Some(format!(
        "{} / {}",
        names.join("+"),
        table.sampling.area_class(p.area_m2)
    )))
}

/// Draw a sample of the answered patches of a region (a city or province
/// reviewer, or the Ministry), stratified by determination × area class.
pub fn draw(
    store: &mut Store,
    actor: &Actor,
    req: &DrawRequest,
) -> Result<SampleView, ServiceError> {
    if !samplers(actor.role) {
        return Err(ServiceError::Denied(format!(
            "{}不能抽查（由市级、省级或部级抽查）",
            actor.role
        )));
    }
    let table = CodeTable::embedded(req.batch.year)
        .ok_or_else(|| ServiceError::Invalid(format!("没有 {} 年的规则表", req.batch.year)))?;
    let margin = req.margin.unwrap_or(table.sampling.default_margin);
    let confidence = req.confidence.unwrap_or(table.sampling.default_confidence);
    let z = z_for(confidence).ok_or_else(|| {
        ServiceError::Invalid(format!("置信水平 {confidence} 应为 0.90、0.95 或 0.99"))
    })?;
    if !(0.001..0.5).contains(&margin) {
        return Err(ServiceError::Invalid(format!(
            "允许误差 {margin} 应在 0.001 与 0.5 之间"
        )));
    }
    let Some(region) = crate::scope::region_filter(actor, req.region)? else {
        return Err(ServiceError::NotFound("所辖范围内没有这个行政区".into()));
    };
    let patches = store.patch_summaries(&PatchQuery {
        batch: req.batch.clone(),
        kind: None,
        region,
    })?;
    let mut units = Vec::new();
    for p in &patches {
        if let Some(s) = stratum(store, table, p)? {
            units.push(Unit {
                id: p.id,
                stratum: s,
            });
        }
    }
    if units.is_empty() {
        return Err(ServiceError::Invalid(
            "该范围内没有已填报的图斑可供抽查".into(),
        ));
    }
    let mut sizes = std::collections::BTreeMap::<String, usize>::new();
    for u in &units {
        *sizes.entry(u.stratum.clone()).or_default() += 1;
    }
    let n = sample_size(units.len(), margin, z);
    let chosen = draw_units(&units, n, req.seed);
    let region_code = region.map_or_else(|| actor.scope.code(), |r| r.to_string());
    let new = NewSample {
        batch: req.batch.clone(),
        region: region_code.clone(),
        seed: i64::from_ne_bytes(req.seed.to_ne_bytes()),
        margin,
        confidence,
        population: units.len(),
        strata: serde_json::to_string(&sizes).map_err(|e| ServiceError::Invalid(e.to_string()))?,
        items: chosen.iter().map(|u| (u.id, u.stratum.clone())).collect(),
    };
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "sample.draw".into(),
        target: String::new(),
        before: None,
        after: Some(format!(
            "{} {region_code}：总体 {} 个，抽取 {} 个（允许误差 {margin}，置信水平 {confidence}，种子 {}）",
            req.batch,
            units.len(),
            chosen.len(),
            req.seed
        )),
        reason: None,
    };
    let id = store.create_sample(&new, &audit)?;
    show(store, actor, id)
}

/// What `actor` may do with a sample: everything (its region is the
/// sample's or above), or check the items assigned to its county.
enum Access {
    Sampler,
    Checker(String),
}

fn access(actor: &Actor, row: &SampleRow, items: &[SampleItem]) -> Option<Access> {
    let region = RegionCode::parse(&row.region).ok();
    let over = match region {
        Some(r) => actor.scope.contains(r),
        None => actor.scope == weipian_domain::access::Scope::National,
    };
    if over && actor.may_at_all(Op::ReadPatches) && actor.role != Role::CountyFiller {
        return Some(Access::Sampler);
    }
    if actor.role == Role::CountyFiller {
        let mine = actor.scope.code();
        if items
            .iter()
            .any(|i| i.checker.as_deref() == Some(mine.as_str()))
        {
            return Some(Access::Checker(mine));
        }
    }
    None
}

/// A sample with its strata, items and estimate.
pub fn show(store: &Store, actor: &Actor, id: i64) -> Result<SampleView, ServiceError> {
    let missing = || ServiceError::NotFound(format!("抽查 {id}"));
    let (row, items) = store.sample(id)?.ok_or_else(missing)?;
    let access = access(actor, &row, &items).ok_or_else(missing)?;
    let sizes: std::collections::BTreeMap<String, usize> =
        serde_json::from_str(&row.strata).unwrap_or_default();
    let mut strata = Vec::new();
    let mut results = Vec::new();
    for (name, size) in &sizes {
        let of: Vec<&SampleItem> = items.iter().filter(|i| &i.stratum == name).collect();
        let checked = of.iter().filter(|i| i.result.is_some()).count();
        let wrong = of
            .iter()
            .filter(|i| i.result.as_deref() == Some("wrong"))
            .count();
        strata.push(StratumView {
            stratum: name.clone(),
            population: *size,
            sampled: of.len(),
            checked,
            wrong,
        });
        results.push(StratumResult {
            size: *size,
            checked,
            wrong,
        });
    }
    let z = z_for(row.confidence).unwrap_or(1.959_964);
    let shown: Vec<ItemView> = items
        .iter()
        .filter(|i| match &access {
            Access::Sampler => true,
            Access::Checker(c) => i.checker.as_deref() == Some(c.as_str()),
        })
        .map(item_view)
        .collect();
    Ok(SampleView {
        id: row.id,
        batch: row.batch.to_string(),
        region: row.region,
        seed: row.seed,
        margin: row.margin,
        confidence: row.confidence,
        population: row.population,
        strata,
        items: shown,
        estimate: estimate(&results, z),
        created_at: row.created_at,
        created_by: row.created_by,
    })
}

/// Assign cross-checks: the counties of the sample check each other's
/// patches, never their own (the sampler).
pub fn assign_cross_checks(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    seed: u64,
) -> Result<SampleView, ServiceError> {
    let missing = || ServiceError::NotFound(format!("抽查 {id}"));
    let (row, items) = store.sample(id)?.ok_or_else(missing)?;
    match access(actor, &row, &items) {
        Some(Access::Sampler) if samplers(actor.role) => {}
        Some(_) => {
            return Err(ServiceError::Denied(format!(
                "{}不能安排交叉检查",
                actor.role
            )))
        }
        None => return Err(missing()),
    }
    let counties: Vec<String> = items.iter().map(|i| i.xzqdm.clone()).collect();
    let pairs = cross_assignment(&counties, seed)
        .ok_or_else(|| ServiceError::Invalid("样本只涉及一个县，无法交叉检查".into()))?;
    let assignments: Vec<(i64, String)> = items
        .iter()
        .filter_map(|i| {
            pairs
                .iter()
                .find(|(checked, _)| *checked == i.xzqdm)
                .map(|(_, by)| (i.patch_id, by.clone()))
        })
        .collect();
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "sample.cross".into(),
        target: format!("sample/{id}"),
        before: None,
        after: Some(
            pairs
                .iter()
                .map(|(checked, by)| format!("{by} 检查 {checked}"))
                .collect::<Vec<_>>()
                .join("；"),
        ),
        reason: None,
    };
    store.assign_checkers(id, &assignments, &audit)?;
    show(store, actor, id)
}

/// Record the check of a sampled patch: the sampler, or the county
/// assigned to cross-check it.
pub fn record(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    jcbh: &str,
    wrong: bool,
    note: Option<&str>,
) -> Result<SampleView, ServiceError> {
    let missing = || ServiceError::NotFound(format!("抽查 {id} 的图斑 {jcbh}"));
    let (row, items) = store.sample(id)?.ok_or_else(missing)?;
    let access = access(actor, &row, &items).ok_or_else(missing)?;
    let item = items.iter().find(|i| i.jcbh == jcbh).ok_or_else(missing)?;
    match &access {
        Access::Sampler if samplers(actor.role) => {}
        Access::Checker(c) if item.checker.as_deref() == Some(c.as_str()) => {}
        Access::Checker(_) => return Err(missing()),
        Access::Sampler => {
            return Err(ServiceError::Denied(format!(
                "{}不能记录抽查结果",
                actor.role
            )))
        }
    }
    if wrong && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(ServiceError::Invalid("判定有误时须写明问题".into()));
    }
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "sample.record".into(),
        target: format!("sample/{id}"),
        before: item.result.clone(),
        after: Some(format!("{jcbh}：{}", if wrong { "有误" } else { "无误" })),
        reason: note.map(str::to_string),
    };
    store.record_sample_result(id, item.patch_id, wrong, note, &audit)?;
    show(store, actor, id)
}
