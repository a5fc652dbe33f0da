//! The overlay benchmark of issue 3, weipian's side:
//!
//! `cargo run -p weipian-overlay --release --example overlay_bench [-- --scale 0.1] [-- --seed N] [-- --builder]`
//!
//! Generates (seeded) 100,000 patches, 1,000,000 cultivated parcels with
//! DLBM classes, the basic-farmland blocks and 50 nature reserves
//! (`weipian_demo::bench_overlay`), then times — generation excluded —
//! building the three layer indexes and overlaying every patch with each
//! layer (`overlay_all_with_stats`, all cores), and prints per-phase
//! timings, pair counts, area totals and the peak resident memory.
//!
//! With `--builder`, first times building the 耕地 index the way a loader
//! would, from borrowed geometry: one `LayerBuilder` per chunk of features
//! on the rayon pool, appended in order (the input is only borrowed, so
//! unlike `LayerIndex::new` this does not free it). Its overlay results
//! are checked equal to the main run's; it is dropped before that run.

use std::time::Instant;

#[path = "../tests/common/oracle.rs"]
mod oracle;

use geo_types::MultiPolygon;
use rayon::prelude::*;
use weipian_demo::{bench_overlay, BenchConfig};
use weipian_formats::Dataset;
use weipian_overlay::{overlay_all_with_stats, LayerBuilder, LayerIndex, Overlap, OverlayStats};

/// CPU time (user + system) of the whole process so far, seconds.
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    (ticks(11) + ticks(12)) / 100.0
}

/// A field of /proc/self/status in MB (`VmHWM` peak, `VmRSS` current).
fn status_mb(field: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the kernel's peak-RSS mark (`VmHWM`) to the current RSS.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// 0101 水田 → 0, 0102 水浇地 → 1, 0103 旱地 → 2; anything else 3.
fn dlbm_class(code: Option<String>) -> u16 {
    match code.as_deref() {
        Some("0101") => 0,
        Some("0102") => 1,
        Some("0103") => 2,
        _ => 3,
    }
}

/// A layer index from borrowed features: one builder per chunk, filled in
/// parallel, appended in order.
fn index_with_builders(feats: &[(MultiPolygon<f64>, u16)]) -> LayerIndex {
    let chunk = feats
        .len()
        .div_ceil(rayon::current_num_threads() * 8)
        .max(1);
    let parts: Vec<LayerBuilder> = feats
        .par_chunks(chunk)
        .map(|c| {
            let mut b = LayerBuilder::new();
            for (mp, class) in c {
                b.push(mp, *class);
            }
            b
        })
        .collect();
    let mut all = LayerBuilder::new();
    for p in parts {
        all.append(p);
    }
    all.finish()
}

fn take_layer(ds: &mut Dataset, class_field: Option<&str>) -> Vec<(MultiPolygon<f64>, u16)> {
    let col = class_field.and_then(|f| ds.field_index(f));
    ds.features
        .iter_mut()
        .map(|f| {
            let class = col.map_or(0, |c| dlbm_class(f.attrs.get(c).and_then(|v| v.as_text())));
            (
                f.geometry.take().unwrap_or_else(|| MultiPolygon(vec![])),
                class,
            )
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    let scale = arg("--scale").unwrap_or(1.0);
    let mut cfg = BenchConfig::default();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    {
        cfg.patches = (cfg.patches as f64 * scale) as usize;
        cfg.parcels = (cfg.parcels as f64 * scale) as usize;
        if let Some(seed) = arg("--seed") {
            cfg.seed = seed as u64;
        }
    }
    println!(
        "weipian overlay benchmark: {} patches, {} parcels, {} reserves, seed {}, {} threads",
        cfg.patches,
        cfg.parcels,
        cfg.reserves,
        cfg.seed,
        rayon::current_num_threads()
    );

    let t = Instant::now();
    let mut data = bench_overlay(&cfg);
    println!(
        "generate (not timed)     {:7.3} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let patches: Vec<MultiPolygon<f64>> = data
        .patches
        .features
        .iter_mut()
        .map(|f| f.geometry.take().unwrap_or_else(|| MultiPolygon(vec![])))
        .collect();
    let gd = take_layer(&mut data.gd, Some("DLBM"));
    let jbnt = take_layer(&mut data.jbnt, None);
    let zrbhd = take_layer(&mut data.zrbhd, None);
    drop(data);
    let verts = |v: &[(MultiPolygon<f64>, u16)]| -> usize {
        v.iter()
            .flat_map(|(m, _)| m.0.iter())
            .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
            .sum()
    };
    println!(
        "extract geometry         {:7.3} s   (gd {} features / {} pts, jbnt {} / {}, zrbhd {} / {})",
        t.elapsed().as_secs_f64(),
        gd.len(),
        verts(&gd),
        jbnt.len(),
        verts(&jbnt),
        zrbhd.len(),
        verts(&zrbhd)
    );

    let verify = arg("--verify").map_or(0, |v| v as usize);
    let copies: Vec<Vec<(MultiPolygon<f64>, u16)>> = if verify > 0 {
        vec![gd.clone(), jbnt.clone(), zrbhd.clone()]
    } else {
        Vec::new()
    };

    let by_builder = if args.iter().any(|a| a == "--builder") {
        let (t, c) = (Instant::now(), cpu_s());
        let index = index_with_builders(&gd);
        println!(
            "index gd by builders     {:7.3} s  (cpu {:.2} s; borrowed input, not freed)",
            t.elapsed().as_secs_f64(),
            cpu_s() - c
        );
        Some(overlay_all_with_stats(&patches, &index).0)
    } else {
        None
    };

    let gen_peak = status_mb("VmHWM:");
    let reset = reset_peak_rss();
    let rss0 = status_mb("VmRSS:");
    let total = Instant::now();
    let total_cpu = cpu_s();
    let mut layers = Vec::new();
    for (name, feats) in [("gd", gd), ("jbnt", jbnt), ("zrbhd", zrbhd)] {
        let (t, c) = (Instant::now(), cpu_s());
        let index = LayerIndex::new(feats);
        println!(
            "index {name:<6}             {:7.3} s  (cpu {:.2} s)  RSS after {:.0} MB",
            t.elapsed().as_secs_f64(),
            cpu_s() - c,
            status_mb("VmRSS:").unwrap_or(0.0)
        );
        layers.push((name, index));
    }
    let mut all = OverlayStats::default();
    for (name, index) in &layers {
        let (t, c) = (Instant::now(), cpu_s());
        let (results, stats) = overlay_all_with_stats(&patches, index);
        let el = t.elapsed().as_secs_f64();
        let cpu = cpu_s() - c;
        if let (true, Some(other)) = (*name == "gd", &by_builder) {
            assert!(*other == results, "builder-made index differs");
        }
        let ok: Vec<&Overlap> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        let errors = results.len() - ok.len();
        let area: f64 = ok.iter().map(|o| o.area_m2).sum();
        let mut classes = [0.0_f64; 4];
        for o in &ok {
            for &(c, a) in &o.by_class {
                classes[usize::from(c.min(3))] += a;
            }
        }
        let hit = ok.iter().filter(|o| !o.features.is_empty()).count();
        println!(
            "overlay {name:<6}           {el:7.3} s  (cpu {cpu:.2} s)  candidates {:>7}  intersections {:>7}  contained {:>7}  crossing {:>7}  unions {:>4}  fallbacks {:>3}  patches hit {:>6}  errors {errors}",
            stats.candidates, stats.pieces, stats.contained, stats.crossing, stats.unions, stats.fallbacks, hit
        );
        if *name == "gd" {
            println!(
                "    area {:.1} ha (水田 {:.1}, 水浇地 {:.1}, 旱地 {:.1})",
                area / 1e4,
                classes[0] / 1e4,
                classes[1] / 1e4,
                classes[2] / 1e4
            );
        } else {
            println!("    area {:.1} ha", area / 1e4);
        }
        all += stats;
    }
    println!(
        "TOTAL (indexes + overlay) {:7.3} s  (cpu {:.2} s)  candidate pairs {}  intersections {}",
        total.elapsed().as_secs_f64(),
        cpu_s() - total_cpu,
        all.candidates,
        all.pieces
    );
    if verify > 0 {
        for ((name, index), feats) in layers.iter().zip(&copies) {
            verify_layer(name, &patches, index, feats, verify);
        }
    }
    match (gen_peak, rss0, status_mb("VmHWM:")) {
        (Some(g), Some(r0), Some(peak)) if reset => println!(
            "memory: peak RSS {peak:.0} MB during indexes + overlay (RSS {r0:.0} MB at their start: patches, \
             layer geometry and the generator's freed heap); generation peaked at {g:.0} MB"
        ),
        (_, _, Some(peak)) => println!("memory: peak RSS {peak:.0} MB (whole process, generator included)"),
        _ => {}
    }
}

/// Compares `verify` patches (evenly spaced) with the independent oracle.
fn verify_layer(
    name: &str,
    patches: &[MultiPolygon<f64>],
    index: &LayerIndex,
    feats: &[(MultiPolygon<f64>, u16)],
    verify: usize,
) {
    use geo::BoundingRect;
    let boxes: Vec<Option<geo_types::Rect<f64>>> =
        feats.iter().map(|(m, _)| m.bounding_rect()).collect();
    let mut by_x: Vec<usize> = (0..feats.len()).filter(|&i| boxes[i].is_some()).collect();
    let min_x = |i: usize| boxes[i].map_or(0.0, |r| r.min().x);
    by_x.sort_by(|&a, &b| min_x(a).total_cmp(&min_x(b)));
    let xs: Vec<f64> = by_x.iter().map(|&i| min_x(i)).collect();
    let max_w = boxes
        .iter()
        .flatten()
        .map(|r| r.width())
        .fold(0.0, f64::max);
    let step = (patches.len() / verify.max(1)).max(1);
    let t = Instant::now();
    // Worst relative difference on figures of 100 m² or more, worst
    // absolute difference on smaller ones.
    let (mut n, mut worst, mut worst_abs, mut bad, mut feat_diff) = (0, 0.0_f64, 0.0_f64, 0, 0);
    for (pi, patch) in patches.iter().enumerate().step_by(step) {
        let Some(pb) = patch.bounding_rect() else {
            continue;
        };
        let lo = xs.partition_point(|&x| x < pb.min().x - max_w);
        let mut cand = Vec::new();
        for k in lo..xs.len() {
            if xs[k] > pb.max().x {
                break;
            }
            let i = by_x[k];
            if let Some(r) = boxes[i] {
                if r.min().x < pb.max().x
                    && r.max().x > pb.min().x
                    && r.min().y < pb.max().y
                    && r.max().y > pb.min().y
                {
                    cand.push((i, &feats[i].0, feats[i].1));
                }
            }
        }
        cand.sort_by_key(|c| c.0);
        let want = oracle::oracle(patch, &cand, weipian_overlay::AREA_EPSILON_M2);
        let Ok(got) = weipian_overlay::overlay(patch, index) else {
            bad += 1;
            continue;
        };
        n += 1;
        let mut cmp = |a: f64, b: f64| {
            let d = (a - b).abs();
            if b.abs() >= 100.0 {
                worst = worst.max(d / b.abs());
            } else {
                worst_abs = worst_abs.max(d);
            }
            if d > 1e-6 * b.abs() && d > 1e-3 {
                bad += 1;
                println!("    patch {pi}: {a} vs oracle {b}");
            }
        };
        cmp(got.area_m2, want.area_m2);
        for (c, a) in &want.by_class {
            cmp(got.class_area(*c), *a);
        }
        let wf: Vec<usize> = want.features.iter().map(|f| f.0).collect();
        if wf != got.features {
            feat_diff += 1;
            println!(
                "    patch {pi}: features {:?} vs oracle {:?}",
                got.features, want.features
            );
        }
        for (i, a) in &want.features {
            if let Some(k) = got.features.iter().position(|f| f == i) {
                cmp(got.feature_areas[k], *a);
            }
        }
    }
    println!(
        "verify {name:<6}: {n} patches vs oracle in {:.1} s: worst relative difference {worst:.1e} (figures ≥ 100 m²), worst absolute {worst_abs:.1e} m² (smaller ones), {bad} beyond 1e-6, {feat_diff} feature-list differences",
        t.elapsed().as_secs_f64()
    );
}
