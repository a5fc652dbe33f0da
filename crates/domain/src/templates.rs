//! The year's report templates (`data/reports/YEAR.toml`), embedded at
//! build time. The text is parsed by the reports crate; this module only
//! picks the file in force for a year: the latest one not after it, so a
//! year without its own file keeps the previous year's wording.

include!(concat!(env!("OUT_DIR"), "/report_templates.rs"));

/// The template file in force for `year`: (the file's year, its TOML text).
///
/// ```
/// let (year, text) = weipian_domain::templates::in_force(2021).unwrap();
/// assert_eq!(year, 2020);
/// assert!(text.contains("[quick]"));
/// assert!(weipian_domain::templates::in_force(2019).is_none());
/// ```
#[must_use]
pub fn in_force(year: u16) -> Option<(u16, &'static str)> {
    EMBEDDED_REPORT_TEMPLATES
        .iter()
        .rev()
        .find(|(y, _)| *y <= year)
        .copied()
}
