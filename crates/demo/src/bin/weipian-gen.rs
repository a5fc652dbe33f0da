//! `weipian-gen`: write the seeded benchmark inputs to files, for the
//! benchmark scripts in `bench/`.
//!
//! ```text
//! weipian-gen patches --count 100000 --seed 1 --out DIR
//!     DIR/patches.shp (+ .shx .dbf .prj .cpg, GBK) and DIR/counties.geojson
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("用法：weipian-gen patches --count N --seed S --out DIR");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("patches") {
        return usage();
    }
    let (mut count, mut seed, mut out) = (100_000_usize, 1_u64, None::<PathBuf>);
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let Some(value) = it.next() else {
            return usage();
        };
        match flag.as_str() {
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
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("错误：无法创建 {}：{e}", out.display());
        return ExitCode::FAILURE;
    }
    let patches = weipian_demo::bench_patches(count, seed);
    let counties = weipian_demo::demo(seed).counties;
    let vertices: usize = patches
        .features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .flat_map(|g| g.0.iter())
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
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
