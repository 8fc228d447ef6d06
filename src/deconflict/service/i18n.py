"""One-line summaries of alerts in a party's language (en, ru, ar); each kind's template
is the registry's (:mod:`~deconflict.kinds`).

The same facts in every language; numbers, times and durations formatted for the locale
with Babel. Structured fields never change with the language: only ``summary`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from ..kinds import KINDS, LANGUAGES
from .clock import to_datetime

__all__ = ["LANGUAGES", "summary"]

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "forbid": "forbidden",
        "notify": "notify before entry",
        "advisory": "advisory",
        "forces": "forces position",
        "protected": "protected site",
        "zone": "zone",
        "strike": "strike plan",
        "volume": "flight plan volume",
        "movement": "ground movement",
        "amended": "amended",
        "withdrawn": "withdrawn",
    },
    "ru": {
        "forbid": "запрещено",
        "notify": "уведомить до входа",
        "advisory": "рекомендательно",
        "forces": "позиция войск",
        "protected": "охраняемый объект",
        "zone": "зона",
        "strike": "план удара",
        "volume": "объём плана полёта",
        "movement": "передвижение по земле",
        "amended": "(изменено)",
        "withdrawn": "(отозвано)",
    },
    "ar": {
        "forbid": "محظورة",
        "notify": "إخطار قبل الدخول",
        "advisory": "استشارية",
        "forces": "موقع قوات",
        "protected": "موقع محمي",
        "zone": "منطقة",
        "strike": "خطة ضربة",
        "volume": "حجم خطة طيران",
        "movement": "تحرك بري",
        "amended": "(معدّل)",
        "withdrawn": "(مسحوب)",
    },
}


@cache
def _locale(lang: str) -> Locale:
    """The parsed locale of a language the templates know (parsed once, not per call)."""
    return Locale.parse(lang)


def _action(words: Mapping[str, str], action: Any) -> str:
    word = words.get(str(action), "") if action in ("amended", "withdrawn") else ""
    return f" {word}" if word else ""


def summary(alert: Mapping[str, Any], language: str, at_s: float) -> str:
    """The one-line summary of ``alert`` (the service's alert object) for ``language``.

    ``at_s`` is the POSIX time the alert's ``t`` counts from. Unknown languages fall back
    to English.

    >>> a = {"kind": "separation", "subjects": ["a1", "b7"], "t": 95.0,
    ...      "details": {"dcpa_m": 1234.5}}
    >>> summary(a, "en", 0.0)
    'Separation: a1 and b7 predicted 1,234 m apart at 00:01:35 UTC (in 2 minutes)'
    >>> summary(a, "ru", 0.0).replace("\\xa0", " ")
    'Опасное сближение: a1 и b7, прогноз 1 234 м в 00:01:35 UTC (через 2 минуты)'
    """
    lang = language if language in LANGUAGES else "en"
    loc = _locale(lang)
    kind = str(alert["kind"])
    subjects = [str(s) for s in alert.get("subjects", [])]
    details: Mapping[str, Any] = alert.get("details") or {}
    words = _WORDS[lang]
    t_s = float(alert.get("t") or 0.0)
    when = to_datetime(at_s + t_s)
    values: dict[str, str] = {
        "a": subjects[0] if subjects else "",
        "b": subjects[1] if len(subjects) > 1 else "",
        "track": subjects[0] if subjects else "",
        "time": format_datetime(when, "HH:mm:ss", tzinfo=when.tzinfo, locale=loc),
        "dt": format_timedelta(timedelta(seconds=t_s), locale=loc, threshold=1.5),
        "dist": format_decimal(
            round(float(details.get("dcpa_m", details.get("distance_m", 0.0)))),
            locale=loc,
        ),
        "zone": str(details.get("zone_name") or details.get("zone") or ""),
        "rule": words.get(str(details.get("rule", "")), str(details.get("rule", ""))),
        "src": str(details.get("from", "")),
        "dst": str(details.get("to", "")),
        "party": str(details.get("declared_by") or details.get("requester") or ""),
        "what": words.get(str(details.get("feature_kind", "")), ""),
        # a declaration's action: nothing for a new one, " amended" or " withdrawn"
        "action": _action(words, details.get("action")),
    }
    entry = KINDS.get(kind)
    template = entry.templates[lang] if entry is not None else "{a}"
    return template.format(**values)
