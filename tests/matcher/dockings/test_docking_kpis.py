"""KPIs on 1,000 generated dockings equal an independent computation; window edges."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.dockings.kpis import (
    COUNTS,
    NeedFacts,
    compute_kpis,
    kpi_report,
    table,
)
from techmatch.models.dockings import Docking, HistoryEntry
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo, KpiDocking, KpiMove

UTC = dt.timezone.utc
MAIN = ["suggested", "contacted", "confirmed", "negotiating", "signed", "completed"]
CITIES, INDUSTRIES = ["苏州", "无锡", None], ["新材料", "生物医药"]
OWNERS, TEAMS = ["张三", "李四", "王五", None], ["T1", "T2", None]
START, END, TODAY = dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 12, 15)


def _generate(store: Store, n: int, seed: int = 7) -> None:
    """`n` dockings over 80 needs: random walks along the table with drops and reopens."""
    rng = random.Random(seed)
    base = dt.datetime(2026, 10, 1, tzinfo=UTC)
    needs = [Need(id=f"N{i:03d}", title=f"需求{i}", city=rng.choice(CITIES),
                  industry=rng.choice(INDUSTRIES),
                  created_at=base + dt.timedelta(days=rng.uniform(0, 75)))
             for i in range(80)]
    store.upsert([*needs, *(Achievement(id=f"A{j:04d}", title=f"成果{j}") for j in range(n))])
    repo = DockingRepo(store)
    with repo.transaction():
        for j in range(n):
            _one(repo, rng, f"D{j:04d}", rng.choice(needs).id, f"A{j:04d}", base)


def _one(repo: DockingRepo, rng: random.Random, did: str, need: str, cand: str,
         base: dt.datetime) -> None:
    at = base + dt.timedelta(days=rng.uniform(0, 70), seconds=rng.randrange(86400))
    created, history, stage, peak = at, [(None, "suggested", at)], "suggested", "suggested"
    for _ in range(rng.randrange(0, 7)):
        at += dt.timedelta(hours=rng.uniform(1, 400))
        if stage == "dropped":
            nxt = rng.choice(["suggested", "contacted"])  # an admin's reopen
        elif stage in ("signed", "completed"):
            nxt = "completed" if stage == "signed" else None
        else:
            nxt = "dropped" if rng.random() < 0.2 else MAIN[MAIN.index(stage) + 1]
        if nxt is None:
            break
        if rng.random() < 0.1:  # an owner change: from and to the same stage
            history.append((stage, stage, at))
            continue
        history.append((stage, nxt, at))
        stage = nxt
        if stage in MAIN and MAIN.index(stage) > MAIN.index(peak):
            peak = stage
    value = round(rng.uniform(5, 500), 2) if peak in ("signed", "completed") else None
    signed_on = None
    if value is not None:  # the contract's date: up to 20 days before the signing's record
        signing = next(when for _, dst, when in history if dst in ("signed", "completed"))
        signed_on = max(_china(signing) - dt.timedelta(days=int(value * 100) % 21),
                        _china(created))
    due = (at + dt.timedelta(days=rng.uniform(-30, 30))).date()
    docking = Docking(id=did, need_id=need, candidate_id=cand, candidate_kind="achievement",
                      source="match", stage=stage, peak_stage=peak,  # type: ignore[arg-type]
                      reason="too_costly" if stage == "dropped" else None,
                      owner=rng.choice(OWNERS), team=rng.choice(TEAMS),
                      contract={"contract_type": "development", "value_wan": value,
                                "signed_on": signed_on} if value is not None else None,
                      version=len(history), created_at=created, stage_at=at,
                      due_on=due if stage not in ("dropped", "completed") else None)
    entries = [HistoryEntry(docking_id=did, version=v, at=when, from_stage=src,  # type: ignore[arg-type]
                            to_stage=dst) for v, (src, dst, when) in enumerate(history, 1)]
    repo.insert(docking, entries[0])
    for entry in entries[1:]:
        repo.append(entry)


def _china(at: dt.datetime) -> dt.date:
    return at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()


def _independent(store: Store) -> dict[tuple[str, ...], dict[str, object]]:
    """The KPIs by brute force, straight from the definitions (no code shared with kpis.py)."""
    repo = DockingRepo(store)
    needs = {n.id: n for n in store.iter_records("need")}
    dockings = repo.all()

    def inside(t: dt.datetime) -> bool:  # on a China (UTC+8) day of the window
        return START <= t.astimezone(dt.timezone(dt.timedelta(hours=8))).date() <= END

    def key(city: object, industry: object, team: object, owner: object) -> tuple[str, ...]:
        return (city or "未知", industry or "未知", team or "未分配", owner or "未分配")  # type: ignore[return-value]

    out: dict[tuple[str, ...], dict[str, object]] = {}

    def row(k: tuple[str, ...]) -> dict[str, object]:
        return out.setdefault(k, {**{c: set() for c in COUNTS}, "value": 0.0, "stays": {}})

    for d in dockings:
        need = needs[d.need_id]
        r = row(key(need.city, need.industry, d.team, d.owner))
        hist = repo.history(d.id)
        if need.created_at and inside(need.created_at):
            r["needs_posted"].add(need.id)  # type: ignore[attr-defined]
        if inside(d.created_at):
            r["suggested"].add(d.id)  # type: ignore[attr-defined]
            r["needs_suggested"].add(d.need_id)  # type: ignore[attr-defined]
        for stage in MAIN[1:]:
            times = [h.at for h in hist if h.to_stage in MAIN
                     and MAIN.index(h.to_stage) >= MAIN.index(stage)]
            if times and stage == "signed":  # on its contract's date (signed once here)
                day = _china(min(times))
                if d.contract is not None:
                    day = min(day, d.contract.signed_on)
                if START <= day <= END:
                    r[stage].add(d.id)  # type: ignore[attr-defined]
                    r["value"] = r["value"] + (d.contract.value_wan if d.contract else 0.0)  # type: ignore[operator]
                    if d.stage == "completed":  # 验收: standing there, with its deal
                        r["completed"].add(d.id)  # type: ignore[attr-defined]
            elif times and stage != "completed" and inside(min(times)):
                r[stage].add(d.id)  # type: ignore[attr-defined]
        if any(h.to_stage == "dropped" and h.from_stage != "dropped" and inside(h.at)
               for h in hist):
            r["dropped"].add(d.id)  # type: ignore[attr-defined]
        moves = [h for h in hist if h.from_stage != h.to_stage]
        for i, h in enumerate(moves):
            if h.from_stage in MAIN[:5] and inside(h.at) and i > 0:
                began = [m.at for m in moves[:i] if m.to_stage == h.from_stage][-1]
                r["stays"].setdefault(h.from_stage, []).append(  # type: ignore[attr-defined]
                    (h.at - began).total_seconds() / 86400)
        if d.due_on and d.stage not in ("dropped", "completed") and d.due_on < TODAY \
                and START <= d.due_on <= END:
            r["overdue"].add(d.id)  # type: ignore[attr-defined]
    docked = {d.need_id for d in dockings}
    for need in needs.values():
        if need.id not in docked and need.created_at and inside(need.created_at):
            row(key(need.city, need.industry, None, None))["needs_posted"].add(need.id)  # type: ignore[attr-defined]
    return {k: v for k, v in out.items() if any(v[c] for c in COUNTS) or v["stays"]}


@pytest.mark.slow
def test_kpis_of_1000_dockings_equal_an_independent_computation(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    _generate(store, 1000)
    report = kpi_report(store, start=START, end=END, today=TODAY)
    expected = _independent(store)
    got = {tuple(r.group[d] for d in ("city", "industry", "team", "owner")): r
           for r in report.rows}
    assert set(got) == set(expected)
    for k, want in expected.items():
        row = got[k]
        assert row.counts == {c: len(want[c]) for c in COUNTS}, k  # type: ignore[arg-type]
        assert row.deal_value == pytest.approx(want["value"])
        for stage in ("suggested", "contacted", "confirmed", "negotiating", "signed"):
            stays = want["stays"].get(stage)  # type: ignore[attr-defined]
            median = row.median_days[stage]
            assert (median is None) == (not stays)
            if stays:
                assert median == pytest.approx(statistics.median(stays))
        c = row.counts
        assert row.conversion["contacted_to_confirmed"] == (
            c["confirmed"] / c["contacted"] if c["contacted"] else None)
    total = report.total.counts
    assert total["signed"] == sum(len(w["signed"]) for w in expected.values())  # type: ignore[arg-type]
    assert total["needs_suggested"] == len(set().union(
        *(w["needs_suggested"] for w in expected.values())))  # type: ignore[arg-type]
    assert total["signed"] > 20 and total["dropped"] > 20 and total["overdue"] > 5
    by_city = kpi_report(store, start=START, end=END, today=TODAY, by=["city"])
    assert sum(r.counts["signed"] for r in by_city.rows) == total["signed"]
    headers, rows = table(by_city)
    assert headers[:3] == ["城市", "发布需求数", "有推荐的需求数"] and rows[-1][0] == "合计"


def _window_case(moment: dt.datetime) -> int:
    """Signed count of one docking whose signing happened at `moment`."""
    created = "2026-10-01T00:00:00.000000+00:00"
    docking = KpiDocking("D1", "N1", None, None, "signed", 10.0, created, None)
    moves = [KpiMove("D1", 1, created, None, "suggested"),
             KpiMove("D1", 2, moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"), "suggested",
                     "signed")]
    report = compute_kpis([docking], moves, {"N1": NeedFacts("苏州", "新材料", None)},
                          start=START, end=END, today=TODAY)
    return report.total.counts["signed"]


def test_window_edges_are_china_dates_both_inclusive() -> None:
    """Was UTC dates; the KPIs count China (UTC+8) days as the programme pages do."""
    assert _window_case(dt.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)) == 1
    assert _window_case(dt.datetime(2026, 10, 31, 15, 59, 59, 999999, tzinfo=UTC)) == 0
    assert _window_case(dt.datetime(2026, 11, 30, 15, 59, 59, 999999, tzinfo=UTC)) == 1
    assert _window_case(dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == 0


def test_bad_windows_and_dimensions_name_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        compute_kpis([], [], {}, start=END, end=START)
    assert err.value.field == "to"
    with pytest.raises(ValidationError) as err:
        compute_kpis([], [], {}, start=START, end=END, by=["planet"])
    assert err.value.field == "by"
