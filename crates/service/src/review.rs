//! The review chain (县 → 市 → 省 → 部) for an actor: submit, pass,
//! return, send up, report — one patch or many at once — and the queue of
//! what awaits the actor.
//!
//! The order and who takes which step are the domain's
//! ([`weipian_domain::review::Review::apply`]); here: scope (a patch
//! outside the actor's region is "not found"), the county's answers being
//! complete before it submits, versions (a step decided on a stale state is
//! refused), and the log and audit records. A bulk action applies what it
//! can and lists every patch it did not act on with the reason.

use serde::Serialize;
use weipian_domain::access::{Actor, Op, Role};
use weipian_domain::review::{LastReturn, Review, ReviewAction, ReviewState};
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{NewAudit, ReviewChange, Store, StoredPatch};

use crate::answers::{get_parcel_answers, get_part_answer};
use crate::ServiceError;

/// One step as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepView {
    pub at: String,
    pub action: String,
    pub action_name: String,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub role: String,
    pub region: String,
    pub opinion: Option<String>,
}

/// A patch's place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewView {
    pub jcbh: String,
    /// `county`, `city`, `city_passed`, `province`, `province_passed`, `reported`.
    pub state: String,
    pub state_name: String,
    /// 市级退回次数
    pub city_returns: u32,
    /// 省级退回次数
    pub province_returns: u32,
    /// The return the county has to answer.
    pub last_return: Option<LastReturn>,
    /// Whose move it is (role code), none once reported.
    pub awaiting: Option<String>,
    /// 0 before the first step.
    pub version: i64,
    pub steps: Vec<StepView>,
}

/// What a (bulk) action did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActOutcome {
    /// The patches acted on, with their new state.
    pub done: Vec<Done>,
    /// The patches not acted on, each with the reason.
    pub refused: Vec<Refused>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Done {
    pub jcbh: String,
    pub state: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub jcbh: String,
    /// `not_found`, `forbidden`, `conflict` or `invalid`.
    pub code: String,
    pub reason: String,
}

/// One patch awaiting the actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    pub jcbh: String,
    pub xzqdm: String,
    pub state: String,
    pub state_name: String,
    /// For a returned patch: the return to answer.
    pub last_return: Option<LastReturn>,
}

fn corrupt(jcbh: &str, e: &serde_json::Error) -> ServiceError {
    ServiceError::Store(weipian_store::StoreError::Corrupt(format!(
        "图斑 {jcbh} 的审核记录：{e}"
    )))
}

/// The stored review of a patch and its version (default and 0 when none).
fn current(store: &Store, patch: &StoredPatch) -> Result<(Review, i64), ServiceError> {
    match store.review(patch.id)? {
        None => Ok((Review::default(), 0)),
        Some(s) => Ok((
            serde_json::from_str(&s.review).map_err(|e| corrupt(&patch.jcbh, &e))?,
            s.version,
        )),
    }
}

/// A patch's place in the chain and every step taken (anyone who may read it).
pub fn review(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<ReviewView, ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    let (r, version) = current(store, &patch)?;
    let steps = store
        .review_steps(patch.id)?
        .into_iter()
        .map(|s| StepView {
            action_name: action_name(&s.action).into(),
            at: s.at,
            action: s.action,
            from: s.from_state,
            to: s.to_state,
            actor: s.actor,
            role: s.role,
            region: s.region,
            opinion: s.opinion,
        })
        .collect();
    Ok(ReviewView {
        jcbh: jcbh.into(),
        state: r.state.code().into(),
        state_name: r.state.name_zh().into(),
        city_returns: r.city_returns,
        province_returns: r.province_returns,
        awaiting: r.awaiting().map(|x| x.code().to_string()),
        last_return: r.last_return,
        version,
        steps,
    })
}

fn action_name(code: &str) -> &'static str {
    match code {
        "submit" => "县级上报",
        "pass" => "审核通过",
        "return" => "退回",
        "submit_to_province" => "市级上报",
        "report" => "报部",
        _ => "其他",
    }
}

/// Why the county cannot submit yet: its answers (of the patch, or of every
/// 地块) must be complete as they stand now.
fn incomplete(
    store: &Store,
    actor: &Actor,
    patch: &StoredPatch,
) -> Result<Option<String>, ServiceError> {
    let parts = get_parcel_answers(store, actor, &patch.batch, &patch.jcbh)?;
    let views = if parts.is_empty() {
        vec![get_part_answer(store, actor, &patch.batch, &patch.jcbh, 0)?]
    } else {
        parts
    };
    let mut why = Vec::new();
    for v in views {
        let label = crate::answers::part_label(&v.jcbh, v.parcel);
        if v.answer.is_none() {
            why.push(format!("{label} 尚未填报"));
        } else if !v.complete {
            let fields: Vec<String> = v.errors.iter().map(|e| e.message.clone()).collect();
            why.push(format!("{label} 填报未完成：{}", fields.join("；")));
        }
    }
    Ok((!why.is_empty()).then(|| why.join("；")))
}

/// Take `action` on each of `jcbhs` as `actor`. With `based_on` (one patch),
/// the step is refused when the patch's review version is no longer that.
pub fn act(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbhs: &[String],
    action: &ReviewAction,
    based_on: Option<i64>,
) -> Result<ActOutcome, ServiceError> {
    if based_on.is_some() && jcbhs.len() != 1 {
        return Err(ServiceError::Invalid(
            "based_on 只用于单个图斑的审核".into(),
        ));
    }
    let mut out = ActOutcome::default();
    let mut changes = Vec::new();
    let mut labels = Vec::new();
    let refuse = |out: &mut ActOutcome, jcbh: &str, e: ServiceError| {
        let code = match &e {
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Denied(_) => "forbidden",
            ServiceError::Conflict { .. } => "conflict",
            _ => "invalid",
        };
        out.refused.push(Refused {
            jcbh: jcbh.into(),
            code: code.into(),
            reason: e.to_string(),
        });
    };
    for jcbh in jcbhs {
        let patch = match crate::scope::visible_patch(store, actor, batch, jcbh) {
            Ok(p) => p,
            Err(e) => {
                refuse(&mut out, jcbh, e);
                continue;
            }
        };
        let (mut r, version) = current(store, &patch)?;
        if let Some(v) = based_on.filter(|v| *v != version) {
            refuse(
                &mut out,
                jcbh,
                ServiceError::Conflict {
                    message: format!(
                        "图斑 {jcbh} 的审核状态已变化（当前版本 {version}，您基于版本 {v}：{}），请刷新",
                        r.state.name_zh()
                    ),
                    current_version: version,
                    changed_fields: Vec::new(),
                },
            );
            continue;
        }
        let from = r.state;
        if let Err(e) = r.apply(action, actor.role) {
            let denied = !takes(action, actor.role);
            refuse(
                &mut out,
                jcbh,
                if denied {
                    ServiceError::Denied(e.0)
                } else {
                    ServiceError::Invalid(e.0)
                },
            );
            continue;
        }
        if matches!(action, ReviewAction::Submit) {
            if let Some(why) = incomplete(store, actor, &patch)? {
                refuse(
                    &mut out,
                    jcbh,
                    ServiceError::Invalid(format!("不能上报：{why}")),
                );
                continue;
            }
        }
        if matches!(action, ReviewAction::Pass { .. }) {
            let open = store.open_flag_count(patch.id)?;
            if open > 0 {
                refuse(
                    &mut out,
                    jcbh,
                    ServiceError::Invalid(format!(
                        "图斑有 {open} 个未认定的内业审核疑点（疑似问题图斑），须先逐个认定（属实或排除）"
                    )),
                );
                continue;
            }
        }
        let review = serde_json::to_string(&r).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        changes.push(ReviewChange {
            patch_id: patch.id,
            state: r.state.code().into(),
            review,
            based_on: version,
            action: action.code().into(),
            from_state: from.code().into(),
            role: actor.role.code().into(),
            opinion: action.opinion().map(str::to_string),
            audit: NewAudit {
                actor: actor.user.clone(),
                region: actor.scope.code(),
                action: format!("review.{}", action.code()),
                target: format!("{}/{}/{jcbh}", batch.year, batch.name),
                before: Some(from.code().into()),
                after: Some(r.state.code().into()),
                reason: action.opinion().map(str::to_string),
            },
        });
        labels.push((jcbh.clone(), r.state));
    }
    let saved = store.save_reviews(&changes)?;
    let mut submitted = Vec::new();
    for ((jcbh, state), result) in labels.into_iter().zip(saved) {
        match result {
            Ok(version) => {
                if matches!(action, ReviewAction::Submit) {
                    submitted.push(jcbh.clone());
                }
                out.done.push(Done {
                    jcbh,
                    state: state.code().into(),
                    version,
                });
            }
            Err(e) => refuse(&mut out, &jcbh, e.into()),
        }
    }
    // The desk-review rules run on every submission.
    let mut hashes: Option<crate::desk::RunContext> = None;
    for jcbh in submitted {
        let Some(patch) = store.patch(batch, &jcbh)? else {
            continue;
        };
        if hashes.is_none() {
            hashes = Some(crate::desk::RunContext::load(store, &patch.xzqdm)?);
        }
        if let Some(h) = hashes.as_ref() {
            crate::desk::run_on(
                store,
                &patch,
                h,
                "内业审核规则（上报时）",
                &actor.scope.code(),
                None,
            )?;
        }
    }
    Ok(out)
}

/// Is `action` ever `role`'s to take? (If not, a refusal is "forbidden";
/// otherwise the patch is not in the state for it.)
fn takes(action: &ReviewAction, role: Role) -> bool {
    match action {
        ReviewAction::Submit => role == Role::CountyFiller,
        ReviewAction::Pass { .. } | ReviewAction::Return { .. } => {
            matches!(role, Role::CityReviewer | Role::ProvinceReviewer)
        }
        ReviewAction::SubmitToProvince => role == Role::CityReviewer,
        ReviewAction::Report => role == Role::ProvinceReviewer,
    }
}

/// The states in which a patch awaits `role`.
fn awaited_states(role: Role) -> &'static [&'static str] {
    match role {
        Role::CountyFiller => &["county"],
        Role::CityReviewer => &["city", "city_passed"],
        Role::ProvinceReviewer => &["province", "province_passed"],
        _ => &[],
    }
}

/// The patches of a batch awaiting `actor`'s move, within its region, by JCBH:
/// for a county, everything with it (to fill, or returned); for a city or a
/// province, what was submitted to it and what it passed but has not sent on.
pub fn queue(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
) -> Result<Vec<QueueItem>, ServiceError> {
    let states = awaited_states(actor.role);
    if states.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (id, jcbh, xzqdm, state) in store.patches_in_review_states(batch, states)? {
        let inside = RegionCode::parse(&xzqdm).is_ok_and(|r| actor.may(Op::ReadPatches, r));
        if !inside {
            continue;
        }
        let last_return = match store.review(id)? {
            Some(s) => {
                serde_json::from_str::<Review>(&s.review)
                    .map_err(|e| corrupt(&jcbh, &e))?
                    .last_return
            }
            None => None,
        };
        let st = ReviewState::parse(&state).unwrap_or_default();
        out.push(QueueItem {
            jcbh,
            xzqdm,
            state: st.code().into(),
            state_name: st.name_zh().into(),
            last_return,
        });
    }
    Ok(out)
}

/// Pass every patch submitted to `actor`'s level within its region (a city
/// or province reviewer). Desk-review flags, once raised, will hold their
/// patches back.
pub fn pass_all(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    opinion: Option<String>,
) -> Result<ActOutcome, ServiceError> {
    let state = match actor.role {
        Role::CityReviewer => "city",
        Role::ProvinceReviewer => "province",
        _ => {
            return Err(ServiceError::Denied(format!(
                "{}不能批量审核通过",
                actor.role
            )))
        }
    };
    let jcbhs: Vec<String> = queue(store, actor, batch)?
        .into_iter()
        .filter(|q| q.state == state)
        .map(|q| q.jcbh)
        .collect();
    act(
        store,
        actor,
        batch,
        &jcbhs,
        &ReviewAction::Pass { opinion },
        None,
    )
}
