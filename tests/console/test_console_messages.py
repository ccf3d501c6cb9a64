"""Errors raised by the real docking, KPI and plan code read in Chinese on the console."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from techmatch.api.console.messages import error_message
from techmatch.api.console.views.intake import field_label
from techmatch.errors import ConflictError, NotFoundError, TechmatchError, ValidationError
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store import Store

# An English word left in the text (ids such as n1 / a1 / d-… are not words)
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    handle = Store(tmp_path / "store.sqlite")
    handle.upsert([Need(id="n1", title="需求"), Achievement(id="a1", title="成果"),
                   Expert(id="e1", name="专家")])
    yield handle
    handle.close()


def _raised(call: Callable[[], object]) -> TechmatchError:
    with pytest.raises(TechmatchError) as info:
        call()
    return info.value


def test_docking_errors_read_in_chinese(store: Store) -> None:
    d = create_docking(store, NewDocking("n1", "a1"))
    cases = {
        "move": _raised(lambda: move_docking(store, d.id, Move(to="signed"))),
        "stage": _raised(lambda: move_docking(store, d.id, Move(to="won"))),
        "version": _raised(lambda: move_docking(store, d.id, Move(to="contacted", version=7))),
        "duplicate": _raised(lambda: create_docking(store, NewDocking("n1", "a1"))),
        "missing": _raised(lambda: move_docking(store, "d-x9", Move(to="contacted"))),
        "need": _raised(lambda: create_docking(store, NewDocking("n9", "a1"))),
        "reason": _raised(lambda: move_docking(store, d.id, Move(to="dropped"))),
        "pair": _raised(lambda: create_docking(store, NewDocking("a1", "n1"))),
        "window": _raised(lambda: kpi_report(store, start=dt.date(2026, 11, 9),
                                             end=dt.date(2026, 11, 1))),
    }
    assert isinstance(cases["version"], ConflictError)
    assert isinstance(cases["missing"], NotFoundError)
    for name, exc in cases.items():
        text = error_message(exc, field_label)
        assert "详情" not in text, (name, text)  # a catalogue form, not the fallback
        assert not ENGLISH_WORD.search(text), (name, text)
    moved = error_message(cases["move"], field_label)
    assert moved.startswith("目标阶段：不能从「推荐」改为「签约」"), moved
    assert "请刷新" in error_message(cases["version"])
    assert error_message(cases["missing"]) == "没有编号为 d-x9 的对接"


def test_move_names_both_stages_and_the_allowed_ones_in_chinese() -> None:
    from techmatch.matcher.dockings.moves import check_move

    with pytest.raises(ValidationError) as caught:  # raised in Chinese (the API and CLI too)
        check_move("suggested", "signed")
    text = error_message(caught.value, field_label)
    assert text == "目标阶段：不能从「推荐」改为「签约」；当前阶段可改为：已联系、终止", text


def test_unknown_forms_keep_a_chinese_headline_and_the_detail() -> None:
    text = error_message(ConflictError("something new happened"))
    assert text == "操作冲突，请刷新后重试（详情：something new happened）"
    assert error_message(ValidationError("odd", field="title"), field_label).startswith("标题：")
