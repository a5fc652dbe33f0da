//! Sampling and cross-checks over a real store: a reproducible stratified
//! draw, counties checking each other's patches, the estimate.

use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::sampling::{sample_size, z_for};
use weipian_domain::RegionCode;
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::sampling::{assign_cross_checks, draw, record, show, DrawRequest};
use weipian_service::{NoProgress, ServiceError};

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

/// 30 patches in 锦江区 and 10 in 青羊区, every one answered (合法 / 违法 / 其他 in turn).
fn answered() -> Env {
    let mut e = env();
    let mut ds = patches(40);
    for (k, f) in ds.features.iter_mut().enumerate().skip(30) {
        f.geometry = Some(patch(103.96 + 0.004 * (k - 30) as f64, 30.65));
        f.attrs[0] = text(&format!("510105TD20{:04}", k + 1));
        f.attrs[1] = text("510105");
    }
    let path = e.dir.join("p.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    weipian_service::import::import_patches(
        &mut e.store,
        &Actor::local_admin(),
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    for (k, p) in stored(&e.store, &batch()).iter().enumerate() {
        let clerk = actor(Role::CountyFiller, &p.xzqdm);
        let category = ["HF", "WF", "QT"][k % 3];
        save_answer(
            &mut e.store,
            &clerk,
            &SaveAnswer {
                batch: batch(),
                jcbh: p.jcbh.clone(),
                answer: Answer {
                    category: category.into(),
                    basis: "现场核实".into(),
                    ..Answer::default()
                },
                based_on: None,
                reason: None,
            },
        )
        .unwrap();
    }
    e
}

fn req(seed: u64) -> DrawRequest {
    DrawRequest {
        batch: batch(),
        region: None,
        margin: Some(0.1),
        confidence: Some(0.95),
        seed,
    }
}

#[test]
fn a_draw_is_sized_stratified_and_reproducible() {
    let mut e = answered();
    let city = actor(Role::CityReviewer, "510100");
    let a = draw(&mut e.store, &city, &req(2020)).unwrap();
    assert_eq!(a.population, 40);
    assert_eq!(a.items.len(), sample_size(40, 0.1, z_for(0.95).unwrap()));
    assert_eq!(a.items.len(), 29);
    // Strata: three determinations × one area class, each sampled.
    assert_eq!(a.strata.len(), 3, "{:?}", a.strata);
    assert!(a
        .strata
        .iter()
        .all(|s| s.sampled > 0 && s.sampled <= s.population));
    // The same seed draws the same patches; another seed, others.
    let again = draw(&mut e.store, &city, &req(2020)).unwrap();
    let jcbhs = |v: &weipian_service::sampling::SampleView| -> Vec<String> {
        v.items.iter().map(|i| i.jcbh.clone()).collect()
    };
    assert_eq!(jcbhs(&a), jcbhs(&again));
    assert_ne!(a.id, again.id);
    assert_ne!(
        jcbhs(&a),
        jcbhs(&draw(&mut e.store, &city, &req(7)).unwrap())
    );
    // Nothing checked yet: the estimate is empty.
    assert_eq!((a.estimate.checked, a.estimate.share), (0, 0.0));
}

#[test]
fn only_reviewers_draw_and_only_within_their_region() {
    let mut e = answered();
    let clerk = actor(Role::CountyFiller, "510104");
    assert!(matches!(
        draw(&mut e.store, &clerk, &req(1)),
        Err(ServiceError::Denied(_))
    ));
    let other = actor(Role::CityReviewer, "510300");
    let mut r = req(1);
    r.region = Some(RegionCode::parse("510104").unwrap());
    assert!(matches!(
        draw(&mut e.store, &other, &r),
        Err(ServiceError::NotFound(_))
    ));
    let city = actor(Role::CityReviewer, "510100");
    let s = draw(&mut e.store, &city, &r).unwrap();
    assert!(s.items.iter().all(|i| i.xzqdm == "510104"));
    // Another city cannot see it; a bad confidence level is refused.
    assert!(matches!(
        show(&e.store, &other, s.id),
        Err(ServiceError::NotFound(_))
    ));
    let mut bad = req(1);
    bad.confidence = Some(0.8);
    assert!(draw(&mut e.store, &city, &bad)
        .unwrap_err()
        .to_string()
        .contains("0.95"));
}

#[test]
fn counties_cross_check_each_other_and_the_estimate_follows() {
    let mut e = answered();
    let city = actor(Role::CityReviewer, "510100");
    let s = draw(&mut e.store, &city, &req(11)).unwrap();
    let s = assign_cross_checks(&mut e.store, &city, s.id, 5).unwrap();
    assert!(s
        .items
        .iter()
        .all(|i| i.checker.as_deref().is_some_and(|c| c != i.xzqdm)));
    // 青羊区 sees (only) the 锦江区 patches it checks, and records them.
    let qingyang = actor(Role::CountyFiller, "510105");
    let mine = show(&e.store, &qingyang, s.id).unwrap();
    assert!(!mine.items.is_empty());
    assert!(mine
        .items
        .iter()
        .all(|i| i.xzqdm == "510104" && i.checker.as_deref() == Some("510105")));
    let first = mine.items[0].jcbh.clone();
    let err = record(&mut e.store, &qingyang, s.id, &first, true, None).unwrap_err();
    assert!(err.to_string().contains("须写明问题"), "{err}");
    record(
        &mut e.store,
        &qingyang,
        s.id,
        &first,
        true,
        Some("实为违法建设"),
    )
    .unwrap();
    // 锦江区 cannot check its own patches, nor see the others'.
    let jinjiang = actor(Role::CountyFiller, "510104");
    assert!(matches!(
        record(&mut e.store, &jinjiang, s.id, &first, false, None),
        Err(ServiceError::NotFound(_))
    ));
    // The city records everything else as correct: one wrong in its stratum.
    let all = show(&e.store, &city, s.id).unwrap();
    for i in all.items.iter().filter(|i| i.jcbh != first) {
        record(&mut e.store, &city, s.id, &i.jcbh, false, None).unwrap();
    }
    let done = show(&e.store, &city, s.id).unwrap();
    assert_eq!(
        (done.estimate.checked, done.estimate.wrong),
        (all.items.len(), 1)
    );
    let st = done.strata.iter().find(|x| x.wrong == 1).unwrap();
    let expected = (st.population as f64 / 40.0) * (1.0 / st.checked as f64);
    assert!(
        (done.estimate.share - expected).abs() < 1e-12,
        "{:?}",
        done.estimate
    );
    assert!(done.estimate.low < done.estimate.share && done.estimate.share < done.estimate.high);
    // A sample from one county cannot be cross-checked.
    let mut one = req(3);
    one.region = Some(RegionCode::parse("510105").unwrap());
    let s1 = draw(&mut e.store, &city, &one).unwrap();
    assert!(assign_cross_checks(&mut e.store, &city, s1.id, 1)
        .unwrap_err()
        .to_string()
        .contains("一个县"));
}
