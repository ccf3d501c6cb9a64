"""What a viewer without access to confidential needs may read of a programme event.

An event built from a confidential need gives it away in more than its invitation: a training
topic is named by its needs' keywords (培训·苏州·oled、mura缺陷) and a trainer's reason cites
the need it ranked for (A081《…OLED面板Mura缺陷检测》（需求 N037 第 1 名）: the achievement's title
names the need's topic). For such a viewer the invitation loses enterprise, need and reason (as
before), a reason loses the works it cites for hidden needs, every other text loses the ids of
hidden needs, and an event that
involves one (invited, or cited in a reason, its outcome notes or its saved plan) shows a
neutral title and no topic, saved plan or outcome notes.
One rule for the API, the console's event pages and the 项目看板 (JSON, XLSX, PNG). A team
dispatch sent to one loses its id and its enterprise's name, and its purpose and outcome.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set

from techmatch.models.programme import EVENT_TYPE_LABELS, Dispatch, Event

HIDDEN_NAME = "（保密需求）"
HIDDEN_ID = "（保密需求）"
HIDDEN_TEXT = "（含保密需求，内容不公开）"
HIDDEN_WORK = "（一项保密需求的相关成果，不公开）"
# ids are ASCII in practice (N037, need-secret); a CJK id is still hidden as an invitation
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-:/]*")
# a work a trainer's reason cites for a need (techmatch.matcher.programme.training)
_CITED = re.compile(r"[^；：《》]*《[^》]*》（需求 (?P<need>[^\s）]+) 第 \d+ 名）")


def scrub(text: str, hidden: Set[str]) -> tuple[str, bool]:
    """`text` with every hidden need id replaced, and whether one was there."""
    found = False

    def swap(m: re.Match[str]) -> str:
        nonlocal found
        if m.group() in hidden:
            found = True
            return HIDDEN_ID
        return m.group()

    return (_ID.sub(swap, text), found) if text else (text, False)


def drop_cited(text: str, hidden: Set[str]) -> tuple[str, bool]:
    """`text` with every work it cites for a hidden need replaced by HIDDEN_WORK, and whether
    one was there (the work's title would name the need's topic)."""
    found = False

    def swap(m: re.Match[str]) -> str:
        nonlocal found
        if m.group("need") in hidden:
            found = True
            return HIDDEN_WORK
        return m.group()

    return (_CITED.sub(swap, text), found) if text else (text, False)


def neutral_title(event: Event) -> str:
    """The title shown instead of one that may name a confidential need's topic."""
    return f"{EVENT_TYPE_LABELS[event.type]}·{event.city}（含保密需求，主题不公开）"


def redact(event: Event, hidden: Set[str]) -> Event:
    """`event` as a viewer who may not see the `hidden` needs reads it (see module doc)."""
    if not hidden:
        return event
    involved = False
    people = []
    for p in event.participants:
        if p.need_id in hidden:
            involved = True
            people.append(p.model_copy(update={"name": HIDDEN_NAME, "need_id": None,
                                               "reason": ""}))
            continue
        reason, cited = drop_cited(p.reason, hidden)
        reason, named = scrub(reason, hidden)
        involved |= cited or named
        people.append(p.model_copy(update={"reason": reason}) if cited or named else p)
    involved |= scrub(event.outcome.notes, hidden)[1]
    # a saved plan lists the needs each achievement covers, invited or not
    involved |= event.plan is not None and scrub(json.dumps(event.plan, ensure_ascii=False,
                                                            default=str), hidden)[1]
    if not involved:
        return event
    # staff's outcome notes describe the event, and so the hidden need's problem, freely
    notes = HIDDEN_TEXT if event.outcome.notes else ""
    return event.model_copy(update={"participants": people, "plan": None, "topic": None,
                                    "title": neutral_title(event),
                                    "outcome": event.outcome.model_copy(update={"notes": notes})})


def redact_dispatch(dispatch: Dispatch, hidden: Set[str], enterprises: Set[str]) -> Dispatch:
    """`dispatch` as a viewer who may not see the `hidden` needs reads it: when it served
    one, their ids go, their `enterprises` (names) read HIDDEN_NAME, and the purpose and
    outcome, which describe the problem, read HIDDEN_TEXT."""
    if not set(dispatch.need_ids) & hidden:
        return dispatch
    return dispatch.model_copy(update={
        "need_ids": [n for n in dispatch.need_ids if n not in hidden],
        "enterprises": [HIDDEN_NAME if e in enterprises else e for e in dispatch.enterprises],
        "purpose": HIDDEN_TEXT if dispatch.purpose else "",
        "outcome": HIDDEN_TEXT if dispatch.outcome else ""})


__all__ = ["HIDDEN_NAME", "HIDDEN_TEXT", "HIDDEN_WORK", "drop_cited", "neutral_title", "redact",
           "redact_dispatch", "scrub"]
