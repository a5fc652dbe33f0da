// 军事用地登记 (the military-land role only): the register of a batch and
// filing a patch into it. Registered patches leave every ordinary list,
// map and statistic.

import { call, el, clear, session, currentBatch, batchPicker, href, failure, mu, table, regionName, todayInChina } from "/assets/core.js";

const FIELDS = [
  ["DWMC", "使用单位（可填代号）", "text"], ["YT", "用途", "text"], ["MJ", "面积（平方米，选填）", "number"],
  ["PZWJ", "批准或权属文件（选填）", "text"], ["TBR", "填表人", "text"], ["TBRQ", "填表日期", "date"], ["BZ", "备注（选填）", "text"],
];

export async function militaryPage(view, route) {
  const b = currentBatch(route.query);
  const section = el("section", {}, el("h2", {}, "军事用地登记"));
  view.appendChild(section);
  if (!b) { section.appendChild(el("p", {}, "尚无批次")); return; }
  section.appendChild(batchPicker(b, (nb) => { location.hash = href(["military"], nb); }));
  section.appendChild(el("p", {}, el("a", { href: `/api/military/export?year=${b.year}&batch=${encodeURIComponent(b.batch)}`, download: "" }, "导出登记表（Excel）")));
  const list = el("div", {});
  section.appendChild(list);
  async function load() {
    const r = await call("GET", `/api/military?year=${b.year}&batch=${encodeURIComponent(b.batch)}`);
    clear(list);
    if (r.status !== 200) { list.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法读取登记"))); return; }
    list.appendChild(r.data.length
      ? table(["图斑编号", "行政区", "面积（亩）", "使用单位", "用途", "填表人", "填表日期"], r.data.map((m) => [m.jcbh, regionName(m.xzqdm), mu(m.area_m2), m.record.DWMC, m.record.YT, m.record.TBR, m.record.TBRQ]))
      : el("p", {}, "本批次尚无登记"));
  }
  await load();

  const inputs = {};
  const errors = {};
  const jcbh = el("input", { id: "m-JCBH" });
  const jErr = el("span", { class: "error", role: "alert" });
  const form = el("form", { class: "answer", novalidate: true }, el("h3", {}, "登记图斑"),
    el("div", { class: "frow" }, el("label", { for: "m-JCBH" }, "图斑编号"), jcbh, jErr),
    FIELDS.map(([code, label, type]) => {
      inputs[code] = el("input", { id: `m-${code}`, type: type === "date" ? "date" : "text", inputmode: type === "number" ? "decimal" : undefined, value: code === "TBRQ" ? todayInChina() : "" });
      errors[code] = el("span", { class: "error", role: "alert" });
      return el("div", { class: "frow" }, el("label", { for: `m-${code}` }, label), inputs[code], errors[code]);
    }),
    el("button", { type: "submit" }, "登记"));
  const status = el("p", { role: "status" });
  form.appendChild(status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const s of Object.values(errors)) s.textContent = "";
    jErr.textContent = "";
    status.textContent = "";
    if (!jcbh.value.trim()) { jErr.textContent = "请输入图斑编号"; return; }
    const record = {};
    for (const [code, , type] of FIELDS) {
      const v = inputs[code].value.trim();
      if (v) record[code] = type === "number" ? Number(v) : v;
    }
    const r = await call("POST", `/api/patches/${b.year}/${encodeURIComponent(b.batch)}/${encodeURIComponent(jcbh.value.trim())}/military`, record);
    if (r.status === 200 || r.status === 201) {
      status.className = "ok";
      status.textContent = `已登记 ${jcbh.value.trim()}`;
      jcbh.value = "";
      await load();
      return;
    }
    // Problems come as “CODE：message”; each goes beside its field.
    const msg = failure(r, "登记失败");
    let placed = false;
    for (const part of msg.split(/[；\n]/)) {
      const m = part.match(/([A-Z]+)：(.*)/);
      if (m && errors[m[1]]) { errors[m[1]].textContent = m[2]; placed = true; }
    }
    if (r.status === 404) jErr.textContent = msg;
    else if (!placed) { status.className = "error"; status.textContent = msg; }
  });
  section.appendChild(form);
  if (!session.me) return;
}
