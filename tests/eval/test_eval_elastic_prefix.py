"""`techmatch eval` on the Elasticsearch backend, on the session's real node.

Before, an eval work folder used the home's TECHMATCH_ES_INDEX_PREFIX: until 84e0b13 it
silently rebuilt the home's production index with the eval corpus; since then (the index
belongs to the home's store) it is refused with exit 5 unless the prefix is set by hand per
dataset. Each work folder now derives its own prefix, `<home prefix>-eval-<dataset slug>-<corpus
hash>`, and the home's index is left as it was.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.config import Settings
from techmatch.eval.datasets import corpus_hash
from techmatch.eval.runner import eval_index_prefix
from techmatch.indexers import elastic
from techmatch.indexers.encoders import Encoder
from techmatch.matcher.engine import Engine
from techmatch.models.records import Achievement

_count = iter(range(1_000_000))


@pytest.fixture
def es(es_url: str) -> Iterator[tuple[str, str, Any]]:
    """(url, a fresh home prefix, a client); every index under the prefix deleted after."""
    import os

    prefix = f"tmeval{os.getpid()}x{next(_count)}"
    client = elastic.connect(Settings(backend="elasticsearch", es_url=es_url))
    yield es_url, prefix, client
    names = sorted(client.indices.get(index=f"{prefix}*", expand_wildcards="all").body)
    if names:
        client.indices.delete(index=",".join(names))
    client.close()


def _eval(home: Path, dataset: Path, env: dict[str, str]) -> Any:
    return CliRunner().invoke(app, [
        "eval", "--dataset", str(dataset), "--split", "dev", "--json", "--home", str(home),
        "--threads", "1", "--trials", "100", "--retrievers", "lexical,dense",
        "--metrics", "ndcg@10"], env=env)


def test_eval_indexes_under_its_own_prefix_and_leaves_the_home_index_alone(
        es: tuple[str, str, Any], tiny_dataset: Path, tmp_path: Path,
        encoder: Encoder) -> None:
    url, prefix, client = es
    home = tmp_path / "home"
    settings = Settings(home=home, backend="elasticsearch", es_url=url, es_index_prefix=prefix,
                        threads=1)
    engine = Engine.open(settings, encoder=encoder)
    try:
        engine.store.upsert([Achievement(id=f"prod-{i}", title=f"生产记录{i} 钠离子电池")
                             for i in range(5)])
        engine.sync(("achievement",))
    finally:
        engine.close()
    home_alias = f"{prefix}_achievement"
    before = sorted(client.indices.get_alias(index=home_alias).body)
    assert before == [f"{home_alias}_v1"]

    env = {"TECHMATCH_BACKEND": "elasticsearch", "TECHMATCH_ES_URL": url,
           "TECHMATCH_ES_INDEX_PREFIX": prefix}
    other = tmp_path / "other-set"
    shutil.copytree(tiny_dataset, other)
    with (other / "corpus.jsonl").open("a", encoding="utf-8") as fh:  # another corpus too
        fh.write(json.dumps({"_id": "extra-1", "title": "另一份语料", "text": "多一篇"},
                            ensure_ascii=False) + "\n")
    prefixes = {}
    for dataset in (tiny_dataset, other, tiny_dataset):  # the first again: reused
        result = _eval(home, dataset, env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["queries"] == 4
        own = eval_index_prefix(prefix, dataset.name, corpus_hash(dataset / "corpus.jsonl"))
        prefixes[dataset.name] = own
        assert own.startswith(f"{prefix}-eval-")
        assert sorted(client.indices.get_alias(index=f"{own}_achievement").body) == [
            f"{own}_achievement_v1"]  # built once, then reused: no second generation
    assert prefixes == {"tiny-zh": prefixes["tiny-zh"], "other-set": prefixes["other-set"]}
    assert prefixes["tiny-zh"] != prefixes["other-set"]

    # the home's index: same generation, its own five records, none of the eval corpus
    assert sorted(client.indices.get_alias(index=home_alias).body) == before
    client.indices.refresh(index=home_alias)
    assert client.count(index=home_alias)["count"] == 5
    assert client.count(index=f"{prefixes['other-set']}_achievement")["count"] > 5
    again = Engine.open(settings, encoder=encoder)
    try:
        assert not [r for r in again.sync(("achievement",)) if r.full]
    finally:
        again.close()
