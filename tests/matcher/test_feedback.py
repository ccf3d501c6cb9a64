"""Feedback: validation, storage, qrels export, and the round trip through train-ranker."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import make_engine

from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher.feedback import (
    FEEDBACK_GRADES,
    feedback_qrels,
    list_feedback,
    qrels_lines,
    record_feedback,
)
from techmatch.matcher.scorer import load_current, save_model
from techmatch.matcher.service import MatchService
from techmatch.matcher.train import TrainOptions, train_ranker
from techmatch.models.records import Achievement, Expert, Need

TOPICS = ["锂电池热管理", "印染废水处理", "小麦抗旱育种", "光伏组件清洗", "钢结构防腐涂层",
          "工业机器人视觉", "茶叶加工机械", "中药材提取工艺", "风电叶片检测", "冷链物流温控",
          "陶瓷窑炉节能", "纺织品阻燃整理", "污泥干化焚烧", "水稻病害识别", "铝合金压铸缺陷"]


def _records() -> list[Need | Achievement | Expert]:
    out: list[Need | Achievement | Expert] = []
    for i, topic in enumerate(TOPICS):
        out.append(Need(id=f"n{i}", title=f"{topic}技术需求",
                        description=f"企业需要{topic}的解决方案"))
        # The early-stage one matches the wording better, so it ranks first by default.
        out.append(Achievement(id=f"early{i}", title=f"{topic}技术",
                               abstract=f"{topic}的解决方案", maturity=2))
        out.append(Achievement(id=f"mature{i}", title=f"{topic}新方法",
                               abstract=f"一种{topic}工艺，已中试", maturity=8))
    out.append(Expert(id="x1", name="专家", bio="锂电池", works=["mature0"]))
    return out


@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_engine(tmp_path, _records())


def test_labels_and_reasons_are_validated(engine) -> None:  # type: ignore[no-untyped-def]
    store = engine.store
    with pytest.raises(ValidationError, match="label"):
        record_feedback(store, "n0", "early0", label="liked")
    with pytest.raises(ValidationError, match="reason"):
        record_feedback(store, "n0", "early0", label="rejected")
    with pytest.raises(ValidationError, match="reason"):
        record_feedback(store, "n0", "early0", label="rejected", reason="boring")
    with pytest.raises(ValidationError, match="reason"):
        record_feedback(store, "n0", "early0", label="accepted", reason="other")
    with pytest.raises(NotFoundError):
        record_feedback(store, "n0", "nope", label="accepted")
    with pytest.raises(ValidationError, match="candidate_id"):
        record_feedback(store, "n0", "n1", label="accepted")
    assert list_feedback(store) == []


def test_latest_judgement_counts_and_exports_as_qrels(engine) -> None:  # type: ignore[no-untyped-def]
    store = engine.store
    record_feedback(store, "n0", "mature0", label="accepted", actor="staff1")
    record_feedback(store, "n0", "mature0", label="deal", note="signed")
    record_feedback(store, "n0", "early0", label="rejected", reason="too_early")
    record_feedback(store, "n0", "x1", label="contacted")
    assert [f.label for f in list_feedback(store, query_id="n0")] == \
        ["accepted", "deal", "rejected", "contacted"]
    qrels = feedback_qrels(store)
    assert qrels == {"n0": {"mature0": 2, "early0": 0, "x1": 1}}
    assert qrels_lines(qrels) == ["query-id\tcorpus-id\tscore", "n0\tearly0\t0",
                                  "n0\tmature0\t2", "n0\tx1\t1"]
    assert FEEDBACK_GRADES == {"deal": 2, "accepted": 1, "contacted": 1, "rejected": 0}


def _rank(service: MatchService, need: str, rid: str) -> int:
    hits = service.match_need(need, target="achievement", k=10, explain=False).hits
    return next((h.rank for h in hits if h.id == rid), 99)


def test_rejected_pair_drops_after_retraining_on_feedback(engine) -> None:  # type: ignore[no-untyped-def]
    home = engine.settings.home
    service = MatchService(engine)
    rank_before = _rank(service, "n0", "early0")
    assert rank_before == 1
    for i in range(len(TOPICS)):
        record_feedback(engine.store, f"n{i}", f"early{i}", label="rejected", reason="too_early")
        record_feedback(engine.store, f"n{i}", f"mature{i}", label="accepted")
    model = train_ranker(engine, feedback_qrels(engine.store),
                         options=TrainOptions(negatives=5), source="feedback")
    save_model(model, home)
    assert _rank(service, "n0", "early0") > rank_before  # the running service reloaded
    assert service.model.version == 1 and load_current(home) is not None
    assert service.model.for_kind("achievement").calibrated
    assert _rank(service, "n0", "mature0") == 1
    assert MatchService(engine).model.version == 1


def test_feedback_history_notes_name_the_label_in_chinese(engine) -> None:  # type: ignore[no-untyped-def]
    """The docking history (the console's 历史 table) read '反馈：deal' for each step."""
    from techmatch.matcher.dockings import docking_history
    from techmatch.store.dockings import DockingRepo

    record_feedback(engine.store, "n0", "early0", label="deal", note="已签技术许可")
    docking = DockingRepo(engine.store).find_pair("n0", "early0")
    assert docking is not None
    notes = {h.note for h in docking_history(engine.store, docking.id)[1:]}
    assert notes == {"反馈：成交；已签技术许可"}, notes
