"""Evaluated configurations: a registry name → callable(context) → run, and their shared context.

Each retriever's candidate lists are fetched once per query set at the largest depth any
configuration needs; hybrid configurations fuse each retriever's top-`depth` in memory with the
same fusion code `Retriever.search_many` uses, so every configuration is scored exactly as
`search` would answer it, and tuning can try many fusion settings without searching again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from techmatch.config import RetrievalParams
from techmatch.errors import ValidationError
from techmatch.indexers.base import Candidates
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.retrieve import Retriever
from techmatch.models.results import Ranking

log = logging.getLogger(__name__)

Run = dict[str, list[str]]

# Ranker configurations → the model each ranks with. `ranker-default` is what a new home ranks
# with out of the box (techmatch.matcher.shipped: the model shipped in the package for this
# encoder, else the untrained weights); `ranker-untrained` the hand-set default weights; `ranker`
# the model `train-ranker` saved in the evaluation home. (Until 2026-11-30 `ranker-default`
# named the untrained weights; older tables in docs/evaluation.md use it that way.)
RANKER_MODELS = {"ranker": "trained", "ranker-default": "shipped",
                 "ranker-untrained": "untrained"}


def model_label(model: Any) -> str:
    """What a report says about a ranker model: what it was fitted on, or that it is not."""
    trained_on = getattr(model, "trained_on", None) or {}
    if not trained_on:
        return "untrained default weights"
    return f"fitted on {trained_on.get('source') or 'unrecorded data'}"


def _as_candidates(ranking: Ranking) -> Candidates:
    return Candidates([h.id for h in ranking.hits],
                      np.array([h.score for h in ranking.hits], dtype=np.float64))


def _head(cands: Candidates, depth: int) -> Candidates:
    return Candidates(cands.ids[:depth], cands.scores[:depth])


@dataclass
class EvalContext:
    """Queries of one split plus the retriever answering them; caches candidate lists.

    `vectors` has shape (len(texts), dim): query vectors computed once for every config.
    """

    retriever: Retriever
    query_ids: list[str]
    texts: list[str]
    default_params: RetrievalParams = field(default_factory=RetrievalParams)
    k: int = 100
    kind: str = "achievement"
    max_depth: int = 200
    vectors: np.ndarray | None = None
    engine: Any = None  # the workspace Engine, for the full ranker
    model_home: Path | None = None  # where `train-ranker` saved the model to evaluate
    query_meta: dict[str, dict[str, object]] = field(default_factory=dict)
    params_used: dict[str, dict[str, object]] = field(default_factory=dict)
    models_used: dict[str, str] = field(default_factory=dict)  # ranker config → its model
    _cache: dict[str, list[Candidates]] = field(default_factory=dict, repr=False)

    def query_vectors(self) -> np.ndarray:
        if self.vectors is None:
            texts = [normalize(t, lower=False) for t in self.texts]
            self.vectors = self.retriever.encoder.encode_queries(texts)
        return self.vectors

    def candidates(self, mode: str, depth: int) -> list[Candidates]:
        """Per query, the `mode` ("lexical" | "dense") retriever's top-`depth` list."""
        if mode not in ("lexical", "dense"):
            raise ValidationError(f"未知检索方式 {mode!r}；可选：lexical、dense",
                                  field="mode")
        have = self._cache.get(mode)
        if have is None or self.max_depth < depth:
            self.max_depth = max(self.max_depth, depth)
            log.info("retrieving %s top-%d for %d queries", mode, self.max_depth,
                     len(self.texts))
            rankings = self.retriever.search_many(
                self.texts, kind=self.kind, k=self.max_depth, mode=mode,
                params=RetrievalParams(mode=mode, depth=self.max_depth),  # type: ignore[arg-type]
                query_ids=self.query_ids,
                vectors=self.query_vectors() if mode == "dense" else None)
            have = self._cache[mode] = [_as_candidates(r) for r in rankings]
        return [_head(c, depth) for c in have]

    def fused(self, params: RetrievalParams) -> list[Candidates]:
        """Per query, the full fused list `search` would rank from (before its top-k cut)."""
        if params.mode != "hybrid":
            return self.candidates(params.mode, max(params.depth, self.k))
        lexical = self.candidates("lexical", params.depth)
        dense = self.candidates("dense", params.depth)
        # The retriever's own fusion step, so evaluation cannot drift from `search`.
        return [Retriever.fuse("hybrid", lex, den, params)
                for lex, den in zip(lexical, dense, strict=True)]

    def ranker_model(self, name: str) -> Any:
        """The model ranker configuration `name` ranks with (see RANKER_MODELS)."""
        from techmatch.matcher.scorer import RankerModel
        from techmatch.matcher.shipped import shipped_model

        which = RANKER_MODELS[name]
        if which == "untrained":
            return RankerModel()
        if which == "shipped":
            encoder = getattr(self.engine.encoder, "id", None) if self.engine else None
            return shipped_model(encoder) or RankerModel()
        return trained_model(self.model_home)

    def ranker_service(self, name: str) -> Any:
        """A MatchService over the workspace ranking with configuration `name`'s model."""
        from techmatch.matcher.service import MatchService

        if self.engine is None:
            raise ValidationError("排序模型需要评估工作区的引擎", field="retrievers")
        model = self.ranker_model(name)
        self.models_used[name] = model_label(model)
        return MatchService(self.engine, model=model)

    def ranker_run(self, name: str) -> Run:
        """Top-`k` ids per query from the full ranker (features → score), explanations off."""
        from techmatch.matcher.train import needs_from_queries, ranking_run

        service = self.ranker_service(name)
        needs = needs_from_queries(dict(zip(self.query_ids, self.texts, strict=True)),
                                   self.query_meta)
        vectors = dict(zip(self.query_ids, self.query_vectors(), strict=True))
        return ranking_run(service, needs, k=self.k, vectors=vectors)

    def untranslated_lexical(self) -> Run:
        """Top-`k` ids per query from BM25 over the query's own words only (no dictionary
        translation): what the lexical side was before query translation."""
        plain = Retriever(self.retriever.indexes, tokenizer=self.retriever.tokenizer,
                          encoder=self.retriever.encoder, translate=False)
        rankings = plain.search_many(
            self.texts, kind=self.kind, k=self.k, mode="lexical",
            params=RetrievalParams(mode="lexical", depth=self.k),  # type: ignore[arg-type]
            query_ids=self.query_ids)
        return {q: [h.id for h in r.hits] for q, r in zip(self.query_ids, rankings, strict=True)}

    def run(self, params: RetrievalParams, *, name: str | None = None) -> Run:
        """Top-`k` ids per query under `params`; `name` records the params in the report."""
        if name is not None:
            self.params_used[name] = params.model_dump()
        return {qid: cands.ids[:self.k]
                for qid, cands in zip(self.query_ids, self.fused(params), strict=True)}


def trained_model(home: Path | None) -> Any:
    """The model `train-ranker` saved in `home` (configuration `ranker`); none is an error."""
    from techmatch.matcher.scorer import load_current

    model = load_current(home) if home else None
    if model is None:
        raise ValidationError(f"{home}/models 中没有训练好的排序模型：请先运行 "
                              f"techmatch train-ranker", field="retrievers")
    return model


Config = Callable[[EvalContext], Run]

CONFIGS: dict[str, Config] = {
    "lexical": lambda ctx: ctx.run(RetrievalParams(mode="lexical"), name="lexical"),
    "lexical-untranslated": lambda ctx: ctx.untranslated_lexical(),
    "dense": lambda ctx: ctx.run(RetrievalParams(mode="dense"), name="dense"),
    "hybrid-rrf": lambda ctx: ctx.run(RetrievalParams(fusion="rrf"), name="hybrid-rrf"),
    "hybrid-weighted": lambda ctx: ctx.run(RetrievalParams(fusion="weighted"),
                                           name="hybrid-weighted"),
    "default": lambda ctx: ctx.run(ctx.default_params, name="default"),
    "ranker": lambda ctx: ctx.ranker_run("ranker"),
    "ranker-default": lambda ctx: ctx.ranker_run("ranker-default"),
    "ranker-untrained": lambda ctx: ctx.ranker_run("ranker-untrained"),
}


def resolve_configs(names: Sequence[str] | str, *, field: str = "retrievers") -> list[str]:
    """Validated configuration names (comma-separated or listed), order kept; errors name
    `field` (the option they came from)."""
    items = names.split(",") if isinstance(names, str) else list(names)
    out = list(dict.fromkeys(n.strip() for n in items if n.strip()))
    unknown = [n for n in out if n not in CONFIGS]
    if unknown:
        raise ValidationError(f"未知配置 {', '.join(unknown)}；可选：{', '.join(CONFIGS)}",
                              field=field)
    if not out:
        raise ValidationError("没有给出配置", field=field)
    return out
