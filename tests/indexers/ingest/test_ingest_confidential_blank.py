"""Re-importing a sheet whose 是否保密 column is left empty for a confidential need made it
public (read keys then read it), silently. An empty confidential cell on an update now keeps
the stored flag and the report says so; 否 still makes a need public, and a new need with an
empty cell is not confidential."""

from __future__ import annotations

from pathlib import Path

from techmatch.indexers.ingest.load import ingest_files
from techmatch.models.records import Need
from techmatch.store import Store


def _load(store: Store, tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "needs.csv"
    path.write_text(text, encoding="utf-8")
    return ingest_files([path], "need", store, names=["needs.csv"]).warnings


def test_an_empty_confidential_cell_keeps_the_stored_flag(store: Store, tmp_path: Path) -> None:
    store.upsert([Need(id="N1", title="碳化硅模块结温过高", confidential=True),
                  Need(id="N2", title="锂电池热失控预警", confidential=True)])
    warnings = _load(store, tmp_path, "需求编号,需求标题,是否保密\n"
                                      "N1,碳化硅模块结温过高（修订）,\nN2,锂电池热失控预警,否\n"
                                      "N3,印染废水回用,\n")
    got = {i: (store.get(i).title, store.get(i).confidential) for i in ("N1", "N2", "N3")}
    assert got == {"N1": ("碳化硅模块结温过高（修订）", True), "N2": ("锂电池热失控预警", False),
                   "N3": ("印染废水回用", False)}
    kept = [w for w in warnings if "保密" in w]
    assert kept == ["needs.csv：是否保密为空的 1 条记录保留了原有的保密标记（第 2 行）；"
                    "要公开请填“否”"]
