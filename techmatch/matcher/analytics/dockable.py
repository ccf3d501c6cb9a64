"""A need's best stored confidence over the pairs that can become a docking.

The batch results keep candidates that are relevant but are no docking
(techmatch.matcher.conflicts: the need's enterprise's own result, an expert it employs or
who declared it in `exclusions`). Such a pair does not give the need a confident machine
suggestion — `service.route` sends a list whose only confident hits are conflicted to staff —
so coverage takes each need's best over its other stored pairs, and keeps the best conflicted
pair that outranks them, to say why a need with a confident pair is still unmatched.

`DockableBest` checks every pair with `conflict()` as the candidate records stream past
(`watch`): coverage reads all achievements and experts for its supply counts anyway, so no
record is read twice. Callers that read no candidates (the batch's topic snapshot, the
工作台) use `dockable_best`, which reads each need's candidates best first and stops at the
first that can dock. A pair whose need or candidate is no longer stored cannot be checked
and counts as dockable, as the batch-results API shows it unmarked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from techmatch.matcher.conflicts import conflict
from techmatch.models.records import Need, Record
from techmatch.models.results import Conflict
from techmatch.store import Store
from techmatch.store.batch import StoredPair

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class Best:
    """One need's best stored pairs: `confidence` over the pairs that can dock (0.0 when all
    are conflicted), and the conflict code and confidence of the best conflicted pair when it
    ranks above them (else None); `kind`, the target kind (achievement / expert) of the pair
    `confidence` is from (None when no pair can dock)."""

    confidence: float
    conflict: Conflict | None = None
    conflict_confidence: float | None = None
    kind: str | None = field(default=None, compare=False)  # shown, not what a Best is


class DockableBest:
    """Stored pairs of the given needs; feed it the candidates (`watch`), then read `best()`."""

    def __init__(self, pairs: Iterable[StoredPair], needs: Mapping[str, Need]) -> None:
        self._pairs = list(pairs)
        self._needs = needs
        self._by_candidate: dict[str, list[int]] = {}
        for i, pair in enumerate(self._pairs):
            if pair.need_id in needs:
                self._by_candidate.setdefault(pair.candidate_id, []).append(i)
        self._conflicts: dict[int, Conflict] = {}

    def see(self, candidate: Record) -> None:
        """Check every stored pair of this candidate."""
        for i in self._by_candidate.get(candidate.id, ()):
            code = conflict(self._needs[self._pairs[i].need_id], candidate)
            if code is not None:
                self._conflicts[i] = code

    def watch(self, candidates: Iterable[R]) -> Iterator[R]:
        """The candidates, unchanged, each checked (`see`) as it passes."""
        for candidate in candidates:
            self.see(candidate)
            yield candidate

    def best(self, kinds: Sequence[str] | None = None) -> dict[str, Best]:
        """need id → its `Best` over the pairs of the given target kinds (all when None), for
        every need with such a pair (ties: first pair stored — `pairs()` orders by confidence,
        kind, rank)."""
        dockable: dict[str, float] = {}
        kind_of: dict[str, str] = {}
        blocked: dict[str, tuple[float, Conflict]] = {}
        chosen = [i for i, p in enumerate(self._pairs) if not kinds or p.kind in kinds]
        for i in chosen:
            pair = self._pairs[i]
            code = self._conflicts.get(i)
            if code is None:
                if pair.need_id not in kind_of or pair.confidence > dockable[pair.need_id]:
                    dockable[pair.need_id] = pair.confidence
                    kind_of[pair.need_id] = pair.kind
            elif pair.need_id not in blocked or pair.confidence > blocked[pair.need_id][0]:
                blocked[pair.need_id] = (pair.confidence, code)
        return {need_id: _best(dockable.get(need_id, 0.0), blocked.get(need_id),
                               kind_of.get(need_id))
                for need_id in dict.fromkeys(self._pairs[i].need_id for i in chosen)}


def _best(confidence: float, blocked: tuple[float, Conflict] | None,
          kind: str | None = None) -> Best:
    """The best dockable confidence (of a `kind` pair), with the best conflicted pair when it
    ranks above."""
    if blocked is None or blocked[0] <= confidence:
        return Best(confidence, kind=kind)
    return Best(confidence, blocked[1], blocked[0], kind=kind)


def dockable_best(store: Store, needs: Mapping[str, Need], kinds: Sequence[str] | None = None,
                  *, at_least: float = 0.0, cache: dict[str, Record] | None = None
                  ) -> dict[str, Best]:
    """`DockableBest.best(kinds)` for callers that do not read every candidate (the batch's
    topic snapshot, the 工作台): each need's stored pairs at or above `at_least`, checked best
    first and only until the first that can dock — about one candidate read per need (from
    `cache` when there, which it fills). With `at_least` = the threshold a need is suggested
    exactly when its `confidence` reaches it."""
    queues: dict[str, list[StoredPair]] = {}
    for pair in store.batch.pairs(kinds, at_least=at_least):
        if pair.need_id in needs:
            queues.setdefault(pair.need_id, []).append(pair)
    for queue in queues.values():  # best first; ties keep the stored order (kind, rank)
        queue.sort(key=lambda p: -p.confidence)
    cache = {} if cache is None else cache
    out: dict[str, Best] = {}
    blocked: dict[str, tuple[float, Conflict]] = {}
    pending = dict.fromkeys(queues, 0)
    while pending:
        wanted = {queues[n][i].candidate_id for n, i in pending.items()} - cache.keys()
        cache.update(store.get_many(sorted(wanted)))
        later: dict[str, int] = {}
        for need_id, i in pending.items():
            pair = queues[need_id][i]
            found = cache.get(pair.candidate_id)
            code = conflict(needs[need_id], found) if found is not None else None
            if code is not None:
                blocked.setdefault(need_id, (pair.confidence, code))
                if i + 1 < len(queues[need_id]):
                    later[need_id] = i + 1
                    continue
            out[need_id] = _best(0.0 if code else pair.confidence, blocked.get(need_id),
                                 None if code else pair.kind)
        pending = later
    return out
