//! `weipian report`: statistics over the region tree.

use std::path::Path;

use anyhow::{bail, Result};
use clap::Subcommand;
use serde_json::json;
use weipian_domain::units;
use weipian_reports::{Level, Tally};
use weipian_service::stats::{stats, StatsRequest};

use crate::{acting, open_store, resolve_batch};

#[derive(Subcommand, Debug)]
pub(crate) enum ReportCommand {
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

pub(crate) fn run(data: &Path, json: bool, cmd: ReportCommand) -> Result<()> {
    let store = open_store(data)?;
    match cmd {
        ReportCommand::Cases {
            batch,
            year,
            level,
            snapshot,
            explain,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            let req = StatsRequest {
                batch,
                level: level_of(&level)?,
                snapshot,
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
