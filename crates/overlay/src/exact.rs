//! The exact official area of patch ∩ (union of a group of features),
//! from the boundary of the intersection.
//!
//! The official area is a sum over the edges of a polygon's boundary
//! (ΔL · Z(Bm) per edge, DOMAIN §12). The boundary of P ∩ (A ∪ B ∪ …) is
//! made of pieces of the input edges: every input edge is cut at each point
//! where another input's boundary meets it, and each resulting piece either
//! lies on the result's boundary, with the input's orientation, or not.
//! So the result's area is the official sum over the pieces that do — each
//! piece exactly the straight edge of the true intersection polygon between
//! two of its vertices (input vertices or intersection points), never split
//! further. (Clipping algorithms that split edges more finely, or run
//! bridges along them, change the official sum by ~10⁻⁶ relative, since
//! ΔL · Z(Bm) is not additive when an edge is subdivided.)
//!
//! With every ring oriented interior-left (outer rings counter-clockwise,
//! holes clockwise), a piece of a patch edge is on the boundary iff some
//! feature of the group strictly contains it, or a feature edge runs along
//! it in the same direction. A piece of feature A's edge is on the boundary
//! iff the patch strictly contains it, no other feature strictly contains
//! it, no other feature's edge runs along it in the opposite direction (a
//! shared edge inside the union), and — if others run along it in the same
//! direction (duplicates) — A is the first of them. Pieces along patch edges
//! are counted on the patch's side.
//!
//! Which side a piece is on is decided at its midpoint, exactly (the piece
//! meets no other boundary between its ends). The pieces kept are chained
//! into one sequence through a fixed anchor point, so the joins cancel
//! exactly, and the sum is taken by `weipian_geo::area::ring_area`.

use geo_types::LineString;
use weipian_geo::area::ring_area;

use crate::engine::Patch;
use crate::layer::LayerIndex;
use crate::predicates::{orient, BBox, Loc, C};

#[derive(Debug, Clone, Copy)]
struct Edge {
    a: C,
    b: C,
    /// 0 = the patch, k = member k − 1.
    owner: u32,
}

/// A point where another boundary meets an edge's interior.
#[derive(Debug, Clone, Copy)]
struct Event {
    edge: u32,
    t: f64,
    p: C,
}

/// A stretch `t0..t1` of an edge along which an edge of `other` runs.
#[derive(Debug, Clone, Copy)]
struct Along {
    edge: u32,
    t0: f64,
    t1: f64,
    other: u32,
    same_dir: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Exact {
    edges: Vec<Edge>,
    /// `edges[..np]` belong to the patch.
    np: usize,
    ev: Vec<Event>,
    along: Vec<Along>,
    /// Whether the patch's boundary meets a member's anywhere (even at a
    /// common vertex).
    contact: bool,
    buf: Vec<C>,
    pts: Vec<(f64, C)>,
    ids: Vec<u32>,
}

#[inline]
fn cross(a: C, b: C) -> f64 {
    a.x * b.y - a.y * b.x
}

#[inline]
fn sub(a: C, b: C) -> C {
    C {
        x: a.x - b.x,
        y: a.y - b.y,
    }
}

#[inline]
fn dot(a: C, b: C) -> f64 {
    a.x * b.x + a.y * b.y
}

/// Parameter of `x` projected on segment `a → b`, clamped to [0, 1].
#[inline]
fn param(a: C, b: C, x: C) -> f64 {
    let d = sub(b, a);
    let dd = dot(d, d);
    if dd > 0.0 {
        (dot(sub(x, a), d) / dd).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

impl Exact {
    /// Collects the patch's edges meeting `r` and the edges of `members`
    /// meeting the patch's box ∩ their own.
    fn collect(&mut self, patch: &Patch, layer: &LayerIndex, members: &[u32], r: &BBox) {
        self.edges.clear();
        self.ev.clear();
        self.along.clear();
        self.contact = false;
        for k in 0..patch.nrings() {
            if !patch.ring_bbox(k).intersects(r) {
                continue;
            }
            for e in patch.ring(k).windows(2) {
                if e[0] != e[1] && BBox::of_segment(e[0], e[1]).intersects(r) {
                    self.edges.push(Edge {
                        a: e[0],
                        b: e[1],
                        owner: 0,
                    });
                }
            }
        }
        self.np = self.edges.len();
        for (m, &id) in members.iter().enumerate() {
            let f = &layer.feats[id as usize];
            let rm = f.bbox.intersection(&patch.bbox);
            let owner = u32::try_from(m + 1).unwrap_or(u32::MAX);
            let edges = &mut self.edges;
            layer.any_edge_in(f, &rm, |a, b| {
                if a != b {
                    edges.push(Edge { a, b, owner });
                }
                false
            });
        }
    }

    /// Records where edges `i` and `j` (different owners) meet.
    fn meet(&mut self, i: usize, j: usize) {
        let (ei, ej) = (self.edges[i], self.edges[j]);
        let (p0, p1, q0, q1) = (ei.a, ei.b, ej.a, ej.b);
        if !BBox::of_segment(p0, p1).intersects(&BBox::of_segment(q0, q1)) {
            return;
        }
        let o1 = orient(p0, p1, q0);
        let o2 = orient(p0, p1, q1);
        if (o1 > 0.0 && o2 > 0.0) || (o1 < 0.0 && o2 < 0.0) {
            return;
        }
        let o3 = orient(q0, q1, p0);
        let o4 = orient(q0, q1, p1);
        if (o3 > 0.0 && o4 > 0.0) || (o3 < 0.0 && o4 < 0.0) {
            return;
        }
        if ei.owner == 0 || ej.owner == 0 {
            self.contact = true;
        }
        #[allow(clippy::cast_possible_truncation)]
        let (iu, ju) = (i as u32, j as u32);
        if o1 == 0.0 && o2 == 0.0 {
            // Collinear: the common stretch, on both edges.
            let d = sub(p1, p0);
            let dd = dot(d, d);
            let (tq0, tq1) = (dot(sub(q0, p0), d) / dd, dot(sub(q1, p0), d) / dd);
            let (lo, hi) = (tq0.min(tq1), tq0.max(tq1));
            let (s0, s1) = (lo.max(0.0), hi.min(1.0));
            if s0 >= s1 {
                return; // end to end: a common vertex only
            }
            let same_dir = dot(d, sub(q1, q0)) > 0.0;
            let (qlo, qhi) = if tq0 <= tq1 { (q0, q1) } else { (q1, q0) };
            if lo > 0.0 {
                self.ev.push(Event {
                    edge: iu,
                    t: lo,
                    p: qlo,
                });
            }
            if hi < 1.0 {
                self.ev.push(Event {
                    edge: iu,
                    t: hi,
                    p: qhi,
                });
            }
            self.along.push(Along {
                edge: iu,
                t0: s0,
                t1: s1,
                other: ej.owner,
                same_dir,
            });
            let e = sub(q1, q0);
            let ee = dot(e, e);
            let (up0, up1) = (dot(sub(p0, q0), e) / ee, dot(sub(p1, q0), e) / ee);
            let (lo, hi) = (up0.min(up1), up0.max(up1));
            let (plo, phi) = if up0 <= up1 { (p0, p1) } else { (p1, p0) };
            if lo > 0.0 {
                self.ev.push(Event {
                    edge: ju,
                    t: lo,
                    p: plo,
                });
            }
            if hi < 1.0 {
                self.ev.push(Event {
                    edge: ju,
                    t: hi,
                    p: phi,
                });
            }
            self.along.push(Along {
                edge: ju,
                t0: lo.max(0.0),
                t1: hi.min(1.0),
                other: ei.owner,
                same_dir,
            });
            return;
        }
        if o1 != 0.0 && o2 != 0.0 && o3 != 0.0 && o4 != 0.0 {
            // A proper crossing: one point, computed once for both edges.
            let (d, e) = (sub(p1, p0), sub(q1, q0));
            let den = cross(d, e);
            let w = sub(q0, p0);
            let mut t = cross(w, e) / den;
            if !t.is_finite() {
                t = 0.5;
            }
            let t = t.clamp(0.0, 1.0);
            let x = C {
                x: p0.x + d.x * t,
                y: p0.y + d.y * t,
            };
            let u = param(q0, q1, x);
            self.ev.push(Event { edge: iu, t, p: x });
            self.ev.push(Event {
                edge: ju,
                t: u,
                p: x,
            });
            return;
        }
        // Touching: an endpoint of one lies on the other.
        for (o, q) in [(o1, q0), (o2, q1)] {
            if o == 0.0 {
                let t = param(p0, p1, q);
                if t > 0.0 && t < 1.0 {
                    self.ev.push(Event { edge: iu, t, p: q });
                }
            }
        }
        for (o, p) in [(o3, p0), (o4, p1)] {
            if o == 0.0 {
                let t = param(q0, q1, p);
                if t > 0.0 && t < 1.0 {
                    self.ev.push(Event { edge: ju, t, p });
                }
            }
        }
    }

    /// Finds every meeting between the patch's edges and the members', and
    /// (for groups) between different members' edges.
    fn meet_all(&mut self) {
        let n = self.edges.len();
        for i in 0..self.np {
            for j in self.np..n {
                self.meet(i, j);
            }
        }
        for i in self.np..n {
            for j in i + 1..n {
                if self.edges[i].owner != self.edges[j].owner {
                    self.meet(i, j);
                }
            }
        }
    }

    /// Appends piece `a → b` to the chain through the anchor.
    #[inline]
    fn push_piece(buf: &mut Vec<C>, a: C, b: C) {
        match buf.last() {
            Some(&last) if last == a => buf.push(b),
            Some(_) => {
                let anchor = buf[0];
                buf.push(anchor);
                buf.push(a);
                buf.push(b);
            }
            None => {
                buf.push(a);
                buf.push(b);
            }
        }
    }

    /// Sums the pieces on the boundary of patch ∩ ∪members.
    fn sum(&mut self, patch: &Patch, layer: &LayerIndex, members: &[u32]) -> f64 {
        self.ev
            .sort_unstable_by(|a, b| a.edge.cmp(&b.edge).then(a.t.total_cmp(&b.t)));
        self.buf.clear();
        let mut k = 0;
        for i in 0..self.edges.len() {
            let e = self.edges[i];
            self.pts.clear();
            self.pts.push((0.0, e.a));
            #[allow(clippy::cast_possible_truncation)]
            let iu = i as u32;
            while k < self.ev.len() && self.ev[k].edge == iu {
                self.pts.push((self.ev[k].t, self.ev[k].p));
                k += 1;
            }
            self.pts.push((1.0, e.b));
            for w in 0..self.pts.len() - 1 {
                let ((ta, a), (tb, b)) = (self.pts[w], self.pts[w + 1]);
                if a == b {
                    continue;
                }
                let tm = (ta + tb) / 2.0;
                let m = C {
                    x: (a.x + b.x) / 2.0,
                    y: (a.y + b.y) / 2.0,
                };
                if self.keep(patch, layer, members, iu, e.owner, tm, m) {
                    Self::push_piece(&mut self.buf, a, b);
                }
            }
        }
        if self.buf.len() < 3 {
            return 0.0;
        }
        let ls = LineString(std::mem::take(&mut self.buf));
        let a = ring_area(&ls);
        self.buf = ls.0;
        a
    }

    /// Whether the piece of edge `i` (owner `owner`) around parameter `tm`,
    /// midpoint `m`, lies on the result's boundary.
    #[allow(clippy::too_many_arguments)]
    fn keep(
        &self,
        patch: &Patch,
        layer: &LayerIndex,
        members: &[u32],
        i: u32,
        owner: u32,
        tm: f64,
        m: C,
    ) -> bool {
        let along = |other: u32| {
            self.along
                .iter()
                .find(|o| o.edge == i && o.other == other && o.t0 <= tm && tm <= o.t1)
        };
        let inside = |k: usize| {
            let f = &layer.feats[members[k] as usize];
            layer.locate(f, m) == Loc::Inside
        };
        if owner == 0 {
            let same = !self.along.is_empty()
                && self
                    .along
                    .iter()
                    .any(|o| o.edge == i && o.same_dir && o.t0 <= tm && tm <= o.t1);
            return same || (0..members.len()).any(inside);
        }
        if !self.along.is_empty() && along(0).is_some() {
            return false;
        }
        if patch.locate(m) != Loc::Inside {
            return false;
        }
        let me = owner as usize - 1;
        for k in 0..members.len() {
            if k == me {
                continue;
            }
            #[allow(clippy::cast_possible_truncation)]
            match along(k as u32 + 1) {
                Some(o) if !o.same_dir || k < me => return false,
                Some(_) => {}
                None if inside(k) => return false,
                None => {}
            }
        }
        true
    }

    /// Area of patch ∩ feature `id` when their boundaries meet; `None` when
    /// they do not meet at all (the caller settles that case ring by ring).
    pub(crate) fn pair(
        &mut self,
        patch: &Patch,
        layer: &LayerIndex,
        id: u32,
        r: &BBox,
    ) -> Option<f64> {
        self.ids.clear();
        self.ids.push(id);
        let ids = std::mem::take(&mut self.ids);
        self.collect(patch, layer, &ids, r);
        self.meet_all();
        let out = self.contact.then(|| self.sum(patch, layer, &ids));
        self.ids = ids;
        out
    }

    /// Area of patch ∩ (union of features `ids`).
    pub(crate) fn group(&mut self, patch: &Patch, layer: &LayerIndex, ids: &[u32]) -> f64 {
        let r = ids
            .iter()
            .map(|&id| layer.feats[id as usize].bbox)
            .fold(BBox::EMPTY, |a, b| a.union(&b))
            .intersection(&patch.bbox);
        self.collect(patch, layer, ids, &r);
        self.meet_all();
        self.sum(patch, layer, ids)
    }
}
