"""A mistyped --home (or TECHMATCH_HOME) made every command create an empty home there and
answer from it: `kpis` printed a table of zeros, `dockings list` '0 of 0', `batch` recorded a
run over nothing — all with exit 0, leaving store.sqlite, index/ and batch.lock behind. A
command that reads a home now refuses a missing one (exit 5) naming the directory; the
commands that start a home (ingest, demo, serve …) still create it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app


@pytest.mark.parametrize("args", [["get", "N001"], ["dockings", "list"], ["overdue"],
                                  ["kpis", "--from", "2026-01-01", "--to", "2026-01-31"],
                                  ["batch", "--kinds", "achievement"], ["stats"],
                                  ["programme", "list", "city"]])
def test_a_command_on_a_missing_home_says_so_and_creates_nothing(tmp_path: Path,
                                                                 args: list[str]) -> None:
    home = tmp_path / "typo-home"
    result = CliRunner().invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == 5, result.output
    assert f"数据目录 {home} 不存在" in result.stderr
    assert not home.exists()


def test_ingest_still_starts_a_new_home(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    source = tmp_path / "needs.jsonl"
    source.write_text('{"id": "N1", "title": "叶片裂纹检测"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(source), "--kind", "need", "--home",
                                      str(home), "--no-index"])
    assert (home / "store.sqlite").exists(), result.output


def test_migrate_of_a_missing_home_copies_nothing(tmp_path: Path) -> None:
    home = tmp_path / "typo-home"
    result = CliRunner().invoke(app, ["migrate", "--home", str(home)])
    assert result.exit_code == 5 and "不存在" in result.stderr
    assert not home.exists()
