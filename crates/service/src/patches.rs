//! Listing patches for an actor: scoped, filtered, paged.

use serde::Serialize;
use weipian_domain::access::Actor;
use weipian_domain::determination::Answer;
use weipian_domain::{BatchId, PatchKind, RegionCode};
use weipian_store::{PatchQuery, Store};

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
pub fn list(store: &Store, actor: &Actor, req: &ListRequest) -> Result<Page, ServiceError> {
    let per_page = req.per_page.clamp(1, 1000);
    let page = req.page.max(1);
    let patches = match crate::scope::region_filter(actor, req.region)? {
        Some(region) => store.patches(&PatchQuery {
            batch: req.batch.clone(),
            kind: req.kind,
            region,
        })?,
        None => Vec::new(),
    };
    let total = patches.len();
    let overlay = store.overlay_rows(&req.batch)?;
    let patch_revs = store.patch_revisions(&req.batch)?;
    let layer_revs = store.layer_revisions()?;
    let mut by_patch: std::collections::HashMap<i64, Vec<&weipian_store::OverlayRow>> =
        std::collections::HashMap::new();
    for r in &overlay {
        by_patch.entry(r.patch_id).or_default().push(r);
    }
    let mut items = Vec::new();
    for p in patches.iter().skip((page - 1) * per_page).take(per_page) {
        let a = store.answer(p.id)?;
        let fig = crate::figures::PatchFigures::new(
            by_patch.get(&p.id).into_iter().flatten().copied(),
            patch_revs.get(&p.id).map(String::as_str),
            &layer_revs,
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
        items.push(PatchRow {
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
            answer_version: a.as_ref().map_or(0, |s| s.version),
            answer_complete: a.is_some_and(|s| s.complete),
        });
    }
    Ok(Page {
        total,
        page,
        per_page,
        items,
    })
}
