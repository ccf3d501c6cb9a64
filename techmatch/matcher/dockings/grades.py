"""One mapping from a docking's stage and drop reason to a relevance grade (0–2).

It feeds `train-ranker --from-feedback`, `export-feedback` and evaluation; the legacy
feedback labels migrate into dockings (accepted → confirmed, contacted → contacted,
deal → signed, rejected + reason → dropped + reason), so their old grades are kept:

| stage / reason                                    | grade |
|---------------------------------------------------|-------|
| signed 签约, completed 验收                        | 2     |
| contacted 已联系, confirmed 企业确认, negotiating 洽谈 | 1  |
| suggested 推荐 (nobody judged it yet)              | —     |
| dropped 终止, not_relevant 不相关 or never suggest   | 0     |
| dropped 终止, unresponsive 企业无回应 or already_solved 需求已解决 | — |
| dropped 终止, any other reason, never confirmed     | 0     |
| dropped 终止 after confirmed, any other reason      | 1     |

"—" = no label: an untouched suggestion, an enterprise that never answered and a need solved
elsewhere say nothing about the candidate's relevance (a need marked 需求已解决 would otherwise
teach the ranker that every candidate staff dropped with it was irrelevant). A pair the
enterprise confirmed and later dropped for cost, IP or timing stays relevant (1); dropped as
not relevant, or never to be suggested again, it is 0 whatever stage it reached.
"""

from __future__ import annotations

from techmatch.models.dockings import STAGE_RANK, Docking

STAGE_GRADES: dict[str, int] = {"contacted": 1, "confirmed": 1, "negotiating": 1,
                                "signed": 2, "completed": 2}
UNGRADED_REASONS: tuple[str, ...] = ("unresponsive", "already_solved")
Qrels = dict[str, dict[str, int]]


def grade(docking: Docking) -> int | None:
    """The docking's grade by the table above, None when it carries no label."""
    if docking.stage != "dropped":
        return STAGE_GRADES.get(docking.stage)
    if docking.reason == "not_relevant" or docking.never_suggest:
        return 0
    if docking.reason in UNGRADED_REASONS:
        return None
    return 1 if STAGE_RANK[docking.peak_stage] >= STAGE_RANK["confirmed"] else 0


def docking_qrels(dockings: list[Docking]) -> Qrels:
    """need id → candidate id → grade, for every graded docking."""
    qrels: Qrels = {}
    for d in dockings:
        g = grade(d)
        if g is not None:
            qrels.setdefault(d.need_id, {})[d.candidate_id] = g
    return qrels
