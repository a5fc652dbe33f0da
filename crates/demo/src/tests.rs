//! Tests of the generated datasets as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use geo::{BooleanOps, Contains, Intersects, Validation};
use geo_types::{Coord, MultiPolygon, Point};
use weipian_domain::units::M2_PER_MU;
use weipian_domain::{RegionCode, RegionTable, LAYER_KINDS};
use weipian_formats::Dataset;

use crate::geom::{area_m2, centroid, vertex_count, BBox};
use crate::{bench_overlay, bench_patches, demo, BenchConfig, DemoData};

fn shared() -> &'static DemoData {
    static DATA: OnceLock<DemoData> = OnceLock::new();
    DATA.get_or_init(|| demo(2020))
}

fn col(ds: &Dataset, name: &str) -> usize {
    ds.field_index(name)
        .unwrap_or_else(|| panic!("{} has no {name}", ds.source.display()))
}

fn text_at(ds: &Dataset, row: usize, name: &str) -> String {
    ds.features[row].attrs[col(ds, name)]
        .as_text()
        .unwrap_or_default()
}

fn num_at(ds: &Dataset, row: usize, name: &str) -> f64 {
    ds.features[row].attrs[col(ds, name)]
        .as_f64()
        .unwrap_or(f64::NAN)
}

fn geom(ds: &Dataset, row: usize) -> &MultiPolygon<f64> {
    ds.features[row]
        .geometry
        .as_ref()
        .expect("generated features have geometry")
}

/// Pairs of features whose boxes overlap (sweep over x).
fn box_pairs(ds: &Dataset) -> Vec<(usize, usize)> {
    let mut boxes: Vec<(BBox, usize)> = (0..ds.features.len())
        .map(|i| (BBox::of_multipolygon(geom(ds, i)), i))
        .collect();
    boxes.sort_by(|a, b| a.0.x0.total_cmp(&b.0.x0));
    let mut out = Vec::new();
    for (k, (b, i)) in boxes.iter().enumerate() {
        for (c, j) in &boxes[k + 1..] {
            if c.x0 > b.x1 {
                break;
            }
            if b.intersects(c) {
                out.push((*i, *j));
            }
        }
    }
    out
}

#[test]
fn clipping_keeps_the_overlap() {
    let d = shared();
    let z = d.layer("zrbhd").expect("zrbhd");
    let s = d
        .scenarios
        .iter()
        .find(|s| s.kind == "zrbhd_touch")
        .expect("scenario");
    let row = (0..d.land.features.len())
        .find(|i| text_at(&d.land, *i, "JCBH") == s.jcbh)
        .expect("row");
    let p = geom(&d.land, row);
    let full: f64 = z
        .features
        .iter()
        .map(|f| area_m2(&p.intersection(f.geometry.as_ref().expect("g"))))
        .sum();
    let clipped = overlay(p, z).0;
    // i_overlay works on a fixed-point grid scaled to the inputs' extent: the
    // unclipped overlay with a 10 km polygon is the less precise of the two.
    assert!(
        full > 0.0 && ((full - clipped) / full).abs() < 1e-5,
        "{full} {clipped}"
    );
}

#[test]
fn simplicity_check_finds_crossings() {
    use crate::geom::pt;
    let good = vec![
        pt(0.0, 0.0),
        pt(1.0, 0.0),
        pt(1.0, 1.0),
        pt(0.0, 1.0),
        pt(0.0, 0.0),
    ];
    let bow = vec![
        pt(0.0, 0.0),
        pt(1.0, 1.0),
        pt(1.0, 0.0),
        pt(0.0, 1.0),
        pt(0.0, 0.0),
    ];
    let touch = vec![
        pt(0.0, 0.0),
        pt(2.0, 0.0),
        pt(2.0, 2.0),
        pt(1.0, 0.0),
        pt(0.0, 2.0),
        pt(0.0, 0.0),
    ];
    assert!(ring_is_simple(&good));
    assert!(!ring_is_simple(&bow));
    assert!(!ring_is_simple(&touch));
}

fn assert_disjoint(ds: &Dataset) {
    for (i, j) in box_pairs(ds) {
        assert!(
            !geom(ds, i).intersects(geom(ds, j)),
            "{} rows {} and {} intersect",
            ds.source.display(),
            i + 1,
            j + 1
        );
    }
}

/// Sutherland–Hodgman clip of a single-ring polygon to a box. The result
/// may have zero-width slivers along the box, which add no area: good enough
/// to shrink a huge polygon before overlaying a small one well inside the box.
fn clip_ring(ring: &[Coord<f64>], b: &BBox) -> Vec<Coord<f64>> {
    type Inside = fn(Coord<f64>, &BBox) -> bool;
    type Cross = fn(Coord<f64>, Coord<f64>, &BBox) -> Coord<f64>;
    let edges: [(Inside, Cross); 4] = [
        (
            |p, b| p.x >= b.x0,
            |p, q, b| {
                let t = (b.x0 - p.x) / (q.x - p.x);
                Coord {
                    x: b.x0,
                    y: p.y + (q.y - p.y) * t,
                }
            },
        ),
        (
            |p, b| p.x <= b.x1,
            |p, q, b| {
                let t = (b.x1 - p.x) / (q.x - p.x);
                Coord {
                    x: b.x1,
                    y: p.y + (q.y - p.y) * t,
                }
            },
        ),
        (
            |p, b| p.y >= b.y0,
            |p, q, b| {
                let t = (b.y0 - p.y) / (q.y - p.y);
                Coord {
                    x: p.x + (q.x - p.x) * t,
                    y: b.y0,
                }
            },
        ),
        (
            |p, b| p.y <= b.y1,
            |p, q, b| {
                let t = (b.y1 - p.y) / (q.y - p.y);
                Coord {
                    x: p.x + (q.x - p.x) * t,
                    y: b.y1,
                }
            },
        ),
    ];
    let mut cur: Vec<Coord<f64>> = ring[..ring.len() - 1].to_vec();
    for (inside, cross) in edges {
        let mut next = Vec::with_capacity(cur.len());
        for i in 0..cur.len() {
            let (p, q) = (cur[i], cur[(i + 1) % cur.len()]);
            match (inside(p, b), inside(q, b)) {
                (true, true) => next.push(q),
                (true, false) => next.push(cross(p, q, b)),
                (false, true) => {
                    next.push(cross(p, q, b));
                    next.push(q);
                }
                (false, false) => {}
            }
        }
        cur = next;
        if cur.is_empty() {
            break;
        }
    }
    if let Some(f) = cur.first().copied() {
        cur.push(f);
    }
    cur
}

/// Σ of intersection areas of `p` with the features of a layer (box-filtered),
/// with the rows that intersect.
fn overlay(p: &MultiPolygon<f64>, layer: &Dataset) -> (f64, Vec<(usize, f64)>) {
    let pb = BBox::of_multipolygon(p);
    let mut sum = 0.0;
    let mut rows = Vec::new();
    for (i, f) in layer.features.iter().enumerate() {
        let g = f.geometry.as_ref().expect("geometry");
        if !pb.intersects(&BBox::of_multipolygon(g)) {
            continue;
        }
        let clipped;
        let g = if vertex_count(g) > 500 && g.0.len() == 1 && g.0[0].interiors().is_empty() {
            let ring = clip_ring(
                &g.0[0].exterior().0,
                &pb.grow(pb.width() * 0.1 + 1e-6, pb.height() * 0.1 + 1e-6),
            );
            if ring.len() < 4 {
                continue;
            }
            clipped = MultiPolygon(vec![geo_types::Polygon::new(
                geo_types::LineString(ring),
                vec![],
            )]);
            &clipped
        } else {
            g
        };
        let a = area_m2(&p.intersection(g));
        if a > 0.0 {
            sum += a;
            rows.push((i, a));
        }
    }
    (sum, rows)
}

fn orient(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

fn segments_meet(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if ((o1 > 0.0 && o2 < 0.0) || (o1 < 0.0 && o2 > 0.0))
        && ((o3 > 0.0 && o4 < 0.0) || (o3 < 0.0 && o4 > 0.0))
    {
        return true;
    }
    (o1 == 0.0 && on_segment(a, b, c))
        || (o2 == 0.0 && on_segment(a, b, d))
        || (o3 == 0.0 && on_segment(c, d, a))
        || (o4 == 0.0 && on_segment(c, d, b))
}

/// Whether a closed ring is simple: no two non-adjacent segments meet
/// (segments bucketed on a grid; geo's validation is too slow for rings of
/// thousands of vertices in an unoptimised test build).
fn ring_is_simple(r: &[Coord<f64>]) -> bool {
    let n = r.len() - 1;
    let b = BBox::of_points(r);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let g = ((n as f64).sqrt().ceil() as usize).max(1);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let cell = |x: f64, lo: f64, w: f64| (((x - lo) / w * g as f64) as usize).min(g - 1);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); g * g];
    for i in 0..n {
        let (p, q) = (r[i], r[i + 1]);
        let (i0, i1) = (
            cell(p.x.min(q.x), b.x0, b.width()),
            cell(p.x.max(q.x), b.x0, b.width()),
        );
        let (j0, j1) = (
            cell(p.y.min(q.y), b.y0, b.height()),
            cell(p.y.max(q.y), b.y0, b.height()),
        );
        for j in j0..=j1 {
            for k in i0..=i1 {
                buckets[j * g + k].push(i);
            }
        }
    }
    for bucket in &buckets {
        for (x, &i) in bucket.iter().enumerate() {
            for &j in &bucket[x + 1..] {
                let adjacent = i.abs_diff(j) == 1 || i.abs_diff(j) == n - 1;
                if !adjacent && segments_meet(r[i], r[i + 1], r[j], r[j + 1]) {
                    return false;
                }
            }
        }
    }
    true
}

/// geo's validation for ordinary polygons; the bucketed simplicity test for
/// the huge single-ring ones.
fn valid(g: &MultiPolygon<f64>) -> bool {
    if vertex_count(g) > 800 && g.0.len() == 1 && g.0[0].interiors().is_empty() {
        ring_is_simple(&g.0[0].exterior().0)
    } else {
        g.is_valid()
    }
}

fn check_patch_table(ds: &Dataset, letters: &str, table: &RegionTable) {
    let sichuan = RegionCode::parse("510000").expect("code");
    for (i, f) in ds.features.iter().enumerate() {
        assert_eq!(f.row, i + 1);
        let g = geom(ds, i);
        assert!(g.is_valid(), "row {}: {:?}", i + 1, g.validation_errors());
        let n = vertex_count(g);
        assert!((8..=60).contains(&n), "row {} has {n} vertices", i + 1);
        let a = area_m2(g);
        assert!((200.0..=200_000.0).contains(&a), "row {}: {a} m²", i + 1);
        let code = text_at(ds, i, "XZQDM");
        let rc = RegionCode::parse(&code).expect("XZQDM is a code");
        let region = table.get(rc).expect("XZQDM in the table");
        assert!(region.county_level && rc.is_within(sichuan), "{code}");
        assert_eq!(text_at(ds, i, "XMC"), region.name);
        let jcbh = text_at(ds, i, "JCBH");
        assert!(
            jcbh.starts_with(&format!("{code}{letters}20")) && jcbh.len() >= 14,
            "{jcbh}"
        );
        let c = centroid(g);
        assert!(
            (num_at(ds, i, "LZB") - c.x).abs() < 1e-6 && (num_at(ds, i, "BZB") - c.y).abs() < 1e-6
        );
        let (qsx, hsx) = (text_at(ds, i, "QSX"), text_at(ds, i, "HSX"));
        assert!(
            qsx.as_str() >= "2019-01-01" && qsx < hsx && hsx.as_str() <= "2020-03-31",
            "{qsx} {hsx}"
        );
        let jcmj = num_at(ds, i, "JCMJ");
        assert!(
            (jcmj * 1e4 - (jcmj * 1e4).round()).abs() < 1e-6,
            "JCMJ has 4 decimals"
        );
        assert!(num_at(ds, i, "BHMJ") <= jcmj + 1e-9);
        assert_eq!(text_at(ds, i, "TBLY"), "部级下发");
    }
}

#[test]
fn demo_is_reproducible_and_seed_dependent() {
    let a = shared();
    let b = demo(2020);
    assert_eq!(a.counties, b.counties);
    assert_eq!(a.layers, b.layers);
    assert_eq!(a.land, b.land);
    assert_eq!(a.mineral, b.mineral);
    assert_eq!(a.scenarios, b.scenarios);
    let c = demo(7);
    assert_ne!(a.land, c.land);
    assert_ne!(a.counties, c.counties);
}

#[test]
fn demo_counts_and_schema() {
    let d = shared();
    assert_eq!(d.counties.features.len(), 183);
    assert_eq!(d.cities.features.len(), 21);
    assert!(
        (2_800..=3_200).contains(&d.land.features.len()),
        "{}",
        d.land.features.len()
    );
    assert!(
        (250..=350).contains(&d.mineral.features.len()),
        "{}",
        d.mineral.features.len()
    );
    let kinds: Vec<&str> = d.layers.iter().map(|(k, _)| *k).collect();
    let expected: Vec<&str> = LAYER_KINDS.iter().map(|k| k.code).collect();
    assert_eq!(kinds, expected);
    for (k, ds) in &d.layers {
        assert!(!ds.features.is_empty(), "{k} is empty");
        assert_eq!(ds.crs.epsg, Some(4490));
        let kind = LAYER_KINDS.iter().find(|l| l.code == *k).expect("kind");
        for key in kind.keys {
            assert!(
                ds.field_index(key.column).is_some(),
                "{k} lacks {}",
                key.column
            );
        }
        for f in &ds.features {
            assert_eq!(f.attrs.len(), ds.fields.len());
        }
    }
    for ds in [&d.land, &d.mineral] {
        assert!(ds.features.iter().all(|f| f.attrs.len() == ds.fields.len()));
    }
    assert!(d.mineral.field_index("KZ").is_some() && d.land.field_index("KZ").is_none());
}

#[test]
fn demo_patches_are_valid_unique_disjoint_and_in_their_county() {
    let d = shared();
    let table = RegionTable::embedded();
    check_patch_table(&d.land, "TD", &table);
    check_patch_table(&d.mineral, "KC", &table);
    let mut seen = BTreeSet::new();
    for ds in [&d.land, &d.mineral] {
        for i in 0..ds.features.len() {
            assert!(seen.insert(text_at(ds, i, "JCBH")), "duplicate JCBH");
        }
        assert_disjoint(ds);
    }
    // Centroid inside the XZQDM county's synthetic outline (geo's own test).
    let counties: BTreeMap<String, &MultiPolygon<f64>> = (0..d.counties.features.len())
        .map(|i| (text_at(&d.counties, i, "XZQDM"), geom(&d.counties, i)))
        .collect();
    for ds in [&d.land, &d.mineral] {
        for i in 0..ds.features.len() {
            let c = centroid(geom(ds, i));
            let county = counties[&text_at(ds, i, "XZQDM")];
            assert!(
                county.contains(&Point::from(c)),
                "row {} centroid outside its county",
                i + 1
            );
        }
    }
    // A few multipart patches and some with holes.
    let multipart = d
        .land
        .features
        .iter()
        .filter(|f| f.geometry.as_ref().is_some_and(|g| g.0.len() > 1))
        .count();
    assert!(multipart >= 10, "{multipart}");
}

#[test]
fn demo_jcmj_is_close_except_the_listed_mismatches() {
    let d = shared();
    let listed: BTreeSet<&str> = d
        .scenarios
        .iter()
        .filter(|s| s.kind == "jcmj_mismatch")
        .map(|s| s.jcbh.as_str())
        .collect();
    assert!(listed.len() >= 5);
    let mut off = 0;
    for ds in [&d.land, &d.mineral] {
        for i in 0..ds.features.len() {
            let a = area_m2(geom(ds, i));
            let issued = num_at(ds, i, "JCMJ") * M2_PER_MU;
            let rel = ((issued - a) / a).abs();
            if rel > 0.001 {
                off += 1;
            }
            if listed.contains(text_at(ds, i, "JCBH").as_str()) {
                assert!(rel > 0.001, "listed mismatch is close: {rel}");
            }
        }
    }
    assert!(off >= listed.len() && off < 80, "{off}");
}

#[test]
fn counties_partition_the_province_cleanly() {
    let d = shared();
    let prov = area_m2(geom(&d.province, 0));
    let sum: f64 = (0..d.counties.features.len())
        .map(|i| area_m2(geom(&d.counties, i)))
        .sum();
    assert!(((sum - prov) / prov).abs() < 1e-9, "{sum} vs {prov}");
    let city_sum: f64 = (0..d.cities.features.len())
        .map(|i| area_m2(geom(&d.cities, i)))
        .sum();
    assert!(((city_sum - prov) / prov).abs() < 1e-9);
    for i in 0..d.counties.features.len() {
        let g = geom(&d.counties, i);
        assert!(g.is_valid());
        let n = vertex_count(g);
        assert!((20..=800).contains(&n), "{n}");
    }
    // Pairwise intersections of a sample have no area.
    let pairs = box_pairs(&d.counties);
    assert!(pairs.len() > 300);
    for (i, j) in pairs.iter().step_by(5) {
        let a = area_m2(&geom(&d.counties, *i).intersection(geom(&d.counties, *j)));
        assert!(
            a < 1.0,
            "{} / {}: {a}",
            text_at(&d.counties, *i, "XZQMC"),
            text_at(&d.counties, *j, "XZQMC")
        );
    }
    // Every county code is a real Sichuan county.
    let table = RegionTable::embedded();
    let codes: BTreeSet<String> = table
        .counties_within(RegionCode::parse("510000").expect("code"))
        .map(|r| r.code.to_string())
        .collect();
    let ours: BTreeSet<String> = (0..183).map(|i| text_at(&d.counties, i, "XZQDM")).collect();
    assert_eq!(codes, ours);
}

#[test]
fn layers_are_valid_and_realistic() {
    let d = shared();
    for (k, ds) in &d.layers {
        if *k == "gd" {
            continue; // checked below on a sample
        }
        for (i, f) in ds.features.iter().enumerate() {
            let g = f.geometry.as_ref().expect("geometry");
            assert!(valid(g), "{k} row {}: {:?}", i + 1, g.validation_errors());
        }
    }
    let gd = d.layer("gd").expect("gd");
    assert!(gd.features.len() > 5_000);
    let mut holes = 0;
    for (i, f) in gd.features.iter().enumerate() {
        let g = f.geometry.as_ref().expect("geometry");
        if i % 7 == 0 {
            assert!(g.is_valid(), "gd row {}", i + 1);
        }
        let a = num_at(gd, i, "TBMJ");
        assert!((1_000.0..=30_000.0).contains(&a), "gd row {}: {a}", i + 1);
        assert!(["0101", "0102", "0103"].contains(&text_at(gd, i, "DLBM").as_str()));
        holes += usize::from(g.0.iter().any(|p| !p.interiors().is_empty()));
    }
    assert!(holes > 20, "{holes}");
    // Some parcels overlap their neighbour (the next row) slightly.
    let mut overlaps = 0;
    for i in 0..gd.features.len() - 1 {
        let (a, b) = (geom(gd, i), geom(gd, i + 1));
        if BBox::of_multipolygon(a).intersects(&BBox::of_multipolygon(b))
            && area_m2(&a.intersection(b)) > 1.0
        {
            overlaps += 1;
            if overlaps >= 2 {
                break;
            }
        }
    }
    assert!(overlaps >= 2);
    // Approvals overlap somewhere; two reserves overlap; big reserves.
    let pzyd = d.layer("pzyd").expect("pzyd");
    assert!(box_pairs(pzyd)
        .iter()
        .any(|(i, j)| area_m2(&geom(pzyd, *i).intersection(geom(pzyd, *j))) > 1.0));
    let zrbhd = d.layer("zrbhd").expect("zrbhd");
    assert!(box_pairs(zrbhd)
        .iter()
        .any(|(i, j)| area_m2(&geom(zrbhd, *i).intersection(geom(zrbhd, *j))) > 1.0));
    assert!((0..zrbhd.features.len()).any(|i| vertex_count(geom(zrbhd, i)) >= 2_000));
    assert!(
        text_at(zrbhd, 0, "MC").ends_with("保护区")
            || text_at(zrbhd, 0, "MC").contains("公园")
            || text_at(zrbhd, 0, "MC").contains("风景")
    );
    let kq = d.layer("kq").expect("kq");
    let kinds: BTreeSet<String> = (0..kq.features.len())
        .map(|i| text_at(kq, i, "KZ"))
        .collect();
    for k in ["稀土", "煤", "建筑用砂岩", "磷矿"] {
        assert!(kinds.contains(k), "no {k} licence");
    }
    for i in 0..kq.features.len() {
        let x = text_at(kq, i, "XKZH");
        assert!(
            (x.starts_with('C') && x.len() == 23) || (x.starts_with('T') && x.len() == 18),
            "{x}"
        );
        assert!(x[1..].bytes().all(|b| b.is_ascii_digit()));
        // Issued before the monitoring period, valid for some years.
        let (from, to) = (text_at(kq, i, "YXQQ"), text_at(kq, i, "YXQZ"));
        assert!(from.as_str() < "2020-01-01" && from < to, "{from} {to}");
    }
    let pz = text_at(pzyd, 0, "PZWH");
    assert!(pz.contains('〔') && pz.ends_with('号'), "{pz}");
}

/// Every listed scenario exists and its claim holds (polygon overlay).
#[test]
fn scenarios_hold() {
    check_scenarios(shared());
}

/// Other seeds make different data with the same guarantees.
#[test]
fn other_seeds_hold_too() {
    let table = RegionTable::embedded();
    for seed in [1, 99] {
        let d = demo(seed);
        assert!((2_800..=3_200).contains(&d.land.features.len()));
        assert!((250..=350).contains(&d.mineral.features.len()));
        check_patch_table(&d.land, "TD", &table);
        check_patch_table(&d.mineral, "KC", &table);
        assert_disjoint(&d.land);
        assert_disjoint(&d.mineral);
        check_scenarios(&d);
    }
}

#[allow(clippy::too_many_lines)]
fn check_scenarios(d: &DemoData) {
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let index = |ds: &Dataset| -> BTreeMap<String, usize> {
        (0..ds.features.len())
            .map(|i| (text_at(ds, i, "JCBH"), i))
            .collect()
    };
    let (land_ix, min_ix) = (index(&d.land), index(&d.mineral));
    let layer = |k: &str| d.layer(k).expect("layer");
    let counties = &d.counties;
    for s in &d.scenarios {
        *by_kind.entry(s.kind).or_default() += 1;
        assert!(!s.description_zh.is_empty());
        let (ds, row) = match (land_ix.get(&s.jcbh), min_ix.get(&s.jcbh)) {
            (Some(r), _) => (&d.land, *r),
            (_, Some(r)) => (&d.mineral, *r),
            _ => panic!("scenario {} not found", s.jcbh),
        };
        let p = geom(ds, row);
        let a = area_m2(p);
        let ctx = format!("{} {} {}", s.kind, s.jcbh, s.description_zh);
        match s.kind {
            "gd_full_0101" | "gd_full_0102" | "gd_full_0103" => {
                let (on, rows) = overlay(p, layer("gd"));
                assert!(on >= a * 0.999, "{ctx}: {on} of {a}");
                for (r, part) in rows {
                    if part > 1e-3 {
                        assert_eq!(text_at(layer("gd"), r, "DLBM"), s.kind[8..], "{ctx}");
                    }
                }
            }
            "gd_partial" => {
                let on = overlay(p, layer("gd")).0 / a;
                assert!(on > 0.01 && on < 0.99, "{ctx}: {on}");
            }
            "jbnt" => assert!(overlay(p, layer("jbnt")).0 > 0.0, "{ctx}"),
            "baimu" => assert!(overlay(p, layer("gd")).0 >= 66_667.0, "{ctx}"),
            "sthx_touch" | "zrbhd_touch" => {
                let k = if s.kind == "sthx_touch" {
                    "sthx"
                } else {
                    "zrbhd"
                };
                let (on, rows) = overlay(p, layer(k));
                assert!(
                    rows.iter().any(|(_, x)| *x > 0.0 && *x < a * 0.999),
                    "{ctx}: {on}"
                );
            }
            "zrbhd_inside" | "pzyd_full" | "kq_inside" | "kq_rare_earth" | "kq_expired" => {
                let k = match s.kind {
                    "zrbhd_inside" => "zrbhd",
                    "pzyd_full" => "pzyd",
                    _ => "kq",
                };
                let (_, rows) = overlay(p, layer(k));
                let whole: Vec<usize> = rows
                    .iter()
                    .filter(|(_, x)| *x >= a * 0.999)
                    .map(|(r, _)| *r)
                    .collect();
                assert!(!whole.is_empty(), "{ctx}");
                if s.kind == "kq_rare_earth" {
                    assert!(
                        whole
                            .iter()
                            .any(|r| text_at(layer("kq"), *r, "KZ") == "稀土"),
                        "{ctx}"
                    );
                }
                if s.kind == "kq_expired" {
                    let qsx = text_at(ds, row, "QSX");
                    assert!(
                        whole.iter().all(|r| text_at(layer("kq"), *r, "YXQZ") < qsx),
                        "{ctx}"
                    );
                }
            }
            "cjyx" => assert!(overlay(p, layer("cjyx")).0 >= a * 0.999, "{ctx}"),
            "pzyd_partial" => {
                let on = overlay(p, layer("pzyd")).0 / a;
                assert!(on > 0.05 && on < 0.95, "{ctx}: {on}");
            }
            "pzyd_overlap" => {
                let pz = layer("pzyd");
                let (_, rows) = overlay(p, pz);
                let overlapping = rows.iter().any(|(r, _)| {
                    let g = geom(pz, *r);
                    overlay(g, pz).1.iter().any(|(o, x)| o != r && *x > 1.0)
                });
                assert!(overlapping, "{ctx}");
            }
            "no_layer" => {
                for (k, l) in &d.layers {
                    let pb = BBox::of_multipolygon(p);
                    for f in &l.features {
                        let g = f.geometry.as_ref().expect("geometry");
                        if pb.intersects(&BBox::of_multipolygon(g)) {
                            assert!(!p.intersects(g), "{ctx}: touches {k}");
                        }
                    }
                }
            }
            "straddle" => {
                let (_, rows) = overlay(p, counties);
                assert!(rows.len() >= 2, "{ctx}");
                let best = rows
                    .iter()
                    .max_by(|x, y| x.1.total_cmp(&y.1))
                    .expect("rows");
                assert_eq!(
                    text_at(counties, best.0, "XZQDM"),
                    text_at(ds, row, "XZQDM"),
                    "{ctx}"
                );
            }
            "rural_housing_1b" => assert_eq!(text_at(ds, row, "TBLX"), "1B", "{ctx}"),
            "chengdu" => assert!(text_at(ds, row, "XZQDM").starts_with("5101"), "{ctx}"),
            "jcmj_mismatch" => {
                let issued = num_at(ds, row, "JCMJ") * M2_PER_MU;
                assert!(((issued - a) / a).abs() > 0.001, "{ctx}");
            }
            "multipart" => assert!(p.0.len() > 1, "{ctx}"),
            "hole" => assert!(p.0.iter().any(|q| !q.interiors().is_empty()), "{ctx}"),
            "kq_outside" => assert!(overlay(p, layer("kq")).1.is_empty(), "{ctx}"),
            "kq_cross" => {
                let (_, rows) = overlay(p, layer("kq"));
                assert!(rows.iter().any(|(_, x)| *x > 0.0 && *x < a * 0.99), "{ctx}");
            }
            other => panic!("unknown scenario kind {other}"),
        }
        if s.kind.starts_with("kq_") {
            assert!(std::ptr::eq(ds, &d.mineral), "{ctx}");
        }
    }
    for k in [
        "gd_full_0101",
        "gd_full_0102",
        "gd_full_0103",
        "gd_partial",
        "jbnt",
        "baimu",
        "sthx_touch",
        "zrbhd_inside",
        "zrbhd_touch",
        "cjyx",
        "pzyd_full",
        "pzyd_partial",
        "pzyd_overlap",
        "no_layer",
        "straddle",
        "rural_housing_1b",
        "chengdu",
        "jcmj_mismatch",
        "multipart",
        "hole",
        "kq_inside",
        "kq_outside",
        "kq_cross",
        "kq_rare_earth",
        "kq_expired",
    ] {
        let n = by_kind.get(k).copied().unwrap_or(0);
        assert!(n >= 4, "only {n} scenarios of kind {k}");
    }
}

#[test]
fn bench_patches_are_realistic() {
    let ds = bench_patches(3_000, 11);
    assert_eq!(ds.features.len(), 3_000);
    let table = RegionTable::embedded();
    check_patch_table(&ds, "TD", &table);
    let jcbh: BTreeSet<String> = (0..ds.features.len())
        .map(|i| text_at(&ds, i, "JCBH"))
        .collect();
    assert_eq!(jcbh.len(), ds.features.len());
    assert_disjoint(&ds);
    let counties: BTreeSet<String> = (0..ds.features.len())
        .map(|i| text_at(&ds, i, "XZQDM"))
        .collect();
    assert!(counties.len() > 150, "{}", counties.len());
    assert_eq!(bench_patches(500, 11), bench_patches(500, 11));
    assert_ne!(bench_patches(500, 11), bench_patches(500, 12));
}

#[test]
fn bench_overlay_has_the_requested_shape() {
    let cfg = BenchConfig {
        patches: 2_000,
        parcels: 30_000,
        reserves: 6,
        seed: 5,
        ..BenchConfig::default()
    };
    let b = bench_overlay(&cfg);
    assert_eq!(b.patches.features.len(), 2_000);
    assert_eq!(b.gd.features.len(), 30_000);
    assert_eq!(b.zrbhd.features.len(), 6);
    assert_disjoint(&b.patches);
    for i in 0..b.gd.features.len() {
        let a = num_at(&b.gd, i, "TBMJ");
        assert!((1_000.0..=30_000.0).contains(&a), "{a}");
        if i % 50 == 0 {
            assert!(geom(&b.gd, i).is_valid());
        }
    }
    let holes =
        b.gd.features
            .iter()
            .filter(|f| {
                f.geometry
                    .as_ref()
                    .is_some_and(|g| !g.0[0].interiors().is_empty())
            })
            .count();
    assert!((300..=900).contains(&holes), "{holes}");
    let gd_area: f64 = (0..b.gd.features.len())
        .map(|i| num_at(&b.gd, i, "TBMJ"))
        .sum();
    let jbnt_area: f64 = (0..b.jbnt.features.len())
        .map(|i| num_at(&b.jbnt, i, "JBNTMJ"))
        .sum();
    let share = jbnt_area / gd_area;
    assert!((0.25..0.42).contains(&share), "{share}");
    for i in 0..b.zrbhd.features.len() {
        let g = geom(&b.zrbhd, i);
        assert!(valid(g));
        assert!((300..=6_000).contains(&vertex_count(g)));
    }
    for i in 0..b.jbnt.features.len() {
        if i % 20 == 0 {
            assert!(geom(&b.jbnt, i).is_valid());
        }
    }
    // About 38 % of the patches sit on farmland (packed by bounding box).
    let on_farm = (0..b.patches.features.len())
        .step_by(10)
        .filter(|i| overlay(geom(&b.patches, *i), &b.gd).0 > 0.0)
        .count();
    assert!((60..=100).contains(&on_farm), "{on_farm}");
    let again = bench_overlay(&cfg);
    assert_eq!(again.gd, b.gd);
    assert_eq!(again.patches, b.patches);
}
