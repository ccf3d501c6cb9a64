"""Rows / RowsAppender: appending in many batches gives the same columns as appending once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from techmatch.indexers.base import FACETS, Document
from techmatch.indexers.embedded.rows import Rows, RowsAppender
from techmatch.models.results import Filters


def _docs(n: int, start: int = 0) -> list[Document]:
    rng = np.random.default_rng(start)
    cities = ["苏州", "南京", None, "杭州"]
    out = []
    for i in range(start, start + n):
        facets: dict[str, tuple[str, ...]] = {f: () for f in FACETS}
        city = cities[int(rng.integers(len(cities)))]
        facets["city"] = (city,) if city else ()
        facets["type"] = (["paper", "patent"][i % 2],)
        out.append(Document(id=f"r{i:04d}", kind="achievement", tokens=[], dense_text="",
                            facets=facets))
    return out


def test_batches_equal_one_append_and_decode_to_the_facets(tmp_path: Path) -> None:
    docs = _docs(700)
    keys = np.arange(100, 800, dtype=np.int64)
    whole = Rows()
    whole.append(docs, keys)
    batched = Rows()
    appender = RowsAppender(batched)
    for start in range(0, 700, 256):
        appender.add(docs[start:start + 256], keys[start:start + 256])
    assert appender.finish() is batched
    for rows in (whole, batched):
        assert rows.ids == [d.id for d in docs]
        assert np.array_equal(rows.keys, keys) and rows.live.all() and len(rows) == 700
        for name in ("city", "type"):
            decoded = [(rows.vocab[name][c],) if c >= 0 else () for c in rows.codes[name]]
            assert decoded == [d.facets[name] for d in docs]
        assert all(len(rows.codes[f]) == 700 for f in FACETS)
    for name in FACETS:
        assert np.array_equal(whole.codes[name], batched.codes[name])
        assert whole.vocab[name] == batched.vocab[name]
    batched.save(tmp_path)
    loaded = Rows.load(tmp_path)
    assert loaded.ids == batched.ids and np.array_equal(loaded.codes["city"],
                                                        batched.codes["city"])


def test_append_after_load_reuses_the_vocabulary_and_keeps_dead_rows() -> None:
    rows = Rows()
    rows.append(_docs(10), np.arange(10, dtype=np.int64))
    rows.kill(["r0003"])
    vocab_before = list(rows.vocab["city"])
    appender = RowsAppender(rows)
    appender.add(_docs(5, start=10), np.arange(10, 15, dtype=np.int64))
    appender.add(_docs(5, start=15), np.arange(15, 20, dtype=np.int64))
    appender.finish()
    assert rows.vocab["city"][:len(vocab_before)] == vocab_before
    assert len(set(rows.vocab["city"])) == len(rows.vocab["city"])
    assert np.flatnonzero(~rows.live).tolist() == [3]
    assert rows.rows_of_keys(np.array([12, 19, -1])).tolist() == [12, 19, -1]
    assert len(rows.ids) == len(rows.keys) == len(rows.codes["type"]) == 20


def test_keys_and_documents_must_match() -> None:
    with pytest.raises(ValueError, match="3 documents but 2 keys"):
        RowsAppender(Rows()).add(_docs(3), np.arange(2, dtype=np.int64))


def _expert(rid: str, industries: tuple[str, ...]) -> Document:
    facets: dict[str, tuple[str, ...]] = {f: () for f in FACETS}
    facets["industry"] = industries
    return Document(id=rid, kind="expert", tokens=[], dense_text="", facets=facets)


def test_every_value_of_a_facet_filters_through_batches_kill_compaction_and_save(
        tmp_path: Path) -> None:
    """A row holding several values of a facet (an expert's industries) is allowed by a filter
    on any of them; only the first was kept before, so a filter on the second missed it."""
    rows = Rows()
    appender = RowsAppender(rows)
    appender.add([_expert("e0", ("新能源", "新材料")), _expert("e1", ())],
                 np.arange(2, dtype=np.int64))
    appender.add([_expert("e2", ("智能制造", "人工智能", "新材料")), _expert("e3", ("新材料",))],
                 np.arange(2, 4, dtype=np.int64))
    appender.finish()

    def allowed(r: Rows, *values: str) -> list[str]:
        row_of = {rid: i for i, rid in enumerate(r.ids)}
        mask = r.mask(Filters(industry=list(values)), row_of)
        return [r.ids[i] for i in np.flatnonzero(mask)]

    assert allowed(rows, "新材料") == ["e0", "e2", "e3"]
    assert allowed(rows, "人工智能") == ["e2"]
    assert allowed(rows, "新能源", "智能制造") == ["e0", "e2"]
    assert allowed(rows, "未知") == []
    rows.kill(["e0"])
    assert allowed(rows, "新材料") == ["e2", "e3"]
    rows, kept = rows.compacted()
    assert kept.tolist() == [1, 2, 3] and rows.ids == ["e1", "e2", "e3"]
    assert allowed(rows, "新材料") == ["e2", "e3"] and allowed(rows, "人工智能") == ["e2"]
    rows.save(tmp_path)
    loaded = Rows.load(tmp_path)
    assert allowed(loaded, "人工智能") == ["e2"] and allowed(loaded, "新能源") == []
    more = RowsAppender(loaded)  # an incremental sync appends after the loaded rows
    more.add([_expert("e4", ("新能源", "人工智能"))], np.array([9]))
    more.finish()
    assert allowed(loaded, "人工智能") == ["e2", "e4"] and allowed(loaded, "新能源") == ["e4"]
