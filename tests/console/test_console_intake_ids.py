"""需求录入 with a full-width id (helper-49 audit): Ｎ００１ typed with a Chinese input method is
N001, so an existing N001 is named instead of a second need being stored beside it."""

from __future__ import annotations

from pathlib import Path

from techmatch.api.console.views.intake import validate_need
from techmatch.models.records import Need
from techmatch.store import Store


def test_a_full_width_id_is_the_half_width_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id="N001", title="已有需求")])
        need, errors = validate_need({"id": "Ｎ００１", "title": "重复录入"}, False, store)
        assert need is None and errors == {"id": "编号 N001 已存在，请换一个编号"}
        need, errors = validate_need({"id": "Ｎ－００２", "title": "新需求"}, False, store)
        assert errors == {} and need is not None and need.id == "N-002"
    finally:
        store.close()
