"""The docking repository and the docking flow on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.errors import ConflictError
from techmatch.matcher.dockings import (
    DockingFilters,
    Move,
    NewDocking,
    create_docking,
    docking_history,
    exclusions,
    list_dockings,
    move_docking,
)
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.matcher.feedback import feedback_qrels, record_feedback
from techmatch.models.dockings import Contract
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    target = tmp_path / "store.sqlite" if request.param == "sqlite" \
        else str(request.getfixturevalue("pg_url"))
    handle = Store(target)
    handle.upsert([Need(id="n1", title="需求", city="苏州", industry="新材料"),
                   Need(id="n2", title="需求二"), Achievement(id="a1", title="成果"),
                   Achievement(id="a2", title="成果二")])
    yield handle
    handle.close()


def test_flow_history_conflict_and_effects(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1", source="match", rank=1, confidence=0.9,
                                         owner="张三"), now=T0)
    for version, stage in enumerate(("contacted", "confirmed", "negotiating"), start=1):
        move_docking(store, d.id, Move(to=stage, version=version), now=T0)
    with pytest.raises(ConflictError, match="现处于「洽谈」阶段"):
        move_docking(store, d.id, Move(to="signed", version=2))
    contract = Contract(contract_type="equity", value_wan=1234.5, signed_on=T0.date())
    signed = move_docking(store, d.id, Move(to="signed", version=4, contract=contract), now=T0)
    assert signed.contract == contract and store.get("n1").status == "matched"
    assert [h.version for h in docking_history(store, d.id)] == [1, 2, 3, 4, 5]
    report = kpi_report(store, start=T0.date(), end=T0.date(), by=["city", "owner"])
    [row] = report.rows
    assert row.group == {"city": "苏州", "owner": "张三"} and row.counts["signed"] == 1
    assert row.deal_value == 1234.5


def test_drops_exclusions_lists_and_feedback(store: Store) -> None:
    record_feedback(store, "n2", "a2", label="rejected", reason="not_relevant")
    d = create_docking(store, NewDocking("n2", "a1"), now=T0)
    assert set(exclusions(store, ["n2"])["n2"]) == {"a2"}
    items, total = list_dockings(store, DockingFilters(need_id="n2"))
    assert total == 2 and {i.candidate_id for i in items} == {"a1", "a2"}
    late, _ = list_dockings(store, DockingFilters(overdue=True), today=dt.date(2026, 11, 20))
    assert [i.id for i in late] == [d.id]
    hidden, total = list_dockings(store, DockingFilters(), hidden_needs=frozenset({"n2"}))
    assert total == 0 and hidden == []
    assert feedback_qrels(store) == {"n2": {"a2": 0}}
    repo = DockingRepo(store)
    with pytest.raises(RuntimeError), repo.transaction():  # a failed write leaves nothing
        move_docking(store, d.id, Move(to="contacted", version=1))
        raise RuntimeError("boom")
    assert repo.get(d.id).stage == "suggested" and len(repo.history(d.id)) == 1


def test_history_refuses_changes_in_plain_sql_on_both_databases(store: Store) -> None:
    """The append-only rule holds for any client of the database, not only for this code."""
    d = create_docking(store, NewDocking("n1", "a1"), now=T0)
    move_docking(store, d.id, Move(to="contacted", version=1), now=T0)
    statements = ["UPDATE docking_history SET to_stage = 'signed'", "DELETE FROM docking_history"]
    if store.url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(store.url.removeprefix("sqlite:///"))
        refused: type[Exception] = sqlite3.IntegrityError
    else:
        import psycopg

        conn = psycopg.connect(store.url, autocommit=True)
        refused = psycopg.errors.IntegrityConstraintViolation
        statements.append("TRUNCATE docking_history")
    try:
        for sql in statements:
            with pytest.raises(refused, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()
    assert [h.to_stage for h in docking_history(store, d.id)] == ["suggested", "contacted"]


def test_stage_counts_need_status_follow_up_and_kept_posting_date(store: Store) -> None:
    """The audit's store pieces on both databases: the board's per-stage counts, a re-sent
    need keeping the status its signed docking gives (under the records' lock), and an
    update without a creation time keeping the stored one."""
    from techmatch.matcher.dockings.effects import sync_needs
    from techmatch.matcher.dockings.tracking import stage_counts

    january = dt.datetime(2026, 1, 14, 8, 21, tzinfo=dt.timezone.utc)
    store.upsert([Need(id="n3", title="需求三", created_at=january)])
    for cand in ("a1", "a2"):
        create_docking(store, NewDocking("n1", cand), now=T0)
    d = create_docking(store, NewDocking("n3", "a1"), now=T0)
    for version, stage in enumerate(("contacted", "confirmed", "negotiating"), 1):
        move_docking(store, d.id, Move(to=stage, version=version), now=T0)
    move_docking(store, d.id, Move(to="signed", version=4, contract=Contract(
        contract_type="service", value_wan=3, signed_on=T0.date())), now=T0)
    assert stage_counts(store, DockingFilters()) == {"suggested": 2, "signed": 1}
    assert stage_counts(store, DockingFilters(need_id="n1", stages=("suggested",))) == \
        {"suggested": 2}
    assert store.get("n3", "need").status == "matched"
    report = store.upsert([Need(id="n3", title="需求三（修订）", status="open")])
    assert sync_needs(store, report.updated) == {"n3": "matched"}
    need = store.get("n3", "need")
    assert (need.title, need.status, need.created_at) == ("需求三（修订）", "matched", january)
