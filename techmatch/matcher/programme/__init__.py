"""Programme management (科创中国): registries, events, targets and milestones, the KPI
dashboard with its national roll-up, the training planner and the overseas strand.

Service functions here are what the API, the CLI and the staff console call; all SQL lives
in `techmatch.store.programme`.
"""

from __future__ import annotations

from techmatch.matcher.programme.dashboard import Dashboard, dashboard
from techmatch.matcher.programme.events import (
    list_events,
    record_dockings,
    roadshow_event,
    save_event,
    set_outcome,
)
from techmatch.matcher.programme.imports import ImportReport, import_file
from techmatch.matcher.programme.registry import KINDS, SaveReport, find, get, items, remove, save
from techmatch.matcher.programme.targets import (
    delete_target,
    list_targets,
    overdue_milestones,
    set_targets,
)
from techmatch.matcher.programme.training import (
    TrainingPlan,
    TrainingTopic,
    plan_training,
    training_event,
    unmet_needs,
)

__all__ = ["KINDS", "Dashboard", "ImportReport", "SaveReport", "TrainingPlan", "TrainingTopic",
           "dashboard", "delete_target", "find", "get", "import_file", "items", "list_events",
           "list_targets",
           "overdue_milestones", "plan_training", "record_dockings", "remove", "roadshow_event",
           "save", "save_event", "set_outcome", "set_targets", "training_event",
           "unmet_needs"]
