//! Exact-sign geometric predicates: orientation (a floating-point filter
//! with the adaptive exact fallback of `robust` via geo's kernel), closed
//! segment intersection and point-in-rings by the non-zero winding rule.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo_types::Coord;

pub(crate) type C = Coord<f64>;

/// An axis-aligned box, closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BBox {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Default for BBox {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl BBox {
    pub(crate) const EMPTY: Self = Self {
        x0: f64::INFINITY,
        y0: f64::INFINITY,
        x1: f64::NEG_INFINITY,
        y1: f64::NEG_INFINITY,
    };

    #[inline]
    pub(crate) fn of_segment(a: C, b: C) -> Self {
        Self {
            x0: a.x.min(b.x),
            y0: a.y.min(b.y),
            x1: a.x.max(b.x),
            y1: a.y.max(b.y),
        }
    }

    pub(crate) fn of_points(pts: &[C]) -> Self {
        let mut b = Self::EMPTY;
        for p in pts {
            b.add(*p);
        }
        b
    }

    #[inline]
    pub(crate) fn add(&mut self, p: C) {
        self.x0 = self.x0.min(p.x);
        self.y0 = self.y0.min(p.y);
        self.x1 = self.x1.max(p.x);
        self.y1 = self.y1.max(p.y);
    }

    pub(crate) fn union(&self, o: &Self) -> Self {
        Self {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    /// The boxes share at least a point (closed boxes).
    #[inline]
    pub(crate) fn intersects(&self, o: &Self) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }

    /// The boxes' interiors meet: their intersection has positive area.
    #[inline]
    pub(crate) fn overlaps(&self, o: &Self) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    #[inline]
    pub(crate) fn intersection(&self, o: &Self) -> Self {
        Self {
            x0: self.x0.max(o.x0),
            y0: self.y0.max(o.y0),
            x1: self.x1.min(o.x1),
            y1: self.y1.min(o.y1),
        }
    }

    #[inline]
    pub(crate) fn contains_point(&self, p: C) -> bool {
        self.x0 <= p.x && p.x <= self.x1 && self.y0 <= p.y && p.y <= self.y1
    }

    #[inline]
    pub(crate) fn contains_box(&self, o: &Self) -> bool {
        self.x0 <= o.x0 && o.x1 <= self.x1 && self.y0 <= o.y0 && o.y1 <= self.y1
    }

    pub(crate) fn is_finite(&self) -> bool {
        self.x0.is_finite() && self.y0.is_finite() && self.x1.is_finite() && self.y1.is_finite()
    }

    /// Grown by `d` on every side.
    pub(crate) fn grow(&self, d: f64) -> Self {
        Self {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }
}

/// Shewchuk's error bound for the filtered orientation determinant.
const CCW_ERR: f64 = (3.0 + 16.0 * (f64::EPSILON / 2.0)) * (f64::EPSILON / 2.0);

/// The orientation of `c` relative to the directed line `a → b`: > 0 when
/// `c` lies to the left (a, b, c counter-clockwise), < 0 to the right, 0
/// exactly when collinear. The sign is exact; the magnitude is the
/// floating-point determinant when that is certain, else ±1 or 0.
#[inline]
pub(crate) fn orient(a: C, b: C, c: C) -> f64 {
    let detleft = (a.x - c.x) * (b.y - c.y);
    let detright = (a.y - c.y) * (b.x - c.x);
    let det = detleft - detright;
    let bound = CCW_ERR * (detleft.abs() + detright.abs());
    if det > bound || -det > bound {
        return det;
    }
    match RobustKernel::orient2d(a, b, c) {
        Orientation::CounterClockwise => 1.0,
        Orientation::Clockwise => -1.0,
        Orientation::Collinear => 0.0,
    }
}

/// Whether the closed segments `a0 a1` and `b0 b1` share a point (exact).
#[inline]
pub(crate) fn segments_intersect(a0: C, a1: C, b0: C, b1: C) -> bool {
    if !BBox::of_segment(a0, a1).intersects(&BBox::of_segment(b0, b1)) {
        return false;
    }
    let o1 = orient(a0, a1, b0);
    let o2 = orient(a0, a1, b1);
    if (o1 > 0.0 && o2 > 0.0) || (o1 < 0.0 && o2 < 0.0) {
        return false;
    }
    let o3 = orient(b0, b1, a0);
    let o4 = orient(b0, b1, a1);
    if (o3 > 0.0 && o4 > 0.0) || (o3 < 0.0 && o4 < 0.0) {
        return false;
    }
    // Collinear (or a degenerate segment): the boxes overlap, so they meet
    // when truly collinear; for a zero-length segment off the line this is
    // a false positive, which every caller tolerates (it only costs time).
    true
}

/// Where a point lies relative to a set of rings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    Inside,
    Outside,
    Boundary,
}

/// Adds the winding contribution of edge `a → b` for point `p`; returns
/// `true` when `p` lies on the edge.
#[inline]
pub(crate) fn winding_edge(p: C, a: C, b: C, w: &mut i32) -> bool {
    if a.y <= p.y {
        if b.y > p.y {
            let o = orient(a, b, p);
            if o > 0.0 {
                *w += 1;
            } else if o == 0.0 {
                return true;
            }
        } else if b.y == p.y && a.y == p.y {
            // Horizontal edge on the point's line.
            if (a.x <= p.x && p.x <= b.x) || (b.x <= p.x && p.x <= a.x) {
                return true;
            }
        } else if a == p {
            return true;
        }
    } else if b.y <= p.y {
        let o = orient(a, b, p);
        if o < 0.0 {
            *w -= 1;
        } else if o == 0.0 {
            return true;
        }
    }
    false
}

/// Point location against closed rings (each `first == last`) by the
/// non-zero winding rule, exact.
pub(crate) fn locate_in_rings<'a>(p: C, rings: impl Iterator<Item = &'a [C]>) -> Loc {
    let mut w = 0;
    for ring in rings {
        for e in ring.windows(2) {
            if winding_edge(p, e[0], e[1], &mut w) {
                return Loc::Boundary;
            }
        }
    }
    if w != 0 {
        Loc::Inside
    } else {
        Loc::Outside
    }
}

/// Squared distance from `p` to segment `a b`.
pub(crate) fn dist2_point_segment(p: C, a: C, b: C) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    qx * qx + qy * qy
}

/// Twice the signed planar area of an open or closed ring, computed
/// relative to its first vertex (positive = counter-clockwise).
pub(crate) fn planar_signed_area2(ring: &[C]) -> f64 {
    let Some(&o) = ring.first() else { return 0.0 };
    let mut s = 0.0;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        s += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    fn c(x: f64, y: f64) -> C {
        coord! { x: x, y: y }
    }

    #[test]
    fn orientation_signs_are_exact() {
        assert!(orient(c(0.0, 0.0), c(1.0, 0.0), c(0.0, 1.0)) > 0.0);
        assert!(orient(c(0.0, 0.0), c(1.0, 0.0), c(0.0, -1.0)) < 0.0);
        assert_eq!(orient(c(0.0, 0.0), c(1.0, 1.0), c(3.0, 3.0)), 0.0);
        // Nearly collinear points far from the origin: the filter must defer.
        let a = c(104.123_456_789_012_3, 30.1);
        let b = c(104.123_456_789_012_3 + 0.1, 30.2);
        let m = c(104.123_456_789_012_3 + 0.05, 30.15);
        let exact = RobustKernel::orient2d(a, b, m);
        let ours = orient(a, b, m);
        match exact {
            Orientation::Collinear => assert_eq!(ours, 0.0),
            Orientation::CounterClockwise => assert!(ours > 0.0),
            Orientation::Clockwise => assert!(ours < 0.0),
        }
    }

    #[test]
    fn segment_tests() {
        assert!(segments_intersect(
            c(0.0, 0.0),
            c(2.0, 2.0),
            c(0.0, 2.0),
            c(2.0, 0.0)
        ));
        // Touching at an endpoint.
        assert!(segments_intersect(
            c(0.0, 0.0),
            c(1.0, 1.0),
            c(1.0, 1.0),
            c(2.0, 0.0)
        ));
        // Collinear, apart.
        assert!(!segments_intersect(
            c(0.0, 0.0),
            c(1.0, 0.0),
            c(2.0, 0.0),
            c(3.0, 0.0)
        ));
        // Collinear, overlapping.
        assert!(segments_intersect(
            c(0.0, 0.0),
            c(2.0, 0.0),
            c(1.0, 0.0),
            c(3.0, 0.0)
        ));
        assert!(!segments_intersect(
            c(0.0, 0.0),
            c(1.0, 0.0),
            c(0.0, 1.0),
            c(1.0, 1.0)
        ));
    }

    #[test]
    fn point_location() {
        let sq = [
            c(0.0, 0.0),
            c(2.0, 0.0),
            c(2.0, 2.0),
            c(0.0, 2.0),
            c(0.0, 0.0),
        ];
        let hole = [
            c(0.5, 0.5),
            c(0.5, 1.5),
            c(1.5, 1.5),
            c(1.5, 0.5),
            c(0.5, 0.5),
        ];
        let rings = || [&sq[..], &hole[..]].into_iter();
        assert_eq!(locate_in_rings(c(0.2, 0.2), rings()), Loc::Inside);
        assert_eq!(locate_in_rings(c(1.0, 1.0), rings()), Loc::Outside);
        assert_eq!(locate_in_rings(c(3.0, 1.0), rings()), Loc::Outside);
        assert_eq!(locate_in_rings(c(2.0, 1.0), rings()), Loc::Boundary);
        assert_eq!(locate_in_rings(c(1.0, 0.0), rings()), Loc::Boundary);
        assert_eq!(locate_in_rings(c(0.0, 0.0), rings()), Loc::Boundary);
        assert_eq!(locate_in_rings(c(0.5, 1.0), rings()), Loc::Boundary);
        assert_eq!(locate_in_rings(c(1.0, 2.0), rings()), Loc::Boundary);
        // On the line of a vertex but outside.
        assert_eq!(locate_in_rings(c(-1.0, 2.0), rings()), Loc::Outside);
        assert_eq!(locate_in_rings(c(-1.0, 0.0), rings()), Loc::Outside);
    }
}
