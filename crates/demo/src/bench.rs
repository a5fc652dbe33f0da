//! Benchmark datasets: many patches over Sichuan (import), and patches with
//! a million cultivated parcels, basic-farmland blocks and nature reserves
//! (overlay).
//!
//! Patches sit in a province-wide grid of ~900 m cells: a cell holds one
//! large patch (> 4 ha) or up to four small ones, one per quadrant, each
//! kept inside its slot, so patches are pairwise disjoint without any
//! geometric test. XZQDM is the county whose synthetic outline contains the
//! patch's centroid.
//!
//! In the overlay benchmark the farmland blocks are taken out of that grid
//! and packed far more densely: each block has an occupancy raster of ~20 m
//! pixels, and a patch goes where the pixels under its (slightly grown)
//! bounding box are all free, largest patches first. Bounding boxes of
//! different patches never meet, so patches stay pairwise disjoint. Parcels
//! are clean tilings of disjoint blocks (20 m apart), so they never overlap.

use std::collections::{BTreeSet, HashMap};

use geo::Translate;
use geo_types::MultiPolygon;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use weipian_domain::{AttrValue, PatchKind, RegionTable};
use weipian_formats::Dataset;

use crate::geom::{blob, centroid, patch_shape, polygon_area_m2, pt, BBox, Frame, ShapeSpec};
use crate::layers::{self, farmland, weighted_pick, BlockOpts, Classes, Feat, Serials};
use crate::names;
use crate::partition::{Partition, EXTENT};
use crate::rng::{mix, stream, Hashed};
use crate::table::{dataset, patch_dataset, round_to, text, Jcmj, PatchRec};

/// Sizes of the benchmark datasets.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// Patches (default 100,000).
    pub patches: usize,
    /// Cultivated parcels (default 1,000,000).
    pub parcels: usize,
    /// Nature reserves (default 50).
    pub reserves: usize,
    /// Share of parcels inside 永久基本农田 blocks (default 1/3).
    pub jbnt_share: f64,
    /// Share of parcels with a hole (default 2 %).
    pub hole_share: f64,
    /// Share of patches placed inside farmland blocks (default 38.5 %); the
    /// few that find no room there go anywhere.
    pub patches_on_farmland: f64,
    pub seed: u64,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            patches: 100_000,
            parcels: 1_000_000,
            reserves: 50,
            jbnt_share: 1.0 / 3.0,
            hole_share: 0.02,
            patches_on_farmland: 0.385,
            seed: 2020,
        }
    }
}

/// The overlay benchmark.
#[derive(Debug, Clone)]
pub struct OverlayBench {
    /// Land patches, pairwise disjoint.
    pub patches: Dataset,
    /// 耕地 parcels, a clean tiling per farmland block.
    pub gd: Dataset,
    /// 永久基本农田 blocks (groups of parcels).
    pub jbnt: Dataset,
    /// 自然保护地, 300–6,000 vertices each; they may overlap each other.
    pub zrbhd: Dataset,
}

/// Cell size of the patch grid, degrees (~900 m).
const CELL: (f64, f64) = (0.0095, 0.0082);
/// Farmland block size in cells.
const BLOCK: (i64, i64) = (4, 3);
/// Patches larger than this take a whole cell, m².
const LARGE_M2: f64 = 40_000.0;
/// Occupancy-raster pixels per grid cell, each way (~20 m pixels).
const PIXELS_PER_CELL: i64 = 45;
/// Gap kept around a farmland patch's bounding box, metres.
const GAP_M: f64 = 3.0;
/// Largest half-extent of a patch placed on farmland, metres (as in a cell).
const FARM_MAX_HALF_M: f64 = 370.0;
/// Largest aspect ratio of a patch on farmland: a little more elongated than
/// elsewhere (1.8), like field strips and roads. Tuned with
/// `patches_on_farmland` so the default set has about the 525,000
/// candidate pairs and 392,000 intersections (see `examples/bench_pairs.rs`).
const FARM_MAX_ASPECT: f64 = 3.0;

/// A patch area, m²: log-uniform over 0.021–19.5 ha.
fn patch_area<R: Rng>(rng: &mut R) -> f64 {
    (0.021_f64.ln() + rng.random::<f64>() * (19.5_f64.ln() - 0.021_f64.ln())).exp() * 10_000.0
}

/// Occupancy of one farmland block, by pixels.
struct Raster {
    rect: BBox,
    px: f64,
    py: f64,
    nx: usize,
    ny: usize,
    used: Vec<bool>,
}

impl Raster {
    /// A raster over `rect`, whose sides are whole numbers of pixels.
    fn new(rect: BBox) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let (px, py) = (
            CELL.0 / PIXELS_PER_CELL as f64,
            CELL.1 / PIXELS_PER_CELL as f64,
        );
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (nx, ny) = (
            (rect.width() / px).floor() as usize,
            (rect.height() / py).floor() as usize,
        );
        Self {
            rect,
            px,
            py,
            nx,
            ny,
            used: vec![false; nx * ny],
        }
    }

    /// Try to move `geom` (whose grown box is `gb`) to a free spot; on success
    /// its pixels are taken and the translation is returned.
    fn fit<R: Rng>(&mut self, rng: &mut R, gb: &BBox, tries: usize) -> Option<(f64, f64)> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (w, h) = (
            (gb.width() / self.px).ceil() as usize,
            (gb.height() / self.py).ceil() as usize,
        );
        if w == 0 || h == 0 || w > self.nx || h > self.ny {
            return None;
        }
        for _ in 0..tries {
            let (i0, j0) = (
                rng.random_range(0..=self.nx - w),
                rng.random_range(0..=self.ny - h),
            );
            let free = (j0..j0 + h).all(|j| {
                let row = &self.used[j * self.nx..(j + 1) * self.nx];
                row[i0..i0 + w].iter().all(|u| !u)
            });
            if free {
                for j in j0..j0 + h {
                    self.used[j * self.nx + i0..j * self.nx + i0 + w].fill(true);
                }
                #[allow(clippy::cast_precision_loss)]
                return Some((
                    self.rect.x0 + i0 as f64 * self.px - gb.x0,
                    self.rect.y0 + j0 as f64 * self.py - gb.y0,
                ));
            }
        }
        None
    }
}

/// A patch of `area` m² somewhere in a farmland block, or `None` if there is
/// no room (or it falls outside the province).
fn place_on_farmland(
    rng: &mut ChaCha8Rng,
    part: &Partition,
    raster: &mut Raster,
    area: f64,
) -> Option<PatchRec> {
    let multipart = rng.random::<f64>() < 0.01;
    let spec = ShapeSpec {
        vertices: rng.random_range(8..=60),
        area_m2: area,
        max_half_m: FARM_MAX_HALF_M,
        aspect: rng.random_range(1.0..FARM_MAX_ASPECT),
        rotation: rng.random_range(0.0..std::f64::consts::PI),
        multipart,
        hole: !multipart && rng.random::<f64>() < 0.005,
    };
    let center = raster.rect.center();
    let mut geom = patch_shape(rng, center, &spec);
    let f = Frame::at(center.y);
    let gb = BBox::of_multipolygon(&geom).grow(f.dx(GAP_M), f.dy(GAP_M));
    let (dx, dy) = raster.fit(rng, &gb, 24)?;
    geom.translate_mut(dx, dy);
    let county = part.county_at(centroid(&geom))?;
    Some(random_record(rng, county, geom))
}

struct Placer<'a> {
    part: &'a Partition,
    /// Cell → occupancy: bits 0–3 quadrants, bit 4 the whole cell.
    occ: HashMap<(i64, i64), u8>,
    ncols: i64,
    nrows: i64,
}

impl<'a> Placer<'a> {
    fn new(part: &'a Partition) -> Self {
        #[allow(clippy::cast_possible_truncation)]
        let ncols = (EXTENT.width() / CELL.0).floor() as i64;
        #[allow(clippy::cast_possible_truncation)]
        let nrows = (EXTENT.height() / CELL.1).floor() as i64;
        Self {
            part,
            occ: HashMap::new(),
            ncols,
            nrows,
        }
    }

    fn cell(&self, i: i64, j: i64) -> BBox {
        #[allow(clippy::cast_precision_loss)]
        let (x, y) = (EXTENT.x0 + i as f64 * CELL.0, EXTENT.y0 + j as f64 * CELL.1);
        BBox::new(x, y, x + CELL.0, y + CELL.1)
    }

    fn random_cell<R: Rng>(&self, rng: &mut R) -> (i64, i64) {
        loop {
            let c = (
                rng.random_range(0..self.ncols),
                rng.random_range(0..self.nrows),
            );
            // Fewer patches on the western plateau.
            let x = self.cell(c.0, c.1).center().x;
            if x > 102.4 || rng.random::<f64>() < 0.35 {
                return c;
            }
        }
    }

    /// Try to put one patch in cell `c`; the patch record on success.
    fn place(&mut self, rng: &mut ChaCha8Rng, c: (i64, i64)) -> Option<PatchRec> {
        let area = patch_area(rng);
        let large = area > LARGE_M2;
        let state = self.occ.get(&c).copied().unwrap_or(0);
        let cell = self.cell(c.0, c.1);
        let slot = if large {
            if state != 0 {
                return None;
            }
            self.occ.insert(c, 0x10);
            cell
        } else {
            if state & 0x10 != 0 || state == 0x0F {
                return None;
            }
            let free: Vec<u8> = (0..4).filter(|q| state & (1 << q) == 0).collect();
            let q = free[rng.random_range(0..free.len())];
            self.occ.insert(c, state | (1 << q));
            let (hx, hy) = (cell.width() / 2.0, cell.height() / 2.0);
            let (qx, qy) = (f64::from(q % 2), f64::from(q / 2));
            BBox::new(
                cell.x0 + qx * hx,
                cell.y0 + qy * hy,
                cell.x0 + (qx + 1.0) * hx,
                cell.y0 + (qy + 1.0) * hy,
            )
        };
        let f = Frame::at(slot.center().y);
        let (w, h) = (slot.width() * f.mx, slot.height() * f.my);
        let (ox, oy) = (
            rng.random_range(-0.04..0.04) * w,
            rng.random_range(-0.04..0.04) * h,
        );
        let center = f.offset(slot.center(), ox, oy);
        let multipart = rng.random::<f64>() < 0.01;
        let spec = ShapeSpec {
            vertices: rng.random_range(8..=60),
            area_m2: area,
            max_half_m: (0.45 * w - ox.abs()).min(0.45 * h - oy.abs()),
            aspect: rng.random_range(1.0..1.8),
            rotation: rng.random_range(0.0..std::f64::consts::PI),
            multipart,
            hole: !multipart && rng.random::<f64>() < 0.005,
        };
        let geom = patch_shape(rng, center, &spec);
        let county = self.part.county_at(centroid(&geom))?;
        Some(random_record(rng, county, geom))
    }
}

fn random_record(rng: &mut ChaCha8Rng, county: usize, geom: MultiPolygon<f64>) -> PatchRec {
    let tblx = weighted_pick(
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
    );
    let mut h = Hashed::new(rng.random());
    let bz = (rng.random::<f64>() < 0.35).then(|| names::land_remark(tblx, &mut h).to_string());
    let x = rng.random::<f64>();
    let jcmj = if x < 0.01 {
        Jcmj::Off(rng.random_range(0.002..0.03))
    } else if x < 0.35 {
        Jcmj::Near(rng.random_range(-0.0002..0.0002))
    } else {
        Jcmj::Exact
    };
    let change_share = if matches!(tblx, "2" | "3") {
        round_to(rng.random_range(0.7..1.0), 2)
    } else {
        1.0
    };
    PatchRec {
        county,
        geom,
        tblx,
        kz: None,
        bz,
        jcmj,
        change_share,
        imagery: u32::from(rng.random::<f64>() < 0.15),
    }
}

/// The import benchmark: `n` land patches of 8–60 vertices (uniform), 0.02–20 ha
/// (log-uniform), ~1 % multipart, a few with holes, pairwise disjoint, spread
/// over Sichuan (denser in the basin), with the national table's issued
/// columns (2020 Q1). The grid holds well over a million patches; an `n`
/// beyond what fits yields fewer.
#[must_use]
pub fn bench_patches(n: usize, seed: u64) -> Dataset {
    let table = RegionTable::embedded();
    let part = Partition::build(&table, seed);
    let mut rng = stream(seed, 0xBE_0001);
    let mut placer = Placer::new(&part);
    let mut recs = Vec::with_capacity(n);
    // Far more attempts than a full province needs; stops an absurd `n`.
    let mut attempts = 0_usize;
    while recs.len() < n && attempts < n.saturating_mul(20).saturating_add(1_000) {
        attempts += 1;
        let c = placer.random_cell(&mut rng);
        if let Some(r) = placer.place(&mut rng, c) {
            recs.push(r);
        }
    }
    patch_dataset(
        seed,
        &part,
        &table,
        &recs,
        PatchKind::Land,
        "bench/patches.shp",
    )
    .0
}

const RESERVE_NAMES: &[&str] = &[
    "卧龙",
    "王朗",
    "九寨沟",
    "贡嘎山",
    "若尔盖湿地",
    "龙溪—虹口",
    "蜂桶寨",
    "唐家河",
    "画稿溪",
    "马边大风顶",
    "美姑大风顶",
    "老君山",
    "白水河",
    "黑竹沟",
    "攀枝花苏铁",
    "亚丁",
    "长沙贡玛",
    "察青松多",
    "四姑娘山",
    "米仓山",
    "栗子坪",
    "白河",
    "海子山",
    "格西沟",
    "千佛山",
    "雪宝顶",
    "小寨子沟",
    "勿角",
    "喇叭河",
    "瓦屋山",
];
const RESERVE_KINDS: &[(&str, &str, &str)] = &[
    ("国家级自然保护区", "自然保护区", "国家级"),
    ("省级自然保护区", "自然保护区", "省级"),
    ("国家森林公园", "森林公园", "国家级"),
    ("国家湿地公园", "湿地公园", "国家级"),
    ("风景名胜区", "风景名胜区", "省级"),
];

/// The overlay benchmark (see [`BenchConfig`] for the sizes).
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn bench_overlay(cfg: &BenchConfig) -> OverlayBench {
    let table = RegionTable::embedded();
    let part = Partition::build(&table, cfg.seed);
    let mut rng = stream(cfg.seed, 0xBE_0002);
    let mut placer = Placer::new(&part);

    // Farmland blocks on a lattice of BLOCK-sized groups of cells.
    let (bcols, brows) = (placer.ncols / BLOCK.0, placer.nrows / BLOCK.1);
    let mut serials = Serials::default();
    let (mut gd, mut jbnt): (Vec<Feat>, Vec<Feat>) = (Vec::with_capacity(cfg.parcels), Vec::new());
    let mut blocks: Vec<Raster> = Vec::new();
    let mut taken = BTreeSet::new();
    let mut attempts = 0_usize;
    #[allow(clippy::cast_sign_loss)]
    let max_attempts = (bcols * brows) as usize * 20;
    while gd.len() < cfg.parcels && attempts < max_attempts {
        attempts += 1;
        let b = (rng.random_range(0..bcols), rng.random_range(0..brows));
        if taken.contains(&b) {
            continue;
        }
        let c0 = placer.cell(b.0 * BLOCK.0, b.1 * BLOCK.1);
        let c1 = placer.cell(b.0 * BLOCK.0 + BLOCK.0 - 1, b.1 * BLOCK.1 + BLOCK.1 - 1);
        let rect = BBox::new(c0.x0, c0.y0, c1.x1, c1.y1);
        let Some(county) = part.county_at(rect.center()) else {
            continue;
        };
        if rect.center().x < 102.4 && rng.random::<f64>() > 0.3 {
            continue;
        }
        taken.insert(b);
        for i in 0..BLOCK.0 {
            for j in 0..BLOCK.1 {
                // Out of the grid: farmland patches go by the block's raster.
                placer
                    .occ
                    .insert((b.0 * BLOCK.0 + i, b.1 * BLOCK.1 + j), 0x1F);
            }
        }
        let block_rect = rect;
        let f = Frame::at(rect.center().y);
        let rect = rect.grow(-f.dx(20.0), -f.dy(20.0));
        let opts = BlockOpts {
            mean_w: rng.random_range(50.0..140.0),
            mean_h: rng.random_range(45.0..120.0),
            classes: Classes::Mixed([0.45, 0.1, 0.45]),
            hole_share: cfg.hole_share,
            overlap: false,
            jbnt_share: cfg.jbnt_share,
            mid_prob: 0.5,
            slope: &["1", "2", "2", "3", "4"],
        };
        let code = part.counties[county].code.value();
        let (mut g, mut j) = (Vec::new(), Vec::new());
        farmland(
            &mut rng,
            &mut serials,
            code,
            rect,
            &opts,
            mix(cfg.seed, (b.0 << 20) as u64 ^ b.1 as u64),
            &mut g,
            &mut j,
        );
        let room = cfg.parcels - gd.len();
        let mut raster_rect = block_rect;
        if g.len() > room {
            // The last block: keep the first parcels, and the groups wholly inside them.
            g.truncate(room);
            let kept = BBox::of_points(
                g.iter()
                    .flat_map(|f| f.0 .0.iter().flat_map(|p| p.exterior().0.iter())),
            );
            j.retain(|f| kept.contains_box(&BBox::of_multipolygon(&f.0)));
            raster_rect = BBox::new(block_rect.x0, block_rect.y0, block_rect.x1, kept.y1);
        }
        blocks.push(Raster::new(raster_rect));
        gd.extend(g);
        jbnt.extend(j);
    }

    // Patches: a share inside farmland blocks, largest first (the small ones
    // fill the gaps), the rest, and those that find no room, anywhere.
    let mut recs = Vec::with_capacity(cfg.patches);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let on_farm = if blocks.is_empty() {
        0
    } else {
        (cfg.patches as f64 * cfg.patches_on_farmland.clamp(0.0, 1.0)).round() as usize
    };
    let mut areas: Vec<f64> = (0..on_farm).map(|_| patch_area(&mut rng)).collect();
    areas.sort_by(|a, b| b.total_cmp(a));
    for area in areas {
        for _ in 0..6 {
            let k = rng.random_range(0..blocks.len());
            if let Some(r) = place_on_farmland(&mut rng, &part, &mut blocks[k], area) {
                recs.push(r);
                break;
            }
        }
    }
    drop(blocks);
    let mut attempts = 0_usize;
    while recs.len() < cfg.patches
        && attempts < cfg.patches.saturating_mul(20).saturating_add(1_000)
    {
        attempts += 1;
        let c = placer.random_cell(&mut rng);
        if let Some(r) = placer.place(&mut rng, c) {
            recs.push(r);
        }
    }
    recs.shuffle(&mut rng);
    let patches = patch_dataset(
        cfg.seed,
        &part,
        &table,
        &recs,
        PatchKind::Land,
        "bench/patches.shp",
    )
    .0;

    // Nature reserves.
    let mut zrbhd: Vec<Feat> = Vec::with_capacity(cfg.reserves);
    let mut bsm = 0;
    while zrbhd.len() < cfg.reserves {
        let center = pt(
            rng.random_range(EXTENT.x0..EXTENT.x1),
            rng.random_range(EXTENT.y0..EXTENT.y1),
        );
        let Some(county) = part.county_at(center) else {
            continue;
        };
        let radius =
            (3_000.0_f64.ln() + rng.random::<f64>() * (25_000.0_f64.ln() - 3_000.0_f64.ln())).exp();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (300.0_f64.ln() + rng.random::<f64>() * (6_000.0_f64.ln() - 300.0_f64.ln())).exp()
            as usize;
        let poly = blob(&mut rng, center, radius, n);
        let k = zrbhd.len();
        let (suffix, lx, jb) = RESERVE_KINDS[(k / RESERVE_NAMES.len() + k) % RESERVE_KINDS.len()];
        let name = format!("{}{suffix}", RESERVE_NAMES[k % RESERVE_NAMES.len()]);
        bsm += 1;
        let attrs = vec![
            AttrValue::Integer(bsm),
            text(name),
            text(lx),
            text(jb),
            text(part.counties[county].name.clone()),
            AttrValue::Real(round_to(polygon_area_m2(&poly) / 10_000.0, 4)),
        ];
        zrbhd.push((MultiPolygon(vec![poly]), attrs));
    }

    OverlayBench {
        patches,
        gd: dataset("bench/耕地.shp", layers::gd_fields(), gd),
        jbnt: dataset("bench/永久基本农田.shp", layers::jbnt_fields(), jbnt),
        zrbhd: dataset("bench/自然保护地.shp", layers::zrbhd_fields(), zrbhd),
    }
}
