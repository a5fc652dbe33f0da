//! National-scale benchmark of the reports (#6): N patches (default
//! 1,000,000) over every county-level region of the national table, with
//! answers (some split into 地块), cases at every stage, deduction claims,
//! eliminations and parties — generated seeded in memory — then timed:
//!
//! 1. `figures_by_region`: every county's, city's, province's and the
//!    nation's 快报 figures in one pass;
//! 2. `render`: the 快报 text of every one of those regions;
//! 3. `assess`: the full accountability list (every city and county);
//! 4. `signals` and `blacklist`.
//!
//! `cargo run --release -p weipian-reports --example national -- [N] [RUNS]`
//! prints each step's median and spread over RUNS runs, and the process's
//! peak memory.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use weipian_domain::accountability::Policy;
use weipian_domain::case::{Party, PartyKind, RectificationKind};
use weipian_domain::determination::Legality;
use weipian_domain::region::RegionTable;
use weipian_domain::{PatchKind, RegionCode};
use weipian_reports::quick::{figures_by_region, render, Subject, Template};
use weipian_reports::{CaseDetail, CaseFact, PartCase, PartFact, PatchFact, StatedAreas};

fn date(rng: &mut ChaCha8Rng, year: i32) -> time::Date {
    let day = rng.random_range(1..=365u16);
    time::Date::from_ordinal_date(year, day).unwrap_or(time::macros::date!(2020 - 06 - 01))
}

fn generate(n: usize, seed: u64) -> (Vec<PatchFact>, Vec<CaseFact>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let counties: Vec<RegionCode> = RegionTable::shared()
        .iter()
        .filter(|r| r.county_level)
        .map(|r| r.code)
        .collect();
    let claims = ["wgjy", "bbsx", "zdjcss", "yhyz", "bzxaj", "yqfk"];
    let mut patches = Vec::with_capacity(n);
    let mut cases = Vec::new();
    for i in 0..n {
        let county = counties[rng.random_range(0..counties.len())];
        let kind = if rng.random_bool(0.92) {
            PatchKind::Land
        } else {
            PatchKind::Mineral
        };
        let jcbh = format!(
            "{county}{}2020{i:07}",
            if kind == PatchKind::Land { "TD" } else { "KC" }
        );
        let area: f64 = rng.random_range(400.0..60_000.0);
        let gd = area * rng.random_range(0.0..0.8);
        let jbnt = gd * rng.random_range(0.0..0.6);
        let n_parts = if rng.random_bool(0.03) { 2 } else { 1 };
        let mut parts = Vec::with_capacity(n_parts);
        for k in 0..n_parts {
            let share = 1.0 / n_parts as f64;
            let (a, g, j) = (area * share, gd * share, jbnt * share);
            let label = if n_parts == 1 {
                jcbh.clone()
            } else {
                format!("{jcbh}-{}", k + 1)
            };
            let answered = rng.random_bool(0.9);
            let complete = answered && rng.random_bool(0.92);
            let r: f64 = rng.random();
            let legality = match kind {
                PatchKind::Land if r < 0.45 => Legality::Legal,
                PatchKind::Land if r < 0.50 => Legality::Illegal,
                PatchKind::Land => Legality::Other,
                PatchKind::Mineral if r < 0.3 => Legality::Legal,
                PatchKind::Mineral if r < 0.4 => Legality::Illegal,
                PatchKind::Mineral => Legality::FalseChange,
            };
            let legality = answered.then_some(legality);
            let mut part = PartFact {
                label: label.clone(),
                legality,
                complete,
                area_m2: a,
                gd_m2: g,
                jbnt_m2: j,
                ..PartFact::default()
            };
            match legality {
                Some(Legality::Illegal) => {
                    let w = a * rng.random_range(0.5..1.0);
                    part.stated = StatedAreas {
                        illegal_m2: w,
                        illegal_gd_m2: g.min(w),
                        illegal_jbnt_m2: j.min(g.min(w)),
                        new_construction_m2: w,
                        new_construction_gd_m2: g.min(w),
                    };
                    if rng.random_bool(0.2) {
                        part.claims = vec![claims[rng.random_range(0..claims.len())].to_string()];
                    }
                    if rng.random_bool(0.8) {
                        let number = format!("违{county}〔2020〕{i}-{k}号");
                        let filed = rng.random_bool(0.8);
                        let decided = filed && rng.random_bool(0.75);
                        let enforced = decided && rng.random_bool(0.6);
                        let eliminated = rng.random_bool(0.3);
                        let closed = enforced && rng.random_bool(0.7);
                        let elim_on = eliminated.then(|| date(&mut rng, 2020));
                        let mut rect = Vec::new();
                        if eliminated || rng.random_bool(0.2) {
                            let kinds = [
                                RectificationKind::Demolition,
                                RectificationKind::Recultivation,
                                RectificationKind::Remedy,
                            ];
                            rect.push((kinds[rng.random_range(0..3)], date(&mut rng, 2020)));
                        }
                        part.eliminated = eliminated;
                        part.case = Some(PartCase {
                            number: number.clone(),
                            eliminated_on: elim_on,
                            rectifications: rect,
                        });
                        let parties = if rng.random_bool(0.5) {
                            vec![Party {
                                kind: if rng.random_bool(0.5) {
                                    PartyKind::Unit
                                } else {
                                    PartyKind::Person
                                },
                                name: format!("当事人{}", rng.random_range(0..200_000)),
                                position: None,
                            }]
                        } else {
                            Vec::new()
                        };
                        cases.push(CaseFact {
                            number,
                            county,
                            kind,
                            filed,
                            decided,
                            closed,
                            enforced,
                            eliminated,
                            area_m2: w,
                            gd_m2: g.min(w),
                            jbnt_m2: j.min(g.min(w)),
                            detail: CaseDetail {
                                opened_on: Some(date(&mut rng, 2020)),
                                filed_on: filed.then(|| date(&mut rng, 2020)),
                                decided_on: decided.then(|| date(&mut rng, 2020)),
                                eliminated_on: elim_on,
                                parties,
                            },
                        });
                    }
                }
                Some(Legality::Legal) if kind == PatchKind::Land && rng.random_bool(0.6) => {
                    part.stated.new_construction_m2 = a;
                    part.stated.new_construction_gd_m2 = g;
                }
                _ => {}
            }
            parts.push(part);
        }
        patches.push(PatchFact {
            jcbh,
            county,
            kind,
            area_m2: area,
            gd_m2: gd,
            jbnt_m2: jbnt,
            parts,
        });
    }
    (patches, cases)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let t = Instant::now();
    let (patches, cases) = generate(n, 2020);
    let parts: usize = patches.iter().map(|p| p.parts.len()).sum();
    println!(
        "generated {n} patches ({parts} parts) and {} cases in {:.2} s; peak memory {:.0} MiB",
        cases.len(),
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    let policy = Policy::embedded(2020).expect("2020 policy");
    let template = Template::embedded(2020).expect("2020 template");
    let regions = RegionTable::shared();
    let (mut t_fig, mut t_render, mut t_assess, mut t_other, mut t_all) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut summary = String::new();
    for _ in 0..runs {
        let start = Instant::now();
        let by = figures_by_region(&patches, &cases);
        let a = start.elapsed().as_secs_f64();
        let mut chars = 0usize;
        for (code, f) in &by {
            let name = RegionCode::parse(code)
                .ok()
                .and_then(|c| regions.get(c))
                .map_or("全国", |r| r.name.as_str());
            let doc = render(
                &template,
                &Subject::new(name, name, 2020, 1, time::macros::date!(2020 - 04 - 30)),
                f,
            );
            chars += doc.blanks.len();
        }
        let b = start.elapsed().as_secs_f64();
        let assessed = weipian_reports::accountability::assess(&patches, policy);
        let c = start.elapsed().as_secs_f64();
        let s = weipian_reports::enforcement::signals(
            &patches,
            &cases,
            &[],
            policy,
            time::macros::date!(2021 - 02 - 28),
        );
        let bl = weipian_reports::enforcement::blacklist(&cases, policy);
        let d = start.elapsed().as_secs_f64();
        t_fig.push(a);
        t_render.push(b - a);
        t_assess.push(c - b);
        t_other.push(d - c);
        t_all.push(c);
        summary = format!(
            "{} regions' 快报 ({chars} blanks filled); {} cities and {} counties assessed ({} accountable); {} counties with signals; {} blacklisted",
            by.len(),
            assessed.cities.len(),
            assessed.counties.len(),
            assessed.cities.iter().chain(&assessed.counties).filter(|x| x.accountable).count(),
            s.len(),
            bl.len()
        );
    }
    println!("{summary}");
    for (what, xs) in [
        ("figures_by_region (every region, one pass)", t_fig),
        ("render every region's 快报", t_render),
        ("assess (full accountability list)", t_assess),
        ("快报 figures + texts + accountability", t_all),
        ("signals + blacklist", t_other),
    ] {
        let (m, lo, hi) = median(xs);
        println!("{what:<45} median {m:.3} s (min {lo:.3}, max {hi:.3})");
    }
    println!("peak memory {:.0} MiB", peak_rss_mib());
}
