//! Evidence files attached to a patch: size-limited, typed by their content
//! (never by their name), stored content-addressed; suspicious ones are
//! accepted but flagged (the review chain builds on the flags).

use geo::{Contains, Distance, Euclidean, MapCoords};
use geo_types::{Coord, MultiPolygon, Point};
use serde::Serialize;
use weipian_domain::access::{Actor, Op};
use weipian_domain::determination::CodeTable;
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{NewAudit, PhotoMeta, Store, StoredPatch};

use crate::ServiceError;

/// Largest file accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// The content types accepted, recognised by their first bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name as shown: its last path component, without control
/// characters, at most 100 characters.
pub(crate) fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let s: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if s.trim().is_empty() {
        "附件".into()
    } else {
        s
    }
}

/// The 64-bit difference hash (dHash) of a picture: grey, shrunk to 9 × 8,
/// one bit per horizontal neighbour pair (left brighter than right). Re-saved,
/// resized or re-compressed copies of a photo differ in a few bits at most.
/// `None` when the bytes are not a picture the decoder reads within limits
/// (the file is still accepted). Written here because no maintained crate
/// does only this without a heavy image stack of its own.
#[must_use]
pub fn difference_hash(bytes: &[u8]) -> Option<u64> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let img = reader.decode().ok()?;
    let small =
        image::imageops::resize(&img.to_luma8(), 9, 8, image::imageops::FilterType::Triangle);
    let mut h = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            h <<= 1;
            if small.get_pixel(x, y).0[0] > small.get_pixel(x + 1, y).0[0] {
                h |= 1;
            }
        }
    }
    Some(h)
}

/// A photo's capture time, GPS position and direction from its EXIF data;
/// empty when there is none or it is unreadable (never an error: the photo
/// is accepted and flagged).
#[must_use]
pub fn photo_meta(bytes: &[u8]) -> PhotoMeta {
    use exif::{In, Tag, Value};
    let Ok(data) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) else {
        return PhotoMeta::default();
    };
    let ascii = |tag| match data.get_field(tag, In::PRIMARY).map(|f| &f.value) {
        Some(Value::Ascii(v)) => v
            .first()
            .map(|b| String::from_utf8_lossy(b).trim().to_string()),
        _ => None,
    };
    let rationals = |tag| match data.get_field(tag, In::PRIMARY).map(|f| &f.value) {
        Some(Value::Rational(v)) => {
            Some(v.iter().map(exif::Rational::to_f64).collect::<Vec<f64>>())
        }
        _ => None,
    };
    let dms = |tag, r#ref, neg: &str, max: f64| -> Option<f64> {
        let v = rationals(tag)?;
        let deg = v.first()? + v.get(1).unwrap_or(&0.0) / 60.0 + v.get(2).unwrap_or(&0.0) / 3600.0;
        let sign = if ascii(r#ref).is_some_and(|r| r.eq_ignore_ascii_case(neg)) {
            -1.0
        } else {
            1.0
        };
        let d = sign * deg;
        (d.is_finite() && d.abs() <= max).then_some(d)
    };
    // “YYYY:MM:DD HH:MM:SS” → “YYYY-MM-DD HH:MM:SS”, if it is a real date.
    let taken_at = ascii(Tag::DateTimeOriginal)
        .or_else(|| ascii(Tag::DateTime))
        .and_then(|t| {
            let (d, rest) = t.split_at_checked(10)?;
            let date = d.replace(':', "-");
            weipian_domain::determination::parse_date(&date)?;
            Some(format!("{date}{rest}"))
        });
    PhotoMeta {
        taken_at,
        phash: difference_hash(bytes),
        lat: dms(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S", 90.0),
        lon: dms(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W", 180.0),
        direction: rationals(Tag::GPSImgDirection)
            .and_then(|v| v.first().copied())
            .filter(|d| d.is_finite() && (0.0..=360.0).contains(d)),
    }
}

/// Distance in metres from a point to a patch (0 inside), on a local
/// equirectangular plane — ample for a flag of about 100 m.
fn distance_to_patch_m(lon: f64, lat: f64, patch: &MultiPolygon<f64>) -> f64 {
    if patch.contains(&Point::new(lon, lat)) {
        return 0.0;
    }
    let k = lat.to_radians().cos();
    let local = patch.map_coords(|c| Coord {
        x: (c.x - lon) * k * 111_320.0,
        y: (c.y - lat) * 110_574.0,
    });
    Euclidean.distance(&Point::new(0.0, 0.0), &local)
}

/// Why a reviewer should look at a photo.
fn photo_flags(p: &PhotoMeta, patch: &StoredPatch, table: Option<&CodeTable>) -> Vec<String> {
    let mut flags = Vec::new();
    match (p.lon, p.lat) {
        (Some(lon), Some(lat)) => {
            if let Some(t) = table {
                let d = distance_to_patch_m(lon, lat, &patch.geometry);
                let max = t.evidence.photo_max_distance_m;
                if d > max {
                    flags.push(format!("拍摄位置距图斑 {d:.0} 米，超过 {max:.0} 米"));
                }
            }
        }
        _ => flags.push("照片没有 GPS 位置信息".into()),
    }
    match p.taken_at.as_deref() {
        None => flags.push("照片没有拍摄时间".into()),
        Some(t) => {
            let day = t
                .get(..10)
                .and_then(weipian_domain::determination::parse_date);
            if let (Some(day), Some(after)) = (day, crate::answers::after_image(patch)) {
                if day < after {
                    flags.push(format!("拍摄时间 {t} 早于后时相 {after}"));
                }
            }
        }
    }
    flags
}

/// A stored attachment with its flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentView {
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    pub added_at: String,
    pub added_by: String,
    /// EXIF capture time (`YYYY-MM-DD HH:MM:SS`, camera local time).
    pub taken_at: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Degrees clockwise from north.
    pub direction: Option<f64>,
    /// Why a reviewer should look at it (Chinese), empty when nothing stands out.
    pub flags: Vec<String>,
}

/// The media type of an evidence file by its content, or why it is refused
/// (empty, over the size limit, not a JPEG, PNG or PDF).
pub(crate) fn checked_media_type(name: &str, bytes: &[u8]) -> Result<&'static str, ServiceError> {
    if bytes.is_empty() {
        return Err(ServiceError::Invalid(format!("附件 {name} 是空文件")));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(ServiceError::Invalid(format!(
            "附件 {name} 有 {:.1} MB，超过 {} MB 的上限",
            bytes.len() as f64 / 1_048_576.0,
            MAX_ATTACHMENT_BYTES / 1_048_576
        )));
    }
    sniff(bytes).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "附件 {name} 的内容不是 JPEG、PNG 照片或 PDF 文件（按文件内容判断，不按扩展名）"
        ))
    })
}

/// Attach a file to a patch (a county filler, in its county).
pub fn attach(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<AttachmentView, ServiceError> {
    let (patch, region) = readable_patch(store, actor, batch, jcbh)?;
    if !actor.may(Op::Determine, region) {
        return Err(ServiceError::Denied(format!(
            "{}不能上传举证材料",
            actor.role
        )));
    }
    let name = clean_name(file_name);
    let media_type = checked_media_type(&name, bytes)?;
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "attachment.add".into(),
        target: format!("{}/{}/{}", batch.year, batch.name, jcbh),
        before: None,
        after: Some(
            serde_json::json!({ "file_name": name, "media_type": media_type, "size": bytes.len() })
                .to_string(),
        ),
        reason: None,
    };
    let photo = if media_type.starts_with("image/") {
        photo_meta(bytes)
    } else {
        PhotoMeta::default()
    };
    let a = store.add_attachment(patch.id, bytes, &name, media_type, &photo, &audit)?;
    view(store, actor, &patch, a)
}

/// A patch the actor may read, with its region, or NotFound (also when it
/// lies outside the actor's scope).
fn readable_patch(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<(StoredPatch, RegionCode), ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    let region = RegionCode::parse(&patch.xzqdm)
        .map_err(|_| ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}")))?;
    Ok((patch, region))
}

/// Whether `actor` may read the patch a `YEAR/BATCH/JCBH` label names.
fn label_readable(store: &Store, actor: &Actor, label: &str) -> Result<bool, ServiceError> {
    let parts = label
        .split_once('/')
        .and_then(|(y, rest)| Some((y.parse::<u16>().ok()?, rest.rsplit_once('/')?)));
    let Some((year, (name, jcbh))) = parts else {
        return Ok(false);
    };
    let Ok(batch) = BatchId::new(year, name) else {
        return Ok(false);
    };
    Ok(store
        .patch(&batch, jcbh)?
        .is_some_and(|p| RegionCode::parse(&p.xzqdm).is_ok_and(|r| actor.may(Op::ReadPatches, r))))
}

/// An attachment as shown, with its flags (no scope check: callers check it).
pub(crate) fn view_of(
    store: &Store,
    viewer: &Actor,
    patch: &StoredPatch,
    a: weipian_store::Attachment,
) -> Result<AttachmentView, ServiceError> {
    view(store, viewer, patch, a)
}

fn view(
    store: &Store,
    actor: &Actor,
    patch: &StoredPatch,
    a: weipian_store::Attachment,
) -> Result<AttachmentView, ServiceError> {
    let mut flags = if a.media_type.starts_with("image/") {
        photo_flags(&a.photo, patch, CodeTable::embedded(patch.batch.year))
    } else {
        Vec::new()
    };
    let others = store.attachment_reuse(&a.sha256, a.patch_id)?;
    if !others.is_empty() {
        // Patches outside the caller's scope are counted, never named.
        let mut names = Vec::new();
        let mut hidden = 0usize;
        for id in others {
            match store.patch_label(id)? {
                Some(l) if label_readable(store, actor, &l)? => names.push(l),
                _ => hidden += 1,
            }
        }
        let mut flag = "同一文件也是其他图斑的附件".to_string();
        if !names.is_empty() {
            flag.push('：');
            flag.push_str(&names.join("、"));
        }
        if hidden > 0 {
            flag.push_str(&format!("（另有 {hidden} 个您权限范围以外的图斑）"));
        }
        flags.push(flag);
    }
    Ok(AttachmentView {
        sha256: a.sha256,
        file_name: a.file_name,
        media_type: a.media_type,
        size: a.size,
        added_at: a.added_at,
        added_by: a.added_by,
        taken_at: a.photo.taken_at,
        lon: a.photo.lon,
        lat: a.photo.lat,
        direction: a.photo.direction,
        flags,
    })
}

/// A patch's attachments with their flags (anyone who may read the patch).
pub fn attachments(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<Vec<AttachmentView>, ServiceError> {
    let (patch, _) = readable_patch(store, actor, batch, jcbh)?;
    store
        .attachments(patch.id)?
        .into_iter()
        .map(|a| view(store, actor, &patch, a))
        .collect()
}

/// An attachment's stored bytes, as served for download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    pub file_name: String,
    /// As recognised from the content when it was attached.
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The bytes of one attachment of a patch (anyone who may read the patch).
/// A file attached to another patch only is "not found" here, whoever asks.
pub fn attachment_file(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
    sha256: &str,
) -> Result<AttachmentFile, ServiceError> {
    let (patch, _) = readable_patch(store, actor, batch, jcbh)?;
    let a = store
        .attachments(patch.id)?
        .into_iter()
        .find(|a| a.sha256.eq_ignore_ascii_case(sha256))
        .ok_or_else(|| ServiceError::NotFound(format!("图斑 {jcbh} 的附件 {sha256}")))?;
    let bytes = store.attachment_bytes(&a.sha256)?;
    Ok(AttachmentFile {
        file_name: a.file_name,
        media_type: a.media_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content_and_names_are_cleaned() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\x00"), None); // a Windows executable named .jpg stays refused
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\照片\\现场1.jpg"), "现场1.jpg");
        assert_eq!(clean_name("a\u{0}b\n.jpg"), "ab.jpg");
        assert_eq!(clean_name("/"), "附件");
    }

    #[test]
    fn the_same_picture_in_other_bytes_hashes_alike_and_another_does_not() {
        let shot = |scene, salt| {
            weipian_demo::photo::scene_jpeg(104.06, 30.61, "2020:04:02 10:31:07", 90, scene, salt)
        };
        let a = difference_hash(&shot(7, 1)).unwrap();
        let b = difference_hash(&shot(7, 2)).unwrap();
        let c = difference_hash(&shot(8, 1)).unwrap();
        assert!((a ^ b).count_ones() <= 2, "{a:064b} {b:064b}");
        assert!((a ^ c).count_ones() > 10, "{a:064b} {c:064b}");
        // No picture in it: no hash, no error.
        assert_eq!(
            difference_hash(&weipian_demo::photo::jpeg_with_exif(
                104.0,
                30.0,
                "2020:01:01 00:00:00",
                0,
                0
            )),
            None
        );
        assert_eq!(difference_hash(b"%PDF-1.4"), None);
    }
}
