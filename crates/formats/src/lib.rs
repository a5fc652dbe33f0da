//! Exchange formats: read a file into a [`Dataset`], write a [`Dataset`] to a file.
//!
//! Readers never guess silently: text encoding, coordinate system hints and
//! every structural problem are reported with the file and the row.
//! Geometry comes out in the file's own coordinates; the caller resolves the
//! CRS with [`weipian_geo::crs`] and validates with [`weipian_geo::validate`].
//!
//! | module | reads | writes |
//! |---|---|---|
//! | [`shp`] | `.shp` + `.shx` + `.dbf` (+ `.prj`, `.cpg`), folder or `.zip` | GBK DBF with `.cpg` and `.prj` |
//! | [`geojson`] | FeatureCollection | FeatureCollection |
//! | [`gpkg`] | a GeoPackage feature table | a GeoPackage; also the primitives the store uses |
//! | [`txt`] | 国土 TXT boundary file | — |
//! | [`xlsx`] | — | one row per feature, Chinese headers |

pub mod dataset;
pub mod error;
pub mod geojson;
pub mod gpkg;
pub mod shp;
pub mod table;
pub mod txt;
pub mod xlsx;
pub mod zipin;

pub use dataset::{Dataset, Feature, Format, ReadOptions, TextEncoding};
pub use error::{FormatError, Problem};

/// Write `bytes` to `path` whole or not at all: a temporary file beside
/// it, synced, then renamed over it (reports, exports).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), FormatError> {
    xlsx::write_atomically(path, bytes).map_err(|p| FormatError::file(path, p))
}

use std::path::Path;

/// Read any supported file, choosing the reader from the extension
/// (`.shp`, `.zip`, a folder holding one `.shp`, `.geojson`/`.json`,
/// `.gpkg`, `.txt`).
pub fn read(path: &Path, options: &ReadOptions) -> Result<Dataset, FormatError> {
    let format = Format::detect(path)?;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_file() {
            options.check_size(path, meta.len())?;
        }
    }
    match format {
        Format::Shapefile => shp::read(path, options),
        Format::GeoJson => geojson::read(path, options),
        Format::GeoPackage => gpkg::read(path, options),
        Format::Txt => txt::read(path, options),
        Format::Xlsx => Err(FormatError::file(
            path,
            Problem::Unsupported("xlsx 只能导出，不能作为图形数据导入".into()),
        )),
    }
}
