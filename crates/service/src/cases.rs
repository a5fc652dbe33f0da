//! Cases (违法行为): opened by the county on its illegal patches, moved
//! through their stages by events the domain checks for order
//! ([`weipian_domain::case::Case::apply`]), versioned and audited.
//!
//! Who may do what: the county filler of the case's county records every
//! stage, rectification, party and progress report; putting a case under
//! listed supervision (挂牌督办) and marking it for public notice (公开通报)
//! belong to the province and the Ministry. Upper levels read their subtree.

use serde::Serialize;
use weipian_domain::access::{Actor, Op, Role};
use weipian_domain::case::{Case, CaseEvent};
use weipian_domain::determination::{Answer, CodeTable, Legality};
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{CaseRow, NewAudit, Store};

use crate::ServiceError;

/// A case as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    pub id: i64,
    pub county: String,
    pub stage: String,
    pub version: i64,
    /// `YEAR/BATCH/JCBH` of each linked patch.
    pub patches: Vec<String>,
    pub case: Case,
    pub updated_at: String,
    pub updated_by: String,
}

fn corrupt(id: i64, e: &serde_json::Error) -> ServiceError {
    ServiceError::Store(weipian_store::StoreError::Corrupt(format!(
        "案件 {id} 的记录：{e}"
    )))
}

/// Open a case on illegal patches — or 地块 of split patches, written
/// `JCBH-n` — of one county (the county filler).
pub fn open_case(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    number: &str,
    jcbhs: &[String],
) -> Result<CaseView, ServiceError> {
    if number.trim().is_empty() {
        return Err(ServiceError::Invalid("违法行为编号必填".into()));
    }
    if jcbhs.is_empty() {
        return Err(ServiceError::Invalid("案件须关联至少一个违法图斑".into()));
    }
    let table = CodeTable::embedded(batch.year)
        .ok_or_else(|| ServiceError::Invalid(format!("没有 {} 年的判定类型代码表", batch.year)))?;
    let mut ids = Vec::new();
    let mut county: Option<String> = None;
    let mut problems = Vec::new();
    for label in jcbhs {
        let missing = || ServiceError::NotFound(format!("批次 {batch} 的图斑 {label}"));
        let (patch, part) = match store.patch(batch, label)? {
            Some(p) => (p, 0),
            None => {
                // `JCBH-n`: 地块 n of a split patch.
                let (jcbh, n) = label.rsplit_once('-').ok_or_else(missing)?;
                let n: u32 = n.parse().map_err(|_| missing())?;
                let p = store.patch(batch, jcbh)?.ok_or_else(missing)?;
                (p, n)
            }
        };
        let jcbh = label;
        let region = RegionCode::parse(&patch.xzqdm).map_err(|_| missing())?;
        if !actor.may(Op::ReadPatches, region) {
            return Err(missing());
        }
        if !actor.may(Op::Determine, region) {
            return Err(ServiceError::Denied(format!(
                "{}不能立案（由县级办理）",
                actor.role
            )));
        }
        if county.as_deref().is_some_and(|c| c != patch.xzqdm) {
            problems.push(format!(
                "{jcbh} 属于 {}，案件的图斑须属于同一县",
                patch.xzqdm
            ));
        }
        county.get_or_insert_with(|| patch.xzqdm.clone());
        let parcels = store.parcels(patch.id)?;
        if part > 0 && !parcels.iter().any(|d| d.no == part) {
            return Err(missing());
        }
        if part == 0 && !parcels.is_empty() {
            problems.push(format!(
                "{jcbh} 已拆分为 {} 个地块，请按地块立案（{jcbh}-1 等）",
                parcels.len()
            ));
            continue;
        }
        let illegal = store
            .answer(patch.id, part)?
            .and_then(|a| serde_json::from_str::<Answer>(&a.answer).ok())
            .and_then(|a| {
                table
                    .categories(patch.kind)
                    .iter()
                    .find(|c| c.code == a.category)
                    .map(|c| c.legality)
            })
            == Some(Legality::Illegal);
        if !illegal {
            problems.push(format!("{jcbh} 未判定为违法"));
        }
        ids.push((patch.id, part));
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(format!(
            "不能立案：{}",
            problems.join("；")
        )));
    }
    let county = county.unwrap_or_default();
    let case = Case::new(number);
    let record = serde_json::to_string(&case).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "case.open".into(),
        target: format!("case/{county}/{}", case.number),
        before: None,
        after: Some(record.clone()),
        reason: None,
    };
    let id = store.create_case(&county, &case.number, &record, &ids, &audit)?;
    get_case(store, actor, id)
}

/// A case the actor may see, or NotFound.
pub fn get_case(store: &Store, actor: &Actor, id: i64) -> Result<CaseView, ServiceError> {
    let missing = || ServiceError::NotFound(format!("案件 {id}"));
    let row = store.case(id)?.ok_or_else(missing)?;
    if !visible(actor, &row) {
        return Err(missing());
    }
    view(store, row)
}

/// The cases of a batch the actor may see (those of the counties in its
/// scope), by id.
pub fn list_cases(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
) -> Result<Vec<CaseView>, ServiceError> {
    if !actor.may_at_all(Op::ReadPatches) {
        return Err(ServiceError::Denied(format!("{}不能查看案件", actor.role)));
    }
    store
        .cases_of_batch(batch)?
        .into_iter()
        .filter(|row| visible(actor, row))
        .map(|row| view(store, row))
        .collect()
}

fn visible(actor: &Actor, row: &CaseRow) -> bool {
    RegionCode::parse(&row.county).is_ok_and(|c| actor.may(Op::ReadPatches, c))
}

fn view(store: &Store, row: CaseRow) -> Result<CaseView, ServiceError> {
    let case: Case = serde_json::from_str(&row.record).map_err(|e| corrupt(row.id, &e))?;
    // Never names a patch of the military-land register.
    let patches = store.case_patch_labels(row.id)?;
    Ok(CaseView {
        id: row.id,
        county: row.county,
        stage: case.stage_zh().into(),
        version: row.version,
        patches,
        case,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
    })
}

/// Record an event on a case, based on the version the caller saw.
pub fn apply_event(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    event: &CaseEvent,
    based_on: i64,
) -> Result<CaseView, ServiceError> {
    let view = get_case(store, actor, id)?;
    let county = RegionCode::parse(&view.county)
        .map_err(|_| ServiceError::NotFound(format!("案件 {id}")))?;
    let upper = matches!(event, CaseEvent::Supervise(_) | CaseEvent::PublicNotice);
    let allowed = if upper {
        matches!(actor.role, Role::ProvinceReviewer | Role::Ministry)
    } else {
        actor.may(Op::Determine, county)
    };
    if !allowed {
        return Err(ServiceError::Denied(if upper {
            "挂牌督办和公开通报由省级或部级决定".to_string()
        } else {
            format!("{}不能办理案件（由县级办理）", actor.role)
        }));
    }
    // An event decided on a stale version is refused as such, whatever it is.
    if view.version != based_on {
        return Err(stale(&view, based_on));
    }
    let mut case = view.case.clone();
    case.apply(event)
        .map_err(|e| ServiceError::Invalid(format!("案件 {}：{e}", case.number)))?;
    if let CaseEvent::Rectify(r) = event {
        check_rectification_photos(store, id, r)
            .map_err(|e| ServiceError::Invalid(format!("案件 {}：{e}", case.number)))?;
    }
    let record = serde_json::to_string(&case).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "case.event".into(),
        target: format!("case/{}/{}", view.county, case.number),
        before: serde_json::to_string(&view.case).ok(),
        after: Some(
            serde_json::to_string(event).map_err(|e| ServiceError::Invalid(e.to_string()))?,
        ),
        reason: None,
    };
    match store.update_case(id, &record, based_on, &audit) {
        Ok(_) => get_case(store, actor, id),
        Err(weipian_store::StoreError::Conflict { version, by, at }) => {
            Err(conflict(&case.number, &by, &at, version, based_on))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every photo of a rectification is a photo attached to one of the case's
/// patches, with its capture time (EXIF), taken on or after the measure's date.
fn check_rectification_photos(
    store: &Store,
    case_id: i64,
    r: &weipian_domain::case::Rectification,
) -> Result<(), String> {
    let patch_ids = store
        .case(case_id)
        .map_err(|e| e.to_string())?
        .map(|c| c.patch_ids)
        .unwrap_or_default();
    let mut attached = Vec::new();
    for id in patch_ids {
        attached.extend(store.attachments(id).map_err(|e| e.to_string())?);
    }
    let mut problems = Vec::new();
    for sha in &r.photos {
        let short = sha.get(..12).unwrap_or(sha);
        let Some(a) = attached.iter().find(|a| a.sha256 == *sha) else {
            problems.push(format!("照片 {short}… 不是本案图斑的附件（先上传照片）"));
            continue;
        };
        if !a.media_type.starts_with("image/") {
            problems.push(format!("附件 {} 不是照片", a.file_name));
            continue;
        }
        match a.photo.taken_at.as_deref().and_then(|t| t.get(..10)) {
            None => problems.push(format!(
                "照片 {} 没有拍摄时间（EXIF），不能作为整改现场照片",
                a.file_name
            )),
            Some(day) if day < r.date.as_str() => problems.push(format!(
                "照片 {} 拍摄于 {day}，早于整改日期 {}",
                a.file_name, r.date
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("；"))
    }
}

fn stale(view: &CaseView, based_on: i64) -> ServiceError {
    conflict(
        &view.case.number,
        &view.updated_by,
        &view.updated_at,
        view.version,
        based_on,
    )
}

fn conflict(number: &str, by: &str, at: &str, version: i64, based_on: i64) -> ServiceError {
    ServiceError::Conflict {
        message: format!(
            "案件 {number} 已被 {by} 于 {at} 修改（当前版本 {version}，您基于版本 {based_on}），请刷新后重试"
        ),
        current_version: version,
        changed_fields: Vec::new(),
    }
}
