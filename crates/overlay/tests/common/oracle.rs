//! An independent overlay for tests and the benchmark's `--verify`: geo's
//! `BooleanOps` (i_overlay) directly, in a local frame, with unions by
//! the non-zero fill rule, areas by `weipian_geo::area::ellipsoidal_area`.
//!
//! The frame is an exact transform (translation to the patch's corner and
//! scaling by a power of two), so the geometry is the same; what is
//! independent is the whole intersection/union machinery.

#![allow(dead_code)]

use geo::bool_ops::{FillRule, OpType};
use geo::orient::{Direction, Orient};
use geo::{BooleanOps, BoundingRect, MapCoords};
use geo_types::{coord, Coord, LineString, MultiPolygon, Polygon};
use weipian_geo::area::ellipsoidal_area;

const SCALE: f64 = 65_536.0;

pub struct OracleResult {
    pub area_m2: f64,
    pub by_class: Vec<(u16, f64)>,
    /// (feature index, area) for every feature with area > `eps`.
    pub features: Vec<(usize, f64)>,
}

fn to_local(mp: &MultiPolygon<f64>, x0: f64, y0: f64) -> MultiPolygon<f64> {
    mp.map_coords(|c| coord! { x: (c.x - x0) * SCALE, y: (c.y - y0) * SCALE })
        .orient(Direction::Default)
}

fn to_global(mp: &MultiPolygon<f64>, x0: f64, y0: f64) -> MultiPolygon<f64> {
    mp.map_coords(|c| coord! { x: c.x / SCALE + x0, y: c.y / SCALE + y0 })
}

/// Overlap of `patch` with `feats` (index, geometry, class), pieces above `eps`.
pub fn oracle(
    patch: &MultiPolygon<f64>,
    feats: &[(usize, &MultiPolygon<f64>, u16)],
    eps: f64,
) -> OracleResult {
    let Some(bb) = patch.bounding_rect() else {
        return OracleResult {
            area_m2: 0.0,
            by_class: vec![],
            features: vec![],
        };
    };
    let (x0, y0) = (bb.min().x, bb.min().y);
    let p = to_local(patch, x0, y0);
    let (w, h) = (bb.width() * SCALE, bb.height() * SCALE);
    let d = w.max(h) * 0.2 + 1.0;
    let rect = (-d, -d, w + d, h + d);
    let mut kept: Vec<(usize, MultiPolygon<f64>, u16)> = Vec::new();
    let mut features = Vec::new();
    for &(i, f, class) in feats {
        let fl = cut(&to_local(f, x0, y0), rect);
        let piece = p.intersection_with_fill_rule(&fl, FillRule::NonZero);
        let a = ellipsoidal_area(&to_global(&piece, x0, y0));
        if a > eps {
            features.push((i, a));
            kept.push((i, fl, class));
        }
    }
    // The union of the selected features (their cut rings together under
    // the non-zero rule: outer rings wind +1, holes −1), then intersected
    // with the patch.
    let union_area = |sel: &dyn Fn(u16) -> bool| {
        let polys: Vec<Polygon<f64>> = kept
            .iter()
            .filter(|c| sel(c.2))
            .flat_map(|c| c.1 .0.iter().cloned())
            .collect();
        if polys.is_empty() {
            return 0.0;
        }
        // Union first (so edges inside the union leave no vertices behind on
        // the patch's edges), then the intersection.
        let u = MultiPolygon(polys).boolean_op_with_fill_rule(
            &MultiPolygon(vec![]),
            OpType::Union,
            FillRule::NonZero,
        );
        ellipsoidal_area(&to_global(&p.intersection(&u), x0, y0))
    };
    let area_m2 = union_area(&|_| true);
    let mut classes: Vec<u16> = kept.iter().map(|c| c.2).collect();
    classes.sort_unstable();
    classes.dedup();
    let by_class = classes
        .iter()
        .map(|&c| (c, union_area(&|k| k == c)))
        .collect();
    OracleResult {
        area_m2,
        by_class,
        features,
    }
}

/// Cuts every ring of `mp` (oriented) to the box by Sutherland–Hodgman, so
/// big features reach the boolean operations patch-sized (i_overlay snaps
/// to a grid scaled to the inputs' extent). Each cut ring becomes a polygon
/// of its own, orientation kept, for the non-zero fill rule.
fn cut(mp: &MultiPolygon<f64>, (x0, y0, x1, y1): (f64, f64, f64, f64)) -> MultiPolygon<f64> {
    let mut out = Vec::new();
    for ring in
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
    {
        let mut cur: Vec<Coord<f64>> = ring.0[..ring.0.len().saturating_sub(1)].to_vec();
        type Side<'a> = (&'a dyn Fn(Coord<f64>) -> f64, bool, f64);
        let sides: [Side; 4] = [
            (&|c| c.x - x0, true, x0),
            (&|c| x1 - c.x, true, x1),
            (&|c| c.y - y0, false, y0),
            (&|c| y1 - c.y, false, y1),
        ];
        for (side, vertical, v) in sides {
            let mut next = Vec::new();
            for i in 0..cur.len() {
                let (p, q) = (cur[(i + cur.len() - 1) % cur.len()], cur[i]);
                let (sp, sq) = (side(p), side(q));
                let at = || {
                    let t = sp / (sp - sq);
                    if vertical {
                        coord! { x: v, y: p.y + (q.y - p.y) * t }
                    } else {
                        coord! { x: p.x + (q.x - p.x) * t, y: v }
                    }
                };
                if sq >= 0.0 {
                    if sp < 0.0 {
                        next.push(at());
                    }
                    next.push(q);
                } else if sp >= 0.0 {
                    next.push(at());
                }
            }
            cur = next;
        }
        if cur.len() >= 3 {
            cur.push(cur[0]);
            out.push(Polygon::new(LineString(cur), vec![]));
        }
    }
    MultiPolygon(out)
}
