// The service's HTTP API and its WebSocket stream, as one party.

/** An error answered by the service: `{"error": {"code", "message"}}` and its status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  constructor(token, onDate = () => {}) {
    this.token = token;
    this.onDate = onDate;
  }

  async request(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    this.onDate(res.headers.get("date"));
    if (!res.ok) {
      let code = "http_error";
      let message = `${res.status} ${res.statusText}`;
      try {
        const err = (await res.json()).error;
        code = err.code;
        message = err.message;
      } catch {
        // not our error object
      }
      throw new ApiError(res.status, code, message);
    }
    return res;
  }

  async get(path) {
    return (await this.request("GET", path)).json();
  }

  async post(path, body) {
    return (await this.request("POST", path, body ?? {})).json();
  }

  tracks() {
    return this.get("/v1/tracks");
  }

  /** Declare (or, with the same id, replace) one Feature at `endpoint`: positions,
   * intents or zones. */
  declare(endpoint, feature) {
    return this.post(`/v1/${endpoint}`, feature);
  }

  /** Withdraw the party's own declaration `id` at `endpoint`. */
  async withdraw(endpoint, id) {
    return (await this.request("DELETE", `/v1/${endpoint}/${encodeURIComponent(id)}`)).json();
  }

  zones() {
    return this.get("/v1/zones");
  }

  positions() {
    return this.get("/v1/positions");
  }

  intents() {
    return this.get("/v1/intents");
  }

  messages() {
    return this.get("/v1/messages");
  }

  head() {
    return this.get("/v1/log/head");
  }

  /** Ask the owner of `subject` (a track, strike or movement) to stop it now. */
  stop(subject, owner, text) {
    const body = { subject };
    if (owner) body.owner = owner;
    if (text) body.text = text;
    return this.post("/v1/stop", body);
  }

  ack(alertId, response, text, understood) {
    const body = { response };
    if (text) body.text = text;
    if (understood) body.understood = understood;
    return this.post(`/v1/alerts/${encodeURIComponent(alertId)}/ack`, body);
  }

  consent(zoneId) {
    return this.post(`/v1/zones/${encodeURIComponent(zoneId)}/consent`);
  }

  send(to, text) {
    return this.post("/v1/messages", { to, text });
  }

  suspend(reason) {
    return this.post("/v1/channel/suspend", { reason });
  }

  resume() {
    return this.post("/v1/channel/resume", {});
  }

  /** The log export as a Blob (JSON lines). */
  async exportLog() {
    return (await this.request("GET", "/v1/log/export")).blob();
  }
}

/**
 * `WS /v1/stream`: authenticates with a first `auth` message, hands every event to
 * `onEvent`, reconnects with back-off. `onRefused` is called (and reconnecting stops)
 * when the service refuses the token.
 */
export class Stream {
  constructor(token, { onEvent, onState, onRefused }) {
    this.token = token;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onRefused = onRefused;
    this.ws = null;
    this.stopped = false;
    this.delay = 500;
    this.timer = null;
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/v1/stream`);
    this.ws = ws;
    this.onState("connecting");
    let refused = false;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.token }));
    ws.onmessage = (msg) => {
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (event.type === "error" && event.error?.code === "unauthenticated") {
        refused = true;
        this.onRefused(event.error.message);
        return;
      }
      if (event.type === "hello") {
        this.delay = 500;
        this.onState("live");
      }
      this.onEvent(event);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (refused || ev.code === 4401) {
        if (!refused) this.onRefused("unauthenticated");
        this.stopped = true;
      }
      if (this.stopped) return;
      this.onState("offline");
      this.timer = setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
  }
}
