//! HTML: one self-contained page (no script, one style sheet in the
//! head) set like the printed report; every filled blank carries its
//! meaning in a tooltip and its placeholder in `data-expr`.

use weipian_reports::quick::{QuickDoc, Span, Style};

const STYLE: &str = "body{max-width:42em;margin:2em auto;font-family:FangSong,\"仿宋\",\"仿宋_GB2312\",serif;font-size:16pt;line-height:1.8}\
h1{font-family:SimSun,\"宋体\",serif;text-align:center;font-size:22pt;line-height:1.4}\
h2{font-family:SimHei,\"黑体\",sans-serif;font-size:16pt;font-weight:normal;margin:0;text-indent:2em}\
h3{font-family:KaiTi,\"楷体\",serif;font-size:16pt;font-weight:normal;margin:0;text-indent:2em}\
p{margin:0;text-indent:2em}p.closing{text-align:right}\
.blank{text-decoration:underline}\
table{border-collapse:collapse;font-size:11pt;margin-top:2em}td,th{border:1px solid #999;padding:2px 6px;vertical-align:top}";

/// The report as an HTML page; `explain` appends 附：数据来源.
#[must_use]
pub fn html(doc: &QuickDoc, explain: bool) -> String {
    let title = escape(&doc.title());
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>"
    );
    let titles: Vec<String> = doc
        .paragraphs
        .iter()
        .filter(|p| p.style == Style::Title)
        .map(|p| escape(&doc.paragraph_text(p)))
        .collect();
    out.push_str(&titles.join("<br>"));
    out.push_str("</h1>\n");
    for p in doc.paragraphs.iter().filter(|p| p.style != Style::Title) {
        let mut inner = String::new();
        for s in &p.spans {
            match s {
                Span::Text { text } => inner.push_str(&escape(text)),
                Span::Blank { blank } => {
                    let b = &doc.blanks[*blank];
                    inner.push_str(&format!(
                        "<span class=\"blank\" title=\"{}\" data-expr=\"{}\">{}</span>",
                        escape(&b.label),
                        escape(&b.expr),
                        escape(&b.text)
                    ));
                }
            }
        }
        let (open, close) = match p.style {
            Style::Heading1 => ("<h2>", "</h2>"),
            Style::Heading2 => ("<h3>", "</h3>"),
            Style::Closing => ("<p class=\"closing\">", "</p>"),
            Style::Body | Style::Title => ("<p>", "</p>"),
        };
        out.push_str(&format!("{open}{inner}{close}\n"));
    }
    if explain {
        out.push_str("<h2>附：数据来源</h2>\n<table>\n<tr><th>统计项</th><th>代码</th><th>数量</th><th>图斑（地块）或违法行为编号</th></tr>\n");
        for (code, name, items) in super::sources(doc) {
            out.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                escape(&name),
                escape(&code),
                items.len(),
                items
                    .iter()
                    .map(|s| escape(s))
                    .collect::<Vec<_>>()
                    .join("、")
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
