"""The KPPatent-ZH set builder: known-item queries matched to the corpus by abstract text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.eval.datasets import load_dataset
from techmatch.eval.patentsets import build


def _tac(title: str, abstract: str) -> str:
    return f"标题：{title}\n摘要：{abstract}\n权利声明：1.一种方法。"


def _fixture(root: Path) -> tuple[Path, Path]:
    kp = root / "kp"
    kp.mkdir()
    tac = [{"instruction": "", "input": _tac("智能掘进机采矿方法", "掘进机开采薄矿体。"),
            "output": "掘进机,矿体，采矿"},
           {"instruction": "", "input": _tac("重复摘要", "相同的摘要。"), "output": "相同"},
           {"instruction": "", "input": _tac("", "没有标题的专利。"), "output": "标题"},
           {"instruction": "", "input": _tac("不在语料中", "语料里没有。"), "output": "缺"}]
    a = [{"instruction": "", "input": "摘要：聚合物洁齿剂。", "output": "聚合物, 洁齿;牙"},
         {"instruction": "", "input": "摘要：聚合物洁齿剂。", "output": "重复"},
         {"instruction": "", "input": "摘要：甲烷脱除。", "output": "甲烷"}]
    (kp / "test_data_TAC.json").write_text(json.dumps(tac, ensure_ascii=False), encoding="utf-8")
    (kp / "data_A.json").write_text(json.dumps(a, ensure_ascii=False), encoding="utf-8")
    src = root / "src"
    src.mkdir()
    rows = [("pat-tac-0000", "掘进机开采薄矿体。"), ("pat-x1", "相同的摘要。"),
            ("pat-x2", "相同的摘要。"), ("pat-tac-0002", "没有标题的专利。"),
            ("pat-a-0000", "聚合物洁齿剂。"), ("pat-a-0002", "甲烷脱除。"),
            ("paper-1", "甲烷脱除。")]  # a paper with a patent's text is not a patent
    (src / "corpus.jsonl").write_text("".join(
        json.dumps({"_id": i, "title": "", "text": t, "metadata": {}}, ensure_ascii=False)
        + "\n" for i, t in rows), encoding="utf-8")
    return kp, src


def test_builds_three_known_item_sets(tmp_path: Path) -> None:
    kp, src = _fixture(tmp_path)
    counts = build(kp, src, tmp_path / "out")
    assert counts["pat-title-dev"] == {"queries": 1, "unmatched": 1, "ambiguous": 1,
                                       "duplicate": 0, "empty": 1}
    assert counts["pat-kw-dev"] == counts["pat-title-dev"]  # the same patents
    assert counts["pat-kw-a"] == {"queries": 2, "unmatched": 0, "ambiguous": 0,
                                  "duplicate": 1, "empty": 0}
    title = load_dataset(tmp_path / "out" / "pat-title-dev")
    assert title.queries == {"p-tac-0000": "智能掘进机采矿方法"}
    assert title.qrels == {"p-tac-0000": {"pat-tac-0000": 2}}
    kw = load_dataset(tmp_path / "out" / "pat-kw-dev")
    assert kw.queries == {"pk-tac-0000": "掘进机、矿体、采矿"}
    a = load_dataset(tmp_path / "out" / "pat-kw-a")
    assert a.queries == {"pk-a-0000": "聚合物、洁齿、牙", "pk-a-0002": "甲烷"}
    assert a.qrels == {"pk-a-0000": {"pat-a-0000": 2}, "pk-a-0002": {"pat-a-0002": 2}}
    link = tmp_path / "out" / "pat-kw-a" / "corpus.jsonl"
    assert link.is_symlink() and link.resolve() == (src / "corpus.jsonl").resolve()


def test_refuses_output_inside_a_source_and_names_a_bad_row(tmp_path: Path) -> None:
    kp, src = _fixture(tmp_path)
    with pytest.raises(ValidationError, match="inside the source"):
        build(kp, src, src / "sets")
    (kp / "data_A.json").write_text(json.dumps([{"input": "摘要：x", "output": "y"},
                                                {"input": "标题：x", "output": "y"}],
                                               ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError, match="第 2 行，字段 input"):
        build(kp, src, tmp_path / "out", sets=("pat-kw-a",))
    with pytest.raises(ValidationError, match="unknown set"):
        build(kp, src, tmp_path / "out", sets=("pat-claims",))


def test_real_kppatent_sets(shared_dir: Path, tmp_path: Path) -> None:
    kp = shared_dir / "data" / "kppatent-zh"
    corpus = shared_dir / "eval" / "csl-title-dev"
    if not (kp / "data_A.json").is_file() or not (corpus / "corpus.jsonl").is_file():
        pytest.skip("KPPatent-ZH or csl-title-dev not in the shared folder")
    counts = build(kp, corpus, tmp_path)
    # 696 test patents: 6 abstracts twice in the corpus, 3 without a title
    assert counts["pat-title-dev"]["queries"] == counts["pat-kw-dev"]["queries"] == 687
    assert counts["pat-kw-a"]["queries"] == 2963  # distinct abstracts of data_A.json
    a = load_dataset(tmp_path / "pat-kw-a")
    assert not set(a.qrels) & set(load_dataset(tmp_path / "pat-kw-dev").qrels)
    relevant = {d for grades in a.qrels.values() for d in grades}
    assert len(relevant) == 2963 and not any(d.startswith("pat-tac-") for d in relevant)
