//! Transverse Mercator on the CGCS2000 ellipsoid (scale 1 on the central
//! meridian), as used by the 3° Gauss–Krüger zones.
//!
//! Why a hand-written projection instead of `proj4rs`: the import path
//! projects millions of vertices, and `proj4rs` goes through its generic
//! pipeline per point (axis handling, unit and datum checks, a Poder–Engsager
//! series with several transcendental calls). This module evaluates Krüger's
//! series in n to sixth order (Karney, "Transverse Mercator with an accuracy
//! of a few nanometers", J. Geodesy 85, 2011, eqs. 35–36), with the conformal
//! latitude as a Clenshaw series too, so a forward projection costs four
//! elementary function calls and an inverse six. The truncation error is far
//! below a micrometre within several thousand kilometres of the central
//! meridian, so it agrees with PROJ (which evaluates the same series) to
//! well under a millimetre; the tests check 1 mm against values from PROJ.
//! The `geo_proj_bench` example measures both.

/// CGCS2000 semi-major axis, metres.
pub const A_CGCS2000: f64 = 6_378_137.0;
/// CGCS2000 flattening.
pub const F_CGCS2000: f64 = 1.0 / 298.257_222_101;

/// Series coefficients, computed once from the ellipsoid.
struct Coefficients {
    /// Rectifying radius A (Karney eq. 14) times the scale factor (1).
    a_rect: f64,
    /// Krüger α_1..α_6 (forward, conformal sphere → projected).
    alpha: [f64; 6],
    /// Krüger β_1..β_6 (inverse).
    beta: [f64; 6],
    /// Geodetic → conformal latitude: χ = φ + Σ c_k sin 2kφ.
    to_conformal: [f64; 6],
    /// Conformal → geodetic latitude: φ = χ + Σ d_k sin 2kχ.
    from_conformal: [f64; 6],
}

/// Evaluates a polynomial in `n` given its coefficients from n¹ upwards
/// (`poly[0]` multiplies n, `poly[5]` multiplies n⁶).
fn series_in_n(n: f64, poly: [f64; 6]) -> f64 {
    poly.iter().rev().fold(0.0, |acc, c| (acc + c) * n)
}

impl Coefficients {
    fn new(a: f64, f: f64) -> Self {
        let n = f / (2.0 - f);
        let n2 = n * n;
        let a_rect = a / (1.0 + n) * (1.0 + n2 * (1.0 / 4.0 + n2 * (1.0 / 64.0 + n2 / 256.0)));
        // Each row lists the coefficients of n, n², …, n⁶ (zeros where the
        // term starts later). Karney (2011) eqs. 35 (α), 36 (β); the
        // conformal-latitude series are the usual Lagrange reversions
        // expressed in n (same paper, and PROJ's tmerc documentation).
        let alpha = [
            series_in_n(
                n,
                [
                    1.0 / 2.0,
                    -2.0 / 3.0,
                    5.0 / 16.0,
                    41.0 / 180.0,
                    -127.0 / 288.0,
                    7891.0 / 37800.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    13.0 / 48.0,
                    -3.0 / 5.0,
                    557.0 / 1440.0,
                    281.0 / 630.0,
                    -1_983_433.0 / 1_935_360.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    61.0 / 240.0,
                    -103.0 / 140.0,
                    15061.0 / 26880.0,
                    167_603.0 / 181_440.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    0.0,
                    49561.0 / 161_280.0,
                    -179.0 / 168.0,
                    6_601_661.0 / 7_257_600.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    34729.0 / 80640.0,
                    -3_418_889.0 / 1_995_840.0,
                ],
            ),
            series_in_n(n, [0.0, 0.0, 0.0, 0.0, 0.0, 212_378_941.0 / 319_334_400.0]),
        ];
        let beta = [
            series_in_n(
                n,
                [
                    1.0 / 2.0,
                    -2.0 / 3.0,
                    37.0 / 96.0,
                    -1.0 / 360.0,
                    -81.0 / 512.0,
                    96199.0 / 604_800.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    1.0 / 48.0,
                    1.0 / 15.0,
                    -437.0 / 1440.0,
                    46.0 / 105.0,
                    -1_118_711.0 / 3_870_720.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    17.0 / 480.0,
                    -37.0 / 840.0,
                    -209.0 / 4480.0,
                    5569.0 / 90720.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    0.0,
                    4397.0 / 161_280.0,
                    -11.0 / 504.0,
                    -830_251.0 / 7_257_600.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    4583.0 / 161_280.0,
                    -108_847.0 / 3_991_680.0,
                ],
            ),
            series_in_n(n, [0.0, 0.0, 0.0, 0.0, 0.0, 20_648_693.0 / 638_668_800.0]),
        ];
        let to_conformal = [
            series_in_n(
                n,
                [
                    -2.0,
                    2.0 / 3.0,
                    4.0 / 3.0,
                    -82.0 / 45.0,
                    32.0 / 45.0,
                    4642.0 / 4725.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    5.0 / 3.0,
                    -16.0 / 15.0,
                    -13.0 / 9.0,
                    904.0 / 315.0,
                    -1522.0 / 945.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    -26.0 / 15.0,
                    34.0 / 21.0,
                    8.0 / 5.0,
                    -12686.0 / 2835.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    0.0,
                    1237.0 / 630.0,
                    -12.0 / 5.0,
                    -24832.0 / 14175.0,
                ],
            ),
            series_in_n(n, [0.0, 0.0, 0.0, 0.0, -734.0 / 315.0, 109_598.0 / 31185.0]),
            series_in_n(n, [0.0, 0.0, 0.0, 0.0, 0.0, 444_337.0 / 155_925.0]),
        ];
        let from_conformal = [
            series_in_n(
                n,
                [
                    2.0,
                    -2.0 / 3.0,
                    -2.0,
                    116.0 / 45.0,
                    26.0 / 45.0,
                    -2854.0 / 675.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    7.0 / 3.0,
                    -8.0 / 5.0,
                    -227.0 / 45.0,
                    2704.0 / 315.0,
                    2323.0 / 945.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    56.0 / 15.0,
                    -136.0 / 35.0,
                    -1262.0 / 105.0,
                    73814.0 / 2835.0,
                ],
            ),
            series_in_n(
                n,
                [
                    0.0,
                    0.0,
                    0.0,
                    4279.0 / 630.0,
                    -332.0 / 35.0,
                    -399_572.0 / 14175.0,
                ],
            ),
            series_in_n(n, [0.0, 0.0, 0.0, 0.0, 4174.0 / 315.0, -144_838.0 / 6237.0]),
            series_in_n(n, [0.0, 0.0, 0.0, 0.0, 0.0, 601_676.0 / 22275.0]),
        ];
        Self {
            a_rect,
            alpha,
            beta,
            to_conformal,
            from_conformal,
        }
    }
}

/// The coefficients for CGCS2000, built on first use.
fn cgcs2000() -> &'static Coefficients {
    static COEFFS: std::sync::OnceLock<Coefficients> = std::sync::OnceLock::new();
    COEFFS.get_or_init(|| Coefficients::new(A_CGCS2000, F_CGCS2000))
}

/// Lanes processed together by the batch functions. The series are
/// evaluated lane by lane in lockstep so that independent points fill the
/// pipeline (a single point is one long chain of dependent operations);
/// the arithmetic also vectorises.
pub(crate) const LANES: usize = 4;

/// Applies `f` lane-wise.
#[inline(always)]
fn lanes<const L: usize>(f: impl FnMut(usize) -> f64) -> [f64; L] {
    std::array::from_fn(f)
}

/// Σ c_k sin(2kθ) by Clenshaw summation, given sin 2θ and cos 2θ.
#[inline(always)]
fn clenshaw_sin<const L: usize>(c: &[f64; 6], sin2: &[f64; L], cos2: &[f64; L]) -> [f64; L] {
    let m: [f64; L] = lanes(|i| 2.0 * cos2[i]);
    let mut b1 = [0.0; L];
    let mut b2 = [0.0; L];
    for &ck in c.iter().rev() {
        for i in 0..L {
            let b0 = ck + m[i] * b1[i] - b2[i];
            b2[i] = b1[i];
            b1[i] = b0;
        }
    }
    lanes(|i| b1[i] * sin2[i])
}

/// Σ c_k sin(2kζ) for complex ζ = ξ + iη by Clenshaw summation, given
/// sin 2ξ, cos 2ξ, sinh 2η, cosh 2η. Returns (real, imaginary) parts.
#[inline(always)]
fn clenshaw_sin_complex<const L: usize>(
    c: &[f64; 6],
    s: &[f64; L],
    co: &[f64; L],
    sh: &[f64; L],
    ch: &[f64; L],
) -> ([f64; L], [f64; L]) {
    // sin 2ζ = sin2ξ cosh2η + i cos2ξ sinh2η; 2 cos 2ζ = 2(cos2ξ cosh2η − i sin2ξ sinh2η).
    let mr: [f64; L] = lanes(|i| 2.0 * co[i] * ch[i]);
    let mi: [f64; L] = lanes(|i| -2.0 * s[i] * sh[i]);
    let (mut b1r, mut b1i, mut b2r, mut b2i) = ([0.0; L], [0.0; L], [0.0; L], [0.0; L]);
    for &ck in c.iter().rev() {
        for i in 0..L {
            let b0r = ck + (mr[i] * b1r[i] - mi[i] * b1i[i]) - b2r[i];
            let b0i = (mr[i] * b1i[i] + mi[i] * b1r[i]) - b2i[i];
            b2r[i] = b1r[i];
            b2i[i] = b1i[i];
            b1r[i] = b0r;
            b1i[i] = b0i;
        }
    }
    let re = lanes(|i| b1r[i] * (s[i] * ch[i]) - b1i[i] * (co[i] * sh[i]));
    let im = lanes(|i| b1r[i] * (co[i] * sh[i]) + b1i[i] * (s[i] * ch[i]));
    (re, im)
}

/// (sin x, cos x) for a small |x| (≤ 0.01): Taylor series, exact to
/// rounding there, and cheaper than a library call.
#[inline(always)]
fn small_sin_cos(x: f64) -> (f64, f64) {
    let x2 = x * x;
    let s = x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0)));
    let c = 1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0)));
    (s, c)
}

/// The last step of both forward paths: from the transverse sphere
/// (ξ′, η′ and the sin/cos/hypot terms they came from) to the plane, by
/// Krüger's series (Clenshaw on the complex argument 2ζ′). Returns
/// (easting without false easting, northing), metres.
#[inline(always)]
fn transverse_to_plane<const L: usize>(
    schi: &[f64; L],
    p: &[f64; L],
    t: &[f64; L],
    rinv: &[f64; L],
    xi1: &[f64; L],
    eta1: &[f64; L],
) -> ([f64; L], [f64; L]) {
    let k = cgcs2000();
    let sxi: [f64; L] = lanes(|i| schi[i] * rinv[i]);
    let cxi: [f64; L] = lanes(|i| p[i] * rinv[i]);
    let sheta: [f64; L] = lanes(|i| t[i] * rinv[i]);
    let s2: [f64; L] = lanes(|i| 2.0 * sxi[i] * cxi[i]);
    let c2: [f64; L] = lanes(|i| (cxi[i] - sxi[i]) * (cxi[i] + sxi[i]));
    let sh2: [f64; L] = lanes(|i| 2.0 * sheta[i] * rinv[i]);
    let ch2: [f64; L] = lanes(|i| rinv[i] * rinv[i] + sheta[i] * sheta[i]);
    let (dxi, deta) = clenshaw_sin_complex(&k.alpha, &s2, &c2, &sh2, &ch2);
    (
        lanes(|i| k.a_rect * (eta1[i] + deta[i])),
        lanes(|i| k.a_rect * (xi1[i] + dxi[i])),
    )
}

/// Forward projection of `L` points, any position; `lam_deg` is longitude −
/// central meridian, both in degrees.
#[inline(always)]
fn forward_general<const L: usize>(lam_deg: &[f64; L], lat: &[f64; L]) -> ([f64; L], [f64; L]) {
    let k = cgcs2000();
    let mut sphi = [0.0; L];
    let mut cphi = [0.0; L];
    let mut slam = [0.0; L];
    let mut clam = [0.0; L];
    for i in 0..L {
        (sphi[i], cphi[i]) = lat[i].to_radians().sin_cos();
        (slam[i], clam[i]) = lam_deg[i].to_radians().sin_cos();
    }
    // Conformal latitude χ = φ + Δ, |Δ| < 0.0034.
    let sin2: [f64; L] = lanes(|i| 2.0 * sphi[i] * cphi[i]);
    let cos2: [f64; L] = lanes(|i| (cphi[i] - sphi[i]) * (cphi[i] + sphi[i]));
    let delta = clenshaw_sin(&k.to_conformal, &sin2, &cos2);
    let mut schi = [0.0; L];
    let mut cchi = [0.0; L];
    for i in 0..L {
        let (sd, cd) = small_sin_cos(delta[i]);
        schi[i] = sphi[i] * cd + cphi[i] * sd;
        cchi[i] = cphi[i] * cd - sphi[i] * sd;
    }
    // Conformal sphere → transverse sphere: ξ' = atan2(sin χ, cos χ cos λ),
    // tanh η' = cos χ sin λ, and cosh η' = 1 / hypot(sin χ, cos χ cos λ).
    let p: [f64; L] = lanes(|i| cchi[i] * clam[i]);
    let t: [f64; L] = lanes(|i| cchi[i] * slam[i]);
    let rinv: [f64; L] = lanes(|i| 1.0 / (schi[i] * schi[i] + p[i] * p[i]).sqrt());
    let mut xi1 = [0.0; L];
    let mut eta1 = [0.0; L];
    for i in 0..L {
        xi1[i] = schi[i].atan2(p[i]);
        eta1[i] = 0.5 * (2.0 * t[i] / (1.0 - t[i])).ln_1p(); // atanh t
    }
    transverse_to_plane(&schi, &p, &t, &rinv, &xi1, &eta1)
}

/// Inverse projection of `L` points (x without false easting), any
/// position. Returns (longitude − central meridian, latitude), degrees.
#[inline(always)]
fn inverse_general<const L: usize>(x: &[f64; L], y: &[f64; L]) -> ([f64; L], [f64; L]) {
    let k = cgcs2000();
    let xi: [f64; L] = lanes(|i| y[i] / k.a_rect);
    let eta: [f64; L] = lanes(|i| x[i] / k.a_rect);
    let mut s2 = [0.0; L];
    let mut c2 = [0.0; L];
    let mut em1 = [0.0; L];
    for i in 0..L {
        (s2[i], c2[i]) = (2.0 * xi[i]).sin_cos();
        em1[i] = (2.0 * eta[i]).exp_m1(); // e^{2η} − 1
    }
    let sh2: [f64; L] = lanes(|i| 0.5 * (em1[i] + em1[i] / (em1[i] + 1.0)));
    let ch2: [f64; L] = lanes(|i| sh2[i] + 1.0 / (em1[i] + 1.0));
    let (dxi, deta) = clenshaw_sin_complex(&k.beta, &s2, &c2, &sh2, &ch2);
    let mut sheta = [0.0; L];
    let mut sxi = [0.0; L];
    let mut cxi = [0.0; L];
    for i in 0..L {
        let e1 = (eta[i] - deta[i]).exp_m1();
        sheta[i] = 0.5 * (e1 + e1 / (e1 + 1.0));
        (sxi[i], cxi[i]) = (xi[i] - dxi[i]).sin_cos();
    }
    // Back on the conformal sphere: λ = atan2(sinh η', cos ξ'),
    // tan χ = sin ξ' / hypot(sinh η', cos ξ').
    let r: [f64; L] = lanes(|i| (sheta[i] * sheta[i] + cxi[i] * cxi[i]).sqrt());
    let mut lam = [0.0; L];
    let mut chi = [0.0; L];
    for i in 0..L {
        lam[i] = sheta[i].atan2(cxi[i]);
        chi[i] = sxi[i].atan2(r[i]);
    }
    // sin χ, cos χ from the same triangle; then φ = χ + Σ d_k sin 2kχ.
    let qinv: [f64; L] = lanes(|i| 1.0 / (sxi[i] * sxi[i] + r[i] * r[i]).sqrt());
    let sin2: [f64; L] = lanes(|i| 2.0 * sxi[i] * r[i] * qinv[i] * qinv[i]);
    let cos2: [f64; L] = lanes(|i| (r[i] - sxi[i]) * (r[i] + sxi[i]) * qinv[i] * qinv[i]);
    let dphi = clenshaw_sin(&k.from_conformal, &sin2, &cos2);
    (
        lanes(|i| lam[i].to_degrees()),
        lanes(|i| (chi[i] + dphi[i]).to_degrees()),
    )
}

/// Σ c_i y^i, evaluated as a polynomial in y² over coefficient pairs
/// (c_{2j} + c_{2j+1} y): half the dependent steps of Horner's scheme.
#[inline(always)]
fn poly(y: f64, c: &[f64]) -> f64 {
    let y2 = y * y;
    c.chunks(2).rev().fold(0.0, |acc, pair| {
        let p = match pair {
            [a, b] => a + b * y,
            [a] => *a,
            _ => 0.0,
        };
        acc * y2 + p
    })
}

/// Polynomial for odd functions: x · Σ c_i (x²)^i.
#[inline(always)]
fn odd_poly(x: f64, c: &[f64]) -> f64 {
    x * poly(x * x, c)
}

/// Taylor coefficients in x² (see [`odd_poly`]).
const SIN_C: [f64; 7] = [
    1.0,
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5040.0,
    1.0 / 362_880.0,
    -1.0 / 39_916_800.0,
    1.0 / 6_227_020_800.0,
];
/// (cos x − 1)/x² = Σ c_i (x²)^i.
const COSM1_C: [f64; 7] = [
    -1.0 / 2.0,
    1.0 / 24.0,
    -1.0 / 720.0,
    1.0 / 40320.0,
    -1.0 / 3_628_800.0,
    1.0 / 479_001_600.0,
    -1.0 / 87_178_291_200.0,
];
const SINH_C: [f64; 7] = [
    1.0,
    1.0 / 6.0,
    1.0 / 120.0,
    1.0 / 5040.0,
    1.0 / 362_880.0,
    1.0 / 39_916_800.0,
    1.0 / 6_227_020_800.0,
];
const COSHM1_C: [f64; 7] = [
    1.0 / 2.0,
    1.0 / 24.0,
    1.0 / 720.0,
    1.0 / 40320.0,
    1.0 / 3_628_800.0,
    1.0 / 479_001_600.0,
    1.0 / 87_178_291_200.0,
];
/// atanh x = x Σ (x²)^i / (2i + 1), and atan with alternating signs.
const ATANH_C: [f64; 12] = [
    1.0,
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
];
const ATAN_C: [f64; 14] = [
    1.0,
    -1.0 / 3.0,
    1.0 / 5.0,
    -1.0 / 7.0,
    1.0 / 9.0,
    -1.0 / 11.0,
    1.0 / 13.0,
    -1.0 / 15.0,
    1.0 / 17.0,
    -1.0 / 19.0,
    1.0 / 21.0,
    -1.0 / 23.0,
    1.0 / 25.0,
    -1.0 / 27.0,
];

/// Largest |λ| (radians) for [`forward_near`], and |η| = |x|/A for
/// [`inverse_near`]: 0.1 rad ≈ 5.7° ≈ 640 km, beyond any 3° zone. In this
/// range the truncated series above are exact to rounding (the first
/// omitted terms are below 1e-17 relative).
const NEAR: f64 = 0.1;

/// Forward projection for points within [`NEAR`] of the central meridian:
/// the same mathematics as [`forward_general`], with the functions of small
/// arguments (λ, η', ξ' − χ) evaluated as polynomials. One library call
/// (sin/cos of the latitude) remains.
#[inline(always)]
fn forward_near<const L: usize>(lam_deg: &[f64; L], lat: &[f64; L]) -> ([f64; L], [f64; L]) {
    let k = cgcs2000();
    let phi: [f64; L] = lanes(|i| lat[i].to_radians());
    let lam: [f64; L] = lanes(|i| lam_deg[i].to_radians());
    let mut sphi = [0.0; L];
    let mut cphi = [0.0; L];
    for i in 0..L {
        (sphi[i], cphi[i]) = phi[i].sin_cos();
    }
    let sin2: [f64; L] = lanes(|i| 2.0 * sphi[i] * cphi[i]);
    let cos2: [f64; L] = lanes(|i| (cphi[i] - sphi[i]) * (cphi[i] + sphi[i]));
    let delta = clenshaw_sin(&k.to_conformal, &sin2, &cos2);
    let mut schi = [0.0; L];
    let mut cchi = [0.0; L];
    for i in 0..L {
        let (sd, cd) = small_sin_cos(delta[i]);
        schi[i] = sphi[i] * cd + cphi[i] * sd;
        cchi[i] = cphi[i] * cd - sphi[i] * sd;
    }
    let slam: [f64; L] = lanes(|i| odd_poly(lam[i], &SIN_C));
    let clam_m1: [f64; L] = lanes(|i| {
        let l2 = lam[i] * lam[i];
        l2 * poly(l2, &COSM1_C)
    });
    let p: [f64; L] = lanes(|i| cchi[i] * (1.0 + clam_m1[i]));
    let t: [f64; L] = lanes(|i| cchi[i] * slam[i]);
    let rinv: [f64; L] = lanes(|i| 1.0 / (schi[i] * schi[i] + p[i] * p[i]).sqrt());
    // ξ' − χ = atan(u), u = −sin χ cos χ (cos λ − 1) / (1 + cos²χ (cos λ − 1));
    // |u| < 0.0025, so five terms of the series suffice.
    let u: [f64; L] =
        lanes(|i| -schi[i] * cchi[i] * clam_m1[i] / (1.0 + cchi[i] * cchi[i] * clam_m1[i]));
    let xi1: [f64; L] = lanes(|i| phi[i] + delta[i] + odd_poly(u[i], &ATAN_C[..5]));
    let eta1: [f64; L] = lanes(|i| odd_poly(t[i], &ATANH_C));
    transverse_to_plane(&schi, &p, &t, &rinv, &xi1, &eta1)
}

/// Inverse projection for points within [`NEAR`] of the central meridian
/// and below ±57° of latitude: as [`inverse_general`] with the functions of
/// small arguments as polynomials; one library call (sin/cos of ξ) remains.
#[inline(always)]
fn inverse_near<const L: usize>(x: &[f64; L], y: &[f64; L]) -> ([f64; L], [f64; L]) {
    let k = cgcs2000();
    let xi: [f64; L] = lanes(|i| y[i] / k.a_rect);
    let eta: [f64; L] = lanes(|i| x[i] / k.a_rect);
    let mut sx = [0.0; L];
    let mut cx = [0.0; L];
    for i in 0..L {
        (sx[i], cx[i]) = xi[i].sin_cos();
    }
    let s2: [f64; L] = lanes(|i| 2.0 * sx[i] * cx[i]);
    let c2: [f64; L] = lanes(|i| (cx[i] - sx[i]) * (cx[i] + sx[i]));
    let sh2: [f64; L] = lanes(|i| odd_poly(2.0 * eta[i], &SINH_C));
    let ch2: [f64; L] = lanes(|i| {
        let e2 = 4.0 * eta[i] * eta[i];
        1.0 + e2 * poly(e2, &COSHM1_C)
    });
    let (dxi, deta) = clenshaw_sin_complex(&k.beta, &s2, &c2, &sh2, &ch2);
    let mut sxi = [0.0; L];
    let mut cxi = [0.0; L];
    for i in 0..L {
        // sin/cos of ξ' = ξ − Δξ by angle subtraction, |Δξ| < 0.002.
        let (sd, cd) = small_sin_cos(dxi[i]);
        sxi[i] = sx[i] * cd - cx[i] * sd;
        cxi[i] = cx[i] * cd + sx[i] * sd;
    }
    let xi1: [f64; L] = lanes(|i| xi[i] - dxi[i]);
    let sheta: [f64; L] = lanes(|i| odd_poly(eta[i] - deta[i], &SINH_C));
    let r: [f64; L] = lanes(|i| (sheta[i] * sheta[i] + cxi[i] * cxi[i]).sqrt());
    // λ = atan(sinh η' / cos ξ'), the ratio below 0.2 here.
    let lam: [f64; L] = lanes(|i| odd_poly(sheta[i] / cxi[i], &ATAN_C));
    // χ − ξ' = atan(w), w = sin ξ' (cos ξ' − r) / (r cos ξ' + sin²ξ'),
    // cos ξ' − r = −sinh²η' / (cos ξ' + r); |w| < 0.01, six terms suffice.
    let w: [f64; L] = lanes(|i| {
        let d = -sheta[i] * sheta[i] / (cxi[i] + r[i]);
        sxi[i] * d / (r[i] * cxi[i] + sxi[i] * sxi[i])
    });
    let chi: [f64; L] = lanes(|i| xi1[i] + odd_poly(w[i], &ATAN_C[..6]));
    let qinv: [f64; L] = lanes(|i| 1.0 / (sxi[i] * sxi[i] + r[i] * r[i]));
    let sin2: [f64; L] = lanes(|i| 2.0 * sxi[i] * r[i] * qinv[i]);
    let cos2: [f64; L] = lanes(|i| (r[i] - sxi[i]) * (r[i] + sxi[i]) * qinv[i]);
    let dphi = clenshaw_sin(&k.from_conformal, &sin2, &cos2);
    (
        lanes(|i| lam[i].to_degrees()),
        lanes(|i| (chi[i] + dphi[i]).to_degrees()),
    )
}

/// Forward projection of `L` points, choosing the fast path when every
/// lane allows it.
#[inline(always)]
fn forward_lanes<const L: usize>(lam_deg: &[f64; L], lat: &[f64; L]) -> ([f64; L], [f64; L]) {
    if lam_deg.iter().all(|l| l.to_radians().abs() <= NEAR) {
        forward_near(lam_deg, lat)
    } else {
        forward_general(lam_deg, lat)
    }
}

/// Inverse projection of `L` points, choosing the fast path when every
/// lane allows it.
#[inline(always)]
fn inverse_lanes<const L: usize>(x: &[f64; L], y: &[f64; L]) -> ([f64; L], [f64; L]) {
    let a = cgcs2000().a_rect;
    if x.iter()
        .zip(y)
        .all(|(x, y)| (x / a).abs() <= NEAR && (y / a).abs() <= 1.0)
    {
        inverse_near(x, y)
    } else {
        inverse_general(x, y)
    }
}

/// Gauss–Krüger forward projection on CGCS2000.
///
/// `cm_deg` is the central meridian; `lon`, `lat` in degrees. Returns
/// (easting, northing) in metres, the easting **without** any false easting
/// (0 on the central meridian). Scale factor 1, false northing 0.
///
/// ```
/// use weipian_geo::crs::gk_forward;
/// let (e, n) = gk_forward(114.0, 114.3, 30.6);
/// // EPSG:4547 (false easting 500 000 m): 528 770.2373, 3 386 666.2506 (PROJ).
/// assert!((e + 500_000.0 - 528_770.2373).abs() < 1e-3);
/// assert!((n - 3_386_666.2506).abs() < 1e-3);
/// ```
#[must_use]
pub fn gk_forward(cm_deg: f64, lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = forward_lanes::<1>(&[lon - cm_deg], &[lat]);
    (x[0], y[0])
}

/// Gauss–Krüger inverse projection on CGCS2000: the inverse of
/// [`gk_forward`]. `x` is the easting **without** false easting, `y` the
/// northing, both metres. Returns (lon, lat) in degrees.
///
/// ```
/// use weipian_geo::crs::gk_inverse;
/// let (lon, lat) = gk_inverse(114.0, 28_770.2373, 3_386_666.2506);
/// assert!((lon - 114.3).abs() < 1e-8 && (lat - 30.6).abs() < 1e-8);
/// ```
#[must_use]
pub fn gk_inverse(cm_deg: f64, x: f64, y: f64) -> (f64, f64) {
    let (l, b) = inverse_lanes::<1>(&[x], &[y]);
    (cm_deg + l[0], b[0])
}

/// Projects lon/lat degrees to (easting + `false_easting`, northing) in
/// place, [`LANES`] points at a time.
pub(crate) fn forward_in_place(cm_deg: f64, false_easting: f64, pts: &mut [geo_types::Coord<f64>]) {
    let mut chunks = pts.chunks_exact_mut(LANES);
    for c in &mut chunks {
        let lam: [f64; LANES] = lanes(|i| c[i].x - cm_deg);
        let lat: [f64; LANES] = lanes(|i| c[i].y);
        let (x, y) = forward_lanes(&lam, &lat);
        for i in 0..LANES {
            c[i].x = x[i] + false_easting;
            c[i].y = y[i];
        }
    }
    for c in chunks.into_remainder() {
        let (x, y) = gk_forward(cm_deg, c.x, c.y);
        c.x = x + false_easting;
        c.y = y;
    }
}

/// Inverse of [`forward_in_place`]: (easting with `false_easting`,
/// northing) to lon/lat degrees in place.
pub(crate) fn inverse_in_place(cm_deg: f64, false_easting: f64, pts: &mut [geo_types::Coord<f64>]) {
    let mut chunks = pts.chunks_exact_mut(LANES);
    for c in &mut chunks {
        let x: [f64; LANES] = lanes(|i| c[i].x - false_easting);
        let y: [f64; LANES] = lanes(|i| c[i].y);
        let (l, b) = inverse_lanes(&x, &y);
        for i in 0..LANES {
            c[i].x = cm_deg + l[i];
            c[i].y = b[i];
        }
    }
    for c in chunks.into_remainder() {
        let (l, b) = gk_inverse(cm_deg, c.x - false_easting, c.y);
        c.x = l;
        c.y = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact conformal latitude (Karney 2011 eq. 7–9) against the series.
    #[test]
    fn conformal_latitude_series_matches_closed_form() {
        let k = cgcs2000();
        let f = F_CGCS2000;
        let e = (f * (2.0 - f)).sqrt();
        for i in 0..=90 {
            let phi = f64::from(i).to_radians() * 0.999;
            let tau = phi.tan();
            let sigma = (e * (e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
            let tau1 = tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt();
            let chi_exact = tau1.atan();
            let chi = phi
                + clenshaw_sin::<1>(&k.to_conformal, &[(2.0 * phi).sin()], &[(2.0 * phi).cos()])[0];
            assert!(
                (chi - chi_exact).abs() < 1e-15,
                "φ={phi} χ={chi} exact={chi_exact}"
            );
            let back = chi
                + clenshaw_sin::<1>(
                    &k.from_conformal,
                    &[(2.0 * chi).sin()],
                    &[(2.0 * chi).cos()],
                )[0];
            assert!((back - phi).abs() < 1e-15, "φ={phi} back={back}");
        }
    }

    /// The fast paths against the general ones, over the whole range where
    /// they are used.
    #[test]
    fn fast_paths_agree_with_general_paths() {
        let (mut worst_m, mut worst_deg) = (0.0_f64, 0.0_f64);
        for i in 0..=200 {
            for j in 0..=60 {
                let lat = -57.0 + 114.0 * f64::from(i) / 200.0;
                let lam = -5.7 + 11.4 * f64::from(j) / 60.0;
                let (xf, yf) = forward_near::<1>(&[lam], &[lat]);
                let (xg, yg) = forward_general::<1>(&[lam], &[lat]);
                worst_m = worst_m
                    .max((xf[0] - xg[0]).abs())
                    .max((yf[0] - yg[0]).abs());
                let (lf, bf) = inverse_near::<1>(&xg, &yg);
                let (lg, bg) = inverse_general::<1>(&xg, &yg);
                worst_deg = worst_deg
                    .max((lf[0] - lg[0]).abs())
                    .max((bf[0] - bg[0]).abs());
                assert!(
                    (lg[0] - lam).abs() < 1e-11 && (bg[0] - lat).abs() < 1e-11,
                    "{lam},{lat}"
                );
            }
        }
        assert!(worst_m < 1e-8, "forward paths differ by {worst_m} m");
        assert!(worst_deg < 1e-13, "inverse paths differ by {worst_deg}°");
    }

    #[test]
    fn batch_and_single_point_agree() {
        let mut pts: Vec<geo_types::Coord<f64>> = (0..37)
            .map(|i| geo_types::coord! { x: 110.0 + f64::from(i) * 0.2, y: 20.0 + f64::from(i) })
            .collect();
        let orig = pts.clone();
        forward_in_place(114.0, 38_500_000.0, &mut pts);
        for (p, o) in pts.iter().zip(&orig) {
            let (x, y) = gk_forward(114.0, o.x, o.y);
            assert!((p.x - 38_500_000.0 - x).abs() < 1e-7 && (p.y - y).abs() < 1e-9);
        }
        inverse_in_place(114.0, 38_500_000.0, &mut pts);
        for (p, o) in pts.iter().zip(&orig) {
            assert!((p.x - o.x).abs() < 1e-10 && (p.y - o.y).abs() < 1e-10);
        }
    }

    #[test]
    fn small_sin_cos_is_exact_for_small_angles() {
        for i in -100..=100 {
            let x = f64::from(i) * 1e-4;
            let (s, c) = small_sin_cos(x);
            assert!((s - x.sin()).abs() <= 1e-18 + 2e-16 * x.abs());
            assert!((c - x.cos()).abs() <= 2e-16);
        }
    }
}
