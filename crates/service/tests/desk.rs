//! Desk review over a real store: rules run on submission and on demand,
//! flags hold a patch back until decided, the county answers them, and a
//! correction clears what no longer fires.

use std::path::PathBuf;

use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::review::ReviewAction;
use weipian_domain::{AttrValue, FieldDef, FieldType, RegionCode};
use weipian_formats::{Dataset, Feature, TextEncoding};
use weipian_geo::crs::CrsHint;
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::review::act;
use weipian_service::{desk, evidence, NoProgress, ServiceError};

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

const A: &str = "510104TD200001"; // around (104.06, 30.61)
const A2: &str = "510104TD200002"; // around (104.064, 30.61)
const B: &str = "510105TD200001"; // around (104.0, 30.65), 青羊区

fn illegal() -> Answer {
    Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        basis: "现场核实：未经批准建设厂房".into(),
        actual_use: Some("厂房".into()),
        illegal_area_m2: Some(100.0),
        illegal_cultivated_m2: Some(50.0),
        illegal_basic_farmland_m2: Some(0.0),
        new_construction_m2: Some(100.0),
        new_construction_cultivated_m2: Some(50.0),
        ..Answer::default()
    }
}

fn save(e: &mut Env, who: &Actor, jcbh: &str, answer: Answer, based_on: Option<i64>) {
    save_answer(
        &mut e.store,
        who,
        &SaveAnswer {
            batch: batch(),
            jcbh: jcbh.into(),
            answer,
            based_on,
            reason: None,
        },
    )
    .unwrap();
}

fn photo(e: &mut Env, who: &Actor, jcbh: &str, at: (f64, f64), scene: u64, salt: u32) {
    let bytes = weipian_demo::photo::scene_jpeg(at.0, at.1, "2020:04:02 10:00:00", 90, scene, salt);
    evidence::attach(
        &mut e.store,
        who,
        &batch(),
        jcbh,
        &format!("现场{salt}.jpg"),
        &bytes,
    )
    .unwrap();
}

fn submit(e: &mut Env, who: &Actor, jcbh: &str) {
    let o = act(
        &mut e.store,
        who,
        &batch(),
        &[jcbh.to_string()],
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    assert_eq!(o.done.len(), 1, "{o:?}");
}

fn rules_of(e: &Env, who: &Actor, jcbh: &str) -> Vec<(String, String)> {
    desk::flags(&e.store, who, &batch(), jcbh)
        .unwrap()
        .into_iter()
        .map(|f| (f.rule, f.status))
        .collect()
}

#[test]
fn a_flag_raised_on_submission_holds_the_patch_until_decided() {
    let mut e = env_two_counties();
    let clerk = actor(Role::CountyFiller, "510104");
    let city = actor(Role::CityReviewer, "510100");
    // A photo taken 4 km away.
    photo(&mut e, &clerk, A, (104.06, 30.65), 1, 1);
    save(&mut e, &clerk, A, illegal(), None);
    submit(&mut e, &clerk, A);
    let flags = desk::flags(&e.store, &city, &batch(), A).unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0].rule.as_str(), flags[0].status.as_str()),
        ("R05", "open")
    );
    assert!(flags[0].evidence[0].contains("拍摄位置距图斑"), "{flags:?}");
    assert_eq!(flags[0].rule_name, "照片问题");
    // The city cannot pass it while the flag is open.
    let o = act(
        &mut e.store,
        &city,
        &batch(),
        &[A.into()],
        &ReviewAction::Pass { opinion: None },
        None,
    )
    .unwrap();
    assert!(o.refused[0].reason.contains("疑点"), "{o:?}");
    // The county answers (复核); only the county may; only reviewers decide.
    let id = flags[0].id;
    assert!(matches!(
        desk::reply(&mut e.store, &city, id, "x"),
        Err(ServiceError::Denied(_))
    ));
    let f = desk::reply(
        &mut e.store,
        &clerk,
        id,
        "照片为进村道路口拍摄，另附现场照片",
    )
    .unwrap();
    assert_eq!(
        f.reply.as_deref(),
        Some("照片为进村道路口拍摄，另附现场照片")
    );
    assert!(matches!(
        desk::decide(&mut e.store, &clerk, id, false, None),
        Err(ServiceError::Denied(_))
    ));
    let desk_user = actor(Role::DeskReviewer, "510000");
    assert!(matches!(
        desk::decide(&mut e.store, &desk_user, id, false, None),
        Err(ServiceError::Denied(_))
    ));
    let f = desk::decide(&mut e.store, &city, id, false, Some("已核实，拍摄位置合理")).unwrap();
    assert_eq!(
        (f.status.as_str(), f.decided_by.as_deref()),
        ("cleared", Some("city-510100"))
    );
    let o = act(
        &mut e.store,
        &city,
        &batch(),
        &[A.into()],
        &ReviewAction::Pass { opinion: None },
        None,
    )
    .unwrap();
    assert_eq!(o.done.len(), 1, "{o:?}");
    // Decided flags stay, with the county's answer and the decision.
    let again = desk::flags(&e.store, &city, &batch(), A).unwrap();
    assert_eq!(
        again[0].decision_note.as_deref(),
        Some("已核实，拍摄位置合理")
    );
    // Another county, another city: not found.
    for who in [
        actor(Role::CountyFiller, "510105"),
        actor(Role::CityReviewer, "510300"),
    ] {
        assert!(matches!(
            desk::flags(&e.store, &who, &batch(), A),
            Err(ServiceError::NotFound(_))
        ));
        assert!(matches!(
            desk::reply(&mut e.store, &who, id, "x"),
            Err(ServiceError::NotFound(_))
        ));
    }
}

#[test]
fn the_same_picture_on_another_patch_is_found_and_named_only_within_the_county() {
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let qingyang = actor(Role::CountyFiller, "510105");
    // One scene, three files: on A, on A2 (same county), on B (next county).
    photo(&mut e, &jinjiang, A, (104.0601, 30.6101), 42, 1);
    photo(&mut e, &jinjiang, A2, (104.0641, 30.6101), 42, 2);
    photo(&mut e, &qingyang, B, (104.0001, 30.6501), 42, 3);
    // A different scene on A2 as well; it matches nothing.
    photo(&mut e, &jinjiang, A2, (104.0641, 30.6101), 43, 4);
    let d = actor(Role::DeskReviewer, "510000");
    let s = desk::run(
        &mut e.store,
        &d,
        &batch(),
        Some(&[A.to_string()]),
        day("2020-04-10"),
    )
    .unwrap();
    assert_eq!((s.patches, s.flagged.clone()), (1, vec![A.to_string()]));
    let flags = desk::flags(&e.store, &jinjiang, &batch(), A).unwrap();
    let ev = flags
        .iter()
        .find(|f| f.rule == "R05")
        .unwrap()
        .evidence
        .join("；");
    assert!(ev.contains(A2), "{ev}");
    assert!(ev.contains("其他县的 1 个图斑"), "{ev}");
    assert!(!ev.contains(B), "{ev}");
}

fn layer(
    path: &std::path::Path,
    fields: Vec<FieldDef>,
    items: Vec<(MultiPolygonT, Vec<AttrValue>)>,
) {
    let ds = Dataset {
        source: PathBuf::from("layer"),
        fields,
        features: items
            .into_iter()
            .enumerate()
            .map(|(i, (g, attrs))| Feature {
                row: i + 1,
                geometry: Some(g),
                attrs,
                repairs: vec![],
            })
            .collect(),
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    };
    weipian_formats::geojson::write(path, &ds).unwrap();
}

type MultiPolygonT = geo_types::MultiPolygon<f64>;

#[test]
fn overlay_rules_fire_on_the_figures_and_a_correction_clears_them() {
    let mut e = env_two_counties();
    let admin = Actor::local_admin();
    // 耕地 over all of A and A2; an approval (川府土〔2019〕1号) over all of A.
    let gd = e.dir.join("gd.geojson");
    layer(
        &gd,
        vec![FieldDef::new("DLBM", FieldType::Text { width: 4 })],
        vec![(
            geo_types::MultiPolygon(vec![rect(104.05, 30.60, 104.07, 30.62)]),
            vec![AttrValue::Text("0101".into())],
        )],
    );
    weipian_service::import::import_layer(
        &mut e.store,
        &admin,
        "gd",
        &gd,
        TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
    let pz = e.dir.join("pzyd.geojson");
    layer(
        &pz,
        vec![
            FieldDef::new("PZWH", FieldType::Text { width: 30 }),
            FieldDef::new("PZSJ", FieldType::Text { width: 10 }),
        ],
        vec![(
            geo_types::MultiPolygon(vec![rect(104.058, 30.608, 104.062, 30.612)]),
            vec![
                AttrValue::Text("川府土〔2019〕1号".into()),
                AttrValue::Text("2019-05-01".into()),
            ],
        )],
    );
    weipian_service::import::import_layer(
        &mut e.store,
        &admin,
        "pzyd",
        &pz,
        TextEncoding::Detect,
        &NoProgress,
    )
    .unwrap();
    weipian_service::analyze::analyze(
        &mut e.store,
        &admin,
        &weipian_service::analyze::AnalyzeRequest {
            batch: batch(),
            force: false,
        },
        &NoProgress,
    )
    .unwrap();
    let clerk = actor(Role::CountyFiller, "510104");
    let area = e.store.patch(&batch(), A).unwrap().unwrap().area_m2;
    photo(&mut e, &clerk, A, (104.0601, 30.6101), 1, 1);
    photo(&mut e, &clerk, A2, (104.0641, 30.6101), 2, 2);
    // A: 合法 citing a number that is not the approval over it (R02).
    let legal = |number: &str| Answer {
        category: "HF".into(),
        sub: Some("HF01".into()),
        basis: "已办理农用地转用".into(),
        approval_number: Some(number.into()),
        approval_authority: Some("四川省人民政府".into()),
        approval_date: Some("2019-05-01".into()),
        approval_area_m2: Some(area),
        ..Answer::default()
    };
    save(&mut e, &clerk, A, legal("川府土〔2018〕9号"), None);
    // A2: 其他 on a patch all on 耕地 (R03).
    let other = Answer {
        category: "QT".into(),
        sub: Some("QT01".into()),
        basis: "地表无变化".into(),
        ..Answer::default()
    };
    save(&mut e, &clerk, A2, other, None);
    let d = actor(Role::DeskReviewer, "510000");
    desk::run(&mut e.store, &d, &batch(), None, day("2020-04-10")).unwrap();
    assert_eq!(rules_of(&e, &d, A), vec![("R02".into(), "open".into())]);
    assert_eq!(rules_of(&e, &d, A2), vec![("R03".into(), "open".into())]);
    // The county corrects A; the next run closes that flag by itself and
    // leaves A2's open. Nothing is deleted.
    save(&mut e, &clerk, A, legal("川府土〔2019〕1号"), Some(1));
    let s = desk::run(&mut e.store, &d, &batch(), None, day("2020-04-10")).unwrap();
    assert_eq!((s.cleared, s.still_open), (1, 1), "{s:?}");
    assert_eq!(rules_of(&e, &d, A), vec![("R02".into(), "cleared".into())]);
    assert_eq!(rules_of(&e, &d, A2), vec![("R03".into(), "open".into())]);
    // Only reviewers and the technical-support unit run the rules.
    assert!(matches!(
        desk::run(&mut e.store, &clerk, &batch(), None, day("2020-04-10")),
        Err(ServiceError::Denied(_))
    ));
}

/// 自流井区 (自贡, another city): one patch of the same batch.
const Z: &str = "510302TD200001";

/// The two-county store with one more patch, in another city.
fn env_with_another_city() -> Env {
    let mut e = env_two_counties();
    let mut ds = weipian_formats::Dataset {
        features: vec![common::patch_feature(
            1,
            Z,
            "510302",
            common::patch(104.78, 29.35),
        )],
        ..common::patches(0)
    };
    ds.source = PathBuf::from("z");
    let path = e.dir.join("z.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    weipian_service::import::import_patches(
        &mut e.store,
        &Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    e
}

/// Raise open flags of `rules` on a patch (as a rule run would); their ids.
fn raise(e: &mut Env, jcbh: &str, rules: &[&str]) -> Vec<i64> {
    let id = e.store.patch(&batch(), jcbh).unwrap().unwrap().id;
    let firing: Vec<weipian_store::NewFlag> = rules
        .iter()
        .map(|r| weipian_store::NewFlag {
            rule: (*r).into(),
            message: format!("{r} 触发"),
            evidence: "[]".into(),
        })
        .collect();
    let audit = weipian_store::NewAudit {
        actor: "内业审核规则".into(),
        region: "510000".into(),
        action: "desk.run".into(),
        target: format!("2020/2020Q1/{jcbh}"),
        before: None,
        after: None,
        reason: None,
    };
    e.store.record_flags(id, &firing, &audit).unwrap();
    e.store
        .flags(id)
        .unwrap()
        .into_iter()
        .filter(|f| f.status == "open" && rules.contains(&f.rule.as_str()))
        .map(|f| f.id)
        .collect()
}

fn status_of(e: &Env, id: i64) -> String {
    e.store.flag(id).unwrap().unwrap().status
}

fn audit_count(e: &Env) -> usize {
    e.store.audit_records(None).unwrap().len()
}

#[test]
fn a_bulk_decision_is_all_or_nothing_and_audits_every_flag() {
    let mut e = env_with_another_city();
    let a = raise(&mut e, A, &["R01", "R05"]);
    let a2 = raise(&mut e, A2, &["R05"]);
    let b = raise(&mut e, B, &["R03"]);
    let z = raise(&mut e, Z, &["R05"]);
    let city = actor(Role::CityReviewer, "510100");
    let all = [a.clone(), a2.clone(), b.clone(), z.clone()].concat();
    let before = audit_count(&e);
    // One flag of another city among good ones: not found, nothing decided.
    let ids = [a[0], a[1], z[0], b[0]];
    let err = desk::decide_many(&mut e.store, &city, &ids, true, Some("属实")).unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    assert!(err.to_string().contains(&format!("疑点 {}", z[0])), "{err}");
    assert!(!err.to_string().contains(Z), "{err}");
    assert!(all.iter().all(|id| status_of(&e, *id) == "open"));
    assert_eq!(audit_count(&e), before);
    // One already decided: refused, naming it and its patch.
    desk::decide(&mut e.store, &city, a2[0], true, None).unwrap();
    let err = desk::decide_many(&mut e.store, &city, &[a[0], a2[0]], false, None).unwrap_err();
    assert!(matches!(err, ServiceError::Invalid(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&a2[0].to_string()) && msg.contains(A2),
        "{msg}"
    );
    assert_eq!(status_of(&e, a[0]), "open");
    // Only city and province reviewers decide; the list is bounded.
    for who in [
        actor(Role::CountyFiller, "510104"),
        actor(Role::DeskReviewer, "510000"),
    ] {
        assert!(matches!(
            desk::decide_many(&mut e.store, &who, &a, true, None),
            Err(ServiceError::Denied(_))
        ));
    }
    assert!(matches!(
        desk::decide_many(&mut e.store, &city, &[], true, None),
        Err(ServiceError::Invalid(_))
    ));
    let many: Vec<i64> = (1..=5001).collect();
    match desk::decide_many(&mut e.store, &city, &many, true, None) {
        Err(ServiceError::Invalid(m)) => assert!(m.contains("5000"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(status_of(&e, a[0]), "open");
    // The good ones (one named twice): decided together, one audit record each.
    let before = audit_count(&e);
    let s = desk::decide_many(
        &mut e.store,
        &city,
        &[a[0], a[1], a[0], b[0]],
        false,
        Some(" 已核实，无问题 "),
    )
    .unwrap();
    assert_eq!((s.decided, s.status.as_str()), (3, "cleared"));
    let got: Vec<(i64, &str)> = s.flags.iter().map(|f| (f.id, f.jcbh.as_str())).collect();
    assert_eq!(got, [(a[0], A), (a[1], A), (b[0], B)]);
    for id in [a[0], a[1], b[0]] {
        let f = e.store.flag(id).unwrap().unwrap();
        assert_eq!(
            (
                f.status.as_str(),
                f.decision_note.as_deref(),
                f.decided_by.as_deref()
            ),
            ("cleared", Some("已核实，无问题"), Some("city-510100"))
        );
    }
    assert_eq!(status_of(&e, z[0]), "open");
    let records = e.store.audit_records(None).unwrap();
    assert_eq!(records.len(), before + 3);
    for (r, jcbh) in records[before..].iter().zip([A, A, B]) {
        assert_eq!(
            (
                r.entry.action.as_str(),
                r.entry.target.as_str(),
                r.entry.before.as_deref(),
                r.entry.after.as_deref(),
                r.entry.reason.as_deref()
            ),
            (
                "desk.clear",
                format!("2020/2020Q1/{jcbh}").as_str(),
                Some("open"),
                Some("cleared"),
                Some("已核实，无问题")
            )
        );
    }
    assert_eq!(e.store.verify_audit().unwrap().first_bad, None);
    // The province reaches the other city's flag too.
    let prov = actor(Role::ProvinceReviewer, "510000");
    let s = desk::decide_many(&mut e.store, &prov, &z, true, None).unwrap();
    assert_eq!((s.decided, s.flags[0].jcbh.as_str()), (1, Z));
}

#[test]
fn a_bulk_decision_by_patches_takes_only_their_open_flags_of_the_rule() {
    let mut e = env_with_another_city();
    let a = raise(&mut e, A, &["R01", "R05"]);
    let a2 = raise(&mut e, A2, &["R05"]);
    let a3 = raise(&mut e, "510104TD200003", &["R01"]);
    let b = raise(&mut e, B, &["R05"]);
    raise(&mut e, Z, &["R05"]);
    let city = actor(Role::CityReviewer, "510100");
    desk::decide(&mut e.store, &city, a2[0], false, Some("早已排除")).unwrap();
    let pick = |list: &[&str]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
    // R05 of A, A2 and A3: only A's is open; A2's was decided, A3 has none.
    let s = desk::decide_open_of_patches(
        &mut e.store,
        &city,
        &batch(),
        &pick(&[A, A2, "510104TD200003"]),
        Some("R05"),
        true,
        Some("照片与图斑不符"),
    )
    .unwrap();
    assert_eq!(s.decided, 1, "{s:?}");
    assert_eq!((s.flags[0].id, s.flags[0].rule.as_str()), (a[1], "R05"));
    assert_eq!(s.skipped, pick(&[A2, "510104TD200003"]));
    assert_eq!(
        [a[0], a[1], a2[0], a3[0], b[0]].map(|id| status_of(&e, id)),
        ["open", "upheld", "cleared", "open", "open"]
    );
    // A patch of another city among them: not found, nothing decided.
    let err = desk::decide_open_of_patches(
        &mut e.store,
        &city,
        &batch(),
        &pick(&[A, Z]),
        None,
        false,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    assert_eq!(status_of(&e, a[0]), "open");
    // Every open flag of the patches, whatever the rule.
    let s = desk::decide_open_of_patches(
        &mut e.store,
        &city,
        &batch(),
        &pick(&[A, "510104TD200003", B]),
        None,
        false,
        Some("已整改"),
    )
    .unwrap();
    let mut ids: Vec<i64> = s.flags.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    let mut want = vec![a[0], a3[0], b[0]];
    want.sort_unstable();
    assert_eq!(ids, want);
    // Nothing open left, an unknown rule, a county clerk: refused.
    for (rule, who) in [
        (None, city.clone()),
        (Some("R99"), city.clone()),
        (None, actor(Role::CountyFiller, "510104")),
    ] {
        let r = desk::decide_open_of_patches(
            &mut e.store,
            &who,
            &batch(),
            &pick(&[A]),
            rule,
            true,
            None,
        );
        assert!(
            matches!(r, Err(ServiceError::Invalid(_) | ServiceError::Denied(_))),
            "{r:?}"
        );
    }
}
