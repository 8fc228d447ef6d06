// Declaring from the map: a protected site or forces position (Point + radius_m), a
// movement (LineString + width_m, start, end), a zone (Polygon, or a circle: Point +
// radius_m; one rule, an altitude band, validity) or a strike plan (Point + radius_m,
// start, end). The officer draws it with ol/interaction/Draw, fills a form checked
// against the service's bounds (GET /v1/meta `bounds`) before anything is sent, and sees
// the service's refusal or its receipt. The party's own declarations can be amended
// (the same id re-POSTed replaces it) and withdrawn (DELETE, after a confirm).

import { Draw, GeoJSON, VectorLayer, VectorSource } from "../vendor/ol.js";
import { t } from "./i18n.js";
import { BOUNDS } from "./meta.js";

const GEO = new GeoJSON({ featureProjection: "EPSG:3857" });

/** Each type: the endpoint, the geometry drawn, the fields its form shows. */
export const TYPES = {
  protected: { endpoint: "positions", draw: "Point", fields: ["radius"] },
  forces: { endpoint: "positions", draw: "Point", fields: ["radius"] },
  movement: { endpoint: "intents", draw: "LineString", fields: ["width", "start", "end"] },
  zone: {
    endpoint: "zones",
    draw: "Polygon",
    fields: ["shape", "name", "parties", "rule", "alt", "valid"],
  },
  strike: { endpoint: "intents", draw: "Point", fields: ["radius", "start", "end"] },
};

const $ = (id) => document.getElementById(id);

function within(name, value, range) {
  if (!Number.isFinite(value)) return t("declare.bad_number", { field: name });
  if (value < range[0] || value > range[1]) {
    return t("declare.out_of_bounds", { field: name, lo: range[0], hi: range[1] });
  }
  return null;
}

function timeOf(name, text, required) {
  if (!text) return required ? { error: t("declare.required", { field: name }) } : { ms: NaN };
  const ms = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) || !Number.isFinite(ms)) {
    return { error: t("declare.bad_time", { field: name }) };
  }
  const range = BOUNDS.declarations.time_s;
  if (ms / 1000 < range[0] || ms / 1000 > range[1]) {
    return { error: t("declare.out_of_bounds", { field: name, lo: "1970", hi: "2100" }) };
  }
  return { ms };
}

/**
 * The GeoJSON Feature the form describes, or `{ error }` naming the first field out of
 * the service's bounds. `form` holds the raw field texts; `geometry` is GeoJSON (lon/lat).
 */
export function buildFeature(type, form, geometry) {
  const spec = TYPES[type];
  if (!spec) return { error: t("declare.required", { field: "type" }) };
  const id = (form.id || "").trim();
  if (!id) return { error: t("declare.required", { field: "id" }) };
  if (id.length > BOUNDS.max_id_chars) {
    return { error: t("declare.out_of_bounds", { field: "id", lo: 1, hi: BOUNDS.max_id_chars }) };
  }
  if (!geometry) return { error: t("declare.no_geometry") };
  const props = { id };
  const D = BOUNDS.declarations;
  const num = (text) => (text === "" || text === undefined ? NaN : Number(text));
  if (type === "protected" || type === "forces" || type === "strike" || (type === "zone" && geometry.type === "Point")) {
    const r = num(form.radius);
    const err = within("radius_m", r, D.radius_m) || (type !== "protected" && type !== "forces" && !(r > 0) ? t("declare.out_of_bounds", { field: "radius_m", lo: "> 0", hi: D.radius_m[1] }) : null);
    if (err) return { error: err };
    props.radius_m = r;
  }
  if (type === "protected" || type === "forces" || type === "strike") props.kind = type;
  if (type === "movement") {
    props.kind = "movement";
    const w = num(form.width);
    const err = within("width_m", w, BOUNDS.movement.width_m);
    if (err) return { error: err };
    props.width_m = w;
  }
  if (type === "movement" || type === "strike") {
    const s = timeOf("start", form.start, true);
    if (s.error) return { error: s.error };
    const e = timeOf("end", form.end, true);
    if (e.error) return { error: e.error };
    if (!(e.ms > s.ms)) return { error: t("declare.end_before_start") };
    if (type === "movement" && (e.ms - s.ms) / 1000 > BOUNDS.movement.duration_s[1]) {
      return { error: t("declare.out_of_bounds", { field: "end − start", lo: 0, hi: `${BOUNDS.movement.duration_s[1]} s` }) };
    }
    props.start = form.start;
    props.end = form.end;
  }
  if (type === "zone") {
    props.status = "claimed";
    const parties = (form.parties || "").split(/[\s,]+/).filter(Boolean);
    if (!parties.length) return { error: t("declare.required", { field: "parties" }) };
    if (new Set(parties).size !== parties.length || parties.length > 100) {
      return { error: t("declare.out_of_bounds", { field: "parties", lo: 1, hi: 100 }) };
    }
    props.parties = parties;
    if (form.name) props.name = form.name.slice(0, BOUNDS.max_name_chars);
    const rule = { party: (form.ruleParty || "*").trim() || "*", action: form.action || "notify" };
    if (form.lead !== "" && form.lead !== undefined) {
      const lead = num(form.lead);
      const err = within("lead_s", lead, D.lead_s);
      if (err) return { error: err };
      rule.lead_s = lead;
    }
    props.rules = [rule];
    for (const [field, text] of [["alt_min_m", form.altMin], ["alt_max_m", form.altMax]]) {
      if (text === "" || text === undefined) continue;
      const v = num(text);
      const err = within(field, v, D.alt_m);
      if (err) return { error: err };
      props[field] = v;
    }
    if (props.alt_min_m !== undefined && props.alt_max_m !== undefined && props.alt_min_m > props.alt_max_m) {
      return { error: t("declare.alt_order") };
    }
    const from = timeOf("valid_from", form.validFrom, false);
    if (from.error) return { error: from.error };
    const to = timeOf("valid_to", form.validTo, false);
    if (to.error) return { error: to.error };
    if (form.validFrom) props.valid_from = form.validFrom;
    if (form.validTo) props.valid_to = form.validTo;
    if (Number.isFinite(from.ms) && Number.isFinite(to.ms) && !(to.ms > from.ms)) {
      return { error: t("declare.end_before_start") };
    }
  }
  return { feature: { type: "Feature", geometry, properties: props } };
}

/** The declaring control over the map. */
export class Declare {
  /**
   * @param mapView the MapView (its `map` is the ol/Map drawn on)
   * @param state the page's State
   * @param hooks `{ api(), refresh(endpoint), toast(text) }`
   */
  constructor(mapView, state, hooks) {
    this.mapView = mapView;
    this.state = state;
    this.hooks = hooks;
    this.geometry = null;
    this.draw = null;
    this.sketch = new VectorSource();
    this.layer = new VectorLayer({ source: this.sketch, zIndex: 60 });
    mapView.map.addLayer(this.layer);
    this.bind();
  }

  /** Whether the one logged in may declare (a viewer may not). */
  allowed() {
    return this.state.canWrite();
  }

  /** Show or hide the control with the login's role. */
  render() {
    $("declare-open").hidden = !this.allowed();
    if (!this.allowed()) this.close();
    else if (!$("declare-panel").hidden) this.renderOwn();
  }

  type() {
    return $("declare-type").value;
  }

  bind() {
    $("declare-open").addEventListener("click", () => this.open());
    $("declare-cancel").addEventListener("click", () => this.close());
    $("declare-type").addEventListener("change", () => this.showFields());
    $("declare-shape").addEventListener("change", () => this.showFields());
    $("declare-draw").addEventListener("click", () => this.startDraw());
    $("declare-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.send();
    });
    $("declare-own").addEventListener("click", (ev) => {
      const btn = ev.target.closest("button");
      const li = ev.target.closest("li");
      if (!btn || !li) return;
      if (btn.classList.contains("amend")) this.amend(li.dataset.endpoint, li.dataset.id);
      if (btn.classList.contains("withdraw")) this.withdraw(li.dataset.endpoint, li.dataset.id);
    });
  }

  open() {
    if (!this.allowed()) return;
    $("declare-panel").hidden = false;
    $("declare-id").readOnly = false;
    if (!$("declare-parties").value) {
      const names = this.state.roster.map((r) => r.party).filter(Boolean);
      $("declare-parties").value = (names.length ? names : [this.state.party]).join(", ");
    }
    this.showFields();
    this.renderOwn();
  }

  close() {
    $("declare-panel").hidden = true;
    this.stopDraw();
    this.sketch.clear();
    this.geometry = null;
    $("declare-form").reset();
    this.say("", "");
  }

  drawType() {
    const type = this.type();
    if (type === "zone" && $("declare-shape").value === "circle") return "Point";
    return TYPES[type].draw;
  }

  showFields() {
    const spec = TYPES[this.type()];
    const circle = this.type() === "zone" && $("declare-shape").value === "circle";
    for (const el of document.querySelectorAll("#declare-form [data-field]")) {
      const f = el.dataset.field;
      el.hidden = !(spec.fields.includes(f) || (f === "radius" && circle));
    }
    // a drawn geometry of another type no longer fits
    if (this.geometry && this.geometry.type !== this.drawType()) {
      this.geometry = null;
      this.sketch.clear();
    }
    this.showGeometry();
  }

  showGeometry() {
    $("declare-geometry").textContent = this.geometry
      ? t("declare.drawn", { type: this.geometry.type })
      : t("declare.not_drawn");
  }

  startDraw() {
    this.stopDraw();
    this.sketch.clear();
    this.geometry = null;
    this.draw = new Draw({ source: this.sketch, type: this.drawType(), stopClick: true });
    this.draw.on("drawend", (ev) => {
      this.geometry = GEO.writeGeometryObject(ev.feature.getGeometry(), { decimals: 7 });
      this.showGeometry();
      // after this event the sketch is added to the source; stop drawing then
      setTimeout(() => this.stopDraw(), 0);
    });
    this.mapView.map.addInteraction(this.draw);
    $("declare-geometry").textContent = t("declare.drawing");
  }

  stopDraw() {
    if (this.draw) this.mapView.map.removeInteraction(this.draw);
    this.draw = null;
  }

  formValues() {
    const v = (id) => $(id).value.trim();
    return {
      id: v("declare-id"),
      radius: v("declare-radius"),
      width: v("declare-width"),
      start: v("declare-start"),
      end: v("declare-end"),
      name: v("declare-name"),
      parties: v("declare-parties"),
      ruleParty: v("declare-rule-party"),
      action: v("declare-action"),
      lead: v("declare-lead"),
      altMin: v("declare-alt-min"),
      altMax: v("declare-alt-max"),
      validFrom: v("declare-valid-from"),
      validTo: v("declare-valid-to"),
    };
  }

  say(error, receipt) {
    $("declare-error").textContent = error;
    $("declare-error").hidden = !error;
    $("declare-receipt").textContent = receipt;
    $("declare-receipt").hidden = !receipt;
  }

  async send() {
    const type = this.type();
    const built = buildFeature(type, this.formValues(), this.geometry);
    if (built.error) {
      this.say(built.error, "");
      return;
    }
    const endpoint = TYPES[type].endpoint;
    try {
      const res = await this.hooks.api().declare(endpoint, built.feature);
      this.sketch.clear();
      this.geometry = null;
      this.showGeometry();
      $("declare-id").readOnly = false;
      await this.refreshed(endpoint);
      this.say("", `${t("declare.sent", { id: built.feature.properties.id })}\n${JSON.stringify(res.receipt ?? res, null, 1)}`);
    } catch (err) {
      this.say(t("declare.refused", { status: err.status ?? "", message: err.message }), "");
    }
  }

  /** Read the party's declarations at `endpoint` again (a failure leaves the next poll
   * to do it) and list them. */
  async refreshed(endpoint) {
    try {
      await this.hooks.refresh(endpoint);
    } catch (err) {
      this.hooks.toast(t("error", { message: err.message || String(err) }));
    }
    this.renderOwn();
  }

  /** The party's own declarations, each with Amend and Withdraw. */
  own() {
    const party = this.state.party;
    const out = [];
    for (const f of this.state.positions) out.push(["positions", f]);
    for (const f of this.state.intents) out.push(["intents", f]);
    for (const z of this.state.zones.values()) {
      if (z.properties?.owner === party) out.push(["zones", z]);
    }
    return out;
  }

  renderOwn() {
    const ul = $("declare-own");
    ul.replaceChildren();
    for (const [endpoint, f] of this.own()) {
      const li = document.createElement("li");
      li.dataset.id = f.properties.id;
      li.dataset.endpoint = endpoint;
      const name = document.createElement("span");
      name.textContent = `${f.properties.id} (${f.properties.kind || "zone"})`;
      const amend = document.createElement("button");
      amend.type = "button";
      amend.className = "amend";
      amend.textContent = t("declare.amend");
      const withdraw = document.createElement("button");
      withdraw.type = "button";
      withdraw.className = "withdraw";
      withdraw.textContent = t("declare.withdraw");
      li.append(name, amend, withdraw);
      ul.append(li);
    }
  }

  find(endpoint, id) {
    return this.own().find(([e, f]) => e === endpoint && f.properties.id === id)?.[1];
  }

  /** Fill the form with a declaration of the party's own; sending replaces it. */
  amend(endpoint, id) {
    const f = this.find(endpoint, id);
    if (!f) return;
    const p = f.properties;
    const type = endpoint === "zones" ? "zone" : p.kind;
    if (!TYPES[type]) return;
    $("declare-type").value = type;
    $("declare-shape").value = f.geometry.type === "Point" ? "circle" : "polygon";
    const set = (elId, value) => {
      $(elId).value = value === undefined || value === null ? "" : String(value);
    };
    set("declare-id", p.id);
    $("declare-id").readOnly = true;
    set("declare-radius", p.radius_m);
    set("declare-width", p.width_m);
    set("declare-start", p.start);
    set("declare-end", p.end);
    set("declare-name", p.name);
    set("declare-parties", (p.parties || []).join(", "));
    const rule = (p.rules || [])[0] || {};
    set("declare-rule-party", rule.party || "*");
    set("declare-action", rule.action || "notify");
    set("declare-lead", rule.lead_s);
    set("declare-alt-min", p.alt_min_m);
    set("declare-alt-max", p.alt_max_m);
    set("declare-valid-from", p.valid_from);
    set("declare-valid-to", p.valid_to);
    this.stopDraw();
    this.sketch.clear();
    this.geometry = f.geometry;
    this.sketch.addFeature(GEO.readFeature({ type: "Feature", geometry: f.geometry, properties: {} }));
    this.showFields();
    this.say("", "");
  }

  async withdraw(endpoint, id) {
    if (!window.confirm(t("declare.confirm_withdraw", { id }))) return;
    try {
      const res = await this.hooks.api().withdraw(endpoint, id);
      await this.refreshed(endpoint);
      this.say("", `${t("declare.withdrawn", { id })}\n${JSON.stringify(res.receipt ?? res, null, 1)}`);
    } catch (err) {
      this.say(t("declare.refused", { status: err.status ?? "", message: err.message }), "");
    }
  }
}
