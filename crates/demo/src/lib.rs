//! Seeded synthetic datasets for weipian: the demo behind `weipian demo`
//! and the benchmark sets.
//!
//! Everything is generated from a `u64` seed with ChaCha8 streams: the same
//! seed gives byte-identical data, a different seed different data. All
//! geometry is EPSG:4490 (x = longitude, y = latitude, degrees); all text is
//! Chinese where the real data is.
//!
//! * [`demo`] — Sichuan (510000): synthetic but topologically clean outlines
//!   of its 21 cities and 183 counties (real codes and names from
//!   [`RegionTable::embedded`](weipian_domain::RegionTable::embedded)), the
//!   reference layers around ~30 hot-spot counties, one quarter (2020 Q1)
//!   of land (~3,000) and mineral (~300) patches with the national table's
//!   issued columns, and a list of [`Scenario`]s: patches built to exercise
//!   one situation each (entirely on 水田, 批少占多, 越界开采, …).
//! * [`bench_patches`] — the import benchmark: `n` patches spread over
//!   Sichuan with realistic attributes.
//! * [`bench_overlay`] — the overlay benchmark: patches plus 1,000,000
//!   cultivated parcels, basic-farmland blocks and 50 nature reserves.
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
