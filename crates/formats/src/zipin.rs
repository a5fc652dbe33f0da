//! Safe extraction of one shapefile from a `.zip`, into memory.
//!
//! Nothing in the archive is trusted: entry names with `..`, absolute paths
//! or drive letters, symbolic links, encrypted entries and zip bombs are
//! refused (naming the entry). Sizes are counted on the bytes actually
//! inflated — the sizes in the headers are only hints. Members are matched by
//! extension case-insensitively, in any folder of the archive; macOS
//! resource forks (`__MACOSX/`, `._name`) are ignored.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use zip::ZipArchive;

use crate::dataset::ReadOptions;
use crate::error::{FormatError, Problem};

/// Most entries an archive may list.
pub const MAX_ENTRIES: usize = 10_000;
/// Highest accepted ratio of inflated to compressed bytes for one entry.
pub const MAX_RATIO: u64 = 200;
/// The ratio is only checked once an entry has inflated past this many bytes
/// (small, very regular files such as a blank `.dbf` legitimately compress
/// well, and cannot hurt).
pub const RATIO_MIN_BYTES: u64 = 1 << 20;

/// The parts of the shapefile found in an archive, inflated.
#[derive(Debug, Clone, Default)]
pub struct ShapefileMembers {
    /// The `.shp` entry's path inside the archive without its extension.
    pub stem: String,
    pub shp: Vec<u8>,
    pub shx: Option<Vec<u8>>,
    pub dbf: Option<Vec<u8>>,
    pub prj: Option<Vec<u8>>,
    pub cpg: Option<Vec<u8>>,
}

const EXTS: [&str; 5] = ["shp", "shx", "dbf", "prj", "cpg"];

/// Open `path` and extract its shapefile.
pub fn extract_shapefile(
    path: &Path,
    options: &ReadOptions,
) -> Result<ShapefileMembers, FormatError> {
    let file = std::fs::File::open(path).map_err(|e| FormatError::file(path, Problem::Io(e)))?;
    extract_shapefile_from(path, std::io::BufReader::new(file), options)
}

/// Extract the shapefile of an archive read from `reader`; `source` names it
/// in messages.
pub fn extract_shapefile_from<R: Read + Seek>(
    source: &Path,
    mut reader: R,
    options: &ReadOptions,
) -> Result<ShapefileMembers, FormatError> {
    let err = |p: Problem| FormatError::file(source, p);
    let archive_len = reader
        .seek(SeekFrom::End(0))
        .map_err(|e| err(Problem::Io(e)))?;
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| err(Problem::Io(e)))?;
    let mut archive = ZipArchive::new(reader)
        .map_err(|e| err(Problem::Corrupt(format!("不是有效的 zip 压缩包（{e}）"))))?;
    if archive.len() > MAX_ENTRIES {
        return Err(err(Problem::UnsafeZip(format!(
            "条目数 {} 超过上限 {MAX_ENTRIES}",
            archive.len()
        ))));
    }

    // Group the shapefile members by their path without extension.
    struct Group {
        key: String,
        stem: String,
        members: [Option<usize>; 5],
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut names: Vec<String> = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive
            .by_index_data(i)
            .map_err(|e| err(Problem::Corrupt(format!("压缩包目录损坏（{e}）"))))?;
        let name = decode_name(entry.name_raw());
        check_name(&name).map_err(err)?;
        names.push(name.clone());
        if entry.is_symlink() {
            return Err(err(Problem::UnsafeZip(format!("条目“{name}”是符号链接"))));
        }
        if entry.is_dir() || name.ends_with('/') || name.ends_with('\\') {
            continue;
        }
        let normalized = name.replace('\\', "/");
        let file_name = normalized.rsplit('/').next().unwrap_or_default();
        if normalized.starts_with("__MACOSX/") || file_name.starts_with("._") {
            continue;
        }
        let Some((stem_part, ext)) = normalized.rsplit_once('.') else {
            continue;
        };
        let ext = ext.to_ascii_lowercase();
        let Some(slot) = EXTS.iter().position(|e| *e == ext) else {
            continue;
        };
        if entry.encrypted() {
            return Err(err(Problem::Unsupported(format!(
                "压缩包条目“{name}”已加密，无法读取"
            ))));
        }
        let key = stem_part.to_lowercase();
        let group = match groups.iter().position(|g| g.key == key) {
            Some(g) => &mut groups[g],
            None => {
                groups.push(Group {
                    key,
                    stem: stem_part.to_string(),
                    members: [None; 5],
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        if group.members[slot].is_some() {
            return Err(err(Problem::Invalid(format!(
                "压缩包内有重复的条目“{name}”"
            ))));
        }
        group.members[slot] = Some(i);
    }

    let with_shp: Vec<&Group> = groups.iter().filter(|g| g.members[0].is_some()).collect();
    let shp_names: Vec<String> = with_shp.iter().map(|g| format!("{}.shp", g.stem)).collect();
    let chosen = choose_layer(&shp_names, options.layer.as_deref()).map_err(|p| match p {
        Problem::MissingPart(_) => err(Problem::MissingPart("压缩包内的 .shp 文件".into())),
        other => err(other),
    })?;
    let group = with_shp[chosen];
    let stem = group.stem.clone();
    let members = group.members;

    let mut budget = 0u64;
    let mut take = |idx: Option<usize>| -> Result<Option<Vec<u8>>, FormatError> {
        let Some(i) = idx else { return Ok(None) };
        inflate(
            &mut archive,
            i,
            &names[i],
            archive_len,
            &mut budget,
            options.max_bytes,
        )
        .map(Some)
        .map_err(err)
    };
    let shp = take(members[0])?.unwrap_or_default();
    let shx = take(members[1])?;
    let dbf = take(members[2])?;
    let prj = take(members[3])?;
    let cpg = take(members[4])?;
    Ok(ShapefileMembers {
        stem,
        shp,
        shx,
        dbf,
        prj,
        cpg,
    })
}

/// An entry's name: UTF-8 from many tools, GBK from Chinese Windows tools,
/// and the zip reader does not tell which (it ignores the UTF-8 flag). A
/// short GBK name can also be valid UTF-8 (图 = CD BC = "ͼ"), so UTF-8 is
/// only believed when it yields characters beyond U+07FF (CJK and the like)
/// or the name is not valid GBK.
fn decode_name(raw: &[u8]) -> String {
    let utf8 = std::str::from_utf8(raw).ok();
    if let Some(u) = utf8 {
        if raw.is_ascii() || u.chars().any(|c| u32::from(c) > 0x7FF) {
            return u.to_string();
        }
    }
    match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(raw) {
        Some(g) => g.into_owned(),
        None => utf8.map_or_else(
            || {
                encoding_rs::GBK
                    .decode_without_bom_handling(raw)
                    .0
                    .into_owned()
            },
            str::to_string,
        ),
    }
}

/// Refuse names that could escape an extraction folder.
fn check_name(name: &str) -> Result<(), Problem> {
    let normalized = name.replace('\\', "/");
    let bytes = normalized.as_bytes();
    let unsafe_reason = if normalized.contains('\0') {
        Some("名称中含有空字符")
    } else if normalized.starts_with('/') {
        Some("是绝对路径")
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Some("带有盘符")
    } else if normalized.split('/').any(|c| c == "..") {
        Some("含有“..”，会跳出解压目录")
    } else {
        None
    };
    match unsafe_reason {
        Some(reason) => Err(Problem::UnsafeZip(format!("条目“{name}”{reason}"))),
        None => Ok(()),
    }
}

/// Inflate every entry of an archive without keeping anything, counting
/// the bytes actually produced against `limit` and each entry's compression
/// ratio: a zip bomb is refused before a library that trusts the archive
/// (calamine for `.xlsx`) inflates it into memory.
pub(crate) fn check_inflation<R: Read + Seek>(
    reader: R,
    archive_len: u64,
    limit: u64,
) -> Result<(), Problem> {
    let mut archive = ZipArchive::new(reader)
        .map_err(|e| Problem::Corrupt(format!("不是有效的 zip 容器（{e}）")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(Problem::UnsafeZip(format!(
            "条目数 {} 超过上限 {MAX_ENTRIES}",
            archive.len()
        )));
    }
    let mut budget = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|e| Problem::Corrupt(format!("条目 {index} 无法读取（{e}）")))?;
        let name = file
            .name()
            .map_or_else(|_| format!("#{index}"), |n| n.to_string());
        let compressed = file.compressed_size().min(archive_len).max(1);
        let mut produced = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Problem::Corrupt(format!("条目“{name}”解压失败（{e}）"))),
            };
            produced += n;
            budget += n;
            if budget > limit {
                return Err(Problem::UnsafeZip(format!(
                    "解压后的大小超过上限 {limit} 字节（在条目“{name}”处，疑似压缩炸弹）"
                )));
            }
            if produced > RATIO_MIN_BYTES && produced > MAX_RATIO.saturating_mul(compressed) {
                return Err(Problem::UnsafeZip(format!(
                    "条目“{name}”的压缩比超过 {MAX_RATIO}:1（疑似压缩炸弹）"
                )));
            }
        }
    }
    Ok(())
}

/// Inflate one entry, counting the bytes actually produced against the total
/// budget and the compression ratio.
fn inflate<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    name: &str,
    archive_len: u64,
    budget: &mut u64,
    limit: u64,
) -> Result<Vec<u8>, Problem> {
    let mut file = archive
        .by_index(index)
        .map_err(|e| Problem::Corrupt(format!("压缩包条目“{name}”无法读取（{e}）")))?;
    // The header sizes are hints only: cap what we believe of them.
    let compressed = file.compressed_size().min(archive_len).max(1);
    let hint = file
        .size()
        .min(limit.saturating_sub(*budget))
        .min(compressed.saturating_mul(MAX_RATIO))
        .min(1 << 26);
    let mut out = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Problem::Corrupt(format!(
                    "压缩包条目“{name}”解压失败（{e}）"
                )))
            }
        };
        *budget += n as u64;
        if *budget > limit {
            return Err(Problem::UnsafeZip(format!(
                "解压后的大小超过上限 {limit} 字节（在条目“{name}”处，疑似压缩炸弹）"
            )));
        }
        out.extend_from_slice(&buf[..n]);
        let produced = out.len() as u64;
        if produced > RATIO_MIN_BYTES && produced > MAX_RATIO.saturating_mul(compressed) {
            return Err(Problem::UnsafeZip(format!(
                "条目“{name}”的压缩比超过 {MAX_RATIO}:1（疑似压缩炸弹）"
            )));
        }
    }
    Ok(out)
}

/// Pick one shapefile among `names` (paths ending in `.shp`): the only one,
/// or the one `layer` names (full name, or the file name with or without
/// `.shp`, case-insensitive).
pub(crate) fn choose_layer(names: &[String], layer: Option<&str>) -> Result<usize, Problem> {
    if names.is_empty() {
        return Err(Problem::MissingPart(".shp 文件".into()));
    }
    let listed = || names.join("、");
    match layer {
        None if names.len() == 1 => Ok(0),
        None => Err(Problem::Invalid(format!(
            "包含 {} 个 Shapefile：{}。请用图层参数（layer）指定其中一个",
            names.len(),
            listed()
        ))),
        Some(layer) => {
            let want = layer.trim().replace('\\', "/").to_lowercase();
            let matches: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| {
                    let n = n.replace('\\', "/").to_lowercase();
                    let file = n.rsplit('/').next().unwrap_or_default().to_string();
                    let strip = |s: &str| {
                        s.strip_suffix(".shp")
                            .map(str::to_string)
                            .unwrap_or_else(|| s.to_string())
                    };
                    [n.clone(), strip(&n), file.clone(), strip(&file)].contains(&want)
                })
                .map(|(i, _)| i)
                .collect();
            match matches.as_slice() {
                [i] => Ok(*i),
                [] => Err(Problem::Invalid(format!(
                    "找不到图层“{layer}”，可选：{}",
                    listed()
                ))),
                _ => Err(Problem::Invalid(format!(
                    "图层名“{layer}”对应多个 Shapefile：{}，请写出完整路径",
                    listed()
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_are_refused() {
        for bad in [
            "../a.shp",
            "a/../../b.dbf",
            "/etc/passwd",
            "C:/x.shp",
            "c:\\x.shp",
            "a\\..\\b.shp",
            "\\\\srv\\a.shp",
        ] {
            assert!(
                matches!(check_name(bad), Err(Problem::UnsafeZip(_))),
                "{bad}"
            );
        }
        for ok in ["a.shp", "数据/图斑.shp", "a..b.shp", "x/y/z.dbf"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            signature in proptest::prelude::any::<bool>(),
        ) {
            // With an end-of-central-directory signature the parser goes deeper.
            let mut bytes = body;
            if signature {
                bytes.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\0\0\0\0\0\0");
            }
            let _ = extract_shapefile_from(Path::new("f.zip"), std::io::Cursor::new(bytes), &ReadOptions::default());
        }
    }

    #[test]
    fn layer_choice() {
        let names = vec!["a/图斑.shp".to_string(), "b/Other.SHP".to_string()];
        assert!(
            matches!(choose_layer(&names, None), Err(Problem::Invalid(m)) if m.contains("图斑.shp") && m.contains("Other.SHP"))
        );
        assert_eq!(choose_layer(&names, Some("图斑")).ok(), Some(0));
        assert_eq!(choose_layer(&names, Some("other")).ok(), Some(1));
        assert_eq!(choose_layer(&names, Some("b/other.shp")).ok(), Some(1));
        assert!(choose_layer(&names, Some("nope")).is_err());
        assert!(matches!(
            choose_layer(&[], None),
            Err(Problem::MissingPart(_))
        ));
    }
}
