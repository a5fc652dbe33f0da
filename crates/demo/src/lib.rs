//! Seeded synthetic datasets for weipian: the demo behind `weipian demo`
//! and the benchmark sets.
//!
//! Everything is generated from a `u64` seed with ChaCha8 streams: the same
//! seed gives identical data, a different seed different data. All geometry
//! is EPSG:4490 (x = longitude, y = latitude, degrees); text is Chinese
//! where the real data is; areas come from the official ellipsoidal method
//! (`weipian_geo::area`).
//!
//! * [`demo`] — Sichuan (510000), 2020 Q1 (≈ 0.25 s in release):
//!   - synthetic but topologically clean outlines of the province, its 21
//!     cities and 183 counties (real codes and names from
//!     [`RegionTable::embedded`](weipian_domain::RegionTable::embedded));
//!     neighbours share exactly the same vertices;
//!   - ~3,000 land and ~300 mineral patches in ~30 hot-spot counties with
//!     the national table's issued columns, pairwise disjoint per batch;
//!   - the reference layers around them: 耕地 (~80,000 parcels, clean
//!     tilings with a few holes and a few slight overlaps), 永久基本农田,
//!     生态保护红线, 自然保护地 (thousands of vertices, two overlapping),
//!     已批准用地 (some overlapping pairs), the 长江/金沙江 band, 矿业权;
//!   - a list of [`Scenario`]s: patches built (and checked by polygon
//!     overlay) to exercise one situation each.
//! * [`bench_patches`] — the import benchmark: `n` patches spread over
//!   Sichuan with realistic attributes (100,000 ≈ 3.4 M vertices, ≈ 1 s).
//! * [`bench_overlay`] — the overlay benchmark: patches plus 1,000,000
//!   cultivated parcels, basic-farmland blocks and 50 nature reserves (≈ 2–2.5 s in release; ≈ 524k candidate pairs, 402k intersections, as issue #3 describes).
//!
//! `cargo run --release -p weipian-demo --example stats` prints counts,
//! sample rows and timings.
//!
//! ```no_run
//! let data = weipian_demo::demo(2020);
//! assert!(data.land.features.len() > 2_500);
//! for s in &data.scenarios {
//!     println!("{} {} {}", s.jcbh, s.kind, s.description_zh);
//! }
//! ```

mod bench;
mod demo;
mod geom;
mod layers;
mod names;
mod partition;
pub mod photo;
mod rng;
mod table;
mod tiling;

pub use bench::{bench_overlay, bench_patches, BenchConfig, OverlayBench};

use weipian_formats::Dataset;

/// The demo dataset.
#[derive(Debug, Clone)]
pub struct DemoData {
    /// 四川省 outline (XZQDM, XZQMC): the union of the counties, exactly.
    pub province: Dataset,
    /// The 21 prefecture-level units (XZQDM, XZQMC).
    pub cities: Dataset,
    /// The 183 county-level units (XZQDM, XZQMC), a clean partition of the
    /// province.
    pub counties: Dataset,
    /// Reference layers by kind code, in the order of
    /// [`LAYER_KINDS`](weipian_domain::layer::LAYER_KINDS): `gd`, `jbnt`,
    /// `sthx`, `zrbhd`, `pzyd`, `cjyx`, `kq`.
    pub layers: Vec<(&'static str, Dataset)>,
    /// 2020 Q1 land patches (土地), JCBH `<county>TD20<serial>`.
    pub land: Dataset,
    /// 2020 Q1 mineral patches (矿产), JCBH `<county>KC20<serial>`, with KZ.
    pub mineral: Dataset,
    /// Patches built to exercise one situation each.
    pub scenarios: Vec<Scenario>,
}

impl DemoData {
    /// A reference layer by kind code.
    #[must_use]
    pub fn layer(&self, kind: &str) -> Option<&Dataset> {
        self.layers.iter().find(|(k, _)| *k == kind).map(|(_, d)| d)
    }
}

/// What one special patch is meant to exercise.
///
/// Kinds (`kind`): `gd_full_0101`/`gd_full_0102`/`gd_full_0103` (entirely on
/// 水田/水浇地/旱地), `gd_partial`, `jbnt`, `baimu` (≥ 100 亩 of 耕地),
/// `sthx_touch`, `zrbhd_inside`, `zrbhd_touch`, `cjyx`, `pzyd_full` (legal),
/// `pzyd_partial` (批少占多), `pzyd_overlap` (on one of two overlapping
/// approvals), `no_layer`, `straddle` (across a county boundary),
/// `rural_housing_1b` (移交), `chengdu` (for the map), `jcmj_mismatch`
/// (issued JCMJ off by more than 0.1 %), `multipart`, `hole`; mineral:
/// `kq_inside`, `kq_outside` (no licence), `kq_cross` (越界), `kq_rare_earth`,
/// `kq_expired` (licence expired before 前时相). JCBH containing `KC` are in
/// the mineral batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub jcbh: String,
    pub kind: &'static str,
    pub description_zh: String,
}

/// The demo dataset for `seed`.
#[must_use]
pub fn demo(seed: u64) -> DemoData {
    demo::build(seed)
}

#[cfg(test)]
mod tests;
