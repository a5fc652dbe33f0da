// The patch map (OpenLayers, vendored and served by the platform): the
// patch with its 地块 and case ranges, the batch's other patches and the
// reference layers — all fetched as GeoJSON limited to the view's bbox —
// photo positions from EXIF, an optional basemap (XYZ or WMTS from the
// server's configuration; the map works fully without one), a
// before/after imagery swipe where the batch has imagery, and drawing of
// 地块 for a split. Coordinates: CGCS2000 lon/lat from the API, shown in
// Web Mercator (CGCS2000 and WGS 84 differ by centimetres, below what a
// screen shows).

import { call, el, mu } from "/assets/core.js";

export const REFERENCE_LAYERS = [
  { kind: "gd", name: "耕地", stroke: "#c9a227", fill: "rgba(233, 205, 96, 0.25)" },
  { kind: "jbnt", name: "永久基本农田", stroke: "#8a6d00", fill: "rgba(180, 140, 20, 0.25)" },
  { kind: "sthx", name: "生态保护红线", stroke: "#2e7d32", fill: "rgba(76, 175, 80, 0.2)" },
  { kind: "zrbhd", name: "自然保护地", stroke: "#00695c", fill: "rgba(0, 150, 136, 0.2)" },
  { kind: "pzyd", name: "已批准用地", stroke: "#1565c0", fill: "rgba(33, 150, 243, 0.18)" },
  { kind: "cjyx", name: "长江/黄河沿线", stroke: "#4527a0", fill: "rgba(103, 58, 183, 0.12)" },
  { kind: "kq", name: "矿业权", stroke: "#6d4c41", fill: "rgba(141, 110, 99, 0.2)" },
];

/** The widest view (degrees) for which the map asks for features. */
const MAX_SPAN_DEG = 2;

let platformConfig = null;

/** The platform's map settings (basemap, imagery), asked once. */
export async function platform() {
  if (!platformConfig) {
    const r = await call("GET", "/api/platform");
    platformConfig = r.status === 200 ? r.data : {};
  }
  return platformConfig;
}

function style(stroke, fill, width = 1.5) {
  const { Style, Stroke, Fill } = window.ol.style;
  return new Style({ stroke: new Stroke({ color: stroke, width }), fill: new Fill({ color: fill }) });
}

/** A vector source that loads `url(bbox)` for the view, within MAX_SPAN_DEG. */
function bboxSource(url, onInfo) {
  const ol = window.ol;
  const format = new ol.format.GeoJSON({ dataProjection: "EPSG:4326", featureProjection: "EPSG:3857" });
  const source = new ol.source.Vector({
    strategy: ol.loadingstrategy.bbox,
    loader: async (extent, _res, _proj, success, failure) => {
      const [minx, miny, maxx, maxy] = ol.proj.transformExtent(extent, "EPSG:3857", "EPSG:4326");
      if (maxx - minx > MAX_SPAN_DEG || maxy - miny > MAX_SPAN_DEG) {
        onInfo && onInfo("放大地图后显示");
        source.removeLoadedExtent(extent);
        success([]);
        return;
      }
      const r = await call("GET", url([minx, miny, maxx, maxy].map((v) => v.toFixed(7)).join(",")));
      if (r.status !== 200) { onInfo && onInfo((r.data && r.data.message) || "加载失败"); failure(); return; }
      const feats = format.readFeatures(r.data);
      // Features already shown (by id) are not added twice.
      const fresh = feats.filter((f) => f.getId() === undefined || !source.getFeatureById(f.getId()));
      source.addFeatures(fresh);
      onInfo && onInfo(r.data.truncated ? `仅显示面积最大的 ${feats.length} 个（共 ${r.data.total} 个）` : "");
      success(fresh);
    },
  });
  return source;
}

function basemapLayer(cfg) {
  const ol = window.ol;
  if (!cfg || !cfg.url) return null;
  if (cfg.kind === "wmts") {
    const size = 40075016.68557849;
    const resolutions = [];
    const matrixIds = [];
    for (let z = 0; z <= (cfg.max_zoom || 18); z++) {
      resolutions.push(size / 256 / 2 ** z);
      matrixIds.push(String(z));
    }
    return new ol.layer.Tile({
      source: new ol.source.WMTS({
        url: cfg.url, layer: cfg.layer || "", matrixSet: cfg.matrix_set || "w", format: cfg.format || "tiles",
        style: cfg.style || "default", projection: "EPSG:3857", attributions: cfg.attribution || undefined,
        tileGrid: new ol.tilegrid.WMTS({ origin: [-size / 2, size / 2], resolutions, matrixIds }),
        requestEncoding: "KVP",
      }),
    });
  }
  return new ol.layer.Tile({
    source: new ol.source.XYZ({ url: cfg.url, maxZoom: cfg.max_zoom || 18, attributions: cfg.attribution || undefined }),
  });
}

/**
 * A map in `target` for the patch of batch `b`. Returns the handle the
 * detail page uses.
 */
export async function patchMap(target, b, jcbh, { onSelect } = {}) {
  const ol = window.ol;
  if (!ol) {
    target.appendChild(el("p", { class: "error" }, "地图组件未能加载"));
    return null;
  }
  const cfg = await platform();
  const status = el("p", { class: "small map-status", role: "status" });
  const mapDiv = el("div", { class: "map", id: "map", tabindex: 0, "aria-label": "图斑地图" });
  const controls = el("div", { class: "map-controls" });
  target.append(controls, mapDiv, status);

  const layers = [];
  const base = basemapLayer(cfg.basemap);
  if (base) layers.push(base);

  // Before/after imagery of the batch, if configured: the "after" layer
  // is clipped to the right of the swipe position.
  const imagery = (cfg.imagery || {})[`${b.year}/${b.batch}`];
  let swipe = null;
  if (imagery && imagery.before && imagery.after) {
    const before = new ol.layer.Tile({ source: new ol.source.XYZ({ url: imagery.before, maxZoom: imagery.max_zoom || 18 }) });
    const after = new ol.layer.Tile({ source: new ol.source.XYZ({ url: imagery.after, maxZoom: imagery.max_zoom || 18 }) });
    layers.push(before, after);
    swipe = el("input", { type: "range", min: 0, max: 100, value: 50, "aria-label": "前后时相卷帘位置" });
    after.on("prerender", (e) => {
      const ctx = e.context;
      const w = ctx.canvas.width * (Number(swipe.value) / 100);
      const tl = ol.render.getRenderPixel(e, [w, 0]);
      const br = ol.render.getRenderPixel(e, [ctx.canvas.width, ctx.canvas.height]);
      ctx.save();
      ctx.beginPath();
      ctx.rect(tl[0], tl[1], br[0] - tl[0], br[1] - tl[1]);
      ctx.clip();
    });
    after.on("postrender", (e) => e.context.restore());
    controls.append(el("label", { class: "inline" }, "前时相 ", swipe, " 后时相"));
  }

  const refLayers = {};
  for (const l of REFERENCE_LAYERS) {
    const layer = new ol.layer.Vector({
      source: bboxSource((bbox) => `/api/map/layers/${l.kind}?bbox=${bbox}`),
      style: style(l.stroke, l.fill, 1),
      visible: l.kind === "gd" || l.kind === "jbnt",
      minZoom: 11,
    });
    refLayers[l.kind] = layer;
    layers.push(layer);
    controls.appendChild(el("label", { class: "check" },
      el("input", { type: "checkbox", checked: layer.getVisible(), dataset: { layer: l.kind }, onchange: (e) => layer.setVisible(e.target.checked) }),
      el("span", { class: "swatch" + " " + l.kind }), l.name));
  }

  const others = new ol.layer.Vector({
    source: bboxSource((bbox) => `/api/map/patches?year=${b.year}&batch=${encodeURIComponent(b.batch)}&bbox=${bbox}`,
      (msg) => { status.textContent = msg; }),
    style: (f) => (f.get("JCBH") === jcbh ? null : style("#607d8b", "rgba(96, 125, 139, 0.15)", 1)),
    minZoom: 10,
  });
  layers.push(others);

  const own = new ol.source.Vector();
  const ownStyles = {
    patch: style("#d32f2f", "rgba(211, 47, 47, 0.12)", 3),
    parcel: style("#ef6c00", "rgba(239, 108, 0, 0.15)", 2),
    case_range: style("#6a1b9a", "rgba(106, 27, 154, 0.2)", 2),
  };
  layers.push(new ol.layer.Vector({ source: own, style: (f) => ownStyles[f.get("role")] || ownStyles.patch }));

  const photos = new ol.source.Vector();
  const { Style, Circle, Fill, Stroke, Text } = ol.style;
  layers.push(new ol.layer.Vector({
    source: photos,
    style: (f) => new Style({
      image: new Circle({ radius: 7, fill: new Fill({ color: f.get("flagged") ? "#b00020" : "#1f4e79" }), stroke: new Stroke({ color: "#fff", width: 2 }) }),
      text: new Text({ text: f.get("label"), offsetY: -14, font: "12px sans-serif", fill: new Fill({ color: "#222" }), stroke: new Stroke({ color: "#fff", width: 3 }) }),
    }),
  }));

  const drawn = new ol.source.Vector();
  layers.push(new ol.layer.Vector({ source: drawn, style: style("#00838f", "rgba(0, 131, 143, 0.25)", 2) }));

  const map = new ol.Map({
    target: mapDiv,
    layers,
    view: new ol.View({ center: ol.proj.fromLonLat([104.06, 30.67]), zoom: 8 }),
    controls: ol.control.defaults().extend([new ol.control.ScaleLine()]),
  });
  if (!base) controls.appendChild(el("span", { class: "small" }, "（未配置底图）"));
  if (swipe) swipe.addEventListener("input", () => map.render());

  const format = new ol.format.GeoJSON({ dataProjection: "EPSG:4326", featureProjection: "EPSG:3857" });

  map.on("singleclick", (e) => {
    const f = map.forEachFeatureAtPixel(e.pixel, (x) => x, { layerFilter: (l) => l === others });
    if (f && onSelect) onSelect(f.get("JCBH"));
  });

  const handle = {
    map,
    /** Show the patch's own geometry (patch, 地块, case ranges) and zoom to it. */
    async load() {
      const r = await call("GET", `/api/patches/${b.year}/${encodeURIComponent(b.batch)}/${encodeURIComponent(jcbh)}/geometry`);
      if (r.status !== 200) { status.textContent = (r.data && r.data.message) || "无法读取图形"; return; }
      own.clear();
      own.addFeatures(format.readFeatures(r.data));
      const [minx, miny, maxx, maxy] = r.data.bbox;
      const extent = ol.proj.transformExtent([minx, miny, maxx, maxy], "EPSG:4326", "EPSG:3857");
      map.getView().fit(ol.extent.buffer(extent, Math.max(ol.extent.getWidth(extent), ol.extent.getHeight(extent)) * 0.6 + 50), { maxZoom: 18 });
    },
    /** Photos with an EXIF position, numbered as in the list. */
    setPhotos(list) {
      photos.clear();
      list.forEach((a, i) => {
        if (a.lon === null || a.lon === undefined || a.lat === null || a.lat === undefined) return;
        photos.addFeature(new ol.Feature({
          geometry: new ol.geom.Point(ol.proj.fromLonLat([a.lon, a.lat])),
          label: `照片${i + 1}`,
          flagged: (a.flags || []).length > 0,
        }));
      });
    },
    /** Start drawing: dividing lines (`LineString`) or 地块 (`Polygon`), snapped to the patch. */
    startDraw(type = "Polygon") {
      const draw = new ol.interaction.Draw({ source: drawn, type });
      const modify = new ol.interaction.Modify({ source: drawn });
      const snapOwn = new ol.interaction.Snap({ source: own });
      const snapDrawn = new ol.interaction.Snap({ source: drawn });
      for (const i of [draw, modify, snapOwn, snapDrawn]) map.addInteraction(i);
      handle.stopDraw = () => { for (const i of [draw, modify, snapOwn, snapDrawn]) map.removeInteraction(i); };
    },
    stopDraw() {},
    clearDrawn() { drawn.clear(); },
    drawnCount() { return drawn.getFeatures().length; },
    /** The drawn polygons as a GeoJSON file in CGCS2000 lon/lat. */
    drawnGeoJson() {
      const fc = JSON.parse(format.writeFeatures(drawn.getFeatures(), { decimals: 9 }));
      fc.crs = { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::4490" } };
      fc.features.forEach((f) => { f.properties = { JCBH: jcbh }; });
      return JSON.stringify(fc);
    },
    /** The drawn dividing lines as `[[lon, lat], …]` (CGCS2000). */
    drawnLines() {
      return drawn.getFeatures()
        .filter((f) => f.getGeometry().getType() === "LineString")
        .map((f) => f.getGeometry().getCoordinates().map((c) => ol.proj.toLonLat(c)));
    },
    /** The area of what was drawn, 亩 (a guide only: the server computes the official area). */
    drawnMu() {
      return mu(drawn.getFeatures().reduce((s, f) => s + ol.sphere.getArea(f.getGeometry()), 0));
    },
  };
  await handle.load();
  return handle;
}
