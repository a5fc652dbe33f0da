// 工作台: what awaits me in a batch (to fill, returned, flags to answer,
// to review), the deadlines with a countdown in Beijing time, and each
// sub-region's progress (completion, 合法/违法/其他 shares) as bars.

import { call, el, clear, table, session, currentBatch, batchPicker, daysLeft, href, failure, regionName, when } from "/assets/core.js";

function patchLink(b, jcbh) {
  return el("a", { href: href(["patch", b.year, b.batch, jcbh]) }, jcbh);
}

/** The level one below the user's scope (a county sees itself). */
function childLevel(region) {
  if (region === "000000") return "province";
  if (region.endsWith("0000")) return "city";
  return "county";
}

function bar(parts) {
  const total = parts.reduce((s, p) => s + p.value, 0);
  const b = el("div", { class: "bar", role: "img", "aria-label": parts.map((p) => `${p.label} ${p.value}`).join("，") });
  for (const p of parts) {
    if (!p.value) continue;
    const seg = el("span", { class: `seg ${p.cls}`, title: `${p.label} ${p.value}` });
    seg.style.width = `${(100 * p.value) / Math.max(total, 1)}%`;
    b.appendChild(seg);
  }
  return b;
}

async function progress(b, box) {
  const level = childLevel(session.me.region);
  const r = await call("GET", `/api/stats?year=${b.year}&batch=${encodeURIComponent(b.batch)}&level=${level}&items=false`);
  if (r.status !== 200) {
    box.appendChild(el("p", { class: "error" }, failure(r, "无法读取统计")));
    return;
  }
  // Land and mineral rows of a region are summed for the overview.
  const by = new Map();
  for (const s of r.data) {
    const t = by.get(s.region) || { issued: 0, verified: 0, legal: 0, illegal: 0, other: 0 };
    t.issued += s.issued.count;
    t.verified += s.verified.count;
    t.legal += s.legal.count;
    t.illegal += s.illegal.count;
    t.other += s.other.count + s.false_change.count;
    by.set(s.region, t);
  }
  const rows = [...by.entries()].sort((a, b2) => a[0].localeCompare(b2[0])).map(([code, t]) => {
    const pct = t.issued ? (100 * t.verified) / t.issued : 0;
    const share = (n) => (t.verified ? `${((100 * n) / t.verified).toFixed(1)}%` : "—");
    const link = el("a", { href: href(["patches"], { year: b.year, batch: b.batch, region: code }) }, `${regionName(code)}（${code}）`);
    return [
      link, String(t.issued), `${pct.toFixed(1)}%`,
      bar([
        { label: "合法", value: t.legal, cls: "legal" },
        { label: "违法", value: t.illegal, cls: "illegal" },
        { label: "其他", value: t.other, cls: "other" },
        { label: "未填报", value: t.issued - t.verified, cls: "open" },
      ]),
      share(t.legal), share(t.illegal), share(t.other),
    ];
  });
  box.appendChild(el("h3", {}, "各地进度"));
  box.appendChild(el("p", { class: "legend" },
    el("span", { class: "key legal" }), "合法 ", el("span", { class: "key illegal" }), "违法 ",
    el("span", { class: "key other" }), "其他 ", el("span", { class: "key open" }), "未填报"));
  box.appendChild(rows.length ? table(["行政区", "下发图斑", "完成率", "构成", "合法", "违法", "其他"], rows) : el("p", {}, "本批次在本辖区内没有图斑"));
}

export async function deskPage(view, route) {
  const b = currentBatch(route.query);
  const section = el("section", {}, el("h2", {}, "工作台"));
  view.appendChild(section);
  if (!b) {
    section.appendChild(el("p", {}, "尚无批次。管理员导入图斑后即可开始工作。"));
    return;
  }
  section.appendChild(batchPicker(b, (nb) => { location.hash = href([], nb); }));
  const box = el("div", { id: "awaiting" });
  section.appendChild(box);
  const r = await call("GET", `/api/me/awaiting?year=${b.year}&batch=${encodeURIComponent(b.batch)}`);
  if (r.status !== 200) {
    box.appendChild(el("p", { class: "error" }, failure(r, "无法读取待办")));
  } else {
    const a = r.data;
    const lists = [
      ["待填报", a.to_fill, { status: "unanswered,draft,ready" }],
      ["被退回", a.returned, { status: "returned" }],
      ["待复核的内业审核问题", a.flags_to_answer, { flag: "open" }],
      ["待审核", a.to_review, { status: session.me.role === "province" ? "province,province_passed" : "city,city_passed" }],
    ];
    let any = false;
    for (const [title, items, filter] of lists) {
      if (!items || items.length === 0) continue;
      any = true;
      box.appendChild(el("h3", {}, `${title}（${items.length}）`,
        " ", el("a", { class: "small", href: href(["patches"], { year: b.year, batch: b.batch, ...filter }) }, "在图斑列表中查看")));
      box.appendChild(table(["图斑编号", "行政区", "说明"],
        items.slice(0, 20).map((t) => [patchLink(b, t.jcbh), t.xzqdm, t.note || ""])));
      if (items.length > 20) box.appendChild(el("p", { class: "small" }, `另有 ${items.length - 20} 个，见图斑列表`));
    }
    if (!any) box.appendChild(el("p", {}, "本批次没有待办事项"));
    box.appendChild(el("h3", {}, "时间节点"));
    const rows = (a.deadlines || []).map((d) => {
      const left = daysLeft(d.due);
      // The responsible level may ask for more time, with reasons and measures.
      const mine = d.region === session.me.region && d.level === session.me.role;
      return [d.what, d.level_name, regionName(d.region), d.extended ? `${d.due}（已延期，原 ${d.original_due}）` : d.due,
        el("span", { class: left < 0 ? "overdue" : "" }, left < 0 ? `已逾期 ${-left} 天` : `剩余 ${left} 天`),
        el("span", {}, d.snapshot ? el("a", { href: href(["snapshot"], { id: d.snapshot }), class: "snapshot-link" }, "时点快照") : null,
          mine ? extensionButton(b, d) : null)];
    });
    box.appendChild(rows.length ? table(["事项", "层级", "行政区", "截止日期（北京时间）", "倒计时", ""], rows) : el("p", {}, "近期没有到期事项"));
    box.appendChild(await extensionsList(b));
    box.appendChild(await transfersList(b));
  }
  await progress(b, box);
}

/** 申请延期 for one deadline: a small form beside it. */
function extensionButton(b, d) {
  const box = el("span", { class: "extension" });
  const open = el("button", {
    type: "button", dataset: { deadline: d.deadline },
    onclick: () => {
      open.hidden = true;
      const due = el("input", { type: "date", "aria-label": "申请延至" });
      const reason = el("input", { placeholder: "延期原因", "aria-label": "延期原因" });
      const measures = el("input", { placeholder: "已采取的措施", "aria-label": "已采取的措施" });
      const err = el("span", { class: "error", role: "alert" });
      const send = el("button", {
        type: "button", onclick: async () => {
          err.textContent = "";
          if (!due.value || !reason.value.trim() || !measures.value.trim()) { err.textContent = "请填写延至日期、原因和措施"; return; }
          const r = await call("POST", "/api/extensions", { year: b.year, deadline: d.deadline, reason: reason.value.trim(), measures: measures.value.trim(), new_due: due.value });
          if (r.status === 200 || r.status === 201) { clear(box).appendChild(el("span", { class: "ok" }, "已提交延期申请")); } else err.textContent = failure(r, "申请失败");
        },
      }, "提交");
      box.append(due, reason, measures, send, err);
    },
  }, "申请延期");
  box.appendChild(open);
  return box;
}

/** Extension requests in my region: their state, and the decision for the level above. */
async function extensionsList(b) {
  const r = await call("GET", `/api/extensions?year=${b.year}`);
  const box = el("div", { id: "extensions" });
  if (r.status !== 200 || !r.data.length) return box;
  box.appendChild(el("h3", {}, "延期申请"));
  const STATUS = { pending: "待审批", granted: "已批准", refused: "未批准" };
  box.appendChild(table(["行政区", "事项", "申请延至", "原因与措施", "申请", "状态", ""], r.data.map((e) => {
    const note = el("input", { placeholder: "审批意见", "aria-label": "审批意见" });
    const msg = el("span", { role: "status" });
    const decide = (grant) => async () => {
      const x = await call("POST", `/api/extensions/${e.id}/decision`, { grant, note: note.value.trim() || null });
      if (x.status === 200) { location.hash = href([], { year: b.year, batch: b.batch, t: Date.now() }); } else { msg.className = "error"; msg.textContent = failure(x, "审批失败"); }
    };
    const actions = e.status === "pending" && e.region !== session.me.region
      ? el("span", {}, note, el("button", { type: "button", onclick: decide(true) }, "批准"), el("button", { type: "button", onclick: decide(false) }, "不批准"), msg)
      : (e.decision_note || "");
    return [regionName(e.region), e.deadline, e.new_due, `${e.reason}；${e.measures}`, `${e.requested_by} ${when(e.requested_at)}`, STATUS[e.status] || e.status, actions];
  })));
  return box;
}

/** 移交 without the receiver's feedback yet: to chase, patch by patch. */
async function transfersList(b) {
  const r = await call("GET", `/api/transfers?year=${b.year}&batch=${encodeURIComponent(b.batch)}`);
  const box = el("div", { id: "transfers" });
  if (r.status !== 200 || !r.data.length) return box;
  box.appendChild(el("h3", {}, `移交待反馈（${r.data.length}）`));
  box.appendChild(table(["图斑", "行政区", "接收单位", "移交日期", "移交文号"], r.data.map((t) => [
    patchLink(b, t.jcbh), regionName(t.xzqdm), t.receiver, t.date, t.document,
  ].map((c, i) => (i === 0 && t.parcel ? el("span", {}, c, `（地块 ${t.parcel}）`) : c)))));
  return box;
}
