"""The cross-lingual set builder keeps a need→expert source's experts and judgements."""

from __future__ import annotations

import json
from pathlib import Path

from techmatch.eval.crosslingual_set import build
from techmatch.eval.datasets import expert_qrels, load_dataset


def _source(root: Path) -> Path:
    src = root / "src"
    (src / "qrels").mkdir(parents=True)
    rows = [{"_id": "p1", "title": "材料", "text": "化学材料", "metadata": {}},
            {"_id": "p2", "title": "法律", "text": "法学", "metadata": {}}]
    (src / "corpus.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                              for r in rows), encoding="utf-8")
    queries = [{"_id": "q1", "text": "材料、化学", "metadata": {}},
               {"_id": "q2", "text": "㐀㐁㐂", "metadata": {}}]  # not in the dictionary
    (src / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n"
                                               for q in queries), encoding="utf-8")
    (src / "experts.jsonl").write_text(
        json.dumps({"id": "x1", "name": "x1", "works": ["p1"]}) + "\n"
        + json.dumps({"id": "x2", "name": "x2", "works": ["p2"]}) + "\n", encoding="utf-8")
    head = "query-id\tcorpus-id\tscore\n"
    (src / "qrels" / "dev.tsv").write_text(head + "q1\tp1\t2\nq2\tp2\t2\n", encoding="utf-8")
    (src / "qrels" / "dev-experts.tsv").write_text(head + "q1\tx1\t2\nq2\tx2\t2\n",
                                                   encoding="utf-8")
    return src


def test_expert_source_keeps_experts_and_judgements_of_kept_queries(tmp_path: Path) -> None:
    counts = build(_source(tmp_path), tmp_path / "en")
    assert counts["queries"] == 1
    ds = load_dataset(tmp_path / "en")
    assert ds.queries["q1"] == "material, chemistry"
    assert [e.id for e in ds.experts or ()] == ["x1", "x2"]
    assert expert_qrels(ds) == {"q1": {"x1": 2}}
    assert (tmp_path / "en" / "experts.jsonl").is_symlink()
