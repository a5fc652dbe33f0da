//! The review chain over a real store, with users of two counties, their
//! city and the province: submission, returns, passes, the report to the
//! Ministry, bulk actions, the county's lock, scope and stale versions.

use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::review::ReviewAction;
use weipian_domain::RegionCode;
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::review::{act, pass_all, queue, review};
use weipian_service::{evidence, ServiceError};

mod common;
use common::*;

fn actor(role: Role, region: &str) -> Actor {
    Actor::new(
        &format!("{}-{region}", role.code()),
        Scope::Region(RegionCode::parse(region).unwrap()),
        role,
    )
    .unwrap()
}

fn illegal(area: f64) -> Answer {
    Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        basis: "现场核实：未经批准建设厂房".into(),
        actual_use: Some("厂房".into()),
        illegal_area_m2: Some(area),
        illegal_cultivated_m2: Some(0.0),
        illegal_basic_farmland_m2: Some(0.0),
        new_construction_m2: Some(area),
        new_construction_cultivated_m2: Some(0.0),
        ..Answer::default()
    }
}

/// Answer `jcbh` completely (with a photo taken at (lon, lat)) as the county.
fn answer(e: &mut Env, county: &Actor, jcbh: &str, (lon, lat): (f64, f64), based_on: Option<i64>) {
    let photo = weipian_demo::photo::jpeg_with_exif(lon, lat, "2020:04:02 10:00:00", 90, 7);
    evidence::attach(&mut e.store, county, &batch(), jcbh, "现场.jpg", &photo).unwrap();
    let v = save_answer(
        &mut e.store,
        county,
        &SaveAnswer {
            batch: batch(),
            jcbh: jcbh.into(),
            answer: illegal(100.0),
            based_on,
            reason: None,
        },
    )
    .unwrap();
    assert!(v.complete, "{:?}", v.errors);
}

fn one(j: &str) -> Vec<String> {
    vec![j.to_string()]
}

fn pass() -> ReviewAction {
    ReviewAction::Pass { opinion: None }
}

fn ret(reason: &str) -> ReviewAction {
    ReviewAction::Return {
        reason: reason.into(),
    }
}

const A: &str = "510104TD200001";
const B: &str = "510105TD200001";

#[test]
fn the_whole_chain_with_a_return_from_each_level() {
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let city = actor(Role::CityReviewer, "510100");
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let b = batch();

    // Nothing to submit yet: every missing piece is named.
    let o = act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    assert!(o.done.is_empty());
    assert!(o.refused[0].reason.contains("尚未填报"), "{o:?}");
    answer(&mut e, &jinjiang, A, (104.0601, 30.6101), None);
    let o = act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    assert_eq!(o.done[0].state, "city", "{o:?}");

    // Submitted: the county can no longer change the answer (evidence may still come).
    let err = save_answer(
        &mut e.store,
        &jinjiang,
        &SaveAnswer {
            batch: b.clone(),
            jcbh: A.into(),
            answer: illegal(90.0),
            based_on: Some(1),
            reason: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("已上报"), "{err}");

    // The city returns it with a reason; the county fixes and resubmits.
    act(
        &mut e.store,
        &city,
        &b,
        &one(A),
        &ret("违法面积与照片不符"),
        None,
    )
    .unwrap();
    let q = queue(&e.store, &jinjiang, &b).unwrap();
    let mine = q.iter().find(|x| x.jcbh == A).unwrap();
    assert_eq!(
        mine.last_return.as_ref().unwrap().reason,
        "违法面积与照片不符"
    );
    save_answer(
        &mut e.store,
        &jinjiang,
        &SaveAnswer {
            batch: b.clone(),
            jcbh: A.into(),
            answer: illegal(90.0),
            based_on: Some(1),
            reason: Some("按市级意见更正面积".into()),
        },
    )
    .unwrap();
    act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    // City passes and sends up; the province returns; round again.
    for (who, a) in [
        (&city, pass()),
        (&city, ReviewAction::SubmitToProvince),
        (&sheng, ret("判定依据说明不充分")),
        (&jinjiang, ReviewAction::Submit),
        (&city, pass()),
        (&city, ReviewAction::SubmitToProvince),
        (
            &sheng,
            ReviewAction::Pass {
                opinion: Some("同意".into()),
            },
        ),
        (&sheng, ReviewAction::Report),
    ] {
        let o = act(&mut e.store, who, &b, &one(A), &a, None).unwrap();
        assert_eq!(o.done.len(), 1, "{a:?}: {o:?}");
    }
    let v = review(&e.store, &city, &b, A).unwrap();
    assert_eq!(
        (v.state.as_str(), v.city_returns, v.province_returns),
        ("reported", 1, 1)
    );
    assert_eq!(v.awaiting, None);
    // Every step: who, when, what, with the opinion.
    let actions: Vec<&str> = v.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "submit",
            "return",
            "submit",
            "pass",
            "submit_to_province",
            "return",
            "submit",
            "pass",
            "submit_to_province",
            "pass",
            "report"
        ]
    );
    assert_eq!(v.steps[1].opinion.as_deref(), Some("违法面积与照片不符"));
    assert_eq!(v.steps[5].actor, "province-510000");
    assert_eq!(v.steps[9].opinion.as_deref(), Some("同意"));
    // And in the audit trail.
    let trail = e
        .store
        .audit_records(Some(&format!("2020/2020Q1/{A}")))
        .unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|r| r.entry.action.starts_with("review."))
            .count(),
        11
    );
}

#[test]
fn out_of_order_out_of_scope_or_by_the_wrong_role_is_refused_per_patch() {
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let b = batch();
    answer(&mut e, &jinjiang, A, (104.0601, 30.6101), None);
    // Another county's clerk, another city's reviewer: not found.
    for who in [
        actor(Role::CountyFiller, "510105"),
        actor(Role::CityReviewer, "510300"),
    ] {
        let o = act(&mut e.store, &who, &b, &one(A), &ReviewAction::Submit, None).unwrap();
        assert_eq!(o.refused[0].code, "not_found", "{o:?}");
    }
    // The desk reviewer and the Ministry never take these steps.
    for who in [
        actor(Role::DeskReviewer, "510000"),
        Actor::new("bu", Scope::National, Role::Ministry).unwrap(),
    ] {
        let o = act(&mut e.store, &who, &b, &one(A), &pass(), None).unwrap();
        assert_eq!(o.refused[0].code, "forbidden", "{o:?}");
    }
    // The city cannot pass what was not submitted.
    let city = actor(Role::CityReviewer, "510100");
    let o = act(&mut e.store, &city, &b, &one(A), &pass(), None).unwrap();
    assert_eq!(o.refused[0].code, "invalid", "{o:?}");
    assert!(o.refused[0].reason.contains("没有待审核"), "{o:?}");
    // A step decided on a stale state.
    act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    let o = act(&mut e.store, &city, &b, &one(A), &ret("x"), Some(0)).unwrap();
    assert_eq!(o.refused[0].code, "conflict", "{o:?}");
    let o = act(&mut e.store, &city, &b, &one(A), &ret("x"), Some(1)).unwrap();
    assert_eq!(o.done.len(), 1, "{o:?}");
    // A return needs its reason.
    act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    let o = act(&mut e.store, &city, &b, &one(A), &ret(" "), None).unwrap();
    assert!(o.refused[0].reason.contains("原因"), "{o:?}");
}

#[test]
fn bulk_actions_apply_what_they_can_and_list_the_rest() {
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let qingyang = actor(Role::CountyFiller, "510105");
    let city = actor(Role::CityReviewer, "510100");
    let b = batch();
    answer(&mut e, &jinjiang, A, (104.0601, 30.6101), None);
    answer(
        &mut e,
        &jinjiang,
        "510104TD200002",
        (104.0641, 30.6101),
        None,
    );
    answer(&mut e, &qingyang, B, (104.0001, 30.6501), None);
    // One bulk submission: two go up, the unanswered one is listed.
    let all: Vec<String> = ["510104TD200001", "510104TD200002", "510104TD200003"]
        .iter()
        .map(ToString::to_string)
        .collect();
    let o = act(
        &mut e.store,
        &jinjiang,
        &b,
        &all,
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    assert_eq!(o.done.len(), 2, "{o:?}");
    assert_eq!(o.refused.len(), 1);
    assert_eq!(o.refused[0].jcbh, "510104TD200003");
    act(
        &mut e.store,
        &qingyang,
        &b,
        &one(B),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    // The city's queue holds both counties' submissions; it passes them all.
    let q = queue(&e.store, &city, &b).unwrap();
    assert_eq!(q.len(), 3, "{q:?}");
    let o = pass_all(&mut e.store, &city, &b, Some("抽查无误".into())).unwrap();
    assert_eq!(o.done.len(), 3, "{o:?}");
    assert!(o.done.iter().all(|d| d.state == "city_passed"));
    // Return a selection with one reason.
    let two = vec![A.to_string(), B.to_string()];
    let o = act(&mut e.store, &city, &b, &two, &ret("照片无拍摄方向"), None).unwrap();
    assert_eq!(o.done.len(), 2, "{o:?}");
    for (who, j) in [(&jinjiang, A), (&qingyang, B)] {
        let v = review(&e.store, who, &b, j).unwrap();
        assert_eq!((v.state.as_str(), v.city_returns), ("county", 1));
    }
    // Only reviewers pass in bulk.
    assert!(matches!(
        pass_all(&mut e.store, &jinjiang, &b, None),
        Err(ServiceError::Denied(_))
    ));
}

#[test]
fn a_split_patch_is_submitted_when_every_part_is_complete() {
    use geo::BooleanOps;
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let b = batch();
    let whole = e.store.patch(&b, A).unwrap().unwrap().geometry;
    let cut = |x0: f64, x1: f64| {
        whole.intersection(&geo_types::MultiPolygon(vec![rect(x0, 30.6, x1, 30.62)]))
    };
    weipian_service::parcels::split(
        &mut e.store,
        &jinjiang,
        &weipian_service::parcels::Split {
            batch: b.clone(),
            jcbh: A.into(),
            source: "t".into(),
            parts: vec![cut(104.058, 104.06), cut(104.06, 104.062)],
            discard_answers: false,
            reason: None,
        },
    )
    .unwrap();
    let photo =
        weipian_demo::photo::jpeg_with_exif(104.0601, 30.6101, "2020:04:02 10:00:00", 90, 7);
    evidence::attach(&mut e.store, &jinjiang, &b, A, "现场.jpg", &photo).unwrap();
    let req = SaveAnswer {
        batch: b.clone(),
        jcbh: A.into(),
        answer: illegal(10.0),
        based_on: None,
        reason: None,
    };
    weipian_service::answers::save_part_answer(&mut e.store, &jinjiang, &req, 1).unwrap();
    let o = act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    assert!(
        o.refused[0].reason.contains(&format!("{A}-2 尚未填报")),
        "{o:?}"
    );
    weipian_service::answers::save_part_answer(&mut e.store, &jinjiang, &req, 2).unwrap();
    let o = act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    assert_eq!(o.done.len(), 1, "{o:?}");
    // Submitted: no re-split.
    let err =
        weipian_service::parcels::unsplit(&mut e.store, &jinjiang, &b, A, true, None).unwrap_err();
    assert!(err.to_string().contains("已上报"), "{err}");
}

#[test]
fn a_province_reviewer_overrides_an_answer_with_a_reason_seen_by_every_level() {
    use weipian_service::answers::{get_answer, override_answer};
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let city = actor(Role::CityReviewer, "510100");
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let b = batch();
    answer(&mut e, &jinjiang, A, (104.0601, 30.6101), None);
    act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    // Up the chain, the county cannot change it; the province can, with a reason.
    let req = |area: f64, based_on| SaveAnswer {
        batch: b.clone(),
        jcbh: A.into(),
        answer: illegal(area),
        based_on,
        reason: None,
    };
    for who in [&jinjiang, &city] {
        let err =
            override_answer(&mut e.store, who, &req(80.0, Some(1)), 0, "外业核查结果").unwrap_err();
        assert!(matches!(err, ServiceError::Denied(_)), "{err}");
    }
    let zhejiang = actor(Role::ProvinceReviewer, "330000");
    let err = override_answer(&mut e.store, &zhejiang, &req(80.0, Some(1)), 0, "x").unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    let err = override_answer(&mut e.store, &sheng, &req(80.0, Some(1)), 0, "  ").unwrap_err();
    assert!(err.to_string().contains("原因"), "{err}");
    let v = override_answer(
        &mut e.store,
        &sheng,
        &req(80.0, Some(1)),
        0,
        "外业核查：违法面积为 80 平方米",
    )
    .unwrap();
    assert_eq!(v.version, 2);
    // Every level sees it as an override, by whom and why.
    for who in [&jinjiang, &city, &sheng] {
        let got = get_answer(&e.store, who, &b, A).unwrap();
        assert_eq!(
            got.override_reason.as_deref(),
            Some("外业核查：违法面积为 80 平方米")
        );
        assert_eq!(got.updated_by.as_deref(), Some("province-510000"));
        assert_eq!(got.answer.unwrap().illegal_area_m2, Some(80.0));
    }
    let trail = e
        .store
        .audit_records(Some(&format!("2020/2020Q1/{A}")))
        .unwrap();
    let o = trail
        .iter()
        .find(|r| r.entry.action == "answer.override")
        .unwrap();
    assert_eq!(
        o.entry.reason.as_deref(),
        Some("外业核查：违法面积为 80 平方米")
    );
    // The review state did not move.
    assert_eq!(review(&e.store, &city, &b, A).unwrap().state, "city");
}

/// The whole chain with several users: two counties, their city, the
/// province (and its technical-support unit), a return, a field check and a
/// province override, up to the report to the Ministry; the audit chain
/// holds at the end.
#[test]
fn two_counties_a_city_and_the_province_through_the_whole_chain() {
    use weipian_service::answers::override_answer;
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let qingyang = actor(Role::CountyFiller, "510105");
    let city = actor(Role::CityReviewer, "510100");
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let unit = actor(Role::DeskReviewer, "510000");
    let b = batch();
    answer(&mut e, &jinjiang, A, (104.0601, 30.6101), None);
    answer(&mut e, &qingyang, B, (104.0001, 30.6501), None);
    act(
        &mut e.store,
        &jinjiang,
        &b,
        &one(A),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    act(
        &mut e.store,
        &qingyang,
        &b,
        &one(B),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    // The city returns 青羊区's patch; the county corrects and resubmits.
    act(
        &mut e.store,
        &city,
        &b,
        &one(B),
        &ret("违法面积需按实测更正"),
        None,
    )
    .unwrap();
    let fixed = SaveAnswer {
        batch: b.clone(),
        jcbh: B.into(),
        answer: illegal(95.0),
        based_on: Some(1),
        reason: Some("按实测更正".into()),
    };
    save_answer(&mut e.store, &qingyang, &fixed).unwrap();
    act(
        &mut e.store,
        &qingyang,
        &b,
        &one(B),
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    // The city passes both and sends them up.
    let both = vec![A.to_string(), B.to_string()];
    let o = pass_all(&mut e.store, &city, &b, Some("同意".into())).unwrap();
    assert_eq!(o.done.len(), 2, "{o:?}");
    act(
        &mut e.store,
        &city,
        &b,
        &both,
        &ReviewAction::SubmitToProvince,
        None,
    )
    .unwrap();
    // The province has 锦江区's patch checked in the field and corrects it itself.
    let c = weipian_service::field::assign(&mut e.store, &sheng, &b, &one(A)).unwrap();
    weipian_service::field::complete(&mut e.store, &unit, c[0].id, "实测违法面积 80 平方米", None)
        .unwrap();
    let corrected = SaveAnswer {
        batch: b.clone(),
        jcbh: A.into(),
        answer: illegal(80.0),
        based_on: Some(1),
        reason: None,
    };
    override_answer(
        &mut e.store,
        &sheng,
        &corrected,
        0,
        "据外业核查更正违法面积",
    )
    .unwrap();
    let o = pass_all(&mut e.store, &sheng, &b, None).unwrap();
    assert_eq!(o.done.len(), 2, "{o:?}");
    let o = act(&mut e.store, &sheng, &b, &both, &ReviewAction::Report, None).unwrap();
    assert_eq!(o.done.len(), 2, "{o:?}");
    let va = review(&e.store, &city, &b, A).unwrap();
    let vb = review(&e.store, &city, &b, B).unwrap();
    assert_eq!(
        (va.state.as_str(), vb.state.as_str()),
        ("reported", "reported")
    );
    assert_eq!((va.city_returns, vb.city_returns), (0, 1));
    let a_now = weipian_service::answers::get_answer(&e.store, &jinjiang, &b, A).unwrap();
    assert_eq!(
        a_now.override_reason.as_deref(),
        Some("据外业核查更正违法面积")
    );
    assert!(e.store.verify_audit().unwrap().first_bad.is_none());
}
