//! Coordinate reference systems: CGCS2000 geographic (EPSG:4490) and the 3°
//! Gauss–Krüger zones (EPSG:4513–4533 with zone prefix, 4534–4554 without).

use serde::{Deserialize, Serialize};

/// What a file says (or does not say) about its coordinate system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrsHint {
    /// An EPSG code from metadata (GeoPackage srs_id, GeoJSON `crs` member).
    pub epsg: Option<u32>,
    /// WKT text (a Shapefile `.prj`, a GeoPackage definition).
    pub wkt: Option<String>,
    /// The 国土 TXT header: 坐标系, 几度分带, 投影类型, 带号 as written.
    pub txt: Option<TxtCrsHeader>,
}

/// The coordinate fields of a 国土 TXT `[属性描述]` section, verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxtCrsHeader {
    pub coordinate_system: Option<String>,
    pub zone_width: Option<String>,
    pub projection: Option<String>,
    pub zone: Option<String>,
    pub unit: Option<String>,
}

/// A coordinate system weipian accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Crs {
    /// EPSG:4490, x = longitude, y = latitude, degrees.
    Geographic,
    /// A 3° Gauss–Krüger zone, x = easting, y = northing, metres.
    /// `zone` is 25..=45 (central meridian 3 × zone degrees); `prefixed`
    /// means the easting carries the zone number (EPSG:4513–4533, e.g.
    /// 38 528 770 m), otherwise false easting is 500 000 m (EPSG:4534–4554).
    GaussKruger { zone: u8, prefixed: bool },
}
