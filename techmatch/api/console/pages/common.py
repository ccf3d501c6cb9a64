"""Helpers shared by the page routers: the router factory, the catalog, date parsing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from fastapi import APIRouter, Request

from techmatch.api.console.route import ConsoleRoute
from techmatch.api.console.views.catalog import Catalog
from techmatch.api.deps import get_engine


def console_router() -> APIRouter:
    """A router of HTML pages, left out of the OpenAPI schema."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def catalog_of(request: Request) -> Catalog:
    """The app's record catalog over the ready engine's store (built on first use)."""
    engine = get_engine(request)
    catalog: Catalog | None = getattr(request.app.state, "console_catalog", None)
    if catalog is None or catalog.store is not engine.store:
        catalog = Catalog(engine.store)
        request.app.state.console_catalog = catalog
    return catalog


def parse_date(value: str | None, name: str, errors: dict[str, str]) -> dt.date | None:
    """`YYYY-MM-DD` or empty; a bad value adds a Chinese message under `name`."""
    if not value or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = f"日期格式应为 YYYY-MM-DD，收到“{value}”"
        return None


REVERSED = "起始日期不能晚于截止日期"


def date_range(params: Mapping[str, str], errors: dict[str, str]
               ) -> tuple[dt.date | None, dt.date | None]:
    """The optional `from` / `to` dates of a filter form. A start after the end adds an
    error under `from` and applies no range (else the page would list nothing, unexplained)."""
    start = parse_date(params.get("from"), "from", errors)
    end = parse_date(params.get("to"), "to", errors)
    if start is not None and end is not None and start > end:
        errors["from"] = REVERSED
        return None, None
    return start, end


def page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
