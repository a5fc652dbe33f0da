// 时点快照: what was frozen at a reporting cut-off (the figures of that
// period's reports count from it), and what changed after the cut-off
// (时点后整改) — answers revised and review steps taken since — each
// linked to its patch. Reached from the deadlines on the 工作台.

import { call, el, failure, table, when, href, regionName } from "/assets/core.js";

const STATES = {
  county: "县级填报中", city: "待市级审核", city_passed: "市级审核通过",
  province: "待省级审核", province_passed: "省级审核通过", reported: "已报部",
};

export async function snapshotPage(view, route) {
  const id = route.query.get("id");
  const section = el("section", {}, el("h2", {}, "时点快照"));
  view.appendChild(section);
  const r = await call("GET", `/api/snapshots/${encodeURIComponent(id || "")}`);
  if (r.status !== 200) {
    section.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法读取快照")));
    return;
  }
  const s = r.data;
  const link = (a) => {
    const [year, ...name] = a.batch.split("/");
    return el("a", { href: href(["patch", year, name.join("/"), a.jcbh]) }, a.jcbh);
  };
  section.appendChild(el("p", {},
    `快照 #${s.id}：${s.period || s.deadline}（时间节点 ${s.deadline}），${regionName(s.region)}；冻结于 ${when(s.taken_at)}，操作：${s.taken_by}。`,
    `冻结图斑（含地块）${s.parts} 个、案件 ${s.cases} 件；该期报表按此快照统计。`));
  section.appendChild(el("h3", {}, `时点后变更（${s.after_cutoff.length}）`));
  section.appendChild(s.after_cutoff.length
    ? table(["图斑", "地块", "变更", "时点", "现在"], s.after_cutoff.map((a) => [
      link(a), a.part ? String(a.part) : "—", a.what,
      STATES[a.frozen] || a.frozen || "—", STATES[a.now] || a.now || "—"]))
    : el("p", {}, "时点之后没有变更。"));
  if (s.cases_after_cutoff.length) {
    section.appendChild(el("h3", {}, `时点后案件变更（${s.cases_after_cutoff.length}）`));
    section.appendChild(table(["案件", "时点版本", "现在版本"], s.cases_after_cutoff.map(([cid, then, now]) => [`#${cid}`, String(then), String(now)])));
  }
}
