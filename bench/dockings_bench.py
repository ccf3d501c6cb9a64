"""Docking KPIs over 200,000 dockings and the docking list, next to plain-SQL peers.

    .venv/bin/python bench/dockings_bench.py [--dockings 200000] [--needs 20000]
        [--repeat 3] [--work bench/.work/dockings]

Data: a generated store (seeded): --needs needs over 12 cities × 8 industries, and
--dockings dockings with owners / teams, each walked along the allowed moves with random
gaps (about a fifth dropped, some reopened), so the history holds ~3.5 rows per docking.
Built once into <work>/store.sqlite and reused when its size matches.

Measured (best and median of --repeat, wall clock, one process):
- `kpi_report` over a 90-day window, all four dimensions — split into reading (needs,
  dockings, history) and computing; its peer is one SQL statement that only counts dockings
  created in the window per owner and team (`GROUP BY`), i.e. the cheapest KPI there is;
- the docking list (`list_dockings`, 50 rows: first page, an owner filter, a deep page at
  offset 5,000, `overdue=true`), next to the same page read by a bare `SELECT … LIMIT 50`.
Writes bench/results/dockings_bench.md with the command and the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from techmatch.matcher.dockings import DockingFilters, list_dockings
from techmatch.matcher.dockings.kpis import compute_kpis, need_facts
from techmatch.models.dockings import Docking, HistoryEntry
from techmatch.models.records import Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

UTC = dt.timezone.utc
MAIN = ["suggested", "contacted", "confirmed", "negotiating", "signed", "completed"]
CITIES = ["苏州", "无锡", "常州", "南京", "杭州", "宁波", "合肥", "深圳", "广州", "成都", "武汉",
          "西安"]
INDUSTRIES = ["新材料", "生物医药", "新能源汽车", "高端装备", "节能环保", "新一代信息技术",
              "数字创意", "航空航天"]
BASE = dt.datetime(2026, 1, 1, tzinfo=UTC)


def _walk(rng: random.Random, did: str, need: str, owner: str, team: str
          ) -> tuple[Docking, list[HistoryEntry]]:
    at = BASE + dt.timedelta(days=rng.uniform(0, 300))
    created, stage, peak = at, "suggested", "suggested"
    history = [HistoryEntry(docking_id=did, version=1, at=at, to_stage="suggested")]
    for _ in range(rng.randrange(0, 6)):
        at += dt.timedelta(hours=rng.uniform(2, 600))
        if stage == "dropped":
            nxt = "contacted"
        elif stage in ("signed", "completed"):
            nxt = "completed" if stage == "signed" else ""
        else:
            nxt = "dropped" if rng.random() < 0.15 else MAIN[MAIN.index(stage) + 1]
        if not nxt:
            break
        history.append(HistoryEntry(docking_id=did, version=len(history) + 1, at=at,
                                    from_stage=stage, to_stage=nxt))  # type: ignore[arg-type]
        stage = nxt
        if stage in MAIN and MAIN.index(stage) > MAIN.index(peak):
            peak = stage
    contract = ({"contract_type": "development", "value_wan": round(rng.uniform(5, 800), 1),
                 "signed_on": at.date()} if peak in ("signed", "completed") else None)
    docking = Docking(id=did, need_id=need, candidate_id=f"A{did[1:]}",
                      candidate_kind="achievement", source="batch", stage=stage,  # type: ignore[arg-type]
                      peak_stage=peak, reason="too_costly" if stage == "dropped" else None,  # type: ignore[arg-type]
                      owner=owner, team=team, contract=contract, version=len(history),  # type: ignore[arg-type]
                      created_at=created, stage_at=at,
                      due_on=(at + dt.timedelta(days=14)).date()
                      if stage not in ("dropped", "completed") else None)
    return docking, history


def build(path: Path, n_dockings: int, n_needs: int, seed: int = 11) -> Store:
    store = Store(path)
    repo = DockingRepo(store)
    if repo.count() == n_dockings:
        return store
    if repo.count():
        raise SystemExit(f"{path} holds {repo.count()} dockings; remove it or pick --work")
    rng = random.Random(seed)
    needs = [Need(id=f"N{i:06d}", title=f"需求{i}", city=rng.choice(CITIES),
                  industry=rng.choice(INDUSTRIES),
                  created_at=BASE + dt.timedelta(days=rng.uniform(-30, 300)))
             for i in range(n_needs)]
    for start in range(0, n_needs, 5000):
        store.upsert(needs[start:start + 5000])
    owners = [f"专员{i:02d}" for i in range(40)]
    teams = [f"T{i:02d}" for i in range(15)]
    for start in range(0, n_dockings, 20_000):
        walked = [_walk(rng, f"D{j:07d}", rng.choice(needs).id, rng.choice(owners),
                        rng.choice(teams)) for j in range(start, min(start + 20_000,
                                                                     n_dockings))]
        with repo.transaction():
            repo.insert_many([d for d, _ in walked], [e for _, h in walked for e in h])
    return store


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float, object]:
    """(best wall, median wall, best CPU) seconds of `repeat` calls, and the last result.
    CPU time (this process, all threads) is what the call cost on a machine shared with
    other jobs, where wall time also counts the waits for a core."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), statistics.median(walls), min(cpus), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockings", type=int, default=200_000)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("bench/.work/dockings"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/dockings_bench.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    store = build(args.work / f"store-{args.dockings}.sqlite", args.dockings, args.needs)
    build_s = time.perf_counter() - t0
    repo = DockingRepo(store)
    load_before = os.getloadavg()
    start, end, today = dt.date(2026, 4, 1), dt.date(2026, 6, 29), dt.date(2026, 7, 15)
    rows: list[tuple[str, float, float, float, str]] = []

    def read_all() -> tuple[object, object, object]:
        needs = need_facts(n for n in store.iter_records("need") if isinstance(n, Need))
        return needs, repo.kpi_dockings(), repo.kpi_moves()

    best, med, cpu, data = timed(read_all, args.repeat)
    needs, dockings, moves = data  # type: ignore[misc]
    rows.append(("KPIs: read needs, dockings, history", best, med, cpu,
                 f"{len(dockings)} dockings, {len(moves)} history rows"))  # type: ignore[arg-type]
    best, med, cpu, report = timed(lambda: compute_kpis(dockings, moves, needs, start=start,  # type: ignore[arg-type]
                                                   end=end, today=today), args.repeat)
    total = report.total.counts  # type: ignore[attr-defined]
    rows.append(("KPIs: compute (4 dimensions, 90 days)", best, med, cpu,
                 f"{len(report.rows)} groups; signed {total['signed']}, "  # type: ignore[attr-defined]
                 f"value {report.total.deal_value:,.0f} 万元"))  # type: ignore[attr-defined]
    window = (start.isoformat(), (end + dt.timedelta(days=1)).isoformat())
    best, med, cpu, peer = timed(lambda: store._db.fetch(  # noqa: SLF001 - the peer is raw SQL
        "SELECT owner, team, COUNT(*) FROM dockings WHERE created_at >= ? AND created_at < ? "
        "GROUP BY owner, team", window), args.repeat)
    rows.append(("peer: SQL GROUP BY count of created dockings", best, med, cpu,
                 f"{len(peer)} groups, {sum(r[2] for r in peer)} dockings"))  # type: ignore[union-attr]
    lists = {"list: first page (50)": (DockingFilters(), 0),
             "list: owner filter (50)": (DockingFilters(owner="专员07"), 0),
             "list: page at offset 5,000": (DockingFilters(), 5000),
             "list: overdue=true (50)": (DockingFilters(overdue=True), 0)}
    for label, (filters, offset) in lists.items():
        best, med, cpu, found = timed(lambda f=filters, o=offset: list_dockings(  # type: ignore[misc]
            store, f, offset=o, limit=50, today=today), args.repeat)
        rows.append((label, best, med, cpu, f"total {found[1]}"))  # type: ignore[index]
    best, med, cpu, _ = timed(lambda: store._db.fetch(  # noqa: SLF001 - the peer is raw SQL
        "SELECT * FROM dockings ORDER BY created_at DESC, id LIMIT 50"), args.repeat)
    rows.append(("peer: bare SELECT … ORDER BY created_at LIMIT 50", best, med, cpu, ""))
    load_after = os.getloadavg()
    _write(args, rows, build_s, load_before, load_after)
    store.close()


def _write(args: argparse.Namespace, rows: list[tuple[str, float, float, float, str]],
           build_s: float,
           load_before: tuple[float, ...], load_after: tuple[float, ...]) -> None:
    lines = ["# Docking KPIs and list", "",
             f"Command: `{' '.join([Path(sys.executable).name, *sys.argv])}`  ",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, SQLite store (WAL) on local disk.  ",
             f"Load average before / after: {' '.join(f'{x:.1f}' for x in load_before)} / "
             f"{' '.join(f'{x:.1f}' for x in load_after)} (a shared machine: other jobs ran).  ",
             f"Data: {args.dockings:,} dockings over {args.needs:,} needs (store built in "
             f"{build_s:.1f} s this run; 0 = reused); best and median of {args.repeat} runs. "
             "CPU = process time of the call (what it costs without waiting for a core).",
             "", "| what | wall best (ms) | wall median (ms) | CPU best (ms) | notes |",
             "|---|---:|---:|---:|---|"]
    lines += [f"| {label} | {best * 1000:,.1f} | {med * 1000:,.1f} | {cpu * 1000:,.1f} | "
              f"{note} |" for label, best, med, cpu, note in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
