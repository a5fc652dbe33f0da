//! Shapefile writing: exact round trips, field names, limits, atomicity,
//! and files other readers accept.

mod shp_support;

use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use shp_support::*;
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_formats::shp::{self, WriteReport};
use weipian_formats::{Dataset, Feature, Problem, ReadOptions};
use weipian_geo::crs::CrsHint;

fn opts() -> ReadOptions {
    ReadOptions::default()
}

const NAMES: [&str; 6] = [
    "水田",
    "旱地",
    "农村宅基地",
    "设施农用地",
    "采矿用地",
    "田坎",
];

/// A seeded GBK shapefile written with the test builders: every DBF type,
/// multipart records, holes, null shapes and empty values.
fn generated_shapefile(dir: &Path, seed: u64, n: usize) -> std::path::PathBuf {
    let mut rng = Rng(seed);
    let cols = [
        col("JCBH", b'C', 18, 0),
        col("XZQDM", b'C', 6, 0),
        col("NF", b'N', 4, 0),
        col("JCMJ", b'N', 16, 4),
        col("BHMJ", b'F', 19, 11),
        col("QT", b'N', 24, 15),
        col("XFSJ", b'D', 8, 0),
        col("SFLA", b'L', 1, 0),
        col("DLMC", b'C', 40, 0),
    ];
    let mut rows = Vec::new();
    let mut shapes = Vec::new();
    for i in 0..n {
        let empty = rng.below(7) == 0;
        let cell = |s: String| if empty { Vec::new() } else { s.into_bytes() };
        rows.push(vec![
            format!("130403SJBG26{i:06}").into_bytes(),
            b"130403".to_vec(),
            cell(format!("{}", 2018 + rng.below(8))),
            cell(format!("{:.4}", rng.f64() * 1e6)),
            cell(format!("{:.11}", rng.f64() * 1e3 - 500.0)),
            cell(format!("{:.15}", rng.f64() * 100.0)),
            cell(format!(
                "2024{:02}{:02}",
                1 + rng.below(12),
                1 + rng.below(28)
            )),
            if empty {
                b"?".to_vec()
            } else if rng.below(2) == 0 {
                b"T".to_vec()
            } else {
                b"F".to_vec()
            },
            if empty {
                Vec::new()
            } else {
                gbk(NAMES[rng.below(NAMES.len() as u64) as usize])
            },
        ]);
        let cx = 114.0 + rng.f64();
        let cy = 30.0 + rng.f64();
        shapes.push(match rng.below(5) {
            0 => None,
            1 => {
                let n = 3 + rng.below(30) as usize;
                Some(vec![
                    cw_ring(&mut rng, cx, cy, 0.001, n),
                    cw_ring(&mut rng, cx + 0.01, cy, 0.001, 5),
                ])
            }
            2 => {
                let mut hole = cw_ring(&mut rng, cx, cy, 0.0002, 6);
                hole.reverse();
                Some(vec![cw_ring(&mut rng, cx, cy, 0.001, 12), hole])
            }
            _ => {
                let n = 3 + rng.below(40) as usize;
                Some(vec![cw_ring(&mut rng, cx, cy, 0.001, n)])
            }
        });
    }
    let (s, x) = shp_polygons(&shapes);
    let d = dbf(&cols, &rows, 0x4D, &[]);
    write_set(dir, "generated", &[("shp", &s), ("shx", &x), ("dbf", &d)])
}

fn assert_same_content(a: &Dataset, b: &Dataset) {
    assert_eq!(a.fields, b.fields);
    assert_eq!(a.features.len(), b.features.len());
    for (fa, fb) in a.features.iter().zip(&b.features) {
        assert_eq!(fa.row, fb.row);
        assert_eq!(fa.attrs, fb.attrs, "row {}", fa.row);
        assert_eq!(fa.geometry, fb.geometry, "row {}", fa.row);
    }
}

#[test]
fn read_write_read_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let src = generated_shapefile(dir.path(), 7, 300);
    let a = shp::read(&src, &opts()).unwrap();
    assert_eq!(a.encoding.as_deref(), Some("GBK（DBF 语言标识 0x4D）"));
    assert!(a.features.iter().any(|f| f.geometry.is_none()));
    assert!(a
        .features
        .iter()
        .any(|f| f.geometry.as_ref().is_some_and(|m| m.0.len() == 2)));
    assert!(a.features.iter().any(|f| f
        .geometry
        .as_ref()
        .is_some_and(|m| m.0[0].interiors().len() == 1)));

    let out = dir.path().join("out.shp");
    let report = shp::write(&out, &a).unwrap();
    assert_eq!(report, WriteReport::default());
    let b = shp::read(&out, &opts()).unwrap();
    assert_eq!(b.encoding.as_deref(), Some("GBK（.cpg）"));
    assert_same_content(&a, &b);
    assert_eq!(b.crs.wkt.as_deref(), Some(shp::PRJ_CGCS2000));

    // And once more, from what we wrote ourselves.
    let out2 = dir.path().join("out2.shp");
    shp::write(&out2, &b).unwrap();
    assert_same_content(&b, &shp::read(&out2, &opts()).unwrap());
}

fn square(x: f64, y: f64, s: f64, clockwise: bool) -> LineString<f64> {
    let mut pts = vec![(x, y), (x, y + s), (x + s, y + s), (x + s, y), (x, y)];
    if !clockwise {
        pts.reverse();
    }
    LineString(pts.into_iter().map(|(x, y)| Coord { x, y }).collect())
}

fn dataset(fields: Vec<FieldDef>, rows: Vec<Vec<AttrValue>>) -> Dataset {
    let features = rows
        .into_iter()
        .enumerate()
        .map(|(i, attrs)| Feature {
            row: i + 1,
            geometry: Some(MultiPolygon(vec![Polygon::new(
                square(114.0 + i as f64 * 0.01, 30.0, 0.005, true),
                vec![],
            )])),
            attrs,
            repairs: vec![],
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

#[test]
fn undeclared_reals_round_trip_exactly() {
    let tricky = [
        0.1,
        1.0 / 3.0,
        -2.0 / 3.0,
        1e-7,
        123_456_789.123_456_79,
        38_528_770.237_3,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        -1.5e300,
        0.0,
        2f64.powi(53) + 2.0,
    ];
    let fields = vec![
        FieldDef::new(
            "R",
            FieldType::Real {
                width: 0,
                decimals: 0,
            },
        ),
        FieldDef::new("I", FieldType::Integer { width: 0 }),
        FieldDef::new("T", FieldType::Text { width: 0 }),
    ];
    let rows = tricky
        .iter()
        .enumerate()
        .map(|(k, r)| {
            vec![
                AttrValue::Real(*r),
                AttrValue::Integer(if k % 2 == 0 {
                    -(1 << 60) + k as i64
                } else {
                    999_999_999_999_999_999
                }),
                AttrValue::Text(format!("第{k}号")),
            ]
        })
        .collect();
    let d = dataset(fields, rows);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.shp");
    shp::write(&out, &d).unwrap();
    let back = shp::read(&out, &opts()).unwrap();
    assert_eq!(
        back.fields[0].field_type,
        FieldType::Real {
            width: 24,
            decimals: 15
        }
    );
    assert_eq!(back.fields[1].field_type, FieldType::Integer { width: 20 });
    assert_eq!(back.fields[2].field_type, FieldType::Text { width: 6 });
    for (a, b) in d.features.iter().zip(&back.features) {
        assert_eq!(a.attrs, b.attrs);
        match (&a.attrs[0], &b.attrs[0]) {
            (AttrValue::Real(x), AttrValue::Real(y)) => assert_eq!(x.to_bits(), y.to_bits()),
            other => panic!("{other:?}"),
        }
        assert_eq!(a.geometry, b.geometry);
    }
}

#[test]
fn long_and_chinese_field_names_are_shortened_uniquely() {
    let names = [
        "JCBH",
        "监测编号",
        "VERYLONGFIELDNAME",
        "VERYLONGFIELDNAME2",
        "jcbh",
        "a b",
        "图斑面积",
    ];
    let fields = names
        .iter()
        .map(|n| FieldDef::new(*n, FieldType::Text { width: 10 }))
        .collect();
    let rows = vec![names
        .iter()
        .map(|n| AttrValue::Text((*n).to_string()))
        .collect()];
    let d = dataset(fields, rows);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("n.shp");
    let report = shp::write(&out, &d).unwrap();
    let back = shp::read(&out, &opts()).unwrap();
    let written: Vec<&str> = back.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        written,
        [
            "JCBH",
            "FIELD",
            "VERYLONGFI",
            "VERYLONG_1",
            "jcbh_1",
            "a_b",
            "FIELD_1"
        ]
    );
    assert!(written.iter().all(|n| n.len() <= 10 && n.is_ascii()));
    assert_eq!(
        report.renamed,
        [
            ("监测编号", "FIELD"),
            ("VERYLONGFIELDNAME", "VERYLONGFI"),
            ("VERYLONGFIELDNAME2", "VERYLONG_1"),
            ("jcbh", "jcbh_1"),
            ("a b", "a_b"),
            ("图斑面积", "FIELD_1"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(back.features[0].attrs, d.features[0].attrs);
}

#[test]
fn text_limits_and_unrepresentable_characters() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.shp");
    let fields = vec![FieldDef::new("BZ", FieldType::Text { width: 0 })];
    // 127 Chinese characters = 254 GBK bytes: fits exactly.
    let ok = dataset(
        fields.clone(),
        vec![vec![AttrValue::Text("田".repeat(127))]],
    );
    shp::write(&out, &ok).unwrap();
    assert_eq!(
        shp::read(&out, &opts()).unwrap().fields[0].field_type,
        FieldType::Text { width: 254 }
    );

    let long = dataset(
        fields.clone(),
        vec![
            vec![AttrValue::Null],
            vec![AttrValue::Text("田".repeat(128))],
        ],
    );
    let err = shp::write(&dir.path().join("long.shp"), &long).unwrap_err();
    assert_eq!(err.row, Some(2));
    assert!(
        err.to_string().contains("BZ") && err.to_string().contains("256"),
        "{err}"
    );

    let emoji = dataset(fields, vec![vec![AttrValue::Text("水田🌾".into())]]);
    let err = shp::write(&dir.path().join("emoji.shp"), &emoji).unwrap_err();
    assert_eq!(err.row, Some(1));
    assert!(
        err.to_string().contains("🌾") && err.to_string().contains("GBK"),
        "{err}"
    );
}

#[test]
fn declared_width_overflow_is_an_error() {
    let fields = vec![FieldDef::new(
        "MJ",
        FieldType::Real {
            width: 6,
            decimals: 2,
        },
    )];
    let d = dataset(
        fields,
        vec![
            vec![AttrValue::Real(12.5)],
            vec![AttrValue::Real(123_456.0)],
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let err = shp::write(&dir.path().join("w.shp"), &d).unwrap_err();
    assert_eq!(err.row, Some(2));
    assert!(err.to_string().contains("MJ"), "{err}");
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn writes_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.shp");
    let fields = vec![FieldDef::new("BZ", FieldType::Text { width: 0 })];
    let good = dataset(fields.clone(), vec![vec![AttrValue::Text("旧".into())]]);
    shp::write(&out, &good).unwrap();
    assert_eq!(
        names_in(dir.path()),
        ["a.cpg", "a.dbf", "a.prj", "a.shp", "a.shx"]
    );
    let before: Vec<Vec<u8>> = ["shp", "shx", "dbf"]
        .iter()
        .map(|e| std::fs::read(out.with_extension(e)).unwrap())
        .collect();

    // A failing write leaves the old files as they were and no temporaries.
    let bad = dataset(fields, vec![vec![AttrValue::Text("x".repeat(300))]]);
    assert!(shp::write(&out, &bad).is_err());
    assert_eq!(
        names_in(dir.path()),
        ["a.cpg", "a.dbf", "a.prj", "a.shp", "a.shx"]
    );
    let after: Vec<Vec<u8>> = ["shp", "shx", "dbf"]
        .iter()
        .map(|e| std::fs::read(out.with_extension(e)).unwrap())
        .collect();
    assert_eq!(before, after);

    // A missing folder: an error, nothing created.
    let err = shp::write(&dir.path().join("no/such/dir/b.shp"), &good).unwrap_err();
    assert!(matches!(err.problem, Problem::Io(_)));
    assert!(shp::write(&dir.path().join("b.geojson"), &good).is_err());

    // Stale spatial indexes of an overwritten shapefile are removed.
    std::fs::write(out.with_extension("sbn"), b"stale").unwrap();
    std::fs::write(out.with_extension("qix"), b"stale").unwrap();
    shp::write(&out, &good).unwrap();
    assert_eq!(
        names_in(dir.path()),
        ["a.cpg", "a.dbf", "a.prj", "a.shp", "a.shx"]
    );
}

#[test]
fn written_files_are_gbk_with_cpg_and_prj_and_readable_by_other_readers() {
    let fields = vec![
        FieldDef::new("DLMC", FieldType::Text { width: 0 }),
        FieldDef::new(
            "MJ",
            FieldType::Real {
                width: 12,
                decimals: 2,
            },
        ),
    ];
    // A counter-clockwise exterior with a clockwise hole (GeoJSON style).
    let exterior = square(0.0, 0.0, 10.0, false);
    let hole = square(2.0, 2.0, 1.0, true);
    let mut d = dataset(
        fields,
        vec![vec![AttrValue::Text("水田".into()), AttrValue::Real(12.25)]],
    );
    d.features[0].geometry = Some(MultiPolygon(vec![Polygon::new(
        exterior.clone(),
        vec![hole.clone()],
    )]));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gbk.shp");
    shp::write(&out, &d).unwrap();

    assert_eq!(std::fs::read(out.with_extension("cpg")).unwrap(), b"GBK");
    let prj = std::fs::read_to_string(out.with_extension("prj")).unwrap();
    assert!(prj.starts_with("GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\""));
    let dbf_bytes = std::fs::read(out.with_extension("dbf")).unwrap();
    assert_eq!(dbf_bytes[29], 0x4D);
    assert!(dbf_bytes.windows(4).any(|w| w == gbk("水田").as_slice()));

    // Our reader: the outer ring now runs clockwise (reversed), the hole counter-clockwise.
    let back = shp::read(&out, &opts()).unwrap();
    let p = &back.features[0].geometry.as_ref().unwrap().0[0];
    let rev = |l: &LineString<f64>| l.0.iter().rev().copied().collect::<Vec<_>>();
    assert_eq!(p.exterior().0, rev(&exterior));
    assert_eq!(p.interiors()[0].0, rev(&hole));

    // The shapefile crate reads the geometry.
    let shapes = shapefile::read_shapes_as::<_, shapefile::Polygon>(&out).unwrap();
    assert_eq!(shapes.len(), 1);
    assert_eq!(shapes[0].rings().len(), 2);
    // The dbase crate, told the code page, reads the GBK text.
    let mut reader = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(encoding_rs::GBK))
        .build(std::io::BufReader::new(
            std::fs::File::open(out.with_extension("dbf")).unwrap(),
        ))
        .unwrap();
    let records = reader.read().unwrap();
    assert_eq!(
        records[0].get("DLMC"),
        Some(&dbase::FieldValue::Character(Some("水田".into())))
    );
    assert_eq!(
        records[0].get("MJ"),
        Some(&dbase::FieldValue::Numeric(Some(12.25)))
    );
}

#[test]
fn dates_logicals_and_nulls() {
    let fields = vec![
        FieldDef::new("XFSJ", FieldType::Date),
        FieldDef::new("SFLA", FieldType::Logical),
        FieldDef::new("N", FieldType::Integer { width: 10 }),
    ];
    let rows = vec![
        vec![
            AttrValue::Text("2024-03-15".into()),
            AttrValue::Bool(true),
            AttrValue::Integer(-5),
        ],
        vec![AttrValue::Null, AttrValue::Null, AttrValue::Null],
        vec![
            AttrValue::Text("2023-12-31".into()),
            AttrValue::Bool(false),
            AttrValue::Integer(0),
        ],
    ];
    let d = dataset(fields, rows);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.shp");
    shp::write(&out, &d).unwrap();
    let back = shp::read(&out, &opts()).unwrap();
    assert_same_content(&d, &back);

    let bad = dataset(
        vec![FieldDef::new("XFSJ", FieldType::Date)],
        vec![vec![AttrValue::Text("15/03/2024".into())]],
    );
    let err = shp::write(&dir.path().join("bad.shp"), &bad).unwrap_err();
    assert!(err.to_string().contains("XFSJ"), "{err}");
}
