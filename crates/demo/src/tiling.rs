//! Farmland tilings: a block of cultivated parcels as a grid whose nodes are
//! jittered and whose inner edges may carry one extra vertex. Neighbouring
//! parcels share nodes and edge vertices exactly (a clean tiling, as in the
//! land survey); groups of parcels form 永久基本农田 blocks along the same
//! vertices.

use crate::geom::{closed, pt, BBox, Frame, Pt};
use crate::rng::{mix, Hashed};
use geo_types::{LineString, Polygon};

/// Relative spread of column widths / row heights.
const SPREAD: (f64, f64) = (0.8, 1.25);
/// Node jitter as a share of the smaller adjacent spacing.
const NODE_JITTER: f64 = 0.12;
/// Sideways offset of an edge's extra vertex, as a share of the edge length.
const MID_OFFSET: f64 = 0.04;

#[derive(Debug, Clone)]
pub(crate) struct FieldGrid {
    xs: Vec<f64>,
    ys: Vec<f64>,
    nodes: Vec<Pt>,
    key: u64,
    mid_prob: f64,
}

fn spacings(total: f64, mean: f64, h: &mut Hashed) -> Vec<f64> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = ((total / mean).round() as usize).max(1);
    let u: Vec<f64> = (0..n).map(|_| h.range(SPREAD.0, SPREAD.1)).collect();
    let s: f64 = u.iter().sum();
    u.iter().map(|x| x / s).collect()
}

fn cuts(lo: f64, hi: f64, shares: &[f64]) -> Vec<f64> {
    let mut v = Vec::with_capacity(shares.len() + 1);
    v.push(lo);
    let mut acc = 0.0;
    for s in &shares[..shares.len() - 1] {
        acc += s;
        v.push(lo + (hi - lo) * acc);
    }
    v.push(hi);
    v
}

impl FieldGrid {
    /// A tiling of `rect` (degrees) with parcels of about `mean_w` × `mean_h`
    /// metres. The block's outline stays exactly `rect`.
    pub(crate) fn new(rect: BBox, mean_w: f64, mean_h: f64, key: u64, mid_prob: f64) -> Self {
        let f = Frame::at(rect.center().y);
        let mut h = Hashed::new(key);
        let xs = cuts(
            rect.x0,
            rect.x1,
            &spacings(rect.width() * f.mx, mean_w, &mut h),
        );
        let ys = cuts(
            rect.y0,
            rect.y1,
            &spacings(rect.height() * f.my, mean_h, &mut h),
        );
        let (nc, nr) = (xs.len() - 1, ys.len() - 1);
        let mut nodes = Vec::with_capacity((nc + 1) * (nr + 1));
        for j in 0..=nr {
            for i in 0..=nc {
                let mut p = pt(xs[i], ys[j]);
                let mut hn = Hashed::new(mix(key, (j * (nc + 1) + i) as u64));
                if i > 0 && i < nc {
                    let w = (xs[i] - xs[i - 1]).min(xs[i + 1] - xs[i]);
                    p.x += hn.signed() * NODE_JITTER * w;
                }
                if j > 0 && j < nr {
                    let w = (ys[j] - ys[j - 1]).min(ys[j + 1] - ys[j]);
                    p.y += hn.signed() * NODE_JITTER * w;
                }
                nodes.push(p);
            }
        }
        Self {
            xs,
            ys,
            nodes,
            key,
            mid_prob,
        }
    }

    pub(crate) fn cols(&self) -> usize {
        self.xs.len() - 1
    }

    pub(crate) fn rows(&self) -> usize {
        self.ys.len() - 1
    }

    fn node(&self, i: usize, j: usize) -> Pt {
        self.nodes[j * (self.cols() + 1) + i]
    }

    /// The extra vertex of the edge from node (i, j) to (i+1, j) (`horizontal`)
    /// or to (i, j+1); outer edges have none.
    fn mid(&self, i: usize, j: usize, horizontal: bool) -> Option<Pt> {
        if self.mid_prob <= 0.0 {
            return None;
        }
        let outer = if horizontal {
            j == 0 || j == self.rows()
        } else {
            i == 0 || i == self.cols()
        };
        if outer {
            return None;
        }
        let mut h = Hashed::new(mix(
            self.key,
            ((j as u64) << 33) ^ ((i as u64) << 1) ^ u64::from(horizontal) ^ 0x5A5A_0000_0000_0000,
        ));
        if h.unit() >= self.mid_prob {
            return None;
        }
        let a = self.node(i, j);
        let b = if horizontal {
            self.node(i + 1, j)
        } else {
            self.node(i, j + 1)
        };
        let t = h.range(0.35, 0.65);
        let off = h.signed() * MID_OFFSET;
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        Some(pt(a.x + dx * t - dy * off, a.y + dy * t + dx * off))
    }

    /// Counter-clockwise closed outline of the cells [i0, i1) × [j0, j1),
    /// optionally with column `shift_col`'s nodes moved by `shift` in x.
    fn outline(
        &self,
        i0: usize,
        j0: usize,
        i1: usize,
        j1: usize,
        shift: Option<(usize, f64)>,
    ) -> Vec<Pt> {
        let node = |i: usize, j: usize| {
            let mut p = self.node(i, j);
            if let Some((c, dx)) = shift {
                if i == c {
                    p.x += dx;
                }
            }
            p
        };
        let mid = |i: usize, j: usize, hz: bool| {
            self.mid(i, j, hz).map(|mut p| {
                if let Some((c, dx)) = shift {
                    if !hz && i == c {
                        p.x += dx;
                    }
                }
                p
            })
        };
        let mut r = Vec::new();
        for i in i0..i1 {
            r.push(node(i, j0));
            r.extend(mid(i, j0, true));
        }
        for j in j0..j1 {
            r.push(node(i1, j));
            r.extend(mid(i1, j, false));
        }
        for i in (i0 + 1..=i1).rev() {
            r.push(node(i, j1));
            r.extend(mid(i - 1, j1, true));
        }
        for j in (j0 + 1..=j1).rev() {
            r.push(node(i0, j));
            r.extend(mid(i0, j - 1, false));
        }
        r
    }

    /// The parcel in column i, row j.
    pub(crate) fn parcel(&self, i: usize, j: usize, hole: bool) -> Polygon<f64> {
        let outer = closed(self.outline(i, j, i + 1, j + 1, None));
        let holes = if hole { vec![self.hole(i, j)] } else { vec![] };
        Polygon::new(outer, holes)
    }

    /// The parcel in column i, row j with its right side pushed `dx` degrees
    /// east, so it overlaps its neighbour slightly (a topology error real
    /// layers have).
    pub(crate) fn parcel_overlapping(&self, i: usize, j: usize, dx: f64) -> Polygon<f64> {
        Polygon::new(
            closed(self.outline(i, j, i + 1, j + 1, Some((i + 1, dx)))),
            vec![],
        )
    }

    /// A block of cells [i0, i1) × [j0, j1) (for 永久基本农田).
    pub(crate) fn block(&self, i0: usize, j0: usize, i1: usize, j1: usize) -> Polygon<f64> {
        Polygon::new(closed(self.outline(i0, j0, i1, j1, None)), vec![])
    }

    /// A small clockwise hole (a house or pond) in the middle of a parcel.
    fn hole(&self, i: usize, j: usize) -> LineString<f64> {
        let (cx, cy) = (
            (self.xs[i] + self.xs[i + 1]) / 2.0,
            (self.ys[j] + self.ys[j + 1]) / 2.0,
        );
        let (hw, hh) = (
            (self.xs[i + 1] - self.xs[i]) * 0.12,
            (self.ys[j + 1] - self.ys[j]) * 0.12,
        );
        closed(vec![
            pt(cx - hw, cy - hh),
            pt(cx - hw, cy + hh),
            pt(cx + hw, cy + hh),
            pt(cx + hw, cy - hh),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::polygon_area_m2;
    use geo::{BooleanOps, Validation};
    use geo_types::MultiPolygon;

    #[test]
    fn tiling_is_clean() {
        let rect = BBox::new(104.0, 30.0, 104.006, 30.005);
        let g = FieldGrid::new(rect, 90.0, 75.0, 42, 0.5);
        let mut sum = 0.0;
        for j in 0..g.rows() {
            for i in 0..g.cols() {
                let p = g.parcel(i, j, false);
                assert!(p.is_valid());
                let a = polygon_area_m2(&p);
                assert!((1_000.0..30_000.0).contains(&a), "{a}");
                sum += a;
                if i + 1 < g.cols() {
                    let q = g.parcel(i + 1, j, false);
                    assert!(
                        polygon_area_m2(
                            &MultiPolygon(vec![p.clone()])
                                .intersection(&MultiPolygon(vec![q]))
                                .0
                                .first()
                                .cloned()
                                .unwrap_or_else(|| Polygon::new(LineString(vec![]), vec![]))
                        ) < 1e-3
                    );
                }
                let h = g.parcel(i, j, true);
                assert!(h.is_valid());
                let o = g.parcel_overlapping(i, j, 0.00003);
                assert!(o.is_valid());
            }
        }
        let block = polygon_area_m2(&g.block(0, 0, g.cols(), g.rows()));
        let whole = polygon_area_m2(&Polygon::new(
            closed(vec![
                pt(rect.x0, rect.y0),
                pt(rect.x1, rect.y0),
                pt(rect.x1, rect.y1),
                pt(rect.x0, rect.y1),
            ]),
            vec![],
        ));
        assert!(((sum - whole) / whole).abs() < 1e-9);
        assert!(((block - whole) / whole).abs() < 1e-9);
    }
}
