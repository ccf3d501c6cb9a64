"""Bad-file structure: CSV record splitting, kind detection, clipping, line-by-line decoding."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.errors import IngestError
from techmatch.indexers.ingest.clip import clip, clip_raw
from techmatch.indexers.ingest.csvrows import split_records
from techmatch.indexers.ingest.encoding import decode_lines
from techmatch.indexers.ingest.kind_check import confidential_keys, is_set, looks_like
from techmatch.indexers.ingest.readers import read_source

CELL = st.text(alphabet=st.sampled_from(list('ab,"\n\r 中文\u2028;')), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=6))
def test_records_written_by_csv_come_back_unchanged(rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "title", "text"])
    writer.writerows(rows)
    records = list(split_records(buffer.getvalue(), ","))
    assert all(r.error is None for r in records)
    assert [r.cells for r in records] == [["id", "title", "text"], *rows]
    assert [r.row for r in records] == list(range(1, len(rows) + 2))


def test_unclosed_quote_is_one_bad_record_and_reading_resumes() -> None:
    text = 'id,title\nA1,ok\nA2,"open\nA3,fine\nA4,"closed, with comma"\n'
    records = list(split_records(text, ","))
    # The quote in A2 would close at A4's first quote: a multi-line record of the wrong width.
    assert [(r.row, r.first_line, r.cells) for r in records] == [
        (1, 1, ["id", "title"]), (2, 2, ["A1", "ok"]), (3, 3, None), (4, 4, ["A3", "fine"]),
        (5, 5, ["A4", "closed, with comma"])]
    assert records[2].text == 'A2,"open' and "从第 3 行延续到第 5 行" in (records[2].error or "")


def test_quote_open_at_end_of_file_names_its_line() -> None:
    records = list(split_records('id,title\nA1,"never closed\nA2,x\n', ","))
    assert records[1].error is not None and "第 2 行的引号没有闭合" in records[1].error
    assert records[2].cells == ["A2", "x"]


def test_kind_detection() -> None:
    need_columns = ["id", "title", "description", "enterprise", "status", "contact"]
    assert looks_like(need_columns, "achievement") == ("need", ["enterprise", "status",
                                                                "contact"])
    assert looks_like(need_columns, "need") is None
    assert looks_like(["编号", "标题", "是否保密"], "expert") == ("need", ["是否保密"])
    assert looks_like(["id", "title", "abstract"], "need") is None  # one column is not enough
    assert looks_like(["id", "name", "bio", "capacity"], "achievement")[0] == "expert"  # type: ignore[index]
    assert confidential_keys(["id", "保密"], "achievement") == ["保密"]
    assert confidential_keys(["id", "confidential"], "need") == []
    assert [is_set(v) for v in (True, 1, "是", "保密", "false", "否", 0, None)] == [
        True, True, True, True, False, False, False, False]


def test_clip() -> None:
    assert clip("short") == "short"
    assert clip("x" * 1000, 10) == "xxxxxxxxxx… (1,000 characters in all)"
    assert clip_raw({"a": 1}) == {"a": 1}
    big = clip_raw({"a": "y" * 10_000}, 100)
    assert isinstance(big, dict) and big["length"] == len(json.dumps({"a": "y" * 10_000}))
    assert len(big["truncated"]) == 100


def test_decode_lines_keeps_line_numbers_and_picks_the_encoding() -> None:
    lines = ["第一行", "第二行", "第三行", "第四行"]
    data = "\n".join(lines).encode("gb18030").replace("第三".encode("gb18030"),
                                                     b"\xff\xff", 1)
    decoded = decode_lines(data, "x.csv")
    assert decoded.encoding == "gb18030" and list(decoded.bad) == [3]
    assert decoded.text.split("\n")[3] == "第四行"


def test_an_unreadable_header_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes("编号,标题\nA1,第一\nA2,第二\nA3,第三\n".encode("gb18030")
                     .replace("标题".encode("gb18030"), b"\xff\xff", 1))
    with pytest.raises(IngestError, match=r"表头行（第 1 行）无法读取：该行无法解码"):
        read_source(path)
