//! Map views at province scale (#7, point 6): N land patches (default
//! 100,000) from the demo crate's benchmark generator, imported through the
//! service after the generator's county boundaries, ~80 % answered, a few
//! filed as military land, and a synthetic 耕地 layer (a grid of 0.004°
//! squares over the Chengdu plain, ~250,000 features). Then, for the county
//! with the most patches, its extent, a 0.5° square at its centre and the
//! largest box allowed (2°×2°), are timed:
//!
//! * `Store::map_patches` alone,
//! * `map::patches_in_view` and the GeoJSON written out (what the route
//!   does), as the province reviewer and as the county's filler,
//! * `map::layer_in_view` for 耕地 with the GeoJSON.
//!
//! Every figure is the median of RUNS calls (after one warm-up) with min and max.
//!
//! `cargo run --release -p weipian-service --example map_view -- [N] [RUNS]`
//!
//! With `WEIPIAN_BENCH_DIR=DIR` the store is built in DIR and reused by
//! later runs (it is rebuilt when DIR holds no store).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use geo_types::{LineString, MultiPolygon, Polygon};
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::{layer, AttrValue, BatchId, RegionCode};
use weipian_service::map::{layer_in_view, patches_in_view, Bbox, DEFAULT_LIMIT};
use weipian_store::{LayerFeature, LayerSource, MapQuery, NewAudit, PatchQuery};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[path = "common/bench_store.rs"]
mod bench_store;

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

fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]),
        vec![],
    )])
}

fn build(dir: &Path, n: usize, batch: &BatchId) -> Res<()> {
    let mut store = bench_store::imported(dir, n, batch)?;
    let t = Instant::now();
    let all = store.patch_summaries(&PatchQuery {
        batch: batch.clone(),
        kind: None,
        region: None,
    })?;
    for (i, p) in all.iter().enumerate() {
        let target = format!("{batch}/{}", p.jcbh);
        if i % 500 == 7 {
            store.file_military(p.id, "{}", &audit("military.file", &target))?;
        } else if i % 5 != 0 {
            let pdlx = ["HF", "WF", "QT"][i % 3];
            let text = format!(r#"{{"PDLX":"{pdlx}","PDYJSM":"内业核实"}}"#);
            store.save_answer(p.id, 0, &text, true, None, &audit("answer.save", &target))?;
        }
    }
    println!(
        "answers and military land in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let d = 0.004;
    let mut features = Vec::new();
    for i in 0..500 {
        for j in 0..500 {
            let (x, y) = (103.0 + f64::from(i) * d, 30.0 + f64::from(j) * d);
            features.push(LayerFeature {
                geometry: square(x, y, d * 0.9),
                area_m2: 100_000.0 + f64::from((i * 7 + j * 13) % 1000),
                keys: vec![AttrValue::Text(
                    ["0101", "0102", "0103"][(i + j) as usize % 3].into(),
                )],
                attrs: vec![],
                source_row: features.len() + 1,
            });
        }
    }
    store.replace_layer(
        layer::kind("gd").ok_or("gd")?,
        &[],
        &features,
        &LayerSource {
            file: "synthetic".into(),
            encoding: None,
            crs: "EPSG:4490".into(),
        },
    )?;
    println!(
        "{} 耕地 features in {:.1} s",
        features.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn timed<T>(runs: usize, mut f: impl FnMut() -> Res<T>) -> Res<(T, f64, f64, f64)> {
    let mut out = f()?; // warm-up
    let mut xs = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        out = f()?;
        xs.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    xs.sort_by(f64::total_cmp);
    Ok((out, xs[xs.len() / 2], xs[0], xs[xs.len() - 1]))
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(15), |a| a.parse())?;
    let batch = BatchId::new(2020, "2020Q1")?;
    let (_tmp, store) = bench_store::open_or_build(|dir| build(dir, n, &batch))?;
    let all = store.patch_summaries(&PatchQuery {
        batch: batch.clone(),
        kind: None,
        region: None,
    })?;
    let mut per_county: HashMap<&str, usize> = HashMap::new();
    for p in &all {
        *per_county.entry(p.xzqdm.as_str()).or_default() += 1;
    }
    let (county, count) = per_county
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .ok_or("no patches")?;
    let code = RegionCode::parse(county)?;
    let boundary = store.region_boundary(&code)?.ok_or("no boundary")?;
    let mut ext = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in &boundary.geometry.0 {
        for c in &p.exterior().0 {
            ext = [
                ext[0].min(c.x),
                ext[1].min(c.y),
                ext[2].max(c.x),
                ext[3].max(c.y),
            ];
        }
    }
    let (cx, cy) = ((ext[0] + ext[2]) / 2.0, (ext[1] + ext[3]) / 2.0);
    println!(
        "{} patches in the batch; county {county} ({}) has {count}, extent {:.3}°×{:.3}°",
        all.len(),
        boundary.name,
        ext[2] - ext[0],
        ext[3] - ext[1]
    );
    let province = Actor::new(
        "prov",
        Scope::Region(RegionCode::parse("510000")?),
        Role::ProvinceReviewer,
    )?;
    let filler = Actor::new("clerk", Scope::Region(code), Role::CountyFiller)?;
    let views = [
        ("county extent", ext),
        ("0.5° square", [cx - 0.25, cy - 0.25, cx + 0.25, cy + 0.25]),
        ("2°×2° (largest)", [cx - 1.0, cy - 1.0, cx + 1.0, cy + 1.0]),
        ("耕地 grid 0.25°", [103.5, 30.5, 103.75, 30.75]),
    ];
    for (name, b) in views {
        let bbox = Bbox::new(b)?;
        println!(
            "\n{name}: [{:.4}, {:.4}, {:.4}, {:.4}]",
            b[0], b[1], b[2], b[3]
        );
        let (v, med, min, max) = timed(runs, || {
            Ok(store.map_patches(&MapQuery {
                batch: batch.clone(),
                bbox: b,
                region: None,
                limit: DEFAULT_LIMIT,
            })?)
        })?;
        println!(
            "  store.map_patches (whole province)      {med:7.2} ms (min {min:.2}, max {max:.2}): {} of {}",
            v.items.len(),
            v.total
        );
        for (who, actor) in [("province reviewer", &province), ("county filler", &filler)] {
            let ((len, bytes), med, min, max) = timed(runs, || {
                let fc = patches_in_view(&store, actor, &batch, bbox, DEFAULT_LIMIT)?;
                let bytes = serde_json::to_vec(&fc)?;
                Ok((fc.features.len(), bytes.len()))
            })?;
            println!(
                "  patches_in_view + GeoJSON, {who:17} {med:7.2} ms (min {min:.2}, max {max:.2}): {len} features, {} kB",
                bytes / 1024
            );
        }
        let ((len, total, bytes), med, min, max) = timed(runs, || {
            let fc = layer_in_view(&store, &province, "gd", bbox, DEFAULT_LIMIT)?;
            let bytes = serde_json::to_vec(&fc)?;
            Ok((fc.features.len(), fc.total.unwrap_or(0), bytes.len()))
        })?;
        println!(
            "  layer_in_view(gd) + GeoJSON              {med:7.2} ms (min {min:.2}, max {max:.2}): {len} of {total} features, {} kB",
            bytes / 1024
        );
    }
    Ok(())
}
