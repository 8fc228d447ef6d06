"""The registry of alert kinds is whole, and every layer reads it instead of a copy."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import string
import tomllib
from pathlib import Path

import pytest

import deconflict
from deconflict import kinds
from deconflict.kinds import AUDIENCES, KINDS, LANGUAGES, RESPONSE_LABELS, RESPONSES
from deconflict.model import ALERT_KINDS
from deconflict.service.config import DEFAULT_DEADLINES_S, DEFAULT_LADDER_S, ServiceConfig
from deconflict.service.i18n import summary

SRC = Path(deconflict.__file__).parent
JS = SRC / "web" / "static" / "js"
SUMMARY_FIELDS = {
    "a", "b", "track", "time", "dt", "dist", "zone", "rule", "src", "dst", "party", "what",
    "action",
}  # fmt: skip
"""The fields :func:`deconflict.service.i18n.summary` fills in."""


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_has_every_part(name: str) -> None:
    k = KINDS[name]
    assert k.name == name
    assert set(k.labels) == set(LANGUAGES), f"{name}: a label in each of {LANGUAGES}"
    assert set(k.templates) == set(LANGUAGES), f"{name}: a template in each of {LANGUAGES}"
    for lang in LANGUAGES:
        assert k.labels[lang].strip(), f"{name}: empty {lang} label"
        fields = {f for _, f, _, _ in string.Formatter().parse(k.templates[lang]) if f}
        assert fields and fields <= SUMMARY_FIELDS, f"{name}/{lang}: fields {fields}"
    # the same facts in every language
    en = {f for _, f, _, _ in string.Formatter().parse(k.templates["en"]) if f}
    for lang in LANGUAGES:
        assert {f for _, f, _, _ in string.Formatter().parse(k.templates[lang]) if f} == en
    assert re.fullmatch(r"#[0-9a-f]{6}", k.colour), f"{name}: colour {k.colour!r}"
    assert 0 < k.deadline_s <= 24 * 3600
    assert 0 < k.ladder_s[0] <= k.ladder_s[1]
    assert k.audience in AUDIENCES
    assert k.subjects and all(isinstance(s, str) and s for s in k.subjects)
    assert isinstance(k.needs_answer, bool) and isinstance(k.shortened, bool)
    assert k.raised_by.strip()
    assert k.detected == (k.raised_by == "detection")


@pytest.mark.parametrize("name", [n for n, k in KINDS.items() if k.detectors])
def test_every_detector_named_exists_and_raises_its_kind(name: str) -> None:
    for ref in KINDS[name].detectors:
        module, _, function = ref.partition(":")
        home = importlib.import_module(module)
        source = inspect.getsource(getattr(home, function))
        # and the module's own functions it calls (a shared builder of the alert)
        called = {
            n
            for n in re.findall(r"\b(\w+)\(", source)
            if inspect.isfunction(getattr(home, n, None))
        }
        source += "".join(inspect.getsource(getattr(home, n)) for n in sorted(called))
        assert f'kind="{name}"' in source, f"{ref} raises no {name!r}"


def test_no_two_kinds_share_a_colour_or_a_label() -> None:
    colours = [k.colour for k in KINDS.values()]
    assert len(set(colours)) == len(colours)
    for lang in LANGUAGES:
        labels = [k.labels[lang] for k in KINDS.values()]
        assert len(set(labels)) == len(labels), lang


def test_the_core_and_the_service_read_the_registry() -> None:
    assert tuple(KINDS) == ALERT_KINDS
    assert dict(DEFAULT_DEADLINES_S) == {n: k.deadline_s for n, k in KINDS.items()}
    assert {n: DEFAULT_LADDER_S[n] for n in KINDS} == {n: k.ladder_s for n, k in KINDS.items()}
    config = ServiceConfig()
    for name, k in KINDS.items():
        # a conflict 40 s away shortens the deadline of a kind that is shortened only
        assert (config.deadline_s(name, 40.0) < k.deadline_s) == k.shortened, name


def _table(**change: object) -> str:
    """``kinds.toml``'s text with its first table changed as ``change`` says (None: left
    out)."""
    first = dict(tomllib.loads((SRC / "kinds.toml").read_text(encoding="utf-8"))["separation"])
    for key, value in change.items():
        if value is None:
            first.pop(key)
        else:
            first[key] = value
    lines = ["[separation]"]
    for key, value in first.items():
        pairs = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, v in pairs:
            lines.append(f"{key}{'.' + sub if sub else ''} = {json.dumps(v, ensure_ascii=False)}")
    return "\n".join(lines)


def test_the_registry_file_loads_as_it_is() -> None:
    assert kinds._load((SRC / "kinds.toml").read_text(encoding="utf-8")) == dict(KINDS)
    assert kinds._load(_table()) == {"separation": KINDS["separation"]}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"deadline_s": 0}, "deadline_s"),
        ({"ladder_s": [20.0]}, "ladder_s"),
        ({"audience": "everyone"}, "audience"),
        ({"needs_answer": None}, "needs_answer"),
        ({"labels": {"en": "Separation", "ru": "Сближение"}}, "labels"),
        ({"templates": {"en": "x", "ru": "x", "ar": "x", "fr": "x"}}, "templates"),
        ({"escalates": True}, "escalates"),
    ],
)
def test_a_table_that_lacks_or_mistypes_a_part_is_refused_naming_it(
    change: dict[str, object], named: str
) -> None:
    with pytest.raises(ValueError, match=rf"'separation'.*{named}"):
        kinds._load(_table(**change))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_summary_is_the_registry_template(lang: str) -> None:
    for name, k in KINDS.items():
        alert = {"kind": name, "subjects": ["s1", "s2"], "t": 30.0, "details": {}}
        text = summary(alert, lang, 0.0)
        prefix = k.templates[lang].split("{", 1)[0]
        assert text.startswith(prefix), (name, text)


def test_the_answer_vocabulary_has_a_label_in_every_language() -> None:
    assert set(kinds.FINAL_RESPONSES) < set(RESPONSES)
    for r, labels in [*RESPONSE_LABELS.items(), *kinds.STATE_LABELS.items()]:
        assert set(labels) == set(LANGUAGES) and all(labels.values()), r
    assert set(kinds.ACTIVE_STATES) < set(kinds.STATES)


def test_the_scenario_schema_knows_the_registrys_kinds_and_answers() -> None:
    schema = json.loads((SRC / "scenario" / "schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["alert_kind"]["enum"] == list(KINDS)
    answers = schema["properties"]["answers"]
    responses = re.findall(r'"response": \{"enum": (\[[^\]]*\])', json.dumps(answers))
    assert responses and all(json.loads(r) == list(RESPONSES) for r in responses)


def test_meta_is_the_registry_and_names_no_party() -> None:
    m = kinds.meta()
    assert [k["name"] for k in m["kinds"]] == list(KINDS)
    assert [r["name"] for r in m["responses"]] == list(RESPONSES)
    assert m["active_states"] == list(kinds.ACTIVE_STATES)
    json.dumps(m)  # plain JSON


def _literals(text: str) -> list[str]:
    return re.findall(r"\"([^\"\\\n]*)\"|'([^'\\\n]*)'", text)


def test_the_page_keeps_no_list_of_kinds_states_or_answers_of_its_own() -> None:
    """The page's constants come from ``GET /v1/meta`` (meta.js): no script names a kind
    but to compare with one, more than one answer, or every live state, and no script but meta.js
    keeps a kind's label or colour."""
    for path in sorted(JS.glob("*.js")):
        text = path.read_text(encoding="utf-8")
        words = {a or b for a, b in _literals(text)}
        # a kind may be compared with (`a.kind === "declaration"`: how it is drawn),
        # never listed
        uncompared = re.sub(r"[!=]==\s*[\"'][a-z-]+[\"']", "", text)
        named_kinds = {a or b for a, b in _literals(uncompared)} & set(KINDS)
        assert not named_kinds, f"{path.name} lists kinds {sorted(named_kinds)}"
        named_answers = words & set(RESPONSES)
        assert len(named_answers) <= 1, f"{path.name} lists answers {sorted(named_answers)}"
        assert not set(kinds.ACTIVE_STATES) <= words, f"{path.name} lists the live states"
        assert not re.search(r"[\"']kind\.[a-z-]+[\"']\s*:", text), f"{path.name}: a kind label"
        assert not re.search(r"[\"']response\.[a-z]+[\"']\s*:", text), f"{path.name}: an answer"
        assert not re.search(r"[\"']state\.[a-z]+[\"']\s*:", text), f"{path.name}: a state"
        keys = {k for k in KINDS if re.search(rf"(?<![\w.-]){re.escape(k)}\s*:", uncompared)}
        assert not keys, f"{path.name} keeps a table keyed by {sorted(keys)}"
