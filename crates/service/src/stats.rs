//! Statistics for an actor (#6, aggregation): the patches of a batch in
//! the actor's region — as they stand, or as a period's frozen snapshot
//! holds them — gathered into [`weipian_reports::PatchFact`]s and summed
//! over the region tree. Military-register patches never count (the store
//! never returns them).

use std::collections::HashMap;

use weipian_domain::access::Actor;
use weipian_domain::case::Case;
use weipian_domain::determination::{CodeTable, Legality};
use weipian_domain::{BatchId, RegionCode};
use weipian_reports::{
    aggregate, CaseDetail, CaseFact, Level, PartCase, PartFact, PatchFact, RegionStats, StatedAreas,
};
use weipian_store::{PatchQuery, PatchSummary, Store};

use crate::ServiceError;

/// What to count.
#[derive(Debug, Clone)]
pub struct StatsRequest {
    pub batch: BatchId,
    pub level: Level,
    /// Count from this frozen snapshot instead of the current state.
    pub snapshot: Option<i64>,
    /// Count as things stood at the end of this day (Beijing time).
    pub as_of: Option<time::Date>,
}

impl StatsRequest {
    fn basis(&self) -> Basis {
        match (self.snapshot, self.as_of) {
            (Some(id), _) => Basis::Snapshot(id),
            (None, Some(d)) => Basis::AsOf(d),
            (None, None) => Basis::Current,
        }
    }
}

/// The figures of the batch by region at `req.level`, within the actor's region.
pub fn stats(
    store: &Store,
    actor: &Actor,
    req: &StatsRequest,
) -> Result<Vec<RegionStats>, ServiceError> {
    let table = code_table(req.batch.year)?;
    let Some(region) = crate::scope::region_filter(actor, None)? else {
        return Ok(Vec::new());
    };
    if let Some(id) = req.snapshot {
        crate::schedule::snapshot(store, actor, id)?; // scope: not found outside
    }
    let facts = gather(
        store,
        table,
        std::slice::from_ref(&req.batch),
        region,
        &req.basis(),
    )?;
    Ok(aggregate(&facts.patches, req.level))
}

/// The cases (违法行为, 件) of the batch by region at `req.level` and by
/// stage, within the actor's region — as they stand, or as frozen in the
/// snapshot. A case's areas are the illegal areas its patches' (or 地块')
/// answers give.
pub fn case_stats(
    store: &Store,
    actor: &Actor,
    req: &StatsRequest,
) -> Result<Vec<weipian_reports::CaseStats>, ServiceError> {
    let table = code_table(req.batch.year)?;
    let Some(region) = crate::scope::region_filter(actor, None)? else {
        return Ok(Vec::new());
    };
    if let Some(id) = req.snapshot {
        crate::schedule::snapshot(store, actor, id)?; // scope: not found outside
    }
    let facts = gather(
        store,
        table,
        std::slice::from_ref(&req.batch),
        region,
        &req.basis(),
    )?;
    Ok(weipian_reports::aggregate_cases(&facts.cases, req.level))
}

pub(crate) fn code_table(year: u16) -> Result<&'static CodeTable, ServiceError> {
    CodeTable::embedded(year)
        .ok_or_else(|| ServiceError::Invalid(format!("没有 {year} 年的判定类型代码表")))
}

/// The patches and cases of some batches within a region, as the
/// statistics see them.
pub(crate) struct Facts {
    pub patches: Vec<PatchFact>,
    pub cases: Vec<CaseFact>,
}

/// What the statistics read of an answer: the category and the stated
/// areas and claims — parsed from the same JSON as
/// [`weipian_domain::determination::Answer`] (its field codes), without the
/// rest, so a national batch parses in a fraction of the time. A test
/// checks it reads every field it needs the same as `Answer` does.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct Answer {
    #[serde(rename = "PDLX")]
    pub category: String,
    #[serde(rename = "JTQX", default)]
    pub sub: Option<String>,
    #[serde(rename = "WFMJ", default)]
    pub illegal_area_m2: Option<f64>,
    #[serde(rename = "WFGDMJ", default)]
    pub illegal_cultivated_m2: Option<f64>,
    #[serde(rename = "WFJBNTMJ", default)]
    pub illegal_basic_farmland_m2: Option<f64>,
    #[serde(rename = "XZJSYDMJ", default)]
    pub new_construction_m2: Option<f64>,
    #[serde(rename = "XZJSZYGDMJ", default)]
    pub new_construction_cultivated_m2: Option<f64>,
    #[serde(rename = "KCQX", default)]
    pub deductions: Vec<Claim>,
}

/// A deduction claim's category.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct Claim {
    #[serde(rename = "LX")]
    pub kind: String,
}

/// The areas an answer states, as the statistics count them: an illegal
/// answer's 违法面积 (with 耕地, 基本农田) and 新增建设用地; a legal answer
/// of a kind the year's table marks as new construction counts its stated
/// new-construction area or, where it states none, the part's own area
/// and cultivated land.
fn stated_areas(
    table: &CodeTable,
    kind: weipian_domain::PatchKind,
    a: &Answer,
    part_m2: f64,
    part_gd_m2: f64,
) -> StatedAreas {
    let Some(cat) = table.categories(kind).iter().find(|c| c.code == a.category) else {
        return StatedAreas::default();
    };
    match cat.legality {
        Legality::Illegal => StatedAreas {
            illegal_m2: a.illegal_area_m2.unwrap_or(0.0),
            illegal_gd_m2: a.illegal_cultivated_m2.unwrap_or(0.0),
            illegal_jbnt_m2: a.illegal_basic_farmland_m2.unwrap_or(0.0),
            new_construction_m2: a.new_construction_m2.unwrap_or(0.0),
            new_construction_gd_m2: a.new_construction_cultivated_m2.unwrap_or(0.0),
        },
        Legality::Legal => {
            let new = a
                .sub
                .as_deref()
                .and_then(|s| cat.sub.iter().find(|x| x.code == s))
                .is_some_and(|x| x.new_construction);
            if new {
                StatedAreas {
                    new_construction_m2: a.new_construction_m2.unwrap_or(part_m2),
                    new_construction_gd_m2: a.new_construction_cultivated_m2.unwrap_or(part_gd_m2),
                    ..StatedAreas::default()
                }
            } else {
                StatedAreas::default()
            }
        }
        Legality::Other | Legality::FalseChange => StatedAreas::default(),
    }
}

/// (patch id, part).
type PartKey = (i64, u32);
/// The answer JSON (if any) and whether it was complete.
type FrozenAnswer = (Option<String>, bool);

/// Gather the facts of `batches` within `region` (`None`: the whole
/// country) — as things stand, or as the snapshot froze answers and cases.
/// Military-register patches never appear (the store leaves them out).
/// What state the facts are taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Basis {
    /// As things stand.
    Current,
    /// As a period's snapshot froze them.
    Snapshot(i64),
    /// As they stood at the end of a day (Beijing time): answers as then
    /// saved (their history), cases as then recorded (the audit trail),
    /// patches then issued.
    AsOf(time::Date),
}

impl Basis {
    /// The stored-timestamp bound of an as-of day: the next day's 00:00
    /// Beijing time, in UTC.
    fn bound(day: time::Date) -> String {
        let next = day.next_day().unwrap_or(day);
        let utc =
            time::PrimitiveDateTime::new(next, time::Time::MIDNIGHT) - time::Duration::hours(8);
        format!(
            "{}T{:02}:{:02}:{:02}.000Z",
            utc.date(),
            utc.hour(),
            utc.minute(),
            utc.second()
        )
    }
}

pub(crate) fn gather(
    store: &Store,
    table: &CodeTable,
    batches: &[BatchId],
    region: Option<RegionCode>,
    basis: &Basis,
) -> Result<Facts, ServiceError> {
    let snapshot = match basis {
        Basis::Snapshot(id) => Some(*id),
        _ => None,
    };
    let as_of = match basis {
        Basis::AsOf(day) => Some(Basis::bound(*day)),
        _ => None,
    };
    use std::collections::HashSet;
    const LAYERS: [&str; 2] = ["gd", "jbnt"];
    let layer_revs = store.layer_revisions()?;
    let current = |a: &weipian_store::LayerArea, patch_revision: Option<&str>| {
        layer_revs.get(&a.layer) == Some(&a.layer_revision)
            && patch_revision.is_none_or(|r| r == a.patch_revision)
    };
    // (patch id, part) → (answer JSON, complete), as frozen.
    let frozen: Option<HashMap<PartKey, FrozenAnswer>> = match snapshot {
        Some(id) => Some(
            store
                .snapshot_parts(id)?
                .into_iter()
                .map(|p| ((p.patch_id, p.part), (p.answer, p.complete)))
                .collect(),
        ),
        None => None,
    };
    let frozen_cases: Option<HashMap<i64, String>> = match snapshot {
        Some(id) => Some(
            store
                .snapshot_cases(id)?
                .into_iter()
                .map(|(cid, record, _)| (cid, record))
                .collect(),
        ),
        None => None,
    };
    let in_snapshot: Option<HashSet<i64>> = frozen
        .as_ref()
        .map(|m| m.keys().map(|(id, _)| *id).collect());

    let mut facts = Facts {
        patches: Vec::new(),
        cases: Vec::new(),
    };
    let mut seen_cases = HashSet::new();
    for b in batches {
        let mut patches: Vec<PatchSummary> = store.patch_summaries(&PatchQuery {
            batch: b.clone(),
            kind: None,
            region,
        })?;
        if let Some(bound) = &as_of {
            let later = store.patches_imported_since(b, bound)?;
            patches.retain(|p| !later.contains(&p.id));
        }
        let kinds: HashMap<i64, weipian_domain::PatchKind> =
            patches.iter().map(|p| (p.id, p.kind)).collect();
        // Answers, parsed once: (patch, part) → (answer, complete).
        let mut answers: HashMap<PartKey, (Answer, bool)> = HashMap::new();
        match &frozen {
            Some(m) => {
                for ((id, part), (text, complete)) in m {
                    if let Some(a) = text
                        .as_deref()
                        .and_then(|t| serde_json::from_str::<Answer>(t).ok())
                    {
                        answers.insert((*id, *part), (a, *complete));
                    }
                }
            }
            None => {
                let rows = match &as_of {
                    Some(bound) => store.answers_as_of(b, region, bound)?,
                    None => store.answers_of_batch(b, region)?,
                };
                for a in rows {
                    if let Ok(parsed) = serde_json::from_str::<Answer>(&a.answer) {
                        answers.insert((a.patch_id, a.part), (parsed, a.complete));
                    }
                }
            }
        }
        let areas = store.layer_areas(b, region, &LAYERS)?;
        let mut parcels: HashMap<i64, Vec<weipian_store::ParcelInfo>> = HashMap::new();
        for d in store.parcels_of_batch(b, region)? {
            parcels.entry(d.patch_id).or_default().push(d);
        }
        let parcel_areas = if parcels.is_empty() {
            HashMap::new()
        } else {
            store.parcel_layer_areas(b, region, &LAYERS)?
        };

        // Cases first: which parts' cases have eliminated the illegal state.
        let mut eliminated_parts: HashSet<PartKey> = HashSet::new();
        let mut part_cases: HashMap<PartKey, PartCase> = HashMap::new();
        for (row, links) in store.cases_with_links(b, region)? {
            if !seen_cases.insert(row.id) {
                continue;
            }
            let Ok(county) = RegionCode::parse(&row.county) else {
                continue;
            };
            if region.is_some_and(|r| !county.is_within(r)) {
                continue;
            }
            let record = match (&frozen_cases, &as_of) {
                (Some(m), _) => match m.get(&row.id) {
                    Some(r) => r.clone(),
                    None => continue, // opened after the cut-off
                },
                (None, Some(bound)) => match store.case_record_as_of(&row, bound)? {
                    Some(r) => r,
                    None => continue, // opened later
                },
                (None, None) => row.record.clone(),
            };
            let Ok(case) = serde_json::from_str::<Case>(&record) else {
                continue;
            };
            let part_case = PartCase {
                number: case.number.clone(),
                eliminated_on: case
                    .eliminated
                    .as_deref()
                    .and_then(weipian_domain::determination::parse_date),
                rectifications: case
                    .rectifications
                    .iter()
                    .filter_map(|r| {
                        let day = match r.kind {
                            weipian_domain::case::RectificationKind::Remedy => {
                                r.approval_date.as_deref().unwrap_or(&r.date)
                            }
                            _ => &r.date,
                        };
                        weipian_domain::determination::parse_date(day).map(|d| (r.kind, d))
                    })
                    .collect(),
            };
            let mut kind = None;
            let (mut area, mut gd, mut jbnt) = (0.0, 0.0, 0.0);
            for key in &links {
                part_cases.insert(*key, part_case.clone());
                if kind.is_none() {
                    kind = kinds.get(&key.0).copied();
                }
                if case.eliminated.is_some() {
                    eliminated_parts.insert(*key);
                }
                if let Some((a, _)) = answers.get(key) {
                    area += a.illegal_area_m2.unwrap_or(0.0);
                    gd += a.illegal_cultivated_m2.unwrap_or(0.0);
                    jbnt += a.illegal_basic_farmland_m2.unwrap_or(0.0);
                }
            }
            facts.cases.push(CaseFact {
                number: case.number.clone(),
                county,
                kind: kind.unwrap_or(weipian_domain::PatchKind::Land),
                filed: case.filing.is_some(),
                decided: case.decision.is_some(),
                closed: case.closed.is_some(),
                enforced: case.enforced.is_some(),
                eliminated: case.eliminated.is_some(),
                area_m2: area,
                gd_m2: gd,
                jbnt_m2: jbnt,
                detail: CaseDetail {
                    opened_on: crate::day_in_china(&row.created_at),
                    filed_on: case
                        .filing
                        .as_ref()
                        .and_then(|f| weipian_domain::determination::parse_date(&f.date)),
                    decided_on: case
                        .decision
                        .as_ref()
                        .and_then(|d| weipian_domain::determination::parse_date(&d.date)),
                    eliminated_on: part_case.eliminated_on,
                    parties: case.parties.clone(),
                },
            });
        }

        facts.patches.reserve(patches.len());
        for p in &patches {
            if in_snapshot.as_ref().is_some_and(|s| !s.contains(&p.id)) {
                continue; // issued after the cut-off
            }
            let Ok(county) = RegionCode::parse(&p.xzqdm) else {
                continue;
            };
            let pick = |rows: Option<&Vec<weipian_store::LayerArea>>,
                        layer: &str,
                        patch_revision: Option<&str>| {
                rows.and_then(|v| {
                    v.iter()
                        .find(|a| a.layer == layer && current(a, patch_revision))
                })
                .map_or(0.0, |a| a.area_m2)
            };
            let mine = areas.get(&p.id);
            let gd = pick(mine, "gd", Some(&p.revision));
            let jbnt = pick(mine, "jbnt", Some(&p.revision));
            let part_of = |part: u32, label: String, area: f64, gd: f64, jbnt: f64| {
                let a = answers.get(&(p.id, part));
                PartFact {
                    label,
                    legality: a.and_then(|(x, _)| answer_legality(table, p.kind, x)),
                    complete: a.is_some_and(|(_, c)| *c),
                    area_m2: area,
                    gd_m2: gd,
                    jbnt_m2: jbnt,
                    stated: a
                        .map(|(x, _)| stated_areas(table, p.kind, x, area, gd))
                        .unwrap_or_default(),
                    eliminated: eliminated_parts.contains(&(p.id, part)),
                    claims: a
                        .map(|(x, _)| {
                            x.deductions
                                .iter()
                                .map(|d| d.kind.trim().to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                    case: part_cases.get(&(p.id, part)).cloned(),
                }
            };
            let parts = match parcels.get(&p.id) {
                None => vec![part_of(0, p.jcbh.clone(), p.area_m2, gd, jbnt)],
                Some(list) => list
                    .iter()
                    .map(|d| {
                        let rows = parcel_areas.get(&d.id);
                        part_of(
                            d.no,
                            crate::answers::part_label(&p.jcbh, d.no),
                            d.area_m2,
                            pick(rows, "gd", None),
                            pick(rows, "jbnt", None),
                        )
                    })
                    .collect(),
            };
            facts.patches.push(PatchFact {
                jcbh: p.jcbh.clone(),
                county,
                kind: p.kind,
                area_m2: p.area_m2,
                gd_m2: gd,
                jbnt_m2: jbnt,
                parts,
            });
        }
    }
    Ok(facts)
}

/// The legality an answer's category has in the year's table.
fn answer_legality(
    table: &CodeTable,
    kind: weipian_domain::PatchKind,
    a: &Answer,
) -> Option<Legality> {
    table
        .categories(kind)
        .iter()
        .find(|c| c.code == a.category)
        .map(|c| c.legality)
}

/// The facts of a reporting period's batches within `region` (`None`: the
/// country): once the period's cut-off has passed (the schedule frozen),
/// each province's snapshot, unless `current` asks for the present.
pub(crate) struct PeriodFacts {
    pub facts: Facts,
    /// The snapshots counted.
    pub snapshots: Vec<i64>,
    /// In words.
    pub basis: String,
    /// 上报时间: the cut-off's day when counted from snapshots, else today.
    pub date: time::Date,
}

pub(crate) fn period_facts(
    store: &mut Store,
    year: u16,
    deadline: &weipian_domain::schedule::Deadline,
    region: Option<RegionCode>,
    current: bool,
    today: time::Date,
    as_of: Option<time::Date>,
) -> Result<PeriodFacts, ServiceError> {
    let table = code_table(year)?;
    crate::schedule::freeze_due(store, year, today)?;
    let batches: Vec<BatchId> = deadline
        .batches
        .iter()
        .filter_map(|b| BatchId::new(year, b).ok())
        .collect();
    let frozen: HashMap<String, i64> = store
        .snapshots(year)?
        .into_iter()
        .filter(|s| s.deadline == deadline.id)
        .map(|s| (s.region, s.id))
        .collect();
    if let Some(day) = as_of {
        let facts = gather(store, table, &batches, region, &Basis::AsOf(day))?;
        return Ok(PeriodFacts {
            facts,
            snapshots: Vec::new(),
            basis: format!("截至 {day} 日终的数据"),
            date: day,
        });
    }
    // One gathering per province when snapshots differ by province.
    let provinces: Vec<Option<RegionCode>> = match region {
        Some(r) => vec![Some(r)],
        None if current || frozen.is_empty() => vec![None],
        None => {
            let mut all: Vec<RegionCode> = weipian_domain::region::RegionTable::shared()
                .iter()
                .filter(|r| r.level == weipian_domain::region::RegionLevel::Province)
                .map(|r| r.code)
                .collect();
            all.sort();
            all.into_iter().map(Some).collect()
        }
    };
    let mut facts = Facts {
        patches: Vec::new(),
        cases: Vec::new(),
    };
    let mut snapshots = Vec::new();
    let mut due_days = Vec::new();
    for r in provinces {
        let snapshot = match (r, current) {
            (Some(r), false) => frozen.get(&r.province().to_string()).copied(),
            _ => None,
        };
        if let (Some(id), Some(r)) = (snapshot, r) {
            snapshots.push(id);
            due_days.push(crate::schedule::effective_due(
                store,
                year,
                deadline,
                &r.province().to_string(),
            )?);
        }
        let basis = snapshot.map_or(Basis::Current, Basis::Snapshot);
        let f = gather(store, table, &batches, r, &basis)?;
        facts.patches.extend(f.patches);
        facts.cases.extend(f.cases);
    }
    let period = deadline.period.as_deref().unwrap_or(&deadline.id);
    let (basis, date) = match due_days.iter().max() {
        Some(due) if !snapshots.is_empty() => (
            format!(
                "{period}时点快照（截至 {due}，快照 {}）",
                snapshots
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            *due,
        ),
        _ => (format!("截至 {today} 的当前数据"), today),
    };
    Ok(PeriodFacts {
        facts,
        snapshots,
        basis,
        date,
    })
}

#[cfg(test)]
mod tests {
    use weipian_domain::determination::{Answer as Full, Deduction};

    #[test]
    fn the_light_answer_reads_what_the_full_one_holds() {
        let full = Full {
            category: "WF".into(),
            sub: Some("WF01".into()),
            basis: "未批先建".into(),
            actual_use: Some("厂房".into()),
            illegal_area_m2: Some(1.5),
            illegal_cultivated_m2: Some(2.5),
            illegal_basic_farmland_m2: Some(3.5),
            new_construction_m2: Some(4.5),
            new_construction_cultivated_m2: Some(5.5),
            deductions: vec![Deduction {
                kind: "yhyz".into(),
                document: None,
                note: None,
            }],
            ..Full::default()
        };
        let text = serde_json::to_string(&full).unwrap();
        let light: super::Answer = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (light.category.as_str(), light.sub.as_deref()),
            ("WF", Some("WF01"))
        );
        assert_eq!(
            (
                light.illegal_area_m2,
                light.illegal_cultivated_m2,
                light.illegal_basic_farmland_m2,
                light.new_construction_m2,
                light.new_construction_cultivated_m2
            ),
            (Some(1.5), Some(2.5), Some(3.5), Some(4.5), Some(5.5))
        );
        assert_eq!(light.deductions[0].kind, "yhyz");
    }
}
