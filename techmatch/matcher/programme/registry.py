"""Registries of the programme: save, read, list and delete pilot cities, organisations, teams,
dispatches, workstations, orders, events and milestones (the service functions the API, CLI
and console call)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from techmatch.errors import NotFoundError, ValidationError, coded, no_such
from techmatch.matcher.dockings.kpis import city_label
from techmatch.matcher.programme.places import province_label
from techmatch.models.programme import REGISTRY_LABELS, REGISTRY_TYPES, PilotCity, pilot_city_id
from techmatch.store import Store
from techmatch.store.programme import ItemRow, ProgrammeRepo

KINDS: tuple[str, ...] = tuple(REGISTRY_TYPES)


def check_kind(kind: str) -> type[BaseModel]:
    """The model of a registry kind; unknown kinds raise and list the valid ones."""
    try:
        return REGISTRY_TYPES[kind]
    except KeyError:
        valid = coded(KINDS, REGISTRY_LABELS)
        raise ValidationError(f"未知登记类别 {kind}（可选：{valid}）", field="kind") from None


def _columns(kind: str, item: Any) -> tuple[str | None, str | None, str | None]:
    """(city, day, ref) of a record: what lists filter on."""
    day: dt.date | None = None
    ref: str | None = None
    city = getattr(item, "city", None)
    if kind == "city":
        city, day = item.name, item.start
    elif kind == "team":
        day = item.formed_on
    elif kind in ("dispatch", "workstation"):
        day = item.start
        ref = item.team_id if kind == "dispatch" else item.expert_id
    elif kind == "order":
        day = item.ordered_on
    elif kind == "event":
        day, ref = item.date, item.team_id
    elif kind == "milestone":
        day = item.due
    return city, day.isoformat() if day else None, ref


def to_row(kind: str, item: BaseModel) -> ItemRow:
    city, day, ref = _columns(kind, item)
    return ItemRow(kind, str(item.id), city, day, ref,  # type: ignore[attr-defined]
                   item.model_dump_json())


@dataclass
class SaveReport:
    """Ids created and updated by one save."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"created": self.created, "updated": self.updated}


def save(store: Store, kind: str, items: Sequence[BaseModel]) -> SaveReport:
    """Insert or replace records of one registry in one transaction. Pilot cities are placed
    first (`place_cities`): a city named without a province that several pilot cities share
    raises ValidationError (field `<n>.province`); targets whose cities the new pilot cities
    make one city (朝阳(北京市) and 朝阳(北京) once 朝阳（北京） is registered) are merged in the
    same transaction (`targets.merge_target_writings`: the newest kept), as are a store's
    never merged before on its first programme write (`targets.merge_once`)."""
    model = check_kind(kind)
    for item in items:
        if not isinstance(item, model):
            raise ValidationError(f"expected a {model.__name__}, got {type(item).__name__}",
                                  field="kind")
    repo = ProgrammeRepo(store)
    moved: list[str | None] = [None] * len(items)  # the row a city replaces (got its province)
    if kind == "city":
        cities = [i for i in items if isinstance(i, PilotCity)]
        placed = []
        for n, where in enumerate(place_cities(store, cities)):
            if isinstance(where, str):
                raise ValidationError(where, field=f"{n}.province")
            placed.append(where)
        items, moved = [p.city for p in placed], [p.replaces for p in placed]
    with repo.transaction():
        flags = repo.put([to_row(kind, i) for i in items])
        for old in moved:
            if old is not None:
                repo.delete("city", old)
        # the store's first programme write merges stored target writings (once); pilot
        # cities saved merge those a city now registered makes one
        from techmatch.matcher.programme.targets import merge_once

        merge_once(store, again=kind == "city")
    flags = [new and old is None for new, old in zip(flags, moved, strict=True)]
    report = SaveReport()
    for item, new in zip(items, flags, strict=True):
        (report.created if new else report.updated).append(str(item.id))  # type: ignore[attr-defined]
    return report


def get(store: Store, kind: str, item_id: str) -> Any:
    """One record (NotFoundError when missing); a pilot city by `city_key`."""
    model = check_kind(kind)
    if kind == "city":
        item_id = city_key(store, item_id)
    return model.model_validate_json(ProgrammeRepo(store).get(kind, item_id).data)


def find(store: Store, kind: str, item_id: str) -> Any | None:
    model = check_kind(kind)
    if kind == "city":
        try:
            item_id = city_key(store, item_id)
        except NotFoundError:
            return None
    row = ProgrammeRepo(store).find(kind, item_id)
    return model.model_validate_json(row.data) if row else None


_QUALIFIED = re.compile(r"^(.+?)\s*[（(]\s*(.+?)\s*[）)]$")


def city_key(store: Store, ref: str) -> str:
    """The id of the pilot city `ref` names: its id (朝阳（辽宁）), the name with the province
    in either brackets (朝阳(辽宁省), or in traditional writing 朝陽(遼寧省)), or the bare name
    when one pilot city has it (苏州, 蘇州).
    A bare name several pilot cities share raises ValidationError (field `province`) listing
    them; an unknown one NotFoundError."""
    repo = ProgrammeRepo(store)
    text = ref.strip()
    if repo.find("city", text) is not None:
        return text
    qualified = _QUALIFIED.match(text)
    if qualified:
        key = pilot_city_id(qualified.group(1), qualified.group(2))
        if repo.find("city", key) is not None:
            return key
        # in another writing (朝陽(遼寧省) is 朝阳（辽宁）): name and province compared folded
        want = province_label(qualified.group(2))
        same = [c for c in _named(items(store, "city"), qualified.group(1))
                if c.province and province_label(c.province) == want]
        if len(same) == 1:
            return same[0].id
    else:
        same = _named(items(store, "city"), text)
        if len(same) == 1:
            return same[0].id
        if same:
            raise ValidationError(_ambiguous(text, same), field="province")
    raise no_such("city", ref)


def _named(cities: Sequence[PilotCity], name: str) -> list[PilotCity]:
    """The pilot cities of one name (蘇州 is 苏州), by id."""
    want = city_label(name)
    return sorted((c for c in cities if city_label(c.name) == want), key=lambda c: c.id)


def _ambiguous(name: str, same: Sequence[PilotCity]) -> str:
    ids = [c.id for c in same]
    return (f"试点城市“{name}”有 {len(ids)} 个同名城市（{'、'.join(ids)}），请写明省份，如"
            f"“{ids[0]}”")


@dataclass(frozen=True)
class Placed:
    """A pilot city as it will be stored, and the id of the row it replaces (a city stored
    without a province that now has one)."""

    city: PilotCity
    replaces: str | None = None


def place_cities(store: Store, cities: Sequence[PilotCity]) -> list[Placed | str]:
    """Each pilot city as it will be stored, or why it cannot be (in order; earlier ones
    count for later ones):

    - its id is stored (same name and province): it replaces that city;
    - no province, and one pilot city has the name: that city, keeping its province (an
      import by name alone works as before); several: refused, asking for the province;
    - a province, and the one pilot city of the name has none: that city, now with it;
    - else a new pilot city.
    """
    known = {c.id: c for c in items(store, "city")}
    out: list[Placed | str] = []
    for city in cities:
        same = _named(list(known.values()), city.name)
        replaces = None
        if city.id in known:
            pass
        elif not city.province and len(same) == 1:
            city = city.model_copy(update={"province": same[0].province})
        elif not city.province and same:
            out.append(_ambiguous(city.name, same))
            continue
        elif city.province and len(same) == 1 and not same[0].province:
            replaces = same[0].id
            known.pop(replaces)
        known[city.id] = city
        out.append(Placed(city, replaces))
    return out


def items(store: Store, kind: str, *, city: str | None = None, ref: str | None = None,
          start: dt.date | None = None, end: dt.date | None = None,
          overseas: bool | None = None) -> list[Any]:
    """Records of a registry, by (date, id); dates bound the record's own date, inclusive.

    `city` keeps the records of that city as the dashboard counts them (`places.Places.key`:
    a pilot city's id or name, 蘇州 is 苏州; a team serving it among its cities); a name that
    several pilot cities share keeps the records of any of them. `overseas` keeps
    organisations, teams and events of the overseas strand (True) or the others (False);
    registries without the flag raise."""
    model = check_kind(kind)
    if overseas is not None and "overseas" not in model.model_fields:
        raise ValidationError(f"{kind} records have no overseas flag", field="overseas")
    rows = ProgrammeRepo(store).list_items(kind, ref=ref, start=start, end=end)
    found: list[Any] = [model.model_validate_json(r.data) for r in rows]
    found = [i for i in found if overseas is None or i.overseas == overseas]
    if city is None:
        return found
    from techmatch.matcher.programme.places import Places

    places = Places(found if kind == "city" else items(store, "city"))
    want = places.key(city)
    if places.unplaced(want) is not None:  # 朝阳 of two pilot cities: every 朝阳
        name = city_label(city)
        return [i for i in found if name in (places.name(places.key(c))
                                             for c in _cities(kind, i))]
    return [i for i in found if want in (places.key(c) for c in _cities(kind, i))]


def _cities(kind: str, item: Any) -> list[str | None]:
    """The cities a record is in: a pilot city's id, a team's cities, else its city."""
    if kind == "city":
        return [item.id]
    return list(item.cities) if kind == "team" else [getattr(item, "city", None)]


def remove(store: Store, kind: str, item_id: str) -> None:
    """Delete one record (a pilot city by `city_key`); the store's first programme write
    merges stored target writings first (`targets.merge_once`)."""
    from techmatch.matcher.programme.targets import merge_once

    check_kind(kind)
    if kind == "city":
        item_id = city_key(store, item_id)
    repo = ProgrammeRepo(store)
    with repo.transaction():
        merge_once(store)
        repo.delete(kind, item_id)
