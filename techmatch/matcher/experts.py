"""Expert affinity from works: the need's achievement ranking, looked up per expert's works.

As in reviewer-matching systems (e.g. the OpenReview expertise model, the Toronto Paper
Matching System), an expert's fit to a need is read from their works: the need is ranked
against achievements once (hybrid, deep), and each expert gets the max and the mean of the
top-k scores of their own works, plus the best dense cosine over all their works.

Field agreement (pseudo-relevance feedback on the works ranking): the need never says its
discipline, but the disciplines of its FIELD_K best-ranked achievements, weighted by their
fused score, say what field the need is in. An expert's field is the disciplines of their
works plus their own `disciplines`; `work_field` is the share of that weighted sample the
expert's field covers (techmatch.matcher.features), `field_lead` the sample's largest share
of one discipline (how clearly the need has a field at all). `field_profile` reads the field
from the whole corpus instead (techmatch.matcher.fieldprofile).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from techmatch.errors import IndexMissingError
from techmatch.matcher.engine import Engine
from techmatch.matcher.features import WorkScores, disciplines
from techmatch.models.records import Achievement, Expert
from techmatch.models.results import Ranking

OWNER_POOL = 50  # experts owning any of this many top achievements join the candidates
FIELD_K = 10  # the need's best-ranked achievements whose disciplines sample its field


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


def field_sample(hybrid: dict[str, float], fields: dict[str, frozenset[str]],
                 k: int = FIELD_K) -> tuple[tuple[float, frozenset[str]], ...]:
    """(weight, disciplines) of the k best achievements of `hybrid` (ties by id) whose
    disciplines are known (`fields`); weight = their max-normalised fused score."""
    top = sorted(hybrid, key=lambda a: (-hybrid[a], a))[:k]
    return tuple((max(hybrid[a], 0.0), fields[a]) for a in top if fields.get(a))


def field_lead(sample: Sequence[tuple[float, frozenset[str]]]) -> float:
    """The largest weighted share of the sample one discipline holds (0 for an empty one)."""
    total = sum(w for w, _ in sample)
    if total <= 0.0:
        return 0.0
    counts: dict[str, float] = {}
    for w, ds in sample:
        for d in ds:
            counts[d] = counts.get(d, 0.0) + w
    return max(counts.values()) / total


def work_scores(engine: Engine, hybrid: dict[str, float], experts: Sequence[Expert],
                query_vector: np.ndarray, profile: dict[str, float] | None = None
                ) -> WorkScores:
    """WorkScores for `experts`: hybrid scores, the dense cosine of each of their works, the
    disciplines of their works, the need's field sample (`field_sample`) and its closeness
    to each discipline's centroid (`profile`, techmatch.matcher.fieldprofile)."""
    works = sorted({w for e in experts for w in e.works})
    top = sorted(hybrid, key=lambda a: (-hybrid[a], a))[:FIELD_K]
    fields = {rid: disciplines(rec) for rid, rec in
              engine.store.parsed.get_many([*works, *top]).items()}
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
    return WorkScores(hybrid=hybrid, dense=dense, fields=fields,
                      field=field_sample(hybrid, fields), profile=profile or {})
