"""`techmatch delete` while another process builds the kind's index (helper-49 audit).

Old: exit 6 "another process is building the need index" although the record was already
deleted from the store; staff retried and got "no record with id …" (exit 3).
"""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.models.records import Need
from techmatch.store import Store


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--home", str(home)])
    return result.exit_code, result.stdout, result.stderr


def test_delete_reports_the_delete_when_the_index_is_locked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    store = Store(home / "store.sqlite")
    store.upsert([Need(id="N1", title="要删除的需求"), Need(id="N2", title="保留的需求")])
    store.close()
    lock_path = home / "index" / "need" / ".build.lock"
    lock_path.parent.mkdir(parents=True)
    with lock_path.open("a+") as held:  # another builder holds the kind's lock (flock)
        fcntl.flock(held, fcntl.LOCK_EX)
        code, out, err = _run(home, "delete", "N1", "--lock-timeout", "0.3")
        assert code == 0, err
        assert "已删除需求 N1" in out
        assert "索引未更新" in err and "techmatch index --kind need" in err
        timer = threading.Timer(0.5, fcntl.flock, args=(held, fcntl.LOCK_UN))
        timer.start()
        code, out, err = _run(home, "delete", "N2", "--lock-timeout", "60")
        timer.join()
    assert code == 0 and "已删除需求 N2" in out and "索引未更新" not in err
    store = Store(home / "store.sqlite")
    try:
        assert store.count("need") == 0
    finally:
        store.close()
