//! Tests for CRS identification and the Gauss–Krüger projection.

use super::*;
use geo_types::{polygon, MultiPolygon};

/// (zone, lon, lat, easting with zone prefix, northing), from PROJ 9.5.1 via
/// pyproj: `Transformer.from_crs("EPSG:4490", "EPSG:45xx", always_xy=True)`.
/// Zones 25–45, latitudes 18–53, on the zone edges (±1.5°) and inside; the
/// last five lie outside their zone or at the edges of China.
const PROJ_POINTS: &[(u8, f64, f64, f64, f64)] = &[
    (38, 114.3, 30.6, 38528770.2373, 3386666.2506),
    (25, 73.5, 18.2, 25341307.8807, 2013767.1523),
    (25, 76.5, 37.260948, 25633063.9474, 4126525.7127),
    (26, 79.5, 21.5, 26655443.3887, 2379182.8736),
    (26, 77.202225, 38.005779, 26429934.4044, 4208439.8311),
    (27, 81.7224, 24.9, 27572986.5164, 2755170.6872),
    (27, 79.5, 22.503533, 27345646.9929, 2490331.9842),
    (28, 82.5, 28.3, 28352858.5129, 3132601.5750),
    (28, 85.5, 38.690794, 28630506.5476, 4285246.2842),
    (29, 88.5, 31.7, 29642206.6046, 3509565.4706),
    (29, 88.105559, 38.892358, 29595916.8142, 4307135.2206),
    (30, 89.412125, 35.1, 30446399.0174, 3885845.1703),
    (30, 88.5, 37.386781, 30367157.8027, 4140492.4068),
    (31, 91.5, 38.6, 31369328.6182, 4275166.5900),
    (31, 94.5, 19.323517, 31657644.4399, 2138162.4598),
    (32, 97.5, 42.0, 32624277.6541, 4652725.5467),
    (32, 96.001325, 40.105764, 32500112.9721, 4441272.6055),
    (33, 98.973984, 45.4, 33497963.0435, 5029398.9815),
    (33, 97.5, 28.309953, 33352872.2113, 3133704.8197),
    (34, 100.5, 48.8, 34389805.1735, 5408471.5070),
    (34, 103.5, 33.555002, 34639301.8418, 3715311.0180),
    (35, 106.5, 52.9, 35600935.2342, 5864545.7464),
    (35, 105.890367, 50.028166, 35563797.7853, 5544359.8286),
    (36, 107.898919, 18.2, 36489307.1467, 2013121.1874),
    (36, 106.5, 33.906998, 36361265.9472, 3754358.7182),
    (37, 109.5, 21.5, 37344556.6113, 2379182.8736),
    (37, 112.5, 41.188695, 37625844.1074, 4562613.8972),
    (38, 115.5, 24.9, 38651558.7189, 2755812.3751),
    (38, 114.697471, 42.702317, 38557146.3562, 4729886.2260),
    (39, 118.384547, 28.3, 39635814.9298, 3132466.3755),
    (39, 115.5, 34.562641, 39362337.5003, 3827096.2155),
    (40, 118.5, 31.7, 40357793.3954, 3509565.4706),
    (40, 121.5, 34.819542, 40637237.7008, 3855598.9784),
    (41, 124.5, 35.1, 41636770.7934, 3886716.6360),
    (41, 122.528726, 19.588151, 41450555.1204, 2166842.0314),
    (42, 127.459155, 38.6, 42627113.0254, 4275109.2494),
    (42, 124.5, 34.19584, 42361735.7834, 3786402.1593),
    (43, 127.5, 42.0, 43375722.3459, 4652725.5467),
    (43, 130.5, 30.073233, 43644631.3229, 3329180.3414),
    (44, 133.5, 45.4, 44617444.2819, 5030493.4047),
    (44, 133.233657, 43.549801, 44599692.4400, 4824541.2447),
    (45, 134.146794, 48.8, 45437320.1068, 5407737.2297),
    (45, 133.5, 42.245936, 45376202.1547, 4680044.0093),
    (25, 72.0, 40.0, 25243797.8712, 4433842.5938),
    (45, 138.0, 47.0, 45728160.8294, 5211617.4950),
    (35, 108.0, 3.5, 35833492.0303, 387548.1688),
    (42, 126.0, 53.5, 42500000.0000, 5930265.8603),
    (37, 114.5, 30.0, 37837807.7698, 3325276.3305),
];

/// (lon, lat, easting, northing) in EPSG:4547 (CM 114°E, unprefixed), up to
/// 10° from the central meridian, from PROJ.
const PROJ_FAR: &[(f64, f64, f64, f64)] = &[
    (109.5, 20.0, 28714.3862, 2218705.2756),
    (109.5, 45.0, 145188.9697, 4994806.9765),
    (111.0, 20.0, 185948.0588, 2215180.0983),
    (111.0, 45.0, 263459.3576, 4989325.2347),
    (117.0, 20.0, 814051.9412, 2215180.0983),
    (117.0, 45.0, 736540.6424, 4989325.2347),
    (118.5, 20.0, 971285.6138, 2218705.2756),
    (118.5, 45.0, 854811.0303, 4994806.9765),
    // Beyond the fast path's 5.7°: the general evaluation.
    (122.0, 35.0, 1231120.3074, 3903982.1888),
    (106.0, 25.0, -309301.3371, 2790036.3837),
    (124.0, 50.0, 1216311.8418, 5588956.4270),
];

#[test]
fn epsg_codes_round_trip() {
    assert_eq!(Crs::Geographic.epsg(), 4490);
    assert_eq!(
        Crs::GaussKruger {
            zone: 38,
            prefixed: true
        }
        .epsg(),
        4526
    );
    assert_eq!(
        Crs::GaussKruger {
            zone: 38,
            prefixed: false
        }
        .epsg(),
        4547
    );
    assert_eq!(
        Crs::GaussKruger {
            zone: 25,
            prefixed: false
        }
        .epsg(),
        4534
    );
    assert_eq!(
        Crs::GaussKruger {
            zone: 45,
            prefixed: true
        }
        .epsg(),
        4533
    );
    for code in 4400..4600 {
        if let Some(crs) = Crs::from_epsg(code) {
            assert_eq!(crs.epsg(), code);
        }
    }
    assert_eq!(
        Crs::from_epsg(4534),
        Some(Crs::GaussKruger {
            zone: 25,
            prefixed: false
        })
    );
    assert_eq!(
        Crs::from_epsg(4554).and_then(Crs::central_meridian),
        Some(135.0)
    );
    assert_eq!(Crs::from_epsg(4326), None);
    assert_eq!(Crs::Geographic.central_meridian(), None);
}

#[test]
fn chinese_names() {
    assert_eq!(Crs::Geographic.name_zh(), "CGCS2000 地理坐标（EPSG:4490）");
    assert_eq!(
        Crs::GaussKruger {
            zone: 38,
            prefixed: true
        }
        .name_zh(),
        "CGCS2000 3度带高斯-克吕格投影 第38带（EPSG:4526）"
    );
    assert_eq!(
        Crs::GaussKruger {
            zone: 38,
            prefixed: false
        }
        .name_zh(),
        "CGCS2000 3度带高斯-克吕格投影 中央经线114°E，不带带号（EPSG:4547）"
    );
}

#[test]
fn forward_matches_proj_to_a_millimetre() {
    for &(zone, lon, lat, x, y) in PROJ_POINTS {
        let crs = Crs::GaussKruger {
            zone,
            prefixed: true,
        };
        let (e, n) = crs.point_from_geographic(lon, lat);
        assert!(
            (e - x).abs() < 1e-3 && (n - y).abs() < 1e-3,
            "zone {zone} ({lon}, {lat}): got ({e:.4}, {n:.4}) want ({x}, {y})"
        );
        let crs = Crs::GaussKruger {
            zone,
            prefixed: false,
        };
        let (e, _) = crs.point_from_geographic(lon, lat);
        assert!((e - (x - f64::from(zone) * 1e6)).abs() < 1e-3);
    }
    for &(lon, lat, x, y) in PROJ_FAR {
        let (e, n) = gk_forward(114.0, lon, lat);
        assert!(
            (e + 500_000.0 - x).abs() < 1e-3 && (n - y).abs() < 1e-3,
            "({lon}, {lat}): ({e}, {n})"
        );
        let (l, b) = gk_inverse(114.0, x - 500_000.0, y);
        assert!(
            (l - lon).abs() < 2e-8 && (b - lat).abs() < 1e-8,
            "({lon}, {lat}): ({l}, {b})"
        );
    }
}

#[test]
fn inverse_matches_proj() {
    // 1 mm on the ground is about 1e-8 degrees.
    for &(zone, lon, lat, x, y) in PROJ_POINTS {
        let (l, b) = Crs::GaussKruger {
            zone,
            prefixed: true,
        }
        .point_to_geographic(x, y);
        assert!(
            (l - lon).abs() < 2e-8 && (b - lat).abs() < 1e-8,
            "zone {zone}: ({l}, {b}) want ({lon}, {lat})"
        );
    }
}

#[test]
fn forward_inverse_round_trip_below_1e9_degrees() {
    let mut worst = 0.0_f64;
    for zone in ZONES {
        let cm = 3.0 * f64::from(zone);
        for i in 0..=40 {
            for j in 0..=12 {
                let lat = 3.0 + 51.0 * f64::from(i) / 40.0;
                let lon = cm - 3.0 + 0.5 * f64::from(j) + 0.0123;
                let (x, y) = gk_forward(cm, lon, lat);
                let (l, b) = gk_inverse(cm, x, y);
                worst = worst.max((l - lon).abs()).max((b - lat).abs());
            }
        }
    }
    assert!(worst < 1e-9, "worst round-trip error {worst}°");
}

#[test]
fn geometry_projection_in_place() {
    let poly = polygon![(x: 114.30, y: 30.60), (x: 114.31, y: 30.60), (x: 114.31, y: 30.61), (x: 114.30, y: 30.61)];
    let orig = MultiPolygon(vec![poly]);
    let crs = Crs::GaussKruger {
        zone: 38,
        prefixed: true,
    };
    let mut mp = orig.clone();
    from_geographic(crs, &mut mp).expect("projects");
    let first = mp.0[0].exterior().0[0];
    assert!((first.x - 38_528_770.237_3).abs() < 1e-3 && (first.y - 3_386_666.250_6).abs() < 1e-3);
    to_geographic(crs, &mut mp).expect("projects back");
    for (a, b) in mp.0[0].exterior().0.iter().zip(&orig.0[0].exterior().0) {
        assert!((a.x - b.x).abs() < 1e-10 && (a.y - b.y).abs() < 1e-10);
    }
    let mut same = orig.clone();
    to_geographic(Crs::Geographic, &mut same).expect("no-op");
    assert_eq!(same, orig);
    let mut bad = MultiPolygon(vec![
        polygon![(x: f64::NAN, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0)],
    ]);
    assert!(matches!(
        to_geographic(crs, &mut bad),
        Err(CrsError::Projection { .. })
    ));
}

// ---------------------------------------------------------------- identify

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Rect<f64> {
    Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 })
}

fn epsg(code: u32) -> CrsHint {
    CrsHint {
        epsg: Some(code),
        ..CrsHint::default()
    }
}

fn wkt(text: &str) -> CrsHint {
    CrsHint {
        wkt: Some(text.to_owned()),
        ..CrsHint::default()
    }
}

fn txt(cs: &str, width: &str, proj: &str, zone: &str) -> CrsHint {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    CrsHint {
        txt: Some(TxtCrsHeader {
            coordinate_system: opt(cs),
            zone_width: opt(width),
            projection: opt(proj),
            zone: opt(zone),
            unit: Some("米".to_owned()),
        }),
        ..CrsHint::default()
    }
}

const GK38: Crs = Crs::GaussKruger {
    zone: 38,
    prefixed: true,
};
const CM114: Crs = Crs::GaussKruger {
    zone: 38,
    prefixed: false,
};

fn geo_box() -> Rect<f64> {
    rect(114.30, 30.60, 114.31, 30.61)
}
fn gk38_box() -> Rect<f64> {
    rect(38_528_770.0, 3_386_666.0, 38_529_770.0, 3_387_666.0)
}
fn cm114_box() -> Rect<f64> {
    rect(528_770.0, 3_386_666.0, 529_770.0, 3_387_666.0)
}

const ESRI_GCS: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const GDAL_GCS: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#;
const ESRI_ZONE38: &str = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const ESRI_CM114: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const GDAL_CM114: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4547"]]"#;
const WKT2_CM114: &str = r#"PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4490]],CONVERSION["3-degree Gauss-Kruger CM 114E",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8801]],PARAMETER["Longitude of natural origin",114,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8802]],PARAMETER["Scale factor at natural origin",1,SCALEUNIT["unity",1],ID["EPSG",8805]],PARAMETER["False easting",500000,LENGTHUNIT["metre",1],ID["EPSG",8806]],PARAMETER["False northing",0,LENGTHUNIT["metre",1],ID["EPSG",8807]]],CS[Cartesian,2],AXIS["northing (X)",north,ORDER[1],LENGTHUNIT["metre",1]],AXIS["easting (Y)",east,ORDER[2],LENGTHUNIT["metre",1]],USAGE[SCOPE["Cadastre."],AREA["China - onshore between 112°30'E and 115°30'E."],BBOX[21.52,112.5,45.45,115.5]],ID["EPSG",4547]]"#;
const XIAN_ZONE40: &str = r#"PROJCS["Xian_1980_3_Degree_GK_Zone_40",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const BEIJING_CM75: &str = r#"PROJCS["Beijing_1954_3_Degree_GK_CM_75E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",75.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const WEB_MERC: &str = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#;
const WGS84_GCS: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const SIX_DEG_ZONE20: &str = r#"PROJCS["CGCS2000_GK_Zone_20",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",20500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

#[test]
fn identifies_epsg_codes() {
    assert_eq!(identify(&epsg(4490), Some(geo_box())), Ok(Crs::Geographic));
    assert_eq!(identify(&epsg(4526), Some(gk38_box())), Ok(GK38));
    assert_eq!(identify(&epsg(4547), Some(cm114_box())), Ok(CM114));
    assert_eq!(identify(&epsg(4526), None), Ok(GK38));
    // The coordinates settle the prefix when the zone agrees.
    assert_eq!(identify(&epsg(4526), Some(cm114_box())), Ok(CM114));
    assert_eq!(identify(&epsg(4547), Some(gk38_box())), Ok(GK38));
}

#[test]
fn refuses_other_datums_by_epsg_naming_them() {
    let cases: &[(u32, &str)] = &[
        (4610, "西安1980"),
        (2364, "西安1980"),
        (4214, "北京1954"),
        (2422, "北京1954"),
        (21413, "北京1954"),
        (4796, "新北京54"),
        (4326, "WGS84"),
        (32650, "WGS84"),
        (3857, "Web 墨卡托"),
        (900_913, "Web 墨卡托"),
        (4498, "6度带"),
        (4508, "6度带"),
    ];
    for &(code, word) in cases {
        let err = identify(&epsg(code), None).expect_err("refused");
        let msg = err.to_string();
        assert!(
            msg.contains(word) && msg.contains(&code.to_string()),
            "EPSG:{code}: {msg}"
        );
    }
    let err = identify(&epsg(2154), None).expect_err("refused");
    assert_eq!(err, CrsError::UnsupportedEpsg { code: 2154 });
    assert!(err.to_string().contains("EPSG:2154"));
}

#[test]
fn identifies_wkt_variants() {
    assert_eq!(
        identify(&wkt(ESRI_GCS), Some(geo_box())),
        Ok(Crs::Geographic)
    );
    assert_eq!(
        identify(&wkt(GDAL_GCS), Some(geo_box())),
        Ok(Crs::Geographic)
    );
    assert_eq!(identify(&wkt(ESRI_ZONE38), Some(gk38_box())), Ok(GK38));
    assert_eq!(identify(&wkt(ESRI_CM114), Some(cm114_box())), Ok(CM114));
    assert_eq!(identify(&wkt(GDAL_CM114), Some(cm114_box())), Ok(CM114));
    assert_eq!(identify(&wkt(WKT2_CM114), Some(cm114_box())), Ok(CM114));
    // A .prj without a trailing newline issue, with a BOM and whitespace.
    assert_eq!(
        identify(&wkt(&format!("\u{feff}{ESRI_ZONE38}\r\n")), None),
        Ok(GK38)
    );
    // Names only (no parameters), in both spellings.
    let bare = |name: &str| {
        format!(
            r#"PROJCS["{name}",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]],PROJECTION["Gauss_Kruger"]]"#
        )
    };
    assert_eq!(
        identify(
            &wkt(&bare("CGCS2000 / 3-degree Gauss-Kruger zone 38")),
            Some(gk38_box())
        ),
        Ok(GK38)
    );
    assert_eq!(
        identify(
            &wkt(&bare("CGCS2000 / 3-degree Gauss-Kruger CM 114E")),
            Some(cm114_box())
        ),
        Ok(CM114)
    );
    assert_eq!(
        identify(&wkt(&bare("CGCS2000_3_Degree_GK_CM_114E")), None),
        Ok(CM114)
    );
    // An authority code alone decides.
    let by_code =
        r#"PROJCS["whatever",GEOGCS["x",DATUM["y",SPHEROID["z",1,1]]],AUTHORITY["EPSG","4526"]]"#;
    assert_eq!(identify(&wkt(by_code), Some(gk38_box())), Ok(GK38));
}

#[test]
fn falls_back_to_parameters_when_the_name_is_odd() {
    let odd = r#"PROJCS["my_custom_projection",GEOGCS["GCS_unknown",DATUM["D_unknown",SPHEROID["GRS_1980",6378137.0,298.257222101]]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    assert_eq!(identify(&wkt(odd), Some(cm114_box())), Ok(CM114));
    let odd38 = odd.replace("500000.0", "38500000.0");
    assert_eq!(identify(&wkt(&odd38), Some(gk38_box())), Ok(GK38));
    // UTM-like scale factor: not Gauss–Krüger 3°.
    let utm = odd.replace(r#""Scale_Factor",1.0"#, r#""Scale_Factor",0.9996"#);
    let err = identify(&wkt(&utm), None).expect_err("refused");
    assert!(
        matches!(err, CrsError::UnsupportedProjection { .. }) && err.to_string().contains("0.9996"),
        "{err}"
    );
    // Krasovsky parameters under odd names are still Beijing 1954.
    let kras = r#"PROJCS["foo",GEOGCS["bar",DATUM["baz",SPHEROID["qux",6378245.0,298.3]]],PARAMETER["Central_Meridian",114.0],PARAMETER["False_Easting",500000.0]]"#;
    assert!(matches!(
        identify(&wkt(kras), None),
        Err(CrsError::Beijing1954 { .. })
    ));
}

#[test]
fn refuses_other_datums_in_wkt_naming_them() {
    let err = identify(&wkt(XIAN_ZONE40), None).expect_err("refused");
    assert!(
        matches!(&err, CrsError::Xian1980 { found } if found.contains("Xian_1980_3_Degree_GK_Zone_40")),
        "{err}"
    );
    assert!(err.to_string().contains("西安1980"));
    let xi_an = r#"GEOGCS["Xi'an 1980",DATUM["Xian 1980",SPHEROID["IAG 1975",6378140,298.257]]]"#;
    assert!(matches!(
        identify(&wkt(xi_an), None),
        Err(CrsError::Xian1980 { .. })
    ));
    let err = identify(&wkt(BEIJING_CM75), None).expect_err("refused");
    assert!(
        err.to_string().contains("北京1954")
            && err.to_string().contains("Beijing_1954_3_Degree_GK_CM_75E"),
        "{err}"
    );
    let err = identify(&wkt(WEB_MERC), None).expect_err("refused");
    assert!(
        matches!(err, CrsError::WebMercator { .. }) && err.to_string().contains("EPSG:3857"),
        "{err}"
    );
    let err = identify(&wkt(WGS84_GCS), None).expect_err("refused");
    assert!(
        matches!(err, CrsError::Wgs84 { .. }) && err.to_string().contains("WGS84"),
        "{err}"
    );
    let err = identify(&wkt(SIX_DEG_ZONE20), None).expect_err("refused");
    assert!(
        matches!(err, CrsError::SixDegreeZone { .. }) && err.to_string().contains("6度带"),
        "{err}"
    );
    let six_cm = r#"PROJCS["CGCS2000_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["Central_Meridian",111.0]]"#;
    assert!(matches!(
        identify(&wkt(six_cm), None),
        Err(CrsError::SixDegreeZone { .. })
    ));
}

#[test]
fn refuses_unknown_wkt_quoting_its_name() {
    let err = identify(&wkt(r#"PROJCS["Lambert Something",GEOGCS["Mars 2000",DATUM["D_Mars",SPHEROID["Mars",3396190,169.89]]]]"#), None)
        .expect_err("refused");
    assert_eq!(
        err,
        CrsError::UnknownWkt {
            name: "Lambert Something".to_owned()
        }
    );
    assert!(err.to_string().contains("“Lambert Something”"));
    assert!(matches!(
        identify(&wkt("not wkt at all"), None),
        Err(CrsError::UnknownWkt { .. })
    ));
    let lcc = r#"PROJCS["CGCS2000_Lambert",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["Central_Meridian",105.0]]"#;
    assert!(matches!(
        identify(&wkt(lcc), None),
        Err(CrsError::UnsupportedProjection { .. })
    ));
}

#[test]
fn identifies_txt_headers() {
    let h = txt("2000国家大地坐标系", "3", "高斯克吕格", "38");
    assert_eq!(identify(&h, Some(gk38_box())), Ok(GK38));
    assert_eq!(identify(&h, Some(cm114_box())), Ok(CM114));
    assert_eq!(identify(&h, None), Ok(GK38));
    assert_eq!(
        identify(
            &txt("CGCS2000", "3度", "高斯-克吕格", "第38带"),
            Some(gk38_box())
        ),
        Ok(GK38)
    );
    // Central meridian written instead of a zone number.
    assert_eq!(
        identify(
            &txt("2000国家大地坐标系", "3", "高斯克吕格", "114"),
            Some(gk38_box())
        ),
        Ok(GK38)
    );
    // No zone: the coordinates decide.
    assert_eq!(
        identify(
            &txt("2000国家大地坐标系", "3", "高斯克吕格", ""),
            Some(gk38_box())
        ),
        Ok(GK38)
    );
    let err = identify(
        &txt("2000国家大地坐标系", "3", "高斯克吕格", "38"),
        Some(rect(35_528_770.0, 3_386_666.0, 35_529_770.0, 3_387_666.0)),
    )
    .expect_err("zone mismatch");
    assert!(
        matches!(
            err,
            CrsError::ZoneMismatch {
                declared: 38,
                found: 35,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        identify(&txt("80西安坐标系", "3", "高斯克吕格", "38"), None),
        Err(CrsError::Xian1980 { .. })
    ));
    assert!(matches!(
        identify(&txt("1954北京坐标系", "3", "高斯克吕格", "38"), None),
        Err(CrsError::Beijing1954 { .. })
    ));
    assert!(matches!(
        identify(&txt("2000国家大地坐标系", "6", "高斯克吕格", "20"), None),
        Err(CrsError::SixDegreeZone { .. })
    ));
    assert!(matches!(
        identify(&txt("2000国家大地坐标系", "3", "兰伯特", "38"), None),
        Err(CrsError::UnsupportedProjection { .. })
    ));
    let err = identify(&txt("火星坐标", "3", "高斯克吕格", "38"), None).expect_err("refused");
    assert!(err.to_string().contains("火星坐标"), "{err}");
    assert!(matches!(
        identify(&txt("", "3", "高斯克吕格", "38"), None),
        Err(CrsError::TxtHeader { .. })
    ));
}

#[test]
fn identifies_from_coordinate_ranges_alone() {
    let none = CrsHint::default();
    assert_eq!(identify(&none, Some(geo_box())), Ok(Crs::Geographic));
    assert_eq!(identify(&none, Some(gk38_box())), Ok(GK38));
    let err = identify(&none, Some(cm114_box())).expect_err("ambiguous");
    assert!(matches!(err, CrsError::ZoneUnknown { .. }));
    assert!(err.to_string().contains("无法确定带号"), "{err}");
    assert_eq!(identify(&none, None), Err(CrsError::NoInformation));
    let err = identify(
        &none,
        Some(rect(38_999_000.0, 3_386_666.0, 39_001_000.0, 3_387_666.0)),
    )
    .expect_err("two zones");
    assert!(matches!(
        err,
        CrsError::MixedZones {
            first: 38,
            last: 39
        }
    ));
    assert!(matches!(
        identify(
            &none,
            Some(rect(20_500_000.0, 3_386_666.0, 20_501_000.0, 3_387_666.0))
        ),
        Err(CrsError::SixDegreeZone { .. })
    ));
    let err = identify(
        &none,
        Some(rect(12_720_000.0, 3_580_000.0, 12_730_000.0, 3_590_000.0)),
    )
    .expect_err("web mercator");
    assert!(err.to_string().contains("Web 墨卡托"), "{err}");
    let err = identify(&none, Some(rect(30.60, 114.30, 30.61, 114.31))).expect_err("swapped");
    assert!(
        matches!(err, CrsError::AxesSwapped { .. }) && err.to_string().contains("颠倒"),
        "{err}"
    );
}

#[test]
fn cross_checks_metadata_against_coordinates() {
    // A .prj saying geographic with coordinates in the millions.
    let err = identify(&wkt(ESRI_GCS), Some(gk38_box())).expect_err("inconsistent");
    let msg = err.to_string();
    assert!(
        matches!(err, CrsError::Inconsistent { .. })
            && msg.contains("地理坐标")
            && msg.contains("38528770"),
        "{msg}"
    );
    // A projected .prj with degrees.
    assert!(matches!(
        identify(&wkt(ESRI_ZONE38), Some(geo_box())),
        Err(CrsError::Inconsistent { .. })
    ));
    // .prj says zone 38, eastings carry prefix 35.
    let err = identify(
        &wkt(ESRI_ZONE38),
        Some(rect(35_528_770.0, 3_386_666.0, 35_529_770.0, 3_387_666.0)),
    )
    .expect_err("mismatch");
    let msg = err.to_string();
    assert!(
        msg.contains("38") && msg.contains("35") && msg.contains("带号不一致"),
        "{msg}"
    );
    // EPSG and WKT disagree.
    let hint = CrsHint {
        epsg: Some(4490),
        wkt: Some(ESRI_ZONE38.to_owned()),
        txt: None,
    };
    assert!(matches!(
        identify(&hint, Some(gk38_box())),
        Err(CrsError::ConflictingMetadata { .. })
    ));
    // Agreeing sources are fine.
    let hint = CrsHint {
        epsg: Some(4526),
        wkt: Some(ESRI_ZONE38.to_owned()),
        txt: None,
    };
    assert_eq!(identify(&hint, Some(gk38_box())), Ok(GK38));
}

#[test]
fn refuses_data_outside_china() {
    let err = identify(&epsg(4490), Some(rect(2.3, 48.8, 2.4, 48.9))).expect_err("Paris");
    let msg = err.to_string();
    assert!(
        matches!(err, CrsError::OutsideChina { .. })
            && msg.contains("2.300000")
            && msg.contains("48.900000"),
        "{msg}"
    );
    assert!(matches!(
        identify(&CrsHint::default(), Some(rect(2.3, 48.8, 2.4, 48.9))),
        Err(CrsError::OutsideChina { .. })
    ));
    // Zone 38 with a northing south of the equator.
    let err = identify(
        &epsg(4526),
        Some(rect(38_528_770.0, -100_000.0, 38_529_770.0, -90_000.0)),
    )
    .expect_err("south");
    assert!(
        matches!(err, CrsError::OutsideChina { .. }) && err.to_string().contains("第38带"),
        "{err}"
    );
}
