//! Small geometry kit for the generators: local metric frames, wavy shared
//! edges, star-shaped patch outlines, point-in-polygon and
//! rectangle classification against a polygon.
//!
//! Coordinates are EPSG:4490 degrees, x = longitude, y = latitude.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rand::Rng;

use crate::rng::Hashed;

pub(crate) type Pt = Coord<f64>;

pub(crate) fn pt(x: f64, y: f64) -> Pt {
    Coord { x, y }
}

/// An axis-aligned box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BBox {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl BBox {
    pub(crate) fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Self {
        Self { x0, y0, x1, y1 }
    }

    pub(crate) fn empty() -> Self {
        Self::new(
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        )
    }

    pub(crate) fn of_points<'a>(pts: impl IntoIterator<Item = &'a Pt>) -> Self {
        let mut b = Self::empty();
        for p in pts {
            b.add(*p);
        }
        b
    }

    pub(crate) fn of_multipolygon(mp: &MultiPolygon<f64>) -> Self {
        let mut b = Self::empty();
        for p in &mp.0 {
            for c in &p.exterior().0 {
                b.add(*c);
            }
        }
        b
    }

    pub(crate) fn add(&mut self, p: Pt) {
        self.x0 = self.x0.min(p.x);
        self.y0 = self.y0.min(p.y);
        self.x1 = self.x1.max(p.x);
        self.y1 = self.y1.max(p.y);
    }

    pub(crate) fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub(crate) fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    pub(crate) fn center(&self) -> Pt {
        pt((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    pub(crate) fn intersects(&self, o: &Self) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }

    pub(crate) fn contains_point(&self, p: Pt) -> bool {
        p.x >= self.x0 && p.x <= self.x1 && p.y >= self.y0 && p.y <= self.y1
    }

    pub(crate) fn contains_box(&self, o: &Self) -> bool {
        o.x0 >= self.x0 && o.x1 <= self.x1 && o.y0 >= self.y0 && o.y1 <= self.y1
    }

    /// Grown by `dx`, `dy` on every side.
    pub(crate) fn grow(&self, dx: f64, dy: f64) -> Self {
        Self::new(self.x0 - dx, self.y0 - dy, self.x1 + dx, self.y1 + dy)
    }

    pub(crate) fn intersection(&self, o: &Self) -> Self {
        Self::new(
            self.x0.max(o.x0),
            self.y0.max(o.y0),
            self.x1.min(o.x1),
            self.y1.min(o.y1),
        )
    }
}

/// Metres per degree of longitude and latitude near a latitude (spherical
/// approximation, good to a few per mille: used only to size shapes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub mx: f64,
    pub my: f64,
}

impl Frame {
    pub(crate) fn at(lat: f64) -> Self {
        Self {
            mx: 111_320.0 * lat.to_radians().cos(),
            my: 110_574.0,
        }
    }

    /// Degrees of longitude for `m` metres east.
    pub(crate) fn dx(&self, m: f64) -> f64 {
        m / self.mx
    }

    /// Degrees of latitude for `m` metres north.
    pub(crate) fn dy(&self, m: f64) -> f64 {
        m / self.my
    }

    /// A point `east`, `north` metres from `origin`.
    pub(crate) fn offset(&self, origin: Pt, east: f64, north: f64) -> Pt {
        pt(origin.x + east / self.mx, origin.y + north / self.my)
    }
}

// --- the official ellipsoidal area -------------------------------------------

/// Ellipsoidal area (m²) of a polygon: outer ring minus holes, the official
/// method (computed in one place: `weipian_geo::area`).
pub(crate) fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    weipian_geo::area::polygon_area(p)
}

/// Ellipsoidal area (m²) of a multipolygon, the official method.
pub(crate) fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
    weipian_geo::area::ellipsoidal_area(mp)
}

// --- rings -----------------------------------------------------------------

/// Close a ring (repeat the first point) if it is open.
pub(crate) fn closed(mut ring: Vec<Pt>) -> LineString<f64> {
    if let (Some(f), Some(l)) = (ring.first().copied(), ring.last().copied()) {
        if f != l {
            ring.push(f);
        }
    }
    LineString(ring)
}

/// Whether `p` lies inside a closed ring (crossing number).
pub(crate) fn point_in_ring(p: Pt, ring: &[Pt]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Whether the segment a–b meets the box (Liang–Barsky clipping).
pub(crate) fn segment_meets_box(a: Pt, b: Pt, r: &BBox) -> bool {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let mut t0 = 0.0_f64;
    let mut t1 = 1.0_f64;
    for (p, q) in [
        (-dx, a.x - r.x0),
        (dx, r.x1 - a.x),
        (-dy, a.y - r.y0),
        (dy, r.y1 - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// How a box lies relative to a polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rel {
    Out,
    Boundary,
    In,
}

/// A polygon (outer ring and holes) with its segments grouped in chunks
/// with bounding boxes, for fast point and box queries.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    rings: Vec<Vec<Pt>>,
    chunks: Vec<(usize, usize, usize, BBox)>,
    pub bbox: BBox,
}

const CHUNK: usize = 32;

impl Prepared {
    pub(crate) fn new(poly: &Polygon<f64>) -> Self {
        let mut rings = vec![poly.exterior().0.clone()];
        rings.extend(poly.interiors().iter().map(|r| r.0.clone()));
        Self::from_rings(rings)
    }

    pub(crate) fn from_rings(rings: Vec<Vec<Pt>>) -> Self {
        let mut chunks = Vec::new();
        let mut bbox = BBox::empty();
        for (ri, r) in rings.iter().enumerate() {
            let nseg = r.len().saturating_sub(1);
            let mut s = 0;
            while s < nseg {
                let e = (s + CHUNK).min(nseg);
                let b = BBox::of_points(&r[s..=e]);
                bbox.add(pt(b.x0, b.y0));
                bbox.add(pt(b.x1, b.y1));
                chunks.push((ri, s, e, b));
                s = e;
            }
        }
        Self {
            rings,
            chunks,
            bbox,
        }
    }

    pub(crate) fn exterior(&self) -> &[Pt] {
        &self.rings[0]
    }

    pub(crate) fn contains_point(&self, p: Pt) -> bool {
        if !self.bbox.contains_point(p) {
            return false;
        }
        let mut inside = false;
        for &(ri, s, e, b) in &self.chunks {
            if p.y < b.y0 || p.y > b.y1 || p.x > b.x1 {
                continue;
            }
            if point_in_ring(p, &self.rings[ri][s..=e]) {
                inside = !inside;
            }
        }
        inside
    }

    /// Whether any boundary segment meets the box.
    pub(crate) fn boundary_meets(&self, r: &BBox) -> bool {
        if !self.bbox.intersects(r) {
            return false;
        }
        for &(ri, s, e, b) in &self.chunks {
            if !b.intersects(r) {
                continue;
            }
            if self.rings[ri][s..=e]
                .windows(2)
                .any(|w| segment_meets_box(w[0], w[1], r))
            {
                return true;
            }
        }
        false
    }

    pub(crate) fn classify(&self, r: &BBox) -> Rel {
        if !self.bbox.intersects(r) {
            Rel::Out
        } else if self.boundary_meets(r) {
            Rel::Boundary
        } else if self.contains_point(r.center()) {
            Rel::In
        } else {
            Rel::Out
        }
    }

    /// Boundary vertices inside a box.
    pub(crate) fn vertices_in(&self, r: &BBox) -> Vec<Pt> {
        let mut out = Vec::new();
        for &(ri, s, e, b) in &self.chunks {
            if b.intersects(r) {
                out.extend(
                    self.rings[ri][s..e]
                        .iter()
                        .filter(|p| r.contains_point(**p)),
                );
            }
        }
        out
    }
}

// --- wavy edges --------------------------------------------------------------

/// A wavy polyline from `a` to `b` with `segments` segments: interior points
/// are displaced perpendicular to a–b by a fractal profile whose amplitude is
/// at most `amp` and at most `cone` × the distance to the nearer end, so
/// edges meeting at a node at right angles or straight on never cross when
/// `cone` < 1. The profile depends only on `key`: callers derive the key
/// from the edge's end points so both neighbours get identical vertices.
/// Points advance monotonically along a–b: the line never crosses itself.
pub(crate) fn wavy_edge(a: Pt, b: Pt, segments: usize, amp: f64, cone: f64, key: u64) -> Vec<Pt> {
    let n = segments.max(1);
    let mut out = Vec::with_capacity(n + 1);
    out.push(a);
    if n > 1 {
        let mut v = vec![0.0_f64; n + 1];
        let mut h = Hashed::new(key);
        fractal(&mut v, 0, n, 1.0, &mut h);
        let peak = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy);
        let (nx, ny) = (-dy / len, dx / len);
        #[allow(clippy::cast_precision_loss)]
        for (i, vi) in v.iter().enumerate().take(n).skip(1) {
            let t = i as f64 / n as f64;
            let env = (cone * t.min(1.0 - t) * len).min(amp);
            let d = if peak > 0.0 { env * vi / peak } else { 0.0 };
            out.push(pt(a.x + dx * t + nx * d, a.y + dy * t + ny * d));
        }
    }
    out.push(b);
    out
}

fn fractal(v: &mut [f64], lo: usize, hi: usize, scale: f64, h: &mut Hashed) {
    if hi - lo < 2 {
        return;
    }
    let mid = (lo + hi) / 2;
    v[mid] = (v[lo] + v[hi]) / 2.0 + h.signed() * scale;
    fractal(v, lo, mid, scale * 0.62, h);
    fractal(v, mid, hi, scale * 0.62, h);
}

// --- star-shaped patch outlines ---------------------------------------------

/// What a patch outline should look like.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShapeSpec {
    /// Distinct vertices in all rings together (8–60 for patches).
    pub vertices: usize,
    /// Target area in m² (approximate: the metric frame is spherical).
    pub area_m2: f64,
    /// Largest distance from the centre along x or y, metres; the shape is
    /// shrunk to fit.
    pub max_half_m: f64,
    /// Aspect ratio (≥ 1) and rotation of the stretch.
    pub aspect: f64,
    pub rotation: f64,
    pub multipart: bool,
    pub hole: bool,
}

/// A star-shaped ring around the origin in local metres, counter-clockwise,
/// open (first point not repeated). Star-shaped about the origin, hence simple.
fn unit_star<R: Rng>(rng: &mut R, n: usize) -> Vec<(f64, f64)> {
    let theta0 = rng.random_range(0.0..std::f64::consts::TAU);
    let harmonics: Vec<(f64, f64, f64)> = (2..=4)
        .map(|m| {
            (
                f64::from(m),
                rng.random_range(0.0..0.12),
                rng.random_range(0.0..std::f64::consts::TAU),
            )
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    (0..n)
        .map(|k| {
            #[allow(clippy::cast_precision_loss)]
            let kf = k as f64;
            let th = theta0 + std::f64::consts::TAU * (kf + 0.6 * (rng.random::<f64>() - 0.5)) / nf;
            let mut r = 1.0 + 0.12 * (rng.random::<f64>() - 0.5);
            for &(m, amp, ph) in &harmonics {
                r += amp * (m * th + ph).cos();
            }
            (r * th.cos(), r * th.sin())
        })
        .collect()
}

fn local_area(ring: &[(f64, f64)]) -> f64 {
    let n = ring.len();
    let mut s = 0.0;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    s / 2.0
}

fn stretch(ring: &mut [(f64, f64)], aspect: f64, rotation: f64) {
    let (s, c) = rotation.sin_cos();
    let sq = aspect.sqrt();
    for p in ring.iter_mut() {
        let (x, y) = (p.0 * sq, p.1 / sq);
        *p = (x * c - y * s, x * s + y * c);
    }
}

/// Distance from the origin to the nearest point of the ring's edges.
fn inner_radius(ring: &[(f64, f64)]) -> f64 {
    let n = ring.len();
    let mut best = f64::INFINITY;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 {
            (-(a.0 * dx + a.1 * dy) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (px, py) = (a.0 + dx * t, a.1 + dy * t);
        best = best.min(px.hypot(py));
    }
    best
}

/// One part: a stretched star scaled to `area`, with an optional hole.
fn part<R: Rng>(
    rng: &mut R,
    n: usize,
    area: f64,
    aspect: f64,
    rotation: f64,
    hole: usize,
) -> Vec<Vec<(f64, f64)>> {
    let mut outer = unit_star(rng, n);
    stretch(&mut outer, aspect, rotation);
    let k = (area / local_area(&outer)).sqrt();
    for p in &mut outer {
        *p = (p.0 * k, p.1 * k);
    }
    let mut rings = vec![];
    if hole >= 3 {
        let rho = 0.35 * inner_radius(&outer);
        let ph = rng.random_range(0.0..std::f64::consts::TAU);
        #[allow(clippy::cast_precision_loss)]
        let hf = hole as f64;
        // Clockwise.
        let h: Vec<(f64, f64)> = (0..hole)
            .map(|i| {
                #[allow(clippy::cast_precision_loss)]
                let th = ph - std::f64::consts::TAU * i as f64 / hf;
                let r = rho * rng.random_range(0.75..1.0);
                (r * th.cos(), r * th.sin())
            })
            .collect();
        rings.push(outer);
        rings.push(h);
    } else {
        rings.push(outer);
    }
    rings
}

/// A patch outline around `center` (degrees) following `spec`.
pub(crate) fn patch_shape<R: Rng>(rng: &mut R, center: Pt, spec: &ShapeSpec) -> MultiPolygon<f64> {
    let n = spec.vertices.max(8);
    // Parts in local metres: each a list of rings (outer first).
    let mut parts: Vec<Vec<Vec<(f64, f64)>>> = Vec::new();
    if spec.multipart {
        let n2 = (n / 3).max(4);
        let n1 = n - n2;
        let f2 = rng.random_range(0.2..0.45);
        let p1 = part(
            rng,
            n1,
            spec.area_m2 * (1.0 - f2),
            spec.aspect,
            spec.rotation,
            0,
        );
        let mut p2 = part(
            rng,
            n2,
            spec.area_m2 * f2,
            1.0 + (spec.aspect - 1.0) / 2.0,
            spec.rotation,
            0,
        );
        let r1 = p1[0].iter().fold(0.0_f64, |m, p| m.max(p.0.hypot(p.1)));
        let r2 = p2[0].iter().fold(0.0_f64, |m, p| m.max(p.0.hypot(p.1)));
        let gap = (r1 + r2) * rng.random_range(0.08..0.3);
        let dir = rng.random_range(0.0..std::f64::consts::TAU);
        let d = r1 + r2 + gap;
        for ring in &mut p2 {
            for p in ring.iter_mut() {
                *p = (p.0 + d * dir.cos(), p.1 + d * dir.sin());
            }
        }
        parts.push(p1);
        parts.push(p2);
    } else {
        let hole = if spec.hole && n >= 12 {
            rng.random_range(4..=6)
        } else {
            0
        };
        parts.push(part(
            rng,
            n - hole,
            spec.area_m2,
            spec.aspect,
            spec.rotation,
            hole,
        ));
    }
    // Centre the whole thing on its box and shrink it to fit.
    let mut b = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for p in parts.iter().flatten().flatten() {
        b = (b.0.min(p.0), b.1.min(p.1), b.2.max(p.0), b.3.max(p.1));
    }
    let (cx, cy) = ((b.0 + b.2) / 2.0, (b.1 + b.3) / 2.0);
    let half = ((b.2 - b.0) / 2.0).max((b.3 - b.1) / 2.0);
    let k = if half > spec.max_half_m {
        spec.max_half_m / half
    } else {
        1.0
    };
    let frame = Frame::at(center.y);
    let polys = parts
        .into_iter()
        .map(|rings| {
            let mut it = rings.into_iter().map(|r| {
                closed(
                    r.into_iter()
                        .map(|(x, y)| frame.offset(center, (x - cx) * k, (y - cy) * k))
                        .collect(),
                )
            });
            let outer = it.next().unwrap_or_else(|| LineString(vec![]));
            Polygon::new(outer, it.collect())
        })
        .collect();
    MultiPolygon(polys)
}

/// A natural-looking outline (a reserve, a red-line zone): star-shaped
/// around `center` with a fractal radius profile, `n` vertices, mean radius
/// `radius_m`. Star-shaped, hence simple; counter-clockwise.
pub(crate) fn blob<R: Rng>(rng: &mut R, center: Pt, radius_m: f64, n: usize) -> Polygon<f64> {
    let f = Frame::at(center.y);
    let harmonics: Vec<(f64, f64, f64)> = (2..48)
        .map(|k| {
            let k = f64::from(k);
            (
                k,
                rng.random_range(0.0..0.35) / k.powf(1.1),
                rng.random_range(0.0..std::f64::consts::TAU),
            )
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let ring: Vec<Pt> = (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let th = std::f64::consts::TAU * i as f64 / nf;
            let mut r = 1.0 + rng.random_range(-0.01..0.01);
            for &(k, a, ph) in &harmonics {
                r += a * (k * th + ph).sin();
            }
            let r = radius_m * r.max(0.3);
            f.offset(center, r * th.cos(), r * th.sin())
        })
        .collect();
    Polygon::new(closed(ring), vec![])
}

/// Number of distinct vertices (closing points not counted).
#[cfg(test)]
pub(crate) fn vertex_count(mp: &MultiPolygon<f64>) -> usize {
    mp.0.iter()
        .map(|p| {
            p.exterior().0.len().saturating_sub(1)
                + p.interiors()
                    .iter()
                    .map(|r| r.0.len().saturating_sub(1))
                    .sum::<usize>()
        })
        .sum()
}

/// Area-weighted centroid of a multipolygon (outer rings minus holes),
/// planar in degrees: what the national table's LZB/BZB hold.
pub(crate) fn centroid(mp: &MultiPolygon<f64>) -> Pt {
    let (mut sa, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for p in &mp.0 {
        for (k, r) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            let o = r.0.first().copied().unwrap_or(pt(0.0, 0.0));
            let (mut a, mut mx, mut my) = (0.0, 0.0, 0.0);
            for w in r.0.windows(2) {
                let (u, v) = (w[0] - o, w[1] - o);
                let cr = u.x * v.y - v.x * u.y;
                a += cr / 2.0;
                mx += (u.x + v.x) * cr / 6.0;
                my += (u.y + v.y) * cr / 6.0;
            }
            // Outer rings count positive, holes negative, whatever their winding.
            let sign = if (a >= 0.0) == (k == 0) { 1.0 } else { -1.0 };
            sa += sign * a;
            sx += sign * (mx + o.x * a);
            sy += sign * (my + o.y * a);
        }
    }
    if sa == 0.0 {
        return BBox::of_multipolygon(mp).center();
    }
    pt(sx / sa, sy / sa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use geo::{Area, Centroid, Validation};

    #[test]
    fn patch_shapes_are_valid_and_sized() {
        let mut rng = stream(1, 1);
        for i in 0..400 {
            let spec = ShapeSpec {
                vertices: 8 + i % 53,
                area_m2: 200.0 + f64::from(u32::try_from(i).unwrap_or(0)) * 400.0,
                max_half_m: 400.0,
                aspect: 1.0 + f64::from(u32::try_from(i % 7).unwrap_or(0)) * 0.2,
                rotation: 0.3,
                multipart: i % 10 == 0,
                hole: i % 10 == 5,
            };
            let c = pt(104.0, 30.5);
            let mp = patch_shape(&mut rng, c, &spec);
            assert!(mp.is_valid(), "{i}: {:?}", mp.validation_errors());
            assert_eq!(vertex_count(&mp), spec.vertices, "{i}");
            let a = area_m2(&mp);
            assert!(a <= spec.area_m2 * 1.02, "{i}: {a}");
            let b = BBox::of_multipolygon(&mp);
            let f = Frame::at(30.5);
            assert!(b.width() * f.mx <= 800.5 && b.height() * f.my <= 800.5);
            if spec.multipart {
                assert_eq!(mp.0.len(), 2);
            }
            if spec.hole && spec.vertices >= 12 {
                assert_eq!(mp.0[0].interiors().len(), 1);
            }
            let mine = centroid(&mp);
            let theirs = mp.centroid().unwrap_or(geo_types::Point::new(0.0, 0.0));
            assert!((mine.x - theirs.x()).abs() < 1e-9 && (mine.y - theirs.y()).abs() < 1e-9);
            assert!(mp.signed_area() > 0.0);
        }
    }

    #[test]
    fn wavy_edges_are_shared_exactly() {
        let a = pt(100.0, 30.0);
        let b = pt(100.5, 30.0);
        let e1 = wavy_edge(a, b, 40, 0.05, 0.6, 99);
        let e2 = wavy_edge(a, b, 40, 0.05, 0.6, 99);
        assert_eq!(e1, e2);
        assert_eq!(e1.len(), 41);
        assert!(e1.windows(2).all(|w| w[1].x > w[0].x));
        assert!(e1.iter().all(|p| (p.y - 30.0).abs() <= 0.05 + 1e-12));
    }

    #[test]
    fn classify_boxes() {
        let sq = Polygon::new(
            closed(vec![
                pt(0.0, 0.0),
                pt(10.0, 0.0),
                pt(10.0, 10.0),
                pt(0.0, 10.0),
            ]),
            vec![],
        );
        let p = Prepared::new(&sq);
        assert_eq!(p.classify(&BBox::new(1.0, 1.0, 2.0, 2.0)), Rel::In);
        assert_eq!(p.classify(&BBox::new(9.0, 1.0, 11.0, 2.0)), Rel::Boundary);
        assert_eq!(p.classify(&BBox::new(11.0, 1.0, 12.0, 2.0)), Rel::Out);
        assert!(p.contains_point(pt(5.0, 5.0)));
        assert!(!p.contains_point(pt(-5.0, 5.0)));
    }
}
