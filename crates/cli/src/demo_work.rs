//! The county's work in the demo: users for every role and patches in every
//! state — undetermined, each determination, incomplete drafts, transferred
//! (awaiting feedback and answered), military, cases at each stage,
//! rectified — made through the service layer like a user would, so the
//! later steps (review, reports, the web platform) have material.

use anyhow::{anyhow, Context, Result};
use geo::Centroid;
use serde::Serialize;
use weipian_domain::access::{Actor, Role, Scope};
use weipian_domain::case::{
    CaseEvent, Decision, Measure, Party, PartyKind, Rectification, RectificationKind,
};
use weipian_domain::determination::{Answer, Deduction, Handling, Transfer};
use weipian_domain::{BatchId, PatchKind, RegionCode};
use weipian_service::answers::{save_answer, SaveAnswer};
use weipian_service::{cases, evidence, military, users};
use weipian_store::{PatchQuery, Store, StoredPatch};

/// The demo password of every demo user (demo data only).
pub const DEMO_PASSWORD: &str = "weipian-demo";

/// What the demo's county work made.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoWork {
    /// (user, role code, region) of each demo login.
    pub users: Vec<(String, String, String)>,
    pub county: String,
    pub answers: usize,
    pub complete: usize,
    pub drafts: usize,
    pub transfers: usize,
    pub military: usize,
    /// Case stage (Chinese) per case.
    pub cases: Vec<String>,
    pub photos: usize,
    /// JCBHs of the patches split into 地块.
    pub split: Vec<String>,
    /// Ids of the cases with an illegal-land range.
    pub ranges: Vec<i64>,
    /// Patches of the demo county per review state (code → count).
    pub reviews: std::collections::BTreeMap<String, usize>,
    /// Field checks done by the technical-support unit.
    pub field_checks: usize,
    /// Ids of the samples drawn.
    pub samples: Vec<i64>,
}

/// The review chain in the demo: the county submits every complete answer;
/// the city passes them, returns one, sends two up; the province returns
/// one and reports the other to the Ministry.
fn review_demo(
    store: &mut Store,
    batch: &BatchId,
    clerk: &Actor,
    city: RegionCode,
    sheng: &Actor,
    land: &[&StoredPatch],
    work: &mut DemoWork,
) -> Result<()> {
    use weipian_domain::review::ReviewAction;
    use weipian_service::review::{act, pass_all, queue};
    let shi = Actor::new("demo-city", Scope::Region(city), Role::CityReviewer)?;
    let mine: Vec<String> = queue(store, clerk, batch)?
        .into_iter()
        .map(|q| q.jcbh)
        .collect();
    let submitted = act(store, clerk, batch, &mine, &ReviewAction::Submit, None)?;
    // The desk rules flagged some: the county answers each (复核), the city
    // upholds one (and returns that patch) and clears the rest.
    let keep = [&land[2].jcbh, &land[3].jcbh, &land[4].jcbh];
    let mut upheld = false;
    for d in &submitted.done {
        let open: Vec<_> = weipian_service::desk::flags(store, clerk, batch, &d.jcbh)?
            .into_iter()
            .filter(|f| f.status == "open")
            .collect();
        if open.is_empty() {
            continue;
        }
        for f in &open {
            weipian_service::desk::reply(
                store,
                clerk,
                f.id,
                "已复核：现场情况与填报一致，照片为补拍",
            )?;
        }
        let uphold = !upheld && !keep.contains(&&d.jcbh);
        for f in &open {
            let note = if uphold {
                "疑点属实，退回县级重新核实"
            } else {
                "经核实可以排除"
            };
            weipian_service::desk::decide(store, &shi, f.id, uphold, Some(note))?;
        }
        if uphold {
            upheld = true;
            act(
                store,
                &shi,
                batch,
                std::slice::from_ref(&d.jcbh),
                &ReviewAction::Return {
                    reason: format!("内业审核疑点属实：{}", open[0].message),
                },
                None,
            )?;
        }
    }
    pass_all(store, &shi, batch, Some("市级审核通过".into()))?;
    let one = |p: &StoredPatch| vec![p.jcbh.clone()];
    let ret = |reason: &str| ReviewAction::Return {
        reason: reason.into(),
    };
    act(
        store,
        &shi,
        batch,
        &one(land[3]),
        &ret("批准面积与建设占地面积不一致，请核实"),
        None,
    )?;
    let up = vec![land[2].jcbh.clone(), land[4].jcbh.clone()];
    act(
        store,
        &shi,
        batch,
        &up,
        &ReviewAction::SubmitToProvince,
        None,
    )?;
    act(
        store,
        sheng,
        batch,
        &one(land[4]),
        &ret("现场照片未显示设施全貌"),
        None,
    )?;
    act(
        store,
        sheng,
        batch,
        &one(land[2]),
        &ReviewAction::Pass { opinion: None },
        None,
    )?;
    act(
        store,
        sheng,
        batch,
        &one(land[2]),
        &ReviewAction::Report,
        None,
    )?;
    for p in land {
        if let Ok(v) = weipian_service::review::review(store, clerk, batch, &p.jcbh) {
            *work.reviews.entry(v.state).or_default() += 1;
        }
    }
    // The province has the technical-support unit check the patch it
    // returned in the field; the city draws a sample of the county.
    let province = RegionCode::parse(&sheng.scope.code())?;
    let unit = Actor::new("demo-desk", Scope::Region(province), Role::DeskReviewer)?;
    let checks =
        weipian_service::field::assign(store, sheng, batch, std::slice::from_ref(&land[4].jcbh))?;
    if let Some(c) = checks.first() {
        weipian_service::field::complete(
            store,
            &unit,
            c.id,
            "现场为设施农用地，已备案，设施全貌与备案一致",
            None,
        )?;
        work.field_checks += 1;
    }
    let sample = weipian_service::sampling::draw(
        store,
        &shi,
        &weipian_service::sampling::DrawRequest {
            batch: batch.clone(),
            region: RegionCode::parse(&clerk.scope.code()).ok(),
            margin: Some(0.2),
            confidence: Some(0.95),
            seed: 2020,
        },
    )?;
    work.samples.push(sample.id);
    Ok(())
}

/// Upload a case's illegal-land range: the patch shrunk by a fifth around
/// its centroid (surveyed a little inside what the imagery showed), as a
/// GeoJSON file beside the demo's other inputs.
fn range_demo(store: &mut Store, clerk: &Actor, case_id: i64, p: &StoredPatch) -> Result<()> {
    use geo::Scale;
    let c = p.geometry.centroid().context("图斑没有质心")?;
    let shape = p.geometry.scale_around_point(0.8, 0.8, c);
    let dir = store
        .path()
        .parent()
        .map(|d| d.join("demo-input"))
        .context("数据目录")?;
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("case-{case_id}-range.geojson"));
    let ds = weipian_formats::Dataset {
        source: path.clone(),
        fields: vec![weipian_domain::FieldDef::new(
            "DKMC",
            weipian_domain::FieldType::Text { width: 40 },
        )],
        features: vec![weipian_formats::Feature {
            row: 1,
            geometry: Some(shape),
            attrs: vec![weipian_domain::AttrValue::Text("违法占地范围".into())],
            repairs: vec![],
        }],
        crs: weipian_geo::crs::CrsHint {
            epsg: Some(4490),
            ..weipian_geo::crs::CrsHint::default()
        },
        encoding: None,
    };
    weipian_formats::geojson::write(&path, &ds)?;
    weipian_service::case_ranges::upload_range(store, clerk, case_id, &path)?;
    Ok(())
}

/// Split a patch in two along its centroid's meridian.
fn split_demo(store: &mut Store, clerk: &Actor, batch: &BatchId, p: &StoredPatch) -> Result<()> {
    use geo::{BooleanOps, BoundingRect};
    let c = p.geometry.centroid().context("图斑没有质心")?;
    let b = p.geometry.bounding_rect().context("图斑没有范围")?;
    // Halves just larger than the patch: geo's boolean operations snap to a
    // grid scaled to the inputs' extent, so a far larger cutter would move
    // the patch's own vertices.
    let (y0, y1) = (b.min().y - 1e-4, b.max().y + 1e-4);
    let half = |x0: f64, x1: f64| {
        geo::MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    };
    let parts = vec![
        p.geometry.intersection(&half(b.min().x - 1e-4, c.x())),
        p.geometry.intersection(&half(c.x(), b.max().x + 1e-4)),
    ];
    weipian_service::parcels::split(
        store,
        clerk,
        &weipian_service::parcels::Split {
            batch: batch.clone(),
            jcbh: p.jcbh.clone(),
            source: std::path::PathBuf::from("演示拆分"),
            parts,
            discard_answers: false,
            reason: Some("演示：按现场情况拆分为两个地块".into()),
        },
    )?;
    Ok(())
}

fn illegal(p: &StoredPatch) -> Answer {
    let a = p.area_m2;
    Answer {
        category: "WF".into(),
        sub: Some("WF01".into()),
        basis: "现场核实：未经批准占用土地建设".into(),
        actual_use: Some("厂房".into()),
        illegal_area_m2: Some(a * 0.9),
        illegal_cultivated_m2: Some(a * 0.5),
        illegal_basic_farmland_m2: Some(0.0),
        new_construction_m2: Some(a * 0.9),
        new_construction_cultivated_m2: Some(a * 0.5),
        ..Answer::default()
    }
}

/// Make the demo's users and county work.
pub fn run(store: &mut Store, batch: &BatchId) -> Result<DemoWork> {
    let mut work = DemoWork::default();
    // The county with the most land patches (ties: the smaller code).
    let all = store.patches(&PatchQuery {
        batch: batch.clone(),
        kind: None,
        region: None,
    })?;
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for p in all.iter().filter(|p| p.kind == PatchKind::Land) {
        *counts.entry(p.xzqdm.as_str()).or_default() += 1;
    }
    let county = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(c, _)| (*c).to_string())
        .context("演示数据中没有土地图斑")?;
    let code = RegionCode::parse(&county)?;
    let city = code.prefecture();
    let province = code.province();
    work.county.clone_from(&county);

    let root = Actor::local_admin();
    let region = |r: RegionCode| Scope::Region(r);
    for (name, scope, role) in [
        ("demo-admin", region(province), Role::Admin),
        ("demo-province", region(province), Role::ProvinceReviewer),
        ("demo-city", region(city), Role::CityReviewer),
        ("demo-county", region(code), Role::CountyFiller),
        ("demo-desk", region(province), Role::DeskReviewer),
        ("demo-military", region(code), Role::MilitaryOfficer),
        ("demo-ministry", Scope::National, Role::Ministry),
    ] {
        users::add_user(store, &root, name, scope, role, DEMO_PASSWORD)?;
        work.users
            .push((name.into(), role.code().into(), scope.code()));
    }
    let clerk = Actor::new("demo-county", region(code), Role::CountyFiller)?;
    let officer = Actor::new("demo-military", region(code), Role::MilitaryOfficer)?;
    let sheng = Actor::new("demo-province", region(province), Role::ProvinceReviewer)?;

    let land: Vec<&StoredPatch> = all
        .iter()
        .filter(|p| p.kind == PatchKind::Land && p.xzqdm == county)
        .collect();
    if land.len() < 16 {
        return Err(anyhow!("演示县 {county} 的土地图斑不足 16 个"));
    }
    let mut salt = 0u32;
    let mut attach = |store: &mut Store, p: &StoredPatch| -> Result<()> {
        let c = p.geometry.centroid().context("图斑没有质心")?;
        salt += 1;
        let bytes = weipian_demo::photo::scene_jpeg(
            c.x(),
            c.y(),
            "2020:04:15 10:00:00",
            salt,
            u64::from(salt),
            salt,
        );
        evidence::attach(
            store,
            &clerk,
            batch,
            &p.jcbh,
            &format!("现场照片{salt}.jpg"),
            &bytes,
        )?;
        Ok(())
    };
    let save = |store: &mut Store, p: &StoredPatch, answer: Answer| -> Result<bool> {
        let v = save_answer(
            store,
            &clerk,
            &SaveAnswer {
                batch: batch.clone(),
                jcbh: p.jcbh.clone(),
                answer,
                based_on: None,
                reason: None,
            },
        )?;
        Ok(v.complete)
    };
    let tally = |work: &mut DemoWork, complete: bool| {
        work.answers += 1;
        if complete {
            work.complete += 1
        } else {
            work.drafts += 1
        }
    };

    // 0–1: left undetermined. 2: 合法 (approval), 3: 合法 (facility filing).
    attach(store, land[2])?;
    let c = save(
        store,
        land[2],
        Answer {
            category: "HF".into(),
            sub: Some("HF01".into()),
            basis: "已办理农用地转用手续".into(),
            approval_number: Some("川府土〔2019〕128号".into()),
            approval_authority: Some("四川省人民政府".into()),
            approval_date: Some("2019-06-01".into()),
            approval_area_m2: Some(land[2].area_m2 * 1.2),
            ..Answer::default()
        },
    )?;
    tally(&mut work, c);
    attach(store, land[3])?;
    let c = save(
        store,
        land[3],
        Answer {
            category: "HF".into(),
            sub: Some("HF02".into()),
            basis: "设施农用地已备案".into(),
            facility_filing: Some("SSNYD-2019-031".into()),
            ..Answer::default()
        },
    )?;
    tally(&mut work, c);
    // 4: 其他 (no real change).
    attach(store, land[4])?;
    let c = save(
        store,
        land[4],
        Answer {
            category: "QT".into(),
            sub: Some("QT01".into()),
            basis: "现场核实地表无变化".into(),
            ..Answer::default()
        },
    )?;
    tally(&mut work, c);
    // 5–6: transferred — awaiting feedback, and answered.
    for (k, fb) in [(5, None), (6, Some("已责令停止建设并拆除"))] {
        attach(store, land[k])?;
        let c = save(
            store,
            land[k],
            Answer {
                category: "QT".into(),
                sub: Some("QT02".into()),
                basis: "农村村民在承包地建房，属农业农村部门职责，已移交乡镇".into(),
                transfer: Some(Transfer {
                    receiver: "所在乡镇人民政府".into(),
                    date: "2020-04-20".into(),
                    document: format!("自然资移〔2020〕{k}号"),
                    feedback: fb.map(str::to_string),
                    feedback_date: fb.map(|_| "2020-05-20".to_string()),
                }),
                ..Answer::default()
            },
        )?;
        tally(&mut work, c);
        work.transfers += 1;
    }
    // 7: an incomplete draft.
    let c = save(
        store,
        land[7],
        Answer {
            category: "WF".into(),
            sub: Some("WF01".into()),
            basis: "待补充面积".into(),
            ..Answer::default()
        },
    )?;
    tally(&mut work, c);
    // 8–13: illegal, complete; cases at each stage; 13 claims a deduction.
    for p in &land[8..14] {
        attach(store, p)?;
        let mut a = illegal(p);
        if p.jcbh == land[13].jcbh {
            a.deductions = vec![Deduction {
                kind: "yhyz".into(),
                document: None,
                note: Some("农村村民一户一宅".into()),
            }];
        }
        let c = save(store, p, a)?;
        tally(&mut work, c);
    }
    let file = CaseEvent::File {
        date: "2020-04-25".into(),
        document: "自然资立〔2020〕1号".into(),
    };
    let decide = CaseEvent::Decide(Decision {
        date: "2020-05-10".into(),
        document: "自然资罚〔2020〕1号".into(),
        measures: vec![Measure::Fine, Measure::Demolition],
        fine_yuan: Some(30_000.0),
        content: Some("限期拆除，罚款".into()),
    });
    // Rectified: demolished on 2020-05-30, photographed on site after.
    let rectify = |store: &mut Store, p: &StoredPatch, salt: u32| -> Result<CaseEvent> {
        let c = p.geometry.centroid().context("图斑没有质心")?;
        let bytes = weipian_demo::photo::scene_jpeg(
            c.x(),
            c.y(),
            "2020:06:01 09:30:00",
            90,
            u64::from(1000 + salt),
            1000 + salt,
        );
        let photo = evidence::attach(store, &clerk, batch, &p.jcbh, "拆除后现场照片.jpg", &bytes)?;
        Ok(CaseEvent::Rectify(Rectification {
            kind: RectificationKind::Demolition,
            date: "2020-05-30".into(),
            area_m2: p.area_m2 * 0.9,
            cultivated_m2: p.area_m2 * 0.5,
            basic_farmland_m2: 0.0,
            document: None,
            approval_date: None,
            photos: vec![photo.sha256],
        }))
    };
    let rectified = [rectify(store, land[11], 1)?, rectify(store, land[12], 2)?];
    let company = CaseEvent::AddParty(Party {
        kind: PartyKind::Unit,
        name: "某建材有限公司".into(),
        position: None,
    });
    let person = CaseEvent::AddParty(Party {
        kind: PartyKind::Person,
        name: "张某".into(),
        position: None,
    });
    // Parties: the company in two cases and a person whose decision is not
    // carried out — both on the blacklist.
    let stages: Vec<Vec<CaseEvent>> = vec![
        vec![],
        vec![file.clone(), company.clone()],
        vec![file.clone(), decide.clone(), person],
        vec![
            file.clone(),
            decide.clone(),
            rectified[0].clone(),
            CaseEvent::Eliminate {
                date: "2020-06-05".into(),
            },
            CaseEvent::Enforce {
                date: "2020-06-10".into(),
            },
        ],
        vec![
            file.clone(),
            decide.clone(),
            rectified[1].clone(),
            CaseEvent::Eliminate {
                date: "2020-06-05".into(),
            },
            CaseEvent::Enforce {
                date: "2020-06-10".into(),
            },
            CaseEvent::Close {
                date: "2020-06-20".into(),
            },
            company,
        ],
    ];
    for (k, events) in stages.iter().enumerate() {
        let p = land[8 + k];
        let case = cases::open_case(
            store,
            &clerk,
            batch,
            &format!("违〔2020〕{}号", k + 1),
            std::slice::from_ref(&p.jcbh),
        )?;
        let mut v = case.version;
        for e in events {
            v = cases::apply_event(store, &clerk, case.id, e, v)?.version;
        }
        if k == 2 {
            // A major case: supervised by the province.
            let sup = CaseEvent::Supervise(weipian_domain::case::Supervision {
                level: "province".into(),
                demands: "30 日内拆除并恢复耕种条件".into(),
                deadline: "2020-06-30".into(),
                reports: vec![],
            });
            v = cases::apply_event(store, &sheng, case.id, &sup, v)?.version;
        }
        let _ = v;
        if k == 1 {
            // The surveyed illegal-land range of a filed case.
            range_demo(store, &clerk, case.id, p)?;
            work.ranges.push(case.id);
        }
        work.cases
            .push(cases::get_case(store, &clerk, case.id)?.stage);
    }
    // 14: military land.
    military::file(
        store,
        &officer,
        batch,
        &land[14].jcbh,
        &military::MilitaryRecord {
            unit: "某部".into(),
            usage: "营区".into(),
            area_m2: Some(land[14].area_m2),
            document: None,
            filled_by: "demo-military".into(),
            date: "2020-04-18".into(),
            note: None,
        },
    )?;
    work.military += 1;
    // 15: split into two 地块 along its centroid's meridian — the west part
    // illegal, the east part with no real change.
    split_demo(store, &clerk, batch, land[15])?;
    attach(store, land[15])?;
    let parts = weipian_service::parcels::parcels(store, &clerk, batch, &land[15].jcbh)?;
    for p in &parts.parcels {
        let answer = if p.no == 1 {
            let a = p.area_m2;
            Answer {
                illegal_area_m2: Some(a * 0.9),
                illegal_cultivated_m2: Some(a * 0.4),
                new_construction_m2: Some(a * 0.9),
                new_construction_cultivated_m2: Some(a * 0.4),
                ..illegal(land[15])
            }
        } else {
            Answer {
                category: "QT".into(),
                sub: Some("QT01".into()),
                basis: "现场核实：该地块地表无变化".into(),
                ..Answer::default()
            }
        };
        let v = weipian_service::answers::save_part_answer(
            store,
            &clerk,
            &SaveAnswer {
                batch: batch.clone(),
                jcbh: land[15].jcbh.clone(),
                answer,
                based_on: None,
                reason: None,
            },
            p.no,
        )?;
        tally(&mut work, v.complete);
    }
    work.split.push(land[15].jcbh.clone());
    // Mineral: a clerk of the county with the most mineral patches answers
    // one as illegal (filed as a case) and one as a false change.
    let mut mcounts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for p in all.iter().filter(|p| p.kind == PatchKind::Mineral) {
        *mcounts.entry(p.xzqdm.as_str()).or_default() += 1;
    }
    if let Some(mcounty) = mcounts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(c, _)| (*c).to_string())
    {
        let mcode = RegionCode::parse(&mcounty)?;
        users::add_user(
            store,
            &root,
            "demo-county-kc",
            region(mcode),
            Role::CountyFiller,
            DEMO_PASSWORD,
        )?;
        work.users.push((
            "demo-county-kc".into(),
            Role::CountyFiller.code().into(),
            mcounty.clone(),
        ));
        let kc = Actor::new("demo-county-kc", region(mcode), Role::CountyFiller)?;
        let mineral: Vec<&StoredPatch> = all
            .iter()
            .filter(|p| p.kind == PatchKind::Mineral && p.xzqdm == mcounty)
            .collect();
        let answers = [
            Answer {
                category: "WF".into(),
                sub: Some("KWF01".into()),
                basis: "无证开采砂石".into(),
                handling: Some(Handling::Case),
                ..Answer::default()
            },
            Answer {
                category: "WBH".into(),
                sub: Some("KWB01".into()),
                basis: "现场无开采活动".into(),
                ..Answer::default()
            },
        ];
        for (p, answer) in mineral.iter().zip(answers) {
            let c = p.geometry.centroid().context("图斑没有质心")?;
            salt += 1;
            let bytes = weipian_demo::photo::scene_jpeg(
                c.x(),
                c.y(),
                "2020:04:16 09:30:00",
                salt,
                u64::from(salt),
                salt,
            );
            evidence::attach(
                store,
                &kc,
                batch,
                &p.jcbh,
                &format!("现场照片{salt}.jpg"),
                &bytes,
            )?;
            let v = save_answer(
                store,
                &kc,
                &SaveAnswer {
                    batch: batch.clone(),
                    jcbh: p.jcbh.clone(),
                    answer,
                    based_on: None,
                    reason: None,
                },
            )?;
            tally(&mut work, v.complete);
        }
    }
    work.photos = salt as usize + rectified.len();
    review_demo(store, batch, &clerk, city, &sheng, &land, &mut work)?;
    Ok(work)
}
