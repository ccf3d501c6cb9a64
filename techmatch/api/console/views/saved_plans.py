"""Plans staff saved from the console (roadshows, team assignments), one JSON file each.

Files live in `<home>/plans/console/<id>.json`, written atomically; a plan starts as a
draft when computed and becomes `saved` when staff keep it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from techmatch.errors import NotFoundError

FOLDER = Path("plans") / "console"
PLAN_ID = re.compile(r"^(roadshow|assign)-[0-9a-f]{12}$")
SHOWN = 20


@dataclass
class SavedPlan:
    id: str
    kind: str  # roadshow | assign
    status: str  # draft | saved
    created: str
    actor: str
    title: str
    params: dict[str, Any]
    plan: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


class PlanFiles:
    """Saved plans of one home."""

    def __init__(self, home: Path) -> None:
        self.folder = home / FOLDER

    def _path(self, plan_id: str) -> Path:
        if not PLAN_ID.match(plan_id):
            raise NotFoundError(f"没有编号为 {plan_id} 的方案")
        return self.folder / f"{plan_id}.json"

    def _write(self, plan: SavedPlan) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(plan.id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(plan), ensure_ascii=False, default=str),
                       encoding="utf-8")
        os.replace(tmp, path)

    def add(self, kind: str, *, title: str, params: dict[str, Any], plan: dict[str, Any],
            actor: str, extra: dict[str, Any] | None = None) -> SavedPlan:
        saved = SavedPlan(id=f"{kind}-{secrets.token_hex(6)}", kind=kind, status="draft",
                          created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                          actor=actor, title=title, params=params, plan=plan,
                          extra=extra or {})
        self._write(saved)
        return saved

    def get(self, plan_id: str) -> SavedPlan:
        path = self._path(plan_id)
        try:
            return SavedPlan(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise NotFoundError(f"没有编号为 {plan_id} 的方案") from None

    def keep(self, plan_id: str) -> SavedPlan:
        plan = self.get(plan_id)
        plan.status = "saved"
        self._write(plan)
        return plan

    def recent(self, kind: str, limit: int = SHOWN) -> list[SavedPlan]:
        """Saved (not draft) plans of `kind`, newest first."""
        if not self.folder.is_dir():
            return []
        plans = []
        for path in self.folder.glob(f"{kind}-*.json"):
            try:
                plan = SavedPlan(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if plan.status == "saved":
                plans.append(plan)
        return sorted(plans, key=lambda p: (p.created, p.id), reverse=True)[:limit]
