//! Field checks (外业核查) by the technical-support unit: a province (or
//! city) reviewer assigns patches; the unit (desk reviewer of the province)
//! records its findings, the surveyed boundary (any supported file and CRS,
//! validated, official area) and photos (EXIF read, typed by content) —
//! all shown beside the county's answer. Where a county refuses, the
//! province edits the answer itself from these (省级直接修改).

use std::path::Path;

use geo_types::MultiPolygon;
use serde::Serialize;
use weipian_domain::access::{Actor, Op, Role};
use weipian_domain::{BatchId, RegionCode};
use weipian_store::{FieldCheckRow, NewAudit, Store};

use crate::ServiceError;

/// A field check as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldCheckView {
    pub id: i64,
    pub jcbh: String,
    /// `assigned` or `done`.
    pub status: String,
    pub assigned_at: String,
    pub assigned_by: String,
    pub findings: Option<String>,
    /// GeoJSON geometry of the surveyed boundary (EPSG:4490).
    pub boundary: Option<serde_json::Value>,
    /// Its official area, m².
    pub boundary_area_m2: Option<f64>,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub photos: Vec<FieldPhoto>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldPhoto {
    pub sha256: String,
    pub file_name: String,
    pub taken_at: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

fn view(jcbh: &str, f: FieldCheckRow) -> FieldCheckView {
    FieldCheckView {
        id: f.id,
        jcbh: jcbh.into(),
        status: f.status,
        assigned_at: f.assigned_at,
        assigned_by: f.assigned_by,
        findings: f.findings,
        boundary: f
            .boundary
            .as_ref()
            .map(weipian_formats::geojson::geometry_value),
        boundary_area_m2: f.boundary_area_m2,
        done_at: f.done_at,
        done_by: f.done_by,
        photos: f
            .photos
            .into_iter()
            .map(|(sha256, file_name, taken_at, lon, lat)| FieldPhoto {
                sha256,
                file_name,
                taken_at,
                lon,
                lat,
            })
            .collect(),
    }
}

/// Assign field checks of patches (a province or city reviewer, in its region).
pub fn assign(
    store: &mut Store,
    actor: &Actor,
    batch: &BatchId,
    jcbhs: &[String],
) -> Result<Vec<FieldCheckView>, ServiceError> {
    if !matches!(actor.role, Role::ProvinceReviewer | Role::CityReviewer) {
        return Err(ServiceError::Denied(format!(
            "{}不能安排外业核查（由省级或市级审核用户安排）",
            actor.role
        )));
    }
    let mut out = Vec::new();
    for j in jcbhs {
        let p = crate::scope::visible_patch(store, actor, batch, j)?;
        let audit = NewAudit {
            actor: actor.user.clone(),
            region: actor.scope.code(),
            action: "field.assign".into(),
            target: format!("{}/{}/{j}", batch.year, batch.name),
            before: None,
            after: None,
            reason: None,
        };
        let id = store.assign_field_check(p.id, &audit)?;
        let row = store
            .field_check(id)?
            .ok_or_else(|| ServiceError::NotFound(format!("外业核查 {id}")))?;
        out.push(view(j, row));
    }
    Ok(out)
}

/// The check, its patch's JCBH, if the actor is the unit of its province
/// (a desk reviewer whose region holds the patch).
fn for_unit(
    store: &Store,
    actor: &Actor,
    id: i64,
) -> Result<(FieldCheckRow, String), ServiceError> {
    let missing = || ServiceError::NotFound(format!("外业核查 {id}"));
    let row = store.field_check(id)?.ok_or_else(missing)?;
    let (label, xzqdm) = store.patch_key(row.patch_id)?.ok_or_else(missing)?;
    let region = RegionCode::parse(&xzqdm).map_err(|_| missing())?;
    if !actor.may(Op::ReadPatches, region) {
        return Err(missing());
    }
    if actor.role != Role::DeskReviewer {
        return Err(ServiceError::Denied(format!(
            "{}不能填写外业核查结果（由技术支撑单位填写）",
            actor.role
        )));
    }
    let jcbh = label.rsplit('/').next().unwrap_or(&label).to_string();
    Ok((row, jcbh))
}

/// Record the unit's findings and, if surveyed, the boundary (a file in
/// any supported format and CRS: one or more features, united).
pub fn complete(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    findings: &str,
    boundary: Option<&Path>,
) -> Result<FieldCheckView, ServiceError> {
    let (row, jcbh) = for_unit(store, actor, id)?;
    if findings.trim().is_empty() {
        return Err(ServiceError::Invalid("外业核查须写明核查情况".into()));
    }
    let surveyed: Option<(MultiPolygon<f64>, f64)> = match boundary {
        None => None,
        Some(path) => {
            let parts = crate::parcels::read_parts(path, &jcbh, &crate::NoProgress)?;
            let g = MultiPolygon(parts.into_iter().flat_map(|m| m.0).collect());
            let area = weipian_geo::area::ellipsoidal_area(&g);
            Some((g, area))
        }
    };
    let label = store
        .patch_key(row.patch_id)?
        .map(|(l, _)| l)
        .unwrap_or_default();
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "field.complete".into(),
        target: label,
        before: None,
        after: Some(findings.trim().to_string()),
        reason: surveyed
            .as_ref()
            .map(|(_, a)| format!("实测范围 {a:.2} 平方米")),
    };
    store.complete_field_check(
        id,
        findings.trim(),
        surveyed.as_ref().map(|(g, a)| (g, *a)),
        &audit,
    )?;
    let row = store
        .field_check(id)?
        .ok_or_else(|| ServiceError::NotFound(format!("外业核查 {id}")))?;
    Ok(view(&jcbh, row))
}

/// Add a photo (JPEG or PNG, typed by content) to a field check.
pub fn add_photo(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<FieldCheckView, ServiceError> {
    let (row, jcbh) = for_unit(store, actor, id)?;
    let file_name = crate::evidence::clean_name(file_name);
    let file_name = file_name.as_str();
    let media = crate::evidence::checked_media_type(file_name, bytes)?;
    if !media.starts_with("image/") {
        return Err(ServiceError::Invalid(format!(
            "{file_name} 不是照片（JPEG 或 PNG）"
        )));
    }
    let meta = crate::evidence::photo_meta(bytes);
    let label = store
        .patch_key(row.patch_id)?
        .map(|(l, _)| l)
        .unwrap_or_default();
    let audit = NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "field.photo".into(),
        target: label,
        before: None,
        after: Some(file_name.to_string()),
        reason: None,
    };
    store.add_field_photo(id, bytes, file_name, &meta, &audit)?;
    let row = store
        .field_check(id)?
        .ok_or_else(|| ServiceError::NotFound(format!("外业核查 {id}")))?;
    Ok(view(&jcbh, row))
}

/// The field checks of a patch (anyone who may read it).
pub fn checks(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<Vec<FieldCheckView>, ServiceError> {
    let p = crate::scope::visible_patch(store, actor, batch, jcbh)?;
    Ok(store
        .field_checks(p.id)?
        .into_iter()
        .map(|f| view(jcbh, f))
        .collect())
}
