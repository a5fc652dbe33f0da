//! `weipian review`: the review chain from the command line — submit,
//! pass, return, send up, report, one patch, several, or all that await.

use std::path::Path;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use weipian_domain::review::ReviewAction;
use weipian_service::review::{self, ActOutcome};

use crate::{acting, open_store, resolve_batch};

/// Which patches a step applies to.
#[derive(Args, Debug)]
pub(crate) struct Target {
    /// 监测编号（可多个）
    jcbhs: Vec<String>,
    /// 全部待办的图斑（本用户所辖、处于可办理状态的）
    #[arg(long)]
    all: bool,
    #[arg(long)]
    batch: String,
    #[arg(long)]
    year: Option<u16>,
    /// 以此用户身份
    #[arg(long = "as")]
    as_user: String,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ReviewCommand {
    /// 县级上报（填报完整的图斑）
    Submit(Target),
    /// 审核通过（市级或省级）
    Pass {
        #[command(flatten)]
        target: Target,
        /// 审核意见
        #[arg(long)]
        opinion: Option<String>,
    },
    /// 退回县级修改（须写明原因）
    Return {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        reason: String,
    },
    /// 市级上报省级（市级审核通过的图斑）
    Send(Target),
    /// 报部（省级审核通过的图斑）
    Report(Target),
    /// 查看图斑的审核状态与每一步记录
    Show {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 列出等待本用户办理的图斑
    Queue {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: String,
    },
}

fn print_outcome(json: bool, o: &ActOutcome) -> Result<()> {
    if json {
        let mut doc = serde_json::to_value(o)?;
        if let Some(m) = doc.as_object_mut() {
            m.insert("ok".into(), o.refused.is_empty().into());
        }
        println!("{doc}");
    } else {
        println!(
            "已办理 {} 个图斑，未办理 {} 个",
            o.done.len(),
            o.refused.len()
        );
        for r in &o.refused {
            println!("  {}：{}", r.jcbh, r.reason);
        }
    }
    if o.refused.is_empty() || !o.done.is_empty() {
        Ok(())
    } else {
        bail!("没有办理任何图斑")
    }
}

pub(crate) fn run(data: &Path, json: bool, cmd: ReviewCommand) -> Result<()> {
    let mut store = open_store(data)?;
    let (target, action, state) = match cmd {
        ReviewCommand::Show {
            jcbh,
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            let v = review::review(&store, &who, &batch, &jcbh)?;
            if json {
                crate::print_ok(&v)?;
            } else {
                println!(
                    "图斑 {}：{}（市级退回 {} 次，省级退回 {} 次）",
                    v.jcbh, v.state_name, v.city_returns, v.province_returns
                );
                for s in &v.steps {
                    println!(
                        "  {}  {}（{}，{}）  {}{}",
                        s.at,
                        s.actor,
                        s.role,
                        s.region,
                        s.action_name,
                        s.opinion
                            .as_deref()
                            .map(|o| format!("：{o}"))
                            .unwrap_or_default()
                    );
                }
            }
            return Ok(());
        }
        ReviewCommand::Queue {
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let q = review::queue(&store, &who, &batch)?;
            if json {
                println!("{}", json!({ "ok": true, "queue": q }));
            } else {
                println!("待办图斑 {} 个", q.len());
                for i in &q {
                    println!(
                        "  {}  {}  {}{}",
                        i.jcbh,
                        i.xzqdm,
                        i.state_name,
                        i.last_return
                            .as_ref()
                            .map(|r| format!("（退回：{}）", r.reason))
                            .unwrap_or_default()
                    );
                }
            }
            return Ok(());
        }
        ReviewCommand::Submit(t) => (t, ReviewAction::Submit, "county"),
        ReviewCommand::Pass { target, opinion } => (target, ReviewAction::Pass { opinion }, ""),
        ReviewCommand::Return { target, reason } => (target, ReviewAction::Return { reason }, ""),
        ReviewCommand::Send(t) => (t, ReviewAction::SubmitToProvince, "city_passed"),
        ReviewCommand::Report(t) => (t, ReviewAction::Report, "province_passed"),
    };
    let who = acting(&store, Some(&target.as_user))?;
    let batch = resolve_batch(&store, target.year, &target.batch)?;
    let outcome = match (target.all, target.jcbhs.is_empty(), &action) {
        (true, true, ReviewAction::Pass { opinion }) => {
            review::pass_all(&mut store, &who, &batch, opinion.clone())?
        }
        (true, true, ReviewAction::Return { .. }) => bail!("退回须逐个列出监测编号"),
        (true, true, _) => {
            let jcbhs: Vec<String> = review::queue(&store, &who, &batch)?
                .into_iter()
                .filter(|q| q.state == state)
                .map(|q| q.jcbh)
                .collect();
            review::act(&mut store, &who, &batch, &jcbhs, &action, None)?
        }
        (false, false, _) => review::act(&mut store, &who, &batch, &target.jcbhs, &action, None)?,
        (true, false, _) => bail!("--all 与监测编号不能同时给出"),
        (false, true, _) => bail!("请给出监测编号，或用 --all 办理全部待办图斑"),
    };
    print_outcome(json, &outcome)
}
