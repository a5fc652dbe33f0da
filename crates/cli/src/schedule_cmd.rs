//! `weipian schedule` (deadlines, snapshots, extensions) and `weipian
//! awaiting` (what awaits a user).

use std::path::Path;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use serde_json::json;
use weipian_service::schedule;

use crate::{acting, open_store, resolve_batch};

/// A `YYYY-MM-DD` argument.
pub(crate) fn date(text: &str) -> Result<time::Date> {
    weipian_domain::determination::parse_date(text)
        .ok_or_else(|| anyhow!("日期“{text}”应为 YYYY-MM-DD"))
}

/// `--today`, or today in Beijing.
pub(crate) fn today(given: Option<&str>) -> Result<time::Date> {
    given.map_or_else(|| Ok(weipian_service::today_in_china()), date)
}

#[derive(Subcommand, Debug)]
pub(crate) enum ScheduleCommand {
    /// 各时间节点：谁须在何时完成、完成情况、是否逾期（过了时点即冻结快照）
    Status {
        #[arg(long)]
        year: u16,
        /// 以此日期为“今天”（默认北京时间今天）
        #[arg(long)]
        today: Option<String>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 查看时点快照及时点后整改
    Snapshot {
        id: i64,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 申请延期（不可抗力）：原因、已采取措施、申请的日期
    Extend {
        deadline: String,
        #[arg(long)]
        year: u16,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        measures: String,
        /// 申请延至 YYYY-MM-DD
        #[arg(long)]
        until: String,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 批复延期申请（上一级）：--grant 同意，否则不同意
    Decide {
        id: i64,
        #[arg(long)]
        grant: bool,
        #[arg(long)]
        note: Option<String>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 列出延期申请
    Extensions {
        #[arg(long)]
        year: u16,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

pub(crate) fn run(data: &Path, json: bool, cmd: ScheduleCommand) -> Result<()> {
    let mut store = open_store(data)?;
    match cmd {
        ScheduleCommand::Status {
            year,
            today: t,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let items = schedule::status(&mut store, &who, year, today(t.as_deref())?)?;
            if json {
                println!("{}", json!({ "ok": true, "items": items }));
                return Ok(());
            }
            for i in &items {
                let state = if i.done {
                    "已完成".to_string()
                } else if i.overdue {
                    format!("逾期 {} 天，尚有 {} 个图斑", -i.days_left, i.pending)
                } else {
                    format!("剩 {} 天，尚有 {} 个图斑", i.days_left, i.pending)
                };
                println!(
                    "{}  {}（{}）  {}{}  {}{}",
                    i.due,
                    i.region,
                    i.level_name,
                    i.what,
                    if i.extended { "（已延期）" } else { "" },
                    state,
                    i.snapshot
                        .map(|s| format!("；快照 {s}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        ScheduleCommand::Snapshot { id, as_user } => {
            let who = acting(&store, as_user.as_deref())?;
            let v = schedule::snapshot(&store, &who, id)?;
            if json {
                crate::print_ok(&v)?;
            } else {
                println!(
                    "快照 {}：{}（{}），{} 冻结；图斑 {} 项，案件 {} 件；时点后整改 {} 项",
                    v.id,
                    v.period,
                    v.region,
                    v.taken_at,
                    v.parts,
                    v.cases,
                    v.after_cutoff.len() + v.cases_after_cutoff.len()
                );
                for a in &v.after_cutoff {
                    println!(
                        "  {}{}  {}：{} → {}",
                        a.jcbh,
                        if a.part > 0 {
                            format!("-{}", a.part)
                        } else {
                            String::new()
                        },
                        a.what,
                        a.frozen.as_deref().unwrap_or("（无）"),
                        a.now.as_deref().unwrap_or("（无）")
                    );
                }
            }
            Ok(())
        }
        ScheduleCommand::Extend {
            deadline,
            year,
            reason,
            measures,
            until,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let id = schedule::request_extension(
                &mut store,
                &who,
                year,
                &deadline,
                &reason,
                &measures,
                date(&until)?,
            )?;
            if json {
                println!("{}", json!({ "ok": true, "id": id }));
            } else {
                println!("已提交延期申请 {id}，待上一级批复");
            }
            Ok(())
        }
        ScheduleCommand::Decide {
            id,
            grant,
            note,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let e = schedule::decide_extension(&mut store, &who, id, grant, note.as_deref())?;
            if json {
                println!("{}", json!({ "ok": true, "id": e.id, "status": e.status }));
            } else {
                println!(
                    "延期申请 {}：{}",
                    e.id,
                    if e.status == "granted" {
                        "同意"
                    } else {
                        "不同意"
                    }
                );
            }
            Ok(())
        }
        ScheduleCommand::Extensions { year, as_user } => {
            let who = acting(&store, as_user.as_deref())?;
            let list = schedule::extensions(&store, &who, year)?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|e| json!({ "id": e.id, "deadline": e.deadline, "region": e.region, "reason": e.reason,
                        "measures": e.measures, "new_due": e.new_due, "status": e.status,
                        "requested_by": e.requested_by, "decided_by": e.decided_by, "decision_note": e.decision_note }))
                    .collect();
                println!("{}", json!({ "ok": true, "extensions": rows }));
            } else {
                for e in &list {
                    println!(
                        "  [{}] {} {} 申请延至 {}（{}）：{}",
                        e.id, e.region, e.deadline, e.new_due, e.status, e.reason
                    );
                }
            }
            Ok(())
        }
    }
}

/// `weipian awaiting`.
pub(crate) fn awaiting(
    data: &Path,
    json: bool,
    batch: &str,
    year: Option<u16>,
    today_text: Option<&str>,
    as_user: &str,
) -> Result<()> {
    let mut store = open_store(data)?;
    let who = acting(&store, Some(as_user))?;
    let batch = resolve_batch(&store, year, batch)?;
    let w = schedule::awaiting(&mut store, &who, &batch, today(today_text)?)?;
    if json {
        crate::print_ok(&w)?;
        return Ok(());
    }
    println!(
        "待填报 {} 个，被退回 {} 个，待复核的疑点 {} 个，待审核 {} 个，临近或逾期的时间节点 {} 个",
        w.to_fill.len(),
        w.returned.len(),
        w.flags_to_answer.len(),
        w.to_review.len(),
        w.deadlines.len()
    );
    for r in &w.returned {
        println!("  退回 {}：{}", r.jcbh, r.note.as_deref().unwrap_or(""));
    }
    for d in &w.deadlines {
        println!(
            "  {} {}（{}）：{}，剩 {} 天",
            d.due, d.region, d.level_name, d.what, d.days_left
        );
    }
    Ok(())
}
