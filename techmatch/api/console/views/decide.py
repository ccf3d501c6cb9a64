"""What staff decide on a proposed pair on the 匹配 page, through the dockings service:
accept creates a docking (source `match`, at 推荐); reject drops the pair's docking with a
reason, and by default marks it never to be suggested again, so it leaves the list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from techmatch.errors import ConflictError, ValidationError
from techmatch.matcher.dockings import (
    DockingFilters,
    Move,
    NewDocking,
    ServiceLevels,
    create_docking,
    list_dockings,
    load_levels,
    move_docking,
)
from techmatch.matcher.dockings.effects import exclusions
from techmatch.models.dockings import REASON_LABELS, REASONS, STAGE_LABELS, Docking, DockingView
from techmatch.models.records import Need
from techmatch.store import Store

REJECT_REASONS: dict[str, str] = {code: REASON_LABELS[code] for code in REASONS}
PAIR_LIMIT = 500


@dataclass(frozen=True)
class Decisions:
    """The need's dockings by candidate (the newest per pair) and the excluded candidates
    (with their kind: achievement / expert)."""

    dockings: dict[str, DockingView]
    excluded: frozenset[str]
    excluded_kinds: Mapping[str, str] = field(default_factory=dict)

    def active(self, candidate_id: str) -> DockingView | None:
        found = self.dockings.get(candidate_id)
        return found if found is not None and found.stage != "dropped" else None

    def dropped(self, candidate_id: str) -> DockingView | None:
        """The pair's docking when it is 终止 but still suggested (not relevant / never
        suggest leave the list): neither accept nor reject can move it, an admin reopens it."""
        found = self.dockings.get(candidate_id)
        return found if found is not None and found.stage == "dropped" else None

    def excluded_count(self, kind: str) -> int:
        """How many candidates of `kind` staff dropped out of this need's list."""
        return sum(1 for c in self.excluded if self.excluded_kinds.get(c) == kind)


def decisions(store: Store, need_id: str) -> Decisions:
    views, _ = list_dockings(store, DockingFilters(need_id=need_id), limit=PAIR_LIMIT)
    by_candidate: dict[str, DockingView] = {}
    for v in views:  # newest first: keep the first seen
        by_candidate.setdefault(v.candidate_id, v)
    found = exclusions(store, [need_id]).get(need_id, {})
    return Decisions(by_candidate, frozenset(found),
                     {c: e.candidate_kind for c, e in found.items()})


def _pair(store: Store, need_id: str, candidate_id: str) -> DockingView | None:
    views, _ = list_dockings(store, DockingFilters(need_id=need_id, candidate_id=candidate_id),
                             limit=1)
    return views[0] if views else None


def form_day(text: str, field: str) -> dt.date | None:
    """A date typed in a form (YYYY-MM-DD; blank: None); anything else is refused naming
    `field`, in Chinese."""
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"不是日期（应为 YYYY-MM-DD）：{text}", field=field) from None


def accept(store: Store, levels: ServiceLevels, need: Need, candidate_id: str, *,
           confidence: float | None, rank: int | None, actor: str,
           created_on: dt.date | None = None) -> Docking:
    """A docking for the pair at 推荐 (source: 匹配), owned by whoever accepted it; created
    on `created_on` (创建日期) when staff record it later than it began."""
    existing = _pair(store, need.id, candidate_id)
    if existing is not None:
        raise ConflictError(f"{need.id} 与 {candidate_id} 已有对接 {existing.id}"
                            f"（{STAGE_LABELS[existing.stage]}）")
    return create_docking(store, NewDocking(need_id=need.id, candidate_id=candidate_id,
                                            source="match", rank=rank, confidence=confidence,
                                            owner=actor, created_on=created_on),
                          actor=actor,
                          levels=levels)


def reject(store: Store, levels: ServiceLevels, need: Need, candidate_id: str, *, reason: str,
           note: str | None, never_suggest: bool, actor: str) -> Docking:
    """Drop the pair's docking (created first when the pair has none) with `reason`."""
    if reason not in REJECT_REASONS:
        raise ValidationError(f"请选择拒绝原因（{'、'.join(REJECT_REASONS.values())}）",
                              field="reason")
    if reason == "other" and not note:
        raise ValidationError("拒绝原因为“其他”时请填写说明", field="note")
    docking = _pair(store, need.id, candidate_id) or create_docking(
        store, NewDocking(need_id=need.id, candidate_id=candidate_id, source="match"),
        actor=actor, levels=levels)
    if docking.stage == "dropped":
        raise ConflictError(f"{need.id} 与 {candidate_id} 的对接已终止")
    return move_docking(store, docking.id, Move(to="dropped", version=docking.version,
                                                reason=reason, reason_note=note,
                                                never_suggest=never_suggest), actor=actor,
                        levels=levels)


__all__ = ["REJECT_REASONS", "Decisions", "accept", "decisions", "load_levels", "reject"]
