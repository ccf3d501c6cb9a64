"""On the real engine and the samples: after an achievement is deleted, an incremental run
stores for every open need the experts that matching it alone returns (up to near ties)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_batch_expert_field import _off
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.cli.common import settings_for
from techmatch.matcher.batch import BatchOptions, run_batch
from techmatch.matcher.engine import Engine

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"
FILES = {"need": "needs.jsonl", "achievement": "achievements.jsonl", "expert": "experts.jsonl"}
pytestmark = pytest.mark.slow  # encodes the ~210 sample records with e5-small (cached)


def test_deleting_an_achievement_leaves_no_stale_expert_results(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for kind, name in FILES.items():
        result = CliRunner().invoke(app, ["ingest", str(SAMPLES / name), "--kind", kind,
                                          "--home", str(home)])
        assert result.exit_code == 0, result.output
    engine = Engine.open(settings_for(home))
    try:
        options = BatchOptions(k=10, workers=1, explain=False)
        run_batch(engine, options)
        engine.store.delete("A010")  # owned by E009; it sat in every need's works ranking
        second = run_batch(engine, options)
        assert second.counts["expert"]["recomputed"] > 1, second.counts
        assert _off(engine, options.k) == {}  # type: ignore[arg-type]
    finally:
        engine.close()
