//! `weipian sample`: 抽查 and 交叉检查.

use std::path::Path;

use anyhow::Result;
use clap::Subcommand;
use weipian_domain::RegionCode;
use weipian_service::sampling::{self, DrawRequest, SampleView};

use crate::{acting, open_store, resolve_batch};

#[derive(Subcommand, Debug)]
pub(crate) enum SampleCommand {
    /// 按判定类型与面积分级分层随机抽取样本（同一种子抽出同样的样本）
    Draw {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 抽查范围（默认本用户所辖）
        #[arg(long)]
        region: Option<String>,
        /// 允许误差（默认取年度规则，如 0.05）
        #[arg(long)]
        margin: Option<f64>,
        /// 置信水平 0.90、0.95 或 0.99（默认取年度规则）
        #[arg(long)]
        confidence: Option<f64>,
        /// 随机种子
        #[arg(long)]
        seed: u64,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 查看样本、各层结果与错误率估计（区间）
    Show {
        id: i64,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 安排交叉检查：各县检查其他县的样本图斑
    Cross {
        id: i64,
        #[arg(long)]
        seed: u64,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 记录一个样本图斑的检查结果（--wrong 须附 --note）
    Record {
        id: i64,
        jcbh: String,
        #[arg(long)]
        wrong: bool,
        #[arg(long)]
        note: Option<String>,
        #[arg(long = "as")]
        as_user: String,
    },
}

fn print(json: bool, v: &SampleView) -> Result<()> {
    if json {
        crate::print_ok(v)?;
        return Ok(());
    }
    println!(
        "抽查 {}（{} {}）：总体 {} 个，样本 {} 个，允许误差 {}，置信水平 {}，种子 {}",
        v.id,
        v.batch,
        v.region,
        v.population,
        v.items.len(),
        v.margin,
        v.confidence,
        v.seed
    );
    for s in &v.strata {
        println!(
            "  {}：总体 {}，抽取 {}，已查 {}，有误 {}",
            s.stratum, s.population, s.sampled, s.checked, s.wrong
        );
    }
    let e = &v.estimate;
    println!(
        "  已查 {} 个，有误 {} 个；估计错误率 {:.2}%（{:.0}% 置信区间 {:.2}%–{:.2}%）",
        e.checked,
        e.wrong,
        100.0 * e.share,
        100.0 * v.confidence,
        100.0 * e.low,
        100.0 * e.high
    );
    Ok(())
}

pub(crate) fn run(data: &Path, json: bool, cmd: SampleCommand) -> Result<()> {
    let mut store = open_store(data)?;
    match cmd {
        SampleCommand::Draw {
            batch,
            year,
            region,
            margin,
            confidence,
            seed,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let region = region.as_deref().map(RegionCode::parse).transpose()?;
            let req = DrawRequest {
                batch,
                region,
                margin,
                confidence,
                seed,
            };
            print(json, &sampling::draw(&mut store, &who, &req)?)
        }
        SampleCommand::Show { id, as_user } => {
            let who = acting(&store, as_user.as_deref())?;
            print(json, &sampling::show(&store, &who, id)?)
        }
        SampleCommand::Cross { id, seed, as_user } => {
            let who = acting(&store, Some(&as_user))?;
            print(
                json,
                &sampling::assign_cross_checks(&mut store, &who, id, seed)?,
            )
        }
        SampleCommand::Record {
            id,
            jcbh,
            wrong,
            note,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            print(
                json,
                &sampling::record(&mut store, &who, id, &jcbh, wrong, note.as_deref())?,
            )
        }
    }
}
