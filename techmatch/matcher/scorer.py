"""Linear ranker: default weights that work without labels, and the versioned trained model.

A trained model is saved as `<home>/models/ranker-v<N>.json`; `ranker-current.json` holds
`{"version": N}` and is what the service loads. Without a model the default weights rank and
the confidence is a fixed logistic squashing of the default score: monotone, but NOT
calibrated (its `calibrated` flag is false).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from techmatch.errors import ConfigError
from techmatch.matcher.abstain import AbstainModel, default_abstain
from techmatch.matcher.calibrate import Calibrator
from techmatch.matcher.features import FEATURES

MODELS_DIR = "models"
CURRENT = "ranker-current.json"

_DEFAULT_WEIGHTS: dict[str, float] = {
    "fused": 0.30, "lexical": 0.10, "dense": 0.30, "dense_gap": 0.0, "term_coverage": 0.25,
    "keyword_jaccard": 0.05, "discipline": 0.05, "industry": 0.05, "region": 0.03,
    "maturity": 0.02, "recency": 0.01,
    "work_max": 0.25, "work_mean": 0.10, "work_dense_max": 0.15, "capacity": 0.03,
    "available": 0.05, "work_votes": 0.3, "work_dense_mean": 1.0,
    # share of the need's field sample the expert's field covers (techmatch.matcher.experts);
    # 0.1: the best MRR@10 on half 1 of csl-expert-dev among 0, 0.1, 0.2, 0.3, 0.6, 1
    "work_field": 0.1,
    # best cosine of the need to the centroid of a discipline of the expert's field
    # (techmatch.matcher.fieldprofile); 4: the smallest weight within 0.001 of the best
    # MRR@10 on half 1 of csl-expert-dev among 0.5, 1, 2, 3, 4, 6, 8, 12, 16 (8: 0.6331)
    "field_profile": 4.0,
    # pseudo-relevance feedback (techmatch.matcher.prf): 0 until a fit says how much
    "prf_discipline": 0.0, "prf_terms": 0.0, "prf_dense": 0.0,
    "lexical_mm": 0.0, "dense_mm": 0.0, "hybrid_mm": 0.0,
    # query-style-gated list evidence (techmatch.matcher.querystyle): 0 until a fit
    "list_style": 0.0, "list_prf_discipline": 0.0, "list_prf_terms": 0.0,
    "list_prf_dense": 0.0, "list_top_discipline": 0.0, "list_phrase_coverage": 0.0,
}
# Uncalibrated squashing of the default score: σ(SLOPE · (s − CENTER)); see module docstring.
_DEFAULT_SLOPE = 10.0
# expert: 0.95 before work_votes / work_dense_mean joined (+ about 0.1 and 0.8 on a fitting one)
_DEFAULT_CENTER = {"achievement": 0.75, "need": 0.75, "expert": 1.85}


class LinearModel(BaseModel):
    """score = intercept + Σ weight·feature; confidence = calibrator(score)."""

    kind: str
    features: list[str]
    weights: list[float]
    intercept: float = 0.0
    calibrator: Calibrator | None = None
    metrics: dict[str, object] = Field(default_factory=dict)

    @property
    def calibrated(self) -> bool:
        return self.calibrator is not None

    def score(self, values: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        """(n,) scores for a feature matrix `values` (n, len(names)) whose columns are `names`."""
        return self.intercept + self.contributions(values, names).sum(axis=1)

    def contributions(self, values: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        """(n, len(self.features)) weight × value per feature."""
        cols = [names.index(f) for f in self.features]
        return values[:, cols] * np.asarray(self.weights, dtype=np.float64)

    def confidence(self, scores: np.ndarray) -> np.ndarray:
        if self.calibrator is not None:
            return self.calibrator.apply(scores)
        return 1.0 / (1.0 + np.exp(-_DEFAULT_SLOPE * np.asarray(scores, dtype=np.float64)))


def default_model(kind: str) -> LinearModel:
    """Hand-set weights over FEATURES[kind]; intercept centres the (uncalibrated) squashing."""
    names = list(FEATURES[kind])
    return LinearModel(kind=kind, features=names, weights=[_DEFAULT_WEIGHTS[n] for n in names],
                       intercept=-_DEFAULT_CENTER[kind])


class RankerModel(BaseModel):
    """A versioned set of trained linear models, one per target kind."""

    version: int = 0
    created: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds"))
    trained_on: dict[str, object] = Field(default_factory=dict)
    models: dict[str, LinearModel] = Field(default_factory=dict)
    abstention: dict[str, AbstainModel] = Field(
        default_factory=dict, description="target kind -> 'no good match' model")

    def for_kind(self, kind: str) -> LinearModel:
        """The trained model of `kind`, or the default weights when none was trained."""
        return self.models.get(kind) or default_model(kind)

    def abstain_for(self, kind: str) -> AbstainModel | None:
        """The abstention model of `kind`: fitted with this model, else the shipped one."""
        return self.abstention.get(kind) or default_abstain(kind)


def _check(model: RankerModel, path: Path) -> RankerModel:
    for kind, lm in model.models.items():
        unknown = sorted(set(lm.features) - set(FEATURES.get(kind, ())))
        if kind not in FEATURES or unknown or len(lm.weights) != len(lm.features):
            raise ConfigError(f"{path}: ranker model for {kind!r} does not fit this version "
                              f"(unknown features {unknown}); rerun `techmatch train-ranker`")
    return model


def load_model(path: Path) -> RankerModel:
    try:
        model = RankerModel.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read ranker model: {exc}") from exc
    return _check(model, Path(path))


def load_current(home: Path) -> RankerModel | None:
    """The model `ranker-current.json` points to, or None when no model was trained."""
    pointer = Path(home) / MODELS_DIR / CURRENT
    if not pointer.exists():
        return None
    try:
        version = int(json.loads(pointer.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{pointer}: unreadable model pointer: {exc}; delete it or rerun "
                          f"`techmatch train-ranker`") from exc
    return load_model(pointer.parent / f"ranker-v{version}.json")


def save_model(model: RankerModel, home: Path) -> Path:
    """Write the next version and point `ranker-current.json` at it; returns the model path."""
    folder = Path(home) / MODELS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    existing = [int(p.stem.split("-v")[-1]) for p in folder.glob("ranker-v*.json")
                if p.stem.split("-v")[-1].isdigit()]
    model.version = max(existing, default=0) + 1
    path = folder / f"ranker-v{model.version}.json"
    _atomic_write(path, model.model_dump_json(indent=2))
    _atomic_write(folder / CURRENT, json.dumps({"version": model.version}))
    return path


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
