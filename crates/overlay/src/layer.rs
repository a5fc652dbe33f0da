//! [`LayerIndex`]: a reference layer's features, normalised in place, with
//! per-feature boxes, areas and classes, a packed R-tree over the boxes,
//! and y-band edge indexes for features with many vertices.

use geo_types::{LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use weipian_geo::area::ring_area;

use crate::predicates::{planar_signed_area2, winding_edge, BBox, Loc, C};
use crate::rtree::PackedRTree;

/// Features with more vertices than this get a y-band edge index.
pub(crate) const BIG_VERTICES: u32 = 64;

/// One feature of a layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Feat {
    pub bbox: BBox,
    /// Official area, m².
    pub area: f64,
    /// Its index in the layer.
    pub id: u32,
    /// Its rings' areas: `ring_lo..ring_hi` in [`LayerIndex::ring_area`].
    pub ring_lo: u32,
    pub ring_hi: u32,
    /// Vertices (closing points included).
    pub nverts: u32,
    pub class: u16,
    /// Index into [`LayerIndex::bands`], or `u32::MAX`.
    pub bands: u32,
}

/// The edges of one big feature, bucketed by horizontal bands of equal
/// height, over a flat copy of its rings.
#[derive(Debug, Clone)]
pub(crate) struct Bands {
    xy: Vec<C>,
    y0: f64,
    /// Bands per degree of latitude.
    scale: f64,
    n: usize,
    off: Vec<u32>,
    /// Position in `xy` of each edge's first point.
    edges: Vec<u32>,
    /// Box of each ring of the feature.
    pub ring_bbox: Vec<BBox>,
}

impl Bands {
    #[inline]
    fn band(&self, y: f64) -> usize {
        let b = (y - self.y0) * self.scale;
        if b <= 0.0 || b.is_nan() {
            0
        } else {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let b = b as usize;
            b.min(self.n - 1)
        }
    }

    fn build(mp: &MultiPolygon<f64>, bbox: &BBox) -> Self {
        let mut xy = Vec::new();
        let mut starts = Vec::new();
        let mut ring_bbox = Vec::new();
        for ring in rings_of(mp) {
            starts.push(xy.len());
            xy.extend_from_slice(ring);
            ring_bbox.push(BBox::of_points(ring));
        }
        starts.push(xy.len());
        let edge_starts = || {
            starts
                .windows(2)
                .flat_map(|w| w[0]..w[1].saturating_sub(1).max(w[0]))
        };
        let nedges = edge_starts().count();
        let n = (nedges / 2).clamp(1, 1 << 20);
        let h = bbox.y1 - bbox.y0;
        #[allow(clippy::cast_precision_loss)]
        let scale = if h > 0.0 { n as f64 / h } else { 0.0 };
        let mut me = Self {
            xy,
            y0: bbox.y0,
            scale,
            n,
            off: vec![0; n + 1],
            edges: Vec::new(),
            ring_bbox,
        };
        for e in edge_starts() {
            let (a, b) = (me.xy[e], me.xy[e + 1]);
            let (b0, b1) = (me.band(a.y.min(b.y)), me.band(a.y.max(b.y)));
            for k in b0..=b1 {
                me.off[k + 1] += 1;
            }
        }
        for k in 0..n {
            me.off[k + 1] += me.off[k];
        }
        let mut fill = me.off.clone();
        me.edges = vec![0; me.off[n] as usize];
        for e in edge_starts() {
            let (a, b) = (me.xy[e], me.xy[e + 1]);
            let (b0, b1) = (me.band(a.y.min(b.y)), me.band(a.y.max(b.y)));
            for slot in &mut fill[b0..=b1] {
                me.edges[*slot as usize] = u32::try_from(e).unwrap_or(u32::MAX);
                *slot += 1;
            }
        }
        me
    }

    /// Calls `f(a, b)` once for every edge whose box meets `r`, until `f`
    /// returns `true`; returns whether it did.
    #[inline]
    pub(crate) fn any_edge_in(&self, r: &BBox, mut f: impl FnMut(C, C) -> bool) -> bool {
        let (b0, b1) = (self.band(r.y0), self.band(r.y1));
        for k in b0..=b1 {
            for &e in &self.edges[self.off[k] as usize..self.off[k + 1] as usize] {
                let e = e as usize;
                let (a, b) = (self.xy[e], self.xy[e + 1]);
                // Report each edge in the first band both it and `r` cover.
                if self.band(a.y.min(b.y)).max(b0) != k {
                    continue;
                }
                if BBox::of_segment(a, b).intersects(r) && f(a, b) {
                    return true;
                }
            }
        }
        false
    }

    /// Point location by the winding rule over the band's edges.
    pub(crate) fn locate(&self, p: C) -> Loc {
        let k = self.band(p.y);
        let mut w = 0;
        for &e in &self.edges[self.off[k] as usize..self.off[k + 1] as usize] {
            let e = e as usize;
            if winding_edge(p, self.xy[e], self.xy[e + 1], &mut w) {
                return Loc::Boundary;
            }
        }
        if w != 0 {
            Loc::Inside
        } else {
            Loc::Outside
        }
    }
}

/// The rings of a multipolygon as slices, polygon by polygon, outer first.
#[inline]
fn rings_of(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &[C]> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.as_slice())
}

/// A reference layer prepared for overlay: an R-tree over feature boxes,
/// each feature tagged with a class (e.g. 0 = 水田, 1 = 水浇地, 2 = 旱地 for
/// 耕地; 0 for layers without classes) and known by its index in the input.
///
/// The index keeps the features' geometry, normalised in place (rings
/// closed, outer rings counter-clockwise, holes clockwise, rings of fewer
/// than three distinct points removed — nothing is copied). Each feature's
/// and each ring's official area is computed here, in parallel. Features
/// with more than 64 vertices (nature reserves, red-line polygons, county
/// outlines) also get an edge index by latitude bands, which makes their
/// point-in-polygon tests and edge lookups cost a few edges instead of
/// thousands.
///
/// Features are assumed valid in the OGC sense (as import validation makes
/// them); features may overlap each other freely. Features without any
/// usable ring or with non-finite coordinates cannot take part: they are
/// listed by [`LayerIndex::skipped`] so the caller can report them.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use weipian_overlay::LayerIndex;
/// let a = polygon![(x: 104.0, y: 30.0), (x: 104.01, y: 30.0), (x: 104.01, y: 30.01), (x: 104.0, y: 30.01)];
/// let layer = LayerIndex::new(vec![(MultiPolygon(vec![a]), 0), (MultiPolygon(vec![]), 1)]);
/// assert_eq!(layer.len(), 2);
/// assert_eq!(layer.skipped(), &[1]);
/// assert_eq!(layer.class(0), Some(0));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LayerIndex {
    geoms: Vec<MultiPolygon<f64>>,
    /// Signed official area of each ring: + outer, − hole; each feature's
    /// rings consecutive, in the order of [`rings_of`].
    pub(crate) ring_area: Vec<f64>,
    pub(crate) feats: Vec<Feat>,
    pub(crate) bands: Vec<Bands>,
    pub(crate) tree: PackedRTree,
    skipped: Vec<usize>,
}

/// What the parallel pass learns about one feature.
struct Prepared {
    ok: bool,
    bbox: BBox,
    nverts: usize,
    /// Official area of the first ring (an outer ring).
    first: f64,
    /// Signed official areas of the other rings.
    more: Vec<f64>,
}

/// Vertices of a ring without its closing duplicate.
fn open_len(ring: &LineString<f64>) -> usize {
    match ring.0.as_slice() {
        [first, .., last] if first == last => ring.0.len() - 1,
        pts => pts.len(),
    }
}

/// Orients `ring` counter-clockwise when `ccw`, else clockwise.
fn orient_ring(ring: &mut LineString<f64>, ccw: bool) {
    let s = planar_signed_area2(&ring.0);
    if s != 0.0 && (s > 0.0) != ccw {
        ring.0.reverse();
    }
}

/// Normalises a feature in place; `false` if it is unusable (non-finite
/// coordinates, or no ring of three or more vertices).
fn normalise(mp: &mut MultiPolygon<f64>) -> bool {
    let finite = rings_of(mp).all(|r| r.iter().all(|c| c.x.is_finite() && c.y.is_finite()));
    if !finite {
        return false;
    }
    // Degenerate rings are rare: rebuild only then.
    let degenerate =
        mp.0.iter()
            .any(|p| open_len(p.exterior()) < 3 || p.interiors().iter().any(|h| open_len(h) < 3));
    if degenerate {
        let polys = std::mem::take(&mut mp.0);
        mp.0 = polys
            .into_iter()
            .filter(|p| open_len(p.exterior()) >= 3)
            .map(|p| {
                let (ext, holes) = p.into_inner();
                Polygon::new(
                    ext,
                    holes.into_iter().filter(|h| open_len(h) >= 3).collect(),
                )
            })
            .collect();
    }
    for p in &mut mp.0 {
        // Both closures re-close the rings (geo_types keeps polygons closed).
        p.exterior_mut(|r| orient_ring(r, true));
        p.interiors_mut(|hs| hs.iter_mut().for_each(|h| orient_ring(h, false)));
    }
    !mp.0.is_empty()
}

impl LayerIndex {
    /// Prepares a layer. `features[i]` becomes feature `i`: its geometry
    /// (EPSG:4490, x = longitude) and its class.
    #[must_use]
    pub fn new(features: Vec<(MultiPolygon<f64>, u16)>) -> Self {
        let n = features.len();
        let (mut geoms, classes): (Vec<MultiPolygon<f64>>, Vec<u16>) = features.into_iter().unzip();
        // Per feature: usable, box, vertex count, the first ring's area and
        // (rarely) the other rings' signed areas.
        let prepared: Vec<Prepared> = geoms
            .par_iter_mut()
            .map(|mp| {
                let mut p = Prepared {
                    ok: normalise(mp),
                    bbox: BBox::EMPTY,
                    nverts: 0,
                    first: 0.0,
                    more: Vec::new(),
                };
                if !p.ok {
                    return p;
                }
                for (k, poly) in mp.0.iter().enumerate() {
                    let a = ring_area(poly.exterior());
                    if k == 0 {
                        p.first = a;
                    } else {
                        p.more.push(a);
                    }
                    p.more
                        .extend(poly.interiors().iter().map(|h| -ring_area(h)));
                    for c in &poly.exterior().0 {
                        p.bbox.add(*c);
                    }
                    p.nverts += poly.exterior().0.len()
                        + poly.interiors().iter().map(|h| h.0.len()).sum::<usize>();
                }
                p
            })
            .collect();
        let mut ring_area_v = Vec::with_capacity(n + n / 16);
        let mut feats = Vec::with_capacity(n);
        let mut skipped = Vec::new();
        for (i, p) in prepared.into_iter().enumerate() {
            let lo = u32::try_from(ring_area_v.len()).unwrap_or(u32::MAX);
            if p.ok {
                ring_area_v.push(p.first);
                ring_area_v.extend_from_slice(&p.more);
            }
            let ids = (
                u32::try_from(i),
                u32::try_from(ring_area_v.len()),
                u32::try_from(p.nverts),
            );
            let usable =
                p.ok && p.bbox.is_finite() && ids.0.is_ok() && ids.1.is_ok() && ids.2.is_ok();
            if !usable {
                skipped.push(i);
            }
            feats.push(Feat {
                bbox: if usable { p.bbox } else { BBox::EMPTY },
                area: p.first + p.more.iter().sum::<f64>(),
                id: ids.0.unwrap_or(u32::MAX),
                ring_lo: lo,
                ring_hi: ids.1.unwrap_or(lo),
                nverts: ids.2.unwrap_or(0),
                class: classes[i],
                bands: u32::MAX,
            });
        }
        let big: Vec<usize> = (0..n)
            .filter(|&i| feats[i].nverts > BIG_VERTICES && feats[i].bbox.is_finite())
            .collect();
        let bands: Vec<Bands> = big
            .par_iter()
            .map(|&i| Bands::build(&geoms[i], &feats[i].bbox))
            .collect();
        for (k, &i) in big.iter().enumerate() {
            feats[i].bands = u32::try_from(k).unwrap_or(u32::MAX);
        }
        let items: Vec<(u32, BBox)> = feats
            .iter()
            .filter(|f| f.bbox.is_finite())
            .map(|f| (f.id, f.bbox))
            .collect();
        Self {
            geoms,
            ring_area: ring_area_v,
            feats,
            bands,
            tree: PackedRTree::build(items),
            skipped,
        }
    }

    /// Number of features (including skipped ones).
    #[must_use]
    pub fn len(&self) -> usize {
        self.feats.len()
    }

    /// Whether the layer has no features.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.feats.is_empty()
    }

    /// Indices of features that cannot take part in overlays (no ring of
    /// three or more vertices, or non-finite coordinates), sorted.
    #[must_use]
    pub fn skipped(&self) -> &[usize] {
        &self.skipped
    }

    /// The class of feature `i`.
    #[must_use]
    pub fn class(&self, i: usize) -> Option<u16> {
        self.feats.get(i).map(|f| f.class)
    }

    /// The official area of feature `i`, m² (0 for a skipped feature).
    #[must_use]
    pub fn area(&self, i: usize) -> Option<f64> {
        self.feats.get(i).map(|f| f.area)
    }

    /// The geometry of feature `i` as the index holds it (normalised).
    #[must_use]
    pub fn geometry(&self, i: usize) -> Option<&MultiPolygon<f64>> {
        self.geoms.get(i)
    }

    /// The rings of feature `f` (closed slices) with their numbers in
    /// [`Self::ring_area`].
    #[inline]
    pub(crate) fn rings(&self, f: &Feat) -> impl Iterator<Item = (usize, &[C])> + '_ {
        let (geom, lo) = (self.geoms.get(f.id as usize), f.ring_lo as usize);
        geom.into_iter()
            .flat_map(rings_of)
            .enumerate()
            .map(move |(k, r)| (lo + k, r))
    }

    /// Point location in feature `f`.
    pub(crate) fn locate(&self, f: &Feat, p: C) -> Loc {
        if !f.bbox.contains_point(p) {
            return Loc::Outside;
        }
        if let Some(b) = self.bands.get(f.bands as usize) {
            return b.locate(p);
        }
        crate::predicates::locate_in_rings(p, self.rings(f).map(|(_, r)| r))
    }

    /// The box of the `k`-th ring of feature `f`.
    pub(crate) fn ring_bbox(&self, f: &Feat, k: usize, ring: &[C]) -> BBox {
        match self.bands.get(f.bands as usize) {
            Some(b) => b.ring_bbox[k],
            None if f.ring_hi - f.ring_lo == 1 => f.bbox,
            None => BBox::of_points(ring),
        }
    }

    /// Calls `g(a, b)` for the feature's edges whose boxes meet `r` until it
    /// returns `true`; returns whether it did.
    pub(crate) fn any_edge_in(&self, f: &Feat, r: &BBox, mut g: impl FnMut(C, C) -> bool) -> bool {
        if let Some(b) = self.bands.get(f.bands as usize) {
            return b.any_edge_in(r, g);
        }
        for (_, ring) in self.rings(f) {
            for e in ring.windows(2) {
                if BBox::of_segment(e[0], e[1]).intersects(r) && g(e[0], e[1]) {
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, polygon, Polygon};

    #[test]
    fn build_normalises_and_indexes() {
        // Clockwise outer ring with a counter-clockwise hole, and a big feature.
        let cw = Polygon::new(
            LineString::from(vec![
                (104.0, 30.0),
                (104.0, 30.01),
                (104.01, 30.01),
                (104.01, 30.0),
            ]),
            vec![LineString::from(vec![
                (104.002, 30.002),
                (104.004, 30.002),
                (104.004, 30.004),
                (104.002, 30.004),
            ])],
        );
        let n = 500;
        let circle: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = f64::from(i) / f64::from(n) * std::f64::consts::TAU;
                (105.0 + 0.1 * t.cos(), 31.0 + 0.1 * t.sin())
            })
            .collect();
        let big = Polygon::new(LineString::from(circle), vec![]);
        let sq = polygon![(x: 106.0, y: 30.0), (x: 106.01, y: 30.0), (x: 106.01, y: 30.01), (x: 106.0, y: 30.01)];
        let nan = polygon![(x: f64::NAN, y: 30.0), (x: 106.01, y: 30.0), (x: 106.01, y: 30.01)];
        let layer = LayerIndex::new(vec![
            (MultiPolygon(vec![cw.clone()]), 0),
            (MultiPolygon(vec![big.clone()]), 1),
            (MultiPolygon(vec![sq]), 2),
            (MultiPolygon(vec![nan]), 2),
        ]);
        assert_eq!(layer.skipped(), &[3]);
        let f0 = layer.feats[0];
        assert_eq!(f0.ring_hi - f0.ring_lo, 2);
        assert_eq!(f0.nverts, 10);
        let rings: Vec<&[C]> = layer.rings(&f0).map(|(_, r)| r).collect();
        assert!(planar_signed_area2(rings[0]) > 0.0);
        assert!(planar_signed_area2(rings[1]) < 0.0);
        let want = weipian_geo::area::ellipsoidal_area(&MultiPolygon(vec![cw]));
        assert!((f0.area - want).abs() < 1e-6);
        assert_ne!(layer.feats[1].bands, u32::MAX);
        // Band location agrees with the plain test.
        let f1 = layer.feats[1];
        for (x, y) in [
            (105.0, 31.0),
            (105.099, 31.0),
            (105.101, 31.0),
            (105.0, 31.0999),
            (104.0, 31.0),
        ] {
            let p = coord! { x: x, y: y };
            let plain = crate::predicates::locate_in_rings(p, layer.rings(&f1).map(|(_, r)| r));
            assert_eq!(layer.locate(&f1, p), plain, "{x} {y}");
        }
        // Band edge lookup agrees with brute force.
        let r = BBox {
            x0: 105.09,
            y0: 30.99,
            x1: 105.2,
            y1: 31.02,
        };
        let mut got = 0;
        layer.any_edge_in(&f1, &r, |_, _| {
            got += 1;
            false
        });
        let want = layer
            .rings(&f1)
            .flat_map(|(_, ring)| ring.windows(2))
            .filter(|e| BBox::of_segment(e[0], e[1]).intersects(&r))
            .count();
        assert_eq!(got, want);
        assert!(got > 0);
    }
}
