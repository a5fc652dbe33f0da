//! How fast the store imports a large batch.
//!
//! `cargo run -p weipian-store --release --example import_speed [patches] [vertices]`
//!
//! Generates synthetic patches (default 100 000 of 32 vertices, 3.2 M
//! vertices, 20 issued fields), then times: geometry encoding alone, the
//! first import into a new store, an identical re-import (all unchanged),
//! and a query of the whole batch.

use std::time::Instant;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use weipian_domain::{AttrValue, BatchId, FieldDef, FieldType, PatchKind};
use weipian_store::{BatchMeta, NewPatch, PatchQuery, Store};

/// CPU time of this thread in seconds (Linux `/proc/thread-self/schedstat`),
/// less disturbed than wall time by other work on a busy machine.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |ns| ns / 1e9)
}

/// Wall and CPU seconds since a start point.
fn took(start: (Instant, f64)) -> String {
    format!(
        "{:.3} s wall, {:.3} s cpu",
        start.0.elapsed().as_secs_f64(),
        cpu_seconds() - start.1
    )
}

fn start() -> (Instant, f64) {
    (Instant::now(), cpu_seconds())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let vertices: usize = args.next().map_or(Ok(32), |a| a.parse())?;

    let mut fields = vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new("XZQDM", FieldType::Text { width: 12 }),
        FieldDef::new("NF", FieldType::Integer { width: 4 }),
        FieldDef::new("HSX", FieldType::Date),
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 18,
                decimals: 4,
            },
        ),
        FieldDef::new("TBLX", FieldType::Text { width: 4 }),
        FieldDef::new("BZ", FieldType::Text { width: 100 }),
    ];
    for i in 0..13 {
        fields.push(FieldDef::new(
            format!("MJ{i}"),
            FieldType::Real {
                width: 18,
                decimals: 4,
            },
        ));
    }

    let t = Instant::now();
    let patches: Vec<NewPatch> = (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let (x0, y0) = (
                100.0 + (i % 1000) as f64 * 0.01,
                25.0 + (i / 1000) as f64 * 0.01,
            );
            let mut ring: Vec<Coord<f64>> = (0..vertices - 1)
                .map(|k| {
                    #[allow(clippy::cast_precision_loss)]
                    let a = k as f64 / (vertices - 1) as f64 * std::f64::consts::TAU;
                    Coord {
                        x: x0 + 0.004 * a.cos(),
                        y: y0 + 0.003 * a.sin(),
                    }
                })
                .collect();
            ring.push(ring[0]);
            let county = 510_104 + (i % 7);
            let jcbh = format!("{county}SJBG2621{i:06}");
            #[allow(clippy::cast_precision_loss)]
            let mut attrs = vec![
                AttrValue::Text(jcbh.clone()),
                AttrValue::Text(county.to_string()),
                AttrValue::Integer(2020),
                AttrValue::Text("2020-03-31".into()),
                AttrValue::Real(1234.5678 + i as f64 / 7.0),
                AttrValue::Text("1B".into()),
                AttrValue::Text("村民建房，疑似占用耕地".into()),
            ];
            #[allow(clippy::cast_precision_loss)]
            attrs.extend((0..13).map(|k| AttrValue::Real((i * 13 + k) as f64 * 0.125)));
            NewPatch {
                jcbh,
                xzqdm: county.to_string(),
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                #[allow(clippy::cast_precision_loss)]
                area_m2: 1_000.0 + i as f64,
                attrs,
                source_row: i + 1,
                repairs: vec![],
            }
        })
        .collect();
    let total_vertices: usize = patches
        .iter()
        .map(|p| p.geometry.0[0].exterior().0.len())
        .sum();
    println!(
        "generated {n} patches, {total_vertices} vertices in {:.3} s",
        t.elapsed().as_secs_f64()
    );

    let t = start();
    let mut buf = Vec::new();
    let mut bytes = 0usize;
    for p in &patches {
        weipian_formats::gpkg::encode_geometry_into(&p.geometry, 4490, &mut buf);
        bytes += buf.len();
    }
    println!(
        "encode geometry only: {} ({} MB)",
        took(t),
        bytes / 1_000_000
    );

    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let meta = BatchMeta {
        id: BatchId::new(2020, "2020Q1")?,
        kind: PatchKind::Land,
        source: "synthetic.shp".into(),
        encoding: None,
        crs: "EPSG:4490".into(),
    };

    let t = start();
    let outcome = store.import_batch(&meta, &fields, &patches)?;
    println!("first import: {}  {outcome:?}", took(t));

    let t = start();
    let outcome = store.import_batch(&meta, &fields, &patches)?;
    println!("identical re-import: {}  {outcome:?}", took(t));

    let t = start();
    let all = store.patches(&PatchQuery {
        batch: meta.id.clone(),
        kind: None,
        region: None,
    })?;
    println!("query whole batch: {} ({} patches)", took(t), all.len());

    let size = std::fs::metadata(store.path())?.len()
        + std::fs::metadata(store.path().with_extension("gpkg-wal")).map_or(0, |m| m.len());
    println!("file + wal: {} MB", size / 1_000_000);
    Ok(())
}
