"""Near-duplicate records within a kind: dense cosine and/or token Jaccard above thresholds.

Pairs are found block by block over the index vectors (exact inner product, numpy), so memory
stays at `block × n` floats; a token Jaccard check can be required too (`require_both`) or
used alone (`jaccard_threshold` without vectors).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from techmatch.errors import ValidationError
from techmatch.matcher.engine import Engine
from techmatch.models.records import record_type
from techmatch.models.results import Hit

DEFAULT_THRESHOLD = 0.95
BLOCK = 1024
JACCARD_COS_FLOOR = 0.8  # Jaccard-only duplicates are sought among pairs this close


@dataclass(frozen=True)
class DuplicatePair:
    """Two records of one kind (`a` < `b` by id) judged near duplicates."""

    a: str
    b: str
    cosine: float
    jaccard: float | None

    def as_dict(self) -> dict[str, object]:
        return {"a": self.a, "b": self.b, "cosine": round(self.cosine, 4),
                "jaccard": None if self.jaccard is None else round(self.jaccard, 4)}


_THRESHOLD_LABELS = {"threshold": "余弦阈值", "jaccard_threshold": "词重合阈值"}


def _check(threshold: float, name: str) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValidationError(f"{_THRESHOLD_LABELS.get(name, name)}应大于 0 且不超过 1，"
                              f"不是 {threshold:g}", field=name)


def find_duplicates(ids: Sequence[str], vectors: np.ndarray, *,
                    threshold: float = DEFAULT_THRESHOLD,
                    tokens: Callable[[str], frozenset[str]] | None = None,
                    jaccard_threshold: float | None = None,
                    require_both: bool = False) -> list[DuplicatePair]:
    """Pairs with cosine ≥ threshold (vectors (n, dim) unit rows in `ids` order), optionally
    also (require_both) or instead of cosine token Jaccard ≥ jaccard_threshold (then among
    pairs with cosine ≥ JACCARD_COS_FLOOR). Sorted by descending cosine, then ids."""
    _check(threshold, "threshold")
    if jaccard_threshold is not None:
        _check(jaccard_threshold, "jaccard_threshold")
        if tokens is None:
            raise ValidationError("a tokenizer is needed for the Jaccard check", field="tokens")
    vectors = np.asarray(vectors, dtype=np.float32)
    either = jaccard_threshold is not None and not require_both
    cos_floor = min(threshold, JACCARD_COS_FLOOR) if either else threshold
    pairs = []
    for start in range(0, len(ids), BLOCK):
        sims = vectors[start:start + BLOCK] @ vectors.T
        rows, cols = np.nonzero(sims >= cos_floor)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if c <= i:
                continue
            pair = _judge(ids[i], ids[c], float(sims[r, c]), threshold, tokens,
                          jaccard_threshold, require_both)
            if pair is not None:
                pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.cosine, p.a, p.b))


def _judge(a: str, b: str, cos: float, threshold: float,
           tokens: Callable[[str], frozenset[str]] | None, jaccard_threshold: float | None,
           require_both: bool) -> DuplicatePair | None:
    lo, hi = sorted((a, b))
    if jaccard_threshold is None or tokens is None:
        return DuplicatePair(lo, hi, cos, None) if cos >= threshold else None
    ta, tb = tokens(a), tokens(b)
    union = ta | tb
    jac = len(ta & tb) / len(union) if union else 0.0
    ok = (cos >= threshold and jac >= jaccard_threshold) if require_both else \
        (cos >= threshold or jac >= jaccard_threshold)
    return DuplicatePair(lo, hi, cos, jac) if ok else None


def mark_duplicates(hits: Sequence[Hit], vectors: np.ndarray, *,
                    threshold: float = DEFAULT_THRESHOLD) -> None:
    """Set `duplicate_of` on each hit that a higher-ranked hit duplicates (cosine ≥ threshold);
    `vectors` (len(hits), dim) in hit order; zero rows (unknown vectors) never match."""
    if len(hits) < 2:
        return
    vectors = np.asarray(vectors, dtype=np.float32)
    known = np.linalg.norm(vectors, axis=1) > 0
    sims = vectors @ vectors.T
    for j in range(1, len(hits)):
        if not known[j]:
            continue
        for i in range(j):
            if known[i] and sims[i, j] >= threshold:
                hits[j].duplicate_of = hits[i].id
                break


def duplicate_report(engine: Engine, kind: str, *, threshold: float = DEFAULT_THRESHOLD,
                     jaccard: float | None = None, both: bool = False) -> list[dict[str, object]]:
    """Near-duplicate pairs of every live record of `kind`, with titles, for the CLI report."""
    record_type(kind)  # a mistyped kind has no records: it must not read as "no duplicates"
    ids = sorted(engine.store.record_seqs(kind))
    vectors = engine.index(kind).vectors(ids) if ids else np.zeros((0, 1), dtype=np.float32)
    cache: dict[str, frozenset[str]] = {}

    def tokens(rid: str) -> frozenset[str]:
        if rid not in cache:
            cache[rid] = frozenset(engine.tokenizer.tokens(engine.store.get(rid).text()))
        return cache[rid]

    pairs = find_duplicates(ids, vectors, threshold=threshold, tokens=tokens,
                            jaccard_threshold=jaccard, require_both=both)
    records = engine.store.get_many({p.a for p in pairs} | {p.b for p in pairs})
    out = []
    for p in pairs:
        row = p.as_dict()
        row["title_a"] = records[p.a].display_title if p.a in records else ""
        row["title_b"] = records[p.b].display_title if p.b in records else ""
        out.append(row)
    return out
