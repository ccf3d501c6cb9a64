"""Dockings (对接跟踪): stages and allowed moves, service levels and overdue, effects on what the
engine suggests, grades for training and evaluation, KPIs and spreadsheet import."""

from __future__ import annotations

from techmatch.matcher.dockings.effects import exclusions, sync_need_status
from techmatch.matcher.dockings.grades import docking_qrels, grade
from techmatch.matcher.dockings.levels import ServiceLevels, load_levels
from techmatch.matcher.dockings.moves import ALLOWED_MOVES, allowed_moves, check_move
from techmatch.matcher.dockings.tracking import (
    Assign,
    DockingFilters,
    Move,
    NewDocking,
    assign_docking,
    create_docking,
    docking_history,
    get_docking,
    list_dockings,
    move_docking,
    view,
)

__all__ = ["ALLOWED_MOVES", "Assign", "DockingFilters", "Move", "NewDocking", "ServiceLevels",
           "allowed_moves", "assign_docking", "check_move", "create_docking", "docking_history",
           "docking_qrels", "exclusions", "get_docking", "grade", "list_dockings",
           "load_levels", "move_docking", "sync_need_status", "view"]
