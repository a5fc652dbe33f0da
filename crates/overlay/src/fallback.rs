//! The last resort: a general boolean operation (geo's `BooleanOps`, i.e.
//! i_overlay) for the rare near-degenerate cases where the boundary pieces
//! do not close up. Features are first cut to the patch's box (grown by a
//! margin) so the operation's fixed-point grid stays patch-sized, and the
//! operation runs under `catch_unwind`: a failure is an error, never a
//! silently wrong or missing figure.

use std::panic::{catch_unwind, AssertUnwindSafe};

use geo::algorithm::bool_ops::FillRule;
use geo::BooleanOps;
use geo_types::{LineString, MultiPolygon, Polygon};
use weipian_geo::area::ellipsoidal_area;

use crate::engine::Patch;
use crate::layer::LayerIndex;
use crate::predicates::{BBox, C};
use crate::OverlayError;

/// One Sutherland–Hodgman pass keeping the side where `side(p) >= 0`.
fn pass(cur: &[C], side: impl Fn(C) -> f64, at: impl Fn(C, C, f64) -> C) -> Vec<C> {
    let mut out = Vec::with_capacity(cur.len() + 4);
    let Some(&last) = cur.last() else { return out };
    let (mut p, mut sp) = (last, side(last));
    for &q in cur {
        let sq = side(q);
        if sq >= 0.0 {
            if sp < 0.0 {
                out.push(at(p, q, sp / (sp - sq)));
            }
            out.push(q);
        } else if sp >= 0.0 {
            out.push(at(p, q, sp / (sp - sq)));
        }
        p = q;
        sp = sq;
    }
    out
}

/// `ring` (closed) cut to the box `r`, closed, orientation kept; `None`
/// when nothing is left. Cutting a ring by a convex region keeps its signed
/// area exactly inside the region (with zero-width runs along the box).
pub(crate) fn clip_rect(ring: &[C], r: &BBox) -> Option<Vec<C>> {
    let open = match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    };
    let lerp = |p: C, q: C, t: f64| C {
        x: p.x + (q.x - p.x) * t,
        y: p.y + (q.y - p.y) * t,
    };
    let at_x = |x: f64| {
        move |p: C, q: C, t: f64| C {
            x,
            y: lerp(p, q, t).y,
        }
    };
    let at_y = |y: f64| {
        move |p: C, q: C, t: f64| C {
            x: lerp(p, q, t).x,
            y,
        }
    };
    let v = pass(open, |p| p.x - r.x0, at_x(r.x0));
    let v = pass(&v, |p| r.x1 - p.x, at_x(r.x1));
    let v = pass(&v, |p| p.y - r.y0, at_y(r.y0));
    let mut v = pass(&v, |p| r.y1 - p.y, at_y(r.y1));
    if v.len() < 3 {
        return None;
    }
    v.push(v[0]);
    Some(v)
}

fn panic_text(e: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = e.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = e.downcast_ref::<String>() {
        s.clone()
    } else {
        "未知错误".to_string()
    }
}

/// Official area of patch ∩ (union of features `ids`) by a boolean
/// operation under the non-zero fill rule (outer rings wind +1, holes −1,
/// so overlapping features count once).
pub(crate) fn boolean_area(
    patch: &Patch,
    layer: &LayerIndex,
    ids: &[u32],
) -> Result<f64, OverlayError> {
    let b = patch.bbox;
    let rect = b.grow((b.x1 - b.x0).max(b.y1 - b.y0) * 0.01 + 1e-9);
    let mut clip = Vec::new();
    for &id in ids {
        let Some(f) = layer.feats.get(id as usize) else {
            continue;
        };
        for (_, ring) in layer.rings(f) {
            if let Some(v) = clip_rect(ring, &rect) {
                clip.push(Polygon::new(LineString(v), vec![]));
            }
        }
    }
    if clip.is_empty() {
        return Ok(0.0);
    }
    let subject = MultiPolygon(
        (0..patch.nrings())
            .map(|k| Polygon::new(LineString(patch.ring(k).to_vec()), vec![]))
            .collect(),
    );
    let clip = MultiPolygon(clip);
    match catch_unwind(AssertUnwindSafe(|| {
        subject.intersection_with_fill_rule(&clip, FillRule::NonZero)
    })) {
        Ok(mp) => Ok(ellipsoidal_area(&mp)),
        Err(e) => Err(OverlayError::BooleanOp {
            features: ids.iter().map(|&i| i as usize).collect(),
            message: panic_text(e.as_ref()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predicates::planar_signed_area2;
    use geo_types::coord;

    #[test]
    fn rect_cut_keeps_the_inside_area() {
        let c = |x: f64, y: f64| coord! { x: x, y: y };
        // A U shape cut across both arms: two pieces joined along the box.
        let u = [
            c(0.0, 0.0),
            c(3.0, 0.0),
            c(3.0, 3.0),
            c(2.0, 3.0),
            c(2.0, 1.0),
            c(1.0, 1.0),
            c(1.0, 3.0),
            c(0.0, 3.0),
            c(0.0, 0.0),
        ];
        let r = BBox {
            x0: -1.0,
            y0: 2.0,
            x1: 4.0,
            y1: 4.0,
        };
        let v = clip_rect(&u, &r).expect("something left");
        assert!((planar_signed_area2(&v) / 2.0 - 2.0).abs() < 1e-12);
        let far = BBox {
            x0: 10.0,
            y0: 10.0,
            x1: 11.0,
            y1: 11.0,
        };
        assert!(clip_rect(&u, &far).is_none());
    }
}
