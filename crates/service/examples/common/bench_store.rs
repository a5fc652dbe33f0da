//! Shared by the #7 benchmarks (`patch_list`, `map_view`): N land patches
//! from the demo crate's benchmark generator over Sichuan, written as the
//! files a user would import (a GBK Shapefile and the county boundaries),
//! then imported through the service's pipeline into a new store in
//! `dir/data`.

use std::path::Path;
use std::time::Instant;

use weipian_domain::access::Actor;
use weipian_domain::{BatchId, PatchKind, RegionTable};
use weipian_formats::TextEncoding;
use weipian_service::import::{import_patches, import_regions, PatchImportRequest};
use weipian_service::NoProgress;
use weipian_store::Store;

/// Generate `n` patches into `dir/input` and import them as `batch`.
pub fn imported(
    dir: &Path,
    n: usize,
    batch: &BatchId,
) -> Result<Store, Box<dyn std::error::Error>> {
    let admin = Actor::local_admin();
    let t = Instant::now();
    let patches = weipian_demo::bench_patches(n, 2020);
    let counties = weipian_demo::demo(2020).counties;
    let input = dir.join("input");
    std::fs::create_dir_all(&input)?;
    weipian_formats::shp::write(&input.join("patches.shp"), &patches)?;
    weipian_formats::geojson::write(&input.join("counties.geojson"), &counties)?;
    println!(
        "generated {} patches, {} counties in {:.1} s",
        patches.features.len(),
        counties.features.len(),
        t.elapsed().as_secs_f64()
    );
    drop(patches);
    let t = Instant::now();
    let mut store = Store::open(&dir.join("data"))?;
    let table = RegionTable::embedded();
    import_regions(
        &mut store,
        &admin,
        &table,
        &input.join("counties.geojson"),
        TextEncoding::Detect,
        &NoProgress,
    )?;
    let s = import_patches(
        &mut store,
        &admin,
        &table,
        &PatchImportRequest {
            path: input.join("patches.shp"),
            batch: batch.clone(),
            kind: PatchKind::Land,
            encoding: TextEncoding::Detect,
        },
        &NoProgress,
    )?;
    println!(
        "imported {} patches in {:.1} s",
        s.inserted,
        t.elapsed().as_secs_f64()
    );
    Ok(store)
}

/// The benchmark's store: reused from `WEIPIAN_BENCH_DIR` when it holds
/// one, else built there (or in a temporary folder, returned to keep it
/// alive) by `build`.
pub fn open_or_build(
    build: impl FnOnce(&Path) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(tempfile::TempDir, Store), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = std::env::var_os("WEIPIAN_BENCH_DIR")
        .map_or_else(|| tmp.path().to_path_buf(), std::path::PathBuf::from);
    if !dir.join("data").join(weipian_store::FILE_NAME).exists() {
        build(&dir)?;
    }
    let store = Store::open(&dir.join("data"))?;
    Ok((tmp, store))
}
