//! Test-only builders of raw shapefile bytes, written independently of the
//! crate's writer so the reader is tested against a second implementation.
#![allow(dead_code)]

use std::path::Path;

/// A ring as (x, y) pairs, written exactly as given.
pub type Ring = Vec<(f64, f64)>;

/// Polygon record content (shape type 5) with the rings in the given order.
pub fn polygon_content(rings: &[Ring], shape_type: i32) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(&shape_type.to_le_bytes());
    let pts: Vec<(f64, f64)> = rings.iter().flatten().copied().collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in &pts {
        x0 = x0.min(*x);
        y0 = y0.min(*y);
        x1 = x1.max(*x);
        y1 = y1.max(*y);
    }
    for v in [x0, y0, x1, y1] {
        c.extend_from_slice(&v.to_le_bytes());
    }
    c.extend_from_slice(&(rings.len() as i32).to_le_bytes());
    c.extend_from_slice(&(pts.len() as i32).to_le_bytes());
    let mut start = 0i32;
    for r in rings {
        c.extend_from_slice(&start.to_le_bytes());
        start += r.len() as i32;
    }
    for (x, y) in &pts {
        c.extend_from_slice(&x.to_le_bytes());
        c.extend_from_slice(&y.to_le_bytes());
    }
    if shape_type == 15 {
        // Z range and values, then M range and values.
        for _ in 0..2 {
            c.extend_from_slice(&0f64.to_le_bytes());
            c.extend_from_slice(&0f64.to_le_bytes());
            for _ in &pts {
                c.extend_from_slice(&1.5f64.to_le_bytes());
            }
        }
    }
    c
}

/// `.shp` and `.shx` bytes for records given as raw contents.
pub fn shp_from_contents(contents: &[Vec<u8>], file_type: i32) -> (Vec<u8>, Vec<u8>) {
    let mut shp = vec![0u8; 100];
    let mut shx = vec![0u8; 100];
    for (i, c) in contents.iter().enumerate() {
        let offset = shp.len() / 2;
        shp.extend_from_slice(&((i + 1) as i32).to_be_bytes());
        shp.extend_from_slice(&((c.len() / 2) as i32).to_be_bytes());
        shp.extend_from_slice(c);
        shx.extend_from_slice(&(offset as i32).to_be_bytes());
        shx.extend_from_slice(&((c.len() / 2) as i32).to_be_bytes());
    }
    for buf in [&mut shp, &mut shx] {
        let len = (buf.len() / 2) as i32;
        buf[0..4].copy_from_slice(&9994i32.to_be_bytes());
        buf[24..28].copy_from_slice(&len.to_be_bytes());
        buf[28..32].copy_from_slice(&1000i32.to_le_bytes());
        buf[32..36].copy_from_slice(&file_type.to_le_bytes());
    }
    (shp, shx)
}

/// `.shp`/`.shx` for polygon records (None = null shape).
pub fn shp_polygons(records: &[Option<Vec<Ring>>]) -> (Vec<u8>, Vec<u8>) {
    let contents: Vec<Vec<u8>> = records
        .iter()
        .map(|r| match r {
            None => 0i32.to_le_bytes().to_vec(),
            Some(rings) => polygon_content(rings, 5),
        })
        .collect();
    shp_from_contents(&contents, 5)
}

/// A clockwise square (outer ring in shapefile terms), closed.
pub fn cw_square(x: f64, y: f64, s: f64) -> Ring {
    vec![(x, y), (x, y + s), (x + s, y + s), (x + s, y), (x, y)]
}

/// A counter-clockwise square (a hole), closed.
pub fn ccw_square(x: f64, y: f64, s: f64) -> Ring {
    let mut r = cw_square(x, y, s);
    r.reverse();
    r
}

/// A DBF column: name bytes, type, width, decimals.
pub struct Col {
    pub name: Vec<u8>,
    pub kind: u8,
    pub len: u8,
    pub dec: u8,
}

pub fn col(name: &str, kind: u8, len: u8, dec: u8) -> Col {
    Col {
        name: name.as_bytes().to_vec(),
        kind,
        len,
        dec,
    }
}

/// Raw `.dbf` bytes; cells are given unpadded (text left-aligned, numbers
/// right-aligned by this builder). `deleted` rows get the `*` flag.
pub fn dbf(cols: &[Col], rows: &[Vec<Vec<u8>>], ldid: u8, deleted: &[usize]) -> Vec<u8> {
    let record_len: usize = 1 + cols.iter().map(|c| c.len as usize).sum::<usize>();
    let header_len = 32 + 32 * cols.len() + 1;
    let mut out = vec![0u8; 32];
    out[0] = 3;
    out[1] = 124;
    out[2] = 1;
    out[3] = 1;
    out[4..8].copy_from_slice(&(rows.len() as u32).to_le_bytes());
    out[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
    out[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
    out[29] = ldid;
    for c in cols {
        let mut d = [0u8; 32];
        d[..c.name.len()].copy_from_slice(&c.name);
        d[11] = c.kind;
        d[16] = c.len;
        d[17] = c.dec;
        out.extend_from_slice(&d);
    }
    out.push(0x0D);
    for (r, row) in rows.iter().enumerate() {
        out.push(if deleted.contains(&r) { b'*' } else { b' ' });
        for (c, cell) in cols.iter().zip(row) {
            let w = c.len as usize;
            assert!(cell.len() <= w, "cell too wide");
            if matches!(c.kind, b'N' | b'F') {
                out.extend(std::iter::repeat_n(b' ', w - cell.len()));
                out.extend_from_slice(cell);
            } else {
                out.extend_from_slice(cell);
                out.extend(std::iter::repeat_n(b' ', w - cell.len()));
            }
        }
    }
    out.push(0x1A);
    out
}

pub fn gbk(s: &str) -> Vec<u8> {
    let (b, _, bad) = encoding_rs::GBK.encode(s);
    assert!(!bad);
    b.into_owned()
}

/// Write `stem.ext` files into `dir`.
pub fn write_set(dir: &Path, stem: &str, parts: &[(&str, &[u8])]) -> std::path::PathBuf {
    for (ext, bytes) in parts {
        std::fs::write(dir.join(format!("{stem}.{ext}")), bytes).unwrap();
    }
    dir.join(format!("{stem}.shp"))
}

/// A small deterministic generator (xorshift64*), for seeded test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A simple (star-shaped, hence valid) clockwise ring of `n` distinct
/// vertices around (cx, cy), closed.
pub fn cw_ring(rng: &mut Rng, cx: f64, cy: f64, r: f64, n: usize) -> Ring {
    let mut pts: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = -(i as f64) / n as f64 * std::f64::consts::TAU;
            let rr = r * (0.6 + 0.4 * rng.f64());
            (cx + rr * a.cos(), cy + rr * a.sin())
        })
        .collect();
    pts.push(pts[0]);
    pts
}
