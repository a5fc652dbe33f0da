//! Unit tests that need the store's private parts (migration steps, the
//! fault-injection hook). Public behaviour is tested in `tests/`.

use geo_types::{polygon, MultiPolygon};
use weipian_domain::{layer, AttrValue, BatchId, FieldDef, FieldType, PatchKind, RegionCode};

use super::*;

fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
    ])
}

fn fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("JCBH", FieldType::Text { width: 30 }),
        FieldDef::new(
            "JCMJ",
            FieldType::Real {
                width: 0,
                decimals: 0,
            },
        ),
    ]
}

fn patch(i: usize) -> NewPatch {
    let jcbh = format!("510104SJBG2621{i:04}");
    NewPatch {
        jcbh: jcbh.clone(),
        xzqdm: "510104".into(),
        geometry: square(104.0 + i as f64 * 0.01, 30.6, 0.005),
        area_m2: 1000.0 + i as f64,
        attrs: vec![AttrValue::Text(jcbh), AttrValue::Real(1.5 * i as f64)],
        source_row: i + 1,
        repairs: vec![],
    }
}

fn meta() -> BatchMeta {
    BatchMeta {
        id: BatchId::new(2020, "2020Q1").unwrap(),
        kind: PatchKind::Land,
        source: "tb.shp".into(),
        encoding: Some("GBK（.cpg）".into()),
        crs: "EPSG:4490".into(),
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_store_made_by_migration_1_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = Store::open_at_version(dir.path(), 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        assert!(!gpkg::table_exists(&old.conn, "patches").unwrap());
        assert!(count(&old, "SELECT count(*) FROM regions") > 3000);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::LATEST);
    assert!(gpkg::table_exists(&store.conn, "patches").unwrap());
    assert!(gpkg::table_exists(&store.conn, "rtree_patches_geom").unwrap());
    // Regions were loaded once, not again.
    let regions = count(&store, "SELECT count(*) FROM regions");
    drop(store);
    let again = Store::open(dir.path()).unwrap();
    assert_eq!(count(&again, "SELECT count(*) FROM regions"), regions);
}

#[test]
fn a_newer_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .conn
            .execute(
                "UPDATE weipian_meta SET value = '99' WHERE key = 'schema_version'",
                [],
            )
            .unwrap();
    }
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("请升级"), "{err}");
}

#[test]
fn someone_elses_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let c = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
        c.execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT);")
            .unwrap();
    }
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    // And a file that is not SQLite at all.
    let dir2 = tempfile::tempdir().unwrap();
    std::fs::write(dir2.path().join(FILE_NAME), vec![0x55u8; 4096]).unwrap();
    assert!(matches!(
        Store::open(dir2.path()).unwrap_err(),
        StoreError::NotAStore { .. }
    ));
}

#[test]
fn a_batch_import_failing_midway_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let first: Vec<NewPatch> = (0..10).map(patch).collect();
    store.import_batch(&meta(), &fields(), &first).unwrap();
    let before = store
        .patches(&PatchQuery {
            batch: meta().id,
            kind: None,
            region: None,
        })
        .unwrap();
    let batches_before = store.batches().unwrap();
    let log_before = count(&store, "SELECT count(*) FROM import_log");

    // The re-issue changes the first 5 and adds 10; it fails after 8 rows were written.
    let mut second: Vec<NewPatch> = (0..20).map(patch).collect();
    for p in &mut second[..5] {
        p.area_m2 += 1.0;
    }
    store.fail_after = Some(8);
    let err = store.import_batch(&meta(), &fields(), &second).unwrap_err();
    assert!(matches!(err, StoreError::Injected));
    store.fail_after = None;

    assert_eq!(
        store
            .patches(&PatchQuery {
                batch: meta().id,
                kind: None,
                region: None
            })
            .unwrap(),
        before
    );
    assert_eq!(store.batches().unwrap(), batches_before);
    assert_eq!(count(&store, "SELECT count(*) FROM patch_history"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM rtree_patches_geom"), 10);
    assert_eq!(count(&store, "SELECT count(*) FROM import_log"), log_before);

    // The same import without the fault goes through, and is logged.
    let outcome = store.import_batch(&meta(), &fields(), &second).unwrap();
    let log = store.import_log(None, 1).unwrap();
    assert!(store.import_log(Some("regions"), 5).unwrap().is_empty());
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].rows, 20);
    assert!(log[0].target.starts_with("batch:"), "{:?}", log[0]);
    assert_eq!(log[0].source, meta().source);
    assert_eq!(
        outcome,
        BatchImportOutcome {
            inserted: 10,
            updated: 5,
            unchanged: 5,
            not_in_file: 0
        }
    );
}

#[test]
fn a_failed_first_import_leaves_no_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.fail_after = Some(3);
    let patches: Vec<NewPatch> = (0..6).map(patch).collect();
    assert!(store.import_batch(&meta(), &fields(), &patches).is_err());
    assert!(store.batches().unwrap().is_empty());
    assert_eq!(
        store.batch_fields(&meta().id, PatchKind::Land).unwrap(),
        None
    );
    assert_eq!(count(&store, "SELECT count(*) FROM patches"), 0);
}

#[test]
fn layer_and_region_imports_failing_midway_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let gd = layer::kind("gd").unwrap();
    let f = |i: usize| LayerFeature {
        geometry: square(104.0 + i as f64 * 0.01, 30.0, 0.004),
        area_m2: 10.0 * i as f64,
        keys: vec![AttrValue::Text("0101".into())],
        attrs: vec![AttrValue::Text(format!("田{i}"))],
        source_row: i + 1,
    };
    let lfields = vec![FieldDef::new("MC", FieldType::Text { width: 0 })];
    let src = LayerSource {
        file: "gd.shp".into(),
        encoding: None,
        crs: "EPSG:4490".into(),
    };
    let first: Vec<LayerFeature> = (0..4).map(f).collect();
    store.replace_layer(gd, &lfields, &first, &src).unwrap();
    store.fail_after = Some(5);
    let second: Vec<LayerFeature> = (0..10).map(f).collect();
    assert!(store.replace_layer(gd, &lfields, &second, &src).is_err());
    assert_eq!(store.layer_features(gd).unwrap(), first);
    assert_eq!(store.layers().unwrap()[0].count, 4);

    let b = |code: &str| RegionBoundary {
        code: RegionCode::parse(code).unwrap(),
        name: code.into(),
        geometry: square(104.0, 30.0, 0.5),
        area_m2: 1.0,
    };
    store.fail_after = None;
    store
        .replace_region_boundaries(&[b("510104")], "a.shp")
        .unwrap();
    store.fail_after = Some(1);
    assert!(store
        .replace_region_boundaries(&[b("510105"), b("510106")], "b.shp")
        .is_err());
    let kept = store.region_boundaries().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].code.to_string(), "510104");
}

fn rtree_ok(store: &Store, table: &str) {
    let check: String = store
        .conn
        .query_row(
            &format!("SELECT rtreecheck('rtree_{table}_geom')"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(
        count(store, &format!("SELECT count(*) FROM rtree_{table}_geom")),
        count(store, &format!("SELECT count(*) FROM {table}"))
    );
    let trigger = count(
        store,
        &format!("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'rtree_{table}_geom_insert'"),
    );
    assert_eq!(trigger, 1, "the insert trigger is in place");
}

#[test]
fn large_imports_pack_the_spatial_index_and_small_ones_use_the_triggers() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let big: Vec<NewPatch> = (0..2500).map(patch).collect();
    store.import_batch(&meta(), &fields(), &big).unwrap();
    rtree_ok(&store, "patches");

    // A failing bulk import restores the trigger with everything else.
    let other = BatchMeta {
        id: BatchId::new(2020, "2020Q2").unwrap(),
        ..meta()
    };
    store.fail_after = Some(2000);
    let more: Vec<NewPatch> = (0..3000).map(patch).collect();
    assert!(store.import_batch(&other, &fields(), &more).is_err());
    store.fail_after = None;
    rtree_ok(&store, "patches");
    assert_eq!(count(&store, "SELECT count(*) FROM patches"), 2500);

    // A small import into the big table goes through the triggers.
    let small: Vec<NewPatch> = (0..300).map(patch).collect();
    store.import_batch(&other, &fields(), &small).unwrap();
    rtree_ok(&store, "patches");
    // And a large one into a non-empty table rebuilds everything.
    let third = BatchMeta {
        id: BatchId::new(2021, "2021Q1").unwrap(),
        ..meta()
    };
    store.import_batch(&third, &fields(), &more).unwrap();
    rtree_ok(&store, "patches");
    assert_eq!(count(&store, "SELECT count(*) FROM patches"), 5800);

    // Spatial lookups through the index find exactly what a scan finds.
    let by_index = count(
        &store,
        "SELECT count(*) FROM rtree_patches_geom WHERE maxx >= 104.5 AND minx <= 105.0 AND maxy >= 30.0 AND miny <= 31.0",
    );
    let by_scan = count(
        &store,
        "SELECT count(*) FROM patches WHERE ST_MaxX(geom) >= 104.5 AND ST_MinX(geom) <= 105.0 AND ST_MaxY(geom) >= 30.0 AND ST_MinY(geom) <= 31.0",
    );
    assert_eq!(by_index, by_scan);
    assert!(by_index > 0);

    // Layers are always filled in bulk.
    let gd = layer::kind("gd").unwrap();
    let features: Vec<LayerFeature> = (0..1500)
        .map(|i| LayerFeature {
            geometry: square(
                100.0 + (i % 50) as f64 * 0.01,
                30.0 + (i / 50) as f64 * 0.01,
                0.004,
            ),
            area_m2: 1.0,
            keys: vec![AttrValue::Text("0101".into())],
            attrs: vec![],
            source_row: i + 1,
        })
        .collect();
    let src = LayerSource {
        file: "gd.shp".into(),
        encoding: None,
        crs: "EPSG:4490".into(),
    };
    store.replace_layer(gd, &[], &features, &src).unwrap();
    rtree_ok(&store, "layer_gd");
}

#[test]
fn the_store_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
}

fn overlay_row(patch_id: i64, layer: &str, area: f64) -> OverlayRow {
    OverlayRow {
        patch_id,
        layer: layer.into(),
        layer_revision: 7,
        patch_revision: "2026-01-01T00:00:00.000Z".into(),
        area_m2: area,
        by_class: vec![
            ("0101".into(), area / 3.0),
            ("0103".into(), area - area / 3.0),
        ],
        features: vec!["川府土〔2019〕12号".into()],
    }
}

#[test]
fn overlay_results_of_schema_3_are_carried_over_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let tricky = [0.1 + 0.2, 1e-300, 123_456.789_012_345_67, 5e-324, 1.0 / 3.0];
    let ids: Vec<i64>;
    {
        let mut old = Store::open_at_version(dir.path(), 3).unwrap();
        old.import_batch(&meta(), &fields(), &(0..5).map(patch).collect::<Vec<_>>())
            .unwrap();
        ids = {
            let mut s = old
                .conn
                .prepare("SELECT fid FROM patches ORDER BY fid")
                .unwrap();
            s.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        for (id, a) in ids.iter().zip(tricky) {
            for layer in ["gd", "jbnt"] {
                let r = overlay_row(*id, layer, a);
                old.conn
                    .execute(
                        "INSERT INTO patch_overlay VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'T')",
                        rusqlite::params![
                            r.patch_id,
                            r.layer,
                            r.layer_revision,
                            r.patch_revision,
                            r.area_m2,
                            serde_json::to_string(&r.by_class).unwrap(),
                            serde_json::to_string(&r.features).unwrap()
                        ],
                    )
                    .unwrap();
            }
        }
    }
    let store = Store::open(dir.path()).unwrap();
    assert!(!gpkg::table_exists(&store.conn, "patch_overlay").unwrap());
    let rows = store.overlay_rows(&meta().id).unwrap();
    assert_eq!(rows.len(), 10);
    for (k, r) in rows.iter().enumerate() {
        let want = overlay_row(
            ids[k / 2],
            if k % 2 == 0 { "gd" } else { "jbnt" },
            tricky[k / 2],
        );
        assert_eq!(r.area_m2.to_bits(), want.area_m2.to_bits());
        assert_eq!(r, &want);
    }
}

#[test]
fn saving_overlay_results_merges_per_layer_or_replaces_whole_patches() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .import_batch(&meta(), &fields(), &(0..3).map(patch).collect::<Vec<_>>())
        .unwrap();
    let ids: Vec<i64> = store
        .patch_shapes(&meta().id)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    let layers = |store: &Store| -> Vec<(i64, String, f64)> {
        store
            .overlay_rows(&meta().id)
            .unwrap()
            .into_iter()
            .map(|r| (r.patch_id, r.layer, r.area_m2))
            .collect()
    };
    store
        .save_overlay(
            &[
                overlay_row(ids[0], "gd", 1.0),
                overlay_row(ids[0], "jbnt", 2.0),
                overlay_row(ids[1], "gd", 3.0),
            ],
            None,
        )
        .unwrap();
    // Merge: jbnt of patch 0 replaced, gd kept.
    store
        .save_overlay(&[overlay_row(ids[0], "jbnt", 4.0)], None)
        .unwrap();
    assert_eq!(
        layers(&store),
        vec![
            (ids[0], "gd".into(), 1.0),
            (ids[0], "jbnt".into(), 4.0),
            (ids[1], "gd".into(), 3.0)
        ]
    );
    // Complete: patch 0 keeps only what is given; patch 1, listed without rows, keeps nothing.
    store
        .save_overlay(&[overlay_row(ids[0], "xzq", 5.0)], Some(&[ids[0], ids[1]]))
        .unwrap();
    assert_eq!(layers(&store), vec![(ids[0], "xzq".into(), 5.0)]);
    assert_eq!(store.overlay_revisions(&meta().id).unwrap().len(), 1);
    // Non-finite figures are refused and nothing is written.
    let err = store.save_overlay(&[overlay_row(ids[2], "gd", f64::NAN)], None);
    assert!(err.is_err());
    assert_eq!(layers(&store), vec![(ids[0], "xzq".into(), 5.0)]);
}

#[test]
fn parallel_scans_read_every_row_once_in_fid_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let n = 45_000; // three parts of at least 20,000 rows → two threads
    let patches: Vec<NewPatch> = (0..n)
        .map(|i| {
            let mut p = patch(i % 9999);
            p.jcbh = format!("510104SJBG{i:08}");
            p
        })
        .collect();
    store.import_batch(&meta(), &fields(), &patches).unwrap();
    let serial: Vec<String> = {
        let mut s = store
            .conn
            .prepare("SELECT jcbh FROM patches ORDER BY fid")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for parts in [1, 2, 3, 8] {
        let scan = scan::Scan {
            table: "patches",
            select: "jcbh",
            filter: "year = ?1",
            params: &[&2020],
        };
        let got = store
            .scan_parallel(
                &scan,
                parts,
                Vec::with_capacity,
                |v: &mut Vec<String>, r| {
                    v.push(r.get(0)?);
                    Ok(())
                },
            )
            .unwrap();
        assert!(got.len() <= parts.max(1));
        assert_eq!(got.concat(), serial, "parts {parts}");
    }
    // A visitor's error ends the scan with that error.
    let scan = scan::Scan {
        table: "patches",
        select: "jcbh",
        filter: "1",
        params: &[],
    };
    let err = store
        .scan_parallel(
            &scan,
            2,
            |_| 0,
            |_, r| {
                let j: String = r.get(0)?;
                if j.ends_with("00030000") {
                    return Err(StoreError::Corrupt(j));
                }
                Ok(())
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("00030000"), "{err}");
    // The write lock is released: the store can be written again.
    store.save_overlay(&[], None).unwrap();

    // Another connection writing (an import in progress): the scan does
    // not wait for it, and reads what is committed on one connection.
    let writer = rusqlite::Connection::open(store.path()).unwrap();
    writer
        .execute_batch("BEGIN IMMEDIATE; CREATE TABLE scratch (x);")
        .unwrap();
    let t = std::time::Instant::now();
    let scan = scan::Scan {
        table: "patches",
        select: "jcbh",
        filter: "1",
        params: &[],
    };
    let got = store
        .scan_parallel(&scan, 4, Vec::with_capacity, |v: &mut Vec<String>, r| {
            v.push(r.get(0)?);
            Ok(())
        })
        .unwrap();
    assert_eq!(got.len(), 1, "one connection while another writes");
    assert_eq!(got.concat(), serial);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "it did not wait for the writer"
    );
    writer.execute_batch("ROLLBACK").unwrap();
}

fn audit(action: &str, target: &str) -> NewAudit {
    NewAudit {
        actor: "tester".into(),
        region: "510104".into(),
        action: action.into(),
        target: target.into(),
        before: None,
        after: None,
        reason: None,
    }
}

#[test]
fn answers_and_case_links_of_schema_9_become_whole_patch_rows() {
    let dir = tempfile::tempdir().unwrap();
    let id: i64;
    {
        let mut old = Store::open_at_version(dir.path(), 9).unwrap();
        old.import_batch(&meta(), &fields(), &[patch(0)]).unwrap();
        id = count(&old, "SELECT fid FROM patches");
        for (v, text) in [(1, r#"{"PDLX":"WF"}"#), (2, r#"{"PDLX":"HF"}"#)] {
            old.conn
                .execute(
                    "INSERT INTO answer_history VALUES (?1, ?2, ?3, 0, 'T', 'u')",
                    rusqlite::params![id, v, text],
                )
                .unwrap();
        }
        old.conn
            .execute(
                r#"INSERT INTO answers VALUES (?1, '{"PDLX":"HF"}', 0, 2, 'T', 'u')"#,
                [id],
            )
            .unwrap();
        old.conn
            .execute_batch(
                "INSERT INTO cases VALUES (7, '510104', 'A1', '{}', 1, 'T', 'u', 'T', 'u');",
            )
            .unwrap();
        old.conn
            .execute("INSERT INTO case_patches VALUES (7, ?1)", [id])
            .unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    let a = store.answer(id, 0).unwrap().unwrap();
    assert_eq!(
        (a.part, a.version, a.answer.as_str()),
        (0, 2, r#"{"PDLX":"HF"}"#)
    );
    assert_eq!(
        store.answer_version(id, 0, 1).unwrap().unwrap().answer,
        r#"{"PDLX":"WF"}"#
    );
    assert_eq!(store.case(7).unwrap().unwrap().patch_ids, vec![id]);
    // The next save continues the version chain.
    let v = store
        .save_answer(id, 0, "{}", false, Some(2), &audit("answer.save", "x"))
        .unwrap();
    assert_eq!(v, 3);
}

#[test]
fn a_split_replaces_parts_whole_and_keeps_every_answer_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.import_batch(&meta(), &fields(), &[patch(0)]).unwrap();
    let id = count(&store, "SELECT fid FROM patches");
    let halves = [
        (square(104.0, 30.6, 0.0025), 500.0),
        (square(104.0025, 30.6, 0.0025), 500.0),
    ];
    let target = "2020/2020Q1/510104SJBG26210000";
    let parts = store
        .set_parcels(id, &halves, false, &audit("parcels.split", target))
        .unwrap();
    assert_eq!(parts.iter().map(|p| p.no).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(parts[1].geometry, halves[1].0);
    assert_eq!(
        store.parcel_shapes(&meta().id).unwrap()[1].jcbh,
        "510104SJBG26210000-2"
    );

    // Answers of part 2, then a re-split: refused without consent.
    let a = audit("answer.save", target);
    store
        .save_answer(id, 2, r#"{"PDLX":"WF"}"#, false, None, &a)
        .unwrap();
    store
        .save_answer(id, 2, r#"{"PDLX":"HF"}"#, false, Some(1), &a)
        .unwrap();
    let err = store
        .set_parcels(id, &halves[..1], false, &audit("parcels.split", target))
        .unwrap_err();
    assert!(err.to_string().contains("地块 2"), "{err}");
    assert_eq!(store.parcels(id).unwrap().len(), 2);
    assert_eq!(
        store.split_blocked(id, false).unwrap(),
        Some(SplitBlocker::Answers(vec![2]))
    );
    // With consent: the current answer goes, its versions stay, and a new
    // answer of part 2 continues after them.
    let one = store
        .set_parcels(id, &halves[..1], true, &audit("parcels.split", target))
        .unwrap();
    assert_eq!(one.len(), 1);
    assert!(store.answer(id, 2).unwrap().is_none());
    assert!(store.answer_version(id, 2, 2).unwrap().is_some());
    assert_eq!(store.save_answer(id, 2, "{}", false, None, &a).unwrap(), 3);
    // The audit trail holds both splits with their geometry.
    let trail = store.audit_records(Some(target)).unwrap();
    let splits: Vec<_> = trail
        .iter()
        .filter(|r| r.entry.action == "parcels.split")
        .collect();
    assert_eq!(splits.len(), 2);
    assert!(splits[1]
        .entry
        .before
        .as_deref()
        .unwrap()
        .contains("MultiPolygon"));
    assert!(splits[1]
        .entry
        .reason
        .as_deref()
        .unwrap()
        .contains("1 条填报"));

    // Cases linking a part block a re-split, whatever the consent.
    store
        .conn
        .execute_batch("INSERT INTO cases VALUES (1, '510104', 'A1', '{}', 1, 'T', 'u', 'T', 'u');")
        .unwrap();
    store
        .conn
        .execute("INSERT INTO case_patches VALUES (1, ?1, 1)", [id])
        .unwrap();
    let err = store
        .set_parcels(id, &[], true, &audit("parcels.split", target))
        .unwrap_err();
    assert!(err.to_string().contains("案件"), "{err}");
}

#[test]
fn parcel_overlay_results_are_kept_per_parcel() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.import_batch(&meta(), &fields(), &[patch(0)]).unwrap();
    let id = count(&store, "SELECT fid FROM patches");
    let parts = store
        .set_parcels(
            id,
            &[
                (square(104.0, 30.6, 0.0025), 1.0),
                (square(104.0025, 30.6, 0.0025), 1.0),
            ],
            false,
            &audit("parcels.split", "t"),
        )
        .unwrap();
    let rows = vec![
        overlay_row(parts[0].id, "gd", 0.1 + 0.2),
        overlay_row(parts[1].id, "gd", 7.0),
    ];
    store.save_parcel_overlay(&rows).unwrap();
    store
        .save_parcel_overlay(&[overlay_row(parts[1].id, "jbnt", 2.0)])
        .unwrap();
    let back = store.parcel_overlay_rows(id).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back[0].area_m2.to_bits(), (0.1f64 + 0.2).to_bits());
    let revs = store.parcel_overlay_revisions(&meta().id).unwrap();
    assert!(revs.contains_key(&(parts[1].id, "jbnt".to_string())));
    // A re-split drops the old parts' results.
    store
        .set_parcels(id, &[], false, &audit("parcels.split", "t"))
        .unwrap();
    assert!(store.parcel_overlay_rows(id).unwrap().is_empty());
    assert_eq!(count(&store, "SELECT COUNT(*) FROM parcel_analysis"), 0);
}

#[test]
fn migration_21_fills_the_work_state_from_what_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (answered, split, untouched);
    {
        let mut old = Store::open_at_version(dir.path(), 20).unwrap();
        old.import_batch(&meta(), &fields(), &[patch(0), patch(1), patch(2)])
            .unwrap();
        let id = |s: &Store, i: usize| s.patch(&meta().id, &patch(i).jcbh).unwrap().unwrap().id;
        (answered, split, untouched) = (id(&old, 0), id(&old, 1), id(&old, 2));
        old.save_answer(
            answered,
            0,
            r#"{"PDLX":"HF"}"#,
            true,
            None,
            &audit("answer.save", "a"),
        )
        .unwrap();
        old.set_parcels(
            split,
            &[
                (square(104.0, 30.6, 0.001), 1.0),
                (square(104.0, 30.6, 0.001), 1.0),
            ],
            false,
            &audit("parcels.split", "b"),
        )
        .unwrap();
        old.save_answer(
            split,
            1,
            r#"{"PDLX":"QT"}"#,
            true,
            None,
            &audit("answer.save", "b"),
        )
        .unwrap();
        assert!(!gpkg::table_exists(&old.conn, "patch_work").unwrap());
    }
    let store = Store::open(dir.path()).unwrap();
    let rows = store
        .patch_list_rows(&[answered, split, untouched])
        .unwrap();
    let got: Vec<_> = rows.iter().map(|r| (r.status.code(), r.complete)).collect();
    assert_eq!(
        got,
        vec![("ready", true), ("draft", false), ("unanswered", false)]
    );
    assert!(rows[0].updated_at.is_some() && rows[2].updated_at.is_none());
    assert_eq!(count(&store, "SELECT count(*) FROM patch_work"), 2);
    // The superseded index is gone, the covering one is there.
    assert_eq!(
        count(&store, "SELECT count(*) FROM sqlite_master WHERE name IN ('patches_list', 'patches_batch_xzqdm')"),
        1
    );
}

#[test]
fn the_statistics_read_patches_from_the_covering_index_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let patches: Vec<NewPatch> = (0..50).map(patch).collect();
    store.import_batch(&meta(), &fields(), &patches).unwrap();
    for (kind, region) in [
        (None, None),
        (Some(PatchKind::Land), None),
        (
            None,
            Some(weipian_domain::RegionCode::parse("510000").unwrap()),
        ),
    ] {
        let (sql, args) = crate::patches::summaries_sql(&PatchQuery {
            batch: meta().id,
            kind,
            region,
        });
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter()
                .any(|p| p.contains("COVERING INDEX patches_list")),
            "{plan:?}"
        );
    }
    // And in JCBH order all the same.
    let got = store
        .patch_summaries(&PatchQuery {
            batch: meta().id,
            kind: None,
            region: None,
        })
        .unwrap();
    assert_eq!(got.len(), 50);
    assert!(got.windows(2).all(|w| w[0].jcbh < w[1].jcbh));
}
