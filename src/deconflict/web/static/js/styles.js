// The map's styles and the helpers its layers share: colours, the rule that applies to a
// party, the tracks an alert shows, GeoJSON to OpenLayers geometry (circles in true
// metres), markers and labels.

import {
  Fill,
  GeoJSON,
  RegularShape,
  Stroke,
  Text,
  circular,
} from "../vendor/ol.js";
import { MERCATOR_PER_TRUE } from "./state.js";

export const D2R = Math.PI / 180;
export const WHISKER_S = 120;
export const OWN = "#1b4f9c";
export const OTHER = "#b0126f";
export const STRIKE_PLAN = "#8b0000";
/** Own tracks are labelled only when no more than this many are in view. */
export const LABELS_UP_TO = 150;
/** The shipped geodata's box (west, south, east, north; degrees). */
export const HOME = [34.5, 29.0, 48.5, 38.0];
export const GEO = new GeoJSON({ featureProjection: "EPSG:3857" });

export const RULE_COLOURS = {
  forbid: "#c62828",
  notify: "#e07a00",
  advisory: "#1f77b4",
  none: "#6b6b6b",
};

export const BASE = {
  land: "#f6f4ee",
  border: "#9c978c",
  river: "#6f9fd0",
  place: "#4a4a4a",
};

/** The rule of `zone` that applies to `party` (its own, else the "*" one), or null. */
export function ruleFor(zone, party) {
  const rules = zone.properties.rules || [];
  return rules.find((r) => r.party === party) || rules.find((r) => r.party === "*") || null;
}

/**
 * Tracks of other parties that an alert shows: its `details.states` (id -> state at the
 * alert's `updated_at`: party, lat, lon, alt_m, gs_mps, track_deg, vs_mps), less the
 * party's own, which are drawn from its own reports.
 */
export function alertTracks(alert, party) {
  const states = alert.details?.states;
  if (!states || typeof states !== "object") return [];
  const entries = Array.isArray(states)
    ? states.map((s) => [s.id, s])
    : Object.entries(states);
  const out = [];
  for (const [id, st] of entries) {
    if (
      st &&
      typeof id === "string" &&
      st.party !== party &&
      typeof st.lat === "number" &&
      typeof st.lon === "number"
    ) {
      out.push({ ...st, id });
    }
  }
  return out;
}

/** An rgba() of a #rrggbb colour with opacity `a` (0–1). */
export function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/** The OL geometry (EPSG:3857) of a GeoJSON geometry in lon/lat; a Point with
 * `radiusM` > 0 becomes a circle of that many true metres. */
export function geometryOf(geometry, radiusM) {
  if (!geometry) return null;
  if (geometry.type === "Point" && radiusM > 0) {
    const [lon, lat] = geometry.coordinates;
    return circular([lon, lat], radiusM, 64).transform("EPSG:4326", "EPSG:3857");
  }
  try {
    return GEO.readGeometry(geometry);
  } catch {
    return null;
  }
}

/** Pixels of `metres` true metres at latitude `lat` (deg) and `resolution` (Mercator m/px). */
export function px(metres, lat, resolution) {
  return (metres * MERCATOR_PER_TRUE) / Math.max(0.05, Math.cos(lat * D2R)) / resolution;
}

export const haloed = (colour, font, extra = {}) =>
  new Text({
    font,
    fill: new Fill({ color: colour }),
    stroke: new Stroke({ color: "rgba(255,255,255,0.9)", width: 3 }),
    textAlign: "left",
    ...extra,
  });

const triangles = new Map();
/** A triangle pointing along `trackDeg` (map north up), cached per whole degree. */
export function triangle(colour, trackDeg, radius) {
  const key = `${colour}|${Math.round(trackDeg)}|${radius}`;
  let s = triangles.get(key);
  if (!s) {
    s = new RegularShape({
      points: 3,
      radius,
      rotation: Math.round(trackDeg) * D2R,
      fill: new Fill({ color: colour }),
      declutterMode: "none",
    });
    triangles.set(key, s);
  }
  return s;
}

export const CROSS = (colour) =>
  new RegularShape({
    points: 4,
    radius: 6,
    radius2: 0,
    angle: 0,
    stroke: new Stroke({ color: colour, width: 3 }),
    declutterMode: "none",
  });

const at = (text) => new Date(Date.parse(text)).toISOString().slice(5, 16).replace("T", " ");

/** "convoy-3 06-01 06:00–06-01 12:30 UTC": a movement's id and window. */
export function movementLabel(p) {
  return `${p.id} ${at(p.start)}–${at(p.end)} UTC`;
}
