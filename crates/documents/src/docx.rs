//! A 公文-style Word document (GB/T 9704 layout): A4 with the standard
//! margins, the title in 2号宋体 bold and centred, level-one headings in
//! 3号黑体, level-two in 3号楷体, the body in 3号仿宋 with a two-character
//! first-line indent at a fixed 28.95 pt line pitch (22 lines a page), the
//! closing date right-aligned, page numbers “— n —” centred at the foot.

use docx_rs::{
    AlignmentType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, Run,
    RunFonts, SpecialIndentType, Table, TableCell, TableRow, WidthType,
};
use weipian_reports::quick::{QuickDoc, Span, Style};

use crate::DocumentError;

/// Font sizes in half-points: 2号 = 22 pt, 3号 = 16 pt, 4号 = 14 pt, 五号 = 10.5 pt.
const SIZE_2: usize = 44;
const SIZE_3: usize = 32;
const SIZE_4: usize = 28;
const SIZE_5: usize = 21;
const SIZE_XIAO5: usize = 18;

/// A4 in twips and the GB/T 9704 margins (37/35/28/26 mm).
const A4: (u32, u32) = (11_906, 16_838);
const MARGINS: (i32, i32, i32, i32) = (2_098, 1_984, 1_587, 1_474);
/// 28.95 pt in twips.
const LINE_PITCH: i32 = 579;
/// Two characters of 3号 (16 pt = 320 twips each).
const FIRST_LINE: i32 = 640;

fn fonts(name: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(name)
        .ascii(name)
        .hi_ansi(name)
        .cs(name)
}

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

fn fixed_lines() -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(LINE_PITCH)
}

/// An empty 公文 page set-up: A4, GB/T 9704 margins, 仿宋 3号 by default,
/// page numbers at the foot.
pub(crate) fn base() -> Docx {
    let (top, bottom, left, right) = MARGINS;
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run("— ", "宋体", SIZE_4))
            .add_page_num(PageNum::new())
            .add_run(run(" —", "宋体", SIZE_4)),
    );
    Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(
            PageMargin::new()
                .top(top)
                .bottom(bottom)
                .left(left)
                .right(right)
                .header(851)
                .footer(992),
        )
        .default_fonts(fonts("仿宋"))
        .default_size(SIZE_3)
        .footer(footer)
}

/// A centred title line (2号宋体, bold).
pub(crate) fn title(text: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Center)
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Auto)
                .line(360),
        )
        .add_run(run(text, "宋体", SIZE_2).bold())
}

/// An empty line at the body's pitch.
pub(crate) fn blank_line() -> Paragraph {
    Paragraph::new().line_spacing(fixed_lines())
}

/// A body paragraph (3号仿宋, two characters' indent).
pub(crate) fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Both)
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(FIRST_LINE)),
            None,
            None,
        )
        .line_spacing(fixed_lines())
        .add_run(run(text, "仿宋", SIZE_3))
}

/// A right-aligned closing line (落款, date).
pub(crate) fn closing(text: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Right)
        .line_spacing(fixed_lines())
        .add_run(run(text, "仿宋", SIZE_3))
}

/// A table in 五号宋体 with a header row; `widths` in twips.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>], widths: &[usize]) -> Table {
    table_sized(headers, rows, widths, SIZE_5)
}

/// A wide table in 小五 (9 pt).
pub(crate) fn table_small(headers: &[&str], rows: &[Vec<String>], widths: &[usize]) -> Table {
    table_sized(headers, rows, widths, SIZE_XIAO5)
}

fn table_sized(headers: &[&str], rows: &[Vec<String>], widths: &[usize], size: usize) -> Table {
    let cell = |text: &str, bold: bool| {
        let mut r = run(text, "宋体", size);
        if bold {
            r = r.bold();
        }
        TableCell::new().add_paragraph(Paragraph::new().add_run(r))
    };
    let mut out = vec![TableRow::new(
        headers.iter().map(|h| cell(h, true)).collect(),
    )];
    for row in rows {
        out.push(TableRow::new(row.iter().map(|c| cell(c, false)).collect()));
    }
    Table::new(out)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
}

/// The package's bytes.
pub(crate) fn pack(d: Docx) -> Result<Vec<u8>, DocumentError> {
    let mut out = std::io::Cursor::new(Vec::new());
    d.pack(&mut out)
        .map_err(|e| DocumentError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}

/// A level-one heading line (3号黑体).
pub(crate) fn heading(text: &str) -> Paragraph {
    Paragraph::new()
        .line_spacing(fixed_lines())
        .add_run(run(text, "黑体", SIZE_3))
}

/// The report as a .docx; `explain` appends 附：数据来源 as a table.
pub fn docx(doc: &QuickDoc, explain: bool) -> Result<Vec<u8>, DocumentError> {
    pack(build(doc, explain))
}

/// The report's document, still open for more.
pub(crate) fn build(doc: &QuickDoc, explain: bool) -> Docx {
    let mut d = base();
    for (i, p) in doc.paragraphs.iter().enumerate() {
        let (font, size, bold) = match p.style {
            Style::Title => ("宋体", SIZE_2, true),
            Style::Heading1 => ("黑体", SIZE_3, false),
            Style::Heading2 => ("楷体", SIZE_3, false),
            Style::Body | Style::Closing => ("仿宋", SIZE_3, false),
        };
        let mut para = Paragraph::new();
        for s in &p.spans {
            let text = match s {
                Span::Text { text } => text.as_str(),
                Span::Blank { blank } => doc.blanks[*blank].text.as_str(),
            };
            let mut r = run(text, font, size);
            if bold {
                r = r.bold();
            }
            para = para.add_run(r);
        }
        para = match p.style {
            Style::Title => para.align(AlignmentType::Center).line_spacing(
                LineSpacing::new()
                    .line_rule(LineSpacingType::Auto)
                    .line(360),
            ),
            Style::Closing => para.align(AlignmentType::Right).line_spacing(fixed_lines()),
            Style::Heading1 | Style::Heading2 | Style::Body => para
                .align(AlignmentType::Both)
                .indent(
                    None,
                    Some(SpecialIndentType::FirstLine(FIRST_LINE)),
                    None,
                    None,
                )
                .line_spacing(fixed_lines()),
        };
        d = d.add_paragraph(para);
        let last_title_line = p.style == Style::Title
            && doc
                .paragraphs
                .get(i + 1)
                .is_none_or(|q| q.style != Style::Title);
        if last_title_line {
            // A blank line between the title and the text, as 公文 have.
            d = d.add_paragraph(Paragraph::new().line_spacing(fixed_lines()));
        }
    }
    if explain {
        d = d.add_paragraph(Paragraph::new().page_break_before(true).add_run(run(
            "附：数据来源",
            "黑体",
            SIZE_3,
        )));
        let rows: Vec<Vec<String>> = super::sources(doc)
            .into_iter()
            .map(|(code, name, items)| vec![name, code, items.len().to_string(), items.join("、")])
            .collect();
        d = d.add_table(table(
            &["统计项", "代码", "数量", "图斑（地块）或违法行为编号"],
            &rows,
            &[2000, 2200, 700, 3900],
        ));
    }
    d
}
