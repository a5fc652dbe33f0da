// 抽查 and 交叉检查 (city and province reviewers): draw a stratified sample
// of the answered patches (seeded, so it can be re-drawn and audited),
// assign cross-checkers, record each result, and read the estimate of the
// share answered wrongly with its confidence interval. The sample is in
// the URL (`#/sampling?id=…`).

import { call, el, clear, session, currentBatch, batchPicker, href, failure, table, regionName } from "/assets/core.js";

function pct(x) { return `${(100 * x).toFixed(1)}%`; }

function sampleView(s, reload) {
  const [year, batch] = s.batch.split("/");
  const box = el("div", {});
  box.appendChild(el("p", {}, `抽查 #${s.id}：${regionName(s.region)}，总体 ${s.population} 个图斑，允许误差 ${pct(s.margin)}，置信水平 ${pct(s.confidence)}，随机种子 ${s.seed}（${s.created_by}）`));
  box.appendChild(table(["层", "总体", "抽取", "已检查", "错误"], s.strata.map((t) => [t.stratum, String(t.population), String(t.sampled), String(t.checked), String(t.wrong)])));
  const e = s.estimate;
  box.appendChild(el("p", { class: e.wrong ? "warn" : "" },
    `已检查 ${e.checked} 个，错误 ${e.wrong} 个；估计错误率 ${pct(e.share)}（置信区间 ${pct(e.low)}–${pct(e.high)}）`));
  const seed = el("input", { id: "cross-seed", inputmode: "numeric", value: String(s.seed + 1), size: 6 });
  const crossMsg = el("span", { role: "status" });
  box.appendChild(el("div", { class: "row" }, el("label", { for: "cross-seed" }, "交叉检查随机种子"), seed,
    el("button", {
      type: "button", onclick: async () => {
        const r = await call("POST", `/api/samples/${s.id}/cross`, { seed: Number(seed.value) });
        if (r.status === 200) await reload(); else { crossMsg.className = "error"; crossMsg.textContent = failure(r, "分配失败"); }
      },
    }, "分配交叉检查"), crossMsg));
  box.appendChild(table(["图斑", "行政区", "层", "检查单位", "结果", "说明", "登记"], s.items.map((it) => {
    const note = el("input", { value: it.note || "", "aria-label": `${it.jcbh} 的说明` });
    const msg = el("span", { role: "status" });
    const record = (wrong) => async () => {
      const r = await call("POST", `/api/samples/${s.id}/results`, { jcbh: it.jcbh, wrong, note: note.value.trim() || null });
      if (r.status === 200) await reload(); else { msg.className = "error"; msg.textContent = failure(r, "登记失败"); }
    };
    return [
      el("a", { href: href(["patch", year, batch, it.jcbh]) }, it.jcbh), regionName(it.xzqdm), it.stratum,
      it.checker ? regionName(it.checker) : "—",
      it.result === null || it.result === undefined ? "未检查" : (it.result ? "错误" : "正确"),
      note,
      el("span", {}, el("button", { type: "button", onclick: record(false) }, "正确"), " ",
        el("button", { type: "button", onclick: record(true) }, "错误"), msg),
    ];
  })));
  return box;
}

export async function samplingPage(view, route) {
  const q = route.query;
  const section = el("section", {}, el("h2", {}, "抽查与交叉检查"));
  view.appendChild(section);
  const id = q.get("id");
  const reload = async () => { location.hash = href(["sampling"], { id, t: Date.now() }); };
  if (id) {
    const r = await call("GET", `/api/samples/${encodeURIComponent(id)}`);
    section.appendChild(r.status === 200 ? sampleView(r.data, reload) : el("p", { class: "error", role: "alert" }, failure(r, "无法读取抽查")));
    section.appendChild(el("p", {}, el("a", { href: "#/sampling" }, "新的抽查")));
    return;
  }
  const b = currentBatch(q);
  if (!b) { section.appendChild(el("p", {}, "尚无批次")); return; }
  const f = {
    seed: el("input", { id: "s-seed", inputmode: "numeric", value: String(Math.floor(Math.random() * 1e6)) }),
    region: el("input", { id: "s-region", inputmode: "numeric", value: session.me.region === "000000" ? "" : session.me.region }),
    margin: el("input", { id: "s-margin", inputmode: "decimal", value: "0.05" }),
    confidence: el("select", { id: "s-confidence" }, ["0.90", "0.95", "0.99"].map((c) => el("option", { value: c, selected: c === "0.95" }, c))),
  };
  const status = el("p", { role: "status" });
  const form = el("form", { class: "answer", novalidate: true },
    batchPicker(b, (nb) => { location.hash = href(["sampling"], nb); }),
    el("div", { class: "frow" }, el("label", { for: "s-region" }, "行政区代码"), f.region),
    el("div", { class: "frow" }, el("label", { for: "s-margin" }, "允许误差"), f.margin),
    el("div", { class: "frow" }, el("label", { for: "s-confidence" }, "置信水平"), f.confidence),
    el("div", { class: "frow" }, el("label", { for: "s-seed" }, "随机种子（记录在案，可复现）"), f.seed),
    el("button", { type: "submit" }, "抽取"), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { year: b.year, batch: b.batch, seed: Number(f.seed.value), margin: Number(f.margin.value), confidence: Number(f.confidence.value) };
    if (f.region.value.trim()) body.region = f.region.value.trim();
    if (!Number.isInteger(body.seed) || body.seed < 0) { status.className = "error"; status.textContent = "随机种子应为非负整数"; return; }
    const r = await call("POST", "/api/samples", body);
    if (r.status === 200 || r.status === 201) location.hash = href(["sampling"], { id: r.data.id });
    else { status.className = "error"; status.textContent = failure(r, "抽取失败"); }
  });
  section.appendChild(form);
}
