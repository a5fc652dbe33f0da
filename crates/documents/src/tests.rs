use super::*;
use weipian_domain::determination::Legality;
use weipian_domain::{PatchKind, RegionCode};
use weipian_reports::quick::{figures, figures_by_region, render, table, Subject, Template};
use weipian_reports::{CaseFact, PartFact, PatchFact, StatedAreas};

fn fixture() -> (Vec<PatchFact>, Vec<CaseFact>) {
    let county = RegionCode::parse("510104").unwrap();
    let patch = |jcbh: &str, m2: f64, legality: Option<Legality>| PatchFact {
        jcbh: jcbh.into(),
        county,
        kind: PatchKind::Land,
        area_m2: m2,
        gd_m2: m2 / 2.0,
        jbnt_m2: 0.0,
        parts: vec![PartFact {
            label: jcbh.into(),
            legality,
            complete: legality.is_some(),
            area_m2: m2,
            gd_m2: m2 / 2.0,
            jbnt_m2: 0.0,
            stated: StatedAreas {
                illegal_m2: m2,
                illegal_gd_m2: m2 / 2.0,
                new_construction_m2: m2,
                new_construction_gd_m2: m2 / 2.0,
                ..StatedAreas::default()
            },
            eliminated: false,
            ..PartFact::default()
        }],
    };
    let patches = vec![
        patch("510104TD2020A1", 12_345.0, Some(Legality::Illegal)),
        patch("510104TD2020A2<b>", 6_000.0, None),
    ];
    let cases = vec![CaseFact {
        number: "锦规罚〔2020〕7号".into(),
        county,
        kind: PatchKind::Land,
        filed: true,
        decided: false,
        closed: false,
        enforced: false,
        eliminated: false,
        area_m2: 12_345.0,
        gd_m2: 6_172.5,
        jbnt_m2: 0.0,
        detail: weipian_reports::CaseDetail::default(),
    }];
    (patches, cases)
}

fn doc(explain: bool) -> (QuickDoc, QuickTable) {
    let (p, c) = fixture();
    let t = Template::embedded(2020).unwrap();
    let subject = Subject::new(
        "锦江区",
        "四川省成都市锦江区",
        2020,
        1,
        time::macros::date!(2020 - 04 - 20),
    );
    let mut d = render(&t, &subject, &figures(&p, &c));
    if explain {
        d.explain(&p, &c);
    }
    let by = figures_by_region(&p, &c);
    let tab = table(&t, &[("510104".into(), "锦江区".into(), &by["510104"])]);
    (d, tab)
}

#[test]
fn markdown_and_html_carry_every_figure_and_escape_data() {
    let (d, _) = doc(true);
    let md = markdown(&d, true);
    assert!(md.starts_with("# 四川省成都市锦江区第一季度卫片执法工作情况快报\n"));
    assert!(
        md.contains("涉及监测土地面积**1.8345**公顷（**27.52**亩）"),
        "{md}"
    );
    assert!(md.contains("完成比例为**50.00**%"));
    assert!(md.contains("| 土地违法图斑 | `land.illegal` | 1 | 510104TD2020A1 |"));
    assert!(
        md.contains("510104TD2020A2\\<b\\>"),
        "markdown escapes data"
    );
    let page = html(&d, true);
    assert!(page.contains("<title>四川省成都市锦江区第一季度卫片执法工作情况快报</title>"));
    assert!(page.contains(
        "title=\"土地下发图斑监测面积（公顷）\" data-expr=\"land.issued.area:ha\">1.8345</span>"
    ));
    assert!(page.contains("510104TD2020A2&lt;b&gt;") && !page.contains("A2<b>"));
    assert!(!page.contains("<script"));
    assert!(page.contains("<p class=\"closing\">上报时间：2020年4月20日</p>"));
    // Without explanation, no appendix.
    let (plain, _) = doc(false);
    assert!(!markdown(&plain, false).contains("数据来源"));
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn the_docx_is_a_gongwen_page_with_the_text() {
    let (d, _) = doc(true);
    let bytes = docx(&d, true).unwrap();
    let xml = zip_entry(&bytes, "word/document.xml");
    for needle in [
        "卫片执法工作情况快报",
        "1.8345",
        "w:eastAsia=\"仿宋\"",
        "w:eastAsia=\"黑体\"",
        "w:eastAsia=\"楷体\"",
        "w:eastAsia=\"宋体\"",
        "附：数据来源",
        "510104TD2020A1",
    ] {
        assert!(xml.contains(needle), "document.xml lacks {needle}");
    }
    // A4 with the GB/T 9704 margins.
    assert!(xml.contains("w:w=\"11906\"") && xml.contains("w:h=\"16838\""));
    assert!(xml.contains("w:top=\"2098\""));
    // Page numbers in the footer.
    let footer = zip_entry(&bytes, "word/footer1.xml");
    assert!(footer.contains("PAGE"), "{footer}");
}

#[test]
fn the_workbook_has_the_text_the_tables_and_the_sources() {
    let (d, tab) = doc(true);
    let bytes = xlsx(&d, &tab, true).unwrap();
    let wb = zip_entry(&bytes, "xl/workbook.xml");
    for name in ["快报", "总体", "土地", "矿产", "数据来源"] {
        assert!(wb.contains(&format!("name=\"{name}\"")), "{wb}");
    }
    let strings = zip_entry(&bytes, "xl/sharedStrings.xml");
    assert!(strings.contains("土地下发图斑监测面积（公顷）"));
    assert!(strings.contains("锦规罚〔2020〕7号"));
    // Numbers are stored unrounded: 12 345 m² is 1.2345 + 0.6 = 1.8345 ha exactly.
    let land = zip_entry(&bytes, "xl/worksheets/sheet3.xml");
    assert!(land.contains("<v>1.8345</v>"), "{land}");
    assert!(land.contains("<v>27.5175"), "亩 kept unrounded: {land}");
}

/// LibreOffice opens the .docx and the figures are in its PDF text. Runs
/// when `soffice` and `pdftotext` are installed (CI installs them and sets
/// WEIPIAN_OFFICE_TESTS=1, which makes their absence a failure).
#[test]
fn libreoffice_converts_the_docx_and_the_figures_are_in_the_pdf() {
    // Installed = it can be started (pdftotext has no --version that exits 0).
    let have = |cmd: &str| std::process::Command::new(cmd).arg("-v").output().is_ok();
    if !(have("soffice") && have("pdftotext")) {
        assert!(
            std::env::var_os("WEIPIAN_OFFICE_TESTS").is_none(),
            "WEIPIAN_OFFICE_TESTS is set but soffice or pdftotext is missing"
        );
        eprintln!("skipped: soffice or pdftotext not installed");
        return;
    }
    let (d, _) = doc(false);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("快报.docx");
    std::fs::write(&path, docx(&d, false).unwrap()).unwrap();
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let out = std::process::Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "soffice: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = dir.path().join("快报.pdf");
    let txt = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(txt.status.success());
    let text = String::from_utf8_lossy(&txt.stdout).replace(char::is_whitespace, "");
    for needle in [
        "卫片执法工作情况快报",
        "1.8345",
        "27.52",
        "50.00",
        "上报时间：2020年4月20日",
    ] {
        assert!(text.contains(needle), "PDF text lacks {needle}: {text}");
    }
    // The 约谈名单 too.
    let a = assessed();
    let input = AccountabilityInput {
        year: 2020,
        assessments: &a,
        basis: "2020年度时点快照",
        date: time::macros::date!(2021 - 03 - 05),
        signals: &[],
    };
    let path = dir.path().join("约谈名单.docx");
    std::fs::write(&path, interview_docx(&input).unwrap()).unwrap();
    let out = std::process::Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let txt = std::process::Command::new("pdftotext")
        .arg(dir.path().join("约谈名单.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&txt.stdout).replace(char::is_whitespace, "");
    for needle in ["约谈名单", "锦江区", "120.00", "25.00"] {
        assert!(text.contains(needle), "PDF text lacks {needle}: {text}");
    }
}

fn assessed() -> weipian_reports::accountability::Assessments {
    use weipian_domain::units::M2_PER_MU;
    let county = |code: &str, gd_mu: f64| PatchFact {
        jcbh: format!("{code}TD2020X1"),
        county: RegionCode::parse(code).unwrap(),
        kind: PatchKind::Land,
        area_m2: gd_mu * M2_PER_MU,
        gd_m2: gd_mu * M2_PER_MU,
        jbnt_m2: 0.0,
        parts: vec![PartFact {
            label: format!("{code}TD2020X1"),
            legality: Some(Legality::Illegal),
            complete: true,
            area_m2: gd_mu * M2_PER_MU,
            gd_m2: gd_mu * M2_PER_MU,
            stated: StatedAreas {
                illegal_m2: gd_mu * M2_PER_MU,
                illegal_gd_m2: gd_mu * M2_PER_MU,
                new_construction_m2: 4.0 * gd_mu * M2_PER_MU,
                new_construction_gd_m2: 4.0 * gd_mu * M2_PER_MU,
                ..StatedAreas::default()
            },
            ..PartFact::default()
        }],
    };
    // 锦江区 25 %, 120 亩: accountable; 青羊区 25 %, 80 亩: not.
    let patches = vec![county("510104", 120.0), county("510105", 80.0)];
    weipian_reports::accountability::assess(
        &patches,
        weipian_domain::accountability::Policy::embedded(2020).unwrap(),
    )
}

#[test]
fn the_accountability_documents_name_the_accountable_regions() {
    let a = assessed();
    let signals = vec![(
        "青羊区（510105）".to_string(),
        "发现违法行为超过 60 日未立案".to_string(),
        vec!["青违〔2020〕3号".to_string()],
    )];
    let input = AccountabilityInput {
        year: 2020,
        assessments: &a,
        basis: "2020年度时点快照",
        date: time::macros::date!(2021 - 03 - 05),
        signals: &signals,
    };
    let interview = zip_entry(&interview_docx(&input).unwrap(), "word/document.xml");
    for needle in [
        "2020年度卫片执法违法占用耕地问题约谈名单",
        "锦江区（510104）",
        "120.00",
        "25.00",
        "1个县（市、区）",
        "2021年3月5日",
    ] {
        assert!(interview.contains(needle), "约谈名单 lacks {needle}");
    }
    assert!(!interview.contains("青羊区"), "not accountable, not listed");
    let proposal = zip_entry(&proposal_docx(&input).unwrap(), "word/document.xml");
    for needle in [
        "关于2020年度卫片执法问责的建议",
        "违反土地管理规定行为处分办法",
        "锦江区（510104）",
        "青违〔2020〕3号",
    ] {
        assert!(proposal.contains(needle), "问责建议 lacks {needle}");
    }
    let book = accountability_xlsx(&input, true).unwrap();
    let wb = zip_entry(&book, "xl/workbook.xml");
    for name in ["市级", "县级", "明细"] {
        assert!(wb.contains(&format!("name=\"{name}\"")), "{wb}");
    }
    let strings = zip_entry(&book, "xl/sharedStrings.xml");
    assert!(strings.contains("纳入问责范围") && strings.contains("510104TD2020X1"));
}

#[test]
fn the_results_come_with_every_indicator_per_region() {
    let (p, c) = fixture();
    let t = Template::embedded_kind(2020, weipian_reports::quick::Kind::Annual).unwrap();
    let subject = Subject::new(
        "锦江区",
        "四川省成都市锦江区",
        2020,
        4,
        time::macros::date!(2021 - 02 - 28),
    );
    let by = figures_by_region(&p, &c);
    let d = render(&t, &subject, &by["510104"]);
    let rows = vec![(
        "510104".to_string(),
        "锦江区".to_string(),
        by["510104"].clone(),
    )];
    let refs: Vec<(String, String, &weipian_reports::quick::Figures)> = rows
        .iter()
        .map(|(a, b, f)| (a.clone(), b.clone(), f))
        .collect();
    let tab = table(&t, &refs);
    let doc_xml = zip_entry(
        &results_docx(&d, &rows, false).unwrap(),
        "word/document.xml",
    );
    assert!(doc_xml.contains("附表：各行政区主要指标") && doc_xml.contains("锦江区（510104）"));
    assert!(doc_xml.contains("2020年度"));
    let book = results_xlsx(&d, &tab, &rows, false).unwrap();
    assert!(zip_entry(&book, "xl/workbook.xml").contains("name=\"全部指标\""));
    let strings = zip_entry(&book, "xl/sharedStrings.xml");
    assert!(
        strings.contains("土地违法图斑面积（公顷）"),
        "every statistic has its columns"
    );
}
