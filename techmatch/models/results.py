"""Queries, filters, hits and explanations: what is asked and what comes back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from techmatch.models.dockings import Excluded
from techmatch.models.plan_labels import CONFLICT_LABELS
from techmatch.models.signals import signal_label

Mode = Literal["lexical", "dense", "hybrid"]
Conflict = Literal["own_result", "same_organization", "excluded"]  # techmatch.matcher.conflicts
Fusion = Literal["rrf", "weighted"]
Normalization = Literal["minmax", "zscore"]


class Filters(BaseModel):
    """Exact-match facet filters applied inside retrieval (a list means any of)."""

    model_config = ConfigDict(extra="forbid")

    province: list[str] | None = None
    city: list[str] | None = None
    industry: list[str] | None = None
    discipline: list[str] | None = None
    type: list[str] | None = None
    status: list[str] | None = None
    language: list[str] | None = None
    exclude_ids: list[str] | None = None

    def facet_items(self) -> list[tuple[str, list[str]]]:
        """(facet, allowed values) for every facet that is set, exclude_ids left out."""
        out = []
        for name, value in self.model_dump().items():
            if name != "exclude_ids" and value:
                out.append((name, list(value)))
        return out

    def is_empty(self) -> bool:
        return not self.facet_items() and not self.exclude_ids


class Component(BaseModel):
    """One retriever's view of a hit: its raw score and 1-based rank (None = not retrieved)."""

    score: float | None = None
    rank: int | None = None


class Contribution(BaseModel):
    """One ranking signal's value and its weighted contribution to the final score; `name` is
    the stable code, `label` its Chinese name (techmatch.models.signals)."""

    name: str
    value: float
    weight: float
    contribution: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        return signal_label(self.name)


class Highlight(BaseModel):
    """A matched term and where it occurs in the original (display) text of each side."""

    term: str
    query_spans: list[tuple[int, int]] = Field(default_factory=list)
    record_spans: list[tuple[int, int]] = Field(default_factory=list)
    display: str = Field("", description="the term as the query's original text writes it "
                         "(PCB, 氫氧化銨); `term` is its matching form (pcb, 氢氧化铵)")


class Explanation(BaseModel):
    """Why a record matched: terms on both sides, best sentence pair, signal contributions."""

    matched_terms: list[Highlight] = Field(default_factory=list)
    query_sentence: str | None = None
    record_sentence: str | None = None
    sentence_similarity: float | None = None
    contributions: list[Contribution] = Field(default_factory=list)
    intercept: float | None = Field(None, description="the ranking model's constant: score = "
                                    "intercept + Σ contributions (None: not recorded)")
    works: list[dict[str, object]] = Field(default_factory=list,
                                           description="expert hits: the works that matched")
    notes: list[str] = Field(default_factory=list)


MATCH_BY_LABELS = {"id": "编号一致", "name": "名称一致"}


class Hit(BaseModel):
    """One scored record in answer to a query."""

    id: str
    kind: str
    score: float
    rank: int
    title: str = ""
    lexical: Component = Field(default_factory=Component)
    dense: Component = Field(default_factory=Component)
    confidence: float | None = None
    explanation: Explanation | None = None
    duplicate_of: str | None = None
    conflict: Conflict | None = Field(
        default=None, description="relevant but no docking: the need's enterprise owns the "
                                  "achievement, or the expert works for it / declared it in "
                                  "exclusions (plans refuse such pairs)")
    named: bool = Field(
        default=False, description="free-text search: the text names this record — its id "
                                   "(编号一致) or its name, organisation, institution or "
                                   "enterprise whole or by a clear start (名称一致); such hits "
                                   "are listed first, by id before by name (`match_by`)")
    match_by: Literal["id", "name"] | None = Field(
        default=None, description="how the text names this record (`named`): id (the whole "
                                  "text is its id, folded: Ｎ０１６ or n016 is N016) or name")
    record: dict[str, object] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def conflict_label(self) -> str | None:
        return CONFLICT_LABELS.get(self.conflict) if self.conflict else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def match_by_label(self) -> str | None:
        return MATCH_BY_LABELS.get(self.match_by) if self.match_by else None


MessageCode = Literal["no_good_match", "only_conflicted", "no_filter_match", "named_match",
                      "id_match"]


class Ranking(BaseModel):
    """Ordered hits for one query, with the index generation that answered it."""

    query_id: str | None = None
    kind: str
    mode: str
    hits: list[Hit]
    generation: str | None = None
    routed_to_staff: bool = False
    message: str | None = None
    message_code: MessageCode | None = Field(
        default=None, description="stable code of `message`: no_good_match (no hit that can "
        "become a docking is confident: routed), only_conflicted (the confident hits are "
        "conflicted: routed), no_filter_match (the filters left no candidate: not routed, "
        "widen them), named_match (a search lists first the records its text names, "
        "`Hit.named`, and none is confident: not routed — staff found what they named), "
        "id_match (the same, the text being the first such record's id: `match_by` id)")
    excluded: list[Excluded] | None = Field(
        default=None, description="asked for: candidates left out because staff dropped the "
                                  "pair (not relevant / never suggest), with the reason")
