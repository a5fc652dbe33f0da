//! [`LayerIndex`]: a reference layer's features, normalised into flat
//! coordinate arrays, with per-feature boxes, areas and classes, a packed
//! R-tree over the boxes, and y-band edge indexes for features with many
//! vertices. [`LayerBuilder`] fills one, feature by feature, possibly in
//! several pieces on several threads.

use geo_types::{Coord, LineString, MultiPolygon};
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
    /// Its rings: `ring_lo..ring_hi` in [`LayerIndex::ring_area`] and
    /// [`LayerIndex::ring_start`].
    pub ring_lo: u32,
    pub ring_hi: u32,
    /// Vertices (closing points included).
    pub nverts: u32,
    pub class: u16,
    /// Index into [`LayerIndex::bands`], or `u32::MAX`.
    pub bands: u32,
}

/// The edges of one big feature, bucketed by horizontal bands of equal
/// height. The feature's vertices are not copied: they are
/// `coords[lo..hi]` of the layer, and edge `e` runs from `xy[e]` to
/// `xy[e + 1]` of that slice.
#[derive(Debug, Clone)]
pub(crate) struct Bands {
    lo: usize,
    hi: usize,
    y0: f64,
    /// Bands per degree of latitude.
    scale: f64,
    n: usize,
    off: Vec<u32>,
    /// Position (in the feature's vertices) of each edge's first point.
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

    /// Indexes the feature whose rings are `coords[starts[k]..starts[k + 1]]`
    /// (`starts` is its window of the layer's ring starts), box `bbox`.
    fn build(coords: &[C], starts: &[usize], bbox: &BBox) -> Self {
        let lo = starts.first().copied().unwrap_or(0);
        let hi = starts.last().copied().unwrap_or(lo);
        let xy = coords.get(lo..hi).unwrap_or(&[]);
        // Ring boundaries relative to the feature's first vertex.
        let rel: Vec<usize> = starts.iter().map(|s| s.saturating_sub(lo)).collect();
        let ring_bbox = rel
            .windows(2)
            .map(|w| BBox::of_points(xy.get(w[0]..w[1]).unwrap_or(&[])))
            .collect();
        let edge_starts = || {
            rel.windows(2)
                .flat_map(|w| w[0]..w[1].saturating_sub(1).max(w[0]))
        };
        let nedges = edge_starts().count();
        let n = (nedges / 2).clamp(1, 1 << 20);
        let h = bbox.y1 - bbox.y0;
        #[allow(clippy::cast_precision_loss)]
        let scale = if h > 0.0 { n as f64 / h } else { 0.0 };
        let mut me = Self {
            lo,
            hi,
            y0: bbox.y0,
            scale,
            n,
            off: vec![0; n + 1],
            edges: Vec::new(),
            ring_bbox,
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
            for slot in &mut fill[b0..=b1] {
                // The feature has at most u32::MAX vertices (`Feat::nverts`).
                me.edges[*slot as usize] = u32::try_from(e).unwrap_or(u32::MAX);
                *slot += 1;
            }
        }
        me
    }

    /// The feature's vertices among the layer's `coords`.
    #[inline]
    fn xy<'a>(&self, coords: &'a [C]) -> &'a [C] {
        coords.get(self.lo..self.hi).unwrap_or(&[])
    }

    /// Calls `f(a, b)` once for every edge whose box meets `r`, until `f`
    /// returns `true`; returns whether it did.
    #[inline]
    pub(crate) fn any_edge_in(
        &self,
        coords: &[C],
        r: &BBox,
        mut f: impl FnMut(C, C) -> bool,
    ) -> bool {
        let xy = self.xy(coords);
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
    pub(crate) fn locate(&self, coords: &[C], p: C) -> Loc {
        let xy = self.xy(coords);
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
/// The index keeps the features' geometry normalised in flat arrays: rings
/// closed, outer rings counter-clockwise, holes clockwise, rings of fewer
/// than three vertices removed (a polygon whose exterior is removed goes
/// with its holes), all of a layer's rings one after another in one
/// coordinate vector. Each feature's and each ring's official area is
/// computed here, in parallel. Features with more than 64 vertices (nature
/// reserves, red-line polygons, county outlines) also get an edge index by
/// latitude bands, which makes their point-in-polygon tests and edge
/// lookups cost a few edges instead of thousands.
///
/// Features are assumed valid in the OGC sense (as import validation makes
/// them); features may overlap each other freely. Features without any
/// usable ring or with non-finite coordinates cannot take part: they keep
/// their index but no geometry, and are listed by [`LayerIndex::skipped`]
/// so the caller can report them.
///
/// Build one with [`LayerIndex::new`] from owned multipolygons, or with a
/// [`LayerBuilder`] from borrowed rings (in pieces, on several threads).
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use weipian_overlay::LayerIndex;
/// let a = polygon![(x: 104.0, y: 30.0), (x: 104.01, y: 30.0), (x: 104.01, y: 30.01), (x: 104.0, y: 30.01)];
/// let layer = LayerIndex::new(vec![(MultiPolygon(vec![a]), 0), (MultiPolygon(vec![]), 1)]);
/// assert_eq!(layer.len(), 2);
/// assert_eq!(layer.skipped(), &[1]);
/// assert_eq!(layer.class(0), Some(0));
/// assert_eq!(layer.rings_of_feature(0).count(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct LayerIndex {
    /// Every ring, closed and oriented, one after another: ring `k` is
    /// `coords[ring_start[k]..ring_start[k + 1]]`.
    coords: Vec<C>,
    /// Where each ring starts in `coords`, and the end of the last one
    /// (one more entry than rings).
    ring_start: Vec<usize>,
    /// Signed official area of each ring: + outer, − hole; each feature's
    /// rings consecutive, each polygon's exterior followed by its holes.
    pub(crate) ring_area: Vec<f64>,
    pub(crate) feats: Vec<Feat>,
    pub(crate) bands: Vec<Bands>,
    pub(crate) tree: PackedRTree,
    skipped: Vec<usize>,
}

impl Default for LayerIndex {
    /// An empty layer.
    fn default() -> Self {
        LayerBuilder::new().finish()
    }
}

/// Input features per builder in [`LayerIndex::new`], at least.
const MIN_CHUNK: usize = 4096;

/// Input features per builder in [`LayerIndex::new`]: a few builders per
/// thread, for balance.
fn chunk_len(n: usize) -> usize {
    (n / (rayon::current_num_threads() * 8)).max(MIN_CHUNK)
}

/// A builder with room for all `features` can need: the vertex count is
/// exact unless rings are dropped or lack their closing point.
fn builder_for(features: &[(MultiPolygon<f64>, u16)]) -> LayerBuilder {
    let (mut rings, mut coords) = (0, 0);
    for (mp, _) in features {
        for p in &mp.0 {
            rings += 1 + p.interiors().len();
            coords += p.exterior().0.len() + 1;
            coords += p.interiors().iter().map(|h| h.0.len() + 1).sum::<usize>();
        }
    }
    let mut b = LayerBuilder::with_capacity(features.len(), coords);
    b.ring_start.reserve(rings);
    b.ring_area.reserve(rings);
    b
}

impl LayerIndex {
    /// Prepares a layer. `features[i]` becomes feature `i`: its geometry
    /// (EPSG:4490, x = longitude) and its class.
    ///
    /// The features are normalised in parallel (rayon), in chunks, each
    /// into its own [`LayerBuilder`], which are then appended in order: the
    /// result is the same as pushing every feature into one builder. The
    /// input is freed meanwhile, so nothing of it outlives the call.
    #[must_use]
    pub fn new(features: Vec<(MultiPolygon<f64>, u16)>) -> Self {
        let parts: Vec<LayerBuilder> = features
            .par_chunks(chunk_len(features.len()))
            .map(|chunk| {
                let mut b = builder_for(chunk);
                for (mp, class) in chunk {
                    b.push(mp, *class);
                }
                b
            })
            .collect();
        // Freeing the input (two heap blocks per feature) is sequential
        // work: one thread does it — several would contend for the
        // allocator — while the others join the parts and index.
        let (index, ()) = rayon::join(
            || LayerBuilder::concat(parts).finish(),
            move || drop(features),
        );
        index
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

    /// The rings of feature `i` as the index holds them: closed, each
    /// polygon's exterior (counter-clockwise) followed by its holes
    /// (clockwise). Nothing for a skipped feature or an `i` out of range.
    ///
    /// ```
    /// use geo_types::{polygon, MultiPolygon};
    /// use weipian_overlay::LayerIndex;
    /// // Given clockwise: held counter-clockwise.
    /// let cw = polygon![(x: 104.0, y: 30.0), (x: 104.0, y: 30.01), (x: 104.01, y: 30.01)];
    /// let layer = LayerIndex::new(vec![(MultiPolygon(vec![cw]), 0)]);
    /// let rings: Vec<_> = layer.rings_of_feature(0).collect();
    /// assert_eq!(rings.len(), 1);
    /// assert_eq!(rings[0].len(), 4);
    /// assert_eq!(rings[0][1].x, 104.01);
    /// assert_eq!(layer.rings_of_feature(1).count(), 0);
    /// ```
    pub fn rings_of_feature(&self, i: usize) -> impl Iterator<Item = &[Coord<f64>]> + '_ {
        self.feats
            .get(i)
            .into_iter()
            .flat_map(|f| self.rings(f).map(|(_, r)| r))
    }

    /// The rings of feature `f` (closed slices) with their numbers in
    /// [`Self::ring_area`].
    #[inline]
    pub(crate) fn rings(&self, f: &Feat) -> impl Iterator<Item = (usize, &[C])> + '_ {
        let lo = f.ring_lo as usize;
        let starts = self.ring_start.get(lo..=f.ring_hi as usize).unwrap_or(&[]);
        starts
            .windows(2)
            .enumerate()
            .map(move |(k, w)| (lo + k, self.coords.get(w[0]..w[1]).unwrap_or(&[])))
    }

    /// Point location in feature `f`.
    pub(crate) fn locate(&self, f: &Feat, p: C) -> Loc {
        if !f.bbox.contains_point(p) {
            return Loc::Outside;
        }
        if let Some(b) = self.bands.get(f.bands as usize) {
            return b.locate(&self.coords, p);
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
            return b.any_edge_in(&self.coords, r, g);
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

/// How much of a layer's arrays some features fill.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Extent {
    feats: usize,
    rings: usize,
    coords: usize,
}

impl Extent {
    fn of(b: &LayerBuilder) -> Self {
        Self {
            feats: b.feats.len(),
            rings: b.ring_area.len(),
            coords: b.coords.len(),
        }
    }

    fn plus(self, o: Self) -> Self {
        Self {
            feats: self.feats + o.feats,
            rings: self.rings + o.rings,
            coords: self.coords + o.coords,
        }
    }

    /// Feature indices and ring numbers fit `u32`, so no feature is lost
    /// to overflow when parts are joined.
    fn fits(self) -> bool {
        u32::try_from(self.feats).is_ok() && u32::try_from(self.rings).is_ok()
    }
}

/// The first `k` elements of `*v` (fewer if it is shorter), leaving the
/// rest in `*v`.
fn take_front<'a, T>(v: &mut &'a mut [T], k: usize) -> &'a mut [T] {
    let all = std::mem::take(v);
    let (front, rest) = all.split_at_mut(k.min(all.len()));
    *v = rest;
    front
}

/// A part's place in a layer being assembled: the part's offsets in the
/// whole, and the slices of the whole's arrays it is to fill.
struct Slot<'a> {
    at: Extent,
    coords: &'a mut [C],
    starts: &'a mut [usize],
    areas: &'a mut [f64],
    feats: &'a mut [Feat],
}

impl Slot<'_> {
    /// Copies `p` into its place, shifting its numbers; `false` (and
    /// nothing copied) if `p` is not of the slot's size. The whole's
    /// numbers must fit `u32` ([`Extent::fits`]).
    fn fill(self, p: &LayerBuilder) -> bool {
        if p.coords.len() != self.coords.len()
            || p.ring_area.len() != self.areas.len()
            || p.ring_area.len() != self.starts.len()
            || p.feats.len() != self.feats.len()
        {
            return false;
        }
        self.coords.copy_from_slice(&p.coords);
        let c0 = self.at.coords;
        for (d, x) in self.starts.iter_mut().zip(p.ring_start.iter().skip(1)) {
            *d = x + c0;
        }
        self.areas.copy_from_slice(&p.ring_area);
        let df = u32::try_from(self.at.feats).unwrap_or(u32::MAX);
        let dr = u32::try_from(self.at.rings).unwrap_or(u32::MAX);
        for (d, x) in self.feats.iter_mut().zip(&p.feats) {
            *d = Feat {
                id: x.id.saturating_add(df),
                ring_lo: x.ring_lo.saturating_add(dr),
                ring_hi: x.ring_hi.saturating_add(dr),
                ..*x
            };
        }
        true
    }
}

/// The feature a [`LayerBuilder`] is filling.
#[derive(Debug, Clone, Copy)]
struct Open {
    class: u16,
    /// Where its rings start in the builder's arrays.
    ring_lo: usize,
    coord_lo: usize,
    /// No non-finite coordinate seen so far.
    finite: bool,
    /// The last exterior was kept, so holes attach to it.
    holes_ok: bool,
    /// Box of its exteriors.
    bbox: BBox,
    nverts: usize,
}

/// Builds a [`LayerIndex`] feature by feature, from borrowed rings: no
/// `MultiPolygon` needs to exist.
///
/// Each feature is normalised as it is pushed (rings closed, outer rings
/// counter-clockwise and holes clockwise by their planar signed area,
/// rings of fewer than three vertices dropped — an exterior with its
/// holes), given its official ring areas, area and box, and stored in flat
/// arrays; only the band indexes of big features and the R-tree are left
/// to [`Self::finish`].
/// So a layer can be filled in pieces on several threads, one builder
/// each, and the pieces joined in order with [`Self::append`]: the index is
/// exactly (bit for bit) the one [`LayerIndex::new`] makes from the same
/// features. Feature indices are positions in the final order.
///
/// A feature with a non-finite coordinate (or without any usable ring)
/// keeps its index but no geometry, and is listed by
/// [`LayerIndex::skipped`].
///
/// ```
/// use geo_types::{coord, polygon, MultiPolygon};
/// use weipian_overlay::{overlay, LayerBuilder, LayerIndex};
///
/// // Two 0.001° squares side by side, filled on two threads.
/// let ring = |x0: f64| {
///     [(x0, 30.0), (x0 + 0.001, 30.0), (x0 + 0.001, 30.001), (x0, 30.001)]
///         .map(|(x, y)| coord! { x: x, y: y })
/// };
/// let (mut left, right) = std::thread::scope(|s| {
///     let a = s.spawn(|| {
///         let mut b = LayerBuilder::new();
///         b.begin_feature(0);
///         b.push_ring(&ring(104.000), true); // open rings are closed
///         b.end_feature();
///         b
///     });
///     let b = s.spawn(|| {
///         let mut b = LayerBuilder::with_capacity(2, 5);
///         b.begin_feature(2);
///         b.push_ring(&ring(104.001), true);
///         b.end_feature();
///         b.begin_feature(2);
///         b.push_ring(&[coord! { x: f64::NAN, y: 30.0 }], true);
///         b.end_feature();
///         b
///     });
///     (a.join().unwrap(), b.join().unwrap())
/// });
/// left.append(right);
/// assert_eq!(left.len(), 3);
/// let layer = left.finish();
/// assert_eq!(layer.skipped(), &[2]);
/// assert_eq!(layer.class(1), Some(2));
///
/// let patch = MultiPolygon(vec![polygon![
///     (x: 104.0005, y: 30.0), (x: 104.0015, y: 30.0), (x: 104.0015, y: 30.001), (x: 104.0005, y: 30.001)]]);
/// let o = overlay(&patch, &layer).unwrap();
/// assert_eq!(o.features, vec![0, 1]);
///
/// // The same as from multipolygons.
/// let sq = |x0: f64| MultiPolygon(vec![polygon![
///     (x: x0, y: 30.0), (x: x0 + 0.001, y: 30.0), (x: x0 + 0.001, y: 30.001), (x: x0, y: 30.001)]]);
/// let same = LayerIndex::new(vec![(sq(104.0), 0), (sq(104.001), 2), (MultiPolygon(vec![]), 2)]);
/// assert_eq!(overlay(&patch, &same).unwrap(), o);
/// ```
#[derive(Debug, Clone)]
pub struct LayerBuilder {
    /// Features appended from other builders, in order, before this
    /// builder's own arrays below: segments numbered from 0 each, without
    /// segments of their own. They are joined once, by [`Self::finish`].
    done: Vec<LayerBuilder>,
    coords: Vec<C>,
    /// As in [`LayerIndex`]: one more entry than rings, starting with 0.
    ring_start: Vec<usize>,
    ring_area: Vec<f64>,
    /// Finished features (of this segment), numbered from 0.
    feats: Vec<Feat>,
    skipped: Vec<usize>,
    open: Option<Open>,
    /// A ring being normalised (`ring_area` takes a `LineString`).
    scratch: LineString<f64>,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// The vertices of a ring without its closing duplicate.
#[inline]
fn open_part(ring: &[C]) -> &[C] {
    match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    }
}

impl LayerBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(0, 0)
    }

    /// An empty builder with room for `features` features of `coords`
    /// vertices in all (closing points included).
    #[must_use]
    pub fn with_capacity(features: usize, coords: usize) -> Self {
        let mut ring_start = Vec::with_capacity(features + 1);
        ring_start.push(0);
        Self {
            done: Vec::new(),
            coords: Vec::with_capacity(coords),
            ring_start,
            ring_area: Vec::with_capacity(features),
            feats: Vec::with_capacity(features),
            skipped: Vec::new(),
            open: None,
            scratch: LineString(Vec::new()),
        }
    }

    /// Starts the next feature, of class `class` (ending the current one,
    /// if any).
    pub fn begin_feature(&mut self, class: u16) {
        self.end_feature();
        self.open = Some(Open {
            class,
            ring_lo: self.ring_area.len(),
            coord_lo: self.coords.len(),
            finite: true,
            holes_ok: false,
            bbox: BBox::EMPTY,
            nverts: 0,
        });
    }

    /// Adds a ring to the current feature: with `outer`, the exterior of a
    /// new polygon, else a hole of the last polygon. The ring may be closed
    /// or open (it is closed here) and in either orientation.
    ///
    /// A ring of fewer than three vertices is dropped; an exterior is
    /// dropped with its holes, and a hole before any exterior is dropped. A
    /// non-finite coordinate in any ring, dropped or not, makes the whole
    /// feature unusable. Outside a feature (before the first
    /// [`Self::begin_feature`] or after [`Self::end_feature`]), starts one
    /// of class 0.
    pub fn push_ring(&mut self, ring: &[Coord<f64>], outer: bool) {
        if self.open.is_none() {
            self.begin_feature(0);
        }
        let Some(f) = self.open.as_mut() else {
            return;
        };
        if !f.finite {
            return;
        }
        if !ring.iter().all(|c| c.x.is_finite() && c.y.is_finite()) {
            f.finite = false;
            return;
        }
        let pts = open_part(ring);
        if outer {
            f.holes_ok = pts.len() >= 3;
        }
        if pts.len() < 3 || !f.holes_ok {
            return;
        }
        let r = &mut self.scratch.0;
        r.clear();
        r.extend_from_slice(pts);
        r.push(pts[0]);
        let s = planar_signed_area2(r);
        if s != 0.0 && (s > 0.0) != outer {
            r.reverse();
        }
        let a = ring_area(&self.scratch);
        let r = &self.scratch.0;
        if outer {
            for c in r {
                f.bbox.add(*c);
            }
        }
        f.nverts += r.len();
        self.ring_area.push(if outer { a } else { -a });
        self.coords.extend_from_slice(r);
        self.ring_start.push(self.coords.len());
    }

    /// Ends the current feature (nothing outside a feature): computes its
    /// area, or lists it as skipped if it has no usable ring or a
    /// non-finite coordinate.
    pub fn end_feature(&mut self) {
        let Some(f) = self.open.take() else {
            return;
        };
        let i = self.feats.len();
        let rings = self.ring_area.get(f.ring_lo..).unwrap_or(&[]);
        let ids = (
            u32::try_from(i),
            u32::try_from(f.ring_lo),
            u32::try_from(self.ring_area.len()),
            u32::try_from(f.nverts),
        );
        let usable = f.finite
            && !rings.is_empty()
            && f.bbox.is_finite()
            && ids.0.is_ok()
            && ids.1.is_ok()
            && ids.2.is_ok()
            && ids.3.is_ok();
        let lo = ids.1.unwrap_or(u32::MAX);
        let mut feat = Feat {
            bbox: BBox::EMPTY,
            area: 0.0,
            id: ids.0.unwrap_or(u32::MAX),
            ring_lo: lo,
            ring_hi: lo,
            nverts: 0,
            class: f.class,
            bands: u32::MAX,
        };
        if usable {
            feat.bbox = f.bbox;
            // The first ring's area plus the sum of the others'.
            feat.area = rings[0] + rings[1..].iter().sum::<f64>();
            feat.ring_hi = ids.2.unwrap_or(lo);
            feat.nverts = ids.3.unwrap_or(0);
        } else {
            // No geometry for it.
            self.coords.truncate(f.coord_lo);
            self.ring_start.truncate(f.ring_lo + 1);
            self.ring_area.truncate(f.ring_lo);
            self.skipped.push(i);
        }
        self.feats.push(feat);
    }

    /// Adds a feature: each polygon's exterior, then its holes.
    pub fn push(&mut self, mp: &MultiPolygon<f64>, class: u16) {
        self.begin_feature(class);
        for p in &mp.0 {
            self.push_ring(&p.exterior().0, true);
            for h in p.interiors() {
                self.push_ring(&h.0, false);
            }
        }
        self.end_feature();
    }

    /// Number of features, the current one included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.done.iter().map(|b| b.feats.len()).sum::<usize>()
            + self.feats.len()
            + usize::from(self.open.is_some())
    }

    /// Whether no feature has been begun.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Vertices held so far (closing points included), appended builders' too.
    #[must_use]
    pub fn coords_len(&self) -> usize {
        self.done.iter().map(|b| b.coords.len()).sum::<usize>() + self.coords.len()
    }

    /// Reserves room for `features` more features of `coords` more vertices
    /// in all: a producer that learns its size late (a reader that has seen
    /// its first rows) avoids growing the arrays by doubling, which copies
    /// and faults in much more memory than the layer needs.
    pub fn reserve(&mut self, features: usize, coords: usize) {
        self.coords.reserve(coords);
        self.feats.reserve(features);
        self.ring_start.reserve(features + features / 16);
        self.ring_area.reserve(features + features / 16);
    }

    /// Appends `other`'s features after this builder's (their indices
    /// continue this builder's); ends the current feature of each first.
    /// Features pushed afterwards come after `other`'s.
    ///
    /// Nothing is copied here: the pieces are joined once, by
    /// [`Self::finish`], into arrays allocated to size (and in parallel).
    pub fn append(&mut self, mut other: LayerBuilder) {
        self.end_feature();
        other.end_feature();
        if self.done.is_empty() && self.feats.is_empty() {
            other.scratch = std::mem::replace(&mut self.scratch, LineString(Vec::new()));
            *self = other;
            return;
        }
        let mut segments = std::mem::take(&mut other.done);
        segments.push(other);
        self.seal();
        self.done
            .extend(segments.into_iter().filter(|b| !b.feats.is_empty()));
    }

    /// Moves this builder's own features into a segment of `done`.
    fn seal(&mut self) {
        if self.feats.is_empty() {
            return;
        }
        let own = LayerBuilder {
            done: Vec::new(),
            coords: std::mem::take(&mut self.coords),
            ring_start: std::mem::replace(&mut self.ring_start, vec![0]),
            ring_area: std::mem::take(&mut self.ring_area),
            feats: std::mem::take(&mut self.feats),
            skipped: std::mem::take(&mut self.skipped),
            open: None,
            scratch: LineString(Vec::new()),
        };
        self.done.push(own);
    }

    /// Appends `other` (without segments) to this builder's own arrays,
    /// copying it now, feature by feature: the way for layers numbering
    /// more than 2³² features or rings, whose features beyond cannot take
    /// part (their rings stay, unused).
    fn append_now(&mut self, mut other: LayerBuilder) {
        self.end_feature();
        other.end_feature();
        if self.feats.is_empty() {
            *self = other;
            return;
        }
        let (feat0, ring0, coord0) = (self.feats.len(), self.ring_area.len(), self.coords.len());
        self.coords.extend_from_slice(&other.coords);
        self.ring_start
            .extend(other.ring_start.iter().skip(1).map(|s| s + coord0));
        self.ring_area.extend_from_slice(&other.ring_area);
        self.feats.reserve(other.feats.len());
        for f in &other.feats {
            let i = feat0 + f.id as usize;
            let ids = (
                u32::try_from(i),
                u32::try_from(ring0 + f.ring_lo as usize),
                u32::try_from(ring0 + f.ring_hi as usize),
            );
            let mut g = Feat {
                id: ids.0.unwrap_or(u32::MAX),
                ring_lo: ids.1.unwrap_or(u32::MAX),
                ring_hi: ids.2.unwrap_or(u32::MAX),
                ..*f
            };
            if f.bbox.is_finite() && (ids.0.is_err() || ids.1.is_err() || ids.2.is_err()) {
                g.bbox = BBox::EMPTY;
                g.area = 0.0;
                g.ring_hi = g.ring_lo;
                self.skipped.push(i);
            }
            self.feats.push(g);
        }
        self.skipped
            .extend(other.skipped.iter().map(|&i| feat0 + i));
        self.skipped.sort_unstable();
    }

    /// A builder of `total` blank features, rings and vertices, to be
    /// overwritten through [`Self::slots`]. Its memory is written (paged
    /// in) in parallel: on a fresh allocation, page faults are most of the
    /// cost of filling it.
    fn blank(total: Extent) -> LayerBuilder {
        let blank = Feat {
            bbox: BBox::EMPTY,
            area: 0.0,
            id: 0,
            ring_lo: 0,
            ring_hi: 0,
            nverts: 0,
            class: 0,
            bands: u32::MAX,
        };
        let mut all = LayerBuilder::new();
        all.coords = Vec::with_capacity(total.coords);
        all.coords.par_extend(rayon::iter::repeat_n(
            Coord { x: 0.0, y: 0.0 },
            total.coords,
        ));
        all.ring_start = Vec::with_capacity(total.rings + 1);
        all.ring_start
            .par_extend(rayon::iter::repeat_n(0, total.rings + 1));
        all.ring_area = Vec::with_capacity(total.rings);
        all.ring_area
            .par_extend(rayon::iter::repeat_n(0.0, total.rings));
        all.feats = Vec::with_capacity(total.feats);
        all.feats
            .par_extend(rayon::iter::repeat_n(blank, total.feats));
        all
    }

    /// Cuts a [`Self::blank`] builder into consecutive places for parts of
    /// the given sizes (which must add up to at most its own).
    fn slots(&mut self, sizes: &[Extent]) -> Vec<Slot<'_>> {
        let mut coords = self.coords.as_mut_slice();
        let mut starts = self.ring_start.get_mut(1..).unwrap_or(&mut []);
        let mut areas = self.ring_area.as_mut_slice();
        let mut feats = self.feats.as_mut_slice();
        let mut at = Extent::default();
        let mut out = Vec::with_capacity(sizes.len());
        for n in sizes {
            let (c, s, a, f) = (
                take_front(&mut coords, n.coords),
                take_front(&mut starts, n.rings),
                take_front(&mut areas, n.rings),
                take_front(&mut feats, n.feats),
            );
            out.push(Slot {
                at,
                coords: c,
                starts: s,
                areas: a,
                feats: f,
            });
            at = at.plus(*n);
        }
        out
    }

    /// `parts` (without segments) joined in order into one builder's own
    /// arrays, with the copying spread over threads: the whole is allocated
    /// once and paged in in parallel, then each part is copied into its
    /// place in parallel.
    fn concat(mut parts: Vec<LayerBuilder>) -> LayerBuilder {
        parts.iter_mut().for_each(LayerBuilder::end_feature);
        let sizes: Vec<Extent> = parts.iter().map(Extent::of).collect();
        let total = sizes.iter().fold(Extent::default(), |t, n| t.plus(*n));
        if parts.len() <= 1 || !total.fits() {
            // Nothing to gain, or numbers beyond u32 (which `append_now`
            // handles).
            let mut all = LayerBuilder::new();
            for b in parts {
                all.append_now(b);
            }
            return all;
        }
        let mut all = LayerBuilder::blank(total);
        let mut at = 0;
        for p in &parts {
            all.skipped.extend(p.skipped.iter().map(|&i| at + i));
            at += p.feats.len();
        }
        all.slots(&sizes)
            .into_par_iter()
            .zip(parts.par_iter())
            .for_each(|(slot, p)| {
                let filled = slot.fill(p);
                debug_assert!(filled, "slots are cut to the parts' sizes");
            });
        all
    }

    /// Makes the index: band indexes for big features (in parallel) and
    /// the R-tree. Ends the current feature first.
    #[must_use]
    pub fn finish(mut self) -> LayerIndex {
        self.end_feature();
        if !self.done.is_empty() {
            self.seal();
            self = LayerBuilder::concat(std::mem::take(&mut self.done));
        }
        let Self {
            mut coords,
            mut ring_start,
            mut ring_area,
            mut feats,
            skipped,
            ..
        } = self;
        coords.shrink_to_fit();
        ring_start.shrink_to_fit();
        ring_area.shrink_to_fit();
        feats.shrink_to_fit();
        let big: Vec<usize> = (0..feats.len())
            .filter(|&i| feats[i].nverts > BIG_VERTICES && feats[i].bbox.is_finite())
            .collect();
        let bands: Vec<Bands> = big
            .par_iter()
            .map(|&i| {
                let f = &feats[i];
                let starts = ring_start
                    .get(f.ring_lo as usize..=f.ring_hi as usize)
                    .unwrap_or(&[]);
                Bands::build(&coords, starts, &f.bbox)
            })
            .collect();
        for (k, &i) in big.iter().enumerate() {
            feats[i].bands = u32::try_from(k).unwrap_or(u32::MAX);
        }
        let tree = PackedRTree::build(&feats, |f| f.bbox.is_finite().then_some((f.id, f.bbox)));
        LayerIndex {
            coords,
            ring_start,
            ring_area,
            feats,
            bands,
            tree,
            skipped,
        }
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

    fn c(x: f64, y: f64) -> C {
        coord! { x: x, y: y }
    }

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(pts.to_vec())
    }

    /// An axis-aligned rectangle, counter-clockwise (open; `Polygon::new`
    /// closes it).
    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> LineString<f64> {
        ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    }

    /// A varied layer: a grid of parcels (some clockwise, some with a hole,
    /// some of two polygons, some overlapping their neighbour), big
    /// features with many vertices, and features that must be skipped.
    fn mixed_features(rows: usize) -> Vec<(MultiPolygon<f64>, u16)> {
        let mut out = Vec::new();
        let d = 0.001;
        for r in 0..rows {
            for k in 0..20_usize {
                #[allow(clippy::cast_precision_loss)]
                let (x, y) = (104.0 + k as f64 * d, 30.0 + r as f64 * d);
                let i = r * 20 + k;
                #[allow(clippy::cast_possible_truncation)]
                let class = (i % 3) as u16;
                let mut ext = rect(x, y, x + d, y + d);
                if i % 4 == 1 {
                    ext.0.reverse();
                }
                let mp = match i % 11 {
                    2 => {
                        let mut hole = rect(x + 0.2 * d, y + 0.2 * d, x + 0.6 * d, y + 0.5 * d);
                        if i % 2 == 0 {
                            hole.0.reverse();
                        }
                        MultiPolygon(vec![Polygon::new(ext, vec![hole])])
                    }
                    5 => MultiPolygon(vec![
                        Polygon::new(rect(x, y, x + 0.4 * d, y + d), vec![]),
                        Polygon::new(rect(x + 0.5 * d, y, x + d, y + d), vec![]),
                    ]),
                    // Overlaps its right neighbour.
                    7 => MultiPolygon(vec![Polygon::new(rect(x, y, x + 1.5 * d, y + d), vec![])]),
                    // Degenerate exterior with a hole, then a usable polygon.
                    8 => MultiPolygon(vec![
                        Polygon::new(
                            ring(&[(x, y), (x + d, y)]),
                            vec![rect(x + 0.1 * d, y + 0.1 * d, x + 0.2 * d, y + 0.2 * d)],
                        ),
                        Polygon::new(ext, vec![]),
                    ]),
                    9 if r % 3 == 1 => MultiPolygon(vec![Polygon::new(
                        ring(&[(x, y), (f64::NAN, y), (x + d, y + d)]),
                        vec![],
                    )]),
                    10 if r % 5 == 2 => MultiPolygon(vec![]),
                    _ => MultiPolygon(vec![Polygon::new(ext, vec![])]),
                };
                out.push((mp, class));
            }
            if r % 7 == 3 {
                // A big feature (a 300-gon) over several rows, with a hole.
                #[allow(clippy::cast_precision_loss)]
                let (cx, cy) = (104.01, 30.0 + r as f64 * d);
                let n = 300;
                let pts: Vec<(f64, f64)> = (0..n)
                    .map(|j| {
                        let t = f64::from(j) / f64::from(n) * std::f64::consts::TAU;
                        (cx + 0.004 * t.cos(), cy + 0.003 * t.sin())
                    })
                    .collect();
                let hole = rect(cx - 0.001, cy - 0.001, cx + 0.0005, cy + 0.0007);
                out.push((MultiPolygon(vec![Polygon::new(ring(&pts), vec![hole])]), 4));
            }
        }
        out
    }

    /// Patches over the grid: parcel-sized, offset, and a few large ones.
    fn patches(rows: usize) -> Vec<MultiPolygon<f64>> {
        let d = 0.001;
        let mut out = Vec::new();
        for r in 0..rows {
            for k in 0..7_u32 {
                #[allow(clippy::cast_precision_loss)]
                let (x, y) = (104.0003 + f64::from(k) * 2.9 * d, 30.0004 + r as f64 * d);
                out.push(MultiPolygon(vec![Polygon::new(
                    rect(x, y, x + 1.7 * d, y + 0.8 * d),
                    vec![],
                )]));
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let h = rows as f64 * d;
        out.push(MultiPolygon(vec![Polygon::new(
            rect(103.999, 29.999, 104.03, 30.0 + h),
            vec![rect(104.005, 30.0005, 104.0105, 30.0 + h * 0.7)],
        )]));
        out
    }

    /// Everything an overlay result holds, as bits.
    fn result_bits(layer: &LayerIndex, patches: &[MultiPolygon<f64>]) -> Vec<Vec<u64>> {
        crate::overlay_all(patches, layer)
            .into_iter()
            .map(|r| {
                let o = r.expect("overlay");
                let mut v = vec![o.area_m2.to_bits()];
                for (c, a) in &o.by_class {
                    v.extend([u64::from(*c), a.to_bits()]);
                }
                v.extend(o.features.iter().map(|&f| f as u64));
                v.extend(o.feature_areas.iter().map(|a| a.to_bits()));
                v
            })
            .collect()
    }

    fn bbox_bits(b: &BBox) -> [u64; 4] {
        [b.x0, b.y0, b.x1, b.y1].map(f64::to_bits)
    }

    /// The two indexes hold exactly the same data.
    fn assert_same(a: &LayerIndex, b: &LayerIndex) {
        let bits = |v: &[C]| {
            v.iter()
                .map(|c| (c.x.to_bits(), c.y.to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&a.coords), bits(&b.coords));
        assert_eq!(a.ring_start, b.ring_start);
        let fb = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(fb(&a.ring_area), fb(&b.ring_area));
        assert_eq!(a.skipped(), b.skipped());
        assert_eq!(a.feats.len(), b.feats.len());
        for (f, g) in a.feats.iter().zip(&b.feats) {
            assert_eq!(bbox_bits(&f.bbox), bbox_bits(&g.bbox), "feature {}", f.id);
            assert_eq!(f.area.to_bits(), g.area.to_bits(), "feature {}", f.id);
            assert_eq!(
                (f.id, f.ring_lo, f.ring_hi, f.nverts, f.class, f.bands),
                (g.id, g.ring_lo, g.ring_hi, g.nverts, g.class, g.bands)
            );
        }
        assert_eq!(a.bands.len(), b.bands.len());
        for (x, y) in a.bands.iter().zip(&b.bands) {
            assert_eq!(
                (x.lo, x.hi, x.n, &x.off, &x.edges),
                (y.lo, y.hi, y.n, &y.off, &y.edges)
            );
        }
    }

    /// Fills one builder per slice of `feats` between `cuts`, on threads,
    /// and appends them in order.
    fn built_in_pieces(feats: &[(MultiPolygon<f64>, u16)], cuts: &[usize]) -> LayerIndex {
        let parts: Vec<LayerBuilder> = std::thread::scope(|s| {
            let handles: Vec<_> = cuts
                .windows(2)
                .map(|w| {
                    let part = &feats[w[0]..w[1]];
                    s.spawn(move || {
                        let mut b = LayerBuilder::new();
                        for (mp, class) in part {
                            b.push(mp, *class);
                        }
                        b
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("builder thread"))
                .collect()
        });
        let mut all = LayerBuilder::with_capacity(4, 16);
        for p in parts {
            all.append(p);
        }
        all.finish()
    }

    #[test]
    fn builders_in_pieces_equal_new() {
        let rows = 30;
        let feats = mixed_features(rows);
        let n = feats.len();
        let layer = LayerIndex::new(feats.clone());
        assert_eq!(layer.len(), n);
        assert!(!layer.skipped().is_empty());
        assert!(!layer.bands.is_empty());

        let mut one = LayerBuilder::new();
        for (mp, class) in &feats {
            one.push(mp, *class);
        }
        assert_eq!(one.len(), n);
        let one = one.finish();
        let pieces = built_in_pieces(&feats, &[0, 0, 1, 29, 30, 31, 200, 200, 437, n]);
        let halves = built_in_pieces(&feats, &[0, n / 2, n]);
        for other in [&one, &pieces, &halves] {
            assert_same(&layer, other);
        }

        let p = patches(rows);
        let want = result_bits(&layer, &p);
        assert!(want.iter().filter(|v| v.len() > 1).count() > 100);
        for other in [&one, &pieces, &halves] {
            assert_eq!(result_bits(other, &p), want);
        }

        // Areas are the official ones of the normalised geometry.
        for (i, (mp, _)) in feats.iter().enumerate() {
            let a = layer.area(i).unwrap_or(f64::NAN);
            if layer.skipped().contains(&i) {
                assert_eq!(a, 0.0);
                assert_eq!(layer.rings_of_feature(i).count(), 0);
            } else if mp.0.iter().all(|p| p.exterior().0.len() > 3) {
                let want = weipian_geo::area::ellipsoidal_area(mp);
                assert!((a - want).abs() <= 1e-9 * want, "{i}: {a} vs {want}");
            }
        }
    }

    #[test]
    fn new_in_many_chunks_equals_one_builder() {
        // Enough features for LayerIndex::new to split them among builders.
        let feats = mixed_features(1000);
        assert!(feats.len() > 4 * MIN_CHUNK);
        let mut one = LayerBuilder::new();
        for (mp, class) in &feats {
            one.push(mp, *class);
        }
        let one = one.finish();
        let layer = LayerIndex::new(feats.clone());
        assert_same(&layer, &one);
        let cuts: Vec<usize> = (0..feats.len())
            .step_by(3001)
            .chain([feats.len()])
            .collect();
        assert_same(&built_in_pieces(&feats, &cuts), &one);
        let p = patches(40);
        assert_eq!(result_bits(&layer, &p), result_bits(&one, &p));
    }

    #[test]
    fn builder_normalises_rings() {
        let sq = [
            c(104.0, 30.0),
            c(104.01, 30.0),
            c(104.01, 30.01),
            c(104.0, 30.01),
        ];
        let hole = [
            c(104.002, 30.002),
            c(104.002, 30.004),
            c(104.004, 30.004),
            c(104.004, 30.002),
        ];
        let closed = |r: &[C]| r.iter().chain(&r[..1]).copied().collect::<Vec<C>>();
        let reversed = |r: &[C]| r.iter().rev().copied().collect::<Vec<C>>();

        let mut b = LayerBuilder::new();
        assert!(b.is_empty());
        // 0: open rings; 1: the same closed; 2: the same, clockwise exterior
        // and counter-clockwise hole.
        b.begin_feature(1);
        b.push_ring(&sq, true);
        b.push_ring(&hole, false);
        assert_eq!(b.len(), 1);
        b.begin_feature(1);
        b.push_ring(&closed(&sq), true);
        b.push_ring(&closed(&hole), false);
        b.end_feature();
        b.begin_feature(1);
        b.push_ring(&closed(&reversed(&sq)), true);
        b.push_ring(&reversed(&hole), false);
        b.end_feature();
        // 3: degenerate exterior (closed, two distinct vertices) with a
        // hole, then a usable polygon; a hole before any exterior.
        b.begin_feature(2);
        b.push_ring(&hole, false);
        b.push_ring(&[sq[0], sq[1], sq[0]], true);
        b.push_ring(&hole, false);
        b.push_ring(&sq, true);
        b.end_feature();
        // 4: only a degenerate exterior and its hole.
        b.begin_feature(2);
        b.push_ring(&sq[..2], true);
        b.push_ring(&hole, false);
        b.end_feature();
        // 5: NaN in a hole; 6: infinity in a dropped ring; 7: empty;
        // 8: a MultiPolygon without polygons.
        b.begin_feature(3);
        b.push_ring(&sq, true);
        b.push_ring(&[hole[0], c(f64::NAN, 30.003), hole[2]], false);
        b.push_ring(&hole, false);
        b.end_feature();
        b.begin_feature(3);
        b.push_ring(&sq, true);
        b.push_ring(&[c(f64::INFINITY, 30.0)], false);
        b.end_feature();
        b.begin_feature(3);
        b.end_feature();
        b.push(&MultiPolygon(vec![]), 3);
        // Outside a feature: ending does nothing, a ring starts one (9).
        b.end_feature();
        b.push_ring(&sq, true);
        assert_eq!(b.len(), 10);
        let layer = b.finish();

        assert_eq!(layer.len(), 10);
        assert_eq!(layer.skipped(), &[4, 5, 6, 7, 8]);
        // `hole` is clockwise already. Reversed closed rings keep their
        // first vertex.
        let back = |r: &[C]| reversed(&closed(&reversed(r)));
        let rings =
            |i: usize| -> Vec<Vec<C>> { layer.rings_of_feature(i).map(<[C]>::to_vec).collect() };
        assert_eq!(rings(0), vec![closed(&sq), closed(&hole)]);
        assert_eq!(rings(1), rings(0));
        assert_eq!(rings(2), vec![back(&sq), back(&hole)]);
        assert_eq!(rings(2)[0][..2], [sq[3], sq[0]]);
        let outer = weipian_geo::area::ring_area(&LineString(closed(&sq)));
        let inner = weipian_geo::area::ring_area(&LineString(closed(&hole)));
        assert_eq!(layer.area(0), Some(outer - inner));
        assert_eq!(layer.area(1), Some(outer - inner));
        let a2 = layer.area(2).unwrap_or(0.0);
        assert!((a2 - (outer - inner)).abs() < 1e-6, "{a2}");
        let got: Vec<Vec<C>> = layer.rings_of_feature(3).map(<[C]>::to_vec).collect();
        assert_eq!(got, vec![closed(&sq)]);
        assert_eq!(layer.area(3), Some(outer));
        assert_eq!(layer.area(9), Some(outer));
        assert_eq!(layer.class(9), Some(0));
        for i in 4..9 {
            assert_eq!(layer.rings_of_feature(i).count(), 0);
            assert_eq!(layer.area(i), Some(0.0));
            assert!(!layer.feats[i].bbox.is_finite());
        }
        assert_eq!(layer.class(5), Some(3));
        // Skipped features hold no coordinates: 3 × 2 rings + 2 × 1 ring.
        assert_eq!(layer.coords.len(), 8 * 5);
        assert_eq!(layer.ring_start.len(), 8 + 1);
        assert_eq!(layer.rings_of_feature(10).count(), 0);

        // The same through LayerIndex::new, from multipolygons.
        let poly = |ext: &[C], holes: Vec<Vec<C>>| {
            Polygon::new(
                LineString(ext.to_vec()),
                holes.into_iter().map(LineString).collect(),
            )
        };
        let mps = vec![
            (MultiPolygon(vec![poly(&sq, vec![hole.to_vec()])]), 1),
            (MultiPolygon(vec![poly(&sq, vec![hole.to_vec()])]), 1),
            (
                MultiPolygon(vec![poly(&reversed(&sq), vec![reversed(&hole)])]),
                1,
            ),
            (
                MultiPolygon(vec![
                    poly(&[sq[0], sq[1]], vec![hole.to_vec()]),
                    poly(&sq, vec![]),
                ]),
                2,
            ),
            (MultiPolygon(vec![poly(&sq[..2], vec![hole.to_vec()])]), 2),
            (
                MultiPolygon(vec![poly(
                    &sq,
                    vec![vec![hole[0], c(f64::NAN, 30.003), hole[2]], hole.to_vec()],
                )]),
                3,
            ),
            (
                MultiPolygon(vec![poly(&sq, vec![vec![c(f64::INFINITY, 30.0)]])]),
                3,
            ),
            (MultiPolygon(vec![]), 3),
            (MultiPolygon(vec![]), 3),
            (MultiPolygon(vec![poly(&sq, vec![])]), 0),
        ];
        assert_same(&LayerIndex::new(mps), &layer);
    }

    #[test]
    fn appends_keep_skipped_sorted() {
        let sq = [
            c(104.0, 30.0),
            c(104.01, 30.0),
            c(104.01, 30.01),
            c(104.0, 30.01),
        ];
        let piece = |skip: &[bool]| {
            let mut b = LayerBuilder::new();
            for &s in skip {
                b.begin_feature(0);
                if !s {
                    b.push_ring(&sq, true);
                }
                b.end_feature();
            }
            b
        };
        let mut a = piece(&[true, false]);
        a.append(LayerBuilder::new());
        a.append(piece(&[false, true, true]));
        let mut c = piece(&[true]);
        // An open feature on either side is ended first.
        c.begin_feature(0);
        let mut d = piece(&[false]);
        d.begin_feature(5);
        c.append(d);
        assert_eq!(c.len(), 4);
        a.append(c);
        assert_eq!(a.len(), 9);
        // Pushed after appends: after the appended features.
        a.begin_feature(7);
        a.push_ring(&sq, true);
        a.append(LayerBuilder::new());
        assert_eq!(a.len(), 10);
        let mut empty = LayerBuilder::default();
        empty.append(a);
        let layer = empty.finish();
        assert_eq!(layer.skipped(), &[0, 3, 4, 5, 6, 8]);
        assert_eq!(layer.class(8), Some(5));
        assert_eq!(layer.class(9), Some(7));
        assert_eq!(layer.rings_of_feature(9).count(), 1);
        let ids: Vec<u32> = layer.feats.iter().map(|f| f.id).collect();
        assert_eq!(ids, (0..10).collect::<Vec<u32>>());
        let rings: Vec<(u32, u32)> = layer.feats.iter().map(|f| (f.ring_lo, f.ring_hi)).collect();
        assert_eq!(
            rings,
            [
                (0, 0),
                (0, 1),
                (1, 2),
                (2, 2),
                (2, 2),
                (2, 2),
                (2, 2),
                (2, 3),
                (3, 3),
                (3, 4)
            ]
        );
        assert_eq!(layer.ring_start, [0, 5, 10, 15, 20]);
        assert!(LayerIndex::default().is_empty());
        assert!(LayerBuilder::new().finish().is_empty());
    }
}
