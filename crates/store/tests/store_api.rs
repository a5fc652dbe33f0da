//! The store's public API: open, each import path, re-imports, queries.

use std::path::Path;

use geo_types::{polygon, MultiPolygon};
use weipian_domain::{
    layer, AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionCode, LAYER_KINDS,
};
use weipian_geo::validate::Repair;
use weipian_store::{
    BatchImportOutcome, BatchMeta, LayerFeature, LayerSource, NewPatch, PatchQuery, RegionBoundary,
    Store, StoreError,
};

fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
    ])
}

fn holed_multipart(x: f64, y: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon!(
            exterior: [(x: x, y: y), (x: x + 0.01, y: y), (x: x + 0.01, y: y + 0.01), (x: x, y: y + 0.01), (x: x, y: y)],
            interiors: [[(x: x + 0.002, y: y + 0.002), (x: x + 0.004, y: y + 0.002), (x: x + 0.004, y: y + 0.004), (x: x + 0.002, y: y + 0.002)]],
        ),
        polygon![(x: x + 0.02, y: y), (x: x + 0.03, y: y), (x: x + 0.02, y: y + 0.01), (x: x + 0.02, y: y)],
    ])
}

fn fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new("XZQDM", FieldType::Text { width: 12 }),
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 18,
                decimals: 4,
            },
        ),
        FieldDef::new("NF", FieldType::Integer { width: 4 }),
        FieldDef::new("HSX", FieldType::Date),
        FieldDef::new("BZ", FieldType::Text { width: 0 }),
    ]
}

fn patch(jcbh: &str, xzqdm: &str, row: usize) -> NewPatch {
    let n = row as f64;
    NewPatch {
        jcbh: jcbh.into(),
        xzqdm: xzqdm.into(),
        geometry: holed_multipart(104.0 + n * 0.05, 30.6),
        area_m2: 1_063_125.107_912_345_6 + n,
        attrs: vec![
            AttrValue::Text(jcbh.into()),
            AttrValue::Text(xzqdm.into()),
            AttrValue::Real(0.1 + 0.2 + n),
            AttrValue::Integer(2020),
            AttrValue::Text("2020-03-31".into()),
            if row.is_multiple_of(2) {
                AttrValue::Null
            } else {
                AttrValue::Text("水田 \"旱地\"".into())
            },
        ],
        source_row: row,
        repairs: if row == 1 {
            vec![Repair::ClosedRing {
                polygon: 0,
                ring: 1,
            }]
        } else {
            vec![]
        },
    }
}

fn batch() -> BatchId {
    BatchId::new(2020, "2020Q1").unwrap()
}

fn meta(kind: PatchKind) -> BatchMeta {
    BatchMeta {
        id: batch(),
        kind,
        source: "/data/tb.shp".into(),
        encoding: Some("GBK（.cpg）".into()),
        crs: "EPSG:4490".into(),
    }
}

/// Patches in three counties of two cities of Sichuan and one of Hebei.
fn land_patches() -> Vec<NewPatch> {
    vec![
        patch("510104SJBG26210003", "510104", 1),
        patch("510104SJBG26210001", "510104", 2),
        patch("510105SJBG26210002", "510105", 3),
        patch("510301SJBG26210004", "510301", 4),
        patch("130403SJBG26210183", "130403", 5),
    ]
}

fn all(batch: BatchId) -> PatchQuery {
    PatchQuery {
        batch,
        kind: None,
        region: None,
    }
}

fn sql_count(dir: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(dir.join(weipian_store::FILE_NAME)).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn open_creates_a_geopackage_in_wal_mode() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("a").join("data");
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.path(), dir.join("weipian.gpkg"));
    assert!(store.path().is_file());
    assert_eq!(
        store.schema_version().unwrap(),
        weipian_store::SCHEMA_VERSION
    );
    drop(store);
    let c = rusqlite::Connection::open(dir.join("weipian.gpkg")).unwrap();
    let app: i64 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    let user: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!((app, user, mode.as_str()), (0x4750_4B47, 10300, "wal"));
    let v: String = c
        .query_row(
            "SELECT value FROM weipian_meta WHERE key='schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, weipian_store::SCHEMA_VERSION.to_string());
    let contents: Vec<(String, String)> = c
        .prepare("SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        contents,
        [
            ("patches".into(), "features".into()),
            ("region_boundaries".into(), "features".into()),
            ("regions".into(), "attributes".into())
        ]
    );
    let srs: i64 = c
        .query_row(
            "SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326, 4490)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(srs, 4);
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let dz: i64 = c
        .query_row(
            "SELECT development_zone FROM regions WHERE code = '130171'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dz, 1);
}

#[test]
fn region_boundaries_are_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let b = |code: &str, name: &str, x: f64| RegionBoundary {
        code: RegionCode::parse(code).unwrap(),
        name: name.into(),
        geometry: holed_multipart(x, 30.0),
        area_m2: 123_456_789.123_456_7,
    };
    let first = vec![b("510105", "青羊区", 104.0), b("510104", "锦江区", 104.1)];
    assert_eq!(
        store.replace_region_boundaries(&first, "县界.shp").unwrap(),
        2
    );
    let back = store.region_boundaries().unwrap();
    assert_eq!(
        back,
        vec![first[1].clone(), first[0].clone()],
        "ordered by code, exact"
    );

    let second = vec![b("130403", "复兴区", 114.0)];
    store
        .replace_region_boundaries(&second, "县界2.shp")
        .unwrap();
    assert_eq!(store.region_boundaries().unwrap(), second);
    assert_eq!(
        sql_count(
            dir.path(),
            "SELECT count(*) FROM rtree_region_boundaries_geom"
        ),
        1
    );

    let dup = vec![b("130403", "复兴区", 114.0), b("130403", "复兴区", 114.0)];
    let err = store.replace_region_boundaries(&dup, "x").unwrap_err();
    assert!(err.to_string().contains("重复"), "{err}");
    assert_eq!(store.region_boundaries().unwrap(), second);
}

#[test]
fn reference_layers_round_trip_and_are_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let summaries = store.layers().unwrap();
    assert_eq!(summaries.len(), LAYER_KINDS.len());
    assert!(summaries
        .iter()
        .all(|s| s.count == 0 && s.source.is_none() && s.imported_at.is_none()));

    let pzyd = layer::kind("pzyd").unwrap();
    let fields = vec![
        FieldDef::new("PZWH", FieldType::Text { width: 50 }),
        FieldDef::new(
            "PZMJ",
            FieldType::Real {
                width: 0,
                decimals: 0,
            },
        ),
    ];
    let features: Vec<LayerFeature> = (0..3)
        .map(|i| LayerFeature {
            geometry: holed_multipart(104.0 + f64::from(i), 30.0),
            area_m2: 1000.5 * f64::from(i),
            keys: vec![
                AttrValue::Text(format!("川府土〔2019〕{i}号")),
                AttrValue::Integer(20_190_101 + i64::from(i)),
            ],
            attrs: vec![
                AttrValue::Text(format!("川府土〔2019〕{i}号")),
                AttrValue::Real(0.1 * f64::from(i)),
            ],
            source_row: usize::try_from(i).unwrap() + 1,
        })
        .collect();
    let source = LayerSource {
        file: "批地.shp".into(),
        encoding: Some("GBK".into()),
        crs: "EPSG:4523".into(),
    };
    assert_eq!(
        store
            .replace_layer(pzyd, &fields, &features, &source)
            .unwrap(),
        3
    );
    assert_eq!(store.layer_features(pzyd).unwrap(), features);
    assert_eq!(store.layer_fields(pzyd).unwrap(), Some(fields.clone()));
    assert!(store
        .layer_features(layer::kind("gd").unwrap())
        .unwrap()
        .is_empty());

    let s = store
        .layers()
        .unwrap()
        .into_iter()
        .find(|s| s.kind.code == "pzyd")
        .unwrap();
    assert_eq!(s.count, 3);
    assert!((s.area_m2 - 3001.5).abs() < 1e-9);
    assert_eq!(s.source.as_ref(), Some(&source));
    assert!(s.imported_at.is_some());

    // Key columns are real columns for SQL and GIS users.
    let c = rusqlite::Connection::open(store.path()).unwrap();
    let pzwh: String = c
        .query_row(
            "SELECT PZWH FROM layer_pzyd ORDER BY fid LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pzwh, "川府土〔2019〕0号");

    // A second import replaces everything.
    let fewer = vec![features[2].clone()];
    store
        .replace_layer(pzyd, &fields[..], &fewer, &source)
        .unwrap();
    assert_eq!(store.layer_features(pzyd).unwrap(), fewer);
    assert_eq!(
        sql_count(dir.path(), "SELECT count(*) FROM rtree_layer_pzyd_geom"),
        1
    );

    // Misaligned keys are refused.
    let mut bad = features[0].clone();
    bad.keys.pop();
    let err = store
        .replace_layer(pzyd, &fields, &[bad], &source)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidRecord { row: 1, .. }),
        "{err}"
    );
    assert_eq!(store.layer_features(pzyd).unwrap(), fewer);
}

#[test]
fn batch_import_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let patches = land_patches();
    let outcome = store
        .import_batch(&meta(PatchKind::Land), &fields(), &patches)
        .unwrap();
    assert_eq!(
        outcome,
        BatchImportOutcome {
            inserted: 5,
            updated: 0,
            unchanged: 0,
            not_in_file: 0
        }
    );

    let stored = store.patches(&all(batch())).unwrap();
    let jcbhs: Vec<&str> = stored.iter().map(|p| p.jcbh.as_str()).collect();
    let mut sorted: Vec<&str> = patches.iter().map(|p| p.jcbh.as_str()).collect();
    sorted.sort_unstable();
    assert_eq!(jcbhs, sorted, "ordered by JCBH");
    for s in &stored {
        let p = patches.iter().find(|p| p.jcbh == s.jcbh).unwrap();
        assert_eq!(s.batch, batch());
        assert_eq!(s.kind, PatchKind::Land);
        assert_eq!(s.xzqdm, p.xzqdm);
        assert_eq!(s.geometry, p.geometry);
        assert_eq!(s.area_m2.to_bits(), p.area_m2.to_bits());
        assert_eq!(*s.fields, fields());
        assert_eq!(s.attrs, p.attrs);
        assert_eq!(s.repairs, p.repairs);
    }
    assert!(
        std::sync::Arc::ptr_eq(&stored[0].fields, &stored[1].fields),
        "one schema shared per (batch, kind)"
    );
    assert_eq!(
        store.batch_fields(&batch(), PatchKind::Land).unwrap(),
        Some(fields())
    );
    assert_eq!(
        store.batch_fields(&batch(), PatchKind::Mineral).unwrap(),
        None
    );

    let summaries = store.batches().unwrap();
    assert_eq!(summaries.len(), 1);
    let s = &summaries[0];
    assert_eq!(
        (s.id.clone(), s.kind, s.count, s.source.as_str()),
        (batch(), PatchKind::Land, 5, "/data/tb.shp")
    );
    let total: f64 = patches.iter().map(|p| p.area_m2).sum();
    assert!((s.area_m2 - total).abs() < 1e-6);
    assert!(s.imported_at.ends_with('Z'));
}

#[test]
fn re_importing_is_idempotent_and_changes_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let patches = land_patches();
    store
        .import_batch(&meta(PatchKind::Land), &fields(), &patches)
        .unwrap();
    let first = store.patches(&all(batch())).unwrap();

    // Same file again: nothing written.
    let again = store
        .import_batch(&meta(PatchKind::Land), &fields(), &patches)
        .unwrap();
    assert_eq!(
        again,
        BatchImportOutcome {
            inserted: 0,
            updated: 0,
            unchanged: 5,
            not_in_file: 0
        }
    );
    assert_eq!(store.patches(&all(batch())).unwrap(), first);
    assert_eq!(
        sql_count(
            dir.path(),
            "SELECT count(*) FROM patches WHERE updated_at IS NOT NULL"
        ),
        0
    );

    // A re-issue: one patch's geometry changes, one's attributes change, one is gone, one is new.
    let mut reissue = patches.clone();
    reissue[0].geometry = square(104.0, 30.6, 0.02);
    reissue[1].attrs[5] = AttrValue::Text("补充说明".into());
    let gone = reissue.remove(4);
    reissue.push(patch("510104SJBG26210009", "510104", 9));
    let outcome = store
        .import_batch(&meta(PatchKind::Land), &fields(), &reissue)
        .unwrap();
    assert_eq!(
        outcome,
        BatchImportOutcome {
            inserted: 1,
            updated: 2,
            unchanged: 2,
            not_in_file: 1
        }
    );

    let now = store.patches(&all(batch())).unwrap();
    assert_eq!(now.len(), 6, "the patch missing from the file is kept");
    assert!(now.iter().any(|p| p.jcbh == gone.jcbh));
    let changed = now.iter().find(|p| p.jcbh == reissue[0].jcbh).unwrap();
    assert_eq!(changed.geometry, reissue[0].geometry);
    let old_id = first.iter().find(|p| p.jcbh == reissue[0].jcbh).unwrap().id;
    assert_eq!(changed.id, old_id, "an update keeps the patch's id");

    // History holds the previous values.
    let c = rusqlite::Connection::open(store.path()).unwrap();
    let rows: Vec<(String, Vec<u8>, String)> = c
        .prepare("SELECT jcbh, prev_geom, prev_issued FROM patch_history ORDER BY jcbh")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2);
    let h0 = rows.iter().find(|r| r.0 == patches[0].jcbh).unwrap();
    assert_eq!(
        weipian_formats::gpkg::decode_geometry(&h0.1).unwrap(),
        Some(patches[0].geometry.clone())
    );
    let h1 = rows.iter().find(|r| r.0 == patches[1].jcbh).unwrap();
    assert!(
        h1.2.ends_with("null]"),
        "previous attributes kept: {}",
        h1.2
    );

    let s = &store.batches().unwrap()[0];
    assert_eq!(s.count, 6);
    let total: f64 = reissue.iter().map(|p| p.area_m2).sum::<f64>() + gone.area_m2;
    assert!((s.area_m2 - total).abs() < 1e-6);
}

#[test]
fn inputs_that_cannot_be_stored_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let patches = land_patches();
    store
        .import_batch(&meta(PatchKind::Land), &fields(), &patches)
        .unwrap();
    let before = store.patches(&all(batch())).unwrap();
    let summaries = store.batches().unwrap();

    // A duplicate JCBH in the file, halfway through: both rows named.
    let mut dup: Vec<NewPatch> = (10..20)
        .map(|i| patch(&format!("510104SJBG262100{i}"), "510104", i))
        .collect();
    dup[7].jcbh = dup[2].jcbh.clone();
    let err = store
        .import_batch(&meta(PatchKind::Land), &fields(), &dup)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&dup[2].jcbh) && msg.contains("第 12 条") && msg.contains("第 17 条"),
        "{msg}"
    );

    // NaN coordinates.
    let mut nan: Vec<NewPatch> = (10..20)
        .map(|i| patch(&format!("510104SJBG262100{i}"), "510104", i))
        .collect();
    nan[6].geometry = square(f64::NAN, 30.0, 0.01);
    let err = store
        .import_batch(&meta(PatchKind::Land), &fields(), &nan)
        .unwrap_err();
    assert!(
        err.to_string().contains("坐标不是有限数值") && err.to_string().contains(&nan[6].jcbh),
        "{err}"
    );

    // Misaligned attributes.
    let mut short = land_patches();
    short[3].attrs.pop();
    assert!(matches!(
        store
            .import_batch(&meta(PatchKind::Land), &fields(), &short)
            .unwrap_err(),
        StoreError::InvalidRecord { row: 4, .. }
    ));

    // A different schema for the same batch and kind.
    let mut other_fields = fields();
    other_fields[2].field_type = FieldType::Text { width: 0 };
    let err = store
        .import_batch(&meta(PatchKind::Land), &other_fields, &patches)
        .unwrap_err();
    assert!(matches!(err, StoreError::SchemaMismatch { .. }));
    assert!(err.to_string().contains("字段结构与已导入的不同"), "{err}");

    // The same JCBH as a mineral patch of the same batch.
    let mineral = vec![patch("510105SJBG26210002", "510105", 1)];
    let err = store
        .import_batch(&meta(PatchKind::Mineral), &fields(), &mineral)
        .unwrap_err();
    assert!(matches!(err, StoreError::KindConflict { .. }));
    assert!(err.to_string().contains("510105SJBG26210002"), "{err}");

    assert_eq!(store.patches(&all(batch())).unwrap(), before);
    assert_eq!(store.batches().unwrap(), summaries);
}

#[test]
fn both_kinds_live_in_one_batch_and_queries_scope_by_region() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .import_batch(&meta(PatchKind::Land), &fields(), &land_patches())
        .unwrap();
    let minerals = vec![
        patch("510104KCBG26210001", "510104", 1),
        patch("510300KCBG26210002", "510300", 2),
    ];
    store
        .import_batch(&meta(PatchKind::Mineral), &fields(), &minerals)
        .unwrap();
    // Another batch is never mixed in.
    let other = BatchMeta {
        id: BatchId::new(2020, "2020Q2").unwrap(),
        ..meta(PatchKind::Land)
    };
    store
        .import_batch(
            &other,
            &fields(),
            &[patch("510104SJBG26220001", "510104", 1)],
        )
        .unwrap();

    let q = |kind: Option<PatchKind>, region: Option<&str>| {
        let query = PatchQuery {
            batch: batch(),
            kind,
            region: region.map(|r| RegionCode::parse(r).unwrap()),
        };
        store
            .patches(&query)
            .unwrap()
            .into_iter()
            .map(|p| p.jcbh)
            .collect::<Vec<_>>()
    };
    assert_eq!(q(None, None).len(), 7);
    assert_eq!(
        q(Some(PatchKind::Mineral), None),
        ["510104KCBG26210001", "510300KCBG26210002"]
    );
    assert_eq!(q(Some(PatchKind::Land), Some("510000")).len(), 4);
    assert_eq!(
        q(None, Some("510100")),
        [
            "510104KCBG26210001",
            "510104SJBG26210001",
            "510104SJBG26210003",
            "510105SJBG26210002"
        ]
    );
    assert_eq!(
        q(None, Some("510104")),
        [
            "510104KCBG26210001",
            "510104SJBG26210001",
            "510104SJBG26210003"
        ]
    );
    assert_eq!(
        q(None, Some("510300")),
        ["510300KCBG26210002", "510301SJBG26210004"]
    );
    assert_eq!(q(None, Some("130000")), ["130403SJBG26210183"]);
    assert!(q(None, Some("620000")).is_empty());

    let kinds: Vec<_> = store
        .batches()
        .unwrap()
        .iter()
        .map(|b| (b.id.name.clone(), b.kind, b.count))
        .collect();
    assert_eq!(
        kinds,
        [
            ("2020Q1".into(), PatchKind::Land, 5),
            ("2020Q1".into(), PatchKind::Mineral, 2),
            ("2020Q2".into(), PatchKind::Land, 1)
        ]
    );
    // Mineral patches carry their own schema Arc.
    let m = store
        .patches(&PatchQuery {
            batch: batch(),
            kind: Some(PatchKind::Mineral),
            region: None,
        })
        .unwrap();
    assert_eq!(*m[0].fields, fields());
}

#[test]
fn a_reader_sees_before_or_after_an_import_never_a_part() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Store::open(dir.path()).unwrap();
    let reader = Store::open(dir.path()).unwrap();
    let big: Vec<NewPatch> = (0..3000)
        .map(|i| patch(&format!("510104SJBG2621{i:04}"), "510104", i + 1))
        .collect();
    let q = all(batch());
    assert!(reader.patches(&q).unwrap().is_empty());

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done2 = done.clone();
    let handle = std::thread::spawn(move || {
        writer
            .import_batch(&meta(PatchKind::Land), &fields(), &big)
            .unwrap();
        done2.store(true, std::sync::atomic::Ordering::SeqCst);
        writer
    });
    let mut observations = Vec::new();
    loop {
        let finished = done.load(std::sync::atomic::Ordering::SeqCst);
        let n = reader.patches(&q).unwrap().len();
        let b = reader.batches().unwrap();
        observations.push(n);
        assert!(n == 0 || n == 3000, "partial import visible: {n}");
        assert!(b.is_empty() || b[0].count == 3000);
        if finished {
            break;
        }
    }
    handle.join().unwrap();
    assert_eq!(observations.last(), Some(&3000));
    assert_eq!(reader.patches(&q).unwrap().len(), 3000);
}
