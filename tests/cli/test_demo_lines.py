"""What `techmatch demo` prints for one ranked hit."""

from __future__ import annotations

from techmatch.cli.demo import hit_line
from techmatch.models.results import Hit


def test_a_hit_line_names_the_pairs_conflict() -> None:
    plain = Hit(id="E001", kind="expert", score=1.0, rank=1, title="刘振宇", confidence=0.97)
    staff = plain.model_copy(update={"id": "E003", "rank": 3, "title": "钱峰",
                                     "conflict": "same_organization"})
    assert hit_line("expert", plain) == "  专家 1. E001   置信度 0.97  刘振宇  ← "
    assert hit_line("expert", staff) == (
        "  专家 3. E003   置信度 0.97  钱峰（专家任职于需求企业）  ← ")
