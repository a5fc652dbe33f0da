//! An independent overlay for tests and the benchmark's `--verify`: geo's
//! `BooleanOps` (i_overlay) directly, in a local frame, with unions by
//! `unary_union`, areas by `weipian_geo::area::ellipsoidal_area`.
//!
//! The frame is an exact transform (translation to the patch's corner and
//! scaling by a power of two), so the geometry is the same; what is
//! independent is the whole intersection/union machinery.

#![allow(dead_code)]

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, BoundingRect, MapCoords};
use geo_types::{coord, MultiPolygon, Polygon, Rect};
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
    let rect = Rect::new(coord! { x: -d, y: -d }, coord! { x: w + d, y: h + d }).to_polygon();
    let mut cut: Vec<(usize, MultiPolygon<f64>, u16)> = Vec::new();
    let mut features = Vec::new();
    for &(i, f, class) in feats {
        let fl = to_local(f, x0, y0).intersection(&rect);
        let piece = p.intersection(&fl);
        let a = ellipsoidal_area(&to_global(&piece, x0, y0));
        if a > eps {
            features.push((i, a));
            cut.push((i, fl, class));
        }
    }
    let union_area = |sel: &dyn Fn(u16) -> bool| {
        let polys: Vec<&Polygon<f64>> = cut
            .iter()
            .filter(|c| sel(c.2))
            .flat_map(|c| c.1 .0.iter())
            .collect();
        if polys.is_empty() {
            return 0.0;
        }
        let u = geo::unary_union(polys).orient(Direction::Default);
        ellipsoidal_area(&to_global(&p.intersection(&u), x0, y0))
    };
    let area_m2 = union_area(&|_| true);
    let mut classes: Vec<u16> = cut.iter().map(|c| c.2).collect();
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
