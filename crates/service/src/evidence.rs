//! Evidence files attached to a patch: size-limited, typed by their content
//! (never by their name), stored content-addressed; suspicious ones are
//! accepted but flagged (the review chain builds on the flags).

use serde::Serialize;
use weipian_domain::access::{Actor, Op};
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{NewAudit, Store};

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
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let s: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if s.trim().is_empty() {
        "附件".into()
    } else {
        s
    }
}

/// A stored attachment with its flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentView {
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    pub added_at: String,
    pub added_by: String,
    /// Why a reviewer should look at it (Chinese), empty when nothing stands out.
    pub flags: Vec<String>,
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
    let missing = || ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}"));
    let patch = store.patch(batch, jcbh)?.ok_or_else(missing)?;
    let region = RegionCode::parse(&patch.xzqdm).map_err(|_| missing())?;
    if !actor.may(Op::ReadPatches, region) {
        return Err(missing());
    }
    if !actor.may(Op::Determine, region) {
        return Err(ServiceError::Denied(format!(
            "{}不能上传举证材料",
            actor.role
        )));
    }
    let name = clean_name(file_name);
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
    let media_type = sniff(bytes).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "附件 {name} 的内容不是 JPEG、PNG 照片或 PDF 文件（按文件内容判断，不按扩展名）"
        ))
    })?;
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
    let a = store.add_attachment(patch.id, bytes, &name, media_type, &audit)?;
    view(store, a)
}

fn view(store: &Store, a: weipian_store::Attachment) -> Result<AttachmentView, ServiceError> {
    let mut flags = Vec::new();
    let others = store.attachment_reuse(&a.sha256, a.patch_id)?;
    if !others.is_empty() {
        let names: Vec<String> = others
            .iter()
            .filter_map(|id| store.patch_label(*id).ok().flatten())
            .collect();
        flags.push(format!("同一文件也是其他图斑的附件：{}", names.join("、")));
    }
    Ok(AttachmentView {
        sha256: a.sha256,
        file_name: a.file_name,
        media_type: a.media_type,
        size: a.size,
        added_at: a.added_at,
        added_by: a.added_by,
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
    let missing = || ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}"));
    let patch = store.patch(batch, jcbh)?.ok_or_else(missing)?;
    let region = RegionCode::parse(&patch.xzqdm).map_err(|_| missing())?;
    if !actor.may(Op::ReadPatches, region) {
        return Err(missing());
    }
    store
        .attachments(patch.id)?
        .into_iter()
        .map(|a| view(store, a))
        .collect()
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
}
