"""对接看板 presenter: dockings grouped by stage with the titles of both sides."""

from __future__ import annotations

from dataclasses import dataclass

from techmatch.matcher.conflicts import conflict_label
from techmatch.matcher.dockings import DockingFilters, list_dockings
from techmatch.matcher.dockings.tracking import stage_counts
from techmatch.models.dockings import ALL_STAGES, CONTRACT_LABELS, STAGE_LABELS, DockingView
from techmatch.store import Store

BOARD_LIMIT = 500


@dataclass(frozen=True)
class Column:
    stage: str
    label: str
    cards: list[DockingView]
    total: int = 0  # dockings at this stage under the filters, shown or not


def titles_of(store: Store, views: list[DockingView]) -> dict[str, str]:
    return sides(store, views)[0]


def sides(store: Store, views: list[DockingView]) -> tuple[dict[str, str], dict[str, str]]:
    """(record id → title or name, docking id → its pair's conflict label) of the dockings'
    needs and candidates, read at once; a docking whose pair can dock has no label."""
    ids = {v.need_id for v in views} | {v.candidate_id for v in views}
    found = store.get_many(sorted(ids))
    titles = {rid: (getattr(r, "name", "") or r.display_title) for rid, r in found.items()}
    labels = {v.id: label for v in views
              if (need := found.get(v.need_id)) and (cand := found.get(v.candidate_id))
              and (label := conflict_label(need, cand))}
    return titles, labels


def board(store: Store, filters: DockingFilters, *, hidden: frozenset[str],
          admin: bool) -> tuple[list[Column], int]:
    """Columns in stage order (dropped last), each with its stage's full count, and the
    number of dockings under the filters (the cards are the newest `BOARD_LIMIT`)."""
    views, total = list_dockings(store, filters, limit=BOARD_LIMIT, hidden_needs=hidden,
                                 admin=admin)
    counts = stage_counts(store, filters, hidden_needs=hidden)
    columns = [Column(s, STAGE_LABELS[s], [v for v in views if v.stage == s],
                      counts.get(s, 0)) for s in ALL_STAGES]
    return columns, total


def overdue_dockings(store: Store, hidden: frozenset[str]) -> int:
    """How many dockings are overdue (all of them, as `techmatch overdue` counts)."""
    _, total = list_dockings(store, DockingFilters(overdue=True), limit=1, hidden_needs=hidden)
    return total


CONTRACTS = CONTRACT_LABELS
