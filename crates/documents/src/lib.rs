//! Report documents: a filled [`QuickDoc`] (and its per-region
//! [`QuickTable`]) written out as Markdown, HTML, a 公文-style .docx, or an
//! .xlsx workbook. Everything here turns structures into bytes; nothing
//! touches files (the CLI writes them atomically, the server streams them).
//!
//! ```
//! use weipian_reports::quick::{figures, render, Subject, Template};
//! let doc = render(
//!     &Template::embedded(2020).unwrap(),
//!     &Subject::new("四川省", "四川省", 2020, 1, time::macros::date!(2020 - 04 - 30)),
//!     &figures(&[], &[]),
//! );
//! let md = weipian_documents::markdown(&doc, false);
//! assert!(md.starts_with("# 四川省第一季度卫片执法工作情况快报"));
//! ```

mod accountability;
mod docx;
mod html;
mod markdown;
mod results;
mod xlsx;

pub use accountability::{
    accountability_xlsx, blacklist_xlsx, interview_docx, proposal_docx, signal_rows,
    AccountabilityInput,
};
pub use docx::docx;
pub use html::html;
pub use markdown::markdown;
pub use results::{results, results_docx, results_xlsx, RegionFigures};
pub use xlsx::xlsx;

use weipian_reports::quick::{QuickDoc, QuickTable};

/// A document that could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("生成 Word 文档失败：{0}")]
    Docx(String),
    #[error("生成 Excel 工作簿失败：{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("报表模板：{0}")]
    Template(String),
}

/// The formats a report comes out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Docx,
    Xlsx,
}

impl Format {
    /// `md`, `html`, `docx`, `xlsx`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "docx" => Some(Format::Docx),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
        }
    }

    #[must_use]
    pub fn mime(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The quick report in `format`; `table` holds the sub-regions' figures
/// (the workbook's sheets); `explain` appends the patches or cases behind
/// every figure.
pub fn quick(
    doc: &QuickDoc,
    table: &QuickTable,
    format: Format,
    explain: bool,
) -> Result<Vec<u8>, DocumentError> {
    Ok(match format {
        Format::Markdown => markdown(doc, explain).into_bytes(),
        Format::Html => html(doc, explain).into_bytes(),
        Format::Docx => docx(doc, explain)?,
        Format::Xlsx => xlsx(doc, table, explain)?,
    })
}

/// The stats behind a document's blanks, each once, with their members:
/// (stat code, stat name, members) — for the explanation appendices.
fn sources(doc: &QuickDoc) -> Vec<(String, String, &[String])> {
    let mut out: Vec<(String, String, &[String])> = Vec::new();
    for b in &doc.blanks {
        for (stat, items) in [(Some(b.stat), &b.items), (b.of, &b.of_items)] {
            let Some(stat) = stat else { continue };
            let code = stat.code();
            if !out.iter().any(|(c, _, _)| *c == code) {
                out.push((code, stat.name_zh(), items.as_slice()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
