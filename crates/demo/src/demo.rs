//! The demo dataset: Sichuan, 2020 Q1, one land and one mineral batch, the
//! reference layers around ~30 hot-spot counties, and a list of patches
//! built to exercise particular situations.
//!
//! Each hot spot is a grid of ~900 m cells in the core of its county (the
//! part no boundary jitter reaches). A cell holds at most one patch and the
//! local layers made for it (farmland block, approvals, licences), all
//! inside the cell, so patches are pairwise disjoint and a patch's relation
//! to the local layers is decided by construction. Large features
//! (生态保护红线, 自然保护地, the 长江 band) span many cells; every cell is
//! classified against them (inside / on the boundary / outside) before
//! scenes are assigned, so e.g. a "no layer" patch only goes to a cell no
//! large feature reaches. Patches listed as scenarios are checked with
//! polygon overlay as they are made.

use geo::BooleanOps;
use geo_types::{MultiPolygon, Polygon};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use weipian_domain::units::M2_PER_MU;
use weipian_domain::{AttrValue, PatchKind, RegionTable};

use crate::geom::{
    area_m2, blob, centroid, closed, patch_shape, polygon_area_m2, pt, BBox, Frame, Prepared, Pt,
    Rel, ShapeSpec,
};
use crate::layers::{
    self, approval, farmland, licence, weighted_pick, BlockOpts, Classes, Feat, LicenceSpec,
    Serials,
};
use crate::partition::Partition;
use crate::rng::{mix, mix_coords, stream, Hashed};
use crate::table::{imagery, patch_dataset, round_to, text, Jcmj, PatchRec};
use crate::{DemoData, Scenario};

// --- hot spots ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Urban,
    Plain,
    Hills,
    Mountain,
}

struct ReserveDef {
    name: &'static str,
    lx: &'static str,
    jb: &'static str,
}

struct Spot {
    code: u32,
    flavor: Flavor,
    /// 生态保护红线 name and function.
    sthx: Option<(&'static str, &'static str)>,
    /// Nature reserves placed over the grid; two of them overlap.
    reserves: &'static [ReserveDef],
    /// River name when the 长江/金沙江 band passes through.
    river: Option<&'static str>,
    /// Minerals mined here with weights; empty for a non-mining spot.
    minerals: &'static [(&'static str, f64)],
}

const LONGMEN: (&str, &str) = ("龙门山水源涵养生态保护红线", "水源涵养");

const SPOTS: &[Spot] = &[
    Spot {
        code: 510_104,
        flavor: Flavor::Urban,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_107,
        flavor: Flavor::Urban,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_116,
        flavor: Flavor::Plain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_117,
        flavor: Flavor::Plain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_181,
        flavor: Flavor::Mountain,
        sthx: Some(LONGMEN),
        reserves: &[ReserveDef {
            name: "龙溪—虹口国家级自然保护区",
            lx: "自然保护区",
            jb: "国家级",
        }],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_185,
        flavor: Flavor::Hills,
        sthx: Some(("龙泉山水土保持生态保护红线", "水土保持")),
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_681,
        flavor: Flavor::Plain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_682,
        flavor: Flavor::Mountain,
        sthx: Some(LONGMEN),
        reserves: &[],
        river: None,
        minerals: &[("磷矿", 0.7), ("建筑用砂岩", 0.3)],
    },
    Spot {
        code: 510_703,
        flavor: Flavor::Plain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_781,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[("水泥用灰岩", 0.5), ("建筑用砂岩", 0.3), ("煤", 0.2)],
    },
    Spot {
        code: 510_802,
        flavor: Flavor::Hills,
        sthx: Some(("米仓山—大巴山生物多样性维护生态保护红线", "生物多样性维护")),
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_903,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 511_025,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_322,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 510_502,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: Some("长江"),
        minerals: &[],
    },
    Spot {
        code: 510_522,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: Some("长江"),
        minerals: &[],
    },
    Spot {
        code: 511_502,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: Some("长江"),
        minerals: &[],
    },
    Spot {
        code: 511_526,
        flavor: Flavor::Mountain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[("煤", 0.7), ("硫铁矿", 0.15), ("建筑用砂岩", 0.15)],
    },
    Spot {
        code: 511_102,
        flavor: Flavor::Plain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 511_181,
        flavor: Flavor::Mountain,
        sthx: Some(("大相岭水源涵养与生物多样性维护生态保护红线", "水源涵养")),
        reserves: &[ReserveDef {
            name: "峨眉山风景名胜区",
            lx: "风景名胜区",
            jb: "国家级",
        }],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 511_402,
        flavor: Flavor::Plain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 511_302,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 511_321,
        flavor: Flavor::Hills,
        sthx: Some(("盆中丘陵水土保持生态保护红线", "水土保持")),
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 511_602,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 511_703,
        flavor: Flavor::Hills,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[("建筑用砂岩", 0.6), ("煤", 0.4)],
    },
    Spot {
        code: 511_802,
        flavor: Flavor::Mountain,
        sthx: Some(("邛崃山—大相岭生物多样性维护生态保护红线", "生物多样性维护")),
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 513_221,
        flavor: Flavor::Mountain,
        sthx: Some(("岷山—邛崃山生物多样性维护生态保护红线", "生物多样性维护")),
        reserves: &[
            ReserveDef {
                name: "卧龙国家级自然保护区",
                lx: "自然保护区",
                jb: "国家级",
            },
            ReserveDef {
                name: "大熊猫国家公园（卧龙片区）",
                lx: "国家公园",
                jb: "国家级",
            },
        ],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 513_401,
        flavor: Flavor::Plain,
        sthx: Some(("大凉山—安宁河水土保持生态保护红线", "水土保持")),
        reserves: &[],
        river: None,
        minerals: &[],
    },
    Spot {
        code: 513_433,
        flavor: Flavor::Mountain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[("稀土", 0.7), ("建筑用砂岩", 0.2), ("铅锌矿", 0.1)],
    },
    Spot {
        code: 513_424,
        flavor: Flavor::Mountain,
        sthx: None,
        reserves: &[],
        river: None,
        minerals: &[("稀土", 0.6), ("建筑石料用灰岩", 0.4)],
    },
    Spot {
        code: 510_411,
        flavor: Flavor::Mountain,
        sthx: None,
        reserves: &[],
        river: Some("金沙江"),
        minerals: &[("钒钛磁铁矿", 0.5), ("煤", 0.3), ("建筑用砂岩", 0.2)],
    },
];

const FISH_RESERVE: ReserveDef = ReserveDef {
    name: "长江上游珍稀特有鱼类国家级自然保护区",
    lx: "自然保护区",
    jb: "国家级",
};

const QUARRY_MINERALS: &[(&str, f64)] =
    &[("建筑用砂岩", 3.0), ("砖瓦用页岩", 2.0), ("建筑用砂", 1.0)];

fn class_weights(f: Flavor) -> [f64; 3] {
    match f {
        Flavor::Plain => [0.75, 0.1, 0.15],
        Flavor::Hills => [0.4, 0.05, 0.55],
        Flavor::Mountain => [0.2, 0.05, 0.75],
        Flavor::Urban => [0.5, 0.2, 0.3],
    }
}

fn parcel_size(f: Flavor) -> (f64, f64) {
    match f {
        Flavor::Plain => (100.0, 85.0),
        Flavor::Hills => (85.0, 70.0),
        Flavor::Mountain => (75.0, 65.0),
        Flavor::Urban => (90.0, 80.0),
    }
}

fn slopes(f: Flavor) -> &'static [&'static str] {
    match f {
        Flavor::Plain | Flavor::Urban => &["1", "1", "2"],
        Flavor::Hills => &["2", "3", "3", "4"],
        Flavor::Mountain => &["3", "4", "4", "5"],
    }
}

/// Cell size, metres.
const CELL_M: f64 = 900.0;

#[derive(Debug, Clone)]
struct Grid {
    spot: usize,
    county: usize,
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    nx: i32,
    ny: i32,
}

impl Grid {
    fn cell(&self, i: i32, j: i32) -> BBox {
        BBox::new(
            self.x0 + f64::from(i) * self.dx,
            self.y0 + f64::from(j) * self.dy,
            self.x0 + f64::from(i + 1) * self.dx,
            self.y0 + f64::from(j + 1) * self.dy,
        )
    }

    fn bbox(&self) -> BBox {
        BBox::new(
            self.x0,
            self.y0,
            self.x0 + f64::from(self.nx) * self.dx,
            self.y0 + f64::from(self.ny) * self.dy,
        )
    }

    fn cells(&self) -> Vec<(i32, i32)> {
        (0..self.ny)
            .flat_map(|j| (0..self.nx).map(move |i| (i, j)))
            .collect()
    }

    /// The river row's centre latitude.
    fn river_y(&self) -> f64 {
        self.cell(0, self.ny / 2).center().y
    }
}

// --- large features ------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BigLayer {
    Sthx,
    Zrbhd,
    Cjyx,
}

struct BigFeat {
    layer: BigLayer,
    poly: Polygon<f64>,
    prep: Prepared,
    /// Name for descriptions.
    name: String,
    attrs: Vec<AttrValue>,
}

/// Corner-cutting smoothing (Chaikin), keeping the end points.
fn chaikin(pts: &[Pt], rounds: usize) -> Vec<Pt> {
    let mut cur = pts.to_vec();
    for _ in 0..rounds {
        let mut next = Vec::with_capacity(cur.len() * 2);
        next.push(cur[0]);
        for w in cur.windows(2) {
            let (a, b) = (w[0], w[1]);
            next.push(pt(0.75 * a.x + 0.25 * b.x, 0.75 * a.y + 0.25 * b.y));
            next.push(pt(0.25 * a.x + 0.75 * b.x, 0.25 * a.y + 0.75 * b.y));
        }
        next.push(cur[cur.len() - 1]);
        cur = next;
    }
    cur
}

// --- scenes ------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scene {
    GdFull(Option<&'static str>),
    GdPartial,
    Jbnt,
    Baimu,
    PzydFull,
    PzydPartial,
    PzydOverlap,
    Nothing,
    Rural,
    /// On the boundary of large feature `0`, centred at `1`.
    Touch(usize, Pt),
    /// Inside large feature `0`.
    Inside(usize),
    /// A background patch in a cell a large feature reaches.
    Wild,
    KqInside {
        kz: Option<&'static str>,
        expired: bool,
        exploration: bool,
    },
    KqOutside,
    KqCross,
}

impl Scene {
    fn mineral(self) -> bool {
        matches!(
            self,
            Self::KqInside { .. } | Self::KqOutside | Self::KqCross
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Mods {
    multipart: bool,
    hole: bool,
    jcmj: Jcmj,
}

const PLAIN_MODS: Mods = Mods {
    multipart: false,
    hole: false,
    jcmj: Jcmj::Exact,
};

struct Placed {
    rec: PatchRec,
    gd: Vec<Feat>,
    jbnt: Vec<Feat>,
    pzyd: Vec<Feat>,
    kq: Vec<Feat>,
}

/// Scenario kinds built in grid cells, with how many of each to list.
const GRID_KINDS: &[(&str, usize)] = &[
    ("gd_full_0101", 6),
    ("gd_full_0102", 6),
    ("gd_full_0103", 6),
    ("gd_partial", 6),
    ("jbnt", 6),
    ("baimu", 6),
    ("sthx_touch", 6),
    ("zrbhd_inside", 6),
    ("zrbhd_touch", 6),
    ("cjyx", 6),
    ("pzyd_full", 6),
    ("pzyd_partial", 6),
    ("pzyd_overlap", 6),
    ("no_layer", 6),
    ("rural_housing_1b", 8),
    ("kq_inside", 6),
    ("kq_outside", 6),
    ("kq_cross", 6),
    ("kq_rare_earth", 6),
    ("kq_expired", 6),
];

fn log_uniform<R: Rng>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

fn tblx_background<R: Rng>(rng: &mut R) -> &'static str {
    weighted_pick(
        rng,
        &[
            ("1A", 0.14),
            ("1B", 0.2),
            ("1C", 0.03),
            ("1D", 0.1),
            ("1E", 0.04),
            ("1F", 0.14),
            ("2", 0.22),
            ("3", 0.13),
        ],
    )
}

fn inter_area(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let ba = BBox::of_multipolygon(a);
    let bb = BBox::of_multipolygon(b);
    if !ba.intersects(&bb) {
        return 0.0;
    }
    area_m2(&a.intersection(b))
}

fn sum_inter(p: &MultiPolygon<f64>, feats: &[Feat]) -> f64 {
    feats.iter().map(|f| inter_area(p, &f.0)).sum()
}

fn attr_text(f: &Feat, i: usize) -> String {
    f.1.get(i).and_then(AttrValue::as_text).unwrap_or_default()
}

struct Builder<'a> {
    seed: u64,
    part: &'a Partition,
    serials: Serials,
    gd: Vec<Feat>,
    jbnt: Vec<Feat>,
    pzyd: Vec<Feat>,
    kq: Vec<Feat>,
    bigs: Vec<BigFeat>,
    land: Vec<PatchRec>,
    mineral: Vec<PatchRec>,
    /// (mineral batch?, index in batch, kind, description).
    marks: Vec<(bool, usize, &'static str, String)>,
}

impl<'a> Builder<'a> {
    fn county_names(&self, county: usize) -> (String, String) {
        let c = &self.part.counties[county];
        let city = self.part.cities[self.part.county_city[county]].name.clone();
        (city, c.name.clone())
    }

    fn big_area_attrs(
        &mut self,
        layer: BigLayer,
        poly: &Polygon<f64>,
        name: &str,
        extra: (&str, &str, &str),
    ) -> Vec<AttrValue> {
        let ha = round_to(polygon_area_m2(poly) / 10_000.0, 4);
        let bsm = AttrValue::Integer(self.serials.next_bsm());
        match layer {
            BigLayer::Sthx => vec![
                bsm,
                text(format!("510000{:04}", self.bigs.len() + 1)),
                text(name),
                text(extra.0),
                AttrValue::Real(ha),
            ],
            BigLayer::Zrbhd => vec![
                bsm,
                text(name),
                text(extra.0),
                text(extra.1),
                text(extra.2),
                AttrValue::Real(ha),
            ],
            BigLayer::Cjyx => {
                vec![
                    bsm,
                    text(name),
                    text(extra.0),
                    text("干流岸线向陆域纵深1公里"),
                    AttrValue::Real(ha),
                ]
            }
        }
    }

    fn add_big(&mut self, layer: BigLayer, ring: Vec<Pt>, name: &str, extra: (&str, &str, &str)) {
        let poly = Polygon::new(closed(ring), vec![]);
        let attrs = self.big_area_attrs(layer, &poly, name, extra);
        let prep = Prepared::new(&poly);
        self.bigs.push(BigFeat {
            layer,
            poly,
            prep,
            name: name.to_string(),
            attrs,
        });
    }

    /// 生态保护红线 and nature reserves over one grid: natural outlines of
    /// thousands of vertices, centred at grid corners so that some cells are
    /// inside, some on the boundary and the rest outside. Two reserves overlap.
    fn spot_features(&mut self, g: &Grid) {
        let spot = &SPOTS[g.spot];
        let mut rng = stream(self.seed, 0x5B07_0000 ^ u64::from(spot.code));
        let county = self.part.counties[g.county].name.clone();
        let at = |i: f64, j: f64| pt(g.x0 + i * g.dx, g.y0 + j * g.dy);
        let (nx, ny) = (f64::from(g.nx), f64::from(g.ny));
        if let Some((name, lx)) = spot.sthx {
            let c = at(
                nx - 1.0 + rng.random_range(-1.0..1.0),
                ny - 1.0 + rng.random_range(-1.0..1.0),
            );
            let (radius, n) = (
                CELL_M * rng.random_range(4.0..5.5),
                rng.random_range(900..2_000),
            );
            let poly = blob(&mut rng, c, radius, n);
            self.add_big(
                BigLayer::Sthx,
                poly.exterior().0.clone(),
                name,
                (lx, "", ""),
            );
        }
        let places: &[(f64, f64, f64)] = match spot.reserves.len() {
            0 => &[],
            1 => &[(0.5, 0.5, 6.0)],
            _ => &[(1.0, 1.0, 6.5), (-4.0, 2.0, 5.5)],
        };
        for (res, &(i, j, r)) in spot.reserves.iter().zip(places) {
            // A negative column counts from the grid's east side.
            let i = if i < 0.0 { nx + i } else { i };
            let c = at(
                i + rng.random_range(-0.5..0.5),
                j + rng.random_range(-0.5..0.5),
            );
            let (radius, n) = (
                CELL_M * r * rng.random_range(0.9..1.1),
                rng.random_range(2_500..5_000),
            );
            let poly = blob(&mut rng, c, radius, n);
            self.add_big(
                BigLayer::Zrbhd,
                poly.exterior().0.clone(),
                res.name,
                (res.lx, res.jb, &county),
            );
        }
    }

    /// The 长江/金沙江 band through the river spots (west to east), split in
    /// sections at the middle between grids, and the fish reserve along the
    /// 长江 part.
    fn river(&mut self, grids: &[Grid]) {
        let mut rg: Vec<&Grid> = grids
            .iter()
            .filter(|g| SPOTS[g.spot].river.is_some())
            .collect();
        if rg.is_empty() {
            return;
        }
        rg.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        // Control points: along each grid's river row, six cells beyond it;
        // the two ends are kept inside their county's core, so the band
        // never leaves the province (Chaikin stays in the control hull).
        let ext = 6.0;
        let mut ctrl = Vec::new();
        for (k, g) in rg.iter().enumerate() {
            let b = g.bbox();
            let core = self.part.counties[g.county].core();
            let mut west = b.x0 - ext * g.dx;
            let mut east = b.x1 + ext * g.dx;
            if k == 0 {
                west = west.max(core.x0);
            }
            if k == rg.len() - 1 {
                east = east.min(core.x1);
            }
            ctrl.push(pt(west, g.river_y()));
            ctrl.push(pt(east, g.river_y()));
        }
        let smooth = chaikin(&ctrl, 6);
        // Work in local metres.
        let lat0 = smooth.iter().map(|p| p.y).sum::<f64>() / smooth.len() as f64;
        let f = Frame::at(lat0);
        let o = smooth[0];
        let to_m = |p: Pt| ((p.x - o.x) * f.mx, (p.y - o.y) * f.my);
        let to_deg = |x: f64, y: f64| pt(o.x + x / f.mx, o.y + y / f.my);
        let m: Vec<(f64, f64)> = smooth.iter().map(|p| to_m(*p)).collect();
        // Resample every 60 m of arc length.
        let step = 60.0;
        let mut samples = vec![m[0]];
        let mut carry = 0.0;
        for w in m.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = (b.0 - a.0).hypot(b.1 - a.1);
            let mut s = step - carry;
            while s < len {
                let t = s / len;
                samples.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
                s += step;
            }
            carry = len - (s - step);
        }
        samples.push(m[m.len() - 1]);
        let normals = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
            (0..pts.len())
                .map(|i| {
                    let a = pts[i.saturating_sub(1)];
                    let b = pts[(i + 1).min(pts.len() - 1)];
                    let (tx, ty) = (b.0 - a.0, b.1 - a.1);
                    let l = tx.hypot(ty).max(1e-9);
                    (-ty / l, tx / l)
                })
                .collect()
        };
        // Meander: small bends everywhere, and wide ones (6 km, 70 km long)
        // away from the grids, faded in over 15 km so the river keeps to
        // each grid's river row.
        let mut h = Hashed::new(mix(self.seed, 0x71E4));
        let (phase, phase2) = (
            h.range(0.0, std::f64::consts::TAU),
            h.range(0.0, std::f64::consts::TAU),
        );
        let spans: Vec<(f64, f64)> = rg
            .iter()
            .map(|g| {
                (
                    (g.x0 - ext * g.dx - o.x) * f.mx,
                    (g.bbox().x1 + ext * g.dx - o.x) * f.mx,
                )
            })
            .collect();
        let n0 = normals(&samples);
        let line: Vec<(f64, f64)> = samples
            .iter()
            .zip(&n0)
            .enumerate()
            .map(|(i, (p, n))| {
                #[allow(clippy::cast_precision_loss)]
                let s = i as f64 * step;
                let away = spans
                    .iter()
                    .map(|&(a, b)| {
                        if p.0 < a {
                            a - p.0
                        } else if p.0 > b {
                            p.0 - b
                        } else {
                            0.0
                        }
                    })
                    .fold(f64::INFINITY, f64::min);
                let t = ((away - 1_000.0) / 15_000.0).clamp(0.0, 1.0);
                let fade = t * t * (3.0 - 2.0 * t);
                let d = 110.0 * (std::f64::consts::TAU * s / 5_200.0 + phase).sin()
                    + fade * 6_000.0 * (std::f64::consts::TAU * s / 70_000.0 + phase2).sin();
                (p.0 + n.0 * d, p.1 + n.1 * d)
            })
            .collect();
        let nrm = normals(&line);
        let band = |w: f64, s: usize, e: usize| -> Vec<Pt> {
            let mut ring: Vec<Pt> = (s..=e)
                .map(|i| to_deg(line[i].0 - nrm[i].0 * w, line[i].1 - nrm[i].1 * w))
                .collect();
            ring.extend(
                (s..=e)
                    .rev()
                    .map(|i| to_deg(line[i].0 + nrm[i].0 * w, line[i].1 + nrm[i].1 * w)),
            );
            ring.push(ring[0]);
            ring
        };
        let line_x: Vec<f64> = line.iter().map(|p| o.x + p.0 / f.mx).collect();
        let index_at = |x: f64| {
            line_x
                .iter()
                .position(|v| *v >= x)
                .unwrap_or(line_x.len() - 1)
        };
        let mut cuts = vec![0];
        for w in rg.windows(2) {
            cuts.push(index_at((w[0].bbox().x1 + w[1].x0) / 2.0));
        }
        cuts.push(line.len() - 1);
        for (k, g) in rg.iter().enumerate() {
            let river = SPOTS[g.spot].river.unwrap_or("长江");
            let county = &self.part.counties[g.county].name;
            let name = format!("{river}干流沿线生态敏感区（{county}段）");
            let ring = band(1_000.0, cuts[k], cuts[k + 1]);
            self.add_big(BigLayer::Cjyx, ring, &name, (river, "", ""));
        }
        // The fish reserve along the 长江 grids.
        let cj: Vec<&&Grid> = rg
            .iter()
            .filter(|g| SPOTS[g.spot].river == Some("长江"))
            .collect();
        if let (Some(a), Some(b)) = (cj.first(), cj.last()) {
            let s = index_at(a.x0 - 2.0 * a.dx);
            let e = index_at(b.bbox().x1 + 2.0 * b.dx);
            if e > s + 2 {
                let ring = band(300.0, s, e);
                let names = cj
                    .iter()
                    .map(|g| self.part.counties[g.county].name.clone())
                    .collect::<Vec<_>>()
                    .join("、");
                self.add_big(
                    BigLayer::Zrbhd,
                    ring,
                    FISH_RESERVE.name,
                    (FISH_RESERVE.lx, FISH_RESERVE.jb, &names),
                );
            }
        }
    }

    fn block_opts(
        &self,
        flavor: Flavor,
        classes: Classes,
        hole_share: f64,
        overlap: bool,
        jbnt_share: f64,
    ) -> BlockOpts {
        let (w, h) = parcel_size(flavor);
        BlockOpts {
            mean_w: w,
            mean_h: h,
            classes,
            hole_share,
            overlap,
            jbnt_share,
            mid_prob: 0.35,
            slope: slopes(flavor),
        }
    }

    /// Build one scene in a cell; nothing is committed.
    #[allow(clippy::too_many_lines)]
    fn scene(
        &mut self,
        rng: &mut ChaCha8Rng,
        g: &Grid,
        cell_ij: (i32, i32),
        scene: Scene,
        mods: Mods,
    ) -> Placed {
        let spot = &SPOTS[g.spot];
        let county_code = self.part.counties[g.county].code.value();
        let cell = g.cell(cell_ij.0, cell_ij.1);
        let c0 = cell.center();
        let f = Frame::at(c0.y);
        let (cw, ch) = (cell.width() * f.mx, cell.height() * f.my);
        let inner = cell.grow(-0.02 * cell.width(), -0.02 * cell.height());
        let (area_ha, aspect_max) = match scene {
            Scene::Rural => (log_uniform(rng, 0.022, 0.09), 1.8),
            Scene::Baimu => (rng.random_range(8.5..15.0), 1.3),
            Scene::Touch(..) => (log_uniform(rng, 0.3, 4.0), 1.6),
            s if s.mineral() => (log_uniform(rng, 0.1, 10.0), 1.8),
            _ if rng.random::<f64>() < 0.06 => (rng.random_range(6.0..19.0), 1.4),
            _ => (log_uniform(rng, 0.03, 6.0), 2.0),
        };
        let aspect: f64 = rng.random_range(1.0..aspect_max);
        let (center, max_half) = match scene {
            Scene::Touch(_, p) => {
                let (ox, oy) = ((p.x - c0.x) * f.mx, (p.y - c0.y) * f.my);
                (p, (0.46 * cw - ox.abs()).min(0.46 * ch - oy.abs()))
            }
            _ => {
                // Small patches wander further from the cell centre.
                let reach = (area_ha * 10_000.0 / (std::f64::consts::PI * 0.7)).sqrt()
                    * aspect.sqrt()
                    * 1.1;
                let free = |size: f64| (0.46 * size - reach).clamp(0.0, 0.22 * size);
                let ox = (rng.random::<f64>() * 2.0 - 1.0) * free(cw);
                let oy = (rng.random::<f64>() * 2.0 - 1.0) * free(ch);
                (
                    f.offset(c0, ox, oy),
                    (0.46 * cw - ox.abs()).min(0.46 * ch - oy.abs()),
                )
            }
        };
        let spec = ShapeSpec {
            vertices: rng.random_range(8..=60),
            area_m2: area_ha * 10_000.0,
            max_half_m: max_half,
            aspect,
            rotation: rng.random_range(0.0..std::f64::consts::PI),
            multipart: mods.multipart,
            hole: mods.hole,
        };
        let geom = patch_shape(rng, center, &spec);
        let pb = BBox::of_multipolygon(&geom);
        let grow = |b: BBox, m: f64| b.grow(f.dx(m), f.dy(m)).intersection(&inner);
        // A box covering part of the patch: cut through its middle on one side.
        let cut = |rng: &mut ChaCha8Rng, b: BBox| -> BBox {
            let d = rng.random_range(-0.2..0.2);
            let mut r = b;
            match rng.random_range(0..4) {
                0 => r.x1 = pb.center().x + d * pb.width(),
                1 => r.x0 = pb.center().x + d * pb.width(),
                2 => r.y1 = pb.center().y + d * pb.height(),
                _ => r.y0 = pb.center().y + d * pb.height(),
            }
            r
        };
        let key = mix(self.seed, mix_coords(0xF1E1D, &[c0.x, c0.y]));
        let mixed = Classes::Mixed(class_weights(spot.flavor));
        let (mut gd, mut jbnt, mut pzyd, mut kq) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (city, county) = self.county_names(g.county);
        let imagery_variant = u32::from(rng.random::<f64>() < 0.15);
        let mut h = Hashed::new(mix(key, 7));
        let mut kz = None;
        let tblx: &'static str;
        match scene {
            Scene::GdFull(cls) => {
                let rect = grow(pb, rng.random_range(100.0..300.0));
                let opts = match cls {
                    Some(c) => self.block_opts(spot.flavor, Classes::Fixed(c), 0.0, false, 0.0),
                    None => {
                        let jb = if rng.random::<f64>() < 0.3 { 0.5 } else { 0.0 };
                        let ov = rng.random::<f64>() < 0.08;
                        self.block_opts(spot.flavor, mixed, 0.03, ov, jb)
                    }
                };
                farmland(
                    rng,
                    &mut self.serials,
                    county_code,
                    rect,
                    &opts,
                    key,
                    &mut gd,
                    &mut jbnt,
                );
                tblx = tblx_background(rng);
            }
            Scene::Baimu => {
                let rect = grow(pb, rng.random_range(80.0..250.0));
                let opts = self.block_opts(spot.flavor, mixed, 0.0, false, 0.5);
                farmland(
                    rng,
                    &mut self.serials,
                    county_code,
                    rect,
                    &opts,
                    key,
                    &mut gd,
                    &mut jbnt,
                );
                tblx = weighted_pick(rng, &[("1A", 0.5), ("2", 0.3), ("3", 0.2)]);
            }
            Scene::GdPartial | Scene::Wild => {
                if scene == Scene::GdPartial || rng.random::<f64>() < 0.3 {
                    let m = rng.random_range(100.0..300.0);
                    let rect = cut(rng, grow(pb, m));
                    let jb = if rng.random::<f64>() < 0.3 { 0.5 } else { 0.0 };
                    let opts =
                        self.block_opts(spot.flavor, mixed, 0.03, rng.random::<f64>() < 0.05, jb);
                    farmland(
                        rng,
                        &mut self.serials,
                        county_code,
                        rect,
                        &opts,
                        key,
                        &mut gd,
                        &mut jbnt,
                    );
                }
                tblx = tblx_background(rng);
            }
            Scene::Jbnt => {
                let rect = grow(pb, rng.random_range(100.0..300.0));
                let opts = self.block_opts(spot.flavor, mixed, 0.0, false, 1.0);
                farmland(
                    rng,
                    &mut self.serials,
                    county_code,
                    rect,
                    &opts,
                    key,
                    &mut gd,
                    &mut jbnt,
                );
                tblx = tblx_background(rng);
            }
            Scene::PzydFull | Scene::PzydPartial | Scene::PzydOverlap => {
                let a1 = grow(pb, rng.random_range(15.0..60.0));
                let a1 = if scene == Scene::PzydPartial {
                    cut(rng, a1)
                } else {
                    a1
                };
                pzyd.push(approval(&mut self.serials, &mut h, a1, &city, &county));
                if scene == Scene::PzydOverlap {
                    let sx = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                    let sy = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                    let (mx, my) = (
                        sx * rng.random_range(0.35..0.6) * a1.width(),
                        sy * rng.random_range(0.25..0.5) * a1.height(),
                    );
                    let a2 = BBox::new(a1.x0 + mx, a1.y0 + my, a1.x1 + mx, a1.y1 + my)
                        .intersection(&inner);
                    pzyd.push(approval(&mut self.serials, &mut h, a2, &city, &county));
                }
                if rng.random::<f64>() < 0.4 {
                    let m = rng.random_range(100.0..300.0);
                    let rect = cut(rng, grow(pb, m));
                    let opts = self.block_opts(spot.flavor, mixed, 0.03, false, 0.0);
                    farmland(
                        rng,
                        &mut self.serials,
                        county_code,
                        rect,
                        &opts,
                        key,
                        &mut gd,
                        &mut jbnt,
                    );
                }
                tblx = if scene == Scene::PzydPartial {
                    tblx_background(rng)
                } else {
                    weighted_pick(rng, &[("1A", 0.5), ("1D", 0.2), ("1B", 0.15), ("3", 0.15)])
                };
            }
            Scene::Nothing => tblx = tblx_background(rng),
            Scene::Rural => {
                let rect = grow(pb, rng.random_range(100.0..260.0));
                let rect = if rng.random::<f64>() < 0.7 {
                    rect
                } else {
                    cut(rng, rect)
                };
                let opts = self.block_opts(spot.flavor, mixed, 0.03, false, 0.3);
                farmland(
                    rng,
                    &mut self.serials,
                    county_code,
                    rect,
                    &opts,
                    key,
                    &mut gd,
                    &mut jbnt,
                );
                tblx = "1B";
            }
            Scene::Touch(..) | Scene::Inside(_) => {
                if rng.random::<f64>() < 0.3 {
                    let m = rng.random_range(100.0..300.0);
                    let rect = cut(rng, grow(pb, m));
                    let opts = self.block_opts(spot.flavor, mixed, 0.0, false, 0.0);
                    farmland(
                        rng,
                        &mut self.serials,
                        county_code,
                        rect,
                        &opts,
                        key,
                        &mut gd,
                        &mut jbnt,
                    );
                }
                tblx = tblx_background(rng);
            }
            Scene::KqInside {
                kz: want,
                expired,
                exploration,
            } => {
                let k = want.unwrap_or_else(|| self.pick_mineral(rng, spot));
                kz = Some(k);
                let qsx = imagery(self.seed, county_code, imagery_variant, 0.0, 0.0).qsx;
                let spec = LicenceSpec {
                    county_code,
                    county: &county,
                    city: &city,
                    kz: k,
                    expired_on: expired.then(|| qsx - rng.random_range(120..900)),
                    exploration,
                };
                kq.push(licence(
                    &mut h,
                    grow(pb, rng.random_range(40.0..150.0)),
                    &spec,
                ));
                tblx = weighted_pick(rng, &[("2", 0.7), ("3", 0.3)]);
            }
            Scene::KqCross => {
                let k = self.pick_mineral(rng, spot);
                kz = Some(k);
                let spec = LicenceSpec {
                    county_code,
                    county: &county,
                    city: &city,
                    kz: k,
                    expired_on: None,
                    exploration: false,
                };
                let m = rng.random_range(40.0..150.0);
                let rect = cut(rng, grow(pb, m));
                kq.push(licence(&mut h, rect, &spec));
                tblx = weighted_pick(rng, &[("2", 0.7), ("3", 0.3)]);
            }
            Scene::KqOutside => {
                kz = Some(self.pick_mineral(rng, spot));
                tblx = weighted_pick(rng, &[("2", 0.7), ("3", 0.3)]);
            }
        }
        let bz = if scene.mineral() {
            (rng.random::<f64>() < 0.3).then(|| {
                [
                    "疑似露天开采",
                    "开采痕迹明显",
                    "疑似堆矿",
                    "采坑扩大",
                    "疑似洗选场地",
                ][rng.random_range(0..5)]
                .to_string()
            })
        } else {
            (rng.random::<f64>() < 0.35)
                .then(|| crate::names::land_remark(tblx, &mut h).to_string())
        };
        let change_share = if matches!(tblx, "2" | "3") {
            round_to(rng.random_range(0.7..1.0), 2)
        } else {
            1.0
        };
        let rec = PatchRec {
            county: g.county,
            geom,
            tblx,
            kz,
            bz,
            jcmj: mods.jcmj,
            change_share,
            imagery: imagery_variant,
        };
        Placed {
            rec,
            gd,
            jbnt,
            pzyd,
            kq,
        }
    }

    fn pick_mineral<R: Rng>(&self, rng: &mut R, spot: &Spot) -> &'static str {
        let pool = if spot.minerals.is_empty() {
            QUARRY_MINERALS
        } else {
            spot.minerals
        };
        weighted_pick(rng, pool)
    }

    fn commit(&mut self, p: Placed, mineral: bool) -> usize {
        self.gd.extend(p.gd);
        self.jbnt.extend(p.jbnt);
        self.pzyd.extend(p.pzyd);
        self.kq.extend(p.kq);
        if mineral {
            self.mineral.push(p.rec);
            self.mineral.len() - 1
        } else {
            self.land.push(p.rec);
            self.land.len() - 1
        }
    }

    /// Whether a listed scene does what it claims; the description if so.
    fn check(&self, kind: &str, p: &Placed) -> Option<String> {
        let geom = &p.rec.geom;
        let a = area_m2(geom);
        let mu = |m2: f64| m2 / M2_PER_MU;
        match kind {
            "gd_full_0101" | "gd_full_0102" | "gd_full_0103" => {
                let on = sum_inter(geom, &p.gd);
                let class = &kind[8..];
                (on >= a * 0.9999 && p.gd.iter().all(|f| attr_text(f, 2) == class))
                    .then(|| format!("图斑全部位于耕地（{}）上", layers::class_name(class)))
            }
            "gd_partial" => {
                let on = sum_inter(geom, &p.gd) / a;
                (on > 0.05 && on < 0.95)
                    .then(|| format!("图斑部分位于耕地上（约 {:.0}%）", on * 100.0))
            }
            "jbnt" => {
                let on = sum_inter(geom, &p.jbnt);
                (on > 0.05 * a).then(|| format!("图斑占用永久基本农田约 {:.2} 亩", mu(on)))
            }
            "baimu" => {
                let on = sum_inter(geom, &p.gd);
                (on >= 70_000.0).then(|| format!("百亩大图斑：占用耕地约 {:.2} 亩", mu(on)))
            }
            "pzyd_full" => {
                let on = inter_area(geom, &p.pzyd[0].0);
                (on >= a * 0.9999).then(|| {
                    format!(
                        "图斑全部位于已批准用地（{}）范围内",
                        attr_text(&p.pzyd[0], 1)
                    )
                })
            }
            "pzyd_partial" => {
                let on = inter_area(geom, &p.pzyd[0].0) / a;
                (on > 0.1 && on < 0.9).then(|| {
                    format!(
                        "图斑仅约 {:.0}% 位于已批准用地（{}）范围内，批少占多",
                        on * 100.0,
                        attr_text(&p.pzyd[0], 1)
                    )
                })
            }
            "pzyd_overlap" => {
                let on = inter_area(geom, &p.pzyd[0].0);
                let ov = inter_area(&p.pzyd[0].0, &p.pzyd[1].0);
                (on > 0.5 * a && ov > 1.0).then(|| {
                    format!(
                        "图斑位于相互重叠的两宗批地之一（{}，与 {} 重叠）上",
                        attr_text(&p.pzyd[0], 1),
                        attr_text(&p.pzyd[1], 1)
                    )
                })
            }
            "no_layer" => {
                (p.gd.is_empty() && p.jbnt.is_empty() && p.pzyd.is_empty() && p.kq.is_empty())
                    .then(|| "图斑不涉及任何基础数据图层".to_string())
            }
            "rural_housing_1b" => (p.rec.tblx == "1B")
                .then(|| "图斑类型 1B（疑似农村村民建房），应移交农业农村部门或乡镇".to_string()),
            "kq_inside" | "kq_rare_earth" | "kq_expired" => {
                let on = inter_area(geom, &p.kq[0].0);
                let xkzh = attr_text(&p.kq[0], 0);
                (on >= a * 0.9999).then(|| match kind {
                    "kq_rare_earth" => format!("矿产图斑位于稀土矿业权（{xkzh}）内"),
                    "kq_expired" => format!(
                        "矿产图斑所在矿业权（{xkzh}）有效期止于 {}，早于前时相",
                        attr_text(&p.kq[0], 8)
                    ),
                    _ => format!(
                        "矿产图斑位于矿业权（{xkzh}，{}）范围内",
                        attr_text(&p.kq[0], 2)
                    ),
                })
            }
            "kq_outside" => {
                p.kq.is_empty()
                    .then(|| "矿产图斑不在任何矿业权范围内（疑似无证开采）".to_string())
            }
            "kq_cross" => {
                let on = inter_area(geom, &p.kq[0].0) / a;
                (on > 0.1 && on < 0.9).then(|| {
                    format!(
                        "矿产图斑跨越矿业权（{}）边界，约 {:.0}% 在界外（疑似越界开采）",
                        attr_text(&p.kq[0], 0),
                        (1.0 - on) * 100.0
                    )
                })
            }
            _ => None,
        }
    }

    /// Check a scene against a large feature.
    fn check_big(&self, kind: &str, p: &Placed, big: usize) -> Option<String> {
        let geom = &p.rec.geom;
        let a = area_m2(geom);
        let b = &self.bigs[big];
        let on = inter_area(geom, &MultiPolygon(vec![b.poly.clone()])) / a;
        match kind {
            "sthx_touch" => (on > 0.02 && on < 0.98).then(|| {
                format!(
                    "图斑部分压占生态保护红线（{}），约 {:.0}%",
                    b.name,
                    on * 100.0
                )
            }),
            "zrbhd_inside" => (on >= 0.9999).then(|| format!("图斑位于自然保护地（{}）内", b.name)),
            "zrbhd_touch" => (on > 0.02 && on < 0.98).then(|| {
                format!(
                    "图斑与自然保护地（{}）边界相交，约 {:.0}% 在保护地内",
                    b.name,
                    on * 100.0
                )
            }),
            "cjyx" => (on >= 0.9999).then(|| format!("图斑位于长江沿线生态敏感区（{}）内", b.name)),
            _ => None,
        }
    }
}

/// Relations of one cell to the large features (only those not `Out`).
type CellRels = Vec<(usize, Rel)>;

fn classify(g: &Grid, bigs: &[BigFeat]) -> Vec<CellRels> {
    let gb = g.bbox();
    let near: Vec<usize> = (0..bigs.len())
        .filter(|&k| bigs[k].prep.bbox.intersects(&gb))
        .collect();
    g.cells()
        .iter()
        .map(|&(i, j)| {
            let c = g.cell(i, j);
            near.iter()
                .filter_map(|&k| match bigs[k].prep.classify(&c) {
                    Rel::Out => None,
                    r => Some((k, r)),
                })
                .collect()
        })
        .collect()
}

/// The scene a listed kind needs in a cell, if the cell can host it.
fn scene_for(
    kind: &str,
    rels: &CellRels,
    bigs: &[BigFeat],
    cell: BBox,
    spot: &Spot,
) -> Option<(Scene, Option<usize>)> {
    let of = |l: BigLayer| rels.iter().filter(move |(k, _)| bigs[*k].layer == l);
    let touch_point =
        |k: usize| {
            let c = cell.center();
            let core = cell.grow(-0.25 * cell.width(), -0.25 * cell.height());
            bigs[k].prep.vertices_in(&core).into_iter().min_by(|a, b| {
                ((a.x - c.x).hypot(a.y - c.y)).total_cmp(&(b.x - c.x).hypot(b.y - c.y))
            })
        };
    let mining = !spot.minerals.is_empty();
    match kind {
        "gd_full_0101" => Some((Scene::GdFull(Some("0101")), None)),
        "gd_full_0102" => Some((Scene::GdFull(Some("0102")), None)),
        "gd_full_0103" => Some((Scene::GdFull(Some("0103")), None)),
        "gd_partial" => Some((Scene::GdPartial, None)),
        "jbnt" => Some((Scene::Jbnt, None)),
        "baimu" => (spot.flavor != Flavor::Urban).then_some((Scene::Baimu, None)),
        "pzyd_full" => Some((Scene::PzydFull, None)),
        "pzyd_partial" => Some((Scene::PzydPartial, None)),
        "pzyd_overlap" => Some((Scene::PzydOverlap, None)),
        "no_layer" => rels.is_empty().then_some((Scene::Nothing, None)),
        "rural_housing_1b" => Some((Scene::Rural, None)),
        "sthx_touch" => {
            let (k, _) = of(BigLayer::Sthx).find(|(_, r)| *r == Rel::Boundary)?;
            Some((Scene::Touch(*k, touch_point(*k)?), Some(*k)))
        }
        "zrbhd_inside" => {
            let z: Vec<_> = of(BigLayer::Zrbhd).collect();
            if z.iter().any(|(_, r)| *r == Rel::Boundary) {
                return None;
            }
            let (k, _) = z.first()?;
            Some((Scene::Inside(*k), Some(*k)))
        }
        "zrbhd_touch" => {
            let z: Vec<_> = of(BigLayer::Zrbhd).collect();
            if z.len() != 1 || z[0].1 != Rel::Boundary {
                return None;
            }
            let k = z[0].0;
            Some((Scene::Touch(k, touch_point(k)?), Some(k)))
        }
        "cjyx" => {
            let (k, _) = of(BigLayer::Cjyx).find(|(_, r)| *r == Rel::In)?;
            Some((Scene::Inside(*k), Some(*k)))
        }
        "kq_inside" => mining.then_some((
            Scene::KqInside {
                kz: None,
                expired: false,
                exploration: false,
            },
            None,
        )),
        "kq_outside" => mining.then_some((Scene::KqOutside, None)),
        "kq_cross" => mining.then_some((Scene::KqCross, None)),
        "kq_rare_earth" => spot.minerals.iter().any(|m| m.0 == "稀土").then_some((
            Scene::KqInside {
                kz: Some("稀土"),
                expired: false,
                exploration: false,
            },
            None,
        )),
        "kq_expired" => mining.then_some((
            Scene::KqInside {
                kz: None,
                expired: true,
                exploration: false,
            },
            None,
        )),
        _ => None,
    }
}

fn background_scene<R: Rng>(rng: &mut R, flavor: Flavor, clean: bool) -> Scene {
    let pick = match flavor {
        Flavor::Urban => weighted_pick(
            rng,
            &[
                (0, 0.1),
                (1, 0.15),
                (2, 0.05),
                (3, 0.25),
                (4, 0.12),
                (5, 0.05),
                (6, 0.18),
                (7, 0.1),
            ],
        ),
        Flavor::Mountain => weighted_pick(
            rng,
            &[
                (0, 0.15),
                (1, 0.25),
                (2, 0.05),
                (3, 0.1),
                (4, 0.04),
                (5, 0.01),
                (6, 0.2),
                (7, 0.2),
            ],
        ),
        _ => weighted_pick(
            rng,
            &[
                (0, 0.25),
                (1, 0.2),
                (2, 0.15),
                (3, 0.1),
                (4, 0.05),
                (5, 0.02),
                (6, 0.1),
                (7, 0.13),
            ],
        ),
    };
    let s = match pick {
        0 => Scene::GdFull(None),
        1 => Scene::GdPartial,
        2 => Scene::Jbnt,
        3 => Scene::PzydFull,
        4 => Scene::PzydPartial,
        5 => Scene::PzydOverlap,
        6 => Scene::Nothing,
        _ => Scene::Rural,
    };
    if flavor != Flavor::Urban && rng.random::<f64>() < 0.01 {
        return Scene::Baimu;
    }
    if s == Scene::Nothing && !clean {
        Scene::Wild
    } else {
        s
    }
}

fn background_mineral<R: Rng>(rng: &mut R) -> Scene {
    match weighted_pick(rng, &[(0, 0.5), (1, 0.05), (2, 0.25), (3, 0.15), (4, 0.05)]) {
        0 => Scene::KqInside {
            kz: None,
            expired: false,
            exploration: false,
        },
        1 => Scene::KqInside {
            kz: None,
            expired: false,
            exploration: true,
        },
        2 => Scene::KqOutside,
        3 => Scene::KqCross,
        _ => Scene::KqInside {
            kz: None,
            expired: true,
            exploration: false,
        },
    }
}

fn background_mods<R: Rng>(rng: &mut R) -> Mods {
    let multipart = rng.random::<f64>() < 0.012;
    let hole = !multipart && rng.random::<f64>() < 0.006;
    let x = rng.random::<f64>();
    let jcmj = if x < 0.012 {
        let e = rng.random_range(0.002..0.03);
        Jcmj::Off(if rng.random_bool(0.5) { e } else { -e })
    } else if x < 0.35 {
        Jcmj::Near(rng.random_range(-0.0002..0.0002))
    } else {
        Jcmj::Exact
    };
    Mods {
        multipart,
        hole,
        jcmj,
    }
}

// --- the whole dataset ----------------------------------------------------------

#[allow(clippy::too_many_lines)]
pub(crate) fn build(seed: u64) -> DemoData {
    let table = RegionTable::embedded();
    let part = Partition::build(&table, seed);
    let mut rng = stream(seed, 0xDE70);
    let mut b = Builder {
        seed,
        part: &part,
        serials: Serials::default(),
        gd: Vec::new(),
        jbnt: Vec::new(),
        pzyd: Vec::new(),
        kq: Vec::new(),
        bigs: Vec::new(),
        land: Vec::new(),
        mineral: Vec::new(),
        marks: Vec::new(),
    };

    // Grids.
    let grids: Vec<Grid> = SPOTS
        .iter()
        .enumerate()
        .filter_map(|(si, s)| {
            let county = part.county_index(s.code)?;
            let core = part.counties[county].core();
            let f = Frame::at(core.center().y);
            let (dx, dy) = (f.dx(CELL_M), f.dy(CELL_M));
            #[allow(clippy::cast_possible_truncation)]
            let nx = ((core.width() / dx).floor() as i32).min(13);
            #[allow(clippy::cast_possible_truncation)]
            let ny = ((core.height() / dy).floor() as i32).min(12);
            if nx < 4 || ny < 4 {
                return None;
            }
            let x0 = core.x0 + rng.random::<f64>() * (core.width() - f64::from(nx) * dx);
            let y0 = core.y0 + rng.random::<f64>() * (core.height() - f64::from(ny) * dy);
            Some(Grid {
                spot: si,
                county,
                x0,
                y0,
                dx,
                dy,
                nx,
                ny,
            })
        })
        .collect();

    // Large features, then what each cell touches.
    for g in &grids {
        b.spot_features(g);
    }
    b.river(&grids);
    let rels: Vec<Vec<CellRels>> = grids.iter().map(|g| classify(g, &b.bigs)).collect();

    // Quotas.
    let land_total: usize = 3_000 + rng.random_range(0..=50) - 25;
    let mineral_quota: Vec<usize> = grids
        .iter()
        .map(|g| {
            let s = &SPOTS[g.spot];
            if !s.minerals.is_empty() {
                rng.random_range(34..=44)
            } else if s.flavor == Flavor::Urban {
                0
            } else {
                rng.random_range(0..=2)
            }
        })
        .collect();
    let capacity: Vec<f64> = grids
        .iter()
        .zip(&mineral_quota)
        .map(|(g, m)| {
            #[allow(clippy::cast_sign_loss)]
            let cells = (g.nx * g.ny) as usize - m;
            let w = if SPOTS[g.spot].flavor == Flavor::Urban {
                0.6
            } else {
                1.0
            };
            #[allow(clippy::cast_precision_loss)]
            let c = cells as f64 * w;
            c
        })
        .collect();
    let cap_sum: f64 = capacity.iter().sum();
    let land_quota: Vec<usize> = grids
        .iter()
        .zip(&capacity)
        .zip(&mineral_quota)
        .map(|((g, c), m)| {
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let want = (land_total as f64 * c / cap_sum).round() as usize;
            #[allow(clippy::cast_sign_loss)]
            let cells = (g.nx * g.ny) as usize - m;
            want.min(cells * 9 / 10)
        })
        .collect();

    // How many spots can host each listed kind (for spreading them out).
    let mut need: Vec<usize> = GRID_KINDS.iter().map(|k| k.1).collect();
    let hosts: Vec<usize> = GRID_KINDS
        .iter()
        .map(|(kind, _)| {
            grids
                .iter()
                .zip(&rels)
                .filter(|(g, r)| {
                    g.cells().iter().zip(r.iter()).any(|(&(i, j), cr)| {
                        scene_for(kind, cr, &b.bigs, g.cell(i, j), &SPOTS[g.spot]).is_some()
                    })
                })
                .count()
        })
        .collect();

    let mut order: Vec<usize> = (0..grids.len()).collect();
    order.shuffle(&mut rng);
    for &gi in &order {
        let g = &grids[gi];
        let spot = &SPOTS[g.spot];
        let mut cells: Vec<usize> = (0..g.cells().len()).collect();
        cells.shuffle(&mut rng);
        let all = g.cells();
        let mut used = vec![false; all.len()];
        let (mut land_n, mut min_n) = (0, 0);
        // Listed scenes first.
        for (ki, (kind, total)) in GRID_KINDS.iter().enumerate() {
            if need[ki] == 0 || hosts[ki] == 0 {
                continue;
            }
            let per_spot = total.div_ceil(hosts[ki]).max(1) + usize::from(hosts[ki] < *total);
            let mut placed_here = 0;
            let mut tries = 0;
            for &c in &cells {
                if used[c] || placed_here >= per_spot || need[ki] == 0 || tries >= 12 {
                    continue;
                }
                let (i, j) = all[c];
                let Some((scene, big)) = scene_for(kind, &rels[gi][c], &b.bigs, g.cell(i, j), spot)
                else {
                    continue;
                };
                tries += 1;
                let p = b.scene(&mut rng, g, (i, j), scene, PLAIN_MODS);
                let desc = match big {
                    Some(k) => b.check_big(kind, &p, k),
                    None => b.check(kind, &p),
                };
                if let Some(desc) = desc {
                    let mineral = scene.mineral();
                    let idx = b.commit(p, mineral);
                    b.marks.push((mineral, idx, kind, desc));
                    used[c] = true;
                    need[ki] -= 1;
                    placed_here += 1;
                    if mineral {
                        min_n += 1;
                    } else {
                        land_n += 1;
                    }
                }
            }
        }
        // Background.
        for &c in &cells {
            if used[c] {
                continue;
            }
            let (i, j) = all[c];
            let scene = if min_n < mineral_quota[gi] {
                min_n += 1;
                background_mineral(&mut rng)
            } else if land_n < land_quota[gi] {
                land_n += 1;
                background_scene(&mut rng, spot.flavor, rels[gi][c].is_empty())
            } else {
                continue;
            };
            used[c] = true;
            let mods = background_mods(&mut rng);
            let mods = if scene.mineral() {
                Mods {
                    multipart: false,
                    hole: false,
                    ..mods
                }
            } else {
                mods
            };
            let p = b.scene(&mut rng, g, (i, j), scene, mods);
            b.commit(p, scene.mineral());
        }
    }

    straddlers(&mut b, &grids, &mut rng);

    // Scenarios found among the background patches.
    let mut extra: Vec<(usize, &'static str, String)> = Vec::new();
    for code in [510_104, 510_107] {
        let found = b
            .land
            .iter()
            .enumerate()
            .filter(|(_, r)| part.counties[r.county].code.value() == code)
            .take(4);
        for (i, r) in found {
            let name = &part.counties[r.county].name;
            extra.push((i, "chengdu", format!("成都市{name}的图斑（地图演示）")));
        }
    }
    let mut n = (0, 0, 0);
    for (i, r) in b.land.iter().enumerate() {
        if let Jcmj::Off(e) = r.jcmj {
            if n.0 < 10 {
                n.0 += 1;
                extra.push((
                    i,
                    "jcmj_mismatch",
                    format!("下发监测面积与图形椭球面积相差约 {:.2}%", e * 100.0),
                ));
            }
        }
        if r.geom.0.len() > 1 && n.1 < 6 {
            n.1 += 1;
            extra.push((
                i,
                "multipart",
                format!("多部件图斑（{} 个部件）", r.geom.0.len()),
            ));
        }
        if r.geom.0.iter().any(|p| !p.interiors().is_empty()) && n.2 < 6 {
            n.2 += 1;
            extra.push((i, "hole", "带洞图斑".to_string()));
        }
    }
    for (i, k, d) in extra {
        b.marks.push((false, i, k, d));
    }

    // Datasets.
    let (land, land_jcbh) = patch_dataset(
        seed,
        &part,
        &table,
        &b.land,
        PatchKind::Land,
        "demo/2020Q1-土地.shp",
    );
    let (mineral, mineral_jcbh) = patch_dataset(
        seed,
        &part,
        &table,
        &b.mineral,
        PatchKind::Mineral,
        "demo/2020Q1-矿产.shp",
    );
    let scenarios = b
        .marks
        .iter()
        .map(|(m, i, kind, d)| Scenario {
            jcbh: if *m {
                mineral_jcbh[*i].clone()
            } else {
                land_jcbh[*i].clone()
            },
            kind,
            description_zh: d.clone(),
        })
        .collect();

    let region_ds = |name: &str, units: Vec<&crate::partition::Unit>| {
        let feats = units
            .into_iter()
            .map(|u| {
                (
                    u.multipolygon(),
                    vec![text(u.code.to_string()), text(u.name.clone())],
                )
            })
            .collect();
        crate::table::dataset(name, layers::region_fields(), feats)
    };
    let counties = region_ds("demo/县级行政区.shp", part.counties.iter().collect());
    let cities = region_ds("demo/市级行政区.shp", part.cities.iter().collect());
    let province = region_ds("demo/省级行政区.shp", vec![&part.province]);

    let big_of = |l: BigLayer| -> Vec<Feat> {
        b.bigs
            .iter()
            .filter(|f| f.layer == l)
            .map(|f| (MultiPolygon(vec![f.poly.clone()]), f.attrs.clone()))
            .collect()
    };
    let layers = vec![
        (
            "gd",
            crate::table::dataset("demo/耕地.shp", layers::gd_fields(), b.gd.clone()),
        ),
        (
            "jbnt",
            crate::table::dataset(
                "demo/永久基本农田.shp",
                layers::jbnt_fields(),
                b.jbnt.clone(),
            ),
        ),
        (
            "sthx",
            crate::table::dataset(
                "demo/生态保护红线.shp",
                layers::sthx_fields(),
                big_of(BigLayer::Sthx),
            ),
        ),
        (
            "zrbhd",
            crate::table::dataset(
                "demo/自然保护地.shp",
                layers::zrbhd_fields(),
                big_of(BigLayer::Zrbhd),
            ),
        ),
        (
            "pzyd",
            crate::table::dataset("demo/已批准用地.shp", layers::pzyd_fields(), b.pzyd.clone()),
        ),
        (
            "cjyx",
            crate::table::dataset(
                "demo/长江沿线.shp",
                layers::cjyx_fields(),
                big_of(BigLayer::Cjyx),
            ),
        ),
        (
            "kq",
            crate::table::dataset("demo/矿业权.shp", layers::kq_fields(), b.kq.clone()),
        ),
    ];
    DemoData {
        province,
        cities,
        counties,
        layers,
        land,
        mineral,
        scenarios,
    }
}

/// Patches across a county boundary, XZQDM = the county holding the larger part.
fn straddlers(b: &mut Builder<'_>, grids: &[Grid], rng: &mut ChaCha8Rng) {
    let part = b.part;
    let mut done = 0;
    for g in grids {
        if done >= 8 || SPOTS[g.spot].flavor == Flavor::Urban {
            continue;
        }
        let main = g.county;
        let edges: Vec<_> = part
            .shared
            .iter()
            .filter(|e| e.counties.contains(&main) && e.line.len() >= 5)
            .collect();
        if edges.is_empty() {
            continue;
        }
        let e = edges[rng.random_range(0..edges.len())];
        let other = if e.counties[0] == main {
            e.counties[1]
        } else {
            e.counties[0]
        };
        let mid = e.line.len() / 2;
        let v = e.line[mid];
        let f = Frame::at(v.y);
        let (a, c) = (e.line[mid - 1], e.line[mid + 1]);
        let (tx, ty) = ((c.x - a.x) * f.mx, (c.y - a.y) * f.my);
        let l = tx.hypot(ty);
        let (mut nx, mut ny) = (-ty / l, tx / l);
        if !part.counties[main]
            .prep
            .contains_point(f.offset(v, nx * 200.0, ny * 200.0))
        {
            nx = -nx;
            ny = -ny;
        }
        let main_mp = part.counties[main].multipolygon();
        let other_mp = part.counties[other].multipolygon();
        for _ in 0..12 {
            let area = rng.random_range(0.5..4.0) * 10_000.0;
            let r = (area / std::f64::consts::PI).sqrt();
            let off = rng.random_range(0.25..0.45) * r;
            let center = f.offset(v, nx * off, ny * off);
            let spec = ShapeSpec {
                vertices: rng.random_range(8..=60),
                area_m2: area,
                max_half_m: 600.0,
                aspect: rng.random_range(1.0..1.6),
                rotation: rng.random_range(0.0..std::f64::consts::PI),
                multipart: false,
                hole: false,
            };
            let geom = patch_shape(rng, center, &spec);
            let total = area_m2(&geom);
            let in_main = inter_area(&geom, &main_mp);
            let in_other = inter_area(&geom, &other_mp);
            let ok = in_main > in_other
                && in_other > 0.08 * total
                && (in_main + in_other) > total * 0.9999
                && part.counties[main].prep.contains_point(centroid(&geom));
            if !ok {
                continue;
            }
            let tblx = tblx_background(rng);
            let rec = PatchRec {
                county: main,
                geom,
                tblx,
                kz: None,
                bz: None,
                jcmj: Jcmj::Exact,
                change_share: 1.0,
                imagery: 0,
            };
            b.land.push(rec);
            let desc = format!(
                "跨县图斑：约 {:.0}% 在{}，{:.0}% 在{}，行政区代码取面积较大的一方",
                in_main / total * 100.0,
                part.counties[main].name,
                in_other / total * 100.0,
                part.counties[other].name
            );
            b.marks.push((false, b.land.len() - 1, "straddle", desc));
            done += 1;
            break;
        }
    }
}
