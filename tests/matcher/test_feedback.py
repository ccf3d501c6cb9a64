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


def _experts_engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    records: list[Need | Achievement | Expert] = _records()
    records += [Expert(id=f"x{i + 2}", name=f"专家{i + 2}", bio=f"{topic}研究",
                       works=[f"mature{i}", f"early{i}"]) for i, topic in enumerate(TOPICS)]
    return make_engine(tmp_path, records)


def test_a_few_expert_judgements_adapt_the_default_expert_weights_not_replace_them(
        tmp_path: Path) -> None:
    """Staff saw one expert (the one of a single deal) ranked first for every need after
    `train-ranker --from-feedback`: the shipped model has no expert model, so the expert
    ranker was fitted on the two judged needs alone and the default weights were forgotten."""
    import numpy as np

    from techmatch.matcher.scorer import RankerModel, default_model

    engine = _experts_engine(tmp_path)
    record_feedback(engine.store, "n0", "x2", label="deal")
    record_feedback(engine.store, "n1", "x2", label="rejected", reason="not_relevant")
    record_feedback(engine.store, "n1", "x3", label="accepted")
    base = RankerModel()  # what a home without a fitting shipped model ranks with
    model = train_ranker(engine, feedback_qrels(engine.store), base=base, source="feedback",
                         options=TrainOptions(negatives=5, prior_queries=100))
    expert = model.models["expert"]
    kept = int(expert.metrics["queries"])  # type: ignore[call-overload]
    assert kept >= 1 and expert.metrics["own_share"] == pytest.approx(kept / (kept + 100),
                                                                       abs=1e-4)
    default = default_model("expert")
    assert expert.features == default.features
    w, d = np.asarray(expert.weights), np.asarray(default.weights)
    assert float(w @ d / (np.linalg.norm(w) * np.linalg.norm(d))) > 0.95
    prior = model.trained_on["prior"]
    assert isinstance(prior, dict) and prior["source"] == "default weights"
    assert prior["queries"] == 100 and prior["version"] == 0


def test_a_need_dropped_as_not_relevant_leaves_the_achievements_reverse_match(engine) -> None:  # type: ignore[no-untyped-def]
    """Staff rejected n0 ⇄ early0 as not relevant; `match early0 --kind need` still listed n0
    first (only need → candidate lists left dropped pairs out)."""
    service = MatchService(engine)
    assert service.match_achievement("early0", k=5, explain=False).hits[0].id == "n0"
    record_feedback(engine.store, "early0", "n0", label="rejected", reason="not_relevant")
    ids = [h.id for h in service.match_achievement("early0", k=5, explain=False).hits]
    assert "n0" not in ids and ids
    # only that pair: early0 is still a candidate of other needs, n0 still gets others
    assert "n0" in [h.id for h in service.match_achievement("mature0", k=5,
                                                            explain=False).hits]
    assert "early0" not in [h.id for h in service.match_need("n0", target="achievement",
                                                             k=5, explain=False).hits]


def test_a_second_rejection_with_another_reason_is_refused_not_silently_ignored(engine) -> None:  # type: ignore[no-untyped-def]
    """`feedback n0 early0 --label rejected --reason too_early`, then `--reason not_relevant`:
    the second said 'feedback #2 … (not_relevant)' and exited 0, but the docking kept
    too_early, so the pair kept coming back in match lists."""
    from techmatch.store.dockings import DockingRepo

    store = engine.store
    record_feedback(store, "n0", "early0", label="rejected", reason="too_early")
    again = record_feedback(store, "n0", "early0", label="rejected", reason="too_early")
    assert again.docking_id is not None  # the same judgement again is harmless
    with pytest.raises(ValidationError, match="reason") as err:
        record_feedback(store, "n0", "early0", label="rejected", reason="not_relevant")
    assert err.value.field == "reason"
    assert "too_early" in str(err.value) and again.docking_id in str(err.value)
    docking = DockingRepo(store).find_pair("n0", "early0")
    assert docking is not None and docking.reason == "too_early"
    assert [(f.label, f.reason) for f in list_feedback(store)] == \
        [("rejected", "too_early"), ("rejected", "too_early")]


def test_pairs_rejected_as_not_relevant_are_training_rows(engine) -> None:  # type: ignore[no-untyped-def]
    """`train-ranker --from-feedback` reported 'pairs 52' for two judged needs: the pairs
    staff rejected as not relevant — the clearest negatives there are — were left out of the
    training rows, because training ranked with the staff's exclusions applied."""
    from techmatch.matcher.train import collect_rows

    record_feedback(engine.store, "n0", "early0", label="rejected", reason="not_relevant")
    record_feedback(engine.store, "n0", "mature0", label="accepted")
    qrels = feedback_qrels(engine.store)
    assert qrels == {"n0": {"early0": 0, "mature0": 1}}
    service = MatchService(engine)
    queries = engine.store.get_many(["n0"])
    rows = collect_rows(service, qrels, queries, "achievement", TrainOptions(negatives=0,
                                                                            hard_negatives=0))
    x, y, groups = rows.arrays()
    assert sorted(y.tolist()) == [0, 1]  # the rejected pair and the accepted one
    # what staff are shown still leaves the rejected pair out
    assert "early0" not in [h.id for h in service.match_need("n0", target="achievement",
                                                             k=10, explain=False).hits]


def test_an_expert_given_first_is_named_as_the_wrong_field(engine) -> None:  # type: ignore[no-untyped-def]
    """`feedback x1 n0` (the expert first) said "field 'candidate_id': a expert cannot be
    paired with a need; candidates of a expert are none": the first id was the wrong one."""
    with pytest.raises(ValidationError) as err:
        record_feedback(engine.store, "x1", "n0", label="accepted")
    assert err.value.field == "query_id"
    assert "（n0 x1）" in str(err.value) and "x1 是专家" in str(err.value)
    with pytest.raises(ValidationError) as wrong:
        record_feedback(engine.store, "early0", "x1", label="accepted")
    assert wrong.value.field == "candidate_id" and "成果不能与专家配对" in str(wrong.value)
    assert list_feedback(engine.store) == []
