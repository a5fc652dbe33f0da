// The platform's OpenLayers: only what the map page needs, bundled by
// build.mjs into ONE classic script (crates/server/web/vendor/ol.js, an IIFE)
// that defines the global `window.ol`. The page loads it with
//   <script src="/assets/vendor/ol.js" defer></script>
// before its own script; no CDN, no ES modules (government intranets have no
// internet, and the CSP is script-src 'self').
//
// The shape is flat and follows the names of OpenLayers' own full build, so
// its documentation applies (https://openlayers.org/en/v10.11.0/apidoc/):
//
//   ol.Map  ol.View  ol.Feature  ol.Overlay  ol.Collection
//   ol.Observable.unByKey(key)
//   ol.layer.{Tile, Vector, Image}
//   ol.source.{XYZ, WMTS, Vector, ImageStatic}
//   ol.tilegrid.WMTS
//   ol.format.GeoJSON
//   ol.style.{Style, Fill, Stroke, Circle, Text}
//   ol.interaction.{Draw, Modify, Snap, Select, defaults}
//   ol.control.{ScaleLine, Zoom, Attribution, defaults}
//   ol.geom.{Point, LineString, Polygon, MultiPolygon}
//   ol.proj.{fromLonLat, toLonLat, transform, transformExtent, get,
//            Projection, addProjection, addEquivalentProjections}
//   ol.extent.{boundingExtent, getCenter, isEmpty, createEmpty, extend,
//              containsCoordinate, intersects, buffer, getWidth, getHeight}
//   ol.render.getRenderPixel          (before/after swipe: clip in prerender,
//                                      restore in postrender)
//   ol.loadingstrategy.{bbox, all}
//   ol.events.condition.{always, never, click, singleClick, doubleClick,
//                        pointerMove, noModifierKeys, shiftKeyOnly,
//                        altKeyOnly, platformModifierKeyOnly, primaryAction}
//   ol.sphere.{getArea, getLength}
//   ol.VERSION                         ("10.11.0")
//
// Anything added here is bundled; anything not named is tree-shaken away.
// After changing this file run `npm run build` and commit the vendor files
// (check.sh, run by CI, refuses a stale build).

import Collection from 'ol/Collection.js';
import Feature from 'ol/Feature.js';
import Map from 'ol/Map.js';
import {unByKey} from 'ol/Observable.js';
import Overlay from 'ol/Overlay.js';
import View from 'ol/View.js';
import {VERSION} from 'ol/util.js';

import ImageLayer from 'ol/layer/Image.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';

import ImageStatic from 'ol/source/ImageStatic.js';
import VectorSource from 'ol/source/Vector.js';
import WMTS from 'ol/source/WMTS.js';
import XYZ from 'ol/source/XYZ.js';

import WMTSTileGrid from 'ol/tilegrid/WMTS.js';

import GeoJSON from 'ol/format/GeoJSON.js';

import CircleStyle from 'ol/style/Circle.js';
import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import Text from 'ol/style/Text.js';

import Draw from 'ol/interaction/Draw.js';
import Modify from 'ol/interaction/Modify.js';
import Select from 'ol/interaction/Select.js';
import Snap from 'ol/interaction/Snap.js';
import {defaults as interactionDefaults} from 'ol/interaction/defaults.js';

import Attribution from 'ol/control/Attribution.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import Zoom from 'ol/control/Zoom.js';
import {defaults as controlDefaults} from 'ol/control/defaults.js';

import LineString from 'ol/geom/LineString.js';
import MultiPolygon from 'ol/geom/MultiPolygon.js';
import Point from 'ol/geom/Point.js';
import Polygon from 'ol/geom/Polygon.js';

import Projection from 'ol/proj/Projection.js';
import {
  addEquivalentProjections,
  addProjection,
  fromLonLat,
  get as getProjection,
  toLonLat,
  transform,
  transformExtent,
} from 'ol/proj.js';

import {
  boundingExtent,
  buffer,
  containsCoordinate,
  createEmpty,
  extend,
  getCenter,
  getHeight,
  getWidth,
  intersects,
  isEmpty,
} from 'ol/extent.js';

import {getRenderPixel} from 'ol/render.js';
import {all as allStrategy, bbox as bboxStrategy} from 'ol/loadingstrategy.js';
import {
  altKeyOnly,
  always,
  click,
  doubleClick,
  never,
  noModifierKeys,
  platformModifierKeyOnly,
  pointerMove,
  primaryAction,
  shiftKeyOnly,
  singleClick,
} from 'ol/events/condition.js';
import {getArea, getLength} from 'ol/sphere.js';

window.ol = {
  VERSION,
  Collection,
  Feature,
  Map,
  Observable: {unByKey},
  Overlay,
  View,
  layer: {Image: ImageLayer, Tile: TileLayer, Vector: VectorLayer},
  source: {ImageStatic, Vector: VectorSource, WMTS, XYZ},
  tilegrid: {WMTS: WMTSTileGrid},
  format: {GeoJSON},
  style: {Circle: CircleStyle, Fill, Stroke, Style, Text},
  interaction: {Draw, Modify, Select, Snap, defaults: interactionDefaults},
  control: {Attribution, ScaleLine, Zoom, defaults: controlDefaults},
  geom: {LineString, MultiPolygon, Point, Polygon},
  proj: {
    Projection,
    addEquivalentProjections,
    addProjection,
    fromLonLat,
    get: getProjection,
    toLonLat,
    transform,
    transformExtent,
  },
  extent: {
    boundingExtent,
    buffer,
    containsCoordinate,
    createEmpty,
    extend,
    getCenter,
    getHeight,
    getWidth,
    intersects,
    isEmpty,
  },
  render: {getRenderPixel},
  loadingstrategy: {all: allStrategy, bbox: bboxStrategy},
  events: {
    condition: {
      altKeyOnly,
      always,
      click,
      doubleClick,
      never,
      noModifierKeys,
      platformModifierKeyOnly,
      pointerMove,
      primaryAction,
      shiftKeyOnly,
      singleClick,
    },
  },
  sphere: {getArea, getLength},
};
