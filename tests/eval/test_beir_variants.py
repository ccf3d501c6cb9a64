"""BEIR sets written by other builders: BOMs, CRLF, named qrels columns, repeated ids, …

Each variant either reads exactly like the plain tiny set or fails naming file, row and field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.errors import ValidationError
from techmatch.eval.datasets import expert_qrels, load_dataset, read_qrels
from techmatch.eval.runner import EvalOptions, run_evaluation
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.vector_cache import CachedEncoder

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
    with pytest.raises(ValidationError, match="第 3 行.*应有 4 列"):
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
    with pytest.raises(ValidationError, match="首次在第 1 行") as err:
        load_dataset(other, "dev")
    assert (err.value.row, err.value.field) == (3, "_id")
    assert err.value.source == str(other / "queries.jsonl")


def test_integer_ids_in_experts_works(tmp_path: Path) -> None:
    path = _set(tmp_path, [{"_id": 5, "text": "电池"}], "5\t1\t2\n")
    (path / "experts.jsonl").write_text('{"id": 9, "name": "张", "works": [1, "2"]}\n', "utf-8")
    ds = load_dataset(path, "dev")
    assert ds.query_ids() == ["5"] and ds.qrels == {"5": {"1": 2}}
    assert [(e.id, e.works) for e in ds.experts or ()] == [("9", ("1", "2"))]


def test_prepared_corpus_keeps_every_line(tmp_path: Path) -> None:
    from techmatch.eval.corpus_prep import prepare_corpus
    from techmatch.eval.datasets import safe_id

    src = tmp_path / "corpus.jsonl"
    rows = [{"_id": "文献 1", "title": "题" * 600, "text": "文" * 25_000},
            {"_id": 7, "text": "储能", "url": "u", "metadata": {"type": "journal-article",
                                                              "discipline": "电气工程"}},
            {"id": "d3", "title": None, "text": "风机", "type": "专利"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    report = prepare_corpus(src, tmp_path / "out.jsonl", "achievement")
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert [o["_id"] for o in out] == [safe_id("文献 1"), "7", "d3"]
    assert out[0]["_id"].startswith("beir:") and safe_id("d3") == "d3"
    assert (len(out[0]["title"]), len(out[0]["text"])) == (500, 20_000)
    assert out[1]["metadata"] == {"discipline": "电气工程"} and out[1]["url"] == "u"
    assert out[2]["type"] == "专利"  # a value the records accept stays
    assert (report.rows, report.stand_in_ids) == (3, 1)
    assert report.cut == {"title": 1, "text": 1}
    assert report.dropped == {"metadata.type": 1}
    (tmp_path / "bad.jsonl").write_text('{"_id": "d1", "title": ["x"], "text": "y"}\n', "utf-8")
    with pytest.raises(ValidationError, match="第 1 行，字段 title"):
        prepare_corpus(tmp_path / "bad.jsonl", tmp_path / "out.jsonl", "achievement")


def _renamed(src: Path, dest: Path, ids: dict[str, str]) -> Path:
    """The tiny set with ids renamed (corpus, queries, qrels, experts), content unchanged."""
    for name in FILES:
        text = (src / name).read_text(encoding="utf-8")
        if name.endswith(".tsv"):
            text = "".join("\t".join(ids.get(c, c) for c in line.split("\t")) + "\n"
                           for line in text.splitlines())
        else:
            lines = []
            for line in text.splitlines():
                obj = json.loads(line)
                for key in ("_id", "id"):
                    if key in obj:
                        obj[key] = ids.get(obj[key], obj[key])
                if "works" in obj:
                    obj["works"] = [ids.get(w, w) for w in obj["works"]]
                lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
            text = "".join(lines)
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text, encoding="utf-8")
    return dest


def test_ids_the_records_refuse_score_like_plain_ids(tmp_path: Path, tiny_dataset: Path,
                                                     eval_settings: Settings,
                                                     encoder: CachedEncoder,
                                                     raw_encoder: Encoder,
                                                     vector_cache: Path) -> None:
    """Spaces and > 128 characters in query, corpus and expert ids: stand-ins inside, the
    set's own ids in the report, the same scores (was: a traceback, or records rejected)."""
    ids = {"q1": "需求 1", "d02": "文献 02", "d07": "d" * 140, "e1": "专家 甲"}
    odd = _renamed(tiny_dataset, tmp_path / "odd", ids)
    with (odd / "queries.jsonl").open("a", encoding="utf-8") as fh:  # judged, nothing relevant
        fh.write('{"_id": "需求 9", "text": "风电"}\n')
    with (odd / "qrels" / "dev.tsv").open("a", encoding="utf-8") as fh:
        fh.write("需求 9\td01\t0\n")
    with (odd / "corpus.jsonl").open("a", encoding="utf-8") as fh:  # a line given twice
        fh.write((odd / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[2] + "\n")
    options = EvalOptions(configs=("lexical", "dense", "ranker-default"), trials=100)
    plain = run_evaluation(tiny_dataset, eval_settings, options, encoder=encoder)
    report = run_evaluation(odd, eval_settings, options,  # the engine closed the first one
                            encoder=CachedEncoder(raw_encoder, vector_cache))
    assert report["corpus"]["records"] == plain["corpus"]["records"] == 12
    assert report["configs"] == plain["configs"]
    back = {v: k for k, v in ids.items()}
    for name, values in report["per_query"].items():
        assert {back.get(q, q) for q in values["ndcg@10"]} == {"q1", "q2", "q3", "q4"}
        assert values["ndcg@10"]["需求 1"] == plain["per_query"][name]["ndcg@10"]["q1"]
    assert report["experts"]["configs"] == plain["experts"]["configs"]
    assert "需求 1" in report["experts"]["per_query"]["ndcg@10"]
    assert any("替代编号" in note for note in report["notes"])
    assert any("1 个编号出现两次" in note for note in report["notes"])
    assert report["skipped_queries"] == {"no_positive_grade": ["需求 9"]}
    assert "skipped_queries" not in plain


def test_qrels_that_grade_experts_directly(tmp_path: Path, tiny_dataset: Path) -> None:
    """An expert set whose <split>.tsv names experts, without <split>-experts.tsv (as
    csl-expert-dev's README describes it): those grades are the expert relevance (was: none,
    so every expert metric was 0 over 0 queries, exit 0)."""
    path = _copy(tiny_dataset, tmp_path / "experts")
    (path / "qrels" / "dev.tsv").write_text("q1\te1\t2\nq1\te3\t1\nq2\te2\t2\nq3\te6\t0\n",
                                            encoding="utf-8")
    ds = load_dataset(path, "dev")
    assert expert_qrels(ds) == {"q1": {"e1": 2, "e3": 1}, "q2": {"e2": 2}}
    (path / "qrels" / "dev.tsv").write_text("q1\td02\t1\nq1\te1\t2\n", encoding="utf-8")
    assert expert_qrels(load_dataset(path, "dev")) == {"q1": {"e1": 2}}  # max of both


def test_qrels_rows_that_contradict_or_name_unknown_queries(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text("q1\td1\t2\nq1\td2\t1\nq1\td1\t2.0\n", encoding="utf-8")
    assert read_qrels(path) == {"q1": {"d1": 2, "d2": 1}}  # a repeated row is harmless
    path.write_text("q1\td1\t2\nq1\td2\t1\nq1\td1\t0\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="在第 1 行评为 2，这里评为 0") as err:
        read_qrels(path)
    assert (err.value.row, err.value.field) == (3, "score")
    ds = _set(tmp_path / "s", [{"_id": "q1", "text": "电池"}], "q1\td1\t1\nq7\td1\t2\n")
    with pytest.raises(ValidationError, match="q7") as err:
        load_dataset(ds, "dev")
    assert (err.value.row, err.value.field) == (2, "query-id")


def test_work_folder_loaded_by_the_old_loader_is_loaded_again(
        tiny_dataset: Path, eval_settings: Settings, raw_encoder: Encoder,
        vector_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A work folder whose corpus was loaded before lines were prepared (it may miss refused
    lines) is loaded again; one loaded by this version is reused as it is (its notes are
    those of the load, so a rerun reports them too)."""
    from techmatch.eval.datasets import corpus_hash
    from techmatch.eval.runner import open_workspace

    ds = load_dataset(tiny_dataset, "dev")

    def loads(mark_old: bool) -> tuple[bool, list[str]]:
        caplog.clear()
        with caplog.at_level("INFO", logger="techmatch.eval.runner"):
            ws = open_workspace(ds, eval_settings,
                                encoder=CachedEncoder(raw_encoder, vector_cache))
        if mark_old:  # as the loader before version 2 marked it
            ws.engine.store.set_meta("eval.corpus_hash", corpus_hash(ds.corpus_path))
        ws.engine.close()
        return any(r.getMessage().startswith("loading ") for r in caplog.records), ws.notes

    assert loads(mark_old=True)[0]
    loaded, notes = loads(mark_old=False)
    assert loaded and any("已载入语料" in n for n in notes)
    assert loads(mark_old=False) == (False, [n for n in notes if not n.startswith("已建索引")])


def test_queries_longer_than_a_need_become_needs() -> None:
    """A 25,000-character query or a 600-character discipline stopped ranker-default with a
    pydantic traceback; they are cut to the Need's limits."""
    from techmatch.matcher.train import needs_from_queries

    needs = needs_from_queries({"q1": "电" * 25_000, "q2": "风机"},
                               {"q1": {"discipline": "工" * 600, "industry": ["能源"]}})
    assert (len(needs["q1"].description), len(needs["q1"].discipline or "")) == (20_000, 500)
    assert needs["q1"].industry == "['能源']" and needs["q2"].description == "风机"
    assert needs["q2"].discipline is None
