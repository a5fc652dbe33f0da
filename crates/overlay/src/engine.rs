//! The per-patch overlay: candidates from the R-tree, the fast paths, the
//! exact boundary-piece computation, and union-correct totals.

use weipian_geo::area::ring_area;

use geo_types::MultiPolygon;

use crate::certify::{self, CertScratch};
use crate::exact::{chain_area, Exact, PairArea, Seg};
use crate::fallback::boolean_area;
use crate::layer::{Feat, LayerIndex};
use crate::predicates::{locate_in_rings, planar_signed_area2, BBox, Loc, C};
use crate::{Overlap, OverlayError, OverlayStats, AREA_EPSILON_M2};

/// A patch prepared for one overlay: rings closed and oriented (outer
/// counter-clockwise, holes clockwise), with their official areas and boxes.
/// Its buffers are reused from patch to patch.
#[derive(Debug, Default)]
pub(crate) struct Patch {
    xy: Vec<C>,
    ring_start: Vec<usize>,
    /// Signed official area of each ring (+ outer, − hole).
    ring_area: Vec<f64>,
    ring_bbox: Vec<BBox>,
    pub(crate) bbox: BBox,
    /// Official area, m².
    pub(crate) area: f64,
}

/// The vertices of a ring without its closing duplicate.
fn open(ring: &[C]) -> &[C] {
    match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    }
}

impl Patch {
    /// Loads `mp`, replacing the previous patch.
    pub(crate) fn load(&mut self, mp: &MultiPolygon<f64>) -> Result<(), OverlayError> {
        let me = self;
        me.xy.clear();
        me.ring_start.clear();
        me.ring_start.push(0);
        me.ring_area.clear();
        me.ring_bbox.clear();
        me.bbox = BBox::EMPTY;
        me.area = 0.0;
        for p in &mp.0 {
            let all = std::iter::once(p.exterior()).chain(p.interiors());
            if !all
                .flat_map(|r| r.0.iter())
                .all(|c| c.x.is_finite() && c.y.is_finite())
            {
                return Err(OverlayError::NonFiniteCoordinate);
            }
            if open(&p.exterior().0).len() < 3 {
                continue;
            }
            let rings = std::iter::once((p.exterior(), true))
                .chain(p.interiors().iter().map(|h| (h, false)));
            for (ring, outer) in rings {
                let pts = open(&ring.0);
                if pts.len() < 3 {
                    continue;
                }
                let s = me.xy.len();
                me.xy.extend_from_slice(pts);
                me.xy.push(pts[0]);
                let sa = planar_signed_area2(&me.xy[s..]);
                if sa != 0.0 && (sa > 0.0) != outer {
                    me.xy[s..].reverse();
                }
                me.ring_start.push(me.xy.len());
                let a = ring_area(ring);
                me.ring_area.push(if outer { a } else { -a });
                let b = BBox::of_points(&me.xy[s..]);
                me.bbox = me.bbox.union(&b);
                me.ring_bbox.push(b);
            }
        }
        me.area = me.ring_area.iter().sum();
        Ok(())
    }

    #[inline]
    pub(crate) fn nrings(&self) -> usize {
        self.ring_area.len()
    }

    #[inline]
    pub(crate) fn ring(&self, k: usize) -> &[C] {
        &self.xy[self.ring_start[k]..self.ring_start[k + 1]]
    }

    /// Position of ring `k`'s first vertex among all the patch's vertices
    /// (edge numbers for [`Seg`]).
    #[inline]
    pub(crate) fn ring_offset(&self, k: usize) -> usize {
        self.ring_start[k]
    }

    #[inline]
    pub(crate) fn ring_bbox(&self, k: usize) -> &BBox {
        &self.ring_bbox[k]
    }

    pub(crate) fn locate(&self, p: C) -> Loc {
        if !self.bbox.contains_point(p) {
            return Loc::Outside;
        }
        locate_in_rings(p, (0..self.nrings()).map(|k| self.ring(k)))
    }
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    feat: u32,
    class: u16,
    area: f64,
    /// The feature covers the whole patch.
    whole: bool,
    /// Box of the patch ∩ the feature's box.
    r: BBox,
    /// Its boundary pieces: `segs[seg_lo..seg_hi]`.
    seg_lo: usize,
    seg_hi: usize,
    /// Whether the pieces are known (not computed by the fallback).
    exact: bool,
}

/// Reusable working memory for overlays on one thread.
#[derive(Default)]
pub(crate) struct Engine {
    exact: Exact,
    stack: Vec<(usize, usize)>,
    cand: Vec<u32>,
    pieces: Vec<Piece>,
    order: Vec<usize>,
    pairs: Vec<(usize, usize)>,
    cert: CertScratch,
    segs: Vec<Seg>,
    chain: Vec<Seg>,
    cbuf: Vec<C>,
    uf: Vec<usize>,
    members: Vec<usize>,
    ids: Vec<u32>,
    classes: Vec<u16>,
    patch: Patch,
    pub(crate) stats: OverlayStats,
}

fn find(uf: &mut [usize], mut i: usize) -> usize {
    while uf[i] != i {
        uf[i] = uf[uf[i]];
        i = uf[i];
    }
    i
}

/// Relative slack for the plausibility check of a piece's area: the
/// official formula is not additive when edges are cut (a piece can come
/// out ~1e-7–1e-6 larger than the patch or feature it lies in); invalid
/// geometry errs by far more.
const SLACK: f64 = 1e-4;

impl Engine {
    /// Area of patch ∩ feature `id` and whether the feature covers the
    /// whole patch, and whether it was computed exactly; its boundary
    /// pieces are appended to `self.segs`.
    fn pair(
        &mut self,
        patch: &Patch,
        layer: &LayerIndex,
        id: u32,
        f: &Feat,
    ) -> Result<(f64, bool, bool), OverlayError> {
        let r = f.bbox.intersection(&patch.bbox);
        match self.exact.pair(patch, layer, id, &r) {
            PairArea::Area(a) => {
                self.stats.crossing += 1;
                self.segs.extend_from_slice(&self.exact.kept);
                return Ok((a, false, true));
            }
            PairArea::Unclosed => {
                self.stats.crossing += 1;
                self.stats.fallbacks += 1;
                return Ok((boolean_area(patch, layer, &[id])?, false, false));
            }
            PairArea::Apart => {}
        }
        // Boundaries apart: every ring of either lies wholly inside or
        // outside the other; the intersection's rings are those inside.
        let (mut area, mut whole) = (0.0, true);
        for k in 0..patch.nrings() {
            match layer.locate(f, patch.ring(k)[0]) {
                Loc::Inside => {
                    area += patch.ring_area[k];
                    let base = patch.ring_offset(k);
                    for (w, e) in patch.ring(k).windows(2).enumerate() {
                        self.segs.push(Seg {
                            a: e[0],
                            b: e[1],
                            pid: u32::try_from(base + w).unwrap_or(u32::MAX),
                            ta: 0.0,
                        });
                    }
                }
                Loc::Outside | Loc::Boundary => whole = false,
            }
        }
        for (k, (ri, ring)) in layer.rings(f).enumerate() {
            if !patch.bbox.contains_box(&layer.ring_bbox(f, k, ring)) {
                continue;
            }
            if patch.locate(ring[0]) == Loc::Inside {
                area += layer.ring_area[ri];
                whole = false;
                for e in ring.windows(2) {
                    self.segs.push(Seg {
                        a: e[0],
                        b: e[1],
                        pid: u32::MAX,
                        ta: 0.0,
                    });
                }
            }
        }
        self.stats.contained += u64::from(area != 0.0);
        Ok((area, whole && patch.nrings() > 0, true))
    }

    /// Overlay of one patch with one layer.
    pub(crate) fn overlay(
        &mut self,
        mp: &MultiPolygon<f64>,
        layer: &LayerIndex,
    ) -> Result<Overlap, OverlayError> {
        self.stats.patches += 1;
        let mut patch = std::mem::take(&mut self.patch);
        let out = patch.load(mp).and_then(|()| self.run(&patch, layer));
        self.patch = patch;
        out
    }

    fn run(&mut self, patch: &Patch, layer: &LayerIndex) -> Result<Overlap, OverlayError> {
        if patch.nrings() == 0 {
            return Ok(Overlap::default());
        }
        self.cand.clear();
        {
            let Self { stack, cand, .. } = self;
            layer.tree.query(&patch.bbox, stack, |id| cand.push(id));
        }
        self.cand.sort_unstable();
        self.pieces.clear();
        self.segs.clear();
        for i in 0..self.cand.len() {
            let id = self.cand[i];
            let f = layer.feats[id as usize];
            if !f.bbox.overlaps(&patch.bbox) {
                continue;
            }
            self.stats.candidates += 1;
            let seg_lo = self.segs.len();
            let (area, whole, exact) = self.pair(patch, layer, id, &f)?;
            let bound = patch.area.min(f.area);
            if !(area <= bound * (1.0 + SLACK) + AREA_EPSILON_M2 && area >= -AREA_EPSILON_M2) {
                return Err(OverlayError::Implausible {
                    feature: id as usize,
                    area,
                    bound,
                });
            }
            if area > AREA_EPSILON_M2 {
                self.pieces.push(Piece {
                    feat: id,
                    class: f.class,
                    area,
                    whole,
                    r: f.bbox.intersection(&patch.bbox),
                    seg_lo,
                    seg_hi: self.segs.len(),
                    exact,
                });
            } else {
                self.segs.truncate(seg_lo);
            }
        }
        self.stats.pieces += self.pieces.len() as u64;
        self.combine(patch, layer)
    }

    /// Union-correct totals from the pieces.
    fn combine(&mut self, patch: &Patch, layer: &LayerIndex) -> Result<Overlap, OverlayError> {
        // Pairs of pieces that may overlap: boxes overlap and the features
        // are not certified interior-disjoint.
        self.pairs.clear();
        let n = self.pieces.len();
        if n > 1 {
            self.order.clear();
            self.order.extend(0..n);
            let pieces = &self.pieces;
            self.order
                .sort_unstable_by(|&a, &b| pieces[a].r.x0.total_cmp(&pieces[b].r.x0));
            for a in 0..n {
                let pa = self.pieces[self.order[a]];
                for b in a + 1..n {
                    let pb = self.pieces[self.order[b]];
                    if pb.r.x0 >= pa.r.x1 {
                        break;
                    }
                    if pa.whole || pb.whole || !pa.r.overlaps(&pb.r) {
                        continue;
                    }
                    let (fa, fb) = (layer.feats[pa.feat as usize], layer.feats[pb.feat as usize]);
                    if !certify::disjoint(layer, &fa, &fb, &mut self.cert) {
                        self.pairs.push((self.order[a], self.order[b]));
                    }
                }
            }
        }
        let mut classes = std::mem::take(&mut self.classes);
        classes.clear();
        classes.extend(self.pieces.iter().map(|p| p.class));
        classes.sort_unstable();
        classes.dedup();
        let mut out = Overlap {
            area_m2: 0.0,
            by_class: Vec::with_capacity(classes.len()),
            features: self.pieces.iter().map(|p| p.feat as usize).collect(),
            feature_areas: self.pieces.iter().map(|p| p.area).collect(),
        };
        out.area_m2 = self.union_area(patch, layer, None)?;
        for &c in &classes {
            match self.union_area(patch, layer, Some(c)) {
                Ok(a) => out.by_class.push((c, a)),
                Err(e) => {
                    self.classes = classes;
                    return Err(e);
                }
            }
        }
        self.classes = classes;
        Ok(out)
    }

    /// Official area of patch ∩ the union of the pieces' features (of class
    /// `class`, or all): the region bounded by their pieces, where pieces
    /// that may overlap (uncertified pairs, grouped by union–find) are
    /// replaced by the exact boundary of their group's union.
    fn union_area(
        &mut self,
        patch: &Patch,
        layer: &LayerIndex,
        class: Option<u16>,
    ) -> Result<f64, OverlayError> {
        let keep = |p: &Piece| class.is_none_or(|c| p.class == c);
        if self.pieces.iter().any(|p| p.whole && keep(p)) {
            return Ok(patch.area);
        }
        let n = self.pieces.len();
        let mut selected = self.pieces.iter().filter(|p| keep(p));
        let (Some(first), second) = (selected.next(), selected.next()) else {
            return Ok(0.0);
        };
        if second.is_none() {
            return Ok(first.area);
        }
        if self.pieces.iter().any(|p| !p.exact && keep(p)) {
            return self.fallback_union(patch, layer, class);
        }
        let mut uf = std::mem::take(&mut self.uf);
        let mut members = std::mem::take(&mut self.members);
        uf.clear();
        uf.extend(0..n);
        for &(i, j) in &self.pairs {
            if keep(&self.pieces[i]) && keep(&self.pieces[j]) {
                let (a, b) = (find(&mut uf, i), find(&mut uf, j));
                if a != b {
                    uf[a.max(b)] = a.min(b);
                }
            }
        }
        self.chain.clear();
        let mut direct = 0.0;
        for root in 0..n {
            if find(&mut uf, root) != root || !keep(&self.pieces[root]) {
                continue;
            }
            members.clear();
            for i in root..n {
                if find(&mut uf, i) == root {
                    members.push(i);
                }
            }
            if let [one] = members.as_slice() {
                let p = self.pieces[*one];
                direct += p.area;
                self.chain.extend_from_slice(&self.segs[p.seg_lo..p.seg_hi]);
            } else {
                self.stats.unions += 1;
                self.ids.clear();
                self.ids
                    .extend(members.iter().map(|&i| self.pieces[i].feat));
                let Some(a) = self.exact.group(patch, layer, &self.ids) else {
                    self.uf = uf;
                    self.members = members;
                    return self.fallback_union(patch, layer, class);
                };
                direct += a;
                self.chain.extend_from_slice(&self.exact.kept);
            }
        }
        self.uf = uf;
        self.members = members;
        // Where no pieces abut across features, the chain's sum is the sum
        // of the parts' own.
        Ok(chain_area(&mut self.chain, &mut self.cbuf).unwrap_or(direct))
    }

    /// The union's area by the boolean-operation fallback.
    fn fallback_union(
        &mut self,
        patch: &Patch,
        layer: &LayerIndex,
        class: Option<u16>,
    ) -> Result<f64, OverlayError> {
        self.stats.fallbacks += 1;
        self.ids.clear();
        self.ids.extend(
            self.pieces
                .iter()
                .filter(|p| class.is_none_or(|c| p.class == c))
                .map(|p| p.feat),
        );
        boolean_area(patch, layer, &self.ids)
    }
}
