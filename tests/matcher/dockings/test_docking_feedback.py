"""Feedback labels are docking moves; legacy judgements migrate; one grade mapping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.dockings import exclusions, get_docking
from techmatch.matcher.dockings.grades import grade
from techmatch.matcher.feedback import (
    apply_pending_feedback,
    feedback_qrels,
    list_feedback,
    record_feedback,
)
from techmatch.models.dockings import REASONS, STAGES, Docking
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo, FeedbackRepo

NOW = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "store.sqlite")
    s.upsert([Need(id="n1", title="需求一"), Need(id="n2", title="需求二"),
              Achievement(id="a1", title="成果一"), Achievement(id="a2", title="成果二"),
              Expert(id="x1", name="专家")])
    return s


def _docking(stage: str, peak: str, reason: str | None = None,
             never: bool = False) -> Docking:
    return Docking(id="d", need_id="n", candidate_id="c", candidate_kind="achievement",
                   source="manual", stage=stage, peak_stage=peak, reason=reason,  # type: ignore[arg-type]
                   never_suggest=never, created_at=NOW, stage_at=NOW)


def test_grade_table() -> None:
    expected = {"suggested": None, "contacted": 1, "confirmed": 1, "negotiating": 1,
                "signed": 2, "completed": 2}
    for stage in STAGES:
        assert grade(_docking(stage, stage)) == expected[stage]
    for reason in REASONS:
        for peak in STAGES[:4]:
            want = None if reason in ("unresponsive", "already_solved") \
                else 0 if reason == "not_relevant" \
                else (1 if peak in ("confirmed", "negotiating") else 0)
            assert grade(_docking("dropped", peak, reason)) == want, (reason, peak)
    assert grade(_docking("dropped", "negotiating", "too_costly", never=True)) == 0
    # "never suggest again" is a judgement of the pair whatever the stated reason
    assert grade(_docking("dropped", "suggested", "already_solved", never=True)) == 0
    assert grade(_docking("dropped", "contacted", "unresponsive", never=True)) == 0


def test_rejected_not_relevant_is_dropping_the_docking(store: Store) -> None:
    fb = record_feedback(store, "n1", "a1", label="rejected", reason="not_relevant",
                         actor="staff")
    d = get_docking(store, fb.docking_id or "")
    assert (d.stage, d.reason, d.source) == ("dropped", "not_relevant", "feedback")
    assert set(exclusions(store)["n1"]) == {"a1"}
    assert [f.label for f in list_feedback(store)] == ["rejected"]


def test_labels_walk_the_table_and_refuse_what_it_does_not_allow(store: Store) -> None:
    fb = record_feedback(store, "n1", "a2", label="deal")
    d = get_docking(store, fb.docking_id or "")
    assert d.stage == "signed" and d.version == 5  # created + four steps, one history row each
    assert store.get("n1").status == "matched"
    with pytest.raises(ValidationError, match="不能从「签约」改为「终止」"):
        record_feedback(store, "n1", "a2", label="rejected", reason="too_costly")
    assert len(list_feedback(store)) == 1  # a refused judgement is not stored either
    fb = record_feedback(store, "a1", "n2", label="contacted")  # achievement → need
    assert get_docking(store, fb.docking_id or "").need_id == "n2"


def test_legacy_judgements_migrate_once_with_their_grades(store: Store) -> None:
    legacy = FeedbackRepo(store)
    rows = [("n1", "a1", "accepted", None), ("n1", "a1", "deal", None),
            ("n1", "a2", "rejected", "too_early"), ("n1", "x1", "contacted", None),
            ("n2", "a1", "deal", None), ("n2", "a1", "rejected", "other"),  # forced backwards
            ("n2", "gone", "accepted", None), ("n2", "a2", "liked", None)]
    for i, (q, c, label, reason) in enumerate(rows):
        legacy.insert(q, c, label=label, reason=reason, note=None, actor="old",
                      at=f"2026-10-0{i + 1}T08:00:00.000000+00:00")
    assert apply_pending_feedback(store) == len(rows)
    assert apply_pending_feedback(store) == 0
    qrels = feedback_qrels(store)
    assert qrels == {"n1": {"a1": 2, "a2": 0, "x1": 1}, "n2": {"a1": 1}}
    forced = DockingRepo(store).find_pair("n2", "a1")
    assert forced is not None and (forced.stage, forced.peak_stage) == ("dropped", "signed")
    history = DockingRepo(store).history(forced.id)
    assert history[0].at.date() == dt.date(2026, 10, 5)  # the judgement's own time
    assert len(DockingRepo(store).all()) == 4
