"""The registry of alert kinds and the answer vocabulary (pure): one entry per kind, read
by every layer — the core's list of kinds, the disclosure rule's audiences, the
service's default deadlines and ladder, its summaries in each language, and the page's
labels and colours (served at ``GET /v1/meta``).

To add a kind: add its :class:`AlertKind` to :data:`KINDS` (every field, every language),
write its detector (or the request that raises it) and its test;
``tests/core/test_kinds.py`` fails while any part is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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

AUDIENCES = ("involved", "own", "zone", "requester-owner")
"""Who an alert goes to (:mod:`~deconflict.disclosure`): every party it involves, the
track's own party alone, the track's party and — when consented — the zone's parties, or
the party that asked and the party that owns the subject."""


@dataclass(frozen=True)
class AlertKind:
    """One kind of alert and everything each layer needs of it.

    Attributes
    ----------
    name
        The kind as it appears in every record (``separation``).
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
    labels, templates
        Per language of :data:`LANGUAGES`: a short label, and the one-line summary's
        template (fields of :func:`deconflict.service.i18n.summary`).
    cue
        Whether the page puts it at the top of the inbox of the party it awaits, with an
        audible cue.
    """

    name: str
    detectors: tuple[str, ...]
    raised_by: str
    deadline_s: float
    shortened: bool
    ladder_s: tuple[float, float]
    needs_answer: bool
    audience: str
    discloses: tuple[str, ...]
    subjects: tuple[str, ...]
    colour: str
    labels: Mapping[str, str]
    templates: Mapping[str, str]
    cue: bool = False

    @property
    def detected(self) -> bool:
        """Whether detection finds it (and so closes it when it no longer holds)."""
        return bool(self.detectors)


_A = "deconflict.alerts:"

KINDS: Mapping[str, AlertKind] = {
    k.name: k
    for k in (
        AlertKind(
            name="separation",
            detectors=(_A + "separation_alerts",),
            raised_by="detection",
            deadline_s=60.0,
            shortened=True,
            ladder_s=(20.0, 40.0),
            needs_answer=True,
            audience="involved",
            discloses=("a_party", "b_party"),
            subjects=("track", "track"),
            colour="#d7263d",
            labels={"en": "Separation", "ru": "Опасное сближение", "ar": "خطر تقارب"},
            templates={
                "en": "Separation: {a} and {b} predicted {dist} m apart at {time} UTC (in {dt})",
                "ru": "Опасное сближение: {a} и {b}, прогноз {dist} м в {time} UTC (через {dt})",
                "ar": "خطر تقارب: {a} و{b}، مسافة متوقعة {dist} م عند {time} UTC (بعد {dt})",
            },
        ),
        AlertKind(
            name="zone-entry",
            detectors=(_A + "zone_entry_alerts", _A + "movement_zone_alerts"),
            raised_by="detection",
            deadline_s=120.0,
            shortened=True,
            ladder_s=(30.0, 60.0),
            needs_answer=True,
            audience="zone",
            discloses=("track_party",),
            subjects=("track", "zone"),
            colour="#e07a00",
            labels={"en": "Zone entry", "ru": "Вход в зону", "ar": "دخول منطقة"},
            templates={
                "en": "Zone entry: {track} predicted to enter {zone} ({rule}) at {time} UTC "
                "(in {dt})",
                "ru": "Вход в зону: {track} войдёт в зону {zone} ({rule}) в {time} UTC "
                "(через {dt})",
                "ar": "دخول منطقة: {track} سيدخل المنطقة {zone} ({rule}) عند {time} UTC (بعد {dt})",
            },
        ),
        AlertKind(
            name="intent-overlap",
            detectors=(_A + "intent_overlap_alerts",),
            raised_by="detection",
            deadline_s=900.0,
            shortened=False,
            ladder_s=(120.0, 300.0),
            needs_answer=True,
            audience="involved",
            discloses=(),
            subjects=("intent", "intent"),
            colour="#7b3fb2",
            labels={"en": "Plans overlap", "ru": "Пересечение планов", "ar": "تداخل الخطط"},
            templates={
                "en": "Plans overlap: {a} and {b} from {time} UTC (in {dt})",
                "ru": "Пересечение планов: {a} и {b} с {time} UTC (через {dt})",
                "ar": "تداخل الخطط: {a} و{b} من {time} UTC (بعد {dt})",
            },
        ),
        AlertKind(
            name="strike-proximity",
            detectors=(_A + "strike_alerts", _A + "strike_movement_alerts"),
            raised_by="detection",
            deadline_s=600.0,
            shortened=True,
            ladder_s=(60.0, 180.0),
            needs_answer=True,
            audience="involved",
            discloses=("strike_party", "position_party"),
            subjects=("strike", "position"),
            colour="#8b0000",
            labels={"en": "Strike proximity", "ru": "Удар вблизи", "ar": "ضربة قريبة"},
            templates={
                "en": "Strike {a} planned {dist} m from {b} at {time} UTC (in {dt})",
                "ru": "Удар {a} запланирован в {dist} м от {b} в {time} UTC (через {dt})",
                "ar": "ضربة {a} مخططة على بعد {dist} م من {b} عند {time} UTC (بعد {dt})",
            },
        ),
        AlertKind(
            name="border-crossing",
            detectors=(_A + "border_alerts",),
            raised_by="detection",
            deadline_s=120.0,
            shortened=True,
            ladder_s=(30.0, 60.0),
            needs_answer=True,
            audience="own",
            discloses=(),
            subjects=("track",),
            colour="#00838f",
            labels={"en": "Border crossing", "ru": "Пересечение границы", "ar": "عبور حدود"},
            templates={
                "en": "Border crossing: {track} from {src} to {dst} at {time} UTC (in {dt})",
                "ru": "Пересечение границы: {track} из {src} в {dst} в {time} UTC (через {dt})",
                "ar": "عبور حدود: {track} من {src} إلى {dst} عند {time} UTC (بعد {dt})",
            },
        ),
        AlertKind(
            name="non-conforming",
            detectors=(_A + "non_conforming_alerts",),
            raised_by="detection",
            deadline_s=120.0,
            shortened=True,
            ladder_s=(30.0, 60.0),
            needs_answer=True,
            audience="own",
            discloses=(),
            subjects=("track",),
            colour="#7a5230",
            labels={"en": "Non-conforming", "ru": "Вне планов", "ar": "خارج الخطط"},
            templates={
                "en": "{track} is outside its party's declared plans at {time} UTC",
                "ru": "{track} вне заявленных планов своей стороны в {time} UTC",
                "ar": "{track} خارج الخطط المعلنة لطرفه عند {time} UTC",
            },
        ),
        AlertKind(
            name="declaration",
            detectors=(),
            raised_by="POST and DELETE /v1/positions, /v1/intents, /v1/zones",
            deadline_s=3600.0,
            shortened=False,
            ladder_s=(600.0, 1200.0),
            needs_answer=True,
            audience="involved",
            discloses=(),
            subjects=("declaration",),
            colour="#2e6fbf",
            labels={"en": "Declaration", "ru": "Объявление", "ar": "إعلان"},
            templates={
                "en": "Declaration by {party}: {what} {a}{action}; answer required",
                "ru": "Объявление стороны {party}: {what} {a}{action}; требуется ответ",
                "ar": "إعلان من {party}: {what} {a}{action}؛ مطلوب رد",
            },
        ),
        AlertKind(
            name="stop-request",
            detectors=(),
            raised_by="POST /v1/stop",
            deadline_s=60.0,
            shortened=False,
            ladder_s=(10.0, 20.0),
            needs_answer=True,
            audience="requester-owner",
            discloses=("requester", "owner"),
            subjects=("track, strike or movement",),
            colour="#ff1744",
            labels={"en": "Stop request", "ru": "Запрос прекратить", "ar": "طلب إيقاف"},
            templates={
                "en": "Stop request by {party}: stop {a} now; answer required",
                "ru": "Запрос стороны {party}: немедленно прекратить {a}; требуется ответ",
                "ar": "طلب إيقاف من {party}: أوقف {a} الآن؛ مطلوب رد",
            },
            cue=True,
        ),
    )
}
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
