// The patch list: filters (batch, region, kind, status, 判定类型, desk
// flags, area range, JCBH search), sorting, paging, selection for bulk
// review actions. Every filter lives in the URL (`#/patches?…`), so a
// list can be bookmarked and shared and the back button restores it.
// Keyboard: ↑/↓ move between rows, Enter opens, Space selects, “/” jumps
// to the JCBH search.

import { call, el, clear, session, currentBatch, batchPicker, href, failure, mu, when, regionName, rememberBatch, role } from "/assets/core.js";
import { actionBar } from "/assets/review.js";

const M2_PER_MU = 10000 / 15;

const STATUSES = [
  ["unanswered", "未填报"], ["draft", "填报中"], ["ready", "待上报"], ["returned", "已退回"],
  ["city", "待市级审核"], ["city_passed", "市级审核通过"], ["province", "待省级审核"],
  ["province_passed", "省级审核通过"], ["reported", "已报部"],
];

const LEGALITY = { HF: "合法", WF: "违法", QT: "其他", WBH: "伪变化" };

const FLAGS = [["", "不限"], ["open", "有未处理疑点"], ["upheld", "疑点成立"], ["any", "有疑点"], ["none", "无疑点"]];

const COLUMNS = [
  { key: "jcbh", label: "图斑编号", sort: "jcbh" },
  { key: "xzqdm", label: "行政区", sort: "xzqdm" },
  { key: "kind", label: "类型" },
  { key: "area", label: "面积（亩）", sort: "area" },
  { key: "pdlx", label: "判定" },
  { key: "status", label: "状态" },
  { key: "flags", label: "疑点" },
  { key: "updated", label: "更新时间", sort: "updated" },
];

/** The regions to filter by: `/api/regions` already holds only the
 * user's scope (and the regions above it, which the server narrows). */
function regionOptions() {
  return [...session.regions.values()].sort((a, b) => a.code.localeCompare(b.code));
}

function labelled(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}

export async function listPage(view, route, { review = false } = {}) {
  const q = route.query;
  const b = currentBatch(q);
  const section = el("section", {}, el("h2", {}, review ? "审核" : "图斑"));
  view.appendChild(section);
  if (!b) { section.appendChild(el("p", {}, "尚无批次")); return; }
  rememberBatch(b);
  const base = review ? "review" : "patches";
  // The review page defaults to what awaits this reviewer.
  const defaultStatus = review ? (session.me.role === "province" ? "province,province_passed" : "city,city_passed") : "";
  const f = {
    year: b.year, batch: b.batch,
    region: q.get("region") || "", kind: q.get("kind") || "",
    status: q.has("status") ? q.get("status") : defaultStatus,
    pdlx: q.get("pdlx") || "", flag: q.get("flag") || "",
    min_mu: q.get("min_mu") || "", max_mu: q.get("max_mu") || "",
    q: q.get("q") || "", sort: q.get("sort") || "jcbh", dir: q.get("dir") || "asc",
    page: Number(q.get("page") || 1), per_page: Number(q.get("per_page") || 50),
  };
  const go = (changes) => { location.hash = href([base], { ...f, ...changes }); };

  // The filter form: submitting it changes the URL, which re-renders.
  const statusSet = new Set(f.status ? f.status.split(",") : []);
  const statusBoxes = STATUSES.map(([code, name]) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "status", value: code, checked: statusSet.has(code) }), name));
  const regionSel = el("select", { name: "region" }, el("option", { value: "" }, "全部"),
    regionOptions().map((r) => el("option", { value: r.code, selected: r.code === f.region }, `${r.name}（${r.code}）`)));
  const kindSel = el("select", { name: "kind" },
    [["", "全部"], ["land", "土地"], ["mineral", "矿产"]].map(([v, t]) => el("option", { value: v, selected: v === f.kind }, t)));
  const pdlxSel = el("select", { name: "pdlx" },
    [["", "不限"], ["HF", "合法"], ["WF", "违法"], ["QT", "其他"], ["WBH", "伪变化"]].map(([v, t]) => el("option", { value: v, selected: v === f.pdlx }, t)));
  const flagSel = el("select", { name: "flag" }, FLAGS.map(([v, t]) => el("option", { value: v, selected: v === f.flag }, t)));
  const minIn = el("input", { name: "min_mu", inputmode: "decimal", value: f.min_mu, size: 6 });
  const maxIn = el("input", { name: "max_mu", inputmode: "decimal", value: f.max_mu, size: 6 });
  const qIn = el("input", { name: "q", id: "jcbh-search", type: "search", value: f.q, placeholder: "图斑编号（按 / 聚焦）" });
  const areaError = el("span", { class: "error", role: "alert" });
  const form = el("form", { class: "filters", novalidate: true },
    batchPicker(b, (nb) => go({ ...nb, page: 1 })),
    labelled("行政区", regionSel), labelled("类型", kindSel), labelled("判定类型", pdlxSel), labelled("疑点", flagSel),
    labelled("面积（亩）", el("span", {}, minIn, " 至 ", maxIn)), labelled("图斑编号", qIn),
    el("fieldset", { class: "statuses" }, el("legend", {}, "状态"), statusBoxes),
    el("div", { class: "row" }, el("button", { type: "submit" }, "查询"),
      el("a", { href: href([base], { year: b.year, batch: b.batch, status: review ? defaultStatus : undefined }) }, "清除条件"),
      areaError));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const bad = [minIn, maxIn].filter((i) => i.value.trim() && !(Number(i.value) >= 0));
    [minIn, maxIn].forEach((i) => i.setAttribute("aria-invalid", bad.includes(i) ? "true" : "false"));
    if (bad.length) { areaError.textContent = "面积应为不小于 0 的数字"; return; }
    go({
      region: regionSel.value, kind: kindSel.value, pdlx: pdlxSel.value, flag: flagSel.value,
      min_mu: minIn.value.trim(), max_mu: maxIn.value.trim(), q: qIn.value.trim(),
      status: statusBoxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value).join(","),
      page: 1,
    });
  });
  section.appendChild(form);

  const params = new URLSearchParams({ year: b.year, batch: b.batch, sort: f.sort, dir: f.dir, page: f.page, per_page: f.per_page });
  for (const k of ["region", "kind", "status", "pdlx", "flag", "q"]) if (f[k]) params.set(k, f[k]);
  if (f.min_mu) params.set("min_area", String(Number(f.min_mu) * M2_PER_MU));
  if (f.max_mu) params.set("max_area", String(Number(f.max_mu) * M2_PER_MU));

  // 批量填报: the county downloads the table to fill, fills it in Excel and
  // uploads it; every rejected row comes back with its reasons.
  if (role.isCounty()) section.appendChild(bulkPanel(b, () => load()));

  const results = el("div", { class: "results" });
  section.appendChild(results);
  const selected = new Set();
  // A message for the next render (a reload redraws the message area).
  let flash = null;

  async function load() {
    const r = await call("GET", `/api/patches?${params}`);
    clear(results);
    if (r.status !== 200) {
      results.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法读取图斑")));
      return;
    }
    render(r.data);
  }

  function render(page) {
    // The count and the desk-review button say what a bulk action will take.
    const deskLabel = () => (selected.size ? "对所选图斑运行内业审核" : "运行内业审核（本辖区全部）");
    const selectionChanged = () => {
      count.textContent = `已选 ${selected.size} 个`;
      if (desk) desk.textContent = deskLabel();
    };
    const pages = Math.max(1, Math.ceil(page.total / page.per_page));
    const head = el("tr", {},
      el("th", { scope: "col" }, el("input", {
        type: "checkbox", "aria-label": "全选本页",
        onchange: (e) => {
          for (const cb of results.querySelectorAll("tbody input[type=checkbox]")) {
            cb.checked = e.target.checked;
            if (cb.checked) selected.add(cb.value); else selected.delete(cb.value);
          }
          selectionChanged();
        },
      })),
      COLUMNS.map((c) => {
        if (!c.sort) return el("th", { scope: "col" }, c.label);
        const active = f.sort === c.sort;
        const dir = active && f.dir === "asc" ? "desc" : "asc";
        return el("th", { scope: "col", "aria-sort": active ? (f.dir === "asc" ? "ascending" : "descending") : "none" },
          el("a", { href: href([base], { ...f, sort: c.sort, dir, page: 1 }) }, c.label, active ? (f.dir === "asc" ? " ▲" : " ▼") : ""));
      }));
    const rows = page.items.map((p) => {
      const link = href(["patch", b.year, b.batch, p.JCBH]);
      const cb = el("input", {
        type: "checkbox", value: p.JCBH, "aria-label": `选择 ${p.JCBH}`, checked: selected.has(p.JCBH),
        onchange: (e) => { if (e.target.checked) selected.add(p.JCBH); else selected.delete(p.JCBH); selectionChanged(); },
      });
      const tr = el("tr", { tabindex: 0, dataset: { href: link } },
        el("td", {}, cb),
        el("td", {}, el("a", { href: link }, p.JCBH)),
        el("td", {}, `${regionName(p.XZQDM)}`),
        el("td", {}, p.kind === "mineral" ? "矿产" : "土地"),
        el("td", { class: "num" }, mu(p.area_m2)),
        el("td", {}, p.PDLX ? `${LEGALITY[p.PDLX] || p.PDLX}` : "—"),
        el("td", {}, el("span", { class: `state ${p.status || ""}` }, p.status_name || p.review_state_name || "")),
        el("td", { class: "num" }, p.open_flags ? String(p.open_flags) : ""),
        el("td", {}, when(p.updated_at)));
      return tr;
    });
    const tbody = el("tbody", {}, rows);
    tbody.addEventListener("keydown", (e) => {
      const tr = e.target.closest("tr");
      if (!tr || e.target.tagName === "INPUT") return;
      if (e.key === "ArrowDown" && tr.nextElementSibling) { tr.nextElementSibling.focus(); e.preventDefault(); }
      else if (e.key === "ArrowUp" && tr.previousElementSibling) { tr.previousElementSibling.focus(); e.preventDefault(); }
      else if (e.key === "Enter") { location.hash = tr.dataset.href; }
      else if (e.key === " ") { const cb = tr.querySelector("input"); cb.click(); e.preventDefault(); }
    });
    const count = el("span", { class: "small" }, `已选 ${selected.size} 个`);
    const pager = el("nav", { class: "pager", "aria-label": "分页" },
      el("span", {}, `共 ${page.total} 个，第 ${page.page} / ${pages} 页`),
      page.page > 1 ? el("a", { href: href([base], { ...f, page: page.page - 1 }) }, "上一页") : null,
      page.page < pages ? el("a", { href: href([base], { ...f, page: page.page + 1 }) }, "下一页") : null,
      el("label", { class: "inline" }, "每页 ", el("select", {
        "aria-label": "每页条数",
        onchange: (e) => go({ per_page: e.target.value, page: 1 }),
      }, [20, 50, 100, 200].map((n) => el("option", { value: n, selected: n === page.per_page }, String(n))))));
    // 内业审核: the technical-support unit runs the year's rules over the
    // selected patches (or, with none selected, every patch in its region).
    const deskMsg = el("span", { role: "status", class: flash ? flash.kind : undefined }, flash ? flash.text : "");
    flash = null;
    const desk = role.is("desk") ? el("button", {
      type: "button", id: "desk-run",
      onclick: async () => {
        deskMsg.textContent = "审核中…";
        const body = { year: b.year, batch: b.batch };
        if (selected.size) body.jcbhs = [...selected];
        const r = await call("POST", "/api/desk/run", body);
        deskMsg.className = r.status === 200 ? "ok" : "error";
        deskMsg.textContent = r.status === 200 ? `已审核 ${r.data.patches} 个图斑，新提出疑点 ${r.data.raised} 个，仍待处理 ${r.data.still_open} 个` : failure(r, "审核失败");
        if (r.status === 200) { flash = { kind: "ok", text: deskMsg.textContent }; load(); }
      },
    }, deskLabel()) : null;
    // 疑点认定: city and province reviewers decide every open flag of the
    // selected patches at once — all of them, or none when one cannot be.
    const flagNote = el("input", { id: "flag-note", placeholder: "认定意见", "aria-label": "疑点认定意见" });
    const decideFlags = (upheld) => async () => {
      const verdict = upheld ? "属实" : "排除";
      if (!selected.size) { deskMsg.className = "error"; deskMsg.textContent = "请先选择图斑"; return; }
      deskMsg.className = "";
      deskMsg.textContent = "认定中…";
      const r = await call("POST", "/api/flags/decisions",
        { year: b.year, batch: b.batch, jcbhs: [...selected], upheld, note: flagNote.value.trim() || null });
      if (r.status !== 200) { deskMsg.className = "error"; deskMsg.textContent = failure(r, `疑点${verdict}认定失败，未认定任何疑点`); return; }
      const s = r.data;
      const patches = new Set(s.flags.map((x) => x.jcbh)).size;
      flash = { kind: "ok", text: `已认定疑点${verdict} ${s.decided} 个（${patches} 个图斑）${s.skipped.length ? `；${s.skipped.length} 个图斑没有待认定的疑点` : ""}` };
      await load();
    };
    const flagBar = role.isReviewer() ? el("div", { class: "actions" }, flagNote,
      el("button", { type: "button", id: "flags-uphold", onclick: decideFlags(true) }, "疑点属实"),
      el("button", { type: "button", id: "flags-clear", onclick: decideFlags(false) }, "疑点排除")) : null;
    results.append(
      el("div", { class: "bulk" }, count, actionBar(b, () => [...selected], (res) => {
        // Refused as a whole: the bar says why and the selection stays.
        if (!res.outcome) return;
        // The outcome (done, and each refusal with its reason) outlives the reload.
        flash = { kind: res.ok ? "ok" : "error", text: res.message };
        selected.clear();
        load();
      }), desk, flagBar, deskMsg),
      el("table", { class: "list" }, el("thead", {}, head), tbody),
      pager);
    if (!page.items.length) results.appendChild(el("p", {}, "没有符合条件的图斑"));
  }

  document.addEventListener("keydown", function slash(e) {
    if (!document.body.contains(qIn)) { document.removeEventListener("keydown", slash); return; }
    if (e.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) { e.preventDefault(); qIn.focus(); }
  });
  await load();
}

/** `changed()` is called when an upload saved answers (the list shows them then). */
function bulkPanel(b, changed) {
  const q = `year=${b.year}&batch=${encodeURIComponent(b.batch)}`;
  const file = el("input", { type: "file", id: "bulk-file", accept: ".xlsx,.csv" });
  const report = el("div", { role: "status" });
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    clear(report).appendChild(el("p", {}, `导入 ${f.name}…`));
    const format = f.name.toLowerCase().endsWith(".csv") ? "csv" : "xlsx";
    const r = await call("POST", `/api/answers/import?${q}&format=${format}`, await f.arrayBuffer(), { raw: true });
    clear(report);
    file.value = "";
    if (r.status !== 200) { report.appendChild(el("p", { class: "error" }, failure(r, "导入失败"))); return; }
    const s = r.data;
    if (s.applied.length) changed();
    report.appendChild(el("p", { class: s.rejected.length ? "warn" : "ok" },
      `已保存 ${s.applied.length} 个，未变化 ${s.unchanged.length} 个，未导入 ${s.rejected.length} 行`));
    if (s.rejected.length) {
      report.appendChild(el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "行"), el("th", {}, "图斑编号"), el("th", {}, "原因"))),
        el("tbody", {}, s.rejected.map((x) => el("tr", {}, el("td", {}, String(x.row)), el("td", {}, x.jcbh || "—"), el("td", {}, x.reasons.join("；")))))));
    }
  });
  return el("details", { class: "bulk-answers" }, el("summary", {}, "批量填报（Excel）"),
    el("p", {}, el("a", { href: `/api/answers/export?${q}`, download: "" }, "下载填报表"), "，填写后上传。照片等附件仍需逐个图斑上传。"),
    el("label", { for: "bulk-file" }, "上传已填写的表格（.xlsx 或 .csv）"), file, report);
}
