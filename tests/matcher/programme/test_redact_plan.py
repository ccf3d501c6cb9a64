"""A roadshow saved as an event keeps its plan, whose items list the needs each achievement
covers. An event that invited no confidential need but whose plan covered one (invites per
achievement 0, or the need not among the invited) showed read keys the plan: the need's id
and which achievement addresses it (车规级碳化硅…散热封装 covers N010). A plan naming a
hidden need now makes the event involved: neutral title, no plan."""

from __future__ import annotations

import datetime as dt

from techmatch.matcher.programme.redact import redact
from techmatch.models.programme import Event, Participant

HIDDEN = frozenset({"N010"})


def _event(covered: list[str]) -> Event:
    presenter = Participant(role="presenter", kind="expert", ref="E018", name="蒋伟",
                            achievement_id="A025", reason="成果完成人")
    plan = {"city": "杭州", "items": [{"rank": 1, "achievement_id": "A025",
                                      "title": "车规级碳化硅功率模块双面散热封装技术",
                                      "covered_needs": covered, "invitees": []}]}
    return Event(id="RS", type="roadshow", title="技术路演·杭州", date=dt.date(2026, 12, 16),
                 city="杭州", participants=[presenter], plan=plan)


def test_a_plan_covering_a_hidden_need_is_withheld() -> None:
    seen = redact(_event(["N010", "N012"]), HIDDEN)
    assert (seen.title, seen.plan, seen.topic) == \
        ("技术路演·杭州（含保密需求，主题不公开）", None, None)
    assert seen.participants == _event([]).participants


def test_a_plan_of_public_needs_is_kept() -> None:
    event = _event(["N0100", "N012"])
    assert redact(event, HIDDEN) == event
