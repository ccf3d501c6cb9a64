"""BEIR sets written by other builders: BOMs, CRLF, named qrels columns, repeated ids, …

Each variant either reads exactly like the plain tiny set or fails naming file, row and field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.eval.datasets import load_dataset, read_qrels

FILES = ("corpus.jsonl", "queries.jsonl", "experts.jsonl", "qrels/dev.tsv")


def _copy(src: Path, dest: Path, *, bom: bool = False, newline: str = "\n") -> Path:
    """The tiny set rewritten with a UTF-8 BOM and/or other line ends, content unchanged."""
    for name in FILES:
        text = (src / name).read_text(encoding="utf-8")
        lines = text.splitlines()
        if name.endswith(".tsv"):
            lines = lines[1:]  # and without its header line
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        out = ("\ufeff" if bom else "") + "".join(line + newline for line in lines)
        (dest / name).write_bytes(out.encode("utf-8"))
    return dest


def _loaded(path: Path) -> tuple[object, ...]:
    ds = load_dataset(path, "dev")
    return ds.queries, ds.qrels, ds.experts, ds.query_ids(), ds.query_meta


def test_bom_and_crlf_files_read_like_the_plain_set(tmp_path: Path, tiny_dataset: Path) -> None:
    plain = _loaded(tiny_dataset)
    assert plain[3] == ["q1", "q2", "q3", "q4"]
    assert _loaded(_copy(tiny_dataset, tmp_path / "bom", bom=True)) == plain
    assert _loaded(_copy(tiny_dataset, tmp_path / "crlf", bom=True, newline="\r\n")) == plain


def test_qrels_header_names_columns_in_any_order_with_extra_ones(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text("query-id\tcorpus-id\tscore\tannotator\nq1\td1\t2\tA\nq1\td2\t1.0\tB\n",
                    encoding="utf-8")
    assert read_qrels(path) == {"q1": {"d1": 2, "d2": 1}}
    path.write_text("corpus_id\tquery_id\tscore\nd1\tq1\t2\nd 2\tq 1\t0\n", encoding="utf-8")
    assert read_qrels(path) == {"q1": {"d1": 2}, "q 1": {"d 2": 0}}
    path.write_text("query-id\tcorpus-id\tscore\tnote\nq1\td1\t2\tx\nq1\td2\t1\n",
                    encoding="utf-8")
    with pytest.raises(ValidationError, match="row 3.*expected 4 columns"):
        read_qrels(path)


def _set(tmp_path: Path, queries: list[dict[str, object]], qrels: str) -> Path:
    (tmp_path / "qrels").mkdir(parents=True)
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "储能电池"}\n', "utf-8")
    (tmp_path / "queries.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), "utf-8")
    (tmp_path / "qrels" / "dev.tsv").write_text(qrels, "utf-8")
    return tmp_path


def test_a_repeated_query_id_must_repeat_its_text(tmp_path: Path) -> None:
    same = _set(tmp_path / "a", [{"_id": "q1", "text": "电池"}, {"_id": "q1", "text": "电池"}],
                "q1\td1\t1\n")
    assert load_dataset(same, "dev").queries == {"q1": "电池"}
    other = _set(tmp_path / "b", [{"_id": "q1", "text": "电池"}, {"_id": 2, "text": "x"},
                                  {"_id": "q1", "text": "风机"}], "q1\td1\t1\n")
    with pytest.raises(ValidationError, match="row 1") as err:
        load_dataset(other, "dev")
    assert (err.value.row, err.value.field) == (3, "_id")
    assert err.value.source == str(other / "queries.jsonl")


def test_integer_ids_in_experts_works(tmp_path: Path) -> None:
    path = _set(tmp_path, [{"_id": 5, "text": "电池"}], "5\t1\t2\n")
    (path / "experts.jsonl").write_text('{"id": 9, "name": "张", "works": [1, "2"]}\n', "utf-8")
    ds = load_dataset(path, "dev")
    assert ds.query_ids() == ["5"] and ds.qrels == {"5": {"1": 2}}
    assert [(e.id, e.works) for e in ds.experts or ()] == [("9", ("1", "2"))]
