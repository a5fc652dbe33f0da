//! GCJ-02 ("火星坐标"), the obfuscated lon/lat used by Chinese web maps
//! (Amap/高德, Tencent, Google China, boundary files bundled with ECharts).
//!
//! weipian never stores GCJ-02. This module exists so the import service can
//! recognise data that was digitised on such a map — it sits 450–750 m off
//! its true position in most of China — and either warn or undo the shift.
//!
//! The forward transform is the widely published one (a polynomial plus
//! sine terms in the offset from 105°E 35°N, scaled by the Krasovsky
//! ellipsoid's radii of curvature); the inverse is found by fixed-point
//! iteration, since the forward map is a small smooth perturbation of the
//! identity. GCJ-02 is defined from WGS84; at the level of these shifts
//! WGS84 and CGCS2000 are the same (a few centimetres), so the functions
//! can be used on EPSG:4490 coordinates.

use std::f64::consts::PI;

/// Semi-major axis used by the published transform (Krasovsky 1940).
const A: f64 = 6_378_245.0;
/// First eccentricity squared used by the published transform.
const EE: f64 = 0.006_693_421_622_965_943;

/// The rough box outside which the transform leaves coordinates unchanged
/// (the usual convention of the published implementations).
#[must_use]
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn shift_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn shift_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset (Δlon, Δlat) in degrees at a WGS84 position; (0, 0)
/// outside the box of [`out_of_china`].
#[must_use]
pub fn offset(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (0.0, 0.0);
    }
    let x = lon - 105.0;
    let y = lat - 35.0;
    let rad_lat = lat.to_radians();
    let s = rad_lat.sin();
    let w = 1.0 - EE * s * s;
    let sw = w.sqrt();
    // Metres → degrees with the meridian and prime-vertical radii.
    let dlat = shift_lat(x, y) * 180.0 / ((A * (1.0 - EE)) / (w * sw) * PI);
    let dlon = shift_lon(x, y) * 180.0 / (A / sw * rad_lat.cos() * PI);
    (dlon, dlat)
}

/// WGS84 (or CGCS2000) lon/lat → GCJ-02 lon/lat, degrees.
///
/// ```
/// use weipian_geo::crs::gcj02;
/// let (lon, lat) = gcj02::wgs84_to_gcj02(116.391_275, 39.907_501);
/// // Tiananmen moves some 460 m on a GCJ-02 map.
/// assert!((lon - 116.397_5).abs() < 1e-3 && (lat - 39.908_9).abs() < 1e-3);
/// let (blon, blat) = gcj02::gcj02_to_wgs84(lon, lat);
/// assert!((blon - 116.391_275).abs() < 1e-9 && (blat - 39.907_501).abs() < 1e-9);
/// ```
#[must_use]
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (dlon, dlat) = offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 lon/lat → WGS84 (or CGCS2000) lon/lat, degrees: the inverse of
/// [`wgs84_to_gcj02`] by fixed-point iteration, to about 1e-10° (0.01 mm).
#[must_use]
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    // Start from the point shifted back by the offset at the GCJ position,
    // then correct by the residual until it vanishes. The map's Jacobian is
    // within 1e-3 of the identity, so each step gains about three digits.
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..8 {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        let (rlon, rlat) = (glon - lon, glat - lat);
        wlon -= rlon;
        wlat -= rlat;
        if rlon.abs() < 1e-12 && rlat.abs() < 1e-12 {
            break;
        }
    }
    (wlon, wlat)
}

/// Shifts every vertex from WGS84/CGCS2000 to GCJ-02, in place.
pub fn multipolygon_wgs84_to_gcj02(mp: &mut geo_types::MultiPolygon<f64>) {
    use geo::MapCoordsInPlace;
    mp.map_coords_in_place(|c| {
        let (x, y) = wgs84_to_gcj02(c.x, c.y);
        geo_types::coord! { x: x, y: y }
    });
}

/// Undoes the GCJ-02 shift on every vertex, in place (GCJ-02 → WGS84/CGCS2000).
pub fn multipolygon_gcj02_to_wgs84(mp: &mut geo_types::MultiPolygon<f64>) {
    use geo::MapCoordsInPlace;
    mp.map_coords_in_place(|c| {
        let (x, y) = gcj02_to_wgs84(c.x, c.y);
        geo_types::coord! { x: x, y: y }
    });
}

/// Approximate size of the GCJ-02 shift at a position, in metres.
#[must_use]
pub fn shift_metres(lon: f64, lat: f64) -> f64 {
    let (dlon, dlat) = offset(lon, lat);
    let r = 6_371_000.0_f64;
    let dx = dlon.to_radians() * r * lat.to_radians().cos();
    let dy = dlat.to_radians() * r;
    dx.hypot(dy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn shift_is_hundreds_of_metres_across_china() {
        for &(lon, lat) in &[
            (116.4, 39.9),
            (104.06, 30.66),
            (87.6, 43.8),
            (121.5, 31.2),
            (126.6, 45.8),
            (110.3, 20.0),
        ] {
            let m = shift_metres(lon, lat);
            assert!((100.0..900.0).contains(&m), "{lon},{lat}: {m} m");
        }
        assert_eq!(offset(10.0, 50.0), (0.0, 0.0));
    }

    /// Published test vectors (WGS84 → GCJ-02) used by several
    /// independent implementations: Shanghai, Shenzhen, Beijing.
    #[test]
    fn matches_published_vectors() {
        let cases = [
            (
                121.527_210_6,
                31.177_427_6,
                121.531_541_859_215,
                31.175_303_983_645_97,
            ),
            (
                113.912_316,
                22.543_847,
                113.917_176_480_836_3,
                22.540_796_131_694_766,
            ),
            (
                116.377_817,
                39.911_954,
                116.384_047_224_556_57,
                39.913_345_455_360_69,
            ),
        ];
        for (wlon, wlat, glon, glat) in cases {
            let (x, y) = wgs84_to_gcj02(wlon, wlat);
            assert!(
                (x - glon).abs() < 1e-9 && (y - glat).abs() < 1e-9,
                "{x},{y} vs {glon},{glat}"
            );
        }
    }

    #[test]
    fn multipolygons_shift_and_shift_back() {
        let orig = geo_types::MultiPolygon(vec![polygon![
            (x: 104.06, y: 30.65), (x: 104.07, y: 30.65), (x: 104.07, y: 30.66)
        ]]);
        let mut mp = orig.clone();
        multipolygon_wgs84_to_gcj02(&mut mp);
        let moved = mp.0[0].exterior().0[0];
        assert!((moved.x - 104.06).abs() > 1e-3);
        multipolygon_gcj02_to_wgs84(&mut mp);
        for (a, b) in mp.0[0].exterior().0.iter().zip(&orig.0[0].exterior().0) {
            assert!((a.x - b.x).abs() < 1e-10 && (a.y - b.y).abs() < 1e-10);
        }
    }

    #[test]
    fn inverse_round_trips() {
        for i in 0..50 {
            let lon = 74.0 + f64::from(i) * 1.2;
            let lat = 18.0 + f64::from(i % 17) * 2.0;
            let (g1, g2) = wgs84_to_gcj02(lon, lat);
            let (w1, w2) = gcj02_to_wgs84(g1, g2);
            assert!(
                (w1 - lon).abs() < 1e-10 && (w2 - lat).abs() < 1e-10,
                "{lon},{lat}"
            );
        }
    }
}
