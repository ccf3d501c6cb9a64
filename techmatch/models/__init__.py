"""Records and results (pydantic, no I/O)."""

from techmatch.models.records import (
    KINDS,
    RECORD_TYPES,
    Achievement,
    AchievementType,
    Expert,
    Need,
    NeedStatus,
    Record,
    ServiceTeam,
    record_type,
)
from techmatch.models.results import (
    Component,
    Contribution,
    Explanation,
    Filters,
    Highlight,
    Hit,
    Ranking,
)

__all__ = [
    "KINDS", "RECORD_TYPES", "Achievement", "AchievementType", "Component", "Contribution",
    "Expert", "Explanation", "Filters", "Highlight", "Hit", "Need", "NeedStatus", "Ranking",
    "Record", "ServiceTeam", "record_type",
]
