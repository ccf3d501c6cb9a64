"""`techmatch migrate --to URL` (store.copy) refused a target in English: 'target store has no
table 'dockings': open it with this version of techmatch first …', 'target table … lacks
columns …' and '目标存储不是空的 (target store is not empty): records (1 rows); copy into a
new, empty database'. They read in Chinese, naming the table, the columns and the rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.errors import ConfigError
from techmatch.models.records import Need
from techmatch.store import Store
from techmatch.store.copy import copy_store


def _refusal(tmp_path: Path, change: str) -> str:
    source, target = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    try:
        source.upsert([Need(id="N1", title="叶片裂纹检测")])
        if change == "rows":
            target.upsert([Need(id="N9", title="已有的需求")])
        else:
            target._db.execute(change)  # noqa: SLF001 - an older or foreign target schema
        with pytest.raises(ConfigError) as refused:
            copy_store(source, target)
        return str(refused.value)
    finally:
        source.close()
        target.close()


def test_a_target_that_cannot_take_the_copy_is_named_in_chinese(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    (tmp_path / "3").mkdir()
    assert _refusal(tmp_path / "1", "DROP TABLE dockings") == (
        "目标存储没有表 dockings：请先用这一版 techmatch 打开它（迁移会建好所有表）")
    assert _refusal(tmp_path / "2", "ALTER TABLE dockings DROP COLUMN team") == (
        "目标表 dockings 缺少列 team：请先用这一版 techmatch 打开它（迁移会补齐）")
    assert _refusal(tmp_path / "3", "rows") == (
        "目标存储不是空的：changes（1 行）、records（1 行）；请复制到一个新的空数据库")
