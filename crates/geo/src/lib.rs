//! Geometry for weipian, on CGCS2000.
//!
//! * [`crs`] — which coordinate system a file is in (EPSG:4490 or a 3°
//!   Gauss–Krüger zone), recognised from metadata (EPSG code, `.prj`/WKT,
//!   国土 TXT header) and coordinate ranges by [`crs::identify`]; the
//!   projection between them ([`crs::to_geographic`],
//!   [`crs::from_geographic`], per point [`crs::gk_forward`] /
//!   [`crs::gk_inverse`]); and [`crs::gcj02`] for spotting and undoing the
//!   GCJ-02 web-map shift. Everything else (西安1980, 北京1954, WGS84, Web
//!   Mercator, 6° zones, data outside China) is refused with a reason
//!   ([`crs::CrsError`]).
//! * [`area`] — the official ellipsoidal area (椭球面积),
//!   [`area::ellipsoidal_area`], the one place areas are computed.
//! * [`validate`] — geometry checks at import, [`validate::validate`]:
//!   repairs are explicit and recorded ([`validate::Repair`]), never silent;
//!   refusals name the problem and where it is ([`validate::GeometryError`]).
//! * [`bbox`] — the bounding box of a geometry, e.g. to hand to
//!   [`crs::identify`].
//!
//! Geometries are `geo_types::MultiPolygon<f64>`; once imported they are in
//! EPSG:4490 with x = longitude, y = latitude, in degrees.
//!
//! The import order is: [`bbox`] of the raw coordinates → [`crs::identify`]
//! → [`crs::to_geographic`] → [`validate::validate`] → [`area::ellipsoidal_area`].
//!
//! ```
//! use geo_types::{polygon, MultiPolygon};
//! use weipian_geo::{area, bbox, crs, validate};
//!
//! // A patch in zone 38 with prefixed eastings, as a 国土 TXT file has it.
//! let raw = MultiPolygon(vec![polygon![
//!     (x: 38_528_770.2373, y: 3_386_666.2506),
//!     (x: 38_529_729.2496, y: 3_386_668.8493),
//!     (x: 38_529_726.1958, y: 3_387_777.4842),
//!     (x: 38_528_767.2819, y: 3_387_774.8849),
//! ]]);
//! let which = crs::identify(&crs::CrsHint::default(), bbox(&raw)).unwrap();
//! assert_eq!(which.epsg(), 4526);
//! let mut geom = raw.clone();
//! crs::to_geographic(which, &mut geom).unwrap();
//! let checked = validate::validate(geom).unwrap();
//! let m2 = area::ellipsoidal_area(&checked.geometry);
//! // The reference square 114.30–114.31°E × 30.60–30.61°N, 1 063 125.1079 m²
//! // (its corners given here to 0.1 mm).
//! assert!((m2 - 1_063_125.1079).abs() < 0.5);
//! ```

pub mod area;
pub mod crs;
pub mod cut;
pub mod validate;

use geo_types::{coord, MultiPolygon, Rect};

/// The bounding box of every vertex (holes included), or `None` for a
/// geometry without vertices. Non-finite coordinates make the box
/// non-finite, which [`crs::identify`] refuses.
#[must_use]
pub fn bbox(mp: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    let mut it =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.0.iter());
    let first = it.next()?;
    let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x, first.y);
    let mut nan = !(first.x.is_finite() && first.y.is_finite());
    for c in it {
        nan |= !(c.x.is_finite() && c.y.is_finite());
        x0 = x0.min(c.x);
        y0 = y0.min(c.y);
        x1 = x1.max(c.x);
        y1 = y1.max(c.y);
    }
    if nan {
        return Some(Rect::new(
            coord! { x: f64::NAN, y: f64::NAN },
            coord! { x: f64::NAN, y: f64::NAN },
        ));
    }
    Some(Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, LineString, Polygon};

    #[test]
    fn bbox_covers_all_rings_and_parts() {
        let a = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]),
            vec![LineString::from(vec![(1.0, 1.0), (2.0, 1.0), (2.0, 2.0)])],
        );
        let b = polygon![(x: -1.0, y: 5.0), (x: 0.0, y: 6.0), (x: -2.0, y: 7.0)];
        let r = bbox(&MultiPolygon(vec![a, b])).expect("has vertices");
        assert_eq!(
            (r.min().x, r.min().y, r.max().x, r.max().y),
            (-2.0, 0.0, 4.0, 7.0)
        );
        assert_eq!(bbox(&MultiPolygon(vec![])), None);
        let nan = MultiPolygon(vec![
            polygon![(x: 1.0, y: 1.0), (x: f64::NAN, y: 2.0), (x: 2.0, y: 2.0)],
        ]);
        assert!(bbox(&nan).is_some_and(|r| r.min().x.is_nan()));
    }
}
