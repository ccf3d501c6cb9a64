"""The batch's column-wise achievement table equals `build_table`'s, value for value, and its
candidate memo returns what it remembers the values of (issue 19)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.crosslingual import language
from techmatch.matcher.features import Query, build_table
from techmatch.matcher.memo import CandidateMemo
from techmatch.matcher.tablecols import achievement_table, applies
from techmatch.models.records import Achievement, Expert, Need
from techmatch.models.results import Component, Hit, Ranking

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
WORDS = ["锂电池", "隔膜", "回收", "桥梁", "检测", "催化剂", "氢能", "传感器", "涂层", "算法",
         "battery", "sensor"]
DISCIPLINES = [None, "化学", "化学/材料", "土木", "计算机", "材料"]
CITIES = [(None, None), ("南京", "江苏"), ("苏州", "江苏"), ("杭州", "浙江"), ("上海", None)]


def _need(rng: random.Random, keywords: bool) -> Need:
    city, province = rng.choice(CITIES)
    return Need(id="n1", title="".join(rng.sample(WORDS, 3)),
                description="需要" + "、".join(rng.sample(WORDS, 3)),
                keywords=rng.sample(WORDS, 2) if keywords else [],
                industry=rng.choice([None, "新能源", "建筑"]), city=city, province=province)


def _case(seed: int) -> tuple[Query, frozenset[str], Ranking, dict, dict, np.ndarray,
                              np.ndarray, frozenset[str]]:
    rng = random.Random(seed)
    need = _need(rng, keywords=seed % 2 == 0)
    hits, records, tokens = [], {}, {}
    n = rng.randint(1, 30)
    for i in range(n):
        rid = f"a{i:03d}"
        lexical = (Component(score=rng.uniform(0, 30), rank=i + 1) if rng.random() < 0.7
                   else Component())
        hits.append(Hit(id=rid, kind="achievement", score=rng.uniform(0, 0.04), rank=i + 1,
                        lexical=lexical, dense=Component(score=rng.random(), rank=i + 1)))
        if rng.random() < 0.1:
            continue  # a hit whose record is gone: left out of the table
        city, province = rng.choice(CITIES)
        stamp = NOW - timedelta(days=rng.randint(0, 4000)) if rng.random() < 0.8 else None
        records[rid] = Achievement(
            id=rid, title="".join(rng.sample(WORDS, 2)), abstract="、".join(rng.sample(WORDS, 4)),
            keywords=rng.sample(WORDS, rng.randint(0, 3)),
            discipline=rng.choice(DISCIPLINES), industry=rng.choice([None, "新能源", "建筑"]),
            city=city, province=province, maturity=rng.choice([None, 1, 5, 9]),
            updated_at=stamp)
        if rng.random() < 0.9:
            tokens[rid] = frozenset(rng.sample(WORDS, rng.randint(0, 6)))
    dense = np.array([rng.uniform(0.5, 0.95) for _ in hits], dtype=np.float32)
    vectors = np.array([[rng.gauss(0, 1) for _ in range(8)] for _ in hits], dtype=np.float32)
    q_tokens = frozenset(rng.sample(WORDS, rng.randint(0, 5)))
    translated = frozenset(rng.sample(WORDS, 2)) if seed % 3 == 0 else frozenset()
    return (Query.of(need), q_tokens, Ranking(kind="achievement", mode="hybrid", hits=hits),
            records, tokens, dense, vectors, translated)


@pytest.mark.parametrize("prf", [True, False])
def test_column_wise_table_equals_build_table(prf: bool) -> None:
    shared = CandidateMemo()
    for seed in range(60):
        query, q_tokens, ranking, records, tokens, dense, vectors, translated = _case(seed)
        if seed % 5 == 0:
            query = Query.of("锂电池、隔膜、回收")  # free text, list style: the gated columns
        elif seed % 5 == 1:  # patent language: the phrase evidence mixed into hybrid_mm
            query = Query.of("一种锂电池隔膜涂层的回收方法")
        want = build_table(query, q_tokens, ranking, "achievement", records, tokens, dense,
                           now=NOW, translated=translated, vectors=vectors, prf=prf)
        for memo in (None, shared, CandidateMemo()):  # fresh, and remembered across cases
            got = achievement_table(query, q_tokens, ranking, records, tokens, dense,
                                    now=NOW, translated=translated, vectors=vectors, prf=prf,
                                    memo=memo)
            assert got.ids == want.ids and got.names == want.names
            assert got.values.shape == want.values.shape
            assert np.array_equal(got.values, want.values), (seed, [
                n for j, n in enumerate(want.names)
                if not np.array_equal(got.values[:, j], want.values[:, j])])
        assert want.values.any()  # the comparison is not between two empty tables


def test_applies_only_to_achievements() -> None:
    ach = Achievement(id="a", title="锂电池")
    assert applies("achievement", {"a": ach})
    assert not applies("expert", {"a": ach})
    assert not applies("achievement", {"a": ach, "e": Expert(id="e", name="张三")})


def test_memo_returns_the_values_and_follows_a_changed_record() -> None:
    memo = CandidateMemo(max_entries=2)
    old = Achievement(id="a", title="锂電池隔膜", abstract="用於儲能")
    assert memo.text(old) == old.text()
    new = Achievement(id="a", title="桥梁检测")  # the same id parsed again after a change
    assert memo.text(new) == "桥梁检测" != memo.text(old)
    assert memo.lowered(new) == new.text().lower()
    for text in ("锂電池 ＡＢＣ", "Battery SENSOR", "", "桥梁"):
        assert memo.normalized(text) == normalize(text)
        assert memo.language(text) == language(text)
