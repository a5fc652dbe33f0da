//! `weipian demo`: build a fresh data directory with the seeded Sichuan
//! dataset, through the same files and import pipeline a user would use.

use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;
use weipian_domain::{units, BatchId, PatchKind, RegionTable};
use weipian_formats::TextEncoding;
use weipian_service::import::{self, PatchImportRequest};
use weipian_service::Progress;
use weipian_store::Store;

/// Marks a data directory as built by `weipian demo`, so a later demo may replace it.
const MARKER: &str = ".weipian-demo";
const STORE_FILES: &[&str] = &["weipian.gpkg", "weipian.gpkg-wal", "weipian.gpkg-shm"];

/// Remove a previous demo build; refuse to touch a directory with real data.
fn clear(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let has_store = dir.join(STORE_FILES[0]).exists();
    if has_store && !dir.join(MARKER).exists() {
        bail!(
            "数据目录 {} 已有数据且不是演示数据，demo 不会覆盖它；请用 --data 指定另一个目录",
            dir.display()
        );
    }
    for f in STORE_FILES {
        let p = dir.join(f);
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("无法删除 {}", p.display()))?;
        }
    }
    let input = dir.join("demo-input");
    if input.exists() {
        std::fs::remove_dir_all(&input).with_context(|| format!("无法删除 {}", input.display()))?;
    }
    Ok(())
}

pub fn run(
    dir: &Path,
    seed: u64,
    no_serve: bool,
    json: bool,
    progress: &dyn Progress,
) -> Result<()> {
    clear(dir)?;
    let input = dir.join("demo-input");
    std::fs::create_dir_all(input.join("layers"))
        .with_context(|| format!("无法创建 {}", input.display()))?;
    std::fs::write(dir.join(MARKER), format!("seed={seed}\n"))?;

    progress.stage(&format!("生成演示数据（种子 {seed}）"), 0);
    let data = weipian_demo::demo(seed);
    progress.finish_stage();

    // Write the inputs in the formats users exchange: county lines as
    // GeoJSON, reference layers and land patches as GBK Shapefiles, mineral
    // patches as GeoJSON.
    progress.stage("写出演示输入文件", 0);
    let counties_path = input.join("counties.geojson");
    weipian_formats::geojson::write(&counties_path, &data.counties)?;
    let mut layer_paths = Vec::new();
    for (kind, ds) in &data.layers {
        let folder = input.join("layers").join(kind);
        std::fs::create_dir_all(&folder)?;
        let path = folder.join(format!("{kind}.shp"));
        weipian_formats::shp::write(&path, ds)?;
        layer_paths.push((*kind, path));
    }
    let land_dir = input.join("land-2020Q1");
    std::fs::create_dir_all(&land_dir)?;
    let land_path = land_dir.join("tdtb.shp");
    weipian_formats::shp::write(&land_path, &data.land)?;
    let mineral_path = input.join("mineral-2020Q1.geojson");
    weipian_formats::geojson::write(&mineral_path, &data.mineral)?;
    progress.finish_stage();

    let mut store = Store::open(dir)?;
    let table = RegionTable::embedded();
    let regions = import::import_regions(
        &mut store,
        &weipian_domain::access::Actor::local_admin(),
        &table,
        &counties_path,
        TextEncoding::Detect,
        progress,
    )?;
    let mut layers = Vec::new();
    for (kind, path) in &layer_paths {
        layers.push(import::import_layer(
            &mut store,
            &weipian_domain::access::Actor::local_admin(),
            kind,
            path,
            TextEncoding::Detect,
            progress,
        )?);
    }
    let batch = BatchId::new(2020, "2020Q1")?;
    let mut batches = Vec::new();
    for (kind, path) in [
        (PatchKind::Land, land_path),
        (PatchKind::Mineral, mineral_path),
    ] {
        let req = PatchImportRequest {
            path,
            batch: batch.clone(),
            kind,
            encoding: TextEncoding::Detect,
        };
        batches.push(import::import_patches(
            &mut store,
            &weipian_domain::access::Actor::local_admin(),
            &table,
            &req,
            progress,
        )?);
    }

    let analysis = weipian_service::analyze::analyze(
        &mut store,
        &weipian_domain::access::Actor::local_admin(),
        &weipian_service::analyze::AnalyzeRequest {
            batch: batch.clone(),
            force: true,
        },
        progress,
    )?;
    if !analysis.problems.is_empty() {
        bail!(
            "演示数据叠加分析失败：{}",
            analysis
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("；")
        );
    }

    progress.stage("生成演示填报、案件与用户", 0);
    let work = crate::demo_work::run(&mut store, &batch)?;
    progress.finish_stage();

    if json {
        let doc = json!({
            "ok": true,
            "work": work,
            "data": dir,
            "store": store.path(),
            "seed": seed,
            "regions": regions.imported,
            "layers": layers,
            "batches": batches,
            "scenarios": data.scenarios.len(),
        });
        println!("{doc}");
        return Ok(());
    }
    println!("演示数据已生成（种子 {seed}）：{}", store.path().display());
    println!("  县级行政区界线 {} 个（四川省）", regions.imported);
    for l in &layers {
        println!(
            "  {} {} 个要素  {} 公顷",
            crate::table::left(&l.kind_zh, 24),
            crate::table::right(&l.imported.to_string(), 7),
            crate::table::right(&units::format_hectares(l.area_m2), 14)
        );
    }
    for b in &batches {
        println!(
            "  批次 {} {}图斑 {} 个，{} 公顷（{} 亩）",
            b.batch,
            b.kind.name_zh(),
            b.inserted + b.updated + b.unchanged,
            units::format_hectares(b.area_m2),
            units::format_mu(b.area_m2)
        );
    }
    println!(
        "  已完成叠加分析（{} 个图斑 × {} 类基础图层及县界）",
        analysis.patches,
        analysis
            .layers
            .iter()
            .filter(|l| l.layer != weipian_store::COUNTIES)
            .count()
    );
    println!(
        "  演示县 {}：填报 {} 项（完整 {}，草稿 {}），移交 {}，军用地 {}，拆分地块的图斑 {}，案件 {} 件（{}）",
        work.county,
        work.answers,
        work.complete,
        work.drafts,
        work.transfers,
        work.military,
        work.split.len(),
        work.cases.len(),
        work.cases.join("、")
    );
    println!(
        "  演示用户（密码均为 {}）：",
        crate::demo_work::DEMO_PASSWORD
    );
    for (name, role, region) in &work.users {
        let role = weipian_domain::access::Role::parse(role).map_or(role.as_str(), |r| r.name_zh());
        println!("    {name}  {role}  {region}");
    }
    println!("  输入文件：{}", input.display());
    println!(
        "  可用 QGIS 或 ogrinfo 打开 {}；weipian layers / weipian batches 查看内容",
        store.path().display()
    );
    if !no_serve {
        println!("  用浏览器打开下面的地址，以上述任一演示用户登录");
    }
    Ok(())
}
