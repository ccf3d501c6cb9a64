"""KPIs (绩效考核) of dockings over a date window, per city × industry × team × owner."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from techmatch.api.deps import EngineDep, Reader
from techmatch.api.errors import problem_responses
from techmatch.matcher.dockings.kpis import DIMENSIONS, KpiReport, kpi_report

router = APIRouter(prefix="/v1", tags=["dockings"],
                   responses=problem_responses(401, 403, 422, 503))

NameQuery = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get("/kpis", response_model=KpiReport, summary="对接绩效指标",
            description="时间窗 [from, to]（北京时间 UTC+8 日期，含两端）内：发布需求数、"
                        "有推荐的需求数、推荐、已联系、企业确认、洽谈、签约、验收、终止、超期，签约金额（万元），"
                        "阶段转化率与各阶段中位天数；按城市 × 行业 × 服务团 × 负责人分组"
                        "（by 选维度），另给合计行。城市为需求所在的试点城市"
                        "（同名城市带省份，如 朝阳（辽宁）；只写同名城市名、"
                        "没有省份的需求为 朝阳（无法确定城市））。")
def kpis(principal: Reader, engine: EngineDep,
         start: Annotated[dt.date, Query(alias="from", description="起始日期（含）")],
         end: Annotated[dt.date, Query(alias="to", description="截止日期（含）")],
         by: Annotated[str, Query(max_length=60, description="分组维度，逗号分隔："
                                  "city,industry,team,owner")] = ",".join(DIMENSIONS),
         city: NameQuery = None, industry: NameQuery = None, team: NameQuery = None,
         owner: NameQuery = None) -> KpiReport:
    dims = [d.strip() for d in by.split(",") if d.strip()]
    filters = {k: v for k, v in (("city", city), ("industry", industry), ("team", team),
                                 ("owner", owner)) if v is not None}
    return kpi_report(engine.store, start=start, end=end, by=dims, filters=filters)
