"""`techmatch migrate --to postgresql://…`: an embedded home (samples, a batch run, feedback
and dockings) copied into a real PostgreSQL server, every row of every table equal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.errors import ConfigError
from techmatch.models import Need
from techmatch.store import Store
from techmatch.store.copy import copy_store, table_checksum

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matcher" / "batch"))
from batch_helpers import OPTIONS, sample_engine  # noqa: E402

FEEDBACK = [("N001", "A001", "accepted", None), ("N002", "A003", "rejected", "not_relevant")]

pytestmark = pytest.mark.xdist_group("postgresql")  # one PostgreSQL server


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Samples, one batch run and some feedback in an embedded home."""
    from techmatch.matcher.batch import run_batch
    from techmatch.matcher.feedback import record_feedback

    root = tmp_path_factory.mktemp("embedded")
    engine = sample_engine(root)
    try:
        run_batch(engine, OPTIONS)
        for need, cand, label, reason in FEEDBACK:
            record_feedback(engine.store, need, cand, label=label, reason=reason)
        engine.store.delete("A100")  # a tombstone travels too
    finally:
        engine.close()
    return root


def _rows(store: Store, table: str) -> list[tuple[object, ...]]:
    columns = store._db.columns(table)
    return sorted(store._db.fetch(f"SELECT {', '.join(chr(34) + c + chr(34) for c in columns)} "
                                  f"FROM {table}"), key=repr)


def test_round_trip_every_row_equal(home: Path, pg_url: str) -> None:
    result = CliRunner().invoke(app, ["migrate", "--to", pg_url, "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["equal"] is True
    tables = {t["table"]: t for t in report["tables"]}
    source, target = Store(home / "store.sqlite"), Store(pg_url)
    try:
        assert tables["records"]["target_rows"] == source.count() + 1 == 214
        assert tables["batch_results"]["target_rows"] > 0
        assert tables["feedback"]["target_rows"] == len(FEEDBACK)
        for table in ("records", "changes", "feedback", "meta", "batch_runs", "batch_results",
                      "batch_state", "batch_topics", "batch_plan", "batch_checkpoints",
                      "dockings", "docking_history"):
            assert _rows(source, table) == _rows(target, table), table
        # the copy is a working store: keys continue after the copied ones
        last = target.last_seq()
        target.upsert([Need(id="need-after-copy", title="迁移后的新需求")])
        assert target.last_seq() == last + 1 == source.last_seq() + 1
    finally:
        source.close()
        target.close()


def test_non_empty_target_is_refused(home: Path, pg_url: str) -> None:
    target = Store(pg_url)
    target.upsert([Need(id="n-existing", title="已有")])
    source = Store(home / "store.sqlite")
    try:
        with pytest.raises(ConfigError, match="目标存储不是空的"):
            copy_store(source, target)
        assert target.count() == 1  # nothing written
    finally:
        source.close()
        target.close()
    result = CliRunner().invoke(app, ["migrate", "--to", pg_url, "--home", str(home)])
    assert result.exit_code == 5 and "records（1 行）" in result.output


def test_checksum_sees_one_changed_value(tmp_path: Path) -> None:
    one, two = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    try:
        one.set_meta("k", "1")
        two.set_meta("k", "2")
        cols = ["key", "value"]
        assert table_checksum(one._db, "meta", cols) != table_checksum(two._db, "meta", cols)
        two.set_meta("k", "1")
        assert table_checksum(one._db, "meta", cols) == table_checksum(two._db, "meta", cols)
    finally:
        one.close()
        two.close()


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "--to", "postgresql://u@127.0.0.1:1/x",
                                      "--home", str(tmp_path / "empty")])
    assert result.exit_code == 3 and "store.sqlite" in result.output


def test_without_to_reports_schema_versions(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "--home", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["schema_versions"] == [1, 2, 3, 4, 5, 6, 7]
