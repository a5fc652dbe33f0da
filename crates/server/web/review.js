// The review chain's actions as buttons: which a role may take, the
// reason a return needs, and the call (one patch or many).

import { call, el, session, failure } from "/assets/core.js";

/** The actions of the signed-in role: [{action, label, needsReason, from}]. */
export function actionsForRole() {
  switch (session.me && session.me.role) {
    case "county":
      return [{ action: "submit", label: "上报", from: ["county"] }];
    case "city":
      return [
        { action: "pass", label: "审核通过", from: ["city"] },
        { action: "return", label: "退回", needsReason: true, from: ["city", "city_passed"] },
        { action: "submit_to_province", label: "上报省级", from: ["city_passed"] },
      ];
    case "province":
      return [
        { action: "pass", label: "审核通过", from: ["province"] },
        { action: "return", label: "退回", needsReason: true, from: ["province", "province_passed"] },
        { action: "report", label: "报部", from: ["province_passed"] },
      ];
    default:
      return [];
  }
}

/**
 * Take `a` on the patches `jcbhs` of batch `b` (with `reason` for a
 * return, `opinion` for a pass); `{ok, message, outcome}`.
 */
export async function act(b, jcbhs, a, { reason, opinion, basedOn } = {}) {
  const action = { action: a.action };
  if (a.action === "return") action.reason = reason;
  if (a.action === "pass" && opinion) action.opinion = opinion;
  const body = { year: b.year, batch: b.batch, jcbhs, action };
  if (basedOn !== undefined && jcbhs.length === 1) body.based_on = basedOn;
  const r = await call("POST", "/api/reviews", body);
  if (r.status !== 200) return { ok: false, message: failure(r, `${a.label}失败`) };
  const o = r.data;
  const refused = o.refused || [];
  let message = `${a.label}：完成 ${o.done.length} 个`;
  if (refused.length) {
    message += `，未办理 ${refused.length} 个（${refused.slice(0, 5).map((x) => `${x.jcbh}：${x.reason}`).join("；")}${refused.length > 5 ? "……" : ""}）`;
  }
  return { ok: refused.length === 0, message, outcome: o };
}

/**
 * A bar of action buttons with a reason box for returns. `selected()`
 * gives the JCBHs to act on; `done(result)` is called after each call.
 */
export function actionBar(b, selected, done, { states } = {}) {
  const out = el("div", { class: "actions" });
  const reason = el("input", { id: "return-reason", placeholder: "退回理由（退回时必填）", "aria-label": "退回理由" });
  const reasonError = el("span", { class: "error", role: "alert" });
  const status = el("span", { role: "status", class: "small" });
  const list = actionsForRole().filter((a) => !states || a.from.some((s) => states.includes(s)));
  if (!list.length) return out;
  for (const a of list) {
    out.appendChild(el("button", {
      type: "button",
      dataset: { action: a.action },
      onclick: async () => {
        const jcbhs = selected();
        reasonError.textContent = "";
        if (!jcbhs.length) { status.textContent = "请先选择图斑"; return; }
        if (a.needsReason && !reason.value.trim()) {
          reasonError.textContent = "退回须填写理由";
          reason.setAttribute("aria-invalid", "true");
          reason.focus();
          return;
        }
        reason.setAttribute("aria-invalid", "false");
        status.textContent = "办理中…";
        const res = await act(b, jcbhs, a, { reason: reason.value.trim() });
        status.textContent = res.message;
        status.className = res.ok ? "ok" : "error";
        if (res.outcome && res.outcome.done.length) reason.value = "";
        done(res);
      },
    }, a.label));
  }
  if (list.some((a) => a.needsReason)) out.append(reason, reasonError);
  out.appendChild(status);
  return out;
}
