// The OpenLayers modules the page uses, bundled into one ES module
// (src/deconflict/web/static/vendor/ol.js) by build.mjs.

export { VERSION } from "ol/util.js";
export { default as OlMap } from "ol/Map.js";
export { default as View } from "ol/View.js";
export { default as Feature } from "ol/Feature.js";
export { default as Collection } from "ol/Collection.js";
export { default as GeoJSON } from "ol/format/GeoJSON.js";
export { default as VectorLayer } from "ol/layer/Vector.js";
export { default as VectorTileLayer } from "ol/layer/VectorTile.js";
export { default as Layer } from "ol/layer/Layer.js";
export { default as VectorSource } from "ol/source/Vector.js";
export { default as Point } from "ol/geom/Point.js";
export { default as LineString } from "ol/geom/LineString.js";
export { default as Polygon, circular } from "ol/geom/Polygon.js";
export { default as Circle } from "ol/geom/Circle.js";
export { default as Style } from "ol/style/Style.js";
export { default as Fill } from "ol/style/Fill.js";
export { default as Stroke } from "ol/style/Stroke.js";
export { default as Text } from "ol/style/Text.js";
export { default as CircleStyle } from "ol/style/Circle.js";
export { default as RegularShape } from "ol/style/RegularShape.js";
export { default as Draw } from "ol/interaction/Draw.js";
export { defaults as defaultInteractions } from "ol/interaction/defaults.js";
export { default as ScaleLine } from "ol/control/ScaleLine.js";
export { fromLonLat, toLonLat } from "ol/proj.js";
export { getDistance } from "ol/sphere.js";
export { boundingExtent, buffer as bufferExtent, isEmpty as isEmptyExtent } from "ol/extent.js";
export { PMTilesVectorSource } from "ol-pmtiles";
