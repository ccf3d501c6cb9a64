"""Pairs that are relevant but are not dockings: the enterprise's own results, and experts with
a conflict of interest.

A need's own enterprise holding the achievement (its `institution`) gains nothing from being
matched to it, and an expert employed by the enterprise, or who declared it in `exclusions`,
cannot serve it. Match lists keep such candidates — they are relevant, and staff should know
the enterprise already has the result — but mark them with a code and a Chinese label
(`Hit.conflict`, `Hit.conflict_label`); service-team plans refuse them
(techmatch.matcher.assignment: `same_organization` / `excluded`) and roadshows never invite an
enterprise to present its own result to itself (techmatch.matcher.roadshow). Organisation names
are compared in one matching form, the one rule all three use (`name_key`).
"""

from __future__ import annotations

from techmatch.indexers.ingest.normalize import normalize
from techmatch.models.plan_labels import CONFLICT_LABELS
from techmatch.models.records import Achievement, Expert, Need, Record
from techmatch.models.results import Conflict


def name_key(name: str | None) -> str:
    """A name (organisation, city, province, keyword) as the plans compare it: in the facets'
    matching form (simplified, half-width, lower case, spaces collapsed; so 蘇州 is 苏州),
    stripped and case-folded ('' when unknown)."""
    return normalize(name or "").strip().casefold()


def conflict(query: Record | None, candidate: Record) -> Conflict | None:
    """The code of the conflict between a query record and a candidate, else None."""
    if isinstance(query, Achievement) and isinstance(candidate, Need):
        query, candidate = candidate, query  # an achievement offered to its owner's need
    if not isinstance(query, Need) or not (enterprise := name_key(query.enterprise)):
        return None
    if isinstance(candidate, Achievement):
        return "own_result" if name_key(candidate.institution) == enterprise else None
    if isinstance(candidate, Expert):
        if name_key(candidate.organization) == enterprise:
            return "same_organization"
        if any(name_key(name) == enterprise for name in candidate.exclusions):
            return "excluded"
    return None


def conflict_label(query: Record | None, candidate: Record) -> str:
    """The Chinese label of the pair's conflict, '' when the pair can dock."""
    code = conflict(query, candidate)
    return CONFLICT_LABELS[code] if code else ""


__all__ = ["CONFLICT_LABELS", "conflict", "conflict_label", "name_key"]
