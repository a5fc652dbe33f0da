//! `weipian desk`: the desk-review rules (内业审核) and their flags.

use std::path::Path;

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;
use weipian_domain::desk::RULES;
use weipian_service::desk::{self, FlagView};

use crate::{acting, open_store, resolve_batch};

#[derive(Subcommand, Debug)]
pub(crate) enum DeskCommand {
    /// 列出内业审核规则
    Rules,
    /// 运行内业审核规则（技术支撑单位、市级或省级审核用户），给出监测编号只查这些图斑
    Run {
        jcbhs: Vec<String>,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 查看图斑的疑点（规则、依据、县级复核说明、认定结果）
    Flags {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 县级答复疑点（复核说明）
    Reply {
        id: i64,
        #[arg(long)]
        text: String,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 认定疑点：--uphold 属实，否则排除（市级或省级审核用户）
    Decide {
        id: i64,
        #[arg(long)]
        uphold: bool,
        #[arg(long)]
        note: Option<String>,
        #[arg(long = "as")]
        as_user: String,
    },
}

fn print_flags(json: bool, flags: &[FlagView]) {
    if json {
        println!("{}", json!({ "ok": true, "flags": flags }));
        return;
    }
    if flags.is_empty() {
        println!("没有疑点");
    }
    for f in flags {
        let status = match f.status.as_str() {
            "open" => "待认定",
            "upheld" => "属实",
            _ => "已排除",
        };
        println!(
            "  [{}] {} {}（{}）：{}",
            f.id, f.rule, f.rule_name, status, f.message
        );
        for e in &f.evidence {
            println!("      依据：{e}");
        }
        if let Some(r) = &f.reply {
            println!("      县级复核：{r}");
        }
        if let Some(n) = &f.decision_note {
            println!("      认定意见：{n}");
        }
    }
}

pub(crate) fn run(data: &Path, json: bool, cmd: DeskCommand) -> Result<()> {
    if let DeskCommand::Rules = cmd {
        if json {
            println!("{}", json!({ "ok": true, "rules": RULES }));
        } else {
            for r in RULES {
                println!("{} {}：{}", r.code, r.name, r.explanation);
            }
        }
        return Ok(());
    }
    let mut store = open_store(data)?;
    match cmd {
        DeskCommand::Rules => Ok(()),
        DeskCommand::Run {
            jcbhs,
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let only = (!jcbhs.is_empty()).then_some(jcbhs.as_slice());
            let s = desk::run(
                &mut store,
                &who,
                &batch,
                only,
                weipian_service::today_in_china(),
            )?;
            if json {
                crate::print_ok(&s)?;
            } else {
                println!(
                    "检查 {} 个图斑：新增疑点 {} 个，仍待认定 {} 个，规则不再触发而关闭 {} 个；疑似问题图斑 {} 个",
                    s.patches,
                    s.raised,
                    s.still_open,
                    s.cleared,
                    s.flagged.len()
                );
            }
            Ok(())
        }
        DeskCommand::Flags {
            jcbh,
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            print_flags(json, &desk::flags(&store, &who, &batch, &jcbh)?);
            Ok(())
        }
        DeskCommand::Reply { id, text, as_user } => {
            let who = acting(&store, Some(&as_user))?;
            print_flags(json, &[desk::reply(&mut store, &who, id, &text)?]);
            Ok(())
        }
        DeskCommand::Decide {
            id,
            uphold,
            note,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            print_flags(
                json,
                &[desk::decide(&mut store, &who, id, uphold, note.as_deref())?],
            );
            Ok(())
        }
    }
}
