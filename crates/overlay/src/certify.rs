//! Certifying that two features of a layer do not overlap (their interiors
//! are disjoint), so that their pieces in a patch can simply be added.
//!
//! Clean layers (the land survey's parcels, basic-farmland blocks) are
//! tilings: neighbours share edges exactly, vertex for vertex, run in
//! opposite directions. [`disjoint`] recognises exactly that and nothing
//! more: it answers `true` only when
//!
//! * every pair of edges (a of A, b of B) is either apart, or meets only at
//!   a common vertex (equal coordinates), or is the same segment run in
//!   opposite directions (`a = reverse(b)`); and
//! * the midpoint of every other edge of A lies strictly outside B, and
//!   vice versa (with a small guard distance).
//!
//! Why that suffices: rings are oriented with the interior on the left, so
//! a segment shared in opposite directions has A on one side and B on the
//! other. Every other edge of A has a relative interior that never touches
//! B's boundary, hence lies wholly inside or wholly outside B — and its
//! midpoint says which. A common region of the two interiors would need a
//! boundary made of edge pieces lying inside the other feature, or of
//! shared edges with both interiors on the same side; both are excluded.
//!
//! Anything else (T-junctions, collinear overlaps, crossings, identical
//! features, features with thousands of vertices) gets `false` — "not
//! certified" — and the caller computes a true union with a boolean
//! operation. `false` is always safe; `true` is exact.

use crate::layer::{Feat, LayerIndex};
use crate::predicates::{dist2_point_segment, orient, segments_intersect, winding_edge, BBox, C};

/// Features with more vertices than this are not certified (the pairwise
/// edge test is quadratic).
const MAX_VERTICES: u32 = 256;

/// Guard distance for midpoint tests, degrees (≈ 10 µm).
const GUARD: f64 = 1e-10;

#[derive(Debug, Default)]
pub(crate) struct CertScratch {
    ea: Vec<(C, C, bool)>,
    eb: Vec<(C, C, bool)>,
}

fn collect(layer: &LayerIndex, f: &Feat, c: &BBox, out: &mut Vec<(C, C, bool)>) {
    out.clear();
    for (_, ring) in layer.rings(f) {
        for e in ring.windows(2) {
            if e[0] != e[1] && BBox::of_segment(e[0], e[1]).intersects(c) {
                out.push((e[0], e[1], false));
            }
        }
    }
}

/// Strictly outside, with no boundary within [`GUARD`].
fn clearly_outside(layer: &LayerIndex, f: &Feat, p: C) -> bool {
    if !f.bbox.grow(GUARD).contains_point(p) {
        return true;
    }
    let mut w = 0;
    for (_, ring) in layer.rings(f) {
        for e in ring.windows(2) {
            let (a, b) = (e[0], e[1]);
            if BBox::of_segment(a, b).grow(GUARD).contains_point(p)
                && dist2_point_segment(p, a, b) <= GUARD * GUARD
            {
                return false;
            }
            if winding_edge(p, a, b, &mut w) {
                return false;
            }
        }
    }
    w == 0
}

/// Whether features `a` and `b` certainly have disjoint interiors.
pub(crate) fn disjoint(layer: &LayerIndex, a: &Feat, b: &Feat, s: &mut CertScratch) -> bool {
    let c = a.bbox.intersection(&b.bbox);
    if !(c.x0 < c.x1 && c.y0 < c.y1) {
        return true;
    }
    if a.nverts > MAX_VERTICES || b.nverts > MAX_VERTICES {
        return false;
    }
    collect(layer, a, &c, &mut s.ea);
    collect(layer, b, &c, &mut s.eb);
    for ea in &mut s.ea {
        let (a0, a1) = (ea.0, ea.1);
        let ba = BBox::of_segment(a0, a1);
        for eb in &mut s.eb {
            let (b0, b1) = (eb.0, eb.1);
            if !ba.intersects(&BBox::of_segment(b0, b1)) {
                continue;
            }
            if a0 == b1 && a1 == b0 {
                ea.2 = true;
                eb.2 = true;
                continue;
            }
            if a0 == b0 && a1 == b1 {
                return false;
            }
            // A common vertex: only that point may be shared; the other
            // ends must not run along the same ray.
            let common = if a0 == b0 || a0 == b1 {
                Some((a0, a1, if a0 == b0 { b1 } else { b0 }))
            } else if a1 == b0 || a1 == b1 {
                Some((a1, a0, if a1 == b0 { b1 } else { b0 }))
            } else {
                None
            };
            match common {
                Some((p, qa, qb)) => {
                    if orient(p, qa, qb) == 0.0 {
                        let dot = (qa.x - p.x) * (qb.x - p.x) + (qa.y - p.y) * (qb.y - p.y);
                        if dot > 0.0 {
                            return false;
                        }
                    }
                }
                None => {
                    if segments_intersect(a0, a1, b0, b1) {
                        return false;
                    }
                }
            }
        }
    }
    let mid = |p: C, q: C| C {
        x: (p.x + q.x) / 2.0,
        y: (p.y + q.y) / 2.0,
    };
    s.ea.iter()
        .filter(|e| !e.2)
        .all(|e| clearly_outside(layer, b, mid(e.0, e.1)))
        && s.eb
            .iter()
            .filter(|e| !e.2)
            .all(|e| clearly_outside(layer, a, mid(e.0, e.1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon};

    fn layer(polys: Vec<geo_types::Polygon<f64>>) -> LayerIndex {
        LayerIndex::new(
            polys
                .into_iter()
                .map(|p| (MultiPolygon(vec![p]), 0))
                .collect(),
        )
    }

    #[test]
    fn tiling_neighbours_are_certified() {
        // Two squares sharing an edge, and a third touching at a corner.
        let a = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        let b = polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)];
        let c = polygon![(x: 2.0, y: 1.0), (x: 3.0, y: 1.0), (x: 3.0, y: 2.0), (x: 2.0, y: 2.0)];
        let l = layer(vec![a.clone(), b, c, a]);
        let mut s = CertScratch::default();
        let f = |i: usize| l.feats[i];
        assert!(disjoint(&l, &f(0), &f(1), &mut s));
        assert!(disjoint(&l, &f(1), &f(2), &mut s));
        assert!(disjoint(&l, &f(0), &f(2), &mut s));
        // A duplicate is not.
        assert!(!disjoint(&l, &f(0), &f(3), &mut s));
    }

    #[test]
    fn overlaps_and_t_junctions_are_not_certified() {
        let a = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        // Slight overlap.
        let b = polygon![(x: 0.9, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.9, y: 1.0)];
        // Inside, no contact.
        let c = polygon![(x: 0.2, y: 0.2), (x: 0.4, y: 0.2), (x: 0.4, y: 0.4)];
        // T-junctions: an L around a's top-right corner sharing parts of
        // a's edges (interiors apart, but not certifiable).
        let d = polygon![(x: 1.0, y: 0.5), (x: 2.0, y: 0.5), (x: 2.0, y: 1.5), (x: 0.5, y: 1.5), (x: 0.5, y: 1.0), (x: 1.0, y: 1.0)];
        // Inside, sharing a's bottom edge in the same direction.
        let e = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.5, y: 0.5)];
        let l = layer(vec![a, b, c, d, e]);
        let mut s = CertScratch::default();
        let f = |i: usize| l.feats[i];
        assert!(!disjoint(&l, &f(0), &f(1), &mut s));
        assert!(!disjoint(&l, &f(0), &f(2), &mut s));
        assert!(!disjoint(&l, &f(0), &f(3), &mut s));
        assert!(!disjoint(&l, &f(0), &f(4), &mut s));
    }

    #[test]
    fn hole_filled_by_another_feature() {
        let donut = geo_types::Polygon::new(
            geo_types::LineString::from(vec![(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (0.0, 3.0)]),
            vec![geo_types::LineString::from(vec![
                (1.0, 1.0),
                (2.0, 1.0),
                (2.0, 2.0),
                (1.0, 2.0),
            ])],
        );
        let plug = polygon![(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0), (x: 1.0, y: 2.0)];
        let big_plug =
            polygon![(x: 0.5, y: 0.5), (x: 2.5, y: 0.5), (x: 2.5, y: 2.5), (x: 0.5, y: 2.5)];
        let l = layer(vec![donut, plug, big_plug]);
        let mut s = CertScratch::default();
        let f = |i: usize| l.feats[i];
        assert!(disjoint(&l, &f(0), &f(1), &mut s));
        assert!(!disjoint(&l, &f(0), &f(2), &mut s));
    }
}
