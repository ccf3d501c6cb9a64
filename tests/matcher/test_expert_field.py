"""Field agreement of experts (techmatch.matcher.experts / features): the need's field sample
from its works ranking, an expert's coverage of it, and the combined expert confidence."""

from __future__ import annotations

import numpy as np
import pytest

from techmatch.matcher.abstain import combine
from techmatch.matcher.experts import field_lead, field_sample
from techmatch.matcher.features import (
    FEATURES,
    Query,
    WorkScores,
    build_table,
    work_field,
)
from techmatch.models.records import Expert
from techmatch.models.results import Hit, Ranking

MAT, CHEM, LAW = frozenset({"材料"}), frozenset({"化学"}), frozenset({"法学"})


def test_field_sample_takes_the_best_k_with_known_disciplines_by_score_then_id() -> None:
    hybrid = {"a3": 0.5, "a1": 1.0, "a2": 0.5, "a4": 0.2}
    fields = {"a1": MAT, "a2": CHEM, "a3": frozenset(), "a4": LAW}
    # top 3 by score then id: a1, a2, a3; a3 has no discipline and is left out
    assert field_sample(hybrid, fields, k=3) == ((1.0, MAT), (0.5, CHEM))
    assert field_sample({}, fields) == ()


def test_field_lead_is_the_largest_weighted_share_of_one_discipline() -> None:
    sample = ((1.0, MAT), (0.5, CHEM), (0.5, MAT | CHEM))
    assert field_lead(sample) == pytest.approx(1.5 / 2.0)
    assert field_lead(()) == 0.0


def _expert(eid: str, works: list[str], disciplines: list[str] | None = None) -> Expert:
    return Expert(id=eid, name=eid, works=works, disciplines=disciplines or [])


def test_work_field_is_the_covered_share_from_works_and_own_disciplines() -> None:
    works = WorkScores(fields={"w1": MAT, "w2": LAW},
                       field=((1.0, MAT), (0.5, CHEM), (0.5, LAW)))
    assert work_field(_expert("e1", ["w1"]), works) == pytest.approx(0.5)
    assert work_field(_expert("e2", ["w1", "w2"]), works) == pytest.approx(0.75)
    assert work_field(_expert("e3", [], ["化学"]), works) == pytest.approx(0.25)
    assert work_field(_expert("e4", ["unknown"]), works) is None  # no field known
    assert work_field(_expert("e1", ["w1"]), WorkScores(fields=works.fields)) is None


def _column(experts: dict[str, Expert], works: WorkScores, name: str) -> dict[str, float]:
    """Expert feature `name` of every expert, all ranked alike for the query "q"."""
    assert name in FEATURES["expert"]
    ranking = Ranking(kind="expert", mode="hybrid",
                      hits=[Hit(id=e, kind="expert", score=1.0, rank=i + 1)
                            for i, e in enumerate(experts)])
    table = build_table(Query(text="q"), frozenset({"q"}), ranking, "expert", experts, {},
                        np.zeros(len(experts)), works=works, prf=False)
    return dict(zip(table.ids, table.column(name).tolist(), strict=True))


def test_unknown_field_is_neutral_within_the_query() -> None:
    works = WorkScores(hybrid={"w1": 1.0, "w2": 0.5}, fields={"w1": MAT, "w2": LAW},
                       field=((1.0, MAT), (0.5, LAW)))
    experts = {"e1": _expert("e1", ["w1"]), "e2": _expert("e2", ["w2"]),
               "e3": _expert("e3", ["nothing"])}
    col = _column(experts, works, "work_field")
    assert col["e1"] == pytest.approx(2 / 3) and col["e2"] == pytest.approx(1 / 3)
    assert col["e3"] == pytest.approx(0.5)  # the mean of the known ones


def test_combined_confidence_adds_the_close_work_probability() -> None:
    assert combine(0.0, 0.3) == pytest.approx(0.3)
    assert combine(0.9, 0.3) == pytest.approx(0.93)
    assert combine(1.0, 0.0) == pytest.approx(1.0)
    out = combine(np.array([0.2, 0.5]), np.array([0.5, 0.0]))
    assert out.tolist() == pytest.approx([0.6, 0.5])


def test_field_profile_column_reads_own_and_works_disciplines_unknown_is_the_mean() -> None:
    works = WorkScores(fields={"w1": MAT}, profile={"材料": 0.9, "化学": 0.5, "法学": 0.2})
    experts = {"e1": _expert("e1", ["w1"]), "e2": _expert("e2", [], ["化学"]),
               "e3": _expert("e3", [])}
    assert _column(experts, works, "field_profile") == pytest.approx(
        {"e1": 0.0, "e2": -0.4, "e3": -0.2})
