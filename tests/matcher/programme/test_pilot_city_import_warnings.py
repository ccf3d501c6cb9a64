"""Import warnings about cities with two pilot cities of one name (朝阳 in 辽宁 and in 北京) and
苏州, through techmatch programme import.

Before, a row's city was compared with the pilot cities' names: a target typed with the
pilot-city id that the 422 / exit-2 messages ask for (朝阳（辽宁）, 朝阳(北京市)) was warned as
不是登记的试点城市 … 项目看板上单列一行 (it is that pilot city's row), and a bare 朝阳, which
the board cannot place, passed without a word. Rows are now placed as the dashboard places
them (places.Places): an id is its pilot city, a shared bare name is warned as 无法确定城市
with the ids to write, a city no pilot city names is warned as before.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["programme", *args, "--home", str(home)])
    return result.exit_code, result.stdout, result.stderr


def test_target_rows_named_by_pilot_city_id_are_not_warned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cities = tmp_path / "cities.csv"
    cities.write_text("城市,省份,批次\n朝阳,辽宁省,2\n朝阳,北京,3\n苏州,江苏,1\n", encoding="utf-8")
    assert _run(home, "import", "city", str(cities))[0] == 0
    rows = tmp_path / "targets.csv"
    rows.write_text("年度,城市,指标,目标值\n2026,朝阳（辽宁）,签约对接数,2\n"
                    "2026,朝阳(北京市),签约对接数,5\n2026,苏州,签约对接数,4\n"
                    "2026,朝阳,签约对接数,1\n2026,深圳,签约对接数,3\n", encoding="utf-8")
    code, _, err = _run(home, "import", "target", str(rows))
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("警告")]
    assert len(warnings) == 2, err
    unsure = next(w for w in warnings if "朝阳" in w)
    assert "无法确定城市" in unsure and "第 5 行" in unsure
    assert "朝阳（北京）、朝阳（辽宁）" in unsure and "请写明省份" in unsure
    other = next(w for w in warnings if "深圳" in w)
    assert "不是登记的试点城市（第 6 行）" in other
