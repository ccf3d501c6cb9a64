"""Discipline centroids (techmatch.matcher.fieldprofile) and the experts' `field_profile`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import make_engine

from techmatch.matcher.features import Query, field_profile
from techmatch.matcher.fieldprofile import FieldCentroids
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement, Expert

RECORDS = [
    Achievement(id="a1", title="动力电池热失控预警", abstract="电池温度监测。", discipline="材料"),
    Achievement(id="a2", title="锂电池正极材料", abstract="高镍正极。", discipline="材料/化学"),
    Achievement(id="a3", title="印染废水膜过滤", abstract="膜分离处理废水。", discipline="环境"),
    Achievement(id="a4", title="小麦抗旱育种", abstract="抗旱品种。"),  # no discipline
]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _expected(engine, members: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    vecs = engine.index("achievement").vectors(members).astype(np.float64)
    return _unit(sum(_unit(v) for v in vecs))


def test_centroid_is_the_unit_mean_of_its_achievements_unit_vectors(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "home", RECORDS)
    names, matrix = FieldCentroids(engine).centroids()
    assert names == ["化学", "材料", "环境"]  # a4 has none; a2 counts for both of its own
    got = dict(zip(names, matrix, strict=True))
    assert got["材料"] == pytest.approx(_expected(engine, ["a1", "a2"]), abs=1e-6)
    assert got["化学"] == pytest.approx(_expected(engine, ["a2"]), abs=1e-6)
    assert got["环境"] == pytest.approx(_expected(engine, ["a3"]), abs=1e-6)
    q = _unit(np.arange(1, matrix.shape[1] + 1, dtype=np.float32))
    profile = FieldCentroids(engine).profile(q)
    assert profile["材料"] == pytest.approx(float(got["材料"] @ q), abs=1e-6)
    engine.close()


def test_centroids_follow_changes_and_deletions(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "home", RECORDS)
    centroids = FieldCentroids(engine)
    assert "环境" in centroids.centroids()[0]
    engine.store.upsert([RECORDS[2].model_copy(update={"discipline": "化学"}),
                         RECORDS[3].model_copy(update={"discipline": "农学"})])
    engine.store.delete("a1")
    engine.sync()
    names, matrix = centroids.centroids()
    assert names == ["农学", "化学", "材料"]
    got = dict(zip(names, matrix, strict=True))
    assert got["化学"] == pytest.approx(_expected(engine, ["a2", "a3"]), abs=1e-6)
    assert got["材料"] == pytest.approx(_expected(engine, ["a2"]), abs=1e-6)
    engine.close()


def test_no_achievement_index_gives_no_profile(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "home")
    assert FieldCentroids(engine).profile(np.ones(8, dtype=np.float32)) == {}
    engine.close()


def test_field_profile_is_the_best_cosine_over_the_experts_field_less_the_needs_best() -> None:
    profile = {"材料": 0.8, "化学": 0.6}
    assert field_profile(frozenset({"化学", "材料"}), profile) == 0.0
    assert field_profile(frozenset({"化学", "法学"}), profile) == pytest.approx(-0.2)
    assert field_profile(frozenset({"法学"}), profile) is None
    assert field_profile(frozenset(), profile) is None


def test_service_weighs_the_field_profile_of_the_experts(tmp_path: Path) -> None:
    """Two experts with the same work: the one whose own discipline's centroid is closer to
    the need gets the higher `field_profile`, and the default expert model adds weight × it."""
    engine = make_engine(tmp_path / "home", [
        *RECORDS,
        Expert(id="e1", name="甲", works=["a3"], disciplines=["环境"]),
        Expert(id="e2", name="乙", works=["a3"], disciplines=["材料"]),
    ])
    service = MatchService(engine)
    scored = service._score([Query.of("电池正极材料热失控")], "expert", filters=None, mode=None,
                            depth=service.depth, vectors=None)[0]
    model = scored.model
    col = dict(zip(scored.table.ids, scored.table.column("field_profile"), strict=True))
    assert col["e2"] > col["e1"]
    weight = model.weights[model.features.index("field_profile")]
    assert weight > 0
    parts = model.contributions(scored.table.values, scored.table.names)
    share = dict(zip(scored.table.ids, parts[:, model.features.index("field_profile")],
                     strict=True))
    assert share["e2"] - share["e1"] == pytest.approx(weight * (col["e2"] - col["e1"]))
    assert [h.id for h in service.search("电池正极材料热失控", kind="expert", k=2).hits] \
        == ["e2", "e1"]
    engine.close()
