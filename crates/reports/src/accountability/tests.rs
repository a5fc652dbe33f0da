//! Each deduction category, the annual rule, the exception, both
//! thresholds and their boundaries, on parts stated in 亩.

use super::*;
use crate::{PartCase, StatedAreas};
use time::macros::date;
use time::Date;
use weipian_domain::case::RectificationKind::{self, *};

fn m2(mu: f64) -> f64 {
    mu * M2_PER_MU
}

struct Part {
    label: &'static str,
    legality: Legality,
    /// Illegal cultivated, new-construction cultivated (亩).
    gd: f64,
    new_gd: f64,
    claims: &'static [&'static str],
    eliminated_on: Option<Date>,
    rect: &'static [(RectificationKind, Date)],
}

fn illegal(label: &'static str, gd: f64, claims: &'static [&'static str]) -> Part {
    Part {
        label,
        legality: Legality::Illegal,
        gd,
        new_gd: gd,
        claims,
        eliminated_on: None,
        rect: &[],
    }
}

fn patch(county: &str, p: Part) -> PatchFact {
    let case = (p.eliminated_on.is_some() || !p.rect.is_empty()).then(|| PartCase {
        number: format!("案-{}", p.label),
        eliminated_on: p.eliminated_on,
        rectifications: p.rect.to_vec(),
    });
    PatchFact {
        jcbh: p.label.into(),
        county: RegionCode::parse(county).unwrap(),
        kind: PatchKind::Land,
        area_m2: m2(2.0 * p.gd.max(p.new_gd)),
        gd_m2: m2(p.gd),
        jbnt_m2: 0.0,
        parts: vec![PartFact {
            label: p.label.into(),
            legality: Some(p.legality),
            complete: true,
            area_m2: m2(2.0 * p.gd.max(p.new_gd)),
            gd_m2: m2(p.gd),
            jbnt_m2: 0.0,
            stated: StatedAreas {
                illegal_m2: if p.legality == Legality::Illegal {
                    m2(2.0 * p.gd)
                } else {
                    0.0
                },
                illegal_gd_m2: if p.legality == Legality::Illegal {
                    m2(p.gd)
                } else {
                    0.0
                },
                illegal_jbnt_m2: 0.0,
                new_construction_m2: m2(p.new_gd),
                new_construction_gd_m2: m2(p.new_gd),
            },
            eliminated: p.eliminated_on.is_some(),
            claims: p.claims.iter().map(|s| s.to_string()).collect(),
            case,
        }],
    }
}

fn policy() -> &'static Policy {
    Policy::embedded(2020).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// One county, every category: (numerator, denominator) in 亩 after each step.
#[test]
fn every_deduction_category_and_the_annual_rule_take_off_what_the_policy_says() {
    let county = "510104";
    let parts = vec![
        // 未供即用 demolished by the deadline: both.
        Part {
            rect: &[(Demolition, date!(2021 - 01 - 10))],
            ..illegal("P1", 100.0, &["wgjy"])
        },
        // Demolished too late: nothing.
        Part {
            rect: &[(Recultivation, date!(2021 - 03 - 01))],
            ..illegal("P2", 50.0, &["wgjy"])
        },
        // 补办手续 approved on the deadline itself: numerator only.
        Part {
            rect: &[(Remedy, date!(2021 - 02 - 28))],
            ..illegal("P3", 40.0, &["bbsx"])
        },
        illegal("P4", 30.0, &["zdjcss"]),
        illegal("P5", 20.0, &["yhyz"]),
        illegal("P6", 10.0, &["bzxaj"]),
        illegal("P7", 5.0, &["yqfk"]),
        // Eliminated by 2020-12-31: demolished (both), remedied (numerator only).
        Part {
            eliminated_on: Some(date!(2020 - 12 - 20)),
            rect: &[(Demolition, date!(2020 - 12 - 15))],
            ..illegal("P8", 60.0, &[])
        },
        Part {
            eliminated_on: Some(date!(2020 - 12 - 31)),
            rect: &[(Remedy, date!(2020 - 12 - 30))],
            ..illegal("P9", 25.0, &[])
        },
        // Legal new construction: denominator only.
        Part {
            legality: Legality::Legal,
            gd: 0.0,
            new_gd: 400.0,
            ..illegal("P10", 0.0, &[])
        },
        // Eliminated after the annual cut-off, nothing claimed: stays.
        Part {
            eliminated_on: Some(date!(2021 - 01 - 05)),
            ..illegal("P11", 70.0, &[])
        },
    ];
    let patches: Vec<PatchFact> = parts.into_iter().map(|p| patch(county, p)).collect();
    let r = assess(&patches, policy());
    let a = r.counties.iter().find(|a| a.region == county).unwrap();
    assert!(close(a.numerator.mu(), 410.0) && close(a.denominator.mu(), 810.0));
    let steps: Vec<(&str, f64, f64, f64, f64)> = a
        .steps
        .iter()
        .map(|s| {
            (
                s.code.as_str(),
                s.numerator.mu(),
                s.denominator.mu(),
                mu(s.numerator_after_m2),
                mu(s.denominator_after_m2),
            )
        })
        .collect();
    let want = [
        ("annual", 85.0, 60.0, 325.0, 750.0),
        ("wgjy", 100.0, 100.0, 225.0, 650.0),
        ("bbsx", 40.0, 0.0, 185.0, 650.0),
        ("zdjcss", 30.0, 0.0, 155.0, 650.0),
        ("yhyz", 20.0, 0.0, 135.0, 650.0),
        ("bzxaj", 10.0, 0.0, 125.0, 650.0),
        ("yqfk", 5.0, 0.0, 120.0, 650.0),
    ];
    assert_eq!(steps.len(), want.len());
    for (got, want) in steps.iter().zip(want) {
        assert_eq!(got.0, want.0);
        for (g, w) in [
            (got.1, want.1),
            (got.2, want.2),
            (got.3, want.3),
            (got.4, want.4),
        ] {
            assert!(close(g, w), "{}: {got:?} vs {want:?}", want.0);
        }
    }
    assert_eq!(a.steps[0].numerator.items, ["P8", "P9"]);
    assert_eq!(a.steps[0].denominator.items, ["P8"]);
    assert_eq!(a.steps[1].numerator.items, ["P1"]);
    // 120 / 650 = 18.46 % ≥ 15 %, 120 亩 > 100 亩: accountable.
    assert!(close(a.ratio_percent, 100.0 * 120.0 / 650.0));
    assert!(a.accountable && !a.warning && !a.exempt, "{}", a.reason);
    assert!(a.reason.contains("纳入问责范围"), "{}", a.reason);
    let t = a.to_fall_below.as_ref().unwrap();
    assert!(close(t.ratio_by_remedy_mu, 120.0 - 0.15 * 650.0));
    assert!(close(
        t.ratio_by_demolition_mu,
        (120.0 - 0.15 * 650.0) / 0.85
    ));
    assert!(close(t.area_mu, 20.0) && close(t.least_mu, 20.0));
    // 增违挂钩: P1–P7 not eliminated; their 违法面积 is twice the cultivated.
    assert!(close(a.unresolved.mu(), 2.0 * 255.0));
    assert_eq!(
        a.unresolved.items,
        ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    );
    assert!(close(mu(a.quota_cut_m2), 510.0));
    // The city of this one county: 120 亩 is not above 500.
    let city = &r.cities[0];
    assert_eq!(city.region, "510100");
    assert!(
        !city.accountable && city.reason.contains("面积未超过问责线"),
        "{}",
        city.reason
    );
}

fn simple(county: &str, label: &'static str, gd: f64, new_gd: f64) -> PatchFact {
    patch(
        county,
        Part {
            new_gd,
            ..illegal(label, gd, &[])
        },
    )
}

fn find<'a>(list: &'a [Assessment], region: &str) -> &'a Assessment {
    list.iter().find(|a| a.region == region).unwrap()
}

#[test]
fn the_lines_hold_at_their_boundaries_and_deep_poverty_areas_are_excepted() {
    let patches = vec![
        // Exactly 15 %, 150 亩: accountable.
        simple("510104", "A", 150.0, 1000.0),
        // 50 %, exactly 100 亩: not (area must exceed), but warned.
        simple("510105", "B", 100.0, 200.0),
        // 14.99 %: not, warned.
        simple("510106", "C", 149.9, 1000.0),
        // 11 %: below the warning margin.
        simple("510107", "D", 110.0, 1000.0),
        // A city of exactly 500 亩 (its county accountable), and one just over.
        simple("510302", "E", 500.0, 1000.0),
        simple("510402", "F", 500.01, 1000.0),
        // Deep-poverty: would be accountable, excepted — county and city.
        simple("513433", "G", 600.0, 1000.0),
    ];
    let r = assess(&patches, policy());
    let county = |c: &str| find(&r.counties, c);
    let a = county("510104");
    assert!(a.accountable, "{}", a.reason);
    assert_eq!(format!("{:.2}", a.ratio_percent), "15.00");
    let b = county("510105");
    assert!(!b.accountable && b.warning, "{}", b.reason);
    assert!(close(b.area_mu, 100.0));
    let c = county("510106");
    assert!(!c.accountable && c.warning, "{}", c.reason);
    assert!(c.reason.contains("接近问责线"));
    let d = county("510107");
    assert!(!d.accountable && !d.warning, "{}", d.reason);
    assert!(d.reason.contains("比例未达到问责线"), "{}", d.reason);
    assert!(county("510302").accountable);
    let g = county("513433");
    assert!(g.exempt && !g.accountable && !g.warning, "{}", g.reason);
    assert!(g.reason.contains("深度贫困"), "{}", g.reason);
    assert!(g.to_fall_below.is_some(), "the distance is still shown");

    let city = |c: &str| find(&r.cities, c);
    assert!(!city("510300").accountable, "{}", city("510300").reason);
    assert!(city("510400").accountable, "{}", city("510400").reason);
    assert!(city("513400").exempt && !city("513400").accountable);
    // 成都 sums its four counties: 509.9 亩 over 3 200 → 15.93 %: accountable.
    let cd = city("510100");
    assert!(close(cd.area_mu, 509.9) && cd.accountable, "{}", cd.reason);
    // Ranked: accountable first, then by ratio.
    let order: Vec<&str> = r.counties.iter().map(|a| a.region.as_str()).collect();
    assert_eq!(order[..3], ["510402", "510302", "510104"]);
    assert_eq!(order[3..5], ["510105", "510106"]);
}

#[test]
fn a_policy_can_draw_the_line_at_the_average() {
    let text = include_str!("../../../../data/accountability/2020.toml")
        .replace("# ratio_from = \"average\"", "ratio_from = \"average\"")
        .replace("# area_from = \"average\"", "area_from = \"average\"");
    let p = Policy::from_toml(&text).unwrap();
    let patches = vec![
        simple("510104", "A", 100.0, 1000.0), // 10 %, 100 亩
        simple("510105", "B", 200.0, 1000.0), // 20 %, 200 亩
        simple("510106", "C", 300.0, 1000.0), // 30 %, 300 亩
    ];
    let r = assess(&patches, &p);
    assert!(close(r.lines.county_ratio, 0.2) && close(r.lines.county_mu, 200.0));
    assert!(!find(&r.counties, "510104").accountable);
    // 20 % ≥ 20 % but 200 亩 is not above 200.
    assert!(!find(&r.counties, "510105").accountable);
    assert!(find(&r.counties, "510106").accountable);
}

#[test]
fn unverified_and_mineral_patches_do_not_count() {
    let mut p = simple("510104", "A", 300.0, 1000.0);
    p.parts[0].complete = false;
    let mut m = simple("510104", "M", 300.0, 300.0);
    m.kind = PatchKind::Mineral;
    let r = assess(&[p, m], policy());
    assert!(r.counties.is_empty() && r.cities.is_empty());
}
