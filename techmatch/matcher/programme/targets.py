"""Plan and targets: numbers per year and city, milestones (节点控制) and overdue detection."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher.dockings.kpis import city_label
from techmatch.matcher.programme import registry
from techmatch.matcher.programme.places import Places
from techmatch.models.programme import METRIC_LABELS, Milestone, Target
from techmatch.store import Store
from techmatch.store.programme import ProgrammeRepo, TargetRow


def target_places(store: Store) -> Callable[[str], str]:
    """A target's city as one target has it: the pilot city it names (`places.Places.key`:
    朝阳（北京） is 朝阳(北京市), 苏州 is 苏州（江苏）), else the city in the dashboard's form
    (`city_label`: 蘇州 is 苏州) — also a name several pilot cities share, as written."""
    places = Places.of(store)

    def place(city: str) -> str:
        key = places.key(city)
        return city_label(city) if places.unplaced(key) is not None else key
    return place


def set_targets(store: Store, items: Sequence[Target]) -> None:
    """Store targets, the city in the dashboard's form (`city_label`): a (year, city, metric)
    given again replaces its value, also when its city is written another way (蘇州 given
    after 苏州, 朝阳（北京） after 朝阳(北京市), or the other way round, is one target; the
    last writing given is kept)."""
    repo = ProgrammeRepo(store)
    place = target_places(store)
    rows = list({(t.year, place(t.city), t.metric): TargetRow(
        t.year, city_label(t.city), t.metric, t.value) for t in items}.values())
    given = {(r.year, r.city, r.metric) for r in rows}
    keys = {(r.year, place(r.city), r.metric) for r in rows}
    stale = [(r.year, r.city, r.metric) for r in repo.targets(years=sorted({r.year for r in rows}))
             if (r.year, r.city, r.metric) not in given
             and (r.year, place(r.city), r.metric) in keys]
    with repo.transaction():
        repo.delete_targets(stale)
        repo.set_targets(rows)


def metric_code(text: str) -> str:
    """A metric by its code or Chinese name (签约对接数 → dockings_signed)."""
    codes = {label: code for code, label in METRIC_LABELS.items()}
    found = text.strip() if text.strip() in METRIC_LABELS else codes.get(text.strip())
    if found is None:
        raise ValidationError(f"unknown metric {text!r}; valid: {', '.join(METRIC_LABELS)}",
                              field="metric")
    return found


def delete_target(store: Store, *, year: int, city: str, metric: str) -> None:
    """Remove one target (every stored writing of its city: 蘇州 is 苏州, 朝阳（北京） is
    朝阳(北京市); a name several pilot cities share removes the target typed with that name);
    NotFoundError when there is none."""
    code, place = metric_code(metric), target_places(store)
    want = place(city)
    repo = ProgrammeRepo(store)
    found = [(r.year, r.city, r.metric) for r in repo.targets(years=[year])
             if r.metric == code and place(r.city) == want]
    if not found:
        raise NotFoundError(f"没有 {year} 年“{city}”的{METRIC_LABELS[code]}目标（{code}）")
    repo.delete_targets(found)


def list_targets(store: Store, *, years: Sequence[int] = (),
                 city: str | None = None) -> list[Target]:
    """Targets of the years (all when none) and of `city` as the dashboard keys it
    (`places.Places`): a pilot city's id in any writing (朝阳（北京） is 朝阳(北京市)), a name
    one pilot city has (苏州 is 苏州（江苏）), another city by its name (蘇州 is 苏州); a name
    several pilot cities share raises ValidationError (field `city`) listing them."""
    rows = ProgrammeRepo(store).targets(years=years)
    if city is None:
        return [_target(r) for r in rows]
    places = Places.of(store)
    want = places.lookup(city)
    return [_target(r) for r in rows if places.key(r.city) == want]


def _target(row: TargetRow) -> Target:
    if math.isfinite(row.value):
        return Target(year=row.year, city=row.city, metric=row.metric, value=row.value)
    # stored before non-finite values were refused: read it as it is
    checked = Target(year=row.year, city=row.city, metric=row.metric, value=0.0)
    return checked.model_copy(update={"value": row.value})


class OverdueMilestone(BaseModel):
    """A milestone past its due date and not done, with the days it is late."""

    milestone: Milestone
    days_late: int


def overdue_milestones(store: Store, *, today: dt.date, city: str | None = None,
                       year: int | None = None) -> list[OverdueMilestone]:
    """Milestones not done by their due date (before `today`), most late first, ties by id."""
    found = [m for m in registry.items(store, "milestone", city=city, end=today)
             if m.overdue(today) and (year is None or m.year == year)]
    found.sort(key=lambda m: (m.due, m.id))
    return [OverdueMilestone(milestone=m, days_late=m.days_late(today)) for m in found]
