//! Plain tables (no geometry) from `.xlsx` or `.csv`: what counties fill in
//! by hand and upload (表格回填). The first sheet / the file; the first
//! non-empty row is the header. CSV text is UTF-8 (with or without BOM) or,
//! if it is not valid UTF-8, GBK decoded strictly (never mojibake).

use std::path::Path;

use crate::{FormatError, Problem, ReadOptions};

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

impl Cell {
    /// The text of a cell, trimmed (`None` when empty). Numbers print as
    /// Rust prints them (shortest round-trip).
    #[must_use]
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
            Cell::Number(n) => Some(n.to_string()),
        }
    }
}

/// A table read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    /// (row number in the file, 1-based as a spreadsheet shows it; cells
    /// aligned with `headers`).
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// Read an `.xlsx` or `.csv` table.
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table, FormatError> {
    let ferr = |p: Problem| FormatError::file(path, p);
    let meta = std::fs::metadata(path).map_err(|e| ferr(Problem::Io(e)))?;
    options.check_size(path, meta.len())?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let grid: Vec<(usize, Vec<Cell>)> = match ext.as_str() {
        "xlsx" => read_xlsx(path).map_err(ferr)?,
        "csv" => read_csv(path).map_err(ferr)?,
        _ => {
            return Err(ferr(Problem::Unsupported(
                "表格只支持 .xlsx 或 .csv 文件".into(),
            )))
        }
    };
    let mut rows = grid
        .into_iter()
        .filter(|(_, r)| r.iter().any(|c| *c != Cell::Empty));
    let Some((_, header)) = rows.next() else {
        return Err(ferr(Problem::Invalid("表格是空的".into())));
    };
    let headers: Vec<String> = header
        .iter()
        .map(|c| c.text().unwrap_or_default())
        .collect();
    let rows = rows
        .map(|(n, mut r)| {
            r.resize(headers.len(), Cell::Empty);
            (n, r)
        })
        .collect();
    Ok(Table { headers, rows })
}

/// Write a table as CSV: UTF-8 with a BOM (so Excel opens Chinese text
/// right), fields quoted where needed, written to a temporary file and
/// renamed into place. [`read_table`] reads it back unchanged.
pub fn write_csv(path: &Path, headers: &[String], rows: &[Vec<String>]) -> Result<(), FormatError> {
    let ferr = |p: Problem| FormatError::file(path, p);
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().from_writer(&mut out);
        w.write_record(headers)
            .map_err(|e| ferr(Problem::Invalid(e.to_string())))?;
        for r in rows {
            w.write_record(r)
                .map_err(|e| ferr(Problem::Invalid(e.to_string())))?;
        }
        w.flush().map_err(|e| ferr(Problem::Io(e)))?;
    }
    crate::xlsx::write_atomically(path, &out).map_err(ferr)
}

/// Most bytes an uploaded workbook may inflate to (its XML parts).
pub const MAX_XLSX_INFLATED: u64 = 256 << 20;

fn read_xlsx(path: &Path) -> Result<Vec<(usize, Vec<Cell>)>, Problem> {
    use calamine::{Data, Reader};
    // An .xlsx is a zip: check what it inflates to before calamine does.
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    crate::zipin::check_inflation(std::io::BufReader::new(file), len, MAX_XLSX_INFLATED)?;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path)
        .map_err(|e| Problem::Corrupt(format!("不是有效的 xlsx 文件（{e}）")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| Problem::Invalid("工作簿中没有工作表".into()))?
        .map_err(|e| Problem::Corrupt(format!("无法读取第一个工作表（{e}）")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut out = Vec::new();
    for (k, row) in range.rows().enumerate() {
        let mut cells = vec![Cell::Empty; col0 as usize];
        cells.extend(row.iter().map(|d| match d {
            Data::Empty => Cell::Empty,
            Data::String(s) => Cell::Text(s.clone()),
            Data::Float(f) => Cell::Number(*f),
            #[allow(clippy::cast_precision_loss)]
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.into()),
            Data::DateTime(d) => {
                excel_date(d.as_f64()).map_or(Cell::Number(d.as_f64()), Cell::Text)
            }
            Data::DateTimeIso(s) | Data::DurationIso(s) => {
                Cell::Text(s.get(..10).unwrap_or(s).to_string())
            }
            Data::Error(e) => Cell::Text(format!("#{e:?}")),
        }));
        out.push((row0 as usize + k + 1, cells));
    }
    Ok(out)
}

/// An Excel serial date (1900 system) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    #[allow(clippy::cast_possible_truncation)]
    let d = epoch.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

fn read_csv(path: &Path) -> Result<Vec<(usize, Vec<Cell>)>, Problem> {
    let bytes = std::fs::read(path)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = match std::str::from_utf8(body) {
        Ok(t) => t.to_string(),
        Err(_) => {
            let (t, had_errors) = encoding_rs::GBK.decode_without_bom_handling(body);
            if had_errors {
                return Err(Problem::Encoding("CSV 既不是 UTF-8 也不是 GBK".into()));
            }
            t.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| Problem::Corrupt(format!("CSV 格式错误（{e}）")))?;
        // The record's first line: skip the blank lines the reader passed over.
        let line = rec.position().map_or(out.len() + 1, |p| {
            let at = usize::try_from(p.byte()).unwrap_or(0).min(text.len());
            let start = text[at..]
                .find(|c| c != '\r' && c != '\n')
                .map_or(at, |k| at + k);
            text.as_bytes()[..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1
        });
        out.push((
            line,
            rec.iter()
                .map(|f| {
                    if f.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(f.to_string())
                    }
                })
                .collect(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_utf8_with_bom_and_in_gbk_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let text =
            "监测编号,判定类型,违法面积（亩）\n510104TD200001,违法,1.5\n\n510104TD200002,合法,\n";
        let utf8 = dir.path().join("a.csv");
        std::fs::write(
            &utf8,
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        )
        .unwrap();
        let gbk = dir.path().join("b.csv");
        std::fs::write(&gbk, encoding_rs::GBK.encode(text).0).unwrap();
        let a = read_table(&utf8, &ReadOptions::default()).unwrap();
        let b = read_table(&gbk, &ReadOptions::default()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.headers, vec!["监测编号", "判定类型", "违法面积（亩）"]);
        assert_eq!(a.rows.len(), 2);
        assert_eq!(a.rows[1].0, 4); // the blank line is skipped, numbering kept
        assert_eq!(a.rows[1].1[2], Cell::Empty);
        let bad = dir.path().join("c.txt");
        std::fs::write(&bad, "x").unwrap();
        assert!(read_table(&bad, &ReadOptions::default()).is_err());
    }

    #[test]
    fn a_workbook_that_inflates_like_a_bomb_is_refused_before_parsing() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.xlsx");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        z.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(&vec![b' '; 8 << 20]).unwrap(); // 8 MiB of blanks: ~1000:1
        z.finish().unwrap();
        let err = read_table(&path, &ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("压缩炸弹"), "{err}");
    }

    #[test]
    fn written_csv_reads_back_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let headers = vec!["监测编号".to_string(), "说明".to_string()];
        let rows = vec![
            vec![
                "510104TD200001".to_string(),
                "含,逗号与\"引号\"\n和换行".to_string(),
            ],
            vec!["510104TD200002".to_string(), String::new()],
        ];
        write_csv(&path, &headers, &rows).unwrap();
        let t = read_table(&path, &ReadOptions::default()).unwrap();
        assert_eq!(t.headers, headers);
        assert_eq!(t.rows[0].1[1], Cell::Text(rows[0][1].clone()));
        assert_eq!(t.rows[1].1[1], Cell::Empty);
    }

    #[test]
    fn excel_serial_dates_become_iso_dates() {
        assert_eq!(excel_date(43_922.0).as_deref(), Some("2020-04-01"));
        assert_eq!(excel_date(-5.0), None);
    }
}
