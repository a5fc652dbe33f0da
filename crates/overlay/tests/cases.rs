//! Hand-made cases, each checked against the independent oracle.

mod common;

use common::gen::{mp, poly, pt, rect, ring, star, tiling, LAT0, LON0};
use common::{check, close};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rand::SeedableRng;
use weipian_geo::area::ellipsoidal_area;
use weipian_overlay::{county_shares, overlay, overlay_all_with_stats, LayerIndex, OverlayError};

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

fn area(m: &MultiPolygon<f64>) -> f64 {
    ellipsoidal_area(m)
}

#[test]
fn patch_fully_inside_one_parcel() {
    let parcel = mp(rect(0.0, 0.0, 100.0, 80.0));
    let patch = mp(poly(&star(&mut rng(1), 50.0, 40.0, 30.0, 17)));
    let o = check(&patch, &[(parcel, 2)]);
    assert_eq!(o.area_m2, area(&patch), "exactly the patch's own area");
    assert_eq!(o.by_class, vec![(2, area(&patch))]);
    assert_eq!(o.features, vec![0]);
}

#[test]
fn parcel_fully_inside_patch() {
    let parcel = mp(rect(40.0, 40.0, 60.0, 55.0));
    let patch = mp(rect(0.0, 0.0, 100.0, 100.0));
    let o = check(&patch, &[(parcel.clone(), 0)]);
    assert_eq!(o.area_m2, area(&parcel));
}

#[test]
fn patch_straddling_many_parcels_of_a_tiling() {
    let mut r = rng(2);
    let parcels = tiling(&mut r, 0.0, 0.0, 400.0, 300.0, 6, 5);
    let feats: Vec<(MultiPolygon<f64>, u16)> = parcels
        .into_iter()
        .enumerate()
        .map(|(i, p)| (mp(p), (i % 3) as u16))
        .collect();
    for k in 0..20 {
        let patch = common::gen::patch(&mut r, 200.0, 150.0, 40.0 + 5.0 * f64::from(k));
        let o = check(&patch, &feats);
        // A clean tiling covering the patch: the parts add up to the whole,
        // up to the official formula's non-additivity where the patch's
        // edges are cut at parcel boundaries (~1e-7).
        let sum: f64 = o.feature_areas.iter().sum();
        assert!(
            (sum - o.area_m2).abs() < 1e-6 * o.area_m2 + 1e-6,
            "{sum} vs {}",
            o.area_m2
        );
    }
}

#[test]
fn touching_only_a_boundary_or_a_vertex() {
    let parcel = mp(rect(0.0, 0.0, 100.0, 100.0));
    // Shares the parcel's right edge from outside.
    let side = mp(rect(100.0, 0.0, 150.0, 100.0));
    let o = check(&side, &[(parcel.clone(), 0)]);
    assert!(o.features.is_empty() && o.area_m2 == 0.0);
    // Shares part of that edge.
    let part = mp(rect(100.0, 20.0, 150.0, 70.0));
    assert!(check(&part, &[(parcel.clone(), 0)]).features.is_empty());
    // Touches a corner.
    let corner = mp(rect(100.0, 100.0, 150.0, 150.0));
    assert!(check(&corner, &[(parcel.clone(), 0)]).features.is_empty());
    // A vertex on the parcel's edge, from outside.
    let tip = mp(poly(&[(100.0, 50.0), (150.0, 30.0), (150.0, 70.0)]));
    assert!(check(&tip, &[(parcel, 0)]).features.is_empty());
}

#[test]
fn patch_with_a_hole() {
    let outer = ring(&[(0.0, 0.0), (200.0, 0.0), (200.0, 200.0), (0.0, 200.0)]);
    let hole = ring(&[(50.0, 50.0), (50.0, 150.0), (150.0, 150.0), (150.0, 50.0)]);
    let patch = MultiPolygon(vec![Polygon::new(outer, vec![hole])]);
    // In the hole: nothing.
    let inside_hole = mp(rect(60.0, 60.0, 140.0, 140.0));
    assert_eq!(check(&patch, &[(inside_hole, 0)]).area_m2, 0.0);
    // Covering the hole and more: the ring around it.
    let over = mp(rect(40.0, 40.0, 160.0, 160.0));
    check(&patch, &[(over, 0)]);
    // Exactly the hole: shares all the hole's edges; nothing.
    let plug = mp(rect(50.0, 50.0, 150.0, 150.0));
    assert!(check(&patch, &[(plug, 0)]).features.is_empty());
    // Crossing the hole's edge.
    let cross = mp(poly(&[(20.0, 20.0), (120.0, 30.0), (90.0, 110.0)]));
    check(&patch, &[(cross, 1)]);
    // A parcel with a hole, the patch across it.
    let ph = Polygon::new(
        ring(&[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]),
        vec![ring(&[
            (30.0, 30.0),
            (30.0, 70.0),
            (70.0, 70.0),
            (70.0, 30.0),
        ])],
    );
    let patch2 = mp(poly(&star(&mut rng(3), 50.0, 50.0, 45.0, 23)));
    check(&patch2, &[(mp(ph), 0)]);
}

#[test]
fn multipart_patch() {
    let mut r = rng(4);
    let parcels = tiling(&mut r, -100.0, -100.0, 300.0, 100.0, 5, 3);
    let feats: Vec<(MultiPolygon<f64>, u16)> = parcels.into_iter().map(|p| (mp(p), 0)).collect();
    let patch = MultiPolygon(vec![
        poly(&star(&mut r, 0.0, 0.0, 60.0, 20)),
        poly(&star(&mut r, 180.0, 10.0, 50.0, 9)),
    ]);
    check(&patch, &feats);
}

#[test]
fn patch_crossing_a_county_border() {
    // Two counties sharing a long wavy border (the same vertices), each with
    // thousands of vertices.
    let n = 3000;
    let border: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let y = -20_000.0 + 40_000.0 * f64::from(i) / f64::from(n);
            (40.0 * (y / 700.0).sin() + 15.0 * (y / 90.0).cos(), y)
        })
        .collect();
    let mut west = vec![(-20_000.0, -20_000.0)];
    west.extend(border.iter().copied());
    west.push((-20_000.0, 20_000.0));
    let mut east: Vec<(f64, f64)> = border.iter().rev().copied().collect();
    east.insert(0, (20_000.0, 20_000.0));
    east.push((20_000.0, -20_000.0));
    let counties = vec![(mp(poly(&west)), 0), (mp(poly(&east)), 0)];
    let layer = LayerIndex::new(counties.clone());
    let mut r = rng(5);
    for k in 0..30 {
        let patch = common::gen::patch(
            &mut r,
            f64::from(k - 15) * 5.0,
            f64::from(k) * 300.0 - 4000.0,
            80.0,
        );
        let shares = county_shares(&patch, &layer).expect("shares");
        let total: f64 = shares.iter().map(|s| s.1).sum();
        assert!(close(total, area(&patch)), "{total} vs {}", area(&patch));
        check(&patch, &counties);
    }
    // Deep inside one county: everything there, without any cutting.
    let inner = mp(poly(&star(&mut r, -5_000.0, 3_000.0, 200.0, 30)));
    let s = county_shares(&inner, &layer).expect("shares");
    assert_eq!(s, vec![(0, area(&inner))]);
}

#[test]
fn self_overlapping_layer_counts_overlaps_once() {
    let a = mp(rect(0.0, 0.0, 100.0, 100.0));
    let b = mp(rect(60.0, 20.0, 160.0, 120.0));
    let c = mp(poly(&[(80.0, -30.0), (130.0, 50.0), (20.0, 60.0)]));
    let patch = mp(poly(&star(&mut rng(6), 80.0, 50.0, 70.0, 31)));
    let feats = vec![(a.clone(), 0), (b, 0), (c, 1), (a.clone(), 1)];
    let o = check(&patch, &feats);
    let sum: f64 = o.feature_areas.iter().sum();
    assert!(o.area_m2 < sum - 1.0, "overlaps were counted once");
    // The layer's classes overlap, so by_class adds up to more than area_m2.
    let by: f64 = o.by_class.iter().map(|c| c.1).sum();
    assert!(by > o.area_m2);
    // A patch inside the overlap of two features and their duplicate.
    let small = mp(rect(70.0, 30.0, 90.0, 90.0));
    let o = check(&small, &feats);
    assert_eq!(o.area_m2, area(&small));
}

#[test]
fn tilings_with_t_junctions_and_slight_overlaps() {
    // Parcels whose neighbours have extra vertices on shared edges
    // (T-junctions), and one that overlaps its neighbour a little.
    let a = mp(poly(&[
        (0.0, 0.0),
        (100.0, 0.0),
        (100.0, 50.0),
        (100.0, 100.0),
        (0.0, 100.0),
    ]));
    let b = mp(poly(&[
        (100.0, 0.0),
        (200.0, 0.0),
        (200.0, 100.0),
        (100.0, 100.0),
    ]));
    let c = mp(poly(&[
        (0.0, 100.0),
        (60.0, 100.0),
        (60.0, 200.0),
        (0.0, 200.0),
    ]));
    let d = mp(poly(&[
        (55.0, 100.0),
        (200.0, 100.0),
        (200.0, 200.0),
        (55.0, 200.0),
    ]));
    let feats = vec![(a, 0), (b, 0), (c, 1), (d, 1)];
    let mut r = rng(7);
    for _ in 0..20 {
        let patch = common::gen::patch(&mut r, 100.0, 100.0, 70.0);
        check(&patch, &feats);
    }
    let layer = LayerIndex::new(feats);
    let (_, stats) = overlay_all_with_stats(&[mp(rect(40.0, 40.0, 160.0, 160.0))], &layer);
    assert!(stats.unions > 0);
}

#[test]
fn shared_and_collinear_edges() {
    // The patch is one of the features; another feature shares its edges.
    let p = rect(0.0, 0.0, 100.0, 100.0);
    let half = rect(0.0, 0.0, 50.0, 100.0);
    let patch = mp(p.clone());
    let o = check(&patch, &[(mp(p), 0)]);
    assert!((o.area_m2 - area(&patch)).abs() < 1e-9 * area(&patch));
    let o = check(
        &patch,
        &[
            (mp(half.clone()), 0),
            (mp(rect(50.0, 0.0, 100.0, 100.0)), 1),
        ],
    );
    assert!((o.area_m2 - area(&patch)).abs() < 1e-6);
    // Collinear overlaps along part of an edge, in both directions.
    let stripe = mp(rect(-20.0, 30.0, 120.0, 60.0));
    check(&patch, &[(stripe, 0), (mp(half), 1)]);
    // A patch built on a feature's own vertices (diagonals and edges).
    let f = poly(&[
        (0.0, 0.0),
        (80.0, 10.0),
        (100.0, 90.0),
        (30.0, 120.0),
        (-10.0, 60.0),
    ]);
    let pat = mp(poly(&[
        (0.0, 0.0),
        (100.0, 90.0),
        (30.0, 120.0),
        (50.0, 200.0),
        (-50.0, 100.0),
    ]));
    check(&pat, &[(mp(f), 0)]);
}

#[test]
fn slivers_and_near_coincident_edges() {
    let parcel = mp(rect(0.0, 0.0, 100.0, 100.0));
    // A sliver 1 µm wide along the parcel's edge: dropped, no panic.
    let d = 1e-6;
    let sliver = mp(rect(100.0 - d, 10.0, 150.0, 90.0));
    let o = check(&sliver, &[(parcel.clone(), 0)]);
    assert!(o.features.is_empty());
    // Edges off by one unit in the last place.
    let p0 = pt(100.0, 0.0);
    let nudged: Vec<Coord<f64>> = vec![
        Coord {
            x: f64::from_bits(p0.x.to_bits() + 1),
            y: pt(0.0, 10.0).y,
        },
        pt(150.0, 10.0),
        pt(150.0, 90.0),
        Coord {
            x: f64::from_bits(p0.x.to_bits() - 1),
            y: pt(0.0, 90.0).y,
        },
    ];
    let mut ls = nudged.clone();
    ls.push(nudged[0]);
    let near = MultiPolygon(vec![Polygon::new(LineString(ls), vec![])]);
    let o = overlay(&near, &LayerIndex::new(vec![(parcel.clone(), 0)])).expect("overlay");
    assert!(o.area_m2 < 1e-3);
    // A thin but real piece (5 cm × 80 m = 4 m²) is kept.
    let thin = mp(rect(99.95, 10.0, 150.0, 90.0));
    let o = check(&thin, &[(parcel, 0)]);
    assert_eq!(o.features, vec![0]);
    assert!((o.area_m2 - 4.0).abs() < 0.01);
}

#[test]
fn touching_rings_in_the_patch() {
    // A hole touching the outer ring at a vertex (valid OGC).
    let outer = ring(&[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]);
    let hole = ring(&[(0.0, 50.0), (40.0, 70.0), (40.0, 30.0)]);
    let patch = MultiPolygon(vec![Polygon::new(outer, vec![hole])]);
    let mut r = rng(8);
    let parcels = tiling(&mut r, -10.0, -10.0, 110.0, 110.0, 4, 4);
    let feats: Vec<(MultiPolygon<f64>, u16)> = parcels.into_iter().map(|p| (mp(p), 0)).collect();
    let o = check(&patch, &feats);
    assert!(close(o.area_m2, area(&patch)));
}

#[test]
fn big_feature_with_thousands_of_vertices() {
    let mut r = rng(9);
    let n = 6000;
    let blob: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / f64::from(n);
            let rr = 8_000.0 * (1.0 + 0.2 * (5.0 * t).sin() + 0.05 * (37.0 * t).cos());
            (rr * t.cos(), rr * t.sin())
        })
        .collect();
    let feats = vec![(mp(poly(&blob)), 0)];
    let layer = LayerIndex::new(feats.clone());
    for k in 0..40 {
        // Along the boundary, inside and outside.
        let t = f64::from(k) / 40.0 * std::f64::consts::TAU;
        let rr = 8_000.0 * (1.0 + 0.2 * (5.0 * t).sin() + 0.05 * (37.0 * t).cos())
            + f64::from(k % 5 - 2) * 60.0;
        let patch = common::gen::patch(&mut r, rr * t.cos(), rr * t.sin(), 90.0);
        check(&patch, &feats);
    }
    let inner = mp(poly(&star(&mut r, 0.0, 0.0, 300.0, 40)));
    assert_eq!(
        overlay(&inner, &layer).expect("overlay").area_m2,
        area(&inner)
    );
}

#[test]
fn bad_and_empty_patches() {
    let layer = LayerIndex::new(vec![(mp(rect(0.0, 0.0, 100.0, 100.0)), 0)]);
    let nan = MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(f64::NAN, LAT0), (LON0, LAT0), (LON0, LAT0 + 0.001)]),
        vec![],
    )]);
    let err = overlay(&nan, &layer).unwrap_err();
    assert_eq!(err, OverlayError::NonFiniteCoordinate);
    assert!(err.to_string().contains("非有限值"));
    let empty = MultiPolygon(vec![]);
    assert_eq!(overlay(&empty, &layer).expect("empty").area_m2, 0.0);
    // Degenerate rings (two points, zero area) overlap nothing.
    let line = mp(poly(&[(10.0, 10.0), (20.0, 20.0), (30.0, 30.0)]));
    assert!(overlay(&line, &layer).expect("line").features.is_empty());
    // Clockwise input is fine.
    let mut cw = rect(20.0, 20.0, 50.0, 50.0);
    cw.exterior_mut(|r| r.0.reverse());
    assert_eq!(
        overlay(&mp(cw.clone()), &layer).expect("cw").area_m2,
        area(&mp(cw))
    );
}

#[test]
fn implausible_results_from_invalid_geometry_are_reported() {
    // A feature whose "hole" lies outside its outer ring (invalid): its
    // area is 10,000 − 8,100 m², less than the patch inside its outer ring.
    let bad = Polygon::new(
        ring(&[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]),
        vec![ring(&[
            (200.0, 0.0),
            (290.0, 0.0),
            (290.0, 90.0),
            (200.0, 90.0),
        ])],
    );
    let layer = LayerIndex::new(vec![(mp(bad), 0)]);
    let patch = mp(rect(10.0, 10.0, 60.0, 60.0));
    match overlay(&patch, &layer) {
        Err(e @ OverlayError::Implausible { feature: 0, .. }) => {
            assert!(e.to_string().contains("叠加结果不合理"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}
