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


def test_a_hit_line_writes_terms_as_the_need_does() -> None:
    """The demo listed ← semi、tmah、氢氧化铵 under N006, which writes SEMI、TMAH、氫氧化銨 (the
    console, `techmatch match` and the export show the need's writing)."""
    from techmatch.models.results import Explanation, Highlight

    terms = [Highlight(term="semi", display="SEMI", query_spans=[(0, 4)], record_spans=[(0, 4)]),
             Highlight(term="氢氧化铵", display="氫氧化銨", query_spans=[(5, 9)],
                       record_spans=[(5, 9)])]
    hit = Hit(id="A013", kind="achievement", score=1.0, rank=1, title="電子級TMAH",
              confidence=1.0, explanation=Explanation(matched_terms=terms))
    assert hit_line("achievement", hit).endswith("← SEMI、氫氧化銨")
