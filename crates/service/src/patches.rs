//! Patches for an actor: the scoped, filtered, paged list and one patch's detail.

use serde::Serialize;
use weipian_domain::access::Actor;
use weipian_domain::determination::Answer;
use weipian_domain::{AttrValue, BatchId, PatchKind, RegionCode};
use weipian_store::{PatchQuery, PatchSummary, Store};

use crate::answers::AnswerView;
use crate::evidence::AttachmentView;
use crate::ServiceError;

/// A list request.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub batch: BatchId,
    pub kind: Option<PatchKind>,
    pub region: Option<RegionCode>,
    /// 1-based.
    pub page: usize,
    /// At most 1,000.
    pub per_page: usize,
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
    /// 判定类型 of the current answer, if any.
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
    /// 0 when unanswered.
    pub answer_version: i64,
    pub answer_complete: bool,
}

/// A page of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<PatchRow>,
}

/// The patches of a batch `actor` may see, by JCBH, one page of them.
///
/// Reads only what a row shows: the patches' key columns (no geometry, no
/// issued attributes), then the figures and answers of the page's rows.
pub fn list(store: &Store, actor: &Actor, req: &ListRequest) -> Result<Page, ServiceError> {
    let per_page = req.per_page.clamp(1, 1000);
    let page = req.page.max(1);
    let patches = match crate::scope::region_filter(actor, req.region)? {
        Some(region) => store.patch_summaries(&PatchQuery {
            batch: req.batch.clone(),
            kind: req.kind,
            region,
        })?,
        None => Vec::new(),
    };
    let total = patches.len();
    let shown: Vec<&PatchSummary> = patches
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let ids: Vec<i64> = shown.iter().map(|p| p.id).collect();
    let ctx = FigureContext::new(store, &ids)?;
    let items = shown
        .into_iter()
        .map(|p| row(store, &ctx, p))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        total,
        page,
        per_page,
        items,
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

fn row(store: &Store, ctx: &FigureContext, p: &PatchSummary) -> Result<PatchRow, ServiceError> {
    let a = store.answer(p.id, 0)?;
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
    Ok(PatchRow {
        jcbh: p.jcbh.clone(),
        xzqdm: p.xzqdm.clone(),
        kind: p.kind,
        area_m2: p.area_m2,
        category: a
            .as_ref()
            .and_then(|s| serde_json::from_str::<Answer>(&s.answer).ok())
            .map(|x| x.category),
        figures,
        key_check: fig.key_check(),
        baimu: fig.baimu(),
        parcels: store.parcel_count(p.id)?,
        answer_version: a.as_ref().map_or(0, |s| s.version),
        answer_complete: a.is_some_and(|s| s.complete),
    })
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
    let ctx = FigureContext::new(store, &[patch.id])?;
    let summary = PatchSummary {
        id: patch.id,
        kind: patch.kind,
        jcbh: patch.jcbh.clone(),
        xzqdm: patch.xzqdm.clone(),
        area_m2: patch.area_m2,
        revision: store.patch_revision(patch.id)?.unwrap_or_default(),
    };
    Ok(PatchDetail {
        row: row(store, &ctx, &summary)?,
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
