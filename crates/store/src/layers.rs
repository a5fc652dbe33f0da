//! Reference layers (基础数据): one feature table per kind.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use weipian_domain::{AttrValue, FieldDef, LayerKind, LAYER_KINDS};
use weipian_formats::gpkg;

use crate::json::{attrs_json, read_attrs};
use crate::{
    area_problem, geometry_problem, log_import, stored_geometry, to_i64, to_usize, LayerFeature,
    LayerSource, LayerSummary, Store, StoreError,
};

/// Columns of a layer table besides `fid` and `geom`: the kind's key columns
/// (as text, for SQL and GIS users), then these.
const TQMJ: &str = "tqmj";
const KEYS_JSON: &str = "keys";
const ATTRS_JSON: &str = "attrs";
const SOURCE_ROW: &str = "source_row";

/// The key value as column text (NULL when absent).
fn key_text(v: &AttrValue) -> Option<String> {
    match v {
        AttrValue::Null => None,
        AttrValue::Text(s) => Some(s.clone()),
        AttrValue::Real(r) => Some(format!("{r:?}")),
        other => other.as_text(),
    }
}

fn registered_kind(kind: &LayerKind) -> Result<&'static LayerKind, StoreError> {
    LAYER_KINDS
        .iter()
        .find(|k| k.code == kind.code)
        .ok_or_else(|| StoreError::Invalid(format!("未知的基础数据类型 “{}”", kind.code)))
}

impl Store {
    /// Replace the contents of a reference layer, in one transaction; the
    /// kind's table is (re)created from its [`LayerKind`] entry. Returns the
    /// number of features stored.
    pub fn replace_layer(
        &mut self,
        kind: &LayerKind,
        fields: &[FieldDef],
        features: &[LayerFeature],
        source: &LayerSource,
    ) -> Result<usize, StoreError> {
        let kind = registered_kind(kind)?;
        for f in features {
            let what = || format!("{}第 {} 个要素", kind.name_zh, f.source_row);
            if f.keys.len() != kind.keys.len() {
                return Err(StoreError::record(
                    f.source_row,
                    what(),
                    format!(
                        "关键属性个数 {} 与图层定义的 {} 个不一致",
                        f.keys.len(),
                        kind.keys.len()
                    ),
                ));
            }
            if f.attrs.len() != fields.len() {
                return Err(StoreError::record(
                    f.source_row,
                    what(),
                    format!(
                        "属性个数 {} 与字段个数 {} 不一致",
                        f.attrs.len(),
                        fields.len()
                    ),
                ));
            }
            if let Some(p) = geometry_problem(&f.geometry).or_else(|| area_problem(f.area_m2)) {
                return Err(StoreError::record(f.source_row, what(), p));
            }
        }
        let fields_json = serde_json::to_string(fields)
            .map_err(|e| StoreError::Invalid(format!("字段结构无法保存：{e}")))?;
        let table = kind.table();
        let now = self.now()?;
        let fault = self.fault();

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Dropping and recreating is far faster than deleting row by row
        // (each deletion fires the R*Tree trigger), and picks up any change
        // of the kind's key columns.
        gpkg::drop_feature_table(&tx, &table)?;
        let mut columns: Vec<(&str, &str)> = kind.keys.iter().map(|k| (k.column, "TEXT")).collect();
        columns.extend([
            (TQMJ, "REAL NOT NULL"),
            (KEYS_JSON, "TEXT NOT NULL"),
            (ATTRS_JSON, "TEXT NOT NULL"),
            (SOURCE_ROW, "INTEGER NOT NULL"),
        ]);
        gpkg::create_feature_table(
            &tx,
            &table,
            &columns,
            gpkg::SRS_CGCS2000,
            kind.name_zh,
            &format!("基础数据：{}。attrs 为源文件属性（JSON 数组，字段顺序见 layers.fields）；tqmj 为椭球面积（平方米）", kind.name_zh),
        )?;
        let mut area = 0.0;
        // The table is new: fill it without the R*Tree trigger, then pack the index.
        let bulk = gpkg::begin_bulk_insert(&tx, &table)?;
        {
            let names: Vec<String> = columns.iter().map(|(n, _)| gpkg::quote_ident(n)).collect();
            let placeholders: Vec<String> =
                (2..=columns.len() + 1).map(|i| format!("?{i}")).collect();
            let mut insert = tx.prepare(&format!(
                "INSERT INTO \"{table}\" (geom, {}) VALUES (?1, {})",
                names.join(", "),
                placeholders.join(", ")
            ))?;
            let mut blob = Vec::new();
            let mut json = String::new();
            let n_keys = kind.keys.len();
            for (i, f) in features.iter().enumerate() {
                gpkg::encode_geometry_into(&f.geometry, gpkg::SRS_CGCS2000, &mut blob);
                insert.raw_bind_parameter(1, &blob[..])?;
                for (k, v) in f.keys.iter().enumerate() {
                    insert.raw_bind_parameter(k + 2, key_text(v))?;
                }
                insert.raw_bind_parameter(n_keys + 2, f.area_m2)?;
                insert.raw_bind_parameter(n_keys + 3, attrs_json(&f.keys))?;
                json.clear();
                crate::json::write_attrs(&f.attrs, &mut json);
                insert.raw_bind_parameter(n_keys + 4, json.as_str())?;
                insert.raw_bind_parameter(n_keys + 5, to_i64(f.source_row))?;
                insert.raw_execute()?;
                area += f.area_m2;
                fault.check(i + 1)?;
            }
        }
        gpkg::end_bulk_insert(&tx, bulk)?;
        gpkg::update_extent(&tx, &table)?;
        tx.execute(
            "INSERT INTO layers (code, fields, feature_count, area_m2, source_file, encoding, crs, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (code) DO UPDATE SET fields = excluded.fields, feature_count = excluded.feature_count,
               area_m2 = excluded.area_m2, source_file = excluded.source_file, encoding = excluded.encoding,
               crs = excluded.crs, imported_at = excluded.imported_at",
            params![kind.code, fields_json, to_i64(features.len()), area, source.file, source.encoding, source.crs, now],
        )?;
        log_import(
            &tx,
            &format!("layer:{}", kind.code),
            &source.file,
            source.encoding.as_deref(),
            Some(&source.crs),
            features.len(),
            &format!("{}：{} 个要素", kind.name_zh, features.len()),
            &now,
        )?;
        tx.commit()?;
        self.written();
        Ok(features.len())
    }

    /// One summary per [`LAYER_KINDS`] entry, in that order (count 0 and no
    /// source for a kind never imported).
    pub fn layers(&self) -> Result<Vec<LayerSummary>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT feature_count, area_m2, source_file, encoding, crs, imported_at FROM layers WHERE code = ?1",
        )?;
        let mut out = Vec::with_capacity(LAYER_KINDS.len());
        for kind in LAYER_KINDS {
            let row = stmt
                .query_row([kind.code], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, f64>(1)?,
                        LayerSource {
                            file: r.get(2)?,
                            encoding: r.get(3)?,
                            crs: r.get(4)?,
                        },
                        r.get::<_, String>(5)?,
                    ))
                })
                .optional()?;
            out.push(match row {
                Some((count, area_m2, source, imported_at)) => LayerSummary {
                    kind,
                    count: to_usize(count, "图层要素数")?,
                    area_m2,
                    source: Some(source),
                    imported_at: Some(imported_at),
                },
                None => LayerSummary {
                    kind,
                    count: 0,
                    area_m2: 0.0,
                    source: None,
                    imported_at: None,
                },
            });
        }
        Ok(out)
    }

    /// The field schema of an imported layer (`None` if never imported).
    pub fn layer_fields(&self, kind: &LayerKind) -> Result<Option<Vec<FieldDef>>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT fields FROM layers WHERE code = ?1",
                [kind.code],
                |r| r.get(0),
            )
            .optional()?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                StoreError::Corrupt(format!("图层 {} 的字段结构无法解析：{e}", kind.code))
            })
        })
        .transpose()
    }

    /// Every feature of a layer, in import order (empty if never imported).
    pub fn layer_features(&self, kind: &LayerKind) -> Result<Vec<LayerFeature>, StoreError> {
        let kind = registered_kind(kind)?;
        let table = kind.table();
        let tx = self.conn.unchecked_transaction()?; // one snapshot
        if !gpkg::table_exists(&tx, &table)? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        {
            let mut stmt = tx.prepare(&format!(
                "SELECT fid, geom, {TQMJ}, {KEYS_JSON}, {ATTRS_JSON}, {SOURCE_ROW} FROM \"{table}\" ORDER BY fid"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let fid: i64 = r.get(0)?;
                let what = format!("{} 第 {fid} 个要素", kind.name_zh);
                let geometry = stored_geometry(r.get_ref(1)?.as_blob_or_null()?, &what)?;
                let keys = read_attrs(r.get_ref(3)?.as_str()?)?;
                let attrs = read_attrs(r.get_ref(4)?.as_str()?)?;
                let source_row = to_usize(r.get(5)?, "源记录号")?;
                out.push(LayerFeature {
                    geometry,
                    area_m2: r.get(2)?,
                    keys,
                    attrs,
                    source_row,
                });
            }
        }
        tx.finish()?;
        Ok(out)
    }
}
