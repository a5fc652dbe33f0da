//! xlsx export: one row per feature, Chinese headers, no geometry.
//!
//! The national table travels as Excel with Chinese headers, so a field whose
//! name is a known national code gets its header from
//! [`weipian_domain::fields::header_zh`] (`JCBH` → 监测编号); other fields keep
//! their name. Numbers are written as numbers, unrounded; text as text —
//! codes such as JCBH and XZQDM are always text so leading zeros survive;
//! dates as `YYYY-MM-DD` text. The font (宋体) is set explicitly on every cell
//! so Chinese renders the same on any machine.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use weipian_domain::{AttrValue, FieldType};

use crate::{Dataset, FormatError, Problem};

/// Fields that are codes: always written as text, even when a file declared
/// them numeric (an XZQDM read from a numeric DBF column must not become a
/// number, and a JCBH must keep its leading zeros).
pub const TEXT_FIELDS: &[&str] = &[
    "JCBH", "XZQDM", "YSTBBH", "QQJCBH", "ZDBH", "QQJH", "DQJH", "DLBM", "BSM", "TBBH",
];

/// The font every cell uses.
pub const FONT: &str = "宋体";
/// Windows GB2312 character set, which Excel pairs with 宋体.
const FONT_CHARSET_GB2312: u8 = 134;

/// Largest row count of a worksheet, header included.
const MAX_ROWS: usize = 1_048_576;
/// Largest column count of a worksheet.
const MAX_COLS: usize = 16_384;

/// Options for [`write()`].
#[derive(Debug, Clone)]
pub struct XlsxOptions {
    /// Worksheet name (Excel: at most 31 characters, none of `[]:*?/\`).
    pub sheet_name: String,
    /// Header overrides: field name (case-insensitive) → header. These win
    /// over the national headers.
    pub headers: BTreeMap<String, String>,
    /// Further fields to write as text whatever their values (beside
    /// [`TEXT_FIELDS`]).
    pub text_fields: Vec<String>,
}

impl Default for XlsxOptions {
    fn default() -> Self {
        Self {
            sheet_name: "图斑".into(),
            headers: BTreeMap::new(),
            text_fields: Vec::new(),
        }
    }
}

impl XlsxOptions {
    /// The header of a field: an override, else the national Chinese header,
    /// else the name itself.
    #[must_use]
    pub fn header(&self, field: &str) -> String {
        if let Some((_, h)) = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
        {
            return h.clone();
        }
        weipian_domain::fields::header_zh(field).map_or_else(|| field.to_string(), str::to_string)
    }

    fn is_text_field(&self, field: &str) -> bool {
        TEXT_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(field))
            || self
                .text_fields
                .iter()
                .any(|f| f.eq_ignore_ascii_case(field))
    }
}

fn xlsx_err(e: &XlsxError) -> Problem {
    Problem::Write(format!("生成 xlsx 失败：{e}"))
}

/// Approximate display width in Excel character units: CJK and other wide
/// characters count two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) < 0x1100 { 1 } else { 2 })
        .sum()
}

/// What goes into one cell.
enum Cell {
    Blank,
    Text(String),
    Number(f64),
    Bool(bool),
}

/// Largest integer magnitude an `f64` (and so Excel) holds exactly.
const EXACT_INT: i64 = 1 << 53;

fn cell_for(value: &AttrValue, field_type: FieldType, force_text: bool) -> Cell {
    match value {
        AttrValue::Null => Cell::Blank,
        AttrValue::Text(s) => Cell::Text(s.clone()),
        AttrValue::Bool(b) if force_text => {
            Cell::Text(if *b { "true".into() } else { "false".into() })
        }
        AttrValue::Bool(b) => Cell::Bool(*b),
        AttrValue::Integer(i)
            if force_text || matches!(field_type, FieldType::Date) || i.abs() > EXACT_INT =>
        {
            Cell::Text(i.to_string())
        }
        #[allow(clippy::cast_precision_loss)] // |i| ≤ 2^53: exact
        AttrValue::Integer(i) => Cell::Number(*i as f64),
        AttrValue::Real(r)
            if force_text || !r.is_finite() || matches!(field_type, FieldType::Date) =>
        {
            // A code read from a numeric column: 130403.0 is the code 130403.
            #[allow(clippy::cast_possible_truncation)]
            let text = if r.is_finite() && r.fract() == 0.0 && r.abs() < 1e15 {
                format!("{}", *r as i64)
            } else {
                r.to_string()
            };
            Cell::Text(text)
        }
        AttrValue::Real(r) => Cell::Number(*r),
    }
}

/// Write the dataset's attributes as an xlsx workbook with one sheet: a bold,
/// frozen header row with an autofilter, then one row per feature.
///
/// The workbook is built in memory, written beside the target under a
/// temporary name and renamed over it, so a failure never leaves a partial file.
pub fn write(path: &Path, dataset: &Dataset, options: &XlsxOptions) -> Result<(), FormatError> {
    let ferr = |p: Problem| FormatError::file(path, p);
    if dataset.features.len() + 1 > MAX_ROWS {
        return Err(ferr(Problem::Write(format!(
            "共 {} 条记录，超过 Excel 单表上限 {} 行",
            dataset.features.len(),
            MAX_ROWS - 1
        ))));
    }
    if dataset.fields.len() > MAX_COLS {
        return Err(ferr(Problem::Write(format!(
            "共 {} 个字段，超过 Excel 单表上限 {MAX_COLS} 列",
            dataset.fields.len()
        ))));
    }
    for f in &dataset.features {
        if f.attrs.len() != dataset.fields.len() {
            return Err(FormatError::row(
                path,
                f.row,
                Problem::Invalid(format!(
                    "属性个数 {} 与字段个数 {} 不一致",
                    f.attrs.len(),
                    dataset.fields.len()
                )),
            ));
        }
    }

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(options.sheet_name.as_str()).map_err(|e| {
        ferr(Problem::Write(format!(
            "工作表名称 “{}” 无效（不超过 31 个字符，不能含 []:*?/\\）：{e}",
            options.sheet_name
        )))
    })?;
    fill_sheet(sheet, dataset, options).map_err(|(row, e)| match row {
        Some(r) => FormatError::row(path, r, xlsx_err(&e)),
        None => ferr(xlsx_err(&e)),
    })?;
    let bytes = workbook.save_to_buffer().map_err(|e| ferr(xlsx_err(&e)))?;
    write_atomically(path, &bytes).map_err(ferr)
}

/// Fill the sheet; an error carries the source row it happened on.
fn fill_sheet(
    sheet: &mut Worksheet,
    dataset: &Dataset,
    options: &XlsxOptions,
) -> Result<(), (Option<usize>, XlsxError)> {
    let base = Format::new()
        .set_font_name(FONT)
        .set_font_charset(FONT_CHARSET_GB2312)
        .set_font_size(11);
    let header_format = base.clone().set_bold();
    let text_format = base.clone().set_num_format("@");

    let mut widths: Vec<usize> = Vec::with_capacity(dataset.fields.len());
    for (col, field) in dataset.fields.iter().enumerate() {
        let header = options.header(&field.name);
        widths.push(display_width(&header));
        sheet
            .write_string_with_format(0, col_index(col), &header, &header_format)
            .map_err(|e| (None, e))?;
    }
    let force: Vec<bool> = dataset
        .fields
        .iter()
        .map(|f| options.is_text_field(&f.name))
        .collect();

    for (i, feature) in dataset.features.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let at = |e| (Some(feature.row), e);
        for (col, value) in feature.attrs.iter().enumerate() {
            let c = col_index(col);
            match cell_for(value, dataset.fields[col].field_type, force[col]) {
                Cell::Blank => {}
                Cell::Text(s) => {
                    widths[col] = widths[col].max(display_width(&s));
                    sheet
                        .write_string_with_format(row, c, &s, &text_format)
                        .map_err(at)?;
                }
                Cell::Number(n) => {
                    widths[col] = widths[col].max(format!("{n}").len().min(16));
                    sheet
                        .write_number_with_format(row, c, n, &base)
                        .map_err(at)?;
                }
                Cell::Bool(b) => {
                    widths[col] = widths[col].max(5);
                    sheet
                        .write_boolean_with_format(row, c, b, &base)
                        .map_err(at)?;
                }
            }
        }
    }

    for (col, w) in widths.iter().enumerate() {
        // Room for the autofilter button; no column narrower than 6 or wider than 60.
        #[allow(clippy::cast_precision_loss)]
        let width = ((*w + 3).clamp(6, 60)) as f64;
        sheet
            .set_column_width(col_index(col), width)
            .map_err(|e| (None, e))?;
    }
    sheet.set_freeze_panes(1, 0).map_err(|e| (None, e))?;
    if !dataset.fields.is_empty() {
        let last_row = u32::try_from(dataset.features.len()).unwrap_or(u32::MAX);
        sheet
            .autofilter(0, 0, last_row, col_index(dataset.fields.len() - 1))
            .map_err(|e| (None, e))?;
    }
    Ok(())
}

/// Column numbers are checked against [`MAX_COLS`] before use.
fn col_index(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

/// Write bytes to a temporary file beside `path`, then rename it over `path`.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Problem> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".weipian-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    let file = tmp.persist(path).map_err(|e| Problem::Io(e.error))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o644)) {
            tracing::warn!(error = %e, "无法设置导出文件权限");
        }
    }
    #[cfg(not(unix))]
    drop(file);
    Ok(())
}
