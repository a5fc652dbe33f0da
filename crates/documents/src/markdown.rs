//! Markdown: the title as a heading, headings as headings, each paragraph
//! as printed; blanks in bold so a reader sees what the system filled.

use weipian_reports::quick::{QuickDoc, Span, Style};

/// The report as Markdown; `explain` appends 附：数据来源.
#[must_use]
pub fn markdown(doc: &QuickDoc, explain: bool) -> String {
    let mut out = format!("# {}\n\n", doc.title());
    for p in doc.paragraphs.iter().filter(|p| p.style != Style::Title) {
        let mut line = String::new();
        for s in &p.spans {
            match s {
                Span::Text { text } => line.push_str(&escape(text)),
                Span::Blank { blank } => {
                    line.push_str("**");
                    line.push_str(&doc.blanks[*blank].text);
                    line.push_str("**");
                }
            }
        }
        match p.style {
            Style::Heading1 => out.push_str(&format!("## {line}\n\n")),
            Style::Heading2 => out.push_str(&format!("### {line}\n\n")),
            Style::Closing => out.push_str(&format!("<p align=\"right\">{line}</p>\n\n")),
            Style::Body | Style::Title => out.push_str(&format!("{line}\n\n")),
        }
    }
    if explain {
        out.push_str("## 附：数据来源\n\n| 统计项 | 代码 | 数量 | 图斑（地块）或违法行为编号 |\n|---|---|---|---|\n");
        for (code, name, items) in super::sources(doc) {
            out.push_str(&format!(
                "| {} | `{code}` | {} | {} |\n",
                escape(&name),
                items.len(),
                items
                    .iter()
                    .map(|s| escape(s))
                    .collect::<Vec<_>>()
                    .join("、")
            ));
        }
    }
    out
}

/// Markdown's active characters in text taken from data.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '|' | '[' | ']' | '<' | '>' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
