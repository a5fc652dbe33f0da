//! GeoJSON: read a FeatureCollection (or one Feature, or a bare geometry) of
//! polygons; write a FeatureCollection in EPSG:4490 with the GDAL-style
//! `crs` member.
//!
//! Property types are inferred over all features: only integers → Integer,
//! numbers → Real, strings → Text, booleans → Logical, anything mixed → Text
//! (numbers converted via their JSON text). Property order is the order of
//! first appearance. Rings left open are closed and recorded as
//! [`Repair::ClosedRing`]. Numbers are written in the shortest form that
//! reads back to the same `f64`.

use std::io::Write as _;
use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{GeoJson, GeometryValue, JsonObject, JsonValue, Position};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_geo::crs::CrsHint;
use weipian_geo::validate::Repair;

use crate::dataset::{Dataset, Feature, ReadOptions, TextEncoding};
use crate::error::{FormatError, Problem};
use crate::shp::atomic::AtomicFiles;

/// The `crs` member written: what GDAL writes for EPSG:4490.
pub const CRS_URN_4490: &str = "urn:ogc:def:crs:EPSG::4490";

/// Read a GeoJSON file.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Dataset, FormatError> {
    let meta = std::fs::metadata(path).map_err(|e| FormatError::file(path, Problem::Io(e)))?;
    options.check_size(path, meta.len())?;
    let bytes = std::fs::read(path).map_err(|e| FormatError::file(path, Problem::Io(e)))?;
    read_bytes(path, &bytes, options)
}

/// 1-based line and column of byte offset `at` in `bytes`.
fn line_col(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = bytes.get(..at).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

/// The text of the file: JSON is UTF-8, but GBK files from Chinese tools
/// exist; they are accepted only when they decode strictly.
fn decode(
    source: &Path,
    bytes: &[u8],
    forced: TextEncoding,
) -> Result<(String, Option<String>), FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let gbk = |note: &str| -> Result<(String, Option<String>), FormatError> {
        match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(s) => Ok((s.into_owned(), Some(note.to_string()))),
            None => Err(FormatError::file(
                source,
                Problem::Encoding(if forced == TextEncoding::Gbk {
                    "文件不是有效的 GBK 文字".into()
                } else {
                    "文件既不是有效的 UTF-8，也不是有效的 GBK".into()
                }),
            )),
        }
    };
    match forced {
        TextEncoding::Gbk => gbk("GBK（--encoding 指定）"),
        TextEncoding::Utf8 | TextEncoding::Detect => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s.to_string(), None)),
            Err(e) if forced == TextEncoding::Utf8 => {
                let (line, col) = line_col(bytes, e.valid_up_to());
                Err(FormatError::file(
                    source,
                    Problem::Encoding(format!("第 {line} 行第 {col} 列不是有效的 UTF-8 文字")),
                ))
            }
            Err(_) => gbk("GBK（UTF-8 解码失败后按 GBK 严格解码）"),
        },
    }
}

/// Turn a serde_json error into a located problem in Chinese.
fn json_problem(e: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    let (line, col) = (e.line(), e.column());
    let text = e.to_string();
    let detail = text
        .strip_suffix(&format!(" at line {line} column {col}"))
        .unwrap_or(&text)
        .to_string();
    match e.classify() {
        Category::Syntax => Problem::Json(format!("第 {line} 行第 {col} 列：语法错误（{detail}）")),
        Category::Eof => {
            Problem::Json(format!("第 {line} 行第 {col} 列：文件意外结束（{detail}）"))
        }
        Category::Data | Category::Io => Problem::Invalid(format!(
            "不是有效的 GeoJSON（第 {line} 行第 {col} 列）：{detail}"
        )),
    }
}

/// Read GeoJSON from memory (the fuzzer uses this); `source` names it in messages.
pub fn read_bytes(
    source: &Path,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<Dataset, FormatError> {
    options.check_size(source, bytes.len() as u64)?;
    let (text, encoding) = decode(source, bytes, options.encoding)?;
    let parsed: GeoJson =
        serde_json::from_str(&text).map_err(|e| FormatError::file(source, json_problem(&e)))?;
    let (features, members) = match parsed {
        GeoJson::FeatureCollection(fc) => (fc.features, fc.foreign_members),
        GeoJson::Feature(mut f) => {
            let members = f.foreign_members.take();
            (vec![f], members)
        }
        GeoJson::Geometry(g) => (
            vec![geojson::Feature {
                geometry: Some(g),
                ..Default::default()
            }],
            None,
        ),
    };
    let epsg = members
        .as_ref()
        .and_then(|m| m.get("crs"))
        .and_then(crs_epsg);

    let fields = infer_fields(&features);
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let row = i + 1;
        let (geometry, repairs) = match &f.geometry {
            None => (None, Vec::new()),
            Some(g) => convert_geometry(&g.value).map_err(|p| FormatError::row(source, row, p))?,
        };
        let attrs = fields
            .iter()
            .map(|def| attr_value(f.properties.as_ref(), def))
            .collect();
        out.push(Feature {
            row,
            geometry,
            attrs,
            repairs,
        });
    }
    Ok(Dataset {
        source: source.to_path_buf(),
        fields,
        features: out,
        crs: CrsHint {
            epsg,
            ..CrsHint::default()
        },
        encoding,
    })
}

/// The EPSG code of a `crs` member: `{"type":"name","properties":{"name":…}}`
/// with `urn:ogc:def:crs:EPSG::4490`, `EPSG:4490`, an OGC URL, or CRS84;
/// also the pre-2008 `{"type":"EPSG","properties":{"code":4490}}`.
fn crs_epsg(crs: &JsonValue) -> Option<u32> {
    let props = crs.get("properties")?;
    if let Some(code) = props.get("code").and_then(JsonValue::as_u64) {
        return u32::try_from(code).ok();
    }
    let name = props.get("name")?.as_str()?.trim();
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("CRS84") {
        return Some(4326);
    }
    if !upper.contains("EPSG") {
        return None;
    }
    let digits: String = upper
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// What the values of one property are, over all features.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    integer: bool,
    real: bool,
    text: bool,
    boolean: bool,
    other: bool,
}

fn infer_fields(features: &[geojson::Feature]) -> Vec<FieldDef> {
    let mut order: Vec<(String, Seen)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in features {
        let Some(props) = &f.properties else { continue };
        for (key, value) in props {
            let slot = match index.get(key) {
                Some(&k) => k,
                None => {
                    index.insert(key.clone(), order.len());
                    order.push((key.clone(), Seen::default()));
                    order.len() - 1
                }
            };
            let seen = &mut order[slot].1;
            match value {
                JsonValue::Null => {}
                JsonValue::Bool(_) => seen.boolean = true,
                JsonValue::Number(n) if n.is_i64() => seen.integer = true,
                JsonValue::Number(_) => seen.real = true,
                JsonValue::String(_) => seen.text = true,
                JsonValue::Array(_) | JsonValue::Object(_) => seen.other = true,
            }
        }
    }
    order
        .into_iter()
        .map(|(name, s)| {
            let field_type = match (s.integer, s.real, s.text, s.boolean, s.other) {
                (true, false, false, false, false) => FieldType::Integer { width: 0 },
                (_, true, false, false, false) => FieldType::Real {
                    width: 0,
                    decimals: 0,
                },
                (false, false, false, true, false) => FieldType::Logical,
                _ => FieldType::Text { width: 0 },
            };
            FieldDef::new(name, field_type)
        })
        .collect()
}

fn attr_value(props: Option<&JsonObject>, def: &FieldDef) -> AttrValue {
    let Some(value) = props.and_then(|p| p.get(&def.name)) else {
        return AttrValue::Null;
    };
    match (value, def.field_type) {
        (JsonValue::Null, _) => AttrValue::Null,
        (JsonValue::Number(n), FieldType::Integer { .. }) => {
            n.as_i64().map_or(AttrValue::Null, AttrValue::Integer)
        }
        (JsonValue::Number(n), FieldType::Real { .. }) => {
            n.as_f64().map_or(AttrValue::Null, AttrValue::Real)
        }
        (JsonValue::Bool(b), FieldType::Logical) => AttrValue::Bool(*b),
        (JsonValue::String(s), _) => AttrValue::Text(s.clone()),
        (JsonValue::Number(n), _) => AttrValue::Text(n.to_string()),
        (JsonValue::Bool(b), _) => AttrValue::Text(b.to_string()),
        (other, _) => AttrValue::Text(other.to_string()),
    }
}

/// Polygon or MultiPolygon → MultiPolygon, closing open rings (recorded).
fn convert_geometry(
    value: &GeometryValue,
) -> Result<(Option<MultiPolygon<f64>>, Vec<Repair>), Problem> {
    let polygons: &[Vec<Vec<Position>>] = match value {
        GeometryValue::Polygon { coordinates } => std::slice::from_ref(coordinates),
        GeometryValue::MultiPolygon { coordinates } => coordinates,
        other => return Err(Problem::NotPolygon(other.type_name().to_string())),
    };
    let mut repairs = Vec::new();
    let mut out = Vec::with_capacity(polygons.len());
    for rings in polygons {
        let p = out.len();
        let mut lines = Vec::with_capacity(rings.len());
        for ring in rings {
            if ring.is_empty() {
                continue;
            }
            let mut coords = Vec::with_capacity(ring.len() + 1);
            for pos in ring {
                let (x, y) = match pos.as_slice() {
                    [x, y, ..] => (*x, *y),
                    _ => return Err(Problem::Invalid("坐标至少要有两个数值".into())),
                };
                if !(x.is_finite() && y.is_finite()) {
                    return Err(Problem::NonFiniteCoordinate);
                }
                coords.push(Coord { x, y });
            }
            if let (Some(first), Some(last)) = (coords.first().copied(), coords.last().copied()) {
                if first != last {
                    coords.push(first);
                    repairs.push(Repair::ClosedRing {
                        polygon: p,
                        ring: lines.len(),
                    });
                }
            }
            lines.push(LineString(coords));
        }
        let mut lines = lines.into_iter();
        if let Some(exterior) = lines.next() {
            out.push(Polygon::new(exterior, lines.collect()));
        }
    }
    Ok(((!out.is_empty()).then_some(MultiPolygon(out)), repairs))
}

fn json_err(path: &Path, e: &serde_json::Error) -> FormatError {
    FormatError::file(path, Problem::Write(e.to_string()))
}

/// Write `dataset` as a GeoJSON FeatureCollection in EPSG:4490 (GDAL-style
/// `crs` member), properties in field order, geometry as MultiPolygon.
/// Written to a temporary file in the same folder and renamed into place.
/// A geometry as a GeoJSON `MultiPolygon` object (coordinates as stored,
/// EPSG:4490 longitude/latitude), for API responses and audit records.
#[must_use]
pub fn geometry_value(g: &geo_types::MultiPolygon<f64>) -> serde_json::Value {
    let polys: Vec<Vec<Vec<[f64; 2]>>> =
        g.0.iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect();
    serde_json::json!({ "type": "MultiPolygon", "coordinates": polys })
}

pub fn write(path: &Path, dataset: &Dataset) -> Result<(), FormatError> {
    let bytes = to_bytes(path, dataset)?;
    let mut files = AtomicFiles::for_target(path);
    files.add(path.to_path_buf(), &bytes)?;
    files.commit()
}

fn to_bytes(path: &Path, dataset: &Dataset) -> Result<Vec<u8>, FormatError> {
    let mut w: Vec<u8> = Vec::with_capacity(1024 + dataset.features.len() * 256);
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let io = |e: std::io::Error| FormatError::file(path, Problem::Io(e));
    w.extend_from_slice(b"{\n\"type\": \"FeatureCollection\",\n\"name\": ");
    serde_json::to_writer(&mut w, &name).map_err(|e| json_err(path, &e))?;
    write!(w, ",\n\"crs\": {{ \"type\": \"name\", \"properties\": {{ \"name\": \"{CRS_URN_4490}\" }} }},\n\"features\": [\n")
        .map_err(io)?;
    for (i, f) in dataset.features.iter().enumerate() {
        if f.attrs.len() != dataset.fields.len() {
            return Err(FormatError::row(
                path,
                f.row,
                Problem::Write(format!(
                    "属性个数 {} 与字段个数 {} 不一致",
                    f.attrs.len(),
                    dataset.fields.len()
                )),
            ));
        }
        w.extend_from_slice(b"{ \"type\": \"Feature\", \"properties\": { ");
        for (k, (def, value)) in dataset.fields.iter().zip(&f.attrs).enumerate() {
            if k > 0 {
                w.extend_from_slice(b", ");
            }
            serde_json::to_writer(&mut w, &def.name).map_err(|e| json_err(path, &e))?;
            w.extend_from_slice(b": ");
            match value {
                AttrValue::Null => w.extend_from_slice(b"null"),
                AttrValue::Bool(b) => w.extend_from_slice(if *b { b"true" } else { b"false" }),
                AttrValue::Integer(n) => write!(w, "{n}").map_err(io)?,
                AttrValue::Real(r) => {
                    serde_json::to_writer(&mut w, r).map_err(|e| json_err(path, &e))?
                }
                AttrValue::Text(s) => {
                    serde_json::to_writer(&mut w, s).map_err(|e| json_err(path, &e))?
                }
            }
        }
        w.extend_from_slice(b" }, \"geometry\": ");
        match &f.geometry {
            None => w.extend_from_slice(b"null"),
            Some(mp) => {
                w.extend_from_slice(b"{ \"type\": \"MultiPolygon\", \"coordinates\": [");
                for (p, polygon) in mp.0.iter().enumerate() {
                    if p > 0 {
                        w.push(b',');
                    }
                    w.push(b'[');
                    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
                    for (r, ring) in rings.enumerate() {
                        if r > 0 {
                            w.push(b',');
                        }
                        w.push(b'[');
                        for (c, coord) in ring.0.iter().enumerate() {
                            if !(coord.x.is_finite() && coord.y.is_finite()) {
                                return Err(FormatError::row(
                                    path,
                                    f.row,
                                    Problem::NonFiniteCoordinate,
                                ));
                            }
                            if c > 0 {
                                w.push(b',');
                            }
                            w.push(b'[');
                            serde_json::to_writer(&mut w, &coord.x)
                                .map_err(|e| json_err(path, &e))?;
                            w.push(b',');
                            serde_json::to_writer(&mut w, &coord.y)
                                .map_err(|e| json_err(path, &e))?;
                            w.push(b']');
                        }
                        w.push(b']');
                    }
                    w.push(b']');
                }
                w.extend_from_slice(b"] }");
            }
        }
        w.extend_from_slice(if i + 1 < dataset.features.len() {
            b" },\n"
        } else {
            b" }\n"
        });
    }
    w.extend_from_slice(b"]\n}\n");
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ReadOptions {
        ReadOptions::default()
    }

    fn read_str(s: &str) -> Result<Dataset, FormatError> {
        read_bytes(Path::new("t.geojson"), s.as_bytes(), &opts())
    }

    #[test]
    fn not_json_gives_line_and_column() {
        let err =
            read_str("{\n  \"type\": \"FeatureCollection\",\n  \"features\": [ ,\n]}").unwrap_err();
        let Problem::Json(msg) = &err.problem else {
            panic!("{err}")
        };
        assert!(msg.contains("第 3 行第 17 列"), "{msg}");
        let err = read_str("{\"type\": \"FeatureCollection\"").unwrap_err();
        assert!(
            matches!(err.problem, Problem::Json(ref m) if m.contains("文件意外结束")),
            "{err}"
        );
    }

    #[test]
    fn valid_json_but_not_geojson_is_invalid() {
        let err = read_str("{\"type\": \"Banana\"}").unwrap_err();
        assert!(matches!(err.problem, Problem::Invalid(_)), "{err}");
    }

    #[test]
    fn non_polygon_names_the_row() {
        let s = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}"#;
        let err = read_str(s).unwrap_err();
        assert_eq!(err.row, Some(2));
        assert!(matches!(err.problem, Problem::NotPolygon(ref t) if t == "LineString"));
    }

    #[test]
    fn crs_member_forms() {
        for (crs, want) in [
            (
                r#"{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}}"#,
                Some(4490),
            ),
            (
                r#"{"type":"name","properties":{"name":"EPSG:4526"}}"#,
                Some(4526),
            ),
            (
                r#"{"type":"name","properties":{"name":"http://www.opengis.net/def/crs/EPSG/0/4547"}}"#,
                Some(4547),
            ),
            (
                r#"{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}"#,
                Some(4326),
            ),
            (r#"{"type":"EPSG","properties":{"code":4490}}"#, Some(4490)),
            (r#"{"type":"name","properties":{"name":"something"}}"#, None),
        ] {
            let s = format!(r#"{{"type":"FeatureCollection","crs":{crs},"features":[]}}"#);
            assert_eq!(read_str(&s).unwrap().crs.epsg, want, "{crs}");
        }
        assert_eq!(
            read_str(r#"{"type":"FeatureCollection","features":[]}"#)
                .unwrap()
                .crs
                .epsg,
            None
        );
    }

    #[test]
    fn property_order_and_types() {
        let s = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"z":1,"a":1.5,"m":"x","b":true,"mix":1,"n":null},"geometry":null},
          {"type":"Feature","properties":{"z":2,"a":2,"m":"y","b":false,"mix":"A2","late":3},"geometry":null}]}"#;
        let d = read_str(s).unwrap();
        let names: Vec<&str> = d.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["z", "a", "m", "b", "mix", "n", "late"]);
        let types: Vec<FieldType> = d.fields.iter().map(|f| f.field_type).collect();
        assert_eq!(
            types,
            [
                FieldType::Integer { width: 0 },
                FieldType::Real {
                    width: 0,
                    decimals: 0
                },
                FieldType::Text { width: 0 },
                FieldType::Logical,
                FieldType::Text { width: 0 },
                FieldType::Text { width: 0 },
                FieldType::Integer { width: 0 },
            ]
        );
        assert_eq!(d.features[0].attrs[1], AttrValue::Real(1.5));
        assert_eq!(d.features[1].attrs[1], AttrValue::Real(2.0));
        assert_eq!(d.features[0].attrs[4], AttrValue::Text("1".into()));
        assert_eq!(d.features[1].attrs[4], AttrValue::Text("A2".into()));
        assert_eq!(d.features[0].attrs[6], AttrValue::Null);
        assert!(d.features.iter().all(|f| f.geometry.is_none()));
    }

    #[test]
    fn unclosed_ring_is_closed_and_recorded() {
        let s = r#"{"type":"Feature","properties":{"k":"v"},"geometry":{"type":"MultiPolygon","coordinates":[
            [[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,3],[3,3]]],
            [[[20,0],[30,0],[30,10]]]]}}"#;
        let d = read_str(s).unwrap();
        let f = &d.features[0];
        assert_eq!(
            f.repairs,
            vec![
                Repair::ClosedRing {
                    polygon: 0,
                    ring: 1
                },
                Repair::ClosedRing {
                    polygon: 1,
                    ring: 0
                }
            ]
        );
        let mp = f.geometry.as_ref().unwrap();
        assert_eq!(mp.0[0].interiors()[0].0.len(), 4);
        assert_eq!(mp.0[1].exterior().0.len(), 4);
        assert_eq!(mp.0[1].exterior().0[3], Coord { x: 20.0, y: 0.0 });
    }

    #[test]
    fn gbk_json_is_decoded_strictly() {
        let (bytes, _, _) = encoding_rs::GBK
            .encode(r#"{"type":"Feature","properties":{"DLMC":"水田"},"geometry":null}"#);
        let d = read_bytes(Path::new("g.json"), &bytes, &opts()).unwrap();
        assert_eq!(d.features[0].attrs[0], AttrValue::Text("水田".into()));
        assert!(d.encoding.as_deref().unwrap().starts_with("GBK"));
        let forced = ReadOptions {
            encoding: TextEncoding::Utf8,
            ..opts()
        };
        let err = read_bytes(Path::new("g.json"), &bytes, &forced).unwrap_err();
        assert!(
            matches!(err.problem, Problem::Encoding(ref m) if m.contains("第 1 行")),
            "{err}"
        );
    }

    const VALID: &str = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4490"}},
"features":[{"type":"Feature","properties":{"a":1,"b":"水田","c":[1,{"d":null}]},
"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.2],[0.3,0.2],[0.3,0.3]]]]}},
{"type":"Feature","properties":null,"geometry":{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6]]]}}]}"#;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = read_bytes(Path::new("f.json"), &bytes, &opts());
        }

        #[test]
        fn mutated_geojson_never_panics(
            edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 0usize..16), 1..6),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            const BYTES: &[u8] = b"{}[],:\"0-e.9 nt\xff";
            let mut b = VALID.as_bytes().to_vec();
            for (at, k) in &edits {
                let i = at.index(b.len());
                b[i] = BYTES[*k % BYTES.len()];
            }
            let _ = read_bytes(Path::new("f.json"), &b, &opts());
            b.truncate(cut.index(b.len() + 1));
            let _ = read_bytes(Path::new("f.json"), &b, &opts());
        }
    }

    #[test]
    fn valid_sample_reads() {
        let d = read_str(VALID).unwrap();
        assert_eq!(d.features.len(), 2);
        assert_eq!(
            d.features[0].attrs[2],
            AttrValue::Text(r#"[1,{"d":null}]"#.into())
        );
        assert_eq!(
            d.features[1].attrs,
            vec![AttrValue::Null, AttrValue::Null, AttrValue::Null]
        );
    }

    #[test]
    fn too_large_is_refused_before_parsing() {
        let small = ReadOptions {
            max_bytes: 10,
            ..opts()
        };
        let err = read_bytes(
            Path::new("x.json"),
            b"{\"type\":\"FeatureCollection\",\"features\":[]}",
            &small,
        )
        .unwrap_err();
        assert!(matches!(err.problem, Problem::TooLarge { .. }));
    }
}
