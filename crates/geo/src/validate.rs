//! Geometry validation at import: refuse or repair, never silently.
//!
//! Readers record repairs they make while decoding (e.g. closing a ring the
//! file left open) as [`Repair`] values on the feature; validation adds its
//! own. The import summary lists every repair per patch.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One change made to a geometry so it could be imported. Recorded per patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "repair", rename_all = "snake_case")]
pub enum Repair {
    /// A ring did not repeat its first point at the end; the closing point was added.
    /// `polygon` and `ring` are 0-based; ring 0 is the outer ring.
    ClosedRing { polygon: usize, ring: usize },
    /// Consecutive identical vertices were removed.
    DuplicateVertices { removed: usize },
    /// Zero-width spikes (an edge going out and straight back) were removed.
    Spikes { removed: usize },
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClosedRing { polygon, ring } => {
                write!(f, "第 {} 个面第 {} 个环未闭合，已补闭合点", polygon + 1, ring + 1)
            }
            Self::DuplicateVertices { removed } => write!(f, "删除重复节点 {removed} 个"),
            Self::Spikes { removed } => write!(f, "删除尖刺 {removed} 处"),
        }
    }
}
