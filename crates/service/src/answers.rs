//! The county's answer for a patch (判定 and its evidence fields): scoped,
//! validated against the year's code table, versioned, audited.
//!
//! An answer is saved even when it does not validate yet — nothing a user
//! typed is lost — and comes back with every problem listed and
//! `complete = false`; only complete answers can be submitted upward (the
//! review chain builds on this).

use serde::Serialize;
use weipian_domain::access::{Actor, Op};
use weipian_domain::determination::{
    parse_date, validate, Answer, CodeTable, FieldError, PatchFacts,
};
use weipian_domain::{AttrValue, BatchId, RegionCode};
use weipian_store::{NewAudit, Store, StoredPatch};

use crate::ServiceError;

/// A save request.
#[derive(Debug, Clone)]
pub struct SaveAnswer {
    pub batch: BatchId,
    pub jcbh: String,
    pub answer: Answer,
    /// The version the caller edited (`None` for the first answer).
    pub based_on: Option<i64>,
    /// Why (kept in the audit trail).
    pub reason: Option<String>,
}

/// An answer as stored, with its validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerView {
    pub jcbh: String,
    /// The 地块 number, 0 for the whole patch.
    pub parcel: u32,
    pub answer: Option<Answer>,
    /// 0 when there is no answer yet.
    pub version: i64,
    pub complete: bool,
    pub errors: Vec<FieldError>,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    /// Set when a province reviewer wrote this answer directly (省级直接修改):
    /// the reason (the reviewer is `updated_by`).
    pub override_reason: Option<String>,
}

/// 后时相 from the issued attributes (`HSX`: `YYYY-MM-DD`, `YYYYMMDD` or `YYYY/MM/DD`).
pub(crate) fn after_image(patch: &StoredPatch) -> Option<time::Date> {
    let i = patch
        .fields
        .iter()
        .position(|f| f.name.eq_ignore_ascii_case("HSX"))?;
    let text = match patch.attrs.get(i)? {
        AttrValue::Integer(n) => n.to_string(),
        v => v.as_text()?,
    };
    let t = text.trim().replace('/', "-");
    parse_date(&t).or_else(|| {
        (t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| parse_date(&format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..])))
            .flatten()
    })
}

/// What validation needs to know of the patch — or of one of its 地块:
/// then the part's area is the monitored area (the patch's evidence files
/// serve its parts).
fn facts(patch: &StoredPatch, part_area_m2: Option<f64>, attachments: usize) -> PatchFacts {
    PatchFacts {
        kind: patch.kind,
        monitored_area_m2: part_area_m2.unwrap_or(patch.area_m2),
        after_image: after_image(patch),
        attachments,
    }
}

/// The area of the part answered (`None` for the whole patch), or why that
/// part cannot be answered: a split patch is answered per 地块, an unsplit
/// one as a whole.
fn part_area(store: &Store, patch: &StoredPatch, part: u32) -> Result<Option<f64>, ServiceError> {
    let parcels = store.parcels(patch.id)?;
    match (part, parcels.is_empty()) {
        (0, true) => Ok(None),
        (0, false) => Err(ServiceError::Invalid(format!(
            "图斑 {} 已拆分为 {} 个地块，请按地块填报（地块 1–{}）",
            patch.jcbh,
            parcels.len(),
            parcels.len()
        ))),
        (k, _) => parcels
            .iter()
            .find(|p| p.no == k)
            .map(|p| Some(p.area_m2))
            .ok_or_else(|| ServiceError::NotFound(format!("图斑 {} 的地块 {k}", patch.jcbh))),
    }
}

/// `JCBH` for the whole patch, `JCBH-n` for 地块 n (the audit target and labels).
#[must_use]
pub fn part_label(jcbh: &str, part: u32) -> String {
    if part == 0 {
        jcbh.to_string()
    } else {
        format!("{jcbh}-{part}")
    }
}

fn table(batch: &BatchId) -> Result<&'static CodeTable, ServiceError> {
    CodeTable::embedded(batch.year).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "没有 {} 年的判定类型代码表（data/determination/{}.toml）",
            batch.year, batch.year
        ))
    })
}

fn parse_answer(text: &str, jcbh: &str) -> Result<Answer, ServiceError> {
    serde_json::from_str(text).map_err(|e| {
        ServiceError::Store(weipian_store::StoreError::Corrupt(format!(
            "图斑 {jcbh} 的填报记录：{e}"
        )))
    })
}

/// The current answer of a patch, validated as it stands now.
pub fn get_answer(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<AnswerView, ServiceError> {
    get_part_answer(store, actor, batch, jcbh, 0)
}

/// The current answers of every 地块 of a split patch (empty when it is not split).
pub fn get_parcel_answers(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<Vec<AnswerView>, ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    store
        .parcels(patch.id)?
        .iter()
        .map(|p| get_part_answer(store, actor, batch, jcbh, p.no))
        .collect()
}

/// The current answer of a patch (`part` 0) or of its 地块 `part`,
/// validated as it stands now.
pub fn get_part_answer(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
    part: u32,
) -> Result<AnswerView, ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    let area = if part == 0 {
        None // shown even for a split patch: its answer from before the split is history
    } else {
        part_area(store, &patch, part)?
    };
    let stored = store.answer(patch.id, part)?;
    let Some(s) = stored else {
        return Ok(AnswerView {
            jcbh: jcbh.into(),
            parcel: part,
            answer: None,
            version: 0,
            complete: false,
            errors: Vec::new(),
            updated_at: None,
            updated_by: None,
            override_reason: None,
        });
    };
    let answer = parse_answer(&s.answer, jcbh)?;
    let errors = validate(
        &answer,
        &facts(&patch, area, store.attachment_count(patch.id)?),
        table(batch)?,
    );
    Ok(AnswerView {
        jcbh: jcbh.into(),
        parcel: part,
        complete: errors.is_empty(),
        errors,
        answer: Some(answer),
        version: s.version,
        updated_at: Some(s.updated_at),
        updated_by: Some(s.updated_by),
        override_reason: s.override_reason,
    })
}

/// Validate an answer for a patch or 地块 as saving would (no scope check: callers check it).
pub(crate) fn validate_for(
    store: &Store,
    batch: &BatchId,
    jcbh: &str,
    part: u32,
    answer: &Answer,
) -> Result<Vec<FieldError>, ServiceError> {
    let patch = store
        .patch(batch, jcbh)?
        .ok_or_else(|| ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}")))?;
    let area = part_area(store, &patch, part)?;
    Ok(validate(
        answer,
        &facts(&patch, area, store.attachment_count(patch.id)?),
        table(batch)?,
    ))
}

/// The national codes whose values differ between two answers.
fn changed_fields(a: &Answer, b: &Answer) -> Vec<String> {
    let (Ok(serde_json::Value::Object(x)), Ok(serde_json::Value::Object(y))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return Vec::new();
    };
    x.keys()
        .chain(y.keys())
        .filter(|k| x.get(*k) != y.get(*k))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Save a patch's answer (a county filler, in its county). The answer is
/// kept whatever its validation says; the result lists every problem.
pub fn save_answer(
    store: &mut Store,
    actor: &Actor,
    req: &SaveAnswer,
) -> Result<AnswerView, ServiceError> {
    save_part_answer(store, actor, req, 0)
}

/// [`save_answer`] for 地块 `part` of a split patch (0: the whole patch,
/// which a split patch no longer takes).
pub fn save_part_answer(
    store: &mut Store,
    actor: &Actor,
    req: &SaveAnswer,
    part: u32,
) -> Result<AnswerView, ServiceError> {
    write_answer(store, actor, req, part, None)
}

/// 省级直接修改: a province reviewer writes the answer of a patch (or 地块)
/// in its province itself — whatever the review state, when a county
/// refuses or the field check found otherwise. The reason is required and
/// stays with the answer, shown to every level; the audit trail records it
/// as `answer.override`.
pub fn override_answer(
    store: &mut Store,
    actor: &Actor,
    req: &SaveAnswer,
    part: u32,
    reason: &str,
) -> Result<AnswerView, ServiceError> {
    if reason.trim().is_empty() {
        return Err(ServiceError::Invalid("省级直接修改须写明原因".into()));
    }
    write_answer(store, actor, req, part, Some(reason.trim()))
}

fn write_answer(
    store: &mut Store,
    actor: &Actor,
    req: &SaveAnswer,
    part: u32,
    override_reason: Option<&str>,
) -> Result<AnswerView, ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, &req.batch, &req.jcbh)?;
    let region = RegionCode::parse(&patch.xzqdm)
        .map_err(|_| ServiceError::NotFound(format!("图斑 {}", req.jcbh)))?;
    match override_reason {
        None if !actor.may(Op::Determine, region) => {
            return Err(ServiceError::Denied(format!(
                "{}不能填报判定结果（由县级填报）",
                actor.role
            )))
        }
        Some(_) if actor.role != weipian_domain::access::Role::ProvinceReviewer => {
            return Err(ServiceError::Denied(format!(
                "{}不能直接修改填报（只有省级审核用户可以）",
                actor.role
            )))
        }
        _ => {}
    }
    let table = table(&req.batch)?;
    let area = part_area(store, &patch, part)?;
    let errors = validate(
        &req.answer,
        &facts(&patch, area, store.attachment_count(patch.id)?),
        table,
    );
    let complete = errors.is_empty();
    let text =
        serde_json::to_string(&req.answer).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let before = store.answer(patch.id, part)?.map(|s| s.answer);
    let label = part_label(&req.jcbh, part);
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: if override_reason.is_some() {
            "answer.override"
        } else {
            "answer.save"
        }
        .into(),
        target: format!("{}/{}/{label}", req.batch.year, req.batch.name),
        before,
        after: Some(text.clone()),
        reason: override_reason
            .map(str::to_string)
            .or_else(|| req.reason.clone()),
    };
    let saved = match override_reason {
        Some(why) => {
            store.override_answer(patch.id, part, &text, complete, req.based_on, why, &audit)
        }
        None => store.save_answer(patch.id, part, &text, complete, req.based_on, &audit),
    };
    let version = match saved {
        Ok(v) => v,
        Err(weipian_store::StoreError::Conflict { version, by, at }) => {
            // Show what changed since the version the caller edited.
            let theirs = store
                .answer(patch.id, part)?
                .map(|s| parse_answer(&s.answer, &req.jcbh))
                .transpose()?;
            let base = match req.based_on {
                Some(v) => store
                    .answer_version(patch.id, part, v)?
                    .map(|s| parse_answer(&s.answer, &req.jcbh))
                    .transpose()?,
                None => None,
            };
            let fields = match (base, theirs) {
                (Some(b), Some(t)) => changed_fields(&b, &t),
                (None, Some(t)) => changed_fields(&Answer::default(), &t),
                _ => Vec::new(),
            };
            return Err(ServiceError::Conflict {
                message: format!(
                    "图斑 {label} 的填报已被 {by} 于 {at} 修改（当前版本 {version}，您基于版本 {}）；对方改动的字段：{}。请刷新后在最新版本上修改",
                    req.based_on.unwrap_or(0),
                    if fields.is_empty() { "（无）".to_string() } else { fields.join("、") }
                ),
                current_version: version,
                changed_fields: fields,
            });
        }
        Err(e) => return Err(e.into()),
    };
    Ok(AnswerView {
        jcbh: req.jcbh.clone(),
        parcel: part,
        answer: Some(req.answer.clone()),
        version,
        complete,
        errors,
        updated_at: None,
        updated_by: Some(actor.user.clone()),
        override_reason: override_reason.map(str::to_string),
    })
}

/// A transferred patch still waiting for the receiver's feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwaitingTransfer {
    pub jcbh: String,
    /// The 地块 transferred, 0 for the whole patch.
    pub parcel: u32,
    pub xzqdm: String,
    pub receiver: String,
    pub date: String,
    pub document: String,
}

/// The patches of a batch the actor may see that were transferred (移交)
/// and have no feedback yet, by JCBH.
pub fn transfers_awaiting_feedback(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
) -> Result<Vec<AwaitingTransfer>, ServiceError> {
    let mut out = Vec::new();
    for (jcbh, xzqdm, stored) in store.batch_answers(batch)? {
        let visible = RegionCode::parse(&xzqdm).is_ok_and(|r| actor.may(Op::ReadPatches, r));
        if !visible {
            continue;
        }
        let answer = parse_answer(&stored.answer, &jcbh)?;
        if let Some(t) = answer
            .transfer
            .filter(weipian_domain::determination::Transfer::awaiting_feedback)
        {
            out.push(AwaitingTransfer {
                jcbh,
                parcel: stored.part,
                xzqdm,
                receiver: t.receiver,
                date: t.date,
                document: t.document,
            });
        }
    }
    Ok(out)
}
