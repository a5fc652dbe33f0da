//! Cutting a patch along lines drawn across it (地块拆分 by dividing lines):
//! the pieces, each a polygon, that together cover the shape exactly.
//!
//! A clerk splits a patch by drawing where the boundary between 地块 runs;
//! drawing each 地块 as its own polygon would never meet the partition
//! check's tolerance by hand. Each line is extended beyond the shape at both
//! ends and closed far away on its left into a region `L`; a piece `P`
//! becomes `P ∩ L` and `P − L` (georust's boolean operations), which share
//! the cut exactly.
//!
//! ```
//! use geo_types::{line_string, polygon, MultiPolygon};
//! use weipian_geo::cut::cut;
//! let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)]]);
//! let line = line_string![(x: 1.0, y: -1.0), (x: 1.0, y: 3.0)];
//! let pieces = cut(&square, &[line]).unwrap();
//! assert_eq!(pieces.len(), 2);
//! ```

use geo::{Area, BooleanOps, BoundingRect, Translate};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// Why a shape could not be cut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CutError {
    #[error("分割线至少需要两个点")]
    ShortLine,
    #[error("分割线坐标无效（须为有限数值）")]
    NotFinite,
    #[error("分割线未穿过图斑，无法拆分")]
    NoCut,
}

/// The shape cut along `lines`: the pieces (single polygons, largest
/// first), or why not. Pieces smaller than `1e-12` of the shape's planar
/// area (slivers from a line touching a corner) are dropped.
pub fn cut(
    shape: &MultiPolygon<f64>,
    lines: &[LineString<f64>],
) -> Result<Vec<Polygon<f64>>, CutError> {
    let Some(rect) = shape.bounding_rect() else {
        return Err(CutError::NoCut);
    };
    let span = (rect.width() + rect.height()).max(1e-9);
    // Work about the shape's corner: the boolean operations keep far more
    // of the coordinates' precision at small magnitudes.
    let (ox, oy) = (rect.min().x, rect.min().y);
    let local = shape.translate(-ox, -oy);
    let total = local.unsigned_area();
    let mut pieces: Vec<Polygon<f64>> = local.0;
    for line in lines {
        if line.0.len() < 2 {
            return Err(CutError::ShortLine);
        }
        if line.0.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
            return Err(CutError::NotFinite);
        }
        let left = MultiPolygon(vec![left_of(&line.translate(-ox, -oy), span * 2.0)]);
        let mut next = Vec::new();
        for p in &pieces {
            let p = MultiPolygon(vec![p.clone()]);
            next.extend(p.intersection(&left).0);
            next.extend(p.difference(&left).0);
        }
        next.retain(|p| p.unsigned_area() > total * 1e-12);
        pieces = next;
    }
    if pieces.len() < 2 {
        return Err(CutError::NoCut);
    }
    pieces.sort_by(|a, b| b.unsigned_area().total_cmp(&a.unsigned_area()));
    Ok(pieces.into_iter().map(|p| p.translate(ox, oy)).collect())
}

/// The region left of `line` (walking from its first to its last point):
/// the line extended by `far` at both ends, closed `far` away to its left.
fn left_of(line: &LineString<f64>, far: f64) -> Polygon<f64> {
    let pts = &line.0;
    let unit = |a: Coord<f64>, b: Coord<f64>| {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy).max(f64::MIN_POSITIVE);
        Coord {
            x: dx / len,
            y: dy / len,
        }
    };
    let n = pts.len();
    let d0 = unit(pts[1], pts[0]);
    let d1 = unit(pts[n - 2], pts[n - 1]);
    let start = Coord {
        x: pts[0].x + d0.x * far,
        y: pts[0].y + d0.y * far,
    };
    let end = Coord {
        x: pts[n - 1].x + d1.x * far,
        y: pts[n - 1].y + d1.y * far,
    };
    // The left normal of the overall direction.
    let dir = unit(start, end);
    let normal = Coord {
        x: -dir.y,
        y: dir.x,
    };
    let mut ring = vec![start];
    ring.extend_from_slice(pts);
    ring.push(end);
    ring.push(Coord {
        x: end.x + normal.x * far,
        y: end.y + normal.y * far,
    });
    ring.push(Coord {
        x: start.x + normal.x * far,
        y: start.y + normal.y * far,
    });
    ring.push(start);
    Polygon::new(LineString(ring), vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, polygon};

    /// The pieces cover the shape to 1e-12 deg² (about 0.01 m² here): the
    /// boolean operations snap to their own grid. The 地块 partition check
    /// (tolerance 0.1 m² in the year's data file) accepts that.
    const COVER: f64 = 1e-12;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: 104.0, y: 30.0), (x: 104.01, y: 30.0), (x: 104.01, y: 30.01), (x: 104.0, y: 30.01)
        ]])
    }

    /// Planar area about a local origin (at 104°E, 30°N the shoelace sum
    /// of raw coordinates loses ~1e-13 deg² to rounding by itself).
    fn area(ps: &[Polygon<f64>]) -> f64 {
        ps.iter()
            .map(|p| p.translate(-104.0, -30.0).unsigned_area())
            .sum()
    }

    #[test]
    fn one_line_across_gives_two_pieces_that_cover_the_shape() {
        let s = square();
        let pieces = cut(
            &s,
            &[line_string![(x: 104.003, y: 29.99), (x: 104.003, y: 30.02)]],
        )
        .unwrap();
        assert_eq!(pieces.len(), 2);
        assert!(
            (area(&pieces) - area(&s.0)).abs() < COVER,
            "{}",
            (area(&pieces) - area(&s.0)).abs()
        );
        // Largest first: 0.007 wide, then 0.003.
        assert!((pieces[0].unsigned_area() - 0.007 * 0.01).abs() < 1e-12);
        // Drawn the other way round, the same pieces.
        let back = cut(
            &s,
            &[line_string![(x: 104.003, y: 30.02), (x: 104.003, y: 29.99)]],
        )
        .unwrap();
        assert!(
            (back[0].unsigned_area() - pieces[0].unsigned_area()).abs() < 1e-13,
            "{}",
            (area(&pieces) - s.unsigned_area()).abs()
        );
    }

    #[test]
    fn a_line_ending_inside_the_shape_is_extended_and_two_lines_give_four() {
        let s = square();
        // Drawn from inside to inside: extended beyond the shape at both ends.
        let h = line_string![(x: 104.004, y: 30.005), (x: 104.006, y: 30.005)];
        let v = line_string![(x: 104.005, y: 30.004), (x: 104.005, y: 30.006)];
        let pieces = cut(&s, &[h, v]).unwrap();
        assert_eq!(pieces.len(), 4);
        assert!(
            (area(&pieces) - area(&s.0)).abs() < COVER,
            "{}",
            (area(&pieces) - area(&s.0)).abs()
        );
    }

    #[test]
    fn a_bent_line_cuts_along_its_bend() {
        let s = square();
        let bent = line_string![(x: 104.002, y: 29.99), (x: 104.002, y: 30.005), (x: 104.008, y: 30.005), (x: 104.008, y: 30.02)];
        let pieces = cut(&s, &[bent]).unwrap();
        assert_eq!(pieces.len(), 2);
        assert!(
            (area(&pieces) - area(&s.0)).abs() < COVER,
            "{}",
            (area(&pieces) - area(&s.0)).abs()
        );
    }

    #[test]
    fn lines_that_miss_or_are_too_short_are_refused() {
        let s = square();
        let outside = line_string![(x: 105.0, y: 29.0), (x: 105.0, y: 31.0)];
        assert_eq!(cut(&s, &[outside]), Err(CutError::NoCut));
        let point = LineString(vec![Coord {
            x: 104.005,
            y: 30.005,
        }]);
        assert_eq!(cut(&s, &[point]), Err(CutError::ShortLine));
        let bad = line_string![(x: f64::NAN, y: 30.0), (x: 104.0, y: 30.0)];
        assert_eq!(cut(&s, &[bad]), Err(CutError::NotFinite));
    }
}
