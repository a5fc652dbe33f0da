//! Statistics for an actor (#6, aggregation): the patches of a batch in
//! the actor's region — as they stand, or as a period's frozen snapshot
//! holds them — gathered into [`weipian_reports::PatchFact`]s and summed
//! over the region tree. Military-register patches never count (the store
//! never returns them).

use std::collections::HashMap;

use weipian_domain::access::Actor;
use weipian_domain::determination::{Answer, CodeTable, Legality};
use weipian_domain::{BatchId, RegionCode};
use weipian_reports::{aggregate, Level, PartFact, PatchFact, RegionStats};
use weipian_store::{PatchQuery, PatchSummary, Store};

use crate::ServiceError;

/// What to count.
#[derive(Debug, Clone)]
pub struct StatsRequest {
    pub batch: BatchId,
    pub level: Level,
    /// Count from this frozen snapshot instead of the current state.
    pub snapshot: Option<i64>,
}

fn legality(table: &CodeTable, kind: weipian_domain::PatchKind, answer: &str) -> Option<Legality> {
    let a: Answer = serde_json::from_str(answer).ok()?;
    table
        .categories(kind)
        .iter()
        .find(|c| c.code == a.category)
        .map(|c| c.legality)
}

/// Cultivated and basic-farmland area of one patch's current overlay rows.
fn figures(
    rows: &[weipian_store::OverlayRow],
    revision: Option<&str>,
    layer_revs: &HashMap<String, i64>,
) -> (f64, f64) {
    let f = crate::figures::PatchFigures::new(rows.iter(), revision, layer_revs);
    (f.area("gd").unwrap_or(0.0), f.area("jbnt").unwrap_or(0.0))
}

/// The figures of the batch by region at `req.level`, within the actor's region.
pub fn stats(
    store: &Store,
    actor: &Actor,
    req: &StatsRequest,
) -> Result<Vec<RegionStats>, ServiceError> {
    let table = CodeTable::embedded(req.batch.year).ok_or_else(|| {
        ServiceError::Invalid(format!("没有 {} 年的判定类型代码表", req.batch.year))
    })?;
    let Some(region) = crate::scope::region_filter(actor, None)? else {
        return Ok(Vec::new());
    };
    let patches: Vec<PatchSummary> = store.patch_summaries(&PatchQuery {
        batch: req.batch.clone(),
        kind: None,
        region,
    })?;
    let layer_revs = store.layer_revisions()?;
    // (patch id, part) → (answer JSON, complete), as of now or as frozen.
    let mut answers: HashMap<(i64, u32), (String, bool)> = HashMap::new();
    match req.snapshot {
        Some(id) => {
            crate::schedule::snapshot(store, actor, id)?; // scope: not found outside
            for p in store.snapshot_parts(id)? {
                if let Some(a) = p.answer {
                    answers.insert((p.patch_id, p.part), (a, p.complete));
                }
            }
        }
        None => {
            for p in &patches {
                for a in store.answers_of_patch(p.id)? {
                    answers.insert((p.id, a.part), (a.answer, a.complete));
                }
            }
        }
    }
    let in_snapshot: Option<std::collections::HashSet<i64>> = match req.snapshot {
        Some(id) => Some(
            store
                .snapshot_parts(id)?
                .iter()
                .map(|p| p.patch_id)
                .collect(),
        ),
        None => None,
    };
    let mut facts = Vec::with_capacity(patches.len());
    for p in &patches {
        if in_snapshot.as_ref().is_some_and(|s| !s.contains(&p.id)) {
            continue; // issued after the cut-off
        }
        let Ok(county) = RegionCode::parse(&p.xzqdm) else {
            continue;
        };
        let rows = store.overlay_rows_of(&[p.id])?;
        let (gd, jbnt) = figures(&rows, Some(&p.revision), &layer_revs);
        let parcels = store.parcels(p.id)?;
        let part_of = |part: u32, label: String, area: f64, gd: f64, jbnt: f64| {
            let a = answers.get(&(p.id, part));
            PartFact {
                label,
                legality: a.and_then(|(text, _)| legality(table, p.kind, text)),
                complete: a.is_some_and(|(_, c)| *c),
                area_m2: area,
                gd_m2: gd,
                jbnt_m2: jbnt,
            }
        };
        let parts = if parcels.is_empty() {
            vec![part_of(0, p.jcbh.clone(), p.area_m2, gd, jbnt)]
        } else {
            let prows = store.parcel_overlay_rows(p.id)?;
            parcels
                .iter()
                .map(|d| {
                    let mine: Vec<_> = prows
                        .iter()
                        .filter(|r| r.patch_id == d.id)
                        .cloned()
                        .collect();
                    let pick = |layer: &str| {
                        mine.iter()
                            .find(|r| r.layer == layer)
                            .map_or(0.0, |r| r.area_m2)
                    };
                    part_of(
                        d.no,
                        crate::answers::part_label(&p.jcbh, d.no),
                        d.area_m2,
                        pick("gd"),
                        pick("jbnt"),
                    )
                })
                .collect()
        };
        facts.push(PatchFact {
            jcbh: p.jcbh.clone(),
            county,
            kind: p.kind,
            area_m2: p.area_m2,
            gd_m2: gd,
            jbnt_m2: jbnt,
            parts,
        });
    }
    Ok(aggregate(&facts, req.level))
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
    use weipian_domain::access::Op;
    use weipian_domain::case::Case;
    if let Some(id) = req.snapshot {
        crate::schedule::snapshot(store, actor, id)?; // scope: not found outside
    }
    // Frozen records and answers when counting from a snapshot.
    let frozen_cases: Option<HashMap<i64, String>> = match req.snapshot {
        Some(id) => Some(
            store
                .snapshot_cases(id)?
                .into_iter()
                .map(|(cid, record, _)| (cid, record))
                .collect(),
        ),
        None => None,
    };
    let frozen_answers: Option<HashMap<(i64, u32), String>> = match req.snapshot {
        Some(id) => Some(
            store
                .snapshot_parts(id)?
                .into_iter()
                .filter_map(|p| p.answer.map(|a| ((p.patch_id, p.part), a)))
                .collect(),
        ),
        None => None,
    };
    let mut facts = Vec::new();
    for row in store.cases_of_batch(&req.batch)? {
        let Ok(county) = RegionCode::parse(&row.county) else {
            continue;
        };
        if !actor.may(Op::ReadPatches, county) {
            continue;
        }
        let record = match &frozen_cases {
            Some(m) => match m.get(&row.id) {
                Some(r) => r.clone(),
                None => continue, // opened after the cut-off
            },
            None => row.record.clone(),
        };
        let Ok(case) = serde_json::from_str::<Case>(&record) else {
            continue;
        };
        let mut kind = weipian_domain::PatchKind::Land;
        let (mut area, mut gd, mut jbnt) = (0.0, 0.0, 0.0);
        for (patch_id, part) in store.case_links(row.id)? {
            if let Some((label, _)) = store.patch_key(patch_id)? {
                let jcbh = label.rsplit('/').next().unwrap_or_default();
                if let Some(p) = store.patch(&req.batch, jcbh)? {
                    kind = p.kind;
                }
            }
            let text = match &frozen_answers {
                Some(m) => m.get(&(patch_id, part)).cloned(),
                None => store.answer(patch_id, part)?.map(|a| a.answer),
            };
            if let Some(a) = text.and_then(|t| serde_json::from_str::<Answer>(&t).ok()) {
                area += a.illegal_area_m2.unwrap_or(0.0);
                gd += a.illegal_cultivated_m2.unwrap_or(0.0);
                jbnt += a.illegal_basic_farmland_m2.unwrap_or(0.0);
            }
        }
        facts.push(weipian_reports::CaseFact {
            number: case.number.clone(),
            county,
            kind,
            filed: case.filing.is_some(),
            decided: case.decision.is_some(),
            closed: case.closed.is_some(),
            enforced: case.enforced.is_some(),
            eliminated: case.eliminated.is_some(),
            area_m2: area,
            gd_m2: gd,
            jbnt_m2: jbnt,
        });
    }
    Ok(weipian_reports::aggregate_cases(&facts, req.level))
}
