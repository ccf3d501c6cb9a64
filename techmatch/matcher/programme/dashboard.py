"""KPI dashboard (绩效考核): actual against target over a date window, per city, industry and team,
with a national roll-up.

Window: `start`..`end`, both inclusive. Actuals count confirmed outcomes only, never machine
confidence (DESIGN.md): 

- teams_formed: teams formed in the window, once in each city they serve (national: distinct
  teams).
- events, events.<type>: events dated in the window that were held — marked held, or
  planned for a day on or before the board's day (`today`) — by their city; one planned
  for a later day is listed with the window's events but counts nothing yet.
- enterprises_served: distinct enterprises (one per organisation however its name is written,
  `name_key`) that attended an event or were turned into a docking there, were visited by a
  team dispatch, hosted a workstation or placed an order that is not cancelled — all dated in
  the window. A blank name counts none, and so does an invitee named only by its need id
  (the planners' placeholder when the need names no enterprise).
- dockings_signed, deal_value (万元): signed deals from the dockings' own KPIs
  (`matcher.dockings.kpis`, the same count as its funnel): a docking now at 签约 or 验收
  counts once, on its contract's date (签约日期), with that contract's value; signed,
  reopened and signed again is one deal, on the latest contract's date; a contract that
  fell through (reopened to 洽谈 or dropped since) counts none. City and industry are the
  need's, team is the docking's.
- workstations: workstations started in the window; orders_delivered: orders delivered in it.
- overdue: milestones of the years the window touches that are overdue as of `today`.

A row is a pilot city, keyed by its id (name and province: 朝阳（辽宁） and 朝阳（北京） are
two rows), or a city no pilot city names. A record is placed as `places.Places.key` says: by
its id or its name (in the KPIs' form, `kpis.city_label`: 蘇州 is 苏州, stray spaces folded,
so an event, target or pilot city written another way is the same row as its dockings), a
need by its city and province (a docking is its need's); a record without a city (blank)
counts under 未知, as dockings whose need names none do. A record naming only a name that
several pilot cities share (朝阳, no province) cannot be placed: it counts in the national
column only and a note lists it (无法确定城市). A row reads as its name, or as its id where a
name is shared (`ScopeRow.city`; `city_id` is the key).
With `city` (an id, a name with its province, or a name one pilot city has), the city rows
and the industry / team rows cover that city only; the national
row stays national. Targets: the sum over the years the window touches. The national target
of a metric is, year by year, that year's `全国` target when one is set, else the sum of that
year's city targets (a window over 2026–2027 with a 2026 `全国` target and only city targets for
2027 gets the 2026 national target plus the 2027 cities' sum).
Industries roll up to the taxonomy's top categories (集成电路 counts under 新一代信息技术产业).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set

from pydantic import BaseModel, Field

from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher.conflicts import name_key
from techmatch.matcher.dockings import get_docking
from techmatch.matcher.dockings.kpis import (
    NeedFacts,
    city_label,
    compute_kpis,
    need_facts,
)
from techmatch.matcher.dockings.tracking import amount_text
from techmatch.matcher.programme import registry
from techmatch.matcher.programme.places import UNPLACED, Places, province_label
from techmatch.matcher.programme.redact import redact
from techmatch.matcher.programme.targets import OverdueMilestone, list_targets, overdue_milestones
from techmatch.models.dockings import Docking
from techmatch.models.industries import load_taxonomy
from techmatch.models.programme import (
    EVENT_STATUS_LABELS,
    EVENT_TYPE_LABELS,
    METRIC_LABELS,
    METRICS,
    NATIONAL,
    Event,
    Participant,
    china_today,
)
from techmatch.models.records import Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

UNKNOWN = "未知"
SERVED = ("attended", "docking")  # invitation states that count an enterprise as served


class MetricCell(BaseModel):
    metric: str
    label: str
    actual: float
    target: float | None = None
    ratio: float | None = Field(default=None, description="完成率 actual / target")


class ScopeRow(BaseModel):
    """The metrics of one city (or of the nation)."""

    city: str = Field(description="城市：名称，同名城市带省份（朝阳（辽宁））")
    city_id: str | None = Field(default=None, description="试点城市编号（名称加省份），"
                                "非试点城市为其名称；全国行为 None")
    province: str | None = None
    batch: int | None = None
    cells: list[MetricCell]

    def cell(self, metric: str) -> MetricCell:
        return next(c for c in self.cells if c.metric == metric)


class BreakdownRow(BaseModel):
    """Actuals of one industry (top category) or team."""

    key: str
    label: str
    events: int = 0
    dockings_signed: int = 0
    deal_value: float = 0.0
    dispatches: int = 0


class EventLine(BaseModel):
    """An event in the window with its invitations and what became of them."""

    id: str
    type: str
    type_label: str
    title: str
    date: dt.date
    city: str
    industry: str | None
    team_id: str | None
    overseas: bool
    status: str
    status_label: str
    invitations: int
    dockings: int
    signed: int
    deal_value: float


class Dashboard(BaseModel):
    start: dt.date
    end: dt.date
    city: str | None = Field(default=None, description="只看这一城市（None：全部城市）")
    city_id: str | None = Field(default=None, description="只看的城市的编号")
    years: list[int]
    today: dt.date
    cities: list[ScopeRow]
    national: ScopeRow
    by_industry: list[BreakdownRow]
    by_team: list[BreakdownRow]
    events: list[EventLine]
    overdue: list[OverdueMilestone]
    notes: list[str] = Field(default_factory=list)


def _years(start: dt.date, end: dt.date) -> list[int]:
    return list(range(start.year, end.year + 1))


def _inside(day: dt.date | None, start: dt.date, end: dt.date) -> bool:
    return day is not None and start <= day <= end


def _top_industry(value: str | None) -> str:
    node = load_taxonomy().at_level(value, 1)
    return node.name if node is not None else (value or UNKNOWN)


class _Actuals:
    """Counters per city, industry and team, filled from the registries and dockings."""

    def __init__(self, places: Places, only: str | None = None) -> None:
        self.places = places
        self.only = only  # a city's key: industry and team rows count that city only
        self.city: dict[str, Counter[str]] = defaultdict(Counter)
        self.national: Counter[str] = Counter()
        self.served: dict[str, set[str]] = defaultdict(set)
        self.industry: dict[str, BreakdownRow] = {}
        self.team: dict[str, BreakdownRow] = {}
        # teams in no city row, by why: unsure (a shared name only), unlisted, national
        self.rowless_teams: dict[str, list[str]] = defaultdict(list)

    def add(self, city: str, metric: str, n: float = 1.0) -> None:
        self.city[city][metric] += n  # type: ignore[assignment]
        self.national[metric] += n  # type: ignore[assignment]

    def row(self, table: dict[str, BreakdownRow], key: str, label: str,
            city: str) -> BreakdownRow:
        """The breakdown row of `key`; a scratch row when `city` is not the one shown."""
        if self.only is not None and city != self.only:
            return BreakdownRow(key=key, label=label)
        return table.setdefault(key, BreakdownRow(key=key, label=label))


def _serve(acts: _Actuals, city: str, names: Sequence[str | None]) -> None:
    """Count enterprises served in `city` by name, one per organisation however it is
    written (techmatch.matcher.conflicts.name_key: 蘇州… is 苏州…); blank names count none."""
    acts.served[city] |= {key for name in names if (key := name_key(name))}


def _enterprise(p: Participant) -> str | None:
    """The enterprise a participant names; None when its name is only its need id (the
    roadshow and training planners' placeholder for a need that names no enterprise)."""
    return None if p.need_id and p.name == p.need_id else p.name


def _happened(e: Event, today: dt.date) -> bool:
    """An event counts once held: marked held, or planned for a day that has come (a
    planned event after the board's day is listed but not counted yet)."""
    return e.status == "held" or (e.status == "planned" and e.date <= today)


def _count_registries(store: Store, acts: _Actuals, start: dt.date, end: dt.date,
                      team_names: Mapping[str, str], today: dt.date) -> list[Event]:
    """Count the registries' outcomes; the events of the window not cancelled (to list)."""
    key = acts.places.key
    teams = registry.items(store, "team", start=start, end=end)
    for team in teams:
        served = list(dict.fromkeys(key(c, ref=f"服务团队 {team.id}")  # listed twice: one
                                    for c in team.cities))
        for city in served:
            acts.city[city]["teams_formed"] += 1
        if all(k == NATIONAL or acts.places.unplaced(k) is not None for k in served):
            why = ("unlisted" if not served else "national" if set(served) == {NATIONAL}
                   else "unsure")
            acts.rowless_teams[why].append(team.id)
    acts.national["teams_formed"] += len(teams)
    events = [e for e in registry.items(store, "event", start=start, end=end)
              if e.status != "cancelled"]
    for e in (e for e in events if _happened(e, today)):
        where = key(e.city, ref=f"活动 {e.id}")
        acts.add(where, "events")
        acts.add(where, f"events.{e.type}")
        _serve(acts, where, [_enterprise(p) for p in e.participants if p.kind == "enterprise"
                             and (p.status in SERVED or p.status is None)])
        top = _top_industry(e.industry)
        acts.row(acts.industry, top, top, where).events += 1
        if e.team_id:
            acts.row(acts.team, e.team_id, team_names.get(e.team_id, e.team_id),
                     where).events += 1
    for d in registry.items(store, "dispatch", start=start, end=end):
        where = key(d.city, ref=f"派出记录 {d.id}")
        _serve(acts, where, d.enterprises)
        acts.row(acts.team, d.team_id, team_names.get(d.team_id, d.team_id),
                 where).dispatches += 1
    for w in registry.items(store, "workstation", start=start, end=end):
        where = key(w.city, ref=f"专家工作站 {w.id}")
        acts.add(where, "workstations")
        _serve(acts, where, [w.enterprise])
    for o in registry.items(store, "order"):
        where = key(o.city, ref=f"订单 {o.id}")
        if o.status != "cancelled" and _inside(o.ordered_on, start, end):
            _serve(acts, where, [o.enterprise])
        if o.status in ("delivered", "closed") and _inside(o.delivered_on, start, end):
            acts.add(where, "orders_delivered")
    return events


def _count_dockings(store: Store, acts: _Actuals, start: dt.date, end: dt.date,
                    team_names: Mapping[str, str], today: dt.date) -> None:
    """Signed deals from the dockings' KPIs, each under its need's city as `Places.key`
    places it (city and province)."""
    repo = DockingRepo(store)
    found = [n for n in store.iter_records("need") if isinstance(n, Need)]
    facts = need_facts(found)
    needs = {n.id: NeedFacts(acts.places.key(n.city, n.province, ref=f"需求 {n.id}"),
                             facts[n.id].industry, facts[n.id].posted) for n in found}
    report = compute_kpis(repo.kpi_dockings(), repo.kpi_moves(), needs, start=start, end=end,
                          by=("city", "industry", "team"), today=today)
    for row in report.rows:
        signed, value = row.counts["signed"], row.deal_value
        if not signed:
            continue
        acts.add(row.group["city"], "dockings_signed", signed)
        acts.add(row.group["city"], "deal_value", value)
        top, city = _top_industry(row.group["industry"]), row.group["city"]
        ind = acts.row(acts.industry, top, top, city)
        ind.dockings_signed += signed
        ind.deal_value += value
        team = row.group["team"]
        entry = acts.row(acts.team, team, team_names.get(team, team), city)
        entry.dockings_signed += signed
        entry.deal_value += value


def _scope(city: str, counts: Mapping[str, float], served: int,
           targets: Mapping[str, float], batch: int | None = None, *,
           city_id: str | None = None, province: str | None = None) -> ScopeRow:
    cells = []
    for metric in METRICS:
        actual = round(float(served if metric == "enterprises_served"
                             else counts.get(metric, 0)), 6)  # 0.1 + 0.2 万元 is 0.3
        target = targets.get(metric)
        ratio = actual / target if target else None
        cells.append(MetricCell(metric=metric, label=METRIC_LABELS[metric], actual=actual,
                                target=target, ratio=ratio))
    return ScopeRow(city=city, city_id=city_id, province=province, batch=batch, cells=cells)


def _rounded(table: Mapping[str, BreakdownRow]) -> list[BreakdownRow]:
    """Breakdown rows by key, deal values rounded as the KPIs round each group's."""
    return [r.model_copy(update={"deal_value": round(r.deal_value, 6)})
            for _, r in sorted(table.items())]


def _docking(store: Store, docking_id: str) -> Docking | None:
    try:
        return get_docking(store, docking_id)
    except NotFoundError:
        return None


def _event_line(store: Store, e: Event, hidden: Set[str], notes: list[str]) -> EventLine:
    """The event's line; an invitation citing a docking that does not exist (saved so by
    hand or an import) counts none and adds a note naming it."""
    e = redact(e, hidden)  # a viewer who may not see a confidential need reads a neutral title
    invited = [p for p in e.participants if p.role == "invitee"]
    ids = [p.docking_id for p in invited if p.docking_id]
    found = {i: d for i in ids if (d := _docking(store, i)) is not None}
    if missing := [i for i in ids if i not in found]:
        notes.append(f"活动 {e.id} 的邀请引用了不存在的对接 {'、'.join(missing)}，未计入")
    signed, value = 0, 0.0
    for d in found.values():
        if d.stage in ("signed", "completed"):
            signed += 1
            value += d.contract.value_wan if d.contract else 0.0
    return EventLine(id=e.id, type=e.type, type_label=EVENT_TYPE_LABELS[e.type], title=e.title,
                     date=e.date, city=e.city, industry=e.industry, team_id=e.team_id,
                     overseas=e.overseas, status=e.status,
                     status_label=EVENT_STATUS_LABELS[e.status], invitations=len(invited),
                     dockings=len(found), signed=signed, deal_value=round(value, 6))


Targets = dict[int, dict[str, dict[str, float]]]  # year → city → metric → value


def _targets_by_year(store: Store, years: Iterable[int], places: Places) -> Targets:
    out: Targets = defaultdict(lambda: defaultdict(dict))
    for t in list_targets(store, years=list(years)):  # 蘇州 is 苏州: one target
        where = places.key(t.city, ref=f"目标 {t.year} {METRIC_LABELS.get(t.metric, t.metric)}")
        out[t.year][where][t.metric] = t.value
    return out


def _targets_by_city(by_year: Targets) -> dict[str, dict[str, float]]:
    """Each city's targets summed over the years (the `全国` rows under NATIONAL)."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for cities in by_year.values():
        for name, metrics in cities.items():
            for metric, value in metrics.items():
                out[name][metric] = out[name].get(metric, 0.0) + value
    return out


def dashboard(store: Store, *, start: dt.date, end: dt.date, city: str | None = None,
              today: dt.date | None = None, hidden: Set[str] = frozenset()) -> Dashboard:
    """Actual against target over [start, end] (see the module docstring); `hidden`: the
    confidential need ids the viewer may not see (their events' titles are neutral)."""
    if end < start:
        raise ValidationError(f"结束日期（{end}）早于开始日期（{start}）", field="end")
    day = today or china_today()
    years = _years(start, end)
    team_names = {t.id: t.name for t in registry.items(store, "team")}
    places = Places.of(store)
    asked = city_label(city) if city and city.strip() else None  # blank: every city
    want = places.lookup(city) if city and city.strip() else None
    acts = _Actuals(places, want)
    events = _count_registries(store, acts, start, end, team_names, day)
    _count_dockings(store, acts, start, end, team_names, day)
    by_year = _targets_by_year(store, years, places)
    targets = _targets_by_city(by_year)
    keys = {k for k in (set(places.pilots) | set(targets) | set(acts.city) | set(acts.served))
            if k != NATIONAL and places.unplaced(k) is None}
    labels = places.labels(sorted(keys | ({want} if want is not None else set())))
    names = sorted(keys, key=lambda k: (labels[k], k))
    if want is not None:
        names = [n for n in names if n == want]
    rows = [_scope(labels[n], acts.city.get(n, Counter()), len(acts.served.get(n, ())),
                   targets.get(n, {}), places.pilots[n].batch if n in places.pilots else None,
                   city_id=n, province=places.province(n))
            for n in names]
    national_targets, summed = _national_targets(by_year)
    served = len(set().union(*acts.served.values())) if acts.served else 0
    notes = [f"{m}: 全国目标为各城市目标之和" for m in METRICS if m in summed]
    national = _scope(NATIONAL, acts.national, served, national_targets)
    if want is None:
        notes += _distinct_notes(national, rows, acts.rowless_teams)
        notes += _national_only_notes(acts, national)
    notes += _unplaced_notes(places, acts, by_year,
                             None if want is None else places.name(want))
    notes += _mixed_provinces(store, places, names)
    if want is not None and not names:  # a typo would otherwise read as "no row"
        notes.append(f"城市“{asked}”不是登记的试点城市，统计期内也没有它的记录")
    return Dashboard(
        start=start, end=end, city=None if want is None else labels[want], city_id=want,
        years=years, today=day, cities=rows, national=national,
        by_industry=_rounded(acts.industry), by_team=_rounded(acts.team),
        events=[_event_line(store, e, hidden, notes) for e in events
                if want is None or places.key(e.city) == want],
        overdue=[o for o in overdue_milestones(store, today=day) if o.milestone.year in years
                 and (want is None or places.key(o.milestone.city) == want)], notes=notes)


_DISTINCT = {"teams_formed": "服务多个城市的团队在每个城市各计一次",
             "enterprises_served": "在多个城市受服务的企业在每个城市各计一次"}


def _distinct_notes(national: ScopeRow, rows: Sequence[ScopeRow],
                    rowless_teams: Mapping[str, Sequence[str]]) -> list[str]:
    """Why a national count differs from the sum of its city rows: counted once nationally,
    and teams in no city row — their city cannot be determined (a name several pilot cities
    share, as the 无法确定城市 note says), they list none, or only 全国."""
    out = []
    for metric, why in _DISTINCT.items():
        total, whole = sum(r.cell(metric).actual for r in rows), national.cell(metric).actual
        said, summed = amount_text(whole), amount_text(total)
        apart = (sum(len(v) for v in rowless_teams.values()) if metric == "teams_formed"
                 else 0)
        if total > whole - apart:
            out.append(f"{metric}: 全国 {said} 为去重后的数，各城市合计 {summed}（{why}）")
        if apart:
            unsure, unlisted, national_only = (rowless_teams.get(k, ())
                                               for k in ("unsure", "unlisted", "national"))
            parts = ([f"服务城市无法确定的团队 {len(unsure)} 个（{'、'.join(unsure[:10])}"
                      f"{' 等' if len(unsure) > 10 else ''}，见“{UNPLACED}”）"]
                     if unsure else [])
            parts += [f"未列服务城市的团队 {len(unlisted)} 个"] if unlisted else []
            parts += [f"服务城市只填“{NATIONAL}”的团队 {len(national_only)} 个"] \
                if national_only else []
            out.append(f"{metric}: 全国 {said} 含{'、'.join(parts)}，各城市合计 {summed}")
    return out


def _national_only_notes(acts: _Actuals, national: ScopeRow) -> list[str]:
    """Records whose city is 全国 (a national forum) count in the national column only."""
    found = Counter(acts.city.get(NATIONAL, Counter()))
    found["enterprises_served"] = len(acts.served.get(NATIONAL, ()))
    return [f"{m}: 全国 {amount_text(national.cell(m).actual)} 含城市填“全国”的记录 "
            f"{amount_text(n)}，不在任何城市行中" for m, n in sorted(found.items()) if n]


def _unplaced_notes(places: Places, acts: _Actuals, by_year: Targets,
                    name: str | None) -> list[str]:
    """A note per shared name (of `name` only, when given) that records name without a
    province: they count in the national column only (无法确定城市), listed with what they
    count."""
    refs: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    found = {k for k in [*acts.city, *acts.served] if places.unplaced(k) is not None}
    for cities in by_year.values():
        found |= {k for k in cities if places.unplaced(k) is not None}
    for k in sorted(found):
        shared = places.name(k)
        refs[shared].append(places.ref(k))
        counts[shared].update(acts.city.get(k, Counter()))
        counts[shared]["enterprises_served"] += len(acts.served.get(k, ()))
    out = []
    for shared, listed in sorted(refs.items()):
        if name is not None and shared != name:
            continue
        ids = [c.id for c in places.named.get(shared, [])]
        what = "、".join(f"{METRIC_LABELS[m]} {amount_text(n)}"
                        for m, n in sorted(counts[shared].items()) if n and m in METRIC_LABELS)
        out.append(f"{UNPLACED}：“{shared}”有 {len(ids)} 个同名试点城市（{'、'.join(ids)}），"
                   f"{'、'.join(dict.fromkeys(listed))} 只写了城市名、没有省份，"
                   f"只计入全国{f'（{what}）' if what else ''}，不计入任何城市；"
                   f"请补上省份或写明如“{ids[0]}”")
    return out


def _mixed_provinces(store: Store, places: Places, names: Sequence[str]) -> list[str]:
    """A note per row of a city no pilot city names whose needs name several provinces:
    such same-name places (朝阳 in 辽宁 and in 北京, neither a pilot city) are one row."""
    shown = {n for n in names if n not in places.pilots}
    provinces: dict[str, set[str]] = defaultdict(set)
    for n in store.iter_records("need"):
        if isinstance(n, Need) and n.province and n.province.strip() \
                and (where := places.key(n.city, n.province)) in shown:
            provinces[where].add(province_label(n.province))
    return [f"城市“{where}”的需求来自不同省份（{'、'.join(sorted(found))}），同名城市合并为一行统计"
            for where, found in sorted(provinces.items()) if len(found) > 1]


def _national_targets(by_year: Targets) -> tuple[dict[str, float], set[str]]:
    """The national target of each metric summed over the years, each year's being its
    `全国` target when set, else the sum of that year's city targets; and the metrics where
    some year fell back to the cities' sum."""
    total: dict[str, float] = defaultdict(float)
    summed: set[str] = set()
    for cities in by_year.values():
        explicit = cities.get(NATIONAL, {})
        for metric in {m for metrics in cities.values() for m in metrics}:
            if metric in explicit:
                total[metric] += explicit[metric]
            else:
                total[metric] += sum(metrics.get(metric, 0.0) for name, metrics
                                     in cities.items() if name != NATIONAL)
                summed.add(metric)
    return dict(total), summed
