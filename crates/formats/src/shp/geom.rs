//! The `.shp` main file and `.shx` index: polygon records in, polygon
//! records out.
//!
//! The reader works on a byte slice, checks every length against the data
//! before touching it, and never panics: a bad file is an error naming the
//! record. Rings come out as written (the file's own coordinates); the ring
//! roles are decided by orientation as the specification says (outer rings
//! clockwise, holes counter-clockwise), holes are attached to the outer ring
//! that contains them.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use weipian_geo::validate::Repair;

use crate::dataset::Feature;
use crate::error::Problem;

/// Shape type codes of the specification that matter here.
const NULL_SHAPE: i32 = 0;
const POLYGON: i32 = 5;
const POLYGON_Z: i32 = 15;
const POLYGON_M: i32 = 25;

const HEADER_LEN: usize = 100;
const FILE_CODE: i32 = 9994;

/// A problem located at a record (1-based), or at the file when `row` is `None`.
#[derive(Debug)]
pub(crate) struct Located {
    pub row: Option<usize>,
    pub problem: Problem,
}

impl Located {
    fn file(problem: Problem) -> Self {
        Self { row: None, problem }
    }
    fn row(row: usize, problem: Problem) -> Self {
        Self {
            row: Some(row),
            problem,
        }
    }
}

/// One decoded record: its geometry (None for a null shape) and the repairs made.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    pub geometry: Option<MultiPolygon<f64>>,
    pub repairs: Vec<Repair>,
}

/// The human name of a shape type, for "not a polygon" messages.
fn shape_type_name(t: i32) -> String {
    let name = match t {
        1 => "点（Point）",
        3 => "线（PolyLine）",
        8 => "多点（MultiPoint）",
        11 => "点（PointZ）",
        13 => "线（PolyLineZ）",
        18 => "多点（MultiPointZ）",
        21 => "点（PointM）",
        23 => "线（PolyLineM）",
        28 => "多点（MultiPointM）",
        31 => "多面体（MultiPatch）",
        _ => return format!("未知图形类型 {t}"),
    };
    name.to_string()
}

fn be_i32(data: &[u8], at: usize) -> Option<i32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn le_i32(data: &[u8], at: usize) -> Option<i32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Read a little-endian f64 from a slice of at least 8 bytes.
#[inline]
fn le_f64(b: &[u8]) -> f64 {
    let mut a = [0u8; 8];
    if let Some(src) = b.get(..8) {
        a.copy_from_slice(src);
    }
    f64::from_le_bytes(a)
}

/// The header of a `.shp` (or `.shx`) file: shape type and usable length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShpHeader {
    pub shape_type: i32,
    /// End of the records (the declared file length, checked against the data).
    pub end: usize,
}

/// Check the 100-byte header shared by `.shp` and `.shx`.
pub(crate) fn parse_header(data: &[u8], what: &str) -> Result<ShpHeader, Problem> {
    if data.len() < HEADER_LEN {
        return Err(Problem::Corrupt(format!(
            "{what} 文件头不完整（只有 {} 字节，至少应有 100 字节）",
            data.len()
        )));
    }
    if be_i32(data, 0) != Some(FILE_CODE) {
        return Err(Problem::Corrupt(format!(
            "{what} 不是 Shapefile 文件（文件标识不是 9994）"
        )));
    }
    let words = be_i32(data, 24).unwrap_or(0);
    let declared = usize::try_from(words).ok().and_then(|w| w.checked_mul(2));
    let Some(declared) = declared.filter(|d| *d >= HEADER_LEN) else {
        return Err(Problem::Corrupt(format!(
            "{what} 文件头中的文件长度 {words} 无效"
        )));
    };
    if declared > data.len() {
        return Err(Problem::Corrupt(format!(
            "{what} 文件头声明长度 {declared} 字节，实际只有 {} 字节（文件被截断）",
            data.len()
        )));
    }
    let shape_type = le_i32(data, 32).unwrap_or(-1);
    Ok(ShpHeader {
        shape_type,
        end: declared,
    })
}

/// Refuse anything but polygons (a file of only null shapes is accepted).
pub(crate) fn check_polygon_type(shape_type: i32) -> Result<(), Problem> {
    match shape_type {
        NULL_SHAPE | POLYGON | POLYGON_Z | POLYGON_M => Ok(()),
        t => Err(Problem::NotPolygon(shape_type_name(t))),
    }
}

/// Number of records an `.shx` index lists (after its header has been checked).
pub(crate) fn shx_record_count(header: &ShpHeader) -> usize {
    (header.end - HEADER_LEN) / 8
}

/// Decode every record of a `.shp` file. `expected` (the DBF record count)
/// is only a capacity hint.
pub(crate) fn read_shapes(
    data: &[u8],
    header: &ShpHeader,
    expected: usize,
) -> Result<Vec<Shape>, Located> {
    // Each record takes at least 12 bytes: never trust `expected` beyond that.
    let mut shapes = Vec::with_capacity(expected.min((header.end - HEADER_LEN) / 12 + 1));
    let mut scratch = RingScratch::default();
    let mut pos = HEADER_LEN;
    while pos < header.end {
        let row = shapes.len() + 1;
        let content_at = pos + 8;
        if content_at > header.end {
            return Err(Located::row(
                row,
                Problem::Corrupt("记录头不完整（文件被截断）".into()),
            ));
        }
        let words = be_i32(data, pos + 4).unwrap_or(-1);
        let len = usize::try_from(words).ok().and_then(|w| w.checked_mul(2));
        let Some(len) = len else {
            return Err(Located::row(
                row,
                Problem::Corrupt(format!("记录长度 {words} 无效")),
            ));
        };
        let end = content_at.checked_add(len).filter(|e| *e <= header.end);
        let Some(end) = end else {
            return Err(Located::row(
                row,
                Problem::Corrupt(format!("记录长度 {len} 字节超出文件末尾（文件被截断）")),
            ));
        };
        let content = data.get(content_at..end).unwrap_or_default();
        shapes.push(read_record(content, &mut scratch).map_err(|p| Located::row(row, p))?);
        pos = end;
    }
    Ok(shapes)
}

/// Reused per-record buffers, so records do not allocate beyond their geometry.
#[derive(Default)]
struct RingScratch {
    rings: Vec<Ring>,
    outer_of: Vec<Option<usize>>,
}

struct Ring {
    coords: Vec<Coord<f64>>,
    /// Twice the signed area (negative = clockwise = outer ring in a shapefile).
    area2: f64,
    bbox: [f64; 4],
    was_open: bool,
}

fn read_record(content: &[u8], scratch: &mut RingScratch) -> Result<Shape, Problem> {
    let Some(shape_type) = le_i32(content, 0) else {
        return Err(Problem::Corrupt("记录内容不完整".into()));
    };
    match shape_type {
        NULL_SHAPE => return Ok(Shape::default()),
        POLYGON | POLYGON_Z | POLYGON_M => {}
        t => return Err(Problem::NotPolygon(shape_type_name(t))),
    }
    let (Some(num_parts), Some(num_points)) = (le_i32(content, 36), le_i32(content, 40)) else {
        return Err(Problem::Corrupt("面记录内容不完整".into()));
    };
    let (Ok(num_parts), Ok(num_points)) = (usize::try_from(num_parts), usize::try_from(num_points))
    else {
        return Err(Problem::Corrupt(format!(
            "面记录的部分数 {num_parts} 或点数 {num_points} 无效"
        )));
    };
    let parts_at = 44usize;
    let points_at = num_parts
        .checked_mul(4)
        .and_then(|n| n.checked_add(parts_at));
    let needed = points_at.and_then(|p| num_points.checked_mul(16).and_then(|n| n.checked_add(p)));
    let (Some(points_at), Some(needed)) = (points_at, needed) else {
        return Err(Problem::Corrupt("面记录长度溢出".into()));
    };
    if needed > content.len() {
        return Err(Problem::Corrupt(format!(
            "面记录声明 {num_parts} 个部分、{num_points} 个点，需要 {needed} 字节，记录只有 {} 字节",
            content.len()
        )));
    }
    let points = content.get(points_at..needed).unwrap_or_default();

    scratch.rings.clear();
    for k in 0..num_parts {
        let start = le_i32(content, parts_at + 4 * k).unwrap_or(-1);
        let stop = if k + 1 < num_parts {
            le_i32(content, parts_at + 4 * (k + 1)).unwrap_or(-1)
        } else {
            i32::try_from(num_points).unwrap_or(-1)
        };
        let (Ok(start), Ok(stop)) = (usize::try_from(start), usize::try_from(stop)) else {
            return Err(Problem::Corrupt(format!(
                "第 {} 个部分的起点索引无效",
                k + 1
            )));
        };
        if start > stop || stop > num_points || (k == 0 && start != 0) {
            return Err(Problem::Corrupt(format!(
                "部分索引无效（第 {} 个部分从第 {start} 点到第 {stop} 点，共 {num_points} 点）",
                k + 1
            )));
        }
        if start == stop {
            continue;
        }
        let bytes = points.get(start * 16..stop * 16).unwrap_or_default();
        scratch.rings.push(read_ring(bytes)?);
    }
    Ok(assemble(scratch))
}

/// Read one ring: coordinates, closing point if missing, signed area and bbox.
fn read_ring(bytes: &[u8]) -> Result<Ring, Problem> {
    let n = bytes.len() / 16;
    let mut coords = Vec::with_capacity(n + 1);
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in bytes.chunks_exact(16) {
        let x = le_f64(&c[..8]);
        let y = le_f64(&c[8..]);
        if !(x.is_finite() && y.is_finite()) {
            return Err(Problem::NonFiniteCoordinate);
        }
        bbox[0] = bbox[0].min(x);
        bbox[1] = bbox[1].min(y);
        bbox[2] = bbox[2].max(x);
        bbox[3] = bbox[3].max(y);
        coords.push(Coord { x, y });
    }
    let mut was_open = false;
    if let (Some(first), Some(last)) = (coords.first().copied(), coords.last().copied()) {
        if first != last {
            coords.push(first);
            was_open = true;
        }
    }
    let area2 = signed_area2(&coords);
    Ok(Ring {
        coords,
        area2,
        bbox,
        was_open,
    })
}

/// Twice the signed area of a closed ring (positive = counter-clockwise),
/// computed relative to the first vertex so zone-prefixed eastings keep precision.
pub(crate) fn signed_area2(coords: &[Coord<f64>]) -> f64 {
    let Some(o) = coords.first() else { return 0.0 };
    let mut sum = 0.0;
    for w in coords.windows(2) {
        let (a, b) = (w[0], w[1]);
        sum += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
    }
    sum
}

fn bbox_contains(outer: &[f64; 4], inner: &[f64; 4]) -> bool {
    outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3]
}

/// Even-odd point-in-ring test.
fn point_in_ring(p: Coord<f64>, ring: &[Coord<f64>]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > p.y) != (b.y > p.y) {
            let t = (p.y - a.y) / (b.y - a.y);
            if p.x < a.x + t * (b.x - a.x) {
                inside = !inside;
            }
        }
    }
    inside
}

/// Group rings into polygons: clockwise rings are outer rings, the others
/// holes of the smallest outer ring that contains them. A hole no outer ring
/// contains becomes an outer ring itself (as GDAL does).
fn assemble(scratch: &mut RingScratch) -> Shape {
    let n = scratch.rings.len();
    if n == 0 {
        return Shape::default();
    }
    let mut repairs = Vec::new();
    if n == 1 {
        // The common case: one ring, whatever its orientation.
        let ring = scratch
            .rings
            .pop()
            .map(|r| (r.coords, r.was_open))
            .unwrap_or_default();
        if ring.1 {
            repairs.push(Repair::ClosedRing {
                polygon: 0,
                ring: 0,
            });
        }
        let polygon = Polygon::new(LineString(ring.0), Vec::new());
        return Shape {
            geometry: Some(MultiPolygon(vec![polygon])),
            repairs,
        };
    }

    let rings = &scratch.rings;
    let is_outer = |r: &Ring| r.area2 <= 0.0;
    let outers: Vec<usize> = (0..n).filter(|&i| is_outer(&rings[i])).collect();

    // outer_of[i] = Some(outer ring) for holes that found one, None otherwise.
    scratch.outer_of.clear();
    scratch.outer_of.resize(n, None);
    for (i, ring) in rings.iter().enumerate() {
        if is_outer(ring) {
            continue;
        }
        let candidates = outers
            .iter()
            .copied()
            .filter(|&o| bbox_contains(&rings[o].bbox, &ring.bbox));
        let mut best: Option<(usize, bool)> = None; // (outer ring, probe inside it)
        if outers.len() == 1 {
            best = candidates.map(|o| (o, true)).next();
        } else {
            let probe = ring.coords.first().copied().unwrap_or_default();
            for o in candidates {
                let inside = point_in_ring(probe, &rings[o].coords);
                let better = match best {
                    None => true,
                    Some((b, b_inside)) => {
                        (inside && !b_inside)
                            || (inside == b_inside && rings[o].area2.abs() < rings[b].area2.abs())
                    }
                };
                if better {
                    best = Some((o, inside));
                }
            }
        }
        scratch.outer_of[i] = best.map(|(o, _)| o);
    }

    // Polygon number of every ring that starts a polygon, in file order.
    let mut polygon_of = vec![usize::MAX; n];
    let mut count = 0;
    for (slot, outer) in polygon_of.iter_mut().zip(&scratch.outer_of) {
        if outer.is_none() {
            *slot = count;
            count += 1;
        }
    }
    let mut exteriors: Vec<Option<LineString<f64>>> = vec![None; count];
    let mut interiors: Vec<Vec<LineString<f64>>> = vec![Vec::new(); count];
    for (i, ring) in scratch.rings.drain(..).enumerate() {
        let line = LineString(ring.coords);
        match scratch.outer_of[i] {
            None => {
                let p = polygon_of[i];
                if ring.was_open {
                    repairs.push(Repair::ClosedRing {
                        polygon: p,
                        ring: 0,
                    });
                }
                if let Some(slot) = exteriors.get_mut(p) {
                    *slot = Some(line);
                }
            }
            Some(o) => {
                let p = polygon_of[o];
                if let Some(holes) = interiors.get_mut(p) {
                    if ring.was_open {
                        repairs.push(Repair::ClosedRing {
                            polygon: p,
                            ring: holes.len() + 1,
                        });
                    }
                    holes.push(line);
                }
            }
        }
    }
    let polygons = exteriors
        .into_iter()
        .zip(interiors)
        .filter_map(|(ext, holes)| ext.map(|e| Polygon::new(e, holes)))
        .collect();
    Shape {
        geometry: Some(MultiPolygon(polygons)),
        repairs,
    }
}

fn put_i32_be(buf: &mut Vec<u8>, v: i32) {
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_i32_le(buf: &mut Vec<u8>, v: i32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_f64_le(buf: &mut Vec<u8>, v: f64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn set_i32_be(buf: &mut [u8], at: usize, v: i32) {
    if let Some(b) = buf.get_mut(at..at + 4) {
        b.copy_from_slice(&v.to_be_bytes());
    }
}

fn set_f64_le(buf: &mut [u8], at: usize, v: f64) {
    if let Some(b) = buf.get_mut(at..at + 8) {
        b.copy_from_slice(&v.to_le_bytes());
    }
}

/// Write the 100-byte main/index header.
fn write_header(buf: &mut [u8], length_words: i32, shape_type: i32, bbox: [f64; 4]) {
    set_i32_be(buf, 0, FILE_CODE);
    set_i32_be(buf, 24, length_words);
    if let Some(b) = buf.get_mut(28..36) {
        b[..4].copy_from_slice(&1000i32.to_le_bytes());
        b[4..].copy_from_slice(&shape_type.to_le_bytes());
    }
    for (k, v) in bbox.iter().enumerate() {
        set_f64_le(buf, 36 + 8 * k, *v);
    }
    // Z and M ranges (68..100) stay zero.
}

/// A ring to write: its coordinates, whether to write them reversed, and
/// whether the closing point has to be added.
struct OutRing<'a> {
    coords: &'a [Coord<f64>],
    reverse: bool,
    close: bool,
}

impl OutRing<'_> {
    fn len(&self) -> usize {
        self.coords.len() + usize::from(self.close)
    }
}

fn out_ring(coords: &[Coord<f64>], want_clockwise: bool) -> Option<OutRing<'_>> {
    let (first, last) = (coords.first()?, coords.last()?);
    let close = first != last;
    // Relative to the first vertex, an open ring's missing closing edge adds nothing.
    let area2 = signed_area2(coords);
    let clockwise = area2 < 0.0;
    let reverse = area2 != 0.0 && clockwise != want_clockwise;
    Some(OutRing {
        coords,
        reverse,
        close,
    })
}

/// Encode the features' geometries as `.shp` and `.shx` bytes (shape type
/// Polygon). Outer rings are written clockwise, holes counter-clockwise.
pub(crate) fn write_shapes(features: &[Feature]) -> Result<(Vec<u8>, Vec<u8>), Located> {
    let vertices: usize = features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .flat_map(|m| m.0.iter())
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    let mut shp = Vec::with_capacity(HEADER_LEN + features.len() * 60 + vertices * 16);
    shp.resize(HEADER_LEN, 0);
    let mut shx = Vec::with_capacity(HEADER_LEN + features.len() * 8);
    shx.resize(HEADER_LEN, 0);
    let mut file_bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut rings: Vec<OutRing<'_>> = Vec::new();

    for (i, feature) in features.iter().enumerate() {
        let record_number = i32::try_from(i + 1).map_err(|_| Located::file(too_big()))?;
        rings.clear();
        if let Some(mp) = &feature.geometry {
            for polygon in &mp.0 {
                let Some(exterior) = out_ring(&polygon.exterior().0, true) else {
                    continue;
                };
                rings.push(exterior);
                rings.extend(
                    polygon
                        .interiors()
                        .iter()
                        .filter_map(|h| out_ring(&h.0, false)),
                );
            }
        }
        let record_start = shp.len();
        shp.extend_from_slice(&[0u8; 8]);
        if rings.is_empty() {
            put_i32_le(&mut shp, NULL_SHAPE);
        } else {
            let num_points: usize = rings.iter().map(OutRing::len).sum();
            let (Ok(np), Ok(nparts)) = (i32::try_from(num_points), i32::try_from(rings.len()))
            else {
                return Err(Located::row(feature.row, too_big()));
            };
            put_i32_le(&mut shp, POLYGON);
            let bbox_at = shp.len();
            shp.extend_from_slice(&[0u8; 32]);
            put_i32_le(&mut shp, nparts);
            put_i32_le(&mut shp, np);
            let mut start = 0i32;
            for ring in &rings {
                put_i32_le(&mut shp, start);
                start += i32::try_from(ring.len()).unwrap_or(i32::MAX);
            }
            let mut bbox = [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ];
            for ring in &rings {
                let mut push = |c: &Coord<f64>| -> Result<(), Located> {
                    if !(c.x.is_finite() && c.y.is_finite()) {
                        return Err(Located::row(feature.row, Problem::NonFiniteCoordinate));
                    }
                    bbox[0] = bbox[0].min(c.x);
                    bbox[1] = bbox[1].min(c.y);
                    bbox[2] = bbox[2].max(c.x);
                    bbox[3] = bbox[3].max(c.y);
                    put_f64_le(&mut shp, c.x);
                    put_f64_le(&mut shp, c.y);
                    Ok(())
                };
                if ring.reverse {
                    ring.coords.iter().rev().try_for_each(&mut push)?;
                    if ring.close {
                        if let Some(c) = ring.coords.last() {
                            push(c)?;
                        }
                    }
                } else {
                    ring.coords.iter().try_for_each(&mut push)?;
                    if ring.close {
                        if let Some(c) = ring.coords.first() {
                            push(c)?;
                        }
                    }
                }
            }
            for (k, v) in bbox.iter().enumerate() {
                set_f64_le(&mut shp, bbox_at + 8 * k, *v);
            }
            file_bbox[0] = file_bbox[0].min(bbox[0]);
            file_bbox[1] = file_bbox[1].min(bbox[1]);
            file_bbox[2] = file_bbox[2].max(bbox[2]);
            file_bbox[3] = file_bbox[3].max(bbox[3]);
        }
        let content_words = (shp.len() - record_start - 8) / 2;
        let (Ok(content_words), Ok(offset_words)) = (
            i32::try_from(content_words),
            i32::try_from(record_start / 2),
        ) else {
            return Err(Located::file(too_big()));
        };
        set_i32_be(&mut shp, record_start, record_number);
        set_i32_be(&mut shp, record_start + 4, content_words);
        put_i32_be(&mut shx, offset_words);
        put_i32_be(&mut shx, content_words);
    }
    if !file_bbox[0].is_finite() {
        file_bbox = [0.0; 4];
    }
    let (Ok(shp_words), Ok(shx_words)) =
        (i32::try_from(shp.len() / 2), i32::try_from(shx.len() / 2))
    else {
        return Err(Located::file(too_big()));
    };
    write_header(&mut shp, shp_words, POLYGON, file_bbox);
    write_header(&mut shx, shx_words, POLYGON, file_bbox);
    Ok((shp, shx))
}

fn too_big() -> Problem {
    Problem::Write("数据量超过 Shapefile 格式上限（单个 .shp 最大 4GB）".into())
}
