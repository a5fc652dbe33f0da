//! Shapefiles inside a `.zip`: found anywhere in the archive, and nothing
//! unsafe gets through.

mod shp_support;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use shp_support::*;
use weipian_domain::AttrValue;
use weipian_formats::{shp, zipin, Problem, ReadOptions};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn opts() -> ReadOptions {
    ReadOptions::default()
}

fn parts() -> Vec<(&'static str, Vec<u8>)> {
    let (s, x) = shp_polygons(&[Some(vec![cw_square(0.0, 0.0, 1.0)]), None]);
    let t = dbf(
        &[col("DLMC", b'C', 10, 0)],
        &[vec![gbk("水田")], vec![gbk("旱地")]],
        0,
        &[],
    );
    vec![("shp", s), ("shx", x), ("dbf", t), ("cpg", b"GBK".to_vec())]
}

/// Build a zip from (name, bytes) entries.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let o = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(name.as_str(), o).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn shapefile_entries(prefix: &str, stem: &str) -> Vec<(String, Vec<u8>)> {
    parts()
        .into_iter()
        .map(|(e, b)| (format!("{prefix}{stem}.{e}"), b))
        .collect()
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn nested_folder_and_upper_case_members() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = vec![("数据/".to_string(), Vec::new())];
    entries.extend(
        parts()
            .into_iter()
            .map(|(e, b)| (format!("数据/2024年/图斑.{}", e.to_uppercase()), b)),
    );
    // macOS junk is ignored.
    entries.push((
        "__MACOSX/数据/2024年/._图斑.shp".to_string(),
        b"junk".to_vec(),
    ));
    entries.push(("说明.txt".to_string(), b"readme".to_vec()));
    let path = save(dir.path(), "in.zip", &zip_of(&entries));
    let d = weipian_formats::read(&path, &opts()).unwrap();
    assert_eq!(d.source, path);
    assert_eq!(d.features.len(), 2);
    assert_eq!(d.features[0].attrs[0], AttrValue::Text("水田".into()));
    assert_eq!(d.encoding.as_deref(), Some("GBK（.cpg）"));
    assert!(d.features[1].geometry.is_none());
}

#[test]
fn escaping_entries_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "../evil.shp",
        "a/../../evil.dbf",
        "/etc/evil.shp",
        "C:/evil.shp",
        "..\\evil.txt",
    ] {
        let mut entries = shapefile_entries("", "ok");
        entries.push((bad.to_string(), b"x".to_vec()));
        let path = save(dir.path(), "bad.zip", &zip_of(&entries));
        let err = shp::read(&path, &opts()).unwrap_err();
        assert!(
            matches!(err.problem, Problem::UnsafeZip(ref m) if m.contains(bad)),
            "{bad}: {err}"
        );
    }
}

#[test]
fn symlinks_are_refused() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let o = SimpleFileOptions::default();
    for (name, bytes) in shapefile_entries("", "ok") {
        w.start_file(name, o).unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.add_symlink("ok.prj", "/etc/passwd", o).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let err =
        zipin::extract_shapefile_from(Path::new("s.zip"), Cursor::new(bytes), &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::UnsafeZip(ref m) if m.contains("ok.prj") && m.contains("符号链接")),
        "{err}"
    );
}

#[test]
fn zip_bombs_are_refused_while_inflating() {
    // 8 MB of zeros as the .dbf compresses ~1000:1.
    let mut entries = shapefile_entries("", "bomb");
    entries[2].1 = vec![0u8; 8 << 20];
    let bytes = zip_of(&entries);
    assert!(bytes.len() < 100_000);
    let err =
        zipin::extract_shapefile_from(Path::new("b.zip"), Cursor::new(bytes.clone()), &opts())
            .unwrap_err();
    assert!(
        matches!(err.problem, Problem::UnsafeZip(ref m) if m.contains("压缩比") && m.contains("bomb.dbf")),
        "{err}"
    );

    // The total inflated size counts against max_bytes, whatever the headers say.
    let small = ReadOptions {
        max_bytes: 300,
        ..opts()
    };
    let err = zipin::extract_shapefile_from(
        Path::new("b.zip"),
        Cursor::new(zip_of(&shapefile_entries("", "x"))),
        &small,
    )
    .unwrap_err();
    assert!(
        matches!(err.problem, Problem::UnsafeZip(ref m) if m.contains("300")),
        "{err}"
    );
}

#[test]
fn lying_header_sizes_do_not_help() {
    // Patch the uncompressed size in the central directory and local header
    // to 10 bytes: inflating still counts the real bytes (and the CRC/size
    // check of the zip reader, or our budget, stops it).
    let mut entries = shapefile_entries("", "lie");
    entries[2].1 = vec![0u8; 4 << 20];
    let mut bytes = zip_of(&entries);
    let real = (4u32 << 20).to_le_bytes();
    let fake = 10u32.to_le_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        if bytes[i..i + 4] == real {
            bytes[i..i + 4].copy_from_slice(&fake);
        }
        i += 1;
    }
    let small = ReadOptions {
        max_bytes: 1 << 20,
        ..opts()
    };
    let err =
        zipin::extract_shapefile_from(Path::new("l.zip"), Cursor::new(bytes), &small).unwrap_err();
    assert!(
        matches!(err.problem, Problem::UnsafeZip(_) | Problem::Corrupt(_)),
        "{err}"
    );
}

#[test]
fn several_shapefiles_need_a_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = shapefile_entries("甲/", "图斑");
    entries.extend(shapefile_entries("乙/", "地块"));
    let path = save(dir.path(), "two.zip", &zip_of(&entries));
    let err = shp::read(&path, &opts()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("甲/图斑.shp") && msg.contains("乙/地块.shp"),
        "{msg}"
    );
    let pick = ReadOptions {
        layer: Some("地块".into()),
        ..opts()
    };
    assert_eq!(shp::read(&path, &pick).unwrap().features.len(), 2);
    let wrong = ReadOptions {
        layer: Some("没有".into()),
        ..opts()
    };
    assert!(shp::read(&path, &wrong)
        .unwrap_err()
        .to_string()
        .contains("没有"));
}

#[test]
fn missing_members_and_non_zips() {
    let dir = tempfile::tempdir().unwrap();
    let only_dbf: Vec<_> = shapefile_entries("", "x")
        .into_iter()
        .filter(|(n, _)| n.ends_with(".dbf"))
        .collect();
    let err = shp::read(&save(dir.path(), "a.zip", &zip_of(&only_dbf)), &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::MissingPart(ref m) if m.contains(".shp")),
        "{err}"
    );

    let no_dbf: Vec<_> = shapefile_entries("", "x")
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".dbf"))
        .collect();
    let err = shp::read(&save(dir.path(), "b.zip", &zip_of(&no_dbf)), &opts()).unwrap_err();
    assert!(
        matches!(err.problem, Problem::MissingPart(ref m) if m.contains("x.dbf")),
        "{err}"
    );

    let err = shp::read(
        &save(dir.path(), "c.zip", b"PK\x03\x04 not really"),
        &opts(),
    )
    .unwrap_err();
    assert!(matches!(err.problem, Problem::Corrupt(_)), "{err}");

    let err = shp::read(&save(dir.path(), "d.zip", &zip_of(&[])), &opts()).unwrap_err();
    assert!(matches!(err.problem, Problem::MissingPart(_)), "{err}");
}

#[test]
fn gbk_entry_names_are_decoded() {
    // Windows tools write GBK names without the UTF-8 flag; build such a zip
    // by hand-patching the names of a stored archive.
    let entries: Vec<(String, Vec<u8>)> = parts()
        .into_iter()
        .map(|(e, b)| (format!("XX.{e}"), b))
        .collect();
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let o = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, bytes) in &entries {
        w.start_file(name.as_str(), o).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.start_file("YY.shp", o).unwrap();
    w.write_all(&entries[0].1).unwrap();
    let mut bytes = w.finish().unwrap().into_inner();
    let gbk_name = gbk("图斑");
    assert_eq!(gbk_name.len(), 4);
    let mut i = 0;
    while i + 3 <= bytes.len() {
        if &bytes[i..i + 3] == b"XX." {
            bytes[i..i + 2].copy_from_slice(&gbk_name[..2]);
            // keep length: replace "XX" by the first GBK character only
        }
        i += 1;
    }
    let err =
        zipin::extract_shapefile_from(Path::new("g.zip"), Cursor::new(bytes), &opts()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("图.shp") && msg.contains("YY.shp"), "{msg}");
}
