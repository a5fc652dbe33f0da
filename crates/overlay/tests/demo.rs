//! The Sichuan demo data (`weipian_demo::demo`): its scenario patches give
//! the figures they were built for, every land patch overlays without
//! error, and a sample agrees with the oracle on every layer.

mod common;

use std::collections::HashMap;

use geo_types::MultiPolygon;
use weipian_demo::demo;
use weipian_formats::Dataset;
use weipian_geo::area::ellipsoidal_area;
use weipian_overlay::{county_shares, overlay, overlay_all_with_stats, LayerIndex};

type Feats = Vec<(MultiPolygon<f64>, u16)>;

fn text(ds: &Dataset, row: usize, field: &str) -> String {
    ds.field_index(field)
        .and_then(|c| ds.features[row].attrs.get(c))
        .and_then(weipian_domain::AttrValue::as_text)
        .unwrap_or_default()
}

/// Features with their classes: DLBM 0101/0102/0103 → 0/1/2 for 耕地.
fn features(ds: &Dataset, kind: &str) -> Vec<(MultiPolygon<f64>, u16)> {
    (0..ds.features.len())
        .map(|i| {
            let class = if kind == "gd" {
                match text(ds, i, "DLBM").as_str() {
                    "0101" => 0,
                    "0102" => 1,
                    "0103" => 2,
                    _ => 3,
                }
            } else {
                0
            };
            let g = ds.features[i]
                .geometry
                .clone()
                .unwrap_or_else(|| MultiPolygon(vec![]));
            (g, class)
        })
        .collect()
}

#[test]
fn demo_scenarios_and_layers() {
    let d = demo(2020);
    let layers: Vec<(&str, Feats)> = d
        .layers
        .iter()
        .map(|(k, ds)| (*k, features(ds, k)))
        .collect();
    let index: HashMap<&str, LayerIndex> = layers
        .iter()
        .map(|(k, f)| (*k, LayerIndex::new(f.clone())))
        .collect();
    let counties = features(&d.counties, "");
    let county_index = LayerIndex::new(counties.clone());
    let patches: Vec<MultiPolygon<f64>> = d
        .land
        .features
        .iter()
        .map(|f| f.geometry.clone().unwrap_or_else(|| MultiPolygon(vec![])))
        .collect();
    let by_jcbh: HashMap<String, usize> = (0..d.land.features.len())
        .map(|i| (text(&d.land, i, "JCBH"), i))
        .collect();

    // Every patch, every layer: no errors, nothing larger than the patch.
    let mut unions = 0;
    for (kind, layer) in &index {
        assert!(layer.skipped().is_empty(), "{kind}");
        let (results, stats) = overlay_all_with_stats(&patches, layer);
        println!("{kind}: {stats:?}");
        unions += stats.unions;
        for (i, r) in results.into_iter().enumerate() {
            let o = r.unwrap_or_else(|e| panic!("{kind} patch {i}: {e}"));
            assert!(o.area_m2 <= ellipsoidal_area(&patches[i]) * (1.0 + 1e-9) + 1e-6);
        }
    }

    // Overlapping features met by a patch were unioned somewhere.
    assert!(unions > 0);

    // The scenarios.
    let mut seen = 0;
    for s in &d.scenarios {
        let Some(&i) = by_jcbh.get(&s.jcbh) else {
            continue;
        };
        let p = &patches[i];
        let a = ellipsoidal_area(p);
        let on = |kind: &str| overlay(p, &index[kind]).expect("overlay");
        seen += 1;
        match s.kind {
            "gd_full_0101" | "gd_full_0102" | "gd_full_0103" => {
                let class = match s.kind {
                    "gd_full_0101" => 0,
                    "gd_full_0102" => 1,
                    _ => 2,
                };
                let o = on("gd");
                assert!(
                    o.class_area(class) >= a * 0.9999,
                    "{}: {:?} of {a}",
                    s.jcbh,
                    o.by_class
                );
            }
            "gd_partial" => {
                let o = on("gd");
                assert!(o.area_m2 > 0.05 * a && o.area_m2 < 0.95 * a, "{}", s.jcbh);
            }
            "jbnt" => assert!(on("jbnt").area_m2 > 0.05 * a, "{}", s.jcbh),
            "baimu" => assert!(on("gd").area_m2 >= 70_000.0, "{}", s.jcbh),
            "zrbhd_inside" => assert!(on("zrbhd").area_m2 >= a * 0.9999, "{}", s.jcbh),
            "zrbhd_touch" => {
                let o = on("zrbhd");
                assert!(
                    o.area_m2 > 0.02 * a && o.area_m2 < a,
                    "{}: {} of {a}",
                    s.jcbh,
                    o.area_m2
                );
            }
            "sthx_touch" => {
                let o = on("sthx");
                assert!(o.area_m2 > 0.02 * a && o.area_m2 < a, "{}", s.jcbh);
            }
            "pzyd_full" => assert!(on("pzyd").area_m2 >= a * 0.9999, "{}", s.jcbh),
            "pzyd_partial" => {
                let o = on("pzyd");
                assert!(o.area_m2 > 0.1 * a && o.area_m2 < 0.9 * a, "{}", s.jcbh);
            }
            "pzyd_overlap" => {
                let o = on("pzyd");
                assert!(
                    o.area_m2 > 0.5 * a && o.area_m2 <= a * (1.0 + 1e-9),
                    "{}",
                    s.jcbh
                );
            }
            "no_layer" => {
                for k in ["gd", "jbnt", "pzyd"] {
                    assert!(on(k).features.is_empty(), "{} {k}", s.jcbh);
                }
            }
            "straddle" => {
                let shares = county_shares(p, &county_index).expect("shares");
                assert!(shares.len() >= 2, "{}: {shares:?}", s.jcbh);
                let total: f64 = shares.iter().map(|s| s.1).sum();
                assert!((total - a).abs() <= 1e-6 * a, "{}: {total} vs {a}", s.jcbh);
                common::check(p, &counties);
            }
            "multipart" | "hole" => {
                for (k, f) in &layers {
                    if matches!(*k, "gd" | "jbnt" | "pzyd") {
                        let near: Vec<(MultiPolygon<f64>, u16)> = near(p, f);
                        common::check(p, &near);
                    }
                }
            }
            _ => seen -= 1,
        }
    }
    assert!(seen > 50, "{seen} scenarios checked");

    // A sample of patches against the oracle, on every layer (耕地 has a few
    // slightly overlapping parcels, 已批准用地 overlapping approvals).
    for (k, f) in &layers {
        for p in patches.iter().step_by(37) {
            let near = near(p, f);
            common::check(p, &near);
        }
        let _ = k;
    }
}

/// The features whose boxes meet the patch's (so the oracle has little to do),
/// in their original order; indices are compared within this subset.
fn near(
    p: &MultiPolygon<f64>,
    feats: &[(MultiPolygon<f64>, u16)],
) -> Vec<(MultiPolygon<f64>, u16)> {
    use geo::{BoundingRect, Intersects};
    let Some(b) = p.bounding_rect() else {
        return vec![];
    };
    feats
        .iter()
        .filter(|(g, _)| g.bounding_rect().is_some_and(|r| r.intersects(&b)))
        .cloned()
        .collect()
}
