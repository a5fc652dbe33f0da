//! Map data for the patch page, as GeoJSON (EPSG:4490 longitude/latitude,
//! coordinates at full precision): the patches of a batch in a view, a
//! reference layer in a view, and one patch with its 地块 and the
//! illegal-land ranges of its cases. Views are bounding boxes of at most
//! [`MAX_SPAN_DEG`]° a side read through the store's R*Trees, and at most
//! `limit` features come back (the largest), with the number that matched:
//! never all geometries at once.
//!
//! Scope: the patches are those the actor may read (its region, never
//! military land); reference layers are province-wide data any reader may
//! see; one patch outside the actor's region is "not found".

use geo_types::MultiPolygon;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};
use weipian_domain::access::{Actor, Op};
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{MapQuery, Store};

use crate::ServiceError;

/// Features in a view unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 2000;
/// The most features a view returns.
pub const MAX_LIMIT: usize = 5000;
/// The widest and tallest view, in degrees.
pub const MAX_SPAN_DEG: f64 = 2.0;

/// A view: `[minx, miny, maxx, maxy]` in degrees (EPSG:4490), checked —
/// finite, ordered, on the globe and at most [`MAX_SPAN_DEG`]° a side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox([f64; 4]);

impl Bbox {
    /// A checked box.
    ///
    /// ```
    /// use weipian_service::map::Bbox;
    /// assert!(Bbox::new([104.0, 30.6, 104.1, 30.7]).is_ok());
    /// assert!(Bbox::new([104.1, 30.6, 104.0, 30.7]).is_err());
    /// let e = Bbox::new([100.0, 30.0, 105.0, 31.0]).unwrap_err();
    /// assert!(e.to_string().contains("bbox 范围过大"), "{e}");
    /// ```
    pub fn new(b: [f64; 4]) -> Result<Bbox, ServiceError> {
        let [minx, miny, maxx, maxy] = b;
        if !b.iter().all(|v| v.is_finite()) {
            return Err(ServiceError::Invalid("bbox 的坐标须为有限数值".into()));
        }
        if minx >= maxx || miny >= maxy {
            return Err(ServiceError::Invalid(format!(
                "bbox 应为 minx,miny,maxx,maxy，且 minx 小于 maxx、miny 小于 maxy（收到 {minx},{miny},{maxx},{maxy}）"
            )));
        }
        if minx < -180.0 || maxx > 180.0 || miny < -90.0 || maxy > 90.0 {
            return Err(ServiceError::Invalid(
                "bbox 超出经纬度范围（经度 -180～180，纬度 -90～90，EPSG:4490）".into(),
            ));
        }
        if maxx - minx > MAX_SPAN_DEG || maxy - miny > MAX_SPAN_DEG {
            return Err(ServiceError::Invalid(format!(
                "bbox 范围过大（最大 {MAX_SPAN_DEG}°×{MAX_SPAN_DEG}°），请放大地图"
            )));
        }
        Ok(Bbox(b))
    }

    /// Parse `minx,miny,maxx,maxy` (the `bbox` query parameter).
    ///
    /// ```
    /// use weipian_service::map::Bbox;
    /// assert_eq!(Bbox::parse(" 104,30.6 ,104.1,30.7").unwrap().coords(), [104.0, 30.6, 104.1, 30.7]);
    /// assert!(Bbox::parse("104,30.6,104.1").is_err());
    /// assert!(Bbox::parse("104,30.6,104.1,abc").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Bbox, ServiceError> {
        let bad = || {
            ServiceError::Invalid(format!(
                "bbox 应为以逗号分隔的 4 个数 minx,miny,maxx,maxy（经纬度，EPSG:4490），收到“{text}”"
            ))
        };
        let parts: Vec<f64> = text
            .split(',')
            .map(|s| s.trim().parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        let b: [f64; 4] = parts.try_into().map_err(|_| bad())?;
        Bbox::new(b)
    }

    /// `[minx, miny, maxx, maxy]`.
    #[must_use]
    pub fn coords(self) -> [f64; 4] {
        self.0
    }
}

/// The `bbox` query parameter, required.
pub fn bbox_param(text: Option<&str>) -> Result<Bbox, ServiceError> {
    match text.map(str::trim) {
        None | Some("") => Err(ServiceError::Invalid(
            "缺少参数 bbox（minx,miny,maxx,maxy，经纬度，EPSG:4490）".into(),
        )),
        Some(t) => Bbox::parse(t),
    }
}

/// The `limit` query parameter: [`DEFAULT_LIMIT`] when absent, else
/// 1 to [`MAX_LIMIT`].
///
/// ```
/// use weipian_service::map::limit_param;
/// assert_eq!(limit_param(None).unwrap(), 2000);
/// assert_eq!(limit_param(Some("10")).unwrap(), 10);
/// assert!(limit_param(Some("0")).is_err());
/// assert!(limit_param(Some("5001")).is_err());
/// ```
pub fn limit_param(text: Option<&str>) -> Result<usize, ServiceError> {
    let bad = || {
        ServiceError::Invalid(format!(
            "limit 应为 1 到 {MAX_LIMIT} 之间的整数（默认 {DEFAULT_LIMIT}），收到“{}”",
            text.unwrap_or_default()
        ))
    };
    match text.map(str::trim) {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(bad()),
        },
    }
}

/// A MultiPolygon written as a GeoJSON geometry, straight from the
/// coordinates (no intermediate JSON tree; full precision).
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry(pub MultiPolygon<f64>);

struct Ring<'a>(&'a geo_types::LineString<f64>);
struct Rings<'a>(&'a geo_types::Polygon<f64>);
struct Polygons<'a>(&'a MultiPolygon<f64>);

impl Serialize for Ring<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0 .0.len()))?;
        for c in &self.0 .0 {
            seq.serialize_element(&[c.x, c.y])?;
        }
        seq.end()
    }
}

impl Serialize for Rings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(1 + self.0.interiors().len()))?;
        seq.serialize_element(&Ring(self.0.exterior()))?;
        for r in self.0.interiors() {
            seq.serialize_element(&Ring(r))?;
        }
        seq.end()
    }
}

impl Serialize for Polygons<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0 .0.len()))?;
        for p in &self.0 .0 {
            seq.serialize_element(&Rings(p))?;
        }
        seq.end()
    }
}

impl Serialize for Geometry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", "MultiPolygon")?;
        m.serialize_entry("coordinates", &Polygons(&self.0))?;
        m.end()
    }
}

/// A GeoJSON Feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature<P> {
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub id: Value,
    pub geometry: Geometry,
    pub properties: P,
}

impl<P> Feature<P> {
    fn new(id: Value, geometry: MultiPolygon<f64>, properties: P) -> Self {
        Self {
            type_: "Feature",
            id,
            geometry: Geometry(geometry),
            properties,
        }
    }
}

/// A GeoJSON FeatureCollection with weipian's members: `total` and
/// `truncated` for a view, `bbox` for one patch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureCollection<P> {
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// One patch: the patch's extent `[minx, miny, maxx, maxy]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    pub features: Vec<Feature<P>>,
    /// A view: how many features matched (`features` holds the first
    /// `limit` of them by area).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// A view: whether matches were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
}

/// What the map shows of a patch in a view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchProps {
    #[serde(rename = "JCBH")]
    pub jcbh: String,
    #[serde(rename = "XZQDM")]
    pub xzqdm: String,
    /// `land` or `mineral`.
    pub kind: &'static str,
    /// Ellipsoidal area, m², unrounded.
    pub area_m2: f64,
    /// 判定类型 of the current answer of the whole patch, if any.
    #[serde(rename = "PDLX")]
    pub category: Option<String>,
    /// Code of the review state (`county` when never submitted).
    pub review_state: &'static str,
}

/// The patches of a batch whose extent meets `bbox` and which the actor
/// may read (never military land): the largest `limit`, with how many matched.
pub fn patches_in_view(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    bbox: Bbox,
    limit: usize,
) -> Result<FeatureCollection<PatchProps>, ServiceError> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let Some(region) = crate::scope::region_filter(actor, None)? else {
        return Ok(view(Vec::new(), 0));
    };
    let found = store.map_patches(&MapQuery {
        batch: batch.clone(),
        bbox: bbox.coords(),
        region,
        limit,
    })?;
    let total = found.total;
    let mut features = Vec::with_capacity(found.items.len());
    for p in found.items {
        // The store filtered by region already; the rule is the actor's.
        if !RegionCode::parse(&p.xzqdm).is_ok_and(|r| actor.may(Op::ReadPatches, r)) {
            return Err(ServiceError::Store(weipian_store::StoreError::Corrupt(
                format!("图斑 {} 不在调用者所辖范围内", p.jcbh),
            )));
        }
        let review_state = match p.review_state.as_deref() {
            None => weipian_domain::review::ReviewState::County,
            Some(code) => weipian_domain::review::ReviewState::parse(code).ok_or_else(|| {
                weipian_store::StoreError::Corrupt(format!(
                    "图斑 {} 的审核状态无效：“{code}”",
                    p.jcbh
                ))
            })?,
        }
        .code();
        features.push(Feature::new(
            json!(p.jcbh),
            p.geometry,
            PatchProps {
                jcbh: p.jcbh,
                xzqdm: p.xzqdm,
                kind: p.kind.code(),
                area_m2: p.area_m2,
                category: p.category,
                review_state,
            },
        ));
    }
    Ok(view(features, total))
}

fn view<P>(features: Vec<Feature<P>>, total: usize) -> FeatureCollection<P> {
    FeatureCollection {
        type_: "FeatureCollection",
        bbox: None,
        truncated: Some(total > features.len()),
        total: Some(total),
        features,
    }
}

/// The features of reference layer `code` (`gd`, `jbnt`, … see
/// [`weipian_domain::LAYER_KINDS`]) whose extent meets `bbox`: the largest
/// `limit`, with how many matched. Properties: `fid`, `area_m2` and the
/// kind's key columns as stored (`DLBM` for 耕地, `PZWH`/`PZSJ` for
/// 已批准用地 …). Province-wide data: any reader may see it. An unknown
/// kind is "not found"; a kind never imported is an empty collection.
pub fn layer_in_view(
    store: &Store,
    actor: &Actor,
    code: &str,
    bbox: Bbox,
    limit: usize,
) -> Result<FeatureCollection<Map<String, Value>>, ServiceError> {
    if !actor.may_at_all(Op::ReadPatches) {
        return Err(ServiceError::Denied(format!(
            "{}不能查看基础数据",
            actor.role
        )));
    }
    let kind = weipian_domain::layer::kind(code)
        .ok_or_else(|| ServiceError::NotFound(format!("基础数据图层“{code}”")))?;
    let found = store.map_layer(kind, bbox.coords(), limit.clamp(1, MAX_LIMIT))?;
    let total = found.total;
    let features = found
        .items
        .into_iter()
        .map(|f| {
            let mut props = Map::new();
            props.insert("fid".into(), json!(f.fid));
            for (key, value) in kind.keys.iter().zip(f.keys) {
                props.insert(key.column.into(), json!(value));
            }
            props.insert("area_m2".into(), json!(f.area_m2));
            Feature::new(json!(f.fid), f.geometry, props)
        })
        .collect();
    Ok(view(features, total))
}

/// `[minx, miny, maxx, maxy]` of a geometry (`None` when it has no coordinates).
fn extent(g: &MultiPolygon<f64>) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for p in &g.0 {
        for c in std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| &r.0)
        {
            b = Some(match b {
                None => [c.x, c.y, c.x, c.y],
                Some([x0, y0, x1, y1]) => [x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y)],
            });
        }
    }
    b
}

/// One patch on its own: the patch (`role: "patch"`), its 地块 if it is
/// split (`role: "parcel"`, `part`), and the illegal-land ranges of the
/// cases linked to it (`role: "case_range"`, `case_id`, `case_number`,
/// `no`), each with `area_m2`; `bbox` is the patch's extent. "Not found"
/// for a patch the actor may not read, as for one that does not exist.
pub fn patch_geometry(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<FeatureCollection<Map<String, Value>>, ServiceError> {
    let patch = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    let props = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let bbox = extent(&patch.geometry);
    let mut features = vec![Feature::new(
        json!(patch.jcbh),
        patch.geometry,
        props(json!({
            "role": "patch",
            "JCBH": patch.jcbh,
            "XZQDM": patch.xzqdm,
            "area_m2": patch.area_m2,
        })),
    )];
    for part in store.parcels(patch.id)? {
        features.push(Feature::new(
            json!(format!("{}-{}", patch.jcbh, part.no)),
            part.geometry,
            props(json!({
                "role": "parcel",
                "JCBH": patch.jcbh,
                "part": part.no,
                "area_m2": part.area_m2,
            })),
        ));
    }
    for case_id in store.cases_of_patch(patch.id)? {
        let Some(case) = store.case(case_id)? else {
            continue;
        };
        // The case's own scope (its county), as `cases::get_case` checks it.
        if !RegionCode::parse(&case.county).is_ok_and(|c| actor.may(Op::ReadPatches, c)) {
            continue;
        }
        for f in store.case_range(case_id)? {
            features.push(Feature::new(
                json!(format!("case-{case_id}-{}", f.no)),
                f.geometry,
                props(json!({
                    "role": "case_range",
                    "case_id": case_id,
                    "case_number": case.number,
                    "no": f.no,
                    "area_m2": f.area_m2,
                })),
            ));
        }
    }
    Ok(FeatureCollection {
        type_: "FeatureCollection",
        bbox,
        features,
        total: None,
        truncated: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_are_checked() {
        for (text, wanted) in [
            ("104,30.6,104.1,30.7", None),
            ("-180,-90,-178,-88", None),
            ("104,30.6,106,32.6", None), // exactly 2°×2°
            (
                "104,30.6,106.01,30.7",
                Some("bbox 范围过大（最大 2°×2°），请放大地图"),
            ),
            ("104,30.6,104.1,32.61", Some("范围过大")),
            ("104.1,30.6,104,30.7", Some("minx 小于 maxx")),
            ("104,30.6,104,30.7", Some("minx 小于 maxx")),
            ("104,30.7,104.1,30.6", Some("miny 小于 maxy")),
            ("179.5,30,180.5,30.1", Some("超出经纬度范围")),
            ("104,89.5,104.1,90.5", Some("超出经纬度范围")),
            ("104,30.6,inf,30.7", Some("有限数值")),
            ("104,NaN,104.1,30.7", Some("有限数值")),
            ("104,30.6,104.1", Some("4 个数")),
            ("104,30.6,104.1,30.7,1", Some("4 个数")),
            ("104,30.6,104.1,x", Some("4 个数")),
            ("", Some("4 个数")),
        ] {
            match (Bbox::parse(text), wanted) {
                (Ok(_), None) => {}
                (Err(e), Some(w)) => assert!(e.to_string().contains(w), "{text}: {e}"),
                (r, w) => panic!("{text}: {r:?}, wanted {w:?}"),
            }
        }
        assert!(bbox_param(None)
            .unwrap_err()
            .to_string()
            .contains("缺少参数 bbox"));
        assert!(bbox_param(Some(" ")).is_err());
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(limit_param(Some("")).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit_param(Some("5000")).unwrap(), 5000);
        for bad in ["0", "5001", "-1", "1.5", "abc"] {
            let e = limit_param(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("limit 应为 1 到 5000 之间的整数"), "{bad}: {e}");
        }
    }

    #[test]
    fn geometries_are_written_at_full_precision() {
        let g = MultiPolygon(vec![geo_types::Polygon::new(
            geo_types::LineString::from(vec![
                (104.123_456_789_012_34, 30.1),
                (104.2, 30.1),
                (104.2, 30.2),
                (104.123_456_789_012_34, 30.1),
            ]),
            vec![geo_types::LineString::from(vec![
                (104.15, 30.12),
                (104.16, 30.12),
                (104.16, 30.13),
                (104.15, 30.12),
            ])],
        )]);
        let v = serde_json::to_value(Geometry(g.clone())).unwrap();
        assert_eq!(v, weipian_formats::geojson::geometry_value(&g));
        let text = serde_json::to_string(&Geometry(g)).unwrap();
        assert!(text.contains("104.12345678901234"), "{text}");
        assert_eq!(
            extent(&MultiPolygon(vec![])),
            None,
            "an empty geometry has no extent"
        );
    }
}
