// The base layer: plain background, graticule, borders, the river and named places,
// from the GeoJSON shipped with the page (static/geo/). Drawn into an offscreen canvas
// that is redrawn only when the view changes.

import { graticuleStep, mx, my } from "./projection.js";

const FILES = ["countries", "euphrates", "places"];

export const COLOURS = {
  sea: "#e6ecf1",
  land: "#f6f4ee",
  border: "#9c978c",
  river: "#6f9fd0",
  graticule: "rgba(70, 90, 110, 0.18)",
  graticuleText: "rgba(50, 65, 80, 0.75)",
  place: "#4a4a4a",
};

/** Rings and lines as flat Float64Arrays of Mercator (x, y) pairs. */
function project(coords) {
  const out = new Float64Array(coords.length * 2);
  for (let i = 0; i < coords.length; i++) {
    out[2 * i] = mx(coords[i][0]);
    out[2 * i + 1] = my(coords[i][1]);
  }
  return out;
}

function rings(geometry) {
  const g = geometry;
  if (g.type === "Polygon") return g.coordinates.map(project);
  if (g.type === "MultiPolygon") return g.coordinates.flat().map(project);
  if (g.type === "LineString") return [project(g.coordinates)];
  if (g.type === "MultiLineString") return g.coordinates.map(project);
  return [];
}

export class BaseMap {
  constructor() {
    this.land = [];
    this.rivers = [];
    this.places = [];
    this.box = [34.5, 29.0, 48.5, 38.0];
    this.canvas = document.createElement("canvas");
    this.key = "";
  }

  /** Fetch the shipped geodata (same origin; nothing from any other host). */
  async load() {
    const [countries, rivers, places] = await Promise.all(
      FILES.map((f) => fetch(`static/geo/${f}.geojson`).then((r) => r.json())),
    );
    this.land = countries.features.flatMap((f) => rings(f.geometry));
    this.rivers = rivers.features.flatMap((f) => rings(f.geometry));
    this.places = places.features
      .filter((f) => f.geometry.type === "Point")
      .map((f) => ({
        name: f.properties.name,
        x: mx(f.geometry.coordinates[0]),
        y: my(f.geometry.coordinates[1]),
      }));
    this.key = "";
  }

  /** The base layer for `view` at `dpr` device pixels per CSS pixel. */
  render(view, dpr) {
    const key = `${view.version}|${dpr}|${this.land.length}`;
    if (key === this.key) return this.canvas;
    this.key = key;
    const c = this.canvas;
    c.width = Math.round(view.width * dpr);
    c.height = Math.round(view.height * dpr);
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.direction = "ltr";
    ctx.fillStyle = COLOURS.sea;
    ctx.fillRect(0, 0, view.width, view.height);
    this.drawLand(ctx, view);
    this.drawGraticule(ctx, view);
    this.drawPlaces(ctx, view);
    return c;
  }

  drawLand(ctx, view) {
    const path = (list) => {
      ctx.beginPath();
      for (const r of list) {
        ctx.moveTo(view.sx(r[0]), view.sy(r[1]));
        for (let i = 2; i < r.length; i += 2) ctx.lineTo(view.sx(r[i]), view.sy(r[i + 1]));
      }
    };
    path(this.land);
    ctx.fillStyle = COLOURS.land;
    ctx.fill("evenodd");
    ctx.strokeStyle = COLOURS.border;
    ctx.lineWidth = 1;
    ctx.stroke();
    path(this.rivers);
    ctx.strokeStyle = COLOURS.river;
    ctx.lineWidth = 1.6;
    ctx.stroke();
  }

  drawGraticule(ctx, view) {
    const step = graticuleStep(view);
    const [w, s, e, n] = view.bounds();
    const digits = step < 1 ? 2 : 0;
    ctx.strokeStyle = COLOURS.graticule;
    ctx.lineWidth = 1;
    ctx.fillStyle = COLOURS.graticuleText;
    ctx.font = "10px system-ui, sans-serif";
    ctx.beginPath();
    for (let lon = Math.ceil(w / step) * step; lon <= e; lon += step) {
      const x = Math.round(view.sx(mx(lon))) + 0.5;
      ctx.moveTo(x, 0);
      ctx.lineTo(x, view.height);
    }
    for (let lat = Math.ceil(s / step) * step; lat <= n; lat += step) {
      const y = Math.round(view.sy(my(lat))) + 0.5;
      ctx.moveTo(0, y);
      ctx.lineTo(view.width, y);
    }
    ctx.stroke();
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    for (let lon = Math.ceil(w / step) * step; lon <= e; lon += step) {
      const label = `${Math.abs(lon).toFixed(digits)}°${lon < 0 ? "W" : "E"}`;
      ctx.fillText(label, view.sx(mx(lon)) + 3, 3);
    }
    ctx.textBaseline = "bottom";
    for (let lat = Math.ceil(s / step) * step; lat <= n; lat += step) {
      const label = `${Math.abs(lat).toFixed(digits)}°${lat < 0 ? "S" : "N"}`;
      ctx.fillText(label, 3, view.sy(my(lat)) - 2);
    }
  }

  drawPlaces(ctx, view) {
    const labels = view.scale > 1 / 6000;
    const placed = [];
    ctx.fillStyle = COLOURS.place;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.textAlign = "left";
    for (const p of this.places) {
      const x = view.sx(p.x);
      const y = view.sy(p.y);
      if (x < -50 || y < -20 || x > view.width + 50 || y > view.height + 20) continue;
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
      if (!labels) continue;
      const box = [x + 4, y - 7, x + 6 + ctx.measureText(p.name).width, y + 7];
      if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) {
        continue;
      }
      placed.push(box);
      ctx.fillText(p.name, x + 4, y);
    }
  }
}
