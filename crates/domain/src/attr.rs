//! Attribute values and field definitions, carried verbatim from issued files.
//!
//! Issued attributes are immutable: whatever a file held under a column is
//! kept with its declared type so an export can reproduce it.

use serde::{Deserialize, Serialize};

/// The declared type of a column, as the source format declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    /// Character field; `width` is the DBF width in bytes when known (0 = unknown).
    Text { width: u16 },
    /// Whole number.
    Integer { width: u16 },
    /// Decimal number; `width`/`decimals` as declared in a DBF (0 = unknown).
    Real { width: u16, decimals: u8 },
    /// Calendar date, kept as `YYYY-MM-DD` text.
    Date,
    /// True/false.
    Logical,
}

/// One column of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    #[serde(flatten)]
    pub field_type: FieldType,
}

impl FieldDef {
    #[must_use]
    pub fn new(name: impl Into<String>, field_type: FieldType) -> Self {
        Self {
            name: name.into(),
            field_type,
        }
    }
}

/// One attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    Null,
    Bool(bool),
    Integer(i64),
    Real(f64),
    /// Text, and dates as `YYYY-MM-DD`.
    Text(String),
}

impl AttrValue {
    /// The value as trimmed text, or `None` for null/empty.
    #[must_use]
    pub fn as_text(&self) -> Option<String> {
        match self {
            Self::Null => None,
            Self::Bool(b) => Some(if *b { "true".into() } else { "false".into() }),
            Self::Integer(i) => Some(i.to_string()),
            Self::Real(r) => Some(r.to_string()),
            Self::Text(s) => {
                let t = s.trim();
                (!t.is_empty()).then(|| t.to_string())
            }
        }
    }

    /// The value as a number when it is one (or text that parses as one).
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Self::Integer(i) => Some(*i as f64),
            Self::Real(r) => Some(*r),
            Self::Text(s) => s.trim().parse().ok(),
            Self::Null | Self::Bool(_) => None,
        }
    }

    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }
}
