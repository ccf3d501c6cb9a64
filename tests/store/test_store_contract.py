"""The store contract: one suite, run on SQLite (a file) and on a real PostgreSQL server.

Records and the change log, tombstones, atomic batches, listing under JSON filters,
confidential ids, batch runs / results / topics / plans / checkpoints, migrations recorded,
advisory locks and writer ordering.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from techmatch.errors import LockedError, NotFoundError, ValidationError
from techmatch.models import Achievement, Need
from techmatch.models.records import Expert
from techmatch.store import Store
from techmatch.store.batch import ResultRow, RunRecord
from techmatch.store.migrations import applied_versions, latest_version

pytestmark = pytest.mark.xdist_group("postgresql")  # one PostgreSQL server; `store` and
# `target` (both databases) come from tests/store/conftest.py


def test_dialect_follows_the_target(store: Store, target: str | Path) -> None:
    assert store.dialect == ("postgresql" if isinstance(target, str) else "sqlite")


def test_upsert_assigns_increasing_sequence(store: Store) -> None:
    report = store.upsert([Need(id="n1", title="注塑件翘曲"),
                           Achievement(id="a1", title="模流分析")])
    assert report.as_dict() == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert store.last_seq() == 2
    assert store.last_seq("achievement") == 2 and store.last_seq("need") == 1


def test_same_content_is_a_noop_and_changed_content_is_an_update(store: Store) -> None:
    store.upsert([Need(id="n1", title="注塑件翘曲")])
    assert store.upsert([Need(id="n1", title="注塑件翘曲")]).unchanged == ["n1"]
    assert store.last_seq() == 1
    assert store.upsert([Need(id="n1", title="注塑件变形")]).updated == ["n1"]
    assert store.get("n1").title == "注塑件变形"
    assert [(c.seq, c.id, c.op) for c in store.changes_since(0)] == [(2, "n1", "upsert")]


def test_delete_tombstones_and_logs(store: Store) -> None:
    store.upsert([Need(id="n1", title="a"), Need(id="n2", title="b")])
    assert store.delete("n1") == "need"
    with pytest.raises(NotFoundError):
        store.get("n1")
    with pytest.raises(NotFoundError):
        store.delete("n1")
    assert [r.id for r in store.iter_records("need")] == ["n2"]
    assert [(c.id, c.op) for c in store.changes_since(2)] == [("n1", "delete")]
    assert store.record_seqs("need") == {"n2": 2}
    store.upsert([Need(id="n1", title="again")])  # a tombstone can come back
    assert store.get("n1").title == "again" and store.count("need") == 2


def test_failed_batch_changes_nothing(store: Store) -> None:
    store.upsert([Need(id="x1", title="need")])
    before = store.last_seq()
    with pytest.raises(ValidationError, match="已被另一类记录（需求）使用"):
        store.upsert([Achievement(id="a9", title="ok"), Achievement(id="x1", title="clash")])
    assert store.last_seq() == before
    with pytest.raises(NotFoundError):
        store.get("a9")
    assert store.count() == 1


def test_ids_order_bytewise_on_both_stores(store: Store) -> None:
    ids = ["a-1", "A2", "a_3", "b", "a10", "北京", "Z"]
    store.upsert([Achievement(id=i, title=f"成果{i}") for i in ids])
    assert [r.id for r in store.iter_records("achievement", batch=2)] == sorted(ids)
    assert [r.id for r in store.page("achievement", offset=2, limit=3)] == sorted(ids)[2:5]
    assert set(store.get_many(["b", "北京", "missing"])) == {"b", "北京"}


def test_page_count_and_kind_check(store: Store) -> None:
    store.upsert([Achievement(id=f"a{i:02d}", title=f"成果{i}") for i in range(7)])
    assert store.count("achievement") == 7 and store.count("need") == 0
    assert [r.id for r in store.page("achievement", offset=5, limit=5)] == ["a05", "a06"]
    with pytest.raises(ValidationError, match="kind"):
        store.page("patent")


def test_changes_since_keeps_the_latest_change_per_id(store: Store) -> None:
    store.upsert([Need(id="n1", title="a"), Need(id="n2", title="b")])
    store.upsert([Need(id="n1", title="c")])
    store.delete("n2")
    assert [(c.seq, c.id, c.op) for c in store.changes_since(1)] == [
        (3, "n1", "upsert"), (4, "n2", "delete")]
    assert store.changes_since(4) == []


def test_meta_round_trip(store: Store) -> None:
    assert store.get_meta("k", "none") == "none"
    store.set_meta("k", "1")
    store.set_meta("k", "二")
    assert store.get_meta("k") == "二"


def test_listing_filters_and_confidential_needs(store: Store) -> None:
    store.upsert([Need(id="n1", title="a", province="江苏", confidential=True),
                  Need(id="n2", title="b", province="江苏"),
                  Need(id="n3", title="c", province="浙江"),
                  Expert(id="e1", name="张", province="江苏")])
    assert store.listing.confidential_need_ids() == frozenset({"n1"})
    page, total = store.listing.page("need", filters={"province": "江苏"},
                                     hide_confidential=False, offset=0, limit=10)
    assert ([r.id for r in page], total) == (["n1", "n2"], 2)
    page, total = store.listing.page("need", filters={"province": "江苏"},
                                     hide_confidential=True, offset=0, limit=10)
    assert ([r.id for r in page], total) == (["n2"], 1)
    page, total = store.listing.page("need", filters={}, hide_confidential=True, offset=1,
                                     limit=1)
    assert ([r.id for r in page], total) == (["n3"], 2)


def test_batch_runs_results_and_topics(store: Store) -> None:
    run = RunRecord(run_id="r1", started="2026-01-01T00:00:00+00:00", finished=None,
                    status="running", kinds=["achievement"], k=2, full=True,
                    config={"k": 2}, seqs={"achievement": 5}, fingerprint="fp")
    hits = [ResultRow(1, "a1", 0.123456789012, 0.9, {"why": "同领域"}),
            ResultRow(2, "a2", 0.1, None, None)]
    with store.transaction():
        store.batch.insert_run(run)
        store.batch.replace_results("r1", "achievement", "n1", "f1", hits, routed=False)
        store.batch.save_topics("r1", "achievement", {"焊接": 2, "涂层": 1})
    store.batch.set_status("r1", "finished", finished="2026-01-01T00:05:00+00:00",
                           counts={"open_needs": 1})
    got = store.batch.get_run("r1")
    assert got is not None and (got.status, got.counts, got.seqs, got.full) == (
        "finished", {"open_needs": 1}, {"achievement": 5}, True)
    assert store.batch.topk("achievement") == {"n1": [("a1", 0.9), ("a2", 0.0)]}
    stored = list(store.batch.iter_hits(need_id="n1"))
    assert stored[0].score == 0.123456789012 and stored[0].explanation == {"why": "同领域"}
    assert store.batch.state("achievement") == {"n1": ("f1", "r1", 2)}
    assert store.batch.best_confidence(["achievement"]) == {"n1": 0.9}
    assert [(p.need_id, p.candidate_id, p.confidence) for p in store.batch.pairs()] == [
        ("n1", "a1", 0.9), ("n1", "a2", 0.0)]  # best first; no confidence counts as 0
    assert [p.candidate_id for p in store.batch.pairs(["achievement"], at_least=0.5)] == ["a1"]
    assert store.batch.pairs(["expert"]) == []
    assert store.batch.topics("r1", "achievement") == {"焊接": 2, "涂层": 1}
    assert store.batch.last_finished() > 0
    with store.transaction():
        store.batch.forget_needs(["n1"])
    assert store.batch.stored_need_ids() == set()


def test_batch_results_replaced_for_many_needs_at_once(store: Store) -> None:
    """A chunk's needs replaced in one call: fewer hits than before leave no stale rank, other
    needs and other kinds keep theirs, a need given twice keeps its last rows."""
    old = [ResultRow(r, f"a{r}", 1.0 / r, 0.5, None) for r in (1, 2, 3)]
    with store.transaction():
        store.batch.replace_many("r1", "achievement", [("n1", "f1", old, False),
                                                       ("n2", "f1", old, False),
                                                       ("n3", "f1", old, False)])
        store.batch.replace_results("r1", "expert", "n1", "f1", old, routed=False)
    new = [ResultRow(1, "b1", 0.7, 0.2, {"why": "同领域"})]
    with store.transaction():
        store.batch.replace_many("r2", "achievement", [("n1", "f2", new, True),
                                                       ("n3", "f9", old, False),
                                                       ("n3", "f2", [], True)])
    top = store.batch.topk("achievement")
    assert top == {"n1": [("b1", 0.2)], "n2": [("a1", 0.5), ("a2", 0.5), ("a3", 0.5)]}
    assert store.batch.state("achievement") == {"n1": ("f2", "r2", 1), "n2": ("f1", "r1", 3),
                                                "n3": ("f2", "r2", 0)}
    assert [h.candidate_id for h in store.batch.iter_hits(["expert"], need_id="n1")] == [
        "a1", "a2", "a3"]
    assert [h.routed for h in store.batch.iter_hits(["achievement"], need_id="n1")] == [True]
    # by need, best confidence first (n1's experts at 0.5 before its achievement at 0.2)
    assert [(p.need_id, p.kind, p.candidate_id) for p in store.batch.pairs()] == [
        ("n1", "expert", "a1"), ("n1", "expert", "a2"), ("n1", "expert", "a3"),
        ("n1", "achievement", "b1"), ("n2", "achievement", "a1"), ("n2", "achievement", "a2"),
        ("n2", "achievement", "a3")]


def test_plans_and_checkpoints(store: Store) -> None:
    with store.transaction():
        store.plans.save_plan("r1", "expert", {"n2": "new", "n1": "full", "n3": "new"})
        store.plans.advance("r1", "expert", ["n1", "n2"])
        store.plans.mark_fresh("r1", "expert", ["n2"])  # left to a staff refresh (run.py)
    assert store.plans.fresh("r1", "expert") == {"n2"} and store.plans.fresh("r1", "need") == set()
    assert store.plans.pending("r1", "expert") == ["n3"]
    assert store.plans.reasons("r1") == {"expert": {"full": 1, "new": 2}}
    point = store.plans.checkpoints("r1")["expert"]
    assert (point.last_need_id, point.done, point.total, point.chunks) == ("n2", 2, 3, 1)
    with store.transaction():
        store.plans.prune(["other"])
    assert store.plans.planned("r1", "expert") == {}


def test_transaction_rolls_back_every_repository(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert([Need(id="n1", title="a")])
        store.plans.save_plan("r1", "expert", {"n1": "new"})
        raise RuntimeError("boom")
    assert store.count() == 0 and store.last_seq() == 0
    assert store.plans.planned("r1", "expert") == {}


def test_migrations_recorded_once(store: Store, target: str | Path) -> None:
    again = Store(target)
    try:
        assert applied_versions(again._db) == list(range(1, latest_version() + 1))
    finally:
        again.close()


def test_advisory_lock_is_exclusive_across_handles(store: Store, target: str | Path) -> None:
    other = Store(target)
    try:
        with store.advisory_lock("batch"):
            with pytest.raises(LockedError, match="batch"), other.advisory_lock("batch"):
                pass
        with other.advisory_lock("batch"):  # released: the other handle gets it
            pass
    finally:
        other.close()


def test_concurrent_writers_commit_sequences_in_order(store: Store, target: str | Path) -> None:
    """Two handles (two nodes) writing at once: every change gets its own sequence number,
    and a reader that followed the log never sees a lower number appear later."""
    other = Store(target)
    seen: list[int] = []
    errors: list[BaseException] = []

    def write(handle: Store, prefix: str) -> None:
        try:
            for i in range(15):
                handle.upsert([Need(id=f"{prefix}{i:02d}", title=f"需求{i}")])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def follow() -> None:
        last = 0
        for _ in range(200):
            for change in store.changes_since(last):
                seen.append(change.seq)
                last = change.seq

    threads = [threading.Thread(target=write, args=(store, "a")),
               threading.Thread(target=write, args=(other, "b")),
               threading.Thread(target=follow)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert errors == []
    final = [c.seq for c in store.changes_since(0)]
    assert final == list(range(1, 31))
    assert seen == sorted(seen) and len(seen) == len(set(seen))
