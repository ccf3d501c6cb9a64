"""Events: a saved roadshow plan becomes an event; its invitations become dockings.

`roadshow_event` turns a `RoadshowPlan` into an `Event` (invited enterprises with their need
and the achievement they are invited to, presenters with their role); `record_dockings`
creates one docking (source `roadshow`) per invitation through the dockings service, links
it on the invitation and marks the invitation `docking`. Running it again links the dockings
already there instead of failing. The dockings are created on the event's date (创建日期, China
date) — a roadshow held last week and recorded today produced its dockings last week — or on
today when the event is still ahead; a given `created_on` (not after today) replaces it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel, Field

from techmatch.errors import ConflictError, NotFoundError, ValidationError, coded
from techmatch.matcher.dockings import (
    DockingFilters,
    NewDocking,
    ServiceLevels,
    create_docking,
    list_dockings,
)
from techmatch.matcher.dockings.tracking import creation_time, utcnow
from techmatch.matcher.programme import registry
from techmatch.matcher.roadshow import RoadshowPlan
from techmatch.models.programme import (
    EVENT_TYPE_LABELS,
    EVENT_TYPES,
    Event,
    Outcome,
    Participant,
    china_day,
)
from techmatch.models.records import Expert
from techmatch.store import Store


def roadshow_event(plan: RoadshowPlan, *, event_id: str, title: str | None = None,
                   team_id: str | None = None, organiser: str | None = None,
                   overseas: bool = False, experts: Mapping[str, Expert] | None = None
                   ) -> Event:
    """The event a roadshow plan describes (not stored yet); the plan needs city and date."""
    if plan.date is None:
        raise ValidationError("路演方案需要日期才能保存为活动", field="date")
    if not plan.city:
        raise ValidationError("路演方案需要城市才能保存为活动", field="city")
    experts = experts or {}
    people: list[Participant] = []
    for item in plan.items:
        if item.expert is not None:
            who = experts.get(item.expert.expert_id)
            people.append(Participant(
                role="presenter", kind="expert", ref=item.expert.expert_id,
                name=item.expert.name, achievement_id=item.achievement_id,
                overseas=bool(who and who.overseas), reason=item.expert.reason))
        for v in item.invitees:
            people.append(Participant(
                role="invitee", kind="enterprise", name=v.enterprise or v.need_id,
                need_id=v.need_id, achievement_id=item.achievement_id, reason=v.reason,
                status="invited"))
    what = "海外人才中国行" if overseas else "技术路演"
    default = f"{what}·{plan.city}" + (f"·{plan.industry}" if plan.industry else "")
    return Event(id=event_id, type="roadshow", title=title or default, date=plan.date,
                 city=plan.city, industry=plan.industry, organiser=organiser,
                 team_id=team_id, overseas=overseas, participants=people,
                 plan=plan.model_dump(mode="json"))


def save_event(store: Store, event: Event) -> Event:
    registry.save(store, "event", [event])
    return event


class DockingLink(BaseModel):
    """What `record_dockings` did for one invitation."""

    need_id: str
    achievement_id: str
    docking_id: str
    created: bool = Field(description="False when the pair already had a docking")


def _existing(store: Store, need_id: str, candidate_id: str) -> str:
    found, _ = list_dockings(store, DockingFilters(need_id=need_id, candidate_id=candidate_id),
                             limit=1)
    if not found:
        raise NotFoundError(f"需求 {need_id} 与 {candidate_id} 之间没有对接")
    return found[0].id


def record_dockings(store: Store, event_id: str, *, actor: str | None = None,
                    owner: str | None = None, levels: ServiceLevels | None = None,
                    created_on: dt.date | None = None,
                    now: dt.datetime | None = None) -> list[DockingLink]:
    """One docking per invitation of the event (see the module docstring); due dates follow
    `levels` (the home's service_levels.json). Created on `created_on` (创建日期), by default
    the event's date, or today (China date) when the event is after today; a `created_on`
    after today raises ValidationError naming `created_on`, nothing stored."""
    event: Event = registry.get(store, "event", event_id)
    recorded = now or utcnow()
    creation_time(created_on, now=recorded)  # a date after today: refused before anything
    day = created_on if created_on is not None else min(event.date, china_day(recorded))
    links: list[DockingLink] = []
    people = []
    for p in event.participants:
        if p.role != "invitee" or not p.need_id or not p.achievement_id or p.docking_id:
            people.append(p)
            continue
        spec = NewDocking(need_id=p.need_id, candidate_id=p.achievement_id, source="roadshow",
                          owner=owner, team=event.team_id,
                          note=f"路演活动 {event.id}：{event.title}", created_on=day)
        try:
            docking_id, created = create_docking(store, spec, actor=actor, levels=levels,
                                                 now=recorded).id, True
        except ConflictError:
            docking_id, created = _existing(store, p.need_id, p.achievement_id), False
        links.append(DockingLink(need_id=p.need_id, achievement_id=p.achievement_id,
                                 docking_id=docking_id, created=created))
        people.append(p.model_copy(update={"docking_id": docking_id, "status": "docking"}))
    save_event(store, event.model_copy(update={"participants": people}))
    return links


def set_outcome(store: Store, event_id: str, *, status: str | None = None,
                attendance: int | None = None, notes: str | None = None,
                attended: list[str] | None = None) -> Event:
    """Record what happened: status (held / cancelled), attendance, notes, and which invited
    enterprises (by need id) attended."""
    event: Event = registry.get(store, "event", event_id)
    update: dict[str, object] = {}
    if status is not None:
        update["status"] = status
    if attendance is not None or notes is not None:
        update["outcome"] = Outcome(
            attendance=attendance if attendance is not None else event.outcome.attendance,
            notes=notes if notes is not None else event.outcome.notes)
    if attended:
        wanted = set(attended)
        unknown = sorted(wanted - {p.need_id for p in event.participants if p.need_id})
        if unknown:  # a typo would otherwise be ignored and nobody marked
            raise ValidationError(f"以下需求没有受邀参加活动 {event_id}：{'、'.join(unknown)}",
                                  field="attended")
        update["participants"] = [
            p.model_copy(update={"status": "attended"})
            if p.need_id in wanted and p.status == "invited" else p for p in event.participants]
    changed = Event.model_validate({**event.model_dump(), **update})
    return save_event(store, changed)


def list_events(store: Store, *, city: str | None = None, type: str | None = None,
                start: dt.date | None = None, end: dt.date | None = None) -> list[Event]:
    if type is not None and type not in EVENT_TYPES:
        valid = coded(EVENT_TYPES, EVENT_TYPE_LABELS)
        raise ValidationError(f"未知活动类型 {type}（可选：{valid}）", field="type")
    found = registry.items(store, "event", city=city, start=start, end=end)
    return [e for e in found if type is None or e.type == type]
