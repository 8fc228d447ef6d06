"""The registry of alert kinds and the answer vocabulary (pure): one entry per kind, read
by every layer — the core's list of kinds, the disclosure rule's audiences, the
service's default deadlines and ladder, its summaries in each language, and the page's
labels and colours (served at ``GET /v1/meta``).

The entries live in ``kinds.toml`` beside this module, checked field by field at import.
To add a kind: add its table there (every field, every language), write its detector (or
the request that raises it) and its test;
``tests/core/test_kinds.py`` fails while any part is missing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Annotated, Any, Literal, get_args

import msgspec

__all__ = [
    "ACTIVE_STATES",
    "AUDIENCES",
    "FINAL_RESPONSES",
    "KINDS",
    "LANGUAGES",
    "NAMES",
    "RESPONSES",
    "RESPONSE_LABELS",
    "STATES",
    "STATE_LABELS",
    "AlertKind",
    "detected",
    "kind",
    "meta",
]

LANGUAGES = ("en", "ru", "ar")
"""Languages every label and template is written in."""

Audience = Literal["involved", "own", "zone", "requester-owner"]
"""Who an alert goes to (:mod:`~deconflict.disclosure`): every party it involves, the
track's own party alone, the track's party and — when consented — the zone's parties, or
the party that asked and the party that owns the subject."""
AUDIENCES: tuple[str, ...] = get_args(Audience)
"""Every :data:`Audience`."""


class AlertKind(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One kind of alert and everything each layer needs of it (a table of ``kinds.toml``).

    Attributes
    ----------
    name
        The kind as it appears in every record (``separation``): the table's name.
    detectors
        ``module:function`` of the core functions that find it; empty for a kind raised
        by a request (:attr:`raised_by`), which detection never closes.
    raised_by
        What raises it: ``detection`` or the request (``POST /v1/stop``).
    deadline_s
        Default answer deadline, seconds after it is raised.
    shortened
        Whether the deadline is shortened to half the time to the conflict.
    ladder_s
        The escalation ladder's two steps, seconds after it is raised.
    needs_answer
        Whether the parties it awaits must answer it.
    audience
        One of :data:`AUDIENCES`.
    discloses
        The ``details`` keys naming the parties whose data it shows (each must receive
        it); empty: every party it involves.
    subjects
        The role of each subject id, in order (``track``, ``zone``, ...).
    colour
        The page's colour for it, ``#rrggbb``.
    cue
        Whether the page puts it at the top of the inbox of the party it awaits, with an
        audible cue.
    labels, templates
        Per language of :data:`LANGUAGES`: a short label, and the one-line summary's
        template (fields of :func:`deconflict.service.i18n.summary`).
    """

    name: str
    detectors: tuple[str, ...]
    raised_by: str
    deadline_s: Annotated[float, msgspec.Meta(gt=0)]
    shortened: bool
    ladder_s: tuple[Annotated[float, msgspec.Meta(gt=0)], Annotated[float, msgspec.Meta(gt=0)]]
    needs_answer: bool
    audience: Audience
    discloses: tuple[str, ...]
    subjects: tuple[str, ...]
    colour: Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-f]{6}$")]
    cue: bool
    labels: dict[str, str]
    templates: dict[str, str]

    def __post_init__(self) -> None:
        for field in ("labels", "templates"):
            if set(getattr(self, field)) != set(LANGUAGES):
                raise ValueError(f"alert kind {self.name!r}: {field} in each of {LANGUAGES}")

    @property
    def detected(self) -> bool:
        """Whether detection finds it (and so closes it when it no longer holds)."""
        return bool(self.detectors)


def _load(text: str) -> dict[str, AlertKind]:
    """The registry from the text of ``kinds.toml``; :class:`ValueError` naming the kind
    and the field that is wrong or missing."""
    out: dict[str, AlertKind] = {}
    for name, table in tomllib.loads(text).items():
        try:
            out[name] = msgspec.convert({"name": name, **table}, AlertKind)
        except (msgspec.ValidationError, TypeError, ValueError) as exc:
            raise ValueError(f"alert kind {name!r}: {exc}") from None
    return out


KINDS: Mapping[str, AlertKind] = _load(
    resources.files(__package__).joinpath("kinds.toml").read_text(encoding="utf-8")
)
"""Every alert kind by name, in the order counts and lists show them."""

NAMES: tuple[str, ...] = tuple(KINDS)
"""Every kind's name, in registry order."""

STATE_LABELS: Mapping[str, Mapping[str, str]] = {
    "open": {"en": "open", "ru": "открыто", "ar": "مفتوح"},
    "notified": {"en": "notified", "ru": "оповещены", "ar": "أُبلغ"},
    "answered": {"en": "answered", "ru": "отвечено", "ar": "تمت الإجابة"},
    "resolved": {"en": "resolved", "ru": "снято", "ar": "زال"},
    "expired": {"en": "expired", "ru": "истекло", "ar": "انتهى"},
}
"""An alert's states, the live ones first, and each one's label per language."""
STATES: tuple[str, ...] = tuple(STATE_LABELS)
"""An alert's states, the live ones first."""
ACTIVE_STATES = ("open", "notified", "answered")
"""States in which an alert is still live."""

RESPONSE_LABELS: Mapping[str, Mapping[str, str]] = {
    "roger": {"en": "Roger", "ru": "Принято", "ar": "استلمت"},
    "wilco": {"en": "Wilco", "ru": "Выполню", "ar": "سأنفذ"},
    "unable": {"en": "Unable", "ru": "Не могу", "ar": "لا أستطيع"},
    "standby": {"en": "Standby", "ru": "Ждите", "ar": "انتظر"},
}
"""Each answer a party may give (controller–pilot data link practice), its label per
language."""
RESPONSES: tuple[str, ...] = tuple(RESPONSE_LABELS)
"""Answers a party may give."""
FINAL_RESPONSES = ("roger", "wilco", "unable")
"""Answers that close an alert for the party that gives them (``standby`` does not)."""


def kind(name: str) -> AlertKind:
    """The registry entry of ``name``; :class:`KeyError` naming it if there is none."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"no alert kind {name!r}") from None


def detected(name: str) -> bool:
    """Whether alerts of ``name`` are found by detection, and so closed by it when they
    no longer hold (a kind the registry does not know is taken to be)."""
    entry = KINDS.get(name)
    return entry is None or entry.detected


def meta() -> dict[str, Any]:
    """What the page needs of the registry (public: no party's data):
    ``{"languages", "kinds": [{"name", "colour", "labels", "needs_answer", "deadline_s",
    "raised_by", "cue"}], "states": [{"name", "labels"}], "active_states",
    "responses": [{"name", "labels"}], "final_responses"}``."""
    return {
        "languages": list(LANGUAGES),
        "kinds": [
            {
                "name": k.name,
                "colour": k.colour,
                "labels": dict(k.labels),
                "needs_answer": k.needs_answer,
                "deadline_s": k.deadline_s,
                "raised_by": k.raised_by,
                "cue": k.cue,
            }
            for k in KINDS.values()
        ],
        "states": [{"name": st, "labels": dict(STATE_LABELS[st])} for st in STATES],
        "active_states": list(ACTIVE_STATES),
        "responses": [{"name": r, "labels": dict(RESPONSE_LABELS[r])} for r in RESPONSES],
        "final_responses": list(FINAL_RESPONSES),
    }
