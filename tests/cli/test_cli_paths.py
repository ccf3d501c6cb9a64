"""Output paths that cannot be written: a clear error naming the path, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app


@pytest.mark.parametrize("command", [["stats", "--out"], ["export-feedback", "--out"]])
def test_an_output_folder_that_is_a_file_is_exit_2_naming_it(tmp_path: Path,
                                                             command: list[str]) -> None:
    """`--out` naming an existing file died with FileExistsError / NotADirectoryError's
    traceback (exit 1)."""
    target = tmp_path / "report.txt"
    target.write_text("a file, not a folder")
    (tmp_path / "h").mkdir()  # an existing (empty) home: a missing one is refused first
    result = CliRunner().invoke(app, [*command, str(target), "--home", str(tmp_path / "h")])
    assert result.exit_code == 2, result.output
    assert str(target) in result.stderr and "Traceback" not in result.output, result.output
    assert target.read_text() == "a file, not a folder"
