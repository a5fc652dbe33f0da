//! The approval gate over a real store: a polygon file or a code against
//! the unresolved violations, the overlap measured, resolution by the case,
//! other regions counted but not named, other coordinate systems refused.

use weipian_domain::access::Role;
use weipian_domain::case::{CaseEvent, RectificationKind};
use weipian_service::cases::{apply_event, open_case};
use weipian_service::gate::{check, GateInput};

mod common;
use common::*;

fn geojson(
    dir: &std::path::Path,
    name: &str,
    ring: &[(f64, f64)],
    crs: Option<&str>,
) -> std::path::PathBuf {
    let coords: Vec<String> = ring.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
    let crs = crs.map_or(String::new(), |c| {
        format!(r#""crs":{{"type":"name","properties":{{"name":"{c}"}}}},"#)
    });
    let text = format!(
        r#"{{"type":"FeatureCollection",{crs}"features":[{{"type":"Feature","properties":{{"XMMC":"某项目"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}]}}"#,
        coords.join(",")
    );
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn land_over_an_unresolved_violation_is_refused_until_the_case_resolves_it() {
    let mut e = env_two_counties();
    complete(
        &mut e,
        "510104",
        "510104TD200001",
        (104.0601, 30.6101),
        "WF",
        None,
    );
    complete(
        &mut e,
        "510104",
        "510104TD200002",
        (104.0641, 30.6101),
        "QT",
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let desk = actor(Role::CityReviewer, "510100");
    // The western half of 510104TD200001 (its extent is ±0.0005° around 104.06, 30.61).
    let west = geojson(
        dir.path(),
        "west.geojson",
        &[
            (104.0590, 30.6090),
            (104.0600, 30.6090),
            (104.0600, 30.6110),
            (104.0590, 30.6110),
            (104.0590, 30.6090),
        ],
        None,
    );
    let a = check(&e.store, &desk, GateInput::File(&west)).unwrap();
    assert!(!a.clear, "{a:?}");
    assert_eq!(a.hits.len(), 1);
    let hit = &a.hits[0];
    assert_eq!(
        (
            hit.jcbh.as_str(),
            hit.category.as_str(),
            hit.case.as_deref()
        ),
        ("510104TD200001", "WF", None)
    );
    assert!(hit.status.contains("尚未立案"), "{}", hit.status);
    let whole = e
        .store
        .patch(&common::batch(), "510104TD200001")
        .unwrap()
        .unwrap()
        .area_m2;
    assert!(
        hit.overlap_m2 > 0.2 * whole && hit.overlap_m2 < 0.8 * whole,
        "{} of {whole}",
        hit.overlap_m2
    );
    assert!(a.message.contains("不得办理"), "{}", a.message);
    // By code: the patch itself; the legal-less 其他 patch is clear.
    let by_code = check(&e.store, &desk, GateInput::Code("510104TD200001")).unwrap();
    assert!((by_code.hits[0].overlap_m2 - whole).abs() < 1e-6 * whole);
    assert!(
        check(&e.store, &desk, GateInput::Code("510104TD200002"))
            .unwrap()
            .clear
    );
    assert!(matches!(
        check(&e.store, &desk, GateInput::Code("没有这个编号")),
        Err(weipian_service::ServiceError::NotFound(_))
    ));
    // Land far away is clear.
    let far = geojson(
        dir.path(),
        "far.geojson",
        &[
            (104.20, 30.70),
            (104.21, 30.70),
            (104.21, 30.71),
            (104.20, 30.71),
            (104.20, 30.70),
        ],
        None,
    );
    assert!(check(&e.store, &desk, GateInput::File(&far)).unwrap().clear);
    // Another county's desk learns there is one, not which.
    let other = actor(Role::CountyFiller, "510105");
    let a = check(&e.store, &other, GateInput::File(&west)).unwrap();
    assert!(
        !a.clear && a.hits.is_empty() && a.outside_region == 1,
        "{a:?}"
    );
    // A file in another coordinate system is refused.
    let xian = geojson(
        dir.path(),
        "xian80.geojson",
        &[
            (104.0590, 30.6090),
            (104.0600, 30.6090),
            (104.0600, 30.6110),
            (104.0590, 30.6090),
        ],
        Some("EPSG:4610"),
    );
    assert!(check(&e.store, &desk, GateInput::File(&xian)).is_err());

    // A case opened and filed: still refused, the case named.
    let clerk = actor(Role::CountyFiller, "510104");
    let c = open_case(
        &mut e.store,
        &clerk,
        &common::batch(),
        "锦违9",
        &["510104TD200001".to_string()],
    )
    .unwrap();
    let v = apply_event(
        &mut e.store,
        &clerk,
        c.id,
        &CaseEvent::File {
            date: "2020-05-02".into(),
            document: "立9".into(),
        },
        c.version,
    )
    .unwrap();
    let a = check(&e.store, &desk, GateInput::File(&west)).unwrap();
    assert_eq!(a.hits[0].case.as_deref(), Some("锦违9"));
    assert!(
        a.hits[0].status.contains("尚未作出处理决定"),
        "{}",
        a.hits[0].status
    );
    // Eliminated: clear.
    rectify_and_eliminate(
        &mut e,
        &clerk,
        c.id,
        v.version,
        RectificationKind::Demolition,
    );
    let a = check(&e.store, &desk, GateInput::File(&west)).unwrap();
    assert!(a.clear, "{a:?}");
    assert!(a.message.contains("可以办理"));
}
