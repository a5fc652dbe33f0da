//! Geometry validation at import: refuse or repair, never silently.
//!
//! Readers record repairs they make while decoding (e.g. closing a ring the
//! file left open) as [`Repair`] values on the feature; validation adds its
//! own. The import summary lists every repair per patch.
//!
//! [`validate`] takes a multipolygon in EPSG:4490 degrees and
//!
//! * **repairs** (and reports): exact consecutive duplicate vertices, and
//!   zero-width spikes A→B→A;
//! * **normalises** ring orientation — exterior counter-clockwise, holes
//!   clockwise — without reporting it (no point moves);
//! * **refuses**, with the place of the problem: an empty geometry, rings of
//!   fewer than 3 distinct points, non-finite coordinates, zero-area rings,
//!   self-intersecting rings (edges crossing, overlapping, or touching at a
//!   vertex that is not their common one), rings of one polygon crossing or
//!   overlapping each other, holes outside their shell or inside another
//!   hole, and parts of a multipolygon whose interiors overlap.
//!
//! Rings of one polygon may touch each other at single points, and parts of
//! a multipolygon may touch or share edges (interiors apart), as in the OGC
//! simple-features model. All predicates are exact (robust orientation).
//!
//! ```
//! use geo_types::{polygon, MultiPolygon};
//! use weipian_geo::validate::{validate, GeometryError, Repair};
//! // Clockwise, with a doubled vertex: repaired and re-oriented.
//! let p = polygon![(x: 104.0, y: 30.0), (x: 104.0, y: 30.01), (x: 104.01, y: 30.01), (x: 104.01, y: 30.01), (x: 104.01, y: 30.0)];
//! let v = validate(MultiPolygon(vec![p])).unwrap();
//! assert_eq!(v.repairs, vec![Repair::DuplicateVertices { removed: 1 }]);
//! // A bow tie is refused, naming the crossing.
//! let bow = polygon![(x: 104.0, y: 30.0), (x: 104.01, y: 30.01), (x: 104.01, y: 30.0), (x: 104.0, y: 30.01)];
//! let err = validate(MultiPolygon(vec![bow])).unwrap_err();
//! assert!(matches!(err, GeometryError::SelfIntersection { .. }));
//! assert_eq!(err.to_string(), "第 1 个面的外环自相交，位置约 (104.00500, 30.00500)");
//! ```

use geo::coordinate_position::{coord_pos_relative_to_ring, CoordPos};
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One change made to a geometry so it could be imported. Recorded per patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "repair", rename_all = "snake_case")]
pub enum Repair {
    /// A ring did not repeat its first point at the end; the closing point was added.
    /// `polygon` and `ring` are 0-based; ring 0 is the outer ring.
    ClosedRing { polygon: usize, ring: usize },
    /// Consecutive identical vertices were removed.
    DuplicateVertices { removed: usize },
    /// Zero-width spikes (an edge going out and straight back) were removed.
    Spikes { removed: usize },
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClosedRing { polygon, ring } => {
                write!(
                    f,
                    "第 {} 个面第 {} 个环未闭合，已补闭合点",
                    polygon + 1,
                    ring + 1
                )
            }
            Self::DuplicateVertices { removed } => write!(f, "删除重复节点 {removed} 个"),
            Self::Spikes { removed } => write!(f, "删除尖刺 {removed} 处"),
        }
    }
}

/// A geometry that passed [`validate`], with the repairs made to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// Exterior rings counter-clockwise, holes clockwise, rings closed.
    pub geometry: MultiPolygon<f64>,
    /// Empty when nothing was changed.
    pub repairs: Vec<Repair>,
}

/// Why a geometry was refused. `polygon` and ring indices are 0-based (ring
/// 0 is the outer ring); messages count from 1. `at` is where to look.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GeometryError {
    #[error("几何为空")]
    Empty,
    #[error("{}的坐标不是有效数值：({x}, {y})", ring_label(*.polygon, *.ring))]
    NonFinite {
        polygon: usize,
        ring: usize,
        x: f64,
        y: f64,
    },
    #[error("{}不同的节点少于 3 个（只有 {distinct} 个）{}", ring_label(*.polygon, *.ring), at_opt(.at.as_ref()))]
    TooFewPoints {
        polygon: usize,
        ring: usize,
        distinct: usize,
        at: Option<Coord<f64>>,
    },
    #[error("{}面积为零（节点全在一条直线上），位置约 {}", ring_label(*.polygon, *.ring), show(.at))]
    ZeroArea {
        polygon: usize,
        ring: usize,
        at: Coord<f64>,
    },
    #[error("{}自相交，位置约 {}", ring_label(*.polygon, *.ring), show(.at))]
    SelfIntersection {
        polygon: usize,
        ring: usize,
        at: Coord<f64>,
    },
    #[error("第 {} 个面的{}与{}相交，位置约 {}", .polygon + 1, ring_name(*.ring_a), ring_name(*.ring_b), show(.at))]
    RingsCross {
        polygon: usize,
        ring_a: usize,
        ring_b: usize,
        at: Coord<f64>,
    },
    #[error("第 {} 个面的{}不在外环之内，位置约 {}", .polygon + 1, ring_name(*.ring), show(.at))]
    HoleOutsideShell {
        polygon: usize,
        ring: usize,
        at: Coord<f64>,
    },
    #[error("第 {} 个面的{}位于{}之内（内环嵌套），位置约 {}", .polygon + 1, ring_name(*.ring), ring_name(*.within), show(.at))]
    NestedHoles {
        polygon: usize,
        ring: usize,
        within: usize,
        at: Coord<f64>,
    },
    #[error("第 {} 个面与第 {} 个面重叠，位置约 {}", .polygon_a + 1, .polygon_b + 1, show(.at))]
    PolygonsOverlap {
        polygon_a: usize,
        polygon_b: usize,
        at: Coord<f64>,
    },
}

impl GeometryError {
    /// Where the problem is, when there is a finite place to show.
    #[must_use]
    pub fn location(&self) -> Option<Coord<f64>> {
        match self {
            Self::Empty => None,
            Self::NonFinite { x, y, .. } => Some(Coord { x: *x, y: *y }),
            Self::TooFewPoints { at, .. } => *at,
            Self::ZeroArea { at, .. }
            | Self::SelfIntersection { at, .. }
            | Self::RingsCross { at, .. }
            | Self::HoleOutsideShell { at, .. }
            | Self::NestedHoles { at, .. }
            | Self::PolygonsOverlap { at, .. } => Some(*at),
        }
    }
}

fn ring_name(ring: usize) -> String {
    if ring == 0 {
        "外环".to_owned()
    } else {
        format!("第 {ring} 个内环")
    }
}

fn ring_label(polygon: usize, ring: usize) -> String {
    format!("第 {} 个面的{}", polygon + 1, ring_name(ring))
}

fn show(c: &Coord<f64>) -> String {
    format!("({:.5}, {:.5})", c.x, c.y)
}

fn at_opt(c: Option<&Coord<f64>>) -> String {
    c.map_or_else(String::new, |c| format!("，位置约 {}", show(c)))
}

/// Polygons with at most this many edges are checked pair by pair.
const PAIRWISE_LIMIT: usize = 40;

/// Checks, repairs and normalises a multipolygon in EPSG:4490 degrees.
///
/// # Errors
/// The first [`GeometryError`] found, with its location.
pub fn validate(mp: MultiPolygon<f64>) -> Result<Validated, GeometryError> {
    if mp.0.is_empty() {
        return Err(GeometryError::Empty);
    }
    let mut dups = 0;
    let mut spikes = 0;
    let mut out = Vec::with_capacity(mp.0.len());
    for (pi, poly) in mp.0.into_iter().enumerate() {
        let (exterior, interiors) = poly.into_inner();
        let mut rings: Vec<Vec<Coord<f64>>> = Vec::with_capacity(1 + interiors.len());
        for (ri, ring) in std::iter::once(exterior).chain(interiors).enumerate() {
            if let Some(c) = ring
                .0
                .iter()
                .find(|c| !(c.x.is_finite() && c.y.is_finite()))
            {
                return Err(GeometryError::NonFinite {
                    polygon: pi,
                    ring: ri,
                    x: c.x,
                    y: c.y,
                });
            }
            let cleaned = clean_ring(ring.0);
            dups += cleaned.duplicates;
            spikes += cleaned.spikes;
            let pts = cleaned.points;
            if pts.len() < 3 {
                let mut distinct = pts.clone();
                distinct.dedup();
                return Err(GeometryError::TooFewPoints {
                    polygon: pi,
                    ring: ri,
                    distinct: distinct.len(),
                    at: pts.first().copied(),
                });
            }
            if all_collinear(&pts) {
                return Err(GeometryError::ZeroArea {
                    polygon: pi,
                    ring: ri,
                    at: pts[0],
                });
            }
            rings.push(pts);
        }
        let touching = check_rings(pi, &rings)?;
        // Orientation: exterior CCW, holes CW.
        for (ri, pts) in rings.iter_mut().enumerate() {
            if is_ccw(pts) != (ri == 0) {
                // Reverse, keeping the first vertex first.
                pts[1..].reverse();
            }
        }
        let mut closed = rings.into_iter().map(|mut pts| {
            pts.push(pts[0]);
            LineString(pts)
        });
        let exterior = closed.next().unwrap_or_else(|| LineString(Vec::new()));
        let poly = Polygon::new(exterior, closed.collect());
        check_holes(pi, &poly, &touching)?;
        out.push(poly);
    }
    check_parts(&out)?;
    let mut repairs = Vec::new();
    if dups > 0 {
        repairs.push(Repair::DuplicateVertices { removed: dups });
    }
    if spikes > 0 {
        repairs.push(Repair::Spikes { removed: spikes });
    }
    Ok(Validated {
        geometry: MultiPolygon(out),
        repairs,
    })
}

struct Cleaned {
    /// Open ring (first point not repeated).
    points: Vec<Coord<f64>>,
    duplicates: usize,
    spikes: usize,
}

/// Removes the closing point, consecutive duplicates and A→B→A spikes
/// (cyclically).
fn clean_ring(mut raw: Vec<Coord<f64>>) -> Cleaned {
    if raw.len() >= 2 && raw.first() == raw.last() {
        raw.pop();
    }
    let mut duplicates = 0;
    let mut spikes = 0;
    let mut st: Vec<Coord<f64>> = Vec::with_capacity(raw.len() + 1);
    for p in raw {
        let n = st.len();
        if n >= 1 && st[n - 1] == p {
            duplicates += 1;
        } else if n >= 2 && st[n - 2] == p {
            st.pop();
            spikes += 1;
        } else {
            st.push(p);
        }
    }
    // Where the ring wraps around.
    loop {
        let n = st.len();
        if n >= 2 && st[0] == st[n - 1] {
            st.pop();
            duplicates += 1;
        } else if n >= 3 && st[n - 2] == st[0] {
            // …, A, T | A, …: the last vertex is a spike tip.
            st.truncate(n - 2);
            spikes += 1;
        } else if n >= 3 && st[n - 1] == st[1] {
            // …, A | T, A, …: the first vertex is a spike tip.
            st.drain(0..2);
            spikes += 1;
        } else {
            break;
        }
    }
    Cleaned {
        points: st,
        duplicates,
        spikes,
    }
}

#[inline]
fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Orientation {
    RobustKernel::orient2d(p, q, r)
}

fn all_collinear(pts: &[Coord<f64>]) -> bool {
    // pts[0] != pts[1] after cleaning.
    pts[2..]
        .iter()
        .all(|&r| orient(pts[0], pts[1], r) == Orientation::Collinear)
}

/// Orientation of a simple ring from its lowest (then leftmost) vertex,
/// which is convex.
fn is_ccw(pts: &[Coord<f64>]) -> bool {
    let n = pts.len();
    let mut m = 0;
    for (i, p) in pts.iter().enumerate() {
        let q = pts[m];
        if p.y < q.y || (p.y == q.y && p.x < q.x) {
            m = i;
        }
    }
    let prev = pts[(m + n - 1) % n];
    let next = pts[(m + 1) % n];
    orient(prev, pts[m], next) == Orientation::CounterClockwise
}

/// An edge for the intersection sweep.
#[derive(Clone, Copy)]
struct Edge {
    a: Coord<f64>,
    b: Coord<f64>,
    /// Ring (or polygon) tag and index within the ring.
    tag: u32,
    idx: u32,
    ymin: f64,
    ymax: f64,
    xmin: f64,
    xmax: f64,
}

impl Edge {
    fn new(a: Coord<f64>, b: Coord<f64>, tag: u32, idx: u32) -> Self {
        Self {
            a,
            b,
            tag,
            idx,
            ymin: a.y.min(b.y),
            ymax: a.y.max(b.y),
            xmin: a.x.min(b.x),
            xmax: a.x.max(b.x),
        }
    }
}

/// How two segments meet.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Meet {
    /// Interiors cross at a single point.
    Cross(Coord<f64>),
    /// One segment's endpoint lies on the other (no crossing).
    Touch(Coord<f64>),
    /// Collinear with an overlap of positive length, starting here.
    Overlap(Coord<f64>),
}

/// Is `r` (collinear with p–q) within the closed segment p–q?
#[inline]
fn within(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> bool {
    r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
}

fn crossing_point(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> Coord<f64> {
    let d = (p2.x - p1.x) * (q2.y - q1.y) - (p2.y - p1.y) * (q2.x - q1.x);
    if d == 0.0 {
        return p1;
    }
    let t = ((q1.x - p1.x) * (q2.y - q1.y) - (q1.y - p1.y) * (q2.x - q1.x)) / d;
    let t = t.clamp(0.0, 1.0);
    Coord {
        x: p1.x + t * (p2.x - p1.x),
        y: p1.y + t * (p2.y - p1.y),
    }
}

/// Exact classification of two segments (bboxes assumed to overlap).
fn meet(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> Option<Meet> {
    use Orientation::Collinear;
    let o1 = orient(p1, p2, q1);
    let o2 = orient(p1, p2, q2);
    if o1 == o2 && o1 != Collinear {
        return None;
    }
    let o3 = orient(q1, q2, p1);
    let o4 = orient(q1, q2, p2);
    if o3 == o4 && o3 != Collinear {
        return None;
    }
    if o1 != Collinear && o2 != Collinear && o3 != Collinear && o4 != Collinear {
        return Some(Meet::Cross(crossing_point(p1, p2, q1, q2)));
    }
    if o1 == Collinear && o2 == Collinear {
        // Collinear: order along the dominant axis.
        let key = |c: Coord<f64>| {
            if (p2.x - p1.x).abs() >= (p2.y - p1.y).abs() {
                c.x
            } else {
                c.y
            }
        };
        let (pa, pb) = if key(p1) <= key(p2) {
            (p1, p2)
        } else {
            (p2, p1)
        };
        let (qa, qb) = if key(q1) <= key(q2) {
            (q1, q2)
        } else {
            (q2, q1)
        };
        let start = if key(pa) >= key(qa) { pa } else { qa };
        let end = if key(pb) <= key(qb) { pb } else { qb };
        return match key(start).partial_cmp(&key(end)) {
            Some(std::cmp::Ordering::Less) => Some(Meet::Overlap(start)),
            Some(std::cmp::Ordering::Equal) => Some(Meet::Touch(start)),
            _ => None,
        };
    }
    if o1 == Collinear && within(p1, p2, q1) {
        return Some(Meet::Touch(q1));
    }
    if o2 == Collinear && within(p1, p2, q2) {
        return Some(Meet::Touch(q2));
    }
    if o3 == Collinear && within(q1, q2, p1) {
        return Some(Meet::Touch(p1));
    }
    if o4 == Collinear && within(q1, q2, p2) {
        return Some(Meet::Touch(p2));
    }
    None
}

/// Calls `f` for every pair of edges whose bboxes overlap, until it returns
/// an error. Small sets are checked pair by pair; larger ones are sorted by
/// their lower y and swept.
fn for_each_candidate_pair<E>(
    edges: &mut [Edge],
    mut f: impl FnMut(&Edge, &Edge) -> Result<(), E>,
) -> Result<(), E> {
    let overlap = |e: &Edge, g: &Edge| {
        e.xmin <= g.xmax && g.xmin <= e.xmax && e.ymin <= g.ymax && g.ymin <= e.ymax
    };
    if edges.len() <= PAIRWISE_LIMIT {
        for i in 0..edges.len() {
            for j in i + 1..edges.len() {
                if overlap(&edges[i], &edges[j]) {
                    f(&edges[i], &edges[j])?;
                }
            }
        }
        return Ok(());
    }
    edges.sort_unstable_by(|a, b| a.ymin.total_cmp(&b.ymin));
    for i in 0..edges.len() {
        let e = edges[i];
        for g in &edges[i + 1..] {
            if g.ymin > e.ymax {
                break;
            }
            if g.xmin <= e.xmax && e.xmin <= g.xmax {
                f(&e, g)?;
            }
        }
    }
    Ok(())
}

/// Self-intersections of each ring and crossings between rings of one
/// polygon. Returns the pairs of rings that touch (at single points).
fn check_rings(pi: usize, rings: &[Vec<Coord<f64>>]) -> Result<Vec<(usize, usize)>, GeometryError> {
    let total: usize = rings.iter().map(Vec::len).sum();
    let mut edges = Vec::with_capacity(total);
    for (ri, pts) in rings.iter().enumerate() {
        let n = pts.len();
        for i in 0..n {
            // Ring and vertex counts of real data fit in u32; saturate otherwise
            // (only adjacency tests would be affected).
            edges.push(Edge::new(
                pts[i],
                pts[(i + 1) % n],
                u32::try_from(ri).unwrap_or(u32::MAX),
                u32::try_from(i).unwrap_or(u32::MAX),
            ));
        }
    }
    let len_of = |ri: u32| rings.get(ri as usize).map_or(0, Vec::len);
    let mut touching: Vec<(usize, usize)> = Vec::new();
    for_each_candidate_pair(&mut edges, |e, g| {
        if e.tag == g.tag {
            let n = len_of(e.tag);
            let (i, j) = (e.idx.min(g.idx) as usize, e.idx.max(g.idx) as usize);
            let adjacent = j == i + 1 || (i == 0 && j + 1 == n);
            if adjacent {
                // Edges (a, v) and (v, c): only a fold-back is a problem.
                let (first, second) = if j == i + 1 {
                    if e.idx as usize == i {
                        (e, g)
                    } else {
                        (g, e)
                    }
                } else if e.idx as usize == j {
                    (e, g)
                } else {
                    (g, e)
                };
                let (a, v, c) = (first.a, first.b, second.b);
                let folds = orient(a, v, c) == Orientation::Collinear
                    && (a.x - v.x) * (c.x - v.x) + (a.y - v.y) * (c.y - v.y) > 0.0;
                // A 3-vertex ring has every pair adjacent; fold-backs there are zero-area rings, caught earlier.
                if folds {
                    return Err(GeometryError::SelfIntersection {
                        polygon: pi,
                        ring: e.tag as usize,
                        at: v,
                    });
                }
                return Ok(());
            }
            return match meet(e.a, e.b, g.a, g.b) {
                Some(Meet::Cross(at) | Meet::Touch(at) | Meet::Overlap(at)) => {
                    Err(GeometryError::SelfIntersection {
                        polygon: pi,
                        ring: e.tag as usize,
                        at,
                    })
                }
                None => Ok(()),
            };
        }
        let (a, b) = (e.tag.min(g.tag) as usize, e.tag.max(g.tag) as usize);
        match meet(e.a, e.b, g.a, g.b) {
            Some(Meet::Cross(at) | Meet::Overlap(at)) => Err(GeometryError::RingsCross {
                polygon: pi,
                ring_a: a,
                ring_b: b,
                at,
            }),
            Some(Meet::Touch(_)) => {
                touching.push((a, b));
                Ok(())
            }
            None => Ok(()),
        }
    })?;
    touching.sort_unstable();
    touching.dedup();
    Ok(touching)
}

/// Where a point lies relative to a polygon (holes excluded).
fn position_in_polygon(poly: &Polygon<f64>, c: Coord<f64>) -> CoordPos {
    match coord_pos_relative_to_ring(c, poly.exterior()) {
        CoordPos::Inside => {
            for h in poly.interiors() {
                match coord_pos_relative_to_ring(c, h) {
                    CoordPos::Inside => return CoordPos::Outside,
                    CoordPos::OnBoundary => return CoordPos::OnBoundary,
                    CoordPos::Outside => {}
                }
            }
            CoordPos::Inside
        }
        other => other,
    }
}

/// Vertices, then edge midpoints, of a closed ring.
fn samples(ring: &LineString<f64>) -> impl Iterator<Item = Coord<f64>> + '_ {
    let n = ring.0.len().saturating_sub(1);
    ring.0[..n]
        .iter()
        .copied()
        .chain(ring.0.windows(2).map(|w| Coord {
            x: (w[0].x + w[1].x) / 2.0,
            y: (w[0].y + w[1].y) / 2.0,
        }))
}

/// The first sample point of `ring` strictly inside or outside `other`.
fn decisive(ring: &LineString<f64>, other: &LineString<f64>) -> Option<(Coord<f64>, CoordPos)> {
    samples(ring)
        .map(|c| (c, coord_pos_relative_to_ring(c, other)))
        .find(|(_, p)| *p != CoordPos::OnBoundary)
}

fn bbox_of(ring: &LineString<f64>) -> (f64, f64, f64, f64) {
    ring.0.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), p| (a.min(p.x), b.min(p.y), c.max(p.x), d.max(p.y)),
    )
}

fn boxes_overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 <= b.2 && b.0 <= a.2 && a.1 <= b.3 && b.1 <= a.3
}

/// Holes inside their shell and not inside each other. Rings do not cross
/// (checked before), so one decisive sample point settles where a hole lies
/// — unless the two rings touch, when the hole could leave through the
/// touching point: then every vertex and edge midpoint is tested.
fn check_holes(
    pi: usize,
    poly: &Polygon<f64>,
    touching: &[(usize, usize)],
) -> Result<(), GeometryError> {
    let holes = poly.interiors();
    if holes.is_empty() {
        return Ok(());
    }
    let touches = |a: usize, b: usize| touching.binary_search(&(a.min(b), a.max(b))).is_ok();
    for (k, h) in holes.iter().enumerate() {
        let outside = if touches(0, k + 1) {
            samples(h)
                .find(|&c| coord_pos_relative_to_ring(c, poly.exterior()) == CoordPos::Outside)
        } else {
            decisive(h, poly.exterior())
                .filter(|(_, p)| *p == CoordPos::Outside)
                .map(|(c, _)| c)
        };
        if let Some(at) = outside {
            return Err(GeometryError::HoleOutsideShell {
                polygon: pi,
                ring: k + 1,
                at,
            });
        }
    }
    let boxes: Vec<_> = holes.iter().map(bbox_of).collect();
    let mut order: Vec<usize> = (0..holes.len()).collect();
    order.sort_unstable_by(|&a, &b| boxes[a].1.total_cmp(&boxes[b].1));
    for (oi, &j) in order.iter().enumerate() {
        for &k in &order[oi + 1..] {
            if boxes[k].1 > boxes[j].3 {
                break;
            }
            if !boxes_overlap(boxes[j], boxes[k]) {
                continue;
            }
            for (inner, outer) in [(k, j), (j, k)] {
                let inside = if touches(inner + 1, outer + 1) {
                    samples(&holes[inner])
                        .find(|&c| coord_pos_relative_to_ring(c, &holes[outer]) == CoordPos::Inside)
                } else {
                    decisive(&holes[inner], &holes[outer])
                        .filter(|(_, p)| *p == CoordPos::Inside)
                        .map(|(c, _)| c)
                };
                if let Some(at) = inside {
                    return Err(GeometryError::NestedHoles {
                        polygon: pi,
                        ring: inner + 1,
                        within: outer + 1,
                        at,
                    });
                }
            }
            // Identical holes: every sample on the other's boundary.
            if decisive(&holes[j], &holes[k]).is_none() {
                return Err(GeometryError::NestedHoles {
                    polygon: pi,
                    ring: k.max(j) + 1,
                    within: k.min(j) + 1,
                    at: holes[k].0[0],
                });
            }
        }
    }
    Ok(())
}

/// Parts of a multipolygon must not overlap.
fn check_parts(polys: &[Polygon<f64>]) -> Result<(), GeometryError> {
    if polys.len() < 2 {
        return Ok(());
    }
    let boxes: Vec<_> = polys.iter().map(|p| bbox_of(p.exterior())).collect();
    let mut order: Vec<usize> = (0..polys.len()).collect();
    order.sort_unstable_by(|&a, &b| boxes[a].1.total_cmp(&boxes[b].1));
    for (oi, &a) in order.iter().enumerate() {
        for &b in &order[oi + 1..] {
            if boxes[b].1 > boxes[a].3 {
                break;
            }
            if boxes_overlap(boxes[a], boxes[b]) {
                check_pair(a.min(b), a.max(b), &polys[a.min(b)], &polys[a.max(b)])?;
            }
        }
    }
    Ok(())
}

fn check_pair(
    ia: usize,
    ib: usize,
    pa: &Polygon<f64>,
    pb: &Polygon<f64>,
) -> Result<(), GeometryError> {
    let overlap = |at| GeometryError::PolygonsOverlap {
        polygon_a: ia,
        polygon_b: ib,
        at,
    };
    // 1. Edges crossing.
    let mut edges = Vec::new();
    for (tag, p) in [(0_u32, pa), (1, pb)] {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for w in ring.0.windows(2) {
                edges.push(Edge::new(w[0], w[1], tag, 0));
            }
        }
    }
    for_each_candidate_pair(&mut edges, |e, g| {
        match (e.tag != g.tag).then(|| meet(e.a, e.b, g.a, g.b)).flatten() {
            Some(Meet::Cross(at)) => Err(overlap(at)),
            _ => Ok(()),
        }
    })?;
    // 2. A vertex or edge midpoint of one strictly inside the other.
    for (p, q) in [(pa, pb), (pb, pa)] {
        for ring in std::iter::once(q.exterior()).chain(q.interiors()) {
            if let Some(at) = samples(ring).find(|&c| position_in_polygon(p, c) == CoordPos::Inside)
            {
                return Err(overlap(at));
            }
        }
    }
    // 3. Same outline (every sample on the boundary): compare an interior point.
    use geo::InteriorPoint;
    for (p, q) in [(pa, pb), (pb, pa)] {
        if let Some(ip) = q.interior_point() {
            if position_in_polygon(p, ip.0) == CoordPos::Inside {
                return Err(overlap(ip.0));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
