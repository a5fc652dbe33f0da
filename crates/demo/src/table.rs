//! The issued columns of the national patch table ("一张表") and the
//! conversion of generated patches into a [`Dataset`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use geo_types::MultiPolygon;
use weipian_domain::units::M2_PER_MU;
use weipian_domain::{AttrValue, FieldDef, FieldType, PatchKind, RegionTable};
use weipian_formats::{Dataset, Feature};
use weipian_geo::crs::CrsHint;

use crate::geom::{area_m2, centroid};
use crate::partition::Partition;
use crate::rng::{mix, Hashed};

// --- dates -----------------------------------------------------------------

/// Days since 1970-01-01 of a civil date.
pub(crate) fn days(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub(crate) fn civil(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (y as i32, m as u32, d as u32)
}

/// `YYYY-MM-DD`.
pub(crate) fn date_text(z: i64) -> String {
    let (y, m, d) = civil(z);
    format!("{y:04}-{m:02}-{d:02}")
}

pub(crate) fn date(z: i64) -> AttrValue {
    AttrValue::Text(date_text(z))
}

pub(crate) fn text(s: impl Into<String>) -> AttrValue {
    AttrValue::Text(s.into())
}

/// Round to `d` decimals (for values whose column declares `d` decimals).
pub(crate) fn round_to(x: f64, d: i32) -> f64 {
    let k = 10f64.powi(d);
    (x * k).round() / k
}

// --- imagery ---------------------------------------------------------------

/// The imagery of one county for the 2020 Q1 batch: 前时相 and 后时相 dates
/// and scene ids. Depends only on (seed, county, variant): every caller gets
/// the same dates for a county.
#[derive(Debug, Clone)]
pub(crate) struct Imagery {
    pub qsx: i64,
    pub hsx: i64,
    pub qqjh: String,
    pub dqjh: String,
}

const SENSORS: &[&str] = &[
    "GF1_PMS1",
    "GF1_PMS2",
    "GF2_PMS1",
    "GF2_PMS2",
    "GF6_PMS",
    "ZY302_MUX",
    "GF1B_PMS",
];

pub(crate) fn imagery(seed: u64, county: u32, variant: u32, lon: f64, lat: f64) -> Imagery {
    let mut h = Hashed::new(mix(
        mix(seed, 0x1AA6E),
        mix(u64::from(county), u64::from(variant)),
    ));
    #[allow(clippy::cast_possible_truncation)]
    let qsx = days(2019, 1, 15) + (h.next_u64() % 330) as i64;
    #[allow(clippy::cast_possible_truncation)]
    let hsx = days(2020, 1, 5) + (h.next_u64() % 80) as i64;
    let scene = |h: &mut Hashed, d: i64| {
        #[allow(clippy::cast_possible_truncation)]
        let s = SENSORS[(h.next_u64() % SENSORS.len() as u64) as usize];
        let (y, m, dd) = civil(d);
        format!(
            "{s}_E{lon:.1}_N{lat:.1}_{y:04}{m:02}{dd:02}_L1A{:010}",
            h.next_u64() % 10_000_000_000
        )
    };
    let qqjh = scene(&mut h, qsx);
    let dqjh = scene(&mut h, hsx);
    Imagery {
        qsx,
        hsx,
        qqjh,
        dqjh,
    }
}

// --- patches ---------------------------------------------------------------

/// How the issued 监测面积 relates to the true area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Jcmj {
    /// The true area in 亩, rounded to 4 decimals.
    Exact,
    /// Off by the given relative amount (small: as from a projected area).
    Near(f64),
    /// Deliberately off by more than 0.1 % (the given relative amount).
    Off(f64),
}

/// A generated patch before it becomes a table row.
#[derive(Debug, Clone)]
pub(crate) struct PatchRec {
    /// Index into the partition's counties: the XZQDM.
    pub county: usize,
    pub geom: MultiPolygon<f64>,
    pub tblx: &'static str,
    pub kz: Option<&'static str>,
    pub bz: Option<String>,
    pub jcmj: Jcmj,
    /// Share of the patch that changed (BHMJ = JCMJ × share).
    pub change_share: f64,
    pub imagery: u32,
}

fn jclb(kind: PatchKind, tblx: &str) -> &'static str {
    match (kind, tblx) {
        (PatchKind::Mineral, _) => "疑似采矿",
        (_, "2") => "推填土",
        (_, "3") => "推填土转建设",
        _ => "新增建设用地",
    }
}

/// The columns of an issued batch, in the national table's order.
pub(crate) fn patch_fields(kind: PatchKind) -> Vec<FieldDef> {
    let t = |w| FieldType::Text { width: w };
    let mut f = vec![
        FieldDef::new("NF", FieldType::Integer { width: 4 }),
        FieldDef::new("JD", FieldType::Integer { width: 1 }),
        FieldDef::new("XZQDM", t(6)),
        FieldDef::new("SMC", t(20)),
        FieldDef::new("CMC", t(40)),
        FieldDef::new("XMC", t(40)),
        FieldDef::new("JCBH", t(20)),
        FieldDef::new("YSTBBH", t(24)),
        FieldDef::new("XFSJ", FieldType::Date),
        FieldDef::new("TBLY", t(20)),
        FieldDef::new("QSX", FieldType::Date),
        FieldDef::new("HSX", FieldType::Date),
        FieldDef::new("QQJH", t(64)),
        FieldDef::new("DQJH", t(64)),
        FieldDef::new(
            "LZB",
            FieldType::Real {
                width: 12,
                decimals: 6,
            },
        ),
        FieldDef::new(
            "BZB",
            FieldType::Real {
                width: 12,
                decimals: 6,
            },
        ),
        FieldDef::new("TBLX", t(4)),
        FieldDef::new("JCLB", t(20)),
        FieldDef::new(
            "BHMJ",
            FieldType::Real {
                width: 16,
                decimals: 4,
            },
        ),
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 16,
                decimals: 4,
            },
        ),
    ];
    if kind == PatchKind::Mineral {
        f.push(FieldDef::new("KZ", t(40)));
    }
    f.push(FieldDef::new("BZ", t(254)));
    f
}

/// Issue date of the 2020 Q1 batches.
pub(crate) fn issue_date() -> i64 {
    days(2020, 4, 8)
}

/// Turn generated patches into an issued batch. JCBH is county code +
/// `TD`/`KC` + `20` + a four-digit serial per county, in the order given.
pub(crate) fn patch_dataset(
    seed: u64,
    part: &Partition,
    table: &RegionTable,
    recs: &[PatchRec],
    kind: PatchKind,
    source: &str,
) -> (Dataset, Vec<String>) {
    let fields = patch_fields(kind);
    let letters = if kind == PatchKind::Mineral {
        "KC"
    } else {
        "TD"
    };
    let mut serial: BTreeMap<usize, u32> = BTreeMap::new();
    let mut features = Vec::with_capacity(recs.len());
    let mut jcbhs = Vec::with_capacity(recs.len());
    let mut h = Hashed::new(mix(
        seed,
        if kind == PatchKind::Mineral {
            0x4B43
        } else {
            0x5444
        },
    ));
    let xfsj = issue_date();
    let province = part.province.name.clone();
    for (row, r) in recs.iter().enumerate() {
        let county = &part.counties[r.county];
        let code = county.code.value();
        let s = serial.entry(r.county).or_insert(0);
        *s += 1;
        let jcbh = format!("{code:06}{letters}20{s:04}");
        let city = table.get(county.code.prefecture()).map_or_else(
            || part.cities[part.county_city[r.county]].name.clone(),
            |c| c.name.clone(),
        );
        let c = centroid(&r.geom);
        let img = imagery(
            seed,
            code,
            r.imagery,
            county.rect.center().x,
            county.rect.center().y,
        );
        let mu = area_m2(&r.geom) / M2_PER_MU;
        let jcmj = match r.jcmj {
            Jcmj::Exact => round_to(mu, 4),
            Jcmj::Near(e) | Jcmj::Off(e) => round_to(mu * (1.0 + e), 4),
        };
        let bhmj = round_to(jcmj * r.change_share, 4);
        let ystbbh = format!(
            "{code:06}2020{:02}{:06}",
            1 + row % 3,
            h.next_u64() % 1_000_000
        );
        let mut attrs = vec![
            AttrValue::Integer(2020),
            AttrValue::Integer(1),
            text(format!("{code:06}")),
            text(province.clone()),
            text(city),
            text(county.name.clone()),
            text(jcbh.clone()),
            text(ystbbh),
            date(xfsj),
            text("部级下发"),
            date(img.qsx),
            date(img.hsx),
            text(img.qqjh),
            text(img.dqjh),
            AttrValue::Real(round_to(c.x, 6)),
            AttrValue::Real(round_to(c.y, 6)),
            text(r.tblx),
            text(jclb(kind, r.tblx)),
            AttrValue::Real(bhmj),
            AttrValue::Real(jcmj),
        ];
        if kind == PatchKind::Mineral {
            attrs.push(r.kz.map_or(AttrValue::Null, text));
        }
        attrs.push(r.bz.clone().map_or(AttrValue::Null, AttrValue::Text));
        features.push(Feature {
            row: row + 1,
            geometry: Some(r.geom.clone()),
            attrs,
            repairs: vec![],
        });
        jcbhs.push(jcbh);
    }
    let ds = Dataset {
        source: PathBuf::from(source),
        fields,
        features,
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    };
    (ds, jcbhs)
}

/// A dataset from field definitions and (geometry, attributes) pairs.
pub(crate) fn dataset(
    source: &str,
    fields: Vec<FieldDef>,
    feats: Vec<(MultiPolygon<f64>, Vec<AttrValue>)>,
) -> Dataset {
    let features = feats
        .into_iter()
        .enumerate()
        .map(|(i, (g, attrs))| Feature {
            row: i + 1,
            geometry: Some(g),
            attrs,
            repairs: vec![],
        })
        .collect();
    Dataset {
        source: PathBuf::from(source),
        fields,
        features,
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days(1970, 1, 1), 0);
        assert_eq!(date_text(days(2020, 2, 29)), "2020-02-29");
        assert_eq!(date_text(days(2019, 12, 31) + 1), "2020-01-01");
        for z in -1000..40_000 {
            let (y, m, d) = civil(z);
            assert_eq!(days(y, m, d), z);
        }
    }
}
