"""Records: required text, list splitting, ranges, unknown fields."""

from __future__ import annotations

import pydantic
import pytest

from techmatch.errors import ValidationError
from techmatch.models import Achievement, Expert, Need, record_type


def test_a_record_needs_some_text() -> None:
    with pytest.raises(pydantic.ValidationError, match="标题、需求描述与关键词至少填写一项"):
        Need(id="n1")
    assert Need(id="n1", keywords=["储能"]).keywords == ["储能"]


def test_lists_accept_joined_strings() -> None:
    a = Achievement(id="a1", title="t", keywords="储能、锂电池,正极；隔膜", owners="E1 E2")
    assert a.keywords == ["储能", "锂电池", "正极", "隔膜"]
    assert a.owners == ["E1", "E2"]


def test_maturity_range_and_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError, match="maturity"):
        Achievement(id="a1", title="t", maturity=12)
    with pytest.raises(pydantic.ValidationError, match="colour"):
        Need(id="n1", title="t", colour="red")


def test_facets_and_text() -> None:
    e = Expert(id="e1", name="王明", title="教授", bio="研究锂电池", disciplines=["材料科学"],
               city="苏州")
    assert e.facets()["discipline"] == ("材料科学",) and e.facets()["city"] == ("苏州",)
    assert e.facets()["industry"] == () and e.facets()["language"] == ("zh",)
    assert "研究锂电池" in e.text() and e.kind == "expert"


def test_expert_facets_hold_every_value() -> None:
    """Filters read every discipline / industry / language of an expert, not only the first."""
    e = Expert(id="e2", name="李娜", bio="锂电池", disciplines="材料科学、化学工程、材料科学",
               industries=["新能源", "新材料"], languages=["zh", "en"])
    facets = e.facets()
    assert facets["discipline"] == ("材料科学", "化学工程")
    assert facets["industry"] == ("新能源", "新材料") and facets["language"] == ("zh", "en")


def test_record_type_lists_valid_kinds() -> None:
    with pytest.raises(ValidationError, match="未知记录类型 patent（可选：need（需求）、"):
        record_type("patent")


def test_a_long_title_is_shown_cut_with_an_ellipsis() -> None:
    """A work of an expert read 'Transformer-based remaining useful life prediction for
    semiconductor manufacturi': display titles were cut at 80 characters without a mark."""
    from techmatch.models.records import Achievement

    long = "Transformer-based remaining useful life prediction for semiconductor manufacturing"
    shown = Achievement(id="A1", title=long).display_title
    assert len(long) > 80 and len(shown) == 80 and shown == long[:79] + "…"
    assert Achievement(id="A2", title=long[:80]).display_title == long[:80]
    assert Achievement(id="A3", keywords=["x" * 50, "y" * 50]).display_title.endswith("…")
