"""Plan and targets: numbers per year and city, milestones (节点控制) and overdue detection."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher.dockings.kpis import city_label
from techmatch.matcher.programme import registry
from techmatch.matcher.programme.places import Places
from techmatch.models.programme import METRIC_LABELS, Milestone, Target, unknown_metric
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


log = logging.getLogger(__name__)
MERGED_KEY = "programme.targets_merged"  # meta: when stored writings were last merged


@dataclass(frozen=True)
class MergedTarget:
    """A target whose city was stored in several writings: the row kept and those removed."""

    year: int
    city: str  # the writing kept
    metric: str
    value: float
    dropped: list[tuple[str, float]]  # (city as written, value) of the rows removed


def merge_target_writings(store: Store) -> list[MergedTarget]:
    """Merge stored targets whose cities are writings of one city as `target_places` keys it
    (蘇州 and 苏州, 朝阳(北京市) and 朝阳（北京）, 苏州 and 苏州（江苏）): rows set before 104d22b
    and c668b4e made setting a target replace its other writings, or split since by a pilot
    city registered later. Per (year, city, metric) the most recently updated row is kept
    (on a tie the one whose city text sorts last: the one the dashboard showed); the others
    are deleted, in one transaction, and nothing else changes. Returns what was merged, by
    year, city and metric."""
    repo = ProgrammeRepo(store)
    place = target_places(store)
    merged: list[tuple[tuple[int, str, str], MergedTarget]] = []
    with repo.transaction():
        stale: list[tuple[int, str, str]] = []
        for key, rows in _writings(repo.targets(), place).items():
            if len(rows) < 2:
                continue
            keep = _newest(rows)
            others = sorted((r for r in rows if r is not keep), key=lambda r: r.city)
            stale += [(r.year, r.city, r.metric) for r in others]
            merged.append((key, MergedTarget(keep.year, keep.city, keep.metric, keep.value,
                                             [(r.city, r.value) for r in others])))
        repo.delete_targets(stale)
    for _, m in sorted(merged, key=lambda km: km[0]):
        log.info("目标 %s 年 %s %s：保留“%s”的 %s（最近更新），删除 %s", m.year, m.city,
                 METRIC_LABELS.get(m.metric, m.metric), m.city, m.value,
                 "、".join(f"“{c}”的 {v}" for c, v in m.dropped))
    return [m for _, m in sorted(merged, key=lambda km: km[0])]


def _writings(rows: Sequence[TargetRow], place: Callable[[str], str]
              ) -> dict[tuple[int, str, str], list[TargetRow]]:
    """Rows by the target they are — (year, city as `target_places` keys it, metric) — in
    the order given."""
    groups: dict[tuple[int, str, str], list[TargetRow]] = defaultdict(list)
    for row in rows:
        groups[(row.year, place(row.city), row.metric)].append(row)
    return groups


def _newest(rows: Sequence[TargetRow]) -> TargetRow:
    """The writing a merge keeps: the most recently updated; on a tie the one whose city
    text sorts last (the one the dashboard showed)."""
    return max(rows, key=lambda r: (r.updated, r.city))


def merge_once(store: Store, *, again: bool = False) -> None:
    """A store whose targets were never merged (`merge_target_writings`) is merged now, and
    that is recorded in meta (`MERGED_KEY`: when, and how many targets): the programme's data
    migration, run by the first programme write (`set_targets`, `delete_target`,
    `registry.save` / `remove`: the API's PUT / DELETE, imports, the CLI), inside the caller's
    transaction when there is one. Never by a read: a GET must not write, and a store not
    merged yet reads as the merge will leave it (`list_targets`). Not a store schema
    migration: the store layer knows no city normalisation. A store merged before is not
    merged again; `again` (pilot cities saved: a city registered since can make two stored
    writings one) merges whatever is split, keeping the first record."""
    if store.get_meta(MERGED_KEY) is not None and not again:
        return
    repo = ProgrammeRepo(store)
    with repo.transaction():
        first = store.get_meta(MERGED_KEY) is None  # not merged by another writer meanwhile
        merged = merge_target_writings(store) if first or again else []
        if first:
            at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            store.set_meta(MERGED_KEY, f"{at} merged={len(merged)}")


def stored_city(store: Store) -> Callable[[str], str]:
    """A target's city as `set_targets` stores it: the id of the pilot city it names in any
    writing (朝陽(遼寧省), 朝阳(辽宁) and 朝阳（辽宁） are 朝阳（辽宁）, as the pilot-city routes
    and the dashboard read them), else the city in the dashboard's form (`city_label`: 蘇州
    is 苏州; a name several pilot cities share as written)."""
    places = Places.of(store)

    def stored(city: str) -> str:
        key = places.key(city)
        return key if key in places.pilots else city_label(city)
    return stored


def refuse_shared_names(store: Store, items: Sequence[Target], *, field: str = "city") -> None:
    """ValidationError (field `field` with the item's index: body.0.city) for the first
    target whose city is a name several pilot cities share, without a province (朝阳 when
    朝阳（辽宁） and 朝阳（北京） are pilot cities): the board could not place it. As the
    targets list and the pilot-city routes refuse such a name; imports warn instead."""
    places = Places.of(store)
    for i, t in enumerate(items):
        if (shared := places.unplaced(places.key(t.city))) is not None:
            raise ValidationError(
                f"试点城市“{t.city}”有 {len(shared.ids)} 个同名城市（{'、'.join(shared.ids)}），"
                f"请写明省份，如“{shared.ids[0]}”", field=f"{field}.{i}.city")


def set_targets(store: Store, items: Sequence[Target]) -> list[Target]:
    """Store targets, the city under the pilot city's id or in the dashboard's form
    (`stored_city`): a (year, city, metric) given again replaces its value, also when its
    city is written another way (蘇州 given after 苏州, 朝阳（北京） after 朝阳(北京市), or the
    other way round, is one target; the last value given is kept). Returns the targets as
    stored, in the order given (one per target). The store's first programme write: merges
    stored writings once (`merge_once`)."""
    merge_once(store)
    repo = ProgrammeRepo(store)
    place = target_places(store)
    stored = stored_city(store)
    rows = list({(t.year, place(t.city), t.metric): TargetRow(
        t.year, stored(t.city), t.metric, t.value) for t in items}.values())
    given = {(r.year, r.city, r.metric) for r in rows}
    keys = {(r.year, place(r.city), r.metric) for r in rows}
    stale = [(r.year, r.city, r.metric) for r in repo.targets(years=sorted({r.year for r in rows}))
             if (r.year, r.city, r.metric) not in given
             and (r.year, place(r.city), r.metric) in keys]
    with repo.transaction():
        repo.delete_targets(stale)
        repo.set_targets(rows)
    return [_target(r) for r in rows]


def metric_code(text: str) -> str:
    """A metric by its code or Chinese name (签约对接数 → dockings_signed)."""
    codes = {label: code for code, label in METRIC_LABELS.items()}
    found = text.strip() if text.strip() in METRIC_LABELS else codes.get(text.strip())
    if found is None:
        raise ValidationError(unknown_metric(text), field="metric")
    return found


def delete_target(store: Store, *, year: int, city: str, metric: str) -> None:
    """Remove one target (every stored writing of its city: 蘇州 is 苏州, 朝阳（北京） is
    朝阳(北京市); a name several pilot cities share removes the target typed with that name);
    NotFoundError when there is none."""
    code = metric_code(metric)
    merge_once(store)
    place = target_places(store)
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
    several pilot cities share raises ValidationError (field `city`) listing them. Writes
    nothing: on a store whose writings were never merged (`merge_once`) each target reads as
    the merge will leave it, its newest writing."""
    rows = ProgrammeRepo(store).targets(years=years)
    if store.get_meta(MERGED_KEY) is None:
        keep = {id(_newest(found)) for found in _writings(rows, target_places(store)).values()}
        rows = [r for r in rows if id(r) in keep]
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
