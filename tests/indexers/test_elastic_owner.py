"""Two homes pointed at one Elasticsearch index prefix, on the session's real node.

Before: each home's sync found the other's store id in the generation's `_meta` and rebuilt
the index from its own store, so the two kept replacing each other's records. Now the
generation records the home that built it, and another home's sync, `techmatch index --full`
or reindex is refused (ConfigError, exit 5) naming the prefix and the owning home; only
`techmatch reindex --take-over` hands the prefix over.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder, contract_records  # noqa: E402
from es_node import fresh_prefix  # noqa: E402, F401 - the `prefix` fixture

from techmatch.config import Settings  # noqa: E402
from techmatch.errors import ConfigError  # noqa: E402
from techmatch.indexers import elastic  # noqa: E402
from techmatch.indexers.tokenize import Tokenizer  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402
from techmatch.store import Store  # noqa: E402

KIND = "achievement"


def _home(tmp_path: Path, name: str, es_url: str, prefix: str) -> tuple[Settings, Store]:
    home = tmp_path / name
    home.mkdir()
    settings = Settings(home=home, backend="elasticsearch", threads=1, es_url=es_url,
                        es_index_prefix=prefix)
    return settings, Store(home / "store.sqlite")


@pytest.fixture
def homes(tmp_path: Path, es_url: str, prefix: str
          ) -> Iterator[tuple[Settings, Store, Settings, Store]]:
    first, first_store = _home(tmp_path, "home-a", es_url, prefix)
    second, second_store = _home(tmp_path, "home-b", es_url, prefix)
    first_store.upsert(contract_records())
    second_store.upsert([Achievement(id=f"b-{i}", title="钠离子电池", city="苏州")
                         for i in range(20)])  # a sequence ahead of the first store's
    yield first, first_store, second, second_store
    first_store.close()
    second_store.close()


@pytest.fixture(scope="module")
def opts() -> dict[str, Any]:
    return {"encoder": FakeEncoder(), "tokenizer": Tokenizer()}


def test_second_home_is_refused_not_rebuilt(homes: tuple[Settings, Store, Settings, Store],
                                            prefix: str, opts: dict[str, Any]) -> None:
    first, first_store, second, second_store = homes
    built = elastic.sync_index(first, KIND, first_store, **opts)
    assert built.generation == f"{prefix}_{KIND}_v1"
    meta = elastic.open_index(first, KIND, **opts).meta
    assert meta["home"].endswith(str(first.home.resolve()))

    for attempt in (lambda: elastic.sync_index(second, KIND, second_store, **opts),
                    lambda: elastic.sync_index(second, KIND, second_store, full=True, **opts),
                    lambda: elastic.reindex(second, KIND, second_store, **opts)):
        with pytest.raises(ConfigError) as caught:
            attempt()
        message = str(caught.value)
        assert f"索引前缀 {prefix}" in message and "另一个数据目录" in message
        assert str(first.home.resolve()) in message and str(second.home.resolve()) in message
        assert "TECHMATCH_ES_INDEX_PREFIX" in message and "--take-over" in message

    # the first home's index is untouched: same generation, its records, nothing rebuilt
    index = elastic.open_index(first, KIND, **opts)
    assert index.generation == f"{prefix}_{KIND}_v1"
    assert index.count() == first_store.count(KIND) and not index.has("b-0")
    again = elastic.sync_index(first, KIND, first_store, **opts)
    assert not again.full and again.generation == f"{prefix}_{KIND}_v1"


def test_take_over_hands_the_prefix_to_the_other_home(
        homes: tuple[Settings, Store, Settings, Store], prefix: str,
        opts: dict[str, Any]) -> None:
    first, first_store, second, second_store = homes
    elastic.sync_index(first, KIND, first_store, **opts)
    report = elastic.reindex(second, KIND, second_store, take_over=True, **opts)
    assert report.generation == f"{prefix}_{KIND}_v2"
    assert any("接管" in note and str(first.home.resolve()) in note for note in report.notes)
    index = elastic.open_index(second, KIND, **opts)
    assert index.count() == 20 and index.has("b-0") and not index.has("su-00")
    assert elastic.sync_index(second, KIND, second_store, **opts).full is False
    with pytest.raises(ConfigError, match=str(second.home.resolve())):
        elastic.sync_index(first, KIND, first_store, **opts)  # now the first is the stranger


def test_index_built_before_owners_were_recorded_is_adopted(
        homes: tuple[Settings, Store, Settings, Store], opts: dict[str, Any]) -> None:
    """A generation whose `_meta` names no store (built by an older version) stays usable: it
    is synced incrementally and then records its owner."""
    first, first_store, *_ = homes
    elastic.sync_index(first, KIND, first_store, **opts)
    client = elastic.connect(first)
    try:
        name = elastic.current_generation(first, KIND, client=client)
        meta = client.indices.get_mapping(index=name)[name]["mappings"]["_meta"]
        legacy = {k: v for k, v in meta.items() if k not in ("store_id", "home")}
        legacy["applied_seq"] = 0
        client.indices.put_mapping(index=name, meta=legacy)
        report = elastic.sync_index(first, KIND, first_store, client=client, **opts)
        assert not report.full and report.generation == name
        owned = client.indices.get_mapping(index=name)[name]["mappings"]["_meta"]
        assert owned["store_id"] and owned["home"].endswith(str(first.home.resolve()))
    finally:
        client.close()


def test_cli_index_and_reindex_of_the_second_home(homes: tuple[Settings, Store, Settings, Store],
                                                  prefix: str, es_url: str,
                                                  opts: dict[str, Any],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from techmatch.cli import app
    from techmatch.indexers import vector_cache as encoder_module

    first, first_store, second, second_store = homes
    elastic.sync_index(first, KIND, first_store, **opts)
    second_store.close()
    for key, value in {"BACKEND": "elasticsearch", "ES_URL": es_url,
                       "HOME": str(second.home), "ES_INDEX_PREFIX": prefix,
                       "THREADS": "1"}.items():
        monkeypatch.setenv(f"TECHMATCH_{key}", value)
    monkeypatch.setattr(encoder_module, "build_encoder", lambda *a, **k: FakeEncoder())
    runner = CliRunner()
    refused = runner.invoke(app, ["index", "--kind", KIND])
    assert refused.exit_code == 5, refused.output
    assert f"索引前缀 {prefix}" in refused.output
    assert str(first.home.resolve()) in refused.output
    assert runner.invoke(app, ["reindex", "--kind", KIND]).exit_code == 5
    taken = runner.invoke(app, ["reindex", "--kind", KIND, "--take-over", "--json"])
    assert taken.exit_code == 0, taken.output
    assert json.loads(taken.stdout)["reindex"][0]["generation"] == f"{prefix}_{KIND}_v2"
