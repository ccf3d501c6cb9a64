"""Dockings (对接): one (need, candidate) pair followed from suggestion to signed deal.

Pure data: stage, reason, contract-type and source codes with their Chinese labels, the
docking record, its history entries and the pairs a need excludes. No I/O; the rules
(allowed moves, due dates, effects, KPIs) live in `techmatch.matcher.dockings`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from techmatch.models.strict import NumbersNotBooleans

Stage = Literal["suggested", "contacted", "confirmed", "negotiating", "signed", "completed",
                "dropped"]
# The main path in order; `dropped` leaves it from any open stage.
STAGES: tuple[str, ...] = ("suggested", "contacted", "confirmed", "negotiating", "signed",
                           "completed")
ALL_STAGES: tuple[str, ...] = (*STAGES, "dropped")
OPEN_STAGES: tuple[str, ...] = ("suggested", "contacted", "confirmed", "negotiating")
STAGE_LABELS: dict[str, str] = {
    "suggested": "推荐", "contacted": "已联系", "confirmed": "企业确认", "negotiating": "洽谈",
    "signed": "签约", "completed": "验收", "dropped": "终止",
}
STAGE_RANK: dict[str, int] = {s: i for i, s in enumerate(STAGES)}

Reason = Literal["not_relevant", "too_early", "already_solved", "too_costly",
                 "ip_confidentiality", "unresponsive", "other"]
REASONS: tuple[str, ...] = ("not_relevant", "too_early", "already_solved", "too_costly",
                            "ip_confidentiality", "unresponsive", "other")
REASON_LABELS: dict[str, str] = {
    "not_relevant": "不相关", "too_early": "技术成熟度不够", "already_solved": "需求已解决",
    "too_costly": "成本过高", "ip_confidentiality": "知识产权或保密问题",
    "unresponsive": "企业无回应", "other": "其他",
}

ContractType = Literal["transfer", "license", "development", "service", "consulting", "equity"]
CONTRACT_TYPES: tuple[str, ...] = ("transfer", "license", "development", "service",
                                   "consulting", "equity")
CONTRACT_LABELS: dict[str, str] = {
    "transfer": "技术转让", "license": "技术许可", "development": "技术开发",
    "service": "技术服务", "consulting": "技术咨询", "equity": "作价入股",
}

Source = Literal["search", "match", "batch", "roadshow", "team_plan", "manual", "import",
                 "feedback"]
SOURCES: tuple[str, ...] = ("search", "match", "batch", "roadshow", "team_plan", "manual",
                            "import", "feedback")
SOURCE_LABELS: dict[str, str] = {
    "search": "检索", "match": "匹配", "batch": "夜间批量", "roadshow": "路演邀请",
    "team_plan": "服务团分配", "manual": "人工录入", "import": "表格导入", "feedback": "反馈",
}
CandidateKind = Literal["achievement", "expert"]


class ContractTerms(NumbersNotBooleans):
    """A signing as staff give it: contract type, value in 万元 (10,000 yuan) and, when known,
    the contract's date (签约日期, a China date); without it the signing is dated the day it
    is recorded (`matcher.dockings.tracking.signing_date`)."""

    model_config = ConfigDict(extra="forbid")

    contract_type: ContractType
    value_wan: float = Field(ge=0, allow_inf_nan=False, description="合同金额（万元）")
    signed_on: dt.date | None = Field(
        default=None, description="签约日期（合同签订日，北京时间日期；不晚于今天、不早于对接"
                                  "创建日；不填为记录当天）。签约数与签约金额按它计入统计期")


class Contract(ContractTerms):
    """What a signing records: contract type, value in 万元 and the contract's date (签约日期),
    the day deals count on in the KPIs and the programme dashboard."""

    signed_on: dt.date = Field(description="签约日期（合同签订日，北京时间日期）")  # type: ignore[assignment]


class Docking(BaseModel):
    """One docking as stored; `version` grows by one with every change (optimistic lock)."""

    id: str
    need_id: str
    candidate_id: str
    candidate_kind: CandidateKind
    source: Source
    rank: int | None = None
    confidence: float | None = None
    stage: Stage
    peak_stage: Stage = Field(description="furthest main-path stage ever reached")
    reason: Reason | None = None
    reason_note: str | None = None
    never_suggest: bool = False
    owner: str | None = None
    team: str | None = None
    keep_open: bool = False
    contract: Contract | None = None
    version: int = 1
    created_at: dt.datetime
    created_by: str | None = None
    stage_at: dt.datetime = Field(description="when the current stage was entered")
    due_on: dt.date | None = Field(default=None, description="due date of the current stage")

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def excludes(self) -> bool:
        """True when this pair must never be suggested again for its need."""
        return self.stage == "dropped" and (self.reason == "not_relevant" or self.never_suggest)


class HistoryEntry(BaseModel):
    """One appended move: who, when, from, to, note (never edited)."""

    docking_id: str
    version: int = Field(description="the docking's version after this change (1 = created)")
    at: dt.datetime
    actor: str | None = None
    from_stage: Stage | None = None
    to_stage: Stage
    note: str | None = None


class Excluded(BaseModel):
    """A candidate left out for a need because staff dropped the pair."""

    candidate_id: str
    candidate_kind: CandidateKind
    docking_id: str
    reason: Reason | None = None
    reason_label: str = ""
    never_suggest: bool = False


class ExcludedPair(Excluded):
    """An excluded (need, candidate) pair, as plans (roadshow, team) list them."""

    need_id: str


class DockingView(Docking):
    """A docking as shown to people and programs: codes with Chinese labels, overdue flag and
    the moves allowed from its stage."""

    stage_label: str
    peak_stage_label: str = ""
    candidate_kind_label: str = ""
    reason_label: str | None = None
    source_label: str
    contract_label: str | None = None
    overdue: bool = False
    allowed_moves: list[str] = Field(default_factory=list)


class HistoryView(HistoryEntry):
    """A history entry with Chinese stage labels."""

    from_label: str | None = None
    to_label: str
