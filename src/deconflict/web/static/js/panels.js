// The panels beside the map: the inbox, the channel banner, messages, the record and the
// zones. Each renders from the state; the frame loop calls the ones marked dirty.

import { clock, duration, list, relative, t } from "./i18n.js";
import { ruleFor } from "./styles.js";
import { RESPONSES, hasCue, kindColour } from "./meta.js";
import { when } from "./logcheck.js";
import { happensAt, inboxOrder, isActive, ms, owesAnswer } from "./state.js";

/** Whether a wilco to alert `a` may say where it is understood (a strike, zone or position). */
function readsBack(a) {
  if (a.kind === "strike-proximity" || a.kind === "zone-entry") return true;
  return a.kind === "declaration" &&
    ["strike", "forces", "protected", "zone"].includes(a.details?.feature_kind);
}

/** An answer's readback: the distance from what was declared, marked when a mismatch. */
function readbackMark(ack) {
  const rb = ack?.readback;
  if (!rb) return null;
  const m = Math.round(rb.distance_m);
  return rb.mismatch
    ? h("span", { class: "readback mismatch", role: "alert" }, t("readback.mismatch", { m }))
    : h("span", { class: "readback" }, t("readback.matched", { m }));
}

/** A DOM element: `h("li", {class: "x", dataset: {id: 1}}, child, "text", ...)`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Refresh every countdown on the page (`data-at`: POSIX ms; `data-count`: its kind). */
export function tickCountdowns(root, now) {
  for (const el of root.querySelectorAll("[data-at]")) {
    const left = (Number(el.dataset.at) - now) / 1000;
    if (el.dataset.count === "unanswered") {
      const min = Math.max(0, Math.floor(-left / 60));
      el.textContent = t("unanswered.mark", { party: el.dataset.party, n: min });
    } else if (el.dataset.count === "deadline") {
      el.textContent = left > 0 ? t("deadline.left", { t: duration(left) }) : t("overdue");
      el.classList.toggle("late", left <= 0);
    } else {
      el.textContent = relative(left, Number(el.dataset.at));
    }
  }
}

export class Panels {
  constructor(state, actions) {
    this.state = state;
    this.actions = actions;
    this.inboxItems = new Map();
  }

  render(parts) {
    if (parts.has("header")) this.header();
    if (parts.has("channel")) this.channel();
    if (parts.has("inbox")) this.inbox();
    if (parts.has("messages")) this.messages();
    if (parts.has("record")) this.record();
    if (parts.has("zones")) this.zones();
  }

  header() {
    const s = this.state;
    document.getElementById("party-name").textContent = s.party || "";
    document.getElementById("officer-name").textContent = s.officer
      ? `${s.officer.name} · ${t(`role.${s.officer.role}`)}`
      : "";
    this.dutyRoster();
    document.getElementById("track-count").textContent = t("map.tracks", { n: s.tracks.n });
    const conn = document.getElementById("connection");
    conn.textContent = t(`conn.${s.connection}`);
    conn.dataset.state = s.connection;
  }

  /** Who is on duty at each party: a name per officer, marked present or absent. */
  dutyRoster() {
    const root = document.getElementById("duty-roster");
    const parties = this.state.roster.filter((r) => r.officers.length);
    root.replaceChildren(
      ...parties.map((r) =>
        h(
          "span",
          { class: "roster-party", dataset: { party: r.party } },
          h("b", {}, r.party),
          " ",
          r.officers.map((o) =>
            h(
              "span",
              {
                class: `officer ${o.present ? "present" : "absent"}`,
                dataset: { name: o.name, present: String(o.present) },
                title: t(o.present ? "officer.present" : "officer.absent"),
              },
              o.name,
            ),
          ),
        ),
      ),
    );
  }

  // -- inbox -----------------------------------------------------------------------

  inbox() {
    const s = this.state;
    const root = document.getElementById("inbox-list");
    const order = inboxOrder(s.alerts.values(), s.party, s.now());
    const keep = new Set(order.map((a) => a.id));
    for (const [id, el] of this.inboxItems) {
      if (!keep.has(id)) {
        el.remove();
        this.inboxItems.delete(id);
      }
    }
    let prev = null;
    for (const a of order) {
      let el = this.inboxItems.get(a.id);
      if (!el || el._alert !== a || el._selected !== (s.selected === a.id)) {
        const fresh = this.alertItem(a);
        if (el) {
          const note = el.querySelector("input.note");
          if (note?.value) fresh.querySelector("input.note").value = note.value;
          el.replaceWith(fresh);
        }
        el = fresh;
        this.inboxItems.set(a.id, el);
      }
      const want = prev ? prev.nextSibling : root.firstChild;
      if (want !== el) root.insertBefore(el, want);
      prev = el;
    }
    document.getElementById("inbox-empty").hidden = order.length > 0;
    const owed = order.filter((a) => owesAnswer(a, s.party)).length;
    document.getElementById("inbox-count").textContent = owed ? String(owed) : "";
    tickCountdowns(root, s.now());
  }

  /** An alert's subjects; a "Stop" button on each that another party may own (the
   * service answers 404 for one the party may not name). */
  subjects(a) {
    const me = this.state.party;
    const own = new Set(this.state.tracks?.ids ?? []);
    for (const q of a.details?.tracks ?? []) {
      if (q.startsWith(`${me}/`)) own.add(q.slice(me.length + 1));
    }
    // the party's own declarations: nothing to ask anyone to stop
    for (const f of [...(this.state.positions ?? []), ...(this.state.intents ?? [])]) {
      if (f?.properties?.id !== undefined) own.add(f.properties.id);
    }
    if (a.kind === "declaration" && a.details?.feature?.properties?.party === me) {
      for (const sub of a.subjects || []) own.add(sub);
    }
    const otherParties = (a.parties || []).filter((p) => p !== me);
    const others = otherParties.length > 0;
    // with one other party in the alert, the subject is its own: say so (ids are each
    // party's, and another party may hold the same one)
    const owner = otherParties.length === 1 ? otherParties[0] : undefined;
    const stoppable = others && isActive(a) && !hasCue(a.kind);
    return h(
      "div",
      { class: "subjects" },
      (a.subjects || []).flatMap((sub, i) => [
        i ? " · " : "",
        h("span", { class: "subject" }, sub),
        stoppable && !own.has(sub) && this.state.canWrite()
          ? h(
              "button",
              {
                class: "stop",
                type: "button",
                dataset: { subject: sub },
                onclick: (ev) => {
                  ev.stopPropagation();
                  this.actions.stop(sub, owner);
                },
              },
              t("stop"),
            )
          : null,
      ]),
    );
  }

  alertItem(a) {
    const s = this.state;
    const me = s.party;
    const active = isActive(a);
    const classes = ["alert", `kind-${a.kind}`];
    if (!active) classes.push("closed");
    if (a.escalated) classes.push("escalated");
    if (s.selected === a.id) classes.push("selected");
    if (owesAnswer(a, me)) classes.push("owed");
    const head = h(
      "div",
      { class: "alert-head" },
      h("span", { class: "kind", style: `--kind:${kindColour(a.kind)}` },
        t(`kind.${a.kind}`)),
      h("span", { class: "state" }, t(`state.${a.state}`)),
      a.escalated ? h("span", { class: "badge escalated" }, t("escalated")) : null,
      active
        ? h("span", { class: "countdown", dataset: { at: happensAt(a), count: "alert" } })
        : h("span", { class: "closed-at" }, clock(ms(a.closed_at ?? a.updated_at))),
    );
    const deadline =
      active && a.deadline
        ? h(
            "div",
            { class: "deadline" },
            t("deadline", { time: clock(ms(a.deadline)) }),
            " ",
            h("span", { class: "deadline-left", dataset: { at: ms(a.deadline), count: "deadline" } }),
          )
        : null;
    const marks = [];
    if (a.overdue?.length) {
      marks.push(h("div", { class: "mark overdue" }, t("overdue.mark", { parties: list(a.overdue) })));
    }
    for (const u of active ? a.unanswered ?? [] : []) {
      marks.push(
        h("div", {
          class: `mark unanswered rung-${u.rung}`,
          dataset: { party: u.party, at: ms(u.since), count: "unanswered" },
        }),
      );
    }
    if (a.suspended?.length) {
      marks.push(
        h("div", { class: "mark suspended" }, t("suspended.mark", { parties: list(a.suspended) })),
      );
    }
    const acks = h(
      "ul",
      { class: "acks" },
      a.parties.map((p) => {
        const ack = a.acks?.[p];
        const state = ack
          ? [t(`response.${ack.response}`), clock(ms(ack.at)), ack.officer]
              .filter(Boolean)
              .join(" · ")
          : a.suspended?.includes(p)
            ? t("suspended.mark", { parties: "" }).replace(/[:：]\s*$/, "")
            : a.overdue?.includes(p)
              ? t("overdue")
              : (a.awaiting ?? a.parties).includes(p)
                ? t("awaiting")
                : a.details?.declared_by === p
                  ? t("declared")
                  : "—";
        return h(
          "li",
          { dataset: { party: p, response: ack?.response ?? "" }, class: p === me ? "me" : "" },
          h("b", {}, p),
          " ",
          h("span", { class: "ack-state" }, state),
          ack?.text ? h("q", {}, ack.text) : null,
          readbackMark(ack),
        );
      }),
    );
    let answer = null;
    if (active && s.canWrite() && (a.awaiting ?? a.parties).includes(me)) {
      const note = h("input", { class: "note", type: "text", maxlength: "2000",
        placeholder: t("note"), "aria-label": t("note") });
      const understood = readsBack(a)
        ? h("input", { class: "understood", type: "text", maxlength: "60",
            placeholder: t("understood"), "aria-label": t("understood") })
        : null;
      answer = h(
        "div",
        { class: "answer" },
        note,
        understood,
        h(
          "div",
          { class: "buttons" },
          RESPONSES.map((r) =>
            h(
              "button",
              {
                type: "button",
                class: `respond ${a.acks?.[me]?.response === r ? "given" : ""}`,
                dataset: { response: r },
                onclick: (ev) => {
                  ev.stopPropagation();
                  this.actions.answer(a, r, note.value.trim(), understood?.value.trim());
                },
              },
              t(`response.${r}`),
            ),
          ),
        ),
      );
    }
    if (Object.values(a.acks || {}).some((k) => k?.readback?.mismatch)) {
      classes.push("readback-mismatch");
    }
    const el = h(
      "li",
      { class: classes.join(" "), dataset: { id: a.id, kind: a.kind, state: a.state } },
      head,
      h("div", { class: "summary" }, a.summary || a.kind),
      this.subjects(a),
      deadline,
      marks,
      acks,
      answer,
    );
    el.addEventListener("click", () => this.actions.select(a.id));
    el._alert = a;
    el._selected = s.selected === a.id;
    return el;
  }

  // -- channel ---------------------------------------------------------------------

  channel() {
    const s = this.state;
    const c = s.channel;
    const root = document.getElementById("channel");
    const suspended = c.suspended || [];
    root.dataset.state = c.state;
    root.replaceChildren();
    const title =
      c.state === "suspended"
        ? t("channel.suspended", { parties: list(suspended) })
        : t("channel.open");
    root.append(h("strong", { class: "channel-title" }, title));
    for (const p of suspended) {
      const info = c.parties?.[p] || {};
      root.append(
        h(
          "span",
          { class: "channel-who", dataset: { party: p } },
          t("channel.by", { party: p, time: clock(ms(info.since)), reason: info.reason || "" }),
        ),
      );
    }
    const mine = c.parties?.[s.party]?.state === "suspended";
    if (mine) {
      root.append(
        h("button", { type: "button", id: "resume", onclick: () => this.actions.resume() },
          t("resume")),
      );
    } else if (s.party) {
      const reason = h("input", { id: "suspend-reason", type: "text", maxlength: "2000",
        placeholder: t("channel.reason"), "aria-label": t("channel.reason") });
      root.append(
        h(
          "form",
          {
            class: "suspend",
            onsubmit: (ev) => {
              ev.preventDefault();
              if (reason.value.trim()) this.actions.suspend(reason.value.trim());
              else reason.focus();
            },
          },
          reason,
          h("button", { type: "submit", id: "suspend" }, t("suspend")),
        ),
      );
    }
    const history = c.history || [];
    if (history.length) {
      root.append(
        h(
          "details",
          { class: "history" },
          h("summary", {}, `${t("history")} (${history.length})`),
          h(
            "ol",
            {},
            history.map((e) =>
              h(
                "li",
                {},
                e.action === "suspend"
                  ? t("history.suspend", { party: e.party, time: clock(ms(e.since)),
                      reason: e.reason || "" })
                  : t("history.resume", { party: e.party, time: clock(ms(e.since)) }),
              ),
            ),
          ),
        ),
      );
    }
  }

  // -- messages --------------------------------------------------------------------

  messages() {
    const s = this.state;
    const list_ = document.getElementById("message-list");
    list_.replaceChildren(
      ...s.messages.map((m) =>
        h(
          "li",
          { class: m.from === s.party ? "mine" : "theirs", dataset: { id: m.id } },
          h("div", { class: "meta" }, `${m.from}${m.officer ? ` (${m.officer})` : ""} → ${m.to.join(", ")} · ${clock(ms(m.at))}`),
          h("div", { class: "text" }, m.text),
        ),
      ),
    );
    document.getElementById("messages-empty").hidden = s.messages.length > 0;
    list_.scrollTop = list_.scrollHeight;
    const to = document.getElementById("message-to");
    const checked = new Set([...to.querySelectorAll("input:checked")].map((i) => i.value));
    to.replaceChildren(
      ...s.others().map((p) =>
        h(
          "label",
          {},
          h("input", { type: "checkbox", value: p, checked: checked.has(p) || undefined }),
          ` ${p}`,
        ),
      ),
    );
  }

  // -- record ----------------------------------------------------------------------

  record() {
    const s = this.state;
    const head = s.head;
    const dl = document.getElementById("head");
    dl.replaceChildren();
    if (head) {
      const row = (key, value, cls) =>
        [h("dt", {}, t(key)), h("dd", { class: cls || "" }, value)];
      dl.append(
        ...row("head.size", String(head.tree_size), "tree-size"),
        ...row("head.root", head.root_hash, "hash"),
        ...row("head.time", clock(typeof head.timestamp === "number"
          ? head.timestamp : ms(head.timestamp)), ""),
        ...row("head.key", head.public_key || "", "hash"),
        ...this.cosignedRows(head),
      );
      const check = s.headCheck;
      if (check) {
        const text = check.status === "ok"
          ? t("head.check.ok", { time: when(check.since) })
          : t(`head.check.${check.status}`);
        const [dt, dd] = row("head.check", text, `check ${check.status}`);
        dd.dataset.status = check.status;
        dl.append(dt, dd);
      }
    }
    const warning = document.getElementById("log-warning");
    const w = s.headCheck?.warning;
    warning.hidden = !w;
    warning.textContent = w ? t(w.key, w.vars) : "";
    const ul = document.getElementById("receipts");
    ul.replaceChildren(
      ...s.receipts.map((r) => {
        const entry = r.receipt?.index ?? r.receipt?.entry?.index ?? r.receipt?.leaf_index;
        const size = r.receipt?.tree_size ?? sthSize(r.receipt);
        return h(
          "li",
          { dataset: { alert: r.alert } },
          h("b", {}, t(`response.${r.response}`)),
          ` · ${t(`kind.${r.kind}`)} ${r.alert} · `,
          t("receipt.entry", { index: entry ?? "?", size: size ?? "?" }),
          " ",
          h(
            "button",
            { type: "button", class: "link", onclick: () => download(
              `receipt-${r.alert}-${entry ?? "x"}.json`,
              new Blob([JSON.stringify(r.receipt, null, 2)], { type: "application/json" }),
            ) },
            "⤓ JSON",
          ),
        );
      }),
    );
    document.getElementById("receipts-empty").hidden = s.receipts.length > 0;
  }

  /** "cosigned by N of M parties" for the head, and the latest cosigned head if it is
   * another one (heads are signed at every write; witnesses cosign them a moment later). */
  cosignedRows(head) {
    const rows = [];
    const m = head.parties ?? "?";
    const n = (head.cosignatures || []).length;
    rows.push(
      h("dt", {}, t("head.cosigned")),
      h("dd", { class: "cosigned", dataset: { n: String(n), m: String(m) } },
        t("head.cosigned.by", { n, m })),
    );
    const latest = head.cosigned;
    if (latest && latest.sth !== head.sth) {
      const k = (latest.cosignatures || []).length;
      rows.push(
        h("dt", {}, t("head.cosigned.latest")),
        h("dd", { class: "cosigned-latest", dataset: { n: String(k), size: String(latest.tree_size) } },
          t("head.cosigned.latest.by", { size: latest.tree_size, n: k, m })),
      );
    }
    return rows;
  }

  // -- zones -----------------------------------------------------------------------

  zones() {
    const s = this.state;
    const ul = document.getElementById("zone-list");
    const zones = [...s.zones.values()];
    ul.replaceChildren(
      ...zones.map((z) => {
        const p = z.properties;
        const rule = ruleFor(z, s.party);
        const awaiting = p.awaiting_consent || [];
        return h(
          "li",
          { dataset: { id: p.id, status: p.status, rule: rule ? rule.action : "none" } },
          h("span", { class: `swatch rule-${rule ? rule.action : "none"} ${p.status}` }),
          h("b", {}, p.name || p.id),
          " ",
          h("span", { class: "zone-status" }, t(`zone.${p.status}`)),
          " · ",
          rule ? t(`rule.${rule.action}`) : t("rule.none"),
          p.owner ? ` · ${t("zone.owner", { party: p.owner })}` : "",
          awaiting.length
            ? h("div", { class: "awaiting" }, t("zone.awaiting", { parties: list(awaiting) }))
            : null,
          awaiting.includes(s.party)
            ? h("button", { type: "button", class: "consent",
                onclick: () => this.actions.consent(p.id) }, t("consent"))
            : null,
        );
      }),
    );
    document.getElementById("zones-empty").hidden = zones.length > 0;
  }
}

function sthSize(receipt) {
  try {
    return JSON.parse(receipt.sth).tree_size;
  } catch {
    return undefined;
  }
}

/** Save a Blob as a file. */
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
