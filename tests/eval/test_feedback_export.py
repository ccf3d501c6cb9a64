"""Feedback → BEIR export, read back by the dataset reader."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from techmatch.eval.datasets import expert_qrels, load_dataset
from techmatch.eval.feedback_export import FEEDBACK_GRADES, export_feedback
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store import Store
from techmatch.store.dockings import FeedbackRepo


def _feedback(store: Store, rows: list[tuple[str, str, str]]) -> None:
    """Judgements stored as before dockings existed (the export applies them)."""
    now = datetime.now(timezone.utc).isoformat()
    legacy = FeedbackRepo(store)
    for query, cand, label in rows:
        legacy.insert(query, cand, label=label, reason=None, note=None, actor=None, at=now)


def test_export_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.upsert([Need(id="n1", title="锂电池热失控预警"), Need(id="n2", title="废水除重金属"),
                  Achievement(id="a1", title="热失控预警方法", abstract="监测温度电压"),
                  Achievement(id="a2", title="生物炭吸附", abstract="去除铅镉"),
                  Achievement(id="a3", title="轴承诊断"),
                  Expert(id="e1", name="张明", bio="储能安全", works=["a1"])])
    _feedback(store, [("n1", "a1", "accepted"), ("n1", "a1", "deal"),  # latest wins → 2
                      ("n1", "a3", "rejected"), ("n2", "a2", "contacted"),
                      ("n2", "a3", "maybe"), ("n1", "e1", "accepted"),
                      ("n9", "a1", "deal")])
    report = export_feedback(store, tmp_path / "beir", split="test")
    store.close()
    assert report.pairs == 3 and report.expert_pairs == 1
    assert report.skipped_labels == {"maybe": 1}
    assert report.missing_queries == ["n9"]
    ds = load_dataset(tmp_path / "beir", "test")
    assert ds.qrels == {"n1": {"a1": 2, "a3": 0}, "n2": {"a2": 1}}
    assert ds.queries["n2"] == "废水除重金属"
    assert ds.query_ids() == ["n1", "n2"]
    assert [e.id for e in ds.experts or ()] == ["e1"]
    assert expert_qrels(ds) == {"n1": {"e1": 1}}  # direct judgements, not derived
    assert ds.splits == ("test",)


def test_grade_mapping_is_one_dict() -> None:
    assert FEEDBACK_GRADES == {"accepted": 1, "contacted": 1, "deal": 2, "rejected": 0}


def test_a_second_export_to_the_same_folder_drops_expert_pairs_no_longer_graded(
        tmp_path: Path) -> None:
    """Staff exported after judging an expert 'contacted', the enterprise then never answered
    (rejected, unresponsive: no grade) and they exported again to the same folder: the
    expert qrels still graded the pair 1, left over from the first export."""
    from techmatch.matcher.feedback import record_feedback

    store = Store(tmp_path / "s.sqlite")
    store.upsert([Need(id="n1", title="锂电池热失控预警"),
                  Achievement(id="a1", title="热失控预警方法"), Achievement(id="a2", title="轴承"),
                  Expert(id="e1", name="张明", bio="储能安全", works=["a2"])])
    record_feedback(store, "n1", "a1", label="accepted")
    record_feedback(store, "n1", "e1", label="contacted")
    out = tmp_path / "beir"
    assert export_feedback(store, out, split="test").expert_pairs == 1
    assert expert_qrels(load_dataset(out, "test")) == {"n1": {"e1": 1}}
    record_feedback(store, "n1", "e1", label="rejected", reason="unresponsive")
    again = export_feedback(store, out, split="test")
    fresh = export_feedback(store, tmp_path / "fresh", split="test")
    store.close()
    assert again.expert_pairs == fresh.expert_pairs == 0
    assert expert_qrels(load_dataset(out, "test")) == \
        expert_qrels(load_dataset(tmp_path / "fresh", "test")) == {}
    assert load_dataset(out, "test").qrels == {"n1": {"a1": 1}}
