//! GeoPackage (OGC 12-128, version 1.4): a reader and writer for one feature
//! table, and the primitives the store builds on.
//!
//! * [`encode_geometry`] / [`decode_geometry`] — the GeoPackage binary
//!   geometry (a `GP` header with an envelope, then ISO WKB).
//! * [`init`] — the mandatory metadata tables of an empty GeoPackage.
//! * [`register_functions`] — `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY`,
//!   `ST_IsEmpty`, which the standard R*Tree triggers call (files made by GDAL
//!   carry those triggers, so any connection that writes to such a file needs
//!   them).
//! * [`create_feature_table`] — a `MULTIPOLYGON` feature table registered in
//!   the metadata, with its R*Tree spatial index and triggers.
//! * [`read`] / [`write()`] — a whole feature table to and from a [`Dataset`].
//!
//! WKB is written by hand rather than through the `wkb` crate: the encoder
//! computes the envelope and writes header and body in one pre-sized buffer
//! with no intermediate trait objects, and the decoder must accept every
//! variant GDAL and others produce (both byte orders, ISO and EWKB Z/M flags)
//! while never panicking or over-allocating on garbage. Both are short, and
//! owning them keeps the hot path of the store (100 000 patches per import)
//! free of an extra dependency and its conversions.

use std::collections::HashSet;
use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_geo::crs::CrsHint;
use weipian_geo::validate::Repair;

use crate::{Dataset, Feature, FormatError, Problem, ReadOptions};

/// `PRAGMA application_id` of a GeoPackage: the ASCII bytes `GPKG`.
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version`: GeoPackage 1.3. The tables and triggers we write
/// are valid 1.3; declaring 1.4 makes GDAL 3.6 (Debian 12) warn on every open.
pub const USER_VERSION: i32 = 10_300;
/// CGCS2000 geographic, the coordinate system of everything weipian stores.
pub const SRS_CGCS2000: i32 = 4490;
/// Name of the geometry column of tables made by [`create_feature_table`].
pub const GEOMETRY_COLUMN: &str = "geom";
/// Name of the integer primary key of tables made by [`create_feature_table`].
pub const FID_COLUMN: &str = "fid";

const WKT_4326: &str = concat!(
    r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],"#,
    r#"AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],"#,
    r#"UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],"#,
    r#"AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#
);

const WKT_4490: &str = concat!(
    r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000","#,
    r#"SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],"#,
    r#"PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],"#,
    r#"UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],"#,
    r#"AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]"#
);

// ---------------------------------------------------------------------------
// Geometry encoding
// ---------------------------------------------------------------------------

/// Header flag bits (GeoPackage 1.4 §2.1.3.1.1).
const FLAG_LITTLE_ENDIAN: u8 = 0b0000_0001;
const FLAG_ENVELOPE_XY: u8 = 0b0000_0010; // envelope indicator 1 in bits 1–3
const FLAG_EMPTY: u8 = 0b0001_0000;
const FLAG_EXTENDED: u8 = 0b0010_0000;

const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOLYGON: u32 = 6;

/// Encode a multipolygon as a GeoPackage geometry blob: little-endian header
/// with an `[minx, maxx, miny, maxy]` envelope, then ISO WKB (type 6).
///
/// A multipolygon without any coordinate is written with the empty flag and
/// no envelope; [`decode_geometry`] returns `None` for it.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use weipian_formats::gpkg::{decode_geometry, encode_geometry};
/// let mp = MultiPolygon(vec![polygon![(x: 114.0, y: 30.0), (x: 114.1, y: 30.0), (x: 114.0, y: 30.1), (x: 114.0, y: 30.0)]]);
/// let blob = encode_geometry(&mp, 4490);
/// assert_eq!(&blob[..2], b"GP");
/// assert_eq!(decode_geometry(&blob).unwrap(), Some(mp));
/// ```
#[must_use]
pub fn encode_geometry(mp: &MultiPolygon<f64>, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::new();
    encode_geometry_into(mp, srs_id, &mut out);
    out
}

/// [`encode_geometry`] into a reused buffer (cleared first).
pub fn encode_geometry_into(mp: &MultiPolygon<f64>, srs_id: i32, out: &mut Vec<u8>) {
    out.clear();
    let mut min_x = f64::INFINITY;
    let mut max_x = f64::NEG_INFINITY;
    let mut min_y = f64::INFINITY;
    let mut max_y = f64::NEG_INFINITY;
    let mut coords = 0usize;
    let mut rings = 0usize;
    for p in &mp.0 {
        rings += 1 + p.interiors().len();
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            coords += ring.0.len();
            for c in &ring.0 {
                min_x = min_x.min(c.x);
                max_x = max_x.max(c.x);
                min_y = min_y.min(c.y);
                max_y = max_y.max(c.y);
            }
        }
    }
    let empty = coords == 0;
    let envelope_len = if empty { 0 } else { 32 };
    let size = 8 + envelope_len + 9 + mp.0.len() * 9 + rings * 4 + coords * 16;
    out.reserve(size);

    out.extend_from_slice(b"GP");
    out.push(0); // version 1 of the binary format is written as 0
    let flags = if empty {
        FLAG_LITTLE_ENDIAN | FLAG_EMPTY
    } else {
        FLAG_LITTLE_ENDIAN | FLAG_ENVELOPE_XY
    };
    out.push(flags);
    out.extend_from_slice(&srs_id.to_le_bytes());
    if !empty {
        for v in [min_x, max_x, min_y, max_y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    out.push(1);
    out.extend_from_slice(&WKB_MULTIPOLYGON.to_le_bytes());
    out.extend_from_slice(&count_u32(mp.0.len()).to_le_bytes());
    for p in &mp.0 {
        out.push(1);
        out.extend_from_slice(&WKB_POLYGON.to_le_bytes());
        out.extend_from_slice(&count_u32(1 + p.interiors().len()).to_le_bytes());
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            out.extend_from_slice(&count_u32(ring.0.len()).to_le_bytes());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
    debug_assert_eq!(out.len(), size);
}

/// WKB counts are 32-bit. No geometry that fits in memory as `f64` pairs
/// comes near 2³² parts; saturate rather than wrap if one ever did.
fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Decode a GeoPackage geometry blob holding a Polygon or MultiPolygon
/// (either byte order, envelope types 0–4, Z/M ordinates dropped).
///
/// Returns `None` for an empty geometry. Rings left open in the blob are
/// closed (use [`decode_geometry_reporting`] to learn which). Never panics.
pub fn decode_geometry(blob: &[u8]) -> Result<Option<MultiPolygon<f64>>, Problem> {
    decode_geometry_reporting(blob).map(|(g, _)| g)
}

/// [`decode_geometry`], also reporting the rings it had to close.
pub fn decode_geometry_reporting(
    blob: &[u8],
) -> Result<(Option<MultiPolygon<f64>>, Vec<Repair>), Problem> {
    let header = Header::parse(blob)?;
    let mut repairs = Vec::new();
    if header.empty {
        return Ok((None, repairs));
    }
    let mut w = WkbReader {
        buf: blob,
        pos: header.wkb_offset,
    };
    let (le, ty, dims) = w.geometry_header()?;
    let polygons = match ty {
        WKB_POLYGON => vec![w.polygon(le, dims, 0, &mut repairs)?],
        WKB_MULTIPOLYGON => {
            let n = w.count(le, 9)?;
            let mut polygons = Vec::with_capacity(n);
            for i in 0..n {
                let (le2, ty2, dims2) = w.geometry_header()?;
                if ty2 != WKB_POLYGON {
                    return Err(Problem::NotPolygon(format!(
                        "多面中的 {}",
                        wkb_type_name(ty2)
                    )));
                }
                polygons.push(w.polygon(le2, dims2, i, &mut repairs)?);
            }
            polygons
        }
        other => return Err(Problem::NotPolygon(wkb_type_name(other).to_string())),
    };
    let any_coord = polygons.iter().any(|p| !p.exterior().0.is_empty());
    if !any_coord {
        return Ok((None, repairs));
    }
    Ok((Some(MultiPolygon(polygons)), repairs))
}

/// Visit the rings of a GeoPackage Polygon/MultiPolygon blob without
/// building a geometry: `visit(ring, outer)` gets each ring's points as
/// stored (open or closed), `outer` for a polygon's exterior, else a hole of
/// the last exterior. `scratch` is reused between rings (and calls).
///
/// Returns whether the geometry has any coordinate (`false` for an empty
/// one). The same checks as [`decode_geometry`]; never panics.
///
/// ```
/// use weipian_formats::gpkg::{encode_geometry, visit_rings};
/// use geo_types::{polygon, MultiPolygon};
/// let sq = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let blob = encode_geometry(&MultiPolygon(vec![sq]), 4490);
/// let mut rings = Vec::new();
/// let any = visit_rings(&blob, &mut Vec::new(), |r, outer| rings.push((r.len(), outer))).unwrap();
/// assert!(any);
/// assert_eq!(rings, vec![(5, true)]);
/// ```
pub fn visit_rings(
    blob: &[u8],
    scratch: &mut Vec<Coord<f64>>,
    mut visit: impl FnMut(&[Coord<f64>], bool),
) -> Result<bool, Problem> {
    let header = Header::parse(blob)?;
    if header.empty {
        return Ok(false);
    }
    let mut w = WkbReader {
        buf: blob,
        pos: header.wkb_offset,
    };
    let mut any = false;
    let mut polygon = |w: &mut WkbReader<'_>, le: bool, dims: usize| -> Result<(), Problem> {
        let n = w.count(le, 4)?;
        for r in 0..n {
            w.ring_into(le, dims, scratch)?;
            any |= r == 0 && !scratch.is_empty();
            visit(scratch, r == 0);
        }
        Ok(())
    };
    let (le, ty, dims) = w.geometry_header()?;
    match ty {
        WKB_POLYGON => polygon(&mut w, le, dims)?,
        WKB_MULTIPOLYGON => {
            let n = w.count(le, 9)?;
            for _ in 0..n {
                let (le2, ty2, dims2) = w.geometry_header()?;
                if ty2 != WKB_POLYGON {
                    return Err(Problem::NotPolygon(format!(
                        "多面中的 {}",
                        wkb_type_name(ty2)
                    )));
                }
                polygon(&mut w, le2, dims2)?;
            }
        }
        other => return Err(Problem::NotPolygon(wkb_type_name(other).to_string())),
    }
    Ok(any)
}

fn wkb_type_name(ty: u32) -> &'static str {
    match ty {
        1 => "点（Point）",
        2 => "线（LineString）",
        3 => "面（Polygon）",
        4 => "多点（MultiPoint）",
        5 => "多线（MultiLineString）",
        6 => "多面（MultiPolygon）",
        7 => "几何集合（GeometryCollection）",
        8..=17 => "曲线类几何",
        _ => "未知几何类型",
    }
}

fn corrupt(what: &str) -> Problem {
    Problem::Corrupt(format!("GeoPackage 几何数据{what}"))
}

/// The parsed `GP` header.
#[derive(Debug, Clone, Copy)]
struct Header {
    /// `[minx, maxx, miny, maxy]` when the header carries an envelope.
    envelope: Option<[f64; 4]>,
    empty: bool,
    wkb_offset: usize,
}

impl Header {
    fn parse(blob: &[u8]) -> Result<Self, Problem> {
        if blob.len() < 8 || &blob[..2] != b"GP" {
            return Err(corrupt("缺少 GP 标记"));
        }
        let flags = blob[3];
        if flags & FLAG_EXTENDED != 0 {
            return Err(Problem::Unsupported(
                "不支持 GeoPackage 扩展几何类型".into(),
            ));
        }
        let le = flags & FLAG_LITTLE_ENDIAN != 0;
        let envelope_len = match (flags >> 1) & 0b111 {
            0 => 0,
            1 => 32,
            2 | 3 => 48,
            4 => 64,
            other => return Err(corrupt(&format!("信封类型 {other} 无效"))),
        };
        let wkb_offset = 8 + envelope_len;
        if blob.len() < wkb_offset {
            return Err(corrupt("被截断"));
        }
        let envelope = (envelope_len > 0).then(|| {
            let mut env = [0.0; 4];
            for (i, v) in env.iter_mut().enumerate() {
                let start = 8 + i * 8;
                *v = read_f64(&blob[start..start + 8], le);
            }
            env
        });
        Ok(Self {
            envelope,
            empty: flags & FLAG_EMPTY != 0,
            wkb_offset,
        })
    }
}

fn read_f64(bytes: &[u8], le: bool) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(bytes);
    if le {
        f64::from_le_bytes(a)
    } else {
        f64::from_be_bytes(a)
    }
}

/// A bounds-checked cursor over WKB.
struct WkbReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl WkbReader<'_> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Problem> {
        if self.remaining() < n {
            return Err(corrupt("被截断"));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u32(&mut self, le: bool) -> Result<u32, Problem> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn f64(&mut self, le: bool) -> Result<f64, Problem> {
        Ok(read_f64(self.take(8)?, le))
    }

    /// A count of items each at least `min_item_bytes` long: refuse counts the
    /// remaining bytes cannot hold, so garbage never causes a huge allocation.
    fn count(&mut self, le: bool, min_item_bytes: usize) -> Result<usize, Problem> {
        let n = self.u32(le)? as usize;
        if n.saturating_mul(min_item_bytes) > self.remaining() {
            return Err(corrupt("的计数超出数据长度"));
        }
        Ok(n)
    }

    /// Byte order, base type (1–7…) and number of ordinates per point.
    fn geometry_header(&mut self) -> Result<(bool, u32, usize), Problem> {
        let le = match self.take(1)?[0] {
            0 => false,
            1 => true,
            _ => return Err(corrupt("的字节序标记无效")),
        };
        let code = self.u32(le)?;
        let mut dims = 2;
        let mut base = code;
        // EWKB (PostGIS) flags in the high bits.
        if code & 0xE000_0000 != 0 {
            if code & 0x8000_0000 != 0 {
                dims += 1;
            }
            if code & 0x4000_0000 != 0 {
                dims += 1;
            }
            if code & 0x2000_0000 != 0 {
                self.u32(le)?; // embedded SRID
            }
            base = code & 0x1FFF_FFFF;
        }
        // ISO: 1000 = Z, 2000 = M, 3000 = ZM.
        match base / 1000 {
            0 => {}
            1 | 2 => dims += 1,
            3 => dims += 2,
            _ => return Err(corrupt(&format!("的类型码 {code} 无效"))),
        }
        Ok((le, base % 1000, dims))
    }

    fn ring(&mut self, le: bool, dims: usize) -> Result<Vec<Coord<f64>>, Problem> {
        let mut coords = Vec::new();
        self.ring_into(le, dims, &mut coords)?;
        Ok(coords)
    }

    /// Reads a ring's points into `coords` (cleared first).
    fn ring_into(
        &mut self,
        le: bool,
        dims: usize,
        coords: &mut Vec<Coord<f64>>,
    ) -> Result<(), Problem> {
        let n = self.count(le, 8 * dims)?;
        coords.clear();
        coords.reserve(n + 1);
        let bytes = self.take(n * 8 * dims)?;
        for point in bytes.chunks_exact(8 * dims) {
            let x = read_f64(&point[..8], le);
            let y = read_f64(&point[8..16], le);
            if !x.is_finite() || !y.is_finite() {
                return Err(Problem::NonFiniteCoordinate);
            }
            coords.push(Coord { x, y });
        }
        Ok(())
    }

    fn polygon(
        &mut self,
        le: bool,
        dims: usize,
        index: usize,
        repairs: &mut Vec<Repair>,
    ) -> Result<Polygon<f64>, Problem> {
        let n = self.count(le, 4)?;
        let mut rings = Vec::with_capacity(n);
        for r in 0..n {
            let coords = self.ring(le, dims)?;
            if let (Some(first), Some(last)) = (coords.first(), coords.last()) {
                if first != last {
                    repairs.push(Repair::ClosedRing {
                        polygon: index,
                        ring: r,
                    });
                }
            }
            rings.push(LineString(coords));
        }
        let mut rings = rings.into_iter();
        let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
        // Polygon::new closes open rings (recorded above).
        Ok(Polygon::new(exterior, rings.collect()))
    }

    /// Extend `bbox` with every coordinate of any WKB geometry (for the
    /// ST_* functions on blobs without an envelope).
    fn scan_bounds(&mut self, depth: usize, bbox: &mut Bounds) -> Result<(), Problem> {
        if depth > 32 {
            return Err(corrupt("嵌套过深"));
        }
        let (le, ty, dims) = self.geometry_header()?;
        let point = |r: &mut Self, bbox: &mut Bounds| -> Result<(), Problem> {
            let x = r.f64(le)?;
            let y = r.f64(le)?;
            r.take(8 * (dims - 2))?;
            bbox.add(x, y);
            Ok(())
        };
        match ty {
            1 => point(self, bbox)?,
            2 => {
                let n = self.count(le, 8 * dims)?;
                for _ in 0..n {
                    point(self, bbox)?;
                }
            }
            3 => {
                let rings = self.count(le, 4)?;
                for _ in 0..rings {
                    let n = self.count(le, 8 * dims)?;
                    for _ in 0..n {
                        point(self, bbox)?;
                    }
                }
            }
            4..=7 => {
                let n = self.count(le, 9)?;
                for _ in 0..n {
                    self.scan_bounds(depth + 1, bbox)?;
                }
            }
            other => return Err(Problem::NotPolygon(wkb_type_name(other).to_string())),
        }
        Ok(())
    }
}

/// A running bounding box; NaN ordinates (empty points) are ignored.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    min_x: f64,
    max_x: f64,
    min_y: f64,
    max_y: f64,
}

impl Bounds {
    const EMPTY: Self = Self {
        min_x: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        min_y: f64::INFINITY,
        max_y: f64::NEG_INFINITY,
    };

    fn add(&mut self, x: f64, y: f64) {
        if x.is_nan() || y.is_nan() {
            return;
        }
        self.min_x = self.min_x.min(x);
        self.max_x = self.max_x.max(x);
        self.min_y = self.min_y.min(y);
        self.max_y = self.max_y.max(y);
    }

    fn is_empty(&self) -> bool {
        self.min_x > self.max_x
    }
}

/// The bounding box `[minx, maxx, miny, maxy]` of a geometry blob, from its
/// header envelope or else by scanning the WKB; `Ok(None)` when empty.
pub fn geometry_bounds(blob: &[u8]) -> Result<Option<[f64; 4]>, Problem> {
    blob_bounds(blob)
}

/// Bounds of a blob: `Ok(None)` for an empty geometry.
fn blob_bounds(blob: &[u8]) -> Result<Option<[f64; 4]>, Problem> {
    let header = Header::parse(blob)?;
    if header.empty {
        return Ok(None);
    }
    if let Some(env) = header.envelope {
        return Ok(Some(env));
    }
    let mut bbox = Bounds::EMPTY;
    WkbReader {
        buf: blob,
        pos: header.wkb_offset,
    }
    .scan_bounds(0, &mut bbox)?;
    Ok((!bbox.is_empty()).then_some([bbox.min_x, bbox.max_x, bbox.min_y, bbox.max_y]))
}

// ---------------------------------------------------------------------------
// SQL functions
// ---------------------------------------------------------------------------

/// Register `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` over
/// GeoPackage blobs on a connection. They read the header envelope, falling
/// back to scanning the WKB; NULL, non-blob or unreadable input gives NULL.
pub fn register_functions(conn: &Connection) -> Result<(), Problem> {
    let flags = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("ST_MinX", 1, flags, |ctx| st_bound(ctx, 0))?;
    conn.create_scalar_function("ST_MaxX", 1, flags, |ctx| st_bound(ctx, 1))?;
    conn.create_scalar_function("ST_MinY", 1, flags, |ctx| st_bound(ctx, 2))?;
    conn.create_scalar_function("ST_MaxY", 1, flags, |ctx| st_bound(ctx, 3))?;
    conn.create_scalar_function(
        "ST_IsEmpty",
        1,
        flags,
        |ctx| -> rusqlite::Result<Option<bool>> {
            Ok(match ctx.get_raw(0) {
                ValueRef::Blob(b) => Header::parse(b).ok().map(|h| h.empty),
                _ => None,
            })
        },
    )?;
    Ok(())
}

/// One ordinate of the envelope (`[minx, maxx, miny, maxy]`) of the argument.
#[allow(clippy::unnecessary_wraps)] // the signature rusqlite expects
fn st_bound(ctx: &Context<'_>, index: usize) -> rusqlite::Result<Option<f64>> {
    Ok(match ctx.get_raw(0) {
        ValueRef::Blob(b) => blob_bounds(b).ok().flatten().map(|env| env[index]),
        _ => None,
    })
}

// ---------------------------------------------------------------------------
// Metadata tables
// ---------------------------------------------------------------------------

const CORE_TABLES: &str = r"
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
";

/// Turn a database (new or already a GeoPackage) into a GeoPackage 1.4:
/// application id, user version, and the metadata tables with the
/// spatial reference systems -1, 0, 4326 and 4490. Idempotent.
pub fn init(conn: &Connection) -> Result<(), Problem> {
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {USER_VERSION};"
    ))?;
    conn.execute_batch(CORE_TABLES)?;
    let mut insert = conn.prepare(
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys
           (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    insert.execute(params![
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system"
    ])?;
    insert.execute(params![
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system"
    ])?;
    insert.execute(params![
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        WKT_4326,
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
    ])?;
    insert.execute(params![
        "China Geodetic Coordinate System 2000",
        SRS_CGCS2000,
        "EPSG",
        SRS_CGCS2000,
        WKT_4490,
        "CGCS2000 (2000国家大地坐标系) longitude/latitude in decimal degrees"
    ])?;
    Ok(())
}

/// Whether `name` may be used as a table name: ASCII lowercase letters,
/// digits and `_`, starting with a letter, at most 64 characters, and not in
/// the reserved `gpkg_`, `rtree_` or `sqlite_` namespaces.
#[must_use]
pub fn is_valid_table_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !["gpkg_", "rtree_", "sqlite_"]
            .iter()
            .any(|p| name.starts_with(p))
}

fn check_table_name(name: &str) -> Result<(), Problem> {
    if is_valid_table_name(name) {
        Ok(())
    } else {
        Err(Problem::Invalid(format!(
            "表名 “{name}” 无效：只能由小写英文字母、数字和下划线组成，以字母开头，不超过 64 个字符，且不能以 gpkg_、rtree_、sqlite_ 开头"
        )))
    }
}

/// Quote an SQL identifier (column names come from files and may hold anything).
#[must_use]
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Column type declarations come from code, not files; still, allow only
/// words and a parenthesised width so nothing but a type can be injected.
fn check_column_type(ty: &str) -> Result<(), Problem> {
    let ok = !ty.trim().is_empty()
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" _()".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Problem::Invalid(format!("字段类型 “{ty}” 无效")))
    }
}

/// Whether a table (or view) of that name exists.
pub fn table_exists(conn: &Connection, table: &str) -> Result<bool, Problem> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Create a `MULTIPOLYGON` feature table `fid INTEGER PRIMARY KEY
/// AUTOINCREMENT, geom MULTIPOLYGON, <columns>` and register it in
/// `gpkg_contents` and `gpkg_geometry_columns`, with an R*Tree spatial index
/// (`rtree_<table>_geom`, the standard triggers, a `gpkg_extensions` row).
///
/// `columns` are `(name, SQL type)`; names are quoted, so any text is
/// allowed except `fid`/`geom` and duplicates (SQLite compares names
/// case-insensitively). Run inside the caller's transaction if it has one.
pub fn create_feature_table(
    conn: &Connection,
    table: &str,
    columns: &[(&str, &str)],
    srs_id: i32,
    identifier: &str,
    description: &str,
) -> Result<(), Problem> {
    check_table_name(table)?;
    let mut seen = HashSet::new();
    let mut sql = format!(
        "CREATE TABLE \"{table}\" (\n  {FID_COLUMN} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  {GEOMETRY_COLUMN} MULTIPOLYGON"
    );
    for (name, ty) in columns {
        check_column_type(ty)?;
        let folded = name.to_lowercase();
        if name.trim().is_empty() || name.contains('\0') {
            return Err(Problem::Invalid("字段名不能为空".into()));
        }
        if folded == FID_COLUMN || folded == GEOMETRY_COLUMN {
            return Err(Problem::Invalid(format!(
                "字段名 “{name}” 与 GeoPackage 保留列重名"
            )));
        }
        if !seen.insert(folded) {
            return Err(Problem::Invalid(format!(
                "字段名 “{name}” 重复（不区分大小写）"
            )));
        }
        sql.push_str(",\n  ");
        sql.push_str(&quote_ident(name));
        sql.push(' ');
        sql.push_str(ty);
    }
    sql.push_str("\n)");
    conn.execute_batch(&sql)?;
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)
         VALUES (?1, 'features', ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?4)",
        params![table, identifier, description, srs_id],
    )?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
         VALUES (?1, ?2, 'MULTIPOLYGON', ?3, 0, 0)",
        params![table, GEOMETRY_COLUMN, srs_id],
    )?;
    create_spatial_index(conn, table)?;
    Ok(())
}

/// The R*Tree of `table.geom` and the triggers that keep it in step with the
/// table (the `gpkg_rtree_index` extension, GeoPackage 1.4 annex F.3).
fn create_spatial_index(conn: &Connection, table: &str) -> Result<(), Problem> {
    check_table_name(table)?;
    let t = table;
    let c = GEOMETRY_COLUMN;
    let i = FID_COLUMN;
    let rt = format!("rtree_{t}_{c}");
    // Row values of the index for NEW.
    let new_bounds =
        format!("NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})");
    let has_new = format!("(NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))");
    let no_new = format!("(NEW.{c} IS NULL OR ST_IsEmpty(NEW.{c}))");
    let has_old = format!("(OLD.{c} NOT NULL AND NOT ST_IsEmpty(OLD.{c}))");
    let no_old = format!("(OLD.{c} IS NULL OR ST_IsEmpty(OLD.{c}))");
    let sql = format!(
        r#"
CREATE VIRTUAL TABLE "{rt}" USING rtree(id, minx, maxx, miny, maxy);

-- Same row, geometry replaced by another non-empty one: move the entry.
CREATE TRIGGER "{rt}_update6" AFTER UPDATE OF {c} ON "{t}"
WHEN OLD.{i} = NEW.{i} AND {has_new} AND {has_old}
BEGIN
  UPDATE "{rt}" SET minx = ST_MinX(NEW.{c}), maxx = ST_MaxX(NEW.{c}),
                    miny = ST_MinY(NEW.{c}), maxy = ST_MaxY(NEW.{c})
  WHERE id = NEW.{i};
END;

-- Same row, a geometry where there was none: add the entry.
CREATE TRIGGER "{rt}_update7" AFTER UPDATE OF {c} ON "{t}"
WHEN OLD.{i} = NEW.{i} AND {has_new} AND {no_old}
BEGIN
  INSERT INTO "{rt}" VALUES ({new_bounds});
END;

-- Same row, geometry removed or emptied: drop the entry.
CREATE TRIGGER "{rt}_update2" AFTER UPDATE OF {c} ON "{t}"
WHEN OLD.{i} = NEW.{i} AND {no_new}
BEGIN
  DELETE FROM "{rt}" WHERE id = OLD.{i};
END;

-- Row id changed, geometry present: re-key the entry.
CREATE TRIGGER "{rt}_update3" AFTER UPDATE ON "{t}"
WHEN OLD.{i} != NEW.{i} AND {has_new}
BEGIN
  DELETE FROM "{rt}" WHERE id = OLD.{i};
  INSERT OR REPLACE INTO "{rt}" VALUES ({new_bounds});
END;

-- Row id changed, no geometry: no entry under either id.
CREATE TRIGGER "{rt}_update4" AFTER UPDATE ON "{t}"
WHEN OLD.{i} != NEW.{i} AND {no_new}
BEGIN
  DELETE FROM "{rt}" WHERE id IN (OLD.{i}, NEW.{i});
END;

-- Row deleted: its entry goes too.
CREATE TRIGGER "{rt}_delete" AFTER DELETE ON "{t}"
WHEN OLD.{c} NOT NULL
BEGIN
  DELETE FROM "{rt}" WHERE id = OLD.{i};
END;
"#
    );
    conn.execute_batch(&sql)?;
    // A row with a geometry gets an index entry.
    conn.execute_batch(&rtree_insert_trigger_sql(table))?;
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
         VALUES (?1, ?2, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        params![table, GEOMETRY_COLUMN],
    )?;
    Ok(())
}

/// SQL of the insert trigger of the spatial index (also used to restore it
/// after a bulk insert).
fn rtree_insert_trigger_sql(table: &str) -> String {
    let c = GEOMETRY_COLUMN;
    let i = FID_COLUMN;
    let rt = format!("rtree_{table}_{c}");
    format!(
        r#"CREATE TRIGGER "{rt}_insert" AFTER INSERT ON "{table}"
WHEN (NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  INSERT OR REPLACE INTO "{rt}" VALUES (NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));
END;"#
    )
}

/// A bulk insert in progress: the R*Tree insert trigger is suspended and the
/// index is rebuilt, packed, by [`end_bulk_insert`].
#[derive(Debug)]
#[must_use = "finish with end_bulk_insert, or the spatial index misses the new rows"]
pub struct BulkInsert {
    table: String,
    /// Rows with a larger fid were inserted while the trigger was suspended.
    max_indexed_fid: i64,
}

/// Suspend the R*Tree insert trigger of `table` for a large insert (inside
/// the caller's transaction). Inserting row by row into SQLite's R*Tree
/// costs ~5 µs a row; rebuilding it packed at the end is far cheaper once
/// the new rows are a sizeable share of the table.
///
/// Rows inserted before [`end_bulk_insert`] must get fids above every fid
/// already in the table (true for `AUTOINCREMENT` tables when no fid is given).
pub fn begin_bulk_insert(conn: &Connection, table: &str) -> Result<BulkInsert, Problem> {
    check_table_name(table)?;
    let max_indexed_fid: Option<i64> = conn.query_row(
        &format!("SELECT max({FID_COLUMN}) FROM \"{table}\""),
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch(&format!(
        "DROP TRIGGER IF EXISTS \"rtree_{table}_{GEOMETRY_COLUMN}_insert\""
    ))?;
    Ok(BulkInsert {
        table: table.to_string(),
        max_indexed_fid: max_indexed_fid.unwrap_or(0),
    })
}

/// Restore the insert trigger and rebuild the R*Tree with every entry it had
/// plus the rows inserted since [`begin_bulk_insert`], packed by
/// sort-tile-recursive loading. The ST_* functions must be registered.
pub fn end_bulk_insert(conn: &Connection, bulk: BulkInsert) -> Result<(), Problem> {
    let table = bulk.table.as_str();
    check_table_name(table)?;
    let c = GEOMETRY_COLUMN;
    let rt = format!("rtree_{table}_{c}");
    let mut entries: Vec<RtreeEntry> = Vec::new();
    {
        let mut stmt = conn.prepare(&format!("SELECT id, minx, maxx, miny, maxy FROM \"{rt}\""))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            // Stored as float32 already: the conversion back is exact.
            #[allow(clippy::cast_possible_truncation)]
            entries.push(RtreeEntry {
                id: r.get(0)?,
                bounds: [
                    r.get::<_, f64>(1)? as f32,
                    r.get::<_, f64>(2)? as f32,
                    r.get::<_, f64>(3)? as f32,
                    r.get::<_, f64>(4)? as f32,
                ],
            });
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT {FID_COLUMN}, ST_MinX({c}), ST_MaxX({c}), ST_MinY({c}), ST_MaxY({c}) FROM \"{table}\"
             WHERE {FID_COLUMN} > ?1 AND {c} NOT NULL AND NOT ST_IsEmpty({c})"
        ))?;
        let mut rows = stmt.query([bulk.max_indexed_fid])?;
        while let Some(r) = rows.next()? {
            let (Some(a), Some(b), Some(cc), Some(d)) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)
            else {
                continue; // unreadable geometry: the triggers would have failed to index it too
            };
            entries.push(RtreeEntry {
                id: r.get(0)?,
                bounds: [f32_down(a), f32_up(b), f32_down(cc), f32_up(d)],
            });
        }
    }
    // A fresh virtual table: no cached nodes or blob handles of the old one.
    conn.execute_batch(&format!(
        "DROP TABLE \"{rt}\"; CREATE VIRTUAL TABLE \"{rt}\" USING rtree(id, minx, maxx, miny, maxy);"
    ))?;
    write_packed_rtree(conn, &rt, entries)?;
    conn.execute_batch(&rtree_insert_trigger_sql(table))?;
    Ok(())
}

/// One R*Tree cell: a row id (or child node number) and its float32 box
/// `[minx, maxx, miny, maxy]`.
#[derive(Debug, Clone, Copy)]
struct RtreeEntry {
    id: i64,
    bounds: [f32; 4],
}

impl RtreeEntry {
    fn center(&self, axis: usize) -> f32 {
        let (lo, hi) = (self.bounds[axis * 2], self.bounds[axis * 2 + 1]);
        lo / 2.0 + hi / 2.0
    }
}

/// Largest float32 not above `v` (how SQLite stores a minimum).
#[allow(clippy::cast_possible_truncation)]
fn f32_down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v {
        f.next_down()
    } else {
        f
    }
}

/// Smallest float32 not below `v` (how SQLite stores a maximum).
#[allow(clippy::cast_possible_truncation)]
fn f32_up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v {
        f.next_up()
    } else {
        f
    }
}

/// Sort-tile-recursive grouping of `entries` into runs of at most `cap`.
fn str_pack(mut entries: Vec<RtreeEntry>, cap: usize) -> Vec<Vec<RtreeEntry>> {
    let n = entries.len();
    let groups = n.div_ceil(cap);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let slices = ((groups as f64).sqrt().ceil() as usize).max(1);
    let per_slice = slices * cap;
    entries.sort_unstable_by(|a, b| a.center(0).total_cmp(&b.center(0)));
    let mut out = Vec::with_capacity(groups);
    for slice in entries.chunks_mut(per_slice) {
        slice.sort_unstable_by(|a, b| a.center(1).total_cmp(&b.center(1)));
        out.extend(slice.chunks(cap).map(<[RtreeEntry]>::to_vec));
    }
    out
}

fn union_bounds(cells: &[RtreeEntry]) -> [f32; 4] {
    let mut b = [
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    for c in cells {
        b[0] = b[0].min(c.bounds[0]);
        b[1] = b[1].max(c.bounds[1]);
        b[2] = b[2].min(c.bounds[2]);
        b[3] = b[3].max(c.bounds[3]);
    }
    b
}

/// Write a packed tree into the (empty but for its root) shadow tables of
/// the 2-D R*Tree `rt`: `_node` (node number → blob), `_rowid` (entry id →
/// leaf node), `_parent` (node → parent). Node 1 is the root; its first two
/// bytes hold the tree height. Each blob: 2 bytes (height or 0), 2 bytes
/// cell count, then cells of an 8-byte id and four 4-byte floats, all
/// big-endian, zero-padded to the node size SQLite chose.
fn write_packed_rtree(
    conn: &Connection,
    rt: &str,
    entries: Vec<RtreeEntry>,
) -> Result<(), Problem> {
    let node_size: i64 = conn.query_row(
        &format!("SELECT length(data) FROM \"{rt}_node\" WHERE nodeno = 1"),
        [],
        |r| r.get(0),
    )?;
    let node_size = usize::try_from(node_size).map_err(|_| corrupt("的空间索引节点大小无效"))?;
    let cap = node_size.saturating_sub(4) / 24;
    if cap < 4 {
        return Err(corrupt("的空间索引节点过小"));
    }
    if entries.is_empty() {
        return Ok(());
    }

    // Build levels bottom-up; node numbers are assigned top-down at the end.
    let mut levels: Vec<Vec<Vec<RtreeEntry>>> = vec![str_pack(entries, cap)];
    while levels.last().is_some_and(|l| l.len() > 1) {
        let below = levels.last().map_or(&[][..], Vec::as_slice);
        // Placeholder ids: the index of the child node within its level.
        let parents: Vec<RtreeEntry> = below
            .iter()
            .enumerate()
            .map(|(i, cells)| RtreeEntry {
                id: i64::try_from(i).unwrap_or(i64::MAX),
                bounds: union_bounds(cells),
            })
            .collect();
        levels.push(str_pack(parents, cap));
    }
    let height = levels.len() - 1;

    // Node numbers: root 1, then level by level downwards.
    let mut numbers: Vec<Vec<i64>> = vec![Vec::new(); levels.len()];
    let mut next = 1i64;
    for (lvl, nodes) in levels.iter().enumerate().rev() {
        numbers[lvl] = (0..nodes.len())
            .map(|k| next + i64::try_from(k).unwrap_or(0))
            .collect();
        next += i64::try_from(nodes.len()).unwrap_or(0);
    }

    conn.execute(&format!("DELETE FROM \"{rt}_node\""), [])?;
    let mut put_node = conn.prepare(&format!(
        "INSERT INTO \"{rt}_node\" (nodeno, data) VALUES (?1, ?2)"
    ))?;
    let mut put_parent = conn.prepare(&format!(
        "INSERT INTO \"{rt}_parent\" (nodeno, parentnode) VALUES (?1, ?2)"
    ))?;
    let mut put_rowid = conn.prepare(&format!(
        "INSERT INTO \"{rt}_rowid\" (rowid, nodeno) VALUES (?1, ?2)"
    ))?;
    let mut blob = vec![0u8; node_size];
    for (lvl, nodes) in levels.iter().enumerate() {
        for (k, cells) in nodes.iter().enumerate() {
            let nodeno = numbers[lvl][k];
            blob.fill(0);
            if nodeno == 1 {
                blob[0..2]
                    .copy_from_slice(&u16::try_from(height).unwrap_or(u16::MAX).to_be_bytes());
            }
            blob[2..4]
                .copy_from_slice(&u16::try_from(cells.len()).unwrap_or(u16::MAX).to_be_bytes());
            for (j, cell) in cells.iter().enumerate() {
                let id = if lvl == 0 {
                    cell.id
                } else {
                    // Child node number from its index in the level below.
                    let idx = usize::try_from(cell.id).unwrap_or(usize::MAX);
                    *numbers[lvl - 1]
                        .get(idx)
                        .ok_or_else(|| corrupt("的空间索引构建出错"))?
                };
                let at = 4 + j * 24;
                blob[at..at + 8].copy_from_slice(&id.to_be_bytes());
                for (q, v) in cell.bounds.iter().enumerate() {
                    blob[at + 8 + q * 4..at + 12 + q * 4]
                        .copy_from_slice(&v.to_bits().to_be_bytes());
                }
                if lvl == 0 {
                    put_rowid.execute(params![id, nodeno])?;
                } else {
                    put_parent.execute(params![id, nodeno])?;
                }
            }
            put_node.execute(params![nodeno, &blob[..]])?;
        }
    }
    Ok(())
}

/// Drop a feature table made by [`create_feature_table`] with its index,
/// triggers and metadata rows. Dropping is much faster than deleting every
/// row (each deletion fires the index trigger).
pub fn drop_feature_table(conn: &Connection, table: &str) -> Result<(), Problem> {
    check_table_name(table)?;
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS \"rtree_{table}_{GEOMETRY_COLUMN}\"; DROP TABLE IF EXISTS \"{table}\";"
    ))?;
    conn.execute("DELETE FROM gpkg_extensions WHERE table_name = ?1", [table])?;
    conn.execute(
        "DELETE FROM gpkg_geometry_columns WHERE table_name = ?1",
        [table],
    )?;
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?1", [table])?;
    Ok(())
}

/// Set the bounding box of a feature table in `gpkg_contents` from its
/// geometries (exact, not the R*Tree's float32 boxes) and touch
/// `last_change`. The ST_* functions must be registered on `conn`.
pub fn update_extent(conn: &Connection, table: &str) -> Result<(), Problem> {
    check_table_name(table)?;
    let c = GEOMETRY_COLUMN;
    let (min_x, max_x, min_y, max_y): (Option<f64>, Option<f64>, Option<f64>, Option<f64>) = conn.query_row(
        &format!("SELECT min(ST_MinX({c})), max(ST_MaxX({c})), min(ST_MinY({c})), max(ST_MaxY({c})) FROM \"{table}\""),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    conn.execute(
        "UPDATE gpkg_contents SET min_x = ?2, max_x = ?3, min_y = ?4, max_y = ?5,
                last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
         WHERE table_name = ?1",
        params![table, min_x, max_x, min_y, max_y],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Reading a file
// ---------------------------------------------------------------------------

/// One feature table listed in `gpkg_contents`.
#[derive(Debug, Clone)]
struct TableInfo {
    table: String,
    identifier: Option<String>,
    geometry_column: String,
    srs_id: i64,
}

/// Map a declared SQL column type to a field type (`None`: not an attribute
/// weipian carries, e.g. BLOB).
fn field_type_for(declared: &str) -> Option<FieldType> {
    let upper = declared.trim().to_ascii_uppercase();
    let (base, width) = match upper.split_once('(') {
        Some((b, rest)) => (
            b.trim().to_string(),
            rest.trim_end_matches(')')
                .trim()
                .parse::<u16>()
                .unwrap_or(0),
        ),
        None => (upper.clone(), 0),
    };
    Some(match base.as_str() {
        "TEXT" | "VARCHAR" | "CHAR" | "" => FieldType::Text { width },
        "INTEGER" | "INT" | "MEDIUMINT" | "SMALLINT" | "TINYINT" | "BIGINT" => {
            FieldType::Integer { width: 0 }
        }
        "REAL" | "DOUBLE" | "FLOAT" | "NUMERIC" => FieldType::Real {
            width: 0,
            decimals: 0,
        },
        "DATE" | "DATETIME" => FieldType::Date,
        "BOOLEAN" => FieldType::Logical,
        _ => return None,
    })
}

fn attr_from_sql(value: ValueRef<'_>, field_type: FieldType) -> AttrValue {
    match value {
        ValueRef::Null => AttrValue::Null,
        ValueRef::Integer(i) => match field_type {
            FieldType::Logical => AttrValue::Bool(i != 0),
            #[allow(clippy::cast_precision_loss)]
            FieldType::Real { .. } => AttrValue::Real(i as f64),
            FieldType::Text { .. } | FieldType::Date => AttrValue::Text(i.to_string()),
            FieldType::Integer { .. } => AttrValue::Integer(i),
        },
        ValueRef::Real(r) => match field_type {
            FieldType::Text { .. } | FieldType::Date => AttrValue::Text(r.to_string()),
            _ => AttrValue::Real(r),
        },
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            let s = String::from_utf8_lossy(t).into_owned();
            match field_type {
                // DATETIME values keep their date part: weipian's dates are calendar dates.
                FieldType::Date
                    if s.len() > 10 && s.is_char_boundary(10) && looks_like_date(&s[..10]) =>
                {
                    AttrValue::Text(s[..10].to_string())
                }
                FieldType::Logical => match s.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "t" | "y" | "yes" => AttrValue::Bool(true),
                    "0" | "false" | "f" | "n" | "no" => AttrValue::Bool(false),
                    _ => AttrValue::Text(s),
                },
                _ => AttrValue::Text(s),
            }
        }
    }
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Read one feature table of a GeoPackage (GDAL-made files included).
///
/// With several feature tables, `options.layer` names the one to read (table
/// name or identifier, case-insensitive); otherwise the error lists them.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Dataset, FormatError> {
    let ferr = |p: Problem| FormatError::file(path, p);
    if !path.is_file() {
        return Err(ferr(Problem::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "文件不存在",
        ))));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| ferr(e.into()))?;
    register_functions(&conn).map_err(ferr)?;
    let is_gpkg = table_exists(&conn, "gpkg_contents").map_err(|e| match e {
        Problem::Sqlite(s) => Problem::Corrupt(format!("不是有效的 GeoPackage/SQLite 文件（{s}）")),
        other => other,
    });
    if !is_gpkg.map_err(ferr)? || !table_exists(&conn, "gpkg_geometry_columns").map_err(ferr)? {
        return Err(ferr(Problem::Invalid(
            "不是 GeoPackage 文件：缺少 gpkg_contents / gpkg_geometry_columns 表".into(),
        )));
    }
    let tables = list_feature_tables(&conn).map_err(ferr)?;
    let info = choose_table(&tables, options.layer.as_deref()).map_err(ferr)?;
    let crs = crs_hint(&conn, info.srs_id).map_err(ferr)?;

    // Columns: everything but the geometry and the integer primary key.
    let mut fields = Vec::new();
    let mut select = vec![quote_ident(&info.geometry_column)];
    {
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_info({})", quote_ident(&info.table)))
            .map_err(|e| ferr(e.into()))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .map_err(|e| ferr(e.into()))?;
        for row in rows {
            let (name, declared, pk) = row.map_err(|e| ferr(e.into()))?;
            if name.eq_ignore_ascii_case(&info.geometry_column) {
                continue;
            }
            if pk > 0 && declared.eq_ignore_ascii_case("INTEGER") {
                continue;
            }
            match field_type_for(&declared) {
                Some(field_type) => {
                    select.push(quote_ident(&name));
                    fields.push(FieldDef::new(name, field_type));
                }
                None => {
                    tracing::warn!(column = %name, declared = %declared, "GeoPackage 字段类型不受支持，已跳过")
                }
            }
        }
    }

    let sql = format!(
        "SELECT {} FROM {} ORDER BY rowid",
        select.join(", "),
        quote_ident(&info.table)
    );
    let mut stmt = conn.prepare(&sql).map_err(|e| ferr(e.into()))?;
    let mut rows = stmt.query([]).map_err(|e| ferr(e.into()))?;
    let mut features = Vec::new();
    while let Some(r) = rows.next().map_err(|e| ferr(e.into()))? {
        let row_no = features.len() + 1;
        let (geometry, repairs) = match r.get_ref(0).map_err(|e| ferr(e.into()))? {
            ValueRef::Null => (None, Vec::new()),
            ValueRef::Blob(b) => {
                decode_geometry_reporting(b).map_err(|p| FormatError::row(path, row_no, p))?
            }
            _ => {
                return Err(FormatError::row(
                    path,
                    row_no,
                    Problem::Corrupt("几何列不是二进制数据".into()),
                ));
            }
        };
        let mut attrs = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let v = r.get_ref(i + 1).map_err(|e| ferr(e.into()))?;
            attrs.push(attr_from_sql(v, f.field_type));
        }
        features.push(Feature {
            row: row_no,
            geometry,
            attrs,
            repairs,
        });
    }

    Ok(Dataset {
        source: path.to_path_buf(),
        fields,
        features,
        crs,
        encoding: None,
    })
}

fn list_feature_tables(conn: &Connection) -> Result<Vec<TableInfo>, Problem> {
    let mut stmt = conn.prepare(
        "SELECT c.table_name, c.identifier, g.column_name, g.srs_id
         FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
         WHERE c.data_type = 'features'
         ORDER BY c.table_name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(TableInfo {
            table: r.get(0)?,
            identifier: r.get(1)?,
            geometry_column: r.get(2)?,
            srs_id: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn choose_table<'a>(
    tables: &'a [TableInfo],
    wanted: Option<&str>,
) -> Result<&'a TableInfo, Problem> {
    let names = || {
        tables
            .iter()
            .map(|t| t.table.as_str())
            .collect::<Vec<_>>()
            .join("、")
    };
    match wanted {
        Some(w) => {
            let w = w.trim();
            tables
                .iter()
                .find(|t| {
                    t.table.eq_ignore_ascii_case(w)
                        || t.identifier.as_deref().is_some_and(|i| i == w)
                })
                .ok_or_else(|| {
                    if tables.is_empty() {
                        Problem::Invalid("GeoPackage 中没有要素图层".into())
                    } else {
                        Problem::Invalid(format!(
                            "GeoPackage 中没有图层 “{w}”；现有图层：{}",
                            names()
                        ))
                    }
                })
        }
        None => match tables {
            [] => Err(Problem::Invalid("GeoPackage 中没有要素图层".into())),
            [one] => Ok(one),
            _ => Err(Problem::Invalid(format!(
                "GeoPackage 含 {} 个要素图层：{}。请用 --layer 指定要读取的图层",
                tables.len(),
                names()
            ))),
        },
    }
}

fn crs_hint(conn: &Connection, srs_id: i64) -> Result<CrsHint, Problem> {
    let row: Option<(String, i64, String)> = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let mut hint = CrsHint::default();
    if let Some((org, code, definition)) = row {
        if org.eq_ignore_ascii_case("EPSG") {
            hint.epsg = u32::try_from(code).ok();
        }
        if !definition.trim().is_empty() && !definition.trim().eq_ignore_ascii_case("undefined") {
            hint.wkt = Some(definition);
        }
    }
    Ok(hint)
}

// ---------------------------------------------------------------------------
// Writing a file
// ---------------------------------------------------------------------------

/// The SQL type a field is written as.
#[must_use]
pub fn sql_type(field_type: FieldType) -> String {
    match field_type {
        FieldType::Text { width: 0 } => "TEXT".into(),
        FieldType::Text { width } => format!("TEXT({width})"),
        FieldType::Integer { .. } => "INTEGER".into(),
        FieldType::Real { .. } => "REAL".into(),
        FieldType::Date => "DATE".into(),
        FieldType::Logical => "BOOLEAN".into(),
    }
}

/// An attribute as an SQL value (booleans as 0/1, dates as text).
#[must_use]
pub fn attr_to_sql(value: &AttrValue) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(match value {
        AttrValue::Null => ValueRef::Null,
        AttrValue::Bool(b) => ValueRef::Integer(i64::from(*b)),
        AttrValue::Integer(i) => ValueRef::Integer(*i),
        AttrValue::Real(r) => ValueRef::Real(*r),
        AttrValue::Text(s) => ValueRef::Text(s.as_bytes()),
    })
}

/// Write a dataset as a new GeoPackage with one feature table `layer_name`
/// (MULTIPOLYGON, EPSG:4490, spatial index filled, extent set).
///
/// The geometry must already be EPSG:4490 longitude/latitude: a dataset
/// whose CRS hint names another EPSG code is refused. The file is written
/// beside the target under a temporary name and renamed over it at the end.
pub fn write(path: &Path, layer_name: &str, dataset: &Dataset) -> Result<(), FormatError> {
    let ferr = |p: Problem| FormatError::file(path, p);
    check_table_name(layer_name).map_err(ferr)?;
    if let Some(epsg) = dataset.crs.epsg {
        if i64::from(epsg) != i64::from(SRS_CGCS2000) {
            return Err(ferr(Problem::Unsupported(format!(
                "GeoPackage 导出只接受 EPSG:4490 经纬度坐标，数据为 EPSG:{epsg}，请先转换坐标"
            ))));
        }
    }
    for f in &dataset.features {
        if f.attrs.len() != dataset.fields.len() {
            return Err(FormatError::row(
                path,
                f.row,
                Problem::Invalid(format!(
                    "属性个数 {} 与字段个数 {} 不一致",
                    f.attrs.len(),
                    dataset.fields.len()
                )),
            ));
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".weipian-")
        .suffix(".gpkg.tmp")
        .tempfile_in(&dir)
        .map_err(|e| ferr(Problem::Io(e)))?;

    {
        let mut conn = Connection::open(tmp.path()).map_err(|e| ferr(e.into()))?;
        register_functions(&conn).map_err(ferr)?;
        conn.execute_batch("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = NORMAL;")
            .map_err(|e| ferr(e.into()))?;
        let tx = conn.transaction().map_err(|e| ferr(e.into()))?;
        init(&tx).map_err(ferr)?;
        let types: Vec<String> = dataset
            .fields
            .iter()
            .map(|f| sql_type(f.field_type))
            .collect();
        let columns: Vec<(&str, &str)> = dataset
            .fields
            .iter()
            .zip(&types)
            .map(|(f, t)| (f.name.as_str(), t.as_str()))
            .collect();
        create_feature_table(
            &tx,
            layer_name,
            &columns,
            SRS_CGCS2000,
            layer_name,
            "weipian 导出",
        )
        .map_err(ferr)?;
        {
            let mut cols = vec![GEOMETRY_COLUMN.to_string()];
            cols.extend(dataset.fields.iter().map(|f| quote_ident(&f.name)));
            let placeholders = (1..=cols.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut stmt = tx
                .prepare(&format!(
                    "INSERT INTO \"{layer_name}\" ({}) VALUES ({placeholders})",
                    cols.join(", ")
                ))
                .map_err(|e| ferr(e.into()))?;
            let mut blob = Vec::new();
            for f in &dataset.features {
                let rerr = |e: rusqlite::Error| FormatError::row(path, f.row, e.into());
                match &f.geometry {
                    Some(g) => {
                        encode_geometry_into(g, SRS_CGCS2000, &mut blob);
                        stmt.raw_bind_parameter(1, &blob[..]).map_err(rerr)?;
                    }
                    None => stmt
                        .raw_bind_parameter(1, rusqlite::types::Null)
                        .map_err(rerr)?,
                }
                for (i, v) in f.attrs.iter().enumerate() {
                    stmt.raw_bind_parameter(i + 2, attr_to_sql(v))
                        .map_err(rerr)?;
                }
                stmt.raw_execute().map_err(rerr)?;
            }
        }
        update_extent(&tx, layer_name).map_err(ferr)?;
        tx.commit().map_err(|e| ferr(e.into()))?;
        conn.close().map_err(|(_, e)| ferr(e.into()))?;
    }

    let file = tmp.persist(path).map_err(|e| ferr(Problem::Io(e.error)))?;
    set_shareable_permissions(&file);
    Ok(())
}

/// Temporary files are created private (0600); an exported file should get
/// ordinary permissions like any other file the user writes.
#[cfg(unix)]
fn set_shareable_permissions(file: &std::fs::File) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o644)) {
        tracing::warn!(error = %e, "无法设置导出文件权限");
    }
}

#[cfg(not(unix))]
fn set_shareable_permissions(_file: &std::fs::File) {}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, polygon};

    fn sample() -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon!(
                exterior: [(x: 114.0, y: 30.0), (x: 114.1, y: 30.0), (x: 114.1, y: 30.1), (x: 114.0, y: 30.1), (x: 114.0, y: 30.0)],
                interiors: [[(x: 114.02, y: 30.02), (x: 114.03, y: 30.02), (x: 114.03, y: 30.03), (x: 114.02, y: 30.02)]],
            ),
            polygon![(x: 115.0, y: 31.0), (x: 115.5, y: 31.0), (x: 115.0, y: 31.5), (x: 115.0, y: 31.0)],
        ])
    }

    /// Big-endian WKB of a single Polygon with an open ring, Z ordinates and
    /// no envelope — the variants other writers produce.
    fn big_endian_polygon_z() -> Vec<u8> {
        let mut b = b"GP\0\0".to_vec(); // big-endian, no envelope
        b.extend_from_slice(&4490i32.to_be_bytes());
        b.push(0);
        b.extend_from_slice(&1003u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&3u32.to_be_bytes());
        for (x, y) in [(1.0f64, 2.0f64), (3.0, 2.0), (1.0, 5.0)] {
            b.extend_from_slice(&x.to_be_bytes());
            b.extend_from_slice(&y.to_be_bytes());
            b.extend_from_slice(&9.0f64.to_be_bytes());
        }
        b
    }

    /// `visit_rings` sees exactly the rings `decode_geometry` builds, and
    /// fails where it fails (every truncation of the blobs).
    #[test]
    fn visit_rings_matches_decode() {
        let blobs = [encode_geometry(&sample(), 4490), big_endian_polygon_z()];
        for blob in &blobs {
            for cut in (0..=blob.len()).rev() {
                let b = &blob[..cut];
                let mut seen: Vec<(Vec<Coord<f64>>, bool)> = Vec::new();
                let visited = visit_rings(b, &mut Vec::new(), |r, outer| {
                    seen.push((r.to_vec(), outer))
                });
                match decode_geometry(b) {
                    Ok(Some(mp)) => {
                        assert!(matches!(visited, Ok(true)), "cut {cut}");
                        let want: Vec<(Vec<Coord<f64>>, bool)> =
                            mp.0.iter()
                                .flat_map(|p| {
                                    std::iter::once((p.exterior().0.clone(), true))
                                        .chain(p.interiors().iter().map(|h| (h.0.clone(), false)))
                                })
                                .collect();
                        // decode_geometry closes open rings; the visitor passes them as stored.
                        assert_eq!(seen.len(), want.len());
                        for ((got, o1), (want, o2)) in seen.iter().zip(&want) {
                            assert_eq!(o1, o2);
                            assert_eq!(got[..], want[..got.len()]);
                        }
                    }
                    Ok(None) => assert!(matches!(visited, Ok(false)), "cut {cut}"),
                    Err(_) => assert!(visited.is_err(), "cut {cut}"),
                }
            }
        }
    }

    #[test]
    fn round_trip_is_exact() {
        let mp = sample();
        let blob = encode_geometry(&mp, 4490);
        assert_eq!(&blob[..4], &[b'G', b'P', 0, 0b11]);
        assert_eq!(
            i32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]),
            4490
        );
        assert_eq!(decode_geometry(&blob).unwrap(), Some(mp));
    }

    #[test]
    fn header_envelope_is_minx_maxx_miny_maxy() {
        let blob = encode_geometry(&sample(), 4490);
        assert_eq!(
            blob_bounds(&blob).unwrap(),
            Some([114.0, 115.5, 30.0, 31.5])
        );
    }

    #[test]
    fn empty_multipolygon_has_the_empty_flag() {
        let blob = encode_geometry(&MultiPolygon(vec![]), 4490);
        assert_eq!(blob[3], FLAG_LITTLE_ENDIAN | FLAG_EMPTY);
        assert_eq!(decode_geometry(&blob).unwrap(), None);
        assert_eq!(blob_bounds(&blob).unwrap(), None);
    }

    #[test]
    fn big_endian_polygon_z_without_envelope_decodes_and_reports_the_closed_ring() {
        let blob = big_endian_polygon_z();
        let (g, repairs) = decode_geometry_reporting(&blob).unwrap();
        let g = g.unwrap();
        assert_eq!(g.0.len(), 1);
        assert_eq!(g.0[0].exterior().0.len(), 4);
        assert_eq!(g.0[0].exterior().0[3], coord! { x: 1.0, y: 2.0 });
        assert_eq!(
            repairs,
            vec![Repair::ClosedRing {
                polygon: 0,
                ring: 0
            }]
        );
        // The ST_* fallback scans the WKB.
        assert_eq!(blob_bounds(&blob).unwrap(), Some([1.0, 3.0, 2.0, 5.0]));
    }

    #[test]
    fn every_envelope_type_is_skipped_correctly() {
        let mp = sample();
        let plain = encode_geometry(&mp, 4490);
        let wkb = &plain[40..];
        for (indicator, len) in [(0u8, 0usize), (1, 32), (2, 48), (3, 48), (4, 64)] {
            let mut b = b"GP\0".to_vec();
            b.push(FLAG_LITTLE_ENDIAN | (indicator << 1));
            b.extend_from_slice(&4490i32.to_le_bytes());
            for k in 0..len / 8 {
                b.extend_from_slice(
                    &[114.0f64, 115.5, 30.0, 31.5, 0.0, 0.0, 0.0, 0.0][k].to_le_bytes(),
                );
            }
            b.extend_from_slice(wkb);
            assert_eq!(
                decode_geometry(&b).unwrap(),
                Some(mp.clone()),
                "envelope {indicator}"
            );
        }
    }

    #[test]
    fn non_polygons_and_garbage_are_refused() {
        let mut point = b"GP\0\x01".to_vec();
        point.extend_from_slice(&0i32.to_le_bytes());
        point.push(1);
        point.extend_from_slice(&1u32.to_le_bytes());
        point.extend_from_slice(&1.0f64.to_le_bytes());
        point.extend_from_slice(&2.0f64.to_le_bytes());
        assert!(matches!(
            decode_geometry(&point),
            Err(Problem::NotPolygon(_))
        ));
        assert!(decode_geometry(b"").is_err());
        assert!(decode_geometry(b"XX\0\x01\0\0\0\0").is_err());
        // A count far beyond the data must not allocate.
        let mut huge = b"GP\0\x01".to_vec();
        huge.extend_from_slice(&0i32.to_le_bytes());
        huge.push(1);
        huge.extend_from_slice(&6u32.to_le_bytes());
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode_geometry(&huge), Err(Problem::Corrupt(_))));
    }

    #[test]
    fn non_finite_coordinates_are_refused() {
        let mp = MultiPolygon(vec![
            polygon![(x: f64::NAN, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)],
        ]);
        let blob = encode_geometry(&mp, 4490);
        assert!(matches!(
            decode_geometry(&blob),
            Err(Problem::NonFiniteCoordinate)
        ));
    }

    #[test]
    fn table_names_are_validated() {
        for ok in ["patches", "layer_gd", "a1"] {
            assert!(is_valid_table_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Patches",
            "1a",
            "a-b",
            "x\"; DROP TABLE gpkg_contents; --",
            "gpkg_x",
            "rtree_x",
            "图斑",
        ] {
            assert!(!is_valid_table_name(bad), "{bad}");
        }
    }

    #[test]
    fn feature_table_with_index_keeps_rtree_in_step() {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        init(&conn).unwrap();
        init(&conn).unwrap(); // idempotent
        create_feature_table(
            &conn,
            "t",
            &[("名称", "TEXT"), ("a\"b", "INTEGER")],
            4490,
            "t",
            "",
        )
        .unwrap();
        let blob = encode_geometry(&sample(), 4490);
        conn.execute("INSERT INTO t (geom, \"名称\") VALUES (?1, 'x')", [&blob])
            .unwrap();
        let rt: (f64, f64) = conn
            .query_row(
                "SELECT minx, maxy FROM rtree_t_geom WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(rt.0 <= 114.0 && rt.1 >= 31.5);
        let moved = encode_geometry(
            &MultiPolygon(vec![
                polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)],
            ]),
            4490,
        );
        conn.execute("UPDATE t SET geom = ?1 WHERE fid = 1", [&moved])
            .unwrap();
        let maxx: f64 = conn
            .query_row("SELECT maxx FROM rtree_t_geom WHERE id = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!((maxx - 1.0).abs() < 1e-6);
        conn.execute("UPDATE t SET geom = NULL WHERE fid = 1", [])
            .unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM rtree_t_geom", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        conn.execute("UPDATE t SET geom = ?1 WHERE fid = 1", [&blob])
            .unwrap();
        conn.execute("DELETE FROM t", []).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM rtree_t_geom", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        update_extent(&conn, "t").unwrap();
        assert!(create_feature_table(&conn, "bad name", &[], 4490, "b", "").is_err());
        assert!(create_feature_table(
            &conn,
            "u",
            &[("x", "TEXT); DROP TABLE t; --")],
            4490,
            "u",
            ""
        )
        .is_err());
        assert!(create_feature_table(&conn, "v", &[("FID", "TEXT")], 4490, "v", "").is_err());
        assert!(table_exists(&conn, "t").unwrap());
        drop_feature_table(&conn, "t").unwrap();
        assert!(!table_exists(&conn, "t").unwrap());
        assert!(!table_exists(&conn, "rtree_t_geom").unwrap());
    }

    fn rtree_is_consistent(conn: &Connection, table: &str) {
        let check: String = conn
            .query_row(
                &format!("SELECT rtreecheck('rtree_{table}_geom')"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(check, "ok");
        let (indexed, with_geom): (i64, i64) = conn
            .query_row(
                &format!("SELECT (SELECT count(*) FROM rtree_{table}_geom), (SELECT count(*) FROM {table} WHERE geom NOT NULL)"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(indexed, with_geom);
    }

    fn window_ids(conn: &Connection, table: &str, w: [f64; 4]) -> (Vec<i64>, Vec<i64>) {
        let q = |sql: &str| -> Vec<i64> {
            conn.prepare(sql)
                .unwrap()
                .query_map(params![w[0], w[1], w[2], w[3]], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let by_index = q(&format!(
            "SELECT id FROM rtree_{table}_geom WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4 ORDER BY id"
        ));
        let by_scan = q(&format!(
            "SELECT fid FROM {table} WHERE ST_MaxX(geom) >= ?1 AND ST_MinX(geom) <= ?2 AND ST_MaxY(geom) >= ?3 AND ST_MinY(geom) <= ?4 ORDER BY fid"
        ));
        (by_index, by_scan)
    }

    #[test]
    fn bulk_insert_builds_a_valid_packed_rtree() {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        init(&conn).unwrap();
        create_feature_table(&conn, "t", &[("n", "INTEGER")], 4490, "t", "").unwrap();
        let tri = |x: f64, y: f64| {
            encode_geometry(
                &MultiPolygon(vec![
                    polygon![(x: x, y: y), (x: x + 0.003, y: y), (x: x, y: y + 0.002), (x: x, y: y)],
                ]),
                4490,
            )
        };
        // Some rows through the triggers first, then a bulk insert of many more.
        for i in 0..300 {
            conn.execute(
                "INSERT INTO t (geom, n) VALUES (?1, ?2)",
                params![tri(100.0 + f64::from(i) * 0.01, 30.0), i],
            )
            .unwrap();
        }
        conn.execute("INSERT INTO t (geom, n) VALUES (NULL, -1)", [])
            .unwrap();
        let bulk = begin_bulk_insert(&conn, "t").unwrap();
        for i in 0..20_000 {
            let (x, y) = (
                100.0 + f64::from(i % 150) * 0.0137,
                25.0 + f64::from(i / 150) * 0.0111,
            );
            conn.execute(
                "INSERT INTO t (geom, n) VALUES (?1, ?2)",
                params![tri(x, y), i],
            )
            .unwrap();
        }
        end_bulk_insert(&conn, bulk).unwrap();
        rtree_is_consistent(&conn, "t");
        for w in [
            [100.0, 100.5, 25.0, 25.3],
            [100.1, 100.1, 30.0, 30.001],
            [99.0, 110.0, 20.0, 40.0],
            [0.0, 1.0, 0.0, 1.0],
        ] {
            let (a, b) = window_ids(&conn, "t", w);
            assert_eq!(a, b, "window {w:?}");
        }
        // The triggers work on the packed tree afterwards.
        conn.execute("INSERT INTO t (geom, n) VALUES (?1, 1)", [tri(101.0, 26.0)])
            .unwrap();
        conn.execute("UPDATE t SET geom = ?1 WHERE fid = 5", [tri(120.0, 40.0)])
            .unwrap();
        conn.execute("DELETE FROM t WHERE fid BETWEEN 1000 AND 6000", [])
            .unwrap();
        rtree_is_consistent(&conn, "t");
        let (a, b) = window_ids(&conn, "t", [99.0, 121.0, 20.0, 41.0]);
        assert_eq!(a, b);
        // A bulk insert into an empty table, and one that inserts nothing.
        create_feature_table(&conn, "u", &[], 4490, "u", "").unwrap();
        let bulk = begin_bulk_insert(&conn, "u").unwrap();
        end_bulk_insert(&conn, bulk).unwrap();
        rtree_is_consistent(&conn, "u");
        let bulk = begin_bulk_insert(&conn, "u").unwrap();
        conn.execute("INSERT INTO u (geom) VALUES (?1)", [tri(1.0, 1.0)])
            .unwrap();
        end_bulk_insert(&conn, bulk).unwrap();
        rtree_is_consistent(&conn, "u");
    }

    #[test]
    fn float32_bounds_round_outwards() {
        for v in [0.1f64, -0.1, 114.300_000_1, 1e-30, -123.456_789] {
            assert!(
                f64::from(f32_down(v)) <= v && f64::from(f32_up(v)) >= v,
                "{v}"
            );
        }
        assert_eq!(f32_down(0.5), 0.5);
        assert_eq!(f32_up(0.5), 0.5);
    }

    #[test]
    fn field_types_map_from_sql() {
        assert_eq!(
            field_type_for("TEXT(10)"),
            Some(FieldType::Text { width: 10 })
        );
        assert_eq!(
            field_type_for("mediumint"),
            Some(FieldType::Integer { width: 0 })
        );
        assert_eq!(
            field_type_for("DOUBLE"),
            Some(FieldType::Real {
                width: 0,
                decimals: 0
            })
        );
        assert_eq!(field_type_for("DATETIME"), Some(FieldType::Date));
        assert_eq!(field_type_for("BOOLEAN"), Some(FieldType::Logical));
        assert_eq!(field_type_for("BLOB"), None);
    }

    proptest::proptest! {
        #[test]
        fn decoding_random_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = decode_geometry(&bytes);
            let _ = blob_bounds(&bytes);
        }

        #[test]
        fn decoding_mutated_blobs_never_panics(pos in 0usize..200, byte in proptest::num::u8::ANY, cut in 0usize..200) {
            let mut blob = encode_geometry(&sample(), 4490);
            let n = blob.len();
            blob[pos % n] = byte;
            blob.truncate(n - cut % n);
            let _ = decode_geometry(&blob);
            let _ = blob_bounds(&blob);
        }

        #[test]
        fn gp_prefixed_random_bytes_never_panic(flags in proptest::num::u8::ANY, rest in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let mut blob = vec![b'G', b'P', 0, flags];
            blob.extend_from_slice(&rest);
            let _ = decode_geometry(&blob);
            let _ = blob_bounds(&blob);
        }
    }
}
