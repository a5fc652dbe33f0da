//! Evidence files: bytes stored content-addressed under
//! `<data dir>/evidence/<first two hex digits>/<sha256>` (written to a temp
//! file and renamed, so a file is whole or absent; the same bytes are stored
//! once), and one `attachments` row per (patch, file), written with its audit
//! record in one transaction. A file whose row never committed is an orphan
//! that harms nothing.

use std::io::Write as _;
use std::path::PathBuf;

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::answers::{append_audit, NewAudit};
use crate::{Store, StoreError};

/// An attachment of a patch.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: i64,
    pub patch_id: i64,
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    pub added_at: String,
    pub added_by: String,
    pub photo: PhotoMeta,
}

/// What a photo's EXIF says (all absent for documents).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoMeta {
    /// Capture time as the camera wrote it, `YYYY-MM-DD HH:MM:SS` (local time).
    pub taken_at: Option<String>,
    /// GPS position, degrees (WGS 84 ≈ CGCS2000 at photo accuracy).
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Direction the camera faced, degrees clockwise from north.
    pub direction: Option<f64>,
    /// 64-bit perceptual (difference) hash of the picture, to find the same
    /// scene in other files.
    pub phash: Option<u64>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        id: r.get(0)?,
        patch_id: r.get(1)?,
        sha256: r.get(2)?,
        file_name: r.get(3)?,
        media_type: r.get(4)?,
        size: r.get::<_, i64>(5)?.try_into().unwrap_or(0),
        added_at: r.get(6)?,
        added_by: r.get(7)?,
        photo: PhotoMeta {
            taken_at: r.get(8)?,
            lon: r.get(9)?,
            lat: r.get(10)?,
            direction: r.get(11)?,
            phash: r.get::<_, Option<i64>>(12)?.map(hash_of_bits),
        },
    })
}

/// A 64-bit hash as SQLite's signed integer, bit for bit.
fn hash_bits(h: u64) -> i64 {
    i64::from_ne_bytes(h.to_ne_bytes())
}

fn hash_of_bits(b: i64) -> u64 {
    u64::from_ne_bytes(b.to_ne_bytes())
}

const COLS: &str =
    "id, patch_id, sha256, file_name, media_type, size, added_at, added_by, taken_at, lon, lat, direction, phash";

impl Store {
    fn evidence_path(&self, sha256: &str) -> PathBuf {
        let dir = self.path.parent().map(PathBuf::from).unwrap_or_default();
        dir.join("evidence").join(&sha256[..2]).join(sha256)
    }

    /// Store bytes in the content-addressed evidence directory (once: the
    /// same bytes are one file), written to a temp file and renamed.
    /// Returns their SHA-256.
    pub(crate) fn put_evidence(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let sha: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = self.evidence_path(&sha);
        if !path.is_file() {
            let dir = path.parent().map(PathBuf::from).unwrap_or_default();
            std::fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
                path: dir.clone(),
                source,
            })?;
            let io = |e: std::io::Error| {
                StoreError::Invalid(format!("无法保存附件到 {}：{e}", dir.display()))
            };
            let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io)?;
            tmp.write_all(bytes).map_err(io)?;
            tmp.as_file().sync_all().map_err(io)?;
            tmp.persist(&path).map_err(|e| io(e.error))?;
        }
        Ok(sha)
    }

    /// Store `bytes` as an attachment of a patch (the caller checked type and
    /// size). The same bytes twice on one patch are one attachment.
    pub fn add_attachment(
        &mut self,
        patch_id: i64,
        bytes: &[u8],
        file_name: &str,
        media_type: &str,
        photo: &PhotoMeta,
        audit: &NewAudit,
    ) -> Result<Attachment, StoreError> {
        let sha = self.put_evidence(bytes)?;
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing = tx
            .query_row(
                &format!("SELECT {COLS} FROM attachments WHERE patch_id = ?1 AND sha256 = ?2"),
                params![patch_id, sha],
                row,
            )
            .optional()?;
        if let Some(a) = existing {
            return Ok(a);
        }
        tx.execute(
            "INSERT INTO attachments (patch_id, sha256, file_name, media_type, size, added_at, added_by,
                                      taken_at, lon, lat, direction, phash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                patch_id,
                sha,
                file_name,
                media_type,
                i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                now,
                audit.actor,
                photo.taken_at,
                photo.lon,
                photo.lat,
                photo.direction,
                photo.phash.map(hash_bits)
            ],
        )?;
        let id = tx.last_insert_rowid();
        append_audit(&tx, &now, audit)?;
        let a = tx.query_row(
            &format!("SELECT {COLS} FROM attachments WHERE id = ?1"),
            [id],
            row,
        )?;
        tx.commit()?;
        self.written();
        Ok(a)
    }

    /// A patch's attachments, oldest first.
    pub fn attachments(&self, patch_id: i64) -> Result<Vec<Attachment>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLS} FROM attachments WHERE patch_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([patch_id], row)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// How many attachments a patch has.
    pub fn attachment_count(&self, patch_id: i64) -> Result<usize, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM attachments WHERE patch_id = ?1",
            [patch_id],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Other patches (ids) the same bytes are attached to.
    pub fn attachment_reuse(&self, sha256: &str, patch_id: i64) -> Result<Vec<i64>, StoreError> {
        // Never name a patch of the military-land register.
        let mut stmt = self.conn.prepare(&format!(
            "SELECT DISTINCT patch_id FROM attachments
              WHERE sha256 = ?1 AND patch_id <> ?2 AND patch_id {} ORDER BY patch_id",
            crate::NOT_MILITARY
        ))?;
        let rows = stmt.query_map(params![sha256, patch_id], |r| r.get(0))?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// The perceptual hashes of the photos of ordinary patches whose
    /// XZQDM starts with `xzqdm_prefix`: (patch id, JCBH, XZQDM, hash).
    pub fn photo_hashes(
        &self,
        xzqdm_prefix: &str,
    ) -> Result<Vec<(i64, String, String, u64)>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.patch_id, p.jcbh, p.xzqdm, a.phash FROM attachments a JOIN patches p ON p.fid = a.patch_id
              WHERE a.phash IS NOT NULL AND substr(p.xzqdm, 1, length(?1)) = ?1 AND p.fid {}
              ORDER BY a.patch_id",
            crate::NOT_MILITARY
        ))?;
        let rows = stmt.query_map([xzqdm_prefix], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                hash_of_bits(r.get::<_, i64>(3)?),
            ))
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// `YEAR/BATCH/JCBH` and XZQDM of an ordinary patch (none for one in
    /// the military-land register).
    pub fn patch_key(&self, patch_id: i64) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT year, batch, jcbh, xzqdm FROM patches WHERE fid = ?1 AND fid {}",
                    crate::NOT_MILITARY
                ),
                [patch_id],
                |r| {
                    Ok((
                        format!(
                            "{}/{}/{}",
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?
                        ),
                        r.get(3)?,
                    ))
                },
            )
            .optional()?)
    }

    /// `YEAR/BATCH/JCBH` of a patch, for messages.
    pub fn patch_label(&self, patch_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT year, batch, jcbh FROM patches WHERE fid = ?1",
                [patch_id],
                |r| {
                    Ok(format!(
                        "{}/{}/{}",
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?
                    ))
                },
            )
            .optional()?)
    }

    /// The stored bytes of an attachment.
    pub fn attachment_bytes(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(format!("附件标识 “{sha256}” 无效")));
        }
        std::fs::read(self.evidence_path(sha256))
            .map_err(|e| StoreError::Corrupt(format!("附件 {sha256} 无法读取：{e}")))
    }
}
