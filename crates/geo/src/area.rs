//! The official ellipsoidal area (椭球面积) on CGCS2000.
//!
//! The method of record (DOMAIN.md §12): take geodetic (B, L), treat each
//! edge as straight in (L, B), and sum the ellipsoidal trapezoid between the
//! edge and the equator: `ΔL · Z(Bm)` with Bm the edge's mean latitude and
//!
//! `Z(φ) = b² [A sin φ − B sin 3φ + C sin 5φ − D sin 7φ + E sin 9φ]`
//!
//! the area per radian of longitude between the equator and latitude φ
//! (A…E from e², see [`Coefficients`]). A ring's area is the absolute value
//! of the sum; a polygon's is its outer ring minus its holes.
//!
//! Numerics. Z is about 2·10¹³ m² per radian while a 100 m² patch has edges
//! with ΔL ≈ 10⁻⁶: summing ΔL·Z(Bm) directly cancels some eight digits.
//! Because ΣΔL = 0 around a closed ring, Z(B0) for any fixed B0 can be
//! subtracted from every term without changing the sum; with B0 a latitude
//! of the ring, each term needs only Z(Bm) − Z(B0), which is evaluated
//! *as a difference* — the sines of k·Bm are written as sin(k(B0 + δ)) and
//! expanded with sin kδ and cos kδ − 1 — so it keeps full relative
//! precision. The k-multiples come from one (sin δ, cos δ) pair by complex
//! multiplication, and for the small δ of a patch those two come from a short
//! Taylor series instead of a library call, so an edge costs ~60 flops.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// Ellipsoid constants for the trapezoid formula.
#[derive(Debug, Clone, Copy)]
pub struct Coefficients {
    /// Semi-minor axis squared, m².
    pub b2: f64,
    /// A, B, C, D, E of DOMAIN.md §12 (all positive; the signs alternate in Z).
    pub abcde: [f64; 5],
}

impl Coefficients {
    /// The coefficients for an ellipsoid with semi-major axis `a` and
    /// flattening `f`.
    #[must_use]
    pub fn new(a: f64, f: f64) -> Self {
        let b = a * (1.0 - f);
        let e2 = (a * a - b * b) / (a * a);
        let (e4, e6, e8) = (e2 * e2, e2 * e2 * e2, e2 * e2 * e2 * e2);
        let a_ = 1.0 + 3.0 / 6.0 * e2 + 30.0 / 80.0 * e4 + 35.0 / 112.0 * e6 + 630.0 / 2304.0 * e8;
        let b_ = 1.0 / 6.0 * e2 + 15.0 / 80.0 * e4 + 21.0 / 112.0 * e6 + 420.0 / 2304.0 * e8;
        let c_ = 3.0 / 80.0 * e4 + 7.0 / 112.0 * e6 + 180.0 / 2304.0 * e8;
        let d_ = 1.0 / 112.0 * e6 + 45.0 / 2304.0 * e8;
        let e_ = 5.0 / 2304.0 * e8;
        Self {
            b2: b * b,
            abcde: [a_, b_, c_, d_, e_],
        }
    }

    /// CGCS2000: a = 6 378 137 m, f = 1/298.257222101.
    #[must_use]
    pub fn cgcs2000() -> Self {
        Self::new(crate::crs::A_CGCS2000, crate::crs::F_CGCS2000)
    }

    /// Z(φ): the area between the equator and latitude φ (radians) per
    /// radian of longitude, m². Straightforward evaluation, for reference.
    #[must_use]
    pub fn zone(&self, phi: f64) -> f64 {
        let [a, b, c, d, e] = self.abcde;
        self.b2
            * (a * phi.sin() - b * (3.0 * phi).sin() + c * (5.0 * phi).sin()
                - d * (7.0 * phi).sin()
                + e * (9.0 * phi).sin())
    }

    /// The signed coefficients of sin kφ in Z/b², k = 1, 3, 5, 7, 9.
    fn signed(&self) -> [f64; 5] {
        let [a, b, c, d, e] = self.abcde;
        [a, -b, c, -d, e]
    }
}

/// (sin x, cos x − 1), the second without cancellation.
#[inline]
fn sin_cosm1(x: f64) -> (f64, f64) {
    if x.abs() < SMALL {
        return small_sin_cosm1(x);
    }
    let (s, c) = x.sin_cos();
    // cos x − 1 = −sin²x / (1 + cos x), exact in relative terms for |x| < π/2;
    // for larger x, cos x − 1 is not small and the direct form is fine.
    let cm1 = if c > 0.0 { -s * s / (1.0 + c) } else { c - 1.0 };
    (s, cm1)
}

/// Per-ring state: the reference latitude B0 and sin kB0, cos kB0.
struct RingFrame {
    /// Signed coefficient × sin(k B0) and × cos(k B0), k = 1, 3, 5, 7, 9.
    ws: [f64; 5],
    wc: [f64; 5],
}

impl RingFrame {
    fn new(k: &Coefficients, b0: f64) -> Self {
        let signed = k.signed();
        let (s1, c1) = b0.sin_cos();
        // Odd multiples by the recurrence t_{k+2} = 2 cos 2B0 · t_k − t_{k−2}.
        let c2 = 2.0 * ((c1 - s1) * (c1 + s1));
        let mut s = [0.0; 5];
        let mut c = [0.0; 5];
        s[0] = s1;
        c[0] = c1;
        s[1] = c2 * s1 + s1; // sin 3x = 2cos2x sin x − sin(−x)
        c[1] = c2 * c1 - c1; // cos 3x = 2cos2x cos x − cos(−x)
        for i in 2..5 {
            s[i] = c2 * s[i - 1] - s[i - 2];
            c[i] = c2 * c[i - 1] - c[i - 2];
        }
        let mut ws = [0.0; 5];
        let mut wc = [0.0; 5];
        for i in 0..5 {
            ws[i] = signed[i] * s[i];
            wc[i] = signed[i] * c[i];
        }
        Self { ws, wc }
    }

    /// (Z(B0 + δ) − Z(B0)) / b² for `L` values of δ at once (the lanes are
    /// independent, which keeps the pipeline full and lets the arithmetic
    /// vectorise).
    #[inline(always)]
    fn dz<const L: usize>(&self, delta: &[f64; L]) -> [f64; L] {
        let mut s = [0.0; L];
        let mut cm1 = [0.0; L];
        if delta.iter().all(|d| d.abs() < SMALL) {
            for i in 0..L {
                (s[i], cm1[i]) = small_sin_cosm1(delta[i]);
            }
        } else {
            for i in 0..L {
                (s[i], cm1[i]) = sin_cosm1(delta[i]);
            }
        }
        // w_k = e^{ikδ} − 1, kept small: w_1 = (cos δ − 1) + i sin δ,
        // w_2 = 2 w_1 + w_1², w_{k+2} = w_k + w_2 + w_2·w_k.
        let mut acc = [0.0; L];
        for i in 0..L {
            let (w1r, w1i) = (cm1[i], s[i]);
            let w2r = 2.0 * w1r + (w1r * w1r - w1i * w1i);
            let w2i = 2.0 * w1i + 2.0 * w1r * w1i;
            let (mut wr, mut wi) = (w1r, w1i);
            // sin(k(B0+δ)) − sin kB0 = sin kB0 (cos kδ − 1) + cos kB0 sin kδ.
            let mut a = self.ws[0] * wr + self.wc[0] * wi;
            for j in 1..5 {
                let nr = wr + w2r + (w2r * wr - w2i * wi);
                let ni = wi + w2i + (w2r * wi + w2i * wr);
                wr = nr;
                wi = ni;
                a += self.ws[j] * wr + self.wc[j] * wi;
            }
            acc[i] = a;
        }
        acc
    }
}

/// Below this |δ| (radians, ≈ 0.57°) the Taylor series is used.
const SMALL: f64 = 0.01;

/// (sin x, cos x − 1) for |x| < [`SMALL`] by Taylor series; the first
/// omitted terms are below 1e-17 relative.
#[inline(always)]
fn small_sin_cosm1(x: f64) -> (f64, f64) {
    let x2 = x * x;
    let s = x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0)));
    let cm1 = -x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0)));
    (s, cm1)
}

fn cgcs2000() -> &'static Coefficients {
    static K: std::sync::OnceLock<Coefficients> = std::sync::OnceLock::new();
    K.get_or_init(Coefficients::cgcs2000)
}

/// Area of one ring in m², always ≥ 0 (either orientation). Coordinates
/// are EPSG:4490 degrees, x = longitude, y = latitude; the ring is closed
/// implicitly if its last point differs from its first.
#[must_use]
pub fn ring_area(ring: &LineString<f64>) -> f64 {
    ring_area_coords(&ring.0)
}

/// Edges evaluated together in [`ring_area_coords`].
const LANES: usize = 8;

fn ring_area_coords(pts: &[Coord<f64>]) -> f64 {
    let Some(first) = pts.first() else { return 0.0 };
    if pts.len() < 3 {
        return 0.0;
    }
    let k = cgcs2000();
    let frame = RingFrame::new(k, first.y.to_radians());
    let y0 = first.y;
    let deg = std::f64::consts::PI / 180.0;
    // Σ ΔL · (Z(Bm) − Z(B0)) / b², with ΔL and δ in radians. Differences are
    // taken in degrees first (exact for nearby values), then scaled. Edge i
    // runs from pts[i] to pts[i + 1]; the closing edge from the last point
    // back to the first is zero when the ring is closed.
    let edge =
        |a: &Coord<f64>, b: &Coord<f64>| (b.x - a.x, ((a.y - y0) + (b.y - y0)) * (0.5 * deg));
    let mut sum = 0.0;
    let mut chunks = pts.windows(LANES + 1).step_by(LANES);
    let mut done = 0;
    for w in &mut chunks {
        let mut dl = [0.0; LANES];
        let mut delta = [0.0; LANES];
        for i in 0..LANES {
            (dl[i], delta[i]) = edge(&w[i], &w[i + 1]);
        }
        let dz = frame.dz(&delta);
        for i in 0..LANES {
            sum += dl[i] * dz[i];
        }
        done += LANES;
    }
    // The remaining (at most LANES − 1) edges and the closing edge, padded
    // with empty edges (ΔL = 0 adds nothing).
    let last = pts.len() - 1;
    let rest = pts[done..]
        .windows(2)
        .map(|w| (&w[0], &w[1]))
        .chain(std::iter::once((&pts[last], first)));
    let mut dl = [0.0; LANES];
    let mut delta = [0.0; LANES];
    for (i, (a, b)) in rest.enumerate() {
        (dl[i], delta[i]) = edge(a, b);
    }
    let dz = frame.dz(&delta);
    for i in 0..LANES {
        sum += dl[i] * dz[i];
    }
    (sum * deg * k.b2).abs()
}

/// Area of a polygon in m²: outer ring minus holes. Never negative for a
/// valid polygon; orientation does not matter.
#[must_use]
pub fn polygon_area(poly: &Polygon<f64>) -> f64 {
    let holes: f64 = poly.interiors().iter().map(ring_area).sum();
    ring_area(poly.exterior()) - holes
}

/// The official ellipsoidal area (椭球面积) of a multipolygon in EPSG:4490
/// degrees, in m², unrounded: for each polygon, outer ring minus holes.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use weipian_geo::area::ellipsoidal_area;
/// // The reference square 114.30–114.31°E × 30.60–30.61°N.
/// let sq = polygon![(x: 114.30, y: 30.60), (x: 114.31, y: 30.60), (x: 114.31, y: 30.61), (x: 114.30, y: 30.61)];
/// let a = ellipsoidal_area(&MultiPolygon(vec![sq]));
/// assert!((a - 1_063_125.1079).abs() < 1e-3);
/// ```
#[must_use]
pub fn ellipsoidal_area(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(polygon_area).sum()
}

#[cfg(test)]
mod tests;
