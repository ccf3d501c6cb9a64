"""CLI actions that change what a need's matches depend on drop its stale stored batch rows.

The API and console re-match such a need at once (batch/live.refresh_needs); the CLI does
not load the matcher, so `dockings move` / `import`, `feedback` and `ingest` of needs left
the 工作台 and 覆盖分析 on the last batch's ranking (a rejected candidate still the need's
best). They now drop the changed open needs' stored rows (未计算 until the next batch) and
say how many needs await it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matcher"))  # fakes

from fakes import make_engine  # noqa: E402

from techmatch.cli import app  # noqa: E402
from techmatch.cli.demo import load_samples  # noqa: E402
from techmatch.matcher.batch import BatchOptions, results, run_batch  # noqa: E402
from techmatch.matcher.engine import STORE_FILE  # noqa: E402
from techmatch.store import Store  # noqa: E402

NEED, OTHER = "N020", "N001"
WAITING = f"1 条需求（{NEED}）的匹配结果待下次批量匹配"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples after one batch (a store file to copy)."""
    home = tmp_path_factory.mktemp("batched-cli")
    engine = make_engine(home)
    load_samples(engine)
    engine.sync()
    run_batch(engine, BatchOptions(kinds=("achievement",), k=5, chunk=8, workers=1))
    path = home / "snapshot.sqlite"
    engine.store._db.backup(path)  # type: ignore[attr-defined]  # SQLite's online backup
    engine.close()
    return path


@pytest.fixture
def home(snapshot: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(snapshot, home / STORE_FILE)
    return home


def _stored(home: Path) -> dict[str, list[str]]:
    store = Store(home / STORE_FILE)  # what the CLI wrote, read afresh
    try:
        return {n: [c for c, _ in v] for n, v in results.topk(store, "achievement").items()}
    finally:
        store.close()


def _cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == 0, result.output
    return result.output


def _top(home: Path) -> tuple[str, list[str]]:
    before = _stored(home)
    assert before[NEED] and before[OTHER]
    return before[NEED][0], before[OTHER]


def _after(home: Path, output: str, other: list[str]) -> None:
    stored = _stored(home)
    assert NEED not in stored  # 未计算 until the batch, not the old ranking
    assert stored[OTHER] == other  # needs the action did not change keep their rows
    assert WAITING in output, output


def test_a_cli_rejection_drops_the_stale_rows(home: Path) -> None:
    top, other = _top(home)
    out = _cli(home, "feedback", NEED, top, "--label", "rejected", "--reason", "not_relevant")
    _after(home, out, other)


def test_a_cli_drop_on_the_board_drops_the_stale_rows(home: Path) -> None:
    top, other = _top(home)
    made = CliRunner().invoke(app, ["dockings", "create", NEED, top, "--home", str(home),
                                    "--json"])
    assert made.exit_code == 0, made.output
    assert "待下次批量匹配" not in made.output  # at 推荐 nothing a match reads changed
    docking = json.loads(made.stdout)[0]["id"]
    assert _stored(home)[NEED][0] == top
    out = _cli(home, "dockings", "move", docking, "--to", "dropped", "--reason",
               "not_relevant")
    _after(home, out, other)


def test_a_cli_import_drops_the_stale_rows(home: Path, tmp_path: Path) -> None:
    top, other = _top(home)
    path = tmp_path / "台账.csv"
    path.write_text(f"需求编号,候选编号,阶段,终止原因\n{NEED},{top},终止,不相关\n",
                    encoding="utf-8")
    out = _cli(home, "dockings", "import", str(path))
    _after(home, out, other)


def test_a_cli_ingest_of_an_edited_need_drops_its_stale_rows(home: Path,
                                                             tmp_path: Path) -> None:
    _, other = _top(home)
    store = Store(home / STORE_FILE)
    try:
        edited = store.get(NEED, "need").model_dump(mode="json")
        same = store.get(OTHER, "need").model_dump(mode="json")
    finally:
        store.close()
    edited["title"] += "（补充：需耐高温）"
    path = tmp_path / "needs.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (edited, same)),
                    encoding="utf-8")
    out = _cli(home, "ingest", str(path), "--kind", "need", "--no-index")
    _after(home, out, other)
