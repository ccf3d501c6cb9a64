"""Service levels: working days a docking may stay in each stage, and due dates from them.

Defaults below; `<home>/service_levels.json` overrides them:

    {"days": {"suggested": 5, ...}, "holidays": ["2026-10-01", ...],
     "workdays": ["2026-10-10", ...]}

`holidays` are weekdays off; `workdays` are weekend days worked (调休). A stage entered on
day D (its China date, UTC+8) with a level of n working days is due at the end of the n-th
working day after D (D itself does not count); a docking is overdue when today (in China) is
after its due date and it is still in that stage. Due dates are fixed when a stage is
entered: changing the levels later does not move them. Stages without a level (signed →
completed excepted: 验收 has one; dropped and completed have none) are never overdue.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techmatch.errors import ValidationError, coded
from techmatch.models.dockings import OPEN_STAGES, STAGE_LABELS
from techmatch.models.programme import china_day

LEVELS_FILE = "service_levels.json"
DEFAULT_DAYS: dict[str, int] = {"suggested": 5, "contacted": 10, "confirmed": 15,
                                "negotiating": 40, "signed": 60}


@dataclass(frozen=True)
class ServiceLevels:
    """Working days per stage plus the calendar's exceptions."""

    days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DAYS))
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (`start` itself not counted); n = 0 → start."""
        day = start
        left = n
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def due_on(self, stage: str, entered: dt.datetime) -> dt.date | None:
        """Due date of `stage` entered at `entered` (counted from its China date, UTC+8, the
        day staff entered it), None when it has no level."""
        n = self.days.get(stage)
        if n is None:
            return None
        return self.add_working_days(china_day(entered), n)


OVERDUE_STAGES: tuple[str, ...] = (*OPEN_STAGES, "signed")


def load_levels(home: Path) -> ServiceLevels:
    """The levels of `<home>/service_levels.json`, or the defaults when it does not exist.

    A file that cannot be used is refused naming it and the entry (staff read it on the CLI,
    the API and the console): 文件 …/service_levels.json，字段 days.contacted：…"""
    path = Path(home) / LEVELS_FILE
    if not path.is_file():
        return ServiceLevels()
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("服务时限文件不是 UTF-8 文本", source=source) from None
    except OSError as exc:
        raise ValidationError(f"无法读取服务时限文件（{exc.strerror or exc}）",
                              source=source) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = f"（第 {line} 行第 {col} 列）" if line is not None else ""
        raise ValidationError(f"不是有效的 JSON{where}", source=source) from None
    if not isinstance(data, dict):
        raise ValidationError('应为 JSON 对象：{"days": {阶段: 工作日数}, "holidays": '
                              '[日期], "workdays": [日期]}', source=source)
    given = data.get("days", {})
    if not isinstance(given, dict):
        raise ValidationError("应为对象：{阶段: 工作日数}", source=source, field="days")
    stages = coded(OVERDUE_STAGES, STAGE_LABELS)
    days = dict(DEFAULT_DAYS)
    for stage, value in given.items():
        if str(stage) not in OVERDUE_STAGES:
            raise ValidationError(f"未知阶段 {stage}（可设时限的阶段：{stages}）",
                                  source=source, field="days")
        if isinstance(value, float) and value.is_integer() or (
                isinstance(value, str) and value.strip().isdigit()):
            value = int(value)  # 5.0 and "5" read as before
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(f"应为不小于 0 的整数工作日数，不是 {value!r}",
                                  source=source, field=f"days.{stage}")
        days[str(stage)] = value
    return ServiceLevels(days=days, holidays=_dates(data, "holidays", source),
                         workdays=_dates(data, "workdays", source))


def _dates(data: dict[str, Any], name: str, source: str) -> frozenset[dt.date]:
    values = data.get(name, [])
    if not isinstance(values, list):
        raise ValidationError("应为日期列表（YYYY-MM-DD）", source=source, field=name)
    out = set()
    for i, value in enumerate(values, 1):
        try:
            out.add(dt.date.fromisoformat(value))
        except (TypeError, ValueError):
            raise ValidationError(f"第 {i} 个日期 {value!r} 无效（应为 YYYY-MM-DD）",
                                  source=source, field=name) from None
    return frozenset(out)
