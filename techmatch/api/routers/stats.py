"""Coverage and demand-gap analytics, and the nightly batch's runs and stored results."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from techmatch.api.deps import EngineDep, Reader, SettingsDep, VisibilityDep
from techmatch.api.errors import problem_responses
from techmatch.errors import no_such
from techmatch.matcher.analytics import coverage_report
from techmatch.matcher.batch import results
from techmatch.matcher.batch.plan import REASON_LABELS
from techmatch.matcher.batch.results import COUNT_LABELS, RUN_STATUS_LABELS
from techmatch.matcher.conflicts import conflict
from techmatch.matcher.dockings.effects import exclusions
from techmatch.models.plan_labels import CONFLICT_LABELS

router = APIRouter(prefix="/v1", tags=["stats"],
                   responses=problem_responses(401, 403, 404, 422, 503))

KindsQuery = Annotated[list[str] | None, Query(description="候选类型：achievement / expert")]


@router.get("/stats/coverage", summary="覆盖率与需求缺口",
            description="按城市 × 行业统计：开放需求数、有可信匹配的需求数、无可信匹配的需求数、"
                        "候选供给；列出未匹配需求、未满足需求的高频关键词与上升话题。"
                        "数据来自最近一次夜间批量匹配。只读密钥看不到保密需求的明细。")
def coverage(principal: Reader, engine: EngineDep, settings: SettingsDep,
             visibility: VisibilityDep, kinds: KindsQuery = None,
             threshold: Annotated[float | None, Query(ge=0.0, le=1.0,
                                                      description="置信度阈值")] = None,
             industry_level: Annotated[int | None, Query(
                 ge=1, le=3, description="按产业分类汇总到第几级（1 为 9 个大类）")] = None
             ) -> dict[str, Any]:
    hidden = frozenset() if principal.sees_confidential else visibility.confidential_ids()
    return coverage_report(engine.store, engine.tokenizer,
                           threshold=settings.confidence_threshold if threshold is None
                           else threshold, kinds=kinds, hidden=hidden,
                           industry_level=industry_level).as_dict()


@router.get("/batch/runs", summary="批量匹配运行记录",
            description="最近的夜间批量匹配运行：开始/结束时间、状态、计数、配置、索引代次。")
def batch_runs(principal: Reader, engine: EngineDep,
               limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, Any]]:
    return [_run_view(results.as_shown(engine.store, run))
            for run in results.runs(engine.store, limit=limit)]


def _run_view(run: results.RunRecord) -> dict[str, Any]:
    """A run with Chinese labels beside its codes: `status_label`, `count_labels` for its
    counts (`skipped_fresh` 运行期间经人工操作更新 …), and `reason_labels` for every recompute
    reason its counts name (`new` 尚无结果 …)."""
    view = asdict(run)
    view["status_label"] = RUN_STATUS_LABELS.get(run.status, run.status)
    codes = {code for part in (run.counts or {}).values() if isinstance(part, dict)
             for code in (part.get("reasons") or {})}
    view["reason_labels"] = {code: REASON_LABELS.get(code, code) for code in sorted(codes)}
    view["count_labels"] = dict(COUNT_LABELS)
    return view


@router.get("/batch/results/{need_id}", summary="某需求的批量匹配结果",
            description="最近一次批量匹配为该需求保存的前 k 个候选（含得分、置信度、理由）。"
                        "已匹配/已关闭的需求保留最后一次结果；其后被删除的候选标 "
                        "candidate_deleted。")
def batch_results(principal: Reader, engine: EngineDep, visibility: VisibilityDep,
                  need_id: Annotated[str, Path(min_length=1, max_length=128,
                                               pattern=r"^[\w.\-:/]+$")]
                  ) -> list[dict[str, Any]]:
    if not principal.sees_confidential and need_id in visibility.confidential_ids():
        raise no_such("need", need_id)
    need = engine.store.get(need_id, "need")  # an unknown id is 404, not [] ("no run yet")
    hits = [asdict(h) for h in results.iter_hits(engine.store, need_id=need_id)]
    if not principal.sees_confidential:
        secret = visibility.confidential_ids()
        hits = [h for h in hits if h["candidate_id"] not in secret]
    found = engine.store.get_many([h["candidate_id"] for h in hits])
    for h in hits:  # relevant but no docking: the same mark as a live match (conflicts.py)
        code = conflict(need, cand) if (cand := found.get(h["candidate_id"])) else None
        h["conflict"], h["conflict_label"] = code, CONFLICT_LABELS[code] if code else None
        # a closed / matched need keeps its last results: a candidate deleted since is marked
        h["candidate_deleted"] = cand is None
    return hits


@router.get("/batch/excluded/{need_id}", summary="批量匹配为某需求排除的候选",
            description="员工终止为“不相关”或标记“不再推荐”的配对：夜间批量匹配不再为该需求"
                        "推荐这些候选。列出候选、对接编号与原因（英文代码与中文标签）。")
def batch_excluded(principal: Reader, engine: EngineDep, visibility: VisibilityDep,
                   need_id: Annotated[str, Path(min_length=1, max_length=128,
                                                pattern=r"^[\w.\-:/]+$")]
                   ) -> list[dict[str, Any]]:
    if not principal.sees_confidential and need_id in visibility.confidential_ids():
        raise no_such("need", need_id)
    engine.store.get(need_id, "need")  # an unknown id is 404, not []
    found = exclusions(engine.store, [need_id]).get(need_id, {})
    return [{"need_id": need_id, **found[c].model_dump(mode="json")} for c in sorted(found)]
