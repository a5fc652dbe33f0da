//! `weipian field`: 外业核查 by the technical-support unit.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::json;
use weipian_service::field::{self, FieldCheckView};

use crate::{acting, open_store, resolve_batch};

#[derive(Subcommand, Debug)]
pub(crate) enum FieldCommand {
    /// 安排外业核查（省级或市级审核用户）
    Assign {
        jcbhs: Vec<String>,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 填写核查结果（技术支撑单位）：核查情况，及实测范围文件（可选）
    Complete {
        id: i64,
        #[arg(long)]
        findings: String,
        /// 实测范围（Shapefile、GeoJSON、GeoPackage 或国土 TXT）
        #[arg(long)]
        boundary: Option<PathBuf>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 上传核查照片（技术支撑单位）
    Photo {
        id: i64,
        file: PathBuf,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 查看图斑的外业核查
    Show {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

fn print(json: bool, list: &[FieldCheckView]) {
    if json {
        println!("{}", json!({ "ok": true, "field_checks": list }));
        return;
    }
    for f in list {
        println!(
            "[{}] {} {}（{} 安排）{}",
            f.id,
            f.jcbh,
            if f.status == "done" {
                "已核查"
            } else {
                "待核查"
            },
            f.assigned_by,
            f.findings
                .as_deref()
                .map(|x| format!("：{x}"))
                .unwrap_or_default()
        );
        if let Some(a) = f.boundary_area_m2 {
            println!("    实测范围 {:.2} 亩", weipian_domain::units::mu(a));
        }
        for p in &f.photos {
            println!(
                "    照片 {}（{}）",
                p.file_name,
                p.taken_at.as_deref().unwrap_or("无拍摄时间")
            );
        }
    }
}

pub(crate) fn run(data: &Path, json: bool, cmd: FieldCommand) -> Result<()> {
    let mut store = open_store(data)?;
    match cmd {
        FieldCommand::Assign {
            jcbhs,
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            print(json, &field::assign(&mut store, &who, &batch, &jcbhs)?);
        }
        FieldCommand::Complete {
            id,
            findings,
            boundary,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            print(
                json,
                &[field::complete(
                    &mut store,
                    &who,
                    id,
                    &findings,
                    boundary.as_deref(),
                )?],
            );
        }
        FieldCommand::Photo { id, file, as_user } => {
            let who = acting(&store, Some(&as_user))?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            print(
                json,
                &[field::add_photo(&mut store, &who, id, &name, &bytes)?],
            );
        }
        FieldCommand::Show {
            jcbh,
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            print(json, &field::checks(&store, &who, &batch, &jcbh)?);
        }
    }
    Ok(())
}
