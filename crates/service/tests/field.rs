//! Field checks by the technical-support unit, beside the county's answer.

use std::path::PathBuf;

use geo_types::MultiPolygon;
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::RegionCode;
use weipian_formats::{Dataset, Feature};
use weipian_geo::crs::CrsHint;
use weipian_service::field::{add_photo, assign, checks, complete};
use weipian_service::ServiceError;

mod common;
use common::*;

fn actor(role: Role, region: &str) -> Actor {
    Actor::new(
        &format!("{}-{region}", role.code()),
        Scope::Region(RegionCode::parse(region).unwrap()),
        role,
    )
    .unwrap()
}

const A: &str = "510104TD200001";

#[test]
fn the_unit_records_findings_boundary_and_photos_beside_the_answer() {
    let mut e = env_two_counties();
    let sheng = actor(Role::ProvinceReviewer, "510000");
    let unit = actor(Role::DeskReviewer, "510000");
    let clerk = actor(Role::CountyFiller, "510104");
    // Only reviewers assign; a patch outside the region is not found.
    assert!(matches!(
        assign(&mut e.store, &clerk, &batch(), &[A.into()]),
        Err(ServiceError::Denied(_))
    ));
    assert!(matches!(
        assign(&mut e.store, &unit, &batch(), &[A.into()]),
        Err(ServiceError::Denied(_))
    ));
    let other = actor(Role::ProvinceReviewer, "330000");
    assert!(matches!(
        assign(&mut e.store, &other, &batch(), &[A.into()]),
        Err(ServiceError::NotFound(_))
    ));
    let a = assign(&mut e.store, &sheng, &batch(), &[A.into()]).unwrap();
    let id = a[0].id;
    assert_eq!(a[0].status, "assigned");
    // Twice while open: refused.
    assert!(assign(&mut e.store, &sheng, &batch(), &[A.into()]).is_err());
    // The unit surveys: a boundary file and a photo.
    let surveyed = MultiPolygon(vec![rect(104.0598, 30.6098, 104.0602, 30.6102)]);
    let ds = Dataset {
        source: PathBuf::from("b"),
        fields: vec![],
        features: vec![Feature {
            row: 1,
            geometry: Some(surveyed.clone()),
            attrs: vec![],
            repairs: vec![],
        }],
        crs: CrsHint {
            epsg: Some(4490),
            ..CrsHint::default()
        },
        encoding: None,
    };
    let path = e.dir.join("实测范围.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    // Only the unit records; the city may not, another province cannot see it.
    let city = actor(Role::CityReviewer, "510100");
    assert!(matches!(
        complete(&mut e.store, &city, id, "x", None),
        Err(ServiceError::Denied(_))
    ));
    let zj = actor(Role::DeskReviewer, "330000");
    assert!(matches!(
        complete(&mut e.store, &zj, id, "x", None),
        Err(ServiceError::NotFound(_))
    ));
    assert!(complete(&mut e.store, &unit, id, " ", None)
        .unwrap_err()
        .to_string()
        .contains("核查情况"));
    let done = complete(
        &mut e.store,
        &unit,
        id,
        "现场为新建厂房，占地约 1800 平方米，县级判定为其他不属实",
        Some(&path),
    )
    .unwrap();
    let area = weipian_geo::area::ellipsoidal_area(&surveyed);
    assert_eq!(
        done.boundary_area_m2.map(f64::to_bits),
        Some(area.to_bits())
    );
    assert_eq!(done.status, "done");
    let photo = weipian_demo::photo::scene_jpeg(104.06, 30.61, "2020:05:06 10:00:00", 90, 9, 1);
    let with = add_photo(&mut e.store, &unit, id, "../外业/现场.jpg", &photo).unwrap();
    assert_eq!(with.photos.len(), 1);
    assert_eq!(with.photos[0].file_name, "现场.jpg");
    assert_eq!(
        with.photos[0].taken_at.as_deref(),
        Some("2020-05-06 10:00:00")
    );
    assert!(add_photo(&mut e.store, &unit, id, "x.pdf", b"%PDF-1.4 ...").is_err());
    // Everyone who reads the patch sees it, the county included.
    for who in [&clerk, &city, &sheng] {
        let list = checks(&e.store, who, &batch(), A).unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].findings.as_deref().unwrap().contains("新建厂房"));
        assert!(list[0].boundary.is_some());
    }
    let trail = e
        .store
        .audit_records(Some(&format!("2020/2020Q1/{A}")))
        .unwrap();
    for action in ["field.assign", "field.complete", "field.photo"] {
        assert!(trail.iter().any(|r| r.entry.action == action), "{action}");
    }
}
