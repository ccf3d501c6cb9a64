"""The allowed-moves table, admin reopen, forward paths, service levels and due dates."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.dockings.levels import DEFAULT_DAYS, ServiceLevels, load_levels
from techmatch.matcher.dockings.moves import (
    ALLOWED_MOVES,
    REOPEN_MOVES,
    allowed_moves,
    check_move,
    path_to,
)
from techmatch.models.dockings import ALL_STAGES, OPEN_STAGES, STAGE_LABELS

MAIN_PATH = [("suggested", "contacted"), ("contacted", "confirmed"),
             ("confirmed", "negotiating"), ("negotiating", "signed"), ("signed", "completed")]


def test_table_is_the_main_path_plus_drops_from_open_stages() -> None:
    expected = set(MAIN_PATH) | {(s, "dropped") for s in OPEN_STAGES}
    found = {(a, b) for a, targets in ALLOWED_MOVES.items() for b in targets}
    assert found == expected
    assert set(ALLOWED_MOVES) == set(ALL_STAGES)


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(ALL_STAGES, ALL_STAGES)))
def test_every_pair_of_stages(src: str, dst: str) -> None:
    normal = (src, dst) in set(MAIN_PATH) or (dst == "dropped" and src in OPEN_STAGES)
    reopen = dst in REOPEN_MOVES.get(src, ())
    for admin in (False, True):
        if normal or (admin and reopen):
            check_move(src, dst, admin=admin)
            continue
        with pytest.raises(ValidationError) as err:
            check_move(src, dst, admin=admin)
        message = str(err.value)
        assert err.value.field == "to"
        assert f"不能从「{STAGE_LABELS[src]}」改为「{STAGE_LABELS[dst]}」" in message
        allowed = allowed_moves(src, admin=admin)
        assert all(STAGE_LABELS[s] in message.split("当前阶段可改为：")[1] for s in allowed)
        assert ("当前阶段可改为：无" in message) == (not allowed)
        assert ("重新打开需要管理员权限" in message) == (reopen and not admin)


def test_reopen_is_admin_only_and_leads_back_to_open_stages() -> None:
    assert allowed_moves("dropped") == ()
    assert allowed_moves("dropped", admin=True) == OPEN_STAGES
    assert allowed_moves("completed", admin=True) == ("signed",)
    assert allowed_moves("signed", admin=True) == ("completed", "negotiating")


def test_forward_paths() -> None:
    assert path_to("suggested", "signed") == ["contacted", "confirmed", "negotiating", "signed"]
    assert path_to("contacted", "dropped") == ["dropped"]
    assert path_to("signed", "dropped") is None
    assert path_to("dropped", "confirmed") is None
    assert path_to("confirmed", "contacted") is None
    assert path_to("negotiating", "negotiating") == []


def test_working_days_skip_weekends_and_holidays_and_count_adjusted_workdays() -> None:
    levels = ServiceLevels(holidays=frozenset({dt.date(2026, 10, 1), dt.date(2026, 10, 2)}),
                           workdays=frozenset({dt.date(2026, 10, 10)}))
    friday = dt.date(2026, 11, 27)
    assert levels.add_working_days(friday, 1) == dt.date(2026, 11, 30)  # Monday
    assert levels.add_working_days(friday, 5) == dt.date(2026, 12, 4)
    assert levels.add_working_days(friday, 0) == friday
    # 2026-09-30 is a Wednesday; Oct 1-2 are holidays, Oct 3-4 a weekend.
    assert levels.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 5)
    # Saturday 2026-10-10 is worked (调休).
    assert levels.add_working_days(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)


def test_due_dates_per_stage() -> None:
    levels = ServiceLevels()
    entered = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.timezone.utc)  # a Friday night UTC
    assert levels.due_on("suggested", entered) == dt.date(2026, 12, 4)  # 5 working days
    assert levels.due_on("completed", entered) is None
    assert levels.due_on("dropped", entered) is None
    assert DEFAULT_DAYS["suggested"] == 5


def test_levels_file_overrides_and_bad_file_names_itself(tmp_path: Path) -> None:
    assert load_levels(tmp_path) == ServiceLevels()
    (tmp_path / "service_levels.json").write_text(json.dumps(
        {"days": {"suggested": 2}, "holidays": ["2026-12-01"]}), encoding="utf-8")
    levels = load_levels(tmp_path)
    assert levels.days["suggested"] == 2 and levels.days["contacted"] == DEFAULT_DAYS["contacted"]
    assert levels.add_working_days(dt.date(2026, 11, 30), 1) == dt.date(2026, 12, 2)
    (tmp_path / "service_levels.json").write_text('{"days": {"dropped": 3}}', encoding="utf-8")
    with pytest.raises(ValidationError, match="service_levels.json"):
        load_levels(tmp_path)
    (tmp_path / "service_levels.json").write_text('{"holidays": ["tomorrow"]}', encoding="utf-8")
    with pytest.raises(ValidationError, match="service_levels.json"):
        load_levels(tmp_path)
