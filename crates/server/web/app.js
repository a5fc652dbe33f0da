// The platform's page: sign-in, the menu for the user's role and the
// hash router (`#/patches?…`, `#/patch/2020/2020Q1/JCBH`…) so that every
// list and patch has a URL to bookmark and share, and the back button
// works. The session cookie is HttpOnly; the anti-CSRF token is asked
// from the server on load and kept in memory only.

import { $, call, el, clear, parseHash, session, role, failure } from "/assets/core.js";
import { deskPage } from "/assets/desk.js";
import { listPage } from "/assets/list.js";
import { patchPage } from "/assets/patch.js";
import { reportsPage } from "/assets/reports.js";
import { gatePage } from "/assets/gate.js";
import { militaryPage } from "/assets/military.js";
import { usersPage } from "/assets/users.js";
import { samplingPage } from "/assets/sampling.js";
import { dataPage } from "/assets/data.js";
import { snapshotPage } from "/assets/snapshot.js";

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
    session.csrf = r.data.csrf;
    $("password").value = "";
    await enter(r.data);
  } else {
    // Keep what was typed; say what went wrong.
    $("sign-in-error").textContent = r.status === 401 ? "用户名或密码不正确" : failure(r, "登录失败");
  }
}

async function signOut() {
  await call("DELETE", "/api/session");
  session.csrf = null;
  session.me = null;
  location.hash = "";
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
    $("password-error-msg").textContent = failure(r, "修改失败");
  }
}

/** The pages, by the first part of the hash, and who sees them in the menu. */
const PAGES = [
  { key: "", title: "工作台", render: deskPage, menu: () => !role.isMilitary() },
  { key: "patches", title: "图斑", render: listPage, menu: () => !role.is("military", "admin") },
  { key: "review", title: "审核", render: (v, r) => listPage(v, r, { review: true }), menu: () => role.isReviewer() },
  { key: "sampling", title: "抽查", render: samplingPage, menu: () => role.isReviewer() },
  { key: "patch", title: "图斑详情", render: patchPage, menu: () => false },
  { key: "reports", title: "报表", render: reportsPage, menu: () => !role.isMilitary() },
  { key: "gate", title: "审批闸口", render: gatePage, menu: () => !role.isMilitary() },
  { key: "military", title: "军事用地登记", render: militaryPage, menu: () => role.isMilitary() },
  { key: "snapshot", title: "时点快照", render: snapshotPage, menu: () => false },
  { key: "data", title: "数据", render: dataPage, menu: () => !role.isMilitary() },
  { key: "users", title: "用户管理", render: usersPage, menu: () => role.isAdmin() },
];

function menu(current) {
  const nav = clear($("nav"));
  for (const p of PAGES) {
    if (!p.menu()) continue;
    nav.appendChild(el("a", {
      href: p.key ? `#/${p.key}` : "#/",
      "aria-current": p.key === current ? "page" : false,
    }, p.title));
  }
}

let rendering = 0;

async function route() {
  if (!session.me) return;
  const r = parseHash(location.hash);
  const key = r.path[0] || (role.isMilitary() ? "military" : "");
  const page = PAGES.find((p) => p.key === key);
  menu(page ? page.key : null);
  const view = clear($("view"));
  const ticket = ++rendering;
  delete document.body.dataset.ready;
  if (!page) {
    view.appendChild(el("section", {}, el("h2", {}, "页面不存在"), el("p", {}, el("a", { href: "#/" }, "回到工作台"))));
    return;
  }
  document.title = `${page.title} · 卫片执法平台`;
  try {
    // A page renders into its own node; a newer route clears the view, so
    // an older page still loading writes into a detached node.
    const node = el("div", {});
    view.appendChild(node);
    await page.render(node, r);
    // For tests and assistive tools: which page finished loading.
    if (ticket === rendering) document.body.dataset.ready = location.hash || "#/";
  } catch (e) {
    if (ticket === rendering) view.appendChild(el("p", { class: "error", role: "alert" }, `页面出错：${e.message}`));
    throw e;
  }
}

async function enter(s) {
  session.me = s;
  $("who").textContent = `${s.user} · ${s.role_name} · ${s.region}`;
  show("sign-in", false);
  show("top", true);
  const [r, g] = await Promise.all([call("GET", "/api/batches"), call("GET", "/api/regions")]);
  session.batches = r.status === 200 ? r.data : [];
  session.regions = new Map((g.status === 200 ? g.data : []).map((x) => [x.code, x]));
  await route();
}

async function start() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("show-password").addEventListener("click", () => show("password-panel", $("password-panel").hidden));
  $("password-form").addEventListener("submit", changePassword);
  window.addEventListener("hashchange", route);
  const r = await call("GET", "/api/session");
  if (r.status === 200) {
    session.csrf = r.data.csrf;
    await enter(r.data);
  } else {
    show("sign-in", true);
    $("name").focus();
  }
}

start();
