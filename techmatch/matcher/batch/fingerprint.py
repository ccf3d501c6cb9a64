"""Fingerprints of what a batch result depends on: the configuration and each need's inputs.

The configuration fingerprint covers everything that changes every ranking at once — k,
retrieval parameters, ranker model (version and weights), encoder, tokenizer dictionary,
index schema, backend, confidence threshold, service depths — but not the index
generation itself, which moves on every sync (candidate changes are handled per need).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from techmatch.indexers.base import SCHEMA_VERSION
from techmatch.matcher.dockings.effects import exclusions
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need
from techmatch.store import Store, content_hash

# Bump when the batch changes how results are computed or stored.
BATCH_VERSION = 1


def resolved_config(service: MatchService, *, kind: str, k: int, chunk: int,
                    explain: bool = True) -> dict[str, Any]:
    """The configuration one target kind's results are computed with (saved with the run)."""
    engine = service.engine
    settings = engine.settings
    model = service.model
    return {
        "batch_version": BATCH_VERSION,
        "kind": kind,
        "k": k,
        "chunk": chunk,
        "explain": explain,
        "retrieval": settings.retrieval().model_dump(mode="json"),
        "ranker_version": model.version,
        "ranker_hash": _hash(model.model_dump(mode="json", exclude={"created"})),
        # what the model falls back to when it has none of its own (the default weights,
        # the shipped abstention models): an upgrade that changes them changes every result
        "effective_hash": _hash(_effective(model, kind)),
        "encoder": getattr(engine.encoder, "id", type(engine.encoder).__name__),
        "tokenizer": getattr(engine.tokenizer, "fingerprint", ""),
        "index_schema": SCHEMA_VERSION,
        "backend": settings.backend,
        "confidence_threshold": settings.confidence_threshold,
        "depth": service.depth,
        "work_depth": service.work_depth,
    }


def _effective(model: RankerModel, kind: str) -> dict[str, Any]:
    """The linear model and abstention models a ranking of `kind` reads (its own abstention
    model and the one of the kind it is compared with, `close`), fallbacks included."""
    own = model.abstain_for(kind)
    close = model.abstain_for(own.close) if own is not None and own.close else None
    return {"linear": model.for_kind(kind).model_dump(mode="json"),
            "abstain": own.model_dump(mode="json") if own is not None else None,
            "close": close.model_dump(mode="json") if close is not None else None}


def config_fingerprint(config: dict[str, Any]) -> str:
    """Hash of a resolved configuration; `chunk` is left out (it does not change results)."""
    return _hash({k: v for k, v in config.items() if k != "chunk"})


def need_fingerprint(config_fp: str, need_hash: str) -> str:
    """Inputs of one need's result: its content hash under one configuration."""
    return hashlib.sha256(f"{config_fp}:{need_hash}".encode()).hexdigest()[:24]


def need_inputs(store: Store, needs: Sequence[Need], kind: str) -> dict[str, str]:
    """need id → what its result depends on beyond the configuration: its content hash and,
    when staff dropped pairs of this target kind for it, the excluded candidate ids — so an
    incremental run recomputes a need whose exclusions changed (and no other)."""
    banned = exclusions(store, [n.id for n in needs])
    out = {}
    for need in needs:
        ids = sorted(c for c, e in banned.get(need.id, {}).items() if e.candidate_kind == kind)
        out[need.id] = content_hash(need) + (f"|x:{','.join(ids)}" if ids else "")
    return out


def _hash(obj: object) -> str:
    blob = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]
