//! The reports read from a real store at scale (#6): N land patches
//! (default 200,000) spread over every county-level region of the national
//! table, each with stored overlay results (seven layers, as `analyze`
//! writes them), 90 % answered (5 % 违法 with stated areas), and a case for
//! most illegal ones — set up directly in the store (the service's write
//! path is not what is measured) — then timed through the service as a
//! user calls it:
//!
//! - `accountability` for the whole country (reads every patch, answer,
//!   case; assesses every city and county);
//! - `quick` (季度快报) for the largest province;
//! - `stats` by province for the whole country.
//!
//! `cargo run --release -p weipian-service --example reports_store -- [N] [RUNS]`
//! (with `WEIPIAN_BENCH_PARTS=1`, the store's bulk reads are timed one by one first).

use std::time::Instant;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use weipian_domain::access::Actor;
use weipian_domain::region::RegionTable;
use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionCode};
use weipian_store::{BatchMeta, NewPatch, Store};

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

#[allow(clippy::too_many_lines)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(200_000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let mut rng = ChaCha8Rng::seed_from_u64(2020);
    let counties: Vec<RegionCode> = RegionTable::shared()
        .iter()
        .filter(|r| r.county_level)
        .map(|r| r.code)
        .collect();
    let batch = BatchId::new(2020, "2020Q1")?;
    let fields = vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new("XZQDM", FieldType::Text { width: 12 }),
    ];
    let t = Instant::now();
    let mut assigned = Vec::with_capacity(n);
    let patches: Vec<NewPatch> = (0..n)
        .map(|i| {
            let county = counties[rng.random_range(0..counties.len())];
            assigned.push(county);
            #[allow(clippy::cast_precision_loss)]
            let (x0, y0) = (
                75.0 + (i % 2000) as f64 * 0.02,
                20.0 + (i / 2000) as f64 * 0.02,
            );
            let ring: Vec<Coord<f64>> = [
                (0.0, 0.0),
                (0.004, 0.0),
                (0.004, 0.003),
                (0.0, 0.003),
                (0.0, 0.0),
            ]
            .iter()
            .map(|(dx, dy)| Coord {
                x: x0 + dx,
                y: y0 + dy,
            })
            .collect();
            let jcbh = format!("{county}TD2020{i:07}");
            NewPatch {
                attrs: vec![
                    AttrValue::Text(jcbh.clone()),
                    AttrValue::Text(county.to_string()),
                ],
                jcbh,
                xzqdm: county.to_string(),
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                area_m2: rng.random_range(400.0..60_000.0),
                source_row: i + 1,
                repairs: vec![],
            }
        })
        .collect();
    let tmp = tempfile::tempdir()?;
    // WEIPIAN_BENCH_KEEP=1 leaves the store behind for a look with sqlite3.
    let dir = if std::env::var_os("WEIPIAN_BENCH_KEEP").is_some() {
        let kept = tmp.keep();
        println!("store kept in {}", kept.display());
        kept
    } else {
        tmp.path().to_path_buf()
    };
    let mut store = Store::open(dir.as_path())?;
    store.import_batch(
        &BatchMeta {
            id: batch.clone(),
            kind: PatchKind::Land,
            source: "bench".into(),
            encoding: None,
            crs: "EPSG:4490".into(),
        },
        &fields,
        &patches,
    )?;
    let path = store.path().to_path_buf();
    drop(store);
    println!("imported {n} patches in {:.1} s", t.elapsed().as_secs_f64());

    // Overlay results, answers and cases straight into the store, in one transaction.
    let t = Instant::now();
    let mut conn = rusqlite::Connection::open(&path)?;
    weipian_formats::gpkg::register_functions(&conn)?;
    let tx = conn.transaction()?;
    let ids: Vec<(i64, String)> = {
        let mut stmt =
            tx.prepare("SELECT fid, COALESCE(updated_at, imported_at) FROM patches ORDER BY fid")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let now = "2020-04-20T02:00:00.000Z";
    let mut cases = 0usize;
    {
        let mut analysis = tx.prepare(
            "INSERT INTO patch_analysis (patch_id, results, analyzed_at) VALUES (?1, ?2, ?3)",
        )?;
        let mut answer = tx.prepare(
            "INSERT INTO answers (patch_id, part, answer, complete, version, updated_at, updated_by) VALUES (?1, 0, ?2, ?3, 1, ?4, 'bench')",
        )?;
        let mut case = tx.prepare(
            "INSERT INTO cases (county, number, record, version, created_at, created_by, updated_at, updated_by)
             VALUES (?1, ?2, ?3, 1, ?4, 'bench', ?4, 'bench')",
        )?;
        let mut link =
            tx.prepare("INSERT INTO case_patches (case_id, patch_id, part) VALUES (?1, ?2, 0)")?;
        for ((id, revision), (p, county)) in ids.iter().zip(patches.iter().zip(&assigned)) {
            let area = p.area_m2;
            let gd = area * rng.random_range(0.0..0.8);
            let results = format!(
                r#"{{"gd":[1,"{revision}",{gd},[["0101",{a1}],["0103",{a2}]],["0101","0103"]],"jbnt":[1,"{revision}",{j},[],[]],"sthx":[1,"{revision}",0.0,[],[]],"zrbhd":[1,"{revision}",0.0,[],[]],"pzyd":[1,"{revision}",{pz},[],["川府土〔2019〕12号"]],"cjyx":[1,"{revision}",0.0,[],[]],"__counties":[1,"{revision}",{area},[["{county}",{area}]],[]]}}"#,
                a1 = gd * 0.7,
                a2 = gd * 0.3,
                j = gd * 0.4,
                pz = area * 0.2,
            );
            analysis.execute(rusqlite::params![id, results, now])?;
            if !rng.random_bool(0.9) {
                continue;
            }
            let r: f64 = rng.random();
            let text = if r < 0.45 {
                r#"{"PDLX":"HF","JTQX":"HF01","PDYJSM":"已批先建","PZWH":"川府土〔2019〕12号","PZJG":"四川省人民政府","PZSJ":"2019-06-01","PZMJ":50000}"#.to_string()
            } else if r < 0.5 {
                format!(
                    r#"{{"PDLX":"WF","JTQX":"WF01","PDYJSM":"未批先建","SJYT":"厂房","WFMJ":{area},"WFGDMJ":{gd},"WFJBNTMJ":0,"XZJSYDMJ":{area},"XZJSZYGDMJ":{gd}}}"#
                )
            } else {
                r#"{"PDLX":"QT","JTQX":"QT01","PDYJSM":"地表无变化"}"#.to_string()
            };
            answer.execute(rusqlite::params![id, text, 1, now])?;
            if (0.45..0.5).contains(&r) && rng.random_bool(0.8) {
                cases += 1;
                let number = format!("违〔2020〕{id}号");
                let record = format!(
                    r#"{{"number":"{number}","filing":{{"date":"2020-05-01","document":"立{id}"}},"parties":[{{"kind":"unit","name":"当事人{}"}}]}}"#,
                    rng.random_range(0..50_000)
                );
                case.execute(rusqlite::params![county.to_string(), number, record, now])?;
                link.execute(rusqlite::params![tx.last_insert_rowid(), id])?;
            }
        }
    }
    tx.commit()?;
    drop(conn);
    println!(
        "wrote overlay results, answers and {cases} cases in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut store = Store::open(dir.as_path())?;
    if std::env::var_os("WEIPIAN_BENCH_PARTS").is_some() {
        for _ in 0..2 {
            let t = Instant::now();
            let s = store.patch_summaries(&weipian_store::PatchQuery {
                batch: batch.clone(),
                kind: None,
                region: None,
            })?;
            println!("summaries {} {:.3}", s.len(), t.elapsed().as_secs_f64());
            let t = Instant::now();
            let a = store.answers_of_batch(&batch, None)?;
            println!("answers {} {:.3}", a.len(), t.elapsed().as_secs_f64());
            let t = Instant::now();
            let n = a
                .iter()
                .filter(|x| {
                    serde_json::from_str::<weipian_domain::determination::Answer>(&x.answer).is_ok()
                })
                .count();
            println!("parse answers {n} {:.3}", t.elapsed().as_secs_f64());
            let t = Instant::now();
            let l = store.layer_areas(&batch, None, &["gd", "jbnt"])?;
            println!("layer areas {} {:.3}", l.len(), t.elapsed().as_secs_f64());
            let t = Instant::now();
            let c = store.cases_with_links(&batch, None)?;
            println!("cases {} {:.3}", c.len(), t.elapsed().as_secs_f64());
            let t = Instant::now();
            let s = store.patch_summaries(&weipian_store::PatchQuery {
                batch: batch.clone(),
                kind: None,
                region: Some(RegionCode::parse("510000")?),
            })?;
            println!("summaries 51 {} {:.3}", s.len(), t.elapsed().as_secs_f64());
            let t = Instant::now();
            let a = store.answers_of_batch(&batch, Some(RegionCode::parse("510000")?))?;
            println!("answers 51 {} {:.3}", a.len(), t.elapsed().as_secs_f64());
            let t = Instant::now();
            let l =
                store.layer_areas(&batch, Some(RegionCode::parse("510000")?), &["gd", "jbnt"])?;
            println!(
                "layer areas 51 {} {:.3}",
                l.len(),
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let l = store.layer_revisions()?;
            println!("layer revs {} {:.3}", l.len(), t.elapsed().as_secs_f64());
        }
    }
    let nation = Actor::local_admin();
    let today = time::macros::date!(2020 - 04 - 25);
    let province = RegionCode::parse("510000")?;
    let (mut t_acc, mut t_quick, mut t_stats) = (Vec::new(), Vec::new(), Vec::new());
    let mut summary = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let a = weipian_service::accountability::accountability(
            &mut store,
            &nation,
            &weipian_service::accountability::AccountabilityRequest {
                year: 2020,
                region: None,
                current: true,
                today,
                as_of: None,
            },
        )?;
        t_acc.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let q = weipian_service::quick::quick(
            &mut store,
            &nation,
            &weipian_service::quick::QuickRequest {
                year: 2020,
                quarter: 1,
                region: province,
                current: true,
                explain: false,
                today,
                as_of: None,
            },
        )?;
        t_quick.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let s = weipian_service::stats::stats(
            &store,
            &nation,
            &weipian_service::stats::StatsRequest {
                batch: batch.clone(),
                level: weipian_reports::Level::Province,
                snapshot: None,
                as_of: None,
            },
        )?;
        t_stats.push(t.elapsed().as_secs_f64());
        summary = format!(
            "accountability: {} cities, {} counties; 快报 of 四川省: {} blanks, {} sub-regions; stats: {} provinces",
            a.assessments.cities.len(),
            a.assessments.counties.len(),
            q.doc.blanks.len(),
            q.table.rows.len() - 1,
            s.len()
        );
    }
    println!("{summary}");
    for (what, xs) in [
        ("accountability, whole country (read + assess)", t_acc),
        ("季度快报, one province (read + fill)", t_quick),
        ("stats by province, whole country", t_stats),
    ] {
        let (m, lo, hi) = median(xs);
        println!("{what:<48} median {m:.3} s (min {lo:.3}, max {hi:.3})");
    }
    println!("peak memory {:.0} MiB", peak_rss_mib());
    Ok(())
}
