// Smoke test of the vendored bundle (see smoke.html): a GeoJSON polygon in
// EPSG:4326 shown in an EPSG:3857 view, no basemap, a Draw interaction and a
// ScaleLine. The title becomes "ok N" (N features) once the map has rendered,
// and again after each drawn feature.
'use strict';
(function () {
  const geojson = {
    type: 'FeatureCollection',
    features: [{
      type: 'Feature',
      properties: {name: '图斑 1'},
      geometry: {
        type: 'Polygon',
        coordinates: [[
          [104.055, 30.665], [104.068, 30.664], [104.071, 30.674],
          [104.062, 30.679], [104.053, 30.673], [104.055, 30.665],
        ]],
      },
    }],
  };
  const source = new ol.source.Vector({
    features: new ol.format.GeoJSON().readFeatures(geojson, {
      dataProjection: 'EPSG:4326',
      featureProjection: 'EPSG:3857',
    }),
  });
  const layer = new ol.layer.Vector({
    source,
    style: new ol.style.Style({
      fill: new ol.style.Fill({color: 'rgba(230, 80, 40, 0.25)'}),
      stroke: new ol.style.Stroke({color: '#e65028', width: 2}),
      image: new ol.style.Circle({radius: 5, fill: new ol.style.Fill({color: '#e65028'})}),
    }),
  });
  const view = new ol.View({center: ol.proj.fromLonLat([104.06, 30.67]), zoom: 14});
  const map = new ol.Map({
    target: 'map',
    layers: [layer],
    view,
    controls: ol.control.defaults().extend([new ol.control.ScaleLine()]),
  });
  view.fit(source.getExtent(), {padding: [60, 60, 60, 60]});
  map.addInteraction(new ol.interaction.Draw({source, type: 'Polygon'}));
  const report = () => { document.title = 'ok ' + source.getFeatures().length; };
  map.once('rendercomplete', report);
  source.on('addfeature', () => map.once('rendercomplete', report));
})();
