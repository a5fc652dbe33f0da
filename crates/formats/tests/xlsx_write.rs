//! xlsx export read back with calamine: every cell as written.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use weipian_domain::{AttrValue, FieldDef, FieldType};
use weipian_formats::xlsx::{self, XlsxOptions};
use weipian_formats::{Dataset, Feature};

fn dataset() -> Dataset {
    let fields = vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new("XZQDM", FieldType::Integer { width: 6 }), // numeric in the source file
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 18,
                decimals: 4,
            },
        ),
        FieldDef::new("NF", FieldType::Integer { width: 4 }),
        FieldDef::new("HSX", FieldType::Date),
        FieldDef::new("SFHF", FieldType::Logical),
        FieldDef::new("custom_col", FieldType::Text { width: 0 }),
        FieldDef::new(
            "tqmj",
            FieldType::Real {
                width: 0,
                decimals: 0,
            },
        ),
    ];
    let features = vec![
        Feature {
            row: 1,
            geometry: None,
            attrs: vec![
                AttrValue::Text("013040SJBG26210183".into()),
                AttrValue::Integer(130403),
                AttrValue::Real(1063125.1079123456),
                AttrValue::Integer(2020),
                AttrValue::Text("2020-03-31".into()),
                AttrValue::Bool(true),
                AttrValue::Text("水田、旱地 \"引号\" <tag> & 符号".into()),
                AttrValue::Real(0.1 + 0.2),
            ],
            repairs: vec![],
        },
        Feature {
            row: 2,
            geometry: None,
            attrs: vec![
                AttrValue::Text("000123".into()),
                AttrValue::Real(110105.0),
                AttrValue::Real(-1.0e-300),
                AttrValue::Integer(-9_007_199_254_740_993), // beyond 2^53: kept exact as text
                AttrValue::Null,
                AttrValue::Bool(false),
                AttrValue::Null,
                AttrValue::Real(f64::NAN),
            ],
            repairs: vec![],
        },
    ];
    Dataset {
        source: PathBuf::from("in.shp"),
        fields,
        features,
        crs: Default::default(),
        encoding: None,
    }
}

fn read_sheet(path: &Path, sheet: &str) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    assert_eq!(wb.sheet_names(), vec![sheet.to_string()]);
    wb.worksheet_range(sheet).unwrap()
}

fn zip_entry(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn every_cell_reads_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("图斑.xlsx");
    let d = dataset();
    let mut options = XlsxOptions::default();
    options
        .headers
        .insert("CUSTOM_COL".into(), "自定义说明".into());
    xlsx::write(&path, &d, &options).unwrap();

    let range = read_sheet(&path, "图斑");
    assert_eq!(range.get_size(), (3, 8));
    let header: Vec<_> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let tqmj = weipian_domain::fields::header_zh("TQMJ").unwrap();
    assert_eq!(
        header,
        [
            "监测编号",
            "行政区代码",
            "监测面积",
            "年份",
            "后时相",
            "SFHF",
            "自定义说明",
            tqmj
        ]
    );

    let expected = [
        vec![
            Data::String("013040SJBG26210183".into()),
            Data::String("130403".into()),
            Data::Float(1063125.1079123456),
            Data::Float(2020.0),
            Data::String("2020-03-31".into()),
            Data::Bool(true),
            Data::String("水田、旱地 \"引号\" <tag> & 符号".into()),
            Data::Float(0.1 + 0.2),
        ],
        vec![
            Data::String("000123".into()),
            Data::String("110105".into()),
            Data::Float(-1.0e-300),
            Data::String("-9007199254740993".into()),
            Data::Empty,
            Data::Bool(false),
            Data::Empty,
            Data::String("NaN".into()),
        ],
    ];
    for (r, want) in expected.iter().enumerate() {
        let got: Vec<Data> = range.rows().nth(r + 1).unwrap().to_vec();
        assert_eq!(&got, want, "row {}", r + 1);
    }
    // Bit-exact floats.
    if let Some(Data::Float(f)) = range.get((1, 7)) {
        assert_eq!(f.to_bits(), (0.1f64 + 0.2).to_bits());
    } else {
        panic!("tqmj not a number");
    }

    // Font, bold header, frozen header row, autofilter, column widths.
    let styles = zip_entry(&path, "xl/styles.xml");
    assert!(styles.contains("宋体"), "{styles}");
    assert!(styles.contains("<b/>"), "{styles}");
    let sheet = zip_entry(&path, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#),
        "{sheet}"
    );
    assert!(sheet.contains(r#"<autoFilter ref="A1:H3""#), "{sheet}");
    assert!(
        sheet.contains("<cols>") && sheet.contains("customWidth=\"1\""),
        "{sheet}"
    );

    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
}

#[test]
fn sheet_name_is_configurable_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.xlsx");
    let options = XlsxOptions {
        sheet_name: "2020年第一批".into(),
        ..XlsxOptions::default()
    };
    xlsx::write(&path, &dataset(), &options).unwrap();
    assert_eq!(read_sheet(&path, "2020年第一批").get_size(), (3, 8));

    let bad = XlsxOptions {
        sheet_name: "a/b".into(),
        ..XlsxOptions::default()
    };
    let err = xlsx::write(&dir.path().join("y.xlsx"), &dataset(), &bad).unwrap_err();
    assert!(err.to_string().contains("工作表名称"), "{err}");
    assert!(!dir.path().join("y.xlsx").exists());
}

#[test]
fn empty_dataset_still_has_headers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.xlsx");
    let mut d = dataset();
    d.features.clear();
    xlsx::write(&path, &d, &XlsxOptions::default()).unwrap();
    let range = read_sheet(&path, "图斑");
    assert_eq!(range.get_size(), (1, 8));
}

#[test]
fn a_misaligned_feature_is_refused_with_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.xlsx");
    let mut d = dataset();
    d.features[1].attrs.pop();
    let err = xlsx::write(&path, &d, &XlsxOptions::default()).unwrap_err();
    assert_eq!(err.row, Some(2));
    assert!(!path.exists());
}
