//! Read speed of a benchmark-sized GBK shapefile: 100 000 features,
//! 3.2 million vertices, national-table-like attributes.
//!
//! `cargo run --release -p weipian-formats --example shp_read_speed`

#[path = "../tests/shp_support/mod.rs"]
mod shp_support;

use std::time::Instant;

use shp_support::*;
use weipian_formats::{shp, ReadOptions};

fn main() {
    let n = 100_000;
    let vertices = 32; // 31 distinct + closing point
    let mut rng = Rng(42);
    let cols = [
        col("JCBH", b'C', 18, 0),
        col("XZQDM", b'C', 6, 0),
        col("XMC", b'C', 20, 0),
        col("TBLX", b'C', 4, 0),
        col("NF", b'N', 4, 0),
        col("JCMJ", b'N', 16, 4),
        col("JCGDMJ", b'N', 16, 4),
        col("BHMJ", b'N', 16, 4),
        col("QSX", b'D', 8, 0),
        col("HSX", b'D', 8, 0),
        col("DLMC", b'C', 40, 0),
        col("BZ", b'C', 80, 0),
    ];
    let names = [
        "水田",
        "旱地",
        "农村宅基地",
        "设施农用地",
        "采矿用地",
        "田坎",
    ];
    let xmc = gbk("武昌区");
    let mut rows = Vec::with_capacity(n);
    let mut shapes = Vec::with_capacity(n);
    for i in 0..n {
        rows.push(vec![
            format!("420106SJBG24{i:06}").into_bytes(),
            b"420106".to_vec(),
            xmc.clone(),
            b"1B".to_vec(),
            b"2024".to_vec(),
            format!("{:.4}", rng.f64() * 1e5).into_bytes(),
            format!("{:.4}", rng.f64() * 1e4).into_bytes(),
            format!("{:.4}", rng.f64() * 1e5).into_bytes(),
            b"20231015".to_vec(),
            b"20240415".to_vec(),
            gbk(names[i % names.len()]),
            if i % 3 == 0 {
                gbk("新增建设用地，待核实")
            } else {
                Vec::new()
            },
        ]);
        let (cx, cy) = (
            38_500_000.0 + rng.f64() * 100_000.0,
            3_300_000.0 + rng.f64() * 100_000.0,
        );
        shapes.push(Some(vec![cw_ring(&mut rng, cx, cy, 50.0, vertices - 1)]));
    }
    let (s, x) = shp_polygons(&shapes);
    let d = dbf(&cols, &rows, 0x4D, &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = write_set(
        dir.path(),
        "bench",
        &[("shp", &s), ("shx", &x), ("dbf", &d), ("cpg", b"GBK")],
    );
    println!("shp {} MB, dbf {} MB", s.len() >> 20, d.len() >> 20);
    drop((s, x, d, rows, shapes));

    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let ds = shp::read(&path, &ReadOptions::default()).unwrap();
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        let v: usize = ds
            .features
            .iter()
            .map(|f| f.geometry.as_ref().map_or(0, |m| m.0[0].exterior().0.len()))
            .sum();
        assert_eq!(ds.features.len(), n);
        assert_eq!(v, n * vertices);
        println!("read {n} features / {v} vertices in {secs:.3} s");
    }
    println!("best {best:.3} s");

    let t = Instant::now();
    let ds = shp::read(&path, &ReadOptions::default()).unwrap();
    let out = dir.path().join("out.shp");
    shp::write(&out, &ds).unwrap();
    println!("write {:.3} s", t.elapsed().as_secs_f64() - best);
}
