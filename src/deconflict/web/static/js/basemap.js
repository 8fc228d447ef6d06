// The base layers: the geodata shipped with the page (static/geo/: borders, the
// Euphrates, named places) as vector layers, and the operator's offline basemap
// (`serve --basemap FILE.pmtiles`, named by GET /v1/meta): vector tiles read in byte
// ranges from the same origin by ol-pmtiles, drawn in a plain style under the geodata —
// land, water, roads and place labels, for the layer names of the Protomaps and
// OpenMapTiles schemas.

import {
  CircleStyle,
  Fill,
  PMTilesVectorSource,
  Stroke,
  Style,
  Text,
  VectorLayer,
  VectorSource,
  VectorTileLayer,
} from "../vendor/ol.js";
import { BASE, GEO } from "./styles.js";

/**
 * The shipped geodata's layers (GeoJSON FeatureCollections in lon/lat): land with its
 * borders (as lines only over an offline basemap), the river, places with decluttered
 * names from 6 km a pixel in.
 */
export function geodataLayers(countries, rivers, places, overBasemap) {
  const layer = (geojson, style, zIndex, declutter = false) =>
    new VectorLayer({
      source: new VectorSource({ features: GEO.readFeatures(geojson) }),
      style,
      zIndex,
      declutter,
    });
  const border = new Stroke({ color: BASE.border, width: 1 });
  const land = overBasemap
    ? new Style({ stroke: border })
    : new Style({ fill: new Fill({ color: BASE.land }), stroke: border });
  const river = new Style({ stroke: new Stroke({ color: BASE.river, width: 1.6 }) });
  const placeDot = new CircleStyle({ radius: 2, fill: new Fill({ color: BASE.place }) });
  const place = (f, resolution) =>
    new Style({
      image: placeDot,
      text:
        resolution < 6000
          ? new Text({
              text: f.get("name") || "",
              font: "11px system-ui, sans-serif",
              fill: new Fill({ color: BASE.place }),
              textAlign: "left",
              offsetX: 5,
            })
          : undefined,
    });
  return [layer(countries, land, 1), layer(rivers, river, 2), layer(places, place, 3, true)];
}

const LAND = new Style({ fill: new Fill({ color: "#f6f4ee" }) });
const WATER = new Style({ fill: new Fill({ color: "#cddbe8" }), stroke: new Stroke({ color: "#9fbad3", width: 1 }) });
const ROAD = new Style({ stroke: new Stroke({ color: "#d9cfbf", width: 1 }) });
const BOUNDARY = new Style({ stroke: new Stroke({ color: "#b5ad9f", width: 1, lineDash: [4, 3] }) });

/** The style of one tile feature by its layer (`layer` is the MVT layer's name). */
export function basemapStyle(feature) {
  const layer = feature.get("layer");
  switch (layer) {
    case "earth":
    case "land":
    case "landcover":
      return LAND;
    case "water":
    case "waterway":
      return WATER;
    case "roads":
    case "transportation":
      return ROAD;
    case "boundaries":
    case "boundary":
      return BOUNDARY;
    case "places":
    case "place": {
      const name = feature.get("name:en") || feature.get("name");
      if (!name) return null;
      return new Style({
        text: new Text({
          text: String(name),
          font: "11px system-ui, sans-serif",
          fill: new Fill({ color: "#555" }),
          stroke: new Stroke({ color: "rgba(255,255,255,0.8)", width: 2 }),
        }),
      });
    }
    default:
      return null;
  }
}

/** The basemap layer reading `url` (a same-origin path such as /basemap.pmtiles). */
export function basemapLayer(url) {
  return new VectorTileLayer({
    source: new PMTilesVectorSource({ url }),
    style: basemapStyle,
    declutter: true,
    zIndex: 0,
  });
}
