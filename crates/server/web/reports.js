// Reports for my region: the 季度快报 and the half-year/annual results
// (view in the page, download .docx/.xlsx), the accountability table with
// drill-down to the patches behind every figure, the other signals and
// the blacklist. Every tab and choice is in the URL.

import { call, el, clear, session, href, failure, mu, regionName, table } from "/assets/core.js";

const TABS = [["quick", "季度快报"], ["results", "半年/年度成果"], ["accountability", "问责核算"], ["signals", "其他问责情形"], ["blacklist", "黑名单"]];

function patchLinks(items, year, batches) {
  // The accountability lists name patches (or 地块 “JCBH-n”) across the year's batches.
  const batch = batches && batches.length === 1 ? batches[0] : null;
  return el("span", { class: "links" }, items.map((j, i) => [i ? "、" : "",
    batch && /^\d{6}/.test(j) ? el("a", { href: href(["patch", year, batch, j.replace(/-\d+$/, "")]) }, j) : j]));
}

function regionSelect(current) {
  const mine = session.me.region;
  const opts = [...session.regions.values()].filter((r) => mine === "000000"
    ? r.level === "province" : (r.code === mine || r.parent === mine || (session.regions.get(r.parent) || {}).parent === mine));
  return el("select", { name: "region", "aria-label": "行政区" },
    opts.map((r) => el("option", { value: r.code, selected: r.code === current }, `${r.name}（${r.code}）`)));
}

async function documentTab(box, q, kind) {
  const year = Number(q.get("year") || (session.batches.at(-1) || {}).year || new Date().getFullYear());
  const region = q.get("region") || (session.me.region === "000000" ? "" : session.me.region);
  const quarter = q.get("quarter") || "1";
  const period = q.get("period") || "annual";
  const current = q.get("current") === "1";
  const form = el("form", { class: "filters" },
    el("label", { class: "field" }, el("span", {}, "年度"), el("input", { name: "year", value: year, size: 5, inputmode: "numeric" })),
    el("label", { class: "field" }, el("span", {}, "行政区"), regionSelect(region)),
    kind === "quick"
      ? el("label", { class: "field" }, el("span", {}, "季度"), el("select", { name: "quarter" }, [1, 2, 3, 4].map((n) => el("option", { value: n, selected: String(n) === quarter }, `第${"一二三四"[n - 1]}季度`))))
      : el("label", { class: "field" }, el("span", {}, "期间"), el("select", { name: "period" }, [["h1", "上半年"], ["annual", "全年"]].map(([v, t]) => el("option", { value: v, selected: v === period }, t)))),
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "current", value: "1", checked: current }), "按当前数据统计（默认：时点快照）"),
    el("button", { type: "submit" }, "查看"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(form);
    location.hash = href(["reports"], { tab: kind, ...Object.fromEntries(f.entries()) });
  });
  box.appendChild(form);
  const reg = form.elements.region.value;
  if (!reg) return;
  const base = (kind === "quick"
    ? `/api/reports/quick?year=${year}&quarter=${quarter}&region=${reg}`
    : `/api/reports/results?year=${year}&period=${period}&region=${reg}`) + (current ? "&current=true" : "");
  box.appendChild(el("p", { class: "downloads" },
    el("a", { href: `${base}&format=docx`, download: "" }, "下载 Word（公文格式）"), " ",
    el("a", { href: `${base}&format=xlsx`, download: "" }, "下载 Excel（含分地区数据）")));
  const r = await call("GET", `${base}&format=json&explain=true`);
  if (r.status !== 200) {
    box.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法生成报表")));
    return;
  }
  box.appendChild(el("p", { class: "small" }, `口径：${r.data.basis || ""}。点击文中的数字，查看它对应的图斑或案件。`));
  box.appendChild(renderDoc(r.data.doc, year, r.data.batches));
}

/** The filled template: every blank a button that lists what is behind it. */
function renderDoc(doc, year, batches) {
  const article = el("article", { class: "report-doc" });
  const detail = el("div", { class: "blank-detail", role: "region", "aria-live": "polite" });
  for (const p of doc.paragraphs) {
    const tag = p.style === "title" ? "h3" : p.style && p.style.startsWith("heading") ? "h4" : "p";
    article.appendChild(el(tag, { class: p.style }, p.spans.map((sp) => {
      if (sp.type !== "blank") return sp.text;
      const b = doc.blanks[sp.blank];
      if (!b) return "";
      return el("button", {
        type: "button", class: "blank", title: b.label,
        onclick: () => {
          clear(detail);
          const items = b.items || [];
          detail.append(el("h4", {}, `${b.label}：${b.text}`),
            items.length ? el("p", {}, `共 ${items.length} 项：`, patchLinks(items.slice(0, 500), year, batches), items.length > 500 ? " ……" : "") : el("p", {}, "（由其他数字计算得出，或没有对应的图斑）"));
          detail.scrollIntoView({ block: "nearest" });
        },
      }, b.text);
    })));
  }
  return el("div", {}, article, detail);
}

async function accountabilityTab(box, q) {
  const year = Number(q.get("year") || (session.batches.at(-1) || {}).year || 2020);
  box.appendChild(el("p", { class: "downloads" },
    el("a", { href: `/api/accountability?year=${year}&format=xlsx`, download: "" }, "问责核算（Excel）"), " ",
    el("a", { href: `/api/accountability/interview?year=${year}`, download: "" }, "约谈名单（Word）"), " ",
    el("a", { href: `/api/accountability/proposal?year=${year}`, download: "" }, "问责建议（Word）")));
  const r = await call("GET", `/api/accountability?year=${year}`);
  if (r.status !== 200) { box.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法核算"))); return; }
  const a = r.data;
  box.appendChild(el("p", { class: "small" }, `口径：${a.basis}`));
  const open = q.get("region");
  for (const [title, list] of [["市级", a.cities], ["县级", a.counties]]) {
    box.appendChild(el("h3", {}, `${title}（${list.length}）`));
    const rows = list.map((x) => {
      const verdict = x.accountable ? el("strong", { class: "overdue" }, "问责") : x.warning ? el("span", { class: "warn" }, "预警") : x.exempt ? "豁免" : "未达问责线";
      return [
        el("a", { href: href(["reports"], { tab: "accountability", year, region: x.region }) }, `${x.name}（${x.region}）`),
        `${x.ratio_percent.toFixed(2)}%`, mu(x.numerator_after_m2), mu(x.denominator_after_m2), verdict,
        x.to_fall_below ? mu(x.to_fall_below.least_mu * 10000 / 15) : "—", mu(x.quota_cut_m2),
      ];
    });
    box.appendChild(table(["行政区", "违法占用耕地比例", "违法占用耕地（亩）", "新增建设用地占用耕地（亩）", "结论", "尚需整改（亩）", "核减用地指标（亩）"], rows));
  }
  const sel = [...a.cities, ...a.counties].find((x) => x.region === open);
  if (sel) {
    const d = el("section", { class: "drill", id: "drill" }, el("h3", {}, `${sel.name}：核算过程`), el("p", {}, sel.reason));
    d.appendChild(table(["项目", "面积（亩）", "图斑"], [
      ["分子：违法占用耕地", mu(sel.numerator.m2), patchLinks(sel.numerator.items, year, a.batches)],
      ["分母：新增建设用地占用耕地", mu(sel.denominator.m2), patchLinks(sel.denominator.items, year, a.batches)],
      ...sel.steps.flatMap((s) => [
        [`扣除（分子）：${s.name}`, mu(s.numerator.m2), patchLinks(s.numerator.items, year, a.batches)],
        [`扣除（分母）：${s.name}`, mu(s.denominator.m2), patchLinks(s.denominator.items, year, a.batches)],
      ]),
      ["尚未消除违法状态（增违挂钩）", mu(sel.unresolved.m2), patchLinks(sel.unresolved.items, year, a.batches)],
    ]));
    box.appendChild(d);
  }
}

async function signalsTab(box, q) {
  const year = Number(q.get("year") || (session.batches.at(-1) || {}).year || 2020);
  const r = await call("GET", `/api/accountability/signals?year=${year}`);
  if (r.status !== 200) { box.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法读取"))); return; }
  if (!r.data.length) { box.appendChild(el("p", {}, "没有其他问责情形")); return; }
  box.appendChild(table(["县级行政区", "违法用地未立案", "立案超期", "处理决定超期", "隐瞒、谎报"], r.data.map((s) => [
    `${s.name}（${s.region}）`, s.no_case.join("、") || "—", s.late_filing.join("、") || "—", s.late_decision.join("、") || "—",
    s.concealed.map(([j, why]) => `${j}：${why}`).join("；") || "—"])));
}

async function blacklistTab(box, q) {
  const year = Number(q.get("year") || (session.batches.at(-1) || {}).year || 2020);
  box.appendChild(el("p", { class: "downloads" }, el("a", { href: `/api/blacklist?year=${year}&format=xlsx`, download: "" }, "黑名单（Excel）")));
  const r = await call("GET", `/api/blacklist?year=${year}`);
  if (r.status !== 200) { box.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法读取"))); return; }
  if (!r.data.length) { box.appendChild(el("p", {}, "没有列入黑名单的单位或个人")); return; }
  box.appendChild(table(["类别", "名称", "县级行政区", "案件", "违法用地（亩）", "其中耕地（亩）", "列入理由"], r.data.map((x) => [
    x.kind === "unit" ? "单位" : "个人", x.name, x.counties.map(regionName).join("、"), x.cases.join("、"), mu(x.area_m2), mu(x.gd_m2), x.reasons.join("；")])));
}

export async function reportsPage(view, route) {
  const q = route.query;
  const tab = q.get("tab") || "quick";
  const section = el("section", {}, el("h2", {}, "报表"));
  view.appendChild(section);
  section.appendChild(el("nav", { class: "tabs", "aria-label": "报表类别" },
    TABS.map(([k, t]) => el("a", { href: href(["reports"], { tab: k }), "aria-current": k === tab ? "page" : false }, t))));
  const box = el("div", {});
  section.appendChild(box);
  if (tab === "quick" || tab === "results") await documentTab(box, q, tab);
  else if (tab === "accountability") await accountabilityTab(box, q);
  else if (tab === "signals") await signalsTab(box, q);
  else if (tab === "blacklist") await blacklistTab(box, q);
  if (q.get("region") && tab === "accountability") {
    const d = document.getElementById("drill");
    if (d) d.scrollIntoView();
  }
}
