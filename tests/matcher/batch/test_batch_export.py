"""Exports of the batch results: JSONL, CSV with BOM and XLSX with Chinese headers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from batch_helpers import FakeEngine

from techmatch.errors import ValidationError
from techmatch.matcher.batch import export_results, results
from techmatch.matcher.batch.export import COLUMNS, reason_text


def test_exports_have_one_row_per_pair_and_chinese_headers(batched: FakeEngine,
                                                           tmp_path: Path) -> None:
    from openpyxl import load_workbook

    pairs = list(results.iter_hits(batched.store))
    paths = export_results(batched.store, tmp_path / "out")
    headers = [h for _, h in COLUMNS]
    assert headers[:3] == ["需求编号", "需求标题", "企业"] and "匹配理由" in headers

    raw = paths["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == headers and len(rows) == len(pairs) + 1
    need = batched.store.get(pairs[0].need_id)
    assert rows[1][0] == need.id and rows[1][1] == need.display_title
    assert rows[1][headers.index("候选类型")] == "成果"
    # the samples' own results (data/samples/README.md) are marked, nothing else is
    marked = {(r[0], r[headers.index("候选编号")]): r[headers.index("不宜对接")] for r in rows[1:]
              if r[headers.index("不宜对接")]}
    assert marked and set(marked.values()) == {"需求企业自有成果"}, marked
    assert ("N015", "A039") in marked or ("N001", "A004") in marked, marked

    lines = paths["jsonl"].read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert len(lines) == len(pairs)
    assert (first["need_id"], first["rank"], first["candidate_id"]) == (
        pairs[0].need_id, pairs[0].rank, pairs[0].candidate_id)

    sheet = load_workbook(paths["xlsx"]).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == headers and len(values) == len(pairs) + 1
    assert values[1][headers.index("候选编号")] == pairs[0].candidate_id


def test_reason_text_joins_terms_and_sentence() -> None:
    explanation = {"matched_terms": [{"term": "勃姆石"}, {"term": "浆料"}],
                   "record_sentence": "静置72小时无明显沉降"}
    assert reason_text(explanation) == "共同术语：勃姆石、浆料；最相关句：静置72小时无明显沉降"
    assert reason_text(None) == ""


def test_reason_text_writes_terms_as_the_need_does() -> None:
    """The export's 共同术语 read semi、tmah、氢氧化铵 for N006, whose text (and the console,
    the CLI and the API's display) write SEMI、TMAH、氫氧化銨: staff could not find the words."""
    explanation = {"matched_terms": [
        {"term": "semi", "display": "SEMI"}, {"term": "氢氧化铵", "display": "氫氧化銨"},
        {"term": "浆料"}],  # a result stored before `display` existed keeps its term
        "record_sentence": "四甲基氫氧化銨"}
    assert reason_text(explanation) == "共同术语：SEMI、氫氧化銨、浆料；最相关句：四甲基氫氧化銨"


def test_cli_export_to_a_file_is_a_clear_error_before_the_run(tmp_path: Path) -> None:
    """--export naming an existing file ran the whole batch, then died with FileExistsError's
    traceback; it is refused up front (exit 2) naming the option."""
    from typer.testing import CliRunner

    from techmatch.cli import app

    target = tmp_path / "results.xlsx"
    target.write_text("not a folder")
    result = CliRunner().invoke(app, ["batch", "--export", str(target),
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code == 2, result.output
    assert "字段 export" in result.stderr and "不是文件夹" in result.stderr, result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "home").exists()


def test_an_export_that_fails_midway_leaves_the_last_export_whole(
        batched: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nightly export overwrote batch-results.* in place, one after the other: a run
    killed (or a disk filling up) while writing the XLSX left a truncated XLSX next to the
    new JSONL/CSV and the old XLSX gone. The files are now written aside and moved into
    place together, once all are written."""
    from techmatch.matcher.batch import export

    folder = tmp_path / "out"
    first = {fmt: p.read_bytes() for fmt, p in export_results(batched.store, folder).items()}
    need = batched.store.get("N001", "need")
    batched.store.upsert([need.model_copy(update={"status": "closed"})])

    def broken(path: Path, sheets: object) -> None:
        path.write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(export, "write_sheets", broken)
    with pytest.raises(ValidationError, match="无法写入导出文件（磁盘空间不足）"):
        export_results(batched.store, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        f"batch-results.{fmt}": data for fmt, data in first.items()}
