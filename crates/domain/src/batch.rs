//! A batch: one delivery of patches (年份, 批次, 土地 or 矿产).

use serde::{Deserialize, Serialize};
use std::fmt;

/// 土地 (land) or 矿产 (mineral) patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchKind {
    Land,
    Mineral,
}

impl PatchKind {
    /// The code used on the command line and in files.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Land => "land",
            Self::Mineral => "mineral",
        }
    }

    /// The Chinese name shown to users.
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Land => "土地",
            Self::Mineral => "矿产",
        }
    }

    /// Parse `land`/`mineral` (or 土地/矿产).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "land" | "土地" => Some(Self::Land),
            "mineral" | "矿产" => Some(Self::Mineral),
            _ => None,
        }
    }
}

impl fmt::Display for PatchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Identifies a batch: the year and the batch name (e.g. `2020`, `2020Q1`).
/// A patch is keyed by (year, batch, JCBH).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BatchId {
    pub year: u16,
    pub name: String,
}

/// Why a batch id was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchIdError {
    #[error("年份 {0} 不在 2000–2100 之间")]
    Year(u16),
    #[error("批次名称不能为空，且只能含字母、数字、-、_（收到 “{0}”）")]
    Name(String),
}

impl BatchId {
    /// A validated batch id.
    ///
    /// ```
    /// use weipian_domain::BatchId;
    /// let b = BatchId::new(2020, "2020Q1").unwrap();
    /// assert_eq!(b.to_string(), "2020/2020Q1");
    /// assert!(BatchId::new(2020, "a b").is_err());
    /// ```
    pub fn new(year: u16, name: &str) -> Result<Self, BatchIdError> {
        if !(2000..=2100).contains(&year) {
            return Err(BatchIdError::Year(year));
        }
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(BatchIdError::Name(name.to_string()));
        }
        Ok(Self {
            year,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.year, self.name)
    }
}
