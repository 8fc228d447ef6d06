// The map on OpenLayers (EPSG:3857): the shipped geodata (and the operator's offline
// basemap when the service names one), zones, declared positions and plans, alerts with
// their geometry and countdowns, the other parties' tracks that alerts show, and the
// party's own tracks dead-reckoned to the service's now on every frame with a 2-minute
// whisker. Layers are rebuilt when the state marks the map; the moving ones re-render
// every frame with positions computed at render time.

import {
  CircleStyle,
  Feature,
  Fill,
  LineString,
  OlMap,
  Point,
  ScaleLine,
  Stroke,
  Style,
  Text,
  VectorLayer,
  VectorSource,
  View,
  fromLonLat,
} from "../vendor/ol.js";
import { basemapLayer, geodataLayers } from "./basemap.js";
import { clock, duration, t } from "./i18n.js";
import { BASEMAP, kindColour } from "./meta.js";
import { OwnTracks } from "./owntracks.js";
import { MERCATOR_PER_TRUE, happensAt, isActive } from "./state.js";
import {
  CROSS,
  D2R,
  GEO,
  HOME,
  LABELS_UP_TO,
  OTHER,
  OWN,
  RULE_COLOURS,
  STRIKE_PLAN,
  WHISKER_S,
  alertTracks,
  alpha,
  geometryOf,
  haloed,
  movementLabel,
  px,
  ruleFor,
  triangle,
} from "./styles.js";


export class MapView {
  /**
   * @param target the element the map fills
   * @param state the page's State (tracks, zones, declarations, alerts, the clock)
   * @param onSelect called with an alert's id when its ring is clicked
   */
  constructor(target, state, { onSelect } = {}) {
    this.target = target;
    this.state = state;
    this.onSelect = onSelect || (() => {});
    this.alwaysRedraw = false;
    this.frames = 0;
    this.lastDraw = 0;
    this.hasCountdowns = false;
    this.now = Date.now();
    this.lastFrame = {
      at: 0,
      drawMs: 0,
      own: 0,
      ownTotal: 0,
      ownDrawn: 0,
      others: [],
      alerts: [],
      zones: [],
      movements: [],
      scale: "",
    };
    this.inView = [];
    this.layers = {
      zones: this.vector({ zIndex: 10, declutter: true }),
      declarations: this.vector({ zIndex: 20 }),
      alerts: this.vector({ zIndex: 30 }),
      others: this.vector({ zIndex: 40 }),
      own: this.vector({ zIndex: 50, declutter: true }),
    };
    this.layers.own.setStyle((f) => this.labelStyle(f));
    this.layers.own.on("postrender", (event) => this.drawTracks(event));
    this.labelled = null;
    this.ownTracks = new OwnTracks();
    this.tracksShown = null;
    this.scaleLine = new ScaleLine({ units: "metric" });
    this.view = new View({ center: fromLonLat([38.5, 35]), zoom: 6, maxZoom: 16 });
    this.map = new OlMap({
      target,
      view: this.view,
      controls: [this.scaleLine],
      layers: Object.values(this.layers),
    });
    this.map.on("singleclick", (ev) => this.pick(ev.pixel));
    this.map.on("change:size", () => {
      if (this.pendingBox) this.fitBox(this.pendingBox);
    });
    this.map.on("postrender", () => {
      this.lastFrame.scale = this.target.querySelector(".ol-scale-line-inner")?.textContent || "";
    });
  }

  vector({ zIndex, declutter = false }) {
    return new VectorLayer({
      source: new VectorSource(),
      zIndex,
      declutter,
      updateWhileAnimating: true,
      updateWhileInteracting: true,
    });
  }

  /** The shipped geodata (same origin) under everything, and the offline basemap under
   * that when the service names one. */
  async load() {
    const files = ["countries", "euphrates", "places"];
    const [countries, rivers, places] = await Promise.all(
      files.map((f) => fetch(`static/geo/${f}.geojson`).then((r) => r.json())),
    );
    this.base = geodataLayers(countries, rivers, places, Boolean(BASEMAP));
    if (BASEMAP) this.base.unshift(basemapLayer(BASEMAP.url));
    for (const l of this.base) this.map.addLayer(l);
    this.fitBox(HOME);
    this.invalidate();
  }

  invalidate() {
    this.stale = true;
  }

  resize() {
    this.map.updateSize();
    if (this.pendingBox) this.fitBox(this.pendingBox);
  }

  /** Show a box (west, south, east, north; degrees); kept until the map has a size. */
  fitBox(box) {
    const size = this.map.getSize();
    if (!size || !size[0] || !size[1]) {
      this.pendingBox = box;
      return;
    }
    this.pendingBox = null;
    const [w, s, e, n] = box;
    const a = fromLonLat([w, s]);
    const b = fromLonLat([e, n]);
    this.view.fit([a[0], a[1], b[0], b[1]], { size, padding: [20, 20, 20, 20], maxZoom: 12 });
  }

  /** Show every own track and live alert (or the base map when there is none). */
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
    if (!Number.isFinite(w)) this.fitBox(HOME);
    else this.fitBox([w - 0.3, s - 0.3, e + 0.3, n + 0.3]);
    this.invalidate();
  }

  /** Centre on an alert. */
  focus(alert) {
    this.view.setCenter(fromLonLat([alert.lon, alert.lat]));
    if (this.view.getResolution() > 800) this.view.setResolution(800);
  }

  /** Select the alert whose ring (or geometry) is under a click, within 7 px. */
  pick(pixel) {
    let id = null;
    this.map.forEachFeatureAtPixel(
      pixel,
      (f) => {
        id = f.get("alertId") || null;
        return id;
      },
      { layerFilter: (l) => l === this.layers.alerts, hitTolerance: 7 },
    );
    if (id) this.onSelect(id);
  }

  /** Re-render for this animation frame: rebuild what the state marked, move the
   * tracks. Returns whether anything was drawn. */
  frame(mapDirty) {
    const now = this.state.now();
    this.now = now;
    const rebuild = mapDirty || this.stale || this.alwaysRedraw;
    const newTracks = this.tracksShown !== this.state.tracks;
    const viewed = this.view.getResolution() !== this.drawnResolution;
    const moving = newTracks || viewed || this.moved(now);
    const tick = this.hasCountdowns && now - this.lastDraw >= 1000;
    if (!rebuild && !moving && !tick) return false;
    const t0 = performance.now();
    if (newTracks) this.setTracks();
    if (rebuild) {
      this.stale = false;
      this.buildZones();
      this.lastFrame.movements = [];
      this.buildDeclarations();
      this.buildAlerts();
    } else if (tick) {
      this.layers.alerts.changed();
    }
    this.layers.own.changed();
    this.layers.others.changed();
    this.drawnResolution = this.view.getResolution();
    this.movedAt = now;
    this.countOwn(now);
    this.updateLabels();
    // rendered now, in this animation frame, so that drawMs is OpenLayers' drawing too
    this.map.renderSync();
    this.lastFrame.drawMs = performance.now() - t0;
    this.lastFrame.at = now;
    this.lastDraw = now;
    this.frames++;
    return true;
  }

  /** Whether a track (own, or another party's in an alert) has moved half a pixel since
   * the tracks were last rendered. */
  moved(now) {
    const fastest = Math.max(this.state.tracks.fastest || 0, this.othersFastest || 0);
    if (!fastest) return false;
    const resolution = this.view.getResolution() || 1;
    return px(fastest * ((now - (this.movedAt || 0)) / 1000), 60, resolution) > 0.5;
  }

  /** Which own tracks are in view now (for the label rule and for the tests). */
  countOwn(now) {
    const tr = this.state.tracks;
    const ext = this.view.calculateExtent(this.map.getSize() || [800, 600]);
    const inView = [];
    for (let i = 0; i < tr.n; i++) {
      const dt = Math.max(0, (now - tr.t[i]) / 1000);
      const x = tr.x0[i] + tr.vx[i] * dt;
      const y = tr.y0[i] + tr.vy[i] * dt;
      if (x >= ext[0] && x <= ext[2] && y >= ext[1] && y <= ext[3]) inView.push(i);
    }
    this.inView = inView;
    this.lastFrame.own = inView.length;
    this.lastFrame.ownTotal = tr.n;
  }

  /** Ids of the own tracks in view in the last frame. */
  drawnOwnIds() {
    return this.inView.map((i) => this.state.tracks.ids[i]);
  }

  // -- own tracks ------------------------------------------------------------------

  /** Note new tracks (set when the tracks are polled); their labels are rebuilt. */
  setTracks() {
    this.tracksShown = this.state.tracks;
    this.labelled = null;
  }

  /** Label features (id and flight level) for the own tracks in view when no more than
   * LABELS_UP_TO are, none otherwise; rebuilt only when that set changes. The layer
   * declutters them; each one's position is dead-reckoned when the layer renders. */
  updateLabels() {
    const tr = this.state.tracks;
    const ids = this.inView.length <= LABELS_UP_TO ? this.inView : [];
    const key = ids.join(",");
    if (this.labelled === key) return;
    this.labelled = key;
    const features = ids.map((i) => {
      const f = new Feature(new Point([tr.x0[i], tr.y0[i]]));
      f.set("i", i);
      f.set("trackId", tr.ids[i]);
      return f;
    });
    this.replace("own", features);
  }

  labelStyle(f) {
    const tr = this.state.tracks;
    const i = f.get("i");
    if (i >= tr.n || tr.ids[i] !== f.get("trackId")) return null;
    const dt = Math.max(0, (this.now - tr.t[i]) / 1000);
    return new Style({
      geometry: new Point([tr.x0[i] + tr.vx[i] * dt, tr.y0[i] + tr.vy[i] * dt]),
      text: haloed(OWN, "10px system-ui, sans-serif", {
        text: `${tr.ids[i]} FL${Math.round(tr.alt[i] / 30.48)}`,
        offsetX: 8,
        offsetY: 9,
      }),
    });
  }

  /** Every own track's triangle and whisker onto the own layer's canvas (owntracks.js). */
  drawTracks(event) {
    this.lastFrame.ownDrawn = this.ownTracks.draw(event, this.state.tracks, this.now);
  }

  // -- zones -----------------------------------------------------------------------

  buildZones() {
    const party = this.state.party;
    const features = [];
    const ids = [];
    for (const z of this.state.zones.values()) {
      const p = z.properties;
      const geom = geometryOf(z.geometry, p.radius_m);
      if (!geom) continue;
      const rule = ruleFor(z, party);
      const colour = RULE_COLOURS[rule ? rule.action : "none"] || RULE_COLOURS.none;
      const agreed = p.status === "agreed";
      const isLine = z.geometry.type.endsWith("LineString");
      const f = new Feature(geom);
      f.set("zoneId", p.id);
      const label = `${p.name || p.id} (${t(`zone.${agreed ? "agreed" : "claimed"}`)})`;
      const shape = new Style({
        fill: isLine ? undefined : new Fill({ color: alpha(colour, agreed ? 0.14 : 0.07) }),
        stroke: new Stroke({
          color: colour,
          width: isLine ? 3 : agreed ? 2 : 1.5,
          lineDash: agreed ? undefined : [7, 5],
        }),
      });
      const text = new Style({
        text: new Text({
          text: label,
          font: "11px system-ui, sans-serif",
          fill: new Fill({ color: colour }),
          overflow: true,
        }),
      });
      f.setStyle((_, resolution) => (resolution < 6000 ? [shape, text] : shape));
      features.push(f);
      ids.push(p.id);
    }
    this.replace("zones", features);
    this.lastFrame.zones = ids;
  }

  // -- declarations ----------------------------------------------------------------

  /** A declared position or plan: its circle, route or volume, a cross on a protected
   * site, a movement's corridor (`width_m` wide, faint) and window. */
  declarationFeatures(feature, colour, dashed) {
    const p = feature.properties || {};
    const g = feature.geometry;
    const geom = geometryOf(g, g?.type === "Point" ? p.radius_m : 0);
    if (!geom) return [];
    const out = [];
    const f = new Feature(geom);
    f.set("declarationId", p.id);
    const isLine = g.type === "LineString";
    f.setStyle(
      new Style({
        fill: isLine ? undefined : new Fill({ color: alpha(colour, 0.1) }),
        stroke: new Stroke({ color: colour, width: 1.5, lineDash: dashed ? [4, 3] : undefined }),
      }),
    );
    out.push(f);
    if (p.kind === "protected" && g.type === "Point") {
      const c = new Feature(GEO.readGeometry(g));
      c.setStyle(new Style({ image: CROSS(colour) }));
      out.push(c);
    }
    if (p.kind === "movement" && isLine && g.coordinates.length) {
      const mid = g.coordinates[Math.floor(g.coordinates.length / 2)];
      const corridor = new Feature(GEO.readGeometry(g));
      corridor.setStyle(
        (_, resolution) =>
          new Style({
            stroke: new Stroke({
              color: alpha(colour, 0.2),
              width: Math.max(3, px(p.width_m || 0, mid[1], resolution)),
              lineJoin: "round",
              lineCap: "round",
            }),
          }),
      );
      out.push(corridor);
      const label = movementLabel(p);
      const l = new Feature(new Point(fromLonLat(mid)));
      l.setStyle(
        new Style({
          text: haloed(colour, "bold 11px system-ui, sans-serif", {
            text: label,
            offsetX: 6,
            offsetY: -6,
          }),
        }),
      );
      out.push(l);
      this.lastFrame.movements.push({ id: p.id, label });
    }
    return out;
  }

  buildDeclarations() {
    const features = [];
    for (const f of [...this.state.positions, ...this.state.intents]) {
      const kind = f.properties?.kind;
      const colour = kind === "strike" ? STRIKE_PLAN : OWN;
      features.push(...this.declarationFeatures(f, colour, kind === "strike" || kind === "volume"));
    }
    this.replace("declarations", features);
  }

  // -- alerts and the tracks they show ---------------------------------------------

  buildAlerts() {
    const party = this.state.party;
    const features = [];
    const others = [];
    const drawn = [];
    this.hasCountdowns = false;
    const list = [...this.state.alerts.values()].filter(
      (a) => isActive(a) || a.id === this.state.selected || a.kind === "declaration",
    );
    for (const a of list) {
      const colour = kindColour(a.kind);
      const selected = a.id === this.state.selected;
      const d = a.details || {};
      const width = selected ? 3 : 2;
      // own declarations come from the party's own lists, zones from the zone layer
      if (
        a.kind === "declaration" &&
        d.feature &&
        d.feature_kind !== "zone" &&
        d.declared_by !== party
      ) {
        for (const f of this.declarationFeatures(d.feature, colour, true)) {
          f.set("alertId", a.id);
          features.push(f);
        }
      }
      if (a.kind === "strike-proximity" && d.radius_m > 0) {
        const f = new Feature(geometryOf({ type: "Point", coordinates: [a.lon, a.lat] }, d.radius_m));
        f.setStyle(
          new Style({
            fill: new Fill({ color: alpha(colour, 0.15) }),
            stroke: new Stroke({ color: colour, width }),
          }),
        );
        f.set("alertId", a.id);
        features.push(f);
      }
      if (a.geometry && a.kind !== "declaration") {
        const geom = geometryOf(a.geometry, 0);
        if (geom) {
          const f = new Feature(geom);
          const dots = new CircleStyle({ radius: 3.5, fill: new Fill({ color: colour }) });
          const styles = [new Style({ stroke: new Stroke({ color: colour, width }) })];
          if (a.geometry.type === "Point") styles.push(new Style({ image: dots }));
          f.setStyle(styles);
          f.set("alertId", a.id);
          features.push(f);
          if (a.geometry.type === "LineString") {
            for (const c of a.geometry.coordinates) {
              const v = new Feature(new Point(fromLonLat(c)));
              v.setStyle(new Style({ image: dots }));
              v.set("alertId", a.id);
              features.push(v);
            }
          }
        }
      }
      for (const tr of alertTracks(a, party)) {
        others.push({ id: tr.id, party: tr.party, alert: a.id, track: tr, t0: trackTime(tr, a) });
      }
      const ring = new Feature(new Point(fromLonLat([a.lon, a.lat])));
      ring.set("alertId", a.id);
      const ringImage = new CircleStyle({
        radius: selected ? 9 : 7,
        stroke: new Stroke({ color: colour, width }),
        fill: new Fill({ color: "rgba(255,255,255,0.01)" }),
      });
      ring.setStyle(
        () =>
          new Style({
            image: ringImage,
            text: haloed(colour, "bold 11px system-ui, sans-serif", {
              text: this.alertLabel(a),
              offsetX: 11,
              offsetY: -9,
            }),
          }),
      );
      features.push(ring);
      if (isActive(a)) this.hasCountdowns = true;
      drawn.push(a.id);
    }
    this.replace("alerts", features);
    this.buildOthers(others);
    this.lastFrame.alerts = drawn;
    this.lastFrame.others = others.map(({ id, party: p, alert }) => ({ id, party: p, alert }));
  }

  /** "T−m:ss" to a live alert's time, its clock time once past, the kind for a
   * declaration. */
  alertLabel(a) {
    if (a.kind === "declaration") return t(`kind.${a.kind}`);
    const left = (happensAt(a) - this.now) / 1000;
    return isActive(a) && left > 0 ? `T−${duration(left)}` : clock(happensAt(a));
  }

  /** Another party's tracks as alerts show them, dead-reckoned from the alert's time. */
  buildOthers(others) {
    this.othersFastest = Math.max(0, ...others.map((o) => o.track.gs_mps || 0));
    const features = others.map((o) => {
      const f = new Feature(new Point(fromLonLat([o.track.lon, o.track.lat])));
      f.set("trackId", o.id);
      f.setStyle(() => this.otherStyle(o));
      return f;
    });
    this.replace("others", features);
  }

  otherStyle({ track: tr, t0 }) {
    const hasV = typeof tr.gs_mps === "number" && typeof tr.track_deg === "number";
    const dt = hasV && Number.isFinite(t0) ? Math.max(0, (this.now - t0) / 1000) : 0;
    const a = (hasV ? tr.track_deg : 0) * D2R;
    const k = MERCATOR_PER_TRUE / Math.max(0.05, Math.cos(tr.lat * D2R));
    const vx = hasV ? tr.gs_mps * Math.sin(a) * k : 0;
    const vy = hasV ? tr.gs_mps * Math.cos(a) * k : 0;
    const [x0, y0] = fromLonLat([tr.lon, tr.lat]);
    const x = x0 + vx * dt;
    const y = y0 + vy * dt;
    const at = new Point([x, y]);
    const styles = [
      new Style({
        geometry: at,
        image: triangle(OTHER, hasV ? tr.track_deg : 0, 8),
        text: haloed(OTHER, "11px system-ui, sans-serif", {
          text: `${tr.id} (${tr.party})`,
          offsetX: 8,
          offsetY: 14,
        }),
      }),
    ];
    if (hasV) {
      styles.unshift(
        new Style({
          geometry: new LineString([
            [x, y],
            [x + vx * WHISKER_S, y + vy * WHISKER_S],
          ]),
          stroke: new Stroke({ color: OTHER, width: 1.5 }),
        }),
      );
    }
    return styles;
  }

  replace(name, features) {
    const src = this.layers[name].getSource();
    src.clear(true);
    src.addFeatures(features);
  }
}

function trackTime(tr, alert) {
  const t0 = tr.time ? Date.parse(tr.time) : NaN;
  return Number.isFinite(t0) ? t0 : alert.updated_at ? Date.parse(alert.updated_at) : NaN;
}
