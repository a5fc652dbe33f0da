// One patch: the map, the issued attributes and overlay figures, the
// answer form (the year's 判定 code table decides which fields a category
// needs; every error is shown beside its field and nothing typed is lost
// when saving fails), evidence photos with preview and their EXIF
// position on the map, 地块 split drawn on the map, the review step, the
// desk-review flags and the history from the audit trail.

import { call, el, clear, session, href, failure, refusal, mu, ha, when, regionName, role, notice } from "/assets/core.js";
import { patchMap } from "/assets/map.js";
import { actionBar } from "/assets/review.js";
import { casesPanel } from "/assets/cases.js";
import { fieldPanel } from "/assets/field.js";

const codeTables = new Map();

async function codeTable(year) {
  if (!codeTables.has(year)) {
    const r = await call("GET", `/api/determination/${year}`);
    codeTables.set(year, r.status === 200 ? r.data : null);
  }
  return codeTables.get(year);
}

const HISTORY_NAMES = {
  "answer.save": "保存答复", "answer.override": "省级直接修改", "attachment.add": "上传附件",
  "parcels.split": "拆分地块", "parcels.unsplit": "取消拆分", "review.submit": "县级上报",
  "review.pass": "审核通过", "review.return": "退回", "review.submit_to_province": "市级上报",
  "review.report": "报部", "desk.run": "内业审核", "desk.reply": "复核答复", "desk.clear": "疑点排除", "desk.uphold": "疑点属实", "case.open": "立案登记",
  "case.event": "案件进展", "case.range": "违法用地范围", "military.file": "军事用地登记",
  "field.assign": "外业核查派发", "field.complete": "外业核查完成", "field.photo": "外业照片",
};

/** The answer form for the patch (part 0) or one 地块. */
/**
 * An area input (m²): a stored value is shown to the centimetre, and kept
 * exact — unrounded, as stored — unless the clerk changes what is shown.
 */
function areaInput(v) {
  const n = typeof v === "number" ? v : Number(v);
  if (v === undefined || v === null || v === "" || !Number.isFinite(n)) return el("input", { inputmode: "decimal", value: v ?? "" });
  const shown = String(Math.round(n * 100) / 100);
  return el("input", { inputmode: "decimal", value: shown, dataset: { exact: String(n), shown } });
}

/** What an input holds: its exact stored value while it still shows it. */
function exactValue(input, typed) {
  return input.dataset && input.dataset.exact !== undefined && typed.trim() === input.dataset.shown ? input.dataset.exact : typed;
}

function answerForm(ctx, { part, view, monitoredM2, editable, onSaved, overrideMode = false }) {
  const { table: t, kind } = ctx;
  const cats = (t && t[kind]) || [];
  const a = view.answer || {};
  const inputs = new Map();
  const errors = new Map();
  const key = overrideMode ? `o${part}` : String(part);
  const form = el("form", { class: "answer", novalidate: true });
  const errorOf = (code) => {
    if (!errors.has(code)) errors.set(code, el("span", { class: "error", id: `err-${key}-${code}`, role: "alert" }));
    return errors.get(code);
  };
  const fieldRow = (code, label, control, hint) => {
    control.id = `f-${key}-${code}`;
    control.name = code;
    control.setAttribute("aria-describedby", `err-${key}-${code}`);
    if (!editable) control.disabled = true;
    inputs.set(code, control);
    return el("div", { class: "frow", dataset: { field: code } },
      el("label", { for: control.id }, label), control, hint ? el("span", { class: "small" }, hint) : null, errorOf(code));
  };
  const pdlx = el("select", {}, el("option", { value: "" }, "请选择"),
    cats.map((c) => el("option", { value: c.code, selected: c.code === a.PDLX }, `${c.code} ${c.name}`)));
  const jtqx = el("select", {});
  const basis = el("textarea", { rows: 2, value: a.PDYJSM || "" });
  const dynamic = el("div", { class: "dynamic" });
  const values = { ...a };
  const remember = () => {
    for (const [code, input] of inputs) {
      if (["PDLX", "JTQX"].includes(code)) continue;
      values[code] = exactValue(input, input.value);
    }
  };
  function fillSubs() {
    const cat = cats.find((c) => c.code === pdlx.value);
    clear(jtqx).appendChild(el("option", { value: "" }, "请选择"));
    for (const s of cat ? cat.sub : []) jtqx.appendChild(el("option", { value: s.code, selected: s.code === values.JTQX }, `${s.code} ${s.name}`));
  }
  function fillFields() {
    remember();
    for (const code of [...inputs.keys()]) if (!["PDLX", "JTQX", "PDYJSM"].includes(code)) inputs.delete(code);
    clear(dynamic);
    const cat = cats.find((c) => c.code === pdlx.value);
    const sub = cat && cat.sub.find((s) => s.code === jtqx.value);
    if (!cat || !sub) return;
    const groups = sub.requires.filter((g) => g !== "violation");
    if (cat.legality === "illegal") groups.push("violation");
    if (groups.length > 1 && cat.legality !== "illegal") dynamic.appendChild(el("p", { class: "small" }, "以下举证材料任填一组即可"));
    for (const g of groups) {
      const form = t.forms[g];
      const box = el("fieldset", {}, el("legend", {}, form.name));
      let hinted = false;
      for (const f of form.fields) {
        let input;
        let extra = null;
        const v = values[f.code];
        if (f.input === "date") input = el("input", { type: "date", value: v || "" });
        else if (f.input === "area") {
          input = areaInput(v);
          // The same area in 亩, as the clerk types (display only; m² is stored).
          const inMu = el("span", { class: "small mu" });
          const update = () => { const n = Number(input.value); inMu.textContent = input.value.trim() && Number.isFinite(n) ? `≈ ${mu(n)} 亩` : ""; };
          input.addEventListener("input", update);
          update();
          extra = inMu;
        }
        else if (f.input === "number") input = el("input", { inputmode: "decimal", value: v ?? "" });
        else input = el("input", { value: v || "" });
        // The monitored area, once per group, to compare the areas with.
        const hint = f.input === "area" && monitoredM2 && !hinted ? `监测面积 ${monitoredM2.toFixed(2)} 平方米` : null;
        if (hint) hinted = true;
        const row = fieldRow(f.code, f.label + (f.input === "area" ? "（平方米）" : ""), input, hint);
        if (extra) row.insertBefore(extra, row.querySelector(".error"));
        box.appendChild(row);
      }
      dynamic.appendChild(box);
    }
    if (cat.needs_handling) {
      const clfs = el("select", {}, el("option", { value: "" }, "请选择"),
        t.handling.map((h) => el("option", { value: h.code, selected: h.code === values.CLFS }, h.name)));
      dynamic.appendChild(el("fieldset", {}, el("legend", {}, "处理方式"),
        fieldRow("CLFS", "处理方式", clfs), fieldRow("CLSM", "处理说明", el("textarea", { rows: 2, value: values.CLSM || "" }))));
    }
    // 移交 (to discipline or judicial organs), optional.
    const yj = values.YJ || {};
    const box = el("details", { open: Boolean(values.YJ) }, el("summary", {}, "移交（选填）"),
      fieldRow("YJ.JSDW", "接收单位", el("input", { value: yj.JSDW || "" })),
      fieldRow("YJ.YJRQ", "移交日期", el("input", { type: "date", value: yj.YJRQ || "" })),
      fieldRow("YJ.YJWH", "移交文号", el("input", { value: yj.YJWH || "" })));
    if (cat.legality === "illegal") dynamic.appendChild(box);
  }
  pdlx.addEventListener("change", () => { values.JTQX = ""; fillSubs(); fillFields(); });
  jtqx.addEventListener("change", () => { values.JTQX = jtqx.value; fillFields(); });
  form.append(fieldRow("PDLX", "判定类型", pdlx), fieldRow("JTQX", "具体情形", jtqx), fieldRow("PDYJSM", "判定依据说明", basis), dynamic);
  fillSubs();
  fillFields();
  const fj = errorOf("FJ");
  const summary = el("div", { role: "status" });
  const save = el("button", { type: "submit", disabled: !editable }, overrideMode ? "省级直接修改" : "保存");
  // 省级直接修改 needs its reason, kept with the answer and in the audit trail.
  const reason = el("textarea", { rows: 2 });
  if (overrideMode) form.append(fieldRow("REASON", "修改理由（必填）", reason));
  form.append(fj, el("div", { class: "row" }, save, summary));

  function collect() {
    const out = {};
    const transfer = {};
    for (const [code, input] of inputs) {
      if (code === "REASON") continue;
      const v = input.value.trim();
      if (code.startsWith("YJ.")) { if (v) transfer[code.slice(3)] = v; continue; }
      if (!v) continue;
      const field = Object.values(t.forms).flatMap((f) => f.fields).find((f) => f.code === code);
      out[code] = field && ["area", "number"].includes(field.input) ? Number(exactValue(input, v)) : v;
    }
    if (Object.keys(transfer).length) out.YJ = transfer;
    if (!out.PDYJSM) out.PDYJSM = "";
    if (!out.PDLX) out.PDLX = "";
    return out;
  }

  function showErrors(list) {
    for (const e of errors.values()) e.textContent = "";
    for (const i of inputs.values()) i.setAttribute("aria-invalid", "false");
    const unplaced = [];
    for (const e of list) {
      const span = errors.get(e.field);
      if (span) {
        span.textContent = span.textContent ? `${span.textContent}；${e.message}` : e.message;
        const input = inputs.get(e.field);
        if (input) input.setAttribute("aria-invalid", "true");
      } else unplaced.push(e.message);
    }
    if (unplaced.length) fj.textContent = unplaced.join("；");
  }
  showErrors(view.errors || []);
  let version = view.version;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const answer = collect();
    // Numbers typed badly are caught here, beside their field, before sending.
    const local = [];
    for (const [code, v] of Object.entries(answer)) {
      if (typeof v === "number" && !Number.isFinite(v)) local.push({ field: code, message: "应为数字" });
    }
    if (local.length) { showErrors(local); summary.textContent = "请改正标红的项目"; summary.className = "error"; return; }
    if (overrideMode && !reason.value.trim()) {
      showErrors([{ field: "REASON", message: "请填写修改理由" }]);
      return;
    }
    save.disabled = true;
    summary.textContent = "保存中…";
    const url = overrideMode ? `${ctx.base}/override` : part === 0 ? `${ctx.base}/answer` : `${ctx.base}/parcels/${part}/answer`;
    const body = { answer, based_on: version || null };
    if (overrideMode) Object.assign(body, { reason: reason.value.trim(), parcel: part || null });
    const r = await call("PUT", url, body);
    save.disabled = false;
    if (r.status === 200) {
      version = r.data.version;
      showErrors(r.data.errors || []);
      summary.className = r.data.complete ? "ok" : "warn";
      summary.textContent = r.data.complete
        ? `已保存（第 ${version} 版），填报完整`
        : `已保存为草稿（第 ${version} 版），还有 ${r.data.errors.length} 处需补充`;
      onSaved && onSaved(r.data);
    } else if (r.status === 409) {
      summary.className = "error";
      summary.textContent = "保存失败：此答复已被他人修改。您填写的内容仍保留在表单中，请复制后刷新页面查看最新版本。";
    } else if (r.status === 422 && r.data && Array.isArray(r.data.errors)) {
      showErrors(r.data.errors);
      summary.className = "error";
      summary.textContent = failure(r, "保存失败");
    } else {
      summary.className = "error";
      summary.textContent = failure(r, "保存失败");
    }
  });
  return form;
}

function attributes(d) {
  return el("table", { class: "kv" }, el("tbody", {}, d.attributes.map((a) => {
    const v = a.value;
    const text = v === null || v === undefined ? "" : typeof v === "object" ? Object.values(v)[0] ?? "" : String(v);
    return el("tr", {}, el("th", { scope: "row" }, a.name), el("td", {}, String(text)));
  })));
}

const FIGURE_NAMES = {
  JCGDMJ_M2: "其中耕地", STMJ_M2: "水田", SJDMJ_M2: "水浇地", HDMJ_M2: "旱地", YJJBNTMJ_M2: "永久基本农田",
  STBHHXMJ_M2: "生态保护红线", ZRBHDMJ_M2: "自然保护地", PZYDMJ_M2: "已批准用地", CJYXMJ_M2: "长江/黄河沿线",
};

function figures(d) {
  const rows = Object.entries(d.figures).map(([k, v]) => [FIGURE_NAMES[k] || k, mu(v), ha(v)]);
  rows.unshift(["监测面积", mu(d.area_m2), ha(d.area_m2)]);
  const flags = [];
  if (d.ZDHC) flags.push("重点核查图斑");
  if (d.BMDTB) flags.push("百亩大图斑");
  return el("div", {},
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "叠加分析"), el("th", {}, "亩"), el("th", {}, "公顷"))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => el("td", { class: i ? "num" : "" }, c)))))),
    flags.length ? el("p", { class: "warn" }, flags.join("、")) : null);
}

function attachmentsPanel(ctx, d, handle, editable, onChange) {
  const box = el("div", { class: "attachments" });
  const list = el("ol", { class: "photos" });
  function show(items) {
    clear(list);
    items.forEach((a, i) => {
      const url = `${ctx.base}/attachments/${a.sha256}`;
      const thumb = a.media_type.startsWith("image/") ? el("img", { src: url, alt: `照片${i + 1} ${a.file_name}` }) : el("span", { class: "pdf" }, "PDF");
      list.appendChild(el("li", {},
        el("a", { href: url, target: "_blank", rel: "noopener" }, thumb),
        el("div", {}, el("strong", {}, `照片${i + 1}`), " ", a.file_name,
          el("div", { class: "small" }, a.taken_at ? `拍摄 ${a.taken_at}` : "无拍摄时间",
            a.lon !== null && a.lon !== undefined ? ` · ${a.lon.toFixed(6)}, ${a.lat.toFixed(6)}` : " · 无位置信息",
            ` · 上传 ${when(a.added_at)} ${a.added_by}`),
          (a.flags || []).map((f) => el("div", { class: "warn" }, `⚠ ${f}`)))));
    });
    if (handle) handle.setPhotos(items);
  }
  show(d.attachments);
  box.appendChild(list);
  if (editable) {
    const input = el("input", { type: "file", id: "photo", accept: "image/jpeg,image/png,application/pdf", multiple: true });
    const preview = el("div", { class: "preview" });
    const status = el("p", { role: "status" });
    input.addEventListener("change", async () => {
      clear(preview);
      for (const file of input.files) {
        if (file.type.startsWith("image/")) {
          const url = URL.createObjectURL(file);
          preview.appendChild(el("img", { src: url, alt: `待上传 ${file.name}`, onload: () => URL.revokeObjectURL(url) }));
        }
      }
      let ok = 0;
      const problems = [];
      for (const file of input.files) {
        if (file.size > 20 * 1024 * 1024) { problems.push(`${file.name}：超过 20 MB`); continue; }
        status.textContent = `上传 ${file.name}…`;
        const r = await call("POST", `${ctx.base}/attachments?name=${encodeURIComponent(file.name)}`, await file.arrayBuffer(), { raw: true });
        if (r.status === 201 || r.status === 200) ok++;
        else problems.push(`${file.name}：${failure(r, "上传失败")}`);
      }
      status.className = problems.length ? "error" : "ok";
      status.textContent = `已上传 ${ok} 个文件${problems.length ? "；" + problems.join("；") : ""}`;
      input.value = "";
      const r = await call("GET", `${ctx.base}/attachments`);
      if (r.status === 200) { show(r.data); onChange && onChange(r.data); }
      clear(preview);
    });
    box.append(el("label", { for: "photo" }, "上传照片或证明材料（JPEG、PNG、PDF）"), input, preview, status);
  }
  return box;
}

function splitPanel(ctx, d, handle, editable, reload) {
  const box = el("div", { id: "split" });
  if (d.DKS) box.appendChild(el("p", {}, `已拆分为 ${d.DKS} 个地块，逐块判定见下方。`));
  if (!editable || !handle) return box;
  const status = el("div", { role: "status" });
  const byLine = el("button", { type: "button", id: "split-line" }, d.DKS ? "重新拆分：画分割线" : "拆分地块：画分割线");
  const byShape = el("button", { type: "button", id: "split-shape" }, "逐块绘制地块");
  const finish = el("button", { type: "button", id: "split-submit", hidden: true }, "提交拆分");
  const cancel = el("button", { type: "button", hidden: true }, "取消");
  let mode = null;
  const begin = (m) => () => {
    mode = m;
    handle.startDraw(m === "line" ? "LineString" : "Polygon");
    byLine.hidden = true; byShape.hidden = true; finish.hidden = false; cancel.hidden = false;
    status.className = "";
    status.textContent = m === "line"
      ? "在地图上画出地块之间的分界线：单击逐点，双击结束；线须穿过图斑，可画多条"
      : "逐个绘制地块（双击结束一个）；各地块须恰好铺满图斑、互不重叠";
  };
  byLine.addEventListener("click", begin("line"));
  byShape.addEventListener("click", begin("shape"));
  cancel.addEventListener("click", () => {
    handle.stopDraw(); handle.clearDrawn();
    byLine.hidden = false; byShape.hidden = false; finish.hidden = true; cancel.hidden = true; status.textContent = "";
  });
  finish.addEventListener("click", async () => {
    let r;
    const discard = d.DKS ? "&discard_answers=true" : "";
    if (mode === "line") {
      const lines = handle.drawnLines();
      if (!lines.length) { status.className = "error"; status.textContent = "请先画出分割线"; return; }
      status.textContent = `按 ${lines.length} 条分割线拆分…`;
      r = await call("PUT", `${ctx.base}/parcels/cut`, { lines, discard_answers: Boolean(d.DKS) });
    } else {
      if (handle.drawnCount() < 2) { status.className = "error"; status.textContent = "至少绘制两个地块"; return; }
      status.textContent = `提交 ${handle.drawnCount()} 个地块（约 ${handle.drawnMu()} 亩）…`;
      r = await call("PUT", `${ctx.base}/parcels?name=${encodeURIComponent("地块.geojson")}${discard}`, handle.drawnGeoJson(), { raw: true });
    }
    if (r.status === 200) {
      handle.stopDraw(); handle.clearDrawn();
      await reload();
    } else {
      status.className = "error";
      clear(status).appendChild(refusal(r, "拆分失败"));
    }
  });
  box.append(el("div", { class: "row" }, byLine, byShape, finish, cancel), status);
  return box;
}

async function flagsPanel(ctx, b, reload) {
  const r = await call("GET", `${ctx.base}/flags`);
  if (r.status !== 200 || !r.data.length) return null;
  const box = el("section", {}, el("h3", {}, "内业审核疑点"));
  for (const f of r.data) {
    const item = el("div", { class: `flag ${f.status}` },
      el("p", {}, el("strong", {}, `${f.rule_name}`), `（${{ open: "待处理", upheld: "属实", cleared: "已排除" }[f.status] || f.status}）：${f.message}`),
      f.evidence.length ? el("ul", { class: "small" }, f.evidence.map((x) => el("li", {}, x))) : null,
      f.reply ? el("p", {}, `县级复核：${f.reply}（${f.replied_by}，${when(f.replied_at)}）`) : null,
      f.decision_note ? el("p", {}, `认定意见：${f.decision_note}（${f.decided_by}）`) : null);
    if (f.status === "open" && role.isCounty()) {
      const text = el("textarea", { rows: 2, "aria-label": "复核说明" });
      const err = el("span", { class: "error", role: "alert" });
      item.append(text, el("button", {
        type: "button", onclick: async () => {
          if (!text.value.trim()) { err.textContent = "请填写复核说明"; return; }
          const x = await call("POST", `/api/flags/${f.id}/reply`, { text: text.value.trim() });
          if (x.status === 200) await reload(); else err.textContent = failure(x, "提交失败");
        },
      }, "提交复核"), err);
    }
    if (f.status === "open" && role.isReviewer()) {
      const note = el("input", { "aria-label": "认定意见", placeholder: "认定意见" });
      const err = el("span", { class: "error", role: "alert" });
      const decide = (upheld) => async () => {
        const x = await call("POST", `/api/flags/${f.id}/decision`, { upheld, note: note.value.trim() || null });
        if (x.status === 200) await reload(); else err.textContent = failure(x, "提交失败");
      };
      item.append(note, el("button", { type: "button", onclick: decide(true) }, "属实"), el("button", { type: "button", onclick: decide(false) }, "排除"), err);
    }
    box.appendChild(item);
  }
  return box;
}

async function historyPanel(ctx) {
  const r = await call("GET", `${ctx.base}/history`);
  const box = el("details", { id: "history" }, el("summary", {}, "操作记录"));
  if (r.status !== 200) { box.appendChild(el("p", { class: "error" }, failure(r, "无法读取记录"))); return box; }
  box.appendChild(el("table", {}, el("thead", {}, el("tr", {}, ["时间（北京时间）", "用户", "操作", "说明"].map((h) => el("th", {}, h)))),
    el("tbody", {}, r.data.slice().reverse().map((h) => el("tr", {},
      el("td", {}, when(h.at)), el("td", {}, h.actor), el("td", {}, HISTORY_NAMES[h.action] || h.action),
      el("td", {}, h.reason || (h.after && h.after.PDLX ? `判定 ${h.after.PDLX} ${h.after.JTQX || ""}` : "")))))));
  return box;
}

export async function patchPage(view, route) {
  const [, year, batch, jcbh] = route.path;
  const b = { year: Number(year), batch };
  const ctx = { base: `/api/patches/${year}/${encodeURIComponent(batch)}/${encodeURIComponent(jcbh)}` };
  const r = await call("GET", ctx.base);
  if (r.status === 404) {
    view.appendChild(el("section", {}, el("h2", {}, "未找到图斑"),
      el("p", { class: "error", role: "alert" }, `未找到图斑 ${jcbh}（不存在，或不在您的辖区内）`),
      el("p", {}, el("a", { href: href(["patches"], b) }, "返回图斑列表"))));
    return;
  }
  if (r.status !== 200) { view.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法读取图斑"))); return; }
  const d = r.data;
  ctx.kind = d.kind;
  ctx.table = await codeTable(b.year);
  const rv = await call("GET", `${ctx.base}/review`);
  const review = rv.status === 200 ? rv.data : null;
  const state = review ? review.state : "county";
  const editable = role.isCounty() && state === "county";

  const reload = async () => {
    const v = clear(document.getElementById("view"));
    const n = el("div", {});
    v.appendChild(n);
    await patchPage(n, route);
  };

  const head = el("section", {},
    el("p", { class: "small" }, el("a", { href: href(["patches"], b) }, "← 图斑列表")),
    el("h2", {}, `图斑 ${d.JCBH}`),
    el("p", {}, `${regionName(d.XZQDM)}（${d.XZQDM}） · ${d.kind === "mineral" ? "矿产" : "土地"} · 监测面积 ${mu(d.area_m2)} 亩（${d.area_m2.toFixed(2)} 平方米） · `,
      el("span", { class: `state ${state}` }, review ? review.state_name : "县级填报中")),
    review && review.last_return ? el("p", { class: "warn", role: "status" }, `${review.last_return.level === "province" ? "省级" : "市级"}退回：${review.last_return.reason}`) : null,
    d.repairs.length ? el("p", { class: "small" }, `导入时修复：${d.repairs.join("；")}`) : null);
  view.appendChild(head);

  const grid = el("div", { class: "detail" });
  view.appendChild(grid);
  const left = el("div", { class: "col" });
  const right = el("div", { class: "col" });
  grid.append(left, right);

  const mapBox = el("section", {}, el("h3", {}, "地图"));
  left.appendChild(mapBox);
  const handle = await patchMap(mapBox, b, d.JCBH, { onSelect: (j) => { if (j !== d.JCBH) location.hash = href(["patch", year, batch, j]); } });
  left.append(
    el("section", {}, el("h3", {}, "叠加分析"), figures(d)),
    el("section", {}, el("h3", {}, "下发属性"), attributes(d)));

  // The cases panel follows the answer: an illegal answer may open one.
  const casesBox = el("div", {});
  const showCases = async (illegal) => {
    clear(casesBox).appendChild(await casesPanel(b, d.JCBH, d.cases, { illegal, reload }));
  };
  const saved = (v) => { if (v.complete && v.answer && v.answer.PDLX === "WF") showCases(true); };

  // The answer: the whole patch, or each 地块.
  const answerBox = el("section", { id: "answer" }, el("h3", {}, "核查判定"));
  right.appendChild(answerBox);
  answerBox.appendChild(splitPanel(ctx, d, handle, editable, reload));
  if (d.DKS) {
    for (const pa of d.parcel_answers) {
      answerBox.appendChild(el("h4", {}, `地块 ${pa.parcel}`));
      answerBox.appendChild(answerForm(ctx, { part: pa.parcel, view: pa, editable, onSaved: saved }));
    }
  } else {
    if (role.isProvince() && state !== "reported") {
      // 省级直接修改: the province writes the answer itself, with a reason.
      const holder = el("div", {});
      answerBox.append(el("button", {
        type: "button", id: "override",
        onclick: (e) => {
          e.target.hidden = true;
          holder.appendChild(answerForm(ctx, { part: 0, view: d.answer, monitoredM2: d.area_m2, editable: true, overrideMode: true, onSaved: () => reload() }));
        },
      }, "省级直接修改…"), holder);
    }
    if (d.answer.override_reason) answerBox.appendChild(el("p", { class: "warn" }, `省级直接修改：${d.answer.override_reason}（${d.answer.updated_by}）`));
    answerBox.appendChild(answerForm(ctx, { part: 0, view: d.answer, monitoredM2: d.area_m2, editable, onSaved: saved }));
  }
  if (d.answer.updated_at) answerBox.appendChild(el("p", { class: "small" }, `最后保存：${when(d.answer.updated_at)} ${d.answer.updated_by || ""}`));

  right.appendChild(el("section", {}, el("h3", {}, "举证材料"), attachmentsPanel(ctx, d, handle, editable)));

  const reviewBox = el("section", { id: "review" }, el("h3", {}, "审核"));
  reviewBox.appendChild(el("p", {}, `当前：${review ? review.state_name : "县级填报中"}；市级退回 ${review ? review.city_returns : 0} 次，省级退回 ${review ? review.province_returns : 0} 次`));
  reviewBox.appendChild(actionBar(b, () => [d.JCBH], async (res) => { if (res.outcome && res.outcome.done.length) await reload(); }, { states: [state] }));
  right.appendChild(reviewBox);
  const flags = await flagsPanel(ctx, b, reload);
  if (flags) right.appendChild(flags);
  const field = await fieldPanel(ctx, b, d.JCBH, handle, reload);
  if (field) right.appendChild(field);
  right.appendChild(casesBox);
  await showCases([d.answer, ...d.parcel_answers].some((a) => a.answer && a.answer.PDLX === "WF"));
  right.appendChild(await historyPanel(ctx));
}
