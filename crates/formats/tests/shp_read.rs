//! Shapefile reading: encodings, geometry, and every structural error.

mod shp_support;

use std::path::Path;

use geo_types::Coord;
use shp_support::*;
use weipian_domain::{AttrValue, FieldType};
use weipian_formats::{shp, Problem, ReadOptions, TextEncoding};
use weipian_geo::validate::Repair;

fn opts() -> ReadOptions {
    ReadOptions::default()
}

/// Three records with a GBK text field DLMC (水田, 旱地, empty) and a code.
fn gbk_table(ldid: u8) -> Vec<u8> {
    let cols = [col("DLMC", b'C', 20, 0), col("DLBM", b'C', 4, 0)];
    let rows = vec![
        vec![gbk("水田"), b"0101".to_vec()],
        vec![gbk("旱地  "), b"0103".to_vec()],
        vec![Vec::new(), b"".to_vec()],
    ];
    dbf(&cols, &rows, ldid, &[])
}

fn three_squares() -> (Vec<u8>, Vec<u8>) {
    shp_polygons(&[
        Some(vec![cw_square(0.0, 0.0, 1.0)]),
        Some(vec![cw_square(2.0, 0.0, 1.0)]),
        Some(vec![cw_square(4.0, 0.0, 1.0)]),
    ])
}

fn read_parts(
    shp: &[u8],
    shx: Option<&[u8]>,
    dbf: &[u8],
    cpg: Option<&str>,
    o: &ReadOptions,
) -> Result<weipian_formats::Dataset, weipian_formats::FormatError> {
    shp::read_parts(Path::new("t.shp"), shp, shx, dbf, None, cpg, o)
}

fn dlmc(d: &weipian_formats::Dataset) -> Vec<AttrValue> {
    d.features.iter().map(|f| f.attrs[0].clone()).collect()
}

fn expected_dlmc() -> Vec<AttrValue> {
    vec![
        AttrValue::Text("水田".into()),
        AttrValue::Text("旱地".into()),
        AttrValue::Null,
    ]
}

#[test]
fn gbk_with_cpg() {
    let (s, x) = three_squares();
    for cpg in ["GBK", "936", "cp936", " gb2312\r\n", "\u{feff}GBK"] {
        let d = read_parts(&s, Some(&x), &gbk_table(0), Some(cpg), &opts()).unwrap();
        assert_eq!(dlmc(&d), expected_dlmc(), "{cpg:?}");
        assert_eq!(d.encoding.as_deref(), Some("GBK（.cpg）"));
    }
    let d = read_parts(&s, Some(&x), &gbk_table(0), Some("GB18030"), &opts()).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    assert_eq!(d.encoding.as_deref(), Some("GB18030（.cpg）"));
}

#[test]
fn gbk_from_language_driver_byte() {
    let (s, x) = three_squares();
    for ldid in [0x4D, 0x7A] {
        let d = read_parts(&s, Some(&x), &gbk_table(ldid), None, &opts()).unwrap();
        assert_eq!(dlmc(&d), expected_dlmc());
        assert_eq!(
            d.encoding.unwrap(),
            format!("GBK（DBF 语言标识 0x{ldid:02X}）")
        );
    }
}

#[test]
fn gbk_by_strict_fallback() {
    let (s, x) = three_squares();
    let d = read_parts(&s, Some(&x), &gbk_table(0), None, &opts()).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    assert_eq!(
        d.encoding.as_deref(),
        Some("GBK（UTF-8 解码失败后按 GBK 严格解码）")
    );
    // A Western language byte is not trusted for Chinese data.
    let d = read_parts(&s, Some(&x), &gbk_table(0x57), None, &opts()).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    // An unsupported .cpg is ignored, and said so.
    let d = read_parts(&s, Some(&x), &gbk_table(0), Some("1252"), &opts()).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    assert!(d.encoding.unwrap().contains("1252"));
}

fn utf8_table() -> Vec<u8> {
    let cols = [col("DLMC", b'C', 20, 0), col("DLBM", b'C', 4, 0)];
    let rows = vec![
        vec!["水田".as_bytes().to_vec(), b"0101".to_vec()],
        vec!["旱地".as_bytes().to_vec(), b"0103".to_vec()],
        vec![Vec::new(), Vec::new()],
    ];
    dbf(&cols, &rows, 0, &[])
}

#[test]
fn utf8_with_and_without_cpg() {
    let (s, x) = three_squares();
    let d = read_parts(&s, Some(&x), &utf8_table(), Some("UTF-8"), &opts()).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    assert_eq!(d.encoding.as_deref(), Some("UTF-8（.cpg）"));
    let d = read_parts(&s, Some(&x), &utf8_table(), None, &opts()).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    assert_eq!(d.encoding.as_deref(), Some("UTF-8（严格解码）"));
    let forced = ReadOptions {
        encoding: TextEncoding::Utf8,
        ..opts()
    };
    let d = read_parts(&s, Some(&x), &utf8_table(), Some("GBK"), &forced).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    assert_eq!(d.encoding.as_deref(), Some("UTF-8（--encoding 指定）"));
}

#[test]
fn forced_wrong_encoding_is_an_error_not_mojibake() {
    let (s, x) = three_squares();
    let forced = ReadOptions {
        encoding: TextEncoding::Utf8,
        ..opts()
    };
    let err = read_parts(&s, Some(&x), &gbk_table(0x4D), Some("GBK"), &forced).unwrap_err();
    assert_eq!(err.row, Some(1));
    let msg = err.to_string();
    assert!(matches!(err.problem, Problem::Encoding(_)));
    assert!(
        msg.contains("DLMC") && msg.contains("第 1 条记录") && msg.contains("UTF-8"),
        "{msg}"
    );
    // A .cpg that lies is caught too.
    let err = read_parts(&s, Some(&x), &gbk_table(0), Some("UTF-8"), &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::Encoding(_)) && err.row == Some(1),
        "{err}"
    );
    // Forcing GBK on UTF-8 text cannot be detected in general, but it is flagged.
    let forced = ReadOptions {
        encoding: TextEncoding::Gbk,
        ..opts()
    };
    let d = read_parts(&s, Some(&x), &utf8_table(), None, &forced).unwrap();
    assert!(d.encoding.unwrap().contains("可能应为 UTF-8"));
}

#[test]
fn neither_utf8_nor_gbk_names_row_and_field() {
    let (s, x) = shp_polygons(&[
        Some(vec![cw_square(0.0, 0.0, 1.0)]),
        Some(vec![cw_square(2.0, 0.0, 1.0)]),
    ]);
    let cols = [col("BH", b'C', 4, 0), col("MC", b'C', 10, 0)];
    let rows = vec![
        vec![b"1".to_vec(), gbk("水田")],
        vec![b"2".to_vec(), vec![0xFF, 0xFE, 0x81]],
    ];
    let err = read_parts(&s, Some(&x), &dbf(&cols, &rows, 0, &[]), None, &opts()).unwrap_err();
    assert_eq!(err.row, Some(2));
    let msg = err.to_string();
    assert!(
        msg.contains("MC") && msg.contains("UTF-8") && msg.contains("GBK"),
        "{msg}"
    );
}

#[test]
fn field_types_and_values() {
    let (s, x) = shp_polygons(&[
        Some(vec![cw_square(0.0, 0.0, 1.0)]),
        Some(vec![cw_square(2.0, 0.0, 1.0)]),
    ]);
    let cols = [
        col("JCBH", b'C', 18, 0),
        col("NF", b'N', 4, 0),
        col("JCMJ", b'N', 16, 4),
        col("BHMJ", b'F', 19, 11),
        col("XFSJ", b'D', 8, 0),
        col("SFLA", b'L', 1, 0),
        col("BZ", b'C', 10, 0),
    ];
    let rows = vec![
        vec![
            b"130403SJBG26210183".to_vec(),
            b"2024".to_vec(),
            b"1234.5678".to_vec(),
            b"0.12345678901".to_vec(),
            b"20240315".to_vec(),
            b"T".to_vec(),
            b"  lead".to_vec(),
        ],
        vec![
            Vec::new(),
            Vec::new(),
            Vec::new(),
            b"-3".to_vec(),
            b"        ".to_vec(),
            b"?".to_vec(),
            b"x   ".to_vec(),
        ],
    ];
    let d = read_parts(&s, Some(&x), &dbf(&cols, &rows, 0x4D, &[]), None, &opts()).unwrap();
    let types: Vec<FieldType> = d.fields.iter().map(|f| f.field_type).collect();
    assert_eq!(
        types,
        [
            FieldType::Text { width: 18 },
            FieldType::Integer { width: 4 },
            FieldType::Real {
                width: 16,
                decimals: 4
            },
            FieldType::Real {
                width: 19,
                decimals: 11
            },
            FieldType::Date,
            FieldType::Logical,
            FieldType::Text { width: 10 },
        ]
    );
    assert_eq!(
        d.features[0].attrs,
        vec![
            AttrValue::Text("130403SJBG26210183".into()),
            AttrValue::Integer(2024),
            AttrValue::Real(1234.5678),
            AttrValue::Real(0.12345678901),
            AttrValue::Text("2024-03-15".into()),
            AttrValue::Bool(true),
            AttrValue::Text("  lead".into()),
        ]
    );
    assert_eq!(
        d.features[1].attrs,
        vec![
            AttrValue::Null,
            AttrValue::Null,
            AttrValue::Null,
            AttrValue::Real(-3.0),
            AttrValue::Null,
            AttrValue::Null,
            AttrValue::Text("x".into()),
        ]
    );
    assert_eq!(d.features[1].row, 2);
}

#[test]
fn bad_number_names_row_and_field() {
    let (s, x) = shp_polygons(&[Some(vec![cw_square(0.0, 0.0, 1.0)])]);
    let cols = [col("NF", b'N', 6, 0)];
    let err = read_parts(
        &s,
        Some(&x),
        &dbf(&cols, &[vec![b"20a4".to_vec()]], 0, &[]),
        None,
        &opts(),
    )
    .unwrap_err();
    assert_eq!(err.row, Some(1));
    assert!(
        err.to_string().contains("NF") && err.to_string().contains("20a4"),
        "{err}"
    );
}

#[test]
fn multipart_holes_and_orientation() {
    // Record 1: two outer rings, a hole in the second listed *before* it, and
    // a hole in the first. Record 2: an island inside a lake inside an outer.
    let r1 = vec![
        cw_square(0.0, 0.0, 10.0),
        ccw_square(22.0, 2.0, 2.0),
        cw_square(20.0, 0.0, 10.0),
        ccw_square(1.0, 1.0, 2.0),
    ];
    let r2 = vec![
        cw_square(0.0, 0.0, 100.0),
        ccw_square(10.0, 10.0, 80.0),
        cw_square(20.0, 20.0, 60.0),
        ccw_square(30.0, 30.0, 10.0),
    ];
    let (s, x) = shp_polygons(&[Some(r1.clone()), Some(r2.clone())]);
    let table = dbf(
        &[col("ID", b'N', 3, 0)],
        &[vec![b"1".to_vec()], vec![b"2".to_vec()]],
        0,
        &[],
    );
    let d = read_parts(&s, Some(&x), &table, None, &opts()).unwrap();
    let ring = |r: &Ring| r.iter().map(|&(x, y)| Coord { x, y }).collect::<Vec<_>>();

    let m1 = d.features[0].geometry.as_ref().unwrap();
    assert_eq!(m1.0.len(), 2);
    assert_eq!(m1.0[0].exterior().0, ring(&r1[0]));
    assert_eq!(m1.0[0].interiors().len(), 1);
    assert_eq!(m1.0[0].interiors()[0].0, ring(&r1[3]));
    assert_eq!(m1.0[1].exterior().0, ring(&r1[2]));
    assert_eq!(m1.0[1].interiors()[0].0, ring(&r1[1]));

    let m2 = d.features[1].geometry.as_ref().unwrap();
    assert_eq!(m2.0.len(), 2);
    assert_eq!(m2.0[0].interiors()[0].0, ring(&r2[1]));
    assert_eq!(m2.0[1].exterior().0, ring(&r2[2]));
    assert_eq!(
        m2.0[1].interiors()[0].0,
        ring(&r2[3]),
        "the small hole belongs to the island"
    );
    assert!(d.features.iter().all(|f| f.repairs.is_empty()));
}

#[test]
fn polygon_z_is_read_as_2d() {
    let c = polygon_content(&[cw_square(0.0, 0.0, 1.0)], 15);
    let (s, x) = shp_from_contents(&[c], 15);
    let table = dbf(&[col("ID", b'N', 3, 0)], &[vec![b"1".to_vec()]], 0, &[]);
    let d = read_parts(&s, Some(&x), &table, None, &opts()).unwrap();
    assert_eq!(
        d.features[0].geometry.as_ref().unwrap().0[0]
            .exterior()
            .0
            .len(),
        5
    );
}

#[test]
fn null_geometry_and_unclosed_ring() {
    let open = vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)];
    let (s, x) = shp_polygons(&[None, Some(vec![open]), Some(vec![])]);
    let rows: Vec<Vec<Vec<u8>>> = (1..=3).map(|i| vec![i.to_string().into_bytes()]).collect();
    let d = read_parts(
        &s,
        Some(&x),
        &dbf(&[col("ID", b'N', 3, 0)], &rows, 0, &[]),
        None,
        &opts(),
    )
    .unwrap();
    assert_eq!(d.features.len(), 3);
    assert!(d.features[0].geometry.is_none());
    assert_eq!(
        d.features[1].repairs,
        vec![Repair::ClosedRing {
            polygon: 0,
            ring: 0
        }]
    );
    assert_eq!(
        d.features[1].geometry.as_ref().unwrap().0[0]
            .exterior()
            .0
            .len(),
        5
    );
    assert!(
        d.features[2].geometry.is_none(),
        "a polygon with no parts is a null geometry"
    );
}

#[test]
fn deleted_records_are_skipped_keeping_row_numbers() {
    let (s, x) = three_squares();
    let rows: Vec<Vec<Vec<u8>>> = (1..=3).map(|i| vec![i.to_string().into_bytes()]).collect();
    let d = read_parts(
        &s,
        Some(&x),
        &dbf(&[col("ID", b'N', 3, 0)], &rows, 0, &[1]),
        None,
        &opts(),
    )
    .unwrap();
    assert_eq!(d.features.iter().map(|f| f.row).collect::<Vec<_>>(), [1, 3]);
}

#[test]
fn truncated_shp() {
    let (s, x) = three_squares();
    let err = read_parts(&s[..s.len() / 2], Some(&x), &gbk_table(0x4D), None, &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::Corrupt(ref m) if m.contains("截断")),
        "{err}"
    );
    // Header length patched to match the cut: the cut record is named.
    let mut cut = s[..s.len() - 20].to_vec();
    let words = (cut.len() / 2) as i32;
    cut[24..28].copy_from_slice(&words.to_be_bytes());
    let err = read_parts(&cut, Some(&x), &gbk_table(0x4D), None, &opts()).unwrap_err();
    assert_eq!(err.row, Some(3), "{err}");
    assert!(matches!(err.problem, Problem::Corrupt(_)));
    // Shorter than a header.
    let err = read_parts(&s[..50], None, &gbk_table(0x4D), None, &opts()).unwrap_err();
    assert!(matches!(err.problem, Problem::Corrupt(_)));
}

#[test]
fn truncated_dbf() {
    let (s, x) = three_squares();
    let t = gbk_table(0x4D);
    let err = read_parts(&s, Some(&x), &t[..t.len() - 10], None, &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::Corrupt(ref m) if m.contains("截断")),
        "{err}"
    );
}

#[test]
fn record_count_mismatch() {
    let (s, x) = three_squares();
    let two = dbf(
        &[col("ID", b'N', 3, 0)],
        &[vec![b"1".to_vec()], vec![b"2".to_vec()]],
        0,
        &[],
    );
    let err = read_parts(&s, Some(&x), &two, None, &opts()).unwrap_err();
    assert!(
        matches!(
            err.problem,
            Problem::RecordCountMismatch {
                shapes: 3,
                records: 2
            }
        ),
        "{err}"
    );
    // Without the .shx the .shp itself is counted.
    let err = read_parts(&s, None, &two, None, &opts()).unwrap_err();
    assert!(
        matches!(
            err.problem,
            Problem::RecordCountMismatch {
                shapes: 3,
                records: 2
            }
        ),
        "{err}"
    );
}

#[test]
fn non_finite_coordinates_name_the_row() {
    let bad = vec![(0.0, 0.0), (0.0, f64::NAN), (1.0, 1.0), (0.0, 0.0)];
    let inf = vec![(0.0, 0.0), (f64::INFINITY, 1.0), (1.0, 1.0), (0.0, 0.0)];
    for ring in [bad, inf] {
        let (s, x) = shp_polygons(&[Some(vec![cw_square(0.0, 0.0, 1.0)]), Some(vec![ring])]);
        let rows = vec![vec![b"1".to_vec()], vec![b"2".to_vec()]];
        let err = read_parts(
            &s,
            Some(&x),
            &dbf(&[col("ID", b'N', 3, 0)], &rows, 0, &[]),
            None,
            &opts(),
        )
        .unwrap_err();
        assert_eq!(err.row, Some(2));
        assert!(matches!(err.problem, Problem::NonFiniteCoordinate));
    }
}

#[test]
fn not_polygons() {
    // A PolyLine file.
    let mut line = polygon_content(&[vec![(0.0, 0.0), (1.0, 1.0)]], 3);
    line[0..4].copy_from_slice(&3i32.to_le_bytes());
    let (s, x) = shp_from_contents(&[line.clone()], 3);
    let table = dbf(&[col("ID", b'N', 3, 0)], &[vec![b"1".to_vec()]], 0, &[]);
    let err = read_parts(&s, Some(&x), &table, None, &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::NotPolygon(ref t) if t.contains("线")),
        "{err}"
    );
    // A polyline record inside a polygon file.
    let (s, x) = shp_from_contents(&[line], 5);
    let err = read_parts(&s, Some(&x), &table, None, &opts()).unwrap_err();
    assert_eq!(err.row, Some(1));
    assert!(matches!(err.problem, Problem::NotPolygon(_)));
}

#[test]
fn too_large() {
    let (s, x) = three_squares();
    let small = ReadOptions {
        max_bytes: 200,
        ..opts()
    };
    let err = read_parts(&s, Some(&x), &gbk_table(0x4D), None, &small).unwrap_err();
    assert!(matches!(err.problem, Problem::TooLarge { .. }));
}

#[test]
fn files_folders_and_missing_parts() {
    let dir = tempfile::tempdir().unwrap();
    let (s, x) = three_squares();
    let t = gbk_table(0);
    let prj = weipian_formats::shp::PRJ_CGCS2000;
    let path = write_set(
        dir.path(),
        "图斑",
        &[
            ("shp", &s),
            ("shx", &x),
            ("dbf", &t),
            ("cpg", b"GBK"),
            ("prj", prj.as_bytes()),
        ],
    );
    let d = shp::read(&path, &opts()).unwrap();
    assert_eq!(dlmc(&d), expected_dlmc());
    assert_eq!(d.crs.wkt.as_deref(), Some(prj));
    assert_eq!(d.source, path);
    // Through the generic entry point, from the folder and from the .dbf.
    assert_eq!(
        weipian_formats::read(dir.path(), &opts())
            .unwrap()
            .features
            .len(),
        3
    );
    assert_eq!(
        weipian_formats::read(&dir.path().join("图斑.dbf"), &opts())
            .unwrap()
            .features
            .len(),
        3
    );

    // No .prj: no WKT, not an error. No .shx: read sequentially.
    std::fs::remove_file(dir.path().join("图斑.prj")).unwrap();
    std::fs::remove_file(dir.path().join("图斑.shx")).unwrap();
    let d = shp::read(&path, &opts()).unwrap();
    assert_eq!(d.crs.wkt, None);
    assert_eq!(d.features.len(), 3);

    // No .dbf.
    std::fs::remove_file(dir.path().join("图斑.dbf")).unwrap();
    let err = shp::read(&path, &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::MissingPart(ref p) if p.contains(".dbf")),
        "{err}"
    );

    // Upper-case extensions.
    let up = tempfile::tempdir().unwrap();
    let path = write_set(
        up.path(),
        "A",
        &[("SHP", &s), ("SHX", &x), ("DBF", &t), ("CPG", b"GBK")],
    );
    let d = shp::read(&path.with_extension("SHP"), &opts()).unwrap();
    assert_eq!(d.encoding.as_deref(), Some("GBK（.cpg）"));

    // A folder with two shapefiles: listed, unless a layer is named.
    let two = tempfile::tempdir().unwrap();
    write_set(two.path(), "甲", &[("shp", &s), ("dbf", &t)]);
    write_set(two.path(), "乙", &[("shp", &s), ("dbf", &t)]);
    let err = shp::read(two.path(), &opts()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("甲.shp") && msg.contains("乙.shp"), "{msg}");
    let pick = ReadOptions {
        layer: Some("乙".into()),
        ..opts()
    };
    assert!(shp::read(two.path(), &pick)
        .unwrap()
        .source
        .ends_with("乙.shp"));
    // An empty folder.
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        shp::read(empty.path(), &opts()).unwrap_err().problem,
        Problem::MissingPart(_)
    ));
}

#[test]
fn reads_files_written_by_the_shapefile_and_dbase_crates() {
    use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    use shapefile::{Point, Polygon, PolygonRing};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ext.shp");
    let polygon = Polygon::with_rings(vec![
        PolygonRing::Outer(vec![
            Point::new(0.0, 0.0),
            Point::new(0.0, 4.0),
            Point::new(4.0, 4.0),
            Point::new(4.0, 0.0),
            Point::new(0.0, 0.0),
        ]),
        PolygonRing::Inner(vec![
            Point::new(1.0, 1.0),
            Point::new(2.0, 1.0),
            Point::new(2.0, 2.0),
            Point::new(1.0, 2.0),
            Point::new(1.0, 1.0),
        ]),
    ]);
    let table = TableWriterBuilder::new()
        .add_character_field(FieldName::try_from("DLMC").unwrap(), 20)
        .add_numeric_field(FieldName::try_from("MJ").unwrap(), 12, 2);
    let mut writer = shapefile::Writer::from_path(&path, table).unwrap();
    let mut record = Record::default();
    record.insert(
        "DLMC".to_string(),
        FieldValue::Character(Some("paddy".into())),
    );
    record.insert("MJ".to_string(), FieldValue::Numeric(Some(12.25)));
    writer.write_shape_and_record(&polygon, &record).unwrap();
    drop(writer);
    let d = shp::read(&path, &opts()).unwrap();
    assert_eq!(d.features.len(), 1);
    assert_eq!(
        d.features[0].attrs,
        vec![AttrValue::Text("paddy".into()), AttrValue::Real(12.25)]
    );
    let m = d.features[0].geometry.as_ref().unwrap();
    assert_eq!(m.0.len(), 1);
    assert_eq!(m.0[0].interiors().len(), 1);
}
