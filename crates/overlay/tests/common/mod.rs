#![allow(dead_code)]

pub mod gen;
pub mod oracle;

use geo_types::MultiPolygon;
use weipian_overlay::{overlay, LayerIndex, Overlap, AREA_EPSILON_M2};

/// Tolerance against the oracle: 1e-6 relative, with a floor for the
/// oracle's own fixed-point noise on tiny pieces.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0) + 1e-4
}

/// Overlays `patch` with a layer of `feats` and checks every figure against
/// the oracle; returns our result.
pub fn check(patch: &MultiPolygon<f64>, feats: &[(MultiPolygon<f64>, u16)]) -> Overlap {
    let layer = LayerIndex::new(feats.to_vec());
    let got = overlay(patch, &layer).expect("overlay");
    let refs: Vec<(usize, &MultiPolygon<f64>, u16)> = feats
        .iter()
        .enumerate()
        .map(|(i, (m, c))| (i, m, *c))
        .collect();
    let want = oracle::oracle(patch, &refs, AREA_EPSILON_M2);
    assert!(
        close(got.area_m2, want.area_m2),
        "area {} vs oracle {}",
        got.area_m2,
        want.area_m2
    );
    for (c, a) in &want.by_class {
        assert!(
            close(got.class_area(*c), *a),
            "class {c}: {} vs oracle {a}",
            got.class_area(*c)
        );
    }
    for (c, a) in &got.by_class {
        let w = want
            .by_class
            .iter()
            .find(|k| k.0 == *c)
            .map_or(0.0, |k| k.1);
        assert!(close(*a, w), "class {c}: {a} vs oracle {w}");
    }
    // Feature lists agree except for pieces within noise of the threshold.
    let borderline = |a: f64| (a - AREA_EPSILON_M2).abs() < 1e-4;
    for (i, a) in &want.features {
        match got.features.iter().position(|f| f == i) {
            Some(k) => assert!(
                close(got.feature_areas[k], *a),
                "feature {i}: {} vs oracle {a}",
                got.feature_areas[k]
            ),
            None => assert!(borderline(*a), "feature {i} ({a} m²) missing"),
        }
    }
    for (k, i) in got.features.iter().enumerate() {
        if !want.features.iter().any(|f| f.0 == *i) {
            assert!(
                borderline(got.feature_areas[k]),
                "feature {i} ({} m²) not in oracle",
                got.feature_areas[k]
            );
        }
    }
    assert!(got.features.windows(2).all(|w| w[0] < w[1]));
    got
}
