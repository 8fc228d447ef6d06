import { ACTIVE_STATES, FINAL_RESPONSES, hasCue } from "./meta.js";

/** EPSG:3857's sphere (m) and the mean Earth radius (m) true distances are counted on. */
const WEB_MERCATOR_R = 6378137;
const EARTH_R = 6371008.8;
/** Web Mercator metres per true metre on the equator (over cos φ elsewhere). */
export const MERCATOR_PER_TRUE = WEB_MERCATOR_R / EARTH_R;

/** EPSG:3857 x (m) of a longitude in degrees. */
export function mx(lonDeg) {
  return (WEB_MERCATOR_R * lonDeg * Math.PI) / 180;
}

/** EPSG:3857 y (m) of a latitude in degrees (clamped to ±85°). */
export function my(latDeg) {
  const lat = (Math.max(-85, Math.min(85, latDeg)) * Math.PI) / 180;
  return WEB_MERCATOR_R * Math.log(Math.tan(Math.PI / 4 + lat / 2));
}

// What the page knows, and which parts of the screen must be redrawn.
// Every update marks what it touched; the frame loop redraws those parts once per
// animation frame, however many updates came in between.

/** Milliseconds of an ISO 8601 time, NaN for null. */
export function ms(iso) {
  return iso ? Date.parse(iso) : NaN;
}

/** Whether an alert is still live. */
export function isActive(alert) {
  return ACTIVE_STATES.has(alert.state);
}

/** POSIX ms at which the alert's conflict is predicted to happen. */
export function happensAt(alert) {
  return ms(alert.updated_at) + 1000 * (alert.t || 0);
}

/** Whether `party` still owes a final answer to `alert`. */
export function owesAnswer(alert, party) {
  if (!isActive(alert)) return false;
  const awaiting = alert.awaiting ?? alert.parties;
  if (!awaiting.includes(party)) return false;
  const ack = alert.acks?.[party];
  return !ack || !FINAL_RESPONSES.has(ack.response);
}

/**
 * When an alert needs attention, POSIX ms: the earlier of its answer deadline (while
 * `party` owes an answer) and the time it happens (while that is ahead).
 */
export function urgency(alert, party, now) {
  let at = Infinity;
  if (owesAnswer(alert, party) && alert.deadline) at = ms(alert.deadline);
  const happens = happensAt(alert);
  if (happens > now) at = Math.min(at, happens);
  return at;
}

/**
 * Inbox order: live alerts first — those of a cued kind (a stop request) I owe an answer,
 * then escalated, then those I still owe an answer, each by
 * urgency (see `urgency`), newest first on ties; then closed ones, latest closed first.
 */
export function inboxOrder(alerts, party, now = Date.now()) {
  const live = (a) => (isActive(a) ? 0 : 1);
  return [...alerts].sort((a, b) => {
    if (live(a) !== live(b)) return live(a) - live(b);
    if (!isActive(a)) return ms(b.closed_at ?? b.updated_at) - ms(a.closed_at ?? a.updated_at);
    const ca = hasCue(a.kind) && owesAnswer(a, party);
    const cb = hasCue(b.kind) && owesAnswer(b, party);
    if (ca !== cb) return ca ? -1 : 1;
    if (a.escalated !== b.escalated) return a.escalated ? -1 : 1;
    const oa = owesAnswer(a, party);
    const ob = owesAnswer(b, party);
    if (oa !== ob) return oa ? -1 : 1;
    const ua = urgency(a, party, now);
    const ub = urgency(b, party, now);
    if (ua !== ub && Math.abs(ua - ub) > 500) return ua < ub ? -1 : 1;
    return ms(b.raised_at) - ms(a.raised_at);
  });
}

/** Own tracks as arrays, ready to dead-reckon (ms, degrees, m/s). */
export class TrackSet {
  constructor(items = []) {
    const n = items.length;
    this.n = n;
    this.ids = new Array(n);
    this.lat = new Float64Array(n);
    this.lon = new Float64Array(n);
    this.t = new Float64Array(n);
    this.alt = new Float64Array(n);
    this.gs = new Float64Array(n);
    this.trk = new Float64Array(n);
    this.ve = new Float64Array(n);
    this.vn = new Float64Array(n);
    // EPSG:3857 position (m) at the report and velocity (m/s: true velocity over cos φ,
    // in that sphere's metres), so that a frame dead-reckons with two multiply-adds.
    this.x0 = new Float64Array(n);
    this.y0 = new Float64Array(n);
    this.vx = new Float64Array(n);
    this.vy = new Float64Array(n);
    let fastest = 0;
    for (let i = 0; i < n; i++) {
      const it = items[i];
      this.ids[i] = it.id;
      this.lat[i] = it.lat;
      this.lon[i] = it.lon;
      this.t[i] = Date.parse(it.time);
      this.alt[i] = it.alt_m;
      this.gs[i] = it.gs_mps;
      this.trk[i] = it.track_deg;
      const a = (it.track_deg * Math.PI) / 180;
      this.ve[i] = it.gs_mps * Math.sin(a);
      this.vn[i] = it.gs_mps * Math.cos(a);
      const k = MERCATOR_PER_TRUE / Math.max(0.05, Math.cos((it.lat * Math.PI) / 180));
      this.x0[i] = mx(it.lon);
      this.y0[i] = my(it.lat);
      this.vx[i] = this.ve[i] * k;
      this.vy[i] = this.vn[i] * k;
      if (it.gs_mps > fastest) fastest = it.gs_mps;
    }
    this.fastest = fastest;
  }
}

/** The page's state for one logged-in party. */
export class State {
  constructor() {
    this.party = null;
    this.officer = null; // the officer logged in ({ name, role }), null for a party token
    this.roster = []; // the duty roster per party: [{ party, officers: [{ name, present }] }]
    this.language = "en";
    this.alerts = new Map();
    this.tracks = new TrackSet();
    this.zones = new Map();
    this.positions = [];
    this.intents = [];
    this.messages = [];
    this.channel = { state: "open", suspended: [], parties: {}, history: [] };
    this.head = null;
    this.headCheck = null; // the page's own check of the head (logcheck.js)
    this.receipts = [];
    this.skewMs = 0; // server clock minus this clock, when they differ by over 2 s
    this.clock = null; // the service's clock from the hello: { at, rate, seen } (POSIX ms)
    this.selected = null;
    this.connection = "connecting";
    this.dirty = new Set(["all"]);
  }

  /** Mark parts of the screen to redraw on the next frame. */
  mark(...parts) {
    for (const p of parts) this.dirty.add(p);
  }

  /** The parts marked since the last call, and clear them. */
  take() {
    const parts = this.dirty;
    this.dirty = new Set();
    if (parts.has("all")) {
      return new Set(["map", "inbox", "channel", "messages", "record", "zones", "header"]);
    }
    return parts;
  }

  /** The service's clock now, POSIX ms: from the clock the stream's hello gave (its time
   * and rate, e.g. 10 in a demo at 10x), else this clock corrected by the server's Date. */
  now() {
    if (this.clock) return this.clock.at + (Date.now() - this.clock.seen) * this.clock.rate;
    return Date.now() + this.skewMs;
  }

  setClock(clock) {
    const at = clock ? Date.parse(clock.now) : NaN;
    const rate = clock ? Number(clock.rate) : NaN;
    this.clock = Number.isFinite(at) && Number.isFinite(rate) && rate >= 0
      ? { at, rate, seen: Date.now() }
      : null;
  }

  noteServerDate(header) {
    const at = header ? Date.parse(header) : NaN;
    if (Number.isFinite(at)) {
      const skew = at - Date.now();
      this.skewMs = Math.abs(skew) > 2000 ? skew : 0;
    }
  }

  setHello(hello) {
    this.party = hello.party;
    this.officer = hello.officer ? { name: hello.officer, role: hello.role } : null;
    this.roster = hello.roster || [];
    this.language = hello.language || "en";
    this.alerts = new Map(hello.alerts.map((a) => [a.id, a]));
    this.channel = hello.channel;
    this.setClock(hello.clock);
    this.receipts = loadReceipts(this.party);
    this.mark("all");
  }

  setRoster(roster) {
    this.roster = roster || [];
    this.mark("header");
  }

  /** Whether the one logged in may answer and write (a viewer officer may not). */
  canWrite() {
    return this.officer?.role !== "viewer";
  }

  upsertAlert(alert) {
    this.alerts.set(alert.id, alert);
    this.mark("inbox", "map");
  }

  setTracks(items) {
    this.tracks = new TrackSet(items);
    this.mark("map", "header");
  }

  setZones(features) {
    this.zones = new Map(features.map((f) => [f.properties.id, f]));
    this.mark("map", "zones");
  }

  upsertZone(feature) {
    this.zones.set(feature.properties.id, feature);
    this.mark("map", "zones");
  }

  setDeclarations(positions, intents) {
    this.positions = positions;
    this.intents = intents;
    this.mark("map");
  }

  addMessages(list) {
    const seen = new Set(this.messages.map((m) => m.id));
    for (const m of list) {
      if (!seen.has(m.id)) {
        this.messages.push(m);
        seen.add(m.id);
      }
    }
    this.messages.sort((a, b) => ms(a.at) - ms(b.at));
    this.mark("messages");
  }

  setChannel(channel) {
    this.channel = channel;
    this.mark("channel", "messages");
  }

  setHead(head) {
    this.head = head;
    this.mark("record");
  }

  setHeadCheck(check) {
    this.headCheck = check;
    this.mark("record");
  }

  addReceipt(alert, response, receipt) {
    this.receipts.unshift({ alert: alert.id, kind: alert.kind, response, receipt });
    saveReceipts(this.party, this.receipts);
    this.mark("record");
  }

  /** Other parties on the line (from the channel state), for messages. */
  others() {
    return Object.keys(this.channel.parties || {}).filter((p) => p !== this.party);
  }
}

function receiptsKey(party) {
  return `deconflict.receipts.${party}`;
}

function loadReceipts(party) {
  try {
    const raw = localStorage.getItem(receiptsKey(party));
    const list = raw ? JSON.parse(raw) : [];
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function saveReceipts(party, list) {
  try {
    localStorage.setItem(receiptsKey(party), JSON.stringify(list.slice(0, 500)));
  } catch {
    // storage full or disabled: the receipts stay for this page's life
  }
}
