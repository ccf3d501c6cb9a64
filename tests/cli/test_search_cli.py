"""`techmatch search` (and `duplicates`) refuse what they cannot answer with exit 2 and a
message naming the field (search says so before it opens the home: no index is needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app


def test_a_mistyped_kind_names_the_valid_kinds(tmp_path: Path) -> None:
    """`--kind needs` said "no index for kind 'needs'; run `techmatch index`" (exit 4),
    which no index run could fix."""
    result = CliRunner().invoke(app, ["search", "锂电池", "--kind", "needs",
                                      "--home", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "未知记录类型 needs" in result.output
    assert "可选：need（需求）、achievement（成果）、expert（专家）" in result.output
    assert "techmatch index" not in result.output


@pytest.mark.parametrize("text", ["!!!", "  ", "😀", "——。"])
def test_a_query_without_letters_digits_or_cjk_is_refused(tmp_path: Path, text: str) -> None:
    """`techmatch search '!!!'` listed ten records by dense similarity to punctuation, where
    the API answers 422 and the console asks for words."""
    result = CliRunner().invoke(app, ["search", text, "--kind", "achievement",
                                      "--home", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "字段 TEXT" in result.output and "没有字母、数字或汉字" in result.output


def test_duplicates_with_a_mistyped_kind_is_refused(tmp_path: Path) -> None:
    """`techmatch duplicates --kind achievments` printed '0 near-duplicate pair(s) among
    achievments records' with exit 0: a typo read as "no duplicates"."""
    result = CliRunner().invoke(app, ["duplicates", "--kind", "achievments",
                                      "--home", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "未知记录类型 achievments" in result.output
    assert "near-duplicate" not in result.output


def test_a_search_without_hits_says_so(tmp_path: Path) -> None:
    """A search the filters left empty printed nothing at all (exit 0): no line said whether
    the command ran, found nothing, or searched an empty index."""
    sample = Path(__file__).resolve().parents[2] / "data" / "samples" / "achievements.jsonl"
    two = tmp_path / "two.jsonl"
    two.write_text("".join(sample.read_text(encoding="utf-8").splitlines(True)[:2]),
                   encoding="utf-8")
    home = str(tmp_path / "home")
    loaded = CliRunner().invoke(app, ["ingest", str(two), "--kind", "achievement",
                                      "--home", home])
    assert loaded.exit_code == 0, loaded.output
    found = CliRunner().invoke(app, ["search", "锂电池隔膜", "--kind", "achievement",
                                     "--home", home])
    assert found.exit_code == 0 and "A001" in found.output
    empty = CliRunner().invoke(app, ["search", "锂电池隔膜", "--kind", "achievement",
                                     "--city", "火星", "--home", home])
    assert empty.exit_code == 0, empty.output
    assert empty.output.strip() == "没有命中：成果索引中没有符合筛选条件的记录"


def test_matching_a_need_without_text_is_refused(tmp_path: Path) -> None:
    """`techmatch match` of a stored need titled '！！！' ranked candidates by the embedding of
    punctuation (an expert at confidence 0.84 on the samples); the API answers 422."""
    needs = tmp_path / "needs.jsonl"
    needs.write_text('{"id": "NB", "title": "！！！", "description": "——"}\n', encoding="utf-8")
    home = str(tmp_path / "home")
    loaded = CliRunner().invoke(app, ["ingest", str(needs), "--kind", "need", "--no-index",
                                      "--home", home])
    assert loaded.exit_code == 0, loaded.output
    for kind in ("achievement", "expert"):
        result = CliRunner().invoke(app, ["match", "NB", "--kind", kind, "--home", home])
        assert result.exit_code == 2, result.output
        assert result.stderr == ("错误：字段 ID：需求 NB 没有可用于匹配的文字：标题、描述或摘要、"
                                 "关键词中没有字母、数字或汉字\n"), result.stderr
