//! The patch list: every filter, sort and direction, paging totals, LIKE
//! escaping, the military register left out, the exact region rule, and
//! the work state kept by triggers against a recomputation from scratch.

use geo_types::{polygon, MultiPolygon};
use weipian_domain::access::Role;
use weipian_domain::review::{Review, ReviewAction, WorkStatus};
use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionCode};
use weipian_store::{
    BatchMeta, FlagFilter, NewAudit, NewFlag, NewPatch, PatchListQuery, PatchSort, ReviewChange,
    Store,
};

fn square(x: f64) -> MultiPolygon<f64> {
    let (y, d) = (30.6, 0.001);
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
    ])
}

fn batch() -> BatchId {
    BatchId::new(2020, "2020Q1").unwrap()
}

fn audit(action: &str) -> NewAudit {
    NewAudit {
        actor: "t".into(),
        region: "510104".into(),
        action: action.into(),
        target: "x".into(),
        before: None,
        after: None,
        reason: None,
    }
}

fn rc(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn import(store: &mut Store, kind: PatchKind, rows: &[(&str, &str, f64)]) {
    let fields = vec![FieldDef::new("JCBH", FieldType::Text { width: 30 })];
    let patches: Vec<NewPatch> = rows
        .iter()
        .enumerate()
        .map(|(i, (jcbh, xzqdm, area))| NewPatch {
            jcbh: (*jcbh).into(),
            xzqdm: (*xzqdm).into(),
            geometry: square(104.0 + i as f64 * 0.01),
            area_m2: *area,
            attrs: vec![AttrValue::Text((*jcbh).into())],
            source_row: i + 1,
            repairs: vec![],
        })
        .collect();
    store
        .import_batch(
            &BatchMeta {
                id: batch(),
                kind,
                source: "t".into(),
                encoding: None,
                crs: "EPSG:4490".into(),
            },
            &fields,
            &patches,
        )
        .unwrap();
}

fn answer(pdlx: &str, jtqx: &str) -> String {
    format!(r#"{{"PDLX":"{pdlx}","JTQX":"{jtqx}","PDYJSM":"x"}}"#)
}

/// Take `steps` from the patch's current review on.
fn review(store: &mut Store, id: i64, steps: &[(ReviewAction, Role)]) {
    let (mut r, based_on) = match store.review(id).unwrap() {
        Some(s) => (
            serde_json::from_str::<Review>(&s.review).unwrap(),
            s.version,
        ),
        None => (Review::default(), 0),
    };
    let from = r.state;
    for (a, role) in steps {
        r.apply(a, *role).unwrap();
    }
    let (action, role) = steps.last().unwrap();
    let out = store
        .save_reviews(&[ReviewChange {
            patch_id: id,
            state: r.state.code().into(),
            review: serde_json::to_string(&r).unwrap(),
            based_on,
            action: action.code().into(),
            from_state: from.code().into(),
            role: role.code().into(),
            opinion: None,
            audit: audit("review.act"),
        }])
        .unwrap();
    out[0].as_ref().unwrap();
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    fn id(&self, jcbh: &str) -> i64 {
        self.store.patch(&batch(), jcbh).unwrap().unwrap().id
    }

    fn list(&self, f: impl FnOnce(&mut PatchListQuery)) -> (usize, Vec<String>) {
        let mut q = PatchListQuery::new(batch());
        q.limit = 100;
        f(&mut q);
        let page = self.store.patch_list(&q).unwrap();
        (
            page.total,
            page.rows.into_iter().map(|r| r.patch.jcbh).collect(),
        )
    }

    /// The JCBHs matching, by JCBH (every row on one page).
    fn jcbhs(&self, f: impl FnOnce(&mut PatchListQuery)) -> Vec<String> {
        let (total, rows) = self.list(f);
        assert_eq!(total, rows.len());
        rows
    }
}

const UNANSWERED: &str = "510104TD0008";

/// Land patches of 锦江区 510104, 青羊区 510105 and 自贡 510300 with their
/// work, a mineral one, one military, and three whose XZQDM is not a plain
/// code: `5101040` and `51010X` lie in the prefix ranges of 510104 and
/// 510100 but within no region; `510104 ` (trailing space) is 510104.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    import(
        &mut store,
        PatchKind::Land,
        &[
            ("510104TD0001", "510104", 100.0),
            ("510104TD0002", "510104", 300.0),
            ("510104TD0003", "510104", 200.0),
            ("510105TD0004", "510105", 400.0),
            ("510104TD_%05", "510104", 50.0),
            ("5101040TD006", "5101040", 60.0),
            ("51010XTD0007", "51010X", 70.0),
            (UNANSWERED, "510104 ", 80.0),
            ("510302TD0009", "510302", 10.0),
            ("510104TD0010", "510104", 90.0),
        ],
    );
    import(
        &mut store,
        PatchKind::Mineral,
        &[("510104KC0001", "510104", 500.0)],
    );
    let mut fx = Fixture { _dir: dir, store };
    let a = audit("answer.save");
    // Ready, with an open flag.
    let id = fx.id("510104TD0001");
    fx.store
        .save_answer(id, 0, &answer("HF", "HF01"), true, None, &a)
        .unwrap();
    let flag = |rule: &str| NewFlag {
        rule: rule.into(),
        message: "m".into(),
        evidence: "[]".into(),
    };
    fx.store
        .record_flags(id, &[flag("r1"), flag("r2")], &audit("desk"))
        .unwrap();
    // Draft (WF01), with an upheld flag.
    let id = fx.id("510104TD0002");
    fx.store
        .save_answer(id, 0, &answer("WF", "WF01"), false, None, &a)
        .unwrap();
    fx.store
        .record_flags(id, &[flag("r1")], &audit("desk"))
        .unwrap();
    let f = fx.store.flags(id).unwrap()[0].id;
    fx.store.decide_flag(f, true, None, &audit("desk")).unwrap();
    // Submitted to the city.
    let id = fx.id("510104TD0003");
    fx.store
        .save_answer(id, 0, &answer("HF", "HF02"), true, None, &a)
        .unwrap();
    review(
        &mut fx.store,
        id,
        &[(ReviewAction::Submit, Role::CountyFiller)],
    );
    // Returned by the city.
    let id = fx.id("510105TD0004");
    fx.store
        .save_answer(id, 0, &answer("QT", "QT01"), true, None, &a)
        .unwrap();
    review(
        &mut fx.store,
        id,
        &[
            (ReviewAction::Submit, Role::CountyFiller),
            (
                ReviewAction::Return {
                    reason: "照片不清晰".into(),
                },
                Role::CityReviewer,
            ),
        ],
    );
    // Split in two, only 地块 1 answered (complete): a draft.
    let id = fx.id("510104TD_%05");
    fx.store
        .set_parcels(
            id,
            &[(square(104.04), 25.0), (square(104.04), 25.0)],
            false,
            &audit("split"),
        )
        .unwrap();
    fx.store
        .save_answer(id, 1, &answer("QT", "QT02"), true, None, &a)
        .unwrap();
    // Reported, the mineral one.
    let id = fx.id("510104KC0001");
    fx.store
        .save_answer(id, 0, &answer("WF", "KWF01"), true, None, &a)
        .unwrap();
    let pass = || ReviewAction::Pass { opinion: None };
    review(
        &mut fx.store,
        id,
        &[
            (ReviewAction::Submit, Role::CountyFiller),
            (pass(), Role::CityReviewer),
            (ReviewAction::SubmitToProvince, Role::CityReviewer),
            (pass(), Role::ProvinceReviewer),
            (ReviewAction::Report, Role::ProvinceReviewer),
        ],
    );
    // Military land, with every kind of work: never listed.
    let id = fx.id("510104TD0010");
    fx.store
        .save_answer(id, 0, &answer("HF", "HF01"), true, None, &a)
        .unwrap();
    fx.store
        .record_flags(id, &[flag("r1")], &audit("desk"))
        .unwrap();
    fx.store
        .file_military(id, "{}", &audit("military"))
        .unwrap();
    fx
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn regions_follow_the_exact_rule_not_the_prefix_range() {
    let fx = fixture();
    // The whole batch: every ordinary patch, odd codes included.
    let (total, _) = fx.list(|_| {});
    assert_eq!(total, 10);
    // 510104: its prefix range holds `5101040`, which is no code at all.
    assert_eq!(
        fx.jcbhs(|q| q.region = Some(rc("510104"))),
        strings(&[
            "510104KC0001",
            "510104TD0001",
            "510104TD0002",
            "510104TD0003",
            UNANSWERED,
            "510104TD_%05",
        ])
    );
    // 成都 510100: its range holds `51010X` and `5101040`; neither is within.
    let city = fx.jcbhs(|q| q.region = Some(rc("510100")));
    assert_eq!(city.len(), 7, "{city:?}");
    assert!(!city
        .iter()
        .any(|j| j.starts_with("51010X") || j.starts_with("5101040")));
    let province = fx.jcbhs(|q| q.region = Some(rc("510000")));
    assert_eq!(province.len(), 8, "{province:?}");
    assert_eq!(
        fx.jcbhs(|q| q.region = Some(rc("510300"))),
        strings(&["510302TD0009"])
    );
    assert!(fx.jcbhs(|q| q.region = Some(rc("130000"))).is_empty());
}

#[test]
fn military_land_is_never_listed() {
    let fx = fixture();
    let id = fx.id("510104TD0001");
    let (_, all) = fx.list(|_| {});
    assert!(!all.iter().any(|j| j == "510104TD0010"));
    for flag in [FlagFilter::Open, FlagFilter::Any] {
        assert!(!fx
            .jcbhs(|q| q.flag = Some(flag))
            .contains(&"510104TD0010".to_string()));
    }
    // Its row is not built either, even asked for by id.
    let mil = fx
        .store
        .patch_any_register(&batch(), "510104TD0010")
        .unwrap()
        .unwrap()
        .0
        .id;
    let rows = fx.store.patch_list_rows(&[mil, id]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].patch.id, id);
}

#[test]
fn kinds_statuses_codes_and_flags_filter() {
    let fx = fixture();
    let status = |codes: &[WorkStatus]| fx.jcbhs(|q| q.statuses = codes.to_vec());
    assert_eq!(
        fx.jcbhs(|q| q.kind = Some(PatchKind::Mineral)),
        strings(&["510104KC0001"])
    );
    assert_eq!(fx.jcbhs(|q| q.kind = Some(PatchKind::Land)).len(), 9);
    assert_eq!(
        status(&[WorkStatus::Unanswered]),
        strings(&["5101040TD006", UNANSWERED, "51010XTD0007", "510302TD0009"])
    );
    assert_eq!(
        status(&[WorkStatus::Draft]),
        strings(&["510104TD0002", "510104TD_%05"])
    );
    assert_eq!(status(&[WorkStatus::Ready]), strings(&["510104TD0001"]));
    assert_eq!(status(&[WorkStatus::Returned]), strings(&["510105TD0004"]));
    assert_eq!(status(&[WorkStatus::City]), strings(&["510104TD0003"]));
    assert_eq!(status(&[WorkStatus::Reported]), strings(&["510104KC0001"]));
    assert!(status(&[WorkStatus::Province]).is_empty());
    assert_eq!(
        status(&[WorkStatus::Ready, WorkStatus::Unanswered, WorkStatus::City]).len(),
        6
    );
    assert_eq!(status(&WorkStatus::ALL).len(), 10);

    // Any current answer, of the patch or of a 地块.
    assert_eq!(
        fx.jcbhs(|q| q.pdlx = Some("WF".into())),
        strings(&["510104KC0001", "510104TD0002"])
    );
    assert_eq!(
        fx.jcbhs(|q| q.pdlx = Some("QT".into())),
        strings(&["510104TD_%05", "510105TD0004"])
    );
    assert_eq!(
        fx.jcbhs(|q| q.jtqx = Some("QT02".into())),
        strings(&["510104TD_%05"])
    );
    assert!(fx.jcbhs(|q| q.pdlx = Some("XX".into())).is_empty());

    let flag = |f| fx.jcbhs(|q| q.flag = Some(f));
    assert_eq!(flag(FlagFilter::Open), strings(&["510104TD0001"]));
    assert_eq!(flag(FlagFilter::Upheld), strings(&["510104TD0002"]));
    assert_eq!(
        flag(FlagFilter::Any),
        strings(&["510104TD0001", "510104TD0002"])
    );
    assert_eq!(flag(FlagFilter::None).len(), 8);

    // Together: every condition holds.
    assert_eq!(
        fx.jcbhs(|q| {
            q.region = Some(rc("510104"));
            q.statuses = vec![WorkStatus::Draft, WorkStatus::Ready];
            q.flag = Some(FlagFilter::Any);
            q.pdlx = Some("WF".into());
        }),
        strings(&["510104TD0002"])
    );
}

#[test]
fn areas_are_inclusive_and_jcbh_search_escapes_wildcards() {
    let fx = fixture();
    assert_eq!(
        fx.jcbhs(|q| {
            q.min_area_m2 = Some(100.0);
            q.max_area_m2 = Some(300.0);
        }),
        strings(&["510104TD0001", "510104TD0002", "510104TD0003"])
    );
    assert_eq!(
        fx.jcbhs(|q| q.min_area_m2 = Some(400.0)),
        strings(&["510104KC0001", "510105TD0004"])
    );
    // `_` and `%` are literal; letters match either case.
    assert_eq!(
        fx.jcbhs(|q| q.jcbh_contains = Some("td_".into())),
        strings(&["510104TD_%05"])
    );
    assert_eq!(
        fx.jcbhs(|q| q.jcbh_contains = Some("%".into())),
        strings(&["510104TD_%05"])
    );
    assert_eq!(
        fx.jcbhs(|q| q.jcbh_contains = Some("kc00".into())),
        strings(&["510104KC0001"])
    );
    assert_eq!(fx.jcbhs(|q| q.jcbh_contains = Some("TD00".into())).len(), 8);
    let mut q = PatchListQuery::new(batch());
    q.min_area_m2 = Some(f64::NAN);
    assert!(fx.store.patch_list(&q).is_err());
}

#[test]
fn every_sort_in_both_directions_breaks_ties_by_jcbh() {
    let fx = fixture();
    let sorted = |sort, descending| {
        fx.jcbhs(|q| {
            q.region = Some(rc("510104"));
            q.sort = sort;
            q.descending = descending;
        })
    };
    let by_jcbh = sorted(PatchSort::Jcbh, false);
    let mut rev = by_jcbh.clone();
    rev.reverse();
    assert_eq!(sorted(PatchSort::Jcbh, true), rev);
    let by_area = strings(&[
        "510104TD_%05",
        UNANSWERED,
        "510104TD0001",
        "510104TD0003",
        "510104TD0002",
        "510104KC0001",
    ]);
    assert_eq!(sorted(PatchSort::Area, false), by_area);
    let mut rev = by_area.clone();
    rev.reverse();
    assert_eq!(sorted(PatchSort::Area, true), rev);
    // XZQDM: the trailing-space code after the plain ones, ties by JCBH.
    let x = strings(&[
        "510104KC0001",
        "510104TD0001",
        "510104TD0002",
        "510104TD0003",
        "510104TD_%05",
        UNANSWERED,
    ]);
    assert_eq!(sorted(PatchSort::Xzqdm, false), x);
    assert_eq!(
        sorted(PatchSort::Xzqdm, true),
        strings(&[
            UNANSWERED,
            "510104KC0001",
            "510104TD0001",
            "510104TD0002",
            "510104TD0003",
            "510104TD_%05",
        ])
    );
    // Updated: by the latest answer or review; never changed last both ways.
    for desc in [false, true] {
        let mut q = PatchListQuery::new(batch());
        q.region = Some(rc("510104"));
        q.sort = PatchSort::Updated;
        q.descending = desc;
        let rows = fx.store.patch_list(&q).unwrap().rows;
        assert_eq!(rows.last().unwrap().patch.jcbh, UNANSWERED);
        assert!(rows.last().unwrap().updated_at.is_none());
        let times: Vec<&str> = rows[..rows.len() - 1]
            .iter()
            .map(|r| r.updated_at.as_deref().unwrap())
            .collect();
        let mut expect = times.clone();
        expect.sort_unstable();
        if desc {
            expect.reverse();
        }
        assert_eq!(times, expect);
    }
    // The reported patch's review came after every answer.
    let mut q = PatchListQuery::new(batch());
    q.sort = PatchSort::Updated;
    q.descending = true;
    q.limit = 1;
    assert_eq!(
        fx.store.patch_list(&q).unwrap().rows[0].patch.jcbh,
        "510104KC0001"
    );
}

#[test]
fn pages_keep_the_total_and_stay_in_order() {
    let fx = fixture();
    let (_, all) = fx.list(|_| {});
    let mut seen = Vec::new();
    for offset in (0..12).step_by(3) {
        let (total, rows) = fx.list(|q| {
            q.limit = 3;
            q.offset = offset;
        });
        assert_eq!(total, 10, "offset {offset}");
        assert_eq!(rows.len(), 3.min(10 - offset.min(10)));
        seen.extend(rows);
    }
    assert_eq!(seen, all);
    // Past the end: no rows, the total still.
    assert_eq!(
        fx.list(|q| {
            q.offset = 50;
            q.limit = 5;
        }),
        (10, vec![])
    );
    // A full last page is counted, not guessed.
    assert_eq!(
        fx.list(|q| {
            q.offset = 5;
            q.limit = 5;
        })
        .0,
        10
    );
}

#[test]
fn rows_carry_the_work_of_their_patch() {
    let fx = fixture();
    let row = |jcbh: &str| {
        let id = fx.id(jcbh);
        fx.store.patch_list_rows(&[id]).unwrap().pop().unwrap()
    };
    let r = row("510104TD0001");
    assert_eq!(
        (
            r.status,
            r.complete,
            r.answer_version,
            r.open_flags,
            r.parcels
        ),
        (WorkStatus::Ready, true, 1, 2, 0)
    );
    assert_eq!(r.category.as_deref(), Some("HF"));
    assert!(r.updated_at.as_deref().unwrap().ends_with('Z'));
    let r = row("510104TD_%05");
    assert_eq!(
        (r.status, r.complete, r.answer_version, r.parcels),
        (WorkStatus::Draft, false, 0, 2)
    );
    let r = row(UNANSWERED);
    assert_eq!(
        (r.status, r.complete, r.updated_at, r.category),
        (WorkStatus::Unanswered, false, None, None)
    );
    assert_eq!(r.patch.xzqdm, "510104 ");
    assert_eq!(row("510105TD0004").status, WorkStatus::Returned);
}

/// The status by the rule, read through the store's ordinary accessors.
fn reference(store: &Store, id: i64) -> (WorkStatus, bool) {
    let review: Review = store
        .review(id)
        .unwrap()
        .map(|s| serde_json::from_str(&s.review).unwrap())
        .unwrap_or_default();
    let answers = store.answers_of_patch(id).unwrap();
    let parts = store.parcels(id).unwrap();
    let complete_part = |part| answers.iter().any(|a| a.part == part && a.complete);
    let complete = if parts.is_empty() {
        complete_part(0)
    } else {
        parts.iter().all(|d| complete_part(d.no))
    };
    let status = match review.state.code() {
        "county" if review.last_return.is_some() => WorkStatus::Returned,
        "county" if answers.is_empty() => WorkStatus::Unanswered,
        "county" if complete => WorkStatus::Ready,
        "county" => WorkStatus::Draft,
        code => WorkStatus::parse(code).unwrap(),
    };
    (status, complete)
}

#[test]
fn the_work_state_follows_every_write() {
    let mut fx = fixture();
    let check = |fx: &Fixture| {
        let mut q = PatchListQuery::new(batch());
        q.limit = 100;
        for r in fx.store.patch_list(&q).unwrap().rows {
            assert_eq!(
                (r.status, r.complete),
                reference(&fx.store, r.patch.id),
                "{}",
                r.patch.jcbh
            );
            assert_eq!(fx.store.answers_complete(r.patch.id).unwrap(), r.complete);
        }
    };
    check(&fx);
    let a = audit("answer.save");
    // 地块 2 answered: the split patch is ready.
    let split = fx.id("510104TD_%05");
    fx.store
        .save_answer(split, 2, &answer("HF", "HF01"), true, None, &a)
        .unwrap();
    check(&fx);
    assert_eq!(
        fx.store.patch_list_rows(&[split]).unwrap()[0].status,
        WorkStatus::Ready
    );
    // A re-split into three drops the answers: unanswered again.
    fx.store
        .set_parcels(
            split,
            &[
                (square(104.0), 1.0),
                (square(104.0), 1.0),
                (square(104.0), 1.0),
            ],
            true,
            &audit("split"),
        )
        .unwrap();
    check(&fx);
    assert_eq!(
        fx.store.patch_list_rows(&[split]).unwrap()[0].status,
        WorkStatus::Unanswered
    );
    // The returned patch corrected and submitted again.
    let back = fx.id("510105TD0004");
    fx.store
        .save_answer(back, 0, &answer("QT", "QT01"), true, Some(1), &a)
        .unwrap();
    check(&fx);
    review(
        &mut fx.store,
        back,
        &[(ReviewAction::Submit, Role::CountyFiller)],
    );
    check(&fx);
    assert_eq!(
        fx.store.patch_list_rows(&[back]).unwrap()[0].status,
        WorkStatus::City
    );
    // The draft completed.
    let draft = fx.id("510104TD0002");
    fx.store
        .save_answer(draft, 0, &answer("WF", "WF01"), true, Some(1), &a)
        .unwrap();
    check(&fx);
}

#[test]
fn sets_built_once_and_lookups_per_patch_agree() {
    // A province is filtered through sets built once, a city or county
    // through lookups per patch: the same patches either way.
    let fx = fixture();
    let filters: [fn(&mut PatchListQuery); 9] = [
        |q| q.statuses = vec![WorkStatus::Unanswered],
        |q| q.statuses = vec![WorkStatus::Draft, WorkStatus::Returned],
        |q| q.statuses = vec![WorkStatus::Unanswered, WorkStatus::Ready],
        |q| q.pdlx = Some("QT".into()),
        |q| q.jtqx = Some("WF01".into()),
        |q| q.flag = Some(FlagFilter::Open),
        |q| q.flag = Some(FlagFilter::Upheld),
        |q| q.flag = Some(FlagFilter::Any),
        |q| q.flag = Some(FlagFilter::None),
    ];
    for (i, f) in filters.iter().enumerate() {
        let province = fx.jcbhs(|q| {
            f(q);
            q.region = Some(rc("510000"));
        });
        let mut cities = Vec::new();
        for city in ["510100", "510300"] {
            cities.extend(fx.jcbhs(|q| {
                f(q);
                q.region = Some(rc(city));
            }));
        }
        cities.sort();
        assert_eq!(province, cities, "filter {i}");
        assert!(!province.is_empty(), "filter {i} matches nothing");
    }
}
