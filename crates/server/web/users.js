// 用户管理 (administrators, within their own region): the users, a new
// user, and changing a user's region, role or disabling them.

import { call, el, clear, failure, table } from "/assets/core.js";

const ROLES = [["county", "县级填报"], ["city", "市级审核"], ["province", "省级审核"], ["desk", "技术支撑单位审核"], ["military", "军用地登记"], ["ministry", "部级"], ["admin", "管理员"]];

function roleSelect(current, id) {
  return el("select", { id }, ROLES.map(([v, t]) => el("option", { value: v, selected: v === current }, t)));
}

export async function usersPage(view) {
  const section = el("section", {}, el("h2", {}, "用户管理"));
  view.appendChild(section);
  const list = el("div", {});
  section.appendChild(list);
  async function load() {
    const r = await call("GET", "/api/users");
    clear(list);
    if (r.status !== 200) { list.appendChild(el("p", { class: "error", role: "alert" }, failure(r, "无法读取用户"))); return; }
    list.appendChild(table(["用户名", "行政区", "角色", "状态", "创建", "修改"], r.data.map((u) => {
      const region = el("input", { value: u.region, size: 7, "aria-label": `${u.name} 的行政区代码` });
      const roleSel = roleSelect(u.role);
      roleSel.setAttribute("aria-label", `${u.name} 的角色`);
      const disabled = el("input", { type: "checkbox", checked: u.disabled, "aria-label": `停用 ${u.name}` });
      const msg = el("span", { role: "status" });
      const save = el("button", {
        type: "button", onclick: async () => {
          const x = await call("PUT", `/api/users/${encodeURIComponent(u.name)}`, { region: region.value.trim(), role: roleSel.value, disabled: disabled.checked });
          msg.className = x.status === 200 ? "ok" : "error";
          msg.textContent = x.status === 200 ? "已保存" : failure(x, "保存失败");
        },
      }, "保存");
      return [u.name, el("span", {}, region, ` ${u.region_name}`), roleSel, el("label", { class: "check" }, disabled, "停用"), `${u.created_at.slice(0, 10)} ${u.created_by}`, el("span", {}, save, msg)];
    })));
  }
  await load();

  const f = { name: el("input", { id: "u-name", autocomplete: "off" }), region: el("input", { id: "u-region", inputmode: "numeric" }), role: roleSelect("county", "u-role"), password: el("input", { id: "u-password", type: "password", autocomplete: "new-password" }) };
  const errs = { name: el("span", { class: "error", role: "alert" }), region: el("span", { class: "error", role: "alert" }), password: el("span", { class: "error", role: "alert" }) };
  const status = el("p", { role: "status" });
  const form = el("form", { class: "answer", novalidate: true }, el("h3", {}, "新建用户"),
    el("div", { class: "frow" }, el("label", { for: "u-name" }, "用户名"), f.name, errs.name),
    el("div", { class: "frow" }, el("label", { for: "u-region" }, "行政区代码（6 位）"), f.region, errs.region),
    el("div", { class: "frow" }, el("label", { for: "u-role" }, "角色"), f.role),
    el("div", { class: "frow" }, el("label", { for: "u-password" }, "初始密码（至少 10 个字符）"), f.password, errs.password),
    el("button", { type: "submit" }, "创建"), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    Object.values(errs).forEach((x) => { x.textContent = ""; });
    status.textContent = "";
    let bad = false;
    if (!f.name.value.trim()) { errs.name.textContent = "请输入用户名"; bad = true; }
    if (!/^\d{6}$/.test(f.region.value.trim())) { errs.region.textContent = "行政区代码应为 6 位数字"; bad = true; }
    if (f.password.value.length < 10) { errs.password.textContent = "密码至少 10 个字符"; bad = true; }
    if (bad) return;
    const r = await call("POST", "/api/users", { name: f.name.value.trim(), region: f.region.value.trim(), role: f.role.value, password: f.password.value });
    if (r.status === 200 || r.status === 201) {
      const name = f.name.value.trim();
      f.name.value = ""; f.password.value = "";
      await load();
      status.className = "ok";
      status.textContent = `已创建用户 ${name}`;
    } else {
      status.className = "error";
      status.textContent = failure(r, "创建失败");
    }
  });
  section.appendChild(form);
}
