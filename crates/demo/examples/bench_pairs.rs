//! Count the overlay benchmark's candidate pairs (patch bbox ∩ feature bbox)
//! and real intersections per reference layer:
//! `cargo run --release -p weipian-demo --example bench_pairs [seed]`.

use std::time::Instant;

use geo::{BoundingRect, GeodesicArea, Intersects};
use geo_types::MultiPolygon;
use rstar::{RTree, RTreeObject, AABB};
use weipian_demo::{bench_overlay, BenchConfig};
use weipian_formats::Dataset;

struct Item {
    i: usize,
    env: AABB<[f64; 2]>,
}

impl RTreeObject for Item {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

fn env(g: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    g.bounding_rect()
        .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

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

/// (pairs, intersections, patches touching the layer); a patch against its
/// own layer counts itself.
fn count(patches: &Dataset, layer: &Dataset) -> (usize, usize, usize) {
    let tree = RTree::bulk_load(
        layer
            .features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.geometry.as_ref().and_then(env).map(|env| Item { i, env }))
            .collect(),
    );
    let (mut pairs, mut hits, mut touched) = (0, 0, 0);
    for f in &patches.features {
        let Some(g) = f.geometry.as_ref() else {
            continue;
        };
        let Some(e) = env(g) else { continue };
        let mut any = false;
        for it in tree.locate_in_envelope_intersecting(&e) {
            pairs += 1;
            if layer.features[it.i]
                .geometry
                .as_ref()
                .is_some_and(|h| h.intersects(g))
            {
                hits += 1;
                any = true;
            }
        }
        touched += usize::from(any);
    }
    (pairs, hits, touched)
}

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2020);
    let t = Instant::now();
    let o = bench_overlay(&BenchConfig {
        seed,
        ..BenchConfig::default()
    });
    println!(
        "bench_overlay(seed {seed}): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    for (k, ds) in [
        ("patches", &o.patches),
        ("gd", &o.gd),
        ("jbnt", &o.jbnt),
        ("zrbhd", &o.zrbhd),
    ] {
        println!(
            "  {k:<8} {:>9} features {:>10} vertices",
            ds.features.len(),
            vertices(ds)
        );
    }
    let areas: Vec<f64> = o
        .patches
        .features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .map(GeodesicArea::geodesic_area_unsigned)
        .collect();
    let (lo, hi) = areas
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(l, h), x| (l.min(*x), h.max(*x)));
    let multipart = o
        .patches
        .features
        .iter()
        .filter(|f| f.geometry.as_ref().is_some_and(|g| g.0.len() > 1))
        .count();
    println!(
        "  patches  area {:.3}–{:.2} ha, {multipart} multipart",
        lo / 1e4,
        hi / 1e4
    );
    if let Some(k) = o.gd.field_index("TBMJ") {
        let a: Vec<f64> =
            o.gd.features
                .iter()
                .filter_map(|f| f.attrs[k].as_f64())
                .collect();
        let (lo, hi) = a
            .iter()
            .fold((f64::INFINITY, 0.0_f64), |(l, h), x| (l.min(*x), h.max(*x)));
        #[allow(clippy::cast_precision_loss)]
        let mean = a.iter().sum::<f64>() / a.len().max(1) as f64;
        println!("  gd TBMJ  min {lo:.0} m²  mean {mean:.0} m²  max {hi:.0} m²");
    }
    let t = Instant::now();
    let (mut tp, mut th) = (0, 0);
    for (k, ds) in [("gd", &o.gd), ("jbnt", &o.jbnt), ("zrbhd", &o.zrbhd)] {
        let (p, h, n) = count(&o.patches, ds);
        println!("  {k:<8} pairs {p:>8}  intersections {h:>8}  patches touching {n:>7}");
        tp += p;
        th += h;
    }
    let (p, h, _) = count(&o.patches, &o.patches);
    println!(
        "  patches  pairs {p:>8}  intersecting each other {} (should be 0)",
        h - o.patches.features.len()
    );
    println!(
        "  total    pairs {tp:>8}  intersections {th:>8}  ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
}
