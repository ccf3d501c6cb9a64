"""Feedback: record a staff / outcome judgement on a proposed pair, and list judgements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from techmatch.api.deps import EngineDep, PageDep, Reader, ServiceDep, VisibilityDep, Writer
from techmatch.api.errors import problem_responses
from techmatch.api.schemas import FeedbackCreate, FeedbackPublic, Page
from techmatch.matcher.batch.live import refresh_needs
from techmatch.matcher.dockings import load_levels
from techmatch.matcher.feedback import list_feedback, record_feedback, with_pairs
from techmatch.models.dockings import STAGE_LABELS

router = APIRouter(prefix="/v1/feedback", tags=["feedback"],
                   responses=problem_responses(401, 403, 404, 413, 422, 503))

IdQuery = Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[\w.\-:/]+$")]


@router.post("", status_code=201, response_model=FeedbackPublic, summary="记录一条反馈",
             description="对推荐对（需求 → 成果/专家，或成果 → 需求）的判断："
                         "采纳、拒绝（须给原因）、已联系、成交。每条判断沿对接流程移动该对的对接"
                         "（采纳→企业确认、已联系→已联系、成交→签约、拒绝→终止）；"
                         "流程不允许的判断（如终止后再采纳、以另一原因再次拒绝）返回 422 并说明"
                         "当前阶段与允许的操作。需要 write 权限。",
             responses=problem_responses(404))
def create_feedback(principal: Writer, body: FeedbackCreate, engine: EngineDep,
                    service: ServiceDep) -> FeedbackPublic:
    fb = record_feedback(engine.store, body.query_id, body.candidate_id, label=body.label,
                         reason=body.reason, note=body.note, actor=principal.actor,
                         levels=load_levels(engine.settings.home))
    if fb.need_id:  # a rejection changes the need's matches: 工作台 / 覆盖分析 at once
        refresh_needs(service, [fb.need_id])
    return FeedbackPublic.model_validate(
        {**fb.model_dump(), "stage_label": STAGE_LABELS.get(fb.stage or "")})


@router.get("", response_model=Page[FeedbackPublic], summary="列出反馈",
            description="按记录顺序；可按需求/成果 id 或候选 id 筛选。"
                        "每条给出该对的需求（need_id）与对接（docking_id，无对接时为空）；"
                        "stage / need_status 只在记录时返回（对接当前阶段见 "
                        "GET /v1/dockings/{docking_id}）。"
                        "只读密钥看不到涉及保密需求的反馈。")
def get_feedback(principal: Reader, engine: EngineDep, visibility: VisibilityDep, page: PageDep,
                 query_id: IdQuery = None, candidate_id: IdQuery = None) -> dict[str, object]:
    # a hidden id reads as one with no feedback, like an unknown id: a 404 here told read
    # keys which ids are confidential needs
    rows = list_feedback(engine.store, query_id=query_id, candidate_id=candidate_id)
    if not principal.sees_confidential:
        secret = visibility.confidential_ids()
        rows = [r for r in rows if r.query_id not in secret and r.candidate_id not in secret]
    items = [FeedbackPublic.model_validate(r.model_dump())
             for r in with_pairs(engine.store, rows[page.offset:page.offset + page.limit])]
    return {"total": len(rows), "offset": page.offset, "limit": page.limit, "items": items}
