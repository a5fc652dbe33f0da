//! `weipian parcels`: split a patch into 地块, show them, undo a split.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;
use weipian_domain::units;
use weipian_service::parcels::{self, ParcelsView};

use crate::{acting, open_store, resolve_batch};

#[derive(Subcommand, Debug)]
pub(crate) enum ParcelsCommand {
    /// 按文件拆分图斑（Shapefile、GeoJSON、GeoPackage 或国土 TXT，每个要素一个地块，按文件顺序编号）
    Split {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 地块范围文件
        file: PathBuf,
        /// 图斑已有填报时仍重新拆分（原填报失效，历史版本保留）
        #[arg(long)]
        discard_answers: bool,
        /// 以此用户身份（须为该县的县级填报用户）
        #[arg(long = "as")]
        as_user: String,
    },
    /// 查看图斑的地块、面积、叠加分析结果与填报
    Show {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 撤销拆分，图斑恢复整体填报
    Unsplit {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 地块已有填报时仍撤销（地块填报失效，历史版本保留）
        #[arg(long)]
        discard_answers: bool,
        /// 原因（记入审计日志）
        #[arg(long)]
        reason: Option<String>,
        #[arg(long = "as")]
        as_user: String,
    },
}

fn print(json: bool, v: &ParcelsView) -> Result<()> {
    if json {
        crate::print_ok(v)?;
        return Ok(());
    }
    if v.parcels.is_empty() {
        println!("图斑 {} 未拆分", v.jcbh);
        return Ok(());
    }
    println!(
        "图斑 {} 拆分为 {} 个地块：合计 {:.4} 公顷（图斑 {:.4} 公顷）",
        v.jcbh,
        v.parcels.len(),
        units::hectares(v.total_area_m2),
        units::hectares(v.patch_area_m2)
    );
    for p in &v.parcels {
        let layers: Vec<String> = p
            .figures
            .layers
            .iter()
            .map(|(k, a)| {
                let name = weipian_domain::layer::kind(k).map_or(k.as_str(), |l| l.name_zh);
                format!("{name} {:.2} 亩", units::mu(*a))
            })
            .collect();
        let answer = match (&p.answer.answer, p.answer.complete) {
            (None, _) => "未填报".to_string(),
            (Some(a), true) => format!("已填报 {}（版本 {}）", a.category, p.answer.version),
            (Some(a), false) => format!("草稿 {}（版本 {}，未完成）", a.category, p.answer.version),
        };
        println!(
            "  {}  {:.2} 亩  {}  {}",
            p.dkbh,
            units::mu(p.area_m2),
            if layers.is_empty() {
                "（无叠加结果）".to_string()
            } else {
                layers.join("，")
            },
            answer
        );
    }
    for p in &v.problems {
        println!("  注意：{}：{}", p.jcbh.as_deref().unwrap_or(""), p.message);
    }
    Ok(())
}

pub(crate) fn run(data: &Path, json: bool, cmd: ParcelsCommand) -> Result<()> {
    let mut store = open_store(data)?;
    match cmd {
        ParcelsCommand::Split {
            jcbh,
            batch,
            year,
            file,
            discard_answers,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let v =
                parcels::split_from_file(&mut store, &who, &batch, &jcbh, &file, discard_answers)?;
            print(json, &v)
        }
        ParcelsCommand::Show {
            jcbh,
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            print(json, &parcels::parcels(&store, &who, &batch, &jcbh)?)
        }
        ParcelsCommand::Unsplit {
            jcbh,
            batch,
            year,
            discard_answers,
            reason,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let v = parcels::unsplit(&mut store, &who, &batch, &jcbh, discard_answers, reason)?;
            if json {
                println!("{}", json!({ "ok": true, "jcbh": v.jcbh, "parcels": 0 }));
            } else {
                println!("图斑 {} 已撤销拆分", v.jcbh);
            }
            Ok(())
        }
    }
}
