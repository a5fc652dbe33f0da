//! Tests for validation: every repair and every refusal.

use super::*;
use geo_types::{coord, polygon};
use proptest::prelude::*;

fn mp(polys: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
    MultiPolygon(polys)
}

fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
    LineString::from(pts.to_vec())
}

/// A polygon from raw rings, without `Polygon::new`'s closing.
fn raw(exterior: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> Polygon<f64> {
    Polygon::new(ring(exterior), holes.iter().map(|h| ring(h)).collect())
}

/// 0.01° square at 104.0–104.01°E, 30.0–30.01°N, counter-clockwise.
fn square() -> Polygon<f64> {
    polygon![(x: 104.0, y: 30.0), (x: 104.01, y: 30.0), (x: 104.01, y: 30.01), (x: 104.0, y: 30.01)]
}

fn ok(m: MultiPolygon<f64>) -> Validated {
    match validate(m) {
        Ok(v) => v,
        Err(e) => panic!("expected valid, got: {e}"),
    }
}

fn err(m: MultiPolygon<f64>) -> GeometryError {
    match validate(m) {
        Ok(v) => panic!("expected an error, got {:?}", v.geometry),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------ repairs

#[test]
fn valid_polygon_passes_unchanged() {
    let v = ok(mp(vec![square()]));
    assert_eq!(v.geometry, mp(vec![square()]));
    assert!(v.repairs.is_empty());
}

#[test]
fn removes_consecutive_duplicates_including_at_the_seam() {
    let p = raw(
        &[
            (104.0, 30.0),
            (104.0, 30.0),
            (104.01, 30.0),
            (104.01, 30.01),
            (104.01, 30.01),
            (104.01, 30.01),
            (104.0, 30.01),
            (104.0, 30.0),
            (104.0, 30.0),
        ],
        &[],
    );
    let v = ok(mp(vec![p]));
    assert_eq!(v.geometry, mp(vec![square()]));
    assert_eq!(v.repairs, vec![Repair::DuplicateVertices { removed: 4 }]);
}

#[test]
fn removes_spikes_anywhere_in_the_ring() {
    // In the middle: …(104.01, 30.0) → (104.02, 30.0) → (104.01, 30.0)…
    let mid = raw(
        &[
            (104.0, 30.0),
            (104.01, 30.0),
            (104.02, 30.005),
            (104.01, 30.0),
            (104.01, 30.01),
            (104.0, 30.01),
            (104.0, 30.0),
        ],
        &[],
    );
    let v = ok(mp(vec![mid]));
    assert_eq!(v.geometry, mp(vec![square()]));
    assert_eq!(v.repairs, vec![Repair::Spikes { removed: 1 }]);
    // At the first vertex (the tip is where the ring starts).
    let first = raw(
        &[
            (103.99, 29.99),
            (104.0, 30.0),
            (104.01, 30.0),
            (104.01, 30.01),
            (104.0, 30.01),
            (104.0, 30.0),
            (103.99, 29.99),
        ],
        &[],
    );
    let v = ok(mp(vec![first]));
    assert_eq!(v.repairs, vec![Repair::Spikes { removed: 1 }]);
    assert_eq!(v.geometry.0[0].exterior().0.len(), 5);
    // At the last vertex before the seam.
    let last = raw(
        &[
            (104.0, 30.0),
            (104.01, 30.0),
            (104.01, 30.01),
            (104.0, 30.01),
            (104.0, 30.0),
            (103.99, 29.99),
            (104.0, 30.0),
        ],
        &[],
    );
    let v = ok(mp(vec![last]));
    assert_eq!(v.repairs, vec![Repair::Spikes { removed: 1 }]);
    assert!(
        (crate::area::ellipsoidal_area(&v.geometry) - crate::area::polygon_area(&square())).abs()
            < 1e-9
    );
    // A spike of two segments folds away step by step: A→B→C→B→A.
    let chain = raw(
        &[
            (104.0, 30.0),
            (104.01, 30.0),
            (104.02, 30.0),
            (104.03, 30.0),
            (104.02, 30.0),
            (104.01, 30.0),
            (104.01, 30.01),
            (104.0, 30.01),
        ],
        &[],
    );
    let v = ok(mp(vec![chain]));
    assert_eq!(v.repairs, vec![Repair::Spikes { removed: 2 }]);
    assert_eq!(v.geometry, mp(vec![square()]));
}

#[test]
fn reports_both_kinds_of_repair_and_displays_them() {
    let p = raw(
        &[
            (104.0, 30.0),
            (104.0, 30.0),
            (104.01, 30.0),
            (104.02, 30.0),
            (104.01, 30.0),
            (104.01, 30.01),
            (104.0, 30.01),
        ],
        &[],
    );
    let v = ok(mp(vec![p]));
    assert_eq!(
        v.repairs,
        vec![
            Repair::DuplicateVertices { removed: 1 },
            Repair::Spikes { removed: 1 }
        ]
    );
    assert_eq!(v.repairs[0].to_string(), "删除重复节点 1 个");
    assert_eq!(v.repairs[1].to_string(), "删除尖刺 1 处");
}

#[test]
fn normalises_orientation_without_recording_a_repair() {
    let cw_shell = [
        (104.0, 30.0),
        (104.0, 30.01),
        (104.01, 30.01),
        (104.01, 30.0),
        (104.0, 30.0),
    ];
    let ccw_hole = [
        (104.002, 30.002),
        (104.004, 30.002),
        (104.004, 30.004),
        (104.002, 30.004),
        (104.002, 30.002),
    ];
    let v = ok(mp(vec![raw(&cw_shell, &[&ccw_hole])]));
    assert!(v.repairs.is_empty());
    let p = &v.geometry.0[0];
    assert!(is_ccw(&p.exterior().0[..p.exterior().0.len() - 1]));
    assert!(!is_ccw(&p.interiors()[0].0[..p.interiors()[0].0.len() - 1]));
    // The same points, in the other order.
    let mut back: Vec<_> = cw_shell.to_vec();
    back.reverse();
    assert_eq!(p.exterior(), &ring(&back));
}

// ----------------------------------------------------------------- refusals

#[test]
fn refuses_empty_geometry() {
    assert_eq!(err(mp(vec![])), GeometryError::Empty);
    assert_eq!(GeometryError::Empty.to_string(), "几何为空");
    let e = err(mp(vec![Polygon::new(LineString::new(vec![]), vec![])]));
    assert!(
        matches!(
            e,
            GeometryError::TooFewPoints {
                polygon: 0,
                ring: 0,
                distinct: 0,
                at: None
            }
        ),
        "{e}"
    );
}

#[test]
fn refuses_rings_with_fewer_than_three_distinct_points() {
    let e = err(mp(vec![raw(
        &[(104.0, 30.0), (104.01, 30.0), (104.0, 30.0)],
        &[],
    )]));
    assert!(
        matches!(e, GeometryError::TooFewPoints { distinct: 2, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("第 1 个面的外环不同的节点少于 3 个"),
        "{e}"
    );
    assert!(e.to_string().contains("(104.00000, 30.00000)"), "{e}");
    let hole = [(104.002, 30.002), (104.002, 30.002), (104.002, 30.002)];
    let e = err(mp(vec![raw(
        &square()
            .exterior()
            .0
            .iter()
            .map(|c| (c.x, c.y))
            .collect::<Vec<_>>(),
        &[&hole],
    )]));
    assert!(
        matches!(
            e,
            GeometryError::TooFewPoints {
                ring: 1,
                distinct: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("第 1 个内环"), "{e}");
}

#[test]
fn refuses_non_finite_coordinates() {
    let e = err(mp(vec![
        square(),
        raw(&[(104.1, 30.0), (f64::NAN, 30.0), (104.1, 30.1)], &[]),
    ]));
    assert!(
        matches!(
            e,
            GeometryError::NonFinite {
                polygon: 1,
                ring: 0,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("第 2 个面的外环的坐标不是有效数值"),
        "{e}"
    );
    let e = err(mp(vec![raw(
        &[(104.1, 30.0), (104.2, f64::INFINITY), (104.1, 30.1)],
        &[],
    )]));
    assert!(matches!(e, GeometryError::NonFinite { .. }));
}

#[test]
fn refuses_zero_area_rings() {
    let e = err(mp(vec![raw(
        &[
            (104.0, 30.0),
            (104.25, 30.125),
            (104.5, 30.25),
            (104.0, 30.0),
        ],
        &[],
    )]));
    assert!(matches!(e, GeometryError::ZeroArea { .. }), "{e:?}");
    assert!(e.to_string().contains("面积为零"), "{e}");
}

#[test]
fn refuses_self_intersection_with_its_location() {
    let bow = raw(
        &[
            (104.06, 30.65),
            (104.07, 30.66),
            (104.07, 30.65),
            (104.06, 30.66),
        ],
        &[],
    );
    let e = err(mp(vec![bow]));
    assert!(matches!(
        e,
        GeometryError::SelfIntersection {
            polygon: 0,
            ring: 0,
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "第 1 个面的外环自相交，位置约 (104.06500, 30.65500)"
    );
    assert_eq!(e.location(), Some(coord! { x: 104.065, y: 30.655 }));
}

#[test]
fn refuses_a_ring_touching_itself_at_a_vertex() {
    // Figure eight through (104.01, 30.01), visited twice.
    let eight = raw(
        &[
            (104.0, 30.0),
            (104.01, 30.01),
            (104.02, 30.0),
            (104.02, 30.02),
            (104.01, 30.01),
            (104.0, 30.02),
        ],
        &[],
    );
    let e = err(mp(vec![eight]));
    assert!(
        matches!(e, GeometryError::SelfIntersection { at, .. } if at == coord! { x: 104.01, y: 30.01 }),
        "{e:?}"
    );
    // A vertex lying on a non-adjacent edge (an inverted hole).
    let pinch = raw(
        &[
            (104.0, 30.0),
            (104.02, 30.0),
            (104.02, 30.02),
            (104.01, 30.0),
            (104.0, 30.02),
        ],
        &[],
    );
    let e = err(mp(vec![pinch]));
    assert!(
        matches!(e, GeometryError::SelfIntersection { at, .. } if at == coord! { x: 104.01, y: 30.0 }),
        "{e:?}"
    );
}

#[test]
fn refuses_an_edge_folding_back_over_its_neighbour() {
    // (104.01, 30.0) → (104.02, 30.0) → (104.015, 30.0): a partial back-track.
    let fold = raw(
        &[
            (104.0, 30.0),
            (104.02, 30.0),
            (104.015, 30.0),
            (104.01, 30.01),
            (104.0, 30.01),
        ],
        &[],
    );
    let e = err(mp(vec![fold]));
    assert!(matches!(e, GeometryError::SelfIntersection { .. }), "{e:?}");
}

#[test]
fn large_rings_use_the_sweep_and_still_find_crossings() {
    // A 200-vertex star, then one vertex pulled across to the far side.
    let n = 200;
    let mut pts: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let t = f64::from(i) / f64::from(n) * std::f64::consts::TAU;
            let r = if i % 2 == 0 { 0.01 } else { 0.006 };
            (104.0 + r * t.cos(), 30.0 + r * t.sin())
        })
        .collect();
    assert!(validate(mp(vec![raw(&pts, &[])])).is_ok());
    pts[100] = (104.02, 30.0);
    let e = err(mp(vec![raw(&pts, &[])]));
    assert!(matches!(e, GeometryError::SelfIntersection { .. }), "{e:?}");
}

fn square_pts() -> Vec<(f64, f64)> {
    vec![
        (104.0, 30.0),
        (104.01, 30.0),
        (104.01, 30.01),
        (104.0, 30.01),
        (104.0, 30.0),
    ]
}

#[test]
fn refuses_rings_crossing_each_other() {
    let hole = [
        (104.005, 30.005),
        (104.015, 30.005),
        (104.015, 30.008),
        (104.005, 30.008),
        (104.005, 30.005),
    ];
    let e = err(mp(vec![raw(&square_pts(), &[&hole])]));
    assert!(
        matches!(
            e,
            GeometryError::RingsCross {
                polygon: 0,
                ring_a: 0,
                ring_b: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("第 1 个面的外环与第 1 个内环相交，位置约 (104.01000, 30.00"),
        "{e}"
    );
    // Holes overlapping each other.
    let h1 = [
        (104.002, 30.002),
        (104.006, 30.002),
        (104.006, 30.006),
        (104.002, 30.006),
        (104.002, 30.002),
    ];
    let h2 = [
        (104.004, 30.004),
        (104.008, 30.004),
        (104.008, 30.008),
        (104.004, 30.008),
        (104.004, 30.004),
    ];
    let e = err(mp(vec![raw(&square_pts(), &[&h1, &h2])]));
    assert!(
        matches!(
            e,
            GeometryError::RingsCross {
                ring_a: 1,
                ring_b: 2,
                ..
            }
        ),
        "{e:?}"
    );
    // A hole sharing part of an edge with the shell.
    let h3 = [
        (104.002, 30.0),
        (104.006, 30.0),
        (104.006, 30.004),
        (104.002, 30.004),
        (104.002, 30.0),
    ];
    assert!(matches!(
        err(mp(vec![raw(&square_pts(), &[&h3])])),
        GeometryError::RingsCross { .. }
    ));
}

#[test]
fn a_hole_may_touch_the_shell_at_one_point() {
    let hole = [
        (104.005, 30.0),
        (104.007, 30.004),
        (104.003, 30.004),
        (104.005, 30.0),
    ];
    let v = ok(mp(vec![raw(&square_pts(), &[&hole])]));
    assert_eq!(v.geometry.0[0].interiors().len(), 1);
}

#[test]
fn refuses_holes_outside_the_shell() {
    let hole = [
        (104.02, 30.02),
        (104.03, 30.02),
        (104.03, 30.03),
        (104.02, 30.03),
        (104.02, 30.02),
    ];
    let e = err(mp(vec![raw(&square_pts(), &[&hole])]));
    assert!(
        matches!(
            e,
            GeometryError::HoleOutsideShell {
                polygon: 0,
                ring: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("第 1 个内环不在外环之内"), "{e}");
    // Touching the shell at a vertex and leaving through it.
    let leaving = [
        (104.01, 30.005),
        (104.02, 30.004),
        (104.02, 30.006),
        (104.01, 30.005),
    ];
    let e = err(mp(vec![raw(
        &[
            (104.0, 30.0),
            (104.01, 30.0),
            (104.01, 30.005),
            (104.01, 30.01),
            (104.0, 30.01),
            (104.0, 30.0),
        ],
        &[&leaving],
    )]));
    assert!(matches!(e, GeometryError::HoleOutsideShell { .. }), "{e:?}");
}

#[test]
fn refuses_nested_holes() {
    let outer_hole = [
        (104.001, 30.001),
        (104.009, 30.001),
        (104.009, 30.009),
        (104.001, 30.009),
        (104.001, 30.001),
    ];
    let inner_hole = [
        (104.003, 30.003),
        (104.005, 30.003),
        (104.005, 30.005),
        (104.003, 30.005),
        (104.003, 30.003),
    ];
    let e = err(mp(vec![raw(&square_pts(), &[&outer_hole, &inner_hole])]));
    assert!(
        matches!(
            e,
            GeometryError::NestedHoles {
                ring: 2,
                within: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("内环嵌套"), "{e}");
}

#[test]
fn refuses_overlapping_parts() {
    let shifted = |dx: f64, dy: f64| {
        Polygon::new(
            LineString::from(
                square_pts()
                    .into_iter()
                    .map(|(x, y)| (x + dx, y + dy))
                    .collect::<Vec<_>>(),
            ),
            vec![],
        )
    };
    // Edges crossing.
    let e = err(mp(vec![square(), shifted(0.005, 0.005)]));
    assert!(
        matches!(
            e,
            GeometryError::PolygonsOverlap {
                polygon_a: 0,
                polygon_b: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("第 1 个面与第 2 个面重叠，位置约"),
        "{e}"
    );
    // One part inside another.
    let small = raw(
        &[
            (104.002, 30.002),
            (104.004, 30.002),
            (104.004, 30.004),
            (104.002, 30.004),
        ],
        &[],
    );
    assert!(matches!(
        err(mp(vec![square(), small])),
        GeometryError::PolygonsOverlap { .. }
    ));
    // Identical parts.
    assert!(matches!(
        err(mp(vec![square(), square()])),
        GeometryError::PolygonsOverlap { .. }
    ));
    // A diamond whose vertices lie on the square's edges.
    let diamond = raw(
        &[
            (104.005, 30.0),
            (104.01, 30.005),
            (104.005, 30.01),
            (104.0, 30.005),
        ],
        &[],
    );
    assert!(matches!(
        err(mp(vec![square(), diamond])),
        GeometryError::PolygonsOverlap { .. }
    ));
    // Inner part sharing an edge.
    let inside_sharing = raw(
        &[
            (104.0, 30.0),
            (104.005, 30.0),
            (104.005, 30.005),
            (104.0, 30.005),
        ],
        &[],
    );
    assert!(matches!(
        err(mp(vec![square(), inside_sharing])),
        GeometryError::PolygonsOverlap { .. }
    ));
}

#[test]
fn parts_may_touch_or_share_an_edge_and_islands_may_sit_in_holes() {
    let right = raw(
        &[
            (104.01, 30.0),
            (104.02, 30.0),
            (104.02, 30.01),
            (104.01, 30.01),
        ],
        &[],
    );
    let corner = raw(
        &[
            (104.01, 30.01),
            (104.02, 30.01),
            (104.02, 30.02),
            (104.01, 30.02),
        ],
        &[],
    );
    let v = ok(mp(vec![square(), right, corner]));
    assert_eq!(v.geometry.0.len(), 3);
    let hole = [
        (104.002, 30.002),
        (104.008, 30.002),
        (104.008, 30.008),
        (104.002, 30.008),
        (104.002, 30.002),
    ];
    let island = raw(
        &[
            (104.004, 30.004),
            (104.006, 30.004),
            (104.006, 30.006),
            (104.004, 30.006),
        ],
        &[],
    );
    ok(mp(vec![raw(&square_pts(), &[&hole]), island]));
}

// --------------------------------------------------------------- properties

/// A star-shaped polygon around (lon, lat), counter-clockwise, closed.
fn star(lon: f64, lat: f64, radii: &[f64], jitter: &[f64]) -> Polygon<f64> {
    #[allow(clippy::cast_precision_loss)]
    let n = radii.len() as f64;
    let pts: Vec<(f64, f64)> = radii
        .iter()
        .zip(jitter)
        .enumerate()
        .map(|(i, (r, j))| {
            #[allow(clippy::cast_precision_loss)]
            let t = (i as f64 + j) / n * std::f64::consts::TAU;
            (lon + r * t.cos(), lat + r * t.sin())
        })
        .collect();
    Polygon::new(LineString::from(pts), vec![])
}

proptest! {
    #[test]
    fn never_panics(rings in prop::collection::vec(
        prop::collection::vec(
            prop_oneof![
                8 => (103.99f64..104.01, 29.99f64..30.01),
                1 => (prop::num::f64::ANY, prop::num::f64::ANY),
                1 => Just((104.0, 30.0)),
            ],
            0..12,
        ),
        0..5,
    )) {
        let polys: Vec<Polygon<f64>> = rings
            .chunks(2)
            .map(|c| Polygon::new(LineString::from(c[0].clone()), c[1..].iter().map(|r| LineString::from(r.clone())).collect()))
            .collect();
        let _ = validate(MultiPolygon(polys));
    }

    #[test]
    fn valid_star_polygons_pass_unchanged(
        lon in 74.0f64..134.0,
        lat in 18.0f64..53.0,
        shape in prop::collection::vec((1e-5f64..1e-2, 0.0f64..0.9), 4..80),
    ) {
        let radii: Vec<f64> = shape.iter().map(|s| s.0).collect();
        let jitter: Vec<f64> = shape.iter().map(|s| s.1).collect();
        let p = star(lon, lat, &radii, &jitter);
        let input = MultiPolygon(vec![p]);
        let v = validate(input.clone());
        prop_assert!(v.is_ok(), "{:?}", v);
        if let Ok(v) = v {
            prop_assert_eq!(v.geometry, input);
            prop_assert!(v.repairs.is_empty());
        }
    }
}
