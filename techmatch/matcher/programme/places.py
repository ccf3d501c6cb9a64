"""Which pilot city a record is in: the dashboard's, the registries' and the console's key
of a city (see docs/programme.md).

A pilot city's id is its name and province (`pilot_city_id`: 朝阳（辽宁）), so two places of
one name are two rows. A record names a city as staff write it — its id (朝阳（辽宁）,
朝阳(辽宁省)), or a name, with a province beside it when the record has one (needs,
achievements):

- an id, or a name with a province in brackets, that a pilot city has: that pilot city;
- a name no pilot city has: the name in the KPIs' form (`city_label`: 蘇州 is 苏州), as before;
- a name and a province: the pilot city of that name and province; the one pilot city of the
  name when it has no province; else another place of that name (朝阳（北京） when only 朝阳 in
  辽宁 is a pilot city), never the pilot city of another province;
- a name alone that one pilot city has: that city; that several have: no city can be told
  (`UNPLACED`): the dashboard counts such a record in the national column only and notes it
  as 无法确定城市.

Rows show a city by its name, with the province beside it (its id) only where a name is
shared (`Places.labels`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from techmatch.errors import ValidationError
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.dockings.kpis import city_label
from techmatch.models.programme import NATIONAL, PilotCity, pilot_city_id, province_short

UNPLACED = "无法确定城市"
_QUALIFIED = re.compile(r"^(.+?)\s*[（(]\s*(.+?)\s*[）)]$")
_MARK = "\x00"  # starts the key of a record whose city cannot be told (never shown)


def province_label(value: str) -> str:
    """A province as records are compared on it: `province_short` of its simplified writing,
    so 遼寧省 is 辽宁 as 朝陽 is 朝阳 (`city_label`)."""
    return province_short(normalize(value, lower=False))


@dataclass(frozen=True)
class Unplaced:
    """A record whose city names several pilot cities and no province: its city as written
    and the pilot cities it may be."""

    name: str
    ids: tuple[str, ...]


class Places:
    """Keys of cities over the pilot cities there are (`of(store)` or a list)."""

    def __init__(self, cities: Iterable[PilotCity]) -> None:
        self.pilots: dict[str, PilotCity] = {c.id: c for c in cities}
        self.named: dict[str, list[PilotCity]] = defaultdict(list)
        for c in sorted(self.pilots.values(), key=lambda c: c.id):
            self.named[city_label(c.name)].append(c)
        self._folded = {city_label(k): k for k in self.pilots}  # 朝阳(辽宁) is 朝阳（辽宁）
        self._names: dict[str, str] = {}  # key of another place → its name (朝阳（北京） → 朝阳)

    @classmethod
    def of(cls, store: object) -> Places:
        from techmatch.matcher.programme import registry

        return cls(registry.items(store, "city"))  # type: ignore[arg-type]

    def key(self, city: str | None, province: str | None = None, *,
            ref: str = "") -> str:
        """The key of the city a record names (module docstring); `ref` (a record's kind and
        id) tells apart the records whose city cannot be told (`unplaced`)."""
        text = (city or "").strip()
        if not text:
            return city_label(text)  # 未知
        if text in self.pilots:
            return text
        if (folded := city_label(text)) in self._folded:
            return self._folded[folded]
        qualified = _QUALIFIED.match(text)
        if qualified and city_label(qualified.group(1)) in self.named:
            return self.key(qualified.group(1), qualified.group(2), ref=ref)
        label = folded
        same = self.named.get(label, [])
        if label == NATIONAL or not same:
            return label
        if province and province.strip():
            short = province_label(province)
            for c in same:
                if c.province and province_label(c.province) == short:
                    return c.id
            bare = [c for c in same if not c.province]
            if len(bare) == 1:
                return bare[0].id
            other = pilot_city_id(label, short)
            self._names[other] = label
            return other
        if len(same) == 1:
            return same[0].id
        return f"{_MARK}{label}{_MARK}{ref}"

    def lookup(self, city: str) -> str:
        """The key of a city asked for (a filter, the dashboard's `city`): as `key`, but a
        name several pilot cities share raises ValidationError (field `city`) listing them."""
        found = self.key(city)
        if (unplaced := self.unplaced(found)) is not None:
            raise ValidationError(
                f"试点城市“{unplaced.name}”有 {len(unplaced.ids)} 个同名城市"
                f"（{'、'.join(unplaced.ids)}），请写明省份，如“{unplaced.ids[0]}”", field="city")
        return found

    def unplaced(self, key: str) -> Unplaced | None:
        """Who a key cannot tell apart, when it is a record's that names a shared name alone."""
        if not key.startswith(_MARK):
            return None
        name = key.split(_MARK)[1]
        return Unplaced(name, tuple(c.id for c in self.named.get(name, [])))

    def ref(self, key: str) -> str:
        """The record (kind and id) of an unplaced key."""
        return key.split(_MARK)[2] if key.startswith(_MARK) else ""

    def name(self, key: str) -> str:
        """The name of the place a key is (朝阳 for 朝阳（辽宁）)."""
        if key in self.pilots:
            return city_label(self.pilots[key].name)
        if key.startswith(_MARK):
            return key.split(_MARK)[1]
        return self._names.get(key, key)

    def province(self, key: str) -> str | None:
        if key in self.pilots:
            found = self.pilots[key].province
            return province_label(found) if found else None
        if key in self._names:
            return key[len(self._names[key]) + 1:-1]
        return None

    def labels(self, keys: Sequence[str]) -> dict[str, str]:
        """How each key reads: its name, or its id (朝阳（辽宁）) where another pilot city or
        another of `keys` has the name."""
        count: dict[str, set[str]] = defaultdict(set)
        for k in [*self.pilots, *keys]:
            count[self.name(k)].add(k)
        return {k: (k if len(count[self.name(k)]) > 1 else self.name(k)) for k in keys}

    def groups(self, keys: Iterable[str]) -> dict[str, str]:
        """How a city group of the docking KPIs reads each key: as a board row reads
        (`labels`: the name, the id where a name is shared, a city no pilot city names as
        before); a key whose city cannot be told as the name with 无法确定城市 beside it
        (朝阳（无法确定城市）), one group per name."""
        found = list(dict.fromkeys(keys))
        shown = self.labels([k for k in found if not k.startswith(_MARK)])
        return {k: shown.get(k) or f"{self.name(k)}（{UNPLACED}）" for k in found}

    def of_needs(self, needs: Iterable[Any]) -> dict[str, str]:
        """Need id → its city as the planners and the docking KPIs read it (`groups` over
        the needs' keys: 朝阳（辽宁） where the name is shared, 苏州 as before)."""
        keys = {n.id: self.key(n.city, n.province) for n in needs}
        shown = self.groups(keys.values())
        return {i: shown[k] for i, k in keys.items()}

    def need_choices(self, needs: Iterable[Any]) -> list[str]:
        """The cities a planner's dropdown offers for these needs: each place once, by
        label (a pilot city's id where a name is shared); needs whose city cannot be told
        (a shared name without a province) offer none."""
        keys = {self.key(n.city, n.province) for n in needs if n.city and n.city.strip()}
        return sorted(set(self.labels([k for k in keys if not k.startswith(_MARK)]).values()))

    def holds(self, city: str, province: str | None = None) -> Callable[[Any], bool]:
        """A test of a record (city, province: a need) being in the city asked for, as
        `key` places both (`lookup` when no province is given: a shared bare name raises
        ValidationError listing the pilot cities)."""
        want = (self.key(city, province) if province and province.strip()
                else self.lookup(city))
        folded = normalize(want)
        return lambda r: normalize(self.key(r.city, getattr(r, "province", None))) == folded

    def choices(self) -> list[tuple[str, str]]:
        """(id, label) of every pilot city, by label: what a city dropdown offers."""
        shown = self.labels(list(self.pilots))
        return sorted(shown.items(), key=lambda kv: (kv[1], kv[0]))
