"""The after-action report of a replay: one self-contained ``index.html`` (the map inline
as a PNG), the log's ``export.jsonl`` beside it with its public key in ``public-key.txt``
(check it with ``deconflict verify export.jsonl --public-key public-key.txt``), and the map
as ``map.png``.

The page holds: the map (borders, zones, declared positions, strike circles, the tracks
flown, where each alert was placed), a verdict per alert (warned in time, late, never),
the timeline of who was told what and when and what they answered, the channel's history,
and the signed tree head of the log the export ends with.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..geo import destination
from ..service.clock import iso
from ..trackio import parse_time
from .outcome import alert_outcomes
from .replay import ReplayResult

__all__ = ["render_map", "write_report"]

_PARTY_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
_VERDICT_COLOURS = {"in-time": "#2e7d32", "late": "#ef6c00", "never": "#c62828"}


def _colours(parties: Sequence[str]) -> dict[str, str]:
    return {p: _PARTY_COLOURS[i % len(_PARTY_COLOURS)] for i, p in enumerate(parties)}


def _circle(lat: float, lon: float, radius_m: float) -> tuple[Any, Any]:
    az = np.linspace(0.0, 360.0, 91)
    clat, clon = destination(np.full_like(az, lat), np.full_like(az, lon), az, radius_m)
    return clon, clat


def _rings(geometry: dict[str, Any]) -> Iterable[list[list[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon
    elif geometry["type"] == "LineString":
        yield geometry["coordinates"]
    elif geometry["type"] == "MultiLineString":
        yield from geometry["coordinates"]


def _extent(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    if not points:
        return (-1.0, 1.0, -1.0, 1.0)
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    pad = max(0.15, 0.12 * max(max(lons) - min(lons), max(lats) - min(lats)))
    return (min(lons) - pad, max(lons) + pad, min(lats) - pad, max(lats) + pad)


def render_map(result: ReplayResult, alerts: Sequence[dict[str, Any]]) -> bytes:
    """The scenario's map as PNG bytes (lon/lat axes, aspect true at the mean latitude)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    colours = _colours(result.scenario.party_names)
    fig = Figure(figsize=(10, 8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    points: list[tuple[float, float]] = []
    for flight, states in result.flights:
        c = colours.get(flight.party, "#333")
        ax.plot(states.lon_deg, states.lat_deg, "-", color=c, lw=1.2, alpha=0.9)
        ax.plot(states.lon_deg[-1:], states.lat_deg[-1:], ">", color=c, ms=5)
        ax.annotate(flight.id, (states.lon_deg[0], states.lat_deg[0]), fontsize=7, color=c)
        points += list(zip(states.lon_deg.tolist(), states.lat_deg.tolist(), strict=True))
    for party, feature in result.declared:
        props, geom = feature["properties"], feature["geometry"]
        kind = props.get("kind", "zone")
        c = colours.get(party, "#333")
        if geom["type"] == "Point":
            lon, lat = geom["coordinates"][:2]
            radius = float(props.get("radius_m") or 0.0)
            points.append((lon, lat))
            if kind == "zone":
                xs, ys = _circle(lat, lon, radius)
                ax.fill(xs, ys, color=c, alpha=0.08)
                ax.plot(xs, ys, "--", color=c, lw=1)
            elif radius > 0:
                xs, ys = _circle(lat, lon, radius)
                style = "-" if kind == "strike" else ":"
                ax.fill(xs, ys, color=c, alpha=0.25 if kind == "strike" else 0.12)
                ax.plot(xs, ys, style, color=c, lw=1.5 if kind == "strike" else 1)
            marker = {"strike": "x", "protected": "P", "forces": "s"}.get(kind, "o")
            ax.plot([lon], [lat], marker, color=c, ms=6)
            ax.annotate(
                props["id"],
                (lon, lat),
                fontsize=7,
                color=c,
                xytext=(4, 4),
                textcoords="offset points",
            )
        else:
            for ring in _rings(geom):
                xs = [p[0] for p in ring]
                ys = [p[1] for p in ring]
                ax.plot(xs, ys, "--", color=c, lw=1)
            ax.annotate(props["id"], (xs[len(xs) // 2], ys[len(ys) // 2]), fontsize=7, color=c)
    for i, a in enumerate(alerts, 1):
        lon, lat = float(a["lon"]), float(a["lat"])
        points.append((lon, lat))
        ax.plot([lon], [lat], "*", color=_VERDICT_COLOURS[a["verdict"]], ms=12, mec="k", mew=0.5)
        ax.annotate(
            f"A{i}",
            (lon, lat),
            fontsize=8,
            weight="bold",
            xytext=(6, -10),
            textcoords="offset points",
        )
    x0, x1, y0, y1 = _extent(points)
    if result.scenario.borders is not None:
        for feature in result.scenario.borders.get("features", []):
            for ring in _rings(feature["geometry"]):
                ax.plot([p[0] for p in ring], [p[1] for p in ring], "-", color="#999", lw=0.7)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1.0 / max(0.1, float(np.cos(np.radians((y0 + y1) / 2)))))
    ax.set_xlabel("longitude, °E")
    ax.set_ylabel("latitude, °N")
    ax.grid(True, lw=0.3, alpha=0.5)
    handles = [ax.plot([], [], "-", color=colours[p], label=p)[0] for p in colours]
    ax.legend(handles=handles, loc="best", fontsize=8)
    ax.set_title(result.scenario.name, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _rel(result: ReplayResult, t: float) -> str:
    s = round(t - result.scenario.start_s)
    sign = "-" if s < 0 else "+"
    s = abs(s)
    return f"T{sign}{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _e(value: Any) -> str:
    return html.escape(str(value))


def _answers_cell(result: ReplayResult, a: dict[str, Any]) -> str:
    parts = []
    for p, ans in a["answers"].items():
        if ans is None:
            mark = " (suspended)" if p in a["suspended"] else ""
            need = "" if p in a["must_answer"] else " (not required)"
            parts.append(f"<b>{_e(p)}</b>: none{_e(mark)}{_e(need)}")
        else:
            t = _rel(result, parse_time(ans["at"]))
            parts.append(f"<b>{_e(p)}</b>: {_e(ans['response'])} at {t} (+{ans['after_s']:g} s)")
    return "<br>".join(parts)


def _alert_rows(result: ReplayResult, alerts: Sequence[dict[str, Any]]) -> str:
    rows = []
    for i, a in enumerate(alerts, 1):
        marks = []
        if a["suspended"]:
            marks.append("suspended: " + ", ".join(a["suspended"]))
        if a["overdue"]:
            marks.append("overdue: " + ", ".join(a["overdue"]))
        if a["escalated"]:
            marks.append("escalated")
        colour = _VERDICT_COLOURS[a["verdict"]]
        rows.append(
            "<tr>"
            f"<td>A{i}</td><td>{_e(a['kind'])}</td><td>{_e(' / '.join(a['subjects']))}</td>"
            f"<td>{_e(', '.join(a['parties']))}</td>"
            f"<td>{_rel(result, parse_time(a['raised_at']))}</td>"
            f"<td>{_rel(result, parse_time(a['predicted_at']))}</td>"
            f"<td>{a['lead_s']:.0f} s</td>"
            f"<td>{_answers_cell(result, a)}</td>"
            f"<td>{_e('; '.join(marks))}</td><td>{_e(a['state'])}</td>"
            f"<td style='color:{colour};font-weight:bold'>{_e(a['verdict'])}</td>"
            f"<td>{_e(a['why'])}</td>"
            "</tr>"
        )
    return "\n".join(rows)


def _timeline_rows(result: ReplayResult, numbers: dict[str, int]) -> str:
    rows = sorted(result.recorder.timeline, key=lambda r: r.at)
    out = []
    grouped: list[tuple[float, str, str | None, str, list[str]]] = []
    for r in rows:
        last = grouped[-1] if grouped else None
        if (
            last is not None
            and r.what == "told"
            and last[1] == "told"
            and last[0] == r.at
            and last[2] == r.alert
            and last[3] == r.text.replace(" (suspended)", "")
        ):
            last[4].append(r.party + (" (suspended)" if r.text.endswith("(suspended)") else ""))
            continue
        party = r.party + (
            " (suspended)" if r.what == "told" and r.text.endswith("(suspended)") else ""
        )
        text = r.text.replace(" (suspended)", "") if r.what == "told" else r.text
        grouped.append((r.at, r.what, r.alert, text, [party]))
    for at, what, alert, text, parties in grouped:
        ref = f"A{numbers[alert]}" if alert in numbers else ""
        out.append(
            f"<tr><td>{_rel(result, at)}</td><td>{_e(iso(at))}</td>"
            f"<td>{_e(', '.join(parties))}</td><td>{_e(what)}</td><td>{ref}</td>"
            f"<td>{_e(text)}</td></tr>"
        )
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:90%}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3} code{background:#f5f5f5;padding:1px 3px}
img{max-width:100%;border:1px solid #ddd}
"""


def write_report(result: ReplayResult, directory: str | os.PathLike[str]) -> Path:
    """Write ``index.html``, ``map.png``, ``export.jsonl`` and the log's public key
    (``public-key.txt``, base64) into ``directory`` (created if needed); returns the path
    of ``index.html``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    alerts = alert_outcomes(result)
    numbers = {a["id"]: i for i, a in enumerate(alerts, 1)}
    png = render_map(result, alerts)
    (out / "map.png").write_bytes(png)
    (out / "export.jsonl").write_text("\n".join(result.export) + "\n", encoding="utf-8")
    sc = result.scenario
    head = json.loads(result.head.sth)
    signed = result.head.to_dict()
    (out / "public-key.txt").write_text(signed["public_key"] + "\n", encoding="utf-8")
    counts = {v: sum(1 for a in alerts if a["verdict"] == v) for v in _VERDICT_COLOURS}
    channel = "\n".join(
        f"<tr><td>{_e(c.get('since'))}</td><td>{_e(c['party'])}</td><td>{_e(c['action'])}</td>"
        f"<td>{_e(c.get('reason') or '')}</td></tr>"
        for c in result.channel
    )
    no_alert = (
        "<p><b>No alert was raised.</b> The service can only warn about what the parties "
        "declare and report.</p>"
        if not alerts
        else ""
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>After-action report: {_e(sc.name)}</title><style>{_CSS}</style></head><body>
<h1>After-action report: {_e(sc.name)}</h1>
<p>{_e(sc.description)}</p>
<p>Replayed from {_e(iso(sc.start_s))} (T+00:00:00) to {_e(iso(sc.end_s))}, a detection
round every {sc.step_s:g} s. Parties: {_e(", ".join(sc.party_names))}.</p>
<h2>Summary</h2>
<p>{len(alerts)} alert(s): {counts["in-time"]} warned in time, {counts["late"]} late,
{counts["never"]} never answered.</p>{no_alert}
<h2>Map</h2>
<p>Tracks as flown, declared positions (squares, dotted circles), strikes (crosses, filled
circles), zones (dashed), alert places (stars A1…, coloured by verdict).</p>
<img alt="map of the scenario" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<h2>Alerts and verdicts</h2>
<p>In time: raised at least the warning threshold before the conflict (the kind's answer
deadline unless the scenario sets <code>warn_threshold_s</code>) and answered by every party
that must answer by the deadline. Late: answered, but too close to the conflict or after
the deadline. Never: a party never answered (its channel suspended, or no answer).</p>
<table><tr><th>#</th><th>kind</th><th>subjects</th><th>parties</th><th>raised</th>
<th>conflict</th><th>lead</th><th>answers</th><th>marks</th><th>state</th><th>verdict</th>
<th>why</th></tr>
{_alert_rows(result, alerts)}
</table>
<h2>Timeline: who was told what, and when</h2>
<table><tr><th>time</th><th>UTC</th><th>party</th><th>what</th><th>alert</th><th>detail</th></tr>
{_timeline_rows(result, numbers)}
</table>
<h2>The channel</h2>
{
        "<table><tr><th>since</th><th>party</th><th>action</th><th>reason</th></tr>"
        + channel
        + "</table>"
        if channel
        else "<p>Open throughout.</p>"
    }
<h2>The record</h2>
<p>Every submission, alert, notification, answer and channel change above is an entry
of the log. Its signed tree head at the end of the replay:</p>
<table>
<tr><th>tree size</th><td>{head["tree_size"]}</td></tr>
<tr><th>root hash</th><td><code>{_e(head["root_hash"])}</code></td></tr>
<tr><th>timestamp</th><td>{head["timestamp"]} ({_e(iso(head["timestamp"] / 1000))})</td></tr>
<tr><th>public key</th><td><code>{_e(signed["public_key"])}</code></td></tr>
<tr><th>signature</th><td><code>{_e(signed["signature"])}</code></td></tr>
</table>
<p>The whole log is in <code>export.jsonl</code> beside this page, and the replay's
public key in <code>public-key.txt</code>. Check it with
<code>deconflict verify export.jsonl --public-key {_e(signed["public_key"])}</code>.</p>
</body></html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
