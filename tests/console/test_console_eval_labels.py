"""评估 names each evaluated configuration in Chinese, its code beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path


def test_configurations_read_in_chinese_with_their_code(tmp_path: Path) -> None:
    """The 评估 page's tables and chart named the configurations by their codes only
    (lexical, dense, hybrid-rrf, ranker-default …) where every other page speaks Chinese;
    each now reads 关键词检索 / 语义检索 / 混合检索（RRF 融合）… with the code greyed beside it
    (the code is what `techmatch eval --retrievers` takes); an unknown code stays as it is."""
    from techmatch.api.console.deps import TEMPLATES
    from techmatch.api.console.views.evaluation import load_report

    report = tmp_path / "eval" / "tiny" / "dev" / "report.json"
    report.parent.mkdir(parents=True)
    scores = {"ndcg@10": 0.9, "mrr@10": 1.0}
    report.write_text(json.dumps({
        "dataset": "tiny-zh", "split": "dev", "queries": 4, "corpus": {"records": 12},
        "settings": {"encoder_id": "e5-small"}, "seconds": 3.6,
        "configs": {name: scores for name in ("lexical", "dense", "hybrid-rrf",
                                              "ranker-default", "my-own")},
        "significance": {"baseline": "lexical", "tests": {"dense": {
            "ndcg@10": {"delta": 0.03, "p_randomization": 0.5}}}}}), encoding="utf-8")
    loaded = load_report(report)
    assert loaded is not None
    html = TEMPLATES.env.get_template("evaluation.html").render(
        nav=[], staff=None, csrf="", reports=[loaded])
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for shown in ("关键词检索 lexical 0.9000", "语义检索 dense 0.9000",
                  "混合检索（RRF 融合） hybrid-rrf", "排序模型（随包默认） ranker-default",
                  "my-own 0.9000", "与基线 关键词检索 lexical 的差异", "语义检索 dense +0.0300"):
        assert shown in text, (shown, text)
    chart = str(loaded.chart)
    assert ">关键词检索<" in chart and ">my-own<" in chart, chart
