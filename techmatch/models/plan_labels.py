"""Chinese labels of the plans' codes (service-team assignment, roadshows), beside the codes in
JSON and shared by the console, the CLI and the API."""

from __future__ import annotations

WHY_NOT_LABELS: dict[str, str] = {
    "assigned": "已分配", "conflict": "利益冲突", "unavailable": "专家不可服务",
    "region": "不满足同省规则", "unscored": "没有匹配分", "below_threshold": "低于最低置信度",
    "capacity_full": "专家容量已满", "beaten": "名额被更合适的专家占用",
    "pruned": "不在候选前列", "need_limit": "该需求专家数已满", "no_gain": "分配后总分不增加",
    "not_solved": "方案未求解", "dropped": "对接已被工作人员终止",
}
CONSTRAINT_LABELS: dict[str, str] = {
    "total_capacity": "专家总容量不足", "need_experts": "需求可用专家不足",
    "quota": "城市/行业覆盖下限无法满足", "need_min": "需求最少专家数无法满足",
    "capacity": "专家容量不足", "unknown": "原因未知",
}
# why an expert is not allowed for a need, as infeasibility diagnostics count them (`causes`)
CAUSE_LABELS: dict[str, str] = {
    "same_organization": "专家任职于需求企业", "excluded": "专家声明回避该企业",
    "unavailable": "专家不可服务", "region": "不在同一省份", "unscored": "没有匹配分",
    "below_threshold": "低于最低置信度", "zero_capacity": "专家容量为 0",
    "dropped": "对接已被工作人员终止", "capacity_full": "专家容量已满"}
QUOTA_FACET_LABELS: dict[str, str] = {"city": "城市", "industry": "行业"}
ASSIGN_STATUS_LABELS: dict[str, str] = {
    "optimal": "最优方案", "feasible": "可行方案",
    "partial": "部分方案（约束无法同时满足，可覆盖的需求照常派单）",
    "infeasible": "约束无法同时满足",
    "error": "求解出错", "timeout": "求解超时"}
# why a partial plan leaves a need without experts (Assignment.uncovered)
UNCOVERED_LABELS: dict[str, str] = {
    "no_eligible_expert": "没有可分配的专家", "too_few_experts": "可分配的专家少于最少人数",
    "capacity_full": "可分配的专家容量已被其他需求占满"}
EXPERT_ROLE_LABELS: dict[str, str] = {"owner": "成果完成人", "commentator": "点评专家"}
# why an achievement's owner does not present it at a roadshow
OWNER_OUT_LABELS: dict[str, str] = {"unavailable": "不可服务",
                                    "same_organization": "任职于受邀企业",
                                    "excluded": "声明回避受邀企业",
                                    "booked": "当天已在其他活动主讲或授课"}
# a match hit that is relevant but no docking (techmatch.matcher.conflicts): the same
# conditions the assignment reports as "conflict", plus the enterprise's own result
CONFLICT_LABELS: dict[str, str] = {
    "own_result": "需求企业自有成果",
    "same_organization": "专家任职于需求企业",
    "excluded": "专家声明回避该企业",
}


__all__ = ["ASSIGN_STATUS_LABELS", "CAUSE_LABELS", "CONFLICT_LABELS", "CONSTRAINT_LABELS",
           "EXPERT_ROLE_LABELS", "OWNER_OUT_LABELS", "QUOTA_FACET_LABELS", "UNCOVERED_LABELS",
           "WHY_NOT_LABELS"]
