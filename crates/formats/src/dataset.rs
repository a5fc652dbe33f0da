//! The in-memory dataset every reader produces and every writer consumes.

use geo_types::MultiPolygon;
use std::path::{Path, PathBuf};
use weipian_domain::{AttrValue, FieldDef};
use weipian_geo::crs::CrsHint;

use crate::error::{FormatError, Problem};

/// One feature (row) of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// 1-based row (record) number in the source file, for error messages.
    pub row: usize,
    /// `None` when the record has a null/empty geometry (readers never drop it:
    /// validation refuses it with the row/JCBH).
    pub geometry: Option<MultiPolygon<f64>>,
    /// One value per [`Dataset::fields`] entry, same order.
    pub attrs: Vec<AttrValue>,
    /// Repairs the reader made while decoding (e.g. a ring left open in the
    /// file was closed). Validation appends its own; all are reported.
    pub repairs: Vec<weipian_geo::validate::Repair>,
}

/// A whole file read into memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The file (or folder / zip) it came from; shown in every message.
    pub source: PathBuf,
    /// Columns in file order, names verbatim.
    pub fields: Vec<FieldDef>,
    pub features: Vec<Feature>,
    /// What the file said about its CRS; resolved by `weipian_geo::crs::identify`.
    pub crs: CrsHint,
    /// The text encoding used for attributes and how it was decided,
    /// e.g. `GBK（.cpg）`, `UTF-8（严格解码）`; `None` where the format fixes it.
    pub encoding: Option<String>,
}

impl Dataset {
    /// Index of a column by name, case-insensitive.
    #[must_use]
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// File formats weipian reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Shapefile,
    GeoJson,
    GeoPackage,
    Txt,
    Xlsx,
}

impl Format {
    /// Parse a `--format` value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shp" | "shapefile" => Some(Self::Shapefile),
            "geojson" | "json" => Some(Self::GeoJson),
            "gpkg" | "geopackage" => Some(Self::GeoPackage),
            "txt" => Some(Self::Txt),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// Choose the format from a path: the extension, or a folder holding a `.shp`.
    pub fn detect(path: &Path) -> Result<Self, FormatError> {
        if path.is_dir() {
            return Ok(Self::Shapefile);
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "shp" | "zip" | "dbf" => Ok(Self::Shapefile),
            "geojson" | "json" => Ok(Self::GeoJson),
            "gpkg" => Ok(Self::GeoPackage),
            "txt" => Ok(Self::Txt),
            "xlsx" => Ok(Self::Xlsx),
            _ => Err(FormatError::file(path, Problem::UnknownFormat)),
        }
    }
}

/// How the DBF text encoding is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// `.cpg`, then the DBF language-driver byte, then strict UTF-8 with a
    /// strict GBK fallback; undecidable text is an error, never mojibake.
    #[default]
    Detect,
    Gbk,
    Utf8,
}

impl TextEncoding {
    /// Parse an `--encoding` value: `auto` (or `detect`), `gbk` (`gb18030`,
    /// `cp936`, `936`), `utf-8` (`utf8`); case and spaces ignored.
    ///
    /// ```
    /// use weipian_formats::TextEncoding;
    /// assert_eq!(TextEncoding::parse(" GBK "), Some(TextEncoding::Gbk));
    /// assert_eq!(TextEncoding::parse("auto"), Some(TextEncoding::Detect));
    /// assert_eq!(TextEncoding::parse("latin1"), None);
    /// ```
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "detect" => Some(Self::Detect),
            "gbk" | "gb18030" | "cp936" | "936" => Some(Self::Gbk),
            "utf-8" | "utf8" => Some(Self::Utf8),
            _ => None,
        }
    }
}

/// Options for every reader.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub encoding: TextEncoding,
    /// Largest input file accepted, in bytes (also the unpacked total of a zip).
    pub max_bytes: u64,
    /// For a GeoPackage with several feature tables: which one.
    pub layer: Option<String>,
}

impl ReadOptions {
    /// Refuse input larger than [`ReadOptions::max_bytes`], before reading it.
    pub fn check_size(&self, source: &Path, bytes: u64) -> Result<(), FormatError> {
        if bytes > self.max_bytes {
            return Err(FormatError::file(
                source,
                Problem::TooLarge {
                    bytes,
                    limit: self.max_bytes,
                },
            ));
        }
        Ok(())
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            encoding: TextEncoding::Detect,
            max_bytes: 1 << 30,
            layer: None,
        }
    }
}
