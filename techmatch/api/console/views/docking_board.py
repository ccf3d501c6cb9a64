"""对接看板 presenter: dockings grouped by stage with the titles of both sides."""

from __future__ import annotations

from dataclasses import dataclass

from techmatch.matcher.dockings import DockingFilters, list_dockings
from techmatch.models.dockings import ALL_STAGES, CONTRACT_LABELS, STAGE_LABELS, DockingView
from techmatch.store import Store

BOARD_LIMIT = 500


@dataclass(frozen=True)
class Column:
    stage: str
    label: str
    cards: list[DockingView]


def titles_of(store: Store, views: list[DockingView]) -> dict[str, str]:
    ids = {v.need_id for v in views} | {v.candidate_id for v in views}
    found = store.get_many(sorted(ids))
    return {rid: (getattr(r, "name", "") or r.display_title) for rid, r in found.items()}


def board(store: Store, filters: DockingFilters, *, hidden: frozenset[str],
          admin: bool) -> tuple[list[Column], int]:
    """Columns in stage order (dropped last) and the number of dockings shown."""
    views, total = list_dockings(store, filters, limit=BOARD_LIMIT, hidden_needs=hidden,
                                 admin=admin)
    columns = [Column(s, STAGE_LABELS[s], [v for v in views if v.stage == s])
               for s in ALL_STAGES]
    return columns, total


def overdue_dockings(store: Store, hidden: frozenset[str]) -> list[DockingView]:
    views, _ = list_dockings(store, DockingFilters(overdue=True), limit=BOARD_LIMIT,
                             hidden_needs=hidden)
    return views


CONTRACTS = CONTRACT_LABELS
