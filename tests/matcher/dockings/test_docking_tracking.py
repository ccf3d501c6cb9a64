"""Create, move, reassign, list: versions, contracts, reasons, history, need status effects."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from techmatch.errors import ConflictError, NotFoundError, ValidationError
from techmatch.matcher.dockings import (
    Assign,
    DockingFilters,
    Move,
    NewDocking,
    assign_docking,
    create_docking,
    docking_history,
    get_docking,
    list_dockings,
    move_docking,
)
from techmatch.models.dockings import Contract
from techmatch.models.programme import china_today
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store import Store

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)  # a Monday
# signed today: a contract date is never after the signing's record nor before the docking
CONTRACT = Contract(contract_type="license", value_wan=120.5, signed_on=china_today())


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "store.sqlite")
    s.upsert([Need(id="n1", title="锂电池隔膜涂覆", city="苏州"),
              Need(id="n2", title="印染废水", city="绍兴"),
              Achievement(id="a1", title="陶瓷涂覆浆料"), Achievement(id="a2", title="粘结剂"),
              Expert(id="x1", name="李明")])
    return s


def _to(store: Store, did: str, *stages: str, **kw: object) -> None:
    for stage in stages:
        d = get_docking(store, did)
        extra = dict(kw) if stage == stages[-1] else {}
        if stage == "signed" and "contract" not in extra:
            extra["contract"] = CONTRACT
        move_docking(store, did, Move(to=stage, version=d.version, **extra))  # type: ignore[arg-type]


def test_create_keeps_source_rank_confidence_and_due_date(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1", source="batch", rank=2, confidence=0.71,
                                         owner="张三", team="T1"), actor="write:k1", now=T0)
    assert (d.stage, d.version, d.source, d.rank, d.confidence) == ("suggested", 1, "batch", 2,
                                                                   0.71)
    assert d.due_on == dt.date(2026, 11, 9)  # five working days after Monday
    assert get_docking(store, d.id) == d
    [h] = docking_history(store, d.id)
    assert (h.version, h.from_stage, h.to_stage, h.actor) == (1, None, "suggested", "write:k1")
    assert h.note == "来源：夜间批量" and h.to_label == "推荐"


def test_create_rejects_bad_pairs(store: Store) -> None:
    create_docking(store, NewDocking("n1", "x1"))
    with pytest.raises(ConflictError, match="需求 n1 与 x1 的对接已存在"):
        create_docking(store, NewDocking("n1", "x1"))
    with pytest.raises(NotFoundError, match="的需求$"):
        create_docking(store, NewDocking("nope", "a1"))
    with pytest.raises(NotFoundError, match="的成果或专家$"):
        create_docking(store, NewDocking("n1", "nope"))
    with pytest.raises(ValidationError) as err:
        create_docking(store, NewDocking("n1", "n2"))
    assert err.value.field == "candidate_id"
    with pytest.raises(ValidationError) as err:
        create_docking(store, NewDocking("n1", "a1", source="gossip"))
    assert err.value.field == "source"
    with pytest.raises(ValidationError) as err:
        create_docking(store, NewDocking("n1", "a1", confidence=1.5))
    assert err.value.field == "confidence"


def test_stale_version_is_a_conflict_naming_the_current_stage(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1"))
    move_docking(store, d.id, Move(to="contacted", version=1))
    with pytest.raises(ConflictError) as err:
        move_docking(store, d.id, Move(to="contacted", version=1))
    assert "现处于「已联系」阶段" in str(err.value) and err.value.field == "version"
    assert get_docking(store, d.id).version == 2
    assert len(docking_history(store, d.id)) == 2


def test_signing_needs_a_contract_and_dropping_a_reason(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1"))
    _to(store, d.id, "contacted", "confirmed", "negotiating")
    with pytest.raises(ValidationError) as err:
        move_docking(store, d.id, Move(to="signed"))
    assert err.value.field == "contract"
    with pytest.raises(ValidationError) as err:
        move_docking(store, d.id, Move(to="dropped"))
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:
        move_docking(store, d.id, Move(to="dropped", reason="other"))
    assert err.value.field == "reason_note"
    with pytest.raises(ValidationError) as err:
        move_docking(store, d.id, Move(to="signed", contract=CONTRACT, reason="too_costly"))
    assert err.value.field == "reason"
    signed = move_docking(store, d.id, Move(to="signed", contract=CONTRACT))
    assert signed.contract == CONTRACT and signed.peak_stage == "signed"


def test_signed_makes_the_need_matched_and_completed_closed(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1"))
    _to(store, d.id, "contacted", "confirmed", "negotiating")
    assert store.get("n1").status == "open"
    _to(store, d.id, "signed")
    assert store.get("n1").status == "matched"
    _to(store, d.id, "completed")
    assert store.get("n1").status == "closed"
    # An admin reopens the completed docking: the need is matched again, then open.
    move_docking(store, d.id, Move(to="signed"), admin=True)
    assert store.get("n1").status == "matched"
    back = move_docking(store, d.id, Move(to="negotiating"), admin=True)
    assert store.get("n1").status == "open" and back.contract is None
    assert docking_history(store, d.id)[-1].note == "重新打开"


def test_keep_open_leaves_the_need_matched_after_completion(store: Store) -> None:
    d = create_docking(store, NewDocking("n2", "a1"))
    _to(store, d.id, "contacted", "confirmed", "negotiating", "signed")
    _to(store, d.id, "completed", keep_open=True)
    assert store.get("n2").status == "matched"


def test_reopen_needs_admin_and_dropping_records_reason(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a2"))
    dropped = move_docking(store, d.id, Move(to="dropped", reason="too_costly",
                                             never_suggest=True))
    assert (dropped.reason, dropped.never_suggest, dropped.due_on) == ("too_costly", True, None)
    with pytest.raises(ValidationError, match="重新打开需要管理员权限"):
        move_docking(store, d.id, Move(to="contacted"))
    again = move_docking(store, d.id, Move(to="contacted"), admin=True, actor="admin:k")
    assert (again.stage, again.reason, again.never_suggest) == ("contacted", None, False)


def test_assign_is_versioned_and_logged(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1"))
    changed = assign_docking(store, d.id, Assign(version=1, owner="李四"), actor="w")
    assert changed.owner == "李四" and changed.version == 2 and changed.stage == "suggested"
    h = docking_history(store, d.id)[-1]
    assert (h.from_stage, h.to_stage) == ("suggested", "suggested") and "李四" in (h.note or "")
    with pytest.raises(ConflictError):
        assign_docking(store, d.id, Assign(version=1, team="T9"))


def test_list_filters_overdue_and_hidden_needs(store: Store) -> None:
    a = create_docking(store, NewDocking("n1", "a1", owner="张三"), now=T0)
    b = create_docking(store, NewDocking("n2", "a1", owner="李四"), now=T0 + dt.timedelta(1))
    create_docking(store, NewDocking("n1", "x1", owner="张三"), now=T0 + dt.timedelta(2))
    _to(store, b.id, "contacted")
    items, total = list_dockings(store, DockingFilters(owner="张三"))
    assert total == 2 and {i.need_id for i in items} == {"n1"}
    items, total = list_dockings(store, DockingFilters(stages=("contacted",)))
    assert [i.id for i in items] == [b.id]
    # a is due 2026-11-09 (5 working days); on the 9th it is not overdue yet, on the 10th it is.
    late, total = list_dockings(store, DockingFilters(overdue=True), today=dt.date(2026, 11, 10))
    assert a.id in {i.id for i in late} and all(i.overdue for i in late)
    on_time, _ = list_dockings(store, DockingFilters(overdue=True), today=dt.date(2026, 11, 9))
    assert a.id not in {i.id for i in on_time}
    hidden, total = list_dockings(store, DockingFilters(), hidden_needs=frozenset({"n1"}))
    assert total == 1 and hidden[0].need_id == "n2"
    with pytest.raises(ValidationError):
        list_dockings(store, DockingFilters(stages=("won",)))


def test_history_rows_cannot_be_changed_even_in_sql(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1"))
    _to(store, d.id, "contacted")
    db = sqlite3.connect(store.url.removeprefix("sqlite:///"))
    for sql in ("UPDATE docking_history SET to_stage = 'signed'",
                "DELETE FROM docking_history"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    db.close()
    assert [h.to_stage for h in docking_history(store, d.id)] == ["suggested", "contacted"]


def test_a_conflicted_pair_is_kept_with_a_warning_in_its_first_note(store: Store) -> None:
    """The enterprise's own result or an expert it employs: relevant, no docking — staff may
    still follow the pair, and whoever does reads why it is unusual."""
    store.upsert([Need(id="n3", title="热失控预警", enterprise="锐能电池"),
                  Achievement(id="a3", title="液冷板", institution="锐能电池"),
                  Expert(id="x3", name="王工", organization="锐能电池")])
    notes = {}
    for cand in ("a3", "x3", "a1"):
        d = create_docking(store, NewDocking("n3", cand, source="manual"), now=T0)
        notes[cand] = docking_history(store, d.id)[0].note
    assert notes == {"a3": "来源：人工录入；注意：需求企业自有成果（相关但不宜对接）",
                     "x3": "来源：人工录入；注意：专家任职于需求企业（相关但不宜对接）",
                     "a1": "来源：人工录入"}


def test_assign_history_note_names_the_fields_in_chinese(store: Store) -> None:
    """The note read '变更：owner=李四，keep_open=True' in the console's history table."""
    d = create_docking(store, NewDocking("n1", "a1"))
    assign_docking(store, d.id, Assign(version=1, owner="李四", team="T9", keep_open=True))
    note = docking_history(store, d.id)[-1].note
    assert note == "变更：负责人=李四，服务团=T9，验收后保持开放=是", note


def test_an_infinite_amount_stored_before_it_was_refused_still_reads(store: Store) -> None:
    """Contract refuses non-finite amounts now; a docking stored earlier with one (the value
    read back as null) must stay readable rather than fail validation on every read."""
    d = create_docking(store, NewDocking("n1", "a1"))
    _to(store, d.id, "contacted", "confirmed", "negotiating", "signed")
    db = sqlite3.connect(store.url.removeprefix("sqlite:///"))
    db.execute("UPDATE dockings SET contract_value = 1e999")
    db.commit()
    db.close()
    got = get_docking(store, d.id)
    assert got.stage == "signed" and got.contract is not None
    assert got.contract.value_wan == float("inf")
