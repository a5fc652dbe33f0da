// The cases (违法行为) of a patch: opening one on an illegal patch, its
// record (立案, 处罚决定, 落实, 结案, 整改, 消除违法状态, 当事人), and the
// county's events on it. Each event is sent with the version it was
// decided on, so two clerks cannot overwrite each other.

import { call, el, clear, failure, refusal, mu, role, todayInChina, when } from "/assets/core.js";

/** Event forms: [event, label, fields, to-event]. */
const EVENTS = [
  ["file", "立案", [["date", "立案日期", "date"], ["document", "立案文号", "text"]], (v) => ({ date: v.date, document: v.document })],
  ["decide", "作出处理决定", [["date", "决定日期", "date"], ["document", "决定文号", "text"],
    ["measures", "处罚措施", "measures"], ["fine_yuan", "罚款（元，选填）", "number"], ["content", "决定内容（选填）", "text"]],
  (v) => ({ date: v.date, document: v.document, measures: v.measures, fine_yuan: v.fine_yuan === "" ? null : Number(v.fine_yuan), content: v.content || null })],
  ["enforce", "落实到位", [["date", "落实日期", "date"]], (v) => ({ date: v.date })],
  ["rectify", "整改", [["kind", "整改方式", "rectification"], ["date", "整改日期", "date"], ["area_m2", "整改面积（平方米）", "number"],
    ["cultivated_m2", "其中耕地（平方米）", "number"], ["document", "补办手续文号（补办时填）", "text"]],
  (v) => ({ kind: v.kind, date: v.date, area_m2: Number(v.area_m2), cultivated_m2: Number(v.cultivated_m2 || 0), document: v.document || null })],
  ["eliminate", "消除违法状态", [["date", "消除日期", "date"]], (v) => ({ date: v.date })],
  ["close", "结案", [["date", "结案日期", "date"]], (v) => ({ date: v.date })],
  ["add_party", "当事人", [["kind", "类别", "party"], ["name", "名称或姓名", "text"], ["position", "职务（选填）", "text"]],
    (v) => ({ kind: v.kind, name: v.name, position: v.position || null })],
];

const MEASURES = [["fine", "罚款"], ["demolition", "限期拆除"], ["confiscation", "没收"], ["other", "其他"]];
const RECTIFY = [["demolition", "拆除"], ["recultivation", "复耕"], ["closure", "毁闭"], ["remedy", "补办用地手续"]];
const PARTIES = [["unit", "单位"], ["person", "个人"], ["government", "政府或部门及其工作人员"]];

function control(name, type) {
  if (type === "date") return el("input", { type: "date", name, value: todayInChina() });
  if (type === "number") return el("input", { name, inputmode: "decimal" });
  const options = { measures: MEASURES, rectification: RECTIFY, party: PARTIES }[type];
  if (type === "measures") {
    return el("span", {}, options.map(([v, t]) => el("label", { class: "check" }, el("input", { type: "checkbox", name, value: v }), t)));
  }
  if (options) return el("select", { name }, options.map(([v, t]) => el("option", { value: v }, t)));
  return el("input", { name });
}

function record(c) {
  const k = c.case;
  const rows = [["违法行为编号", k.number], ["阶段", c.stage]];
  if (k.filing) rows.push(["立案", `${k.filing.date} ${k.filing.document}`]);
  if (k.decision) rows.push(["处理决定", `${k.decision.date} ${k.decision.document}${k.decision.fine_yuan ? `，罚款 ${k.decision.fine_yuan} 元` : ""}`]);
  if (k.enforced) rows.push(["落实到位", k.enforced]);
  if (k.closed) rows.push(["结案", k.closed]);
  for (const r of k.rectifications || []) rows.push(["整改", `${r.date} ${RECTIFY.find(([v]) => v === r.kind)?.[1] || r.kind} ${mu(r.area_m2)} 亩`]);
  if (k.eliminated) rows.push(["消除违法状态", k.eliminated]);
  for (const p of k.parties || []) rows.push(["当事人", `${PARTIES.find(([v]) => v === p.kind)?.[1] || p.kind}：${p.name}${p.position ? `（${p.position}）` : ""}`]);
  rows.push(["关联图斑", c.patches.join("、")]);
  return el("table", { class: "kv" }, el("tbody", {}, rows.map(([a, b]) => el("tr", {}, el("th", { scope: "row" }, a), el("td", {}, b)))));
}

function eventForms(c, reload) {
  const box = el("div", { class: "case-events" });
  const sel = el("select", { "aria-label": "案件办理事项" }, EVENTS.map(([e, label]) => el("option", { value: e }, label)));
  const fields = el("div", {});
  const status = el("p", { role: "status" });
  const form = el("form", { class: "answer", novalidate: true }, el("div", { class: "frow" }, el("label", {}, "办理事项"), sel), fields,
    el("button", { type: "submit" }, "登记"), status);
  const show = () => {
    const [, , list] = EVENTS.find(([e]) => e === sel.value);
    clear(fields);
    for (const [name, label, type] of list) {
      const c2 = control(name, type);
      fields.appendChild(el("div", { class: "frow" }, el("label", {}, label), c2));
    }
  };
  sel.addEventListener("change", show);
  show();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const [event, , list, make] = EVENTS.find(([x]) => x === sel.value);
    const v = {};
    for (const [name, , type] of list) {
      if (type === "measures") v[name] = [...fields.querySelectorAll(`input[name=${name}]:checked`)].map((x) => x.value);
      else v[name] = fields.querySelector(`[name=${name}]`).value.trim();
    }
    const r = await call("POST", `/api/cases/${c.id}/events`, { event: { event, ...make(v) }, based_on: c.version });
    if (r.status === 200) { await reload(); return; }
    status.className = "error";
    status.textContent = r.status === 409 ? "案件已被他人更新，请刷新后再登记（已填内容仍在表单中）" : failure(r, "登记失败");
  });
  box.appendChild(form);
  return box;
}

/** The cases panel of a patch (`caseIds` from its detail). */
export async function casesPanel(b, jcbh, caseIds, { illegal, reload }) {
  const section = el("section", { id: "cases" }, el("h3", {}, "案件查处"));
  for (const id of caseIds) {
    const r = await call("GET", `/api/cases/${id}`);
    if (r.status !== 200) { section.appendChild(el("p", { class: "error" }, failure(r, `无法读取案件 ${id}`))); continue; }
    section.appendChild(record(r.data));
    section.appendChild(await rangeSummary(r.data));
    if (role.isCounty()) section.append(rangeUpload(r.data, reload), eventForms(r.data, reload));
  }
  if (!caseIds.length && illegal && role.isCounty()) {
    const number = el("input", { id: "case-number", placeholder: "如 违〔2020〕12号" });
    const err = el("span", { class: "error", role: "alert" });
    const form = el("form", { class: "row", novalidate: true }, el("label", { for: "case-number" }, "违法行为编号"), number, el("button", { type: "submit" }, "建立案件"), err);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!number.value.trim()) { err.textContent = "请填写违法行为编号"; return; }
      const r = await call("POST", "/api/cases", { year: b.year, batch: b.batch, number: number.value.trim(), jcbhs: [jcbh] });
      if (r.status === 201 || r.status === 200) await reload(); else err.textContent = failure(r, "建立案件失败");
    });
    section.appendChild(form);
  }
  if (!caseIds.length && !(illegal && role.isCounty())) section.appendChild(el("p", { class: "small" }, "没有关联的案件"));
  return section;
}

/** What the last accepted upload warned about, per case: shown once after the reload. */
const rangeWarnings = new Map();

/** The case's illegal-land range as stored: features, total area and what it covers. */
async function rangeSummary(c) {
  const r = await call("GET", `/api/cases/${c.id}/range`);
  if (r.status !== 200) return el("p", { class: "error" }, failure(r, "无法读取违法用地范围"));
  const v = r.data;
  const warnings = rangeWarnings.get(c.id) || [];
  rangeWarnings.delete(c.id);
  if (!v.features.length) return el("p", { class: "small range", id: `range-summary-${c.id}` }, "违法用地范围：尚未上传");
  const layer = (code) => (v.totals && v.totals.layers && v.totals.layers[code]) || 0;
  return el("div", { class: "range", id: `range-summary-${c.id}` },
    el("p", {}, `违法用地范围：${v.features.length} 个要素，共 ${mu(v.total_area_m2)} 亩（${v.total_area_m2.toFixed(2)} 平方米），`
      + `其中耕地 ${mu(layer("gd"))} 亩、永久基本农田 ${mu(layer("jbnt"))} 亩`),
    el("p", { class: "small" }, `${v.source || ""} · 上传 ${when(v.uploaded_at)} ${v.uploaded_by || ""}`),
    warnings.map((w) => el("p", { class: "warn" }, `⚠ ${w}`)));
}

/** 违法用地矢量范围: the case's illegal-land range as a file (shown on the map after). */
function rangeUpload(c, reload) {
  const id = `range-${c.id}`;
  const file = el("input", { type: "file", id, accept: ".geojson,.json,.zip,.gpkg,.txt" });
  const status = el("div", { role: "status" });
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    status.className = "";
    status.textContent = `上传 ${f.name}…`;
    const r = await call("PUT", `/api/cases/${c.id}/range?name=${encodeURIComponent(f.name)}`, await f.arrayBuffer(), { raw: true });
    file.value = "";
    if (r.status === 200) {
      if (r.data && r.data.warnings && r.data.warnings.length) rangeWarnings.set(c.id, r.data.warnings);
      await reload();
      return;
    }
    status.className = "error";
    clear(status).appendChild(refusal(r, "上传失败"));
  });
  return el("div", { class: "row" }, el("label", { for: id }, "违法用地范围（GeoJSON、Shapefile 压缩包、GeoPackage、国土 TXT）"), file, status);
}
