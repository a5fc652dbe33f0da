//! Does a set of parts partition a patch? (地块拆分: a county splits a patch
//! into parts judged separately; the parts must cover the patch exactly —
//! no gaps, no overlaps, nothing outside.)
//!
//! Every figure is an exact overlay area ([`crate::overlay`]), so the check
//! needs no snapping and no tolerance of its own: the caller decides what
//! is small enough (the year's policy), and sees every figure.

use geo_types::MultiPolygon;
use weipian_geo::area::ellipsoidal_area;

use crate::{overlay, LayerIndex, OverlayError};

/// How a set of parts relates to the whole they should partition. Areas in m².
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Partition {
    /// Official area of the whole.
    pub whole_area: f64,
    /// Official area of each part, in input order.
    pub part_areas: Vec<f64>,
    /// Area of each part lying outside the whole, in input order.
    pub outside: Vec<f64>,
    /// `(i, j, area)` for every pair of parts (i < j) overlapping with
    /// more than [`crate::AREA_EPSILON_M2`].
    pub overlaps: Vec<(usize, usize, f64)>,
    /// Area of the whole covered by no part.
    pub gap: f64,
}

impl Partition {
    /// Whether every outside area, overlap and the gap are at most `tolerance_m2`.
    #[must_use]
    pub fn is_partition(&self, tolerance_m2: f64) -> bool {
        self.gap <= tolerance_m2
            && self.outside.iter().all(|a| *a <= tolerance_m2)
            && self.overlaps.iter().all(|(_, _, a)| *a <= tolerance_m2)
    }
}

/// Compare `parts` with `whole` (all in EPSG:4490, x = longitude).
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use weipian_overlay::partition::check_partition;
/// let rect = |x0: f64, x1: f64| MultiPolygon(vec![polygon![
///     (x: x0, y: 30.0), (x: x1, y: 30.0), (x: x1, y: 30.001), (x: x0, y: 30.001)]]);
/// let whole = rect(104.0, 104.002);
/// // Two halves: a partition.
/// let p = check_partition(&whole, &[rect(104.0, 104.001), rect(104.001, 104.002)]).unwrap();
/// assert!(p.is_partition(0.01));
/// // A part reaching past the whole, and a gap.
/// let p = check_partition(&whole, &[rect(104.0, 104.0005), rect(104.001, 104.003)]).unwrap();
/// assert!(p.gap > 4000.0 && p.outside[1] > 9000.0);
/// assert!(!p.is_partition(0.01));
/// ```
///
/// # Errors
///
/// As for [`overlay`] (invalid or non-finite geometry).
pub fn check_partition(
    whole: &MultiPolygon<f64>,
    parts: &[MultiPolygon<f64>],
) -> Result<Partition, OverlayError> {
    let whole_index = LayerIndex::new(vec![(whole.clone(), 0)]);
    // Class = part number; more parts than classes cannot be told apart,
    // but features are reported by index anyway.
    let parts_index = LayerIndex::new(
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), u16::try_from(i).unwrap_or(u16::MAX)))
            .collect(),
    );
    let mut out = Partition {
        whole_area: ellipsoidal_area(whole),
        ..Partition::default()
    };
    for (i, part) in parts.iter().enumerate() {
        let area = ellipsoidal_area(part);
        let inside = overlay(part, &whole_index)?.area_m2;
        out.part_areas.push(area);
        out.outside.push((area - inside).max(0.0));
        let o = overlay(part, &parts_index)?;
        for (&j, &a) in o.features.iter().zip(&o.feature_areas) {
            if j > i {
                out.overlaps.push((i, j, a));
            }
        }
    }
    let covered = overlay(whole, &parts_index)?.area_m2;
    out.gap = (out.whole_area - covered).max(0.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn rect(x0: f64, x1: f64, y0: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)
        ]])
    }

    #[test]
    fn halves_partition_and_their_areas_add_up() {
        let whole = rect(104.0, 104.002, 30.0, 30.001);
        let parts = [
            rect(104.0, 104.001, 30.0, 30.001),
            rect(104.001, 104.002, 30.0, 30.001),
        ];
        let p = check_partition(&whole, &parts).unwrap();
        assert!(p.is_partition(1e-6), "{p:?}");
        assert!(p.overlaps.is_empty());
        let sum: f64 = p.part_areas.iter().sum();
        assert!(
            (sum - p.whole_area).abs() < 0.01,
            "{sum} vs {}",
            p.whole_area
        );
    }

    #[test]
    fn an_l_shaped_split_with_a_hole_in_the_whole() {
        // The whole has a hole; the parts are cut around it.
        let whole = MultiPolygon(vec![polygon![
            exterior: [(x: 104.0, y: 30.0), (x: 104.002, y: 30.0), (x: 104.002, y: 30.002), (x: 104.0, y: 30.002)],
            interiors: [[(x: 104.0005, y: 30.0005), (x: 104.0015, y: 30.0005), (x: 104.0015, y: 30.0015), (x: 104.0005, y: 30.0015)]],
        ]]);
        let left = MultiPolygon(vec![polygon![
            (x: 104.0, y: 30.0), (x: 104.001, y: 30.0), (x: 104.001, y: 30.0005),
            (x: 104.0005, y: 30.0005), (x: 104.0005, y: 30.0015), (x: 104.001, y: 30.0015),
            (x: 104.001, y: 30.002), (x: 104.0, y: 30.002)
        ]]);
        let right = MultiPolygon(vec![polygon![
            (x: 104.001, y: 30.0), (x: 104.002, y: 30.0), (x: 104.002, y: 30.002),
            (x: 104.001, y: 30.002), (x: 104.001, y: 30.0015), (x: 104.0015, y: 30.0015),
            (x: 104.0015, y: 30.0005), (x: 104.001, y: 30.0005)
        ]]);
        let p = check_partition(&whole, &[left.clone(), right]).unwrap();
        assert!(p.is_partition(1e-6), "{p:?}");
        // A part that fills the hole is outside the whole.
        let filled = rect(104.0, 104.001, 30.0, 30.002);
        let p = check_partition(&whole, &[filled, left]).unwrap();
        assert!(p.outside[0] > 1000.0, "{p:?}");
        assert!(!p.overlaps.is_empty());
    }

    #[test]
    fn overlaps_gaps_and_outside_are_measured() {
        let whole = rect(104.0, 104.002, 30.0, 30.001);
        let a = rect(104.0, 104.0012, 30.0, 30.001); // overlaps b by 0.0002°
        let b = rect(104.001, 104.0018, 30.0, 30.001); // leaves a gap of 0.0002°
        let c = rect(104.0019, 104.0021, 30.0, 30.001); // half outside
        let p = check_partition(&whole, &[a, b, c]).unwrap();
        let tenth = p.whole_area / 10.0; // 0.0002° of 0.002°
        assert_eq!(p.overlaps.len(), 1);
        assert_eq!((p.overlaps[0].0, p.overlaps[0].1), (0, 1));
        assert!((p.overlaps[0].2 - tenth).abs() < 0.01 * tenth, "{p:?}");
        assert!((p.gap - tenth / 2.0).abs() < 0.01 * tenth, "{p:?}");
        assert!((p.outside[2] - tenth / 2.0).abs() < 0.01 * tenth, "{p:?}");
        assert!(p.outside[0] < 1e-6 && p.outside[1] < 1e-6);
        assert!(!p.is_partition(1.0));
    }
}
