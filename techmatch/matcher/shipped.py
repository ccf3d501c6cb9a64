"""The ranker model shipped inside the package, used by a home that has trained none.

`techmatch/resources/ranker-default.json` is a `RankerModel` fitted on the public development
sets (`techmatch loso --save-shipped` writes it; docs/evaluation.md gives its numbers), so a
new home ranks with the best measured model from its first query. Its features include dense
cosines, whose scale depends on the encoder: it applies only with the encoder it was fitted
with (`trained_on.encoder`); with another encoder the untrained default weights rank.
`train-ranker --from-feedback` starts from it and adapts it (techmatch.matcher.train).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from techmatch.errors import ConfigError
from techmatch.matcher.scorer import MODELS_DIR, RankerModel, _check, load_current, load_model

SHIPPED_FILE = "ranker-default.json"


def shipped_path() -> Path:
    return Path(str(resources.files("techmatch") / "resources" / SHIPPED_FILE))


@cache
def _read() -> RankerModel | None:
    path = shipped_path()
    if not path.exists():
        return None
    try:
        model = RankerModel.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable shipped ranker model: {exc}") from exc
    return _check(model, path)


def shipped_model(encoder_id: str | None = None) -> RankerModel | None:
    """A copy of the shipped model, or None when none is shipped or `encoder_id` is given and
    differs from the encoder it was fitted with."""
    model = _read()
    if model is None:
        return None
    if encoder_id is not None and model.trained_on.get("encoder") != encoder_id:
        return None
    return model.model_copy(deep=True)


def active_model(home: Path, encoder_id: str | None = None) -> RankerModel:
    """What a home ranks with: its own current model, else the shipped one (same encoder),
    else the untrained default weights."""
    return load_current(home) or shipped_model(encoder_id) or RankerModel()


def feedback_base(home: Path, encoder_id: str | None = None) -> RankerModel:
    """The model `train-ranker --from-feedback` adapts: what the home ranks with, unless that
    model was itself adapted from feedback — then the model it was adapted from (its
    `trained_on.prior`), so the stored judgements, which every run reads in full, are
    counted once however often training runs."""
    model = active_model(home, encoder_id)
    seen: set[tuple[int, str]] = set()
    while model.trained_on.get("source") == "feedback" and \
            (model.version, model.created) not in seen:
        seen.add((model.version, model.created))
        model = _prior(home, model.trained_on.get("prior"), encoder_id)
    return model


def _prior(home: Path, prior: object, encoder_id: str | None) -> RankerModel:
    """The model a `trained_on.prior` names: a version of the home (same `created`) or the
    default weights; else — the shipped model, a home version since deleted, or a model saved
    before priors were named — the shipped model of this package (else the default
    weights), as a first run would start from."""
    info = prior if isinstance(prior, dict) else {}
    version, created = info.get("version"), info.get("created")
    path = Path(home) / MODELS_DIR / f"ranker-v{version}.json"
    if isinstance(version, int) and version > 0 and path.exists():
        own = load_model(path)
        if own.created == created:
            return own
    if version == 0:  # the default weights (RankerModel() has version 0)
        return RankerModel()
    return shipped_model(encoder_id) or RankerModel()


__all__ = ["SHIPPED_FILE", "active_model", "feedback_base", "shipped_model", "shipped_path"]
