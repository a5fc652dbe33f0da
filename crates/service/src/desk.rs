//! Desk review (内业审核): the rules of [`weipian_domain::desk`] run over
//! patches with what the store knows of them — answers (of the patch or its
//! 地块), current overlay figures, photos (their evidence flags and
//! near-identical pictures on other patches of the province), cases
//! claiming 消除违法状态 — and their flags kept per patch: raised, answered
//! by the county (复核), decided by a reviewer (upheld / cleared).
//!
//! The rules run for every patch the county submits, and on demand by the
//! technical-support unit or a reviewer. A patch with an open flag is a
//! 疑似问题图斑: it cannot be passed until its flags are decided.

use serde::Serialize;
use weipian_domain::access::{Actor, Op, Role, Scope};
use weipian_domain::case::Case;
use weipian_domain::desk::{check, AnsweredPart, DeskFacts, EliminatedCase, PhotoFacts, RULES};
use weipian_domain::determination::{parse_date, Answer, CodeTable, Form};
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{FlagRow, NewAudit, NewFlag, Store, StoredPatch};

use crate::ServiceError;

/// A flag as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagView {
    pub id: i64,
    pub jcbh: String,
    pub rule: String,
    pub rule_name: String,
    pub message: String,
    pub evidence: Vec<String>,
    /// `open`, `upheld` or `cleared`.
    pub status: String,
    pub raised_at: String,
    pub raised_by: String,
    /// The county's 复核 reply.
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub replied_by: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

/// What a run of the rules did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub patches: usize,
    pub raised: usize,
    pub still_open: usize,
    pub cleared: usize,
    /// JCBHs with at least one open flag after the run.
    pub flagged: Vec<String>,
}

fn view(jcbh: &str, f: FlagRow) -> FlagView {
    FlagView {
        id: f.id,
        jcbh: jcbh.into(),
        rule_name: RULES
            .iter()
            .find(|r| r.code == f.rule)
            .map_or_else(String::new, |r| r.name.to_string()),
        rule: f.rule,
        message: f.message,
        evidence: serde_json::from_str(&f.evidence).unwrap_or_default(),
        status: f.status,
        raised_at: f.raised_at,
        raised_by: f.raised_by,
        reply: f.reply,
        replied_at: f.replied_at,
        replied_by: f.replied_by,
        decision_note: f.decision_note,
        decided_at: f.decided_at,
        decided_by: f.decided_by,
    }
}

fn table(batch: &BatchId) -> Result<&'static CodeTable, ServiceError> {
    CodeTable::embedded(batch.year)
        .ok_or_else(|| ServiceError::Invalid(format!("没有 {} 年的判定类型代码表", batch.year)))
}

/// What every patch of a run shares, read once: the province's photo
/// ctx and the layers' current revisions.
pub(crate) struct RunContext {
    list: Vec<(i64, String, String, u64)>,
    layer_revs: std::collections::HashMap<String, i64>,
}

impl RunContext {
    pub(crate) fn load(store: &Store, xzqdm: &str) -> Result<Self, ServiceError> {
        Ok(Self {
            list: store.photo_hashes(xzqdm.get(..2).unwrap_or(xzqdm))?,
            layer_revs: store.layer_revisions()?,
        })
    }

    /// Other patches with a picture within `bits` of `h`: the JCBHs of
    /// those in `county` (what the county may see), the others counted.
    fn similar(&self, patch_id: i64, county: &str, h: u64, bits: u32) -> Vec<String> {
        let mut named: Vec<String> = Vec::new();
        let mut elsewhere = std::collections::BTreeSet::new();
        for (id, j, x, hash) in &self.list {
            if *id == patch_id || (h ^ hash).count_ones() > bits {
                continue;
            }
            if x == county {
                named.push(j.clone());
            } else {
                elsewhere.insert(*id);
            }
        }
        named.sort();
        named.dedup();
        if !elsewhere.is_empty() {
            named.push(format!("其他县的 {} 个图斑", elsewhere.len()));
        }
        named
    }
}

/// Gather what the rules look at for one patch.
fn gather(
    store: &Store,
    patch: &StoredPatch,
    table: &CodeTable,
    ctx: &RunContext,
    today: Option<time::Date>,
) -> Result<DeskFacts, ServiceError> {
    let mut facts = DeskFacts {
        kind: patch.kind,
        patch_area_m2: patch.area_m2,
        ..DeskFacts::default()
    };
    let parcels = store.parcels(patch.id)?;
    let parts: Vec<(u32, f64)> = if parcels.is_empty() {
        vec![(0, patch.area_m2)]
    } else {
        parcels.iter().map(|p| (p.no, p.area_m2)).collect()
    };
    let mut complete = true;
    for (part, area) in parts {
        let Some(stored) = store.answer(patch.id, part)? else {
            complete = false;
            continue;
        };
        complete &= stored.complete;
        let Ok(answer) = serde_json::from_str::<Answer>(&stored.answer) else {
            continue;
        };
        let Some(cat) = table
            .categories(patch.kind)
            .iter()
            .find(|c| c.code == answer.category)
        else {
            continue;
        };
        let requires = cat
            .sub
            .iter()
            .find(|s| Some(&s.code) == answer.sub.as_ref())
            .map(|s| s.requires.clone())
            .unwrap_or_default();
        let approval_based = requires.contains(&Form::Approval)
            && (requires.len() == 1
                || answer
                    .approval_number
                    .as_deref()
                    .is_some_and(|n| !n.trim().is_empty()));
        facts.answers.push(AnsweredPart {
            label: crate::answers::part_label(&patch.jcbh, part),
            legality: cat.legality,
            approval_based,
            area_m2: area,
            answer,
        });
    }
    facts.complete = complete;
    // R07: days to the nearest deadline, while the county still has the patch.
    let with_county = store.review(patch.id)?.is_none_or(|r| r.state == "county");
    if let (Some(today), true, Ok(county)) = (today, with_county, RegionCode::parse(&patch.xzqdm)) {
        facts.days_to_deadline = crate::schedule::days_to_county_deadline(
            store,
            patch.batch.year,
            &patch.batch.name,
            county,
            today,
        )?;
    }
    // Overlay figures, current ones only.
    let rows = store.overlay_rows_of(&[patch.id])?;
    let revision = store.patch_revision(patch.id)?;
    let fig = crate::figures::PatchFigures::new(rows.iter(), revision.as_deref(), &ctx.layer_revs);
    facts.gd_m2 = fig.area("gd");
    facts.jbnt_m2 = fig.area("jbnt");
    facts.pzyd_m2 = fig.area("pzyd");
    facts.pzyd_numbers = fig
        .labels("pzyd")
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    // Photos; other patches named only within the patch's own county (the
    // flag is read by the county too), those elsewhere counted.
    let viewer = RegionCode::parse(&patch.xzqdm)
        .ok()
        .and_then(|c| Actor::new("内业审核规则", Scope::Region(c), Role::CountyFiller).ok());
    let attachments = store.attachments(patch.id)?;
    for a in &attachments {
        if !a.media_type.starts_with("image/") {
            continue;
        }
        let Some(viewer) = viewer.as_ref() else {
            continue;
        };
        let v = crate::evidence::view_of(store, viewer, patch, a.clone())?;
        facts.photos.push(PhotoFacts {
            file_name: a.file_name.clone(),
            flags: v.flags,
            similar_to: a
                .photo
                .phash
                .map(|h| ctx.similar(patch.id, &patch.xzqdm, h, table.desk.phash_max_bits))
                .unwrap_or_default(),
        });
    }
    // Cases claiming 消除违法状态.
    for id in store.cases_of_patch(patch.id)? {
        let Some(row) = store.case(id)? else { continue };
        let Ok(case) = serde_json::from_str::<Case>(&row.record) else {
            continue;
        };
        if case.eliminated.is_none() {
            continue;
        }
        let mut case_photos = Vec::new();
        for pid in &row.patch_ids {
            case_photos.extend(store.attachments(*pid)?);
        }
        let photo_dates = case
            .rectifications
            .iter()
            .flat_map(|r| r.photos.iter())
            .map(|sha| {
                case_photos
                    .iter()
                    .find(|a| a.sha256 == *sha)
                    .and_then(|a| a.photo.taken_at.as_deref()?.get(..10).and_then(parse_date))
            })
            .collect();
        facts.cases.push(EliminatedCase {
            number: case.number.clone(),
            decision: case.decision.as_ref().and_then(|d| parse_date(&d.date)),
            photo_dates,
        });
    }
    Ok(facts)
}

/// Run the rules on one patch and record its flags (as `by`, in `region`).
pub(crate) fn run_on(
    store: &mut Store,
    patch: &StoredPatch,
    ctx: &RunContext,
    by: &str,
    region: &str,
    today: Option<time::Date>,
) -> Result<weipian_store::FlagRun, ServiceError> {
    let table = table(&patch.batch)?;
    let facts = gather(store, patch, table, ctx, today)?;
    let firing: Vec<NewFlag> = check(&facts, &table.desk)
        .into_iter()
        .map(|f| NewFlag {
            rule: f.rule.into(),
            message: f.message,
            evidence: serde_json::to_string(&f.evidence).unwrap_or_else(|_| "[]".into()),
        })
        .collect();
    let audit = NewAudit {
        actor: by.into(),
        region: region.into(),
        action: "desk.run".into(),
        target: format!("{}/{}/{}", patch.batch.year, patch.batch.name, patch.jcbh),
        before: None,
        after: None,
        reason: None,
    };
    Ok(store.record_flags(patch.id, &firing, &audit)?)
}

/// Run the rules on the patches of a batch in `actor`'s region (all, or the
/// JCBHs given): the technical-support unit (desk reviewer) or a city or
/// province reviewer. `today` dates the deadline rule (R07).
pub fn run(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbhs: Option<&[String]>,
    today: time::Date,
) -> Result<RunSummary, ServiceError> {
    if !matches!(
        actor.role,
        Role::DeskReviewer | Role::CityReviewer | Role::ProvinceReviewer
    ) {
        return Err(ServiceError::Denied(format!(
            "{}不能运行内业审核规则",
            actor.role
        )));
    }
    let Some(region) = crate::scope::region_filter(actor, None)? else {
        return Ok(RunSummary::default());
    };
    let patches: Vec<StoredPatch> = match jcbhs {
        Some(list) => {
            let mut out = Vec::new();
            for j in list {
                let missing = || ServiceError::NotFound(format!("批次 {batch} 的图斑 {j}"));
                let p = store.patch(batch, j)?.ok_or_else(missing)?;
                let inside =
                    RegionCode::parse(&p.xzqdm).is_ok_and(|r| actor.may(Op::ReadPatches, r));
                if !inside {
                    return Err(missing());
                }
                out.push(p);
            }
            out
        }
        None => store.patches(&weipian_store::PatchQuery {
            batch: batch.clone(),
            kind: None,
            region,
        })?,
    };
    let mut summary = RunSummary::default();
    let mut ctx: Option<(String, RunContext)> = None;
    for p in &patches {
        let province = p.xzqdm.get(..2).unwrap_or_default().to_string();
        if ctx.as_ref().is_none_or(|(k, _)| *k != province) {
            ctx = Some((province.clone(), RunContext::load(store, &p.xzqdm)?));
        }
        let Some((_, h)) = ctx.as_ref() else {
            continue;
        };
        let r = run_on(store, p, h, &actor.user, &actor.scope.code(), Some(today))?;
        summary.patches += 1;
        summary.raised += r.raised;
        summary.still_open += r.still_open;
        summary.cleared += r.cleared;
        if store.open_flag_count(p.id)? > 0 {
            summary.flagged.push(p.jcbh.clone());
        }
    }
    Ok(summary)
}

/// The flags of a patch (anyone who may read it).
pub fn flags(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<Vec<FlagView>, ServiceError> {
    let p = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    Ok(store
        .flags(p.id)?
        .into_iter()
        .map(|f| view(jcbh, f))
        .collect())
}

/// The flag and its patch, if `actor` may read them (else not found).
fn flag_for(
    store: &Store,
    actor: &Actor,
    id: i64,
) -> Result<(FlagRow, String, RegionCode), ServiceError> {
    let missing = || ServiceError::NotFound(format!("疑点 {id}"));
    let f = store.flag(id)?.ok_or_else(missing)?;
    let (label, xzqdm) = store.patch_key(f.patch_id)?.ok_or_else(missing)?;
    let region = RegionCode::parse(&xzqdm).map_err(|_| missing())?;
    if !actor.may(Op::ReadPatches, region) {
        return Err(missing());
    }
    Ok((f, label, region))
}

/// The county's 复核 reply to a flag (the county filler of the patch's county).
pub fn reply(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    text: &str,
) -> Result<FlagView, ServiceError> {
    let (f, label, region) = flag_for(store, actor, id)?;
    if !actor.may(Op::Determine, region) {
        return Err(ServiceError::Denied(format!(
            "{}不能答复疑点（由县级复核）",
            actor.role
        )));
    }
    if text.trim().is_empty() {
        return Err(ServiceError::Invalid("复核说明不能为空".into()));
    }
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "desk.reply".into(),
        target: label.clone(),
        before: None,
        after: Some(text.trim().to_string()),
        reason: Some(format!("疑点 {id}（{}）", f.rule)),
    };
    store.reply_flag(id, text.trim(), &audit)?;
    let jcbh = label.rsplit('/').next().unwrap_or(&label).to_string();
    Ok(view(
        &jcbh,
        store
            .flag(id)?
            .ok_or_else(|| ServiceError::NotFound(format!("疑点 {id}")))?,
    ))
}

/// A reviewer's decision on a flag: upheld (the problem stands) or cleared
/// (a city or province reviewer in whose region the patch lies).
pub fn decide(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    upheld: bool,
    note: Option<&str>,
) -> Result<FlagView, ServiceError> {
    let (f, label, _) = flag_for(store, actor, id)?;
    may_decide(actor)?;
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: if upheld { "desk.uphold" } else { "desk.clear" }.into(),
        target: label.clone(),
        before: Some(f.status.clone()),
        after: Some(if upheld { "upheld" } else { "cleared" }.into()),
        reason: note.map(str::to_string),
    };
    store.decide_flag(id, upheld, note, &audit)?;
    let jcbh = label.rsplit('/').next().unwrap_or(&label).to_string();
    Ok(view(
        &jcbh,
        store
            .flag(id)?
            .ok_or_else(|| ServiceError::NotFound(format!("疑点 {id}")))?,
    ))
}

/// The most flags one bulk decision may take.
pub const MAX_BULK_DECISIONS: usize = 5_000;

/// A flag decided in bulk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecidedFlag {
    pub id: i64,
    pub jcbh: String,
    pub rule: String,
}

/// What a bulk decision did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkDecision {
    /// How many flags were decided.
    pub decided: usize,
    /// `upheld` or `cleared`.
    pub status: String,
    pub flags: Vec<DecidedFlag>,
    /// Patches selected (by JCBH) that had no open flag to decide.
    pub skipped: Vec<String>,
}

fn may_decide(actor: &Actor) -> Result<(), ServiceError> {
    if matches!(actor.role, Role::CityReviewer | Role::ProvinceReviewer) {
        Ok(())
    } else {
        Err(ServiceError::Denied(format!(
            "{}不能认定疑点（由市级或省级审核）",
            actor.role
        )))
    }
}

/// Decide many flags at once, as [`decide`] decides one: every flag is
/// checked first (outside the actor's region it is not found, like a single
/// one; a flag already decided is refused, naming it and its patch), then
/// all are written in one transaction, each audited as a single decision
/// is — or, when any fails, none. At most [`MAX_BULK_DECISIONS`]; repeated
/// ids count once.
pub fn decide_many(
    store: &mut Store,
    actor: &Actor,
    ids: &[i64],
    upheld: bool,
    note: Option<&str>,
) -> Result<BulkDecision, ServiceError> {
    may_decide(actor)?;
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<i64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if ids.is_empty() {
        return Err(ServiceError::Invalid("没有选择要认定的疑点".into()));
    }
    if ids.len() > MAX_BULK_DECISIONS {
        return Err(ServiceError::Invalid(format!(
            "一次最多认定 {MAX_BULK_DECISIONS} 个疑点，本次选择了 {} 个，请分批认定",
            ids.len()
        )));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let status = if upheld { "upheld" } else { "cleared" };
    let mut decisions = Vec::with_capacity(ids.len());
    let mut flags = Vec::with_capacity(ids.len());
    for id in ids {
        let (f, label, _) = flag_for(store, actor, id).map_err(|e| match e {
            ServiceError::NotFound(what) => {
                ServiceError::NotFound(format!("{what}（本次未认定任何疑点）"))
            }
            other => other,
        })?;
        let jcbh = label.rsplit('/').next().unwrap_or(&label).to_string();
        if f.status != "open" {
            let was = match f.status.as_str() {
                "upheld" => "认定属实",
                "cleared" => "排除",
                other => other,
            };
            return Err(ServiceError::Invalid(format!(
                "疑点 {id}（图斑 {jcbh}，规则 {}）已{was}，不能再认定；本次未认定任何疑点",
                f.rule
            )));
        }
        decisions.push((
            id,
            NewAudit {
                actor: actor.user.clone(),
                region: actor.scope.code(),
                action: if upheld { "desk.uphold" } else { "desk.clear" }.into(),
                target: label,
                before: Some(f.status),
                after: Some(status.into()),
                reason: note.map(str::to_string),
            },
        ));
        flags.push(DecidedFlag {
            id,
            jcbh,
            rule: f.rule,
        });
    }
    store.decide_flags(&decisions, upheld, note)?;
    Ok(BulkDecision {
        decided: flags.len(),
        status: status.into(),
        flags,
        skipped: Vec::new(),
    })
}

/// The open flags of the patches `jcbhs` of `batch` (only those of `rule`,
/// when given) as the actor may decide them: a patch outside its region is
/// not found. The flag ids, and the JCBHs that had none.
pub fn open_flags_of(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbhs: &[String],
    rule: Option<&str>,
) -> Result<(Vec<i64>, Vec<String>), ServiceError> {
    may_decide(actor)?;
    if let Some(rule) = rule {
        if !RULES.iter().any(|r| r.code == rule) {
            return Err(ServiceError::Invalid(format!("没有内业审核规则 {rule}")));
        }
    }
    let mut seen = std::collections::HashSet::new();
    let jcbhs: Vec<&String> = jcbhs.iter().filter(|j| seen.insert(*j)).collect();
    if jcbhs.is_empty() {
        return Err(ServiceError::Invalid("没有选择图斑".into()));
    }
    if jcbhs.len() > MAX_BULK_DECISIONS {
        return Err(ServiceError::Invalid(format!(
            "一次最多选择 {MAX_BULK_DECISIONS} 个图斑，本次选择了 {} 个，请分批认定",
            jcbhs.len()
        )));
    }
    let mut ids = Vec::new();
    let mut none = Vec::new();
    for j in jcbhs {
        let p = crate::scope::visible_patch(store, actor, batch, j).map_err(|e| match e {
            ServiceError::NotFound(what) => {
                ServiceError::NotFound(format!("{what}（本次未认定任何疑点）"))
            }
            other => other,
        })?;
        let before = ids.len();
        ids.extend(
            store
                .flags(p.id)?
                .into_iter()
                .filter(|f| f.status == "open" && rule.is_none_or(|r| f.rule == r))
                .map(|f| f.id),
        );
        if ids.len() == before {
            none.push(j.clone());
        }
    }
    Ok((ids, none))
}

/// Decide every open flag of the patches `jcbhs` of `batch` (only those of
/// `rule`, when given): [`open_flags_of`], then [`decide_many`]. Selected
/// patches without an open flag are listed as skipped; when none of them
/// has one, nothing is decided and that is an error.
pub fn decide_open_of_patches(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbhs: &[String],
    rule: Option<&str>,
    upheld: bool,
    note: Option<&str>,
) -> Result<BulkDecision, ServiceError> {
    let (ids, skipped) = open_flags_of(store, actor, batch, jcbhs, rule)?;
    if ids.is_empty() {
        return Err(ServiceError::Invalid(match rule {
            Some(r) => format!("所选图斑没有规则 {r} 的待认定疑点"),
            None => "所选图斑没有待认定的疑点".into(),
        }));
    }
    let mut out = decide_many(store, actor, &ids, upheld, note)?;
    out.skipped = skipped;
    Ok(out)
}
