//! Geometry for weipian, on CGCS2000.
//!
//! * [`crs`] — which coordinate system a file is in (EPSG:4490 or a 3°
//!   Gauss–Krüger zone), recognised from metadata or coordinate ranges, and
//!   the projection between them. Everything else is refused with a reason.
//! * [`area`] — the official ellipsoidal area (椭球面积), the one place areas
//!   are computed.
//! * [`validate`] — geometry checks at import; repairs are explicit and
//!   recorded, never silent.
//!
//! Geometries are `geo_types::MultiPolygon<f64>`; once imported they are in
//! EPSG:4490 with x = longitude, y = latitude, in degrees.

pub mod area;
pub mod crs;
pub mod validate;
