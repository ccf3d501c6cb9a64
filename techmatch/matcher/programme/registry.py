"""Registries of the programme: save, read, list and delete pilot cities, organisations, teams,
dispatches, workstations, orders, events and milestones (the service functions the API, CLI
and console call)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from techmatch.errors import ValidationError
from techmatch.matcher.dockings.kpis import city_label
from techmatch.models.programme import REGISTRY_TYPES
from techmatch.store import Store
from techmatch.store.programme import ItemRow, ProgrammeRepo

KINDS: tuple[str, ...] = tuple(REGISTRY_TYPES)


def check_kind(kind: str) -> type[BaseModel]:
    """The model of a registry kind; unknown kinds raise and list the valid ones."""
    try:
        return REGISTRY_TYPES[kind]
    except KeyError:
        raise ValidationError(f"unknown registry {kind!r}; valid: {', '.join(KINDS)}",
                              field="kind") from None


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
    """Insert or replace records of one registry in one transaction."""
    model = check_kind(kind)
    for item in items:
        if not isinstance(item, model):
            raise ValidationError(f"expected a {model.__name__}, got {type(item).__name__}",
                                  field="kind")
    flags = ProgrammeRepo(store).put([to_row(kind, i) for i in items])
    report = SaveReport()
    for item, new in zip(items, flags, strict=True):
        (report.created if new else report.updated).append(str(item.id))  # type: ignore[attr-defined]
    return report


def get(store: Store, kind: str, item_id: str) -> Any:
    """One record (NotFoundError when missing)."""
    model = check_kind(kind)
    return model.model_validate_json(ProgrammeRepo(store).get(kind, item_id).data)


def find(store: Store, kind: str, item_id: str) -> Any | None:
    model = check_kind(kind)
    row = ProgrammeRepo(store).find(kind, item_id)
    return model.model_validate_json(row.data) if row else None


def items(store: Store, kind: str, *, city: str | None = None, ref: str | None = None,
          start: dt.date | None = None, end: dt.date | None = None,
          overseas: bool | None = None) -> list[Any]:
    """Records of a registry, by (date, id); dates bound the record's own date, inclusive.

    `city` keeps the records of that city as the dashboard counts them (`city_label`: 蘇州
    is 苏州; a team serving it among its cities). `overseas` keeps organisations, teams and
    events of the overseas strand (True) or the others (False); registries without the flag
    raise."""
    model = check_kind(kind)
    if overseas is not None and "overseas" not in model.model_fields:
        raise ValidationError(f"{kind} records have no overseas flag", field="overseas")
    rows = ProgrammeRepo(store).list_items(kind, ref=ref, start=start, end=end)
    found: list[Any] = [model.model_validate_json(r.data) for r in rows]
    want = city_label(city) if city is not None else None
    return [i for i in found if (overseas is None or i.overseas == overseas)
            and (want is None or want in map(city_label, _cities(kind, i)))]


def _cities(kind: str, item: Any) -> list[str | None]:
    """The cities a record is in: a pilot city's name, a team's cities, else its city."""
    if kind == "city":
        return [item.name]
    return list(item.cities) if kind == "team" else [getattr(item, "city", None)]


def remove(store: Store, kind: str, item_id: str) -> None:
    check_kind(kind)
    ProgrammeRepo(store).delete(kind, item_id)
