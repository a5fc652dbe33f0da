//! One error type for every reader and writer: the file, the row (and JCBH
//! when the caller knows it) and the problem, in words a user understands.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with a file, located as precisely as possible.
#[derive(Debug, thiserror::Error)]
pub struct FormatError {
    pub path: PathBuf,
    /// 1-based record number, when the problem is in one record.
    pub row: Option<usize>,
    pub problem: Problem,
}

impl FormatError {
    #[must_use]
    pub fn file(path: &Path, problem: Problem) -> Self {
        Self {
            path: path.to_path_buf(),
            row: None,
            problem,
        }
    }

    #[must_use]
    pub fn row(path: &Path, row: usize, problem: Problem) -> Self {
        Self {
            path: path.to_path_buf(),
            row: Some(row),
            problem,
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(row) = self.row {
            write!(f, " 第 {row} 条记录")?;
        }
        write!(f, "：{}", self.problem)
    }
}

/// What is wrong. Messages are in Chinese: they are shown to users.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    #[error("无法识别的文件格式（支持 .shp/.zip/文件夹、.geojson、.gpkg、.txt）")]
    UnknownFormat,
    #[error("{0}")]
    Unsupported(String),
    #[error("文件过大：{bytes} 字节，上限 {limit} 字节")]
    TooLarge { bytes: u64, limit: u64 },
    #[error("读写失败：{0}")]
    Io(#[from] std::io::Error),
    #[error("缺少配套文件 {0}")]
    MissingPart(String),
    #[error("文件已损坏或被截断：{0}")]
    Corrupt(String),
    #[error(".shp/.shx 与 .dbf 记录数不一致：图形 {shapes} 条，属性 {records} 条")]
    RecordCountMismatch { shapes: usize, records: usize },
    #[error("文字编码无法确定：{0}。请用 --encoding gbk 或 --encoding utf-8 指明")]
    Encoding(String),
    #[error("不是有效的 JSON：{0}")]
    Json(String),
    #[error("不是面状图形（收到 {0}）")]
    NotPolygon(String),
    #[error("坐标不是有限数值")]
    NonFiniteCoordinate,
    #[error("压缩包不安全：{0}")]
    UnsafeZip(String),
    #[error("{0}")]
    Invalid(String),
    #[error("SQLite：{0}")]
    Sqlite(String),
    #[error("写出失败：{0}")]
    Write(String),
}

impl From<rusqlite::Error> for Problem {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e.to_string())
    }
}
