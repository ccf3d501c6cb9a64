"""需求库 / 成果库 / 专家库: lists with filters, search box and paging; detail pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from techmatch.api.console import labels
from techmatch.api.console.deps import Staff, render
from techmatch.api.console.pages.common import (
    catalog_of,
    console_router,
    date_range,
    page_number,
)
from techmatch.api.console.views.catalog import (
    FACETS,
    ListQuery,
    direct,
    search_filters,
    search_page,
)
from techmatch.api.deps import EngineDep, ServiceDep, VisibilityDep
from techmatch.errors import NotFoundError
from techmatch.indexers.ingest.normalize import has_searchable
from techmatch.models.records import Achievement, Expert

router = console_router()
CREATED = "已保存，索引正在后台更新"
Text = Annotated[str | None, Query(max_length=200)]
SEARCH_CHARS = 200  # the search box's text is cut here (a pasted statement: its first part)
IdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w.\-:]+$")]


def _list(request: Request, kind: str, session: Staff, service: ServiceDep,
          visibility: VisibilityDep) -> Response:
    params = request.query_params
    errors: dict[str, str] = {}
    created_from, created_to = date_range(params, errors)
    text = params.get("q", "").strip()
    notes = ({"q": f"检索词有 {len(text)} 字，只按前 {SEARCH_CHARS} 字检索"}
             if len(text) > SEARCH_CHARS else {})
    query = ListQuery(kind=kind, facets={f: params.get(f, "").strip() for f in FACETS[kind]
                                         if params.get(f, "").strip()},
                      created_from=created_from, created_to=created_to,
                      text=text[:SEARCH_CHARS],
                      page=page_number(params.get("page")))
    hide = not session.principal.sees_confidential
    catalog = catalog_of(request)
    if query.text and not has_searchable(query.text):  # as the API's 422: nothing to rank by
        errors["q"] = "检索词需要包含文字、字母或数字"
    if query.text and "q" not in errors and catalog.rows(kind):  # nothing stored: no index
        hidden = visibility.confidential_ids() if hide and kind == "need" else frozenset()
        ranking = service.search(query.text, kind=kind, k=100, explain=False,
                                 filters=search_filters(query, hidden))
        named = direct(catalog.rows(kind), query.text,  # an id or a name typed: those first
                       {h.id: h.rank for h in ranking.hits})
        order = list(dict.fromkeys([*named, *(h.id for h in ranking.hits)]))
        found = catalog.store.get_many(order)
        page = search_page(query, [found[i] for i in order if i in found],
                           {h.id: h.confidence or 0.0 for h in ranking.hits},
                           hide_confidential=hide, named=named)
        page.weak = ranking.routed_to_staff and page.total > 0 and not page.direct
    else:
        page = catalog.page(query, hide_confidential=hide)
    keep = {k: v for k, v in params.items() if k != "page" and v}
    return render(request, "list.html", {
        "kind": kind, "plural": labels.PLURAL[kind], "title": labels.KIND_LIBRARY[kind],
        "query": query, "page": page, "errors": errors, "notes": notes, "keep": keep,
        "options": catalog.options(kind, hide), "facets": FACETS[kind],
        "threshold": service.engine.settings.confidence_threshold}, session=session)


def _detail(request: Request, kind: str, rid: str, session: Staff, engine: EngineDep,
            visibility: VisibilityDep) -> Response:
    record = engine.store.get(rid, kind)
    if not visibility.visible(record, session.principal):
        raise NotFoundError(f"没有编号为 {rid} 的{labels.KIND[kind]}")
    data = visibility.public(record, session.principal)
    works = engine.store.get_many(record.works) if isinstance(record, Expert) else {}
    people = engine.store.get_many(record.owners) if isinstance(record, Achievement) else {}
    owners = {k: people[k] for k in getattr(record, "owners", ())
              if isinstance(people.get(k), Expert)}  # in the record's order; stored experts
    return render(request, "detail.html", {
        "kind": kind, "plural": labels.PLURAL[kind], "record": record, "data": data,
        "title": f"{labels.KIND[kind]} {rid}", "works": works, "owners": owners,
        "flash": CREATED if request.query_params.get("done") == "created" else ""},
        session=session)


@router.get("/needs")
def needs(request: Request, session: Staff, service: ServiceDep,
          visibility: VisibilityDep) -> Response:
    return _list(request, "need", session, service, visibility)


@router.get("/achievements")
def achievements(request: Request, session: Staff, service: ServiceDep,
                 visibility: VisibilityDep) -> Response:
    return _list(request, "achievement", session, service, visibility)


@router.get("/experts")
def experts(request: Request, session: Staff, service: ServiceDep,
            visibility: VisibilityDep) -> Response:
    return _list(request, "expert", session, service, visibility)


@router.get("/needs/{rid}")
def need_detail(request: Request, rid: IdPath, session: Staff, engine: EngineDep,
                visibility: VisibilityDep) -> Response:
    return _detail(request, "need", rid, session, engine, visibility)


@router.get("/achievements/{rid}")
def achievement_detail(request: Request, rid: IdPath, session: Staff, engine: EngineDep,
                       visibility: VisibilityDep) -> Response:
    return _detail(request, "achievement", rid, session, engine, visibility)


@router.get("/experts/{rid}")
def expert_detail(request: Request, rid: IdPath, session: Staff, engine: EngineDep,
                  visibility: VisibilityDep) -> Response:
    return _detail(request, "expert", rid, session, engine, visibility)
