//! Random and hand-made test geometry near 104°E 30°N, sized in metres.

#![allow(dead_code)]

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rand::Rng;

pub const LON0: f64 = 104.06;
pub const LAT0: f64 = 30.65;
/// Metres per degree (rough, for sizing only).
pub const MX: f64 = 95_900.0;
pub const MY: f64 = 110_900.0;

/// A point `dx`, `dy` metres from (LON0, LAT0).
pub fn pt(dx: f64, dy: f64) -> Coord<f64> {
    Coord {
        x: LON0 + dx / MX,
        y: LAT0 + dy / MY,
    }
}

pub fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
    let mut v: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| pt(x, y)).collect();
    v.push(v[0]);
    LineString(v)
}

pub fn poly(pts: &[(f64, f64)]) -> Polygon<f64> {
    Polygon::new(ring(pts), vec![])
}

pub fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(vec![p])
}

/// An axis-aligned rectangle in metres.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    poly(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
}

/// A star-shaped polygon (simple, usually non-convex) of `n` vertices
/// around (cx, cy) metres, radii in [r/3, r], counter-clockwise. Angles are
/// evenly spaced with jitter, so no gap reaches π (which could make the
/// ring cross itself).
pub fn star<R: Rng>(rng: &mut R, cx: f64, cy: f64, r: f64, n: usize) -> Vec<(f64, f64)> {
    #[allow(clippy::cast_precision_loss)]
    let step = std::f64::consts::TAU / n as f64;
    (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let a = (i as f64 + rng.random_range(-0.45..0.45)) * step;
            let rr = r * rng.random_range(0.33..1.0);
            (cx + rr * a.cos(), cy + rr * a.sin())
        })
        .collect()
}

/// A star whose angles are evenly spaced (jittered) and radii in [r/2, r]:
/// it contains the disc of radius r/4 around its centre (for n ≥ 8).
pub fn round_star<R: Rng>(rng: &mut R, cx: f64, cy: f64, r: f64, n: usize) -> Vec<(f64, f64)> {
    #[allow(clippy::cast_precision_loss)]
    let step = std::f64::consts::TAU / n as f64;
    (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let a = (i as f64 + rng.random_range(-0.4..0.4)) * step;
            let rr = r * rng.random_range(0.5..1.0);
            (cx + rr * a.cos(), cy + rr * a.sin())
        })
        .collect()
}

/// A random patch: a star, sometimes with a hole (a smaller star around the
/// centre, inside the inner radius), sometimes two parts.
pub fn patch<R: Rng>(rng: &mut R, cx: f64, cy: f64, r: f64) -> MultiPolygon<f64> {
    let n = rng.random_range(5..40);
    let kind = rng.random_range(0..10);
    if kind == 0 {
        let outer = round_star(rng, cx, cy, r, n.max(8));
        let k = rng.random_range(3..8);
        let hole = round_star(rng, cx, cy, r * 0.2, k);
        let mut h = hole.clone();
        h.reverse();
        return MultiPolygon(vec![Polygon::new(ring(&outer), vec![ring(&h)])]);
    }
    let outer = star(rng, cx, cy, r, n);
    if kind == 1 {
        let k = rng.random_range(3..12);
        let other = star(rng, cx + 2.2 * r, cy, r * 0.5, k);
        MultiPolygon(vec![poly(&outer), poly(&other)])
    } else {
        MultiPolygon(vec![poly(&outer)])
    }
}

/// A clean tiling of [x0, x1] × [y0, y1] metres: an `nx` × `ny` grid with
/// jittered inner nodes; neighbours share their vertices exactly.
pub fn tiling<R: Rng>(
    rng: &mut R,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    nx: usize,
    ny: usize,
) -> Vec<Polygon<f64>> {
    #[allow(clippy::cast_precision_loss)]
    let (dx, dy) = ((x1 - x0) / nx as f64, (y1 - y0) / ny as f64);
    let mut nodes = vec![vec![Coord { x: 0.0, y: 0.0 }; nx + 1]; ny + 1];
    for (j, row) in nodes.iter_mut().enumerate() {
        for (i, node) in row.iter_mut().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let (mut x, mut y) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
            if i > 0 && i < nx {
                x += rng.random_range(-0.3..0.3) * dx;
            }
            if j > 0 && j < ny {
                y += rng.random_range(-0.3..0.3) * dy;
            }
            *node = pt(x, y);
        }
    }
    let mut out = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let r = vec![
                nodes[j][i],
                nodes[j][i + 1],
                nodes[j + 1][i + 1],
                nodes[j + 1][i],
                nodes[j][i],
            ];
            out.push(Polygon::new(LineString(r), vec![]));
        }
    }
    out
}
