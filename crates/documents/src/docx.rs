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

/// The report as a .docx; `explain` appends 附：数据来源 as a table.
pub fn docx(doc: &QuickDoc, explain: bool) -> Result<Vec<u8>, DocumentError> {
    let (top, bottom, left, right) = MARGINS;
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run("— ", "宋体", SIZE_4))
            .add_page_num(PageNum::new())
            .add_run(run(" —", "宋体", SIZE_4)),
    );
    let mut d = Docx::new()
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
        .footer(footer);
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
        let cell = |text: &str| {
            TableCell::new().add_paragraph(Paragraph::new().add_run(run(text, "宋体", SIZE_5)))
        };
        let mut rows = vec![TableRow::new(vec![
            cell("统计项"),
            cell("代码"),
            cell("数量"),
            cell("图斑（地块）或违法行为编号"),
        ])];
        for (code, name, items) in super::sources(doc) {
            rows.push(TableRow::new(vec![
                cell(&name),
                cell(&code),
                cell(&items.len().to_string()),
                cell(&items.join("、")),
            ]));
        }
        d = d.add_table(
            Table::new(rows)
                .set_grid(vec![2000, 2200, 700, 3900])
                .width(8800, WidthType::Dxa),
        );
    }
    let mut out = std::io::Cursor::new(Vec::new());
    d.pack(&mut out)
        .map_err(|e| DocumentError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}
