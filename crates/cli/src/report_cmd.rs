//! `weipian report`: statistics over the region tree.

use std::path::Path;

use anyhow::{bail, Result};
use clap::Subcommand;
use serde_json::json;
use weipian_documents::Format;
use weipian_domain::units;
use weipian_reports::{Level, Tally};
use weipian_service::stats::{stats, StatsRequest};

use crate::{acting, open_store, resolve_batch};

#[derive(Subcommand, Debug)]
pub(crate) enum ReportCommand {
    /// 季度卫片执法工作情况快报（按部模板逐句生成）：docx、md、html 或 xlsx
    Quick(QuickArgs),
    /// 半年度、年度卫片执法成果报告（省级报部），附各下级行政区全部指标
    Results(ResultsArgs),
    /// 违法行为（件）按查处阶段统计：发现、立案、作出处罚（处理）、结案、落实到位、消除违法状态
    Cases {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long, default_value = "county")]
        level: String,
        #[arg(long)]
        snapshot: Option<i64>,
        /// 按该日日终的数据统计（YYYY-MM-DD）
        #[arg(long)]
        as_of: Option<String>,
        /// 列出每个数字背后的违法行为编号
        #[arg(long)]
        explain: bool,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 统计：下发、已核实填报、合法/违法/其他（伪变化）的个数与面积，按行政区汇总
    Stats {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 汇总层级：county、city、province、national
        #[arg(long, default_value = "county")]
        level: String,
        /// 按该时点快照统计（默认按当前数据）
        #[arg(long)]
        snapshot: Option<i64>,
        /// 按该日日终的数据统计（YYYY-MM-DD）
        #[arg(long)]
        as_of: Option<String>,
        /// 列出每个数字背后的图斑
        #[arg(long)]
        explain: bool,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

fn line(name: &str, t: &Tally, explain: bool) -> String {
    let mut s = format!(
        "{name} {} 个，{} 公顷（{} 亩），其中耕地 {} 公顷、永久基本农田 {} 公顷",
        t.count,
        units::format_hectares(t.area_m2),
        units::format_mu(t.area_m2),
        units::format_hectares(t.gd_m2),
        units::format_hectares(t.jbnt_m2)
    );
    if explain && !t.items.is_empty() {
        s.push_str(&format!("\n      图斑：{}", t.items.join("、")));
    }
    s
}

fn level_of(text: &str) -> Result<Level> {
    match Level::parse(text) {
        Some(l) => Ok(l),
        None => bail!("汇总层级“{text}”应为 county、city、province 或 national"),
    }
}

fn case_line(name: &str, t: &Tally, explain: bool) -> String {
    let mut s = format!(
        "{name} {} 件，涉及 {} 公顷（{} 亩），其中耕地 {} 公顷、永久基本农田 {} 公顷",
        t.count,
        units::format_hectares(t.area_m2),
        units::format_mu(t.area_m2),
        units::format_hectares(t.gd_m2),
        units::format_hectares(t.jbnt_m2)
    );
    if explain && !t.items.is_empty() {
        s.push_str(&format!("\n      违法行为：{}", t.items.join("、")));
    }
    s
}

/// What every period report takes.
#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// 省、市或县的行政区代码
    #[arg(long)]
    region: String,
    #[arg(long)]
    year: u16,
    /// docx、md、html 或 xlsx（默认按 --out 的扩展名，否则 md）
    #[arg(long)]
    format: Option<String>,
    /// 输出文件（docx、xlsx 必须指定；md、html 不指定时打印）
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// 时点已过也按当前数据统计（默认按时点快照）
    #[arg(long)]
    current: bool,
    /// 列出每个数字背后的图斑或违法行为
    #[arg(long)]
    explain: bool,
    /// 以此日期为“今天”（默认北京时间今天）
    #[arg(long)]
    today: Option<String>,
    /// 按该日日终的数据统计（YYYY-MM-DD），不用时点快照
    #[arg(long)]
    as_of: Option<String>,
    #[arg(long = "as")]
    as_user: Option<String>,
}

/// The parsed common arguments: store, caller, region, format, days.
struct Prepared {
    store: weipian_store::Store,
    who: weipian_domain::access::Actor,
    region: weipian_domain::RegionCode,
    format: Format,
    today: time::Date,
    as_of: Option<time::Date>,
}

impl ReportArgs {
    fn prepare(&self, data: &Path) -> Result<Prepared> {
        let store = open_store(data)?;
        let who = acting(&store, self.as_user.as_deref())?;
        let region = weipian_domain::RegionCode::parse(&self.region)
            .map_err(|e| anyhow::anyhow!("--region：{e}"))?;
        Ok(Prepared {
            store,
            who,
            region,
            format: output_format(self.format.as_ref(), self.out.as_ref())?,
            today: crate::schedule_cmd::today(self.today.as_deref())?,
            as_of: self
                .as_of
                .as_deref()
                .map(crate::schedule_cmd::date)
                .transpose()?,
        })
    }
}

#[derive(clap::Args, Debug)]
pub(crate) struct QuickArgs {
    /// 季度：1–4（按工作时间安排中报送快报的季度）
    #[arg(long)]
    quarter: u8,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ResultsArgs {
    /// h1（上半年）或 annual（年度）
    #[arg(long)]
    period: String,
    #[command(flatten)]
    report: ReportArgs,
}

fn output_format(format: Option<&String>, out: Option<&std::path::PathBuf>) -> Result<Format> {
    let format = match (format, out) {
        (Some(f), _) => Format::parse(f)
            .ok_or_else(|| anyhow::anyhow!("--format “{f}” 应为 docx、md、html 或 xlsx"))?,
        (None, Some(p)) => p
            .extension()
            .and_then(|e| e.to_str())
            .and_then(Format::parse)
            .unwrap_or(Format::Markdown),
        (None, None) => Format::Markdown,
    };
    if out.is_none() && matches!(format, Format::Docx | Format::Xlsx) {
        bail!("{} 格式须用 --out 指定输出文件", format.extension());
    }
    Ok(format)
}

fn emit(
    json: bool,
    out: Option<&std::path::PathBuf>,
    report: &weipian_service::quick::QuickReport,
    bytes: &[u8],
) -> Result<()> {
    match out {
        Some(path) => {
            weipian_formats::write_file(path, bytes)?;
            if json {
                println!(
                    "{}",
                    json!({ "ok": true, "out": path, "basis": report.basis, "snapshot": report.snapshot,
                            "title": report.doc.title(), "blanks": report.doc.blanks })
                );
            } else {
                eprintln!("{}（{}）", report.doc.title(), report.basis);
                eprintln!("已写入 {}", path.display());
            }
        }
        None if json => println!(
            "{}",
            json!({ "ok": true, "basis": report.basis, "report": report })
        ),
        None => {
            eprintln!("（{}）", report.basis);
            print!("{}", String::from_utf8_lossy(bytes));
        }
    }
    Ok(())
}

fn results_cmd(data: &Path, json: bool, args: ResultsArgs) -> Result<()> {
    let Some(period) = weipian_service::quick::Period::parse(&args.period) else {
        bail!(
            "--period “{}” 应为 h1（上半年）或 annual（年度）",
            args.period
        );
    };
    let a = &args.report;
    let mut p = a.prepare(data)?;
    let report = weipian_service::quick::results(
        &mut p.store,
        &p.who,
        &weipian_service::quick::ResultsRequest {
            year: a.year,
            period,
            region: p.region,
            current: a.current,
            explain: a.explain,
            today: p.today,
            as_of: p.as_of,
        },
    )?;
    let bytes = weipian_documents::results(
        &report.doc,
        &report.table,
        &report.figures,
        p.format,
        a.explain,
    )?;
    emit(json, a.out.as_ref(), &report, &bytes)
}

fn quick_cmd(data: &Path, json: bool, args: QuickArgs) -> Result<()> {
    let a = &args.report;
    let mut p = a.prepare(data)?;
    let report = weipian_service::quick::quick(
        &mut p.store,
        &p.who,
        &weipian_service::quick::QuickRequest {
            year: a.year,
            quarter: args.quarter,
            region: p.region,
            current: a.current,
            explain: a.explain,
            today: p.today,
            as_of: p.as_of,
        },
    )?;
    let bytes = weipian_documents::quick(&report.doc, &report.table, p.format, a.explain)?;
    emit(json, a.out.as_ref(), &report, &bytes)
}

pub(crate) fn run(data: &Path, json: bool, cmd: ReportCommand) -> Result<()> {
    let cmd = match cmd {
        ReportCommand::Quick(args) => return quick_cmd(data, json, args),
        ReportCommand::Results(args) => return results_cmd(data, json, args),
        other => other,
    };
    let store = open_store(data)?;
    match cmd {
        ReportCommand::Quick(_) | ReportCommand::Results(_) => Ok(()), // handled above
        ReportCommand::Cases {
            batch,
            year,
            level,
            snapshot,
            as_of,
            explain,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            let req = StatsRequest {
                batch,
                level: level_of(&level)?,
                snapshot,
                as_of: as_of
                    .as_deref()
                    .map(crate::schedule_cmd::date)
                    .transpose()?,
            };
            let list = weipian_service::stats::case_stats(&store, &who, &req)?;
            if json {
                println!("{}", json!({ "ok": true, "regions": list }));
                return Ok(());
            }
            for s in &list {
                let kind = if s.kind == "mineral" {
                    "矿产"
                } else {
                    "土地"
                };
                println!("{}（{kind}）", s.region);
                println!("  {}", case_line("发现违法行为", &s.found, explain));
                println!("  {}", case_line("立案查处", &s.filed, explain));
                println!(
                    "  {}",
                    case_line("作出行政处罚（处理）", &s.decided, explain)
                );
                println!("  {}", case_line("结案", &s.closed, explain));
                println!(
                    "  {}",
                    case_line("行政处罚（处理）落实到位", &s.enforced, explain)
                );
                println!(
                    "  {}",
                    case_line("经整改后消除违法状态", &s.eliminated, explain)
                );
            }
            Ok(())
        }
        ReportCommand::Stats {
            batch,
            year,
            level,
            snapshot,
            as_of,
            explain,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            let level = level_of(&level)?;
            let list = stats(
                &store,
                &who,
                &StatsRequest {
                    batch,
                    level,
                    snapshot,
                    as_of: as_of
                        .as_deref()
                        .map(crate::schedule_cmd::date)
                        .transpose()?,
                },
            )?;
            if json {
                println!("{}", json!({ "ok": true, "regions": list }));
                return Ok(());
            }
            for s in &list {
                let kind = if s.kind == "mineral" {
                    "矿产"
                } else {
                    "土地"
                };
                println!("{}（{kind}）", s.region);
                println!("  {}", line("下发", &s.issued, explain));
                println!(
                    "  {}（占下发个数 {:.2}%）",
                    line("已核实填报", &s.verified, explain),
                    weipian_reports::percent(s.verified.count as f64, s.issued.count as f64)
                );
                println!("  {}", line("违法", &s.illegal, explain));
                println!("  {}", line("合法", &s.legal, explain));
                if s.kind == "mineral" {
                    println!("  {}", line("伪变化", &s.false_change, explain));
                } else {
                    println!("  {}", line("其他", &s.other, explain));
                }
            }
            Ok(())
        }
    }
}
