// The service's registry of alert kinds and its answer vocabulary (GET /v1/meta), read
// once when the page loads: kind labels and colours, the alert states that are live, the
// answers a party may give. The page keeps no list of its own.

const FALLBACK_COLOUR = "#333";

async function load() {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch("/v1/meta", { cache: "no-store" });
      if (res.ok) return await res.json();
    } catch {
      // the service is not reachable yet: try again
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
  }
}

const META = await load();
const KINDS = new Map(META.kinds.map((k) => [k.name, k]));

/** Languages the registry's labels are written in. */
export const LANGUAGES = META.languages;
/** Answers a party may give, in the order the buttons show them. */
export const RESPONSES = META.responses.map((r) => r.name);
/** Answers that close an alert for the party that gives them. */
export const FINAL_RESPONSES = new Set(META.final_responses);
/** States in which an alert is still live. */
export const ACTIVE_STATES = new Set(META.active_states);

/** The colour (#rrggbb) the page draws alerts of `kind` in. */
export function kindColour(kind) {
  return KINDS.get(kind)?.colour ?? FALLBACK_COLOUR;
}

/** Whether alerts of `kind` go to the top of the inbox of who owes them, with a cue. */
export function hasCue(kind) {
  return KINDS.get(kind)?.cue === true;
}

/**
 * The page's words that come from the registry, for `lang`: `kind.<name>`,
 * `state.<name>` and `response.<name>` labels (English where the language has none).
 */
export function registryWords(lang) {
  const words = {};
  for (const k of META.kinds) words[`kind.${k.name}`] = k.labels[lang] ?? k.labels.en;
  for (const st of META.states) words[`state.${st.name}`] = st.labels[lang] ?? st.labels.en;
  for (const r of META.responses) words[`response.${r.name}`] = r.labels[lang] ?? r.labels.en;
  return words;
}

/** The operator's offline basemap ({url}, same origin), or null: the shipped geodata alone. */
export const BASEMAP = META.basemap && typeof META.basemap.url === "string" ? META.basemap : null;

/** The service's bounds on a declaration's numbers (GET /v1/meta `bounds`: closed
 * `[lo, hi]` ranges in SI units); those of docs/zones.md from an older service. */
export const BOUNDS = META.bounds ?? {
  declarations: {
    radius_m: [0, 2500000],
    margin_m: [0, 2500000],
    lead_s: [0, 604800],
    alt_m: [-1000, 100000],
    time_s: [0, 4102444800],
  },
  movement: { width_m: [1, 50000], length_m: [0, 3000000], duration_s: [0, 2592000] },
  max_id_chars: 64,
  max_name_chars: 200,
};
