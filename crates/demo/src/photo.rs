//! Site photos for demos and tests: a minimal JPEG whose EXIF block says
//! where and when it was taken and which way the camera faced — what a
//! phone writes and what the evidence checks read.

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};

/// Degrees as EXIF degrees/minutes/seconds (seconds to 1e-6).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn dms(v: f64) -> Value {
    let v = v.abs();
    let d = v.floor();
    let m = ((v - d) * 60.0).floor();
    let s = ((v - d) * 60.0 - m) * 60.0;
    Value::Rational(vec![
        Rational {
            num: d as u32,
            denom: 1,
        },
        Rational {
            num: m as u32,
            denom: 1,
        },
        Rational {
            num: (s * 1_000_000.0).round() as u32,
            denom: 1_000_000,
        },
    ])
}

/// A JPEG taken at (lon, lat) (northern, eastern hemisphere) at `when`
/// (`YYYY:MM:DD HH:MM:SS`, as cameras write it), facing `direction`°;
/// `salt` makes the bytes of otherwise equal photos differ.
///
/// ```
/// let jpeg = weipian_demo::photo::jpeg_with_exif(104.06, 30.61, "2020:04:02 10:31:07", 135, 1);
/// assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF, 0xE1]));
/// ```
#[must_use]
pub fn jpeg_with_exif(lon: f64, lat: f64, when: &str, direction: u32, salt: u32) -> Vec<u8> {
    let f = |tag, value| Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    };
    let fields = [
        f(
            Tag::DateTimeOriginal,
            Value::Ascii(vec![when.as_bytes().to_vec()]),
        ),
        f(Tag::GPSLatitudeRef, Value::Ascii(vec![b"N".to_vec()])),
        f(Tag::GPSLatitude, dms(lat)),
        f(Tag::GPSLongitudeRef, Value::Ascii(vec![b"E".to_vec()])),
        f(Tag::GPSLongitude, dms(lon)),
        f(
            Tag::GPSImgDirection,
            Value::Rational(vec![Rational {
                num: direction % 360,
                denom: 1,
            }]),
        ),
    ];
    let mut w = Writer::new();
    for x in &fields {
        w.push_field(x);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    // Writing a handful of fields to memory cannot fail.
    let _ = w.write(&mut tiff, false);
    let tiff = tiff.into_inner();
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    jpeg.extend_from_slice(
        &u16::try_from(tiff.len() + 8)
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    jpeg.extend_from_slice(b"Exif\0\0");
    jpeg.extend_from_slice(&tiff);
    jpeg.extend_from_slice(&salt.to_be_bytes());
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}
