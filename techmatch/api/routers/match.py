"""Match: a stored or ad-hoc need → achievements / experts; an achievement → needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import AfterValidator

from techmatch.api.deps import EngineDep, Reader, ServiceDep, VisibilityDep
from techmatch.api.errors import problem_responses
from techmatch.api.limits import MAX_K
from techmatch.api.responses import model_json
from techmatch.api.schemas import (
    PREFER_LOCAL,
    REQUIRE_LOCAL,
    MatchNeedRequest,
    RankingPublic,
    Target,
)
from techmatch.api.search_filters import check_filters
from techmatch.errors import ValidationError, no_such
from techmatch.indexers.ingest.normalize import has_searchable, require_searchable
from techmatch.models.records import Need, Record, fold_id

router = APIRouter(prefix="/v1/match", tags=["match"],
                   responses=problem_responses(401, 403, 404, 413, 422, 503))

IdPath = Annotated[str, AfterValidator(fold_id),  # Ｎ００１ is N001, as ingest reads it
                   Path(min_length=1, max_length=128, pattern=r"^[\w.\-:/]+$",
                        description="记录 id")]
KQuery = Annotated[int, Query(ge=1, le=MAX_K, description="返回条数，最多 100")]
ExplainQuery = Annotated[bool, Query(description="是否返回匹配解释")]


@router.get("/needs/{need_id:path}", response_model=RankingPublic,
            summary="为已入库的需求匹配成果或专家",
            description="返回排序后的成果（target=achievement）或专家（target=expert），"
                        "含置信度与解释；置信度都偏低时 routed_to_staff 为 true。")
def match_stored_need(principal: Reader, need_id: IdPath, engine: EngineDep,
                      service: ServiceDep, visibility: VisibilityDep,
                      target: Annotated[Target, Query(description="匹配对象")] = "achievement",
                      k: KQuery = 10, explain: ExplainQuery = True,
                      prefer_local: Annotated[bool, Query(description=PREFER_LOCAL)] = False,
                      require_local: Annotated[bool, Query(description=REQUIRE_LOCAL)] = False,
                      excluded: Annotated[bool, Query(
                          description="列出因对接终止而排除的候选及原因")] = False,
                      ) -> Response:
    need = engine.store.get(need_id, "need")
    if not visibility.visible(need, principal):
        raise no_such("need", need_id)
    require_searchable(need.text(), f"需求 {need.id}", field="path.need_id")
    _check_local(need, require_local, "query.require_local")
    ranking = service.match_need(need, target=target, k=k, explain=explain,
                                 prefer_local=prefer_local, require_local=require_local,
                                 show_excluded=excluded)
    return model_json(visibility.redact(ranking, principal))


@router.post("/need", response_model=RankingPublic, summary="为临时需求匹配成果或专家",
             description="请求体中的需求不入库，直接用于匹配。")
def match_adhoc_need(principal: Reader, body: MatchNeedRequest, service: ServiceDep,
                     visibility: VisibilityDep) -> Response:
    if not has_searchable(body.need.text()):
        raise ValidationError("需求的标题、描述和关键词中都没有字母、数字或汉字，无法匹配",
                              field="body.need")
    need: Need = body.need.to_need()
    _check_local(need, body.require_local, "body.require_local")
    filters = body.filters.to_filters() if body.filters else None
    check_filters(body.target, filters)
    ranking = service.match_need(need, target=body.target, k=body.k, filters=filters,
                                 explain=body.explain, prefer_local=body.prefer_local,
                                 require_local=body.require_local)
    return model_json(visibility.redact(ranking, principal))


@router.get("/achievements/{achievement_id:path}/needs", response_model=RankingPublic,
            summary="为成果寻找可能需要它的企业需求",
            description="只读密钥看不到保密需求，也看不到联系方式。")
def match_achievement(principal: Reader, achievement_id: IdPath, engine: EngineDep,
                      service: ServiceDep, visibility: VisibilityDep, k: KQuery = 10,
                      explain: ExplainQuery = True) -> Response:
    achievement = engine.store.get(achievement_id, "achievement")
    require_searchable(achievement.text(), f"成果 {achievement.id}",
                       field="path.achievement_id")
    filters = visibility.filters_for("need", None, principal)
    ranking = service.match_achievement(achievement, k=k, filters=filters, explain=explain)
    return model_json(visibility.redact(ranking, principal))


def _check_local(need: Record, require_local: bool, field: str) -> None:
    """The service's check, naming the request's parameter (query. / body.) as every 422."""
    if require_local and not (need.city or need.province):
        raise ValidationError("require_local 需要需求填写了城市或省份", field=field)
