//! The county's work over a real store: answers (validated, versioned,
//! scoped), evidence files, the audit trail and its verification.

use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::determination::Answer;
use weipian_domain::RegionCode;
use weipian_service::answers::{get_answer, save_answer, transfers_awaiting_feedback, SaveAnswer};
use weipian_service::evidence::{attach, attachments};
use weipian_service::{NoProgress, ServiceError};
use weipian_store::Store;

mod common;
use common::*;

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1];

/// A JPEG whose EXIF says where and when it was taken (and which way).
fn photo(lon: f64, lat: f64, taken: &str, direction: u32) -> Vec<u8> {
    weipian_demo::photo::jpeg_with_exif(lon, lat, taken, direction, 0)
}

/// Taken inside 510104TD200001 (around 104.06, 30.61) after its 后时相 2020-03-01.
fn good_photo() -> Vec<u8> {
    photo(104.0601, 30.6101, "2020:04:02 10:31:07", 135)
}

fn rc(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn actor(role: Role, region: &str) -> Actor {
    let scope = if region == "000000" {
        Scope::National
    } else {
        Scope::Region(rc(region))
    };
    Actor::new(&format!("{}-{region}", role.code()), scope, role).unwrap()
}

/// Three patches in 锦江区 (510104TD200001…3) and one in 青羊区 (510105TD200001).
fn setup() -> Env {
    env_two_counties()
}

fn illegal(area: f64) -> Answer {
    Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        basis: "现场核实：2020 年 2 月未经批准建设厂房".into(),
        actual_use: Some("厂房".into()),
        illegal_area_m2: Some(area),
        illegal_cultivated_m2: Some(area / 2.0),
        illegal_basic_farmland_m2: Some(0.0),
        new_construction_m2: Some(area),
        new_construction_cultivated_m2: Some(area / 2.0),
        ..Answer::default()
    }
}

fn save(
    store: &mut Store,
    who: &Actor,
    jcbh: &str,
    answer: Answer,
    based_on: Option<i64>,
) -> Result<weipian_service::answers::AnswerView, ServiceError> {
    save_answer(
        store,
        who,
        &SaveAnswer {
            batch: batch(),
            jcbh: jcbh.into(),
            answer,
            based_on,
            reason: None,
        },
    )
}

#[test]
fn an_answer_is_kept_while_incomplete_and_completes_with_its_evidence() {
    let mut e = setup();
    let clerk = actor(Role::CountyFiller, "510104");
    let j = "510104TD200001";
    // Missing fields: saved as a draft with every problem listed.
    let draft = Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        ..Answer::default()
    };
    let v1 = save(&mut e.store, &clerk, j, draft.clone(), None).unwrap();
    assert_eq!(v1.version, 1);
    assert!(!v1.complete);
    let fields: Vec<&str> = v1.errors.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "PDYJSM",
            "FJ",
            "WFMJ",
            "WFGDMJ",
            "WFJBNTMJ",
            "XZJSYDMJ",
            "XZJSZYGDMJ",
            "SJYT"
        ]
    );
    assert_eq!(
        get_answer(&e.store, &clerk, &batch(), j).unwrap().answer,
        Some(draft)
    );
    // 违法面积 larger than the patch is a contradiction.
    let too_big = save(&mut e.store, &clerk, j, illegal(1e9), Some(1)).unwrap();
    assert!(too_big
        .errors
        .iter()
        .any(|x| x.field == "WFMJ" && x.message.contains("大于监测面积")));
    // With a photo and sane areas it is complete.
    let photo = attach(&mut e.store, &clerk, &batch(), j, "现场/IMG_0001.jpg", JPEG).unwrap();
    assert_eq!(photo.media_type, "image/jpeg");
    assert_eq!(photo.file_name, "IMG_0001.jpg");
    let v3 = save(&mut e.store, &clerk, j, illegal(100.0), Some(2)).unwrap();
    assert_eq!((v3.version, v3.complete), (3, true), "{:?}", v3.errors);
    let now = get_answer(&e.store, &clerk, &batch(), j).unwrap();
    assert!(now.complete && now.version == 3);
}

#[test]
fn a_stale_save_is_refused_with_what_changed_and_nothing_is_lost() {
    let mut e = setup();
    let clerk = actor(Role::CountyFiller, "510104");
    let j = "510104TD200002";
    save(&mut e.store, &clerk, j, illegal(100.0), None).unwrap();
    // Two clerks open version 1; the first saves a new area…
    let mut a = illegal(100.0);
    a.illegal_area_m2 = Some(90.0);
    save(&mut e.store, &clerk, j, a.clone(), Some(1)).unwrap();
    // …the second, still on version 1, is refused and told which fields moved.
    let mut b = illegal(100.0);
    b.actual_use = Some("仓库".into());
    let err = save(&mut e.store, &clerk, j, b, Some(1)).unwrap_err();
    match &err {
        ServiceError::Conflict {
            current_version,
            changed_fields,
            message,
        } => {
            assert_eq!(*current_version, 2);
            assert_eq!(changed_fields, &vec!["WFMJ".to_string()]);
            assert!(message.contains("版本"), "{message}");
        }
        other => panic!("expected a conflict, got {other}"),
    }
    // The first clerk's save stands.
    assert_eq!(
        get_answer(&e.store, &clerk, &batch(), j).unwrap().answer,
        Some(a)
    );
    // A first save on a patch that already has an answer is stale too.
    assert!(matches!(
        save(&mut e.store, &clerk, j, illegal(1.0), None),
        Err(ServiceError::Conflict { .. })
    ));
}

#[test]
fn parallel_writers_on_one_version_one_wins_the_rest_conflict() {
    let e = setup();
    let dir = e.store.path().parent().unwrap().to_path_buf();
    let j = "510104TD200003";
    {
        let mut s = Store::open(&dir).unwrap();
        save(
            &mut s,
            &actor(Role::CountyFiller, "510104"),
            j,
            illegal(10.0),
            None,
        )
        .unwrap();
    }
    let results: Vec<Result<i64, String>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..6)
            .map(|k| {
                let dir = dir.clone();
                sc.spawn(move || {
                    let mut s = Store::open(&dir).unwrap();
                    let who = actor(Role::CountyFiller, "510104");
                    save(&mut s, &who, j, illegal(10.0 + f64::from(k)), Some(1))
                        .map(|v| v.version)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| r.as_ref().unwrap_err().contains("已被")),
        "{results:?}"
    );
    let s = Store::open(&dir).unwrap();
    assert!(s.verify_audit().unwrap().first_bad.is_none());
}

/// Every answer and evidence operation × every role × in-scope / out-of-scope.
#[test]
fn answers_and_evidence_are_scoped_for_every_role() {
    let mut e = setup();
    let j = "510104TD200001"; // in 锦江区 510104 (成都 510100, 四川 510000)
    let cases: Vec<(Role, &str, bool)> = vec![
        // (role, region, in scope of the patch)
        (Role::CountyFiller, "510104", true),
        (Role::CountyFiller, "510105", false),
        (Role::CityReviewer, "510100", true),
        (Role::CityReviewer, "510300", false),
        (Role::ProvinceReviewer, "510000", true),
        (Role::ProvinceReviewer, "330000", false),
        (Role::DeskReviewer, "510000", true),
        (Role::DeskReviewer, "330000", false),
        (Role::Ministry, "000000", true),
        (Role::MilitaryOfficer, "510104", true),
        (Role::MilitaryOfficer, "510105", false),
        (Role::Admin, "510000", true),
        (Role::Admin, "330000", false),
    ];
    for (role, region, in_scope) in cases {
        let who = actor(role, region);
        let what = format!("{role:?} {region}");
        let read = get_answer(&e.store, &who, &batch(), j);
        let list = attachments(&e.store, &who, &batch(), j);
        let put = attach(&mut e.store, &who, &batch(), j, "a.jpg", JPEG);
        let write = save(&mut e.store, &who, j, illegal(10.0), None);
        if !in_scope {
            // Outside: exactly like a patch that does not exist.
            for r in [
                read.map(|_| ()),
                list.map(|_| ()),
                put.map(|_| ()),
                write.map(|_| ()),
            ] {
                assert!(matches!(r, Err(ServiceError::NotFound(_))), "{what}");
            }
            let ghost = get_answer(&e.store, &who, &batch(), "510104TD209999").unwrap_err();
            assert_eq!(
                ghost.to_string().replace("510104TD209999", j),
                read_err_text(&e.store, &who, j),
                "{what}"
            );
            continue;
        }
        assert!(read.is_ok() && list.is_ok(), "{what}");
        if role == Role::CountyFiller {
            assert!(put.is_ok(), "{what}");
            assert!(
                write.is_ok() || matches!(write, Err(ServiceError::Conflict { .. })),
                "{what}"
            );
        } else {
            assert!(matches!(put, Err(ServiceError::Denied(_))), "{what}");
            assert!(matches!(write, Err(ServiceError::Denied(_))), "{what}");
        }
    }
}

fn read_err_text(store: &Store, who: &Actor, jcbh: &str) -> String {
    get_answer(store, who, &batch(), jcbh)
        .unwrap_err()
        .to_string()
}

#[test]
fn evidence_is_typed_by_content_size_limited_and_exif_reuse_distance_and_time_are_flagged() {
    let mut e = setup();
    let clerk = actor(Role::CountyFiller, "510104");
    let mut put = |jcbh: &str, name: &str, bytes: &[u8]| {
        attach(&mut e.store, &clerk, &batch(), jcbh, name, bytes)
    };
    let exe = put("510104TD200001", "photo.jpg", b"MZ\x90\x00rest").unwrap_err();
    assert!(
        exe.to_string().contains("不是 JPEG、PNG 照片或 PDF"),
        "{exe}"
    );
    let big = vec![0xFFu8; weipian_service::evidence::MAX_ATTACHMENT_BYTES + 1];
    let err = put("510104TD200001", "big.jpg", &big).unwrap_err();
    assert!(err.to_string().contains("超过"), "{err}");
    let good = good_photo();
    let first = put("510104TD200001", "a.jpg", &good).unwrap();
    assert!(first.flags.is_empty(), "{:?}", first.flags);
    assert_eq!(first.taken_at.as_deref(), Some("2020-04-02 10:31:07"));
    assert!(
        (first.lon.unwrap() - 104.0601).abs() < 1e-6 && (first.lat.unwrap() - 30.6101).abs() < 1e-6
    );
    assert_eq!(first.direction, Some(135.0));
    // The same photo on another patch: accepted, flagged, naming the other
    // patch (and far from this one: 510104TD200002 is 400 m east).
    let again = put("510104TD200002", "b.jpg", &good).unwrap();
    assert_eq!(again.sha256, first.sha256);
    assert!(
        again.flags.iter().any(|f| f.contains("510104TD200001")),
        "{:?}",
        again.flags
    );
    assert!(
        again.flags.iter().any(|f| f.contains("超过 100 米")),
        "{:?}",
        again.flags
    );
    // Without EXIF, before the after image, far away: accepted, each flagged.
    let bare = put("510104TD200003", "c.jpg", JPEG).unwrap();
    assert_eq!(
        bare.flags,
        vec!["照片没有 GPS 位置信息", "照片没有拍摄时间"]
    );
    let early = put(
        "510104TD200003",
        "d.jpg",
        &photo(104.0681, 30.6101, "2020:01:15 09:00:00", 0),
    )
    .unwrap();
    assert_eq!(
        early.flags,
        vec!["拍摄时间 2020-01-15 09:00:00 早于后时相 2020-03-01"]
    );
    let far = put(
        "510104TD200003",
        "e.jpg",
        &photo(104.0801, 30.6101, "2020:04:01 09:00:00", 0),
    )
    .unwrap();
    assert_eq!(far.flags.len(), 1, "{:?}", far.flags);
    assert!(
        far.flags[0].starts_with("拍摄位置距图斑") && far.flags[0].contains("超过 100 米"),
        "{:?}",
        far.flags
    );
    // The same file twice on one patch is one attachment.
    put("510104TD200001", "a-copy.jpg", &good).unwrap();
    assert_eq!(
        attachments(&e.store, &clerk, &batch(), "510104TD200001")
            .unwrap()
            .len(),
        1
    );
    // Flags stay visible when the attachments are listed later.
    let listed = attachments(&e.store, &clerk, &batch(), "510104TD200003").unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[1].flags, early.flags);
    // Stored once, content-addressed; read back bit-exact.
    assert_eq!(e.store.attachment_bytes(&first.sha256).unwrap(), good);
}

#[test]
fn the_audit_trail_names_the_first_altered_or_removed_record() {
    let mut e = setup();
    let clerk = actor(Role::CountyFiller, "510104");
    for (k, j) in ["510104TD200001", "510104TD200002", "510104TD200003"]
        .iter()
        .enumerate()
    {
        save(
            &mut e.store,
            &clerk,
            j,
            illegal(10.0 * (k + 1) as f64),
            None,
        )
        .unwrap();
    }
    attach(
        &mut e.store,
        &clerk,
        &batch(),
        "510104TD200001",
        "a.jpg",
        JPEG,
    )
    .unwrap();
    let check = e.store.verify_audit().unwrap();
    assert_eq!((check.records, check.first_bad.clone()), (4, None));
    let history = e
        .store
        .audit_records(Some("2020/2020Q1/510104TD200001"))
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| r.entry.action.as_str())
            .collect::<Vec<_>>(),
        vec!["answer.save", "attachment.add"]
    );
    assert_eq!(history[0].entry.actor, clerk.user);
    let path = e.store.path().to_path_buf();
    drop(e.store);
    let tamper = |sql: &str| {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(sql).unwrap();
    };
    let verify = || {
        Store::open(path.parent().unwrap())
            .unwrap()
            .verify_audit()
            .unwrap()
            .first_bad
    };
    // Altered content.
    tamper("UPDATE audit_log SET after = replace(after, '厂房', '住宅') WHERE seq = 2");
    assert_eq!(verify().map(|b| b.0), Some(2));
    tamper("UPDATE audit_log SET after = replace(after, '住宅', '厂房') WHERE seq = 2");
    assert_eq!(verify(), None);
    // A record removed from the middle.
    tamper("CREATE TABLE keep AS SELECT * FROM audit_log; DELETE FROM audit_log WHERE seq = 3");
    assert_eq!(verify().map(|b| b.0), Some(3));
    tamper("INSERT INTO audit_log SELECT * FROM keep WHERE seq = 3");
    assert_eq!(verify(), None);
    // Two records swapped (renumbered to hide the gap).
    tamper("UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1");
    assert_eq!(verify().map(|b| b.0), Some(2));
    tamper("UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1");
    assert_eq!(verify(), None);
    // The last record cut off.
    tamper("DELETE FROM audit_log WHERE seq = 4");
    let bad = verify().unwrap();
    assert_eq!(bad.0, 4);
    assert!(bad.1.contains("末尾"), "{}", bad.1);
}

#[test]
fn transferred_patches_are_listed_until_the_feedback_arrives_within_scope() {
    use weipian_domain::determination::Transfer;
    let mut e = setup();
    let transfer = |fb: Option<&str>| Answer {
        category: "QT".into(),
        sub: Some("QT02".into()),
        basis: "农村村民在承包地建房，属农业农村部门职责".into(),
        transfer: Some(Transfer {
            receiver: "某某镇人民政府".into(),
            date: "2020-05-10".into(),
            document: "锦自然资移〔2020〕3号".into(),
            feedback: fb.map(str::to_string),
            feedback_date: fb.map(|_| "2020-06-01".to_string()),
        }),
        ..Answer::default()
    };
    let jinjiang = actor(Role::CountyFiller, "510104");
    let qingyang = actor(Role::CountyFiller, "510105");
    save(
        &mut e.store,
        &jinjiang,
        "510104TD200001",
        transfer(None),
        None,
    )
    .unwrap();
    save(
        &mut e.store,
        &jinjiang,
        "510104TD200002",
        illegal(10.0),
        None,
    )
    .unwrap();
    save(
        &mut e.store,
        &qingyang,
        "510105TD200001",
        transfer(None),
        None,
    )
    .unwrap();
    let list = |store: &Store, who: &Actor| -> Vec<String> {
        transfers_awaiting_feedback(store, who, &batch())
            .unwrap()
            .into_iter()
            .map(|t| t.jcbh)
            .collect()
    };
    assert_eq!(list(&e.store, &jinjiang), vec!["510104TD200001"]);
    assert_eq!(
        list(&e.store, &actor(Role::CityReviewer, "510100")),
        vec!["510104TD200001", "510105TD200001"]
    );
    assert!(list(&e.store, &actor(Role::CityReviewer, "510300")).is_empty());
    // The feedback arrives: no longer awaited.
    save(
        &mut e.store,
        &jinjiang,
        "510104TD200001",
        transfer(Some("已责令停止建设")),
        Some(1),
    )
    .unwrap();
    assert!(list(&e.store, &jinjiang).is_empty());
}

#[test]
fn a_military_patch_leaves_every_ordinary_path_and_only_the_register_sees_it() {
    use weipian_service::analyze::{analyze, AnalyzeRequest};
    use weipian_service::export::{export_patches, ExportRequest};
    use weipian_service::military::{export_register, file, register, MilitaryRecord};
    let mut e = setup();
    let clerk = actor(Role::CountyFiller, "510104");
    let officer = actor(Role::MilitaryOfficer, "510104");
    let j = "510104TD200002";
    // Something recorded before it was filed: an answer and a photo.
    save(&mut e.store, &clerk, j, illegal(10.0), None).unwrap();
    attach(&mut e.store, &clerk, &batch(), j, "m.jpg", &good_photo()).unwrap();
    let record = MilitaryRecord {
        unit: "某部".into(),
        usage: "营区".into(),
        area_m2: Some(5000.0),
        document: None,
        filled_by: "张三".into(),
        date: "2020-04-20".into(),
        note: None,
    };
    // Only the military-land role files; the clerk is told no, an outsider sees nothing.
    assert!(matches!(
        file(&mut e.store, &clerk, &batch(), j, &record),
        Err(ServiceError::Denied(_))
    ));
    assert!(matches!(
        file(
            &mut e.store,
            &actor(Role::MilitaryOfficer, "510105"),
            &batch(),
            j,
            &record
        ),
        Err(ServiceError::NotFound(_))
    ));
    let bad = MilitaryRecord {
        unit: String::new(),
        date: "2020-13-01".into(),
        ..record.clone()
    };
    let err = file(&mut e.store, &officer, &batch(), j, &bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("DWMC") && err.contains("TBRQ"), "{err}");
    let before = e.store.batches().unwrap()[0].clone();
    file(&mut e.store, &officer, &batch(), j, &record).unwrap();

    // Gone from every ordinary path, for every role, the register role included.
    for who in [
        &clerk,
        &officer,
        &actor(Role::ProvinceReviewer, "510000"),
        &Actor::local_admin(),
    ] {
        assert!(matches!(
            get_answer(&e.store, who, &batch(), j),
            Err(ServiceError::NotFound(_))
        ));
        assert!(matches!(
            attachments(&e.store, who, &batch(), j),
            Err(ServiceError::NotFound(_))
        ));
        let req = ExportRequest {
            batch: batch(),
            kind: None,
            region: None,
            format: weipian_formats::Format::GeoJson,
            out: e.dir.join("all.geojson"),
        };
        if let Ok(s) = export_patches(&e.store, who, &req, &NoProgress) {
            let text = std::fs::read_to_string(e.dir.join("all.geojson")).unwrap();
            assert!(!text.contains(j));
            assert!(s.patches <= 3);
        }
    }
    let after = e.store.batches().unwrap()[0].clone();
    assert_eq!(after.count, before.count - 1);
    assert!(after.area_m2 < before.area_m2);
    assert!(e.store.patch(&batch(), j).unwrap().is_none());
    assert!(e
        .store
        .batch_answers(&batch())
        .unwrap()
        .iter()
        .all(|(jj, _, _)| jj != j));
    // The photo it shared no longer names it on another patch.
    let shared = attach(
        &mut e.store,
        &clerk,
        &batch(),
        "510104TD200001",
        "m.jpg",
        &good_photo(),
    )
    .unwrap();
    assert!(
        shared.flags.iter().all(|f| !f.contains(j)),
        "{:?}",
        shared.flags
    );
    // Analysis leaves it out.
    let s = analyze(
        &mut e.store,
        &weipian_domain::access::Actor::local_admin(),
        &AnalyzeRequest {
            batch: batch(),
            force: true,
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.patches, 3);

    // The register: the military-land role in scope sees it; nobody else.
    let reg = register(&e.store, &officer, &batch()).unwrap();
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].jcbh, j);
    assert_eq!(reg[0].record, record);
    assert!(
        register(&e.store, &actor(Role::MilitaryOfficer, "510105"), &batch())
            .unwrap()
            .is_empty()
    );
    for who in [
        &clerk,
        &actor(Role::ProvinceReviewer, "510000"),
        &actor(Role::Ministry, "000000"),
    ] {
        assert!(matches!(
            register(&e.store, who, &batch()),
            Err(ServiceError::Denied(_))
        ));
    }
    let out = e.dir.join("military.xlsx");
    assert_eq!(
        export_register(&e.store, &officer, &batch(), &out).unwrap(),
        1
    );
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
    // The audit trail records the filing but not the register's content.
    let trail = e
        .store
        .audit_records(Some(&format!("2020/2020Q1/{j}")))
        .unwrap();
    let filed = trail
        .iter()
        .find(|r| r.entry.action == "military.file")
        .unwrap();
    assert!(filed.entry.after.is_none());
}

#[test]
fn cases_open_on_illegal_patches_and_move_through_their_stages_in_order() {
    use weipian_domain::case::{
        CaseEvent, Decision, Measure, Rectification, RectificationKind, Supervision,
    };
    use weipian_service::cases::{apply_event, get_case, open_case};
    let mut e = setup();
    let clerk = actor(Role::CountyFiller, "510104");
    save(&mut e.store, &clerk, "510104TD200001", illegal(100.0), None).unwrap();
    save(&mut e.store, &clerk, "510104TD200002", illegal(50.0), None).unwrap();
    let j = |s: &str| vec![s.to_string()];
    // Only illegal patches, of one county, by the county.
    let e1 = open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违〔2020〕1号",
        &j("510104TD200003"),
    )
    .unwrap_err();
    assert!(e1.to_string().contains("未判定为违法"), "{e1}");
    let city = actor(Role::CityReviewer, "510100");
    assert!(matches!(
        open_case(&mut e.store, &city, &batch(), "x", &j("510104TD200001")),
        Err(ServiceError::Denied(_))
    ));
    let both = vec!["510104TD200001".to_string(), "510104TD200002".to_string()];
    let c = open_case(&mut e.store, &clerk, &batch(), "锦违〔2020〕1号", &both).unwrap();
    assert_eq!(
        (c.version, c.stage.as_str(), c.patches.len()),
        (1, "未立案", 2)
    );
    let dup = open_case(
        &mut e.store,
        &clerk,
        &batch(),
        "锦违〔2020〕1号",
        &j("510104TD200001"),
    )
    .unwrap_err();
    assert!(dup.to_string().contains("已存在"), "{dup}");
    // Out of order: refused with the reason; nothing written.
    let close = CaseEvent::Close {
        date: "2020-06-01".into(),
    };
    let err = apply_event(&mut e.store, &clerk, c.id, &close, 1).unwrap_err();
    assert!(err.to_string().contains("尚未立案"), "{err}");
    assert_eq!(get_case(&e.store, &clerk, c.id).unwrap().version, 1);
    // A measure's on-site photos: attached to the case's patches, dated
    // (EXIF) on or after the measure.
    let after = attach(
        &mut e.store,
        &clerk,
        &batch(),
        "510104TD200002",
        "拆除后.jpg",
        &photo(104.0641, 30.6101, "2020:05:16 09:00:00", 90),
    )
    .unwrap();
    let before = attach(
        &mut e.store,
        &clerk,
        &batch(),
        "510104TD200001",
        "拆除前.jpg",
        &photo(104.0601, 30.6101, "2020:05:01 09:00:00", 90),
    )
    .unwrap();
    let elsewhere = attach(
        &mut e.store,
        &clerk,
        &batch(),
        "510104TD200003",
        "别处.jpg",
        &photo(104.0681, 30.6101, "2020:05:16 09:00:00", 90),
    )
    .unwrap();
    let undated = attach(
        &mut e.store,
        &clerk,
        &batch(),
        "510104TD200001",
        "无时间.jpg",
        JPEG,
    )
    .unwrap();
    let demolished = Rectification {
        kind: RectificationKind::Demolition,
        date: "2020-05-15".into(),
        area_m2: 150.0,
        cultivated_m2: 75.0,
        basic_farmland_m2: 0.0,
        document: None,
        approval_date: None,
        photos: vec![after.sha256.clone()],
    };
    // In order.
    let steps = [
        CaseEvent::File {
            date: "2020-04-01".into(),
            document: "锦自然资立〔2020〕5号".into(),
        },
        CaseEvent::Decide(Decision {
            date: "2020-05-01".into(),
            document: "锦自然资罚〔2020〕7号".into(),
            measures: vec![Measure::Fine, Measure::Demolition],
            fine_yuan: Some(15_000.0),
            content: None,
        }),
        CaseEvent::Rectify(demolished.clone()),
        CaseEvent::Eliminate {
            date: "2020-05-20".into(),
        },
        CaseEvent::Enforce {
            date: "2020-05-25".into(),
        },
        close,
    ];
    let mut v = 1;
    for s in &steps {
        if matches!(s, CaseEvent::Rectify(_)) {
            let bad = Rectification {
                photos: vec![
                    before.sha256.clone(),
                    elsewhere.sha256.clone(),
                    undated.sha256.clone(),
                ],
                ..demolished.clone()
            };
            let err =
                apply_event(&mut e.store, &clerk, c.id, &CaseEvent::Rectify(bad), v).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains("拆除前.jpg 拍摄于 2020-05-01，早于整改日期"),
                "{msg}"
            );
            assert!(msg.contains("不是本案图斑的附件"), "{msg}");
            assert!(msg.contains("无时间.jpg 没有拍摄时间"), "{msg}");
        }
        v = apply_event(&mut e.store, &clerk, c.id, s, v)
            .unwrap()
            .version;
    }
    let done = get_case(&e.store, &city, c.id).unwrap();
    assert_eq!((done.stage.as_str(), done.version), ("已结案", 7));
    assert_eq!(done.case.eliminated.as_deref(), Some("2020-05-20"));
    // Supervision is the province's; the county cannot, another province cannot even see it.
    let sup = CaseEvent::Supervise(Supervision {
        level: "province".into(),
        demands: "x".into(),
        deadline: "2020-07-31".into(),
        reports: vec![],
    });
    assert!(matches!(
        apply_event(&mut e.store, &clerk, c.id, &CaseEvent::PublicNotice, v),
        Err(ServiceError::Denied(_))
    ));
    let zj = actor(Role::ProvinceReviewer, "330000");
    assert!(matches!(
        apply_event(&mut e.store, &zj, c.id, &sup, v),
        Err(ServiceError::NotFound(_))
    ));
    let sc = actor(Role::ProvinceReviewer, "510000");
    // Closed cases take no supervision, but a public notice.
    assert!(apply_event(&mut e.store, &sc, c.id, &sup, v)
        .unwrap_err()
        .to_string()
        .contains("已结案"));
    let v = apply_event(&mut e.store, &sc, c.id, &CaseEvent::PublicNotice, v)
        .unwrap()
        .version;
    // A stale version is refused.
    assert!(matches!(
        apply_event(&mut e.store, &sc, c.id, &CaseEvent::PublicNotice, v - 1),
        Err(ServiceError::Conflict { .. })
    ));
    assert!(e.store.verify_audit().unwrap().first_bad.is_none());
}

#[test]
fn bulk_answers_apply_valid_rows_list_every_reason_and_are_idempotent() {
    use weipian_service::bulk::{export_answers, import_answers};
    let mut e = setup();
    let clerk = actor(Role::CountyFiller, "510104");
    attach(
        &mut e.store,
        &clerk,
        &batch(),
        "510104TD200001",
        "a.jpg",
        &good_photo(),
    )
    .unwrap();
    let csv = e.dir.join("回填.csv");
    std::fs::write(
        &csv,
        "监测编号,判定类型,具体情形,判定依据说明,实际用途,违法面积（亩）,其中耕地（亩）,其中永久基本农田（亩）,新增建设用地面积（亩）,其中占用耕地（亩）,备注\n\
         510104TD200001,违法,WF01,未批先建,厂房,0.15,0.1,0,0.15,0.1,x\n\
         510104TD200002,违法,WF01,未批先建,厂房,abc,0.1,0,0.15,0.1,\n\
         510104TD200003,违法,WF01,,,,,,,,\n\
         510105TD200001,其他,QT01,无变化,,,,,,,\n\
         ,其他,QT01,x,,,,,,,\n",
    )
    .unwrap();
    let s = import_answers(&mut e.store, &clerk, &batch(), &csv).unwrap();
    assert_eq!(s.applied, vec!["510104TD200001"]);
    let by_row: Vec<(usize, Option<&str>, usize)> = s
        .rejected
        .iter()
        .map(|r| (r.row, r.jcbh.as_deref(), r.reasons.len()))
        .collect();
    assert_eq!(
        by_row[0],
        (3, Some("510104TD200002"), 1),
        "{:?}",
        s.rejected
    );
    assert!(
        s.rejected[0].reasons[0].contains("违法面积（亩）")
            && s.rejected[0].reasons[0].contains("不是数字")
    );
    // Every reason at once for the incomplete row (no photo either).
    assert_eq!(by_row[1].0, 4);
    assert!(s.rejected[1].reasons.len() >= 8, "{:?}", s.rejected[1]);
    // Another county's patch: the same answer as a missing one.
    assert!(
        s.rejected[2].reasons[0].contains("未找到"),
        "{:?}",
        s.rejected[2]
    );
    assert_eq!(s.rejected[3].reasons, vec!["监测编号为空"]);
    let saved = get_answer(&e.store, &clerk, &batch(), "510104TD200001").unwrap();
    assert!(saved.complete, "{:?}", saved.errors);
    let wfmj = saved.answer.as_ref().unwrap().illegal_area_m2.unwrap();
    assert!((wfmj - 100.0).abs() < 1e-9, "{wfmj}"); // 0.15 亩 = 100 m²
                                                    // The same file again: nothing changes.
    let again = import_answers(&mut e.store, &clerk, &batch(), &csv).unwrap();
    assert!(again.applied.is_empty());
    assert!(again.unchanged.contains(&"510104TD200001".to_string()));
    assert_eq!(
        get_answer(&e.store, &clerk, &batch(), "510104TD200001")
            .unwrap()
            .version,
        1
    );
    // Export → import of the export: nothing changes either (areas bit for bit).
    let xlsx = e.dir.join("answers.xlsx");
    assert_eq!(
        export_answers(&e.store, &clerk, &batch(), &xlsx).unwrap(),
        3
    );
    let round = import_answers(&mut e.store, &clerk, &batch(), &xlsx).unwrap();
    assert!(
        round.applied.is_empty() && round.rejected.is_empty(),
        "{round:?}"
    );
    let after = get_answer(&e.store, &clerk, &batch(), "510104TD200001").unwrap();
    assert_eq!((after.version, after.answer), (1, saved.answer));
}

#[test]
fn imports_and_analysis_are_for_administrators_within_their_region() {
    use weipian_formats::TextEncoding;
    use weipian_service::analyze::{analyze, AnalyzeRequest};
    use weipian_service::import::{import_layer, import_patches, import_regions};
    let mut e = env();
    let mut ds = patches(2);
    ds.features[1].attrs[0] = text("330102TD200001");
    ds.features[1].attrs[1] = text("330102");
    let path = e.dir.join("p.geojson");
    weipian_formats::geojson::write(&path, &ds).unwrap();
    // A province's administrator: only its province's patches.
    let sichuan = actor(Role::Admin, "510000");
    let err = import_patches(
        &mut e.store,
        &sichuan,
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap_err();
    let p = err.problems();
    assert_eq!(p.len(), 1, "{err}");
    assert_eq!(p[0].jcbh.as_deref(), Some("330102TD200001"));
    assert!(p[0].message.contains("不在您管理的行政区"), "{err}");
    // Nobody else imports; national tables are the national administrator's.
    let clerk = actor(Role::CountyFiller, "510104");
    assert!(matches!(
        import_patches(
            &mut e.store,
            &clerk,
            &e.table,
            &request(&path, batch()),
            &NoProgress
        ),
        Err(ServiceError::Denied(_))
    ));
    let regions = e.dir.join("counties.geojson");
    assert!(matches!(
        import_regions(
            &mut e.store,
            &sichuan,
            &e.table,
            &regions,
            TextEncoding::Detect,
            &NoProgress
        ),
        Err(ServiceError::Denied(_))
    ));
    assert!(matches!(
        import_layer(
            &mut e.store,
            &sichuan,
            "gd",
            &regions,
            TextEncoding::Detect,
            &NoProgress
        ),
        Err(ServiceError::Denied(_))
    ));
    // Its own patches go in; the analysis is an administrator's too.
    let mut ds = patches(2);
    ds.features.truncate(1);
    weipian_formats::geojson::write(&path, &ds).unwrap();
    import_patches(
        &mut e.store,
        &sichuan,
        &e.table,
        &request(&path, batch()),
        &NoProgress,
    )
    .unwrap();
    let req = AnalyzeRequest {
        batch: batch(),
        force: false,
    };
    assert!(matches!(
        analyze(&mut e.store, &clerk, &req, &NoProgress),
        Err(ServiceError::Denied(_))
    ));
    analyze(&mut e.store, &sichuan, &req, &NoProgress).unwrap();
}
