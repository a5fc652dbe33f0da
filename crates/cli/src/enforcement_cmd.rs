//! `weipian signals` (the other accountability situations) and
//! `weipian blacklist` (违法主体黑名单).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use weipian_domain::units::format_mu;
use weipian_service::enforcement::{blacklist, signals, EnforcementRequest};

use crate::{acting, open_store};

#[derive(Args, Debug)]
pub(crate) struct SignalsArgs {
    #[arg(long)]
    year: u16,
    /// 只看此行政区（默认本人辖区）
    #[arg(long)]
    region: Option<String>,
    /// 以此日期为“今天”（默认北京时间今天）
    #[arg(long)]
    today: Option<String>,
    #[arg(long = "as")]
    as_user: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct BlacklistArgs {
    #[arg(long)]
    year: u16,
    #[arg(long)]
    region: Option<String>,
    /// 按名称、违法行为编号或行政区代码查找
    #[arg(long)]
    search: Option<String>,
    /// 导出（.xlsx）
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    today: Option<String>,
    #[arg(long = "as")]
    as_user: Option<String>,
}

fn request(year: u16, region: Option<&str>, today: Option<&str>) -> Result<EnforcementRequest> {
    let region = region
        .map(weipian_domain::RegionCode::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--region：{e}"))?;
    let today = crate::schedule_cmd::today(today)?;
    Ok(EnforcementRequest {
        year,
        region,
        today,
    })
}

pub(crate) fn run_signals(data: &Path, json: bool, args: SignalsArgs) -> Result<()> {
    let mut store = open_store(data)?;
    let who = acting(&store, args.as_user.as_deref())?;
    let req = request(args.year, args.region.as_deref(), args.today.as_deref())?;
    let list = signals(&mut store, &who, &req)?;
    if json {
        println!("{}", json!({ "ok": true, "signals": list }));
        return Ok(());
    }
    let Some(policy) = weipian_domain::accountability::Policy::embedded(args.year) else {
        bail!("没有 {} 年的问责规则", args.year);
    };
    if list.is_empty() {
        println!("未发现其他问责情形");
    }
    for s in &list {
        println!("{}（{}）", s.name, s.region);
        for (what, items) in s.lines(policy) {
            println!("  {what}：{}", items.join("、"));
        }
    }
    Ok(())
}

pub(crate) fn run_blacklist(data: &Path, json: bool, args: BlacklistArgs) -> Result<()> {
    let mut store = open_store(data)?;
    let who = acting(&store, args.as_user.as_deref())?;
    let req = request(args.year, args.region.as_deref(), args.today.as_deref())?;
    let list = blacklist(&mut store, &who, &req, args.search.as_deref())?;
    if let Some(p) = &args.out {
        weipian_formats::write_file(p, &weipian_documents::blacklist_xlsx(args.year, &list)?)?;
        eprintln!("已写入 {}", p.display());
    }
    if json {
        println!("{}", json!({ "ok": true, "blacklist": list }));
        return Ok(());
    }
    if list.is_empty() {
        println!("没有符合列入条件的违法主体");
    }
    for e in &list {
        println!(
            "{}  违法行为 {} 件（{}），违法用地 {} 亩，其中耕地 {} 亩：{}",
            e.name,
            e.cases.len(),
            e.cases.join("、"),
            format_mu(e.area_m2),
            format_mu(e.gd_m2),
            e.reasons.join("；")
        );
    }
    Ok(())
}
