//! Reference layers (基础数据): the table of kinds.
//!
//! Adding a kind is one entry in [`LAYER_KINDS`]; the store creates one
//! feature table per kind from this entry, with the key attributes as typed
//! columns and every source attribute kept verbatim beside them.

/// A key attribute of a layer kind, lifted into its own column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAttr {
    /// Column name in the store and in exports.
    pub column: &'static str,
    /// Chinese name.
    pub name_zh: &'static str,
    /// Source column names accepted for it (matched case-insensitively, first wins).
    pub sources: &'static [&'static str],
    /// Whether every feature must carry a non-empty value.
    pub required: bool,
}

/// One reference-layer kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerKind {
    /// Short code used on the command line (`gd`, `jbnt`, …).
    pub code: &'static str,
    /// Chinese name.
    pub name_zh: &'static str,
    /// Key attributes.
    pub keys: &'static [KeyAttr],
    /// The national field code under which a patch's overlay area with this
    /// layer is reported (JCGDMJ, YJJBNTMJ, …), if any.
    pub area_field: Option<&'static str>,
    /// The key column whose value splits the overlay area into classes
    /// (耕地: DLBM → 水田/水浇地/旱地).
    pub class_key: Option<&'static str>,
    /// The key column whose values a patch's overlay lists (批准文号, 矿种…).
    pub label_key: Option<&'static str>,
}

impl LayerKind {
    /// Name of the store's feature table for this kind.
    #[must_use]
    pub fn table(&self) -> String {
        format!("layer_{}", self.code)
    }
}

/// Every reference-layer kind weipian knows.
pub const LAYER_KINDS: &[LayerKind] = &[
    LayerKind {
        code: "gd",
        name_zh: "耕地",
        keys: &[KeyAttr {
            column: "DLBM",
            name_zh: "地类编码",
            sources: &["DLBM", "地类编码"],
            required: true,
        }],
        area_field: Some("JCGDMJ"),
        class_key: Some("DLBM"),
        label_key: None,
    },
    LayerKind {
        code: "jbnt",
        name_zh: "永久基本农田",
        keys: &[],
        area_field: Some("YJJBNTMJ"),
        class_key: None,
        label_key: None,
    },
    LayerKind {
        code: "sthx",
        name_zh: "生态保护红线",
        keys: &[],
        area_field: Some("STBHHXMJ"),
        class_key: None,
        label_key: None,
    },
    LayerKind {
        code: "zrbhd",
        name_zh: "自然保护地",
        keys: &[KeyAttr {
            column: "MC",
            name_zh: "名称",
            sources: &["MC", "BHDMC", "名称", "NAME"],
            required: false,
        }],
        area_field: Some("ZRBHDMJ"),
        class_key: None,
        label_key: Some("MC"),
    },
    LayerKind {
        code: "pzyd",
        name_zh: "已批准用地",
        keys: &[
            KeyAttr {
                column: "PZWH",
                name_zh: "批准文号",
                sources: &["PZWH", "批准文号"],
                required: true,
            },
            KeyAttr {
                column: "PZSJ",
                name_zh: "批准时间",
                sources: &["PZSJ", "批准时间", "PZRQ"],
                required: true,
            },
        ],
        area_field: Some("PZYDMJ"),
        class_key: None,
        label_key: Some("PZWH"),
    },
    LayerKind {
        code: "cjyx",
        name_zh: "长江/黄河沿线生态敏感区",
        keys: &[],
        area_field: None,
        class_key: None,
        label_key: None,
    },
    LayerKind {
        code: "kq",
        name_zh: "矿业权",
        keys: &[
            KeyAttr {
                column: "KZ",
                name_zh: "矿种",
                sources: &["KZ", "矿种", "KCZL"],
                required: true,
            },
            KeyAttr {
                column: "XKZH",
                name_zh: "许可证号",
                sources: &["XKZH", "许可证号"],
                required: false,
            },
        ],
        area_field: None,
        class_key: None,
        label_key: Some("KZ"),
    },
];

/// Look a kind up by its code.
///
/// ```
/// let gd = weipian_domain::layer::kind("gd").unwrap();
/// assert_eq!(gd.name_zh, "耕地");
/// assert_eq!(gd.table(), "layer_gd");
/// ```
#[must_use]
pub fn kind(code: &str) -> Option<&'static LayerKind> {
    LAYER_KINDS
        .iter()
        .find(|k| k.code.eq_ignore_ascii_case(code.trim()))
}

/// 耕地 land-class codes (GB/T 21010-2017): 0101 水田, 0102 水浇地, 0103 旱地.
pub const CULTIVATED_CLASSES: &[(&str, &str)] =
    &[("0101", "水田"), ("0102", "水浇地"), ("0103", "旱地")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_tables_are_sql_safe() {
        for (i, k) in LAYER_KINDS.iter().enumerate() {
            assert!(
                LAYER_KINDS[i + 1..].iter().all(|o| o.code != k.code),
                "{}",
                k.code
            );
            assert!(k
                .table()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'));
            for named in [k.class_key, k.label_key].into_iter().flatten() {
                assert!(
                    k.keys.iter().any(|key| key.column == named),
                    "{}: {named} is not a key",
                    k.code
                );
            }
            for key in k.keys {
                assert!(key.column.chars().all(|c| c.is_ascii_uppercase()));
                assert!(
                    key.column.len() <= 10,
                    "DBF field names are at most 10 characters"
                );
            }
        }
    }
}
