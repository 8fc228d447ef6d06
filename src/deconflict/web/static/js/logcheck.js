// The page's own check of the log, as a witness does it: every signed tree head it is
// given must be signed by the service key it first saw (or one a key rotation signed by
// that key moved to), and be consistent with the last head it saw (an RFC 9162
// consistency proof, §2.1.4.2). Hashes and signatures are checked here with WebCrypto
// (SHA-256, Ed25519); what the page saw is kept in local storage per service and party.

const encoder = new TextEncoder();

export function hexBytes(hex) {
  if (typeof hex !== "string" || !/^([0-9a-f]{2})*$/.test(hex)) throw new Error("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function b64Bytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function same(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function nodeHash(left, right) {
  const data = new Uint8Array(1 + left.length + right.length);
  data[0] = 1;
  data.set(left, 1);
  data.set(right, 1 + left.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

const half = (n) => Math.floor(n / 2);
const odd = (n) => n % 2 === 1;

/**
 * Whether `proof` (hashes, as bytes) shows that the tree of `second` leaves with root
 * `secondRoot` extends the tree of `first` leaves with root `firstRoot`: RFC 9162
 * §2.1.4.2, step by step.
 */
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && same(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = [...proof];
  if ((first & (first - 1)) === 0) path.unshift(firstRoot);
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && same(fr, firstRoot) && same(sr, secondRoot);
}

/** Whether `signature` (base64) is `publicKey`'s (base64, raw Ed25519) over `text`. */
export async function verifySignature(publicKey, text, signature) {
  try {
    const key = await crypto.subtle.importKey(
      "raw", b64Bytes(publicKey), { name: "Ed25519" }, false, ["verify"],
    );
    return await crypto.subtle.verify(
      { name: "Ed25519" }, key, b64Bytes(signature), encoder.encode(text),
    );
  } catch {
    return false;
  }
}

/** A time for the warning: `2026-11-23 06:25:00 UTC`. */
export function when(ms) {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + " UTC";
}

/**
 * Checks the heads one party's page receives. `check(head)` answers
 * `{status, warning, checked}`: `status` is `ok`, `warning` (a warning stays until the
 * page's storage is cleared: a forked log is not forgotten on reload) or `unavailable`
 * (no WebCrypto: a page served over plain HTTP from another host than this one).
 */
export class LogCheck {
  constructor(api, party, origin = location.origin) {
    this.api = api;
    this.storageKey = `deconflict.log.${origin}.${party}`;
    this.queue = Promise.resolve();
  }

  check(head) {
    const run = this.queue.then(() => this.checkNow(head));
    this.queue = run.catch(() => undefined);
    return run;
  }

  load() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey)) || {};
    } catch {
      return {};
    }
  }

  save(saved) {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(saved));
    } catch {
      // no storage: the check holds for this page's life only
    }
  }

  warn(saved, key, vars) {
    if (!saved.warning) saved.warning = { key, vars, at: Date.now() };
    this.save(saved);
    return { status: "warning", warning: saved.warning };
  }

  async checkNow(head) {
    const saved = this.load();
    if (!globalThis.crypto?.subtle) {
      return saved.warning
        ? { status: "warning", warning: saved.warning }
        : { status: "unavailable", warning: null };
    }
    let signed;
    try {
      signed = JSON.parse(head.sth);
      signed.root = hexBytes(signed.root_hash);
    } catch {
      return this.warn(saved, "log.malformed", {});
    }
    const now = Date.now();
    const pin = saved.key || { public_key: head.public_key, seen_at: now };
    if (head.public_key !== pin.public_key) {
      if (!(await this.rotatedTo(pin.public_key, head.public_key, signed.tree_size))) {
        return this.warn(saved, "log.key", { time: when(pin.seen_at) });
      }
      pin.public_key = head.public_key;
      pin.rotated_at = now;
    }
    if (!(await verifySignature(pin.public_key, head.sth, head.signature))) {
      return this.warn(saved, "log.signature", { time: when(pin.seen_at) });
    }
    const last = saved.last;
    if (last && !(await this.consistent(last, signed))) {
      return this.warn(saved, "log.inconsistent", { time: when(last.seen_at), size: last.tree_size });
    }
    saved.key = pin;
    if (!last || signed.tree_size >= last.tree_size) {
      saved.last = {
        tree_size: signed.tree_size, root_hash: signed.root_hash, sth: head.sth, seen_at: now,
      };
    }
    this.save(saved);
    return saved.warning
      ? { status: "warning", warning: saved.warning }
      : { status: "ok", warning: null, checked: signed.tree_size, since: pin.seen_at };
  }

  async consistent(last, signed) {
    const kept = { size: last.tree_size, root: hexBytes(last.root_hash) };
    const got = { size: signed.tree_size, root: signed.root };
    if (kept.size === got.size) return same(kept.root, got.root);
    const [old, later] = kept.size < got.size ? [kept, got] : [got, kept];
    if (old.size === 0) return true;
    let proof;
    try {
      const body = await this.api.get(
        `/v1/log/consistency?first=${old.size}&second=${later.size}`,
      );
      proof = body.proof.map(hexBytes);
    } catch {
      return false;
    }
    return verifyConsistency(old.size, later.size, old.root, later.root, proof);
  }

  /** Whether the log's key rotations, each signed by the key it retires, lead from
   * `from` to `to` for heads of `treeSize` entries. */
  async rotatedTo(from, to, treeSize) {
    let text;
    try {
      text = await (await this.api.request("GET", "/v1/log/export")).text();
    } catch {
      return false;
    }
    let key = from;
    for (const line of text.split("\n")) {
      if (!line.includes("key-rotation")) continue;
      let entry;
      let statement;
      try {
        entry = JSON.parse(JSON.parse(line).leaf);
        statement = JSON.parse(entry.statement);
      } catch {
        continue;
      }
      if (entry.kind !== "key-rotation" || entry.index >= treeSize) continue;
      if (statement.previous_public_key !== key || statement.public_key !== entry.public_key) {
        continue;
      }
      if (!(await verifySignature(key, entry.statement, entry.signature))) return false;
      key = entry.public_key;
    }
    return key === to;
  }
}
