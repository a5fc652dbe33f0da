// Shared by every page: the API call (with the anti-CSRF token), element
// building, formatting (areas in 亩/公顷, times in Asia/Shanghai) and the
// session's state. No inline script or style anywhere (the CSP forbids it).

export const session = { csrf: null, me: null, batches: [], regions: new Map() };

export const $ = (id) => document.getElementById(id);

/** JSON API call; `{status, data}`, never throws on HTTP errors. */
export async function call(method, url, body, { raw = false } = {}) {
  const headers = {};
  if (body !== undefined && !raw) headers["content-type"] = "application/json";
  if (method !== "GET" && session.csrf) headers["x-csrf-token"] = session.csrf;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
  } catch (e) {
    return { status: 0, data: { message: "无法连接服务器，请检查网络" } };
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { message: text }; }
  if (res.status === 401 && session.me) {
    // The session ended (expired, signed out elsewhere): back to sign-in.
    session.me = null;
    location.reload();
  }
  return { status: res.status, data };
}

/** The message of a failed call, in Chinese. */
export function failure(r, fallback) {
  return (r.data && r.data.message) || fallback || `请求失败（${r.status}）`;
}

/**
 * A refused file as nodes: the message's first line, then each problem
 * (by record) on its own line — the message alone when it lists none.
 * (The server's message already repeats the problems in one text.)
 */
export function refusal(r, fallback) {
  const problems = r.data && Array.isArray(r.data.problems) ? r.data.problems : [];
  const message = failure(r, fallback);
  if (!problems.length) return el("span", {}, message);
  return el("span", {}, message.split("\n")[0],
    el("ul", {}, problems.map((p) => el("li", {}, typeof p === "string" ? p : `${p.row ? `第 ${p.row} 条记录：` : ""}${p.message}`))));
}

/**
 * Build an element: `el("a", {href: "#/"}, "text", child…)`. Attributes
 * starting with `on` are listeners; `class`, `hidden`, `disabled`, `value`,
 * `checked` and `dataset` are set as properties.
 */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (["hidden", "disabled", "value", "checked", "selected", "textContent"].includes(k)) e[k] = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** A table of `headers` and `rows` (cells: text or nodes). */
export function table(headers, rows, { caption } = {}) {
  return el("table", {},
    caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
}

export function clear(node) { node.textContent = ""; return node; }

const M2_PER_MU = 10000 / 15;

/** m² → 亩 with 2 decimals (display only; never stored). */
export function mu(m2) {
  if (m2 === null || m2 === undefined || Number.isNaN(m2)) return "—";
  const v = m2 / M2_PER_MU;
  return (Object.is(v, -0) || Math.abs(v) < 0.005 ? 0 : v).toFixed(2);
}

/** m² → 公顷 with 4 decimals. */
export function ha(m2) {
  if (m2 === null || m2 === undefined) return "—";
  const v = m2 / 10000;
  return (Math.abs(v) < 0.00005 ? 0 : v).toFixed(4);
}

const shanghai = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});

/** An RFC 3339 instant as Beijing time, `2020-05-01 08:00`. */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = Object.fromEntries(shanghai.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** Today in Beijing, `YYYY-MM-DD`. */
export function todayInChina() {
  const p = Object.fromEntries(shanghai.formatToParts(new Date()).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** Whole days from today (Beijing) to `due` (`YYYY-MM-DD`, inclusive). */
export function daysLeft(due) {
  const a = Date.parse(todayInChina() + "T00:00:00Z");
  const b = Date.parse(due + "T00:00:00Z");
  return Math.round((b - a) / 86400000);
}

/** `#/path?k=v` → `{path: ["path"], query: URLSearchParams}`. */
export function parseHash(hash) {
  const h = (hash || "").replace(/^#\/?/, "");
  const [p, q] = h.split("?");
  return { path: p ? p.split("/").map(decodeURIComponent) : [], query: new URLSearchParams(q || "") };
}

/** A hash URL from path parts and query values (empty values left out). */
export function href(parts, query) {
  const p = parts.map(encodeURIComponent).join("/");
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const qs = q.toString();
  return `#/${p}${qs ? "?" + qs : ""}`;
}

/** The batch a page works on: from its query, else the last used, else the newest. */
export function currentBatch(query) {
  const y = query && query.get("year");
  const b = query && query.get("batch");
  if (y && b) return { year: Number(y), batch: b };
  try {
    const saved = JSON.parse(localStorage.getItem("weipian.batch") || "null");
    if (saved && session.batches.some((x) => x.year === saved.year && x.batch === saved.batch)) return saved;
  } catch (_) { /* ignore a bad saved value */ }
  const last = session.batches[session.batches.length - 1];
  return last ? { year: last.year, batch: last.batch } : null;
}

export function rememberBatch(b) {
  try { localStorage.setItem("weipian.batch", JSON.stringify(b)); } catch (_) { /* private mode */ }
}

/** A batch picker bound to `b`; calls `onPick` with the new batch. */
export function batchPicker(b, onPick) {
  const sel = el("select", { id: "batch", "aria-label": "批次" },
    session.batches.map((x) => el("option", {
      value: `${x.year}/${x.batch}`,
      selected: b && x.year === b.year && x.batch === b.batch,
    }, `${x.year} 年 ${x.batch}（${x.kind_name}）`)));
  sel.addEventListener("change", () => {
    const [year, ...rest] = sel.value.split("/");
    const nb = { year: Number(year), batch: rest.join("/") };
    rememberBatch(nb);
    onPick(nb);
  });
  return el("label", { class: "inline" }, "批次 ", sel);
}

export const role = {
  is: (...codes) => Boolean(session.me) && codes.includes(session.me.role),
  isCounty: () => role.is("county"),
  isCity: () => role.is("city"),
  isProvince: () => role.is("province"),
  isReviewer: () => role.is("city", "province"),
  isAdmin: () => role.is("admin"),
  isMilitary: () => role.is("military"),
};

/** A status line that announces itself to screen readers. */
export function notice(text, kind = "ok") {
  return el("p", { class: kind, role: kind === "error" ? "alert" : "status" }, text);
}

/** A region's name (from `/api/regions`, loaded at sign-in), else its code. */
export function regionName(code) {
  const r = session.regions.get(code);
  return r ? r.name : code;
}
