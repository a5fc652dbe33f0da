//! `weipian gate`: before an approval, does the land overlap an unresolved
//! violation (不得办理相关审批手续)?

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use weipian_domain::units::{format_hectares, format_mu};
use weipian_service::gate::{check, GateInput};

use crate::{acting, open_store};

#[derive(Args, Debug)]
pub(crate) struct GateArgs {
    /// 拟审批范围文件（Shapefile/.zip、GeoJSON、GeoPackage、国土 TXT，CGCS2000）
    #[arg(long, conflicts_with = "code")]
    file: Option<PathBuf>,
    /// 图斑编号、地块编号（JCBH-n）或已批准用地的批准文号
    #[arg(long)]
    code: Option<String>,
    #[arg(long = "as")]
    as_user: Option<String>,
}

/// Exit code 0 when clear; the answer is printed either way. A refusal is
/// not an error of the command: scripts read `clear` (or `--json`).
pub(crate) fn run(data: &Path, json: bool, args: GateArgs) -> Result<()> {
    let store = open_store(data)?;
    let who = acting(&store, args.as_user.as_deref())?;
    let input = match (&args.file, &args.code) {
        (Some(f), None) => GateInput::File(f),
        (None, Some(c)) => GateInput::Code(c),
        _ => bail!("须给出 --file 或 --code 之一"),
    };
    let a = check(&store, &who, input)?;
    if json {
        println!("{}", json!({ "ok": true, "gate": a }));
        return Ok(());
    }
    println!(
        "所查范围 {} 个图形，{} 公顷（{} 亩）",
        a.shapes,
        format_hectares(a.area_m2),
        format_mu(a.area_m2)
    );
    for h in &a.hits {
        println!(
            "  {} {}（{}，{}）重叠 {} 公顷（{} 亩）：{}{}",
            h.batch,
            h.label,
            h.county,
            h.category,
            format_hectares(h.overlap_m2),
            format_mu(h.overlap_m2),
            h.status,
            h.case
                .as_ref()
                .map(|c| format!("，违法行为 {c}"))
                .unwrap_or_default()
        );
    }
    println!("{}", a.message);
    Ok(())
}
