"""`techmatch search` finds a record by its id and by its name as `POST /v1/search` does
(MatchService.search): the record first, marked 编号一致 / 名称一致 in the table, and `--json`
with the API's fields (match_by, match_by_label, confidence, message_code). Before, the CLI
ran the bare retriever: an id typed (e005, Ｅ００５) found nothing special, and its JSON had
no confidence, no message and no match_by for an id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.api.schemas import RankingPublic
from techmatch.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> str:
    where = str(tmp_path_factory.mktemp("search-by-id") / "home")
    loaded = CliRunner().invoke(app, ["ingest", str(SAMPLES / "experts.jsonl"), "--kind",
                                      "expert", "--home", where])
    assert loaded.exit_code == 0, loaded.output
    return where


def _search(home: str, text: str, *options: str) -> str:
    result = CliRunner().invoke(app, ["search", text, "--kind", "expert", "--home", home,
                                      *options])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("text", ["E005", "e005", " Ｅ００５ "])
def test_an_id_typed_comes_first_marked_as_the_api_marks_it(home: str, text: str) -> None:
    body = json.loads(_search(home, text, "--json"))
    top = body["hits"][0]
    assert top["id"] == "E005", body["hits"][:3]
    assert top["named"] is True and top["match_by"] == "id"
    assert top["match_by_label"] == "编号一致"
    assert [h["id"] for h in body["hits"] if h["match_by"] == "id"] == ["E005"]
    assert body["message_code"] == "id_match" and body["routed_to_staff"] is False
    # the API's fields, every one (null where the API says null)
    assert set(RankingPublic.model_json_schema()["properties"]) <= set(body)
    hit_fields = RankingPublic.model_json_schema()["$defs"]["Hit"]["properties"]
    assert all(set(hit_fields) <= set(h) for h in body["hits"])

    table = _search(home, text).splitlines()
    first = next(line for line in table if line.lstrip().startswith("1."))
    assert "E005" in first and "编号一致" in first, table
    hits = [line for line in table if line[:5].strip().rstrip(".").isdigit()]
    assert sum("编号一致" in line for line in hits) == 1, table
    assert table[0].startswith("!! 按编号找到"), table  # the API's message (id_match)


def test_a_name_typed_is_marked_by_name(home: str) -> None:
    body = json.loads(_search(home, "吴晓东", "--json"))
    assert body["hits"][0]["id"] == "E005"
    assert body["hits"][0]["match_by"] == "name"
    assert body["hits"][0]["match_by_label"] == "名称一致"
    table = _search(home, "吴晓东").splitlines()
    first = next(line for line in table if line.lstrip().startswith("1."))
    assert "E005" in first and "名称一致" in first and "编号一致" not in first, table


def test_a_kind_without_an_index_exits_cleanly(tmp_path: Path) -> None:
    """With the service, the query's encoding runs in a thread beside retrieval: a missing
    index made the process abort (exit 134, 'terminate called without an active exception')
    instead of exiting 4 with the message."""
    two = tmp_path / "two.jsonl"
    two.write_text("".join((SAMPLES / "experts.jsonl").read_text(encoding="utf-8")
                           .splitlines(True)[:2]), encoding="utf-8")
    home = str(tmp_path / "home")
    loaded = CliRunner().invoke(app, ["ingest", str(two), "--kind", "expert", "--no-index",
                                      "--home", home])
    assert loaded.exit_code == 0, loaded.output
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    env.pop("TECHMATCH_STORE_URL", None)
    done = subprocess.run([sys.executable, "-m", "techmatch", "search", "E001", "--kind",
                           "expert", "--home", home], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 4, done.stderr[-2000:]
    assert done.stderr.startswith("错误："), done.stderr[-2000:]  # the missing index, named
    assert "terminate called" not in done.stderr
