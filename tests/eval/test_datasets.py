"""BEIR reader: queries, qrels, splits, experts and the expert relevance derivation."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.errors import IngestError, ValidationError
from techmatch.eval.datasets import (
    corpus_hash,
    expert_qrels,
    load_dataset,
    read_corpus,
    read_qrels,
)


def test_tiny_set_loads(tiny_dataset: Path) -> None:
    ds = load_dataset(tiny_dataset, "dev")
    assert ds.name == "tiny-zh"
    assert ds.splits == ("dev", "test")
    assert ds.query_ids() == ["q1", "q2", "q3", "q4"]
    assert ds.qrels["q4"] == {"d04": 2, "d10": 0}
    assert ds.queries["q3"] == "去除工业废水中的重金属"
    assert [e.id for e in ds.experts or ()] == ["e1", "e2", "e3", "e4", "e5", "e6"]
    assert len(list(read_corpus(ds.corpus_path))) == 12
    assert len(corpus_hash(ds.corpus_path)) == 12


def test_expert_grade_is_the_max_grade_of_its_works(tiny_dataset: Path) -> None:
    ds = load_dataset(tiny_dataset, "dev")
    # q1: d02 grade 2 and d01 grade 1 are both e1's works → 2; q4's d10 (grade 0) adds no e5
    assert expert_qrels(ds) == {"q1": {"e1": 2}, "q2": {"e2": 2}, "q3": {"e3": 2},
                                "q4": {"e4": 2}}


def test_unknown_split_lists_available(tiny_dataset: Path) -> None:
    with pytest.raises(ValidationError, match="dev, test"):
        load_dataset(tiny_dataset, "train")


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="corpus.jsonl"):
        load_dataset(tmp_path, "dev")


def test_qrels_header_trec_format_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\t0\td2\t1\n", encoding="utf-8")
    assert read_qrels(path) == {"q1": {"d1": 2, "d2": 1}}
    path.write_text("q1\td1\t2\nq1\td2\thigh\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="第 2 行"):
        read_qrels(path)
    path.write_text("q1 0 d1 1\r\nq2  0  d3  2.0\n", encoding="utf-8")  # TREC, spaces
    assert read_qrels(path) == {"q1": {"d1": 1}, "q2": {"d3": 2}}
    path.write_text("q1\td1\t1\nq1\td2\t0.5\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="0.5"):
        read_qrels(path)


def test_plain_id_key_is_accepted(tmp_path: Path) -> None:
    from techmatch.eval.datasets import read_corpus, read_queries

    (tmp_path / "c.jsonl").write_text('{"id": 7, "title": "t", "text": "x"}\n', "utf-8")
    (tmp_path / "q.jsonl").write_text('{"id": "q1", "text": "问"}\n{"text": "无"}\n', "utf-8")
    assert [d.id for d in read_corpus(tmp_path / "c.jsonl")] == ["7"]
    with pytest.raises(ValidationError, match="第 2 行"):
        read_queries(tmp_path / "q.jsonl")


def test_qrels_query_missing_from_queries_is_an_error(tmp_path: Path, tiny_dataset: Path) -> None:
    for name in ("corpus.jsonl", "queries.jsonl"):
        (tmp_path / name).write_text((tiny_dataset / name).read_text(encoding="utf-8"),
                                     encoding="utf-8")
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "dev.tsv").write_text("qX\td01\t1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="qX"):
        load_dataset(tmp_path, "dev")


def test_bad_experts_line_names_the_row(tmp_path: Path, tiny_dataset: Path) -> None:
    for name in ("corpus.jsonl", "queries.jsonl"):
        (tmp_path / name).write_text((tiny_dataset / name).read_text(encoding="utf-8"),
                                     encoding="utf-8")
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "dev.tsv").write_text("q1\td01\t1\n", encoding="utf-8")
    (tmp_path / "experts.jsonl").write_text('{"id": "e1", "works": ["d01"]}\n'
                                            '{"id": "e2", "works": "d02"}\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="第 2 行.*works"):
        load_dataset(tmp_path, "dev")
