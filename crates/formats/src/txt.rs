//! The 国土 TXT boundary format (界址点坐标文件) used to upload land parcels.
//!
//! ```text
//! [属性描述]
//! 格式版本号=1.0
//! 坐标系=2000国家大地坐标系
//! 几度分带=3
//! 投影类型=高斯克吕格
//! 计量单位=米
//! 带号=38
//! [地块坐标]
//! 5,0.0156,DK001,地块名称,面,H49G001001,建设用地,0702,@
//! J1,1,3386666.25,38528770.24
//! …
//! ```
//!
//! Each parcel starts with `界址点数,地块面积(公顷),地块编号,地块名称,记录图形属性(面),图幅号,地块用途,地类编码,@`
//! followed by `点号,圈号,X,Y` lines (X = northing, Y = easting, usually
//! zone-prefixed). 圈号 1 is the outer ring, 2 and up are its holes; a new
//! 圈号 1 starts another part. Geometry comes out with x = Y (easting),
//! y = X (northing). Rings not closed in the file are closed and recorded.
//! Attributes: JZDS, DKMJ (公顷 as written), DKBH, DKMC, JLTXSX, TFH, DKYT, DLBM.

use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_geo::crs::{CrsHint, TxtCrsHeader};
use weipian_geo::validate::Repair;

use crate::dataset::{Dataset, Feature, ReadOptions, TextEncoding};
use crate::error::{FormatError, Problem};

/// The attribute columns, in order, and the header field each comes from.
const TEXT_FIELDS: [&str; 6] = ["DKBH", "DKMC", "JLTXSX", "TFH", "DKYT", "DLBM"];

fn field_defs() -> Vec<FieldDef> {
    let mut fields = vec![
        FieldDef::new("JZDS", FieldType::Integer { width: 0 }),
        FieldDef::new(
            "DKMJ",
            FieldType::Real {
                width: 0,
                decimals: 0,
            },
        ),
    ];
    fields.extend(
        TEXT_FIELDS
            .iter()
            .map(|n| FieldDef::new(*n, FieldType::Text { width: 0 })),
    );
    fields
}

/// Read a 国土 TXT file.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Dataset, FormatError> {
    let meta = std::fs::metadata(path).map_err(|e| FormatError::file(path, Problem::Io(e)))?;
    options.check_size(path, meta.len())?;
    let bytes = std::fs::read(path).map_err(|e| FormatError::file(path, Problem::Io(e)))?;
    read_bytes(path, &bytes, options)
}

/// 1-based number of the line holding byte `at`.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(..at)
        .unwrap_or(bytes)
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// First line (1-based) that is not valid GBK.
fn first_bad_gbk_line(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .position(|l| {
            encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(l)
                .is_none()
        })
        .map_or(1, |p| p + 1)
}

/// Decode strictly: UTF-8 (BOM allowed), else GBK; UTF-16 with a BOM.
fn decode(
    source: &Path,
    bytes: &[u8],
    forced: TextEncoding,
) -> Result<(String, String), FormatError> {
    let enc_err = |msg: String| FormatError::file(source, Problem::Encoding(msg));
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        if forced != TextEncoding::Gbk {
            return match std::str::from_utf8(rest) {
                Ok(s) => Ok((s.to_string(), "UTF-8（带 BOM）".into())),
                Err(e) => Err(enc_err(format!(
                    "第 {} 行不是有效的 UTF-8 文字",
                    line_of(rest, e.valid_up_to())
                ))),
            };
        }
    }
    for (bom, enc) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            if forced == TextEncoding::Detect {
                return match enc.decode_without_bom_handling_and_without_replacement(rest) {
                    Some(s) => Ok((s.into_owned(), format!("{}（BOM）", enc.name()))),
                    None => Err(enc_err(format!("文件不是有效的 {} 文字", enc.name()))),
                };
            }
        }
    }
    let gbk = |note: &str| match encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(bytes)
    {
        Some(s) => Ok((s.into_owned(), note.to_string())),
        None => Err(first_bad_gbk_line(bytes)),
    };
    match forced {
        TextEncoding::Gbk => gbk("GBK（--encoding 指定）").map_err(|line| {
            enc_err(format!(
                "第 {line} 行不是有效的 GBK 文字（按 --encoding 指定的 GBK 严格解码失败）"
            ))
        }),
        TextEncoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s.to_string(), "UTF-8（--encoding 指定）".into())),
            Err(e) => Err(enc_err(format!(
                "第 {} 行不是有效的 UTF-8 文字（按 --encoding 指定的 UTF-8 严格解码失败）",
                line_of(bytes, e.valid_up_to())
            ))),
        },
        TextEncoding::Detect => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s.to_string(), "UTF-8（严格解码）".into())),
            Err(_) => gbk("GBK（UTF-8 解码失败后按 GBK 严格解码）").map_err(|line| {
                enc_err(format!("第 {line} 行既不是有效的 UTF-8，也不是有效的 GBK"))
            }),
        },
    }
}

/// A parcel being read.
struct Parcel {
    ordinal: usize,
    line: usize,
    declared: usize,
    attrs: Vec<AttrValue>,
    /// Rings as (圈号, coordinates).
    rings: Vec<(i64, Vec<Coord<f64>>)>,
    points: usize,
}

impl Parcel {
    fn finish(self, source: &Path) -> Result<Feature, FormatError> {
        if self.points != self.declared {
            let dkbh = match &self.attrs[2] {
                AttrValue::Text(s) => format!("（地块编号 {s}）"),
                _ => String::new(),
            };
            return Err(FormatError::row(
                source,
                self.ordinal,
                Problem::Invalid(format!(
                    "第 {} 行的地块{dkbh}界址点数写为 {}，实际有 {} 个坐标点",
                    self.line, self.declared, self.points
                )),
            ));
        }
        let mut repairs = Vec::new();
        let mut polygons: Vec<(LineString<f64>, Vec<LineString<f64>>)> = Vec::new();
        for (k, (number, mut coords)) in self.rings.into_iter().enumerate() {
            let new_part = k == 0 || number == 1;
            let polygon = if new_part {
                polygons.len()
            } else {
                polygons.len() - 1
            };
            let ring = if new_part {
                0
            } else {
                polygons.last().map_or(0, |p| p.1.len() + 1)
            };
            if let (Some(first), Some(last)) = (coords.first().copied(), coords.last().copied()) {
                if first != last {
                    coords.push(first);
                    repairs.push(Repair::ClosedRing { polygon, ring });
                }
            }
            let line = LineString(coords);
            match polygons.last_mut() {
                Some(p) if !new_part => p.1.push(line),
                _ => polygons.push((line, Vec::new())),
            }
        }
        let geometry = (!polygons.is_empty()).then(|| {
            MultiPolygon(
                polygons
                    .into_iter()
                    .map(|(e, h)| Polygon::new(e, h))
                    .collect(),
            )
        });
        Ok(Feature {
            row: self.ordinal,
            geometry,
            attrs: self.attrs,
            repairs,
        })
    }
}

fn text_attr(s: Option<&str>) -> AttrValue {
    match s.map(str::trim) {
        Some(t) if !t.is_empty() => AttrValue::Text(t.to_string()),
        _ => AttrValue::Null,
    }
}

/// Parse a coordinate value; `what` names it in messages.
fn number(s: &str, what: &str, line: usize) -> Result<f64, Problem> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(Problem::Invalid(format!(
            "第 {line} 行：{what}“{}”不是有限数值",
            s.trim()
        ))),
        Err(_) => Err(Problem::Invalid(format!(
            "第 {line} 行：{what}“{}”不是数值",
            s.trim()
        ))),
    }
}

/// Read a 国土 TXT file from memory (the fuzzer uses this); `source` names it
/// in messages.
pub fn read_bytes(
    source: &Path,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<Dataset, FormatError> {
    options.check_size(source, bytes.len() as u64)?;
    let (text, note) = decode(source, bytes, options.encoding)?;

    #[derive(PartialEq)]
    enum Section {
        Before,
        Attributes,
        Coordinates,
        Other,
    }
    let mut section = Section::Before;
    let mut saw_coordinates = false;
    let mut header = TxtCrsHeader::default();
    let mut features = Vec::new();
    let mut current: Option<Parcel> = None;

    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim().trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            let name: String = line[1..line.len() - 1]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Some(p) = current.take() {
                features.push(p.finish(source)?);
            }
            section = match name.as_str() {
                "属性描述" => Section::Attributes,
                "地块坐标" => {
                    saw_coordinates = true;
                    Section::Coordinates
                }
                _ => Section::Other,
            };
            continue;
        }
        match section {
            Section::Before | Section::Other => {}
            Section::Attributes => {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let value = value.trim();
                let value = (!value.is_empty()).then(|| value.to_string());
                match key.trim() {
                    "坐标系" => header.coordinate_system = value,
                    "几度分带" => header.zone_width = value,
                    "投影类型" => header.projection = value,
                    "计量单位" => header.unit = value,
                    "带号" => header.zone = value,
                    _ => {}
                }
            }
            Section::Coordinates => {
                let normalized = line.replace('，', ",");
                let parts: Vec<&str> = normalized.split(',').map(str::trim).collect();
                if parts.last() == Some(&"@") {
                    // A parcel header line.
                    if let Some(p) = current.take() {
                        features.push(p.finish(source)?);
                    }
                    let ordinal = features.len() + 1;
                    let row_err = |p: Problem| FormatError::row(source, ordinal, p);
                    let count = parts.first().copied().unwrap_or_default();
                    let declared = count.parse::<usize>().map_err(|_| {
                        row_err(Problem::Invalid(format!(
                            "第 {line_no} 行：界址点数“{count}”不是整数"
                        )))
                    })?;
                    let field = |k: usize| parts.get(k).copied().filter(|_| k + 1 < parts.len());
                    let area = match field(1).map(str::trim).filter(|s| !s.is_empty()) {
                        None => AttrValue::Null,
                        Some(s) => {
                            AttrValue::Real(number(s, "地块面积", line_no).map_err(row_err)?)
                        }
                    };
                    let mut attrs = vec![
                        AttrValue::Integer(i64::try_from(declared).unwrap_or(i64::MAX)),
                        area,
                    ];
                    attrs.extend((2..8).map(|k| text_attr(field(k))));
                    current = Some(Parcel {
                        ordinal,
                        line: line_no,
                        declared,
                        attrs,
                        rings: Vec::new(),
                        points: 0,
                    });
                } else {
                    // A point line: 点号,圈号,X,Y.
                    let Some(parcel) = current.as_mut() else {
                        return Err(FormatError::file(
                            source,
                            Problem::Invalid(format!(
                                "第 {line_no} 行：坐标行之前没有地块信息行（以 @ 结尾）"
                            )),
                        ));
                    };
                    let row_err = |p: Problem| FormatError::row(source, parcel.ordinal, p);
                    if parts.len() != 4 {
                        return Err(row_err(Problem::Invalid(format!(
                            "第 {line_no} 行：坐标行应为“点号,圈号,X,Y”四项，实际 {} 项",
                            parts.len()
                        ))));
                    }
                    let ring_no = parts[1].parse::<i64>().map_err(|_| {
                        row_err(Problem::Invalid(format!(
                            "第 {line_no} 行：圈号“{}”不是整数",
                            parts[1]
                        )))
                    })?;
                    let northing = number(parts[2], "X 坐标", line_no).map_err(row_err)?;
                    let easting = number(parts[3], "Y 坐标", line_no).map_err(row_err)?;
                    let coord = Coord {
                        x: easting,
                        y: northing,
                    };
                    // A ring continues while the 圈号 stays the same and it has
                    // not closed yet; a closed ring followed by more points of
                    // the same 圈号 starts another ring.
                    let closed = |c: &[Coord<f64>]| c.len() >= 4 && c.first() == c.last();
                    match parcel.rings.last_mut() {
                        Some((n, coords)) if *n == ring_no && !closed(coords) => coords.push(coord),
                        _ => parcel.rings.push((ring_no, vec![coord])),
                    }
                    parcel.points += 1;
                }
            }
        }
    }
    if let Some(p) = current.take() {
        features.push(p.finish(source)?);
    }
    if !saw_coordinates {
        return Err(FormatError::file(
            source,
            Problem::Invalid("不是国土 TXT 坐标文件：找不到 [地块坐标] 节".into()),
        ));
    }
    Ok(Dataset {
        source: source.to_path_buf(),
        fields: field_defs(),
        features,
        crs: CrsHint {
            txt: Some(header),
            ..CrsHint::default()
        },
        encoding: Some(note),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "[属性描述]\n格式版本号=1.0\n数据产生单位=某某县自然资源局\n数据产生日期=2024-05-01\n\
坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=38\n精度=0.01\n转换参数=,,,,,,\n";

    fn read_str(s: &str) -> Result<Dataset, FormatError> {
        read_bytes(Path::new("t.txt"), s.as_bytes(), &ReadOptions::default())
    }

    fn square(
        ring: i64,
        first: usize,
        x0: f64,
        y0: f64,
        size: f64,
        close: bool,
        ccw: bool,
    ) -> String {
        // Points as (northing, easting).
        let mut pts = vec![
            (x0, y0),
            (x0, y0 + size),
            (x0 + size, y0 + size),
            (x0 + size, y0),
        ];
        if ccw {
            pts.reverse();
        }
        if close {
            pts.push(pts[0]);
        }
        pts.iter()
            .enumerate()
            .map(|(i, (x, y))| format!("J{},{ring},{x},{y}\n", first + i))
            .collect()
    }

    #[test]
    fn header_parcels_and_holes() {
        let mut s = format!("{HEADER}[地块坐标]\n");
        s += "10,1.2345,DK001,一号地块,面,H49G001001,建设用地,0702,@\n";
        s += &square(1, 1, 3_386_000.0, 38_528_000.0, 100.0, true, false);
        s += &square(2, 6, 3_386_010.0, 38_528_010.0, 10.0, true, true);
        s += "5,0.5,DK002,,面,,,0101,@\n";
        s += &square(1, 1, 3_387_000.0, 38_529_000.0, 50.0, true, false);
        let d = read_str(&s).unwrap();
        let h = d.crs.txt.as_ref().unwrap();
        assert_eq!(h.coordinate_system.as_deref(), Some("2000国家大地坐标系"));
        assert_eq!(h.zone_width.as_deref(), Some("3"));
        assert_eq!(h.projection.as_deref(), Some("高斯克吕格"));
        assert_eq!(h.unit.as_deref(), Some("米"));
        assert_eq!(h.zone.as_deref(), Some("38"));
        assert_eq!(d.features.len(), 2);
        let f = &d.features[0];
        assert_eq!(f.row, 1);
        assert_eq!(
            f.attrs,
            vec![
                AttrValue::Integer(10),
                AttrValue::Real(1.2345),
                AttrValue::Text("DK001".into()),
                AttrValue::Text("一号地块".into()),
                AttrValue::Text("面".into()),
                AttrValue::Text("H49G001001".into()),
                AttrValue::Text("建设用地".into()),
                AttrValue::Text("0702".into()),
            ]
        );
        let mp = f.geometry.as_ref().unwrap();
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].interiors().len(), 1);
        // x = easting (Y), y = northing (X).
        assert_eq!(
            mp.0[0].exterior().0[0],
            Coord {
                x: 38_528_000.0,
                y: 3_386_000.0
            }
        );
        assert!(f.repairs.is_empty());
        let g = &d.features[1];
        assert_eq!(g.row, 2);
        assert_eq!(g.attrs[3], AttrValue::Null);
        assert_eq!(g.attrs[7], AttrValue::Text("0101".into()));
        assert_eq!(
            d.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["JZDS", "DKMJ", "DKBH", "DKMC", "JLTXSX", "TFH", "DKYT", "DLBM"]
        );
        assert_eq!(d.encoding.as_deref(), Some("UTF-8（严格解码）"));
    }

    #[test]
    fn wrong_point_count_names_the_line() {
        let mut s = format!("{HEADER}[地块坐标]\n5,1,DK001,a,面,,,0702,@\n");
        s += &square(1, 1, 0.0, 0.0, 1.0, true, false);
        s += "6,1,DK002,b,面,,,0702,@\n";
        s += &square(1, 1, 0.0, 0.0, 1.0, true, false);
        let err = read_str(&s).unwrap_err();
        assert_eq!(err.row, Some(2));
        let msg = err.to_string();
        assert!(
            msg.contains("第 19 行")
                && msg.contains("DK002")
                && msg.contains("写为 6")
                && msg.contains("实际有 5"),
            "{msg}"
        );
    }

    #[test]
    fn open_ring_is_closed_and_recorded() {
        let mut s = format!("{HEADER}[地块坐标]\n4,1,DK001,a,面,,,0702,@\n");
        s += &square(1, 1, 0.0, 0.0, 1.0, false, false);
        let d = read_str(&s).unwrap();
        assert_eq!(
            d.features[0].repairs,
            vec![Repair::ClosedRing {
                polygon: 0,
                ring: 0
            }]
        );
        assert_eq!(
            d.features[0].geometry.as_ref().unwrap().0[0]
                .exterior()
                .0
                .len(),
            5
        );
    }

    #[test]
    fn second_ring_one_starts_a_new_part() {
        let mut s = format!("{HEADER}[地块坐标]\n10,1,DK001,a,面,,,0702,@\n");
        s += &square(1, 1, 0.0, 0.0, 1.0, true, false);
        s += &square(2, 6, 5.0, 5.0, 1.0, true, false).replace(",2,", ",1,");
        let d = read_str(&s).unwrap();
        // After the first ring closed, more points with 圈号 1 start a new part.
        let mp = d.features[0].geometry.as_ref().unwrap();
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0[1].exterior().0[0], Coord { x: 5.0, y: 5.0 });
    }

    #[test]
    fn gbk_file_and_encoding_errors() {
        let mut s = format!("{HEADER}[地块坐标]\n5,1,DK001,水田地块,面,,,0101,@\n");
        s += &square(1, 1, 0.0, 0.0, 1.0, true, false);
        let (gbk, _, _) = encoding_rs::GBK.encode(&s);
        let d = read_bytes(Path::new("g.txt"), &gbk, &ReadOptions::default()).unwrap();
        assert_eq!(d.features[0].attrs[3], AttrValue::Text("水田地块".into()));
        assert_eq!(
            d.encoding.as_deref(),
            Some("GBK（UTF-8 解码失败后按 GBK 严格解码）")
        );
        let forced = ReadOptions {
            encoding: TextEncoding::Utf8,
            ..ReadOptions::default()
        };
        let err = read_bytes(Path::new("g.txt"), &gbk, &forced).unwrap_err();
        assert!(
            matches!(err.problem, Problem::Encoding(ref m) if m.contains("第 1 行")),
            "{err}"
        );
        let mut bad = gbk.to_vec();
        bad.extend_from_slice(b"\xFF\xFF\n");
        let err = read_bytes(Path::new("g.txt"), &bad, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(err.problem, Problem::Encoding(ref m) if m.contains("第 19 行")),
            "{err}"
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(s.as_bytes());
        let d = read_bytes(Path::new("b.txt"), &bom, &ReadOptions::default()).unwrap();
        assert_eq!(d.features.len(), 1);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = read_bytes(Path::new("f.txt"), &bytes, &ReadOptions::default());
            let mut with_section = "[地块坐标]\n".as_bytes().to_vec();
            with_section.extend_from_slice(&bytes);
            let _ = read_bytes(Path::new("f.txt"), &with_section, &ReadOptions::default());
        }

        #[test]
        fn mutated_txt_never_panics(
            edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 0usize..14), 1..8),
        ) {
            const BYTES: &[u8] = b",@\n[]=-.9e1 x\xb0";
            let mut s = format!("{HEADER}[地块坐标]\n10,1.5,DK1,a,面,,,0101,@\n");
            s += &square(1, 1, 0.0, 0.0, 10.0, true, false);
            s += &square(2, 6, 1.0, 1.0, 1.0, true, true);
            let mut b = s.into_bytes();
            for (at, k) in &edits {
                let i = at.index(b.len());
                b[i] = BYTES[*k % BYTES.len()];
            }
            let _ = read_bytes(Path::new("f.txt"), &b, &ReadOptions::default());
        }
    }

    #[test]
    fn structural_errors() {
        assert!(read_str("hello").is_err());
        let err = read_str("[地块坐标]\nJ1,1,0,0\n").unwrap_err();
        assert!(err.to_string().contains("第 2 行"));
        let err = read_str("[地块坐标]\n1,1,a,b,面,,,,@\nJ1,1,0\n").unwrap_err();
        assert!(err.to_string().contains("第 3 行"));
        let err = read_str("[地块坐标]\n1,1,a,b,面,,,,@\nJ1,1,inf,0\n").unwrap_err();
        assert!(err.to_string().contains("不是有限数值"));
        let err = read_str("[地块坐标]\nx,1,a,b,面,,,,@\n").unwrap_err();
        assert!(err.to_string().contains("界址点数"));
        assert_eq!(read_str("[地块坐标]\n").unwrap().features.len(), 0);
    }
}
