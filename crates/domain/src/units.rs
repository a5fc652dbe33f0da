//! Area units. Areas are stored in m², unrounded; these helpers convert and
//! round **only for display** (公顷 with 4 decimals, 亩 with 2).

/// Square metres per 公顷 (hectare).
pub const M2_PER_HECTARE: f64 = 10_000.0;
/// Square metres per 亩: 1 公顷 = 15 亩 exactly, so 1 亩 = 10 000 / 15 m².
pub const M2_PER_MU: f64 = 10_000.0 / 15.0;

/// m² → 公顷, unrounded.
#[must_use]
pub fn hectares(m2: f64) -> f64 {
    m2 / M2_PER_HECTARE
}

/// m² → 亩, unrounded.
#[must_use]
pub fn mu(m2: f64) -> f64 {
    m2 / M2_PER_MU
}

/// 公顷 for display, 4 decimals: `format_hectares(12_345.0) == "1.2345"`.
#[must_use]
pub fn format_hectares(m2: f64) -> String {
    format!("{:.4}", hectares(m2))
}

/// 亩 for display, 2 decimals: `format_mu(666.666_666_7) == "1.00"`.
#[must_use]
pub fn format_mu(m2: f64) -> String {
    format!("{:.2}", mu(m2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hectare_is_fifteen_mu() {
        assert!((mu(M2_PER_HECTARE) - 15.0).abs() < 1e-12);
        assert_eq!(format_hectares(12_345.0), "1.2345");
        assert_eq!(format_mu(10_000.0), "15.00");
        assert_eq!(format_mu(666.67), "1.00");
    }
}
