"""`techmatch search --kind expert` finds an expert typed by name or organisation (张伟,
清华大学): before, neither was indexed and such a search listed whoever the dense side
found nearest to the name."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import contract_experts  # noqa: E402


def test_experts_are_found_by_name_and_organisation(tmp_path: Path) -> None:
    experts = tmp_path / "experts.jsonl"
    experts.write_text("".join(e.model_dump_json() + "\n" for e in contract_experts()),
                       encoding="utf-8")
    home = str(tmp_path / "home")
    loaded = CliRunner().invoke(app, ["ingest", str(experts), "--kind", "expert",
                                      "--home", home])
    assert loaded.exit_code == 0, loaded.output

    def ids(text: str, *options: str) -> list[str]:
        result = CliRunner().invoke(app, ["search", text, "--kind", "expert", "--json",
                                          "--home", home, *options])
        assert result.exit_code == 0, result.output
        return [h["id"] for h in json.loads(result.output)["hits"]]

    assert ids("张伟")[0] == "ex-1" and ids("李娜")[0] == "ex-2" and ids("陈明")[0] == "ex-4"
    assert set(ids("清华大学")[:2]) == {"ex-1", "ex-3"}
    assert ids("清华大学", "--city", "北京", "-k", "1") in (["ex-1"], ["ex-3"])
    assert ids("王芳", "--city", "苏州") == ["ex-4"]  # filters still apply (dense finds ex-4)
