"""The per-query work remembered between requests never serves stale data: parsed candidate
records follow every write (update, delete, another connection's write) before any re-index,
and the remembered normalisation answers what the function computes."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.indexers.ingest import normalize as norm_mod
from techmatch.matcher.engine import STORE_FILE, Engine
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

RECORDS = [
    Need(id="n1", title="锂电池隔膜涂层", description="陶瓷浆料分散，提高隔膜耐热性",
         industry="新能源", city="苏州", province="江苏"),
    Achievement(id="a1", title="陶瓷涂覆隔膜", abstract="锂电池隔膜的陶瓷浆料分散工艺",
                industry="新能源", city="苏州", province="江苏"),
    Achievement(id="a2", title="锂电池隔膜耐热涂层", abstract="隔膜涂层提高耐热性",
                industry="化工"),
    Achievement(id="a3", title="注塑模具冷却", abstract="模具随形冷却水路"),
]


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    eng = Engine.open(Settings(home=tmp_path / "home", threads=1), encoder=HashEncoder())
    eng.store.upsert(RECORDS)
    eng.sync(("need", "achievement"))
    yield eng
    eng.close()


def _hit(ranking, rid):  # type: ignore[no-untyped-def]
    return next(h for h in ranking.hits if h.id == rid)


def test_second_query_parses_nothing_and_answers_the_same(engine: Engine) -> None:
    service = MatchService(engine)
    first = service.match_need("n1", target="achievement", k=3)
    parsed = engine.store.parsed.parsed
    assert parsed >= 3
    second = service.match_need("n1", target="achievement", k=3)
    assert engine.store.parsed.parsed == parsed  # every candidate came from memory
    assert [(h.id, h.record) for h in first.hits] == [(h.id, h.record) for h in second.hits]
    # scores equal up to the recency feature, which moves with the clock between the calls
    assert [h.score for h in first.hits] == pytest.approx([h.score for h in second.hits])
    assert [h.explanation.model_dump(exclude={"contributions"}) for h in first.hits] == \
        [h.explanation.model_dump(exclude={"contributions"}) for h in second.hits]


def test_an_update_is_seen_by_the_next_query_before_any_reindex(engine: Engine) -> None:
    service = MatchService(engine)
    before = _hit(service.match_need("n1", target="achievement", k=3), "a2")
    assert before.title == "锂电池隔膜耐热涂层" and before.record["industry"] == "化工"
    engine.store.upsert([Achievement(id="a2", title="锂电池隔膜耐热涂层（第二版）",
                                     abstract="隔膜涂层提高耐热性", industry="新能源")])
    after = _hit(service.match_need("n1", target="achievement", k=3), "a2")
    assert after.title == "锂电池隔膜耐热涂层（第二版）"
    assert after.record["industry"] == "新能源"
    industry = {c.name: c.value for c in after.explanation.contributions}.get("industry")
    if industry is not None:  # the model weighs industry: the feature follows the write
        assert industry == 1.0


def test_a_deleted_record_is_never_returned(engine: Engine) -> None:
    service = MatchService(engine)
    assert "a1" in [h.id for h in service.match_need("n1", target="achievement", k=3).hits]
    engine.store.delete("a1")
    ids = [h.id for h in service.match_need("n1", target="achievement", k=3).hits]
    assert "a1" not in ids and ids
    assert "a1" not in engine.store.parsed.get_many(["a1", "a2"])


def test_a_write_through_another_connection_is_seen(engine: Engine) -> None:
    reader = engine.store.parsed
    assert reader.get_many(["a3"])["a3"].title == "注塑模具冷却"
    other = Store(engine.settings.home / STORE_FILE)  # another process's connection
    try:
        other.upsert([Achievement(id="a3", title="注塑模具随形冷却", abstract="模具水路")])
    finally:
        other.close()
    again = reader.get_many(["a3", "missing", "a1"])
    assert again["a3"].title == "注塑模具随形冷却"
    assert list(again) == ["a3", "a1"]  # order asked, unknown ids left out


def test_remembered_normalisation_equals_the_computation() -> None:
    samples = ["動力電池 熱失控", "ＡＢＣ　全角", "Net\r\nWork  ", "锂电池", "x" * 300,
               "中\u200b文", "鋰" * 257, "動力電池。" * 3000]
    for text in samples:
        for lower in (True, False):
            expected = norm_mod._normalize(text, lower)
            assert norm_mod.normalize(text, lower=lower) == expected
            assert norm_mod.normalize(text, lower=lower) == expected  # second: from memory
    assert norm_mod.normalize("動力電池") == "动力电池"
    assert norm_mod._normalize_short.cache_info().hits >= 1
    assert norm_mod._normalize_huge.cache_info().hits >= 1  # the 15,000-character sample
