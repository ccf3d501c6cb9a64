"""The CLI's own messages read in Chinese (staff run it): errors led with 'error: field 'x':
…' and our option checks, ingest's report, delete and api-key answered in English. Each error
now reads 错误：[文件 F，][第 N 行，]字段 X：<中文>, with the option / field code kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app

_CJK = re.compile(r"[\u4e00-\u9fff]")
# English words of the old messages (ids, options and codes are not sentences)
_ENGLISH = re.compile(r"\b(error|field|unknown|valid|give|expected|needs?|not|rows?|"
                      r"inserted|rejected|deleted|wrote|saved|key|entry)\b[:;,]? ", re.I)


def _chinese_only(text: str) -> None:
    for line in filter(str.strip, text.splitlines()):
        assert _CJK.search(line), line
        assert not _ENGLISH.search(line), line


@pytest.mark.parametrize("args, says", [
    (["search", "!!!", "--kind", "need", "--home", "H"],
     "错误：字段 TEXT：查询文本中没有字母、数字或汉字"),
    (["api-key", "--role", "boss"], "错误：未知角色 'boss'；可选：read（只读）"),
    (["train-ranker", "--home", "H"],
     "错误：字段 source：--qrels、--from-feedback、--dataset 三者须且只能给出一个"),
    (["train-ranker", "--from-feedback", "--half", "1", "--home", "H"],
     "错误：字段 half：--half 只拆分"),
    (["assign", "--experts", "E1", "--needs", "N1", "--quota-city", "苏州", "--home", "H"],
     "错误：字段 quota_city：应为 名称=数量（如 苏州=3），收到 '苏州'"),
])
def test_option_errors_read_in_chinese(tmp_path: Path, args: list[str], says: str) -> None:
    args = [str(tmp_path / "home") if a == "H" else a for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (2, 5), result.output
    assert result.stderr.startswith(says), result.stderr
    _chinese_only(result.stderr)


def test_missing_home_error_is_chinese_from_its_first_word(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["get", "N1", "--home", str(tmp_path / "typo")])
    assert result.exit_code == 5
    assert result.stderr.startswith(f"错误：数据目录 {tmp_path / 'typo'} 不存在")
    _chinese_only(result.stderr)


def test_a_bad_date_option_and_an_unknown_status_name_their_field(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    home = ["--home", str(tmp_path / "home")]
    kpis = CliRunner().invoke(app, ["kpis", "--from", "2026-11-31", "--to", "2026-12-01", *home])
    assert kpis.exit_code == 2
    assert kpis.stderr == "错误：字段 from：不是日期（应为 YYYY-MM-DD）：2026-11-31\n"
    outcome = CliRunner().invoke(app, ["programme", "outcome", "EV1", "--status", "done", *home])
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("错误：字段 status：未知状态 'done'；可选：planned（计划）")


def test_an_unusable_output_path_is_named_in_chinese(tmp_path: Path) -> None:
    """The OS's own words ('error: <path>: File exists') were printed as they came."""
    (tmp_path / "home").mkdir()
    target = tmp_path / "stats.md"
    target.write_text("不是文件夹", encoding="utf-8")
    result = CliRunner().invoke(app, ["stats", "--out", str(target),
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"错误：{target}：文件已存在\n"


def test_ingest_report_delete_and_api_key_speak_chinese(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    source = tmp_path / "needs.jsonl"
    source.write_text('{"id": "N1", "title": "叶片裂纹检测"}\n{"id": "bad id!", "title": "x"}\n'
                      '{"id": "N1", "title": "叶片裂纹检测（重复）"}\n', encoding="utf-8")
    ingest = CliRunner().invoke(app, ["ingest", str(source), "--kind", "need", "--no-index",
                                      *home])
    assert ingest.exit_code == 0, ingest.output
    lines = ingest.stdout.splitlines()
    rejects = tmp_path / "home" / "rejects" / "needs.jsonl.rejects.jsonl"
    assert lines[0] == f"{source}（jsonl，utf-8）：读取 3 行，拒绝 1 行 → {rejects}"
    assert lines[1] == ("需求（need）：新增 1 条，更新 0 条，未变 0 条，拒绝 1 行，"
                        "重复编号 1 个（保留最后一次出现）")
    assert f"重复编号 N1：保留 {source} 第 3 行，舍弃 {source} 第 1 行" in lines
    assert any(line.startswith(f"{source} 第 2 行，字段 id：") for line in lines)
    delete = CliRunner().invoke(app, ["delete", "N1", *home])
    assert delete.stdout.splitlines()[0] == "已删除需求 N1"
    key = CliRunner().invoke(app, ["api-key", "--role", "write"])
    assert key.exit_code == 0
    assert [line.split("：")[0] for line in key.stdout.splitlines()[:2]] == ["密钥", "配置项"]
    assert "把密钥交给使用者" in key.stdout
