//! Plain-text tables whose columns line up with Chinese text: a CJK
//! character takes two terminal columns, so padding counts display width.

use unicode_width::UnicodeWidthStr;

/// One cell padded to `width` terminal columns (left-aligned text).
pub fn left(s: &str, width: usize) -> String {
    let w = s.width();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// One cell padded to `width` terminal columns (right-aligned, for numbers).
pub fn right(s: &str, width: usize) -> String {
    let w = s.width();
    format!("{}{s}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_counts_two_columns() {
        assert_eq!(left("耕地", 6), "耕地  ");
        assert_eq!(right("12", 4), "  12");
        assert_eq!(
            left("长江/黄河沿线生态敏感区", 4),
            "长江/黄河沿线生态敏感区"
        );
    }
}
