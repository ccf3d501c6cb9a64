"""匹配: ranked achievements / experts for a need; accept → docking, reject with a reason."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from techmatch.api.console.deps import Staff, WriterPost, render
from techmatch.api.console.pages.common import console_router
from techmatch.api.console.views import decide
from techmatch.api.console.views.matching import cards, exclusion_filters, signal_scale
from techmatch.api.deps import EngineDep, ServiceDep, VisibilityDep
from techmatch.errors import NotFoundError
from techmatch.indexers.ingest.normalize import has_searchable
from techmatch.matcher.batch.live import refresh_needs
from techmatch.models.records import Need
from techmatch.models.results import Ranking

router = console_router()
IdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w.\-:]+$")]
TargetQ = Annotated[Literal["achievement", "expert"], Query()]
IdForm = Annotated[str, Form(min_length=1, max_length=128, pattern=r"^[\w.\-:]+$")]
MATCH_K = 10
FLASH = {"accepted": "已采纳 {c}，已创建对接（见对接看板）",
         "rejected": "已拒绝 {c}，对接已终止",
         "solved": "已拒绝 {c}，对接已终止；需求已解决，需求 {n} 已关闭（不再进入每晚批量匹配；"
                   "如需重新开放，请编辑需求状态）"}


def _need(engine: EngineDep, visibility: VisibilityDep, session: Staff, rid: str) -> Need:
    need = engine.store.get(rid, "need")
    if not isinstance(need, Need) or not visibility.visible(need, session.principal):
        raise NotFoundError(f"没有编号为 {rid} 的需求")
    return need


@router.get("/needs/{rid}/match")
def match_page(request: Request, rid: IdPath, session: Staff, engine: EngineDep,
               service: ServiceDep, visibility: VisibilityDep,
               target: TargetQ = "achievement") -> Response:
    need = _need(engine, visibility, session, rid)
    seen = decide.decisions(engine.store, need.id)
    no_text = not has_searchable(need.text())  # as the API's 422: nothing to match by
    ranking = (Ranking(kind=target, mode="", hits=[], routed_to_staff=True) if no_text else
               service.match_need(need, target=target, k=MATCH_K,
                                  filters=exclusion_filters(seen.excluded)))
    ranking = visibility.redact(ranking, session.principal)
    records = engine.store.get_many(h.id for h in ranking.hits)
    items = cards(need, ranking, records, seen)
    done = request.query_params.get("done", "")
    flash = FLASH[done].format(c=request.query_params.get("c", ""), n=rid) \
        if done in FLASH else ""
    threshold = engine.settings.confidence_threshold
    # routed although confident: every confident candidate is conflicted (service.route)
    blocked = ranking.routed_to_staff and any(
        h.conflict and (h.confidence or 0.0) >= threshold for h in ranking.hits)
    return render(request, "match.html", {
        "title": f"匹配 · {need.id}", "need": need, "target": target, "ranking": ranking,
        "blocked": blocked, "no_text": no_text,
        "cards": items, "scale": signal_scale(items), "excluded": seen.excluded_count(target),
        "threshold": threshold, "flash": flash,
        "reasons": decide.REJECT_REASONS}, session=session)


@router.post("/needs/{rid}/match/accept")
def accept(rid: IdPath, session: WriterPost, engine: EngineDep, visibility: VisibilityDep,
           service: ServiceDep, candidate_id: IdForm,
           target: Annotated[Literal["achievement", "expert"], Form()],
           confidence: Annotated[float | None, Form(ge=0, le=1)] = None,
           rank: Annotated[int | None, Form(ge=1, le=1000)] = None,
           created_on: Annotated[str, Form(max_length=40)] = "") -> Response:
    need = _need(engine, visibility, session, rid)
    decide.accept(engine.store, decide.load_levels(engine.settings.home), need, candidate_id,
                  confidence=confidence, rank=rank, actor=session.principal.actor,
                  created_on=decide.form_day(created_on, "created_on"))
    refresh_needs(service, [need.id])  # 工作台 / 覆盖分析 at once (batch.live)
    return RedirectResponse(f"/needs/{rid}/match?target={target}&done=accepted&c={candidate_id}",
                            status_code=303)


@router.post("/needs/{rid}/match/reject")
def reject(rid: IdPath, session: WriterPost, engine: EngineDep, visibility: VisibilityDep,
           service: ServiceDep, candidate_id: IdForm,
           target: Annotated[Literal["achievement", "expert"], Form()],
           reason: Annotated[str, Form(max_length=40)],
           note: Annotated[str, Form(max_length=2000)] = "",
           never_suggest: Annotated[str, Form(max_length=4)] = "") -> Response:
    need = _need(engine, visibility, session, rid)
    decide.reject(engine.store, decide.load_levels(engine.settings.home), need, candidate_id,
                  reason=reason, note=note.strip() or None, never_suggest=never_suggest == "on",
                  actor=session.principal.actor)
    refresh_needs(service, [need.id])  # the rejected pair leaves 工作台 / 覆盖分析 at once
    done = "solved" if reason == "already_solved" else "rejected"
    return RedirectResponse(f"/needs/{rid}/match?target={target}&done={done}&c={candidate_id}",
                            status_code=303)


