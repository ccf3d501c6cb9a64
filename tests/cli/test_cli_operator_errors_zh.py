"""Operator refusals that still read in English on the CLI, raised in Chinese at their source
(the option or file named, the path kept)."""

from __future__ import annotations

import re
from pathlib import Path

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
