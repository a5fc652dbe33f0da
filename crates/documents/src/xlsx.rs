//! The workbook: the report's text on the first sheet, then the figures
//! per sub-region — one sheet each for 总体 (land and mineral), 土地 and 矿产,
//! one column per blank of the template, numbers unrounded with the
//! printed precision as the cell format — and, when asked, 数据来源: one
//! row per patch or case behind each figure.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet};
use weipian_reports::quick::{QuickDoc, QuickTable, Range};

use crate::DocumentError;

const FONT: &str = "宋体";

fn text_format() -> Format {
    Format::new().set_font_name(FONT).set_font_size(11)
}

fn header_format() -> Format {
    text_format()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
}

fn number_format(decimals: usize) -> Format {
    let pattern = if decimals == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(decimals))
    };
    text_format().set_num_format(pattern)
}

/// The workbook for `doc` with `table`'s rows; `explain` adds 数据来源.
pub fn xlsx(doc: &QuickDoc, table: &QuickTable, explain: bool) -> Result<Vec<u8>, DocumentError> {
    Ok(workbook(doc, table, explain)?.save_to_buffer()?)
}

/// The workbook, still open for more sheets.
pub(crate) fn workbook(
    doc: &QuickDoc,
    table: &QuickTable,
    explain: bool,
) -> Result<Workbook, DocumentError> {
    let mut wb = Workbook::new();
    let text = text_format();
    let header = header_format();

    let sheet = wb.add_worksheet().set_name("快报")?;
    sheet.set_column_width(0, 120)?;
    let wrap = text_format().set_text_wrap();
    for (row, p) in doc.paragraphs.iter().enumerate() {
        sheet.write_string_with_format(to_row(row)?, 0, doc.paragraph_text(p), &wrap)?;
    }

    for (range, name) in [
        (Range::All, "总体"),
        (Range::Land, "土地"),
        (Range::Mineral, "矿产"),
    ] {
        let cols: Vec<usize> = (0..table.columns.len())
            .filter(|&i| table.columns[i].range == range)
            .collect();
        if cols.is_empty() {
            continue;
        }
        let sheet = wb.add_worksheet().set_name(name)?;
        write_table(sheet, table, &cols, &text, &header)?;
    }

    if explain {
        let sheet = wb.add_worksheet().set_name("数据来源")?;
        for (col, (title, width)) in [
            ("统计项", 36.0),
            ("代码", 30.0),
            ("图斑（地块）或违法行为编号", 30.0),
        ]
        .into_iter()
        .enumerate()
        {
            let col = to_col(col)?;
            sheet.set_column_width(col, width)?;
            sheet.write_string_with_format(0, col, title, &header)?;
        }
        let mut row = 1u32;
        for (code, name, items) in super::sources(doc) {
            for item in items {
                sheet.write_string_with_format(row, 0, &name, &text)?;
                sheet.write_string_with_format(row, 1, &code, &text)?;
                sheet.write_string_with_format(row, 2, item, &text)?;
                row = row
                    .checked_add(1)
                    .ok_or(rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
            }
        }
    }
    Ok(wb)
}

fn write_table(
    sheet: &mut Worksheet,
    table: &QuickTable,
    cols: &[usize],
    text: &Format,
    header: &Format,
) -> Result<(), DocumentError> {
    sheet.set_row_height(0, 60)?;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 16)?;
    sheet.write_string_with_format(0, 0, "行政区代码", header)?;
    sheet.write_string_with_format(0, 1, "行政区名称", header)?;
    let formats: Vec<Format> = cols
        .iter()
        .map(|&i| number_format(table.columns[i].decimals))
        .collect();
    for (j, &i) in cols.iter().enumerate() {
        let col = to_col(j + 2)?;
        sheet.set_column_width(col, 16)?;
        sheet.write_string_with_format(0, col, &table.columns[i].label, header)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = to_row(r + 1)?;
        sheet.write_string_with_format(r, 0, &row.region, text)?;
        sheet.write_string_with_format(r, 1, &row.name, text)?;
        for (j, &i) in cols.iter().enumerate() {
            sheet.write_number_with_format(r, to_col(j + 2)?, row.values[i], &formats[j])?;
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}

fn to_row(i: usize) -> Result<u32, DocumentError> {
    u32::try_from(i).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError.into())
}

fn to_col(i: usize) -> Result<u16, DocumentError> {
    u16::try_from(i).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError.into())
}
