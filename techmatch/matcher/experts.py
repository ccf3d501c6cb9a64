"""Expert affinity from works: the need's achievement ranking, looked up per expert's works.

As in reviewer-matching systems (e.g. the OpenReview expertise model, the Toronto Paper
Matching System), an expert's fit to a need is read from their works: the need is ranked
against achievements once (hybrid, deep), and each expert gets the max and the mean of the
top-k scores of their own works, plus the best dense cosine over all their works.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from techmatch.errors import IndexMissingError
from techmatch.matcher.engine import Engine
from techmatch.matcher.features import WorkScores
from techmatch.models.records import Achievement, Expert
from techmatch.models.results import Ranking

OWNER_POOL = 50  # experts owning any of this many top achievements join the candidates


class WorkIndex:
    """achievement id → expert ids, from experts' `works` and achievements' `owners`;
    rebuilt when the store's expert sequence moves."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._seq = -1
        self._owners: dict[str, list[str]] = {}

    def owners(self) -> dict[str, list[str]]:
        seq = self.engine.store.last_seq("expert")
        if seq != self._seq:
            owners: dict[str, set[str]] = {}
            for expert in self.engine.store.iter_records("expert"):
                for work in expert.works:  # type: ignore[union-attr]
                    owners.setdefault(work, set()).add(expert.id)
            self._owners = {k: sorted(v) for k, v in owners.items()}
            self._seq = seq
        return self._owners


def achievement_rankings(engine: Engine, texts: Sequence[str], vectors: np.ndarray,
                         depth: int) -> list[Ranking] | None:
    """Hybrid need→achievement rankings for every query, or None without an index."""
    try:
        retriever = engine.retriever()
        retriever.index("achievement")
    except IndexMissingError:
        return None
    return retriever.search_many(texts, kind="achievement", k=depth, mode="hybrid",
                                 vectors=vectors)


def hybrid_scores(ranking: Ranking) -> dict[str, float]:
    """Fused scores divided by the best one (1.0 for the top achievement)."""
    top = max((h.score for h in ranking.hits), default=0.0) or 1.0
    return {h.id: h.score / top for h in ranking.hits}


def owner_pool(engine: Engine, ranking: Ranking, index: WorkIndex) -> list[str]:
    """Experts owning one of the top OWNER_POOL achievements (via works or owners), sorted."""
    top = [h.id for h in ranking.hits[:OWNER_POOL]]
    pool = {e for a in top for e in index.owners().get(a, [])}
    for rec in engine.store.get_many(top).values():
        if isinstance(rec, Achievement):
            pool.update(rec.owners)
    return sorted(pool)


def work_scores(engine: Engine, hybrid: dict[str, float], experts: Sequence[Expert],
                query_vector: np.ndarray) -> WorkScores:
    """WorkScores for `experts`: hybrid scores plus the dense cosine of each of their works."""
    works = sorted({w for e in experts for w in e.works})
    dense: dict[str, float] = {}
    if works:
        try:
            vecs = engine.index("achievement").vectors(works)
        except IndexMissingError:
            vecs = np.zeros((0, len(query_vector)), dtype=np.float32)
        if len(vecs):
            known = np.linalg.norm(vecs, axis=1) > 0
            cos = vecs @ query_vector
            dense = {w: float(c) for w, c, k in zip(works, cos, known, strict=True) if k}
    return WorkScores(hybrid=hybrid, dense=dense)
