//! Print what the generators produce and how long they take:
//! `cargo run --release -p weipian-demo --example stats [seed]`.

use std::collections::BTreeMap;
use std::time::Instant;

use weipian_demo::{bench_overlay, bench_patches, demo, BenchConfig};
use weipian_formats::Dataset;

fn vertices(ds: &Dataset) -> usize {
    ds.features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .flat_map(|g| g.0.iter())
        .map(|p| {
            p.exterior().0.len() - 1 + p.interiors().iter().map(|r| r.0.len() - 1).sum::<usize>()
        })
        .sum()
}

fn line(name: &str, ds: &Dataset) {
    println!(
        "  {name:<10} {:>9} features {:>10} vertices",
        ds.features.len(),
        vertices(ds)
    );
}

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2020);
    let t = Instant::now();
    let d = demo(seed);
    println!("demo({seed}): {:.2} s", t.elapsed().as_secs_f64());
    line("province", &d.province);
    line("cities", &d.cities);
    line("counties", &d.counties);
    for (k, ds) in &d.layers {
        line(k, ds);
    }
    line("land", &d.land);
    line("mineral", &d.mineral);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &d.scenarios {
        *kinds.entry(s.kind).or_default() += 1;
    }
    println!("  scenarios: {} {kinds:?}", d.scenarios.len());
    for s in d.scenarios.iter().step_by(9) {
        println!("    {} {:<16} {}", s.jcbh, s.kind, s.description_zh);
    }
    let mut tblx: BTreeMap<String, usize> = BTreeMap::new();
    let i = d.land.field_index("TBLX").unwrap_or(0);
    for f in &d.land.features {
        *tblx
            .entry(f.attrs[i].as_text().unwrap_or_default())
            .or_default() += 1;
    }
    println!("  TBLX {tblx:?}");
    for f in d
        .land
        .features
        .iter()
        .take(2)
        .chain(d.mineral.features.iter().take(1))
    {
        println!("    {:?}", f.attrs);
    }
    for (k, ds) in &d.layers {
        if let Some(f) = ds.features.first() {
            println!("    {k}: {:?}", f.attrs);
        }
    }

    let t = Instant::now();
    let p = bench_patches(100_000, seed);
    println!("bench_patches(100000): {:.2} s", t.elapsed().as_secs_f64());
    line("patches", &p);

    let t = Instant::now();
    let o = bench_overlay(&BenchConfig {
        seed,
        ..BenchConfig::default()
    });
    println!("bench_overlay(default): {:.2} s", t.elapsed().as_secs_f64());
    line("patches", &o.patches);
    line("gd", &o.gd);
    line("jbnt", &o.jbnt);
    line("zrbhd", &o.zrbhd);
}
