//! Statistics over a real store: counts and areas by determination per
//! region, traceable, scoped, without military land, from a snapshot.

use weipian_domain::access::Role;
use weipian_domain::determination::Answer;
use weipian_domain::RegionCode;
use weipian_reports::Level;
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::stats::{stats, StatsRequest};

mod common;
use common::*;

#[test]
fn figures_per_region_add_up_and_name_their_patches() {
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "WF",
        None,
    );
    complete(
        &mut e,
        "510104",
        "510104TD200002",
        (104.0641, 30.6101),
        "QT",
        None,
    );
    complete(
        &mut e,
        "510105",
        "510105TD200001",
        (104.0001, 30.6501),
        "WF",
        None,
    );
    // 510104TD200003 goes to the military register: never counted.
    let officer = actor(Role::MilitaryOfficer, "510104");
    weipian_service::military::file(
        &mut e.store,
        &officer,
        &batch(),
        "510104TD200003",
        &weipian_service::military::MilitaryRecord {
            unit: "某部".into(),
            usage: "营区".into(),
            area_m2: None,
            document: None,
            filled_by: "x".into(),
            date: "2020-04-18".into(),
            note: None,
        },
    )
    .unwrap();
    let city = actor(Role::CityReviewer, "510100");
    let req = |level| StatsRequest {
        batch: batch(),
        level,
        snapshot: None,
        as_of: None,
    };
    let by_county = stats(&e.store, &city, &req(Level::County)).unwrap();
    let jinjiang = by_county.iter().find(|s| s.region == "510104").unwrap();
    assert_eq!((jinjiang.issued.count, jinjiang.verified.count), (2, 2));
    assert_eq!(jinjiang.illegal.items, vec!["510104TD200001"]);
    assert_eq!(jinjiang.other.items, vec!["510104TD200002"]);
    let a1 = e
        .store
        .patch(&batch(), "510104TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    assert_eq!(jinjiang.illegal.area_m2.to_bits(), a1.to_bits());
    let by_city = stats(&e.store, &city, &req(Level::City)).unwrap();
    assert_eq!(by_city.len(), 1);
    assert_eq!(
        by_city[0].illegal.items,
        vec!["510104TD200001", "510105TD200001"]
    );
    // A county counts only itself.
    let clerk = actor(Role::CountyFiller, "510105");
    let mine = stats(&e.store, &clerk, &req(Level::City)).unwrap();
    assert_eq!(mine[0].issued.items, vec!["510105TD200001"]);
}

#[test]
fn a_period_is_counted_from_its_snapshot_whatever_came_after() {
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "WF",
        None,
    );
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let items =
        weipian_service::schedule::status(&mut e.store, &sheng, 2020, day("2020-05-01")).unwrap();
    let snap = items
        .iter()
        .find(|i| i.deadline == "2020Q1-report")
        .unwrap()
        .snapshot
        .unwrap();
    // After the cut-off the county answers another patch and changes the first.
    complete(
        &mut e,
        "510104",
        "510104TD200002",
        (104.0641, 30.6101),
        "WF",
        None,
    );
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "QT",
        Some(1),
    );
    let req = |snapshot| StatsRequest {
        batch: batch(),
        level: Level::Province,
        snapshot,
        as_of: None,
    };
    let frozen = stats(&e.store, &sheng, &req(Some(snap))).unwrap();
    assert_eq!(
        (frozen[0].verified.count, frozen[0].illegal.items.clone()),
        (1, vec!["510104TD200001".to_string()])
    );
    let now = stats(&e.store, &sheng, &req(None)).unwrap();
    assert_eq!(now[0].verified.count, 2);
    assert_eq!(now[0].illegal.items, vec!["510104TD200002"]);
    assert_eq!(now[0].other.items, vec!["510104TD200001"]);
    // Another province cannot count from it.
    let zj = actor(Role::ProvinceReviewer, "330000");
    assert!(stats(&e.store, &zj, &req(Some(snap))).is_err());
}

#[test]
fn cases_are_counted_by_stage_and_a_snapshot_keeps_the_stage_at_the_cut_off() {
    use weipian_domain::case::CaseEvent;
    use weipian_service::cases::{apply_event, open_case};
    use weipian_service::stats::case_stats;
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "WF",
        None,
    );
    let clerk = actor(Role::CountyFiller, "510104");
    let c = open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违1",
        &["510104TD200001".to_string()],
    )
    .unwrap();
    let v = apply_event(
        &mut e.store,
        &clerk,
        c.id,
        &CaseEvent::File {
            date: "2020-04-20".into(),
            document: "立1".into(),
        },
        1,
    )
    .unwrap();
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let items =
        weipian_service::schedule::status(&mut e.store, &sheng, 2020, day("2020-05-01")).unwrap();
    let snap = items
        .iter()
        .find(|i| i.deadline == "2020Q1-report")
        .unwrap()
        .snapshot
        .unwrap();
    // After the cut-off the case gets its decision.
    apply_event(
        &mut e.store,
        &clerk,
        c.id,
        &CaseEvent::Decide(weipian_domain::case::Decision {
            date: "2020-05-10".into(),
            document: "罚1".into(),
            measures: vec![weipian_domain::case::Measure::Fine],
            fine_yuan: Some(1000.0),
            content: None,
        }),
        v.version,
    )
    .unwrap();
    let req = |snapshot| StatsRequest {
        batch: batch(),
        level: Level::City,
        snapshot,
        as_of: None,
    };
    let now = case_stats(&e.store, &sheng, &req(None)).unwrap();
    assert_eq!(
        (now[0].found.count, now[0].filed.count, now[0].decided.count),
        (1, 1, 1)
    );
    let area = e
        .store
        .patch(&batch(), "510104TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    assert_eq!(now[0].found.area_m2.to_bits(), area.to_bits());
    assert_eq!(now[0].filed.items, vec!["锦违1"]);
    let then = case_stats(&e.store, &sheng, &req(Some(snap))).unwrap();
    assert_eq!((then[0].filed.count, then[0].decided.count), (1, 0));
    // Another county's clerk counts none of them.
    let other = actor(Role::CountyFiller, "510105");
    assert!(case_stats(&e.store, &other, &req(None)).unwrap().is_empty());
}

/// The 季度快报 through the store: the quarter's snapshot once the cut-off
/// has passed (the current state when asked), the region's sub-regions in
/// the table, a case's elimination taken off the illegal ratio, and no
/// report on a region beyond one's own.
#[test]
fn the_quick_report_counts_the_snapshot_after_the_cut_off_and_the_present_when_asked() {
    use weipian_domain::case::CaseEvent;
    use weipian_service::cases::{apply_event, open_case};
    use weipian_service::quick::{quick, QuickRequest};
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "WF",
        None,
    );
    complete(
        &mut e,
        "510105",
        "510105TD200001",
        (104.0001, 30.6501),
        "WF",
        None,
    );
    let clerk = actor(Role::CountyFiller, "510104");
    let c = open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违1",
        &["510104TD200001".to_string()],
    )
    .unwrap();
    let city = actor(Role::CityReviewer, "510100");
    let req = |today: &str, current| QuickRequest {
        year: 2020,
        quarter: 1,
        region: RegionCode::parse("510100").unwrap(),
        current,
        explain: true,
        today: day(today),
        as_of: None,
    };
    let blank = |r: &weipian_service::quick::QuickReport, expr: &str| {
        r.doc
            .blanks
            .iter()
            .find(|b| b.expr == expr)
            .unwrap()
            .clone()
    };
    // Before the cut-off: the present, dated today.
    let before = quick(&mut e.store, &city, &req("2020-04-20", false)).unwrap();
    assert_eq!(before.snapshot, None);
    assert_eq!(blank(&before, "all.issued").text, "4");
    assert_eq!(
        blank(&before, "land.illegal").items,
        ["510104TD200001", "510105TD200001"]
    );
    assert_eq!(blank(&before, "land.found").items, ["锦违1"]);
    assert!(before.doc.text().ends_with("上报时间：2020年4月20日\n"));
    // Both illegal patches stand against their own new construction: 100 %.
    assert_eq!(
        blank(&before, "land.remaining.area/land.new_construction.area").text,
        "100.00"
    );
    // The table: 成都市's districts, then the city itself as the total.
    let rows: Vec<&str> = before
        .table
        .rows
        .iter()
        .map(|r| r.region.as_str())
        .collect();
    assert!(rows.contains(&"510104") && rows.contains(&"510105"));
    assert_eq!(rows.last(), Some(&"510100"));
    let col = before
        .table
        .columns
        .iter()
        .position(|c| c.expr == "land.issued")
        .unwrap();
    let of = |code: &str| {
        before
            .table
            .rows
            .iter()
            .find(|r| r.region == code)
            .unwrap()
            .values[col]
    };
    assert_eq!((of("510104"), of("510105"), of("510100")), (3.0, 1.0, 4.0));

    // The cut-off passes (the schedule freezes the quarter when read)...
    let sheng = actor(Role::ProvinceReviewer, "510000");
    weipian_service::schedule::status(&mut e.store, &sheng, 2020, day("2020-05-01")).unwrap();
    // ...then the case eliminates the illegal state...
    let v = apply_event(
        &mut e.store,
        &clerk,
        c.id,
        &CaseEvent::File {
            date: "2020-05-02".into(),
            document: "立1".into(),
        },
        c.version,
    )
    .unwrap()
    .version;
    rectify_and_eliminate(
        &mut e,
        &clerk,
        c.id,
        v,
        weipian_domain::case::RectificationKind::Remedy,
    );
    // ...which the quarter's report (from its snapshot) does not see,
    let after = quick(&mut e.store, &city, &req("2020-06-01", false)).unwrap();
    assert!(after.snapshot.is_some(), "{}", after.basis);
    assert!(after.doc.text().ends_with("上报时间：2020年4月30日\n"));
    assert_eq!(blank(&after, "land.eliminated").text, "0");
    // but the present does: one of two illegal patches no longer counts.
    let now = quick(&mut e.store, &city, &req("2020-06-01", true)).unwrap();
    assert_eq!(now.snapshot, None);
    assert_eq!(blank(&now, "land.eliminated").items, ["锦违1"]);
    assert_eq!(
        blank(&now, "land.remaining.area/land.new_construction.area").items,
        ["510105TD200001"]
    );
    let a1 = e
        .store
        .patch(&batch(), "510104TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    let a2 = e
        .store
        .patch(&batch(), "510105TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    let share = blank(&now, "land.remaining.area/land.new_construction.area");
    assert!(
        (share.value - 100.0 * a2 / (a1 + a2)).abs() < 1e-9,
        "{share:?}"
    );

    // A county reports on itself only; a city not on its province.
    let own = quick(
        &mut e.store,
        &clerk,
        &QuickRequest {
            region: RegionCode::parse("510104").unwrap(),
            ..req("2020-04-20", true)
        },
    )
    .unwrap();
    assert_eq!(
        blank(&own, "all.issued").items,
        ["510104TD200001", "510104TD200002", "510104TD200003"]
    );
    for (who, region) in [(&clerk, "510100"), (&city, "510000")] {
        let e2 = quick(
            &mut e.store,
            who,
            &QuickRequest {
                region: RegionCode::parse(region).unwrap(),
                ..req("2020-04-20", true)
            },
        )
        .unwrap_err();
        assert!(e2.to_string().contains("只能生成本辖区"), "{e2}");
    }
    // A quarter without a quick report in the year's schedule is refused with the ones there are.
    let e3 = quick(
        &mut e.store,
        &city,
        &QuickRequest {
            quarter: 2,
            ..req("2020-04-20", true)
        },
    )
    .unwrap_err();
    assert!(e3.to_string().contains("第一季度、第三季度"), "{e3}");
}

/// Accountability through the store: the cultivated land the answers
/// state, a claimed deduction, the county's city, scope.
#[test]
fn accountability_reads_the_answers_claims_and_cases_within_the_region() {
    use weipian_domain::determination::Deduction;
    use weipian_service::accountability::{accountability, AccountabilityRequest};
    let mut e = env_two_counties();
    let clerk = actor(Role::CountyFiller, "510104");
    let mut answer_with = |jcbh: &str, at: (f64, f64), gd: f64, claim: Option<&str>| {
        let photo = weipian_demo::photo::jpeg_with_exif(at.0, at.1, "2020:04:02 10:00:00", 0, 1);
        weipian_service::evidence::attach(&mut e.store, &clerk, &batch(), jcbh, "a.jpg", &photo)
            .unwrap();
        let area = e.store.patch(&batch(), jcbh).unwrap().unwrap().area_m2;
        let v = save_answer(
            &mut e.store,
            &clerk,
            &SaveAnswer {
                batch: batch(),
                jcbh: jcbh.into(),
                answer: Answer {
                    category: "WF".into(),
                    sub: Some("WF01".into()),
                    basis: "未批先建".into(),
                    actual_use: Some("住宅".into()),
                    illegal_area_m2: Some(area),
                    illegal_cultivated_m2: Some(gd),
                    illegal_basic_farmland_m2: Some(0.0),
                    new_construction_m2: Some(area),
                    new_construction_cultivated_m2: Some(gd),
                    deductions: claim
                        .map(|c| {
                            vec![Deduction {
                                kind: c.into(),
                                document: None,
                                note: None,
                            }]
                        })
                        .unwrap_or_default(),
                    ..Answer::default()
                },
                based_on: None,
                reason: None,
            },
        )
        .unwrap();
        assert!(v.complete, "{:?}", v.errors);
    };
    answer_with("510104TD200001", (104.0601, 30.6101), 100.0, None);
    answer_with("510104TD200002", (104.0641, 30.6101), 40.0, Some("yhyz"));
    let city = actor(Role::CityReviewer, "510100");
    let req = AccountabilityRequest {
        year: 2020,
        region: None,
        current: true,
        today: day("2020-06-01"),
        as_of: None,
    };
    let r = accountability(&mut e.store, &city, &req).unwrap();
    let county = r
        .assessments
        .counties
        .iter()
        .find(|a| a.region == "510104")
        .unwrap();
    assert_eq!(county.name, "锦江区");
    assert_eq!(county.numerator.m2, 140.0);
    assert_eq!(county.numerator.items, ["510104TD200001", "510104TD200002"]);
    let yhyz = county.steps.iter().find(|s| s.code == "yhyz").unwrap();
    assert_eq!((yhyz.numerator.m2, yhyz.denominator.m2), (40.0, 0.0));
    assert_eq!(yhyz.numerator.items, ["510104TD200002"]);
    assert_eq!(
        (county.numerator_after_m2, county.denominator_after_m2),
        (100.0, 140.0)
    );
    assert!((county.ratio_percent - 100.0 * 100.0 / 140.0).abs() < 1e-9);
    assert_eq!(r.assessments.cities[0].region, "510100");
    // Another county's clerk sees nothing of it.
    let other = actor(Role::CountyFiller, "510105");
    let mine = accountability(&mut e.store, &other, &req).unwrap();
    assert!(mine
        .assessments
        .counties
        .iter()
        .all(|a| a.region == "510105"));
}

/// A province override that turns a county's 其他 into 违法 is a finding of
/// concealment (隐瞒不报); an illegal answer with no case is 不组织查处.
#[test]
fn a_province_override_to_illegal_is_listed_as_concealment() {
    use weipian_service::enforcement::{signals, EnforcementRequest};
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "QT",
        None,
    );
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let area = e
        .store
        .patch(&batch(), "510104TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    weipian_service::answers::override_answer(
        &mut e.store,
        &sheng,
        &SaveAnswer {
            batch: batch(),
            jcbh: "510104TD200001".into(),
            answer: Answer {
                category: "WF".into(),
                sub: Some("WF01".into()),
                basis: "实地核查为新建厂房".into(),
                actual_use: Some("厂房".into()),
                illegal_area_m2: Some(area),
                illegal_cultivated_m2: Some(0.0),
                illegal_basic_farmland_m2: Some(0.0),
                new_construction_m2: Some(area),
                new_construction_cultivated_m2: Some(0.0),
                ..Answer::default()
            },
            based_on: Some(1),
            reason: None,
        },
        0,
        "外业核查发现已建成厂房",
    )
    .unwrap();
    let city = actor(Role::CityReviewer, "510100");
    let s = signals(
        &mut e.store,
        &city,
        &EnforcementRequest {
            year: 2020,
            region: None,
            today: day("2020-06-01"),
        },
    )
    .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].region, "510104");
    assert_eq!(s[0].concealed.len(), 1);
    assert!(
        s[0].concealed[0].1.contains("原填报为其他"),
        "{:?}",
        s[0].concealed
    );
    assert!(s[0].concealed[0].1.contains("外业核查发现已建成厂房"));
    assert_eq!(s[0].no_case, ["510104TD200001"]);
}

/// Half-year and annual results: the annual rule leaves out what was
/// eliminated by 2020-12-31; the half-year counts it as illegal.
#[test]
fn annual_results_no_longer_count_what_was_eliminated_within_the_year() {
    use weipian_domain::case::{CaseEvent, RectificationKind};
    use weipian_service::cases::{apply_event, open_case};
    use weipian_service::quick::{results, Period, ResultsRequest};
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "WF",
        None,
    );
    complete(
        &mut e,
        "510104",
        "510104TD200002",
        (104.0641, 30.6101),
        "WF",
        None,
    );
    let clerk = actor(Role::CountyFiller, "510104");
    let c = open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违1",
        &["510104TD200001".to_string()],
    )
    .unwrap();
    let v = apply_event(
        &mut e.store,
        &clerk,
        c.id,
        &CaseEvent::File {
            date: "2020-05-02".into(),
            document: "立1".into(),
        },
        c.version,
    )
    .unwrap()
    .version;
    rectify_and_eliminate(&mut e, &clerk, c.id, v, RectificationKind::Demolition);
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let req = |period| ResultsRequest {
        year: 2020,
        period,
        region: RegionCode::parse("510000").unwrap(),
        current: true,
        explain: true,
        today: day("2021-03-01"),
        as_of: None,
    };
    let blank = |r: &weipian_service::quick::QuickReport, expr: &str| {
        r.doc
            .blanks
            .iter()
            .find(|b| b.expr == expr)
            .unwrap_or_else(|| panic!("{expr}"))
            .clone()
    };
    let annual = results(&mut e.store, &sheng, &req(Period::Annual)).unwrap();
    assert_eq!(blank(&annual, "land.illegal").items, ["510104TD200002"]);
    assert_eq!(blank(&annual, "land.resolved").items, ["510104TD200001"]);
    assert_eq!(blank(&annual, "all.resolved_cases").items, ["锦违1"]);
    assert_eq!(blank(&annual, "all.found").text, "0");
    assert!(annual.doc.title().contains("2020年度卫片执法工作情况报告"));
    // The province's table: its cities, then the province.
    assert_eq!(annual.figures.last().unwrap().0, "510000");
    let half = results(&mut e.store, &sheng, &req(Period::HalfYear)).unwrap();
    assert_eq!(
        blank(&half, "land.illegal").items,
        ["510104TD200001", "510104TD200002"]
    );
    assert_eq!(blank(&half, "all.eliminated").items, ["锦违1"]);
}

/// As of a day: answers as then saved (their history), cases as then
/// recorded (the audit trail), patches then issued. The store's clock is
/// today's, so the test moves earlier records back in time directly.
#[test]
fn figures_as_of_a_day_take_answers_and_cases_as_they_stood_then() {
    use weipian_domain::case::CaseEvent;
    use weipian_service::cases::{apply_event, open_case};
    use weipian_service::stats::case_stats;
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "QT",
        None,
    );
    let clerk = actor(Role::CountyFiller, "510104");
    let path = e.store.path().to_path_buf();
    let back = |sql: &str| {
        let c = rusqlite::Connection::open(&path).unwrap();
        weipian_formats::gpkg::register_functions(&c).unwrap();
        c.execute_batch(sql).unwrap();
    };
    // Issued on 2020-04-01, answered 其他 on 2020-04-10 (Beijing time).
    back(
        "UPDATE patches SET imported_at = '2020-04-01T00:00:00.000Z';
          UPDATE answer_history SET saved_at = '2020-04-10T01:00:00.000Z';",
    );
    // Then (today) changed to 违法 and a case opened and filed.
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "WF",
        Some(1),
    );
    let c = open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违1",
        &["510104TD200001".to_string()],
    )
    .unwrap();
    back("UPDATE cases SET created_at = '2020-05-01T01:00:00.000Z';");
    apply_event(
        &mut e.store,
        &clerk,
        c.id,
        &CaseEvent::File {
            date: "2020-06-02".into(),
            document: "立1".into(),
        },
        c.version,
    )
    .unwrap();
    let city = actor(Role::CityReviewer, "510100");
    let req = |as_of: Option<&str>| StatsRequest {
        batch: batch(),
        level: Level::City,
        snapshot: None,
        as_of: as_of.map(day),
    };
    // 2020-03-31: nothing issued yet.
    assert!(stats(&e.store, &city, &req(Some("2020-03-31")))
        .unwrap()
        .is_empty());
    // 2020-04-09: issued, not answered.
    let then = stats(&e.store, &city, &req(Some("2020-04-09"))).unwrap();
    assert_eq!((then[0].issued.count, then[0].verified.count), (4, 0));
    // 2020-04-10: answered 其他.
    let then = stats(&e.store, &city, &req(Some("2020-04-10"))).unwrap();
    assert_eq!(then[0].other.items, ["510104TD200001"]);
    assert!(then[0].illegal.items.is_empty());
    // Now: 违法.
    let now = stats(&e.store, &city, &req(None)).unwrap();
    assert_eq!(now[0].illegal.items, ["510104TD200001"]);
    // The case: opened 2020-05-01, filed (recorded) today.
    assert!(case_stats(&e.store, &city, &req(Some("2020-04-30")))
        .unwrap()
        .is_empty());
    let may = case_stats(&e.store, &city, &req(Some("2020-05-02"))).unwrap();
    assert_eq!((may[0].found.count, may[0].filed.count), (1, 0));
    let now = case_stats(&e.store, &city, &req(None)).unwrap();
    assert_eq!(now[0].filed.items, ["锦违1"]);
}
