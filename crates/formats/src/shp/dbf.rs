//! The dBASE table (`.dbf`) of a shapefile: strict text decoding on read,
//! GBK with language driver 0x4D on write.
//!
//! Text is never decoded lossily: a byte sequence that is not valid in the
//! chosen encoding is an error naming the record and the field, so `水田`
//! either comes out as `水田` or not at all.

use std::borrow::Cow;

use encoding_rs::{Encoding, BIG5, GB18030, GBK, UTF_8};
use weipian_domain::{AttrValue, FieldDef, FieldType};

use super::geom::Located;
use crate::dataset::{Dataset, TextEncoding};
use crate::error::Problem;

/// Language driver byte written by us (code page 936, as ArcGIS writes it).
pub(crate) const LDID_GBK: u8 = 0x4D;

/// One field descriptor as stored in the header.
#[derive(Debug, Clone)]
pub(crate) struct RawField {
    name: Vec<u8>,
    kind: u8,
    /// Offset in the record, after the deletion flag.
    offset: usize,
    len: usize,
    decimals: u8,
}

impl RawField {
    /// Whether the field holds text decoded with the table encoding.
    fn is_text(&self) -> bool {
        self.binary_kind().is_none() && !matches!(self.kind, b'N' | b'F' | b'D' | b'L')
    }

    /// Visual FoxPro binary number fields.
    fn binary_kind(&self) -> Option<BinaryKind> {
        match (self.kind, self.len) {
            (b'I' | b'+', 4) => Some(BinaryKind::Int32),
            (b'O' | b'B', 8) => Some(BinaryKind::Double),
            (b'Y', 8) => Some(BinaryKind::Currency),
            _ => None,
        }
    }

    fn field_type(&self) -> FieldType {
        let width = u16::try_from(self.len).unwrap_or(u16::MAX);
        match self.binary_kind() {
            Some(BinaryKind::Int32) => return FieldType::Integer { width: 0 },
            Some(BinaryKind::Double | BinaryKind::Currency) => {
                return FieldType::Real {
                    width: 0,
                    decimals: 0,
                }
            }
            None => {}
        }
        match self.kind {
            b'N' | b'F' if self.decimals == 0 => FieldType::Integer { width },
            b'N' | b'F' => FieldType::Real {
                width,
                decimals: self.decimals,
            },
            b'D' => FieldType::Date,
            b'L' => FieldType::Logical,
            _ => FieldType::Text { width },
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum BinaryKind {
    Int32,
    Double,
    Currency,
}

/// A parsed `.dbf` file borrowing its bytes.
#[derive(Debug)]
pub(crate) struct DbfTable<'a> {
    data: &'a [u8],
    pub ldid: u8,
    pub n_records: usize,
    header_len: usize,
    record_len: usize,
    fields: Vec<RawField>,
}

fn le_u16(data: &[u8], at: usize) -> usize {
    data.get(at..at + 2)
        .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fn le_u32(data: &[u8], at: usize) -> usize {
    data.get(at..at + 4).map_or(0, |b| {
        usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(usize::MAX)
    })
}

/// Trailing spaces and NULs (padding) removed.
fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |p| p + 1);
    &bytes[..end]
}

/// Leading and trailing spaces and NULs removed.
fn trim(bytes: &[u8]) -> &[u8] {
    let t = trim_end(bytes);
    let start = t
        .iter()
        .position(|&b| b != b' ' && b != 0)
        .unwrap_or(t.len());
    &t[start..]
}

impl<'a> DbfTable<'a> {
    pub(crate) fn parse(data: &'a [u8]) -> Result<Self, Problem> {
        if data.len() < 32 {
            return Err(Problem::Corrupt(format!(
                ".dbf 文件头不完整（只有 {} 字节）",
                data.len()
            )));
        }
        let n_records = le_u32(data, 4);
        let header_len = le_u16(data, 8);
        let record_len = le_u16(data, 10);
        let ldid = data[29];
        if header_len < 33 || header_len > data.len() {
            return Err(Problem::Corrupt(format!(
                ".dbf 文件头长度 {header_len} 无效或超出文件（{} 字节）",
                data.len()
            )));
        }
        if record_len == 0 {
            return Err(Problem::Corrupt(".dbf 记录长度为 0".into()));
        }
        let mut fields = Vec::new();
        let mut pos = 32;
        let mut offset = 0usize;
        while pos + 32 <= header_len {
            let d = &data[pos..pos + 32];
            if d[0] == 0x0D {
                break;
            }
            let name_end = d[..11].iter().position(|&b| b == 0).unwrap_or(11);
            let name = trim_end(&d[..name_end]).to_vec();
            let kind = d[11].to_ascii_uppercase();
            let mut len = usize::from(d[16]);
            let mut decimals = d[17];
            if kind == b'C' {
                // Clipper/FoxPro store long character widths in the decimals byte.
                len += 256 * usize::from(decimals);
                decimals = 0;
            }
            fields.push(RawField {
                name,
                kind,
                offset,
                len,
                decimals,
            });
            offset += len;
            pos += 32;
        }
        if offset + 1 > record_len {
            return Err(Problem::Corrupt(format!(
                ".dbf 字段总宽度 {offset} 超过记录长度 {}",
                record_len.saturating_sub(1)
            )));
        }
        let available = (data.len() - header_len) / record_len;
        if available < n_records {
            return Err(Problem::Corrupt(format!(
                ".dbf 文件头声明 {n_records} 条记录，文件只容纳 {available} 条（文件被截断）"
            )));
        }
        Ok(Self {
            data,
            ldid,
            n_records,
            header_len,
            record_len,
            fields,
        })
    }

    /// The bytes of record `i` (0-based), deletion flag first.
    fn record(&self, i: usize) -> &'a [u8] {
        let start = self.header_len + i * self.record_len;
        self.data
            .get(start..start + self.record_len)
            .unwrap_or_default()
    }

    /// Whether record `i` (0-based) is marked deleted.
    pub(crate) fn is_deleted(&self, i: usize) -> bool {
        self.record(i).first() == Some(&b'*')
    }

    fn cell(&self, record: &'a [u8], f: &RawField) -> &'a [u8] {
        record
            .get(1 + f.offset..1 + f.offset + f.len)
            .unwrap_or_default()
    }
}

/// The encoding chosen for a table's text and how it was decided.
#[derive(Debug, Clone)]
pub(crate) struct Chosen {
    encoding: &'static Encoding,
    /// Shown in `Dataset::encoding`.
    pub note: String,
    /// Why the decision was made, to word decoding errors.
    how: How,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Forced,
    Declared,
    Fallback,
    Strict,
}

/// The encoding named by a `.cpg` file, when it is one we decode.
pub(crate) fn cpg_encoding(cpg: &str) -> Option<(&'static Encoding, &'static str)> {
    let label = cpg
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_uppercase();
    let label = label.strip_prefix("ANSI ").unwrap_or(&label).trim();
    match label {
        "GBK" | "936" | "CP936" | "MS936" | "WINDOWS-936" | "GB2312" | "GB_2312-80" | "EUC-CN"
        | "X-GBK" | "CSGB2312" => Some((GBK, "GBK")),
        "GB18030" | "54936" => Some((GB18030, "GB18030")),
        "UTF-8" | "UTF8" | "65001" => Some((UTF_8, "UTF-8")),
        "BIG5" | "BIG-5" | "950" | "CP950" => Some((BIG5, "Big5")),
        _ => None,
    }
}

/// The encoding a DBF language driver byte names, for the Chinese code pages.
fn ldid_encoding(ldid: u8) -> Option<(&'static Encoding, &'static str)> {
    match ldid {
        0x4D | 0x7A => Some((GBK, "GBK")),
        0x78 => Some((BIG5, "Big5")),
        _ => None,
    }
}

fn encoding_label(e: &'static Encoding) -> &'static str {
    if e == UTF_8 {
        "UTF-8"
    } else if e == GBK {
        "GBK"
    } else if e == GB18030 {
        "GB18030"
    } else {
        e.name()
    }
}

/// Decode strictly: `None` when the bytes are not valid in `e`.
fn decode_strict(e: &'static Encoding, bytes: &[u8]) -> Option<String> {
    if bytes.is_ascii() || e == UTF_8 {
        return std::str::from_utf8(bytes).ok().map(str::to_owned);
    }
    e.decode_without_bom_handling_and_without_replacement(bytes)
        .map(Cow::into_owned)
}

impl DbfTable<'_> {
    /// Whether every text cell and field name is valid UTF-8.
    fn all_text_utf8(&self) -> bool {
        if self
            .fields
            .iter()
            .any(|f| std::str::from_utf8(&f.name).is_err())
        {
            return false;
        }
        let text: Vec<&RawField> = self.fields.iter().filter(|f| f.is_text()).collect();
        if text.is_empty() {
            return true;
        }
        (0..self.n_records).all(|i| {
            let rec = self.record(i);
            rec.first() == Some(&b'*')
                || text.iter().all(|f| {
                    let cell = trim_end(self.cell(rec, f));
                    cell.is_ascii() || std::str::from_utf8(cell).is_ok()
                })
        })
    }

    /// Choose the text encoding: `--encoding`, `.cpg`, language driver byte,
    /// strict UTF-8, strict GBK — in that order.
    pub(crate) fn choose_encoding(&self, cpg: Option<&str>, forced: TextEncoding) -> Chosen {
        match forced {
            TextEncoding::Gbk => {
                let mut note = "GBK（--encoding 指定）".to_string();
                if !self.all_text_utf8_ascii() && self.all_text_utf8() {
                    note = "GBK（--encoding 指定；注意：内容同时是有效的 UTF-8，可能应为 UTF-8）"
                        .into();
                }
                return Chosen {
                    encoding: GBK,
                    note,
                    how: How::Forced,
                };
            }
            TextEncoding::Utf8 => {
                return Chosen {
                    encoding: UTF_8,
                    note: "UTF-8（--encoding 指定）".into(),
                    how: How::Forced,
                };
            }
            TextEncoding::Detect => {}
        }
        let mut ignored = String::new();
        if let Some(cpg) = cpg {
            if let Some((e, label)) = cpg_encoding(cpg) {
                return Chosen {
                    encoding: e,
                    note: format!("{label}（.cpg）"),
                    how: How::Declared,
                };
            }
            let shown: String = cpg.trim().chars().take(40).collect();
            ignored = format!("；.cpg 声明的“{shown}”不受支持，已忽略");
        }
        if let Some((e, label)) = ldid_encoding(self.ldid) {
            return Chosen {
                encoding: e,
                note: format!("{label}（DBF 语言标识 0x{:02X}{ignored}）", self.ldid),
                how: How::Declared,
            };
        }
        if self.all_text_utf8() {
            Chosen {
                encoding: UTF_8,
                note: format!("UTF-8（严格解码{ignored}）"),
                how: How::Strict,
            }
        } else {
            Chosen {
                encoding: GBK,
                note: format!("GBK（UTF-8 解码失败后按 GBK 严格解码{ignored}）"),
                how: How::Fallback,
            }
        }
    }

    /// Whether all text is plain ASCII (then the encoding does not matter).
    fn all_text_utf8_ascii(&self) -> bool {
        let text: Vec<&RawField> = self.fields.iter().filter(|f| f.is_text()).collect();
        self.fields.iter().all(|f| f.name.is_ascii())
            && (0..self.n_records).all(|i| {
                let rec = self.record(i);
                text.iter().all(|f| self.cell(rec, f).is_ascii())
            })
    }

    fn decode_error(chosen: &Chosen, what: &str) -> Problem {
        let label = encoding_label(chosen.encoding);
        Problem::Encoding(match chosen.how {
            How::Fallback => format!("{what}既不是有效的 UTF-8，也不是有效的 GBK"),
            How::Forced => format!(
                "{what}不是有效的 {label} 文字（按 --encoding 指定的 {label} 严格解码失败）"
            ),
            How::Declared => format!("{what}不是有效的 {label} 文字（文件声明为 {label}）"),
            How::Strict => format!("{what}不是有效的 {label} 文字"),
        })
    }

    /// The field definitions, names decoded with the chosen encoding.
    pub(crate) fn field_defs(&self, chosen: &Chosen) -> Result<Vec<FieldDef>, Located> {
        self.fields
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let name = decode_strict(chosen.encoding, &f.name).ok_or_else(|| Located {
                    row: None,
                    problem: Self::decode_error(chosen, &format!("第 {} 个字段的字段名", k + 1)),
                })?;
                Ok(FieldDef::new(name, f.field_type()))
            })
            .collect()
    }

    /// Decode record `i` (0-based) into `out` (cleared first).
    pub(crate) fn decode_record(
        &self,
        i: usize,
        chosen: &Chosen,
        names: &[FieldDef],
        out: &mut Vec<AttrValue>,
    ) -> Result<(), Located> {
        out.clear();
        let rec = self.record(i);
        let row = i + 1;
        for (k, f) in self.fields.iter().enumerate() {
            let cell = self.cell(rec, f);
            let name = names.get(k).map_or("", |d| d.name.as_str());
            let value = match f.binary_kind() {
                Some(kind) => binary_value(kind, cell),
                None => match f.kind {
                    b'N' | b'F' => {
                        numeric_value(trim(cell), f.decimals == 0).map_err(|p| Located {
                            row: Some(row),
                            problem: field_problem(name, p),
                        })?
                    }
                    b'D' => date_value(trim(cell)),
                    b'L' => logical_value(trim(cell)),
                    _ => {
                        let t = trim_end(cell);
                        if t.is_empty() {
                            AttrValue::Null
                        } else {
                            let s = decode_strict(chosen.encoding, t).ok_or_else(|| Located {
                                row: Some(row),
                                problem: Self::decode_error(chosen, &format!("字段 {name} 的内容")),
                            })?;
                            AttrValue::Text(s)
                        }
                    }
                },
            };
            out.push(value);
        }
        Ok(())
    }
}

fn field_problem(name: &str, detail: String) -> Problem {
    Problem::Invalid(format!("字段 {name} {detail}"))
}

fn numeric_value(t: &[u8], integer: bool) -> Result<AttrValue, String> {
    if t.is_empty() || t.iter().all(|&b| matches!(b, b'*' | b'.' | b'-')) {
        // Blank, or the overflow/no-value markers some writers use.
        return Ok(AttrValue::Null);
    }
    let shown = || String::from_utf8_lossy(t).into_owned();
    let Ok(s) = std::str::from_utf8(t) else {
        return Err(format!("的数值“{}”无法解析", shown()));
    };
    if integer {
        if let Ok(i) = s.parse::<i64>() {
            return Ok(AttrValue::Integer(i));
        }
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(AttrValue::Real(v)),
        Ok(_) => Ok(AttrValue::Null),
        Err(_) => Err(format!("的数值“{}”无法解析", shown())),
    }
}

fn date_value(t: &[u8]) -> AttrValue {
    if t.is_empty() || t.iter().all(|&b| b == b'0') {
        return AttrValue::Null;
    }
    if t.len() == 8 && t.iter().all(u8::is_ascii_digit) {
        let s = String::from_utf8_lossy(t);
        return AttrValue::Text(format!("{}-{}-{}", &s[0..4], &s[4..6], &s[6..8]));
    }
    // Kept as written; validation or the writer complains if it matters.
    AttrValue::Text(String::from_utf8_lossy(t).into_owned())
}

fn logical_value(t: &[u8]) -> AttrValue {
    match t.first() {
        Some(b'T' | b't' | b'Y' | b'y') => AttrValue::Bool(true),
        Some(b'F' | b'f' | b'N' | b'n') => AttrValue::Bool(false),
        _ => AttrValue::Null,
    }
}

fn binary_value(kind: BinaryKind, cell: &[u8]) -> AttrValue {
    let mut b8 = [0u8; 8];
    match kind {
        BinaryKind::Int32 => {
            let mut b4 = [0u8; 4];
            if let Some(src) = cell.get(..4) {
                b4.copy_from_slice(src);
            }
            AttrValue::Integer(i64::from(i32::from_le_bytes(b4)))
        }
        BinaryKind::Double => {
            if let Some(src) = cell.get(..8) {
                b8.copy_from_slice(src);
            }
            let v = f64::from_le_bytes(b8);
            if v.is_finite() {
                AttrValue::Real(v)
            } else {
                AttrValue::Null
            }
        }
        BinaryKind::Currency => {
            if let Some(src) = cell.get(..8) {
                b8.copy_from_slice(src);
            }
            #[allow(clippy::cast_precision_loss)]
            AttrValue::Real(i64::from_le_bytes(b8) as f64 / 10_000.0)
        }
    }
}

// ---------------------------------------------------------------------------
// Writing

/// Shorten field names to unique DBF names (≤ 10 ASCII bytes).
/// Returns the names and the `(original, new)` pairs that changed.
pub(crate) fn dbf_names(fields: &[FieldDef]) -> (Vec<String>, Vec<(String, String)>) {
    let valid = |n: &str| {
        !n.is_empty() && n.len() <= 10 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let mut taken: Vec<String> = Vec::new();
    let mut names: Vec<Option<String>> = Vec::with_capacity(fields.len());
    // Valid names are kept (the first of any case-insensitive duplicates).
    for f in fields {
        let key = f.name.to_ascii_uppercase();
        if valid(&f.name) && !taken.contains(&key) {
            taken.push(key);
            names.push(Some(f.name.clone()));
        } else {
            names.push(None);
        }
    }
    let mut renamed = Vec::new();
    for (k, f) in fields.iter().enumerate() {
        if names[k].is_some() {
            continue;
        }
        let mut base: String = f
            .name
            .chars()
            .filter(char::is_ascii)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let base_trimmed = base.trim_matches('_').to_string();
        base = if base_trimmed.is_empty() {
            "FIELD".to_string()
        } else {
            base_trimmed
        };
        base.truncate(10);
        let mut candidate = base.clone();
        let mut n = 1usize;
        while taken.contains(&candidate.to_ascii_uppercase()) {
            let suffix = format!("_{n}");
            let mut b = base.clone();
            b.truncate(10 - suffix.len());
            candidate = format!("{b}{suffix}");
            n += 1;
        }
        taken.push(candidate.to_ascii_uppercase());
        renamed.push((f.name.clone(), candidate.clone()));
        names[k] = Some(candidate);
    }
    (
        names.into_iter().map(Option::unwrap_or_default).collect(),
        renamed,
    )
}

/// How a numeric column formats its values.
#[derive(Debug, Clone, Copy)]
enum NumFmt {
    /// Declared decimals: `format!("{:.d$}")`.
    Fixed(u8),
    /// Shortest representation that reads back to the same f64.
    Shortest,
}

#[derive(Debug, Clone)]
struct OutField {
    name: String,
    kind: u8,
    width: usize,
    decimals: u8,
    fmt: NumFmt,
}

/// Encode text as GBK, refusing characters GBK cannot represent.
fn gbk_bytes(s: &str) -> Result<Cow<'_, [u8]>, char> {
    if s.is_ascii() {
        return Ok(Cow::Borrowed(s.as_bytes()));
    }
    let (bytes, _, had_errors) = GBK.encode(s);
    if had_errors {
        let mut buf = [0u8; 4];
        let bad = s
            .chars()
            .find(|c| GBK.encode(c.encode_utf8(&mut buf)).2)
            .unwrap_or('?');
        return Err(bad);
    }
    Ok(bytes)
}

/// The shortest text that parses back to `v`, within `width` when possible.
pub(crate) fn shortest(v: f64) -> String {
    let s = format!("{v}");
    if s.len() <= 20 {
        return s;
    }
    let e = format!("{v:e}");
    if e.len() < s.len() {
        e
    } else {
        s
    }
}

fn text_repr(v: &AttrValue) -> Option<Cow<'_, str>> {
    match v {
        AttrValue::Null => None,
        AttrValue::Text(s) => Some(Cow::Borrowed(s.as_str())),
        AttrValue::Integer(i) => Some(Cow::Owned(i.to_string())),
        AttrValue::Real(r) if r.is_finite() => Some(Cow::Owned(shortest(*r))),
        AttrValue::Real(_) => None,
        AttrValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
    }
}

fn number_text(v: &AttrValue, fmt: NumFmt) -> Result<Option<String>, String> {
    Ok(match v {
        AttrValue::Null => None,
        AttrValue::Integer(i) => Some(i.to_string()),
        AttrValue::Real(r) if !r.is_finite() => None,
        AttrValue::Real(r) => Some(match fmt {
            NumFmt::Fixed(d) => format!("{:.*}", usize::from(d), r),
            NumFmt::Shortest => shortest(*r),
        }),
        AttrValue::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                None
            } else if t.parse::<f64>().is_ok_and(f64::is_finite) {
                Some(t.to_string())
            } else {
                return Err(format!("的值“{t}”不是数值"));
            }
        }
        AttrValue::Bool(b) => return Err(format!("的值 {b} 不是数值")),
    })
}

fn date_text(v: &AttrValue) -> Result<Option<String>, String> {
    match v {
        AttrValue::Null => Ok(None),
        AttrValue::Text(s) => {
            let t = s.trim();
            let b = t.as_bytes();
            if t.is_empty() {
                Ok(None)
            } else if b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b.iter()
                    .enumerate()
                    .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
            {
                Ok(Some(format!("{}{}{}", &t[0..4], &t[5..7], &t[8..10])))
            } else if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
                Ok(Some(t.to_string()))
            } else {
                Err(format!("的值“{t}”不是 YYYY-MM-DD 格式的日期"))
            }
        }
        other => Err(format!("的值 {other:?} 不是日期")),
    }
}

fn logical_byte(v: &AttrValue) -> Result<u8, String> {
    match v {
        AttrValue::Null => Ok(b'?'),
        AttrValue::Bool(true) | AttrValue::Integer(1) => Ok(b'T'),
        AttrValue::Bool(false) | AttrValue::Integer(0) => Ok(b'F'),
        AttrValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(b'?'),
            "t" | "true" | "y" | "yes" | "是" => Ok(b'T'),
            "f" | "false" | "n" | "no" | "否" => Ok(b'F'),
            t => Err(format!("的值“{t}”不是逻辑值")),
        },
        other => Err(format!("的值 {other:?} 不是逻辑值")),
    }
}

/// Today's date as (years since 1900, month, day), for the DBF header.
fn today() -> (u8, u8, u8) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        u8::try_from(y - 1900).unwrap_or(0),
        u8::try_from(m).unwrap_or(1),
        u8::try_from(d).unwrap_or(1),
    )
}

fn write_error(row: Option<usize>, msg: String) -> Located {
    Located {
        row,
        problem: Problem::Write(msg),
    }
}

/// Encode the attribute table as a GBK `.dbf`.
pub(crate) fn write_dbf(dataset: &Dataset, names: &[String]) -> Result<Vec<u8>, Located> {
    let nfields = dataset.fields.len();
    for f in &dataset.features {
        if f.attrs.len() != nfields {
            return Err(write_error(
                Some(f.row),
                format!("属性个数 {} 与字段个数 {nfields} 不一致", f.attrs.len()),
            ));
        }
    }
    // Plan the columns.
    let mut cols = Vec::with_capacity(nfields);
    for (k, def) in dataset.fields.iter().enumerate() {
        let name = names.get(k).cloned().unwrap_or_default();
        let col = match def.field_type {
            FieldType::Text { width } => {
                let mut needed = 1usize;
                for f in &dataset.features {
                    if let Some(s) = text_repr(&f.attrs[k]) {
                        let bytes = gbk_bytes(&s).map_err(|c| {
                            write_error(
                                Some(f.row),
                                format!("字段 {} 含有 GBK 无法表示的字符“{c}”", def.name),
                            )
                        })?;
                        if bytes.len() > 254 {
                            return Err(write_error(
                                Some(f.row),
                                format!(
                                    "字段 {} 的文字长 {} 字节，超过 DBF 上限 254 字节",
                                    def.name,
                                    bytes.len()
                                ),
                            ));
                        }
                        needed = needed.max(bytes.len());
                    }
                }
                let width = needed.max(usize::from(width).min(254));
                OutField {
                    name,
                    kind: b'C',
                    width,
                    decimals: 0,
                    fmt: NumFmt::Shortest,
                }
            }
            FieldType::Integer { width } => {
                let width = if (1..=254).contains(&width) {
                    usize::from(width)
                } else {
                    // N(18,0) unless a value needs more (an i64 takes up to 20).
                    let needed = dataset
                        .features
                        .iter()
                        .filter_map(|f| number_text(&f.attrs[k], NumFmt::Shortest).ok().flatten())
                        .map(|t| t.len())
                        .max()
                        .unwrap_or(0);
                    needed.clamp(18, 254)
                };
                OutField {
                    name,
                    kind: b'N',
                    width,
                    decimals: 0,
                    fmt: NumFmt::Shortest,
                }
            }
            FieldType::Real { width, decimals } => {
                if (1..=254).contains(&width)
                    && usize::from(decimals) + 2 <= usize::from(width)
                    && decimals <= 30
                {
                    OutField {
                        name,
                        kind: b'N',
                        width: usize::from(width),
                        decimals,
                        fmt: NumFmt::Fixed(decimals),
                    }
                } else {
                    OutField {
                        name,
                        kind: b'N',
                        width: 24,
                        decimals: 15,
                        fmt: NumFmt::Shortest,
                    }
                }
            }
            FieldType::Date => OutField {
                name,
                kind: b'D',
                width: 8,
                decimals: 0,
                fmt: NumFmt::Shortest,
            },
            FieldType::Logical => OutField {
                name,
                kind: b'L',
                width: 1,
                decimals: 0,
                fmt: NumFmt::Shortest,
            },
        };
        cols.push(col);
    }
    let record_len = 1 + cols.iter().map(|c| c.width).sum::<usize>();
    let header_len = 32 + 32 * cols.len() + 1;
    let (Ok(record_len16), Ok(header_len16), Ok(n_records)) = (
        u16::try_from(record_len),
        u16::try_from(header_len),
        u32::try_from(dataset.features.len()),
    ) else {
        return Err(write_error(
            None,
            "字段过多或过宽，超出 DBF 格式上限".into(),
        ));
    };

    let mut out = Vec::with_capacity(header_len + record_len * dataset.features.len() + 1);
    let (yy, mm, dd) = today();
    out.extend_from_slice(&[0x03, yy, mm, dd]);
    out.extend_from_slice(&n_records.to_le_bytes());
    out.extend_from_slice(&header_len16.to_le_bytes());
    out.extend_from_slice(&record_len16.to_le_bytes());
    out.resize(32, 0);
    out[29] = LDID_GBK;
    for c in &cols {
        let mut d = [0u8; 32];
        let n = c.name.as_bytes();
        let n = &n[..n.len().min(10)];
        d[..n.len()].copy_from_slice(n);
        d[11] = c.kind;
        d[16] = u8::try_from(c.width).unwrap_or(u8::MAX);
        d[17] = c.decimals;
        out.extend_from_slice(&d);
    }
    out.push(0x0D);

    for f in &dataset.features {
        out.push(b' ');
        for (k, c) in cols.iter().enumerate() {
            let v = &f.attrs[k];
            let field_err = |detail: String| {
                write_error(
                    Some(f.row),
                    format!("字段 {} {detail}", dataset.fields[k].name),
                )
            };
            match c.kind {
                b'C' => {
                    let start = out.len();
                    if let Some(s) = text_repr(v) {
                        let bytes = gbk_bytes(&s)
                            .map_err(|ch| field_err(format!("含有 GBK 无法表示的字符“{ch}”")))?;
                        out.extend_from_slice(&bytes);
                    }
                    let used = out.len() - start;
                    out.resize(start + c.width.max(used), b' ');
                }
                b'N' => {
                    let text = number_text(v, c.fmt).map_err(field_err)?;
                    let text = text.unwrap_or_default();
                    if text.len() > c.width {
                        return Err(field_err(format!("的数值 {text} 超出字段宽度 {}", c.width)));
                    }
                    out.resize(out.len() + c.width - text.len(), b' ');
                    out.extend_from_slice(text.as_bytes());
                }
                b'D' => {
                    let text = date_text(v).map_err(field_err)?.unwrap_or_default();
                    out.extend_from_slice(text.as_bytes());
                    out.resize(out.len() + 8 - text.len(), b' ');
                }
                _ => out.push(logical_byte(v).map_err(field_err)?),
            }
        }
    }
    out.push(0x1A);
    Ok(out)
}
