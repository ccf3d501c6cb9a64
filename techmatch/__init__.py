"""techmatch: match enterprise needs with research achievements and experts."""

from techmatch.config import RetrievalParams, Settings, get_settings
from techmatch.errors import TechmatchError
from techmatch.models import Achievement, Expert, Filters, Hit, Need, Ranking, ServiceTeam

__version__ = "0.1.0"

__all__ = [
    "Achievement", "Expert", "Filters", "Hit", "Need", "Ranking", "RetrievalParams",
    "ServiceTeam", "Settings", "TechmatchError", "__version__", "get_settings",
]
