//! Coordinate reference systems: CGCS2000 geographic (EPSG:4490) and the 3°
//! Gauss–Krüger zones (EPSG:4513–4533 with zone prefix, 4534–4554 without).
//!
//! * [`identify`] decides which of these a file is in, from an EPSG code,
//!   WKT (`.prj`), the 国土 TXT header, and the coordinate ranges — and
//!   refuses everything else (西安1980, 北京1954, WGS84, Web Mercator, 6° zones,
//!   data outside China) with a message that says what was found.
//! * [`to_geographic`] / [`from_geographic`] project whole geometries;
//!   [`gk_forward`] / [`gk_inverse`] project single points.
//! * [`gcj02`] undoes (or applies) the GCJ-02 web-map shift.
//!
//! ```
//! use weipian_geo::crs::{identify, Crs, CrsHint};
//! let hint = CrsHint { wkt: Some(r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["Central_Meridian",114.0]]"#.into()), ..Default::default() };
//! let bbox = geo_types::Rect::new((528_000.0, 3_386_000.0), (529_000.0, 3_387_000.0));
//! assert_eq!(identify(&hint, Some(bbox)), Ok(Crs::GaussKruger { zone: 38, prefixed: false }));
//! assert_eq!(Crs::GaussKruger { zone: 38, prefixed: false }.epsg(), 4547);
//! ```

pub mod gcj02;
mod tm;
mod wkt;

use geo_types::{coord, MultiPolygon, Rect};
use serde::{Deserialize, Serialize};

pub use tm::{gk_forward, gk_inverse, A_CGCS2000, F_CGCS2000};

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

/// The 3° zones that cover China.
pub const ZONES: std::ops::RangeInclusive<u8> = 25..=45;

/// Longitude range accepted as "in China", degrees.
pub const CHINA_LON: std::ops::RangeInclusive<f64> = 73.0..=136.0;
/// Latitude range accepted as "in China", degrees.
pub const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.0..=54.0;

impl Crs {
    /// The EPSG code: 4490, 4513–4533 (prefixed) or 4534–4554.
    #[must_use]
    pub fn epsg(self) -> u32 {
        match self {
            Self::Geographic => 4490,
            Self::GaussKruger {
                zone,
                prefixed: true,
            } => 4513 + u32::from(zone) - 25,
            Self::GaussKruger {
                zone,
                prefixed: false,
            } => 4534 + u32::from(zone) - 25,
        }
    }

    /// The accepted system with this EPSG code, if any.
    #[must_use]
    pub fn from_epsg(code: u32) -> Option<Self> {
        // The ranges bound the differences to 0..=20, so the casts are exact.
        #[allow(clippy::cast_possible_truncation)]
        match code {
            4490 => Some(Self::Geographic),
            4513..=4533 => Some(Self::GaussKruger {
                zone: (code - 4513 + 25) as u8,
                prefixed: true,
            }),
            4534..=4554 => Some(Self::GaussKruger {
                zone: (code - 4534 + 25) as u8,
                prefixed: false,
            }),
            _ => None,
        }
    }

    /// Central meridian in degrees east (3 × zone); `None` for geographic.
    #[must_use]
    pub fn central_meridian(self) -> Option<f64> {
        match self {
            Self::Geographic => None,
            Self::GaussKruger { zone, .. } => Some(3.0 * f64::from(zone)),
        }
    }

    /// False easting in metres (zone × 10⁶ + 500 000 when prefixed); `None`
    /// for geographic.
    #[must_use]
    pub fn false_easting(self) -> Option<f64> {
        match self {
            Self::Geographic => None,
            Self::GaussKruger { zone, prefixed } => {
                Some(500_000.0 + if prefixed { f64::from(zone) * 1e6 } else { 0.0 })
            }
        }
    }

    /// A name for people, e.g. "CGCS2000 3度带高斯-克吕格投影 第38带（EPSG:4526）".
    #[must_use]
    pub fn name_zh(self) -> String {
        match self {
            Self::Geographic => "CGCS2000 地理坐标（EPSG:4490）".to_owned(),
            Self::GaussKruger {
                zone,
                prefixed: true,
            } => {
                format!(
                    "CGCS2000 3度带高斯-克吕格投影 第{zone}带（EPSG:{}）",
                    self.epsg()
                )
            }
            Self::GaussKruger {
                zone,
                prefixed: false,
            } => format!(
                "CGCS2000 3度带高斯-克吕格投影 中央经线{}°E，不带带号（EPSG:{}）",
                3 * u32::from(zone),
                self.epsg()
            ),
        }
    }

    /// Projects one point of this system to (lon, lat) degrees.
    #[must_use]
    pub fn point_to_geographic(self, x: f64, y: f64) -> (f64, f64) {
        match (self.central_meridian(), self.false_easting()) {
            (Some(cm), Some(fe)) => gk_inverse(cm, x - fe, y),
            _ => (x, y),
        }
    }

    /// Projects one (lon, lat) point, degrees, into this system.
    #[must_use]
    pub fn point_from_geographic(self, lon: f64, lat: f64) -> (f64, f64) {
        match (self.central_meridian(), self.false_easting()) {
            (Some(cm), Some(fe)) => {
                let (x, y) = gk_forward(cm, lon, lat);
                (x + fe, y)
            }
            _ => (lon, lat),
        }
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name_zh())
    }
}

/// Why a coordinate system was refused. Messages are for the person
/// importing the file and say what was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CrsError {
    #[error("数据为西安1980坐标系（{found}）。系统只接受 CGCS2000（2000国家大地坐标系），请先转换为 CGCS2000 再导入")]
    Xian1980 { found: String },
    #[error("数据为北京1954坐标系（{found}）。系统只接受 CGCS2000（2000国家大地坐标系），请先转换为 CGCS2000 再导入")]
    Beijing1954 { found: String },
    #[error("数据为 WGS84 坐标系（{found}）。系统只接受 CGCS2000（2000国家大地坐标系），请转换为 CGCS2000（EPSG:4490 或 3度带高斯-克吕格投影）再导入")]
    Wgs84 { found: String },
    #[error("数据为 Web 墨卡托投影（{found}，即 EPSG:3857 网络地图投影），不能用于核查和面积计算。请提供 CGCS2000（EPSG:4490 或 3度带高斯-克吕格投影）数据")]
    WebMercator { found: String },
    #[error("数据为 6度带高斯-克吕格投影（{found}）。系统只接受 3度带投影或 EPSG:4490 地理坐标，请转换后再导入")]
    SixDegreeZone { found: String },
    #[error("不支持的坐标系 EPSG:{code}。系统只接受 EPSG:4490 和 EPSG:4513–4554（CGCS2000 3度带高斯-克吕格投影）")]
    UnsupportedEpsg { code: u32 },
    #[error("无法识别的坐标系“{name}”。系统只接受 CGCS2000（EPSG:4490 或 3度带高斯-克吕格投影）")]
    UnknownWkt { name: String },
    #[error("不支持的投影：{found}。系统只接受 CGCS2000 3度带高斯-克吕格投影（比例因子 1，东偏移 500000 米或带号加 500000 米）和 EPSG:4490 地理坐标")]
    UnsupportedProjection { found: String },
    #[error("TXT 文件头“{field}={value}”无法识别{}", if .field == "坐标系" { "，系统只接受 2000国家大地坐标系" } else { "" })]
    TxtHeader { field: String, value: String },
    #[error("坐标系信息相互矛盾：{first}，而{second}")]
    ConflictingMetadata { first: String, second: String },
    #[error("坐标系信息与坐标不一致：{metadata}，但坐标范围为 {}（{looks_like}）", show_rect(.bbox))]
    Inconsistent {
        metadata: String,
        looks_like: String,
        bbox: Rect<f64>,
    },
    #[error("带号不一致：{metadata}为第 {declared} 带（中央经线 {}°E），但东坐标的带号前缀为 {found}", 3 * u32::from(*.declared))]
    ZoneMismatch {
        metadata: String,
        declared: u8,
        found: u64,
    },
    #[error("东坐标跨越多个投影带（带号前缀 {first} 至 {last}），同一文件的坐标必须在同一个带内")]
    MixedZones { first: u64, last: u64 },
    #[error("坐标像不带带号的高斯-克吕格投影坐标（范围 {}），但文件没有投影信息，无法确定带号（中央经线）。请提供 .prj 文件，或指定 EPSG 代码（如 EPSG:4547 = CGCS2000 3度带中央经线 114°E）", show_rect(.bbox))]
    ZoneUnknown { bbox: Rect<f64> },
    #[error("经纬度顺序可能颠倒：x 为 {:.6}–{:.6}、y 为 {:.6}–{:.6}，x 应为经度、y 应为纬度", .bbox.min().x, .bbox.max().x, .bbox.min().y, .bbox.max().y)]
    AxesSwapped { bbox: Rect<f64> },
    #[error("数据不在中国境内：经度 {:.6}–{:.6}、纬度 {:.6}–{:.6}（应在经度 73°–136°、纬度 3°–54° 之内）{}", .lonlat.min().x, .lonlat.max().x, .lonlat.min().y, .lonlat.max().y, if .crs.is_empty() { String::new() } else { format!("，按 {} 换算", .crs) })]
    OutsideChina { lonlat: Rect<f64>, crs: String },
    #[error("没有坐标系信息，且无法从坐标范围 {} 判断坐标系{hint}。请提供 .prj 文件或指定 EPSG 代码", show_rect(.bbox))]
    Unrecognised { bbox: Rect<f64>, hint: String },
    #[error("没有坐标系信息，也没有坐标，无法确定坐标系")]
    NoInformation,
    #[error("坐标 ({x}, {y}) 无法按 {crs} 换算")]
    Projection { x: f64, y: f64, crs: String },
}

/// Formats a bbox for messages: degrees with 6 decimals, metres with 3.
fn show_rect(r: &Rect<f64>) -> String {
    let (lo, hi) = (r.min(), r.max());
    let metres = [lo.x, lo.y, hi.x, hi.y].iter().any(|v| v.abs() > 1000.0);
    let p = if metres { 3 } else { 6 };
    format!("x {:.p$}–{:.p$}，y {:.p$}–{:.p$}", lo.x, hi.x, lo.y, hi.y)
}

/// What one source of metadata says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Geographic,
    /// `prefixed` is what the metadata implies, if anything; the coordinates
    /// have the last word.
    Gk {
        zone: u8,
        prefixed: Option<bool>,
    },
}

/// A statement with where it came from, for messages.
#[derive(Debug, Clone)]
struct Claim {
    what: Declared,
    source: String,
}

impl Claim {
    fn describe(&self) -> String {
        match self.what {
            Declared::Geographic => format!("{}为地理坐标（经纬度）", self.source),
            Declared::Gk { zone, .. } => {
                format!(
                    "{}为 3度带第 {zone} 带（中央经线 {}°E）",
                    self.source,
                    3 * u32::from(zone)
                )
            }
        }
    }
}

/// Datum families met in Chinese data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Cgcs2000,
    Xian1980,
    Beijing1954,
    NewBeijing,
    Wgs84,
}

fn family_error(family: Family, found: String) -> CrsError {
    match family {
        Family::Xian1980 => CrsError::Xian1980 { found },
        Family::Beijing1954 => CrsError::Beijing1954 { found },
        Family::NewBeijing => CrsError::Beijing1954 {
            found: format!("新北京54，{found}"),
        },
        Family::Wgs84 | Family::Cgcs2000 => CrsError::Wgs84 { found },
    }
}

/// What an EPSG code means: accepted, or refused with a reason.
fn claim_from_epsg(code: u32, source: &str) -> Result<Claim, CrsError> {
    let found = format!("{source}EPSG:{code}");
    if let Some(crs) = Crs::from_epsg(code) {
        let what = match crs {
            Crs::Geographic => Declared::Geographic,
            Crs::GaussKruger { zone, prefixed } => Declared::Gk {
                zone,
                prefixed: Some(prefixed),
            },
        };
        return Ok(Claim {
            what,
            source: found,
        });
    }
    Err(match code {
        // CGCS2000 3D geographic: the same datum, lon/lat (height ignored).
        4480 => {
            return Ok(Claim {
                what: Declared::Geographic,
                source: found,
            })
        }
        4491..=4501 => CrsError::SixDegreeZone {
            found: format!("{found}，第 {} 带", code - 4491 + 13),
        },
        4502..=4512 => CrsError::SixDegreeZone {
            found: format!("{found}，中央经线 {}°E", 75 + 6 * (code - 4502)),
        },
        4610 | 2327..=2390 => CrsError::Xian1980 { found },
        4214 | 2401..=2442 | 21413..=21423 | 21453..=21463 | 21473..=21483 => {
            CrsError::Beijing1954 { found }
        }
        4555 | 4568..=4589 | 4652..=4656 | 4766..=4800 | 4812 | 4822 => CrsError::Beijing1954 {
            found: format!("新北京54，{found}"),
        },
        4326 | 4979 | 4978 | 32601..=32660 | 32701..=32760 => CrsError::Wgs84 { found },
        3857 | 900_913 | 3785 | 102_100 | 102_113 => CrsError::WebMercator { found },
        _ => CrsError::UnsupportedEpsg { code },
    })
}

/// Lower-cases, maps punctuation to spaces and collapses them, so that
/// `CGCS2000_3_Degree_GK_Zone_38` and `CGCS2000 / 3-degree Gauss-Kruger zone 38`
/// read alike.
fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = true;
    for ch in name.chars() {
        let ch = match ch {
            'ü' | 'Ü' => 'u',
            '\'' | '’' => continue, // Xi'an → xian
            c => c,
        };
        if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The datum family a name points at, if any.
fn family_of_name(name: &str) -> Option<Family> {
    let n = normalise(name);
    let has = |s: &str| n.contains(s);
    if has("xian") || has("西安") || has("iag 1975") || has("iag75") {
        Some(Family::Xian1980)
    } else if has("new beijing") || has("新北京") {
        Some(Family::NewBeijing)
    } else if has("beijing") || has("北京") || has("krasovsky") || has("krassowsky") {
        Some(Family::Beijing1954)
    } else if has("cgcs2000")
        || has("cgcs 2000")
        || has("china geodetic coordinate system 2000")
        || has("china 2000")
        || has("china2000")
        || has("2000国家大地")
        || has("国家2000")
    {
        Some(Family::Cgcs2000)
    } else if has("wgs 84") || has("wgs84") || has("wgs 1984") {
        Some(Family::Wgs84)
    } else {
        None
    }
}

/// The datum family from ellipsoid parameters (a, 1/f).
fn family_of_ellipsoid(a: f64, invf: f64) -> Option<Family> {
    let is = |a0: f64, f0: f64| (a - a0).abs() < 0.5 && (invf - f0).abs() < 1e-6;
    if is(6_378_137.0, 298.257_222_101) {
        // CGCS2000 (and GRS80, which differs by 1e-10 in 1/f).
        Some(Family::Cgcs2000)
    } else if is(6_378_140.0, 298.257) {
        Some(Family::Xian1980)
    } else if is(6_378_245.0, 298.3) {
        Some(Family::Beijing1954)
    } else if is(6_378_137.0, 298.257_223_563) {
        Some(Family::Wgs84)
    } else {
        None
    }
}

/// Reads "zone 38", "cm 114e" and "3 degree" from a normalised PROJCS name.
fn claim_from_projcs_name(name: &str, source: &str) -> Result<Option<Declared>, CrsError> {
    let n = normalise(name);
    let words: Vec<&str> = n.split(' ').collect();
    let three = n.contains("3 degree") || n.contains("3度");
    let six = n.contains("6 degree") || n.contains("6度");
    let mut zone: Option<u32> = None;
    let mut cm: Option<u32> = None;
    for w in words.windows(2) {
        if w[0] == "zone" {
            zone = w[1].parse().ok();
        }
        if w[0] == "cm" {
            cm = w[1].strip_suffix('e').unwrap_or(w[1]).parse().ok();
        }
    }
    let found = || format!("{source}“{name}”");
    if six {
        return Err(CrsError::SixDegreeZone { found: found() });
    }
    if let Some(z) = zone {
        if (13..=23).contains(&z) && !three {
            return Err(CrsError::SixDegreeZone { found: found() });
        }
        return match u8::try_from(z).ok().filter(|z| ZONES.contains(z)) {
            Some(z) => Ok(Some(Declared::Gk {
                zone: z,
                prefixed: Some(true),
            })),
            None => Err(CrsError::UnsupportedProjection {
                found: format!("{}：第 {z} 带不在中国的 3度带（25–45）之内", found()),
            }),
        };
    }
    if let Some(c) = cm {
        // A 6° zone's central meridian (75, 81, …, 135) is also a 3° one and the
        // unprefixed projection is the same, but the name says 6°: refuse,
        // as the data may reach 3° from the meridian.
        if !three && (n.contains("gk") || n.contains("gauss")) {
            return Err(CrsError::SixDegreeZone { found: found() });
        }
        let z = u8::try_from(c / 3)
            .ok()
            .filter(|z| c % 3 == 0 && ZONES.contains(z));
        return match z {
            Some(z) => Ok(Some(Declared::Gk {
                zone: z,
                prefixed: Some(false),
            })),
            None => Err(CrsError::UnsupportedProjection {
                found: format!("{}：中央经线 {c}°E 不是中国的 3度带中央经线", found()),
            }),
        };
    }
    Ok(None)
}

/// Projection parameters of a WKT projected CRS (WKT1 and WKT2 names).
#[derive(Debug, Default)]
struct TmParams {
    cm: Option<f64>,
    fe: Option<f64>,
    fnorth: Option<f64>,
    k: Option<f64>,
    lat0: Option<f64>,
}

fn tm_params(root: &wkt::Node) -> TmParams {
    let mut p = TmParams::default();
    for node in root.descendants_named(&["PARAMETER"]) {
        let (Some(name), Some(v)) = (node.name(), node.numbers().next()) else {
            continue;
        };
        match normalise(name).as_str() {
            "central meridian"
            | "longitude of natural origin"
            | "longitude of origin"
            | "longitude of center" => {
                p.cm = Some(v);
            }
            "false easting" => p.fe = Some(v),
            "false northing" => p.fnorth = Some(v),
            "scale factor" | "scale factor at natural origin" => p.k = Some(v),
            "latitude of origin" | "latitude of natural origin" | "latitude of center" => {
                p.lat0 = Some(v)
            }
            _ => {}
        }
    }
    p
}

/// What projection parameters say, when they say enough.
fn claim_from_params(p: &TmParams, found: &str) -> Result<Option<Declared>, CrsError> {
    let bad = |what: String| {
        Err(CrsError::UnsupportedProjection {
            found: format!("{found}：{what}"),
        })
    };
    if let Some(k) = p.k {
        if (k - 1.0).abs() > 1e-12 {
            return bad(format!("比例因子为 {k}"));
        }
    }
    if let Some(l) = p.lat0.filter(|l| *l != 0.0) {
        return bad(format!("原点纬度为 {l}"));
    }
    if let Some(f) = p.fnorth.filter(|f| *f != 0.0) {
        return bad(format!("北偏移为 {f} 米"));
    }
    let (Some(cm), Some(fe)) = (p.cm, p.fe) else {
        return Ok(None);
    };
    let zone_f = cm / 3.0;
    if zone_f.fract() != 0.0 || !(25.0..=45.0).contains(&zone_f) {
        return bad(format!("中央经线 {cm}° 不是中国的 3度带中央经线"));
    }
    // Range-checked integral value.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let zone = zone_f as u8;
    let prefix = (fe - 500_000.0) / 1e6;
    if fe == 500_000.0 {
        Ok(Some(Declared::Gk {
            zone,
            prefixed: Some(false),
        }))
    } else if prefix == f64::from(zone) {
        Ok(Some(Declared::Gk {
            zone,
            prefixed: Some(true),
        }))
    } else if prefix == ((cm + 3.0) / 6.0).floor()
        && (13.0..=23.0).contains(&prefix)
        && (cm + 3.0) % 6.0 == 0.0
    {
        Err(CrsError::SixDegreeZone {
            found: format!("{found}：东偏移 {fe} 米，中央经线 {cm}°E"),
        })
    } else {
        bad(format!("东偏移为 {fe} 米（中央经线 {cm}°E）"))
    }
}

/// What a WKT definition says.
fn claim_from_wkt(text: &str) -> Result<Claim, CrsError> {
    let snippet = || text.chars().take(80).collect::<String>();
    let Some(mut root) = wkt::parse(text.trim()) else {
        return Err(CrsError::UnknownWkt { name: snippet() });
    };
    // Look through wrappers to the horizontal CRS.
    while matches!(
        root.keyword.as_str(),
        "COMPD_CS" | "COMPOUNDCRS" | "BOUNDCRS" | "SOURCECRS"
    ) {
        let inner = root
            .children()
            .find(|n| {
                matches!(
                    n.keyword.as_str(),
                    "PROJCS"
                        | "PROJCRS"
                        | "PROJECTEDCRS"
                        | "GEOGCS"
                        | "GEOGCRS"
                        | "GEODCRS"
                        | "GEOGRAPHICCRS"
                        | "GEODETICCRS"
                        | "SOURCECRS"
                )
            })
            .cloned();
        match inner {
            Some(n) => root = n,
            None => {
                return Err(CrsError::UnknownWkt {
                    name: root.name().unwrap_or_default().to_owned(),
                })
            }
        }
    }
    let name = root.name().unwrap_or_default().to_owned();
    let source = format!(".prj/WKT“{name}”");
    let projected = match root.keyword.as_str() {
        "PROJCS" | "PROJCRS" | "PROJECTEDCRS" => true,
        "GEOGCS" | "GEOGCRS" | "GEODCRS" | "GEOGRAPHICCRS" | "GEODETICCRS" => false,
        _ => {
            return Err(CrsError::UnknownWkt {
                name: if name.is_empty() { snippet() } else { name },
            })
        }
    };

    // An authority code on the CRS itself decides.
    if let Some((auth, code)) = root.authority() {
        let auth = auth.to_ascii_uppercase();
        if auth == "EPSG" || (auth == "ESRI" && matches!(code, 102_100 | 102_113)) {
            match claim_from_epsg(code, &format!("{source}，")) {
                Err(CrsError::UnsupportedEpsg { .. }) => {} // fall back to names
                other => return other,
            }
        }
    }

    // Web Mercator first: its names also mention WGS 84.
    let method = root
        .find(&["PROJECTION", "METHOD"])
        .and_then(wkt::Node::name)
        .map(normalise)
        .unwrap_or_default();
    let nname = normalise(&name);
    if method.contains("auxiliary sphere")
        || method.contains("pseudo mercator")
        || nname.contains("pseudo mercator")
        || nname.contains("web mercator")
        || nname.contains("auxiliary sphere")
    {
        return Err(CrsError::WebMercator {
            found: format!("“{name}”"),
        });
    }

    // Datum family: datum name, then ellipsoid name, then CRS names, then
    // ellipsoid parameters.
    let datum = root.find(&["DATUM", "GEODETICDATUM", "TRF"]);
    let ellipsoid = root.find(&["SPHEROID", "ELLIPSOID"]);
    let geog = root.find(&["GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS"]);
    let names = [
        datum.and_then(wkt::Node::name),
        ellipsoid.and_then(wkt::Node::name),
        geog.and_then(wkt::Node::name),
        Some(name.as_str()),
    ];
    let family = names
        .iter()
        .flatten()
        .find_map(|n| family_of_name(n))
        .or_else(|| {
            let mut nums = ellipsoid?.numbers();
            family_of_ellipsoid(nums.next()?, nums.next()?)
        });
    match family {
        Some(Family::Cgcs2000) => {}
        Some(other) => return Err(family_error(other, format!("“{name}”"))),
        None => return Err(CrsError::UnknownWkt { name }),
    }
    if !projected {
        return Ok(Claim {
            what: Declared::Geographic,
            source,
        });
    }

    let tm_method =
        method.is_empty() || method.contains("transverse mercator") || method.contains("gauss");
    if !tm_method {
        return Err(CrsError::UnsupportedProjection {
            found: format!("{source}，投影方法“{method}”"),
        });
    }
    let by_name = claim_from_projcs_name(&name, ".prj/WKT")?;
    let by_params = claim_from_params(&tm_params(&root), &source)?;
    let what = match (by_name, by_params) {
        (Some(Declared::Gk { zone: a, .. }), Some(Declared::Gk { zone: b, prefixed }))
            if a != b =>
        {
            return Err(CrsError::ConflictingMetadata {
                first: format!("{source}的名称为第 {a} 带"),
                second: format!(
                    "其参数为中央经线 {}°E{}",
                    3 * u32::from(b),
                    if prefixed == Some(true) {
                        "（带号前缀）"
                    } else {
                        ""
                    }
                ),
            });
        }
        (_, Some(p)) => p,
        (Some(n), None) => n,
        (None, None) => return Err(CrsError::UnknownWkt { name }),
    };
    Ok(Claim { what, source })
}

/// The first run of ASCII digits in a string, as a number.
fn first_number(s: &str) -> Option<u32> {
    let digits: String = s
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// What a 国土 TXT header says. `Ok(None)` when it names CGCS2000 but no zone.
fn claim_from_txt(h: &TxtCrsHeader) -> Result<Option<Claim>, CrsError> {
    let field_err = |field: &str, value: &str| CrsError::TxtHeader {
        field: field.to_owned(),
        value: value.to_owned(),
    };
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };

    if let Some(cs) = clean(&h.coordinate_system) {
        let found = format!("TXT 坐标系={cs}");
        let lower = cs.to_lowercase();
        let family = family_of_name(&cs).or_else(|| {
            if lower.contains("1980") || lower.contains("80") {
                Some(Family::Xian1980)
            } else if lower.contains("1954") || lower.contains("54") {
                Some(Family::Beijing1954)
            } else if lower.contains("2000") {
                Some(Family::Cgcs2000)
            } else {
                None
            }
        });
        match family {
            Some(Family::Cgcs2000) => {}
            Some(f) => return Err(family_error(f, found)),
            None => return Err(field_err("坐标系", &cs)),
        }
    } else {
        return Err(field_err("坐标系", "（空）"));
    }

    let width = match clean(&h.zone_width) {
        None => None,
        Some(w) if w.contains('3') || w.contains('三') => Some(3),
        Some(w) if w.contains('6') || w.contains('六') => {
            return Err(CrsError::SixDegreeZone {
                found: format!("TXT 几度分带={w}"),
            });
        }
        Some(w) => return Err(field_err("几度分带", &w)),
    };
    if let Some(p) = clean(&h.projection) {
        let n = normalise(&p);
        let ok = p.contains("高斯")
            || p.contains("克吕格")
            || p.contains("横轴墨卡托")
            || n.contains("gauss")
            || n.contains("transverse mercator")
            || n == "gk"
            || n == "tm";
        if !ok {
            return Err(CrsError::UnsupportedProjection {
                found: format!("TXT 投影类型={p}"),
            });
        }
    }
    let Some(zone_text) = clean(&h.zone) else {
        let degrees =
            clean(&h.unit).is_some_and(|u| u.contains('度') || normalise(&u).contains("degree"));
        return Ok(degrees.then(|| Claim {
            what: Declared::Geographic,
            source: "TXT 计量单位=度".to_owned(),
        }));
    };
    let source = format!("TXT 带号={zone_text}");
    let Some(z) = first_number(&zone_text) else {
        return Err(field_err("带号", &zone_text));
    };
    let zone = if (25..=45).contains(&z) {
        z
    } else if (13..=23).contains(&z) && width.is_none() {
        return Err(CrsError::SixDegreeZone { found: source });
    } else if (75..=135).contains(&z) && z % 3 == 0 {
        // Some files write the central meridian instead of the zone number.
        z / 3
    } else {
        return Err(field_err("带号", &zone_text));
    };
    let zone = u8::try_from(zone).map_err(|_| field_err("带号", &zone_text))?;
    Ok(Some(Claim {
        what: Declared::Gk {
            zone,
            prefixed: None,
        },
        source,
    }))
}

/// Decides the coordinate system of a file from its metadata and the
/// bounding box of its raw coordinates.
///
/// Metadata (EPSG code, WKT, TXT header) is read first; sources that are
/// present must agree. Without metadata, the coordinate ranges decide:
/// longitude/latitude in China → EPSG:4490; eastings of 25–45 million metres
/// → the zone given by the prefix; anything else is refused (an unprefixed
/// Gauss–Krüger easting says nothing about its zone). Metadata is always
/// checked against the coordinates when a bbox is given, and the result must
/// put the data inside China (lon 73–136°, lat 3–54°).
///
/// # Errors
/// A [`CrsError`] naming what was found: another datum, a 6° zone, Web
/// Mercator, an unknown definition, conflicting metadata, coordinates that
/// contradict the metadata, an undeterminable zone, data outside China.
pub fn identify(hint: &CrsHint, bbox: Option<Rect<f64>>) -> Result<Crs, CrsError> {
    let mut claims: Vec<Claim> = Vec::new();
    if let Some(code) = hint.epsg {
        claims.push(claim_from_epsg(code, "")?);
    }
    if let Some(text) = hint.wkt.as_deref().filter(|t| !t.trim().is_empty()) {
        claims.push(claim_from_wkt(text)?);
    }
    if let Some(h) = &hint.txt {
        if let Some(c) = claim_from_txt(h)? {
            claims.push(c);
        }
    }
    // All metadata must agree (except on the zone prefix, which the
    // coordinates settle).
    let mut declared: Option<Claim> = None;
    for c in claims {
        match &declared {
            None => declared = Some(c),
            Some(d) => {
                let same = match (d.what, c.what) {
                    (Declared::Geographic, Declared::Geographic) => true,
                    (Declared::Gk { zone: a, .. }, Declared::Gk { zone: b, .. }) => a == b,
                    _ => false,
                };
                if !same {
                    return Err(CrsError::ConflictingMetadata {
                        first: d.describe(),
                        second: c.describe(),
                    });
                }
                // Keep the claim that knows the prefix.
                if matches!(d.what, Declared::Gk { prefixed: None, .. }) {
                    declared = Some(c);
                }
            }
        }
    }

    let crs = match (declared, bbox) {
        (None, None) => return Err(CrsError::NoInformation),
        (None, Some(b)) => from_ranges(b)?,
        (Some(d), None) => match d.what {
            Declared::Geographic => Crs::Geographic,
            // The TXT format writes prefixed eastings.
            Declared::Gk { zone, prefixed } => Crs::GaussKruger {
                zone,
                prefixed: prefixed.unwrap_or(true),
            },
        },
        (Some(d), Some(b)) => against_ranges(&d, b)?,
    };
    if let Some(b) = bbox {
        check_in_china(crs, b)?;
    }
    Ok(crs)
}

fn finite_rect(b: &Rect<f64>) -> bool {
    [b.min().x, b.min().y, b.max().x, b.max().y]
        .iter()
        .all(|v| v.is_finite())
}

fn looks_geographic(b: &Rect<f64>) -> bool {
    b.min().x >= -180.0 && b.max().x <= 360.0 && b.min().y >= -90.0 && b.max().y <= 90.0
}

/// x in China's latitude range and y in its longitude range (the two ranges
/// do not overlap, so this never holds for correctly ordered data).
fn looks_swapped(b: &Rect<f64>) -> bool {
    CHINA_LAT.contains(&b.min().x)
        && CHINA_LAT.contains(&b.max().x)
        && CHINA_LON.contains(&b.min().y)
        && CHINA_LON.contains(&b.max().y)
}

/// The million-metre prefix of an easting, when it has one.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn prefix_of(x: f64) -> Option<u64> {
    // Values ≥ 1e6 and < 1e9 only, so the cast is exact.
    (1e6..1e9).contains(&x).then(|| (x / 1e6).floor() as u64)
}

/// What the coordinate ranges alone say.
fn from_ranges(b: Rect<f64>) -> Result<Crs, CrsError> {
    if !finite_rect(&b) {
        return Err(CrsError::Unrecognised {
            bbox: b,
            hint: "（坐标含非数值）".to_owned(),
        });
    }
    if looks_swapped(&b) {
        return Err(CrsError::AxesSwapped { bbox: b });
    }
    if looks_geographic(&b) {
        return Ok(Crs::Geographic);
    }
    match (prefix_of(b.min().x), prefix_of(b.max().x)) {
        (Some(p), Some(q)) if p != q => Err(CrsError::MixedZones { first: p, last: q }),
        (Some(p), Some(_)) if (25..=45).contains(&p) => {
            // Checked range, exact.
            #[allow(clippy::cast_possible_truncation)]
            let zone = p as u8;
            Ok(Crs::GaussKruger {
                zone,
                prefixed: true,
            })
        }
        (Some(p), Some(_)) if (13..=23).contains(&p) => Err(CrsError::SixDegreeZone {
            found: format!("东坐标带号前缀为 {p}，没有投影信息"),
        }),
        _ if b.min().x > 0.0 && b.max().x < 1e6 && b.min().y > 0.0 && b.max().y < 1e7 => {
            Err(CrsError::ZoneUnknown { bbox: b })
        }
        _ => {
            let web =
                b.min().x >= 7.5e6 && b.max().x <= 1.52e7 && b.min().y >= 3e5 && b.max().y <= 7.2e6;
            let hint = if web {
                "（数值范围像 Web 墨卡托 EPSG:3857 坐标）".to_owned()
            } else {
                String::new()
            };
            Err(CrsError::Unrecognised { bbox: b, hint })
        }
    }
}

/// Checks declared metadata against the coordinate ranges and settles the
/// zone prefix.
fn against_ranges(d: &Claim, b: Rect<f64>) -> Result<Crs, CrsError> {
    let inconsistent = |looks_like: &str| CrsError::Inconsistent {
        metadata: d.describe(),
        looks_like: looks_like.to_owned(),
        bbox: b,
    };
    if !finite_rect(&b) {
        return Err(inconsistent("坐标含非数值"));
    }
    match d.what {
        Declared::Geographic => {
            if looks_swapped(&b) {
                Err(CrsError::AxesSwapped { bbox: b })
            } else if looks_geographic(&b) {
                Ok(Crs::Geographic)
            } else if prefix_of(b.min().x).is_some_and(|p| (25..=45).contains(&p)) {
                Err(inconsistent("像带带号的高斯-克吕格投影坐标（米）"))
            } else {
                Err(inconsistent("像投影坐标（米），不是经纬度"))
            }
        }
        Declared::Gk { zone, .. } => {
            if looks_geographic(&b) {
                return Err(inconsistent("像经纬度（度），不是投影坐标"));
            }
            match (prefix_of(b.min().x), prefix_of(b.max().x)) {
                (Some(p), Some(q)) if p != q => Err(CrsError::MixedZones { first: p, last: q }),
                (Some(p), Some(_)) if p != u64::from(zone) => Err(CrsError::ZoneMismatch {
                    metadata: d.source.clone(),
                    declared: zone,
                    found: p,
                }),
                (Some(_), Some(_)) => Ok(Crs::GaussKruger {
                    zone,
                    prefixed: true,
                }),
                _ if b.min().x > 0.0 && b.max().x < 1e6 => Ok(Crs::GaussKruger {
                    zone,
                    prefixed: false,
                }),
                _ => Err(inconsistent(
                    "东坐标不像 3度带坐标（应为 0–1000000 米，或带号前缀加 0–1000000 米）",
                )),
            }
        }
    }
}

/// The lon/lat bbox of the data once projected must lie inside China.
fn check_in_china(crs: Crs, b: Rect<f64>) -> Result<(), CrsError> {
    let (lo, hi) = (b.min(), b.max());
    let mut pts = vec![(lo.x, lo.y), (lo.x, hi.y), (hi.x, lo.y), (hi.x, hi.y)];
    if let Some(fe) = crs.false_easting() {
        // Parallels bulge poleward on the central meridian.
        if lo.x <= fe && fe <= hi.x {
            pts.extend([(fe, lo.y), (fe, hi.y)]);
        }
    }
    let ll: Vec<(f64, f64)> = pts
        .iter()
        .map(|&(x, y)| crs.point_to_geographic(x, y))
        .collect();
    let min_lon = ll.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let max_lon = ll.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let min_lat = ll.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max_lat = ll.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let inside = ll.iter().all(|p| p.0.is_finite() && p.1.is_finite())
        && CHINA_LON.contains(&min_lon)
        && CHINA_LON.contains(&max_lon)
        && CHINA_LAT.contains(&min_lat)
        && CHINA_LAT.contains(&max_lat);
    if inside {
        return Ok(());
    }
    let lonlat = Rect::new(
        coord! { x: min_lon, y: min_lat },
        coord! { x: max_lon, y: max_lat },
    );
    let crs_text = if crs == Crs::Geographic {
        String::new()
    } else {
        crs.name_zh()
    };
    Err(CrsError::OutsideChina {
        lonlat,
        crs: crs_text,
    })
}

/// Applies `f` to every ring of every polygon.
fn rings_mut(mp: &mut MultiPolygon<f64>, mut f: impl FnMut(&mut [geo_types::Coord<f64>])) {
    for poly in &mut mp.0 {
        poly.exterior_mut(|ls| f(&mut ls.0));
        poly.interiors_mut(|holes| {
            for h in holes {
                f(&mut h.0);
            }
        });
    }
}

/// The first vertex failing `ok`, if any.
fn first_bad(mp: &MultiPolygon<f64>, ok: impl Fn(f64, f64) -> bool) -> Option<(f64, f64)> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter())
        .find(|c| !ok(c.x, c.y))
        .map(|c| (c.x, c.y))
}

/// Converts a geometry in `crs` to EPSG:4490 lon/lat degrees, in place.
///
/// # Errors
/// [`CrsError::Projection`] naming the first vertex that is not finite or
/// lies absurdly far from the zone (more than 5 000 km east or west, or
/// 10 000 km north or south); the geometry is then left unchanged.
pub fn to_geographic(crs: Crs, mp: &mut MultiPolygon<f64>) -> Result<(), CrsError> {
    let (Some(cm), Some(fe)) = (crs.central_meridian(), crs.false_easting()) else {
        return Ok(());
    };
    let plausible = |x: f64, y: f64| (x - fe).abs() < 5e6 && y.abs() < 1e7;
    if let Some((x, y)) = first_bad(mp, plausible) {
        return Err(CrsError::Projection {
            x,
            y,
            crs: crs.name_zh(),
        });
    }
    rings_mut(mp, |pts| tm::inverse_in_place(cm, fe, pts));
    Ok(())
}

/// Converts a geometry in EPSG:4490 lon/lat degrees to `crs`, in place.
///
/// # Errors
/// [`CrsError::Projection`] naming the first vertex that is not finite, or
/// not a latitude within ±90°, or more than 60° of longitude from the
/// central meridian; the geometry is then left unchanged.
pub fn from_geographic(crs: Crs, mp: &mut MultiPolygon<f64>) -> Result<(), CrsError> {
    let (Some(cm), Some(fe)) = (crs.central_meridian(), crs.false_easting()) else {
        return Ok(());
    };
    let plausible = |lon: f64, lat: f64| (lon - cm).abs() < 60.0 && lat.abs() < 90.0;
    if let Some((x, y)) = first_bad(mp, plausible) {
        return Err(CrsError::Projection {
            x,
            y,
            crs: crs.name_zh(),
        });
    }
    rings_mut(mp, |pts| tm::forward_in_place(cm, fe, pts));
    Ok(())
}

#[cfg(test)]
mod tests;
