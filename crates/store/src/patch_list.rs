//! The patch list: filtered, sorted and paged in SQL, then the rows of the
//! page only built, in one query over their ids.
//!
//! What keeps it fast at province scale (100,000 patches, see
//! `docs/benchmarks.md`): the patches are found, counted and ordered in the
//! covering index `patches_list` without reading their rows (which hold the
//! geometry); every other filter is a set the index entries are probed
//! against — the work state kept per patch in `patch_work` (migration 21),
//! answers by their indexed 判定类型 / 具体情形, flags by status — so no
//! JSON is parsed and no answer or review is read per listed patch.

use std::collections::HashMap;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{params_from_iter, Connection, OptionalExtension, ToSql};
use weipian_domain::review::WorkStatus;
use weipian_domain::{BatchId, PatchKind, RegionCode};

use crate::patches::{region_range, PatchSummary};
use crate::{to_i64, to_usize, Store, StoreError};

/// The 判定类型 of an `answers` row: exactly the expression `answers_pdlx`
/// indexes (a different spelling would not use the index).
const PDLX: &str = "(CASE WHEN json_valid(answer) THEN json_extract(answer, '$.PDLX') END)";
/// The 具体情形 of an `answers` row, as `answers_jtqx` indexes it.
const JTQX: &str = "(CASE WHEN json_valid(answer) THEN json_extract(answer, '$.JTQX') END)";

/// How the list is ordered (ties always by JCBH ascending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatchSort {
    #[default]
    Jcbh,
    /// The ellipsoidal area.
    Area,
    Xzqdm,
    /// The latest change of its answers or review; patches without either
    /// come last in both directions.
    Updated,
}

/// Which patches by their desk-review flags (疑点).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagFilter {
    /// With at least one open flag.
    Open,
    /// With at least one upheld flag.
    Upheld,
    /// With any flag, whatever its status.
    Any,
    /// Without any flag.
    None,
}

/// One page of the patches of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchListQuery {
    pub batch: BatchId,
    /// Both kinds when `None`.
    pub kind: Option<PatchKind>,
    /// Within this region ([`RegionCode::is_within`]); everywhere when `None`.
    pub region: Option<RegionCode>,
    /// In any of these statuses; any status when empty.
    pub statuses: Vec<WorkStatus>,
    /// Some current answer (of the patch or of a 地块) has this 判定类型.
    pub pdlx: Option<String>,
    /// Some current answer has this 具体情形.
    pub jtqx: Option<String>,
    pub flag: Option<FlagFilter>,
    /// Ellipsoidal area at least this, m².
    pub min_area_m2: Option<f64>,
    /// Ellipsoidal area at most this, m².
    pub max_area_m2: Option<f64>,
    /// JCBH contains this (ASCII case-insensitive; `%` and `_` are literal).
    pub jcbh_contains: Option<String>,
    pub sort: PatchSort,
    pub descending: bool,
    /// Rows skipped.
    pub offset: usize,
    /// Rows at most.
    pub limit: usize,
}

impl PatchListQuery {
    /// The first 50 patches of `batch` by JCBH, nothing filtered.
    #[must_use]
    pub fn new(batch: BatchId) -> Self {
        Self {
            batch,
            kind: None,
            region: None,
            statuses: Vec::new(),
            pdlx: None,
            jtqx: None,
            flag: None,
            min_area_m2: None,
            max_area_m2: None,
            jcbh_contains: None,
            sort: PatchSort::Jcbh,
            descending: false,
            offset: 0,
            limit: 50,
        }
    }
}

/// A row of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchListRow {
    pub patch: PatchSummary,
    pub status: WorkStatus,
    /// Whether its answers are complete: every 地块's of a split patch, the
    /// whole patch's otherwise.
    pub complete: bool,
    /// The version of the whole patch's answer (part 0), 0 when none.
    pub answer_version: i64,
    /// The 判定类型 of the whole patch's answer.
    pub category: Option<String>,
    /// How many 地块 it is split into (0: not split).
    pub parcels: usize,
    pub open_flags: usize,
    /// The latest change of its answers or review (UTC, RFC 3339).
    pub updated_at: Option<String>,
}

/// A page: how many patches match in all, and the rows asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchListPage {
    pub total: usize,
    pub rows: Vec<PatchListRow>,
}

/// `text` as a LIKE pattern matching it anywhere, with `\` escaping.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The SQL condition on `patches p` of a query, with its arguments.
struct Filter {
    sql: String,
    args: Vec<Box<dyn ToSql>>,
}

impl Filter {
    fn arg(&mut self, v: impl ToSql + 'static) -> String {
        self.args.push(Box::new(v));
        format!("?{}", self.args.len())
    }

    fn and(&mut self, cond: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(cond);
    }

    /// The patch has (`has`) or has not a row of `table` (keyed by
    /// `patch_id`) where `cond`: a correlated lookup when `small`, else a
    /// set built once.
    fn set(&mut self, small: bool, has: bool, table: &str, cond: &str) {
        let not = if has { "" } else { "NOT " };
        self.and(&if small {
            format!("{not}EXISTS (SELECT 1 FROM {table} WHERE patch_id = p.fid AND {cond})")
        } else {
            format!("p.fid {not}IN (SELECT patch_id FROM {table} WHERE {cond})")
        });
    }

    fn of(q: &PatchListQuery) -> Result<Self, StoreError> {
        let mut f = Filter {
            sql: String::new(),
            args: Vec::new(),
        };
        let year = f.arg(i64::from(q.batch.year));
        let batch = f.arg(q.batch.name.clone());
        f.sql = format!(
            "p.year = {year} AND p.batch = {batch} AND p.fid {}",
            crate::NOT_MILITARY
        );
        if let Some(region) = q.region {
            // The prefix range finds them in the index; a code in the range
            // that is not plain six digits is judged by RegionCode::is_within.
            let (lo, hi) = region_range(region);
            let (lo, hi, code) = (f.arg(lo), f.arg(hi), f.arg(region.to_string()));
            f.and(&format!(
                "p.xzqdm >= {lo} AND p.xzqdm < {hi} AND (p.xzqdm GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]' OR weipian_region_within(p.xzqdm, {code}))"
            ));
        }
        if let Some(kind) = q.kind {
            let k = f.arg(kind.code());
            f.and(&format!("p.kind = {k}"));
        }
        for (bound, op) in [(q.min_area_m2, ">="), (q.max_area_m2, "<=")] {
            if let Some(v) = bound {
                if !v.is_finite() {
                    return Err(StoreError::Invalid(format!("面积条件不是有限数值：{v}")));
                }
                let a = f.arg(v);
                f.and(&format!("p.tqmj {op} {a}"));
            }
        }
        if let Some(text) = q.jcbh_contains.as_deref().filter(|t| !t.is_empty()) {
            let pattern = f.arg(contains_pattern(text));
            f.and(&format!("p.jcbh LIKE {pattern} ESCAPE '\\'"));
        }
        // The sets a patch is tested against: over a province or more, each
        // set is built once and probed (a Bloom filter first); over a city
        // or county, its few patches are each looked up instead.
        let small = q.region.is_some_and(|r| !r.value().is_multiple_of(10_000));
        let mut statuses = q.statuses.clone();
        statuses.sort_by_key(|s| s.code());
        statuses.dedup();
        if !statuses.is_empty() && statuses.len() < WorkStatus::ALL.len() {
            let codes: Vec<String> = statuses.iter().map(|s| f.arg(s.code())).collect();
            let codes = codes.join(", ");
            if statuses.contains(&WorkStatus::Unanswered) {
                // No patch_work row: unanswered, never changed. Looked up
                // per patch: the set of all others would be most of them.
                f.and(&format!(
                    "NOT EXISTS (SELECT 1 FROM patch_work w WHERE w.patch_id = p.fid AND w.status NOT IN ({codes}))"
                ));
            } else {
                f.set(small, true, "patch_work", &format!("status IN ({codes})"));
            }
        }
        for (code, expr) in [(&q.pdlx, PDLX), (&q.jtqx, JTQX)] {
            if let Some(code) = code {
                let c = f.arg(code.clone());
                f.set(small, true, "answers", &format!("{expr} = {c}"));
            }
        }
        match q.flag {
            None => {}
            Some(FlagFilter::Open) => f.set(small, true, "flags", "status = 'open'"),
            Some(FlagFilter::Upheld) => f.set(small, true, "flags", "status = 'upheld'"),
            Some(FlagFilter::Any) => f.set(small, true, "flags", "1"),
            Some(FlagFilter::None) => f.set(small, false, "flags", "1"),
        }
        Ok(f)
    }
}

/// Registers `weipian_region_within(xzqdm, region)`: whether `xzqdm` parses
/// as a region code within `region` — [`RegionCode::is_within`], the rule,
/// for the codes a prefix range cannot judge alone.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("weipian_region_within", 2, flags, |ctx| {
        let code = |i: usize| match ctx.get_raw(i) {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| RegionCode::parse(s).ok()),
            _ => None,
        };
        Ok(matches!((code(0), code(1)), (Some(c), Some(r)) if c.is_within(r)))
    })
}

/// The ids of one page, each with the number of patches matching: the
/// matching patches with their sort keys are gathered once (materialized),
/// then counted and ordered (arguments appended to `f`).
fn page_sql(q: &PatchListQuery, f: &mut Filter) -> String {
    let dir = if q.descending { "DESC" } else { "ASC" };
    let (join, key, order) = match q.sort {
        PatchSort::Jcbh => ("", "NULL", format!("jcbh {dir}")),
        PatchSort::Area => ("", "p.tqmj", format!("k {dir}, jcbh")),
        PatchSort::Xzqdm => ("", "p.xzqdm", format!("k {dir}, jcbh")),
        PatchSort::Updated => (
            "LEFT JOIN patch_work u ON u.patch_id = p.fid",
            "u.updated_at",
            format!("k IS NULL, k {dir}, jcbh"),
        ),
    };
    let limit = f.arg(to_i64(q.limit));
    let offset = f.arg(to_i64(q.offset));
    format!(
        "WITH m AS MATERIALIZED (SELECT p.fid AS fid, p.jcbh AS jcbh, {key} AS k FROM patches p {join} WHERE {})
         SELECT fid, (SELECT count(*) FROM m) FROM m ORDER BY {order} LIMIT {limit} OFFSET {offset}",
        f.sql
    )
}

/// How many patches match (the filter's own arguments only).
fn count_sql(f: &Filter) -> String {
    format!("SELECT count(*) FROM patches p WHERE {}", f.sql)
}

fn parse_kind(code: &str) -> Result<PatchKind, StoreError> {
    PatchKind::parse(code).ok_or_else(|| StoreError::Corrupt(format!("图斑类别无效：“{code}”")))
}

impl Store {
    /// One page of the patches of a batch that match `q`, in its order,
    /// and how many match in all — never those in the military-land
    /// register. Count, page and rows are read in one snapshot.
    pub fn patch_list(&self, q: &PatchListQuery) -> Result<PatchListPage, StoreError> {
        let mut f = Filter::of(q)?;
        let where_args = f.args.len();
        let page = page_sql(q, &mut f);
        let tx = self.conn.unchecked_transaction()?;
        let mut total = None;
        let mut ids = Vec::with_capacity(q.limit.min(1000));
        {
            let mut stmt = tx.prepare(&page)?;
            let mut rows = stmt.query(params_from_iter(f.args.iter()))?;
            while let Some(r) = rows.next()? {
                ids.push(r.get::<_, i64>(0)?);
                total = Some(r.get::<_, i64>(1)?);
            }
        }
        // A page past the end has no row to carry the total.
        let total = match total {
            Some(n) => n,
            None if q.offset == 0 => 0,
            None => tx.query_row(
                &count_sql(&f),
                params_from_iter(f.args[..where_args].iter()),
                |r| r.get(0),
            )?,
        };
        let total = to_usize(total, "图斑数")?;
        let rows = Self::rows_of(&tx, &ids)?;
        tx.finish()?;
        Ok(PatchListPage { total, rows })
    }

    /// The list rows of some patches, in the order of `ids` (ids unknown or
    /// in the military-land register left out).
    pub fn patch_list_rows(&self, ids: &[i64]) -> Result<Vec<PatchListRow>, StoreError> {
        Self::rows_of(&self.conn, ids)
    }

    /// Whether the answers of a patch are complete: every 地块's of a split
    /// patch, the whole patch's otherwise (kept in `patch_work`).
    pub fn answers_complete(&self, patch_id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT complete FROM patch_work WHERE patch_id = ?1")?
            .query_row([patch_id], |r| r.get::<_, bool>(0))
            .optional()?
            .unwrap_or(false))
    }

    fn rows_of(conn: &Connection, ids: &[i64]) -> Result<Vec<PatchListRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(ids)
            .map_err(|e| StoreError::Invalid(format!("图斑编号无法传递：{e}")))?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT p.fid, p.kind, p.jcbh, p.xzqdm, p.tqmj, COALESCE(p.updated_at, p.imported_at),
                    w.status, w.complete, w.updated_at,
                    a.version, CASE WHEN json_valid(a.answer) THEN json_extract(a.answer, '$.PDLX') END,
                    (SELECT count(*) FROM parcels d WHERE d.patch_id = p.fid),
                    (SELECT count(*) FROM flags g WHERE g.patch_id = p.fid AND g.status = 'open')
               FROM patches p
               LEFT JOIN patch_work w ON w.patch_id = p.fid
               LEFT JOIN answers a ON a.patch_id = p.fid AND a.part = 0
              WHERE p.fid IN (SELECT value FROM json_each(?1)) AND p.fid {}",
            crate::NOT_MILITARY
        ))?;
        let mut rows = stmt.query([list])?;
        let mut by_id = HashMap::with_capacity(ids.len());
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let status = match r.get_ref(6)?.as_str_or_null()? {
                None => WorkStatus::Unanswered,
                Some(code) => WorkStatus::parse(code).ok_or_else(|| {
                    StoreError::Corrupt(format!("图斑 {id} 的工作状态无效：“{code}”"))
                })?,
            };
            let category = match r.get_ref(10)? {
                ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                _ => None,
            };
            by_id.insert(
                id,
                PatchListRow {
                    patch: PatchSummary {
                        id,
                        kind: parse_kind(r.get_ref(1)?.as_str()?)?,
                        jcbh: r.get(2)?,
                        xzqdm: r.get(3)?,
                        area_m2: r.get(4)?,
                        revision: r.get(5)?,
                    },
                    status,
                    complete: r.get::<_, Option<bool>>(7)?.unwrap_or(false),
                    updated_at: r.get(8)?,
                    answer_version: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
                    category,
                    parcels: to_usize(r.get(11)?, "地块数")?,
                    open_flags: to_usize(r.get(12)?, "疑点数")?,
                },
            );
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}

#[cfg(test)]
mod tests {
    use weipian_domain::review::WorkStatus;
    use weipian_domain::{BatchId, RegionCode};

    use super::{
        contains_pattern, count_sql, page_sql, Filter, FlagFilter, PatchListQuery, PatchSort,
    };
    use crate::Store;

    /// The plan of a query, one line per step.
    fn plan(store: &Store, sql: &str, f: &Filter) -> String {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(f.args.iter()), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn the_list_reads_indexes_only_and_parses_no_json() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut q = PatchListQuery::new(BatchId::new(2020, "2020Q1").unwrap());
        q.pdlx = Some("WF".into());
        q.jtqx = Some("WF01".into());
        q.flag = Some(FlagFilter::Open);
        q.min_area_m2 = Some(1.0);
        q.jcbh_contains = Some("TD".into());
        for (region, statuses) in [
            ("510000", vec![WorkStatus::Draft, WorkStatus::City]),
            ("510000", vec![WorkStatus::Draft, WorkStatus::Unanswered]),
            ("510104", vec![WorkStatus::Ready]),
            ("510100", vec![WorkStatus::Unanswered]),
        ] {
            q.region = Some(RegionCode::parse(region).unwrap());
            q.statuses = statuses;
            for sort in [
                PatchSort::Jcbh,
                PatchSort::Area,
                PatchSort::Xzqdm,
                PatchSort::Updated,
            ] {
                q.sort = sort;
                let mut f = Filter::of(&q).unwrap();
                let count = plan(&store, &count_sql(&f), &f);
                let page = page_sql(&q, &mut f);
                let page = plan(&store, &page, &f);
                for p in [&count, &page] {
                    assert!(p.contains("COVERING INDEX patches_list"), "{p}");
                    assert!(
                        p.contains("answers_pdlx") && p.contains("answers_jtqx"),
                        "{p}"
                    );
                    assert!(p.contains("flags_status"), "{p}");
                    // No table is scanned: every set or lookup uses an index
                    // (only the gathered page `m` is read through).
                    assert!(
                        !p.lines().any(|l| l.starts_with("SCAN ")
                            && !l.contains("INDEX")
                            && l != "SCAN m"),
                        "{p}"
                    );
                }
            }
        }
    }

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(contains_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
        assert_eq!(contains_pattern("TD2020"), "%TD2020%");
    }
}
