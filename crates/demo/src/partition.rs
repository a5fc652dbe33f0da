//! Synthetic but topologically clean boundaries for Sichuan's 21 cities and
//! 183 county-level units.
//!
//! The province's rough extent is split like a k-d treemap: first into
//! cities (weighted by their real area, ordered by their real position, so
//! the west is the big plateau prefectures and 成都 sits in the basin), then
//! each city into its counties (urban districts weigh less). The result is a
//! set of rectangles whose sides meet at nodes (corners and T-junctions).
//! Every stretch of side between two consecutive nodes is an *atomic edge*,
//! shared by at most two units; it is densified and jittered into a wavy
//! line that depends only on its end points and the seed, so both
//! neighbours carry exactly the same vertices: no gaps, no overlaps. City
//! and province outlines are walked along the same atomic edges.

use std::collections::BTreeMap;

use geo_types::{MultiPolygon, Polygon};
use weipian_domain::{RegionCode, RegionTable};

use crate::geom::{closed, pt, wavy_edge, BBox, Frame, Prepared, Pt};
use crate::rng::{mix, mix_coords};

/// Rough extent of Sichuan, degrees.
pub(crate) const EXTENT: BBox = BBox {
    x0: 97.4,
    y0: 26.0,
    x1: 108.5,
    y1: 34.3,
};

/// Boundary vertex spacing, metres.
const SPACING_M: f64 = 2_200.0;
/// Largest sideways jitter as a share of the adjacent units' depth.
const DEPTH_SHARE: f64 = 0.22;
/// Largest sideways jitter as a share of the edge's length.
const LENGTH_SHARE: f64 = 0.2;
/// Jitter near a node grows at most this fast with the distance to it.
const CONE: f64 = 0.8;
/// Share of each side of a county's rectangle that jitter can never reach:
/// the *core* (inner rectangle) is always inside the county.
pub(crate) const CORE_MARGIN: f64 = 0.25;

/// One region with its synthetic outline.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub code: RegionCode,
    pub name: String,
    /// The rectangle the outline was jittered from.
    pub rect: BBox,
    pub prep: Prepared,
}

impl Unit {
    pub(crate) fn polygon(&self) -> Polygon<f64> {
        Polygon::new(closed(self.prep.exterior().to_vec()), vec![])
    }

    pub(crate) fn multipolygon(&self) -> MultiPolygon<f64> {
        MultiPolygon(vec![self.polygon()])
    }

    /// The inner rectangle no boundary jitter reaches.
    pub(crate) fn core(&self) -> BBox {
        let (mx, my) = (
            self.rect.width() * CORE_MARGIN,
            self.rect.height() * CORE_MARGIN,
        );
        BBox::new(
            self.rect.x0 + mx,
            self.rect.y0 + my,
            self.rect.x1 - mx,
            self.rect.y1 - my,
        )
    }
}

/// A stretch of boundary shared by two counties.
#[derive(Debug, Clone)]
pub(crate) struct SharedEdge {
    pub counties: [usize; 2],
    pub line: Vec<Pt>,
}

/// Province, cities and counties.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub province: Unit,
    pub cities: Vec<Unit>,
    /// Sorted by code.
    pub counties: Vec<Unit>,
    /// Index into `cities` for each county.
    pub county_city: Vec<usize>,
    pub shared: Vec<SharedEdge>,
}

/// Approximate real area (km²) and position (lon, lat) of Sichuan's cities.
const CITY_HINTS: &[(u32, f64, f64, f64)] = &[
    (510_100, 14_335.0, 104.07, 30.67),
    (510_300, 4_381.0, 104.78, 29.34),
    (510_400, 7_401.0, 101.72, 26.58),
    (510_500, 12_232.0, 105.44, 28.87),
    (510_600, 5_911.0, 104.40, 31.13),
    (510_700, 20_249.0, 104.68, 31.47),
    (510_800, 16_311.0, 105.84, 32.44),
    (510_900, 5_322.0, 105.59, 30.53),
    (511_000, 5_385.0, 105.06, 29.58),
    (511_100, 12_720.0, 103.77, 29.55),
    (511_300, 12_477.0, 106.11, 30.84),
    (511_400, 7_140.0, 103.85, 30.08),
    (511_500, 13_283.0, 104.64, 28.75),
    (511_600, 6_339.0, 106.63, 30.46),
    (511_700, 16_591.0, 107.47, 31.21),
    (511_800, 15_046.0, 103.00, 29.98),
    (511_900, 12_293.0, 106.75, 31.87),
    (512_000, 5_747.0, 104.63, 30.12),
    (513_200, 83_016.0, 102.50, 32.40),
    (513_300, 149_599.0, 100.30, 30.80),
    (513_400, 60_423.0, 102.30, 27.80),
];

struct Item {
    id: usize,
    weight: f64,
    ax: f64,
    ay: f64,
}

/// k-d treemap: split `items` over `rect` along its longer side, ordering by
/// position and balancing weight; exact cut values are passed to both halves.
fn kd_split(items: &mut [Item], rect: BBox, out: &mut Vec<(usize, BBox)>) {
    if items.len() == 1 {
        out.push((items[0].id, rect));
        return;
    }
    let wide = rect.width() * rect.center().y.to_radians().cos() >= rect.height();
    items.sort_by(|a, b| {
        let (ka, kb) = if wide { (a.ax, b.ax) } else { (a.ay, b.ay) };
        ka.total_cmp(&kb).then(a.id.cmp(&b.id))
    });
    let total: f64 = items.iter().map(|i| i.weight).sum();
    let mut cum = 0.0;
    let mut best = (1, f64::INFINITY, 0.0);
    for (k, it) in items.iter().enumerate().take(items.len() - 1) {
        cum += it.weight;
        let d = (cum - total / 2.0).abs();
        if d < best.1 {
            best = (k + 1, d, cum);
        }
    }
    let (k, _, left_w) = best;
    let frac = left_w / total;
    let (ra, rb) = if wide {
        let cut = rect.x0 + rect.width() * frac;
        (
            BBox::new(rect.x0, rect.y0, cut, rect.y1),
            BBox::new(cut, rect.y0, rect.x1, rect.y1),
        )
    } else {
        let cut = rect.y0 + rect.height() * frac;
        (
            BBox::new(rect.x0, rect.y0, rect.x1, cut),
            BBox::new(rect.x0, cut, rect.x1, rect.y1),
        )
    };
    let (left, right) = items.split_at_mut(k);
    kd_split(left, ra, out);
    kd_split(right, rb, out);
}

type EdgeKey = (u64, u64, u64, u64);

fn canon(a: Pt, b: Pt) -> (Pt, Pt) {
    if (a.x, a.y) <= (b.x, b.y) {
        (a, b)
    } else {
        (b, a)
    }
}

fn key_of(a: Pt, b: Pt) -> EdgeKey {
    let (p, q) = canon(a, b);
    (p.x.to_bits(), p.y.to_bits(), q.x.to_bits(), q.y.to_bits())
}

/// The four sides of a rectangle, counter-clockwise, with the depth of the
/// rectangle across each side.
fn sides(r: &BBox) -> [(Pt, Pt, f64); 4] {
    [
        (pt(r.x0, r.y0), pt(r.x1, r.y0), r.height()),
        (pt(r.x1, r.y0), pt(r.x1, r.y1), r.width()),
        (pt(r.x1, r.y1), pt(r.x0, r.y1), r.height()),
        (pt(r.x0, r.y1), pt(r.x0, r.y0), r.width()),
    ]
}

/// Nodes on the axis-aligned segment a→b, in order from a to b (a and b included).
fn side_nodes(nodes: &[Pt], a: Pt, b: Pt) -> Vec<Pt> {
    let mut on: Vec<Pt> = if a.y == b.y {
        let (lo, hi) = (a.x.min(b.x), a.x.max(b.x));
        nodes
            .iter()
            .copied()
            .filter(|n| n.y == a.y && n.x >= lo && n.x <= hi)
            .collect()
    } else {
        let (lo, hi) = (a.y.min(b.y), a.y.max(b.y));
        nodes
            .iter()
            .copied()
            .filter(|n| n.x == a.x && n.y >= lo && n.y <= hi)
            .collect()
    };
    let d = |p: &Pt| (p.x - a.x).abs() + (p.y - a.y).abs();
    on.sort_by(|p, q| d(p).total_cmp(&d(q)));
    on
}

impl Partition {
    /// Build the partition for `seed` from the region table (Sichuan only).
    pub(crate) fn build(table: &RegionTable, seed: u64) -> Self {
        let root = RegionCode::parse("510000").expect("510000 is a valid code");
        let regions: Vec<_> = table.counties_within(root).collect();
        // Cities in code order, with their counties.
        let mut by_city: BTreeMap<RegionCode, Vec<usize>> = BTreeMap::new();
        for (i, r) in regions.iter().enumerate() {
            by_city
                .entry(r.parent.unwrap_or_else(|| r.code.prefecture()))
                .or_default()
                .push(i);
        }
        let city_codes: Vec<RegionCode> = by_city.keys().copied().collect();
        let center = EXTENT.center();
        let mut city_items: Vec<Item> = city_codes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let hint = CITY_HINTS.iter().find(|h| h.0 == c.value());
                #[allow(clippy::cast_precision_loss)]
                let fallback = by_city[c].len() as f64 * 2_500.0;
                let (w, x, y) = hint.map_or((fallback, center.x, center.y), |h| (h.1, h.2, h.3));
                Item {
                    id: i,
                    weight: w,
                    ax: x,
                    ay: y,
                }
            })
            .collect();
        let mut city_rects = Vec::new();
        kd_split(&mut city_items, EXTENT, &mut city_rects);
        city_rects.sort_by_key(|(i, _)| *i);

        let mut county_rects: Vec<(usize, BBox)> = Vec::new();
        let mut county_city = vec![0; regions.len()];
        for (ci, (_, crect)) in city_rects.iter().enumerate() {
            let members = &by_city[&city_codes[ci]];
            let mut items: Vec<Item> = members
                .iter()
                .enumerate()
                .map(|(k, &ri)| {
                    county_city[ri] = ci;
                    let name = &regions[ri].name;
                    let weight = if name.ends_with('区') { 0.45 } else { 1.0 };
                    #[allow(clippy::cast_precision_loss)]
                    let kf = k as f64;
                    Item {
                        id: ri,
                        weight,
                        ax: kf,
                        ay: kf,
                    }
                })
                .collect();
            kd_split(&mut items, *crect, &mut county_rects);
        }
        county_rects.sort_by_key(|(i, _)| *i);

        // Nodes: every county corner.
        let mut nodes: Vec<Pt> = county_rects
            .iter()
            .flat_map(|(_, r)| {
                [
                    pt(r.x0, r.y0),
                    pt(r.x1, r.y0),
                    pt(r.x1, r.y1),
                    pt(r.x0, r.y1),
                ]
            })
            .collect();
        nodes.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        nodes.dedup();

        // Atomic edges: smallest depth and the counties on each.
        let mut depth: BTreeMap<EdgeKey, (f64, Vec<usize>)> = BTreeMap::new();
        for (ci, r) in &county_rects {
            for (a, b, d) in sides(r) {
                for w in side_nodes(&nodes, a, b).windows(2) {
                    let e = depth
                        .entry(key_of(w[0], w[1]))
                        .or_insert((f64::INFINITY, Vec::new()));
                    e.0 = e.0.min(d);
                    e.1.push(*ci);
                }
            }
        }
        let edge_seed = mix(seed, 0xB0_0D);
        let mut lines: BTreeMap<EdgeKey, Vec<Pt>> = BTreeMap::new();
        let mut shared = Vec::new();
        for (k, (d, owners)) in &depth {
            let a = pt(f64::from_bits(k.0), f64::from_bits(k.1));
            let b = pt(f64::from_bits(k.2), f64::from_bits(k.3));
            let frame = Frame::at((a.y + b.y) / 2.0);
            let len_m = ((b.x - a.x) * frame.mx).hypot((b.y - a.y) * frame.my);
            let len_deg = (b.x - a.x).hypot(b.y - a.y);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = ((len_m / SPACING_M).round() as usize).max(2);
            let amp = (DEPTH_SHARE * d).min(LENGTH_SHARE * len_deg);
            let line = wavy_edge(
                a,
                b,
                n,
                amp,
                CONE,
                mix_coords(edge_seed, &[a.x, a.y, b.x, b.y]),
            );
            if owners.len() == 2 {
                shared.push(SharedEdge {
                    counties: [owners[0], owners[1]],
                    line: line.clone(),
                });
            }
            lines.insert(*k, line);
        }

        let ring_of = |r: &BBox| -> Vec<Pt> {
            let mut ring = Vec::new();
            for (a, b, _) in sides(r) {
                for w in side_nodes(&nodes, a, b).windows(2) {
                    let line = &lines[&key_of(w[0], w[1])];
                    if line[0] == w[0] {
                        ring.extend_from_slice(&line[..line.len() - 1]);
                    } else {
                        ring.extend(line.iter().rev().take(line.len() - 1));
                    }
                }
            }
            if let Some(f) = ring.first().copied() {
                ring.push(f);
            }
            ring
        };
        let unit = |code: RegionCode, name: &str, r: &BBox| Unit {
            code,
            name: name.to_string(),
            rect: *r,
            prep: Prepared::from_rings(vec![ring_of(r)]),
        };
        let counties = county_rects
            .iter()
            .map(|(i, r)| unit(regions[*i].code, &regions[*i].name, r))
            .collect();
        let cities = city_rects
            .iter()
            .map(|(i, r)| {
                let code = city_codes[*i];
                let name = table
                    .get(code)
                    .map_or_else(|| code.to_string(), |c| c.name.clone());
                unit(code, &name, r)
            })
            .collect();
        let pname = table
            .get(root)
            .map_or("四川省", |r| r.name.as_str())
            .to_string();
        let province = unit(root, &pname, &EXTENT);
        Self {
            province,
            cities,
            counties,
            county_city,
            shared,
        }
    }

    /// The county whose outline contains `p`.
    pub(crate) fn county_at(&self, p: Pt) -> Option<usize> {
        self.counties.iter().position(|c| c.prep.contains_point(p))
    }

    pub(crate) fn county_index(&self, code: u32) -> Option<usize> {
        self.counties.iter().position(|c| c.code.value() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::area_m2;
    use geo::{BooleanOps, Validation};

    #[test]
    fn partition_is_clean() {
        let t = RegionTable::embedded();
        let p = Partition::build(&t, 2020);
        assert_eq!(p.counties.len(), 183);
        assert_eq!(p.cities.len(), 21);
        let prov = area_m2(&p.province.multipolygon());
        let sum: f64 = p.counties.iter().map(|c| area_m2(&c.multipolygon())).sum();
        assert!(((sum - prov) / prov).abs() < 1e-9, "{sum} vs {prov}");
        for city in &p.cities {
            let s: f64 = p
                .counties
                .iter()
                .enumerate()
                .filter(|(i, _)| p.cities[p.county_city[*i]].code == city.code)
                .map(|(_, c)| area_m2(&c.multipolygon()))
                .sum();
            let a = area_m2(&city.multipolygon());
            assert!(((s - a) / a).abs() < 1e-9, "{}", city.name);
        }
        for c in &p.counties {
            let mp = c.multipolygon();
            assert!(mp.is_valid(), "{} {:?}", c.name, mp.validation_errors());
            let n = c.prep.exterior().len();
            assert!((20..=800).contains(&n), "{} has {n} vertices", c.name);
            assert!(c.prep.contains_point(c.core().center()));
        }
        // Neighbours share edges exactly: their intersection has no area.
        for e in p.shared.iter().step_by(7) {
            let a = p.counties[e.counties[0]].multipolygon();
            let b = p.counties[e.counties[1]].multipolygon();
            let i = a.intersection(&b);
            assert!(
                area_m2(&i) < 1.0,
                "{} / {}",
                p.counties[e.counties[0]].name,
                p.counties[e.counties[1]].name
            );
        }
    }
}
