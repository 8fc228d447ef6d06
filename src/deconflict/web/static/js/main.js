// The duty officer's screen: login, the live stream, polling, and the frame loop that
// redraws what changed once per animation frame.

import { Api, Stream } from "./api.js";
import { LANGUAGES, setLanguage, t } from "./i18n.js";
import { Declare } from "./declare.js";
import { LogCheck } from "./logcheck.js";
import { MapView } from "./map.js";
import { Panels, download, tickCountdowns } from "./panels.js";
import { playCue } from "./cue.js";
import { hasCue } from "./meta.js";
import { State, owesAnswer } from "./state.js";

const TRACK_POLL_MS = 1000;
const DECLARATION_POLL_MS = 10000;
const $ = (id) => document.getElementById(id);

const state = new State();
let api = null;
let stream = null;
let map = null;
let declare = null;
let panels = null;
let timers = [];
let headTimer = null;
let logCheck = null;
let lastTick = 0;
let fittedTracks = false;

// -- language ---------------------------------------------------------------------------

function storedLanguage(party) {
  try {
    return localStorage.getItem(party ? `deconflict.lang.${party}` : "deconflict.lang");
  } catch {
    return null;
  }
}

function applyLanguage(lang, remember) {
  const chosen = setLanguage(lang);
  if (remember) {
    try {
      localStorage.setItem("deconflict.lang", chosen);
      if (state.party) localStorage.setItem(`deconflict.lang.${state.party}`, chosen);
    } catch {
      // no storage: the choice lasts for this page
    }
  }
  for (const sel of document.querySelectorAll(".language-select")) sel.value = chosen;
  if (panels) panels.inboxItems.forEach((el) => el.remove());
  if (panels) panels.inboxItems.clear();
  state.mark("all");
  if (map) map.invalidate();
}

// -- messages to the user ---------------------------------------------------------------

let toastTimer = null;
function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 6000);
}

function failed(err) {
  toast(t("error", { message: err.message || String(err) }));
}

// -- login ------------------------------------------------------------------------------

/** A token given in the address's fragment (`/#token=...`), removed from the address. */
function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

function showLogin(message) {
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

function login(token) {
  logout(false);
  api = new Api(token, (date) => state.noteServerDate(date));
  stream = new Stream(token, {
    onEvent,
    onState: (s) => {
      state.connection = s;
      state.mark("header");
    },
    onRefused: () => {
      logout(false);
      showLogin(t("login.refused"));
    },
  });
  try {
    sessionStorage.setItem("deconflict.token", token);
  } catch {
    // no storage: a reload asks for the token again
  }
  $("login").hidden = true;
  $("app").hidden = false;
  map.resize();
  stream.open();
}

function logout(forget = true) {
  if (stream) stream.close();
  stream = null;
  api = null;
  logCheck = null;
  for (const timer of timers) clearTimeout(timer);
  timers = [];
  if (forget) {
    try {
      sessionStorage.removeItem("deconflict.token");
    } catch {
      // nothing stored
    }
  }
}

// -- the stream -------------------------------------------------------------------------

function onEvent(ev) {
  switch (ev.type) {
    case "hello": {
      const first = state.party !== ev.party;
      state.setHello(ev);
      if (api && (!logCheck || logCheck.api !== api)) logCheck = new LogCheck(api, ev.party);
      if (first) {
        const lang = storedLanguage(ev.party) || ev.language || "en";
        applyLanguage(LANGUAGES.includes(lang) ? lang : "en", false);
      }
      startPolling();
      break;
    }
    case "alert":
      if (!state.alerts.has(ev.alert.id) && hasCue(ev.alert.kind)) {
        if (owesAnswer(ev.alert, state.party)) playCue();
      }
      state.upsertAlert(ev.alert);
      refreshHeadSoon();
      break;
    case "roster":
      state.setRoster(ev.roster);
      break;
    case "channel":
      state.setChannel(ev.channel);
      refreshHeadSoon();
      break;
    case "message":
      state.addMessages([ev.message]);
      refreshHeadSoon();
      break;
    case "zone":
      state.upsertZone(ev.zone);
      refreshHeadSoon();
      break;
    case "closed":
      toast(ev.reason || "closed");
      break;
    default:
      break;
  }
}

// -- polling ----------------------------------------------------------------------------

function every(ms, fn) {
  const run = async () => {
    const current = api;
    try {
      await fn();
    } catch (err) {
      if (err.status === 401) {
        logout();
        showLogin(t("login.refused"));
        return;
      }
    }
    if (api === current && api) timers.push(setTimeout(run, ms));
  };
  run();
}

function startPolling() {
  for (const timer of timers) clearTimeout(timer);
  timers = [];
  const current = api;
  every(TRACK_POLL_MS, async () => {
    const body = await current.tracks();
    state.setTracks(body.tracks);
    if (!fittedTracks && body.tracks.length) {
      fittedTracks = true;
      map.fitAll();
    }
  });
  every(DECLARATION_POLL_MS, async () => {
    const [positions, intents] = await Promise.all([current.positions(), current.intents()]);
    state.setDeclarations(positions.features, intents.features);
  });
  current.zones().then((z) => state.setZones(z.features), failed);
  current.messages().then((m) => state.addMessages(m.messages), failed);
  refreshHead();
}

async function refreshHead() {
  if (!api) return;
  const current = api;
  const check = logCheck;
  try {
    const head = await current.head();
    if (api !== current) return;
    state.setHead(head);
    // every head is checked against the last one this page saw, before it counts
    if (check) state.setHeadCheck(await check.check(head));
  } catch (err) {
    failed(err);
  }
}

function refreshHeadSoon() {
  if (headTimer) return;
  headTimer = setTimeout(() => {
    headTimer = null;
    refreshHead();
  }, 500);
}

// -- actions ----------------------------------------------------------------------------

/** "lat, lon" (degrees) as a GeoJSON Point; anything else is sent as typed (JSON) for the
 * service to refuse naming it. */
function pointOf(text) {
  const m = text.match(/^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$/);
  if (m) return { type: "Point", coordinates: [Number(m[2]), Number(m[1])] };
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const actions = {
  async stop(subject, owner) {
    try {
      const res = await api.stop(subject, owner);
      state.upsertAlert(res.alert);
      toast(t("stop.sent", { subject }));
    } catch (err) {
      failed(err);
    }
  },
  async answer(alert, response, text, understood) {
    try {
      const at = understood && response === "wilco" ? pointOf(understood) : null;
      const res = await api.ack(alert.id, response, text, at);
      state.upsertAlert(res.alert);
      state.addReceipt(res.alert, response, res.receipt);
      refreshHeadSoon();
    } catch (err) {
      failed(err);
    }
  },
  select(id) {
    state.selected = state.selected === id ? null : id;
    const alert = state.alerts.get(id);
    if (state.selected && alert) map.focus(alert);
    state.mark("inbox", "map");
    if (state.selected) showTab("inbox");
  },
  async suspend(reason) {
    try {
      state.setChannel((await api.suspend(reason)).channel);
    } catch (err) {
      failed(err);
    }
  },
  async resume() {
    try {
      state.setChannel((await api.resume()).channel);
    } catch (err) {
      failed(err);
    }
  },
  async consent(zoneId) {
    try {
      state.upsertZone((await api.consent(zoneId)).zone);
    } catch (err) {
      failed(err);
    }
  },
};

function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) {
    b.classList.toggle("active", b.dataset.tab === name);
  }
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== `tab-${name}`;
}

function bindControls() {
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = $("token").value.trim();
    if (token) login(token);
  });
  $("logout").addEventListener("click", () => {
    logout();
    location.reload();
  });
  for (const sel of document.querySelectorAll(".language-select")) {
    sel.addEventListener("change", () => applyLanguage(sel.value, true));
  }
  for (const b of document.querySelectorAll(".tabs button")) {
    b.addEventListener("click", () => showTab(b.dataset.tab));
  }
  $("fit").addEventListener("click", () => map.fitAll());
  $("head-refresh").addEventListener("click", () => refreshHead());
  $("export").addEventListener("click", async () => {
    try {
      const blob = await api.exportLog();
      download(`deconflict-log-${state.party}-${Date.now()}.jsonl`, blob);
    } catch (err) {
      failed(err);
    }
  });
  $("message-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const to = [...document.querySelectorAll("#message-to input:checked")].map((i) => i.value);
    const text = $("message-text").value.trim();
    if (!to.length || !text) return;
    try {
      const res = await api.send(to, text);
      state.addMessages([res.message]);
      $("message-text").value = "";
    } catch (err) {
      failed(err);
    }
  });
}

// -- the frame loop ---------------------------------------------------------------------

function loop() {
  const parts = state.take();
  if (parts.size) panels.render(parts);
  if (declare && (parts.has("header") || parts.has("all"))) declare.render();
  map.frame(parts.has("map"));
  const now = state.now();
  if (now - lastTick >= 1000) {
    lastTick = now;
    tickCountdowns(document.getElementById("app"), now);
  }
  requestAnimationFrame(loop);
}

async function start() {
  const guess = storedLanguage(null) || (navigator.language || "en").slice(0, 2);
  applyLanguage(LANGUAGES.includes(guess) ? guess : "en", false);
  map = new MapView($("map"), state, { onSelect: (id) => actions.select(id) });
  panels = new Panels(state, actions);
  bindControls();
  declare = new Declare(map, state, {
    api: () => api,
    toast,
    async refresh(endpoint) {
      if (endpoint === "zones") {
        state.setZones((await api.zones()).features);
      } else {
        const [positions, intents] = await Promise.all([api.positions(), api.intents()]);
        state.setDeclarations(positions.features, intents.features);
      }
    },
  });
  window.deconflict = { state, map, declare };
  await map.load();
  let token = tokenFromFragment();
  if (!token) {
    try {
      token = sessionStorage.getItem("deconflict.token");
    } catch {
      token = null;
    }
  }
  if (token) login(token);
  else showLogin("");
  requestAnimationFrame(loop);
}

window.addEventListener("hashchange", () => {
  const token = tokenFromFragment();
  if (token) login(token);
});

start();
