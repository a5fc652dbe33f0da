//! 国土 TXT files through the generic reader.

use std::path::Path;

use weipian_domain::AttrValue;
use weipian_formats::{Problem, ReadOptions, TextEncoding};

const SAMPLE: &str = "[属性描述]\r\n格式版本号=1.01\r\n数据产生单位=某县自然资源局\r\n数据产生日期=2024-06-01\r\n\
坐标系=2000国家大地坐标系\r\n几度分带=3\r\n投影类型=高斯克吕格\r\n计量单位=米\r\n带号=38\r\n精度=0.001\r\n转换参数=,,,,,,\r\n\
[地块坐标]\r\n\
10,0.0100,3201001,水田整治,面,H50G001001,农用地,0101,@\r\n\
J1,1,3386600.000,38528700.000\r\nJ2,1,3386600.000,38528800.000\r\nJ3,1,3386500.000,38528800.000\r\n\
J4,1,3386500.000,38528700.000\r\nJ1,1,3386600.000,38528700.000\r\n\
J5,2,3386580.000,38528720.000\r\nJ6,2,3386520.000,38528720.000\r\nJ7,2,3386520.000,38528780.000\r\n\
J8,2,3386580.000,38528780.000\r\nJ5,2,3386580.000,38528720.000\r\n\
4,0.0050,3201002,宅基地,面,H50G001001,建设用地,0702,@\r\n\
J1,1,3386400.000,38528700.000\r\nJ2,1,3386400.000,38528750.000\r\nJ3,1,3386300.000,38528750.000\r\nJ4,1,3386300.000,38528700.000\r\n";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn gbk_txt_with_holes_and_several_parcels() {
    let dir = tempfile::tempdir().unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(SAMPLE);
    let path = write(dir.path(), "界址点.txt", &gbk);
    let d = weipian_formats::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(
        d.encoding.as_deref(),
        Some("GBK（UTF-8 解码失败后按 GBK 严格解码）")
    );
    assert_eq!(d.crs.txt.as_ref().unwrap().zone.as_deref(), Some("38"));
    assert_eq!(d.features.len(), 2);
    let first = &d.features[0];
    assert_eq!(first.attrs[3], AttrValue::Text("水田整治".into()));
    assert_eq!(first.attrs[1], AttrValue::Real(0.01));
    let p = &first.geometry.as_ref().unwrap().0[0];
    assert_eq!(p.interiors().len(), 1);
    assert_eq!(p.exterior().0[1].x, 38_528_800.0);
    assert_eq!(p.exterior().0[1].y, 3_386_600.0);
    // The second parcel's ring was left open: closed and recorded.
    assert_eq!(d.features[1].repairs.len(), 1);
    assert_eq!(
        d.features[1].geometry.as_ref().unwrap().0[0]
            .exterior()
            .0
            .len(),
        5
    );

    let forced = ReadOptions {
        encoding: TextEncoding::Utf8,
        ..ReadOptions::default()
    };
    let err = weipian_formats::read(&path, &forced).unwrap_err();
    assert!(matches!(err.problem, Problem::Encoding(_)));

    let utf8 = write(dir.path(), "u.txt", SAMPLE.as_bytes());
    let d = weipian_formats::read(&utf8, &ReadOptions::default()).unwrap();
    assert_eq!(d.features[0].attrs[3], AttrValue::Text("水田整治".into()));
}

#[test]
fn wrong_point_count_is_refused_with_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SAMPLE.replace("10,0.0100", "11,0.0100");
    let path = write(dir.path(), "bad.txt", bad.as_bytes());
    let err = weipian_formats::read(&path, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.row, Some(1));
    assert!(err.to_string().contains("第 13 行"), "{err}");
}
