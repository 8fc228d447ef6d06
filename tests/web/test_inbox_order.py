"""The inbox's order, run in the browser on the page's own module."""

from __future__ import annotations

from typing import Any

from web.screens import WebServer

NOW = "2026-01-01T12:00:00Z"
SCRIPT = """async (alerts) => {
  const { inboxOrder } = await import('/static/js/state.js');
  return inboxOrder(alerts, 'blue', Date.parse('2026-01-01T12:00:00Z')).map((a) => a.id);
}"""


def alert(id: str, **kw: Any) -> dict[str, Any]:
    base = {
        "id": id,
        "kind": "separation",
        "parties": ["blue", "red"],
        "awaiting": ["blue", "red"],
        "state": "notified",
        "t": 120.0,
        "raised_at": NOW,
        "updated_at": NOW,
        "deadline": "2026-01-01T12:01:00Z",
        "acks": {"blue": None, "red": None},
        "escalated": False,
        "closed_at": None,
    }
    return {**base, **kw}


def test_inbox_puts_escalated_then_owed_then_most_urgent_then_closed(
    browser: Any, server: WebServer
) -> None:
    alerts = [
        alert("closed-old", state="resolved", closed_at="2026-01-01T11:00:00Z"),
        alert("closed-new", state="expired", closed_at="2026-01-01T11:30:00Z"),
        alert("answered-by-me", acks={"blue": {"response": "wilco", "at": NOW}, "red": None}),
        alert("later", t=250.0, deadline="2026-01-01T12:02:00Z"),
        alert("sooner", t=40.0, deadline="2026-01-01T12:00:20Z"),
        alert("escalated", t=200.0, escalated=True, overdue=["blue"]),
        alert(
            "older-tie", t=250.0, deadline="2026-01-01T12:02:00Z", raised_at="2026-01-01T11:59:59Z"
        ),
    ]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        order = page.evaluate(SCRIPT, alerts)
    finally:
        context.close()
    assert order == [
        "escalated",
        "sooner",
        "later",
        "older-tie",
        "answered-by-me",
        "closed-new",
        "closed-old",
    ]
