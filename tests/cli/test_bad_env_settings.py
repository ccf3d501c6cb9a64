"""A malformed TECHMATCH_* variable (TECHMATCH_THREADS=0, -1, abc …) ended every command in a
pydantic ValidationError traceback (exit 1). Settings now refuse it as a configuration error
(exit 5, like a missing home) naming the variable, the value and the values it accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.config import get_settings
from techmatch.errors import ConfigError


@pytest.mark.parametrize("value", ["0", "-1", "abc", "65"])
def test_a_bad_thread_count_is_a_chinese_configuration_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TECHMATCH_THREADS", value)
    (tmp_path / "h").mkdir()
    result = CliRunner().invoke(app, ["stats", "--home", str(tmp_path / "h")])
    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output and "pydantic" not in result.output
    assert f"TECHMATCH_THREADS 的值 '{value}' 无效" in result.stderr, result.stderr
    assert "1 到 64 之间的整数" in result.stderr, result.stderr


def test_every_bad_variable_is_named_with_what_it_accepts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHMATCH_MAX_UPLOAD_ROWS", "0")
    monkeypatch.setenv("TECHMATCH_BACKEND", "solr")
    monkeypatch.setenv("TECHMATCH_CONFIDENCE_THRESHOLD", "high")
    with pytest.raises(ConfigError) as caught:
        get_settings()
    message = str(caught.value)
    assert "TECHMATCH_MAX_UPLOAD_ROWS 的值 '0' 无效" in message
    assert "不小于 1 的整数" in message
    assert "TECHMATCH_BACKEND 的值 'solr' 无效" in message and "embedded、elasticsearch" in message
    assert "TECHMATCH_CONFIDENCE_THRESHOLD 的值 'high' 无效" in message
    assert "0 到 1 之间的数" in message


def test_good_values_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHMATCH_THREADS", "4")
    assert get_settings().threads == 4
