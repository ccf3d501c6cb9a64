"""A need's best stored confidence over the pairs that can dock: streamed (coverage) and read
best first from the store (topic snapshot, 工作台) agree; the 工作台 flags such needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.matcher.analytics.dockable import Best, DockableBest, dockable_best
from techmatch.models.records import Achievement, Expert, Need, Record
from techmatch.store import Store
from techmatch.store.batch import ResultRow

FIRM = "无锡澄光材料有限公司"
NEEDS = [Need(id="M1", title="涂覆浆料分散", enterprise=FIRM),   # own result first
         Need(id="M2", title="浆料分散", enterprise="常州某企业"),  # no conflict
         Need(id="M3", title="在线检测", enterprise=FIRM)]        # only conflicted experts
CANDIDATES: list[Record] = [
    Achievement(id="A7", title="涂覆浆料", institution=FIRM),
    Achievement(id="A8", title="分散工艺", institution="南京工业大学"),
    Expert(id="E7", name="李", organization=FIRM),
    Expert(id="E8", name="赵", organization="东南大学", exclusions=[FIRM])]
STORED = {("M1", "achievement"): [("A7", 0.92), ("A8", 0.3)],
          ("M1", "expert"): [("E8", 0.6)],
          ("M2", "achievement"): [("A8", 0.7), ("A7", 0.2)],
          ("M3", "expert"): [("E7", 0.8), ("E8", 0.4)]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "s.db")
    store.upsert([*NEEDS, *CANDIDATES])
    with store.transaction():
        for (need_id, kind), hits in STORED.items():
            store.batch.replace_results("r1", kind, need_id, "f", [
                ResultRow(rank, cand, conf, conf, None)
                for rank, (cand, conf) in enumerate(hits, 1)], routed=False)
    yield store
    store.close()


def test_best_over_dockable_pairs_streamed(store: Store) -> None:
    tracker = DockableBest(store.batch.pairs(), {n.id: n for n in NEEDS})
    assert list(tracker.watch(CANDIDATES)) == CANDIDATES  # passed on unchanged
    assert tracker.best() == {"M1": Best(0.3, "own_result", 0.92), "M2": Best(0.7),
                              "M3": Best(0.0, "same_organization", 0.8)}
    assert tracker.best(["expert"]) == {"M1": Best(0.0, "excluded", 0.6),
                                        "M3": Best(0.0, "same_organization", 0.8)}


def test_read_best_first_agrees_and_stops_at_the_first_dockable_pair(store: Store) -> None:
    needs = {n.id: n for n in NEEDS}
    streamed = DockableBest(store.batch.pairs(), needs)
    list(streamed.watch(CANDIDATES))
    read: list[str] = []
    get_many = store.get_many

    def spy(ids: list[str]) -> dict[str, Record]:
        read.extend(ids)
        return get_many(ids)

    store.get_many = spy  # type: ignore[method-assign]
    for kinds in (None, ["achievement"], ["expert"]):
        assert dockable_best(store, needs, kinds) == streamed.best(kinds), kinds
    read.clear()
    dockable_best(store, needs)
    # M1: A7 (own) then E8 (excluded) then A8; M2: A8 only; M3: E7, E8 — never M2's A7
    assert sorted(read) == ["A7", "A8", "E7", "E8"] and len(read) == 4
    confident = dockable_best(store, needs, at_least=0.5)  # what "suggested" needs
    assert confident == {"M1": Best(0.0, "own_result", 0.92), "M2": Best(0.7),
                         "M3": Best(0.0, "same_organization", 0.8)}


def test_dashboard_lists_a_need_whose_confident_pairs_cannot_dock(store: Store) -> None:
    from techmatch.api.console.deps import TEMPLATES
    from techmatch.api.console.views.dashboard import build_dashboard

    day = dt.date(2026, 1, 1)
    board = build_dashboard(store, threshold=0.5, start=day, end=day, hidden=frozenset())
    shown = {u.need.id: (u.best, u.conflict_label) for u in board.unmatched}
    assert shown == {"M1": (0.3, "需求企业自有成果"), "M3": (0.0, "专家任职于需求企业")}
    assert board.unmatched_total == 2
    html = TEMPLATES.env.get_template("dashboard.html").render(
        nav=[], staff=None, csrf="", board=board, threshold=0.5, overdue=[], errors={})
    assert html.count("可信候选均不宜对接</span>") == 2
