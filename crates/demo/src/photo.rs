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
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(
        &u16::try_from(tiff.len() + 8)
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend_from_slice(&app1);
    jpeg.extend_from_slice(&salt.to_be_bytes());
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

/// A real picture (96 × 72, a few coloured blocks over a gradient, drawn
/// from `scene`) as a JPEG with the EXIF of [`jpeg_with_exif`]. The same
/// `scene` with another `salt` is the same picture in different bytes (one
/// pixel nudged), as a re-saved or re-sent photo is.
///
/// ```
/// let a = weipian_demo::photo::scene_jpeg(104.06, 30.61, "2020:04:02 10:31:07", 90, 7, 1);
/// let b = weipian_demo::photo::scene_jpeg(104.06, 30.61, "2020:04:02 10:31:07", 90, 7, 2);
/// assert_ne!(a, b);
/// assert!(a.starts_with(&[0xFF, 0xD8, 0xFF, 0xE1]));
/// ```
#[must_use]
#[allow(clippy::cast_possible_truncation)] // pixel arithmetic stays within u8/u32
pub fn scene_jpeg(
    lon: f64,
    lat: f64,
    when: &str,
    direction: u32,
    scene: u64,
    salt: u32,
) -> Vec<u8> {
    use rand::{Rng, SeedableRng};
    let (w, h) = (96u32, 72u32);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(scene);
    let mut img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 200 / w) as u8 + 30, (y * 200 / h) as u8 + 30, 120])
    });
    for _ in 0..6 {
        let (x0, y0) = (rng.random_range(0..w - 8), rng.random_range(0..h - 8));
        let (bw, bh) = (rng.random_range(8..40), rng.random_range(8..30));
        let c = image::Rgb([rng.random(), rng.random(), rng.random()]);
        for y in y0..(y0 + bh).min(h) {
            for x in x0..(x0 + bw).min(w) {
                img.put_pixel(x, y, c);
            }
        }
    }
    let p = img.get_pixel_mut(salt % w, (salt / w) % h);
    p.0[0] = p.0[0].wrapping_add(1);
    let mut body = Vec::new();
    // Encoding a small in-memory image cannot fail.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut body, 85).encode_image(&img);
    let exif = jpeg_with_exif(lon, lat, when, direction, 0);
    // SOI, then our APP1 (EXIF), then the encoder's segments after its SOI.
    let app1_end = exif.len() - 6; // drop the salt and EOI of the bare EXIF JPEG
    let mut out = exif[..app1_end].to_vec();
    out.extend_from_slice(body.get(2..).unwrap_or_default());
    out
}
