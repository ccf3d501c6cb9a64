"""Embedded backend: generations, manifests, mismatch errors, incremental sync, e5 on samples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import bm25s
import numpy as np
import pytest

from techmatch.config import Settings
from techmatch.errors import IndexError_, IndexMismatchError, IndexMissingError, LockedError
from techmatch.indexers.base import SCHEMA_VERSION
from techmatch.indexers.embedded import dense as dense_module
from techmatch.indexers.embedded.generations import build_lock, kind_dir
from techmatch.indexers.factory import current_generation, open_index, sync_index
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import Achievement
from techmatch.models.results import Filters
from techmatch.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder, contract_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples" / "achievements.jsonl"
KIND = "achievement"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", threads=1, cache_dir=tmp_path / "cache")


@pytest.fixture
def store(settings: Settings) -> Store:
    store = Store(settings.home / "store.sqlite")
    store.upsert(contract_records())
    return store


def _sync(settings: Settings, store: Store, tokenizer: Tokenizer, **kw: object):  # type: ignore[no-untyped-def]
    return sync_index(settings, KIND, store, encoder=FakeEncoder(), tokenizer=tokenizer, **kw)


def _open(settings: Settings, tokenizer: Tokenizer):  # type: ignore[no-untyped-def]
    return open_index(settings, KIND, encoder=FakeEncoder(), tokenizer=tokenizer)


def test_missing_index_names_the_command(settings: Settings, tokenizer: Tokenizer) -> None:
    assert current_generation(settings, KIND) is None
    with pytest.raises(IndexMissingError, match="techmatch index"):
        _open(settings, tokenizer)


def test_manifest_records_how_the_generation_was_built(settings: Settings, store: Store,
                                                       tokenizer: Tokenizer) -> None:
    report = _sync(settings, store, tokenizer)
    assert report.generation == "gen-1" == current_generation(settings, KIND)
    assert (report.upserted, report.encoded, report.full) == (12, 12, True)
    folder = kind_dir(settings, KIND) / "gen-1"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert (manifest["encoder_id"], manifest["encoder_dim"]) == ("fake-hash-16", 16)
    assert manifest["tokenizer_fingerprint"] == tokenizer.fingerprint
    assert manifest["applied_seq"] == store.last_seq(KIND) and manifest["count"] == 12
    assert manifest["dense_type"] == "flat" and manifest["settings"]["threads"] == 1
    assert "es_password" not in manifest["settings"]
    assert {"vectors.npy", "rows.npz", "ids.json"} <= set(manifest["files"])
    assert any(name.startswith("lexical/") for name in manifest["files"])
    _open(settings, tokenizer).verify()


def test_encoder_and_tokenizer_mismatch_are_errors(settings: Settings, store: Store,
                                                   tokenizer: Tokenizer, tmp_path: Path) -> None:
    _sync(settings, store, tokenizer)

    class Other(FakeEncoder):
        id = "other-encoder"

    with pytest.raises(IndexMismatchError, match=r"编码模型 'fake-hash-16'/16.*index --full"):
        open_index(settings, KIND, encoder=Other(), tokenizer=tokenizer)
    user_dict = tmp_path / "dict.txt"
    user_dict.write_text("正极材料前驱体 10\n", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="分词指纹"):
        _open(settings, Tokenizer(user_dict=user_dict))


def test_generation_of_the_single_valued_facet_format_is_refused_then_rebuilt(
        settings: Settings, store: Store, tokenizer: Tokenizer) -> None:
    """A home indexed before facets held every value (schema version 1: one code per row and
    facet, no `more_*` arrays) is not read as if it were current: opening it names the schema
    version and the fix, and the next sync (`techmatch index`, the server's follower) rebuilds
    it in full instead of extending it."""
    _sync(settings, store, tokenizer)
    folder = kind_dir(settings, KIND) / "gen-1"
    with np.load(folder / "rows.npz") as data:
        old = {k: data[k] for k in data.files if not k.startswith("more_")}
    with open(folder / "rows.npz", "wb") as handle:
        np.savez(handle, **old)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["schema_version"] = 1
    manifest["files"]["rows.npz"][0] = (folder / "rows.npz").stat().st_size
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError,
                       match=r"结构版本 1（当前 [2-9]）.*techmatch index --full"):
        _open(settings, tokenizer)
    report = _sync(settings, store, tokenizer)
    assert report.full and report.generation == "gen-2" and report.upserted == 12
    assert report.notes[0].startswith("已完整重建：") and "结构版本 1" in report.notes[0]
    found = _open(settings, tokenizer).search_lexical(tokenizer.tokens("锂电池"), k=20,
                                                      filters=Filters(city=["深圳"]))
    assert sorted(found.ids) == ["sz-00", "sz-01", "sz-02"]


def test_incremental_sync_encodes_only_changed_records(settings: Settings, store: Store,
                                                       tokenizer: Tokenizer) -> None:
    _sync(settings, store, tokenizer)
    first = _open(settings, tokenizer)
    store.upsert([Achievement(id="new-1", title="钠离子电池负极", abstract="硬碳负极材料",
                              city="合肥", industry="新能源", type="patent")])
    store.delete("su-01")
    report = _sync(settings, store, tokenizer)
    assert (report.upserted, report.deleted, report.encoded) == (1, 1, 1)
    assert report.generation == "gen-2" and not report.full
    second = _open(settings, tokenizer)
    assert second.count() == 12 and second.has("new-1") and not second.has("su-01")
    assert np.array_equal(second.vectors(["su-00"]), first.vectors(["su-00"]))
    # the handle opened on gen-1 keeps serving gen-1
    assert first.generation == "gen-1" and first.has("su-01")
    assert "su-01" in first.search_lexical(tokenizer.tokens("锂电池"), k=20).ids
    again = _sync(settings, store, tokenizer)
    assert again.generation == "gen-2" and again.notes and again.upserted == 0


def test_full_rebuild_reuses_cached_vectors_and_keeps_two_generations(
        settings: Settings, store: Store, tokenizer: Tokenizer) -> None:
    for _ in range(3):
        report = _sync(settings, store, tokenizer, full=True)
    assert report.encoded == 0 and report.generation == "gen-3"
    root = kind_dir(settings, KIND)
    assert sorted(p.name for p in root.glob("gen-*")) == ["gen-2", "gen-3"]
    (root / "tmp-999-dead").mkdir()
    _sync(settings, store, tokenizer, full=True)
    assert not (root / "tmp-999-dead").exists()
    assert (root / "CURRENT").read_text(encoding="utf-8").strip() == "gen-4"


def test_second_build_is_refused_while_one_runs(settings: Settings, store: Store,
                                                tokenizer: Tokenizer) -> None:
    with build_lock(kind_dir(settings, KIND), KIND), pytest.raises(LockedError):
        _sync(settings, store, tokenizer)


def test_corrupt_file_is_detected(settings: Settings, store: Store,
                                  tokenizer: Tokenizer) -> None:
    _sync(settings, store, tokenizer)
    index = _open(settings, tokenizer)
    path = index.folder / "vectors.npy"  # type: ignore[attr-defined]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexError_, match="校验和与索引清单不符"):
        index.verify()  # type: ignore[attr-defined]


def test_hnsw_tombstones_then_compacts(tmp_path: Path, store: Store, tokenizer: Tokenizer,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path / "home", threads=1, dense_exact_max=0)
    monkeypatch.setattr(dense_module, "EXACT_BELOW", 0)  # always go through the faiss selector
    _sync(settings, store, tokenizer)
    store.delete("su-07")
    _sync(settings, store, tokenizer)
    index = _open(settings, tokenizer)
    assert index.manifest.dense_type == "hnsw" and len(index.rows) == 12  # type: ignore[attr-defined]
    query = index.vectors(["su-00"])[0]
    assert "su-07" not in index.search_dense(query, k=12).ids
    found = index.search_dense(query, k=3, filters=Filters(city=["深圳"]))
    assert sorted(found.ids) == ["sz-00", "sz-01", "sz-02"]
    for rid in ("su-04", "su-05", "su-06"):
        store.delete(rid)
    _sync(settings, store, tokenizer)
    index = _open(settings, tokenizer)
    assert len(index.rows) == index.count() == 8  # type: ignore[attr-defined]


def test_bm25_matches_reference_implementation(settings: Settings, store: Store,
                                               tokenizer: Tokenizer) -> None:
    _sync(settings, store, tokenizer)
    index = _open(settings, tokenizer)
    records = contract_records()
    corpus = [tokenizer.tokens(r.text()) for r in records]
    reference = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    reference.index(corpus, show_progress=False)
    query = tokenizer.tokens("锂电池 正极材料 产线")
    # bm25s "lucene" follows Lucene >= 8, which drops the constant (k1 + 1) factor tantivy keeps
    expected = reference.get_scores(list(dict.fromkeys(query))) * (1.2 + 1)
    found = index.search_lexical(query, k=12)
    got = dict(zip(found.ids, found.scores.tolist(), strict=True))
    for record, score in zip(records, expected, strict=True):
        assert got.get(record.id, 0.0) == pytest.approx(float(score), rel=1e-3)


def test_second_process_sees_the_same_index(settings: Settings, store: Store,
                                            tokenizer: Tokenizer) -> None:
    _sync(settings, store, tokenizer)
    query = "锂电池 正极材料"
    top = _open(settings, tokenizer).search_lexical(tokenizer.tokens(query), k=5).ids
    script = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / 'contract')!r})\n"
        "from contract import FakeEncoder\n"
        "from techmatch.config import Settings\n"
        "from techmatch.indexers.factory import open_index\n"
        "from techmatch.indexers.tokenize import Tokenizer\n"
        f"s = Settings(home={str(settings.home)!r}, threads=1)\n"
        "t = Tokenizer()\n"
        "ix = open_index(s, 'achievement', encoder=FakeEncoder(), tokenizer=t)\n"
        f"print(json.dumps(ix.search_lexical(t.tokens({query!r}), k=5).ids))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == top


@pytest.mark.skipif(not SAMPLES.exists(), reason="data/samples/achievements.jsonl not written")
def test_e5_index_over_samples(tmp_path: Path, tokenizer: Tokenizer) -> None:
    from techmatch.indexers.encoders import build_encoder

    settings = Settings(home=tmp_path / "home", threads=1, cache_dir=tmp_path / "cache")
    lines = SAMPLES.read_text(encoding="utf-8").splitlines()
    records = [Achievement.model_validate_json(line) for line in lines if line.strip()][:40]
    store = Store(settings.home / "store.sqlite")
    store.upsert(records)
    encoder = build_encoder("e5-small", threads=1)
    report = sync_index(settings, KIND, store, encoder=encoder, tokenizer=tokenizer)
    assert report.encoded == len(records)
    index = open_index(settings, KIND, encoder=encoder, tokenizer=tokenizer)
    assert index.count() == len(records)
    ids = [r.id for r in records[:10]]
    assert [c.ids[0] for c in index.search_dense_batch(index.vectors(ids), k=1)] == ids
    query = records[0].title
    dense = index.search_dense(encoder.encode_queries([query])[0], k=5)
    lexical = index.search_lexical(tokenizer.tokens(query), k=5)
    assert records[0].id in dense.ids and lexical.ids[0] == records[0].id
