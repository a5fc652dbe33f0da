//! `weipian` — the command line of the weipian platform.
//!
//! `main` → [`try_main`] → one function per command. Every command prints a
//! one-line summary (or, with `--json`, a JSON document on stdout) and exits
//! non-zero on any error, with the error on stderr.

mod accountability_cmd;
mod demo;
mod demo_work;
mod desk_cmd;
mod enforcement_cmd;
mod field_cmd;
mod gate_cmd;
mod parcels_cmd;
mod progress;
mod report_cmd;
mod review_cmd;
mod sample_cmd;
mod schedule_cmd;
mod table;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use weipian_domain::{units, BatchId, PatchKind, RegionCode, RegionTable};
use weipian_formats::{Format, TextEncoding};
use weipian_service::import::PatchImportRequest;
use weipian_service::{export, import, ServiceError};
use weipian_store::Store;

// mimalloc instead of glibc malloc: overlay and import allocate millions of
// small rings; with glibc's allocator malloc/free took ~17 % of `analyze`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "weipian",
    version,
    about = "卫片执法平台 weipian：图斑导入、分析、核查、审核与报表"
)]
struct Cli {
    /// 数据目录（存放 weipian.gpkg）
    #[arg(
        long,
        global = true,
        env = "WEIPIAN_DATA",
        default_value = "./weipian-data"
    )]
    data: PathBuf,
    /// 以 JSON 输出结果摘要（写到标准输出）
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
    /// Whether `--data`/`WEIPIAN_DATA` was given (a configuration file's
    /// `[server] data` applies otherwise).
    #[arg(skip)]
    data_given: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// 生成四川省演示数据（县界、基础图层、一个季度的土地与矿产图斑）并导入
    Demo(DemoArgs),
    /// 导入县界、基础图层或图斑
    #[command(subcommand)]
    Import(ImportCommand),
    /// 叠加分析：图斑与耕地、永久基本农田、生态保护红线、自然保护地、已批准用地等图层的面积
    Analyze {
        /// 批次，如 2020Q1
        #[arg(long)]
        batch: String,
        /// 年份（同名批次跨年时必填）
        #[arg(long)]
        year: Option<u16>,
        /// 全部重算（默认只算新导入或图层已更新的图斑）
        #[arg(long)]
        force: bool,
    },
    /// 导出图斑
    #[command(subcommand)]
    Export(ExportCommand),
    /// 列出已导入的基础图层及要素数
    Layers,
    /// 列出已导入的图斑批次及图斑数
    Batches,
    /// 用户与访问令牌（本机命令行以全国管理员身份操作）
    #[command(subcommand)]
    User(UserCommand),
    /// 图斑填报（判定结果及举证），以指定用户身份
    #[command(subcommand)]
    Answer(AnswerCommand),
    /// 审计日志：校验散列链、查看图斑的变更历史
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 军用土地登记（仅军用地登记角色）
    #[command(subcommand)]
    Military(MilitaryCommand),
    /// 违法案件：立案、处理决定、落实、结案、整改、督办
    #[command(subcommand)]
    Case(CaseCommand),
    /// 表格回填：按国家表格式批量导入、导出填报
    #[command(subcommand)]
    Answers(AnswersCommand),
    /// 地块拆分：把图斑拆分为分别判定的地块、查看、撤销
    #[command(subcommand)]
    Parcels(parcels_cmd::ParcelsCommand),
    /// 审核链：县级上报、市级/省级审核（通过、退回）、市级上报、报部
    #[command(subcommand)]
    Review(review_cmd::ReviewCommand),
    /// 内业审核：规则、运行、疑点的复核与认定
    #[command(subcommand)]
    Desk(desk_cmd::DeskCommand),
    /// 抽查与交叉检查
    #[command(subcommand)]
    Sample(sample_cmd::SampleCommand),
    /// 技术支撑单位外业核查：安排、结果、照片
    #[command(subcommand)]
    Field(field_cmd::FieldCommand),
    /// 统计与报表
    #[command(subcommand)]
    Report(report_cmd::ReportCommand),
    /// 问责核算：市、县违法占用耕地比例排名，扣除明细，约谈名单与问责建议
    Accountability(accountability_cmd::AccountabilityArgs),
    /// 审批前核查：拟审批范围是否与未依法处理到位的违法用地重叠
    Gate(gate_cmd::GateArgs),
    /// 其他问责情形：发现违法不立案、压案不查、隐瞒不报，按县列出
    Signals(enforcement_cmd::SignalsArgs),
    /// 违法主体黑名单：查找、导出，列出背后的违法行为
    Blacklist(enforcement_cmd::BlacklistArgs),
    /// 时间节点、时点快照与延期申请
    #[command(subcommand)]
    Schedule(schedule_cmd::ScheduleCommand),
    /// 我的待办：待填报、被退回、待复核的疑点、待审核、临近的时间节点
    Awaiting {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 以此日期为“今天”（默认北京时间今天）
        #[arg(long)]
        today: Option<String>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 启动平台：网页（浏览器登录）与 HTTP 接口（/api/，亦可凭 weipian user token 签发的令牌访问）
    Serve {
        /// 监听地址（默认 127.0.0.1:8080，或配置文件 [server] addr）
        #[arg(long, env = "WEIPIAN_ADDR")]
        addr: Option<std::net::SocketAddr>,
        /// 配置文件（weipian.toml：监听地址、数据目录、底图、前后时相影像）
        #[arg(long, env = "WEIPIAN_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum AnswersCommand {
    /// 导入填报表格（.xlsx 或 .csv，每行一个监测编号，面积单位亩）
    Import {
        file: PathBuf,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 按同样的格式导出填报（xlsx）
    Export {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum CaseCommand {
    /// 对违法图斑立案登记（新建案件）
    Open {
        /// 违法行为编号
        number: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 关联的违法图斑（可重复）
        #[arg(long = "jcbh", required = true)]
        jcbhs: Vec<String>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 记录案件事项（JSON：{"event":"file","date":"2020-04-01","document":"…"} 等）
    Event {
        id: i64,
        #[arg(long)]
        file: PathBuf,
        /// 所依据的案件版本号
        #[arg(long)]
        based_on: i64,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 查看案件
    Show {
        id: i64,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 上传（替换）案件的违法用地矢量范围（Shapefile、GeoJSON、GeoPackage 或国土 TXT，须为 CGCS2000）；不给文件则查看
    Range {
        id: i64,
        file: Option<PathBuf>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum MilitaryCommand {
    /// 将图斑登记为军用土地（登记表 JSON：DWMC、YT、MJ、PZWJ、TBR、TBRQ、BZ）；此后它不再出现在任何普通列表、导出与统计中
    File {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long)]
        file: PathBuf,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 列出军用土地登记
    List {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 导出《军用土地登记表》（xlsx）
    Export {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long = "as")]
        as_user: String,
    },
}

#[derive(Subcommand, Debug)]
enum AnswerCommand {
    /// 查看图斑的填报及校验结果
    Show {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 已拆分图斑的地块序号（1、2、…）
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        parcel: u32,
        /// 以此用户身份（默认本机管理员）
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 保存填报（JSON 文件，字段用国家代码：PDLX、JTQX、PDYJSM、WFMJ…，面积单位平方米）
    Set {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 填报内容 JSON 文件
        #[arg(long)]
        file: PathBuf,
        /// 已拆分图斑的地块序号（1、2、…）
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        parcel: u32,
        /// 以此用户身份（须为该县的县级填报用户）
        #[arg(long = "as")]
        as_user: String,
        /// 所依据的版本号（首次填报不填）
        #[arg(long)]
        based_on: Option<i64>,
        /// 修改原因（记入审计日志）
        #[arg(long)]
        reason: Option<String>,
    },
    /// 省级直接修改填报（只有省级审核用户，须写明原因；不受上报锁定）
    Override {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        /// 填报内容 JSON 文件
        #[arg(long)]
        file: PathBuf,
        /// 修改原因（必填，各级可见）
        #[arg(long)]
        reason: String,
        /// 已拆分图斑的地块序号
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        parcel: u32,
        /// 所依据的版本号
        #[arg(long)]
        based_on: Option<i64>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// 列出已移交、尚未收到接收单位反馈的图斑
    Transfers {
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// 上传举证材料（JPEG、PNG 照片或 PDF）
    Attach {
        jcbh: String,
        #[arg(long)]
        batch: String,
        #[arg(long)]
        year: Option<u16>,
        file: PathBuf,
        #[arg(long = "as")]
        as_user: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// 校验审计日志的散列链，报告第一条被改动、删除或调换的记录
    Verify,
    /// 列出审计记录（可按批次与监测编号筛选）
    Log {
        #[arg(long)]
        batch: Option<String>,
        #[arg(long)]
        year: Option<u16>,
        #[arg(long)]
        jcbh: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// 创建用户；不给密码时生成随机密码并显示一次
    Add {
        /// 用户名（2–32 个字符）
        name: String,
        /// 所属行政区代码（县、市、省；全国为 000000）
        #[arg(long)]
        region: String,
        /// 角色：county（县级填报）、city（市级审核）、province（省级审核）、ministry（部级）、desk（技术支撑单位审核）、military（军用地登记）、admin（管理员）
        #[arg(long)]
        role: String,
        /// 从标准输入读取密码（一行）
        #[arg(long)]
        password_stdin: bool,
    },
    /// 为用户签发访问令牌（API 与脚本用；只显示这一次）
    Token {
        name: String,
        /// 令牌用途说明
        #[arg(long, default_value = "命令行签发")]
        label: String,
    },
    /// 列出用户
    List,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// 随机种子：同一种子生成同样的数据
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// 只生成数据，不启动服务
    #[arg(long)]
    no_serve: bool,
    /// 平台监听地址
    #[arg(long, default_value = "127.0.0.1:8080", env = "WEIPIAN_ADDR")]
    addr: std::net::SocketAddr,
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// 县级行政区界线（字段 XZQDM、XZQMC），替换已有界线
    Regions {
        file: PathBuf,
        #[arg(long, value_parser = parse_encoding, default_value = "auto")]
        encoding: TextEncoding,
    },
    /// 基础图层：gd 耕地、jbnt 永久基本农田、sthx 生态保护红线、zrbhd 自然保护地、pzyd 已批准用地、cjyx 长江/黄河沿线、kq 矿业权
    Layer {
        kind: String,
        file: PathBuf,
        #[arg(long, value_parser = parse_encoding, default_value = "auto")]
        encoding: TextEncoding,
    },
    /// 一个批次的图斑（Shapefile 文件夹或 zip、GeoJSON、GeoPackage、国土 TXT）
    Patches {
        file: PathBuf,
        /// 年份，如 2020
        #[arg(long)]
        year: u16,
        /// 批次，如 2020Q1
        #[arg(long)]
        batch: String,
        /// land（土地）或 mineral（矿产）
        #[arg(long, value_parser = parse_kind)]
        kind: PatchKind,
        /// DBF/TXT 文字编码：auto（默认，自动识别）、gbk、utf-8
        #[arg(long, value_parser = parse_encoding, default_value = "auto")]
        encoding: TextEncoding,
    },
}

#[derive(Subcommand, Debug)]
enum ExportCommand {
    /// 导出一个批次的图斑（可限定行政区、种类）
    Patches {
        #[arg(long)]
        batch: String,
        /// 年份（同名批次跨年时必填）
        #[arg(long)]
        year: Option<u16>,
        /// geojson、shp、gpkg、xlsx
        #[arg(long, value_parser = parse_format)]
        format: Format,
        #[arg(long)]
        out: PathBuf,
        /// 行政区代码（省、市或县），只导出其范围内的图斑
        #[arg(long, value_parser = parse_region)]
        region: Option<RegionCode>,
        /// 只导出 land（土地）或 mineral（矿产）图斑
        #[arg(long, value_parser = parse_kind)]
        kind: Option<PatchKind>,
    },
}

fn parse_encoding(s: &str) -> Result<TextEncoding, String> {
    TextEncoding::parse(s).ok_or_else(|| format!("未知编码 “{s}”，可用 auto、gbk、utf-8"))
}

fn parse_kind(s: &str) -> Result<PatchKind, String> {
    PatchKind::parse(s).ok_or_else(|| format!("未知图斑种类 “{s}”，可用 land、mineral"))
}

fn parse_format(s: &str) -> Result<Format, String> {
    match Format::parse(s) {
        Some(f) if f != Format::Txt => Ok(f),
        _ => Err(format!("未知导出格式 “{s}”，可用 geojson、shp、gpkg、xlsx")),
    }
}

fn parse_region(s: &str) -> Result<RegionCode, String> {
    RegionCode::parse(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.data_given = !matches!(
        matches.value_source("data"),
        None | Some(clap::parser::ValueSource::DefaultValue)
    );
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("WEIPIAN_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let json = cli.json;
    match try_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let problems = e
                .downcast_ref::<ServiceError>()
                .map(ServiceError::problems)
                .unwrap_or(&[]);
            if json {
                let doc = json!({ "ok": false, "error": format!("{e:#}"), "problems": problems });
                println!("{doc}");
            }
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Print a summary: the line for people, or the JSON for scripts.
fn report<T: serde::Serialize>(json: bool, line: &str, value: &T) -> Result<()> {
    if json {
        crate::print_ok(value)?;
    } else {
        println!("{line}");
    }
    Ok(())
}

fn user_command(data: &Path, json: bool, cmd: UserCommand) -> Result<()> {
    use weipian_domain::access::{Actor, Role, Scope};
    use weipian_service::users;
    let mut store = open_store(data)?;
    let admin = Actor::local_admin();
    match cmd {
        UserCommand::Add {
            name,
            region,
            role,
            password_stdin,
        } => {
            let scope = Scope::parse(&region).map_err(|e| anyhow!("{e}"))?;
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow!("未知角色 “{role}”：可用 county、city、province、ministry、desk、military、admin")
            })?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("无法从标准输入读取密码")?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (users::random_password(), true)
            };
            let u = users::add_user(&mut store, &admin, &name, scope, role, &password)?;
            if json {
                let mut doc = serde_json::to_value(&u)?;
                if let Some(o) = doc.as_object_mut() {
                    o.insert("ok".into(), true.into());
                    if generated {
                        o.insert("password".into(), password.clone().into());
                    }
                }
                println!("{doc}");
            } else {
                println!(
                    "已创建用户 {}（{}，{} {}）",
                    u.name, u.role_name, u.region, u.region_name
                );
                if generated {
                    println!("初始密码（只显示这一次）：{password}");
                }
            }
            Ok(())
        }
        UserCommand::Token { name, label } => {
            let token = users::issue_token(&mut store, &admin, &name, &label)?;
            if json {
                println!("{}", json!({ "ok": true, "user": name, "token": token }));
            } else {
                println!("{token}");
                eprintln!("这是用户 {name} 的访问令牌，只显示这一次；请求时放在 Authorization: Bearer 之后");
            }
            Ok(())
        }
        UserCommand::List => {
            let list = users::list_users(&store, &admin)?;
            if json {
                println!("{}", json!({ "ok": true, "users": list }));
            } else {
                use table::left;
                println!(
                    "{} {} {} 创建时间",
                    left("用户名", 16),
                    left("角色", 18),
                    left("行政区", 24)
                );
                for u in &list {
                    println!(
                        "{} {} {} {}{}",
                        left(&u.name, 16),
                        left(&u.role_name, 18),
                        left(&format!("{} {}", u.region, u.region_name), 24),
                        u.created_at,
                        if u.disabled { "（已停用）" } else { "" }
                    );
                }
            }
            Ok(())
        }
    }
}

/// The actor a CLI command runs as: a stored user (`--as`), or the local administrator.
fn acting(store: &Store, name: Option<&str>) -> Result<weipian_domain::access::Actor> {
    let Some(name) = name else {
        return Ok(weipian_domain::access::Actor::local_admin());
    };
    let rec = store
        .user(name)?
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(|| anyhow!("用户 {name} 不存在或已停用（用 weipian user list 查看）"))?;
    let scope = weipian_domain::access::Scope::parse(&rec.region).map_err(|e| anyhow!("{e}"))?;
    let role = weipian_domain::access::Role::parse(&rec.role)
        .ok_or_else(|| anyhow!("用户 {name} 的角色 {} 无效", rec.role))?;
    weipian_domain::access::Actor::new(&rec.name, scope, role).map_err(|e| anyhow!("{e}"))
}

fn print_answer(json: bool, v: &weipian_service::answers::AnswerView) -> Result<()> {
    if json {
        crate::print_ok(v)?;
        return Ok(());
    }
    let label = weipian_service::answers::part_label(&v.jcbh, v.parcel);
    if v.version == 0 {
        println!("图斑 {label} 尚未填报");
        return Ok(());
    }
    println!(
        "图斑 {label}：版本 {}，{}",
        v.version,
        if v.complete {
            "填报完整"
        } else {
            "填报未完成"
        }
    );
    for e in &v.errors {
        println!("  {}：{}", e.field, e.message);
    }
    Ok(())
}

fn answer_command(data: &Path, json: bool, cmd: AnswerCommand) -> Result<()> {
    use weipian_service::{answers, evidence};
    let mut store = open_store(data)?;
    match cmd {
        AnswerCommand::Show {
            jcbh,
            batch,
            year,
            parcel,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            print_answer(
                json,
                &answers::get_part_answer(&store, &who, &batch, &jcbh, parcel)?,
            )
        }
        AnswerCommand::Set {
            jcbh,
            batch,
            year,
            file,
            parcel,
            as_user,
            based_on,
            reason,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            let answer: weipian_domain::determination::Answer = serde_json::from_str(&text)
                .map_err(|e| anyhow!("{}：不是有效的填报 JSON（{e}）", file.display()))?;
            let req = answers::SaveAnswer {
                batch,
                jcbh,
                answer,
                based_on,
                reason,
            };
            print_answer(
                json,
                &answers::save_part_answer(&mut store, &who, &req, parcel)?,
            )
        }
        AnswerCommand::Override {
            jcbh,
            batch,
            year,
            file,
            reason,
            parcel,
            based_on,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            let answer: weipian_domain::determination::Answer = serde_json::from_str(&text)
                .map_err(|e| anyhow!("{}：不是有效的填报 JSON（{e}）", file.display()))?;
            let req = answers::SaveAnswer {
                batch,
                jcbh,
                answer,
                based_on,
                reason: None,
            };
            print_answer(
                json,
                &answers::override_answer(&mut store, &who, &req, parcel, &reason)?,
            )
        }
        AnswerCommand::Transfers {
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            let list = answers::transfers_awaiting_feedback(&store, &who, &batch)?;
            if json {
                println!("{}", json!({ "ok": true, "transfers": list }));
            } else {
                println!("待反馈的移交图斑 {} 个", list.len());
                for t in &list {
                    println!(
                        "  {}  {}  {}  移交给 {}（{}）",
                        t.jcbh, t.xzqdm, t.date, t.receiver, t.document
                    );
                }
            }
            Ok(())
        }
        AnswerCommand::Attach {
            jcbh,
            batch,
            year,
            file,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let meta =
                std::fs::metadata(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            if meta.len() > evidence::MAX_ATTACHMENT_BYTES as u64 {
                bail!(
                    "{}：文件超过 {} MB 的上限",
                    file.display(),
                    evidence::MAX_ATTACHMENT_BYTES / 1_048_576
                );
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let a = evidence::attach(&mut store, &who, &batch, &jcbh, &name, &bytes)?;
            let line = format!(
                "已上传 {}（{}，{} 字节）{}",
                a.file_name,
                a.media_type,
                a.size,
                a.flags
                    .iter()
                    .map(|f| format!("\n  注意：{f}"))
                    .collect::<String>()
            );
            report(json, &line, &a)
        }
    }
}

fn military_command(data: &Path, json: bool, cmd: MilitaryCommand) -> Result<()> {
    use weipian_service::military;
    let mut store = open_store(data)?;
    match cmd {
        MilitaryCommand::File {
            jcbh,
            batch,
            year,
            file,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            let record: military::MilitaryRecord = serde_json::from_str(&text)
                .map_err(|e| anyhow!("{}：不是有效的登记表 JSON（{e}）", file.display()))?;
            military::file(&mut store, &who, &batch, &jcbh, &record)?;
            report(
                json,
                &format!("已将图斑 {jcbh} 登记为军用土地"),
                &json!({ "jcbh": jcbh }),
            )
        }
        MilitaryCommand::List {
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let list = military::register(&store, &who, &batch)?;
            if json {
                println!("{}", json!({ "ok": true, "register": list }));
            } else {
                println!("军用土地登记 {} 个", list.len());
                for m in &list {
                    println!(
                        "  {}  {}  {}  {}  {} {}",
                        m.jcbh,
                        m.xzqdm,
                        m.record.unit,
                        m.record.usage,
                        m.record.filled_by,
                        m.record.date
                    );
                }
            }
            Ok(())
        }
        MilitaryCommand::Export {
            batch,
            year,
            out,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let n = military::export_register(&store, &who, &batch, &out)?;
            report(
                json,
                &format!("已导出军用土地登记表 {n} 条：{}", out.display()),
                &json!({ "rows": n, "out": out }),
            )
        }
    }
}

fn answers_command(data: &Path, json: bool, cmd: AnswersCommand) -> Result<()> {
    use weipian_service::bulk;
    let mut store = open_store(data)?;
    match cmd {
        AnswersCommand::Import {
            file,
            batch,
            year,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            let s = bulk::import_answers(&mut store, &who, &batch, &file)?;
            let mut line = format!(
                "{}：保存 {} 行，未变化 {} 行，退回 {} 行",
                file.display(),
                s.applied.len(),
                s.unchanged.len(),
                s.rejected.len()
            );
            for r in &s.rejected {
                line.push_str(&format!(
                    "\n  第 {} 行（{}）：{}",
                    r.row,
                    r.jcbh.as_deref().unwrap_or("无监测编号"),
                    r.reasons.join("；")
                ));
            }
            report(json, &line, &s)
        }
        AnswersCommand::Export {
            batch,
            year,
            out,
            as_user,
        } => {
            let who = acting(&store, as_user.as_deref())?;
            let batch = resolve_batch(&store, year, &batch)?;
            let n = bulk::export_answers(&store, &who, &batch, &out)?;
            report(
                json,
                &format!("已导出 {n} 个图斑的填报：{}", out.display()),
                &json!({ "rows": n, "out": out }),
            )
        }
    }
}

fn print_case(json: bool, v: &weipian_service::cases::CaseView) -> Result<()> {
    let line = format!(
        "案件 {}（编号 {}，{}）：{}，版本 {}，关联图斑 {}",
        v.id,
        v.case.number,
        v.county,
        v.stage,
        v.version,
        v.patches.join("、")
    );
    report(json, &line, v)
}

fn case_command(data: &Path, json: bool, cmd: CaseCommand) -> Result<()> {
    use weipian_service::cases;
    let mut store = open_store(data)?;
    match cmd {
        CaseCommand::Open {
            number,
            batch,
            year,
            jcbhs,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let batch = resolve_batch(&store, year, &batch)?;
            print_case(
                json,
                &cases::open_case(&mut store, &who, &batch, &number, &jcbhs)?,
            )
        }
        CaseCommand::Event {
            id,
            file,
            based_on,
            as_user,
        } => {
            let who = acting(&store, Some(&as_user))?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            let event: weipian_domain::case::CaseEvent = serde_json::from_str(&text)
                .map_err(|e| anyhow!("{}：不是有效的案件事项 JSON（{e}）", file.display()))?;
            print_case(
                json,
                &cases::apply_event(&mut store, &who, id, &event, based_on)?,
            )
        }
        CaseCommand::Show { id, as_user } => {
            let who = acting(&store, as_user.as_deref())?;
            print_case(json, &cases::get_case(&store, &who, id)?)
        }
        CaseCommand::Range { id, file, as_user } => {
            use weipian_service::case_ranges;
            let who = acting(&store, as_user.as_deref())?;
            let v = match file {
                Some(f) => case_ranges::upload_range(&mut store, &who, id, &f)?,
                None => case_ranges::range(&store, &who, id)?,
            };
            if json {
                crate::print_ok(&v)?;
            } else if v.features.is_empty() {
                println!("案件 {id} 尚未上传违法用地矢量范围");
            } else {
                println!(
                    "案件 {id} 的违法用地范围（{}）：{} 个要素，{} 公顷（{} 亩）",
                    v.source.as_deref().unwrap_or(""),
                    v.features.len(),
                    units::format_hectares(v.total_area_m2),
                    units::format_mu(v.total_area_m2)
                );
                for (layer, a) in &v.totals.layers {
                    let name =
                        weipian_domain::layer::kind(layer).map_or(layer.as_str(), |k| k.name_zh);
                    println!("  其中{name}：{} 亩", units::format_mu(*a));
                }
                for w in &v.warnings {
                    println!("  提示：{w}");
                }
            }
            Ok(())
        }
    }
}

fn audit_command(data: &Path, json: bool, cmd: AuditCommand) -> Result<()> {
    let store = open_store(data)?;
    match cmd {
        AuditCommand::Verify => {
            let check = store.verify_audit()?;
            match &check.first_bad {
                None => {
                    if json {
                        println!("{}", json!({ "ok": true, "records": check.records }));
                    } else {
                        println!("审计日志完整：{} 条记录，散列链校验通过", check.records);
                    }
                    Ok(())
                }
                Some((seq, why)) => {
                    if json {
                        println!(
                            "{}",
                            json!({ "ok": false, "records": check.records, "first_bad": seq, "reason": why })
                        );
                    }
                    bail!("审计日志第 {seq} 条记录异常：{why}")
                }
            }
        }
        AuditCommand::Log { batch, year, jcbh } => {
            let prefix = match (&batch, &jcbh) {
                (Some(b), j) => {
                    let id = resolve_batch(&store, year, b)?;
                    Some(match j {
                        Some(j) => format!("{}/{}/{j}", id.year, id.name),
                        None => format!("{}/{}/", id.year, id.name),
                    })
                }
                (None, Some(_)) => bail!("按监测编号查看时须同时给出 --batch"),
                (None, None) => None,
            };
            let records = store.audit_records(prefix.as_deref())?;
            if json {
                let rows: Vec<_> = records
                    .iter()
                    .map(|r| json!({ "seq": r.seq, "at": r.at, "actor": r.entry.actor, "region": r.entry.region,
                        "action": r.entry.action, "target": r.entry.target, "before": r.entry.before,
                        "after": r.entry.after, "reason": r.entry.reason, "hash": r.hash }))
                    .collect();
                println!("{}", json!({ "ok": true, "records": rows }));
            } else {
                for r in &records {
                    println!(
                        "{:>6}  {}  {}（{}）  {}  {}{}",
                        r.seq,
                        r.at,
                        r.entry.actor,
                        r.entry.region,
                        r.entry.action,
                        r.entry.target,
                        r.entry
                            .reason
                            .as_deref()
                            .map(|x| format!("  原因：{x}"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
    }
}

/// Print `v` as JSON with `"ok": true` added (the `--json` summary).
fn print_ok<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut doc = serde_json::to_value(v)?;
    if let Some(m) = doc.as_object_mut() {
        m.insert("ok".into(), true.into());
    }
    println!("{doc}");
    Ok(())
}

/// Serve the platform (the page and the API) until the process ends.
fn serve(
    data: &Path,
    addr: std::net::SocketAddr,
    config: weipian_server::config::Config,
) -> Result<()> {
    let store = open_store(data)?;
    let rt = tokio::runtime::Runtime::new().context("无法启动异步运行时")?;
    println!("卫片执法平台已启动：http://{addr}/ （接口 http://{addr}/api/，接口文档 http://{addr}/api/openapi.json）");
    if config.basemap.is_none() {
        println!(
            "未配置底图：地图只显示图斑与基础图层（可在配置文件 [basemap] 中设置天地图等瓦片服务）"
        );
    }
    rt.block_on(weipian_server::serve(store, addr, config))
        .with_context(|| format!("无法在 {addr} 上提供服务"))
}

/// `weipian serve`: flags and environment first, then the configuration
/// file, then the defaults.
fn serve_command(
    cli: &Cli,
    addr: Option<std::net::SocketAddr>,
    config: Option<&Path>,
) -> Result<()> {
    let config = match config {
        Some(path) => weipian_server::config::Config::load(path)?,
        None => weipian_server::config::Config::default(),
    };
    let data = match (&config.server.data, cli.data_given) {
        (Some(d), false) => d.clone(),
        _ => cli.data.clone(),
    };
    let addr = addr
        .or(config.server.addr)
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
    serve(&data, addr, config)
}

fn open_store(data: &Path) -> Result<Store> {
    Store::open(data).with_context(|| format!("无法打开数据目录 {}", data.display()))
}

fn try_main(cli: Cli) -> Result<()> {
    let bars = progress::Bars::new();
    match cli.command {
        Command::Demo(args) => {
            demo::run(&cli.data, args.seed, args.no_serve, cli.json, &bars)?;
            if args.no_serve {
                return Ok(());
            }
            serve(
                &cli.data,
                args.addr,
                weipian_server::config::Config::default(),
            )
        }
        Command::Import(cmd) => {
            let mut store = open_store(&cli.data)?;
            let table = RegionTable::embedded();
            match cmd {
                ImportCommand::Regions { file, encoding } => {
                    let s = import::import_regions(
                        &mut store,
                        &weipian_domain::access::Actor::local_admin(),
                        &table,
                        &file,
                        encoding,
                        &bars,
                    )?;
                    let line = format!(
                        "已导入县级行政区界线 {} 个（{}，{}）",
                        s.imported,
                        file.display(),
                        s.source.crs
                    );
                    print_warnings(cli.json, &s.warnings);
                    report(cli.json, &line, &s)
                }
                ImportCommand::Layer {
                    kind,
                    file,
                    encoding,
                } => {
                    let s = import::import_layer(
                        &mut store,
                        &weipian_domain::access::Actor::local_admin(),
                        &kind,
                        &file,
                        encoding,
                        &bars,
                    )?;
                    let line = format!(
                        "已导入{}图层 {} 个要素，面积 {} 公顷（{} 亩）{}",
                        s.kind_zh,
                        s.imported,
                        units::format_hectares(s.area_m2),
                        units::format_mu(s.area_m2),
                        repairs_suffix(s.repairs.len())
                    );
                    print_repairs(cli.json, &s.repairs);
                    report(cli.json, &line, &s)
                }
                ImportCommand::Patches {
                    file,
                    year,
                    batch,
                    kind,
                    encoding,
                } => {
                    let batch = BatchId::new(year, &batch)?;
                    let req = PatchImportRequest {
                        path: file,
                        batch,
                        kind,
                        encoding,
                    };
                    let s = import::import_patches(
                        &mut store,
                        &weipian_domain::access::Actor::local_admin(),
                        &table,
                        &req,
                        &bars,
                    )?;
                    print_warnings(cli.json, &s.warnings);
                    print_repairs(cli.json, &s.repairs);
                    let line = format!(
                        "批次 {} {}图斑：读入 {} 个，新增 {}、更新 {}、未变 {}；面积 {} 公顷（{} 亩）；{}；编码 {}{}{}",
                        s.batch,
                        s.kind.name_zh(),
                        s.source.features,
                        s.inserted,
                        s.updated,
                        s.unchanged,
                        units::format_hectares(s.area_m2),
                        units::format_mu(s.area_m2),
                        s.source.crs,
                        s.source.encoding.as_deref().unwrap_or("—"),
                        repairs_suffix(s.repairs.len()),
                        if s.warnings.is_empty() { String::new() } else { format!("；提示 {} 条", s.warnings.len()) },
                    );
                    report(cli.json, &line, &s)
                }
            }
        }
        Command::Analyze { batch, year, force } => {
            let mut store = open_store(&cli.data)?;
            let batch = resolve_batch(&store, year, &batch)?;
            let s = weipian_service::analyze::analyze(
                &mut store,
                &weipian_domain::access::Actor::local_admin(),
                &weipian_service::analyze::AnalyzeRequest { batch, force },
                &bars,
            )?;
            let recomputed: usize = s.layers.iter().map(|l| l.recomputed).sum();
            let reused: usize = s.layers.iter().map(|l| l.reused).sum();
            if !cli.json {
                for m in &s.missing_layers {
                    eprintln!("提示：未导入图层 {m}，相关面积为空");
                }
                for p in &s.problems {
                    eprintln!("问题：{p}");
                }
            }
            let line = format!(
                "批次 {}：{} 个图斑{}，重算 {} 项、沿用 {} 项叠加结果{}",
                s.batch,
                s.patches,
                if s.parcels > 0 {
                    format!("（另有拆分出的 {} 个地块一并分析）", s.parcels)
                } else {
                    String::new()
                },
                recomputed,
                reused,
                if s.problems.is_empty() {
                    String::new()
                } else {
                    format!("；{} 个图斑无法分析（见上）", s.problems.len())
                }
            );
            report(cli.json, &line, &s)?;
            if s.problems.is_empty() {
                Ok(())
            } else {
                bail!("{} 个图斑叠加分析失败", s.problems.len())
            }
        }
        Command::Export(ExportCommand::Patches {
            batch,
            year,
            format,
            out,
            region,
            kind,
        }) => {
            let store = open_store(&cli.data)?;
            let batch = resolve_batch(&store, year, &batch)?;
            let req = export::ExportRequest {
                batch,
                kind,
                region,
                format,
                out,
            };
            let s = export::export_patches(
                &store,
                &weipian_domain::access::Actor::local_admin(),
                &req,
                &bars,
            )?;
            let line = format!(
                "已导出 {} 个图斑到 {}（{}），面积 {} 公顷（{} 亩）",
                s.patches,
                s.out.display(),
                s.format,
                units::format_hectares(s.area_m2),
                units::format_mu(s.area_m2)
            );
            if !cli.json {
                for (from, to) in &s.renamed_fields {
                    eprintln!("提示：字段 {from} 导出为 {to}");
                }
                if s.not_analyzed > 0 {
                    eprintln!("提示：{} 个图斑没有最新的叠加分析结果（相应面积为空），请先运行 weipian analyze --batch {}", s.not_analyzed, req.batch.name);
                }
            }
            report(cli.json, &line, &s)
        }
        Command::Layers => {
            let store = open_store(&cli.data)?;
            let layers = store.layers()?;
            let rows: Vec<_> = layers
                .iter()
                .map(|l| {
                    json!({
                        "kind": l.kind.code, "name": l.kind.name_zh, "count": l.count, "area_m2": l.area_m2,
                        "source": l.source.as_ref().map(|s| s.file.clone()), "imported_at": l.imported_at,
                    })
                })
                .collect();
            if cli.json {
                println!("{}", json!({ "ok": true, "layers": rows }));
            } else {
                use table::{left, right};
                println!(
                    "{} {} {} {}  来源",
                    left("类型", 6),
                    left("名称", 24),
                    right("要素数", 10),
                    right("面积（公顷）", 16)
                );
                for l in &layers {
                    println!(
                        "{} {} {} {}  {}",
                        left(l.kind.code, 6),
                        left(l.kind.name_zh, 24),
                        right(&l.count.to_string(), 10),
                        right(&units::format_hectares(l.area_m2), 16),
                        l.source.as_ref().map_or("—", |s| s.file.as_str())
                    );
                }
                let loaded = layers.iter().filter(|l| l.count > 0).count();
                println!("共 {} 类图层，已导入 {} 类", layers.len(), loaded);
            }
            Ok(())
        }
        Command::User(cmd) => user_command(&cli.data, cli.json, cmd),
        Command::Answer(cmd) => answer_command(&cli.data, cli.json, cmd),
        Command::Audit(cmd) => audit_command(&cli.data, cli.json, cmd),
        Command::Military(cmd) => military_command(&cli.data, cli.json, cmd),
        Command::Case(cmd) => case_command(&cli.data, cli.json, cmd),
        Command::Answers(cmd) => answers_command(&cli.data, cli.json, cmd),
        Command::Parcels(cmd) => parcels_cmd::run(&cli.data, cli.json, cmd),
        Command::Review(cmd) => review_cmd::run(&cli.data, cli.json, cmd),
        Command::Desk(cmd) => desk_cmd::run(&cli.data, cli.json, cmd),
        Command::Sample(cmd) => sample_cmd::run(&cli.data, cli.json, cmd),
        Command::Field(cmd) => field_cmd::run(&cli.data, cli.json, cmd),
        Command::Report(cmd) => report_cmd::run(&cli.data, cli.json, cmd),
        Command::Accountability(args) => accountability_cmd::run(&cli.data, cli.json, args),
        Command::Gate(args) => gate_cmd::run(&cli.data, cli.json, args),
        Command::Signals(args) => enforcement_cmd::run_signals(&cli.data, cli.json, args),
        Command::Blacklist(args) => enforcement_cmd::run_blacklist(&cli.data, cli.json, args),
        Command::Schedule(cmd) => schedule_cmd::run(&cli.data, cli.json, cmd),
        Command::Awaiting {
            batch,
            year,
            today,
            as_user,
        } => schedule_cmd::awaiting(
            &cli.data,
            cli.json,
            &batch,
            year,
            today.as_deref(),
            &as_user,
        ),
        Command::Serve { addr, ref config } => serve_command(&cli, addr, config.as_deref()),
        Command::Batches => {
            let store = open_store(&cli.data)?;
            let batches = store.batches()?;
            if cli.json {
                let rows: Vec<_> = batches
                    .iter()
                    .map(|b| {
                        json!({ "year": b.id.year, "batch": b.id.name, "kind": b.kind, "count": b.count,
                                "area_m2": b.area_m2, "source": b.source, "imported_at": b.imported_at })
                    })
                    .collect();
                println!("{}", json!({ "ok": true, "batches": rows }));
            } else {
                use table::{left, right};
                println!(
                    "{} {} {} {} {}  导入时间",
                    left("年份", 6),
                    left("批次", 10),
                    left("种类", 6),
                    right("图斑数", 8),
                    right("面积（公顷）", 16)
                );
                for b in &batches {
                    println!(
                        "{} {} {} {} {}  {}",
                        left(&b.id.year.to_string(), 6),
                        left(&b.id.name, 10),
                        left(b.kind.name_zh(), 6),
                        right(&b.count.to_string(), 8),
                        right(&units::format_hectares(b.area_m2), 16),
                        b.imported_at
                    );
                }
                println!(
                    "共 {} 个批次，{} 个图斑",
                    batches.len(),
                    batches.iter().map(|b| b.count).sum::<usize>()
                );
            }
            Ok(())
        }
    }
}

/// Find a batch by name (and year, when the name repeats across years).
fn resolve_batch(store: &Store, year: Option<u16>, name: &str) -> Result<BatchId> {
    let mut ids: Vec<BatchId> = store
        .batches()?
        .into_iter()
        .map(|b| b.id)
        .filter(|id| id.name == name && year.is_none_or(|y| id.year == y))
        .collect();
    ids.dedup();
    match ids.len() {
        0 => bail!(
            "没有名为 {name} 的批次{}（用 weipian batches 查看已导入批次）",
            year.map(|y| format!("（{y} 年）")).unwrap_or_default()
        ),
        1 => ids.pop().ok_or_else(|| anyhow!("批次 {name}")),
        _ => bail!("多个年份都有批次 {name}，请用 --year 指明"),
    }
}

fn repairs_suffix(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("；修复图形 {n} 处（见上）")
    }
}

fn print_repairs(json: bool, repairs: &[import::RepairNote]) {
    if json {
        return;
    }
    for r in repairs {
        let who = r
            .jcbh
            .as_deref()
            .map_or_else(|| format!("第 {} 条记录", r.row), |j| format!("JCBH {j}"));
        eprintln!("修复：{who}：{}", r.repairs.join("；"));
    }
}

fn print_warnings(json: bool, warnings: &[weipian_service::RowProblem]) {
    if json {
        return;
    }
    const SHOWN: usize = 20;
    for w in warnings.iter().take(SHOWN) {
        eprintln!("提示：{w}");
    }
    if warnings.len() > SHOWN {
        eprintln!(
            "提示：……其余 {} 条略（用 --json 查看全部）",
            warnings.len() - SHOWN
        );
    }
}
