// 外业核查: a city or province reviewer sends a patch to the technical-
// support unit for a field check; the unit records its findings, the
// surveyed boundary (drawn on the patch map) and its photos.

import { call, el, failure, mu, role, when } from "/assets/core.js";

/** Send patches of batch `b` to field check; `{ok, message}`. */
export async function assignFieldChecks(b, jcbhs) {
  const r = await call("POST", "/api/field-checks", { year: b.year, batch: b.batch, jcbhs });
  if (r.status === 200 || r.status === 201) return { ok: true, message: `已派发外业核查 ${jcbhs.length} 个` };
  return { ok: false, message: failure(r, "派发失败") };
}

function resultForm(check, handle, reload) {
  const findings = el("textarea", { rows: 3, id: `findings-${check.id}`, "aria-label": "核查结论" });
  const photos = el("input", { type: "file", accept: "image/jpeg,image/png", multiple: true, "aria-label": "现场照片" });
  const status = el("p", { role: "status" });
  const draw = el("button", { type: "button" }, "在地图上绘制核查边界");
  draw.addEventListener("click", () => { handle.startDraw("Polygon"); draw.disabled = true; status.textContent = "在地图上绘制实测边界，双击结束"; });
  const send = el("button", {
    type: "button", onclick: async () => {
      if (!findings.value.trim()) { status.className = "error"; status.textContent = "请填写核查结论"; findings.setAttribute("aria-invalid", "true"); return; }
      for (const f of photos.files) {
        const x = await call("POST", `/api/field-checks/${check.id}/photos?name=${encodeURIComponent(f.name)}`, await f.arrayBuffer(), { raw: true });
        if (x.status !== 200 && x.status !== 201) { status.className = "error"; status.textContent = `${f.name}：${failure(x, "照片上传失败")}`; return; }
      }
      let boundary = null;
      if (handle && handle.drawnCount()) boundary = JSON.parse(handle.drawnGeoJson());
      const r = await call("POST", `/api/field-checks/${check.id}/result`, { findings: findings.value.trim(), boundary });
      if (r.status === 200) { if (handle) { handle.stopDraw(); handle.clearDrawn(); } await reload(); return; }
      status.className = "error";
      status.textContent = failure(r, "提交失败");
    },
  }, "提交核查结果");
  return el("div", { class: "answer" }, el("label", { for: `findings-${check.id}` }, "核查结论"), findings,
    el("label", {}, "现场照片"), photos, el("div", { class: "row" }, handle ? draw : null, send), status);
}

/** The field-check panel of a patch page. */
export async function fieldPanel(ctx, b, jcbh, handle, reload) {
  const section = el("section", { id: "field" }, el("h3", {}, "外业核查"));
  const r = await call("GET", `${ctx.base}/field-checks`);
  const list = r.status === 200 ? r.data : [];
  for (const c of list) {
    section.appendChild(el("div", { class: `flag ${c.status === "done" ? "cleared" : ""}` },
      el("p", {}, `${c.status === "done" ? "已完成" : "待核查"}（${c.assigned_by} 派发于 ${when(c.assigned_at)}）`),
      c.findings ? el("p", {}, `结论：${c.findings}（${c.done_by}，${when(c.done_at)}）`) : null,
      c.boundary_area_m2 ? el("p", {}, `实测边界 ${mu(c.boundary_area_m2)} 亩`) : null,
      c.photos.length ? el("p", { class: "small" }, `现场照片 ${c.photos.length} 张：${c.photos.map((p) => p.file_name).join("、")}`) : null,
      c.status !== "done" && role.is("desk") ? resultForm(c, handle, reload) : null));
  }
  if (role.isReviewer()) {
    const msg = el("span", { role: "status" });
    section.appendChild(el("div", { class: "row" }, el("button", {
      type: "button", id: "assign-field",
      onclick: async () => {
        const res = await assignFieldChecks(b, [jcbh]);
        if (res.ok) { await reload(); return; }
        msg.className = "error"; msg.textContent = res.message;
      },
    }, "派发外业核查"), msg));
  }
  if (!list.length && !role.isReviewer()) return null;
  if (!list.length) section.appendChild(el("p", { class: "small" }, "尚未派发外业核查"));
  return section;
}
