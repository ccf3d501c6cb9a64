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

from techmatch.errors import ValidationError
from techmatch.models.dockings import OPEN_STAGES
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
    """The levels of `<home>/service_levels.json`, or the defaults when it does not exist."""
    path = Path(home) / LEVELS_FILE
    if not path.is_file():
        return ServiceLevels()
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        days = {**DEFAULT_DAYS, **{str(k): int(v) for k, v in data.get("days", {}).items()}}
        holidays = frozenset(dt.date.fromisoformat(d) for d in data.get("holidays", []))
        workdays = frozenset(dt.date.fromisoformat(d) for d in data.get("workdays", []))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValidationError(f"cannot read service levels: {exc}", source=str(path)) from exc
    unknown = sorted(set(days) - set(OVERDUE_STAGES))
    if unknown or any(v < 0 for v in days.values()):
        raise ValidationError(f"levels must be >= 0 days for stages of "
                              f"{', '.join(OVERDUE_STAGES)}; got {unknown or days}",
                              source=str(path), field="days")
    return ServiceLevels(days=days, holidays=holidays, workdays=workdays)
