//! Tests for the ellipsoidal area.

use super::*;
use geo_types::{polygon, Polygon};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn square() -> Polygon<f64> {
    polygon![(x: 114.30, y: 30.60), (x: 114.31, y: 30.60), (x: 114.31, y: 30.61), (x: 114.30, y: 30.61)]
}

/// An independent implementation of the trapezoid formula of DOMAIN.md §12,
/// written the way the formula reads: for each edge, the strip between
/// the parallel B1 (the ring's southernmost latitude) and the edge's mean
/// latitude B2,
/// `S = 2 b² ΔL [A sin(ΔB/2) cos Bm − B sin(3ΔB/2) cos 3Bm + C sin(5ΔB/2) cos 5Bm
///               − D sin(7ΔB/2) cos 7Bm + E sin(9ΔB/2) cos 9Bm]`
/// with ΔB = B2 − B1, Bm = (B1 + B2)/2, each sine and cosine a library call.
fn reference_ring_area(pts: &[(f64, f64)]) -> f64 {
    let a = 6_378_137.0_f64;
    let f = 1.0 / 298.257_222_101;
    let b = a * (1.0 - f);
    let e2 = (a * a - b * b) / (a * a);
    let e4 = e2 * e2;
    let e6 = e4 * e2;
    let e8 = e6 * e2;
    let ca = 1.0 + 3.0 / 6.0 * e2 + 30.0 / 80.0 * e4 + 35.0 / 112.0 * e6 + 630.0 / 2304.0 * e8;
    let cb = 1.0 / 6.0 * e2 + 15.0 / 80.0 * e4 + 21.0 / 112.0 * e6 + 420.0 / 2304.0 * e8;
    let cc = 3.0 / 80.0 * e4 + 7.0 / 112.0 * e6 + 180.0 / 2304.0 * e8;
    let cd = 1.0 / 112.0 * e6 + 45.0 / 2304.0 * e8;
    let ce = 5.0 / 2304.0 * e8;
    let b1 = pts
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .to_radians();
    let mut s = 0.0;
    for i in 0..pts.len() {
        let (l1, p1) = pts[i];
        let (l2, p2) = pts[(i + 1) % pts.len()];
        let dl = (l2 - l1).to_radians();
        let b2 = ((p1 + p2) / 2.0).to_radians();
        let db = b2 - b1;
        let bm = (b1 + b2) / 2.0;
        s += 2.0
            * b
            * b
            * dl
            * (ca * (db / 2.0).sin() * bm.cos() - cb * (3.0 * db / 2.0).sin() * (3.0 * bm).cos()
                + cc * (5.0 * db / 2.0).sin() * (5.0 * bm).cos()
                - cd * (7.0 * db / 2.0).sin() * (7.0 * bm).cos()
                + ce * (9.0 * db / 2.0).sin() * (9.0 * bm).cos());
    }
    s.abs()
}

/// A random star-shaped ring around (lon, lat) with `n` vertices and
/// radius up to `r` metres, counter-clockwise, not closed.
fn star(rng: &mut ChaCha8Rng, lon: f64, lat: f64, n: usize, r: f64) -> Vec<(f64, f64)> {
    let m_per_deg_lat = 110_940.0;
    let m_per_deg_lon = 111_320.0 * lat.to_radians().cos();
    (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let t = (i as f64 + rng.random_range(0.0..0.8)) / n as f64 * std::f64::consts::TAU;
            let rr = r * rng.random_range(0.45..1.0);
            (
                lon + rr * t.cos() / m_per_deg_lon,
                lat + rr * t.sin() / m_per_deg_lat,
            )
        })
        .collect()
}

fn poly_from(pts: &[(f64, f64)]) -> Polygon<f64> {
    Polygon::new(LineString::from(pts.to_vec()), vec![])
}

/// Random patch: a place in China, 8–60 vertices, 20 m² – 20 ha.
fn random_patch(rng: &mut ChaCha8Rng) -> Vec<(f64, f64)> {
    let lon = rng.random_range(74.0..134.0);
    let lat = rng.random_range(18.0..53.0);
    let n = rng.random_range(8..=60);
    // Area ≈ 0.5·π·r² for these stars; r from ~3.5 m to ~350 m, log-uniform.
    let r = 10f64.powf(rng.random_range(0.55..2.55));
    star(rng, lon, lat, n, r)
}

#[test]
fn reference_square() {
    let a = polygon_area(&square());
    assert!((a - 1_063_125.107_9).abs() < 1e-3, "{a}");
    assert!((ring_area(square().exterior()) - a).abs() < 1e-9);
    let zone = Coefficients::cgcs2000();
    let direct = (0.01_f64.to_radians()
        * (zone.zone(30.61_f64.to_radians()) - zone.zone(30.60_f64.to_radians())))
    .abs();
    assert!((direct - a).abs() < 1e-3, "{direct}");
}

#[test]
fn empty_and_degenerate_rings_have_zero_area() {
    assert_eq!(ring_area(&LineString::new(vec![])), 0.0);
    assert_eq!(
        ring_area(&LineString::from(vec![(114.0, 30.0), (114.1, 30.0)])),
        0.0
    );
    assert_eq!(ellipsoidal_area(&MultiPolygon(vec![])), 0.0);
    // Out and back along the same edges encloses nothing.
    let back = LineString::from(vec![
        (114.0, 30.0),
        (114.1, 30.1),
        (114.2, 30.2),
        (114.1, 30.1),
        (114.0, 30.0),
    ]);
    assert!(ring_area(&back) < 1e-6);
    let meridian = LineString::from(vec![
        (114.0, 30.0),
        (114.0, 30.1),
        (114.0, 30.2),
        (114.0, 30.0),
    ]);
    assert_eq!(ring_area(&meridian), 0.0);
}

#[test]
fn holes_subtract_and_orientation_does_not_matter() {
    let outer = square().exterior().clone();
    let hole = LineString::from(vec![
        (114.302, 30.602),
        (114.302, 30.604),
        (114.304, 30.604),
        (114.304, 30.602),
        (114.302, 30.602),
    ]);
    let with_hole = Polygon::new(outer.clone(), vec![hole.clone()]);
    let expected = ring_area(&outer) - ring_area(&hole);
    assert!((polygon_area(&with_hole) - expected).abs() < 1e-9);
    assert!(ring_area(&hole) > 40_000.0);
    let mut rev_outer = outer.clone();
    rev_outer.0.reverse();
    let mut rev_hole = hole.clone();
    rev_hole.0.reverse();
    let reversed = Polygon::new(rev_outer, vec![rev_hole]);
    assert!((polygon_area(&reversed) - polygon_area(&with_hole)).abs() < 1e-9);
    // Multipolygon: the parts add up.
    let mp = MultiPolygon(vec![with_hole.clone(), square()]);
    assert!(
        (ellipsoidal_area(&mp) - polygon_area(&with_hole) - polygon_area(&square())).abs() < 1e-9
    );
}

#[test]
fn unclosed_ring_is_closed_implicitly() {
    let open = LineString::from(vec![
        (114.30, 30.60),
        (114.31, 30.60),
        (114.31, 30.61),
        (114.30, 30.61),
    ]);
    assert!((ring_area(&open) - 1_063_125.107_9).abs() < 1e-3);
}

#[test]
fn agrees_with_an_independent_trapezoid_implementation() {
    let mut rng = ChaCha8Rng::seed_from_u64(202_010);
    let mut worst = 0.0_f64;
    for i in 0..5000 {
        let pts = if i % 10 == 9 {
            // Some large rings too: counties and provinces.
            let lon = rng.random_range(80.0..125.0);
            let lat = rng.random_range(20.0..48.0);
            let n = rng.random_range(8..200);
            let r = rng.random_range(1e3..5e5);
            star(&mut rng, lon, lat, n, r)
        } else {
            random_patch(&mut rng)
        };
        let ours = polygon_area(&poly_from(&pts));
        let reference = reference_ring_area(&pts);
        let rel = (ours - reference).abs() / reference;
        worst = worst.max(rel);
        assert!(
            rel < 1e-9,
            "polygon {i}: ours {ours} reference {reference} rel {rel:e}"
        );
    }
    eprintln!("worst relative difference against the reference formula: {worst:e}");
}

#[test]
fn agrees_with_geographiclib_on_patches() {
    let geod = Geodesic::new(6_378_137.0, 1.0 / 298.257_222_101);
    let mut rng = ChaCha8Rng::seed_from_u64(4490);
    let mut worst = 0.0_f64;
    let (mut smallest, mut largest) = (f64::INFINITY, 0.0_f64);
    for i in 0..2500 {
        let pts = random_patch(&mut rng);
        let ours = polygon_area(&poly_from(&pts));
        let mut pa = PolygonArea::new(&geod, Winding::CounterClockwise);
        for &(lon, lat) in &pts {
            pa.add_point(lat, lon);
        }
        let (_, theirs, _) = pa.compute(false);
        let theirs = theirs.abs();
        let rel = (ours - theirs).abs() / theirs;
        worst = worst.max(rel);
        smallest = smallest.min(ours);
        largest = largest.max(ours);
        assert!(
            rel < 1e-5,
            "polygon {i}: ours {ours} geographiclib {theirs} rel {rel:e}"
        );
    }
    assert!(
        smallest < 40.0 && largest > 150_000.0,
        "sizes {smallest}–{largest} m²"
    );
    eprintln!("worst relative difference against GeographicLib: {worst:e}");
}

proptest! {
    #[test]
    fn area_is_non_negative_and_invariant_under_longitude_shift(
        lon in 74.0f64..133.0,
        lat in 18.0f64..53.0,
        n in 3usize..40,
        r in 3.0f64..5000.0,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let pts = star(&mut rng, lon, lat, n, r);
        let a = polygon_area(&poly_from(&pts));
        prop_assert!(a >= 0.0);
        let shifted: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x + 1.0, y)).collect();
        let b = polygon_area(&poly_from(&shifted));
        prop_assert!((a - b).abs() <= 1e-9 * a.max(1e-300), "{} vs {}", a, b);
    }

    #[test]
    fn arbitrary_rings_never_give_negative_or_nan_area(
        pts in prop::collection::vec((73.0f64..136.0, 3.0f64..54.0), 0..30),
    ) {
        let a = ring_area(&LineString::from(pts));
        prop_assert!(a >= 0.0 && a.is_finite());
    }
}
