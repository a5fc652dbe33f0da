//! Patches for an actor: the scoped, filtered, paged list and one patch's detail.

use serde::Serialize;
use weipian_domain::access::Actor;
use weipian_domain::determination::CodeTable;
use weipian_domain::review::WorkStatus;
use weipian_domain::{AttrValue, BatchId, PatchKind, RegionCode};
use weipian_store::{FlagFilter, PatchListQuery, PatchListRow, PatchSort, Store};

use crate::answers::AnswerView;
use crate::evidence::AttachmentView;
use crate::ServiceError;

/// Rows per page unless asked otherwise.
pub const DEFAULT_PER_PAGE: usize = 50;
/// Rows per page at most.
pub const MAX_PER_PAGE: usize = 500;

/// A list request: the API's query parameters, under the same names.
/// Codes arrive as the user gave them and are checked here.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub batch: BatchId,
    pub kind: Option<PatchKind>,
    /// Narrowed to the actor's region; outside it, nothing is listed.
    pub region: Option<RegionCode>,
    /// Comma-separated [`WorkStatus`] codes (any of them).
    pub status: Option<String>,
    /// 判定类型 of any current answer of the patch or of its 地块.
    pub pdlx: Option<String>,
    /// 具体情形 of any current answer.
    pub jtqx: Option<String>,
    /// Desk-review flags: `open`, `upheld`, `any` or `none`.
    pub flag: Option<String>,
    /// Ellipsoidal area, m², inclusive.
    pub min_area: Option<f64>,
    pub max_area: Option<f64>,
    /// Part of the JCBH (case-insensitive).
    pub q: Option<String>,
    /// `jcbh` (default), `area`, `xzqdm` or `updated`.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub dir: Option<String>,
    /// 1-based.
    pub page: usize,
    /// 1 to [`MAX_PER_PAGE`].
    pub per_page: usize,
}

impl ListRequest {
    /// The first page of `batch` by JCBH, nothing filtered.
    #[must_use]
    pub fn new(batch: BatchId) -> Self {
        Self {
            batch,
            kind: None,
            region: None,
            status: None,
            pdlx: None,
            jtqx: None,
            flag: None,
            min_area: None,
            max_area: None,
            q: None,
            sort: None,
            dir: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchRow {
    #[serde(rename = "JCBH")]
    pub jcbh: String,
    #[serde(rename = "XZQDM")]
    pub xzqdm: String,
    pub kind: PatchKind,
    /// Ellipsoidal area, m².
    pub area_m2: f64,
    /// 判定类型 of the whole patch's current answer, if any.
    #[serde(rename = "PDLX")]
    pub category: Option<String>,
    /// Overlay figures under the national codes, in m² (`JCGDMJ_M2`,
    /// `STMJ_M2`, `YJJBNTMJ_M2`…), present when the analysis is current.
    pub figures: std::collections::BTreeMap<String, f64>,
    /// 重点核查 / 百亩大图斑 (None: not analysed).
    #[serde(rename = "ZDHC")]
    pub key_check: Option<bool>,
    #[serde(rename = "BMDTB")]
    pub baimu: Option<bool>,
    /// Number of 地块 the patch is split into (0: answered as a whole).
    #[serde(rename = "DKS")]
    pub parcels: usize,
    /// Version of the whole patch's answer, 0 when unanswered.
    pub answer_version: i64,
    /// Whether its answers are complete: every 地块's of a split patch, the
    /// whole patch's otherwise (what submitting asks for).
    pub answer_complete: bool,
    /// The review state's code (`county` while with the county).
    pub review_state: &'static str,
    pub review_state_name: &'static str,
    /// Returned by the city or province, not submitted again yet.
    pub returned: bool,
    /// The [`WorkStatus`] code (`unanswered`, `draft`, `ready`, `returned`,
    /// or the review state above the county).
    pub status: &'static str,
    pub status_name: &'static str,
    /// Desk-review flags still open.
    pub open_flags: usize,
    /// The latest change of its answers or review (UTC, RFC 3339).
    pub updated_at: Option<String>,
}

/// A page of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<PatchRow>,
}

fn invalid(message: String) -> ServiceError {
    ServiceError::Invalid(message)
}

/// A code parameter's value, trimmed; none when absent or blank.
fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn parse_statuses(value: Option<&String>) -> Result<Vec<WorkStatus>, ServiceError> {
    let Some(text) = given(value) else {
        return Ok(Vec::new());
    };
    text.split([',', '，'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            WorkStatus::parse(c).ok_or_else(|| {
                let choices: Vec<String> = WorkStatus::ALL
                    .iter()
                    .map(|s| format!("{}（{}）", s.code(), s.name_zh()))
                    .collect();
                invalid(format!(
                    "status “{c}” 不是有效的状态，可选：{}",
                    choices.join("、")
                ))
            })
        })
        .collect()
}

fn parse_flag(value: Option<&String>) -> Result<Option<FlagFilter>, ServiceError> {
    given(value)
        .map(|v| match v {
            "open" => Ok(FlagFilter::Open),
            "upheld" => Ok(FlagFilter::Upheld),
            "any" => Ok(FlagFilter::Any),
            "none" => Ok(FlagFilter::None),
            _ => Err(invalid(format!(
                "flag “{v}” 不是有效的疑点条件，可选：open（有未处理疑点）、upheld（有认定成立的疑点）、any（有疑点）、none（无疑点）"
            ))),
        })
        .transpose()
}

fn parse_sort(value: Option<&String>) -> Result<PatchSort, ServiceError> {
    Ok(match given(value) {
        None | Some("jcbh") => PatchSort::Jcbh,
        Some("area") => PatchSort::Area,
        Some("xzqdm") => PatchSort::Xzqdm,
        Some("updated") => PatchSort::Updated,
        Some(v) => {
            return Err(invalid(format!(
                "sort “{v}” 不是有效的排序，可选：jcbh（监测编号）、area（面积）、xzqdm（行政区代码）、updated（最近更新）"
            )))
        }
    })
}

fn parse_dir(value: Option<&String>) -> Result<bool, ServiceError> {
    match given(value) {
        None | Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(v) => Err(invalid(format!(
            "dir “{v}” 应为 asc（升序）或 desc（降序）"
        ))),
    }
}

/// A 判定类型 (`sub` false) or 具体情形 code of the year's table; any code
/// when the year has no table (nothing can be answered then anyway).
fn parse_code(
    value: Option<&String>,
    name: &str,
    sub: bool,
    year: u16,
) -> Result<Option<String>, ServiceError> {
    let Some(code) = given(value) else {
        return Ok(None);
    };
    let Some(table) = CodeTable::embedded(year) else {
        return Ok(Some(code.to_string()));
    };
    // In the table's order, each once (land and mineral share some codes).
    let mut codes: Vec<&str> = Vec::new();
    for c in [PatchKind::Land, PatchKind::Mineral]
        .into_iter()
        .flat_map(|k| table.categories(k))
    {
        let of_category: Vec<&str> = if sub {
            c.sub.iter().map(|s| s.code.as_str()).collect()
        } else {
            vec![c.code.as_str()]
        };
        for x in of_category {
            if !codes.contains(&x) {
                codes.push(x);
            }
        }
    }
    if codes.contains(&code) {
        return Ok(Some(code.to_string()));
    }
    let what = if sub { "具体情形" } else { "判定类型" };
    Err(invalid(format!(
        "{name} “{code}” 不是 {year} 年的{what}代码，可选：{}",
        codes.join("、")
    )))
}

fn parse_area(value: Option<f64>, name: &str) -> Result<Option<f64>, ServiceError> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(invalid(format!(
            "{name} “{v}” 应为不小于 0 的面积（平方米）"
        ))),
        v => Ok(v),
    }
}

/// The store's query for `req` within `region` (already scoped).
fn query(
    req: &ListRequest,
    region: Option<RegionCode>,
) -> Result<(PatchListQuery, usize, usize), ServiceError> {
    // Clamped, not refused: a client asking for more gets the most.
    let per_page = req.per_page.clamp(1, MAX_PER_PAGE);
    let page = req.page.max(1);
    let min = parse_area(req.min_area, "min_area")?;
    let max = parse_area(req.max_area, "max_area")?;
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            return Err(invalid(format!(
                "min_area（{a}）大于 max_area（{b}），没有面积能同时满足"
            )));
        }
    }
    let q = given(req.q.as_ref()).map(str::to_string);
    if q.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(invalid("q 过长（监测编号检索最多 100 个字符）".into()));
    }
    let year = req.batch.year;
    Ok((
        PatchListQuery {
            batch: req.batch.clone(),
            kind: req.kind,
            region,
            statuses: parse_statuses(req.status.as_ref())?,
            pdlx: parse_code(req.pdlx.as_ref(), "pdlx", false, year)?,
            jtqx: parse_code(req.jtqx.as_ref(), "jtqx", true, year)?,
            flag: parse_flag(req.flag.as_ref())?,
            min_area_m2: min,
            max_area_m2: max,
            jcbh_contains: q,
            sort: parse_sort(req.sort.as_ref())?,
            descending: parse_dir(req.dir.as_ref())?,
            offset: (page - 1).saturating_mul(per_page),
            limit: per_page,
        },
        page,
        per_page,
    ))
}

/// The patches of a batch `actor` may see that match the request, one
/// page of them in the order asked.
///
/// The store filters, sorts and pages (indexes only, see
/// `weipian_store::PatchListQuery`); then the rows of the page are built
/// with their overlay figures. Every parameter is checked before anything
/// is read, so a bad one is refused even when the region is outside the
/// actor's scope; outside it, the page is empty — as for a region with no
/// patches, so a scope cannot be probed.
pub fn list(store: &Store, actor: &Actor, req: &ListRequest) -> Result<Page, ServiceError> {
    let scoped = crate::scope::region_filter(actor, req.region)?;
    let (q, page, per_page) = query(req, scoped.flatten())?;
    let found = match scoped {
        Some(_) => store.patch_list(&q)?,
        None => weipian_store::PatchListPage {
            total: 0,
            rows: Vec::new(),
        },
    };
    let ids: Vec<i64> = found.rows.iter().map(|r| r.patch.id).collect();
    let ctx = FigureContext::new(store, &ids)?;
    Ok(Page {
        total: found.total,
        page,
        per_page,
        items: found.rows.iter().map(|r| row(&ctx, r)).collect(),
    })
}

/// What the figures of some patches are derived from.
struct FigureContext {
    overlay: std::collections::HashMap<i64, Vec<weipian_store::OverlayRow>>,
    layer_revs: std::collections::HashMap<String, i64>,
}

impl FigureContext {
    fn new(store: &Store, ids: &[i64]) -> Result<Self, ServiceError> {
        let mut overlay: std::collections::HashMap<i64, Vec<weipian_store::OverlayRow>> =
            std::collections::HashMap::new();
        for r in store.overlay_rows_of(ids)? {
            overlay.entry(r.patch_id).or_default().push(r);
        }
        Ok(Self {
            overlay,
            layer_revs: store.layer_revisions()?,
        })
    }
}

fn row(ctx: &FigureContext, r: &PatchListRow) -> PatchRow {
    let p = &r.patch;
    let fig = crate::figures::PatchFigures::new(
        ctx.overlay.get(&p.id).into_iter().flatten(),
        Some(p.revision.as_str()),
        &ctx.layer_revs,
    );
    let mut figures = std::collections::BTreeMap::new();
    for (field, kind) in crate::figures::area_fields() {
        if let Some(v) = fig.area(kind.code) {
            figures.insert(format!("{field}_M2"), v);
        }
    }
    for (field, class) in crate::figures::GD_SPLIT {
        if let Some(v) = fig.class_area("gd", class) {
            figures.insert(format!("{field}_M2"), v);
        }
    }
    let state = r.status.review_state();
    PatchRow {
        jcbh: p.jcbh.clone(),
        xzqdm: p.xzqdm.clone(),
        kind: p.kind,
        area_m2: p.area_m2,
        category: r.category.clone(),
        figures,
        key_check: fig.key_check(),
        baimu: fig.baimu(),
        parcels: r.parcels,
        answer_version: r.answer_version,
        answer_complete: r.complete,
        review_state: state.code(),
        review_state_name: state.name_zh(),
        returned: r.status == WorkStatus::Returned,
        status: r.status.code(),
        status_name: r.status.name_zh(),
        open_flags: r.open_flags,
        updated_at: r.updated_at.clone(),
    }
}

/// One issued attribute, in the issued column order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedAttr {
    pub name: String,
    pub value: AttrValue,
}

/// Everything about one patch: the list row (figures, flags), the issued
/// attributes verbatim, the geometry repairs made at import, the current
/// answers (of the patch and of its 地块), the attachments and the ids of
/// its cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchDetail {
    #[serde(flatten)]
    pub row: PatchRow,
    pub year: u16,
    pub batch: String,
    pub attributes: Vec<IssuedAttr>,
    /// Repairs made to the geometry at import (Chinese).
    pub repairs: Vec<String>,
    /// The answer of the whole patch.
    pub answer: AnswerView,
    /// The answers of its 地块 when it is split (empty otherwise).
    pub parcel_answers: Vec<AnswerView>,
    pub attachments: Vec<AttachmentView>,
    pub cases: Vec<i64>,
}

/// One patch the actor may read, or NotFound (also when outside its scope).
pub fn detail(
    store: &Store,
    actor: &Actor,
    batch: &BatchId,
    jcbh: &str,
) -> Result<PatchDetail, ServiceError> {
    // Scoped: NotFound for a patch outside the actor's region.
    let answer = crate::answers::get_answer(store, actor, batch, jcbh)?;
    let parcel_answers = crate::answers::get_parcel_answers(store, actor, batch, jcbh)?;
    let attachments = crate::evidence::attachments(store, actor, batch, jcbh)?;
    let patch = store
        .patch(batch, jcbh)?
        .ok_or_else(|| ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}")))?;
    let listed = store
        .patch_list_rows(&[patch.id])?
        .pop()
        .ok_or_else(|| ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}")))?;
    let ctx = FigureContext::new(store, &[patch.id])?;
    Ok(PatchDetail {
        row: row(&ctx, &listed),
        year: batch.year,
        batch: batch.name.clone(),
        attributes: patch
            .fields
            .iter()
            .zip(&patch.attrs)
            .map(|(f, v)| IssuedAttr {
                name: f.name.clone(),
                value: v.clone(),
            })
            .collect(),
        repairs: patch.repairs.iter().map(ToString::to_string).collect(),
        answer,
        parcel_answers,
        attachments,
        cases: store.cases_of_patch(patch.id)?,
    })
}
