//! The accountability results as documents: the ranked list as a workbook
//! (one sheet per level, a column per step, and the parts behind every
//! amount), the 约谈 list for the government and the 问责建议 for the
//! discipline / personnel bodies as 公文 .docx. The wording is the year's
//! (`data/reports/YEAR.toml`, `[interview]` and `[proposal]`).

use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde::Deserialize;
use weipian_domain::units::mu;
use weipian_reports::accountability::{Assessment, Assessments};

use crate::docx::{base, blank_line, body, closing, pack, table, title};
use crate::DocumentError;

/// What the accountability documents are made from.
#[derive(Debug, Clone, Copy)]
pub struct AccountabilityInput<'a> {
    pub year: u16,
    pub assessments: &'a Assessments,
    /// Where the figures come from, in words.
    pub basis: &'a str,
    /// 上报时间.
    pub date: time::Date,
    /// Other accountability situations per region (point 5), in words.
    pub signals: &'a [(String, String, Vec<String>)],
}

#[derive(Debug, Deserialize)]
struct TextFile {
    interview: Texts,
    proposal: Texts,
}

#[derive(Debug, Deserialize)]
struct Texts {
    title: String,
    intro: String,
    closing: String,
    #[serde(default)]
    signals: Option<String>,
}

fn texts(year: u16) -> Result<TextFile, DocumentError> {
    let (_, text) = weipian_domain::templates::in_force(year).ok_or_else(|| {
        DocumentError::Template(format!("没有适用于 {year} 年的报表模板（data/reports/）"))
    })?;
    toml::from_str(text).map_err(|e| DocumentError::Template(e.to_string()))
}

fn fill(text: &str, input: &AccountabilityInput<'_>) -> String {
    let a = input.assessments;
    let count = |list: &[Assessment]| list.iter().filter(|x| x.accountable).count();
    let fmt = |x: f64| {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    text.replace("{year}", &input.year.to_string())
        .replace("{ratio}", &fmt(100.0 * a.lines.county_ratio))
        .replace("{city_mu}", &fmt(a.lines.city_mu))
        .replace("{county_mu}", &fmt(a.lines.county_mu))
        .replace("{basis}", input.basis)
        .replace("{cities}", &count(&a.cities).to_string())
        .replace("{counties}", &count(&a.counties).to_string())
        .replace(
            "{date}",
            &format!(
                "{}年{}月{}日",
                input.date.year(),
                u8::from(input.date.month()),
                input.date.day()
            ),
        )
}

fn level_zh(a: &Assessment) -> &'static str {
    match a.level {
        weipian_reports::accountability::Level::City => "市级",
        weipian_reports::accountability::Level::County => "县级",
    }
}

fn accountable_rows(input: &AccountabilityInput<'_>) -> Vec<Vec<String>> {
    let a = input.assessments;
    a.cities
        .iter()
        .chain(&a.counties)
        .filter(|x| x.accountable)
        .enumerate()
        .map(|(i, x)| {
            vec![
                (i + 1).to_string(),
                format!("{}（{}）", x.name, x.region),
                level_zh(x).to_string(),
                format!("{:.2}", x.area_mu),
                format!("{:.2}", mu(x.denominator_after_m2)),
                format!("{:.2}", x.ratio_percent),
            ]
        })
        .collect()
}

const HEADERS: [&str; 6] = [
    "序号",
    "行政区",
    "级别",
    "扣除后违法占用耕地（亩）",
    "新增建设用地占用耕地（亩）",
    "比例（%）",
];
const WIDTHS: [usize; 6] = [600, 2600, 800, 1700, 1700, 1300];

/// 约谈名单: the accountable cities and counties, for the government.
pub fn interview_docx(input: &AccountabilityInput<'_>) -> Result<Vec<u8>, DocumentError> {
    let t = texts(input.year)?.interview;
    let d = base()
        .add_paragraph(title(&fill(&t.title, input)))
        .add_paragraph(blank_line())
        .add_paragraph(body(&fill(&t.intro, input)))
        .add_table(table(&HEADERS, &accountable_rows(input), &WIDTHS))
        .add_paragraph(blank_line())
        .add_paragraph(closing(&fill(&t.closing, input)));
    pack(d)
}

/// 问责建议: the accountable regions and the other situations, for the
/// discipline inspection / personnel bodies.
pub fn proposal_docx(input: &AccountabilityInput<'_>) -> Result<Vec<u8>, DocumentError> {
    let t = texts(input.year)?.proposal;
    let mut d = base()
        .add_paragraph(title(&fill(&t.title, input)))
        .add_paragraph(blank_line())
        .add_paragraph(body(&fill(&t.intro, input)))
        .add_table(table(&HEADERS, &accountable_rows(input), &WIDTHS));
    if let (Some(intro), false) = (&t.signals, input.signals.is_empty()) {
        d = d
            .add_paragraph(blank_line())
            .add_paragraph(body(&fill(intro, input)));
        let rows: Vec<Vec<String>> = input
            .signals
            .iter()
            .enumerate()
            .map(|(i, (region, what, items))| {
                vec![
                    (i + 1).to_string(),
                    region.clone(),
                    what.clone(),
                    items.join("、"),
                ]
            })
            .collect();
        d = d.add_table(table(
            &["序号", "行政区", "情形", "违法行为或图斑"],
            &rows,
            &[600, 2200, 3000, 2900],
        ));
    }
    d = d
        .add_paragraph(blank_line())
        .add_paragraph(closing(&fill(&t.closing, input)));
    pack(d)
}

/// The ranked lists as a workbook: 市级 and 县级 sheets (one row per region,
/// every step's deductions, the verdict and why, the distance to the line,
/// 增违挂钩), and with `explain` 明细: every amount's parts.
pub fn accountability_xlsx(
    input: &AccountabilityInput<'_>,
    explain: bool,
) -> Result<Vec<u8>, DocumentError> {
    let mut wb = Workbook::new();
    let text = Format::new().set_font_name("宋体").set_font_size(11);
    let header = text.clone().set_bold().set_text_wrap();
    let num = text.clone().set_num_format("0.00");
    let a = input.assessments;
    for (name, list, line_ratio, line_mu) in [
        ("市级", &a.cities, a.lines.city_ratio, a.lines.city_mu),
        ("县级", &a.counties, a.lines.county_ratio, a.lines.county_mu),
    ] {
        let sheet = wb.add_worksheet().set_name(name)?;
        write_level(sheet, list, line_ratio, line_mu, &text, &header, &num)?;
    }
    if explain {
        let sheet = wb.add_worksheet().set_name("明细")?;
        for (c, h) in ["行政区代码", "行政区", "数额", "图斑（地块）"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(0, col(c)?, *h, &header)?;
        }
        sheet.set_column_width(1, 16)?;
        sheet.set_column_width(2, 40)?;
        sheet.set_column_width(3, 24)?;
        let mut r = 1u32;
        for x in a.cities.iter().chain(&a.counties) {
            let mut amounts = vec![
                ("违法占用耕地（扣除前）".to_string(), &x.numerator),
                ("新增建设用地占用耕地（扣除前）".to_string(), &x.denominator),
            ];
            for s in &x.steps {
                amounts.push((format!("{}：扣分子", s.name), &s.numerator));
                amounts.push((format!("{}：扣分母", s.name), &s.denominator));
            }
            amounts.push((
                "未消除违法状态的违法用地（增违挂钩）".to_string(),
                &x.unresolved,
            ));
            for (what, amount) in amounts {
                for item in &amount.items {
                    sheet.write_string_with_format(r, 0, &x.region, &text)?;
                    sheet.write_string_with_format(r, 1, &x.name, &text)?;
                    sheet.write_string_with_format(r, 2, &what, &text)?;
                    sheet.write_string_with_format(r, 3, item, &text)?;
                    r = r
                        .checked_add(1)
                        .ok_or(rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

fn col(i: usize) -> Result<u16, DocumentError> {
    u16::try_from(i).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError.into())
}

fn write_level(
    sheet: &mut Worksheet,
    list: &[Assessment],
    line_ratio: f64,
    line_mu: f64,
    text: &Format,
    header: &Format,
    num: &Format,
) -> Result<(), DocumentError> {
    let mut headers: Vec<String> = [
        "排名",
        "行政区代码",
        "行政区",
        "违法占用耕地（亩，扣除前）",
        "新增建设用地占用耕地（亩，扣除前）",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    if let Some(first) = list.first() {
        for s in &first.steps {
            headers.push(format!("{}：扣分子（亩）", s.name));
            headers.push(format!("{}：扣分母（亩）", s.name));
        }
    }
    headers.extend(
        [
            "违法占用耕地（亩，扣除后）",
            "新增建设用地占用耕地（亩，扣除后）",
            "比例（%）",
            "比例线（%）",
            "面积线（亩）",
            "纳入问责",
            "预警",
            "国家级深度贫困地区",
            "说明",
            "降至问责线以下至少须再整改（亩）",
            "未消除违法状态的违法用地（亩）",
            "增违挂钩扣减新增建设用地指标（亩）",
        ]
        .iter()
        .map(ToString::to_string),
    );
    sheet.set_row_height(0, 48)?;
    for (c, h) in headers.iter().enumerate() {
        sheet.set_column_width(col(c)?, 14)?;
        sheet.write_string_with_format(0, col(c)?, h, header)?;
    }
    sheet.set_column_width(2, 18)?;
    for (i, x) in list.iter().enumerate() {
        let r =
            u32::try_from(i + 1).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
        let mut c = 0usize;
        let put_num = |sheet: &mut Worksheet, c: &mut usize, v: f64| -> Result<(), DocumentError> {
            sheet.write_number_with_format(r, col(*c)?, v, num)?;
            *c += 1;
            Ok(())
        };
        sheet.write_number(r, col(c)?, f64::from(r))?;
        c += 1;
        sheet.write_string_with_format(r, col(c)?, &x.region, text)?;
        c += 1;
        sheet.write_string_with_format(r, col(c)?, &x.name, text)?;
        c += 1;
        put_num(sheet, &mut c, x.numerator.mu())?;
        put_num(sheet, &mut c, x.denominator.mu())?;
        for s in &x.steps {
            put_num(sheet, &mut c, s.numerator.mu())?;
            put_num(sheet, &mut c, s.denominator.mu())?;
        }
        put_num(sheet, &mut c, x.area_mu)?;
        put_num(sheet, &mut c, mu(x.denominator_after_m2))?;
        put_num(sheet, &mut c, x.ratio_percent)?;
        put_num(sheet, &mut c, 100.0 * line_ratio)?;
        put_num(sheet, &mut c, line_mu)?;
        for flag in [x.accountable, x.warning, x.exempt] {
            sheet.write_string_with_format(r, col(c)?, if flag { "是" } else { "否" }, text)?;
            c += 1;
        }
        sheet.write_string_with_format(r, col(c)?, &x.reason, text)?;
        c += 1;
        match &x.to_fall_below {
            Some(t) => put_num(sheet, &mut c, t.least_mu)?,
            None => c += 1,
        }
        put_num(sheet, &mut c, x.unresolved.mu())?;
        put_num(sheet, &mut c, mu(x.quota_cut_m2))?;
    }
    sheet.set_freeze_panes(1, 3)?;
    Ok(())
}

/// The blacklist as a workbook: one row per party, with its cases and why.
pub fn blacklist_xlsx(
    year: u16,
    entries: &[weipian_reports::enforcement::BlacklistEntry],
) -> Result<Vec<u8>, DocumentError> {
    let mut wb = Workbook::new();
    let text = Format::new().set_font_name("宋体").set_font_size(11);
    let header = text.clone().set_bold().set_text_wrap();
    let num = text.clone().set_num_format("0.00");
    let sheet = wb.add_worksheet().set_name(format!("{year}年度黑名单"))?;
    let headers = [
        "序号",
        "类别",
        "名称",
        "所在县（市、区）",
        "违法行为（件）",
        "违法行为编号",
        "违法用地（亩）",
        "其中耕地（亩）",
        "处理决定未落实到位",
        "列入理由",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.set_column_width(col(c)?, if c == 9 || c == 5 { 40 } else { 14 })?;
        sheet.write_string_with_format(0, col(c)?, *h, &header)?;
    }
    for (i, e) in entries.iter().enumerate() {
        let r =
            u32::try_from(i + 1).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
        sheet.write_number(r, 0, f64::from(r))?;
        let kind = match e.kind {
            weipian_domain::case::PartyKind::Unit => "单位",
            weipian_domain::case::PartyKind::Person => "个人",
            weipian_domain::case::PartyKind::Government => "政府或部门",
        };
        sheet.write_string_with_format(r, 1, kind, &text)?;
        sheet.write_string_with_format(r, 2, &e.name, &text)?;
        sheet.write_string_with_format(r, 3, e.counties.join("、"), &text)?;
        #[allow(clippy::cast_precision_loss)] // case counts are small
        sheet.write_number(r, 4, e.cases.len() as f64)?;
        sheet.write_string_with_format(r, 5, e.cases.join("、"), &text)?;
        sheet.write_number_with_format(r, 6, mu(e.area_m2), &num)?;
        sheet.write_number_with_format(r, 7, mu(e.gd_m2), &num)?;
        sheet.write_string_with_format(r, 8, e.unenforced.join("、"), &text)?;
        sheet.write_string_with_format(r, 9, e.reasons.join("；"), &text)?;
    }
    sheet.set_freeze_panes(1, 3)?;
    Ok(wb.save_to_buffer()?)
}

/// The signals as the 问责建议 lists them: (region, situation, items).
#[must_use]
pub fn signal_rows(
    signals: &[weipian_reports::enforcement::RegionSignals],
    policy: &weipian_domain::accountability::Policy,
) -> Vec<(String, String, Vec<String>)> {
    signals
        .iter()
        .flat_map(|s| {
            s.lines(policy)
                .into_iter()
                .map(move |(what, items)| (format!("{}（{}）", s.name, s.region), what, items))
        })
        .collect()
}
