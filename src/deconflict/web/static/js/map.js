// The map: a canvas drawn once per animation frame when something changed — the base
// layer (cached), zones, declared positions and plans, alerts with their geometry and
// countdowns, the other parties' tracks that alerts show, and the party's own tracks
// dead-reckoned to now with a predicted-path whisker.

import { BaseMap } from "./basemap.js";
import { clock, duration, language, t } from "./i18n.js";
import { kindColour } from "./meta.js";
import { PixelLayer, rgba } from "./pixels.js";
import { R, View, latOf, mx, my, scaleBar } from "./projection.js";
import { happensAt, isActive } from "./state.js";

const D2R = Math.PI / 180;
const WHISKER_S = 120;
const OWN = "#1b4f9c";
const OTHER = "#b0126f";
const STRIKE_PLAN = "#8b0000";
const OWN_PIXEL = rgba(0x1b, 0x4f, 0x9c, 255);
const WHISKER_PIXEL = rgba(0x1b, 0x4f, 0x9c, 150);
/** From this many tracks in view, markers are drawn into a pixel buffer (pixels.js). */
const PIXELS_FROM = 1000;

const RULE_COLOURS = {
  forbid: "#c62828",
  notify: "#e07a00",
  advisory: "#1f77b4",
  none: "#6b6b6b",
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

function localVelocity(trackDeg, gs) {
  const a = trackDeg * D2R;
  return [gs * Math.sin(a), gs * Math.cos(a)];
}

export class MapView {
  constructor(canvas, state, { onSelect } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.state = state;
    this.onSelect = onSelect || (() => {});
    this.view = new View(canvas.clientWidth || 800, canvas.clientHeight || 600);
    this.base = new BaseMap();
    this.dpr = Math.min(window.devicePixelRatio || 1, 2);
    this.drawnVersion = -1;
    this.lastDraw = 0;
    this.alwaysRedraw = false;
    this.fitted = false;
    this.visX = new Float32Array(0);
    this.visY = new Float32Array(0);
    this.visX2 = new Float32Array(0);
    this.visY2 = new Float32Array(0);
    this.visTrk = new Float32Array(0);
    this.visIdx = new Int32Array(0);
    this.pixels = new PixelLayer();
    this.visN = 0;
    this.anchors = [];
    this.lastFrame = { at: 0, drawMs: 0, own: 0, ownTotal: 0, others: [], alerts: [], zones: [] };
    this.frames = 0;
    this.bindInput();
  }

  async load() {
    await this.base.load();
    this.resize();
    this.view.fit(this.base.box);
    this.invalidate();
  }

  invalidate() {
    this.drawnVersion = -1;
  }

  resize() {
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (!w || !h) return;
    this.dpr = Math.min(window.devicePixelRatio || 1, 2);
    const pw = Math.round(w * this.dpr);
    const ph = Math.round(h * this.dpr);
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.width = pw;
      this.canvas.height = ph;
      this.invalidate();
    }
    this.view.resize(w, h);
  }

  /** Show every own track, zone and live alert (or the base map when there is none). */
  fitAll() {
    let w = Infinity;
    let s = Infinity;
    let e = -Infinity;
    let n = -Infinity;
    const add = (lon, lat) => {
      w = Math.min(w, lon);
      e = Math.max(e, lon);
      s = Math.min(s, lat);
      n = Math.max(n, lat);
    };
    const tr = this.state.tracks;
    for (let i = 0; i < tr.n; i++) add(tr.lon[i], tr.lat[i]);
    for (const a of this.state.alerts.values()) if (isActive(a)) add(a.lon, a.lat);
    if (!Number.isFinite(w)) {
      this.view.fit(this.base.box);
    } else {
      const pad = 0.3;
      this.view.fit([w - pad, s - pad, e + pad, n + pad]);
    }
    this.invalidate();
  }

  /** Centre on an alert. */
  focus(alert) {
    this.view.cx = mx(alert.lon);
    this.view.cy = my(alert.lat);
    if (this.view.scale < 1 / 800) this.view.scale = 1 / 800;
    this.view.version++;
    this.invalidate();
  }

  bindInput() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, moved: false };
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      if (drag.moved) {
        this.view.panBy(dx, dy);
        drag.x = ev.clientX;
        drag.y = ev.clientY;
      }
    });
    c.addEventListener("pointerup", (ev) => {
      const wasClick = drag && !drag.moved;
      drag = null;
      if (wasClick) {
        const r = c.getBoundingClientRect();
        this.pick(ev.clientX - r.left, ev.clientY - r.top);
      }
    });
    c.addEventListener(
      "wheel",
      (ev) => {
        ev.preventDefault();
        const r = c.getBoundingClientRect();
        const factor = Math.exp(-ev.deltaY * 0.0015);
        this.view.zoomAt(factor, ev.clientX - r.left, ev.clientY - r.top);
      },
      { passive: false },
    );
    c.addEventListener("dblclick", (ev) => {
      const r = c.getBoundingClientRect();
      this.view.zoomAt(2, ev.clientX - r.left, ev.clientY - r.top);
    });
    new ResizeObserver(() => this.resize()).observe(c);
  }

  /** Select the alert drawn nearest a click, within 14 px. */
  pick(px, py) {
    let best = null;
    let bestD = 14 * 14;
    for (const a of this.anchors) {
      const d = (a.x - px) ** 2 + (a.y - py) ** 2;
      if (d < bestD) {
        bestD = d;
        best = a.id;
      }
    }
    if (best) this.onSelect(best);
  }

  /** Whether the own tracks have moved half a pixel since the last drawing. */
  moved(now) {
    const tr = this.state.tracks;
    if (!tr.n) return false;
    const cosLat = Math.max(0.05, Math.cos(latOf(this.view.cy) * D2R));
    const pxPerMs = (tr.fastest * this.view.scale) / cosLat / 1000;
    return (now - this.lastDraw) * pxPerMs > 0.5;
  }

  /** Draw if anything changed; called once per animation frame. */
  frame(mapDirty) {
    const now = this.state.now();
    const due =
      mapDirty ||
      this.alwaysRedraw ||
      this.drawnVersion !== this.view.version ||
      this.moved(now) ||
      (this.hasCountdowns && now - this.lastDraw >= 1000);
    if (!due) return false;
    const t0 = performance.now();
    this.draw(now);
    this.lastFrame.drawMs = performance.now() - t0;
    this.lastFrame.at = now;
    this.drawnVersion = this.view.version;
    this.lastDraw = now;
    this.frames++;
    return true;
  }

  draw(now) {
    const { ctx, view, dpr } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.base.render(view, dpr), 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.direction = "ltr";
    this.anchors = [];
    this.hasCountdowns = false;
    this.lastFrame.zones = this.drawZones(ctx, view);
    this.lastFrame.movements = [];
    this.drawDeclarations(ctx, view);
    const { alerts, others } = this.drawAlerts(ctx, view, now);
    this.lastFrame.alerts = alerts;
    this.lastFrame.others = others;
    this.drawTracks(ctx, view, now);
    this.drawScaleBar(ctx, view);
  }

  // -- shapes ----------------------------------------------------------------------

  /** Trace a GeoJSON geometry (lon/lat) as a path; circles for Points with a radius. */
  tracePath(ctx, view, geometry, radiusM) {
    const ring = (coords, close) => {
      coords.forEach(([lon, lat], i) => {
        const x = view.sx(mx(lon));
        const y = view.sy(my(lat));
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      if (close) ctx.closePath();
    };
    const g = geometry;
    if (!g) return;
    switch (g.type) {
      case "Point":
        if (radiusM > 0) this.traceCircle(ctx, view, g.coordinates[1], g.coordinates[0], radiusM);
        break;
      case "LineString":
        ring(g.coordinates, false);
        break;
      case "MultiLineString":
        for (const l of g.coordinates) ring(l, false);
        break;
      case "Polygon":
        for (const r of g.coordinates) ring(r, true);
        break;
      case "MultiPolygon":
        for (const p of g.coordinates) for (const r of p) ring(r, true);
        break;
      default:
        break;
    }
  }

  /** A circle of `radiusM` true metres around (lat, lon). */
  traceCircle(ctx, view, lat, lon, radiusM) {
    const x = view.sx(mx(lon));
    const y = view.sy(my(lat));
    const r = (radiusM * view.scale) / Math.max(0.05, Math.cos(lat * D2R));
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, Math.max(r, 1), 0, 2 * Math.PI);
  }

  // -- layers ----------------------------------------------------------------------

  drawZones(ctx, view) {
    const ids = [];
    const party = this.state.party;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const z of this.state.zones.values()) {
      const p = z.properties;
      const rule = ruleFor(z, party);
      const colour = RULE_COLOURS[rule ? rule.action : "none"] || RULE_COLOURS.none;
      const agreed = p.status === "agreed";
      ctx.beginPath();
      this.tracePath(ctx, view, z.geometry, p.radius_m);
      const isLine = z.geometry.type.endsWith("LineString");
      if (!isLine) {
        ctx.globalAlpha = agreed ? 0.14 : 0.07;
        ctx.fillStyle = colour;
        ctx.fill("evenodd");
        ctx.globalAlpha = 1;
      }
      ctx.setLineDash(agreed ? [] : [7, 5]);
      ctx.strokeStyle = colour;
      ctx.lineWidth = isLine ? 3 : agreed ? 2 : 1.5;
      ctx.stroke();
      ctx.setLineDash([]);
      ids.push(p.id);
      const [lon, lat] = zoneAnchor(z);
      if (Number.isFinite(lon) && view.scale > 1 / 6000) {
        const label = `${p.name || p.id} (${t(`zone.${agreed ? "agreed" : "claimed"}`)})`;
        ctx.fillStyle = colour;
        ctx.fillText(label, view.sx(mx(lon)), view.sy(my(lat)));
      }
    }
    return ids;
  }

  drawDeclarations(ctx, view) {
    for (const f of [...this.state.positions, ...this.state.intents]) {
      const p = f.properties;
      const colour = p.kind === "strike" ? STRIKE_PLAN : OWN;
      ctx.beginPath();
      this.tracePath(ctx, view, f.geometry, p.radius_m);
      ctx.globalAlpha = 0.1;
      ctx.fillStyle = colour;
      if (f.geometry.type !== "LineString") ctx.fill();
      ctx.globalAlpha = 1;
      ctx.setLineDash(p.kind === "strike" || p.kind === "volume" ? [4, 3] : []);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.setLineDash([]);
      if (p.kind === "protected" && f.geometry.type === "Point") {
        this.cross(ctx, view, f.geometry.coordinates[1], f.geometry.coordinates[0], colour);
      }
      if (p.kind === "movement") this.corridor(ctx, view, f, colour);
    }
  }

  /** A ground movement: its corridor (the route drawn `width_m` wide, faint) and its
   * window as a label at the route's middle ("06:00–12:00"). */
  corridor(ctx, view, f, colour) {
    const p = f.properties || {};
    const pts = f.geometry.coordinates;
    const [lon, lat] = pts[Math.floor(pts.length / 2)];
    ctx.beginPath();
    this.tracePath(ctx, view, f.geometry, 0);
    ctx.globalAlpha = 0.2;
    ctx.lineWidth = Math.max(3, (p.width_m * view.scale) / Math.max(0.05, Math.cos(lat * D2R)));
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    ctx.strokeStyle = colour;
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.5;
    const at = (text) => new Date(Date.parse(text)).toISOString().slice(5, 16).replace("T", " ");
    const label = `${p.id} ${at(p.start)}–${at(p.end)} UTC`;
    this.label(ctx, label, view.sx(mx(lon)) + 6, view.sy(my(lat)) - 6, colour);
    this.lastFrame.movements.push({ id: p.id, label });
  }

  cross(ctx, view, lat, lon, colour) {
    const x = view.sx(mx(lon));
    const y = view.sy(my(lat));
    ctx.fillStyle = colour;
    ctx.fillRect(x - 5, y - 1.5, 10, 3);
    ctx.fillRect(x - 1.5, y - 5, 3, 10);
  }

  drawAlerts(ctx, view, now) {
    const party = this.state.party;
    const drawn = [];
    const others = [];
    const list = [...this.state.alerts.values()].filter(
      (a) => isActive(a) || a.id === this.state.selected || a.kind === "declaration",
    );
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textBaseline = "bottom";
    ctx.textAlign = "left";
    for (const a of list) {
      const colour = kindColour(a.kind);
      const selected = a.id === this.state.selected;
      const d = a.details || {};
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = selected ? 3 : 2;
      // own declarations are drawn from the party's own lists, zones from the zone layer
      if (
        a.kind === "declaration" &&
        d.feature &&
        d.feature_kind !== "zone" &&
        d.declared_by !== party
      ) {
        const f = d.feature;
        ctx.beginPath();
        this.tracePath(ctx, view, f.geometry, f.properties?.radius_m);
        ctx.globalAlpha = 0.12;
        if (f.geometry.type !== "LineString") ctx.fill();
        ctx.globalAlpha = 1;
        ctx.setLineDash([5, 3]);
        ctx.stroke();
        ctx.setLineDash([]);
        if (f.properties?.kind === "protected" && f.geometry.type === "Point") {
          this.cross(ctx, view, f.geometry.coordinates[1], f.geometry.coordinates[0], colour);
        }
        if (f.properties?.kind === "movement") this.corridor(ctx, view, f, colour);
      }
      if (a.kind === "strike-proximity" && d.radius_m > 0) {
        ctx.beginPath();
        this.traceCircle(ctx, view, a.lat, a.lon, d.radius_m);
        ctx.globalAlpha = 0.15;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.stroke();
      }
      if (a.geometry && a.kind !== "declaration") {
        ctx.beginPath();
        this.tracePath(ctx, view, a.geometry, 0);
        ctx.stroke();
        if (a.geometry.type === "LineString") {
          for (const [lon, lat] of a.geometry.coordinates) {
            this.dot(ctx, view, lat, lon, 3.5);
          }
        }
      }
      for (const tr of alertTracks(a, party)) {
        others.push({ id: tr.id, party: tr.party, alert: a.id });
        this.otherTrack(ctx, view, tr, now, ms(a.updated_at));
      }
      const x = view.sx(mx(a.lon));
      const y = view.sy(my(a.lat));
      ctx.strokeStyle = colour;
      ctx.lineWidth = selected ? 3 : 2;
      ctx.beginPath();
      ctx.arc(x, y, selected ? 9 : 7, 0, 2 * Math.PI);
      ctx.stroke();
      const left = (happensAt(a) - now) / 1000;
      const label =
        a.kind === "declaration"
          ? t(`kind.${a.kind}`)
          : isActive(a) && left > 0
            ? `T−${duration(left)}`
            : clock(happensAt(a));
      this.label(ctx, label, x + 10, y - 4, colour);
      if (isActive(a)) this.hasCountdowns = true;
      this.anchors.push({ id: a.id, x, y });
      drawn.push(a.id);
    }
    return { alerts: drawn, others };
  }

  dot(ctx, view, lat, lon, r) {
    ctx.beginPath();
    ctx.arc(view.sx(mx(lon)), view.sy(my(lat)), r, 0, 2 * Math.PI);
    ctx.fill();
  }

  label(ctx, text, x, y, colour) {
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour;
    ctx.fillText(text, x, y);
  }

  /** Another party's track as an alert shows it, dead-reckoned from the alert's time. */
  otherTrack(ctx, view, tr, now, atMs) {
    const hasV = typeof tr.gs_mps === "number" && typeof tr.track_deg === "number";
    const t0 = tr.time ? Date.parse(tr.time) : atMs;
    const dt = hasV && Number.isFinite(t0) ? Math.max(0, (now - t0) / 1000) : 0;
    const [ve, vn] = hasV ? localVelocity(tr.track_deg, tr.gs_mps) : [0, 0];
    const lat = tr.lat + ((vn * dt) / R) / D2R;
    const lon = tr.lon + ((ve * dt) / (R * Math.cos(tr.lat * D2R))) / D2R;
    const x = view.sx(mx(lon));
    const y = view.sy(my(lat));
    const k = view.scale / Math.max(0.05, Math.cos(lat * D2R));
    ctx.strokeStyle = OTHER;
    ctx.fillStyle = OTHER;
    ctx.lineWidth = 1.5;
    if (hasV) {
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + ve * WHISKER_S * k, y - vn * WHISKER_S * k);
      ctx.stroke();
    }
    ctx.beginPath();
    this.triangle(ctx, x, y, hasV ? tr.track_deg : 0, 7);
    ctx.fill();
    ctx.font = "11px system-ui, sans-serif";
    this.label(ctx, `${tr.id} (${tr.party})`, x + 8, y + 14, OTHER);
  }

  triangle(ctx, x, y, trackDeg, size) {
    const a = trackDeg * D2R;
    const s = Math.sin(a);
    const c = Math.cos(a);
    ctx.moveTo(x + s * size, y - c * size);
    ctx.lineTo(x - s * size * 0.6 + c * size * 0.55, y + c * size * 0.6 + s * size * 0.55);
    ctx.lineTo(x - s * size * 0.6 - c * size * 0.55, y + c * size * 0.6 - s * size * 0.55);
    ctx.closePath();
  }

  drawTracks(ctx, view, now) {
    const tr = this.state.tracks;
    const n = tr.n;
    if (this.visX.length < n) {
      this.visX = new Float32Array(n);
      this.visY = new Float32Array(n);
      this.visX2 = new Float32Array(n);
      this.visY2 = new Float32Array(n);
      this.visTrk = new Float32Array(n);
      this.visIdx = new Int32Array(n);
    }
    const W = view.width;
    const H = view.height;
    const scale = view.scale;
    let k = 0;
    const half = W / 2;
    const halfH = H / 2;
    const cx = view.cx;
    const cy = view.cy;
    const w = WHISKER_S * scale;
    for (let i = 0; i < n; i++) {
      const dt = Math.max(0, (now - tr.t[i]) / 1000);
      const x = (tr.x0[i] + tr.vx[i] * dt - cx) * scale + half;
      const y = halfH - (tr.y0[i] + tr.vy[i] * dt - cy) * scale;
      const x2 = x + tr.vx[i] * w;
      const y2 = y - tr.vy[i] * w;
      if ((x < -10 && x2 < -10) || (x > W + 10 && x2 > W + 10)) continue;
      if ((y < -10 && y2 < -10) || (y > H + 10 && y2 > H + 10)) continue;
      this.visX[k] = x;
      this.visY[k] = y;
      this.visX2[k] = x2;
      this.visY2[k] = y2;
      this.visTrk[k] = tr.trk[i];
      this.visIdx[k] = i;
      k++;
    }
    if (k > PIXELS_FROM) {
      this.pixels.draw(ctx, this.dpr, W, H, k, this.visX, this.visY, this.visX2, this.visY2,
        this.visTrk, OWN_PIXEL, WHISKER_PIXEL, 4);
    } else {
      ctx.beginPath();
      for (let j = 0; j < k; j++) {
        ctx.moveTo(this.visX[j], this.visY[j]);
        ctx.lineTo(this.visX2[j], this.visY2[j]);
      }
      ctx.strokeStyle = "rgba(27, 79, 156, 0.55)";
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.fillStyle = OWN;
      for (let j0 = 0; j0 < k; j0 += 25) {
        ctx.beginPath();
        for (let j = j0; j < Math.min(k, j0 + 25); j++) {
          this.triangle(ctx, this.visX[j], this.visY[j], this.visTrk[j], 6);
        }
        ctx.fill();
      }
    }
    if (k <= 150) {
      ctx.font = "10px system-ui, sans-serif";
      ctx.textBaseline = "top";
      ctx.textAlign = "left";
      const placed = [];
      for (let j = 0; j < k; j++) {
        const i = this.visIdx[j];
        const text = `${tr.ids[i]} FL${Math.round(tr.alt[i] / 30.48)}`;
        const x = this.visX[j] + 7;
        const y = this.visY[j] + 3;
        const box = [x, y, x + ctx.measureText(text).width, y + 11];
        if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) {
          continue;
        }
        placed.push(box);
        this.label(ctx, text, x, y, OWN);
      }
    }
    this.visN = k;
    this.lastFrame.own = k;
    this.lastFrame.ownTotal = n;
  }

  /** Ids of the own tracks drawn in the last frame. */
  drawnOwnIds() {
    const out = [];
    for (let j = 0; j < this.visN; j++) out.push(this.state.tracks.ids[this.visIdx[j]]);
    return out;
  }

  drawScaleBar(ctx, view) {
    const bar = scaleBar(view);
    const rtl = language() === "ar";
    const pad = 14;
    const x0 = rtl ? view.width - pad - bar.px : pad;
    const y = view.height - pad;
    ctx.fillStyle = "rgba(255,255,255,0.8)";
    ctx.fillRect(x0 - 6, y - 22, bar.px + 12, 28);
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x0, y - 6);
    ctx.lineTo(x0, y);
    ctx.lineTo(x0 + bar.px, y);
    ctx.lineTo(x0 + bar.px, y - 6);
    ctx.stroke();
    ctx.fillStyle = "#222";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(bar.label, x0 + bar.px / 2, y - 7);
    this.lastFrame.scale = bar.label;
  }
}

function ms(iso) {
  return iso ? Date.parse(iso) : NaN;
}

/** A point to label a zone at: a Point's centre, else its first ring's box centre. */
function zoneAnchor(zone) {
  const g = zone.geometry;
  let pts = [];
  if (g.type === "Point") return g.coordinates;
  if (g.type === "Polygon") pts = g.coordinates[0];
  else if (g.type === "MultiPolygon") pts = g.coordinates[0][0];
  else if (g.type === "LineString") pts = g.coordinates;
  else if (g.type === "MultiLineString") pts = g.coordinates[0];
  if (!pts.length) return [NaN, NaN];
  if (g.type.endsWith("LineString")) return pts[Math.floor(pts.length / 2)];
  let w = Infinity;
  let e = -Infinity;
  let s = Infinity;
  let n = -Infinity;
  for (const [lon, lat] of pts) {
    w = Math.min(w, lon);
    e = Math.max(e, lon);
    s = Math.min(s, lat);
    n = Math.max(n, lat);
  }
  return [(w + e) / 2, (s + n) / 2];
}
