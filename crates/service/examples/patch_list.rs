//! The patch list at province scale (#7): N land patches (default 100,000)
//! from the demo crate's benchmark generator (`weipian-gen patches`),
//! imported through the service's import pipeline after the generator's
//! county boundaries; then a realistic mix of work written through the
//! store's own write paths (each versioned and audited as in production):
//! ~1 % split into two 地块, answers for ~80 % (判定类型 HF / WF / QT, ~12 %
//! of them incomplete), the review chain for about half (some returned),
//! open desk-review flags for a few %, some upheld or cleared, a few
//! patches filed as military land. Then `patches::list` is timed as the
//! province reviewer (scope 510000) and as the county filler of the largest
//! county for a matrix of filters, sorts and pages, and `patches::detail`
//! on a few patches; every figure is the median of RUNS calls (after one
//! warm-up call) with min and max.
//!
//! `cargo run --release -p weipian-service --example patch_list -- [N] [RUNS]`
//!
//! With `WEIPIAN_BENCH_DIR=DIR` the store is built in DIR and reused by
//! later runs (it is rebuilt when DIR holds no store).

use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::review::{Review, ReviewAction};
use weipian_domain::{BatchId, PatchKind, RegionCode};
use weipian_service::patches::{self, ListRequest};
use weipian_store::{NewAudit, NewFlag, PatchQuery, ReviewChange};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[path = "common/bench_store.rs"]
mod bench_store;

fn stats(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

fn audit(action: &str, target: &str) -> NewAudit {
    NewAudit {
        actor: "bench".into(),
        region: "510000".into(),
        action: action.into(),
        target: target.into(),
        before: None,
        after: None,
        reason: None,
    }
}

/// An answer of category `pdlx` (sub-code `jtqx`).
fn answer(pdlx: &str, jtqx: &str, area: f64) -> String {
    let mut a = Answer {
        category: pdlx.into(),
        sub: Some(jtqx.into()),
        basis: "内业核实".into(),
        ..Answer::default()
    };
    match pdlx {
        "HF" => {
            a.approval_number = Some("川府土〔2019〕12号".into());
            a.approval_authority = Some("四川省人民政府".into());
            a.approval_date = Some("2019-06-01".into());
            a.approval_area_m2 = Some(area * 1.2);
        }
        "WF" => {
            a.actual_use = Some("厂房".into());
            a.illegal_area_m2 = Some(area);
            a.illegal_cultivated_m2 = Some(area * 0.4);
            a.new_construction_m2 = Some(area);
        }
        _ => a.basis = "地表无变化".into(),
    }
    serde_json::to_string(&a).unwrap_or_default()
}

/// The counties, the patches, and the work on them; the store's directory.
#[allow(clippy::too_many_lines)]
fn build(dir: &Path, n: usize, batch: &BatchId) -> Res<()> {
    let mut store = bench_store::imported(dir, n, batch)?;

    let t = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let all = store.patch_summaries(&PatchQuery {
        batch: batch.clone(),
        kind: None,
        region: None,
    })?;
    let mut split = 0usize;
    let mut answered = 0usize;
    let mut complete_ids = Vec::new();
    let mut answer_rows = 0usize;
    for p in &all {
        let target = format!("{batch}/{}", p.jcbh);
        let parts: Vec<u32> = if rng.random_bool(0.01) {
            let g = store
                .patch(batch, &p.jcbh)?
                .ok_or("patch vanished")?
                .geometry;
            let half = p.area_m2 / 2.0;
            store.set_parcels(
                p.id,
                &[(g.clone(), half), (g, half)],
                false,
                &audit("parcels.split", &target),
            )?;
            split += 1;
            vec![1, 2]
        } else {
            vec![0]
        };
        if !rng.random_bool(0.8) {
            continue;
        }
        answered += 1;
        let (pdlx, jtqx) = match rng.random_range(0..100) {
            0..45 => ("HF", ["HF01", "HF02", "HF03"][rng.random_range(0..3)]),
            45..55 => ("WF", ["WF01", "WF02", "WF99"][rng.random_range(0..3)]),
            _ => ("QT", ["QT01", "QT02"][rng.random_range(0..2)]),
        };
        let mut all_complete = true;
        for (i, part) in parts.iter().enumerate() {
            // The second 地块 of a split patch is left unanswered sometimes.
            if i > 0 && rng.random_bool(0.3) {
                all_complete = false;
                continue;
            }
            let complete = rng.random_bool(0.88);
            all_complete &= complete;
            let text = answer(pdlx, jtqx, p.area_m2 / parts.len() as f64);
            store.save_answer(
                p.id,
                *part,
                &text,
                complete,
                None,
                &audit("answer.save", &target),
            )?;
            answer_rows += 1;
        }
        if all_complete {
            complete_ids.push((p.id, target));
        }
    }
    println!(
        "{split} split, {answered} answered ({answer_rows} answer rows, {} complete) in {:.1} s",
        complete_ids.len(),
        t.elapsed().as_secs_f64()
    );

    // The review chain for most complete ones, in one transaction.
    let t = Instant::now();
    let mut changes = Vec::new();
    for (id, target) in &complete_ids {
        if !rng.random_bool(0.72) {
            continue;
        }
        let mut r = Review::default();
        let mut steps: Vec<(ReviewAction, Role)> = vec![(ReviewAction::Submit, Role::CountyFiller)];
        let back = || ReviewAction::Return {
            reason: "照片不清晰".into(),
        };
        let pass = || ReviewAction::Pass { opinion: None };
        match rng.random_range(0..100) {
            0..30 => {}
            30..45 => steps.push((pass(), Role::CityReviewer)),
            45..65 => steps.extend([
                (pass(), Role::CityReviewer),
                (ReviewAction::SubmitToProvince, Role::CityReviewer),
            ]),
            65..75 => steps.extend([
                (pass(), Role::CityReviewer),
                (ReviewAction::SubmitToProvince, Role::CityReviewer),
                (pass(), Role::ProvinceReviewer),
            ]),
            75..88 => steps.extend([
                (pass(), Role::CityReviewer),
                (ReviewAction::SubmitToProvince, Role::CityReviewer),
                (pass(), Role::ProvinceReviewer),
                (ReviewAction::Report, Role::ProvinceReviewer),
            ]),
            88..96 => steps.push((back(), Role::CityReviewer)),
            _ => steps.extend([
                (pass(), Role::CityReviewer),
                (ReviewAction::SubmitToProvince, Role::CityReviewer),
                (back(), Role::ProvinceReviewer),
            ]),
        }
        let mut from = r.state;
        let mut last = None;
        for (a, role) in &steps {
            from = r.state;
            r.apply(a, *role)?;
            last = Some((a.code(), *role, a.opinion().map(str::to_string)));
        }
        let Some((action, role, opinion)) = last else {
            continue;
        };
        changes.push(ReviewChange {
            patch_id: *id,
            state: r.state.code().into(),
            review: serde_json::to_string(&r)?,
            based_on: 0,
            action: action.into(),
            from_state: from.code().into(),
            role: role.code().into(),
            opinion,
            audit: audit("review.act", target),
        });
    }
    let reviewed = changes.len();
    store.save_reviews(&changes)?;
    println!("{reviewed} reviews in {:.1} s", t.elapsed().as_secs_f64());

    // Desk-review flags: open on ~4 %, some of them decided.
    let t = Instant::now();
    let (mut open, mut decided) = (0usize, 0usize);
    for p in &all {
        if !rng.random_bool(0.05) {
            continue;
        }
        let target = format!("{batch}/{}", p.jcbh);
        let mut firing = vec![NewFlag {
            rule: "area_mismatch".into(),
            message: "违法面积与图斑面积不符".into(),
            evidence: "[]".into(),
        }];
        if rng.random_bool(0.3) {
            firing.push(NewFlag {
                rule: "photo_far".into(),
                message: "照片拍摄位置距图斑过远".into(),
                evidence: "[]".into(),
            });
        }
        store.record_flags(p.id, &firing, &audit("desk.run", &target))?;
        if rng.random_bool(0.2) {
            let first = store.flags(p.id)?.first().map(|f| f.id).ok_or("no flag")?;
            store.decide_flag(
                first,
                rng.random_bool(0.5),
                None,
                &audit("desk.decide", &target),
            )?;
            decided += 1;
        }
        open += firing.len();
    }
    // A few patches filed as military land (left out of every list).
    for p in all.iter().step_by(2000) {
        store.file_military(p.id, "{}", &audit("military.file", &p.jcbh))?;
    }
    println!(
        "{open} flags raised, {decided} decided, military filed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One combination of the matrix: a name and how it changes the request.
type Case = (&'static str, fn(&mut ListRequest));

const CASES: &[Case] = &[
    ("no filter, by JCBH, page 1", |_| {}),
    ("no filter, by JCBH, page 1000", |r| r.page = 1000),
    ("status=unanswered", |r| {
        r.status = Some("unanswered".into())
    }),
    ("status=draft,ready", |r| {
        r.status = Some("draft,ready".into())
    }),
    ("status=returned", |r| r.status = Some("returned".into())),
    ("status=city,province", |r| {
        r.status = Some("city,province".into())
    }),
    ("pdlx=WF", |r| r.pdlx = Some("WF".into())),
    ("pdlx=QT", |r| r.pdlx = Some("QT".into())),
    ("jtqx=HF01", |r| r.jtqx = Some("HF01".into())),
    ("flag=open", |r| r.flag = Some("open".into())),
    ("flag=none", |r| r.flag = Some("none".into())),
    ("min_area=10000", |r| r.min_area = Some(10_000.0)),
    ("min_area=1000&max_area=5000", |r| {
        r.min_area = Some(1000.0);
        r.max_area = Some(5000.0);
    }),
    ("q=TD2020", |r| r.q = Some("td2020".into())),
    ("kind=land", |r| r.kind = Some(PatchKind::Land)),
    ("status+pdlx+flag+area+q", |r| {
        r.status = Some("draft,ready,city".into());
        r.pdlx = Some("HF".into());
        r.flag = Some("none".into());
        r.min_area = Some(500.0);
        r.max_area = Some(100_000.0);
        r.q = Some("1".into());
    }),
    ("sort=area desc, page 101", |r| {
        r.sort = Some("area".into());
        r.dir = Some("desc".into());
        r.page = 101;
    }),
    ("sort=area desc, page 1000", |r| {
        r.sort = Some("area".into());
        r.dir = Some("desc".into());
        r.page = 1000;
    }),
    ("sort=updated desc, page 101", |r| {
        r.sort = Some("updated".into());
        r.dir = Some("desc".into());
        r.page = 101;
    }),
    ("sort=xzqdm asc, page 500", |r| {
        r.sort = Some("xzqdm".into());
        r.page = 500;
    }),
    ("status=unanswered,draft sort=updated desc p 101", |r| {
        r.status = Some("unanswered,draft".into());
        r.sort = Some("updated".into());
        r.dir = Some("desc".into());
        r.page = 101;
    }),
    ("everything, sort=area desc, page 11", |r| {
        r.status = Some("draft,ready,city".into());
        r.pdlx = Some("HF".into());
        r.flag = Some("none".into());
        r.min_area = Some(500.0);
        r.q = Some("1".into());
        r.sort = Some("area".into());
        r.dir = Some("desc".into());
        r.page = 11;
    }),
];

/// Median, min and max in ms of `runs` calls after a warm-up one.
fn time<T>(runs: usize, mut f: impl FnMut() -> Res<T>) -> Res<(f64, f64, f64, T)> {
    let mut last = f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        last = f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (m, lo, hi) = stats(times);
    Ok((m, lo, hi, last))
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(15), |a| a.parse())?;
    let batch = BatchId::new(2020, "2020Q1")?;
    let (_tmp, store) = bench_store::open_or_build(|dir| build(dir, n, &batch))?;
    // The county with the most patches.
    let mut per_county: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for p in store.patch_summaries(&PatchQuery {
        batch: batch.clone(),
        kind: None,
        region: None,
    })? {
        *per_county.entry(p.xzqdm).or_default() += 1;
    }
    let (county, county_n) = per_county
        .into_iter()
        .max_by_key(|(c, n)| (*n, c.clone()))
        .ok_or("no patches")?;
    let actors = [
        (
            "province 510000".to_string(),
            Actor::new(
                "prov",
                Scope::Region(RegionCode::parse("510000")?),
                Role::ProvinceReviewer,
            )?,
        ),
        (
            format!("county {county} ({county_n} patches)"),
            Actor::new(
                "county",
                Scope::Region(RegionCode::parse(&county)?),
                Role::CountyFiller,
            )?,
        ),
    ];
    println!("\n{runs} runs each (after one warm-up), per_page 50, times in ms\n");
    println!("| actor | request | total | median | min | max |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut worst: (f64, String) = (0.0, String::new());
    for (who, actor) in &actors {
        for (name, set) in CASES {
            let mut req = ListRequest::new(batch.clone());
            set(&mut req);
            let (m, lo, hi, page) = time(runs, || Ok(patches::list(&store, actor, &req)?))?;
            if m > worst.0 {
                worst = (m, format!("{who}: {name}"));
            }
            println!(
                "| {who} | {name} | {} | {m:.1} | {lo:.1} | {hi:.1} |",
                page.total
            );
        }
    }
    // Detail: a plain, a split and a reviewed patch.
    let province = &actors[0].1;
    let mut req = ListRequest::new(batch.clone());
    req.per_page = 500;
    let rows = patches::list(&store, province, &req)?.items;
    let picks = [
        rows.iter().find(|r| r.status == "unanswered"),
        rows.iter().find(|r| r.parcels > 0),
        rows.iter().find(|r| r.status == "reported"),
        rows.iter().find(|r| r.open_flags > 0),
    ];
    for row in picks.into_iter().flatten() {
        let (m, lo, hi, d) = time(runs, || {
            Ok(patches::detail(&store, province, &batch, &row.jcbh)?)
        })?;
        println!(
            "| province 510000 | detail {} ({}, {} 地块) | – | {m:.1} | {lo:.1} | {hi:.1} |",
            d.row.jcbh, d.row.status_name, d.row.parcels
        );
    }
    println!("\nslowest list median: {:.1} ms ({})", worst.0, worst.1);
    Ok(())
}
