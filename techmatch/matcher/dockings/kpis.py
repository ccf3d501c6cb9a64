"""KPIs (绩效考核) of dockings over a date window, per city × industry × team × owner.

Window: `start` and `end` are dates, both inclusive, compared with the China (UTC+8) date of
each event, the day the programme's pages count (`models.programme.china_day`; a timestamp
without a time zone is read as UTC): an event at 2026-12-01T17:30Z is on 2 December; one at
23:59:59.999999 Beijing time on `end` (15:59:59.999999 UTC) counts, one at 00:00 Beijing time
the day after does not; one at 00:00 Beijing time on `start` (16:00 UTC the day before)
counts, one a microsecond earlier does not. "Today" (overdue) is China's today too.

Groups: a docking's need gives city and industry ("未知" when unknown), the docking gives
team and owner ("未分配" when unset). `by` picks the dimensions (default all four); the
other dimensions are merged. Only groups with something in the window get a row; the
`total` row counts over all dockings (needs distinct). `filters` (e.g. city = 苏州) keep
only the dockings and needs with that value, and the total counts over those; a filter need
not be a grouped dimension (city = 苏州 by industry: the industries of 苏州).

A need's rows are not exclusive: grouped by team or owner, a need with dockings in two teams
counts its needs_posted / needs_suggested in both rows, so those rows can add up to more
than the total, which counts each need once (city and industry are the need's own: one row).

Per group, counting events inside the window:

- needs_posted: needs created in the window; a need counts in the groups of its dockings,
  or in its (city, industry, 未分配, 未分配) group when it has none.
- needs_suggested: distinct needs with a docking created in the window.
- suggested: dockings created in the window.
- contacted, confirmed, negotiating: dockings that first reached that stage or a later one
  of the main path (推荐 → … → 验收) in the window (an import straight into 签约 reaches
  已联系 … 洽谈 at once).
- signed, deal_value: the deals, as every view counts them (this funnel, the 工作台 tiles,
  the programme dashboard's national, city, industry and team rows): a docking now holding a
  contract (at 签约 or 验收) counts once, on its contract's date (签约日期, `deal_day`), with
  that contract's value (万元) — not on the day the signing was recorded: a contract signed
  on 20 November and entered on 1 December counts in November. Signed, reopened (or dropped
  and reopened) and signed again is one deal, on the latest contract's date (the one stored;
  the earlier one fell through); a docking whose contract fell through (reopened to 洽谈, or
  dropped since) counts none, though it still counts as having reached 洽谈. A signing
  without a contract date (a 成交 judgement) counts on the China day of its latest signing
  (the last move from below 签约 to 签约 or later), and so does one whose stored date is after
  that day (typed before dates were checked).
- completed (验收): the deals above whose docking now stands at 验收, counted with its deal
  (on the contract's date, `deal_day`), not on the day 验收 was recorded: a docking counts as
  completed only while it stands at 验收 — reopened from 验收 (back to 签约 or 洽谈) or
  dropped since, it counts none — and never in a window where its deal does not count, so
  completed ≤ signed in every group and window (签约→验收 conversion ≤ 1): the share of
  the window's deals accepted so far.
- dropped: dockings moved to 终止 in the window.
- conversion: each stage's count over the previous stage's count in the same window
  (contacted / suggested, …, completed / signed) and signed / suggested; None when the
  denominator is 0.
- median_days: per stage, the median length in days of stays in that stage that ended
  (by any move out of it) in the window.
- overdue: dockings overdue today (still in a stage past its due date) whose due date lies
  in the window.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from techmatch.errors import ValidationError, coded
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.dockings.levels import OVERDUE_STAGES
from techmatch.models.dockings import STAGE_LABELS, STAGE_RANK, STAGES
from techmatch.models.programme import china_day, china_midnight_utc, china_today
from techmatch.models.records import Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo, KpiDocking, KpiMove

DIMENSIONS: tuple[str, ...] = ("city", "industry", "team", "owner")
DIMENSION_LABELS: dict[str, str] = {"city": "城市", "industry": "行业", "team": "服务团",
                                    "owner": "负责人"}
UNKNOWN = "未知"
UNASSIGNED = "未分配"
_VERSION = operator.attrgetter("version")
_SIGNED = STAGE_RANK["signed"]
_DEAL_STAGES: tuple[str, ...] = ("signed", "completed")  # holding a contract
REACHED: tuple[str, ...] = ("contacted", "confirmed", "negotiating", "signed", "completed")
TIMED: tuple[str, ...] = ("suggested", "contacted", "confirmed", "negotiating", "signed")
NEED_COUNTS: frozenset[str] = frozenset({"needs_posted", "needs_suggested"})
COUNTS: tuple[str, ...] = ("needs_posted", "needs_suggested", "suggested", *REACHED, "dropped",
                           "overdue")
COUNT_LABELS: dict[str, str] = {
    "needs_posted": "发布需求数", "needs_suggested": "有推荐的需求数", "suggested": "推荐数",
    "contacted": "已联系", "confirmed": "企业确认", "negotiating": "洽谈", "signed": "签约",
    "completed": "验收", "dropped": "终止", "overdue": "超期",
}
CHAIN: tuple[str, ...] = ("suggested", *REACHED)
# Chinese names of every key a report carries (dimensions, counts, conversions, median days)
LABELS: dict[str, str] = {
    **DIMENSION_LABELS, **COUNT_LABELS, "deal_value": "签约金额（万元）",
    **{f"{a}_to_{b}": f"{STAGE_LABELS[a]}→{STAGE_LABELS[b]}转化率"
       for a, b in zip(CHAIN, CHAIN[1:], strict=False)},
    "suggested_to_signed": "推荐→签约转化率",
    **{f"median_days.{s}": f"{STAGE_LABELS[s]}阶段中位天数" for s in TIMED}}
Key = tuple[str, ...]


@dataclass(frozen=True)
class NeedFacts:
    """What KPIs need of a need: where, which industry, when it was posted (China date)."""

    city: str
    industry: str
    posted: dt.date | None


class KpiRow(BaseModel):
    """The KPIs of one group (`group` maps each chosen dimension to its value)."""

    group: dict[str, str]
    counts: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    deal_value: float = Field(default=0.0, description="签约金额（万元）")
    conversion: dict[str, float | None] = Field(default_factory=dict)
    median_days: dict[str, float | None] = Field(default_factory=dict)


class KpiReport(BaseModel):
    """KPIs over [start, end] (China dates, UTC+8, both inclusive), one row per group and a
    total."""

    start: dt.date
    end: dt.date
    by: list[str]
    rows: list[KpiRow]
    total: KpiRow
    labels: dict[str, str] = Field(default_factory=lambda: dict(LABELS),
                                   description="中文名：维度、计数、转化率、中位天数（键同上）")


@dataclass
class _Acc:
    """Accumulator of one group: docking counts (a docking adds at most one to each), the
    distinct need ids of the need counts, the deal value and stay lengths."""

    counts: Counter[str] = field(default_factory=Counter)
    needs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    value: float = 0.0
    stays: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


@functools.lru_cache(maxsize=65536)
def _label(value: str | None, missing: str) -> str:
    return normalize(value, lower=False) if value and value.strip() else missing


def city_label(value: str | None) -> str:
    """A city as the KPI groups name it: the facets' form with case kept (蘇州 is 苏州,
    full-width and stray spaces folded), 未知 when blank."""
    return _label(value, UNKNOWN)


def need_facts(needs: Iterable[Need],
               cities: Mapping[str, str] | None = None) -> dict[str, NeedFacts]:
    """Facts per need id; `cities` (need id → city group) overrides the city as written."""
    out = {}
    for n in needs:
        posted = china_day(n.created_at) if n.created_at else None
        city = cities[n.id] if cities is not None else _label(n.city, UNKNOWN)
        out[n.id] = NeedFacts(city, _label(n.industry, UNKNOWN), posted)
    return out


def compute_kpis(dockings: Sequence[KpiDocking], moves: Sequence[KpiMove],
                 needs: Mapping[str, NeedFacts], *, start: dt.date, end: dt.date,
                 by: Sequence[str] = DIMENSIONS, today: dt.date | None = None,
                 filters: Mapping[str, str] | None = None) -> KpiReport:
    """KPIs as defined in the module docstring (pure)."""
    if end < start:
        raise ValidationError(f"结束日期（{end}）早于开始日期（{start}）", field="to")
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown or not by:
        said = f"未知统计维度 {'、'.join(unknown)}" if unknown else "至少需要一个统计维度"
        raise ValidationError(f"{said}（可选：{coded(DIMENSIONS, DIMENSION_LABELS)}）", field="by")
    day = today or china_today()
    by = [d for d in DIMENSIONS if d in by]
    wanted = _wanted(filters or {})
    accs: dict[Key, _Acc] = defaultdict(_Acc)
    total = _Acc()
    history = _by_docking(moves)
    # China midnight of `start` and of the day after `end` as the store's UTC text; past the
    # last representable date any later text will do.
    window = (china_midnight_utc(start), china_midnight_utc(end + dt.timedelta(days=1))
              if end < dt.date.max else "9999-99")
    for d in dockings:
        facts = needs.get(d.need_id, NeedFacts(UNKNOWN, UNKNOWN, None))
        if _quiet(d, facts, window, start, end) or wanted and not _kept(
                wanted, _key(DIMENSIONS, facts.city, facts.industry, d.team, d.owner)):
            continue
        events = _events(d, history.get(d.id, []), facts, window, start, end, day)
        if events.counts or events.needs or events.stays:
            key = _key(by, facts.city, facts.industry, d.team, d.owner)
            _add(accs[key], events)
            _add(total, events)
    _count_unassigned_needs(accs, total, dockings, needs, by, start, end, wanted)
    rows = [_row(dict(zip(by, key, strict=True)), acc) for key, acc in sorted(accs.items())]
    return KpiReport(start=start, end=end, by=list(by), rows=rows,
                     total=_row({d: "合计" for d in by}, total))


def _wanted(filters: Mapping[str, str]) -> dict[int, str]:
    """Filters as (position in a full DIMENSIONS key → value in its label form). A filter
    need not be among the grouped dimensions: it is tested on each docking's full key
    (city = 苏州 by industry: the industries of 苏州's needs and dockings)."""
    bad = [k for k in filters if k not in DIMENSIONS]
    if bad:
        valid = coded(DIMENSIONS, DIMENSION_LABELS)
        raise ValidationError(f"未知筛选维度 {bad[0]}（可选：{valid}）", field=bad[0])
    return {DIMENSIONS.index(k): _label(v, UNKNOWN) for k, v in filters.items()}



def _kept(wanted: Mapping[int, str], full_key: Key) -> bool:
    # in the label form on both sides: a group may read 朝阳（辽宁）, full-width (kpi_report)
    return all(_label(full_key[i], UNKNOWN) == value for i, value in wanted.items())


def _quiet(d: KpiDocking, facts: NeedFacts, window: tuple[str, str], start: dt.date,
           end: dt.date) -> bool:
    """True when the docking cannot add anything to the window (a cheap test before reading
    its history): created after it, or last moved before it, its need not posted in it and
    its due date not in it."""
    if facts.posted is not None and start <= facts.posted <= end:
        return False
    if d.due_on is not None and start.isoformat() <= d.due_on <= end.isoformat():
        return False
    if d.signed_on is not None and start.isoformat() <= d.signed_on <= end.isoformat():
        return False  # a deal dated in the window, whenever it was recorded
    return d.created_at >= window[1] or (d.stage_at is not None and d.stage_at < window[0])


def _key(by: Sequence[str], city: str, industry: str, team: str | None,
         owner: str | None) -> Key:
    values = {"city": city, "industry": industry, "team": _label(team, UNASSIGNED),
              "owner": _label(owner, UNASSIGNED)}
    return tuple(values[d] for d in by)


def _by_docking(moves: Sequence[KpiMove]) -> dict[str, list[KpiMove]]:
    """History rows per docking, in version order."""
    out: dict[str, list[KpiMove]] = {}
    for m in moves:
        out.setdefault(m.docking_id, []).append(m)
    for found in out.values():
        found.sort(key=_VERSION)  # already sorted as the store returns them: a linear pass
    return out


@dataclass
class _Events:
    """What one docking contributes inside the window (computed once, added to each group)."""

    counts: set[str] = field(default_factory=set)  # docking counts it adds one to
    needs: list[tuple[str, str]] = field(default_factory=list)  # (need count, need id)
    value: float | None = None
    stays: list[tuple[str, float]] = field(default_factory=list)


def _events(d: KpiDocking, moves: list[KpiMove], facts: NeedFacts, window: tuple[str, str],
            start: dt.date, end: dt.date, today: dt.date) -> _Events:
    """The docking's in-window events; `window` = (China midnight of the first day, of the
    day after the last) as fixed-width UTC text, so the store's timestamps compare as text."""
    low, high = window
    out = _Events()
    if facts.posted is not None and start <= facts.posted <= end:
        out.needs.append(("needs_posted", d.need_id))
    if low <= d.created_at < high:
        out.counts.add("suggested")
        out.needs.append(("needs_suggested", d.need_id))
    reached: dict[str, str] = {}
    entered: dict[str, str] = {}
    top = 0  # rank of the furthest main-path stage reached so far
    signed_at: str | None = None  # the latest move from below 签约 to 签约 or later
    for m in moves:
        rank = STAGE_RANK.get(m.to_stage, 0)
        if rank >= _SIGNED and STAGE_RANK.get(m.from_stage or "", -1) < _SIGNED:
            signed_at = m.at
        while top < rank:  # first reach of every stage up to this one
            top += 1
            reached[STAGES[top]] = m.at
        if m.from_stage == m.to_stage:
            continue  # an owner / team change: no move
        inside = low <= m.at < high
        if m.to_stage == "dropped" and inside:
            out.counts.add("dropped")
        began = entered.get(m.from_stage) if m.from_stage is not None else None
        if began is not None and inside and m.from_stage in TIMED:
            out.stays.append((m.from_stage, _days(began, m.at)))  # type: ignore[arg-type]
        entered[m.to_stage] = m.at
    out.counts.update(stage for stage, at in reached.items()
                      if low <= at < high and stage not in _DEAL_STAGES)
    if d.stage in _DEAL_STAGES and signed_at is not None and \
            start.isoformat() <= deal_day(d, signed_at) <= end.isoformat():
        out.counts.add("signed")  # the contract it holds, once, on its date (`deal_day`)
        out.value = float(d.contract_value or 0.0)
        if d.stage == "completed":
            out.counts.add("completed")  # accepted: with its deal, on the deal's day
    if d.stage in OVERDUE_STAGES and d.due_on is not None:
        due = dt.date.fromisoformat(d.due_on)
        if due < today and start <= due <= end:
            out.counts.add("overdue")
    return out


def deal_day(d: KpiDocking, at: str) -> str:
    """The China date (ISO text) the deal of `d`, whose latest signing was recorded at `at`
    (store UTC text), counts on: the date of the contract it holds (签约日期) — never after
    the day that signing was recorded —, else (no contract date) the China day it was
    recorded."""
    recorded = china_day(dt.datetime.fromisoformat(at)).isoformat()
    if d.signed_on:
        return min(d.signed_on[:10], recorded)
    return recorded


def _add(acc: _Acc, events: _Events) -> None:
    acc.counts.update(events.counts)
    for name, need_id in events.needs:
        acc.needs[name].add(need_id)
    if events.value is not None:
        acc.value += events.value
    for stage, days in events.stays:
        acc.stays[stage].append(days)


def _days(begin: str, end: str) -> float:
    delta = dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(begin)
    return delta.total_seconds() / 86400.0


def _count_unassigned_needs(accs: dict[Key, _Acc], total: _Acc,
                            dockings: Sequence[KpiDocking], needs: Mapping[str, NeedFacts],
                            by: Sequence[str], start: dt.date, end: dt.date,
                            wanted: Mapping[int, str]) -> None:
    docked = {d.need_id for d in dockings}
    for need_id, facts in needs.items():
        if need_id in docked or facts.posted is None or not start <= facts.posted <= end:
            continue
        if wanted and not _kept(wanted, _key(DIMENSIONS, facts.city, facts.industry, None,
                                             None)):
            continue
        key = _key(by, facts.city, facts.industry, None, None)
        accs[key].needs["needs_posted"].add(need_id)
        total.needs["needs_posted"].add(need_id)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _row(group: dict[str, str], acc: _Acc) -> KpiRow:
    have = acc.counts.get  # dict.get: a Counter's [] calls __missing__ for absent names
    counts = {name: len(acc.needs.get(name, ())) if name in NEED_COUNTS else have(name, 0)
              for name in COUNTS}
    chain = ("suggested", *REACHED)
    conversion = {f"{a}_to_{b}": _ratio(counts[b], counts[a])
                  for a, b in zip(chain, chain[1:], strict=False)}
    conversion["suggested_to_signed"] = _ratio(counts["signed"], counts["suggested"])
    return KpiRow.model_construct(  # built from checked parts: no validation per group
        group=group, counts=counts, deal_value=round(acc.value, 6), conversion=conversion,
        median_days={s: (statistics.median(acc.stays[s]) if acc.stays.get(s) else None)
                     for s in TIMED})


def kpi_report(store: Store, *, start: dt.date, end: dt.date,
               by: Sequence[str] = DIMENSIONS, filters: Mapping[str, str] | None = None,
               today: dt.date | None = None) -> KpiReport:
    """KPIs of the store's dockings; `filters` keep only the dockings and needs whose
    dimension equals the given value (e.g. {"city": "苏州"}): the rows of those groups and
    a total over them.

    A need's city group is the pilot city the programme dashboard places it in
    (`programme.places.Places.key`: its city and province), read as the board reads it: the
    name, with the province where pilot cities share the name (朝阳（辽宁）), a city no pilot
    city names as before; a need naming only a shared name is 朝阳（无法确定城市）. A city
    filter is keyed the same way (朝阳(北京市) is 朝阳（北京）); a shared bare name raises
    ValidationError (field `city`) listing the pilot cities."""
    from techmatch.matcher.programme.places import Places  # places reads city_label here

    repo = DockingRepo(store)
    found = [n for n in store.iter_records("need") if isinstance(n, Need)]
    places = Places.of(store)
    placed: dict[tuple[str | None, str | None], str] = {}  # a few places, many needs
    keys = {n.id: placed.get((n.city, n.province)) or placed.setdefault(
        (n.city, n.province), places.key(n.city, n.province)) for n in found}
    want = places.lookup(filters["city"]) if filters and "city" in filters else None
    shown = places.groups([*keys.values(), *([want] if want is not None else [])])
    if filters and want is not None:
        filters = {**filters, "city": shown[want]}
    needs = need_facts(found, {i: shown[k] for i, k in keys.items()})
    return compute_kpis(repo.kpi_dockings(), repo.kpi_moves(), needs, start=start, end=end,
                        by=by, today=today, filters=filters)


def table(report: KpiReport) -> tuple[list[str], list[list[object]]]:
    """Chinese headers and one row per group (the total last), for spreadsheets and text."""
    headers = [LABELS[d] for d in report.by]
    headers += [LABELS[c] for c in COUNTS] + [LABELS["deal_value"]]
    headers += [LABELS[k] for k in report.total.conversion]
    headers += [LABELS[f"median_days.{s}"] for s in TIMED]
    rows = []
    for row in [*report.rows, report.total]:
        values: list[object] = [row.group[d] for d in report.by]
        values += [row.counts[c] for c in COUNTS] + [row.deal_value]
        values += [None if v is None else round(v, 4) for v in row.conversion.values()]
        values += [None if v is None else round(v, 2) for v in row.median_days.values()]
        rows.append(values)
    return headers, rows

