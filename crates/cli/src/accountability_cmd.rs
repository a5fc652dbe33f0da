//! `weipian accountability`: the ranked list of cities and counties under
//! the year's accountability policy, and the documents that go with it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use serde_json::json;
use weipian_domain::units::mu;
use weipian_reports::accountability::Assessment;
use weipian_service::accountability::{accountability, AccountabilityRequest};

use crate::{acting, open_store};

#[derive(Args, Debug)]
pub(crate) struct AccountabilityArgs {
    #[arg(long)]
    year: u16,
    /// 只核算此行政区（默认本人辖区）
    #[arg(long)]
    region: Option<String>,
    /// 年度时点已过也按当前数据核算（默认按年度时点快照）
    #[arg(long)]
    current: bool,
    /// 以此日期为“今天”（默认北京时间今天）
    #[arg(long)]
    today: Option<String>,
    /// 按该日日终的数据核算（YYYY-MM-DD），不用年度时点快照
    #[arg(long)]
    as_of: Option<String>,
    /// 导出排名表（.xlsx）
    #[arg(long)]
    out: Option<PathBuf>,
    /// 生成约谈名单（.docx）
    #[arg(long)]
    interview: Option<PathBuf>,
    /// 生成问责建议（.docx）
    #[arg(long)]
    proposal: Option<PathBuf>,
    /// 列出每个数额背后的图斑（地块）
    #[arg(long)]
    explain: bool,
    #[arg(long = "as")]
    as_user: Option<String>,
}

fn line(a: &Assessment) -> String {
    let flag = if a.accountable {
        "问责"
    } else if a.exempt {
        "除外"
    } else if a.warning {
        "预警"
    } else {
        ""
    };
    format!(
        "{:<8} {:<14} {:>12.2} {:>12.2} {:>8.2}%  {:<4} {}",
        a.region,
        a.name,
        a.area_mu,
        mu(a.denominator_after_m2),
        a.ratio_percent,
        flag,
        a.to_fall_below
            .as_ref()
            .map(|t| format!("至少须再整改 {:.2} 亩", t.least_mu))
            .unwrap_or_default()
    )
}

pub(crate) fn run(data: &Path, json: bool, args: AccountabilityArgs) -> Result<()> {
    let mut store = open_store(data)?;
    let who = acting(&store, args.as_user.as_deref())?;
    let region = args
        .region
        .as_deref()
        .map(weipian_domain::RegionCode::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--region：{e}"))?;
    let today = crate::schedule_cmd::today(args.today.as_deref())?;
    let report = accountability(
        &mut store,
        &who,
        &AccountabilityRequest {
            year: args.year,
            region,
            current: args.current,
            today,
            as_of: args
                .as_of
                .as_deref()
                .map(crate::schedule_cmd::date)
                .transpose()?,
        },
    )?;
    // The 问责建议 lists the other situations too.
    let found = weipian_service::enforcement::signals(
        &mut store,
        &who,
        &weipian_service::enforcement::EnforcementRequest {
            year: args.year,
            region,
            today,
        },
    )?;
    let signals = weipian_documents::signal_rows(&found, &report.policy);
    let input = weipian_documents::AccountabilityInput {
        year: report.year,
        assessments: &report.assessments,
        basis: &report.basis,
        date: report.date,
        signals: &signals,
    };
    let mut written = Vec::new();
    if let Some(p) = &args.out {
        weipian_formats::write_file(
            p,
            &weipian_documents::accountability_xlsx(&input, args.explain)?,
        )?;
        written.push(p.clone());
    }
    if let Some(p) = &args.interview {
        weipian_formats::write_file(p, &weipian_documents::interview_docx(&input)?)?;
        written.push(p.clone());
    }
    if let Some(p) = &args.proposal {
        weipian_formats::write_file(p, &weipian_documents::proposal_docx(&input)?)?;
        written.push(p.clone());
    }
    if json {
        println!(
            "{}",
            json!({ "ok": true, "report": report, "written": written })
        );
        return Ok(());
    }
    let a = &report.assessments;
    println!("{} 年度问责核算（{}）", report.year, report.basis);
    println!(
        "问责线：比例 {:.2}%（市）/{:.2}%（县），扣除后违法占用耕地 > {:.2} 亩（市）/ > {:.2} 亩（县）",
        100.0 * a.lines.city_ratio,
        100.0 * a.lines.county_ratio,
        a.lines.city_mu,
        a.lines.county_mu
    );
    for (name, list) in [("市级", &a.cities), ("县级", &a.counties)] {
        println!("{name}（违法占用耕地 亩、新增建设用地占用耕地 亩，均为扣除后）");
        for x in list.iter() {
            println!("  {}", line(x));
            if args.explain {
                println!("      {}", x.reason);
                for s in x.steps.iter().filter(|s| !s.numerator.items.is_empty()) {
                    println!(
                        "      {}：扣分子 {:.2} 亩、扣分母 {:.2} 亩（{}）",
                        s.name,
                        s.numerator.mu(),
                        s.denominator.mu(),
                        s.numerator.items.join("、")
                    );
                }
                println!("      违法占用耕地：{}", x.numerator.items.join("、"));
            }
            if x.quota_cut_m2 > 0.0 {
                println!(
                    "      增违挂钩：未消除违法状态的违法用地 {:.2} 亩，扣减下一年度新增建设用地指标 {:.2} 亩",
                    x.unresolved.mu(),
                    mu(x.quota_cut_m2)
                );
            }
        }
    }
    for p in written {
        eprintln!("已写入 {}", p.display());
    }
    Ok(())
}
