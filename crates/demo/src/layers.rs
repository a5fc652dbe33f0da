//! Reference-layer features: field definitions and the builders that turn a
//! shape into a feature with realistic attributes.

use geo_types::{MultiPolygon, Polygon};
use rand::Rng;
use weipian_domain::layer::CULTIVATED_CLASSES;
use weipian_domain::{AttrValue, FieldDef, FieldType};

use crate::geom::{closed, polygon_area_m2, pt, BBox, Pt};
use crate::names;
use crate::rng::Hashed;
use crate::table::{date, days, round_to, text};
use crate::tiling::FieldGrid;

/// One feature: geometry and attributes in field order.
pub(crate) type Feat = (MultiPolygon<f64>, Vec<AttrValue>);

fn t(w: u16) -> FieldType {
    FieldType::Text { width: w }
}

fn int(w: u16) -> FieldType {
    FieldType::Integer { width: w }
}

fn real(w: u16, d: u8) -> FieldType {
    FieldType::Real {
        width: w,
        decimals: d,
    }
}

pub(crate) fn gd_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("BSM", int(10)),
        FieldDef::new("TBBH", t(8)),
        FieldDef::new("DLBM", t(5)),
        FieldDef::new("DLMC", t(20)),
        FieldDef::new("ZLDWDM", t(19)),
        FieldDef::new("ZLDWMC", t(60)),
        FieldDef::new("TBMJ", real(18, 2)),
        FieldDef::new("GDPDJB", t(2)),
    ]
}

pub(crate) fn jbnt_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("BSM", int(10)),
        FieldDef::new("JBNTTBBH", t(16)),
        FieldDef::new("DLBM", t(5)),
        FieldDef::new("ZLDWDM", t(19)),
        FieldDef::new("ZLDWMC", t(60)),
        FieldDef::new("JBNTMJ", real(18, 2)),
    ]
}

pub(crate) fn sthx_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("BSM", int(10)),
        FieldDef::new("HXBH", t(16)),
        FieldDef::new("HXMC", t(100)),
        FieldDef::new("HXLX", t(40)),
        FieldDef::new("MJ", real(18, 4)),
    ]
}

pub(crate) fn zrbhd_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("BSM", int(10)),
        FieldDef::new("MC", t(100)),
        FieldDef::new("LX", t(30)),
        FieldDef::new("JB", t(10)),
        FieldDef::new("SZXZQ", t(60)),
        FieldDef::new("MJ", real(18, 4)),
    ]
}

pub(crate) fn pzyd_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("BSM", int(10)),
        FieldDef::new("PZWH", t(60)),
        FieldDef::new("PZJG", t(40)),
        FieldDef::new("PZSJ", FieldType::Date),
        FieldDef::new("PZMJ", real(16, 4)),
        FieldDef::new("XMMC", t(120)),
        FieldDef::new("PZLX", t(30)),
    ]
}

pub(crate) fn cjyx_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("BSM", int(10)),
        FieldDef::new("MC", t(100)),
        FieldDef::new("HLMC", t(20)),
        FieldDef::new("FW", t(60)),
        FieldDef::new("MJ", real(18, 4)),
    ]
}

pub(crate) fn kq_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("XKZH", t(30)),
        FieldDef::new("KQMC", t(100)),
        FieldDef::new("KZ", t(40)),
        FieldDef::new("KQLX", t(10)),
        FieldDef::new("KCFS", t(20)),
        FieldDef::new("SCGM", t(30)),
        FieldDef::new("MJ", real(16, 4)),
        FieldDef::new("YXQQ", FieldType::Date),
        FieldDef::new("YXQZ", FieldType::Date),
        FieldDef::new("FZJG", t(60)),
    ]
}

pub(crate) fn region_fields() -> Vec<FieldDef> {
    vec![FieldDef::new("XZQDM", t(6)), FieldDef::new("XZQMC", t(60))]
}

pub(crate) fn class_name(code: &str) -> &'static str {
    CULTIVATED_CLASSES
        .iter()
        .find(|c| c.0 == code)
        .map_or("耕地", |c| c.1)
}

pub(crate) fn class_code(i: usize) -> &'static str {
    CULTIVATED_CLASSES[i.min(CULTIVATED_CLASSES.len() - 1)].0
}

/// A rectangle with a few vertices pushed outward on its sides: the shape
/// of an approval or a licence (defined by corner points). Always contains
/// `r`; counter-clockwise.
pub(crate) fn bumped_rect(r: BBox, h: &mut Hashed) -> Polygon<f64> {
    let corners = [
        pt(r.x0, r.y0),
        pt(r.x1, r.y0),
        pt(r.x1, r.y1),
        pt(r.x0, r.y1),
    ];
    let mut ring: Vec<Pt> = Vec::new();
    for k in 0..4 {
        let (a, b) = (corners[k], corners[(k + 1) % 4]);
        ring.push(a);
        if h.unit() < 0.45 {
            let tt = h.range(0.3, 0.7);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            // Outward normal of a counter-clockwise ring: (dy, -dx).
            let off = h.range(0.01, 0.08);
            ring.push(pt(a.x + dx * tt + dy * off, a.y + dy * tt - dx * off));
        }
    }
    Polygon::new(closed(ring), vec![])
}

/// Counters that make identifiers unique across a dataset.
#[derive(Debug, Default)]
pub(crate) struct Serials {
    pub bsm: i64,
    pub tbbh: std::collections::BTreeMap<u32, u32>,
    pub jbnt: std::collections::BTreeMap<u32, u32>,
}

impl Serials {
    pub(crate) fn next_bsm(&mut self) -> i64 {
        self.bsm += 1;
        self.bsm
    }
}

/// How the classes of a farmland block are chosen.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Classes {
    /// Every parcel has this class.
    Fixed(&'static str),
    /// Weights of 水田, 水浇地, 旱地 for the block's dominant class; 20 % of
    /// parcels take another class.
    Mixed([f64; 3]),
}

/// Options of a farmland block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockOpts {
    pub mean_w: f64,
    pub mean_h: f64,
    pub classes: Classes,
    /// Chance that a parcel has a hole (a house or pond inside).
    pub hole_share: f64,
    /// Whether one parcel may overlap its neighbour slightly.
    pub overlap: bool,
    /// Share of 2×2 parcel groups that are 永久基本农田.
    pub jbnt_share: f64,
    /// Chance that an inner edge carries an extra vertex.
    pub mid_prob: f64,
    /// 坡度级别 choices.
    pub slope: &'static [&'static str],
}

fn weighted<R: Rng>(rng: &mut R, w: &[f64]) -> usize {
    let total: f64 = w.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, v) in w.iter().enumerate() {
        if x < *v {
            return i;
        }
        x -= v;
    }
    w.len() - 1
}

pub(crate) fn weighted_pick<R: Rng, T: Copy>(rng: &mut R, items: &[(T, f64)]) -> T {
    let w: Vec<f64> = items.iter().map(|x| x.1).collect();
    items[weighted(rng, &w)].0
}

/// A farmland block over `rect`: parcels (gd) and 永久基本农田 groups (jbnt).
#[allow(clippy::too_many_arguments)]
pub(crate) fn farmland<R: Rng>(
    rng: &mut R,
    serials: &mut Serials,
    county: u32,
    rect: BBox,
    opts: &BlockOpts,
    key: u64,
    gd: &mut Vec<Feat>,
    jbnt: &mut Vec<Feat>,
) {
    let grid = FieldGrid::new(rect, opts.mean_w, opts.mean_h, key, opts.mid_prob);
    let town = rng.random_range(1..=24);
    let village = rng.random_range(1..=30);
    let (zldwdm, zldwmc) = names::zldw(county, town, village);
    let dominant = match opts.classes {
        Classes::Fixed(c) => c,
        Classes::Mixed(w) => class_code(weighted(rng, &w)),
    };
    let overlap_at = (opts.overlap && grid.cols() >= 2).then(|| {
        (
            rng.random_range(0..grid.cols() - 1),
            rng.random_range(0..grid.rows()),
        )
    });
    let mut classes = vec![dominant; grid.cols() * grid.rows()];
    for j in 0..grid.rows() {
        for i in 0..grid.cols() {
            let class = match opts.classes {
                Classes::Fixed(c) => c,
                Classes::Mixed(_) if rng.random::<f64>() < 0.2 => {
                    class_code(rng.random_range(0..3))
                }
                Classes::Mixed(_) => dominant,
            };
            classes[j * grid.cols() + i] = class;
            let hole = opts.hole_share > 0.0 && rng.random::<f64>() < opts.hole_share;
            let poly = match overlap_at {
                Some((oi, oj)) if oi == i && oj == j => {
                    let w = (rect.width() / grid.cols() as f64) * rng.random_range(0.03..0.07);
                    grid.parcel_overlapping(i, j, w)
                }
                _ => grid.parcel(i, j, hole),
            };
            let area = polygon_area_m2(&poly);
            let tbbh = serials.tbbh.entry(county).or_insert(0);
            *tbbh += 1;
            let tbbh = *tbbh;
            let slope = opts.slope[rng.random_range(0..opts.slope.len())];
            let attrs = vec![
                AttrValue::Integer(serials.next_bsm()),
                text(format!("{tbbh:05}")),
                text(class),
                text(class_name(class)),
                text(zldwdm.clone()),
                text(zldwmc.clone()),
                AttrValue::Real(round_to(area, 2)),
                text(slope),
            ];
            gd.push((MultiPolygon(vec![poly]), attrs));
        }
    }
    if opts.jbnt_share <= 0.0 {
        return;
    }
    let mut j = 0;
    while j < grid.rows() {
        let j1 = (j + 2).min(grid.rows());
        let mut i = 0;
        while i < grid.cols() {
            let i1 = (i + 2).min(grid.cols());
            if rng.random::<f64>() < opts.jbnt_share {
                let poly = grid.block(i, j, i1, j1);
                let area = polygon_area_m2(&poly);
                let n = serials.jbnt.entry(county).or_insert(0);
                *n += 1;
                let n = *n;
                let attrs = vec![
                    AttrValue::Integer(serials.next_bsm()),
                    text(format!("{county:06}{n:07}")),
                    text(classes[j * grid.cols() + i]),
                    text(zldwdm.clone()),
                    text(zldwmc.clone()),
                    AttrValue::Real(round_to(area, 2)),
                ];
                jbnt.push((MultiPolygon(vec![poly]), attrs));
            }
            i = i1;
        }
        j = j1;
    }
}

/// An approval (已批准用地) over a bumped rectangle.
pub(crate) fn approval(
    serials: &mut Serials,
    h: &mut Hashed,
    rect: BBox,
    city: &str,
    county: &str,
) -> Feat {
    let poly = bumped_rect(rect, h);
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let year = 2012 + (h.next_u64() % 8) as i32;
    let (pzwh, pzjg) = names::approval_number(year, h);
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let pzsj = days(year, 1, 10) + (h.next_u64() % 340) as i64;
    let pzlx = match h.next_u64() % 6 {
        0 => "城乡建设用地增减挂钩",
        1 | 2 => "农用地转用",
        _ => "农用地转用和土地征收",
    };
    let area = polygon_area_m2(&poly);
    let attrs = vec![
        AttrValue::Integer(serials.next_bsm()),
        text(pzwh),
        text(pzjg),
        date(pzsj),
        AttrValue::Real(round_to(area / 10_000.0, 4)),
        text(names::project(city, county, year, h)),
        text(pzlx),
    ];
    (MultiPolygon(vec![poly]), attrs)
}

/// A mining or exploration right (矿业权).
pub(crate) struct LicenceSpec<'a> {
    pub county_code: u32,
    pub county: &'a str,
    pub city: &'a str,
    pub kz: &'static str,
    /// `Some(day)`: the licence expired on that day.
    pub expired_on: Option<i64>,
    pub exploration: bool,
}

pub(crate) fn licence(h: &mut Hashed, rect: BBox, spec: &LicenceSpec<'_>) -> Feat {
    let poly = bumped_rect(rect, h);
    let area_km2 = polygon_area_m2(&poly) / 1.0e6;
    // Issued before the monitoring period; a valid licence runs past 2021,
    // an expired one ended on the given day.
    #[allow(clippy::cast_possible_truncation)]
    let (yxqq, yxqz) = match spec.expired_on {
        Some(end) => (
            end - 365 * (3 + (h.next_u64() % 6) as i64) - (h.next_u64() % 60) as i64,
            end,
        ),
        None => {
            let start = days(2009, 1, 1) + (h.next_u64() % 3_800) as i64;
            let years = 3 + (h.next_u64() % 10) as i64;
            let end = (start + 365 * years).max(days(2021, 1, 1) + (h.next_u64() % 900) as i64);
            (start, end)
        }
    };
    let (y, m, _) = crate::table::civil(yxqq);
    let provincial = matches!(spec.kz, "稀土" | "煤" | "磷矿" | "钒钛磁铁矿" | "硫铁矿");
    let xkzh = if spec.exploration {
        format!("T51{y:04}{m:02}{:09}", h.next_u64() % 1_000_000_000)
    } else {
        let issuer = if provincial {
            510_000
        } else {
            spec.county_code / 100 * 100
        };
        format!(
            "C{issuer:06}{y:04}{m:02}{:010}",
            h.next_u64() % 10_000_000_000
        )
    };
    let fzjg = if provincial || spec.exploration {
        "四川省自然资源厅".to_string()
    } else {
        format!("{}自然资源和规划局", spec.city)
    };
    let kcfs = match spec.kz {
        "煤" | "磷矿" | "硫铁矿" => "地下开采",
        _ => "露天开采",
    };
    let scale = match spec.kz {
        "煤" => 9 + h.next_u64() % 30,
        "稀土" => 2 + h.next_u64() % 20,
        _ => 5 + h.next_u64() % 95,
    };
    let attrs = vec![
        text(xkzh),
        text(names::mine(spec.county, spec.kz, h)),
        text(spec.kz),
        text(if spec.exploration {
            "探矿权"
        } else {
            "采矿权"
        }),
        text(if spec.exploration { "勘查" } else { kcfs }),
        if spec.exploration {
            AttrValue::Null
        } else {
            text(format!("{scale}.00万吨/年"))
        },
        AttrValue::Real(round_to(area_km2, 4)),
        date(yxqq),
        date(yxqz),
        text(fzjg),
    ];
    (MultiPolygon(vec![poly]), attrs)
}
