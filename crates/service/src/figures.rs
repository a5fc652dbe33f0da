//! A patch's computed figures, derived from its stored overlay rows: the
//! areas under the national codes, the 耕地 split, what it meets, the flags.
//! Nothing here is stored: flags are derived each time from the rows, so they
//! can never disagree with the areas.

use std::collections::HashMap;
use weipian_domain::{layer, PatchKind, LAYER_KINDS};
use weipian_store::{OverlayRow, StoredPatch, COUNTIES};

/// 百亩大图斑: at least 100 亩 of cultivated land in the patch.
pub const BAIMU_M2: f64 = 100.0 * weipian_domain::units::M2_PER_MU;

/// The important-mineral list (data, not code): `data/important-minerals.txt`.
const IMPORTANT_MINERALS: &str = include_str!("../../../data/important-minerals.txt");

fn important_minerals() -> impl Iterator<Item = &'static str> {
    IMPORTANT_MINERALS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether a licence's 矿种 is on the important list (contains one of its names).
#[must_use]
pub fn is_important_mineral(kz: &str) -> bool {
    important_minerals().any(|m| kz.contains(m))
}

/// The current overlay rows of one patch, by layer code.
#[derive(Debug, Default, Clone)]
pub struct PatchFigures<'a> {
    rows: HashMap<&'a str, &'a OverlayRow>,
}

impl<'a> PatchFigures<'a> {
    /// Keep only rows that are current for this patch and the layers' present revisions.
    #[must_use]
    pub fn new(
        rows: impl IntoIterator<Item = &'a OverlayRow>,
        patch_revision: Option<&str>,
        layer_revisions: &HashMap<String, i64>,
    ) -> Self {
        let rows = rows
            .into_iter()
            .filter(|r| {
                Some(r.patch_revision.as_str()) == patch_revision
                    && layer_revisions.get(&r.layer) == Some(&r.layer_revision)
            })
            .map(|r| (r.layer.as_str(), r))
            .collect();
        Self { rows }
    }

    /// Area inside a layer, m² (`None`: not analysed, or stale).
    #[must_use]
    pub fn area(&self, layer: &str) -> Option<f64> {
        self.rows.get(layer).map(|r| r.area_m2)
    }

    /// Area inside the layer's features of one class (e.g. DLBM 0101), m².
    #[must_use]
    pub fn class_area(&self, layer: &str, class: &str) -> Option<f64> {
        self.rows.get(layer).map(|r| {
            r.by_class
                .iter()
                .filter(|(c, _)| c == class)
                .map(|(_, a)| a)
                .sum()
        })
    }

    /// What the patch meets in a layer (批准文号, 矿种, names).
    #[must_use]
    pub fn labels(&self, layer: &str) -> Option<&[String]> {
        self.rows.get(layer).map(|r| r.features.as_slice())
    }

    /// Area per county, m², when computed.
    #[must_use]
    pub fn counties(&self) -> Option<&[(String, f64)]> {
        self.rows.get(COUNTIES).map(|r| r.by_class.as_slice())
    }

    /// 重点核查: touches a nature reserve, the red line or the Yangtze/Yellow River zone.
    #[must_use]
    pub fn key_check(&self) -> Option<bool> {
        let layers = ["zrbhd", "sthx", "cjyx"];
        let known: Vec<f64> = layers.iter().filter_map(|l| self.area(l)).collect();
        if known.iter().any(|a| *a > 0.0) {
            Some(true)
        } else if known.len() == layers.len() {
            Some(false)
        } else {
            None
        }
    }

    /// 百亩大图斑: ≥ 100 亩 of cultivated land.
    #[must_use]
    pub fn baimu(&self) -> Option<bool> {
        self.area("gd").map(|a| a >= BAIMU_M2)
    }

    /// A mineral patch on a licence for an important mineral (稀土 etc.).
    #[must_use]
    pub fn important_mineral(&self, patch: &StoredPatch) -> Option<bool> {
        if patch.kind != PatchKind::Mineral {
            return Some(false);
        }
        self.labels("kq")
            .map(|kz| kz.iter().any(|k| is_important_mineral(k)))
    }
}

/// The national area fields weipian computes from overlay, with their layer.
pub fn area_fields() -> impl Iterator<Item = (&'static str, &'static layer::LayerKind)> {
    LAYER_KINDS
        .iter()
        .filter_map(|k| k.area_field.map(|f| (f, k)))
}

/// 耕地 split fields: (field, DLBM class).
pub const GD_SPLIT: &[(&str, &str)] = &[("STMJ", "0101"), ("SJDMJ", "0102"), ("HDMJ", "0103")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn important_minerals_come_from_the_data_file() {
        assert!(is_important_mineral("稀土"));
        assert!(is_important_mineral("离子吸附型稀土矿"));
        assert!(!is_important_mineral("建筑用砂岩"));
        assert!(important_minerals().count() >= 20);
    }
}
