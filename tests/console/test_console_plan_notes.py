"""A roadshow plan's page and its XLSX carry what the plan says beside its items: why slots
stayed empty, which pairs were left out (own results, pairs staff dropped), near duplicates."""

from __future__ import annotations

import re
from types import SimpleNamespace

from techmatch.api.console.deps import TEMPLATES
from techmatch.api.console.views.plans import assignment_sheets, roadshow_sheets
from techmatch.matcher.assignment import (
    Alternate,
    Assignment,
    ExpertLoad,
    NeedResult,
    Pair,
    Status,
)
from techmatch.matcher.roadshow import (
    PresentingExpert,
    RoadshowItem,
    RoadshowPlan,
    SkippedDuplicate,
    expert_reason,
    invitee_reason,
)
from techmatch.models.dockings import ExcludedPair

NOTES = ["本地待匹配需求 6 条，候选成果 100 项",
         "8 个路演名额只排了 1 个：其余成果要么不再增加覆盖的需求，要么与已选成果近似重复"]
PLAN = RoadshowPlan(
    city="合肥", slots=8, invites_per_achievement=3, total_covered_demand=1.0, notes=NOTES,
    items=[RoadshowItem(rank=1, achievement_id="A081", title="Mura缺陷检测", covered_demand=1.0,
                        covered_needs=["N037"], invitees=[],
                        expert=PresentingExpert(expert_id="E058", name="孙昊", role="owner",
                                                reason=""))],
    skipped_duplicates=[SkippedDuplicate(achievement_id="A042", duplicate_of="A001",
                                         similarity=0.99)],
    excluded=[ExcludedPair(need_id="N038", candidate_id="A083", candidate_kind="achievement",
                           docking_id="D1", reason_label="企业不感兴趣")])


def test_roadshow_page_shows_the_plans_notes_and_the_pairs_staff_dropped() -> None:
    saved = SimpleNamespace(id="roadshow-1", title="合肥 技术路演", status="draft",
                            created="2026-11-30T18:00:00", actor="write:1")
    html = TEMPLATES.env.get_template("roadshow_plan.html").render(
        nav=[], staff=None, csrf="", saved=saved, plan=PLAN, titles={},
        invitee_reason=invitee_reason, expert_reason=expert_reason)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert all(note in text for note in NOTES)
    assert "N038 — A083 （企业不感兴趣）" in text


def test_roadshow_xlsx_has_the_notes_duplicates_and_dropped_pairs_the_page_shows() -> None:
    sheets = {s.title: s for s in roadshow_sheets(PLAN, {})}
    summary = dict((row[0], row[1]) for row in sheets["概要"].rows if row[0] != "说明")
    # the page reads 1/8 项成果: the sheet said 路演成果数 8 beside one talk
    assert (summary["路演名额"], summary["已排成果数"]) == (8, 1) and "场次" not in summary
    assert [row[1] for row in sheets["概要"].rows if row[0] == "说明"] == NOTES
    assert sheets["近似重复未选"].rows == [["A042", "A001", 0.99]]
    assert sheets["已终止不邀请"].rows == [["N038", "A083", "企业不感兴趣"]]


def test_assignment_xlsx_lists_the_alternates_the_page_shows() -> None:
    pair = Pair(need_id="N005", expert_id="E001", score=0.997)
    assignment = Assignment(
        status=Status.optimal, solver="milp", objective="total", total_score=0.997,
        seconds=0.0, pairs=[pair],
        needs=[NeedResult(need_id="N005", experts=[pair], total_score=0.997, min_experts=1,
                          max_experts=1,
                          alternates=[Alternate(expert_id="E002", score=0.937,
                                                has_capacity=False),
                                      Alternate(expert_id="E009", score=0.526,
                                                has_capacity=True)])],
        experts=[ExpertLoad(expert_id="E003", load=0, capacity=2, needs=[],
                            blocked={"same_organization": 1})])
    sheets = {s.title: s for s in assignment_sheets(assignment, {"N005": "隔膜浆料"}, [])}
    assert sheets["需求"].rows == [["N005", "隔膜浆料", 1, "E002（0.94，已满）、E009（0.53）", ""]]
    # why an unused expert serves nobody, on the page and in the sheet
    assert sheets["专家负荷"].rows == [["E003", "", 0, 2, "", "专家任职于需求企业 1 条"]]
    saved = SimpleNamespace(id="assign-1", title="T01 派单", status="draft")
    html = TEMPLATES.env.get_template("assign_plan.html").render(
        nav=[], staff=None, csrf="", saved=saved, plan=assignment, names={}, answers=[])
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "E003 0/2 专家任职于需求企业 1 条" in text


def test_why_not_lines_are_checked_against_the_plan_never_skipped() -> None:
    """询问“为何未分配” with a need not in the plan (N010) left the form for a bare error page
    (需求：未知编号 N010) and a line typed 'N001,E003' was silently skipped. Each line now reads
    with a space, comma, colon or 、, and a line that is no pair of this plan names its row."""
    from techmatch.api.console.messages import error_message
    from techmatch.api.console.views.intake import field_label
    from techmatch.api.console.views.plans import why_not_questions
    from techmatch.errors import ValidationError

    needs, experts = ["N001", "N005"], ["E001", "E003"]
    assert why_not_questions("N001 E003\n\nN005,E001\nN001：E001\n", needs, experts) == [
        ("N001", "E003"), ("N005", "E001"), ("N001", "E001")]
    cases = [("N001 E003\nN010 E001", "询问“为何未分配”第 2 行：N010 不是本次派单的需求"),
             ("N001 E019", "询问“为何未分配”第 1 行：E019 不是本次派单的专家"),
             ("N001", "询问“为何未分配”第 1 行应为“需求编号 专家编号”，收到 N001")]
    for text, expected in cases:
        try:
            why_not_questions(text, needs, experts)
        except ValidationError as exc:
            assert error_message(exc, field_label) == expected
        else:
            raise AssertionError(f"{text!r} was accepted")


def test_a_need_left_without_an_expert_says_why_on_the_page_and_in_the_sheet() -> None:
    """With 每需求最少专家数 0 a need nobody could serve read only 无 (N044: its one confident
    expert is in 辽宁, the others below the floor); page and sheet now say why."""
    served = Pair(need_id="N043", expert_id="E062", score=0.96)
    assignment = Assignment(
        status=Status.optimal, solver="milp", objective="total", total_score=0.96,
        seconds=0.0, pairs=[served],
        needs=[NeedResult(need_id="N043", experts=[served], total_score=0.96, min_experts=0,
                          max_experts=2),
               NeedResult(need_id="N044", experts=[], total_score=0.0, min_experts=0,
                          max_experts=2, unserved={"below_threshold": 4, "region": 2})])
    reason = "没有可分配的专家：低于最低置信度 4 位，不在同一省份 2 位"
    sheets = {s.title: s for s in assignment_sheets(assignment, {}, [])}
    assert [row[4] for row in sheets["需求"].rows] == ["", reason]
    saved = SimpleNamespace(id="assign-1", title="青岛团 派单", status="draft")
    html = TEMPLATES.env.get_template("assign_plan.html").render(
        nav=[], staff=None, csrf="", saved=saved, plan=assignment, names={}, answers=[],
        label=lambda table, code: code, labels=SimpleNamespace(assign_status={}))
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert f"N044 无（{reason}）" in text


def test_an_item_without_presenter_does_not_blame_only_conflicts() -> None:
    """Two talks, one available expert who owns neither: it comments on the first and the
    second had no presenter, which the page put down to 都不可服务或与受邀企业有冲突 although
    the expert was free of both, only taken by the first talk."""
    from techmatch.matcher.roadshow import plan_roadshow
    from techmatch.models.records import Achievement, Expert, Need

    needs = [Need(id="N1", title="电池", enterprise="甲"),
             Need(id="N2", title="膜", enterprise="乙")]
    achievements = [Achievement(id="A1", title="电池回收"), Achievement(id="A2", title="膜分离")]
    experts = [Expert(id="E1", name="张", organization="大学")]
    plan = plan_roadshow(achievements, needs, experts, [[0.9, 0.0], [0.0, 0.9]],
                         [[1.0, 0.0], [0.0, 1.0]], [[0.8], [0.7]], slots=2,
                         invites_per_achievement=2)
    assert [i.expert.expert_id if i.expert else None for i in plan.items] == ["E1", None]
    saved = SimpleNamespace(id="roadshow-1", title="苏州 技术路演", status="draft",
                            created="2026-11-30T18:00:00", actor="write:1")
    html = TEMPLATES.env.get_template("roadshow_plan.html").render(
        nav=[], staff=None, csrf="", saved=saved, plan=plan, titles={},
        invitee_reason=invitee_reason, expert_reason=expert_reason,
        label=lambda table, code: code, labels=SimpleNamespace(expert_role={}))
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "没有可安排的路演专家" in text and "已在本场点评其他成果" in text


def test_assignment_summary_rounds_the_worst_need_score_as_the_total() -> None:
    """概要 read 总分 3.5629 beside 最差需求得分 1.628546482381591."""
    assignment = Assignment(status=Status.optimal, solver="milp", objective="total",
                            total_score=3.562912, worst_need_score=1.628546482381591,
                            seconds=0.0)
    summary = dict(next(s for s in assignment_sheets(assignment, {}, [])
                        if s.title == "概要").rows)
    assert (summary["总分"], summary["最差需求得分"]) == (3.5629, 1.6285)


def test_roadshow_without_needs_says_which_industries_the_city_has() -> None:
    """路演策划 苏州/集成电路 read only 无法生成方案：苏州/集成电路 没有待匹配的需求; the planner's
    hint (the city's open needs by industry, the taxonomy path) reached only the API."""
    from techmatch.api.console.views.plans import no_needs_text
    from techmatch.models.records import Need

    there = [Need(id="N1", title="隔膜", industry="新材料"),
             Need(id="N2", title="AOI", industry="新一代信息技术"),
             Need(id="N3", title="浆料", industry="新材料")]
    assert no_needs_text("苏州", "集成电路", there) == (
        "无法生成方案：苏州/集成电路（新一代信息技术产业 > 电子核心产业 > 集成电路制造） "
        "没有待匹配的需求；"
        "该城市的待匹配需求：新一代信息技术 1 条、新材料 2 条")
    assert no_needs_text("拉萨", "", []) == "无法生成方案：拉萨 没有待匹配的需求"
