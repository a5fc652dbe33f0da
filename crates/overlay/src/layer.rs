//! [`LayerIndex`]: a reference layer flattened into one coordinate buffer,
//! with per-feature boxes, areas and classes, a packed R-tree over the
//! boxes, and y-band edge indexes for features with many vertices.

use geo_types::{LineString, MultiPolygon};
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
    /// Its rings: `ring_lo..ring_hi` into the layer's ring arrays.
    pub ring_lo: u32,
    pub ring_hi: u32,
    /// Vertices stored (closing points included).
    pub nverts: u32,
    pub class: u16,
    /// Index into [`LayerIndex::bands`], or `u32::MAX`.
    pub bands: u32,
}

/// Edges of one big feature bucketed by horizontal bands of equal height.
#[derive(Debug, Clone)]
pub(crate) struct Bands {
    y0: f64,
    /// Bands per degree of latitude.
    scale: f64,
    n: usize,
    off: Vec<u32>,
    /// Position in the layer's coordinate buffer of each edge's first point.
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

    fn build(xy: &[C], ring_start: &[u32], f: &Feat) -> Self {
        let rings = f.ring_lo as usize..f.ring_hi as usize;
        let edge_starts = || {
            rings.clone().flat_map(|r| {
                let (s, e) = (ring_start[r] as usize, ring_start[r + 1] as usize);
                s..e.saturating_sub(1).max(s)
            })
        };
        let nedges = edge_starts().count();
        let n = (nedges / 2).clamp(1, 1 << 20);
        let h = f.bbox.y1 - f.bbox.y0;
        #[allow(clippy::cast_precision_loss)]
        let scale = if h > 0.0 { n as f64 / h } else { 0.0 };
        let mut me = Self {
            y0: f.bbox.y0,
            scale,
            n,
            off: vec![0; n + 1],
            edges: Vec::new(),
            ring_bbox: rings
                .clone()
                .map(|r| BBox::of_points(&xy[ring_start[r] as usize..ring_start[r + 1] as usize]))
                .collect(),
        };
        for e in edge_starts() {
            let (a, b) = (xy[e], xy[e + 1]);
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
            let (a, b) = (xy[e], xy[e + 1]);
            let (b0, b1) = (me.band(a.y.min(b.y)), me.band(a.y.max(b.y)));
            for k in b0..=b1 {
                me.edges[fill[k] as usize] = u32::try_from(e).unwrap_or(u32::MAX);
                fill[k] += 1;
            }
        }
        me
    }

    /// Calls `f(a, b)` once for every edge whose box meets `r`, until `f`
    /// returns `true`; returns whether it did.
    #[inline]
    pub(crate) fn any_edge_in(&self, xy: &[C], r: &BBox, mut f: impl FnMut(C, C) -> bool) -> bool {
        let (b0, b1) = (self.band(r.y0), self.band(r.y1));
        for k in b0..=b1 {
            for &e in &self.edges[self.off[k] as usize..self.off[k + 1] as usize] {
                let e = e as usize;
                let (a, b) = (xy[e], xy[e + 1]);
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
    pub(crate) fn locate(&self, xy: &[C], p: C) -> Loc {
        let k = self.band(p.y);
        let mut w = 0;
        for &e in &self.edges[self.off[k] as usize..self.off[k + 1] as usize] {
            let e = e as usize;
            if winding_edge(p, xy[e], xy[e + 1], &mut w) {
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

/// A reference layer prepared for overlay: an R-tree over feature boxes,
/// each feature tagged with a class (e.g. 0 = 水田, 1 = 水浇地, 2 = 旱地 for
/// 耕地; 0 for layers without classes) and known by its index in the input.
///
/// Geometry is copied into one flat buffer with rings closed and oriented
/// (outer rings counter-clockwise, holes clockwise); each feature's official
/// area and each ring's area are computed once here, in parallel. Features
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
    pub(crate) xy: Vec<C>,
    /// Start of each ring in `xy`; one more entry than rings.
    pub(crate) ring_start: Vec<u32>,
    /// Signed official area of each ring: + outer, − hole.
    pub(crate) ring_area: Vec<f64>,
    pub(crate) feats: Vec<Feat>,
    pub(crate) bands: Vec<Bands>,
    pub(crate) tree: PackedRTree,
    skipped: Vec<usize>,
}

/// Counts of what a feature stores: (vertices, rings, usable).
fn count(mp: &MultiPolygon<f64>) -> (usize, usize, bool) {
    let (mut v, mut r) = (0, 0);
    let mut finite = true;
    for p in &mp.0 {
        let Some(k) = ring_len(p.exterior()) else {
            continue;
        };
        v += k + 1;
        r += 1;
        for h in p.interiors() {
            if let Some(k) = ring_len(h) {
                v += k + 1;
                r += 1;
            }
        }
        finite &= p
            .exterior()
            .0
            .iter()
            .chain(p.interiors().iter().flat_map(|h| h.0.iter()))
            .all(|c| c.x.is_finite() && c.y.is_finite());
    }
    (v, r, finite && r > 0)
}

/// Vertices of a ring without its closing duplicate, if it has at least 3.
fn ring_len(ring: &LineString<f64>) -> Option<usize> {
    let pts = &ring.0;
    let k = match pts.as_slice() {
        [first, .., last] if first == last => pts.len() - 1,
        _ => pts.len(),
    };
    (k >= 3).then_some(k)
}

/// Copies `ring` into `out` closed, oriented counter-clockwise when `ccw`
/// (else clockwise); returns the official area of the ring.
fn put_ring(ring: &LineString<f64>, k: usize, ccw: bool, out: &mut [C]) -> f64 {
    let src = &ring.0[..k];
    out[..k].copy_from_slice(src);
    out[k] = src[0];
    let s = planar_signed_area2(&out[..=k]);
    if (s > 0.0) != ccw && s != 0.0 {
        out[..=k].reverse();
    }
    ring_area(ring)
}

impl LayerIndex {
    /// Prepares a layer. `features[i]` becomes feature `i`: its geometry
    /// (EPSG:4490, x = longitude) and its class.
    #[must_use]
    pub fn new(features: Vec<(MultiPolygon<f64>, u16)>) -> Self {
        let t0 = std::time::Instant::now();
        let counts: Vec<(usize, usize, bool)> =
            features.par_iter().map(|(mp, _)| count(mp)).collect();
        // Offsets; features past u32 range (billions of vertices) are skipped.
        let mut vstart = Vec::with_capacity(counts.len());
        let mut rstart = Vec::with_capacity(counts.len());
        let (mut nv, mut nr) = (0_usize, 0_usize);
        let mut usable = Vec::with_capacity(counts.len());
        for &(v, r, ok) in &counts {
            let ok = ok && u32::try_from(nv + v).is_ok() && u32::try_from(nr + r).is_ok();
            vstart.push(nv);
            rstart.push(nr);
            if ok {
                nv += v;
                nr += r;
            }
            usable.push(ok);
        }
        eprintln!("count {:?}", t0.elapsed());
        let mut xy = vec![C { x: 0.0, y: 0.0 }; nv];
        let mut ring_start = vec![0_u32; nr + 1];
        let mut ring_area_v = vec![0.0_f64; nr];
        // Disjoint mutable slices per feature, for the parallel fill.
        let mut jobs = Vec::with_capacity(features.len());
        {
            let (mut xr, mut rr, mut ar) =
                (&mut xy[..], &mut ring_start[..nr], &mut ring_area_v[..]);
            for (i, &(v, r, _)) in counts.iter().enumerate() {
                let (v, r) = if usable[i] { (v, r) } else { (0, 0) };
                let (x, xt) = std::mem::take(&mut xr).split_at_mut(v);
                let (s, st) = std::mem::take(&mut rr).split_at_mut(r);
                let (a, at) = std::mem::take(&mut ar).split_at_mut(r);
                xr = xt;
                rr = st;
                ar = at;
                jobs.push((x, s, a));
            }
        }
        eprintln!("alloc+split {:?}", t0.elapsed());
        let (feats, olds): (Vec<Feat>, Vec<MultiPolygon<f64>>) = features
            .into_par_iter()
            .zip(jobs)
            .enumerate()
            .map(|(i, ((mp, class), (x, s, a)))| {
                let (v0, r0) = (vstart[i], rstart[i]);
                let mut f = Feat {
                    bbox: BBox::EMPTY,
                    area: 0.0,
                    ring_lo: u32::try_from(r0).unwrap_or(u32::MAX),
                    ring_hi: u32::try_from(r0).unwrap_or(u32::MAX),
                    nverts: 0,
                    class,
                    bands: u32::MAX,
                };
                if !usable[i] {
                    return (f, mp);
                }
                let (mut pv, mut pr) = (0, 0);
                for p in &mp.0 {
                    let Some(k) = ring_len(p.exterior()) else {
                        continue;
                    };
                    let rings = std::iter::once((p.exterior(), k, true)).chain(
                        p.interiors()
                            .iter()
                            .filter_map(|h| ring_len(h).map(|k| (h, k, false))),
                    );
                    for (ring, k, outer) in rings {
                        let area = put_ring(ring, k, outer, &mut x[pv..=pv + k]);
                        s[pr] = u32::try_from(v0 + pv).unwrap_or(u32::MAX);
                        a[pr] = if outer { area } else { -area };
                        f.area += a[pr];
                        pv += k + 1;
                        pr += 1;
                    }
                }
                f.ring_hi = u32::try_from(r0 + pr).unwrap_or(u32::MAX);
                f.nverts = u32::try_from(pv).unwrap_or(u32::MAX);
                f.bbox = BBox::of_points(x);
                (f, mp)
            })
            .unzip();
        eprintln!("fill0 {:?}", t0.elapsed());
        drop(olds);
        eprintln!("fill {:?}", t0.elapsed());
        ring_start[nr] = u32::try_from(nv).unwrap_or(u32::MAX);

        let mut me = Self {
            xy,
            ring_start,
            ring_area: ring_area_v,
            feats,
            bands: Vec::new(),
            tree: PackedRTree::default(),
            skipped: Vec::new(),
        };
        let big: Vec<usize> = (0..me.feats.len())
            .filter(|&i| me.feats[i].nverts > BIG_VERTICES)
            .collect();
        let bands: Vec<Bands> = big
            .par_iter()
            .map(|&i| Bands::build(&me.xy, &me.ring_start, &me.feats[i]))
            .collect();
        for (k, &i) in big.iter().enumerate() {
            me.feats[i].bands = u32::try_from(k).unwrap_or(u32::MAX);
        }
        me.bands = bands;
        let mut items = Vec::with_capacity(me.feats.len());
        for (i, f) in me.feats.iter().enumerate() {
            match u32::try_from(i) {
                Ok(id) if usable[i] && f.bbox.is_finite() => items.push((id, f.bbox)),
                _ => me.skipped.push(i),
            }
        }
        eprintln!("bands+items {:?}", t0.elapsed());
        me.tree = PackedRTree::build(items);
        eprintln!("tree {:?}", t0.elapsed());
        me
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

    /// The official area of feature `i`, m².
    #[must_use]
    pub fn area(&self, i: usize) -> Option<f64> {
        self.feats.get(i).map(|f| f.area)
    }

    /// The rings of feature `f` (closed slices).
    #[inline]
    pub(crate) fn rings(&self, f: &Feat) -> impl Iterator<Item = (usize, &[C])> + '_ {
        (f.ring_lo as usize..f.ring_hi as usize).map(move |r| {
            (
                r,
                &self.xy[self.ring_start[r] as usize..self.ring_start[r + 1] as usize],
            )
        })
    }

    /// Point location in feature `f`.
    pub(crate) fn locate(&self, f: &Feat, p: C) -> Loc {
        if !f.bbox.contains_point(p) {
            return Loc::Outside;
        }
        if let Some(b) = self.bands.get(f.bands as usize) {
            return b.locate(&self.xy, p);
        }
        crate::predicates::locate_in_rings(p, self.rings(f).map(|(_, r)| r))
    }

    /// The box of ring `r` of feature `f` (`k`-th ring of the feature).
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
            return b.any_edge_in(&self.xy, r, g);
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
