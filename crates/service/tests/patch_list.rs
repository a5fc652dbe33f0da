//! The patch list through the service: scope narrowing, the statuses of
//! patches answered and sent up the chain (split ones included), and the
//! Chinese errors for parameters that do not parse.

use weipian_domain::access::{Actor, Role};
use weipian_domain::review::ReviewAction;
use weipian_domain::RegionCode;
use weipian_service::patches::{detail, list, ListRequest, Page};
use weipian_service::review::act;
use weipian_service::ServiceError;
use weipian_store::NewAudit;

mod common;
use common::*;

const A: &str = "510104TD200001";
const A2: &str = "510104TD200002";
const A3: &str = "510104TD200003";
const B: &str = "510105TD200001";

fn rc(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn page(e: &Env, who: &Actor, f: impl FnOnce(&mut ListRequest)) -> Page {
    let mut req = ListRequest::new(batch());
    f(&mut req);
    list(&e.store, who, &req).unwrap()
}

fn jcbhs(p: &Page) -> Vec<&str> {
    p.items.iter().map(|r| r.jcbh.as_str()).collect()
}

fn refused(e: &Env, who: &Actor, f: impl FnOnce(&mut ListRequest)) -> String {
    let mut req = ListRequest::new(batch());
    f(&mut req);
    match list(&e.store, who, &req) {
        Err(ServiceError::Invalid(m)) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_county_lists_its_own_patches_whatever_region_it_asks_for() {
    let e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let province = actor(Role::ProvinceReviewer, "510000");
    assert_eq!(page(&e, &province, |_| {}).total, 4);
    let own = page(&e, &jinjiang, |_| {});
    assert_eq!(jcbhs(&own), vec![A, A2, A3]);
    // The neighbour's county, asked for by name: an empty page, not an error.
    let other = page(&e, &jinjiang, |r| r.region = Some(rc("510105")));
    assert_eq!((other.total, other.items.len()), (0, 0));
    // The whole province or city: narrowed to its own county.
    for wider in ["510000", "510100"] {
        let p = page(&e, &jinjiang, |r| r.region = Some(rc(wider)));
        assert_eq!(jcbhs(&p), vec![A, A2, A3], "{wider}");
    }
    // And no filter lets another county's patch through.
    let p = page(&e, &jinjiang, |r| {
        r.q = Some("510105".into());
    });
    assert_eq!(p.total, 0);
    // The province narrows to the county it names.
    let p = page(&e, &province, |r| r.region = Some(rc("510105")));
    assert_eq!(jcbhs(&p), vec![B]);
    // Paging: the defaults, a clamp, a page past the end.
    let p = page(&e, &province, |r| {
        r.per_page = 0;
        r.page = 2;
    });
    assert_eq!(
        (p.total, p.page, p.per_page, jcbhs(&p)),
        (4, 2, 1, vec![A2])
    );
    let p = page(&e, &province, |r| r.per_page = 10_000);
    assert_eq!(p.per_page, 500);
    let p = page(&e, &province, |r| r.page = 9);
    assert_eq!((p.total, p.items.len()), (4, 0));
}

#[test]
fn statuses_follow_answers_parcels_and_the_review_chain() {
    let mut e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let city = actor(Role::CityReviewer, "510100");
    let province = actor(Role::ProvinceReviewer, "510000");
    let status_of = |e: &Env, jcbh: &str| {
        let row = page(e, &province, |r| r.q = Some(jcbh.into())).items[0].clone();
        (row.status, row.answer_complete)
    };
    for j in [A, A2, A3, B] {
        assert_eq!(status_of(&e, j), ("unanswered", false));
    }

    // A complete answer: ready; submitted: with the city.
    complete(&mut e, "510104", A, (104.06, 30.61), "WF", None);
    assert_eq!(status_of(&e, A), ("ready", true));
    act(
        &mut e.store,
        &jinjiang,
        &batch(),
        &[A.into()],
        &ReviewAction::Submit,
        None,
    )
    .unwrap();
    let row = page(&e, &province, |r| r.status = Some("city".into())).items;
    assert_eq!(row.len(), 1);
    assert_eq!(
        (
            row[0].jcbh.as_str(),
            row[0].review_state,
            row[0].review_state_name,
            row[0].status_name
        ),
        (A, "city", "待市级审核", "待市级审核")
    );
    // Returned by the city: returned, with the county again.
    act(
        &mut e.store,
        &city,
        &batch(),
        &[A.into()],
        &ReviewAction::Return {
            reason: "照片不清晰".into(),
        },
        None,
    )
    .unwrap();
    let row = &page(&e, &jinjiang, |r| r.status = Some("returned".into())).items[0];
    assert_eq!(
        (
            row.jcbh.as_str(),
            row.status_name,
            row.review_state,
            row.returned
        ),
        (A, "已退回", "county", true)
    );
    assert!(row.updated_at.is_some());

    // A split patch: ready only when every 地块 is answered completely.
    let id = e.store.patch(&batch(), A2).unwrap().unwrap().id;
    let g = e.store.patch(&batch(), A2).unwrap().unwrap().geometry;
    let audit = NewAudit {
        actor: "t".into(),
        region: "510104".into(),
        action: "parcels.split".into(),
        target: A2.into(),
        before: None,
        after: None,
        reason: None,
    };
    e.store
        .set_parcels(id, &[(g.clone(), 1.0), (g, 1.0)], false, &audit)
        .unwrap();
    let answer = r#"{"PDLX":"QT","JTQX":"QT01","PDYJSM":"x"}"#;
    e.store
        .save_answer(id, 1, answer, true, None, &audit)
        .unwrap();
    assert_eq!(status_of(&e, A2), ("draft", false));
    let row = &page(&e, &province, |r| r.pdlx = Some("QT".into())).items;
    assert_eq!(
        (
            row.len(),
            row[0].jcbh.as_str(),
            row[0].parcels,
            row[0].category.as_deref()
        ),
        (1, A2, 2, None)
    );
    e.store
        .save_answer(id, 2, answer, false, None, &audit)
        .unwrap();
    assert_eq!(status_of(&e, A2), ("draft", false));
    e.store
        .save_answer(id, 2, answer, true, Some(1), &audit)
        .unwrap();
    assert_eq!(status_of(&e, A2), ("ready", true));

    // Several statuses at once, in the province and in one county.
    let p = page(&e, &province, |r| {
        r.status = Some("ready, unanswered".into())
    });
    assert_eq!(jcbhs(&p), vec![A2, A3, B]);
    let p = page(&e, &jinjiang, |r| {
        r.status = Some("unanswered,returned".into())
    });
    assert_eq!(jcbhs(&p), vec![A, A3]);

    // The detail carries the same row.
    let d = detail(&e.store, &province, &batch(), A2).unwrap();
    assert_eq!(
        (d.row.status, d.row.parcels, d.row.answer_complete),
        ("ready", 2, true)
    );
}

#[test]
fn parameters_that_do_not_parse_are_refused_in_chinese() {
    let e = env_two_counties();
    let jinjiang = actor(Role::CountyFiller, "510104");
    let m = refused(&e, &jinjiang, |r| r.status = Some("ready,xyz".into()));
    assert!(
        m.contains("status “xyz” 不是有效的状态") && m.contains("unanswered（未填报）"),
        "{m}"
    );
    let m = refused(&e, &jinjiang, |r| r.sort = Some("size".into()));
    assert!(m.contains("sort “size”") && m.contains("updated"), "{m}");
    let m = refused(&e, &jinjiang, |r| r.dir = Some("up".into()));
    assert!(m.contains("dir “up”"), "{m}");
    let m = refused(&e, &jinjiang, |r| r.flag = Some("maybe".into()));
    assert!(m.contains("flag “maybe”"), "{m}");
    let m = refused(&e, &jinjiang, |r| r.pdlx = Some("XX".into()));
    assert!(
        m.contains("pdlx “XX” 不是 2020 年的判定类型代码") && m.contains("WF"),
        "{m}"
    );
    let m = refused(&e, &jinjiang, |r| r.jtqx = Some("WF77".into()));
    assert!(m.contains("jtqx “WF77”") && m.contains("WF01"), "{m}");
    let m = refused(&e, &jinjiang, |r| r.min_area = Some(-1.0));
    assert!(m.contains("min_area “-1”"), "{m}");
    let m = refused(&e, &jinjiang, |r| r.max_area = Some(f64::INFINITY));
    assert!(m.contains("max_area"), "{m}");
    let m = refused(&e, &jinjiang, |r| {
        r.min_area = Some(10.0);
        r.max_area = Some(5.0);
    });
    assert!(m.contains("min_area（10）大于 max_area（5）"), "{m}");
    // Checked before the scope: a bad value is refused outside it too.
    let m = refused(&e, &jinjiang, |r| {
        r.region = Some(rc("510105"));
        r.sort = Some("size".into());
    });
    assert!(m.contains("sort “size”"), "{m}");
    // Blank values are no filter; known codes and both directions pass.
    let p = page(&e, &jinjiang, |r| {
        r.status = Some(" ".into());
        r.pdlx = Some(String::new());
        r.sort = Some("area".into());
        r.dir = Some("desc".into());
        r.flag = Some("none".into());
    });
    assert_eq!(p.total, 3);
}
