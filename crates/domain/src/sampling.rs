//! Sampling (抽查): how many patches to check for a target margin of error,
//! a reproducible stratified random sample (strata: determination × area
//! class), and the stratified estimate of the share of wrong answers with
//! its confidence interval.
//!
//! ```
//! use weipian_domain::sampling::{sample_size, z_for};
//! // 1,000 patches, ±5 % at 95 %: 278 (384 before the finite-population correction).
//! assert_eq!(sample_size(1000, 0.05, z_for(0.95).unwrap()), 278);
//! ```

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// The normal quantile for a two-sided confidence level (0.90, 0.95 or 0.99).
#[must_use]
pub fn z_for(confidence: f64) -> Option<f64> {
    [(0.90, 1.644_853_6), (0.95, 1.959_964), (0.99, 2.575_829_3)]
        .iter()
        .find(|(c, _)| (c - confidence).abs() < 1e-9)
        .map(|(_, z)| *z)
}

/// Patches to check among `population` so that a share (worst case 50 %)
/// is estimated within ±`margin` at quantile `z`, with the finite-population
/// correction; never more than the population.
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
pub fn sample_size(population: usize, margin: f64, z: f64) -> usize {
    if population == 0 || margin <= 0.0 {
        return population;
    }
    let n0 = z * z * 0.25 / (margin * margin);
    let n = n0 / (1.0 + (n0 - 1.0) / population as f64);
    (n.ceil() as usize).clamp(1, population)
}

/// The year's sampling rules.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SamplingPolicy {
    /// Area class bounds in 亩 (ascending): classes are below the first,
    /// between consecutive bounds, and from the last up.
    pub area_classes_mu: Vec<f64>,
    pub default_margin: f64,
    pub default_confidence: f64,
}

impl Default for SamplingPolicy {
    fn default() -> Self {
        Self {
            area_classes_mu: vec![1.0, 10.0, 100.0],
            default_margin: 0.05,
            default_confidence: 0.95,
        }
    }
}

impl SamplingPolicy {
    /// The area class of `m2`, as a label (`<1亩`, `1–10亩`, …).
    #[must_use]
    pub fn area_class(&self, m2: f64) -> String {
        let mu = crate::units::mu(m2);
        let b = &self.area_classes_mu;
        match b.iter().position(|x| mu < *x) {
            Some(0) => format!("<{}亩", b[0]),
            Some(i) => format!("{}–{}亩", b[i - 1], b[i]),
            None => b
                .last()
                .map_or_else(|| "全部".into(), |x| format!("≥{x}亩")),
        }
    }
}

/// A patch of the population, with its stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    /// e.g. `违法 / 1–10亩`.
    pub stratum: String,
}

/// Draw `n` units: allocated to strata in proportion to their size (largest
/// remainders; every stratum gets one when `n` allows), chosen at random
/// within each stratum from `seed`. The same population (in any order),
/// `n` and `seed` give the same sample. Returned sorted by stratum, then id.
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
pub fn draw(population: &[Unit], n: usize, seed: u64) -> Vec<Unit> {
    let mut strata: std::collections::BTreeMap<&str, Vec<i64>> = std::collections::BTreeMap::new();
    for u in population {
        strata.entry(u.stratum.as_str()).or_default().push(u.id);
    }
    for ids in strata.values_mut() {
        ids.sort_unstable();
    }
    let total = population.len();
    let n = n.min(total);
    if n == 0 {
        return Vec::new();
    }
    // Proportional allocation, largest remainders.
    let mut alloc: Vec<(usize, f64)> = strata
        .values()
        .map(|ids| {
            let exact = n as f64 * ids.len() as f64 / total as f64;
            (exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    if n >= strata.len() {
        for (k, _) in &mut alloc {
            *k = (*k).max(1);
        }
    }
    let mut given: usize = alloc.iter().map(|(k, _)| k).sum();
    let mut order: Vec<usize> = (0..alloc.len()).collect();
    order.sort_by(|&a, &b| alloc[b].1.total_cmp(&alloc[a].1).then(a.cmp(&b)));
    let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
    let mut i = 0;
    while given < n && i < order.len() * 2 {
        let s = order[i % order.len()];
        if alloc[s].0 < sizes[s] {
            alloc[s].0 += 1;
            given += 1;
        }
        i += 1;
    }
    // Too many (the one-per-stratum floor): take back from the largest.
    while given > n {
        let Some(s) = (0..alloc.len())
            .filter(|&s| alloc[s].0 > 1)
            .max_by_key(|&s| (alloc[s].0, std::cmp::Reverse(s)))
        else {
            break;
        };
        alloc[s].0 -= 1;
        given -= 1;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    for ((name, ids), (k, _)) in strata.iter().zip(&alloc) {
        let mut pick = ids.clone();
        pick.shuffle(&mut rng);
        pick.truncate(*k);
        pick.sort_unstable();
        out.extend(pick.into_iter().map(|id| Unit {
            id,
            stratum: (*name).to_string(),
        }));
    }
    out
}

/// One stratum's figures for the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StratumResult {
    /// Patches in the stratum (population).
    pub size: usize,
    /// Sampled patches checked.
    pub checked: usize,
    /// Of which answered wrongly.
    pub wrong: usize,
}

/// The estimated share of wrong answers in the population and its
/// confidence interval (clamped to [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub share: f64,
    pub low: f64,
    pub high: f64,
    pub checked: usize,
    pub wrong: usize,
}

/// The stratified estimate: Σ W_h p_h with variance
/// Σ W_h² (1 − n_h/N_h) p_h(1 − p_h)/(n_h − 1), normal interval at `z`.
/// Strata not checked at all are left out of the weights.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn estimate(strata: &[StratumResult], z: f64) -> Estimate {
    let covered: usize = strata
        .iter()
        .filter(|s| s.checked > 0)
        .map(|s| s.size)
        .sum();
    let (mut share, mut var) = (0.0, 0.0);
    for s in strata.iter().filter(|s| s.checked > 0) {
        let w = s.size as f64 / covered.max(1) as f64;
        let p = s.wrong as f64 / s.checked as f64;
        share += w * p;
        if s.checked > 1 {
            let fpc = 1.0 - s.checked as f64 / s.size.max(1) as f64;
            var += w * w * fpc.max(0.0) * p * (1.0 - p) / (s.checked - 1) as f64;
        }
    }
    let half = z * var.sqrt();
    Estimate {
        share,
        low: (share - half).max(0.0),
        high: (share + half).min(1.0),
        checked: strata.iter().map(|s| s.checked).sum(),
        wrong: strata.iter().map(|s| s.wrong).sum(),
    }
}

/// Cross-check assignment (交叉检查): each county checks another's sample,
/// never its own — a seeded shuffle of the counties, each checking the
/// next one's. `None` with fewer than two counties.
#[must_use]
pub fn cross_assignment(counties: &[String], seed: u64) -> Option<Vec<(String, String)>> {
    let mut c: Vec<String> = counties.to_vec();
    c.sort();
    c.dedup();
    if c.len() < 2 {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    c.shuffle(&mut rng);
    // (checked county, checking county)
    Some(
        (0..c.len())
            .map(|i| (c[i].clone(), c[(i + 1) % c.len()].clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop() -> Vec<Unit> {
        let mut v = Vec::new();
        for i in 0..600 {
            v.push(Unit {
                id: i,
                stratum: "合法 / <1亩".into(),
            });
        }
        for i in 600..900 {
            v.push(Unit {
                id: i,
                stratum: "违法 / 1–10亩".into(),
            });
        }
        for i in 900..910 {
            v.push(Unit {
                id: i,
                stratum: "其他 / ≥100亩".into(),
            });
        }
        v
    }

    #[test]
    fn sizes_follow_the_textbook_formula() {
        let z = z_for(0.95).unwrap();
        assert_eq!(sample_size(1000, 0.05, z), 278);
        // An infinite population needs 385 (384.16 rounded up).
        assert_eq!(sample_size(100_000_000, 0.05, z), 385);
        assert_eq!(sample_size(10, 0.05, z), 10);
        assert_eq!(sample_size(0, 0.05, z), 0);
        assert!(z_for(0.5).is_none());
    }

    #[test]
    fn a_draw_is_reproducible_proportional_and_reaches_every_stratum() {
        let p = pop();
        let a = draw(&p, 91, 7);
        let mut shuffled = p.clone();
        shuffled.reverse();
        assert_eq!(a, draw(&shuffled, 91, 7));
        assert_ne!(a, draw(&p, 91, 8));
        assert_eq!(a.len(), 91);
        let count = |s: &str| a.iter().filter(|u| u.stratum == s).count();
        // 600/910 × 91 = 60, 300/910 × 91 = 30, 10/910 × 91 = 1.
        assert_eq!(
            (
                count("合法 / <1亩"),
                count("违法 / 1–10亩"),
                count("其他 / ≥100亩")
            ),
            (60, 30, 1)
        );
        // No duplicates.
        let mut ids: Vec<i64> = a.iter().map(|u| u.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 91);
        // Asking for more than there is gives everything.
        assert_eq!(draw(&p, 5000, 1).len(), 910);
    }

    #[test]
    fn the_estimate_matches_a_case_worked_by_hand() {
        // Two strata: N = 600 and 400; 50 and 40 checked; 5 and 8 wrong.
        // share = 0.6·0.1 + 0.4·0.2 = 0.14
        // var = 0.36·(1−50/600)·0.09/49 + 0.16·(1−40/400)·0.16/39
        //     = 0.36·0.916667·0.0018367 + 0.16·0.9·0.0041026
        //     = 0.00060612 + 0.00059077 = 0.00119689; se = 0.034596
        // 95 %: 0.14 ± 0.067807 → [0.072193, 0.207807]
        let e = estimate(
            &[
                StratumResult {
                    size: 600,
                    checked: 50,
                    wrong: 5,
                },
                StratumResult {
                    size: 400,
                    checked: 40,
                    wrong: 8,
                },
            ],
            z_for(0.95).unwrap(),
        );
        assert!((e.share - 0.14).abs() < 1e-12);
        assert!((e.low - 0.072_193).abs() < 1e-5, "{e:?}");
        assert!((e.high - 0.207_807).abs() < 1e-5, "{e:?}");
        assert_eq!((e.checked, e.wrong), (90, 13));
        // Everything checked: no sampling error left.
        let all = estimate(
            &[StratumResult {
                size: 20,
                checked: 20,
                wrong: 3,
            }],
            1.96,
        );
        assert_eq!((all.low, all.high), (0.15, 0.15));
    }

    #[test]
    fn nobody_checks_their_own_county() {
        let c: Vec<String> = ["510104", "510105", "510106", "510107"]
            .iter()
            .map(ToString::to_string)
            .collect();
        let a = cross_assignment(&c, 3).unwrap();
        assert_eq!(a.len(), 4);
        assert!(a.iter().all(|(checked, by)| checked != by));
        let checkers: std::collections::BTreeSet<&String> = a.iter().map(|(_, b)| b).collect();
        assert_eq!(checkers.len(), 4, "everyone checks exactly one other");
        assert_eq!(a, cross_assignment(&c, 3).unwrap());
        assert!(cross_assignment(&c[..1], 3).is_none());
    }

    #[test]
    fn area_classes_read_as_labels() {
        let p = SamplingPolicy::default();
        assert_eq!(p.area_class(100.0), "<1亩");
        assert_eq!(p.area_class(2000.0), "1–10亩");
        assert_eq!(p.area_class(70_000.0), "≥100亩");
    }
}
