"""'No good match' evaluation: AUROC, routed shares, calibration; unanswerable.txt; empty
queries skipped instead of stopping the run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.errors import ValidationError
from techmatch.eval.abstention import auroc, summarize
from techmatch.eval.datasets import load_dataset
from techmatch.eval.runner import EvalOptions, run_evaluation, summary
from techmatch.indexers.vector_cache import CachedEncoder


def test_auroc_by_hand() -> None:
    assert auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == 1.0
    assert auroc([0.9, 0.1, 0.5, 0.2], [1, 1, 0, 0]) == 0.5  # 2 of 4 pairs ordered right
    assert auroc([0.3, 0.4], [1, 1]) is None


def test_summarize_by_hand() -> None:
    hits = {"a": [("d1", 0.9), ("d2", 0.4)], "b": [("d3", 0.2)], "u": [("d1", 0.3)],
            "v": [("d2", 0.6)]}
    top = {q: max(c for _, c in h) for q, h in hits.items()}
    routed = {q: top[q] < 0.5 for q in hits}
    out = summarize(top, routed, hits, ["a", "b"], ["u", "v"],
                    {"a": {"d1": 2}, "b": {"d3": 1}}, 0.5)
    assert out["auroc"] == 0.5  # a beats u and v, b beats neither
    assert out["routed_unanswerable"] == 0.5 and out["routed_answerable"] == 0.5
    # top-1 pairs: (0.9, 1), (0.2, 1), (0.3, 0), (0.6, 0): bins 9, 2, 3, 6
    assert out["ece_top1"] == pytest.approx((0.1 + 0.8 + 0.3 + 0.6) / 4)
    assert out["per_query"]["v"] == {"top_confidence": 0.6, "routed": False}


def _tiny_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    with (dst / "queries.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"_id": "q7", "text": "  ", "metadata": {}}\n')
    with (dst / "qrels" / "dev.tsv").open("a", encoding="utf-8") as fh:
        fh.write("q7\td01\t2\n")
    (dst / "unanswerable.txt").write_text("# no answer in the corpus\nq5\nq6\n",
                                          encoding="utf-8")
    return dst


def test_unanswerable_file_is_checked(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = load_dataset(_tiny_copy(tiny_dataset, tmp_path / "set"))
    assert ds.unanswerable == ("q5", "q6") and ds.unanswerable_ids() == ["q5", "q6"]
    assert ds.empty_queries() == ["q7"] and "q7" not in ds.query_ids()
    (tmp_path / "set" / "unanswerable.txt").write_text("q1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="q1"):
        load_dataset(tmp_path / "set")  # q1 has relevant records
    (tmp_path / "set" / "unanswerable.txt").write_text("q5\nnope\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="nope") as err:
        load_dataset(tmp_path / "set")
    assert err.value.row == 2


@pytest.mark.slow
def test_abstention_and_skipped_queries_end_to_end(tiny_dataset: Path, tmp_path: Path,
                                                   eval_settings: Settings,
                                                   encoder: CachedEncoder) -> None:
    data = _tiny_copy(tiny_dataset, tmp_path / "set")
    report = run_evaluation(data, eval_settings,
                            EvalOptions(configs=("lexical", "ranker-default"), trials=200),
                            encoder=encoder)
    assert report["queries"] == 4  # q7 (empty) skipped, reported
    assert report["skipped_queries"] == {"empty_text": ["q7"]}
    a = report["abstention"]["ranker-default"]
    assert (a["answerable"], a["unanswerable"]) == (4, 2)
    per = a["per_query"]
    good = [per[q]["top_confidence"] for q in ("q1", "q2", "q3", "q4")]
    bad = [per[q]["top_confidence"] for q in ("q5", "q6")]
    pairs = [(g > b) + 0.5 * (g == b) for g in good for b in bad]
    assert a["auroc"] == pytest.approx(sum(pairs) / len(pairs))
    threshold = eval_settings.confidence_threshold
    assert a["threshold"] == threshold
    assert all(per[q]["routed"] == (per[q]["top_confidence"] < threshold) for q in per)
    assert a["routed_unanswerable"] == sum(b < threshold for b in bad) / 2
    # the product's need→expert ranking is scored against the works baseline
    experts = report["experts"]
    assert set(experts["configs"]) == {"expert-affinity", "expert-ranker-default"}
    assert "expert-ranker-default" in experts["significance"]["tests"]
    assert 0.0 <= experts["configs"]["expert-ranker-default"]["mrr@10"] <= 1.0
    assert "abstention" in summary(report)
