"""Deleting a record that dockings still work on (推荐 … 签约) left those dockings with a bare
id: the 对接看板 showed no title, the link gave 记录不存在 and the docking could not be
followed up. The delete is now refused (exit 9 / HTTP 409) with a Chinese message naming the
dockings and their stages and what to do; nothing is deleted. Once every docking of the
record is 终止 or 验收 (history only), the delete goes through."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.dockings.tracking import Move, NewDocking, create_docking, move_docking
from techmatch.models.records import Achievement, Need
from techmatch.store import Store


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--home", str(home), "--lock-timeout", "0.3"])
    return result.exit_code, result.stdout, result.stderr


def test_delete_of_a_record_with_open_dockings_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    store = Store(home / "store.sqlite")
    store.upsert([Need(id="N1", title="叶片裂纹检测"), Achievement(id="A1", title="涡流检测"),
                  Achievement(id="A2", title="超声检测")])
    first = create_docking(store, NewDocking("N1", "A1"))
    second = create_docking(store, NewDocking("N1", "A2"))
    store.close()

    code, out, err = _run(home, "delete", "A1")
    assert code == 9, (out, err)
    assert f"{first.id}（推荐）" in err and "终止" in err and "A1" in err
    code, _, err = _run(home, "delete", "N1")
    assert code == 9 and first.id in err and second.id in err

    store = Store(home / "store.sqlite")
    assert store.get("A1").title == "涡流检测" and store.get("N1").title == "叶片裂纹检测"
    move_docking(store, first.id, Move(to="dropped", reason="too_costly"))
    store.close()
    code, out, err = _run(home, "delete", "A1")  # only history left: allowed
    assert code == 0, err
    assert "A1" in out
