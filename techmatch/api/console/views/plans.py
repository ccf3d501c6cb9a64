"""路演策划 and 服务团派单 presenters: Chinese reasons from the plans' codes, and their sheets."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from techmatch.errors import ValidationError
from techmatch.matcher.assignment import Assignment, WhyNot
from techmatch.matcher.roadshow import RoadshowPlan, expert_reason, invitee_reason
from techmatch.matcher.taxonomy import industry_path
from techmatch.models.records import Need
from techmatch.xlsx import Sheet

_PAIR_SEPARATORS = re.compile(r"[\s,，:：、;；]+")


def why_not_questions(text: str, need_ids: Collection[str],
                      expert_ids: Collection[str]) -> list[tuple[str, str]]:
    """The form's 询问“为何未分配” lines as (need id, expert id), each a need and an expert of
    this plan; a line that is no such pair is an error naming the line (never skipped)."""
    out = []
    for row, line in enumerate(text.splitlines(), start=1):
        ids = [part for part in _PAIR_SEPARATORS.split(line.strip()) if part]
        if not ids:
            continue
        where = f"询问“为何未分配”第 {row} 行"
        if len(ids) != 2:
            raise ValidationError(f"{where}应为“需求编号 专家编号”，收到 {line.strip()}")
        need_id, expert_id = ids
        if need_id not in need_ids:
            raise ValidationError(f"{where}：{need_id} 不是本次派单的需求")
        if expert_id not in expert_ids:
            raise ValidationError(f"{where}：{expert_id} 不是本次派单的专家")
        out.append((need_id, expert_id))
    return out


def no_needs_text(city: str, industry: str, open_there: Sequence[Need]) -> str:
    """Why no roadshow plan: no open need of the city (and industry), and which industries
    the city's open needs do have, with the taxonomy path of the industry asked for."""
    path = industry_path(industry) if industry else None
    what = city + (f"/{industry}" if industry else "") + (f"（{path}）" if path else "")
    text = f"无法生成方案：{what} 没有待匹配的需求"
    if industry and open_there:
        counts = Counter(n.industry or "未填行业" for n in open_there)
        text += "；该城市的待匹配需求：" + "、".join(f"{name} {count} 条"
                                          for name, count in sorted(counts.items()))
    return text


def roadshow_sheets(plan: RoadshowPlan, titles: Mapping[str, str]) -> list[Sheet]:
    items = [[i.rank, i.achievement_id, i.title, round(i.covered_demand, 4),
              "、".join(i.covered_needs), i.expert.expert_id if i.expert else None,
              i.expert.name if i.expert else None,
              i.expert.role_label if i.expert else None,
              expert_reason(i.expert) if i.expert else None] for i in plan.items]
    invites = [[i.rank, i.achievement_id, v.need_id, v.enterprise, round(v.score, 4),
                "、".join(v.shared_keywords), invitee_reason(v, titles)]
               for i in plan.items for v in i.invitees]
    dups = [[d.achievement_id, d.duplicate_of, round(d.similarity, 4)]
            for d in plan.skipped_duplicates]
    dropped = [[x.need_id, x.candidate_id, x.reason_label] for x in plan.excluded]
    summary: list[list[Any]] = [["城市", plan.city], ["行业", plan.industry or "全部"],
                                ["日期", plan.date or "待定"], ["路演名额", plan.slots],
                                ["已排成果数", len(plan.items)],
                                ["每项邀请企业数", plan.invites_per_achievement],
                                ["覆盖需求分", round(plan.total_covered_demand, 4)],
                                *[["说明", note] for note in plan.notes]]
    return [
        Sheet("路演成果", ["序号", "成果编号", "成果名称", "覆盖需求分", "覆盖需求", "路演专家编号",
                       "专家姓名", "专家角色", "专家理由"], items,
              (6, 10, 40, 10, 20, 10, 10, 10, 40)),
        Sheet("邀请企业", ["序号", "成果编号", "需求编号", "企业", "匹配分", "共同关键词",
                       "邀请理由"], invites, (6, 10, 10, 30, 8, 24, 60)),
        Sheet("近似重复未选", ["成果编号", "重复于", "相似度"], dups, (10, 10, 8)),
        Sheet("已终止不邀请", ["需求编号", "成果编号", "终止原因"], dropped, (10, 10, 30)),
        Sheet("概要", ["项目", "值"], summary, (16, 60)),
    ]


def assignment_sheets(assignment: Assignment, names: Mapping[str, str],
                      answers: list[WhyNot]) -> list[Sheet]:
    pairs = [[p.need_id, names.get(p.need_id, ""), p.expert_id, names.get(p.expert_id, ""),
              round(p.score, 4)] for p in assignment.pairs]
    per_need = [[r.need_id, names.get(r.need_id, ""), len(r.experts),
                 "、".join(f"{x.expert_id}（{x.score:.2f}{'' if x.has_capacity else '，已满'}）"
                          for x in r.alternates), r.unserved_text] for r in assignment.needs]
    loads = [[x.expert_id, names.get(x.expert_id, ""), x.load, x.capacity, "、".join(x.needs),
              x.blocked_text] for x in assignment.experts]
    why = [[w.need_id, w.expert_id, w.text] for w in answers]
    diag = [[d.text] for d in assignment.diagnostics]
    uncovered = [[u.need_id, names.get(u.need_id, ""), u.reason_label, u.text, u.reason]
                 for u in assignment.uncovered]
    summary: list[list[Any]] = [
        ["状态", assignment.status_label],
        ["无法覆盖的需求数", len(assignment.uncovered)],
        ["总分", round(assignment.total_score, 4)],
        ["最差需求得分", None if assignment.worst_need_score is None
         else round(assignment.worst_need_score, 4)],
        ["目标", "先保最差需求" if assignment.objective == "fairness" else "总匹配分最大"]]
    return [
        Sheet("分配结果", ["需求编号", "需求", "专家编号", "专家", "匹配分"], pairs,
              (10, 40, 10, 12, 8)),
        Sheet("需求", ["需求编号", "需求", "已分配专家数", "备选专家", "未分配原因"], per_need,
              (10, 40, 12, 40, 40)),
        Sheet("专家负荷", ["专家编号", "专家", "已分配需求数", "容量", "需求", "不能服务的需求"],
              loads, (10, 12, 12, 8, 24, 40)),
        Sheet("未分配原因", ["需求编号", "专家编号", "原因"], why, (10, 10, 60)),
        Sheet("无法覆盖的需求", ["需求编号", "需求", "原因", "说明", "原因代码"], uncovered,
              (10, 40, 24, 60, 18)),
        Sheet("不可行诊断", ["说明"], diag, (80,)),
        Sheet("概要", ["项目", "值"], summary, (16, 30)),
    ]
