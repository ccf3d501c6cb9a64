"""An event's outcome notes are staff text like the reasons: for a viewer who may not see a
confidential need they named its id and described its problem (N010（驰越电驱）碳化硅…) on the
event read through the API and the console, although title, topic and plan were hidden."""

from __future__ import annotations

import datetime as dt

from techmatch.matcher.programme.redact import HIDDEN_TEXT, redact
from techmatch.models.programme import Event, Outcome, Participant

HIDDEN = frozenset({"N010"})
NOTES = "N010（驰越电驱）碳化硅模块散热方案意向强烈，N008 待回访"


def _event(notes: str, *people: Participant) -> Event:
    return Event(id="RS", type="roadshow", title="技术路演·杭州", date=dt.date(2026, 12, 15),
                 city="杭州", participants=list(people),
                 outcome=Outcome(attendance=30, notes=notes))


def test_notes_of_an_event_that_invited_a_hidden_need_are_withheld() -> None:
    invited = Participant(role="invitee", kind="enterprise", name="杭州驰越电驱动科技有限公司",
                          need_id="N010", reason="匹配分 0.90")
    seen = redact(_event("碳化硅模块散热方案意向强烈", invited), HIDDEN)
    assert seen.outcome == Outcome(attendance=30, notes=HIDDEN_TEXT)


def test_notes_naming_a_hidden_need_make_the_event_involved() -> None:
    public = Participant(role="invitee", kind="enterprise", name="某茶叶合作社", need_id="N008")
    seen = redact(_event(NOTES, public), HIDDEN)
    assert seen.outcome.notes == HIDDEN_TEXT
    assert seen.title == "技术路演·杭州（含保密需求，主题不公开）"
    assert seen.participants == [public]


def test_notes_of_an_event_without_hidden_needs_are_kept() -> None:
    public = Participant(role="invitee", kind="enterprise", name="某茶叶合作社", need_id="N008")
    assert redact(_event("N008 待回访", public), HIDDEN) == _event("N008 待回访", public)
    assert redact(_event("", public.model_copy(update={"need_id": "N010"})),
                  HIDDEN).outcome.notes == ""
