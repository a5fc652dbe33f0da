//! Deadlines, snapshots and extensions over a real store (2020 schedule,
//! batch 2020Q1 in 成都).

use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::RegionCode;
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::schedule::{decide_extension, request_extension, snapshot, status};
use weipian_service::{desk, review, ServiceError};

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

fn day(s: &str) -> time::Date {
    weipian_domain::determination::parse_date(s).unwrap()
}

const A: &str = "510104TD200001";

fn answer(e: &mut Env, area: f64, based_on: Option<i64>) {
    let clerk = actor(Role::CountyFiller, "510104");
    save_answer(
        &mut e.store,
        &clerk,
        &SaveAnswer {
            batch: batch(),
            jcbh: A.into(),
            answer: Answer {
                category: "WF".into(),
                sub: Some("WF01".into()),
                basis: "现场核实".into(),
                illegal_area_m2: Some(area),
                ..Answer::default()
            },
            based_on,
            reason: None,
        },
    )
    .unwrap();
}

#[test]
fn what_is_due_from_whom_and_what_is_overdue() {
    let mut e = env_two_counties();
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let items = status(&mut e.store, &sheng, 2020, day("2020-04-20")).unwrap();
    let q1 = items
        .iter()
        .find(|i| i.deadline == "2020Q1-report")
        .unwrap();
    assert_eq!((q1.region.as_str(), q1.total, q1.pending), ("510000", 4, 4));
    assert_eq!((q1.days_left, q1.overdue, q1.snapshot), (10, false, None));
    let city = items.iter().find(|i| i.deadline == "2020H1-city").unwrap();
    assert_eq!(
        (city.region.as_str(), city.due.as_str()),
        ("510100", "2020-07-20")
    );
    // A county sees only its own patches counted.
    let clerk = actor(Role::CountyFiller, "510104");
    let mine = status(&mut e.store, &clerk, 2020, day("2020-04-20")).unwrap();
    assert_eq!(
        mine.iter()
            .find(|i| i.deadline == "2020Q1-report")
            .unwrap()
            .total,
        3
    );
    // Past the date with patches not reported: overdue.
    let later = status(&mut e.store, &sheng, 2020, day("2020-05-02")).unwrap();
    let q1 = later
        .iter()
        .find(|i| i.deadline == "2020Q1-report")
        .unwrap();
    assert!(q1.overdue && q1.days_left == -2, "{q1:?}");
}

#[test]
fn a_cut_off_freezes_a_snapshot_later_edits_never_change() {
    let mut e = env_two_counties();
    answer(&mut e, 100.0, None);
    let sheng = actor(Role::ProvinceReviewer, "510000");
    // Before the cut-off: nothing frozen. After: frozen once.
    status(&mut e.store, &sheng, 2020, day("2020-04-30")).unwrap();
    assert!(e.store.snapshots(2020).unwrap().is_empty());
    let items = status(&mut e.store, &sheng, 2020, day("2020-05-01")).unwrap();
    let id = items
        .iter()
        .find(|i| i.deadline == "2020Q1-report")
        .unwrap()
        .snapshot
        .unwrap();
    status(&mut e.store, &sheng, 2020, day("2020-05-03")).unwrap();
    assert_eq!(e.store.snapshots(2020).unwrap().len(), 1);
    let frozen = e.store.snapshot_parts(id).unwrap();
    assert_eq!(frozen.len(), 4);
    let a = frozen.iter().find(|p| p.jcbh == A).unwrap().clone();
    assert!(a.answer.as_deref().unwrap().contains("100"));
    // Edits after the cut-off: the snapshot stays, the change is listed.
    answer(&mut e, 90.0, Some(1));
    let clerk = actor(Role::CountyFiller, "510104");
    let photo = weipian_demo::photo::jpeg_with_exif(104.0601, 30.6101, "2020:05:02 10:00:00", 0, 1);
    weipian_service::evidence::attach(&mut e.store, &clerk, &batch(), A, "a.jpg", &photo).unwrap();
    let again = e.store.snapshot_parts(id).unwrap();
    assert_eq!(again, frozen);
    let v = snapshot(&e.store, &sheng, id).unwrap();
    assert_eq!(v.period, "2020年第一季度");
    assert_eq!(v.after_cutoff.len(), 1, "{v:?}");
    assert_eq!(v.after_cutoff[0].jcbh, A);
    assert_eq!(v.after_cutoff[0].batch, "2020/2020Q1");
    assert_eq!(v.after_cutoff[0].frozen.as_deref(), Some("版本 1"));
    // Another province sees nothing of it.
    let other = actor(Role::ProvinceReviewer, "330000");
    assert!(matches!(
        snapshot(&e.store, &other, id),
        Err(ServiceError::NotFound(_))
    ));
}

#[test]
fn an_extension_granted_by_the_level_above_moves_the_date_and_the_cut_off() {
    let mut e = env_two_counties();
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let city = actor(Role::CityReviewer, "510100");
    let clerk = actor(Role::CountyFiller, "510104");
    let q1 = "2020Q1-report";
    // Only the level the deadline is for asks; reasons and a later date.
    assert!(matches!(
        request_extension(
            &mut e.store,
            &clerk,
            2020,
            q1,
            "地震",
            "组织补查",
            day("2020-05-15")
        ),
        Err(ServiceError::Denied(_))
    ));
    let err =
        request_extension(&mut e.store, &sheng, 2020, q1, "", "x", day("2020-05-15")).unwrap_err();
    assert!(err.to_string().contains("原因"), "{err}");
    let err = request_extension(
        &mut e.store,
        &sheng,
        2020,
        q1,
        "地震",
        "补查",
        day("2020-04-01"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("晚于"), "{err}");
    let id = request_extension(
        &mut e.store,
        &sheng,
        2020,
        q1,
        "“4·20”地震导致部分县无法外业核查",
        "已调集技术支撑单位协助",
        day("2020-05-15"),
    )
    .unwrap();
    // The province's extension is the Ministry's to grant: the city cannot
    // see it, the province's own desk may not decide it.
    assert!(matches!(
        decide_extension(&mut e.store, &city, id, true, None),
        Err(ServiceError::NotFound(_))
    ));
    let desk_user = actor(Role::DeskReviewer, "510000");
    assert!(matches!(
        decide_extension(&mut e.store, &desk_user, id, true, None),
        Err(ServiceError::Denied(_))
    ));
    let bu = Actor::new("bu", Scope::National, Role::Ministry).unwrap();
    let x = decide_extension(&mut e.store, &bu, id, true, Some("同意延期")).unwrap();
    assert_eq!(x.status, "granted");
    let items = status(&mut e.store, &sheng, 2020, day("2020-05-10")).unwrap();
    let it = items.iter().find(|i| i.deadline == q1).unwrap();
    assert_eq!(
        (it.due.as_str(), it.extended, it.overdue),
        ("2020-05-15", true, false)
    );
    // No snapshot before the extended date; one after.
    assert!(it.snapshot.is_none());
    let items = status(&mut e.store, &sheng, 2020, day("2020-05-16")).unwrap();
    assert!(items
        .iter()
        .find(|i| i.deadline == q1)
        .unwrap()
        .snapshot
        .is_some());
    // A decided request cannot be decided again.
    assert!(decide_extension(&mut e.store, &bu, id, false, None).is_err());
}

#[test]
fn the_deadline_rule_fires_on_an_incomplete_answer_as_the_date_nears() {
    let mut e = env_two_counties();
    answer(&mut e, 100.0, None); // incomplete: no photo, no basis fields
    let d = actor(Role::DeskReviewer, "510000");
    let rules = |e: &Env| -> Vec<String> {
        desk::flags(&e.store, &d, &batch(), A)
            .unwrap()
            .into_iter()
            .filter(|f| f.status == "open")
            .map(|f| f.rule)
            .collect()
    };
    desk::run(
        &mut e.store,
        &d,
        &batch(),
        Some(&[A.to_string()]),
        day("2020-04-10"),
    )
    .unwrap();
    assert!(!rules(&e).contains(&"R07".to_string()), "{:?}", rules(&e));
    desk::run(
        &mut e.store,
        &d,
        &batch(),
        Some(&[A.to_string()]),
        day("2020-04-27"),
    )
    .unwrap();
    assert!(rules(&e).contains(&"R07".to_string()), "{:?}", rules(&e));
}

#[test]
fn what_awaits_each_user() {
    use weipian_domain::review::ReviewAction;
    use weipian_service::schedule::awaiting;
    let mut e = env_two_counties();
    let clerk = actor(Role::CountyFiller, "510104");
    let city = actor(Role::CityReviewer, "510100");
    // A complete answer on A (with a photo), submitted then returned;
    // TD200002 complete and submitted; TD200003 untouched.
    for (j, lon) in [(A, 104.0601), ("510104TD200002", 104.0641)] {
        let photo = weipian_demo::photo::jpeg_with_exif(lon, 30.6101, "2020:04:02 10:00:00", 0, 1);
        weipian_service::evidence::attach(&mut e.store, &clerk, &batch(), j, "a.jpg", &photo)
            .unwrap();
        save_answer(
            &mut e.store,
            &clerk,
            &SaveAnswer {
                batch: batch(),
                jcbh: j.into(),
                answer: Answer {
                    category: "QT".into(),
                    sub: Some("QT01".into()),
                    basis: "地表无变化".into(),
                    ..Answer::default()
                },
                based_on: None,
                reason: None,
            },
        )
        .unwrap();
    }
    let both = vec![A.to_string(), "510104TD200002".to_string()];
    review::act(
        &mut e.store,
        &clerk,
        &batch(),
        &both,
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    review::act(
        &mut e.store,
        &city,
        &batch(),
        &[A.to_string()],
        &ReviewAction::Return {
            reason: "请补充说明".into(),
        },
        None,
    )
    .unwrap();
    let w = awaiting(&mut e.store, &clerk, &batch(), day("2020-04-25")).unwrap();
    let j = |v: &[weipian_service::schedule::Todo]| {
        v.iter().map(|t| t.jcbh.clone()).collect::<Vec<_>>()
    };
    assert_eq!(j(&w.to_fill), vec!["510104TD200003"]);
    assert_eq!(j(&w.returned), vec![A]);
    assert_eq!(w.returned[0].note.as_deref(), Some("请补充说明"));
    // 5 days before the Q1 date, not all reported: listed.
    assert!(
        w.deadlines
            .iter()
            .any(|d| d.deadline == "2020Q1-report" && d.days_left == 5),
        "{:?}",
        w.deadlines
    );
    let c = awaiting(&mut e.store, &city, &batch(), day("2020-04-10")).unwrap();
    assert_eq!(j(&c.to_review), vec!["510104TD200002"]);
    assert!(c.deadlines.is_empty(), "{:?}", c.deadlines);
}
