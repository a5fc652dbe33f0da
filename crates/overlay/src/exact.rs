//! The exact official area of patch ∩ (union of a group of features),
//! from the boundary of the intersection.
//!
//! The official area is a sum over the edges of a polygon's boundary
//! (ΔL · Z(Bm) per edge, DOMAIN §12). The boundary of P ∩ (A ∪ B ∪ …) is
//! made of pieces of the input edges: every input edge is cut at each point
//! where another input's boundary meets it, and each resulting piece either
//! lies on the result's boundary, with the input's orientation, or not.
//! Consecutive kept pieces of one edge are joined again, so the sum runs
//! over exactly the edges of the intersection polygon — input vertices and
//! crossing points, edges never split further. That matters: ΔL · Z(Bm) is
//! not additive when an edge is split (≈ 2·10⁻³ m² per split 100 m diagonal
//! edge, 10⁻⁷–10⁻⁶ relative), so the split points of clipping algorithms,
//! or of summing pieces, would change the official figure.
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
//! meets no other boundary between its ends); pieces running along another
//! boundary are decided by direction, never by a point test. A crossing
//! point is computed once per pair of segments (with the second segment in
//! a canonical direction), so every use of it — on both edges, and in the
//! pieces of neighbouring features sharing an edge — is bit-identical.
//!
//! The pieces kept are chained into one sequence through a fixed anchor
//! point, so the joins cancel exactly, and the sum is taken by
//! `weipian_geo::area::ring_area`. They are also kept as [`Seg`]s, so that
//! totals over several features can be formed the same way (see
//! [`chain_area`]): pieces of the patch's edges that abut across features
//! are joined, and edges shared by two features cancel.

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
    /// For patch edges, the edge's position in the patch; else `u32::MAX`.
    pid: u32,
}

/// A kept piece of an edge: `a → b`; `pid` as in the patch's edge numbering
/// (`u32::MAX` for a feature's edge), `ta` where it starts on that edge.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg {
    pub a: C,
    pub b: C,
    pub pid: u32,
    pub ta: f64,
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
    /// The pieces kept by the last computation.
    pub(crate) kept: Vec<Seg>,
    ends: Vec<(C, i32)>,
}

/// What [`Exact::pair`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PairArea {
    /// The boundaries do not meet.
    Apart,
    /// The area of the intersection.
    Area(f64),
    /// The pieces did not close up.
    Unclosed,
}

/// Whether the segments form closed chains: every point is an end as often
/// as it is a start. Points closer than [`NEAR`] count as one: where
/// boundaries run within rounding of each other, a piece a few units in the
/// last place long may fall on either side, and the gap it leaves adds a
/// negligible area (its length times the patch's size, ~10⁻⁷ m²). A real
/// inconsistency leaves a long gap and is caught.
pub(crate) fn closed(segs: &[Seg], ends: &mut Vec<(C, i32)>) -> bool {
    ends.clear();
    for s in segs {
        ends.push((s.a, 1));
        ends.push((s.b, -1));
    }
    ends.sort_unstable_by(|a, b| a.0.x.total_cmp(&b.0.x).then(a.0.y.total_cmp(&b.0.y)));
    // Net count per exact point, leaving only the unbalanced ones.
    let mut w = 0;
    let mut i = 0;
    while i < ends.len() {
        let (p, mut n) = ends[i];
        i += 1;
        while i < ends.len() && ends[i].0 == p {
            n += ends[i].1;
            i += 1;
        }
        if n != 0 {
            ends[w] = (p, n);
            w += 1;
        }
    }
    ends.truncate(w);
    // Balance the rest between points within NEAR of each other (sorted by
    // x, so only a short run needs looking at).
    for i in 0..ends.len() {
        let mut j = i + 1;
        while ends[i].1 != 0 && j < ends.len() && ends[j].0.x - ends[i].0.x <= NEAR {
            let (pi, ni) = ends[i];
            let (pj, nj) = ends[j];
            if (pi.y - pj.y).abs() <= NEAR && nj != 0 && (ni > 0) != (nj > 0) {
                let m = ni.abs().min(nj.abs());
                ends[i].1 -= m * ni.signum();
                ends[j].1 -= m * nj.signum();
            }
            j += 1;
        }
    }
    ends.iter().all(|e| e.1 == 0)
}

/// Segments whose ends lie within this distance (degrees, ≈ 1 µm) of each
/// other's lines are treated as running along each other.
pub(crate) const NEAR: f64 = 1e-11;

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

/// Lexicographic order of points.
#[inline]
fn lex_le(a: C, b: C) -> bool {
    a.x < b.x || (a.x == b.x && a.y <= b.y)
}

/// The segment with its endpoints in lexicographic order.
#[inline]
fn canon(a: C, b: C) -> (C, C) {
    if lex_le(a, b) {
        (a, b)
    } else {
        (b, a)
    }
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

/// Appends piece `a → b` to a chain whose joins pass through its first
/// point (the anchor): A, …, A, B, …, A, C, …: each join is run there and
/// back, so the joins add nothing.
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

/// The official area of a chain of pieces (0 for fewer than 3 points).
fn ring_sum(buf: &mut Vec<C>) -> f64 {
    if buf.len() < 3 {
        return 0.0;
    }
    let ls = LineString(std::mem::take(buf));
    let a = ring_area(&ls);
    *buf = ls.0;
    a
}

/// The official area of the region bounded by `segs` (pieces kept for
/// several features): pieces of one patch edge that abut are joined into
/// one edge, as they are one edge of the region; pieces of features' edges
/// are taken as they are (an edge shared by two features appears once in
/// each direction and cancels exactly). `None` when no pieces abut: the
/// area is then the sum of the pieces' own areas, which the caller has.
/// `buf` is working memory.
pub(crate) fn chain_area(segs: &mut [Seg], buf: &mut Vec<C>) -> Option<f64> {
    segs.sort_unstable_by(|a, b| a.pid.cmp(&b.pid).then(a.ta.total_cmp(&b.ta)));
    let abut = segs
        .windows(2)
        .any(|w| w[0].pid != u32::MAX && w[1].pid == w[0].pid && w[1].a == w[0].b);
    if !abut {
        return None;
    }
    buf.clear();
    let mut i = 0;
    while i < segs.len() {
        let mut s = segs[i];
        i += 1;
        if s.pid != u32::MAX {
            while i < segs.len() && segs[i].pid == s.pid && segs[i].a == s.b {
                s.b = segs[i].b;
                i += 1;
            }
        }
        push_piece(buf, s.a, s.b);
    }
    Some(ring_sum(buf))
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
            let base = patch.ring_offset(k);
            for (w, e) in patch.ring(k).windows(2).enumerate() {
                if e[0] != e[1] && BBox::of_segment(e[0], e[1]).intersects(r) {
                    self.edges.push(Edge {
                        a: e[0],
                        b: e[1],
                        owner: 0,
                        pid: u32::try_from(base + w).unwrap_or(u32::MAX),
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
                    edges.push(Edge {
                        a,
                        b,
                        owner,
                        pid: u32::MAX,
                    });
                }
                false
            });
        }
    }

    /// Records edges `iu` and `ju`, collinear or nearly so, as running
    /// along each other: the common stretch on both (by projection), each
    /// cut at the other's ends (the cut points being those ends themselves).
    fn along_pair(&mut self, iu: u32, ju: u32, involves_patch: bool) {
        let (ei, ej) = (self.edges[iu as usize], self.edges[ju as usize]);
        let (p0, p1, q0, q1) = (ei.a, ei.b, ej.a, ej.b);
        let (d, e) = (sub(p1, p0), sub(q1, q0));
        let (dd, ee) = (dot(d, d), dot(e, e));
        let (tq0, tq1) = (dot(sub(q0, p0), d) / dd, dot(sub(q1, p0), d) / dd);
        let (lo, hi) = (tq0.min(tq1), tq0.max(tq1));
        let (s0, s1) = (lo.max(0.0), hi.min(1.0));
        if s0 > s1 || s0.is_nan() || s1.is_nan() {
            return; // apart along the line
        }
        if involves_patch {
            self.contact = true;
        }
        if s0 == s1 {
            return; // end to end: one common point
        }
        let same_dir = dot(d, e) > 0.0;
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
        let (up0, up1) = (dot(sub(p0, q0), e) / ee, dot(sub(p1, q0), e) / ee);
        let (lo, hi) = (up0.min(up1), up0.max(up1));
        let (plo, phi) = if up0 <= up1 { (p0, p1) } else { (p1, p0) };
        if lo > 0.0 && lo < 1.0 {
            self.ev.push(Event {
                edge: ju,
                t: lo,
                p: plo,
            });
        }
        if hi < 1.0 && hi > 0.0 {
            self.ev.push(Event {
                edge: ju,
                t: hi,
                p: phi,
            });
        }
        self.along.push(Along {
            edge: ju,
            t0: lo.clamp(0.0, 1.0),
            t1: hi.clamp(0.0, 1.0),
            other: ei.owner,
            same_dir,
        });
    }

    /// Records where edges `i` and `j` (different owners) meet.
    fn meet(&mut self, i: usize, j: usize) {
        let (ei, ej) = (self.edges[i], self.edges[j]);
        let (p0, p1, q0, q1) = (ei.a, ei.b, ej.a, ej.b);
        if !BBox::of_segment(p0, p1)
            .grow(NEAR)
            .intersects(&BBox::of_segment(q0, q1))
        {
            return;
        }
        let involves_patch = ei.owner == 0 || ej.owner == 0;
        #[allow(clippy::cast_possible_truncation)]
        let (iu, ju) = (i as u32, j as u32);
        // Nearly collinear (one segment's ends within NEAR of the other's
        // line): treated as running along each other. Crossing points of
        // such segments are ill-conditioned and the midpoints of their
        // pieces lie within rounding of the other boundary, so neither can
        // decide anything; their directions do.
        // cross(d, x − p0)² / |d|² is x's squared distance from p's line.
        let (d, e) = (sub(p1, p0), sub(q1, q0));
        let (lp2, lq2) = (dot(d, d) * (NEAR * NEAR), dot(e, e) * (NEAR * NEAR));
        let sq = |v: f64| v * v;
        let q_on_p = sq(cross(d, sub(q0, p0))) <= lp2 && sq(cross(d, sub(q1, p0))) <= lp2;
        let p_on_q = sq(cross(e, sub(p0, q0))) <= lq2 && sq(cross(e, sub(p1, q0))) <= lq2;
        if q_on_p || p_on_q {
            self.along_pair(iu, ju, involves_patch);
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
        if involves_patch {
            self.contact = true;
        }
        if o1 == 0.0 && o2 == 0.0 {
            self.along_pair(iu, ju, involves_patch);
            return;
        }
        if o1 != 0.0 && o2 != 0.0 && o3 != 0.0 && o4 != 0.0 {
            // A proper crossing: one point for both edges, computed from the
            // two segments in a canonical order and direction, so that it
            // does not depend on which feature's copy of a shared edge, or
            // which direction, is at hand.
            let (mut s0, mut s1) = canon(p0, p1);
            let (mut r0, mut r1) = canon(q0, q1);
            if !(lex_le(s0, r0) && (s0 != r0 || lex_le(s1, r1))) {
                std::mem::swap(&mut s0, &mut r0);
                std::mem::swap(&mut s1, &mut r1);
            }
            let (d, e) = (sub(s1, s0), sub(r1, r0));
            let mut t = cross(sub(r0, s0), e) / cross(d, e);
            if !t.is_finite() {
                t = 0.5;
            }
            let t = t.clamp(0.0, 1.0);
            let x = C {
                x: s0.x + d.x * t,
                y: s0.y + d.y * t,
            };
            self.ev.push(Event {
                edge: iu,
                t: param(p0, p1, x),
                p: x,
            });
            self.ev.push(Event {
                edge: ju,
                t: param(q0, q1, x),
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

    /// Sums the pieces on the boundary of patch ∩ ∪members, keeping them
    /// in `self.kept` (consecutive pieces of one edge joined); `None` if they
    /// do not close up (only near-degenerate input can make the point tests
    /// disagree), in which case no sum is right.
    fn sum(&mut self, patch: &Patch, layer: &LayerIndex, members: &[u32]) -> Option<f64> {
        self.ev
            .sort_unstable_by(|a, b| a.edge.cmp(&b.edge).then(a.t.total_cmp(&b.t)));
        self.kept.clear();
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
            let mut open = false;
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
                if !self.keep(patch, layer, members, iu, e.owner, tm, m) {
                    open = false;
                    continue;
                }
                match self.kept.last_mut() {
                    Some(last) if open && last.b == a => last.b = b,
                    _ => self.kept.push(Seg {
                        a,
                        b,
                        pid: e.pid,
                        ta,
                    }),
                }
                open = true;
            }
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        for s in &self.kept {
            push_piece(&mut buf, s.a, s.b);
        }
        let a = ring_sum(&mut buf);
        self.buf = buf;
        closed(&self.kept, &mut self.ends).then_some(a)
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
            // Covered by a member: along one of its edges in the same
            // direction, or strictly inside it (never decided by a point
            // test where the piece runs along the member's boundary: the
            // rounded midpoint may fall on either side).
            #[allow(clippy::cast_possible_truncation)]
            return (0..members.len()).any(|k| match along(k as u32 + 1) {
                Some(o) => o.same_dir,
                None => inside(k),
            });
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

    /// Area of patch ∩ feature `id`, or that their boundaries do not meet
    /// at all (the caller settles that case ring by ring).
    pub(crate) fn pair(
        &mut self,
        patch: &Patch,
        layer: &LayerIndex,
        id: u32,
        r: &BBox,
    ) -> PairArea {
        self.ids.clear();
        self.ids.push(id);
        let ids = std::mem::take(&mut self.ids);
        self.collect(patch, layer, &ids, r);
        self.meet_all();
        let out = if self.contact {
            self.sum(patch, layer, &ids)
                .map_or(PairArea::Unclosed, PairArea::Area)
        } else {
            PairArea::Apart
        };
        self.ids = ids;
        out
    }

    /// Area of patch ∩ (union of features `ids`); `None` if the pieces did
    /// not close up.
    pub(crate) fn group(&mut self, patch: &Patch, layer: &LayerIndex, ids: &[u32]) -> Option<f64> {
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
