//! The 2020 template filled from a small fixture whose every figure was
//! worked out by hand (comments give the sums).

use super::*;
use crate::{PartFact, StatedAreas};
use weipian_domain::determination::Legality::{self, *};

fn rc(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

struct P {
    label: &'static str,
    legality: Option<Legality>,
    complete: bool,
    m2: [f64; 3],
    stated: [f64; 5],
    eliminated: bool,
}

fn part(p: P) -> PartFact {
    PartFact {
        label: p.label.into(),
        legality: p.legality,
        complete: p.complete,
        area_m2: p.m2[0],
        gd_m2: p.m2[1],
        jbnt_m2: p.m2[2],
        stated: StatedAreas {
            illegal_m2: p.stated[0],
            illegal_gd_m2: p.stated[1],
            illegal_jbnt_m2: p.stated[2],
            new_construction_m2: p.stated[3],
            new_construction_gd_m2: p.stated[4],
        },
        eliminated: p.eliminated,
        ..PartFact::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn whole(
    jcbh: &'static str,
    county: &str,
    kind: PatchKind,
    m2: [f64; 3],
    legality: Option<Legality>,
    complete: bool,
    stated: [f64; 5],
    eliminated: bool,
) -> PatchFact {
    PatchFact {
        jcbh: jcbh.into(),
        county: rc(county),
        kind,
        area_m2: m2[0],
        gd_m2: m2[1],
        jbnt_m2: m2[2],
        parts: vec![part(P {
            label: jcbh,
            legality,
            complete,
            m2,
            stated,
            eliminated,
        })],
    }
}

const NONE: [f64; 5] = [0.0; 5];

/// 成都市: two counties, seven land and three mineral patches, six cases.
fn patches() -> Vec<PatchFact> {
    use PatchKind::{Land, Mineral};
    vec![
        // Illegal, its case C1 eliminated the illegal state.
        whole(
            "L1",
            "510104",
            Land,
            [6000.0, 3000.0, 1500.0],
            Some(Illegal),
            true,
            [6000.0, 3000.0, 1500.0, 6000.0, 3000.0],
            true,
        ),
        // Illegal, states less than monitored; case C2 not eliminated.
        whole(
            "L2",
            "510104",
            Land,
            [4000.0, 2000.0, 0.0],
            Some(Illegal),
            true,
            [3000.0, 1500.0, 0.0, 3000.0, 1500.0],
            false,
        ),
        // Legal new construction (先批后建): the service filled the figures.
        whole(
            "L3",
            "510105",
            Land,
            [10000.0, 1000.0, 500.0],
            Some(Legal),
            true,
            [0.0, 0.0, 0.0, 10000.0, 1000.0],
            false,
        ),
        whole(
            "L4",
            "510105",
            Land,
            [2000.0, 0.0, 0.0],
            Some(Other),
            true,
            NONE,
            false,
        ),
        // Determined illegal, answer incomplete: checked, not verified.
        whole(
            "L5",
            "510105",
            Land,
            [3000.0, 600.0, 300.0],
            Some(Illegal),
            false,
            [2000.0, 600.0, 300.0, 2000.0, 600.0],
            false,
        ),
        // Not answered.
        whole(
            "L6",
            "510104",
            Land,
            [1000.0, 100.0, 0.0],
            None,
            false,
            NONE,
            false,
        ),
        // Split into an illegal 地块 (case C4) and a legal one (设施农用地).
        PatchFact {
            jcbh: "L7".into(),
            county: rc("510105"),
            kind: Land,
            area_m2: 5000.0,
            gd_m2: 2500.0,
            jbnt_m2: 1000.0,
            parts: vec![
                part(P {
                    label: "L7-1",
                    legality: Some(Illegal),
                    complete: true,
                    m2: [3000.0, 2000.0, 1000.0],
                    stated: [3000.0, 2000.0, 1000.0, 3000.0, 2000.0],
                    eliminated: false,
                }),
                part(P {
                    label: "L7-2",
                    legality: Some(Legal),
                    complete: true,
                    m2: [2000.0, 500.0, 0.0],
                    stated: NONE,
                    eliminated: false,
                }),
            ],
        },
        whole(
            "M1",
            "510104",
            Mineral,
            [8000.0, 0.0, 0.0],
            Some(Illegal),
            true,
            NONE,
            false,
        ),
        whole(
            "M2",
            "510105",
            Mineral,
            [5000.0, 0.0, 0.0],
            Some(FalseChange),
            true,
            NONE,
            false,
        ),
        whole(
            "M3",
            "510105",
            Mineral,
            [2000.0, 0.0, 0.0],
            None,
            false,
            NONE,
            false,
        ),
    ]
}

fn case(n: &str, county: &str, kind: PatchKind, stages: [bool; 5], m2: [f64; 3]) -> CaseFact {
    CaseFact {
        number: n.into(),
        county: rc(county),
        kind,
        filed: stages[0],
        decided: stages[1],
        closed: stages[2],
        enforced: stages[3],
        eliminated: stages[4],
        area_m2: m2[0],
        gd_m2: m2[1],
        jbnt_m2: m2[2],
        detail: crate::CaseDetail::default(),
    }
}

fn cases() -> Vec<CaseFact> {
    use PatchKind::{Land, Mineral};
    let (t, f) = (true, false);
    vec![
        case(
            "C1",
            "510104",
            Land,
            [t, t, t, t, t],
            [6000.0, 3000.0, 1500.0],
        ),
        case("C2", "510104", Land, [t, t, f, f, f], [3000.0, 1500.0, 0.0]),
        case(
            "C3",
            "510105",
            Land,
            [f, f, f, f, f],
            [2000.0, 600.0, 300.0],
        ),
        case(
            "C4",
            "510105",
            Land,
            [t, f, f, f, f],
            [3000.0, 2000.0, 1000.0],
        ),
        case("C5", "510104", Mineral, [t, t, f, t, f], [0.0; 3]),
        case("C6", "510105", Mineral, [f, f, f, f, t], [0.0; 3]),
    ]
}

/// Every blank of the 2020 template, computed by hand:
/// - all: issued 7 + 3 = 10; verified L1 L2 L3 L4 L7 M1 M2 = 7 (70.00%);
///   cases 6, filed C1 C2 C4 C5 = 4, decided C1 C2 C5 = 3, closed C1 = 1,
///   enforced C1 C5 = 2, eliminated C1 C6 = 2.
/// - land issued 7: 31 000 m² = 3.1000 ha = 46.50 亩; 耕地 9 200 m²
///   (0.9200 ha, 13.80 亩); 基本农田 3 300 m² (0.3300 ha, 4.95 亩).
/// - checked 6 (L5 determined, incomplete); verified 5: 27 000 / 8 500 /
///   3 000 m²; shares 5/7 = 71.43, 27/31 = 87.10, 85/92 = 92.39, 30/33 = 90.91.
/// - illegal L1 L2 L7-1: 13 000 / 7 000 / 2 500; legal L3 L7-2: 12 000 /
///   1 500 / 500; other L4: 2 000 / 0 / 0.
/// - land cases 4: filed 3 (75.00), decided 2 (66.67 of filed), closed 1
///   (33.33), enforced 1 (33.33); found areas 14 000 / 7 100 / 2 800;
///   eliminated C1 6 000 / 3 000 / 1 500 → 25.00, 42.86, 42.25, 53.57;
///   unfiled C3 2 000 / 600 / 300 → 25.00, 14.29, 8.45, 10.71.
/// - remaining L2 + L7-1 = 6 000 / 3 500; new construction L1 L2 L3 L7-1 =
///   22 000 / 7 500 → 27.27 and 46.67.
/// - mineral: issued 3, verified 2 (66.67), illegal 1 (50.00 of verified);
///   cases 2, filed 1 (50.00), decided 1 (100.00), closed 0 (0.00), enforced
///   1 (100.00), eliminated 1 (50.00), unfiled 0 (0.00).
const EXPECTED: &str = "\
四川省成都市第一季度
卫片执法工作情况快报
2020年第一季度，部共下发我成都市卫片执法图斑10个。截至目前，已完成实地核实和图斑填报7个，完成比例为70.00%。下发图斑中，共发现违法行为6件，已经立案查处4件，作出行政处罚（处理）3件，结案1件，行政处罚（处理）落实到位2件，经整改后消除违法状态2件。现将具体情况报告如下：
一、土地卫片执法情况
（一）图斑下发及核实情况
部共下发我成都市土地卫片执法图斑7个，涉及监测土地面积3.1000公顷（46.50亩），其中耕地面积0.9200公顷（13.80亩），永久基本农田面积0.3300公顷（4.95亩）。截至目前，已完成核实6和填报5个，涉及监测土地面积2.7000公顷（40.50亩），其中耕地面积0.8500公顷（12.75亩），永久基本农田面积0.3000公顷（4.50亩），分别占下发个数、面积、耕地面积、永久基本农田面积的71.43%、87.10%、92.39%、90.91%。
已完成实地核实图斑中，违法图斑3个，涉及监测土地面积1.3000公顷（19.50亩），其中耕地面积0.7000公顷（10.50亩），永久基本农田面积0.2500公顷（3.75亩）；合法图斑2个，涉及监测土地面积1.2000公顷（18.00亩），其中耕地面积0.1500公顷（2.25亩），永久基本农田面积0.0500公顷（0.75亩）；其他图斑1个，涉及监测土地面积0.2000公顷（3.00亩），其中耕地面积0.0000公顷（0.00亩），永久基本农田面积0.0000公顷（0.00亩）。
（二）查处整改情况
截至目前，2020年第一季度卫片执法共发现土地违法行为4件，已经立案查处3件，占本季度卫片违法总件数的75.00%；作出行政处罚（处理）2件，占案查处件数的66.67%；结案1件，占立案查处件数的33.33%；行政处罚（处理）已落实到位1件，占立案查处件数的33.33%。
经整改后消除违法状态1件，涉及土地面积0.6000公顷（9.00亩），其中耕地面积0.3000公顷（4.50亩），永久基本农田面积0.1500公顷（2.25亩），分别占违法用地总件数、总面积、总耕地面积、总基本农田面积的25.00%、42.86%、42.25%、53.57%。
本季度卫片执法中尚未消除违法状况，又未立案查处的土地违法行为有1件，涉及土地面积0.2000公顷（3.00亩），其中耕地面积0.0600公顷（0.90亩），永久基本农田面积0.0300公顷（0.45亩），分别占违法用地总件数、总面积、总耕地面积、总基本农田面积25.00%、14.29%、8.45%、10.71%。
扣除已经整改落实到位、消除违法状态的土地违法行为占用的土地面积、耕地面积后，我市违法用地面积占新增建设用地总面积、违法占用耕地面积占新增建设用地占用耕地总面积的比例分别为27.27%、46.67%。
二、矿产卫片执法情况
（一）图斑下发及核实基本情况
部共下发我成都市矿产卫片执法图斑3个。截至目前，已完成实地核实和填报2个，完成比例为66.67%。其中，违法图斑1个，占50.00%。
（二）查处整改情况
截至目前，2020年第一季度卫片执法共发现矿产违法行为2件，已经立案查处1件，占违法总件数的50.00%；作出行政处罚（处理）1件，占立案查处件数的100.00%；结案0件，占立案查处件数的0.00%；行政处罚（处理）已落实到位1件，占立案查处件数的100.00%。
经整改后消除违法状态1件，占矿产违法总件数的50.00%。
本季度卫片执法中尚未消除违法状态，又未立案查处的矿产违法行为仍有0件，占矿产违法总件数的0.00%。
上报时间：2020年4月28日
";

#[test]
fn every_blank_of_the_2020_template_matches_the_hand_computed_figure() {
    let t = Template::embedded(2020).unwrap();
    let f = figures(&patches(), &cases());
    let doc = render(
        &t,
        &Subject::new(
            "成都市",
            "四川省成都市",
            2020,
            1,
            time::macros::date!(2020 - 04 - 28),
        ),
        &f,
    );
    let text = doc.text();
    for (got, want) in text.lines().zip(EXPECTED.lines()) {
        assert_eq!(got, want);
    }
    assert_eq!(text, EXPECTED);
    assert_eq!(doc.title(), "四川省成都市第一季度卫片执法工作情况快报");
    // The seed's 108 blanks after the title: 6 name / quarter blanks, 3 of
    // the date, 99 figures; plus the count the seed left out before
    // “经整改后消除违法状态件”.
    assert_eq!(doc.blanks.len(), 99 + 1);
    assert!(doc.blanks.iter().all(|b| !b.text.is_empty()));
}

#[test]
fn each_blank_lists_the_patches_or_cases_behind_it() {
    let t = Template::embedded(2020).unwrap();
    let (p, c) = (patches(), cases());
    let mut doc = render(
        &t,
        &Subject::new(
            "成都市",
            "四川省成都市",
            2020,
            1,
            time::macros::date!(2020 - 04 - 28),
        ),
        &figures(&p, &c),
    );
    doc.explain(&p, &c);
    let blank = |expr: &str| doc.blanks.iter().find(|b| b.expr == expr).unwrap();
    assert_eq!(blank("land.illegal").items, ["L1", "L2", "L7-1"]);
    assert_eq!(
        blank("land.checked").items,
        ["L1", "L2", "L3", "L4", "L5", "L7"]
    );
    let share = blank("land.remaining.area/land.new_construction.area");
    assert_eq!(share.items, ["L2", "L7-1"]);
    assert_eq!(share.of_items, ["L1", "L2", "L3", "L7-1"]);
    assert_eq!(
        share.label,
        "土地扣除消除违法状态后的违法用地面积占土地新增建设用地面积的比例（%）"
    );
    assert_eq!(blank("all.filed").items, ["C1", "C2", "C4", "C5"]);
    assert_eq!(blank("land.unfiled").items, ["C3"]);
    assert_eq!(
        blank("mineral.eliminated/mineral.found").of_items,
        ["C5", "C6"]
    );
    // Unrounded values travel with the printed ones.
    let ha = blank("land.issued.area:ha");
    assert_eq!((ha.value, ha.text.as_str()), (3.1, "3.1000"));
}

#[test]
fn counties_roll_up_to_their_city_province_and_the_nation() {
    let (mut p, c) = (patches(), cases());
    p.push(whole(
        "X1",
        "510301",
        PatchKind::Land,
        [700.0, 70.0, 0.0],
        Some(Illegal),
        true,
        [700.0, 70.0, 0.0, 700.0, 70.0],
        false,
    ));
    let by = figures_by_region(&p, &c);
    let stat = |s: &str| Stat::parse(s).unwrap();
    let chengdu = &by["510100"];
    assert_eq!(chengdu, &figures(&p[..p.len() - 1], &c));
    let mut sum = by["510104"].clone();
    sum.merge(&by["510105"]);
    assert_eq!(&sum, chengdu);
    assert_eq!(by["510000"].get(stat("land.issued")).count, 8);
    assert_eq!(by["000000"].get(stat("all.issued")).count, 11);
    assert_eq!(by["510301"].get(stat("land.remaining")).area_m2, 700.0);
    assert_eq!(by.len(), 3 + 2 + 1 + 1);
}

#[test]
fn bad_blanks_are_refused_when_the_template_is_read() {
    let e = |text: &str| Template::parse(2020, text).unwrap_err().to_string();
    assert!(e("a\n部下发{land.isued}个").contains("第 2 行：没有统计项“land.isued”"));
    assert!(e("{land.issued.area}").contains("面积须注明单位"));
    assert!(e("{land.issued.area:km}").contains("ha 或 mu"));
    assert!(e("{land.issued:ha}").contains("个数不带面积单位"));
    assert!(e("{land.issued/land.issued.area}").contains("个数不能与面积相除"));
    assert!(e("{land.issued").contains("没有对应"));
    assert!(e("x}").contains("多余"));
    assert!(e("\n\n").contains("模板为空"));
}

#[test]
fn every_embedded_template_parses() {
    for year in [2020u16, 2021, 2030] {
        let (_, text) = weipian_domain::templates::in_force(year).unwrap();
        for kind in [Kind::Quick, Kind::HalfYear, Kind::Annual] {
            Template::from_toml_kind(text, kind).unwrap_or_else(|e| panic!("{year} {kind:?}: {e}"));
        }
    }
}

/// Annual results: what was eliminated by the cut-off is not illegal any
/// more — its parts and cases leave the illegal figures for `resolved`.
#[test]
fn the_annual_rule_moves_what_was_eliminated_by_the_cut_off_out_of_the_illegal_figures() {
    use crate::PartCase;
    let (mut p, mut c) = (patches(), cases());
    // L1's case C1 eliminated the illegal state on 2020-12-20; C4 (L7-1) on 2021-01-05.
    let eliminated = |day| PartCase {
        number: String::new(),
        eliminated_on: Some(day),
        rectifications: Vec::new(),
    };
    p[0].parts[0].case = Some(eliminated(time::macros::date!(2020 - 12 - 20)));
    p[6].parts[0].case = Some(eliminated(time::macros::date!(2021 - 01 - 05)));
    c[0].detail.eliminated_on = Some(time::macros::date!(2020 - 12 - 20));
    c[3].detail.eliminated_on = Some(time::macros::date!(2021 - 01 - 05));
    let rules = Rules {
        eliminated_by: Some(time::macros::date!(2020 - 12 - 31)),
    };
    let f = figures_with(&p, &c, rules);
    let get = |s: &str| f.get(Stat::parse(s).unwrap());
    assert_eq!(get("land.illegal").count, 2); // L2, L7-1 (after the cut-off: still illegal)
    assert_eq!(get("land.resolved").count, 1);
    assert_eq!(get("land.resolved").area_m2, 6000.0);
    assert_eq!(get("land.found").count, 3); // C2, C3, C4
    assert_eq!(get("land.resolved_cases").count, 1);
    assert_eq!(
        members_with(&p, &c, Stat::parse("land.resolved").unwrap(), rules),
        ["L1"]
    );
    assert_eq!(
        members_with(&p, &c, Stat::parse("all.resolved_cases").unwrap(), rules),
        ["C1"]
    );
    // Quarterly counting ignores the rule.
    assert_eq!(
        figures(&p, &c)
            .get(Stat::parse("land.illegal").unwrap())
            .count,
        3
    );
    // The annual text says so.
    let t = Template::embedded_kind(2020, Kind::Annual).unwrap();
    let doc = render(
        &t,
        &Subject::new(
            "成都市",
            "四川省成都市",
            2020,
            4,
            time::macros::date!(2021 - 02 - 28),
        ),
        &f,
    );
    let text = doc.text();
    assert!(
        text.starts_with("四川省成都市2020年度\n卫片执法工作情况报告\n"),
        "{text}"
    );
    assert!(text.contains("1件违法行为（涉及图斑、地块1个，土地面积0.6000公顷）已在此前消除违法状态，不再作为违法统计"), "{text}");
}

#[test]
fn the_table_lays_each_blank_out_per_region() {
    let t = Template::embedded(2020).unwrap();
    let (p, c) = (patches(), cases());
    let by = figures_by_region(&p, &c);
    let rows = vec![
        ("510104".to_string(), "锦江区".to_string(), &by["510104"]),
        ("510105".to_string(), "青羊区".to_string(), &by["510105"]),
        ("510100".to_string(), "合计".to_string(), &by["510100"]),
    ];
    let tab = table(&t, &rows);
    assert_eq!(tab.columns.len(), t.blanks().len());
    let col = tab
        .columns
        .iter()
        .position(|c| c.expr == "land.issued")
        .unwrap();
    assert_eq!(tab.columns[col].label, "土地下发图斑个数");
    assert_eq!(tab.columns[col].range, Range::Land);
    let v: Vec<f64> = tab.rows.iter().map(|r| r.values[col]).collect();
    assert_eq!(v, [3.0, 4.0, 7.0]);
}
