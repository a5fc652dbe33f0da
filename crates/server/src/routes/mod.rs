//! The handlers, one module per part of the API. Each parses the request,
//! calls one service function as the caller, and renders the result.

pub(crate) mod accountability;
pub(crate) mod bulk;
pub(crate) mod cases;
pub(crate) mod data;
pub(crate) mod desk;
pub(crate) mod determination;
pub(crate) mod evidence;
pub(crate) mod field;
pub(crate) mod gate;
pub(crate) mod map;
pub(crate) mod military;
pub(crate) mod parcels;
pub(crate) mod patches;
pub(crate) mod review;
pub(crate) mod sampling;
pub(crate) mod schedule;
pub(crate) mod stats;
pub(crate) mod users;
pub(crate) mod web;

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The xlsx media type.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `attachment; filename*=UTF-8''…` (RFC 6266 / RFC 8187: every byte
/// outside the unreserved set percent-encoded, so quotes, separators and
/// line breaks cannot leak into the header).
pub(crate) fn content_disposition(file_name: &str) -> String {
    let mut v = String::from("attachment; filename*=UTF-8''");
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            v.push(char::from(b));
        } else {
            v.push_str(&format!("%{b:02X}"));
        }
    }
    v
}

/// A file to download: its bytes, type and name; never sniffed by the browser.
pub(crate) fn download(bytes: Vec<u8>, media_type: &'static str, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(file_name)),
        ],
        bytes,
    )
        .into_response()
}

/// Run `write` on a path in a fresh temporary directory and return the
/// bytes it wrote (the service's exports write files).
pub(crate) fn written_bytes<E>(
    file_name: &str,
    write: impl FnOnce(&std::path::Path) -> Result<(), E>,
) -> Result<Vec<u8>, crate::ApiError>
where
    E: Into<crate::ApiError>,
{
    let dir = tempfile::tempdir().map_err(crate::ApiError::internal)?;
    let path = dir.path().join(file_name);
    write(&path).map_err(Into::into)?;
    std::fs::read(&path).map_err(crate::ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded_in_the_header() {
        assert_eq!(
            content_disposition("现场 1.jpg"),
            "attachment; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%201.jpg"
        );
        assert_eq!(
            content_disposition("a\";\r\nb.pdf"),
            "attachment; filename*=UTF-8''a%22%3B%0D%0Ab.pdf"
        );
    }
}
