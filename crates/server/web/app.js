// The platform's page: sign-in, 工作台 (what awaits me, deadlines with
// countdown, reports to download), password change, sign-out. No inline
// script anywhere (the CSP forbids it); the session cookie is HttpOnly,
// the anti-CSRF token lives only in this page's memory.
"use strict";

let csrf = null;
let me = null;

const $ = (id) => document.getElementById(id);

async function call(method, url, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrf) headers["x-csrf-token"] = csrf;
  const res = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  return { status: res.status, data };
}

function show(id, on) { $(id).hidden = !on; }

function fieldError(input, errorId, message) {
  $(errorId).textContent = message || "";
  $(input).setAttribute("aria-invalid", message ? "true" : "false");
}

async function signIn(event) {
  event.preventDefault();
  const name = $("name").value.trim();
  const password = $("password").value;
  fieldError("name", "name-error", name ? "" : "请输入用户名");
  fieldError("password", "password-error", password ? "" : "请输入密码");
  $("sign-in-error").textContent = "";
  if (!name || !password) return;
  const r = await call("POST", "/api/session", { name, password });
  if (r.status === 200) {
    csrf = r.data.csrf;
    $("password").value = "";
    await enter(r.data);
  } else {
    // Keep what was typed; say what went wrong.
    $("sign-in-error").textContent = r.status === 401 ? "用户名或密码不正确" : (r.data && r.data.message) || "登录失败";
  }
}

async function signOut() {
  await call("DELETE", "/api/session");
  csrf = null;
  me = null;
  location.reload();
}

async function changePassword(event) {
  event.preventDefault();
  $("password-error-msg").textContent = "";
  $("password-ok").textContent = "";
  const r = await call("POST", "/api/me/password", { current: $("current").value, new: $("new").value });
  if (r.status === 204) {
    $("current").value = "";
    $("new").value = "";
    $("password-ok").textContent = "密码已修改，其他设备上的登录已失效";
  } else {
    $("password-error-msg").textContent = (r.data && r.data.message) || "修改失败";
  }
}

function daysLeft(due) {
  const now = new Date(new Date().toLocaleString("en-US", { timeZone: "Asia/Shanghai" }));
  const d = new Date(due + "T23:59:59");
  return Math.ceil((d - now) / 86400000);
}

function table(headers, rows) {
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const h of headers) {
    const th = document.createElement("th");
    th.textContent = h;
    head.appendChild(th);
  }
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) {
      const td = tr.insertCell();
      if (c instanceof Node) td.appendChild(c); else td.textContent = c;
    }
  }
  return t;
}

async function loadDesk() {
  const sel = $("batch");
  const [year, batch] = sel.value.split("/");
  const box = $("awaiting");
  box.textContent = "加载中…";
  const r = await call("GET", `/api/me/awaiting?year=${encodeURIComponent(year)}&batch=${encodeURIComponent(batch)}`);
  box.textContent = "";
  if (r.status !== 200) {
    box.textContent = (r.data && r.data.message) || "无法读取待办";
    return;
  }
  const a = r.data;
  const lists = [
    ["待填报", a.to_fill], ["被退回", a.returned], ["待复核的内业审核问题", a.flags_to_answer], ["待审核", a.to_review],
  ];
  for (const [title, items] of lists) {
    if (!items || items.length === 0) continue;
    const h = document.createElement("h3");
    h.textContent = `${title}（${items.length}）`;
    box.appendChild(h);
    box.appendChild(table(["图斑编号", "行政区", "说明"], items.slice(0, 50).map((t) => [t.jcbh, t.xzqdm, t.note || ""])));
  }
  const h = document.createElement("h3");
  h.textContent = "时间节点";
  box.appendChild(h);
  const rows = (a.deadlines || []).map((d) => {
    const left = daysLeft(d.due);
    const span = document.createElement("span");
    span.textContent = left < 0 ? `已逾期 ${-left} 天` : `剩余 ${left} 天`;
    if (left < 0) span.className = "overdue";
    return [d.what, d.level_name, d.region, d.due, span];
  });
  box.appendChild(rows.length ? table(["事项", "层级", "行政区", "截止日期", "倒计时"], rows) : document.createTextNode("近期没有到期事项"));
  const reports = $("reports");
  reports.textContent = "";
  const region = me.region === "000000" ? null : me.region;
  if (region) {
    for (const [label, href] of [
      ["第一季度快报（Word）", `/api/reports/quick?year=${year}&quarter=1&region=${region}&format=docx`],
      ["第一季度快报（Excel）", `/api/reports/quick?year=${year}&quarter=1&region=${region}&format=xlsx`],
      ["年度成果（Word）", `/api/reports/results?year=${year}&period=annual&region=${region}&format=docx`],
      ["问责核算（Excel）", `/api/accountability?year=${year}&format=xlsx`],
    ]) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = href;
      link.textContent = label;
      li.appendChild(link);
      reports.appendChild(li);
    }
  }
}

async function enter(session) {
  me = session;
  $("who").textContent = `${session.user} · ${session.role_name} · ${session.region}`;
  show("sign-in", false);
  show("top", true);
  show("desk", true);
  const r = await call("GET", "/api/batches");
  const sel = $("batch");
  sel.textContent = "";
  for (const b of (r.data || [])) {
    const o = document.createElement("option");
    o.value = `${b.year}/${b.batch}`;
    o.textContent = `${b.year} 年 ${b.batch}（${b.kind_name}）`;
    sel.appendChild(o);
  }
  if (sel.options.length) await loadDesk();
  else $("awaiting").textContent = "尚无批次";
}

async function start() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("show-password").addEventListener("click", () => show("password-panel", $("password-panel").hidden));
  $("password-form").addEventListener("submit", changePassword);
  $("batch").addEventListener("change", loadDesk);
  const r = await call("GET", "/api/session");
  if (r.status === 200) {
    csrf = r.data.csrf;
    await enter(r.data);
  } else {
    show("sign-in", true);
    $("name").focus();
  }
}

document.addEventListener("DOMContentLoaded", start);
