// 数据管理: what the platform holds (batches, reference layers, county
// boundaries, recent imports), importing a batch, a layer or the
// boundaries from a file, running the overlay analysis — both as jobs with
// their progress — and downloading a batch's patches as GIS files.
// Everyone may download their own region's patches; only administrators
// see the rest.

import { call, el, clear, failure, mu, ha, when, table, notice, session, role, currentBatch, batchPicker, rememberBatch } from "/assets/core.js";

const FORMATS = [["gpkg", "GeoPackage"], ["shp", "Shapefile（zip）"], ["geojson", "GeoJSON"], ["xlsx", "Excel"]];

/** Upload `file` with its progress shown in `bar` (fetch has no upload progress). */
function upload(url, file, bar) {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open("POST", url);
    if (session.csrf) x.setRequestHeader("x-csrf-token", session.csrf);
    x.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    });
    x.addEventListener("load", () => {
      let data = null;
      try { data = x.responseText ? JSON.parse(x.responseText) : null; } catch (_) { data = { message: x.responseText }; }
      resolve({ status: x.status, data });
    });
    x.addEventListener("error", () => resolve({ status: 0, data: { message: "上传中断，请检查网络后重试" } }));
    x.send(file);
  });
}

/** What a finished job did, in one or two lines. */
function outcome(job) {
  if (job.state === "failed") {
    const e = job.error || {};
    const box = el("div", { class: "error", role: "alert" }, el("p", {}, e.message || "任务失败"));
    if (e.problems && e.problems.length) {
      box.appendChild(table(["记录", "监测编号", "问题"], e.problems.slice(0, 200).map((p) => [p.row ? `第 ${p.row} 条` : "整个文件", p.jcbh || "—", p.message])));
      if (e.problems.length > 200) box.appendChild(el("p", {}, `其余 ${e.problems.length - 200} 处略`));
    }
    return box;
  }
  const r = job.result || {};
  const lines = [];
  const i = r.import;
  if (r.what === "patches" && i) {
    lines.push(`批次 ${i.batch}：新增 ${i.inserted}、更新 ${i.updated}、未变 ${i.unchanged} 个图斑${i.not_in_file ? `；已有而文件中没有的 ${i.not_in_file} 个保留` : ""}；面积 ${mu(i.area_m2)} 亩。`);
  } else if (r.what === "layer" && i) {
    lines.push(`基础图层 ${i.kind_zh}：${i.imported} 个要素，面积 ${ha(i.area_m2)} 公顷。`);
  } else if (r.what === "regions" && i) {
    lines.push(`县级行政区界线：${i.imported} 个。`);
  }
  if (i && i.repairs && i.repairs.length) lines.push(`自动修复图形 ${i.repairs.length} 处（自相交、重复点等，已记录）。`);
  if (i && i.warnings && i.warnings.length) lines.push(`提示 ${i.warnings.length} 条：${i.warnings.slice(0, 3).map((w) => `${w.jcbh || ""} ${w.message}`).join("；")}${i.warnings.length > 3 ? "……" : ""}`);
  const a = r.analysis;
  if (a) {
    const recomputed = a.layers.reduce((n, l) => n + l.recomputed, 0);
    lines.push(`叠加分析 ${a.batch}：${a.patches} 个图斑，重算 ${recomputed} 项${a.missing_layers.length ? `；未导入的图层：${a.missing_layers.join("、")}` : ""}${a.problems.length ? `；${a.problems.length} 个图斑无法分析` : ""}。`);
  }
  return el("div", { class: "ok", role: "status" }, lines.map((l) => el("p", {}, l)));
}

function jobRow(job) {
  const bar = el("progress", { max: job.total || 1, value: job.state === "running" ? job.done : job.total || 1 });
  if (job.state === "running" && !job.total) bar.removeAttribute("value"); // indeterminate
  const state = { running: "运行中", done: "已完成", failed: "失败" }[job.state];
  return el("li", { class: "job", dataset: { job: job.id, state: job.state } },
    el("p", {}, el("strong", {}, `任务 ${job.id}：${job.title}`), ` · ${job.owner} · ${when(job.started_at)} · `, el("span", { class: `job-state ${job.state}` }, state)),
    job.state === "running" ? el("p", {}, `${job.stage} `, bar, job.total ? ` ${job.done}/${job.total}` : "") : outcome(job));
}

export async function dataPage(view, r) {
  const section = el("section", {}, el("h2", {}, "数据管理"));
  view.appendChild(section);
  section.appendChild(exportForm(r));
  if (!role.isAdmin()) return;

  const inv = await call("GET", "/api/data");
  if (inv.status !== 200) { section.appendChild(notice(failure(inv, "无法读取数据清单"), "error")); return; }
  const d = inv.data;
  const jobs = el("ul", { id: "jobs", class: "jobs" });
  const holdings = el("div", {});

  async function refreshBatches() {
    const b = await call("GET", "/api/batches");
    if (b.status === 200) session.batches = b.data;
  }

  // Poll while a job runs; when it ends, reload the batches and holdings.
  let timer = null;
  async function showJobs() {
    const j = await call("GET", "/api/jobs");
    if (j.status !== 200 || !jobs.isConnected) return;
    clear(jobs);
    if (!j.data.length) jobs.appendChild(el("li", {}, "暂无任务。"));
    j.data.slice(0, 10).forEach((x) => jobs.appendChild(jobRow(x)));
    clearTimeout(timer);
    if (j.data.some((x) => x.state === "running")) {
      jobs.dataset.wasRunning = "1";
      timer = setTimeout(showJobs, 700);
    } else if (jobs.dataset.wasRunning === "1") {
      jobs.dataset.wasRunning = "0";
      await refreshBatches();
      await renderHoldings();
    }
  }

  /** The holdings from `x` (the inventory read on load), else read afresh. */
  async function renderHoldings(x) {
    if (!x) {
      const fresh = await call("GET", "/api/data");
      x = fresh.status === 200 ? fresh.data : d;
    }
    clear(holdings);
    holdings.appendChild(el("h3", {}, "图斑批次"));
    holdings.appendChild(x.batches.length ? table(["年份", "批次", "种类", "图斑数", "面积（亩）", "来源文件", "导入时间", "叠加分析", ""], x.batches.map((b) => {
      const status = el("span", { dataset: { analysis: `${b.year}/${b.batch}` } }, "…");
      const run = el("button", { type: "button", onclick: () => startAnalysis(b, false) }, "运行叠加分析");
      call("GET", `/api/data/analysis?year=${b.year}&batch=${encodeURIComponent(b.batch)}`).then((s) => {
        status.textContent = s.status !== 200 ? failure(s, "—")
          : s.data.stale === 0 ? "已是最新" : `${s.data.stale}/${s.data.patches} 个图斑待分析`;
      });
      return [String(b.year), b.batch, b.kind_name, String(b.count), mu(b.area_m2), b.source, when(b.imported_at), status, run];
    })) : el("p", {}, "尚未导入图斑。"));
    holdings.appendChild(el("h3", {}, "基础图层与县界"));
    const rows = x.layers.map((l) => [l.name, l.kind, l.count ? String(l.count) : "未导入", l.count ? ha(l.area_m2) : "—", l.source || "—", l.imported_at ? when(l.imported_at) : "—"]);
    rows.push(["县级行政区界线", "xzq", x.boundaries ? String(x.boundaries.rows) : "未导入", "—", x.boundaries ? x.boundaries.source : "—", x.boundaries ? when(x.boundaries.imported_at) : "—"]);
    holdings.appendChild(table(["图层", "代码", "要素数", "面积（公顷）", "来源文件", "导入时间"], rows));
    if (x.imports.length) {
      holdings.appendChild(el("details", {}, el("summary", {}, "最近的导入记录"),
        table(["对象", "文件", "编码", "坐标系", "记录数", "时间"], x.imports.map((i) => [i.target, i.source, i.encoding || "—", i.crs || "—", String(i.rows), when(i.imported_at)]))));
    }
  }

  const message = el("div", { id: "data-message" });
  async function started(resp) {
    if (resp.status === 202) {
      clear(message).appendChild(notice(`已开始：${resp.data.title}`));
      jobs.dataset.wasRunning = "1";
      await showJobs();
    } else {
      clear(message).appendChild(notice(failure(resp, "未能开始"), "error"));
    }
  }
  async function startAnalysis(b, force) {
    await started(await call("POST", "/api/data/analysis", { year: b.year, batch: b.batch, force }));
  }

  section.append(importForm(d, started), message, el("h3", {}, "任务"), jobs, holdings);
  await renderHoldings(d);
  await showJobs();
}

function exportForm(r) {
  const b = currentBatch(r.query);
  const format = el("select", { id: "export-format" }, FORMATS.map(([v, t]) => el("option", { value: v }, t)));
  const kind = el("select", { id: "export-kind" }, el("option", { value: "" }, "土地与矿产"), el("option", { value: "land" }, "土地"), el("option", { value: "mineral" }, "矿产"));
  const region = el("input", { id: "export-region", inputmode: "numeric", size: 7, placeholder: "全部" });
  let batch = b;
  const link = el("a", { id: "export-link", class: "button" }, "下载");
  function update() {
    if (!batch) { link.removeAttribute("href"); return; }
    const q = new URLSearchParams({ year: batch.year, batch: batch.batch, format: format.value });
    if (kind.value) q.set("kind", kind.value);
    if (region.value.trim()) q.set("region", region.value.trim());
    link.href = `/api/data/export?${q}`;
  }
  [format, kind, region].forEach((x) => x.addEventListener("input", update));
  update();
  return el("form", { class: "filters", novalidate: true },
    el("h3", {}, "导出图斑"),
    el("p", { class: "small" }, "导出本辖区的图斑及其叠加分析结果（CGCS2000 经纬度，面积为椭球面积）。"),
    batchPicker(b, (nb) => { batch = nb; rememberBatch(nb); update(); }),
    el("label", { class: "inline", for: "export-kind" }, "种类 "), kind,
    el("label", { class: "inline", for: "export-region" }, " 行政区代码 "), region,
    el("label", { class: "inline", for: "export-format" }, " 格式 "), format, " ", link);
}

function importForm(d, started) {
  // Reference layers and county boundaries are national tables: only an
  // administrator of the whole country replaces them (the server says so too).
  const national = session.me.region === "000000";
  const what = el("select", { id: "imp-what" },
    el("option", { value: "patches" }, "图斑批次"),
    national ? el("option", { value: "layer" }, "基础图层") : null,
    national ? el("option", { value: "regions" }, "县级行政区界线") : null);
  const year = el("input", { id: "imp-year", inputmode: "numeric", size: 5, value: String(new Date().getFullYear()) });
  const batch = el("input", { id: "imp-batch", size: 10, placeholder: "如 2020Q1" });
  const kind = el("select", { id: "imp-kind" }, el("option", { value: "land" }, "土地"), el("option", { value: "mineral" }, "矿产"));
  const analyze = el("input", { id: "imp-analyze", type: "checkbox", checked: true });
  const layer = el("select", { id: "imp-layer" }, d.layer_kinds.map((k) => el("option", { value: k.code }, `${k.name}（${k.code}）`)));
  const encoding = el("select", { id: "imp-encoding" }, el("option", { value: "auto" }, "自动识别"), el("option", { value: "gbk" }, "GBK"), el("option", { value: "utf-8" }, "UTF-8"));
  const file = el("input", { id: "imp-file", type: "file", accept: ".zip,.geojson,.json,.gpkg,.txt" });
  const errs = { year: el("span", { class: "error", id: "imp-year-error" }), batch: el("span", { class: "error", id: "imp-batch-error" }), file: el("span", { class: "error", id: "imp-file-error" }) };
  const bar = el("progress", { id: "imp-progress", max: 1, value: 0, hidden: true });
  const submit = el("button", { type: "submit" }, "上传并导入");
  const patchRows = el("div", {},
    el("div", { class: "frow" }, el("label", { for: "imp-year" }, "年份"), year, errs.year),
    el("div", { class: "frow" }, el("label", { for: "imp-batch" }, "批次"), batch, errs.batch),
    el("div", { class: "frow" }, el("label", { for: "imp-kind" }, "种类"), kind),
    el("div", { class: "frow" }, el("span", {}), el("label", { class: "check" }, analyze, "导入后运行叠加分析")));
  const layerRow = el("div", { class: "frow", hidden: true }, el("label", { for: "imp-layer" }, "图层类型"), layer);
  function shape() {
    patchRows.hidden = what.value !== "patches";
    layerRow.hidden = what.value !== "layer";
  }
  what.addEventListener("change", shape);
  const form = el("form", { class: "answer", id: "import-form", novalidate: true },
    el("h3", {}, "导入数据"),
    el("p", { class: "small" }, `Shapefile 请打包为 zip；也可上传 GeoJSON、GeoPackage、国土 TXT。须为 CGCS2000（经纬度或高斯-克吕格投影）。单个文件不超过 ${d.max_import_mb} MB。整份文件校验无误才写入，有问题时逐条列出。`),
    el("div", { class: "frow" }, el("label", { for: "imp-what" }, "导入"), what),
    patchRows, layerRow,
    el("div", { class: "frow" }, el("label", { for: "imp-encoding" }, "属性文字编码"), encoding),
    el("div", { class: "frow" }, el("label", { for: "imp-file" }, "文件"), file, errs.file),
    submit, " ", bar);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    Object.values(errs).forEach((x) => { x.textContent = ""; });
    let bad = false;
    const f = file.files[0];
    if (!f) { errs.file.textContent = "请选择文件"; bad = true; }
    else if (f.size > d.max_import_mb * 1048576) { errs.file.textContent = `文件超过 ${d.max_import_mb} MB 的上限`; bad = true; }
    const q = new URLSearchParams({ what: what.value, encoding: encoding.value, name: f ? f.name : "" });
    if (what.value === "patches") {
      if (!/^\d{4}$/.test(year.value.trim())) { errs.year.textContent = "年份应为 4 位数字"; bad = true; }
      if (!batch.value.trim()) { errs.batch.textContent = "请输入批次名称"; bad = true; }
      q.set("year", year.value.trim()); q.set("batch", batch.value.trim()); q.set("kind", kind.value);
      if (analyze.checked) q.set("analyze", "true");
    } else if (what.value === "layer") {
      q.set("layer", layer.value);
    }
    if (bad) return;
    submit.disabled = true;
    bar.hidden = false;
    const resp = await upload(`/api/data/import?${q}`, f, bar);
    bar.hidden = true;
    submit.disabled = false;
    if (resp.status === 202) file.value = "";
    await started(resp);
  });
  shape();
  return form;
}
