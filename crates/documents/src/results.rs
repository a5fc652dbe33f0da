//! The half-year and annual results: the report (the year's wording, as
//! the 快报) followed by the sub-regions' indicators — a summary table in
//! the .docx, every indicator in the .xlsx.

use rust_xlsxwriter::Format as CellFormat;
use weipian_domain::units::{hectares, mu};
use weipian_reports::percent;
use weipian_reports::quick::{Figures, QuickDoc, QuickTable, Stat};

use crate::docx::{blank_line, table_small};
use crate::{DocumentError, Format};

/// A region's row: code, name, figures.
pub type RegionFigures = (String, String, Figures);

fn stat(code: &str) -> Stat {
    // The codes below are the reports crate's own; a typo fails the tests.
    Stat::parse(code).unwrap_or_else(|| panic!("统计项 {code}"))
}

/// The summary columns of the .docx table: (header, value as printed).
#[allow(clippy::cast_precision_loss)] // counts stay far below 2^53
fn summary(f: &Figures) -> Vec<String> {
    let n = |c: &str| f.get(stat(c)).count;
    let m = |c: &str| format!("{:.2}", mu(f.get(stat(c)).area_m2));
    let g = |c: &str| format!("{:.2}", mu(f.get(stat(c)).gd_m2));
    vec![
        n("all.issued").to_string(),
        n("all.verified").to_string(),
        format!(
            "{:.2}",
            percent(n("all.verified") as f64, n("all.issued") as f64)
        ),
        n("land.illegal").to_string(),
        m("land.illegal"),
        g("land.illegal"),
        n("all.found").to_string(),
        n("all.filed").to_string(),
        n("all.eliminated").to_string(),
        n("all.resolved_cases").to_string(),
    ]
}

const SUMMARY_HEADERS: [&str; 11] = [
    "行政区",
    "下发图斑（个）",
    "已核实填报（个）",
    "完成比例（%）",
    "违法图斑（个）",
    "违法监测面积（亩）",
    "其中耕地（亩）",
    "违法行为（件）",
    "立案（件）",
    "消除违法状态（件）",
    "截止日前已消除、不再统计（件）",
];

/// The results as .docx: the report, then 附表 with each sub-region's
/// main indicators.
pub fn results_docx(
    doc: &QuickDoc,
    rows: &[RegionFigures],
    explain: bool,
) -> Result<Vec<u8>, DocumentError> {
    let body = crate::docx::build(doc, explain);
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(code, name, f)| {
            let mut r = vec![format!("{name}（{code}）")];
            r.extend(summary(f));
            r
        })
        .collect();
    let d = body
        .add_paragraph(blank_line())
        .add_paragraph(crate::docx::heading("附表：各行政区主要指标"))
        .add_table(table_small(
            &SUMMARY_HEADERS,
            &table_rows,
            &[1700, 710, 710, 710, 710, 710, 710, 710, 710, 710, 710],
        ));
    crate::docx::pack(d)
}

/// The results as .xlsx: the 快报-style workbook, plus 全部指标 — every
/// statistic's count and areas (公顷) for each region.
pub fn results_xlsx(
    doc: &QuickDoc,
    t: &QuickTable,
    rows: &[RegionFigures],
    explain: bool,
) -> Result<Vec<u8>, DocumentError> {
    let mut wb = crate::xlsx::workbook(doc, t, explain)?;
    let text = CellFormat::new().set_font_name("宋体").set_font_size(11);
    let header = text.clone().set_bold().set_text_wrap();
    let count = text.clone().set_num_format("0");
    let ha = text.clone().set_num_format("0.0000");
    let sheet = wb.add_worksheet().set_name("全部指标")?;
    sheet.write_string_with_format(0, 0, "行政区代码", &header)?;
    sheet.write_string_with_format(0, 1, "行政区名称", &header)?;
    sheet.set_row_height(0, 60)?;
    let stats: Vec<Stat> = rows
        .first()
        .map(|(_, _, f)| f.iter().map(|(s, _)| s).collect())
        .unwrap_or_default();
    let mut c: u16 = 2;
    for s in &stats {
        let name = s.name_zh();
        for label in [
            format!("{name}（{}）", if s.item.is_case() { "件" } else { "个" }),
            format!("{name}面积（公顷）"),
            format!("{name}耕地（公顷）"),
            format!("{name}永久基本农田（公顷）"),
        ] {
            sheet.set_column_width(c, 14)?;
            sheet.write_string_with_format(0, c, label, &header)?;
            c = c
                .checked_add(1)
                .ok_or(rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
        }
    }
    for (i, (code, name, f)) in rows.iter().enumerate() {
        let r =
            u32::try_from(i + 1).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
        sheet.write_string_with_format(r, 0, code, &text)?;
        sheet.write_string_with_format(r, 1, name, &text)?;
        let mut c: u16 = 2;
        for s in &stats {
            let x = f.get(*s);
            #[allow(clippy::cast_precision_loss)] // counts stay far below 2^53
            sheet.write_number_with_format(r, c, x.count as f64, &count)?;
            sheet.write_number_with_format(r, c + 1, hectares(x.area_m2), &ha)?;
            sheet.write_number_with_format(r, c + 2, hectares(x.gd_m2), &ha)?;
            sheet.write_number_with_format(r, c + 3, hectares(x.jbnt_m2), &ha)?;
            c += 4;
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(wb.save_to_buffer()?)
}

/// The results in `format`.
pub fn results(
    doc: &QuickDoc,
    t: &QuickTable,
    rows: &[RegionFigures],
    format: Format,
    explain: bool,
) -> Result<Vec<u8>, DocumentError> {
    Ok(match format {
        Format::Markdown => crate::markdown(doc, explain).into_bytes(),
        Format::Html => crate::html(doc, explain).into_bytes(),
        Format::Docx => results_docx(doc, rows, explain)?,
        Format::Xlsx => results_xlsx(doc, t, rows, explain)?,
    })
}
