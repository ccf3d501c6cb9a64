"""Contract every `Index` backend must meet; backends subclass `IndexContract` in their own file.

Dense-dependent tests have `dense` in their names so a lexical-only run can skip them. The
`FakeEncoder` (hash-seeded unit vectors) keeps these tests fast; the real e5 encoder is
exercised in tests/indexers/test_embedded.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from techmatch.config import Settings
from techmatch.indexers.base import Index
from techmatch.indexers.encoders import HashEncoder
from techmatch.indexers.factory import open_index, sync_index
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import Achievement, Expert
from techmatch.models.results import Filters
from techmatch.store import Store


class FakeEncoder(HashEncoder):
    """Hash-seeded unit vectors of dim 16 (see HashEncoder). Tests only."""

    id = "fake-hash-16"
    dim = 16


def _ach(rid: str, title: str, abstract: str, city: str, industry: str,
         kind: str = "patent") -> Achievement:
    return Achievement(id=rid, title=title, abstract=abstract, city=city, province="江苏",
                       industry=industry, type=kind)


def contract_records() -> list[Achievement]:
    """A dozen achievements: eight strong 锂电池 matches in 苏州, weaker ones in 深圳."""
    strong = [_ach(f"su-{i:02d}", f"锂电池正极材料制备方法{i}",
                   "一种锂电池正极材料，提高锂电池正极材料的循环寿命和锂电池能量密度", "苏州",
                   "新能源") for i in range(8)]
    weak = [_ach(f"sz-{i:02d}", f"智能制造产线改造{i}",
                 "面向电子装配的产线改造方案，兼顾设备联网与质量追溯，也适用于锂电池模组装配",
                 "深圳", "智能制造", kind="technology") for i in range(3)]
    other = [_ach("gx-00", "光伏组件清洗机器人", "光伏电站组件自动清洗，节水降本", "南京",
                  "新能源", kind="technology")]
    return strong + weak + other


def contract_experts() -> list[Expert]:
    """Experts with several disciplines / industries / languages (a filter on any value must
    find them), names and organisations (searched only through the `names` field)."""
    return [
        Expert(id="ex-1", name="张伟", organization="清华大学", title="教授",
               bio="锂电池正极材料与储能", disciplines=["材料科学", "化学工程"],
               industries=["新能源", "新材料"], languages=["zh", "en"], city="北京"),
        Expert(id="ex-2", name="李娜", organization="南京大学", title="研究员",
               bio="锂电池隔膜与电解液", disciplines=["化学工程"], industries=["新能源"],
               city="南京"),
        Expert(id="ex-3", name="王芳", organization="清华大学", title="副教授",
               bio="光伏组件与储能系统集成", disciplines=["电气工程"], industries=["新能源"],
               city="北京"),
        Expert(id="ex-4", name="陈明", organization="苏州大学", title="高级工程师",
               bio="工业机器人视觉检测与智能制造产线", disciplines=["机械工程", "计算机科学"],
               industries=["智能制造", "人工智能", "新能源"], city="苏州"),
    ]


class Harness:
    """Store + backend under test: load records, delete, and reopen the current index."""

    def __init__(self, settings: Settings, tokenizer: Tokenizer) -> None:
        self.settings = settings
        self.tokenizer = tokenizer
        self.encoder = FakeEncoder()
        self.store = Store(Path(settings.home) / "store.sqlite")

    def sync(self, kind: str = "achievement") -> Index:
        sync_index(self.settings, kind, self.store, encoder=self.encoder,
                   tokenizer=self.tokenizer)
        return open_index(self.settings, kind, encoder=self.encoder, tokenizer=self.tokenizer)

    def load(self, records: Sequence[Achievement | Expert], kind: str = "achievement") -> Index:
        self.store.upsert(list(records))
        return self.sync(kind)

    def delete(self, rid: str) -> Index:
        self.store.delete(rid)
        return self.sync()

    def tokens(self, text: str) -> list[str]:
        return self.tokenizer.tokens(text)


class IndexContract:
    """Behaviour shared by every backend. Override `settings()` to select the backend."""

    def settings(self, home: Path) -> Settings:
        return Settings(home=home, threads=1)

    @pytest.fixture(scope="class")
    def tokenizer(self) -> Tokenizer:
        return Tokenizer()

    @pytest.fixture
    def harness(self, tmp_path: Path, tokenizer: Tokenizer) -> Harness:
        return Harness(self.settings(tmp_path / "home"), tokenizer)

    @pytest.fixture
    def index(self, harness: Harness) -> Index:
        return harness.load(contract_records())

    def test_count_and_has(self, index: Index) -> None:
        assert index.count() == 12
        assert index.has("su-03") and index.has("gx-00")

    def test_lexical_order(self, harness: Harness, index: Index) -> None:
        found = index.search_lexical(harness.tokens("锂电池 正极材料"), k=20)
        assert set(found.ids[:8]) == {f"su-{i:02d}" for i in range(8)}
        assert set(found.ids[8:]) == {"sz-00", "sz-01", "sz-02"}
        assert list(found.scores) == sorted(found.scores, reverse=True)
        assert "gx-00" not in found.ids

    def test_lexical_ties_broken_by_id(self, harness: Harness, index: Index) -> None:
        found = index.search_lexical(harness.tokens("产线改造"), k=10)
        assert found.ids == ["sz-00", "sz-01", "sz-02"]

    def test_lexical_filters_inside_retrieval(self, harness: Harness, index: Index) -> None:
        tokens = harness.tokens("锂电池 正极材料")
        found = index.search_lexical(tokens, k=3, filters=Filters(city=["深圳"]))
        assert sorted(found.ids) == ["sz-00", "sz-01", "sz-02"]

    def test_lexical_filter_values_are_normalised(self, harness: Harness, index: Index) -> None:
        found = index.search_lexical(harness.tokens("锂电池"), k=20,
                                     filters=Filters(city=["蘇州"], type=["patent"]))
        assert sorted(found.ids) == [f"su-{i:02d}" for i in range(8)]

    def test_lexical_exclude_ids(self, harness: Harness, index: Index) -> None:
        found = index.search_lexical(harness.tokens("产线改造"), k=10,
                                     filters=Filters(exclude_ids=["sz-01", "unknown"]))
        assert found.ids == ["sz-00", "sz-02"]

    def test_lexical_unknown_filter_value_and_empty_query(self, harness: Harness,
                                                          index: Index) -> None:
        none = index.search_lexical(harness.tokens("锂电池"), k=5,
                                    filters=Filters(city=["拉萨"]))
        assert none.ids == []
        assert index.search_lexical([], k=5).ids == []
        assert index.search_lexical(["从未出现的词"], k=5).ids == []

    def test_lexical_repeated_query_tokens_count_once(self, index: Index) -> None:
        once = index.search_lexical(["锂电池", "光伏"], k=20)
        twice = index.search_lexical(["锂电池", "光伏", "锂电池", "锂电池"], k=20)
        assert once.ids == twice.ids and len(once.ids) == 12
        assert np.allclose(once.scores, twice.scores, rtol=1e-6)

    def test_document_frequencies(self, harness: Harness, index: Index) -> None:
        """What BM25 counts (the cross-language lexical merge scales by it)."""
        terms = ["锂电池", "光伏", "产线", "从未出现的词"]
        held = [set(harness.tokens(r.text())) for r in contract_records()]
        expected = [sum(t in h for h in held) for t in terms]
        assert expected[0] > 1 and expected[-1] == 0
        df = index.doc_freqs([*terms, "锂电池"])
        assert df is not None and df.tolist() == expected

    def test_delete_removes_doc(self, harness: Harness, index: Index) -> None:
        after = harness.delete("su-02")
        assert after.count() == 11 and not after.has("su-02")
        found = after.search_lexical(harness.tokens("锂电池 正极材料"), k=20)
        assert "su-02" not in found.ids and len(found.ids) == 10

    def test_upsert_changes_doc(self, harness: Harness, index: Index) -> None:
        changed = _ach("gx-00", "氢燃料电池催化剂", "低铂催化剂用于氢燃料电池电堆", "南京",
                       "新能源")
        after = harness.load([changed])
        assert after.count() == 12
        assert after.search_lexical(harness.tokens("催化剂"), k=5).ids == ["gx-00"]
        assert after.search_lexical(harness.tokens("光伏"), k=5).ids == []

    def test_unknown_ids(self, index: Index) -> None:
        assert not index.has("no-such-id")

    def test_dense_self_is_top1(self, index: Index) -> None:
        ids = [r.id for r in contract_records()]
        vectors = index.vectors(ids)
        results = index.search_dense_batch(vectors, k=3)
        assert [r.ids[0] for r in results] == ids
        assert all(abs(float(r.scores[0]) - 1.0) < 1e-4 for r in results)

    def test_dense_filters_inside_retrieval(self, index: Index) -> None:
        query = index.vectors(["su-00"])[0]
        found = index.search_dense(query, k=3, filters=Filters(city=["深圳"]))
        assert sorted(found.ids) == ["sz-00", "sz-01", "sz-02"]
        excluded = index.search_dense(query, k=12, filters=Filters(exclude_ids=["su-00"]))
        assert "su-00" not in excluded.ids and len(excluded.ids) == 11

    def test_dense_unknown_ids_give_zero_rows(self, index: Index) -> None:
        vectors = index.vectors(["no-such-id", "su-01"])
        assert not vectors[0].any() and abs(float(np.linalg.norm(vectors[1])) - 1.0) < 1e-4

    def test_dense_delete_and_upsert(self, harness: Harness, index: Index) -> None:
        old = index.vectors(["gx-00"])[0]
        after = harness.delete("su-00")
        assert "su-00" not in after.search_dense(old, k=12).ids
        changed = _ach("gx-00", "氢燃料电池催化剂", "低铂催化剂", "南京", "新能源")
        after = harness.load([changed])
        assert not np.allclose(after.vectors(["gx-00"])[0], old)
        assert after.search_dense(after.vectors(["gx-00"])[0], k=1).ids == ["gx-00"]

    # -- experts: multi-valued facets ------------------------------------------------------
    @pytest.fixture
    def experts(self, harness: Harness) -> Index:
        return harness.load(contract_experts(), kind="expert")

    def test_lexical_filter_matches_any_value_of_a_facet(self, harness: Harness,
                                                         experts: Index) -> None:
        """An expert's second discipline / industry / language filters like the first."""
        tokens = harness.tokens("锂电池 储能 智能制造")
        found = experts.search_lexical(tokens, k=10, filters=Filters(discipline=["化学工程"]))
        assert sorted(found.ids) == ["ex-1", "ex-2"]
        found = experts.search_lexical(tokens, k=10, filters=Filters(industry=["人工智能"]))
        assert found.ids == ["ex-4"]
        found = experts.search_lexical(tokens, k=10, filters=Filters(language=["en"]))
        assert found.ids == ["ex-1"]
        both = Filters(discipline=["计算机科学", "电气工程"], industry=["新能源"])
        assert sorted(experts.search_lexical(tokens, k=10, filters=both).ids) == ["ex-3", "ex-4"]
        none = Filters(discipline=["计算机科学"], industry=["新材料"])  # facets AND, values OR
        assert experts.search_lexical(tokens, k=10, filters=none).ids == []

    def test_dense_filter_matches_any_value_of_a_facet(self, experts: Index) -> None:
        query = experts.vectors(["ex-2"])[0]
        found = experts.search_dense(query, k=4, filters=Filters(industry=["新材料"]))
        assert found.ids == ["ex-1"]
        found = experts.search_dense(query, k=4, filters=Filters(discipline=["计算机科学"]))
        assert found.ids == ["ex-4"]
        found = experts.search_dense(query, k=4, filters=Filters(industry=["新能源"],
                                                                 exclude_ids=["ex-2"]))
        assert sorted(found.ids) == ["ex-1", "ex-3", "ex-4"]

    def test_dense_multi_valued_filter_after_delete_and_upsert(self, harness: Harness,
                                                               experts: Index) -> None:
        """Compaction and incremental syncs keep a row's further values with that row."""
        harness.store.delete("ex-1")
        after = harness.sync("expert")
        query = after.vectors(["ex-2"])[0]
        assert after.search_dense(query, k=4, filters=Filters(industry=["新材料"])).ids == []
        moved = contract_experts()[1].model_copy(update={"industries": ["新能源", "新材料"]})
        after = harness.load([moved], kind="expert")
        assert after.search_dense(query, k=4, filters=Filters(industry=["新材料"])).ids == [
            "ex-2"]
        assert after.search_dense(query, k=4, filters=Filters(industry=["人工智能"])).ids == [
            "ex-4"]

    # -- experts: names and organisations (their own field) --------------------------------
    def test_names_are_searched_in_their_own_field(self, harness: Harness,
                                                   experts: Index) -> None:
        """An expert's name and organisation are found by `search_names`, and only there:
        the BM25 body that matching searches does not hold them."""
        assert experts.search_names(harness.tokens("张伟"), k=10).ids == ["ex-1"]
        found = experts.search_names(harness.tokens("清华大学"), k=10)  # 清华 华大 大学 清华大学
        assert sorted(found.ids[:2]) == ["ex-1", "ex-3"] and len(found.ids) == 4  # 大学: all
        assert found.scores[1] > found.scores[2] > 0
        assert experts.search_names(harness.tokens("苏州大学 陈明"), k=10).ids[0] == "ex-4"
        assert experts.search_lexical(harness.tokens("张伟 清华大学"), k=10).ids == []
        assert experts.search_names(harness.tokens("锂电池 储能"), k=10).ids == []
        assert experts.search_names([], k=10).ids == []

    def test_name_search_filters_and_follows_changes(self, harness: Harness,
                                                     experts: Index) -> None:
        tokens = harness.tokens("清华大学")
        found = experts.search_names(tokens, k=10, filters=Filters(discipline=["化学工程"]))
        assert found.ids == ["ex-1", "ex-2"]  # ex-2: 南京大学 shares 大学
        found = experts.search_names(tokens, k=10, filters=Filters(exclude_ids=["ex-1"]))
        assert found.ids[0] == "ex-3" and "ex-1" not in found.ids
        moved = contract_experts()[2].model_copy(update={"organization": "浙江"})
        after = harness.load([moved], kind="expert")
        assert after.search_names(tokens, k=10).ids[0] == "ex-1"
        assert "ex-3" not in after.search_names(tokens, k=10).ids
        assert after.search_names(harness.tokens("浙江"), k=10).ids == ["ex-3"]
        harness.store.delete("ex-1")
        assert "ex-1" not in harness.sync("expert").search_names(tokens, k=10).ids

    def test_records_without_names_answer_no_name_search(self, harness: Harness,
                                                         index: Index) -> None:
        assert index.search_names(harness.tokens("锂电池"), k=10).ids == []
