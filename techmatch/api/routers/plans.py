"""Plans: service-team assignment and city roadshow, scored by the ranking service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import pydantic
from fastapi import APIRouter
from pydantic import ConfigDict, Field, model_validator

from techmatch.api.deps import EngineDep, ServiceDep, Writer
from techmatch.api.errors import problem_responses
from techmatch.errors import ValidationError
from techmatch.matcher.assignment import Assignment, Constraints, WhyNot
from techmatch.matcher.plans import per_need_limits, plan_city_roadshow, plan_team
from techmatch.matcher.roadshow import RoadshowPlan
from techmatch.models.dockings import ExcludedPair
from techmatch.models.records import RecordId, ServiceTeam
from techmatch.models.strict import NumbersNotBooleans
from techmatch.models.validation_zh import message_zh

router = APIRouter(prefix="/v1/plans", tags=["plans"],
                   responses=problem_responses(401, 403, 404, 413, 422, 503))

MAX_IDS = 5_000
MAX_QUESTIONS = 100
Name = Annotated[str, Field(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0, le=10_000)]


class ConstraintsIn(NumbersNotBooleans):
    """分配约束；未给出的每需求专家数取服务团设置（没有服务团时为 1–2）。"""

    model_config = ConfigDict(extra="forbid")

    min_experts_per_need: int | None = Field(default=None, ge=0, le=100,
                                             description="每个需求至少分配的专家数")
    max_experts_per_need: int | None = Field(default=None, ge=0, le=100,
                                             description="每个需求最多分配的专家数")
    per_need: dict[RecordId, tuple[Count, Count]] = Field(
        default_factory=dict, max_length=MAX_IDS,
        description="按需求覆盖专家数：需求 id → [最少, 最多]")
    capacity: dict[RecordId, Count] = Field(default_factory=dict, max_length=MAX_IDS,
                                            description="按专家覆盖容量：专家 id → 最多服务需求数")
    default_capacity: Count | None = Field(default=None,
                                           description="统一容量，替代专家记录中的容量")
    same_province: bool = Field(default=False,
                                description="只分配同省专家（省份未知时不限制；海外专家不算同省）")
    min_score: float | None = Field(default=None, ge=0.0, le=1.0,
                                    description="低于此置信度的专家不分配；默认为置信度阈值"
                                                "（会转人工的配对不派专家），0 表示不限制")
    city_quotas: dict[Name, Count] = Field(default_factory=dict, max_length=1000,
                                           description="城市覆盖下限：城市 → 至少服务的需求数")
    industry_quotas: dict[Name, Count] = Field(default_factory=dict, max_length=1000,
                                               description="行业覆盖下限：行业 → 至少服务的需求数")

    def resolve(self, team: ServiceTeam | None) -> Constraints:
        low, high = per_need_limits(team, self.min_experts_per_need, self.max_experts_per_need)
        data = self.model_dump(exclude={"min_experts_per_need", "max_experts_per_need"})
        try:
            return Constraints(min_experts_per_need=low, max_experts_per_need=high, **data)
        except pydantic.ValidationError as exc:  # pydantic's check of min <= max
            message = message_zh(exc.errors()[0], "body.constraints")
            raise ValidationError(message, field="body.constraints") from None


class PairQuestion(NumbersNotBooleans):
    """询问某位专家为何没有分配给某个需求。"""

    need_id: RecordId = Field(description="需求 id")
    expert_id: RecordId = Field(description="专家 id")


class AssignRequest(NumbersNotBooleans):
    """服务团分配：给出服务团（专家与需求），或直接给出专家 id 与需求 id。"""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "team": {"id": "T01", "name": "苏州新材料科技服务团", "province": "江苏",
                 "city": "苏州", "industry": "新材料", "experts": ["E001", "E002", "E003"],
                 "needs": ["N001", "N005"]},
        "constraints": {"max_experts_per_need": 2, "same_province": False},
        "why_not": [{"need_id": "N001", "expert_id": "E003"}]}]})

    team: ServiceTeam | None = Field(default=None, description="服务团；needs 为空时服务其"
                                                               "城市/省份/行业的全部开放需求")
    expert_ids: list[RecordId] = Field(default_factory=list, max_length=MAX_IDS,
                                       description="专家 id（给出时替代服务团专家）")
    need_ids: list[RecordId] = Field(default_factory=list, max_length=MAX_IDS,
                                     description="需求 id（给出时替代服务团需求）")
    constraints: ConstraintsIn = Field(default_factory=ConstraintsIn, description="约束")
    objective: Literal["total", "fairness"] = Field(
        default="total", description="total：总匹配分最大；fairness：先让最差需求的得分最大")
    alternates: int = Field(default=3, ge=0, le=20, description="每个需求列出的备选专家数")
    why_not: list[PairQuestion] = Field(default_factory=list, max_length=MAX_QUESTIONS,
                                        description="要解释“为何未分配”的需求–专家对")

    @model_validator(mode="after")
    def _has_input(self) -> AssignRequest:
        if self.team is None and not (self.expert_ids and self.need_ids):
            raise ValueError("请给出服务团 team，或同时给出 expert_ids（专家编号）和 "
                             "need_ids（需求编号）")
        return self


class AssignResponse(Assignment):
    """分配结果：分配对、每个需求的专家与备选、专家负荷，以及所问各对的未分配原因。"""

    why_not: list[WhyNot] = Field(default_factory=list, description="未分配原因")
    excluded: list[ExcludedPair] = Field(default_factory=list,
                                         description="工作人员已终止（不相关/不再推荐）的需求—专家对，"
                                                     "不会被分配")


class RoadshowRequest(NumbersNotBooleans):
    """技术路演：在一个城市（和行业）选出覆盖本地需求最多的成果，并为每项成果邀请企业。"""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "city": "苏州", "industry": "新材料", "slots": 3, "invites_per_achievement": 5,
        "date": "2026-03-15"}]})

    city: Name = Field(description="路演城市（按需求所在城市取开放需求）")
    industry: Name | None = Field(default=None, description="行业；不填为该城市全部行业")
    slots: int = Field(ge=1, le=100, description="路演成果数")
    invites_per_achievement: int = Field(default=5, ge=0, le=100,
                                         description="每项成果邀请的企业数")
    date: dt.date | None = Field(default=None, description="路演日期")
    prefer_province: bool = Field(default=False,
                                  description="同省成果优先（选择时匹配分加 0.1，不让低于最低匹配分"
                                              "的配对入选；邀请仍引用原匹配分）")
    min_score: float | None = Field(default=None, ge=0.0, le=1.0,
                                    description="低于此匹配分不算覆盖，也不邀请；默认为置信度阈值")
    overseas: bool = Field(default=False, description="海外人才中国行：只用海外专家的成果与主讲")


@router.post("/assign", response_model=AssignResponse, summary="服务团专家分配",
             description="在容量、每需求专家数、利益冲突（同单位、回避名单）、同省规则与"
                         "城市/行业覆盖下限约束下，最大化总匹配分（或先保最差需求）。"
                         "约束无法同时满足时仍为能覆盖的需求给出最优方案（status partial），"
                         "uncovered 逐条列出无法覆盖的需求与原因（reason 代码与中文 text），"
                         "diagnostics 说明哪条约束差多少；一条需求也覆盖不了时返回 422 "
                         "(urn:techmatch:problem:infeasible)。需要 write 权限。")
def assign(principal: Writer, body: AssignRequest, engine: EngineDep,
           service: ServiceDep) -> AssignResponse:
    plan = plan_team(engine, service, team=body.team, expert_ids=body.expert_ids,
                     need_ids=body.need_ids, constraints=body.constraints.resolve(body.team),
                     objective=body.objective, alternates=body.alternates)
    plan.assignment.raise_for_status()
    answers = plan.why_not((q.need_id, q.expert_id) for q in body.why_not)
    return AssignResponse(**plan.assignment.model_dump(), why_not=answers,
                          excluded=list(plan.excluded))


@router.post("/roadshow", response_model=RoadshowPlan, summary="技术路演方案",
             description="选出覆盖本地需求最多、互不重复的成果，为每项成果列出邀请企业"
                         "（含理由）和路演/点评专家。需要 write 权限。")
def roadshow(principal: Writer, body: RoadshowRequest, engine: EngineDep,
             service: ServiceDep) -> RoadshowPlan:
    return plan_city_roadshow(engine, service, city=body.city, industry=body.industry,
                              slots=body.slots,
                              invites_per_achievement=body.invites_per_achievement,
                              date=body.date, prefer_province=body.prefer_province,
                              min_score=body.min_score, overseas=body.overseas)
