"""FastAPI dependencies as `Annotated[..., Depends()]` aliases used by every router."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from techmatch.api.limits import MAX_PAGE_SIZE, check_page
from techmatch.api.security import Principal, require
from techmatch.api.state import AppState
from techmatch.api.syncer import IndexSyncer
from techmatch.api.visibility import Visibility
from techmatch.config import Settings
from techmatch.matcher.engine import Engine


def get_state(request: Request) -> AppState:
    return request.app.state.tm  # type: ignore[no-any-return]


def _ready(state: AppState) -> AppState:
    if state.phase != "ready":
        detail = state.error or "引擎与索引正在加载，请在 /readyz 显示就绪后重试"
        raise HTTPException(503, detail, headers={"Retry-After": "5"})
    return state


def get_settings(request: Request) -> Settings:
    return get_state(request).settings


def get_engine(request: Request) -> Engine:
    engine = _ready(get_state(request)).engine
    assert engine is not None
    return engine


def get_service(request: Request) -> Any:
    """The MatchService (typed Any so tests can inject a fake with the same methods)."""
    return _ready(get_state(request)).service


def get_syncer(request: Request) -> IndexSyncer:
    syncer = _ready(get_state(request)).syncer
    assert syncer is not None
    return syncer


def get_visibility(request: Request) -> Visibility:
    visibility = _ready(get_state(request)).visibility
    assert visibility is not None
    return visibility


class PageParams:
    """offset / limit query parameters with the page-depth cap."""

    def __init__(self, offset: Annotated[int, Query(ge=0, le=10_000, description="起始位置")] = 0,
                 limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="每页条数")] = 50,
                 ) -> None:
        check_page(offset, limit)
        self.offset = offset
        self.limit = limit


# The dependencies below are `async` wrappers of the getters above (which other code calls
# directly): FastAPI runs a plain `def` dependency in its thread pool, a thread hop each, and
# these only read attributes.
async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def _engine(request: Request) -> Engine:
    return get_engine(request)


async def _service(request: Request) -> Any:
    return get_service(request)


async def _syncer(request: Request) -> IndexSyncer:
    return get_syncer(request)


async def _visibility(request: Request) -> Visibility:
    return get_visibility(request)


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
ServiceDep = Annotated[Any, Depends(_service)]
SyncerDep = Annotated[IndexSyncer, Depends(_syncer)]
VisibilityDep = Annotated[Visibility, Depends(_visibility)]
PageDep = Annotated[PageParams, Depends()]
Reader = Annotated[Principal, Depends(require("read"))]
Writer = Annotated[Principal, Depends(require("write"))]
Admin = Annotated[Principal, Depends(require("admin"))]
