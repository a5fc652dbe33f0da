// 审批闸口: before approving land, check it against unresolved violations
// — by code (JCBH, 地块, 批准文号), by an uploaded polygon file, or by a
// polygon drawn on the map.

import { call, el, clear, href, failure, mu, table, regionName } from "/assets/core.js";

function answerBox(a) {
  const box = el("div", { class: a.clear ? "verdict ok" : "verdict error", role: "status" },
    el("p", {}, el("strong", {}, a.message)),
    el("p", { class: "small" }, `所查范围 ${a.shapes} 个图形，${mu(a.area_m2)} 亩${a.outside_region ? `；另有 ${a.outside_region} 处在您的辖区以外` : ""}`));
  if (a.hits.length) {
    box.appendChild(table(["图斑或地块", "县级行政区", "判定", "案件", "办理情况", "重叠面积（亩）"], a.hits.map((h) => {
      const [year, batch] = h.batch.split("/");
      return [el("a", { href: href(["patch", year, batch, h.jcbh]) }, h.label), regionName(h.county), `${h.category} ${h.sub || ""}`,
        h.case || "—", h.status, mu(h.overlap_m2)];
    })));
  }
  return box;
}

export async function gatePage(view) {
  const section = el("section", {}, el("h2", {}, "审批闸口"),
    el("p", {}, "办理用地、矿业权等审批前，核查拟批范围是否与未依法处理到位的违法用地重叠。"));
  view.appendChild(section);
  const result = el("div", { id: "gate-result" });

  const code = el("input", { id: "gate-code", placeholder: "图斑编号、地块编号（如 JCBH-1）或批准文号" });
  const codeErr = el("span", { class: "error", role: "alert" });
  const byCode = el("form", { class: "filters", novalidate: true }, el("label", { for: "gate-code" }, "按编号核查"), code, el("button", { type: "submit" }, "核查"), codeErr);
  byCode.addEventListener("submit", async (e) => {
    e.preventDefault();
    codeErr.textContent = "";
    if (!code.value.trim()) { codeErr.textContent = "请输入编号"; return; }
    clear(result).appendChild(el("p", {}, "核查中…"));
    const r = await call("GET", `/api/gate?code=${encodeURIComponent(code.value.trim())}`);
    clear(result).appendChild(r.status === 200 ? answerBox(r.data) : el("p", { class: "error", role: "alert" }, failure(r, "核查失败")));
  });

  const file = el("input", { type: "file", id: "gate-file", accept: ".geojson,.json,.zip,.gpkg,.txt" });
  const byFile = el("form", { class: "filters" }, el("label", { for: "gate-file" }, "上传范围文件（GeoJSON、Shapefile 压缩包、GeoPackage、国土 TXT；CGCS2000）"), file);
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    clear(result).appendChild(el("p", {}, "核查中…"));
    const r = await call("POST", `/api/gate?name=${encodeURIComponent(f.name)}`, await f.arrayBuffer(), { raw: true });
    clear(result).appendChild(r.status === 200 ? answerBox(r.data) : el("p", { class: "error", role: "alert" }, failure(r, "核查失败")));
    file.value = "";
  });

  // Draw on the map.
  const ol = window.ol;
  const mapDiv = el("div", { class: "map small-map", tabindex: 0, "aria-label": "绘制拟批范围" });
  const drawBtn = el("button", { type: "button" }, "核查所绘范围");
  const clearBtn = el("button", { type: "button" }, "清除");
  section.append(byCode, byFile, el("h3", {}, "在地图上绘制"), el("p", { class: "small" }, "单击逐点绘制，双击结束。"), mapDiv, el("div", { class: "row" }, drawBtn, clearBtn), result);
  if (!ol) return;
  const source = new ol.source.Vector();
  const format = new ol.format.GeoJSON({ dataProjection: "EPSG:4326", featureProjection: "EPSG:3857" });
  const map = new ol.Map({
    target: mapDiv,
    layers: [new ol.layer.Vector({ source })],
    view: new ol.View({ center: ol.proj.fromLonLat([104.06, 30.67]), zoom: 9 }),
    controls: ol.control.defaults().extend([new ol.control.ScaleLine()]),
  });
  map.addInteraction(new ol.interaction.Draw({ source, type: "Polygon" }));
  const { platform } = await import("/assets/map.js");
  const cfg = await platform();
  if (cfg.basemap && cfg.basemap.url && cfg.basemap.kind !== "wmts") {
    map.getLayers().insertAt(0, new ol.layer.Tile({ source: new ol.source.XYZ({ url: cfg.basemap.url }) }));
  }
  clearBtn.addEventListener("click", () => { source.clear(); clear(result); });
  drawBtn.addEventListener("click", async () => {
    if (!source.getFeatures().length) { clear(result).appendChild(el("p", { class: "error", role: "alert" }, "请先在地图上绘制范围")); return; }
    const fc = JSON.parse(format.writeFeatures(source.getFeatures(), { decimals: 9 }));
    fc.crs = { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::4490" } };
    clear(result).appendChild(el("p", {}, "核查中…"));
    const r = await call("POST", `/api/gate?name=${encodeURIComponent("拟审批范围.geojson")}`, JSON.stringify(fc), { raw: true });
    clear(result).appendChild(r.status === 200 ? answerBox(r.data) : el("p", { class: "error", role: "alert" }, failure(r, "核查失败")));
  });
}
