"""Search: free text over one kind of record, with filters."""

from __future__ import annotations

from fastapi import APIRouter, Response

from techmatch.api.deps import Reader, ServiceDep, VisibilityDep
from techmatch.api.errors import problem_responses
from techmatch.api.responses import model_json
from techmatch.api.schemas import RankingPublic, SearchRequest
from techmatch.api.search_filters import check_filters
from techmatch.errors import ValidationError
from techmatch.indexers.ingest.normalize import has_searchable

router = APIRouter(prefix="/v1", tags=["search"],
                   responses=problem_responses(401, 403, 413, 422, 503))


@router.post("/search", response_model=RankingPublic, summary="自由文本检索",
             description="在需求、成果或专家中检索；返回命中、置信度与解释，以及所用索引代号。"
                         "只读密钥检索需求时不会看到保密需求。")
def search(principal: Reader, body: SearchRequest, service: ServiceDep,
           visibility: VisibilityDep) -> Response:
    if not has_searchable(body.text):
        raise ValidationError("查询文本中没有字母、数字或汉字，无法检索",
                              field="body.text")
    base = body.filters.to_filters() if body.filters else None
    check_filters(body.kind, base)
    filters = visibility.filters_for(body.kind, base, principal)
    ranking = service.search(body.text, kind=body.kind, k=body.k, mode=body.mode,
                             filters=filters, explain=body.explain)
    return model_json(visibility.redact(ranking, principal))  # RankingPublic adds no field
