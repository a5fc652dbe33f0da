//! A static, packed R-tree over boxes (the "Hilbert R-tree" of bulk-loaded
//! spatial indexes): items sorted along a Hilbert curve by box centre, then
//! packed bottom-up into nodes of [`NODE`] children. Building is a sort;
//! queries walk the tree with an explicit stack and allocate nothing but the
//! (reused) stack.

use rayon::prelude::*;

use crate::predicates::BBox;

/// Children per node.
const NODE: usize = 16;

#[derive(Debug, Clone, Default)]
pub(crate) struct PackedRTree {
    /// Leaf boxes first (in Hilbert order), then each upper level; the root last.
    boxes: Vec<BBox>,
    /// For a leaf: the item id; for a node: the position of its first child.
    index: Vec<u32>,
    /// End position (exclusive) of each level in `boxes`, leaves first.
    level_end: Vec<usize>,
}

/// Position on a 2¹⁶ × 2¹⁶ Hilbert curve (Warren's branch-free form as used
/// by packed R-trees). Only locality matters: any order gives a correct tree.
fn hilbert(x: u32, y: u32) -> u32 {
    let mut a = x ^ y;
    let mut b = 0xFFFF ^ a;
    let mut c = 0xFFFF ^ (x | y);
    let mut d = x & (y ^ 0xFFFF);

    let mut aa = a | (b >> 1);
    let mut bb = (a >> 1) ^ a;
    let mut cc = ((c >> 1) ^ (b & (d >> 1))) ^ c;
    let mut dd = ((a & (c >> 1)) ^ (d >> 1)) ^ d;

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 2)) ^ (b & (b >> 2));
    bb = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
    cc ^= (a & (c >> 2)) ^ (b & (d >> 2));
    dd ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 4)) ^ (b & (b >> 4));
    bb = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
    cc ^= (a & (c >> 4)) ^ (b & (d >> 4));
    dd ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    cc ^= (a & (c >> 8)) ^ (b & (d >> 8));
    dd ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

    a = cc ^ (cc >> 1);
    b = dd ^ (dd >> 1);

    let mut i0 = x ^ y;
    let mut i1 = b | (0xFFFF ^ (i0 | a));

    i0 = (i0 | (i0 << 8)) & 0x00FF_00FF;
    i0 = (i0 | (i0 << 4)) & 0x0F0F_0F0F;
    i0 = (i0 | (i0 << 2)) & 0x3333_3333;
    i0 = (i0 | (i0 << 1)) & 0x5555_5555;

    i1 = (i1 | (i1 << 8)) & 0x00FF_00FF;
    i1 = (i1 | (i1 << 4)) & 0x0F0F_0F0F;
    i1 = (i1 | (i1 << 2)) & 0x3333_3333;
    i1 = (i1 | (i1 << 1)) & 0x5555_5555;

    (i1 << 1) | i0
}

impl PackedRTree {
    /// Builds the tree over those of `items` for which `item` gives an id
    /// and a finite box (at most the first 2³² items can be indexed).
    pub(crate) fn build<T: Sync>(
        items: &[T],
        item: impl Fn(&T) -> Option<(u32, BBox)> + Sync,
    ) -> Self {
        let ext = items
            .par_iter()
            .filter_map(&item)
            .map(|(_, b)| b)
            .reduce(|| BBox::EMPTY, |a, b| a.union(&b));
        if !ext.is_finite() {
            return Self::default();
        }
        let (w, h) = (ext.x1 - ext.x0, ext.y1 - ext.y0);
        let sx = if w > 0.0 { 65535.0 / w } else { 0.0 };
        let sy = if h > 0.0 { 65535.0 / h } else { 0.0 };
        // Sort 64-bit keys (Hilbert position, then position in `items`),
        // then gather the boxes in that order.
        let mut keys: Vec<u64> = items
            .par_iter()
            .enumerate()
            .filter_map(|(k, t)| {
                let (_, b) = item(t)?;
                let k = u32::try_from(k).ok()?;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let hx = (((b.x0 + b.x1) / 2.0 - ext.x0) * sx).clamp(0.0, 65535.0) as u32;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let hy = (((b.y0 + b.y1) / 2.0 - ext.y0) * sy).clamp(0.0, 65535.0) as u32;
                Some((u64::from(hilbert(hx, hy)) << 32) | u64::from(k))
            })
            .collect();
        keys.par_sort_unstable();

        let n = keys.len();
        let mut total = n;
        let mut m = n;
        while m > 1 {
            m = m.div_ceil(NODE);
            total += m;
        }
        let mut boxes = Vec::with_capacity(total);
        let mut index = Vec::with_capacity(total);
        for key in keys {
            #[allow(clippy::cast_possible_truncation)]
            let k = (key & 0xFFFF_FFFF) as usize;
            if let Some((id, b)) = items.get(k).and_then(&item) {
                boxes.push(b);
                index.push(id);
            }
        }
        let n = boxes.len();
        let mut level_end = vec![n];
        let mut start = 0;
        while boxes.len() - start > 1 {
            let end = boxes.len();
            let mut pos = start;
            while pos < end {
                let stop = (pos + NODE).min(end);
                let b = boxes[pos..stop]
                    .iter()
                    .fold(BBox::EMPTY, |acc, x| acc.union(x));
                boxes.push(b);
                // Positions fit u32: the tree holds at most u32::MAX items
                // plus ~1/15 of that in nodes only on 64-bit targets with
                // absurd memory; the caller never exceeds u32 ids.
                index.push(u32::try_from(pos).unwrap_or(u32::MAX));
                pos = stop;
            }
            start = end;
            level_end.push(boxes.len());
        }
        Self {
            boxes,
            index,
            level_end,
        }
    }

    /// Calls `f(id)` for every item whose box meets `q` (closed boxes).
    pub(crate) fn query(&self, q: &BBox, stack: &mut Vec<(usize, usize)>, mut f: impl FnMut(u32)) {
        let Some(root) = self.boxes.len().checked_sub(1) else {
            return;
        };
        stack.clear();
        // (position, level)
        stack.push((root, self.level_end.len() - 1));
        while let Some((pos, level)) = stack.pop() {
            if !self.boxes[pos].intersects(q) {
                continue;
            }
            if level == 0 {
                f(self.index[pos]);
                continue;
            }
            let first = self.index[pos] as usize;
            let end = (first + NODE).min(self.level_end[level - 1]);
            for child in first..end {
                if level - 1 == 0 {
                    if self.boxes[child].intersects(q) {
                        f(self.index[child]);
                    }
                } else {
                    stack.push((child, level - 1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn queries_match_brute_force() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let items: Vec<(u32, BBox)> = (0..5000)
            .map(|i| {
                let (x, y): (f64, f64) =
                    (rng.random_range(0.0..100.0), rng.random_range(0.0..50.0));
                let (w, h): (f64, f64) = (rng.random_range(0.0..3.0), rng.random_range(0.0..3.0));
                (
                    i,
                    BBox {
                        x0: x,
                        y0: y,
                        x1: x + w,
                        y1: y + h,
                    },
                )
            })
            .collect();
        let tree = PackedRTree::build(&items, |&(i, b)| Some((i, b)));
        let mut stack = Vec::new();
        for _ in 0..200 {
            let (x, y): (f64, f64) = (rng.random_range(-5.0..100.0), rng.random_range(-5.0..50.0));
            let q = BBox {
                x0: x,
                y0: y,
                x1: x + rng.random_range(0.0..10.0),
                y1: y + rng.random_range(0.0..10.0),
            };
            let mut got = Vec::new();
            tree.query(&q, &mut stack, |id| got.push(id));
            got.sort_unstable();
            let want: Vec<u32> = items
                .iter()
                .filter(|(_, b)| b.intersects(&q))
                .map(|(i, _)| *i)
                .collect();
            assert_eq!(got, want);
        }
        let empty = PackedRTree::build(&[] as &[(u32, BBox)], |&(i, b)| Some((i, b)));
        let mut got = 0;
        empty.query(&items[0].1, &mut stack, |_| got += 1);
        assert_eq!(got, 0);
        let one = PackedRTree::build(&items[..1], |&(i, b)| Some((i, b)));
        one.query(&items[0].1, &mut stack, |_| got += 1);
        assert_eq!(got, 1);
    }
}
