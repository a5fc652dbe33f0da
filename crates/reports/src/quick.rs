//! The 季度卫片执法工作情况快报 (quarterly quick report): the template of
//! the year (`data/reports/YEAR.toml`, the Ministry's wording kept sentence
//! by sentence) with every blank computed from the patches and cases.
//!
//! Three steps, all pure:
//!
//! 1. [`figures`] sums patches and cases into [`Figures`]: for each
//!    [`Stat`] (range × item, e.g. `land.verified`) a count and the
//!    monitored (or stated illegal), cultivated and basic-farmland areas in
//!    unrounded m². [`figures_by_region`] does every county, city,
//!    province and the nation in one pass.
//! 2. [`Template::parse`] reads the year's text; every `{…}` is checked when
//!    the file is read, so a mistyped blank is refused, never printed.
//! 3. [`render`] fills the blanks into a [`QuickDoc`] of styled paragraphs;
//!    each blank keeps the figure it came from, and [`QuickDoc::explain`]
//!    lists the patches (`JCBH`, `JCBH-n` for a 地块) or cases (违法行为编号)
//!    behind it.
//!
//! Counting rules (one place, [`patch_contributions`] and
//! [`case_contributions`], used both for sums and for explanations):
//! - *issued*: every patch; *checked* (已核实): every part has a
//!   determination; *verified* (已完成核实和填报): every part's answer is
//!   complete;
//! - *legal / illegal / other / false_change*: verified patches' parts
//!   under their own determination, with the part's monitored figures;
//! - *remaining*: verified illegal parts whose case has not eliminated the
//!   illegal state, with the areas the answer states (违法面积…);
//! - *new_construction*: verified parts whose answer states new
//!   construction land (新增建设用地面积, 其中占用耕地);
//! - cases (件): *found* is every case; *filed*, *decided*, *closed*,
//!   *enforced*, *eliminated* each stage reached; *unfiled* neither
//!   eliminated nor filed; areas are the illegal areas the case's answers state.
//!
//! ```
//! use weipian_reports::quick::{figures, render, Subject, Template};
//! let template = Template::embedded(2020).unwrap();
//! let figs = figures(&[], &[]);
//! let subject = Subject::new("四川省", "四川省", 2020, 1, time::macros::date!(2020 - 04 - 30));
//! let doc = render(&template, &subject, &figs);
//! assert!(doc.text().contains("部共下发我四川省卫片执法图斑0个"));
//! assert!(doc.text().contains("完成比例为0.00%"));
//! assert!(doc.text().ends_with("上报时间：2020年4月30日\n"));
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use weipian_domain::determination::Legality;
use weipian_domain::units::{format_hectares, format_mu, hectares, mu};
use weipian_domain::{PatchKind, RegionCode};

use crate::{percent, CaseFact, PatchFact};

/// Which patches or cases a figure covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Range {
    /// Land and mineral together.
    All,
    Land,
    Mineral,
}

impl Range {
    const ALL: [Range; 3] = [Range::All, Range::Land, Range::Mineral];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Range::All => "all",
            Range::Land => "land",
            Range::Mineral => "mineral",
        }
    }

    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Range::All => "全部",
            Range::Land => "土地",
            Range::Mineral => "矿产",
        }
    }

    fn of(kind: PatchKind) -> Range {
        match kind {
            PatchKind::Land => Range::Land,
            PatchKind::Mineral => Range::Mineral,
        }
    }
}

/// What a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Issued,
    Checked,
    Verified,
    Legal,
    Illegal,
    Other,
    FalseChange,
    Remaining,
    NewConstruction,
    Found,
    Filed,
    Decided,
    Closed,
    Enforced,
    Eliminated,
    Unfiled,
    /// Annual results: illegal parts whose illegal state was eliminated by
    /// the year's cut-off — no longer counted as illegal.
    Resolved,
    /// Annual results: cases that eliminated the illegal state by the cut-off.
    ResolvedCases,
}

impl Item {
    const ALL: [Item; 18] = [
        Item::Issued,
        Item::Checked,
        Item::Verified,
        Item::Legal,
        Item::Illegal,
        Item::Other,
        Item::FalseChange,
        Item::Remaining,
        Item::NewConstruction,
        Item::Found,
        Item::Filed,
        Item::Decided,
        Item::Closed,
        Item::Enforced,
        Item::Eliminated,
        Item::Unfiled,
        Item::Resolved,
        Item::ResolvedCases,
    ];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Item::Issued => "issued",
            Item::Checked => "checked",
            Item::Verified => "verified",
            Item::Legal => "legal",
            Item::Illegal => "illegal",
            Item::Other => "other",
            Item::FalseChange => "false_change",
            Item::Remaining => "remaining",
            Item::NewConstruction => "new_construction",
            Item::Found => "found",
            Item::Filed => "filed",
            Item::Decided => "decided",
            Item::Closed => "closed",
            Item::Enforced => "enforced",
            Item::Eliminated => "eliminated",
            Item::Unfiled => "unfiled",
            Item::Resolved => "resolved",
            Item::ResolvedCases => "resolved_cases",
        }
    }

    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Item::Issued => "下发图斑",
            Item::Checked => "已核实图斑",
            Item::Verified => "已核实填报图斑",
            Item::Legal => "合法图斑",
            Item::Illegal => "违法图斑",
            Item::Other => "其他图斑",
            Item::FalseChange => "伪变化图斑",
            Item::Remaining => "扣除消除违法状态后的违法用地",
            Item::NewConstruction => "新增建设用地",
            Item::Found => "发现违法行为",
            Item::Filed => "立案查处",
            Item::Decided => "作出行政处罚（处理）",
            Item::Closed => "结案",
            Item::Enforced => "行政处罚（处理）落实到位",
            Item::Eliminated => "经整改后消除违法状态",
            Item::Unfiled => "尚未消除违法状态又未立案查处",
            Item::Resolved => "年度截止日前已消除违法状态的图斑",
            Item::ResolvedCases => "年度截止日前已消除违法状态的违法行为",
        }
    }

    /// Cases are counted in 件, patches in 个.
    #[must_use]
    pub fn is_case(self) -> bool {
        matches!(
            self,
            Item::Found
                | Item::Filed
                | Item::Decided
                | Item::Closed
                | Item::Enforced
                | Item::Eliminated
                | Item::Unfiled
                | Item::ResolvedCases
        )
    }

    /// Its areas are what answers state (违法面积, 新增建设用地面积), not
    /// the monitored area.
    fn stated(self) -> bool {
        self.is_case() || matches!(self, Item::Remaining | Item::NewConstruction)
    }
}

/// One figure's subject: a range and an item (`land.verified`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Stat {
    pub range: Range,
    pub item: Item,
}

const N_STATS: usize = Range::ALL.len() * Item::ALL.len();

impl Stat {
    /// `land.verified`, `all.found`…
    #[must_use]
    pub fn parse(code: &str) -> Option<Stat> {
        let (r, i) = code.split_once('.')?;
        Some(Stat {
            range: *Range::ALL.iter().find(|x| x.code() == r)?,
            item: *Item::ALL.iter().find(|x| x.code() == i)?,
        })
    }

    #[must_use]
    pub fn code(self) -> String {
        format!("{}.{}", self.range.code(), self.item.code())
    }

    /// `土地违法图斑`, `全部发现违法行为`…
    #[must_use]
    pub fn name_zh(self) -> String {
        let r = match self.range {
            Range::All => "",
            r => r.name_zh(),
        };
        format!("{r}{}", self.item.name_zh())
    }

    fn index(self) -> usize {
        self.range as usize * Item::ALL.len() + self.item as usize
    }
}

impl Serialize for Stat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

/// A count and three areas, m², unrounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sums {
    pub count: u64,
    pub area_m2: f64,
    pub gd_m2: f64,
    pub jbnt_m2: f64,
}

impl Sums {
    fn add(&mut self, area: f64, gd: f64, jbnt: f64) {
        self.count += 1;
        self.area_m2 += area;
        self.gd_m2 += gd;
        self.jbnt_m2 += jbnt;
    }

    fn merge(&mut self, o: &Sums) {
        self.count += o.count;
        self.area_m2 += o.area_m2;
        self.gd_m2 += o.gd_m2;
        self.jbnt_m2 += o.jbnt_m2;
    }

    /// One measure of it.
    #[must_use]
    pub fn measure(&self, m: Measure) -> f64 {
        match m {
            // Counts stay far below 2^53: exact as f64.
            #[allow(clippy::cast_precision_loss)]
            Measure::Count => self.count as f64,
            Measure::Area => self.area_m2,
            Measure::Gd => self.gd_m2,
            Measure::Jbnt => self.jbnt_m2,
        }
    }
}

/// Every [`Stat`]'s sums for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    sums: [Sums; N_STATS],
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            sums: [Sums::default(); N_STATS],
        }
    }
}

impl Figures {
    #[must_use]
    pub fn get(&self, s: Stat) -> Sums {
        self.sums[s.index()]
    }

    fn add(&mut self, range: Range, item: Item, area: f64, gd: f64, jbnt: f64) {
        for r in [Range::All, range] {
            self.sums[Stat { range: r, item }.index()].add(area, gd, jbnt);
        }
    }

    /// Add another region's figures (a county's into its city).
    pub fn merge(&mut self, o: &Figures) {
        for (a, b) in self.sums.iter_mut().zip(o.sums.iter()) {
            a.merge(b);
        }
    }

    /// Every stat with its sums, in a stable order (for JSON and tables).
    pub fn iter(&self) -> impl Iterator<Item = (Stat, Sums)> + '_ {
        Range::ALL.iter().flat_map(move |&range| {
            Item::ALL.iter().map(move |&item| {
                let s = Stat { range, item };
                (s, self.get(s))
            })
        })
    }
}

impl Serialize for Figures {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(N_STATS))?;
        for (stat, sums) in self.iter() {
            m.serialize_entry(&stat.code(), &sums)?;
        }
        m.end()
    }
}

/// Which counting applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// Annual results: what was eliminated by this day no longer counts as
    /// illegal (parts go to `resolved`, cases to `resolved_cases`).
    pub eliminated_by: Option<time::Date>,
}

impl Rules {
    /// The quarterly counting: everything as answered.
    pub const QUARTERLY: Rules = Rules {
        eliminated_by: None,
    };

    fn resolved(self, on: Option<time::Date>) -> bool {
        matches!((self.eliminated_by, on), (Some(by), Some(d)) if d <= by)
    }
}

/// Every (item, label, area, gd, jbnt) a patch adds to — the one statement
/// of the patch counting rules (quarterly).
pub fn patch_contributions(p: &PatchFact, f: &mut impl FnMut(Item, &str, f64, f64, f64)) {
    patch_contributions_with(p, Rules::QUARTERLY, f);
}

/// [`patch_contributions`] under `rules`.
pub fn patch_contributions_with(
    p: &PatchFact,
    rules: Rules,
    f: &mut impl FnMut(Item, &str, f64, f64, f64),
) {
    f(Item::Issued, &p.jcbh, p.area_m2, p.gd_m2, p.jbnt_m2);
    if !p.parts.is_empty() && p.parts.iter().all(|x| x.legality.is_some()) {
        f(Item::Checked, &p.jcbh, p.area_m2, p.gd_m2, p.jbnt_m2);
    }
    if !p.verified() {
        return;
    }
    f(Item::Verified, &p.jcbh, p.area_m2, p.gd_m2, p.jbnt_m2);
    for part in &p.parts {
        let resolved = rules.resolved(part.case.as_ref().and_then(|c| c.eliminated_on));
        let item = match part.legality {
            Some(Legality::Legal) => Item::Legal,
            Some(Legality::Illegal) if resolved => Item::Resolved,
            Some(Legality::Illegal) => Item::Illegal,
            Some(Legality::Other) => Item::Other,
            Some(Legality::FalseChange) => Item::FalseChange,
            None => continue,
        };
        f(item, &part.label, part.area_m2, part.gd_m2, part.jbnt_m2);
        let s = &part.stated;
        if item == Item::Illegal && !part.eliminated {
            f(
                Item::Remaining,
                &part.label,
                s.illegal_m2,
                s.illegal_gd_m2,
                s.illegal_jbnt_m2,
            );
        }
        if s.new_construction_m2 > 0.0 || s.new_construction_gd_m2 > 0.0 {
            f(
                Item::NewConstruction,
                &part.label,
                s.new_construction_m2,
                s.new_construction_gd_m2,
                0.0,
            );
        }
    }
}

/// Every stage a case adds to — the one statement of the case counting
/// rules (quarterly).
pub fn case_contributions(c: &CaseFact, f: &mut impl FnMut(Item, &str, f64, f64, f64)) {
    case_contributions_with(c, Rules::QUARTERLY, f);
}

/// [`case_contributions`] under `rules`.
pub fn case_contributions_with(
    c: &CaseFact,
    rules: Rules,
    f: &mut impl FnMut(Item, &str, f64, f64, f64),
) {
    let mut add = |item| f(item, &c.number, c.area_m2, c.gd_m2, c.jbnt_m2);
    if rules.resolved(c.detail.eliminated_on) {
        add(Item::ResolvedCases);
        return;
    }
    add(Item::Found);
    for (reached, item) in [
        (c.filed, Item::Filed),
        (c.decided, Item::Decided),
        (c.closed, Item::Closed),
        (c.enforced, Item::Enforced),
        (c.eliminated, Item::Eliminated),
        (!c.eliminated && !c.filed, Item::Unfiled),
    ] {
        if reached {
            add(item);
        }
    }
}

/// The figures of a set of patches and cases (one region's, as the caller chose them).
#[must_use]
pub fn figures(patches: &[PatchFact], cases: &[CaseFact]) -> Figures {
    figures_with(patches, cases, Rules::QUARTERLY)
}

/// [`figures`] under `rules`.
#[must_use]
pub fn figures_with(patches: &[PatchFact], cases: &[CaseFact], rules: Rules) -> Figures {
    let mut out = Figures::default();
    for p in patches {
        let range = Range::of(p.kind);
        patch_contributions_with(p, rules, &mut |item, _, a, g, j| {
            out.add(range, item, a, g, j);
        });
    }
    for c in cases {
        let range = Range::of(c.kind);
        case_contributions_with(c, rules, &mut |item, _, a, g, j| {
            out.add(range, item, a, g, j);
        });
    }
    out
}

/// The figures of every county, city (地级), province and of the nation
/// (`000000`) in one pass over the facts: counties are summed, then rolled up.
#[must_use]
pub fn figures_by_region(patches: &[PatchFact], cases: &[CaseFact]) -> BTreeMap<String, Figures> {
    figures_by_region_with(patches, cases, Rules::QUARTERLY)
}

/// [`figures_by_region`] under `rules`.
#[must_use]
pub fn figures_by_region_with(
    patches: &[PatchFact],
    cases: &[CaseFact],
    rules: Rules,
) -> BTreeMap<String, Figures> {
    let mut counties: HashMap<RegionCode, Figures> = HashMap::new();
    for p in patches {
        let range = Range::of(p.kind);
        let f = counties.entry(p.county).or_default();
        patch_contributions_with(p, rules, &mut |item, _, a, g, j| {
            f.add(range, item, a, g, j);
        });
    }
    for c in cases {
        let range = Range::of(c.kind);
        let f = counties.entry(c.county).or_default();
        case_contributions_with(c, rules, &mut |item, _, a, g, j| {
            f.add(range, item, a, g, j);
        });
    }
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for (county, f) in &counties {
        for key in [
            county.prefecture().to_string(),
            county.province().to_string(),
            "000000".to_string(),
        ] {
            out.entry(key).or_default().merge(f);
        }
    }
    for (county, f) in counties {
        out.insert(county.to_string(), f);
    }
    out
}

/// The patches (`JCBH`, `JCBH-n`) or cases (违法行为编号) behind a stat, sorted.
#[must_use]
pub fn members(patches: &[PatchFact], cases: &[CaseFact], stat: Stat) -> Vec<String> {
    members_with(patches, cases, stat, Rules::QUARTERLY)
}

/// [`members`] under `rules`.
#[must_use]
pub fn members_with(
    patches: &[PatchFact],
    cases: &[CaseFact],
    stat: Stat,
    rules: Rules,
) -> Vec<String> {
    let mut out = Vec::new();
    let wanted = |range: Range| stat.range == Range::All || stat.range == range;
    if stat.item.is_case() {
        for c in cases.iter().filter(|c| wanted(Range::of(c.kind))) {
            case_contributions_with(c, rules, &mut |item, label, _, _, _| {
                if item == stat.item {
                    out.push(label.to_string());
                }
            });
        }
    } else {
        for p in patches.iter().filter(|p| wanted(Range::of(p.kind))) {
            patch_contributions_with(p, rules, &mut |item, label, _, _, _| {
                if item == stat.item {
                    out.push(label.to_string());
                }
            });
        }
    }
    out.sort();
    out
}

/// Which number of a [`Sums`] a blank shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Count,
    /// Monitored area, or the stated illegal / new-construction area.
    Area,
    /// 耕地
    Gd,
    /// 永久基本农田
    Jbnt,
}

impl Measure {
    fn parse(s: &str) -> Option<Measure> {
        match s {
            "area" => Some(Measure::Area),
            "gd" => Some(Measure::Gd),
            "jbnt" => Some(Measure::Jbnt),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Measure::Count => "",
            Measure::Area => ".area",
            Measure::Gd => ".gd",
            Measure::Jbnt => ".jbnt",
        }
    }
}

/// How an area is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaUnit {
    /// 公顷, 4 decimals.
    Hectare,
    /// 亩, 2 decimals.
    Mu,
}

/// One number a blank refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub stat: Stat,
    pub measure: Measure,
}

impl Term {
    fn parse(s: &str) -> Result<Term, String> {
        let (stat, measure) = match s.rsplit_once('.') {
            Some((head, m)) if Measure::parse(m).is_some() => (head, Measure::parse(m)),
            _ => (s, Some(Measure::Count)),
        };
        let stat = Stat::parse(stat).ok_or_else(|| format!("没有统计项“{stat}”"))?;
        Ok(Term {
            stat,
            measure: measure.unwrap_or(Measure::Count),
        })
    }

    fn code(self) -> String {
        format!("{}{}", self.stat.code(), self.measure.code())
    }

    /// `土地违法图斑个数`, `土地违法图斑耕地面积`…
    #[must_use]
    pub fn name_zh(self) -> String {
        let what = self.stat.name_zh();
        let stated = self.stat.item.stated();
        match self.measure {
            Measure::Count if self.stat.item.is_case() => format!("{what}件数"),
            Measure::Count => format!("{what}个数"),
            Measure::Area if stated => format!("{what}面积"),
            Measure::Area => format!("{what}监测面积"),
            Measure::Gd => format!("{what}耕地面积"),
            Measure::Jbnt => format!("{what}永久基本农田面积"),
        }
    }

    fn value(self, f: &Figures) -> f64 {
        f.get(self.stat).measure(self.measure)
    }
}

/// A blank of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expr {
    /// A count (个 / 件).
    Count(Term),
    /// An area in 公顷 or 亩.
    Area(Term, AreaUnit),
    /// A share in %, two decimals, 0.00 over nothing.
    Percent(Term, Term),
}

impl Expr {
    fn parse(s: &str) -> Result<Expr, String> {
        if let Some((a, b)) = s.split_once('/') {
            let (a, b) = (Term::parse(a.trim())?, Term::parse(b.trim())?);
            if (a.measure == Measure::Count) != (b.measure == Measure::Count) {
                return Err(format!("“{s}”：个数不能与面积相除"));
            }
            return Ok(Expr::Percent(a, b));
        }
        let (term, unit) = match s.split_once(':') {
            Some((t, "ha")) => (t, Some(AreaUnit::Hectare)),
            Some((t, "mu")) => (t, Some(AreaUnit::Mu)),
            Some((_, u)) => return Err(format!("“{s}”：面积单位只能是 ha 或 mu，不是“{u}”")),
            None => (s, None),
        };
        let term = Term::parse(term.trim())?;
        match (term.measure, unit) {
            (Measure::Count, None) => Ok(Expr::Count(term)),
            (Measure::Count, Some(_)) => Err(format!("“{s}”：个数不带面积单位")),
            (_, Some(u)) => Ok(Expr::Area(term, u)),
            (_, None) => Err(format!("“{s}”：面积须注明单位 :ha 或 :mu")),
        }
    }

    /// The placeholder as written in the template.
    #[must_use]
    pub fn code(self) -> String {
        match self {
            Expr::Count(t) => t.code(),
            Expr::Area(t, AreaUnit::Hectare) => format!("{}:ha", t.code()),
            Expr::Area(t, AreaUnit::Mu) => format!("{}:mu", t.code()),
            Expr::Percent(a, b) => format!("{}/{}", a.code(), b.code()),
        }
    }

    /// What it is, in words (column headers, explanations).
    #[must_use]
    pub fn name_zh(self) -> String {
        match self {
            Expr::Count(t) => t.name_zh(),
            Expr::Area(t, AreaUnit::Hectare) => format!("{}（公顷）", t.name_zh()),
            Expr::Area(t, AreaUnit::Mu) => format!("{}（亩）", t.name_zh()),
            Expr::Percent(a, b) => format!("{}占{}的比例（%）", a.name_zh(), b.name_zh()),
        }
    }

    /// The value in the unit shown (count, 公顷, 亩 or %), unrounded.
    #[must_use]
    pub fn value(self, f: &Figures) -> f64 {
        match self {
            Expr::Count(t) => t.value(f),
            Expr::Area(t, AreaUnit::Hectare) => hectares(t.value(f)),
            Expr::Area(t, AreaUnit::Mu) => mu(t.value(f)),
            Expr::Percent(a, b) => percent(a.value(f), b.value(f)),
        }
    }

    /// As printed: counts whole, 公顷 4 decimals, 亩 and % 2 decimals.
    #[must_use]
    pub fn display(self, f: &Figures) -> String {
        match self {
            Expr::Count(t) => format!("{}", f.get(t.stat).count),
            Expr::Area(t, AreaUnit::Hectare) => format_hectares(t.value(f)),
            Expr::Area(t, AreaUnit::Mu) => format_mu(t.value(f)),
            Expr::Percent(..) => format!("{:.2}", self.value(f)),
        }
    }

    /// Which number format a spreadsheet should use (`0`, `0.0000`, `0.00`).
    #[must_use]
    pub fn decimals(self) -> usize {
        match self {
            Expr::Count(_) => 0,
            Expr::Area(_, AreaUnit::Hectare) => 4,
            Expr::Area(_, AreaUnit::Mu) | Expr::Percent(..) => 2,
        }
    }

    /// The stat whose patches or cases stand behind it (the numerator's).
    #[must_use]
    pub fn stat(self) -> Stat {
        match self {
            Expr::Count(t) | Expr::Area(t, _) | Expr::Percent(t, _) => t.stat,
        }
    }

    /// The denominator's stat, for a share.
    #[must_use]
    pub fn of(self) -> Option<Stat> {
        match self {
            Expr::Percent(_, b) => Some(b.stat),
            _ => None,
        }
    }
}

/// Text the report is about, not a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    /// The region's own name (四川省, 成都市, 武侯区).
    Name,
    /// The names from the province down (四川省成都市武侯区).
    Place,
    /// 省, 市, 县 or 区: what follows 我.
    We,
    Year,
    /// 一, 二, 三, 四.
    Quarter,
    /// 上报时间.
    DateYear,
    DateMonth,
    DateDay,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Var(Var),
    Blank(Expr),
}

/// How a paragraph is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Centred title lines.
    Title,
    /// 一、…
    Heading1,
    /// （一）…
    Heading2,
    Body,
    /// Right-aligned closing line (上报时间).
    Closing,
}

/// A year's quick-report template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The year of the file it came from.
    pub year: u16,
    paragraphs: Vec<(Style, Vec<Piece>)>,
}

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("报表模板（{year} 年）第 {line} 行：{message}")]
pub struct TemplateError {
    pub year: u16,
    pub line: usize,
    pub message: String,
}

#[derive(serde::Deserialize)]
struct TemplateFile {
    year: u16,
    quick: QuickSection,
    #[serde(default)]
    half_year: Option<QuickSection>,
    #[serde(default)]
    annual: Option<QuickSection>,
}

/// Which document of the year's template file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 季度快报 (`[quick]`).
    Quick,
    /// 半年度成果报告 (`[half_year]`).
    HalfYear,
    /// 年度成果报告 (`[annual]`).
    Annual,
}

#[derive(serde::Deserialize)]
struct QuickSection {
    text: String,
}

impl Template {
    /// Read the 快报 of a template file (`data/reports/YEAR.toml`); every
    /// blank is checked.
    pub fn from_toml(text: &str) -> Result<Template, TemplateError> {
        Self::from_toml_kind(text, Kind::Quick)
    }

    /// Read one document of a template file.
    pub fn from_toml_kind(text: &str, kind: Kind) -> Result<Template, TemplateError> {
        let file: TemplateFile = toml::from_str(text).map_err(|e| TemplateError {
            year: 0,
            line: 0,
            message: e.to_string(),
        })?;
        let section = match kind {
            Kind::Quick => Some(&file.quick),
            Kind::HalfYear => file.half_year.as_ref(),
            Kind::Annual => file.annual.as_ref(),
        }
        .ok_or_else(|| TemplateError {
            year: file.year,
            line: 0,
            message: format!("没有 {kind:?} 的模板"),
        })?;
        Self::parse(file.year, &section.text)
    }

    /// Parse the template text: one paragraph per line, `= ` title, `# `
    /// and `## ` headings, `{…}` blanks.
    pub fn parse(year: u16, text: &str) -> Result<Template, TemplateError> {
        let mut paragraphs = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let fail = |message: String| TemplateError {
                year,
                line: i + 1,
                message,
            };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (style, body) = if let Some(b) = line.strip_prefix("= ") {
                (Style::Title, b)
            } else if let Some(b) = line.strip_prefix("## ") {
                (Style::Heading2, b)
            } else if let Some(b) = line.strip_prefix("# ") {
                (Style::Heading1, b)
            } else if let Some(b) = line.strip_prefix("> ") {
                (Style::Closing, b)
            } else {
                (Style::Body, line)
            };
            let mut pieces = Vec::new();
            let mut rest = body;
            while let Some(open) = rest.find('{') {
                if open > 0 {
                    pieces.push(Piece::Text(rest[..open].to_string()));
                }
                let after = &rest[open + 1..];
                let close = after
                    .find('}')
                    .ok_or_else(|| fail("“{” 没有对应的 “}”".into()))?;
                let inner = after[..close].trim();
                pieces.push(match inner {
                    "name" => Piece::Var(Var::Name),
                    "place" => Piece::Var(Var::Place),
                    "we" => Piece::Var(Var::We),
                    "year" => Piece::Var(Var::Year),
                    "quarter" => Piece::Var(Var::Quarter),
                    "date_year" => Piece::Var(Var::DateYear),
                    "date_month" => Piece::Var(Var::DateMonth),
                    "date_day" => Piece::Var(Var::DateDay),
                    _ => Piece::Blank(Expr::parse(inner).map_err(fail)?),
                });
                rest = &after[close + 1..];
            }
            if rest.contains('}') {
                return Err(fail("多余的 “}”".into()));
            }
            if !rest.is_empty() {
                pieces.push(Piece::Text(rest.to_string()));
            }
            paragraphs.push((style, pieces));
        }
        if paragraphs.is_empty() {
            return Err(TemplateError {
                year,
                line: 0,
                message: "模板为空".into(),
            });
        }
        Ok(Template { year, paragraphs })
    }

    /// The 快报 template in force for `year` (the latest file not after it).
    #[must_use]
    pub fn embedded(year: u16) -> Option<Template> {
        Self::embedded_kind(year, Kind::Quick)
    }

    /// One document's template in force for `year`.
    #[must_use]
    pub fn embedded_kind(year: u16, kind: Kind) -> Option<Template> {
        let (_, text) = weipian_domain::templates::in_force(year)?;
        // Every embedded file is checked by a test.
        Template::from_toml_kind(text, kind).ok()
    }

    /// Every blank, in reading order, each once.
    #[must_use]
    pub fn blanks(&self) -> Vec<Expr> {
        let mut out: Vec<Expr> = Vec::new();
        for (_, pieces) in &self.paragraphs {
            for p in pieces {
                if let Piece::Blank(e) = p {
                    if !out.contains(e) {
                        out.push(*e);
                    }
                }
            }
        }
        out
    }
}

/// Whom and when the report is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    /// The region's own name.
    pub name: String,
    /// From the province down to it.
    pub place: String,
    pub year: u16,
    pub quarter: u8,
    /// 上报时间: the day it is made, or the cut-off's day for a snapshot.
    #[serde(with = "date_text")]
    pub date: time::Date,
}

mod date_text {
    pub fn serialize<S: serde::Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }
}

impl Subject {
    #[must_use]
    pub fn new(name: &str, place: &str, year: u16, quarter: u8, date: time::Date) -> Subject {
        Subject {
            name: name.into(),
            place: place.into(),
            year,
            quarter,
            date,
        }
    }

    /// 省, 市, 县, 区, 旗…: the last character of the name.
    fn we(&self) -> String {
        self.name
            .chars()
            .last()
            .map(String::from)
            .unwrap_or_default()
    }
}

/// 一, 二, 三, 四.
#[must_use]
pub fn quarter_zh(q: u8) -> &'static str {
    match q {
        1 => "一",
        2 => "二",
        3 => "三",
        _ => "四",
    }
}

/// A span of a rendered paragraph.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Span {
    Text {
        text: String,
    },
    /// A filled blank: the index into [`QuickDoc::blanks`].
    Blank {
        blank: usize,
    },
}

/// A rendered paragraph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paragraph {
    pub style: Style,
    pub spans: Vec<Span>,
}

/// One filled blank, traceable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blank {
    /// The placeholder (`land.verified.area/land.issued.area`).
    pub expr: String,
    /// What it is, in words.
    pub label: String,
    /// As printed.
    pub text: String,
    /// Unrounded, in the unit printed.
    pub value: f64,
    /// The stat whose patches or cases stand behind it.
    pub stat: Stat,
    /// For a share: the denominator's stat.
    pub of: Option<Stat>,
    /// The patches or cases behind `stat` (filled by [`QuickDoc::explain`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// The patches or cases behind `of`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub of_items: Vec<String>,
}

/// A filled quick report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuickDoc {
    pub subject: Subject,
    pub paragraphs: Vec<Paragraph>,
    pub blanks: Vec<Blank>,
}

/// Fill the template for `subject` from its `figures`.
#[must_use]
pub fn render(t: &Template, subject: &Subject, f: &Figures) -> QuickDoc {
    let mut blanks: Vec<Blank> = Vec::new();
    let mut paragraphs = Vec::new();
    for (style, pieces) in &t.paragraphs {
        let mut spans: Vec<Span> = Vec::new();
        let push_text = |spans: &mut Vec<Span>, s: &str| {
            if let Some(Span::Text { text }) = spans.last_mut() {
                text.push_str(s);
            } else {
                spans.push(Span::Text { text: s.into() });
            }
        };
        for p in pieces {
            match p {
                Piece::Text(s) => push_text(&mut spans, s),
                Piece::Var(v) => {
                    let s = match v {
                        Var::Name => subject.name.clone(),
                        Var::Place => subject.place.clone(),
                        Var::We => subject.we(),
                        Var::Year => subject.year.to_string(),
                        Var::Quarter => quarter_zh(subject.quarter).to_string(),
                        Var::DateYear => subject.date.year().to_string(),
                        Var::DateMonth => u8::from(subject.date.month()).to_string(),
                        Var::DateDay => subject.date.day().to_string(),
                    };
                    push_text(&mut spans, &s);
                }
                Piece::Blank(e) => {
                    spans.push(Span::Blank {
                        blank: blanks.len(),
                    });
                    blanks.push(Blank {
                        expr: e.code(),
                        label: e.name_zh(),
                        text: e.display(f),
                        value: e.value(f),
                        stat: e.stat(),
                        of: e.of(),
                        items: Vec::new(),
                        of_items: Vec::new(),
                    });
                }
            }
        }
        paragraphs.push(Paragraph {
            style: *style,
            spans,
        });
    }
    QuickDoc {
        subject: subject.clone(),
        paragraphs,
        blanks,
    }
}

impl QuickDoc {
    /// A paragraph's text as printed.
    #[must_use]
    pub fn paragraph_text(&self, p: &Paragraph) -> String {
        p.spans
            .iter()
            .map(|s| match s {
                Span::Text { text } => text.as_str(),
                Span::Blank { blank } => self.blanks[*blank].text.as_str(),
            })
            .collect()
    }

    /// The whole report as plain text, a paragraph per line.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = String::new();
        for p in &self.paragraphs {
            out.push_str(&self.paragraph_text(p));
            out.push('\n');
        }
        out
    }

    /// The title (the centred lines, joined).
    #[must_use]
    pub fn title(&self) -> String {
        self.paragraphs
            .iter()
            .filter(|p| p.style == Style::Title)
            .map(|p| self.paragraph_text(p))
            .collect()
    }

    /// List the patches or cases behind every blank (the facts must be the
    /// ones the figures came from).
    pub fn explain(&mut self, patches: &[PatchFact], cases: &[CaseFact]) {
        self.explain_with(patches, cases, Rules::QUARTERLY);
    }

    /// [`QuickDoc::explain`] under `rules` (those the figures were counted by).
    pub fn explain_with(&mut self, patches: &[PatchFact], cases: &[CaseFact], rules: Rules) {
        let mut cache: HashMap<Stat, Vec<String>> = HashMap::new();
        let mut get = |s: Stat| {
            cache
                .entry(s)
                .or_insert_with(|| members_with(patches, cases, s, rules))
                .clone()
        };
        for b in &mut self.blanks {
            b.items = get(b.stat);
            b.of_items = b.of.map(&mut get).unwrap_or_default();
        }
    }
}

/// The figures of each sub-region (and their total) laid out as the
/// template's blanks: one column per distinct blank, one row per region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuickTable {
    /// (blank code, label, decimals, range) per column.
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
}

/// A column of a [`QuickTable`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub expr: String,
    pub label: String,
    pub decimals: usize,
    /// Land, mineral or both: spreadsheets put each range on its own sheet.
    pub range: Range,
}

/// A row of a [`QuickTable`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub region: String,
    pub name: String,
    /// Unrounded, in the column's unit.
    pub values: Vec<f64>,
}

/// Lay out `rows` (region code, name, figures) by the template's blanks.
#[must_use]
pub fn table(t: &Template, rows: &[(String, String, &Figures)]) -> QuickTable {
    let blanks = t.blanks();
    QuickTable {
        columns: blanks
            .iter()
            .map(|e| Column {
                expr: e.code(),
                label: e.name_zh(),
                decimals: e.decimals(),
                range: e.stat().range,
            })
            .collect(),
        rows: rows
            .iter()
            .map(|(code, name, f)| TableRow {
                region: code.clone(),
                name: name.clone(),
                values: blanks.iter().map(|e| e.value(f)).collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
