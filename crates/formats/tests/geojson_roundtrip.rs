//! GeoJSON: read → write → read gives the same dataset, bit for bit.

mod shp_support;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use shp_support::{cw_ring, Rng};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_formats::{geojson, Dataset, Feature, ReadOptions};
use weipian_geo::crs::CrsHint;

fn line(r: Vec<(f64, f64)>) -> LineString<f64> {
    LineString(r.into_iter().map(|(x, y)| Coord { x, y }).collect())
}

fn generated(seed: u64, n: usize) -> Dataset {
    let mut rng = Rng(seed);
    let fields = vec![
        FieldDef::new("JCBH", FieldType::Text { width: 0 }),
        FieldDef::new("NF", FieldType::Integer { width: 0 }),
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 0,
                decimals: 0,
            },
        ),
        FieldDef::new("SFLA", FieldType::Logical),
        FieldDef::new("备注", FieldType::Text { width: 0 }),
    ];
    let features = (0..n)
        .map(|i| {
            let null = rng.below(6) == 0;
            let attrs = vec![
                AttrValue::Text(format!("130403SJBG26{i:06}")),
                if null {
                    AttrValue::Null
                } else {
                    AttrValue::Integer(rng.next_u64() as i64)
                },
                if null {
                    AttrValue::Null
                } else {
                    AttrValue::Real((rng.f64() - 0.5) * 10f64.powi(rng.below(30) as i32 - 10))
                },
                if null {
                    AttrValue::Null
                } else {
                    AttrValue::Bool(rng.below(2) == 0)
                },
                AttrValue::Text(
                    ["水田", "\"引号\"\n换行", "", "tab\t"][rng.below(4) as usize].to_string(),
                ),
            ];
            let (cx, cy) = (114.0 + rng.f64(), 30.0 + rng.f64());
            let geometry = match rng.below(4) {
                0 => None,
                1 => {
                    let mut hole = cw_ring(&mut rng, cx, cy, 0.0001, 5);
                    hole.reverse();
                    let outer = cw_ring(&mut rng, cx, cy, 0.001, 9);
                    let other = cw_ring(&mut rng, cx + 0.01, cy, 0.001, 7);
                    Some(MultiPolygon(vec![
                        Polygon::new(line(outer), vec![line(hole)]),
                        Polygon::new(line(other), vec![]),
                    ]))
                }
                _ => {
                    let k = 3 + rng.below(30) as usize;
                    Some(MultiPolygon(vec![Polygon::new(
                        line(cw_ring(&mut rng, cx, cy, 0.001, k)),
                        vec![],
                    )]))
                }
            };
            Feature {
                row: i + 1,
                geometry,
                attrs,
                repairs: vec![],
            }
        })
        .collect();
    Dataset {
        source: "mem".into(),
        fields,
        features,
        crs: CrsHint::default(),
        encoding: None,
    }
}

fn same(a: &Dataset, b: &Dataset) {
    assert_eq!(a.fields, b.fields);
    assert_eq!(a.features.len(), b.features.len());
    for (fa, fb) in a.features.iter().zip(&b.features) {
        assert_eq!(fa.row, fb.row);
        assert_eq!(fa.attrs, fb.attrs, "row {}", fa.row);
        for (x, y) in fa.attrs.iter().zip(&fb.attrs) {
            if let (AttrValue::Real(x), AttrValue::Real(y)) = (x, y) {
                assert_eq!(x.to_bits(), y.to_bits());
            }
        }
        assert_eq!(fa.geometry, fb.geometry, "row {}", fa.row);
    }
}

#[test]
fn write_read_is_exact() {
    let d = generated(11, 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.geojson");
    geojson::write(&path, &d).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(
        r#""crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::4490" } }"#
    ));
    let back = weipian_formats::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(back.crs.epsg, Some(4490));
    same(&d, &back);
    // Read → write → read.
    let path2 = dir.path().join("out2.json");
    geojson::write(&path2, &back).unwrap();
    same(
        &back,
        &geojson::read(&path2, &ReadOptions::default()).unwrap(),
    );
    // No temporaries left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn property_order_and_nulls_are_written_as_declared() {
    let mut d = generated(3, 2);
    d.features[0].attrs = vec![
        AttrValue::Null,
        AttrValue::Integer(1),
        AttrValue::Real(0.1),
        AttrValue::Null,
        AttrValue::Null,
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.geojson");
    geojson::write(&path, &d).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(
            r#""properties": { "JCBH": null, "NF": 1, "JCMJ": 0.1, "SFLA": null, "备注": null }"#
        ),
        "{text}"
    );
}

#[test]
fn input_quirks_read_then_round_trip() {
    // Polygon and MultiPolygon, an open ring, a 3D position, properties in a
    // non-alphabetical order, a single Feature member order differing.
    let src = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4490"}},"features":[
      {"type":"Feature","id":7,"properties":{"zz":1,"aa":"甲"},"geometry":{"type":"Polygon","coordinates":[[[114.1,30.1,5],[114.2,30.1,5],[114.2,30.2,5]]]}},
      {"type":"Feature","geometry":null,"properties":{"aa":"乙","new":true}}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("in.geojson");
    std::fs::write(&p, src).unwrap();
    let a = weipian_formats::read(&p, &ReadOptions::default()).unwrap();
    assert_eq!(
        a.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["zz", "aa", "new"]
    );
    assert_eq!(a.features[0].repairs.len(), 1);
    let out = dir.path().join("out.geojson");
    geojson::write(&out, &a).unwrap();
    let b = geojson::read(&out, &ReadOptions::default()).unwrap();
    same(&a, &b);
    assert!(b.features[0].repairs.is_empty());
}
