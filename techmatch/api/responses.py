"""Responses serialised once: a route that declares `response_model` and returns a model has
FastAPI validate it again (in the thread pool, for a plain `def` route) and then serialise
it; returning `model_json(value)` skips both. The declared model still documents the
response, so use this only where the value already IS that model (a subclass adding no
field, as `RankingPublic` adds none to `Ranking`)."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_json(value: BaseModel) -> Response:
    """`value` as the JSON body FastAPI would have written for it (by alias)."""
    return Response(content=value.model_dump_json(by_alias=True),
                    media_type="application/json")


__all__ = ["model_json"]
