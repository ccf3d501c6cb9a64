"""Chinese labels for the console: stable codes in, zh-CN words out (unknown codes shown as is)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from techmatch.api.security import ROLE_LABELS
from techmatch.models.plan_labels import (
    ASSIGN_STATUS_LABELS,
    CONSTRAINT_LABELS,
    EXPERT_ROLE_LABELS,
    WHY_NOT_LABELS,
)
from techmatch.models.records import (
    KIND_LABELS,
    LANGUAGE_LABELS,
    RECORD_FIELD_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
)
from techmatch.models.signals import SIGNAL_LABELS

KIND = KIND_LABELS
KIND_LIBRARY = {"need": "需求库", "achievement": "成果库", "expert": "专家库"}
PLURAL = {"need": "needs", "achievement": "achievements", "expert": "experts"}
ROLE = ROLE_LABELS
NEED_STATUS = STATUS_LABELS
ACHIEVEMENT_TYPE = TYPE_LABELS
LANGUAGE = LANGUAGE_LABELS
SIGNAL = SIGNAL_LABELS
WHY_NOT = WHY_NOT_LABELS
CONSTRAINT = CONSTRAINT_LABELS
ASSIGN_STATUS = ASSIGN_STATUS_LABELS
EXPERT_ROLE = EXPERT_ROLE_LABELS
FIELD = {
    **RECORD_FIELD_LABELS,
    # docking, KPI and plan fields named by their errors
    "to": "目标阶段", "version": "版本", "need_id": "需求", "candidate_id": "对接对象",
    "source": "来源", "rank": "排名", "confidence": "置信度", "owner": "负责人",
    "team": "服务团", "reason": "终止原因", "reason_note": "原因说明", "stage_at": "阶段日期",
    "contract": "合同", "contract_type": "合同类型", "value_wan": "合同金额（万元）",
    "signed_on": "签约日期", "created_on": "创建日期",
    "start": "开始日期", "end": "结束日期", "by": "统计维度", "date": "日期",
    "need_ids": "需求", "expert_ids": "专家", "objective": "优化目标", "solver": "求解器",
    "needs": "需求编号", "experts": "专家编号",
    # console forms and programme pages
    "event_id": "活动编号", "team_id": "服务团队", "topic": "培训主题", "attended": "到场企业",
    "experts_per_topic": "每个主题专家数", "slots": "路演成果数", "kind": "记录类型",
    "note": "备注", "stage": "阶段", "plan_id": "方案编号", "target": "匹配对象",
}


def label(table: Mapping[str, str], code: object) -> str:
    """The Chinese label of `code` in `table`, or the code itself when it has none."""
    text = "" if code is None else str(code)
    return table.get(text, text)


_ACTOR = re.compile(r"(read|write|admin):([0-9a-f]{8})")
_ACTOR_SHOWN = re.compile(r"(只读|编辑|管理员)（密钥 ([0-9a-f]{8})）")


def actor(value: object) -> str:
    """A staff key as an actor or owner (`write:58855166`, `security.Principal.actor`) as staff
    read it: 编辑（密钥 58855166）; any other text (a name typed as owner) as it is."""
    text = "" if value is None else str(value)
    found = _ACTOR.fullmatch(text)
    return f"{ROLE[found[1]]}（密钥 {found[2]}）" if found else text


def actor_code(text: str) -> str:
    """`actor`'s text back to the stored form (a form or filter holding what the page shows)."""
    found = _ACTOR_SHOWN.fullmatch(text.strip())
    if not found:
        return text.strip()
    role = next(code for code, shown in ROLE.items() if shown == found[1])
    return f"{role}:{found[2]}"


TABLES: dict[str, Mapping[str, str]] = {
    "kind": KIND, "library": KIND_LIBRARY, "role": ROLE, "status": NEED_STATUS,
    "type": ACHIEVEMENT_TYPE, "language": LANGUAGE, "signal": SIGNAL, "why_not": WHY_NOT,
    "constraint": CONSTRAINT, "assign_status": ASSIGN_STATUS, "expert_role": EXPERT_ROLE,
    "field": FIELD,
}
