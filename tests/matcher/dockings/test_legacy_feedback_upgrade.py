"""A home from before dockings (its judgements only in the `feedback` table) opened with this
version: `dockings list` showed 0 of 0, a pair rejected as not relevant was still suggested
first by `match` and a need with a deal stayed open — the judgements were applied to
dockings only when new feedback was recorded or labels were exported. Opening the home
(`Engine.open`: serve, match, batch …; the dockings commands; `techmatch migrate`) now
applies them once."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.config import Settings
from techmatch.matcher.dockings.effects import exclusions
from techmatch.matcher.engine import Engine
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import FeedbackRepo


def _old_home(home: Path) -> None:
    """Records and two judgements as a version before dockings stored them."""
    home.mkdir()
    store = Store(home / "store.sqlite")
    store.upsert([Need(id="N1", title="减速器传动精度"), Need(id="N2", title="半导体废酸回收"),
                  Achievement(id="A1", title="摆线轮修形"), Achievement(id="A2", title="废酸纯化")])
    with store.transaction():
        legacy = FeedbackRepo(store)
        legacy.insert("N1", "A1", label="rejected", reason="not_relevant", note=None,
                      actor=None, at="2026-11-27T10:00:00+00:00")
        legacy.insert("N2", "A2", label="deal", reason=None, note=None, actor=None,
                      at="2026-11-27T11:00:00+00:00")
    store.close()


def test_dockings_list_of_an_old_home_shows_its_judgements(tmp_path: Path) -> None:
    home = tmp_path / "old"
    _old_home(home)
    result = CliRunner().invoke(app, ["dockings", "list", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    stages = {(d["need_id"], d["candidate_id"]): (d["stage"], d["reason"])
              for d in json.loads(result.stdout)["items"]}
    assert stages == {("N1", "A1"): ("dropped", "not_relevant"), ("N2", "A2"): ("signed", None)}


def test_opening_an_old_home_applies_its_judgements_once(tmp_path: Path) -> None:
    home = tmp_path / "old"
    _old_home(home)
    engine = Engine.open(Settings(home=home, threads=1), encoder=object())  # type: ignore[arg-type]
    try:
        assert set(exclusions(engine.store)["N1"]) == {"A1"}
        assert engine.store.get("N2").status == "matched"
    finally:
        engine.store.close()
    again = Engine.open(Settings(home=home, threads=1), encoder=object())  # type: ignore[arg-type]
    try:
        result = CliRunner().invoke(app, ["dockings", "list", "--json", "--home", str(home)])
        assert json.loads(result.stdout)["total"] == 2  # applied once, not again
    finally:
        again.store.close()
