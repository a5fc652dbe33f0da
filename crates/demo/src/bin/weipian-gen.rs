//! `weipian-gen`: write the seeded benchmark inputs to files, for the
//! benchmark scripts in `bench/`.
//!
//! ```text
//! weipian-gen patches --count 100000 --seed 1 --out DIR
//!     DIR/patches.shp (+ .shx .dbf .prj .cpg, GBK) and DIR/counties.geojson
//! weipian-gen overlay --seed 2020 --out DIR [--patches 100000] [--parcels 1000000]
//!     DIR/patches.gpkg, DIR/gd.gpkg (耕地, with DLBM), DIR/jbnt.gpkg
//!     (永久基本农田), DIR/zrbhd.gpkg (自然保护地), all EPSG:4490, and
//!     DIR/counties.geojson (the county partition of the same seed)
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use weipian_formats::Dataset;

fn usage() -> ExitCode {
    eprintln!(
        "用法：weipian-gen patches --count N --seed S --out DIR\n      \
         weipian-gen overlay --seed S --out DIR [--patches N] [--parcels M]"
    );
    ExitCode::from(2)
}

/// `--flag value` pairs after the subcommand; `None` on a dangling flag.
fn pairs(args: &[String]) -> Option<Vec<(&str, &str)>> {
    if !args.len().is_multiple_of(2) {
        return None;
    }
    Some(
        args.chunks(2)
            .map(|c| (c[0].as_str(), c[1].as_str()))
            .collect(),
    )
}

/// Features and vertices (rings counted with their closing point).
fn counts(d: &Dataset) -> (usize, usize) {
    let vertices = d
        .features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .flat_map(|g| g.0.iter())
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    (d.features.len(), vertices)
}

fn create_dir(out: &Path) -> Result<(), ExitCode> {
    std::fs::create_dir_all(out).map_err(|e| {
        eprintln!("错误：无法创建 {}：{e}", out.display());
        ExitCode::FAILURE
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("patches") => patches(&args[1..]),
        Some("overlay") => overlay(&args[1..]),
        _ => usage(),
    }
}

fn patches(args: &[String]) -> ExitCode {
    let (mut count, mut seed, mut out) = (100_000_usize, 1_u64, None::<PathBuf>);
    let Some(pairs) = pairs(args) else {
        return usage();
    };
    for (flag, value) in pairs {
        match flag {
            "--count" => match value.parse() {
                Ok(v) => count = v,
                Err(_) => return usage(),
            },
            "--seed" => match value.parse() {
                Ok(v) => seed = v,
                Err(_) => return usage(),
            },
            "--out" => out = Some(PathBuf::from(value)),
            _ => return usage(),
        }
    }
    let Some(out) = out else { return usage() };
    if let Err(code) = create_dir(&out) {
        return code;
    }
    let patches = weipian_demo::bench_patches(count, seed);
    let counties = weipian_demo::demo(seed).counties;
    let (_, vertices) = counts(&patches);
    let result = weipian_formats::shp::write(&out.join("patches.shp"), &patches)
        .and_then(|_| weipian_formats::geojson::write(&out.join("counties.geojson"), &counties));
    if let Err(e) = result {
        eprintln!("错误：{e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "已写出 {} 个图斑（{} 个节点）到 {}",
        patches.features.len(),
        vertices,
        out.display()
    );
    ExitCode::SUCCESS
}

fn overlay(args: &[String]) -> ExitCode {
    let mut cfg = weipian_demo::BenchConfig::default();
    let mut out = None::<PathBuf>;
    let Some(pairs) = pairs(args) else {
        return usage();
    };
    for (flag, value) in pairs {
        let ok = match flag {
            "--seed" => value.parse().map(|v| cfg.seed = v).is_ok(),
            "--patches" => value.parse().map(|v| cfg.patches = v).is_ok(),
            "--parcels" => value.parse().map(|v| cfg.parcels = v).is_ok(),
            "--reserves" => value.parse().map(|v| cfg.reserves = v).is_ok(),
            "--out" => {
                out = Some(PathBuf::from(value));
                true
            }
            _ => false,
        };
        if !ok {
            return usage();
        }
    }
    let Some(out) = out else { return usage() };
    if let Err(code) = create_dir(&out) {
        return code;
    }
    let t0 = Instant::now();
    let bench = weipian_demo::bench_overlay(&cfg);
    // bench_overlay assigns XZQDM from the county partition built from
    // `cfg.seed`; the demo built from the same seed has the same partition.
    let counties = weipian_demo::demo(cfg.seed).counties;
    let generated = t0.elapsed();
    let t1 = Instant::now();
    let files: [(&str, &str, &Dataset); 4] = [
        ("patches.gpkg", "patches", &bench.patches),
        ("gd.gpkg", "gd", &bench.gd),
        ("jbnt.gpkg", "jbnt", &bench.jbnt),
        ("zrbhd.gpkg", "zrbhd", &bench.zrbhd),
    ];
    for (file, layer, data) in files {
        if let Err(e) = weipian_formats::gpkg::write(&out.join(file), layer, data) {
            eprintln!("错误：{e}");
            return ExitCode::FAILURE;
        }
        let (n, v) = counts(data);
        eprintln!("{file}: {n} 个要素，{v} 个节点");
    }
    if let Err(e) = weipian_formats::geojson::write(&out.join("counties.geojson"), &counties) {
        eprintln!("错误：{e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "counties.geojson: {} 个县；生成 {:.2} s，写出 {:.2} s，目录 {}",
        counties.features.len(),
        generated.as_secs_f64(),
        t1.elapsed().as_secs_f64(),
        out.display()
    );
    ExitCode::SUCCESS
}
