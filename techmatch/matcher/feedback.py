"""Feedback on proposed pairs (staff and outcome judgements): a shorthand for docking moves.

Labels and the docking stage each one moves the pair's docking to (created at `suggested`
with source `feedback` when the pair has none; intermediate stages are walked one by one):

    accepted → confirmed 企业确认 · contacted → contacted 已联系 · deal → signed 签约 ·
    rejected + reason → dropped 终止 with that reason (already_solved 需求已解决 also closes
    the need, as a board drop does: `dockings.effects.close_solved_need`)

so `feedback N C --label rejected --reason not_relevant` is the same as dropping the docking
as not relevant (the pair is never suggested again). A label the docking cannot reach by
the allowed moves (e.g. `accepted` after `rejected`) is refused, naming from, to and the
allowed moves; so is a rejection of a dropped pair with another reason (field `reason`).
Every judgement is also kept in the `feedback` table as it was given.

Grades come from the dockings (`techmatch.matcher.dockings.grades`): the legacy grades
`FEEDBACK_GRADES` are exactly what the mapped stages give. Judgements stored before dockings
existed are applied to dockings once, in id order, by `apply_pending_feedback`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

from techmatch.errors import ValidationError, coded, no_such
from techmatch.matcher.dockings.effects import (
    close_solved_need,
    closes_need,
    follow_moves,
    sync_need_status,
)
from techmatch.matcher.dockings.grades import Qrels, docking_qrels
from techmatch.matcher.dockings.levels import ServiceLevels
from techmatch.matcher.dockings.moves import check_move, path_to
from techmatch.matcher.dockings.tracking import Move, new_id, plan_move
from techmatch.models.dockings import REASON_LABELS, Docking, HistoryEntry
from techmatch.models.records import KIND_LABELS, Record
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo, FeedbackRepo, FeedbackRow, iso

Label = Literal["accepted", "rejected", "contacted", "deal"]
FEEDBACK_LABELS: tuple[str, ...] = ("accepted", "rejected", "contacted", "deal")
LABEL_NAMES: dict[str, str] = {"accepted": "采纳", "rejected": "拒绝", "contacted": "已联系",
                               "deal": "成交"}  # in the dockings' history notes
REJECT_REASONS: tuple[str, ...] = ("not_relevant", "too_early", "already_solved",
                                   "too_costly", "ip_confidentiality", "unresponsive", "other")
LABEL_STAGES: dict[str, str] = {"accepted": "confirmed", "contacted": "contacted",
                                "deal": "signed", "rejected": "dropped"}
# The grade each label's stage gets (dockings.grades); kept for callers of the old name.
FEEDBACK_GRADES: dict[str, int] = {"deal": 2, "accepted": 1, "contacted": 1, "rejected": 0}
CANDIDATE_KINDS: dict[str, tuple[str, ...]] = {"need": ("achievement", "expert"),
                                               "achievement": ("need",)}


class Feedback(BaseModel):
    """One judgement on a (query, candidate) pair; `query_id` is usually a need."""

    fid: int
    query_id: str
    candidate_id: str
    label: Label
    reason: str | None = None
    note: str | None = None
    actor: str | None = None
    at: str
    docking_id: str | None = None
    stage: str | None = None  # the docking's stage after the judgement
    need_id: str | None = None  # the pair's need (the candidate of an achievement's judgement)
    need_status: str | None = None  # the need's new status when the judgement changed it

    @property
    def grade(self) -> int:
        return FEEDBACK_GRADES[self.label]


def validate_feedback(label: str, reason: str | None) -> None:
    """Raise ValidationError naming the field when label / reason are not allowed."""
    reasons = coded(REJECT_REASONS, REASON_LABELS)
    if label not in FEEDBACK_LABELS:
        raise ValidationError(f"未知反馈类型 {label}（可选："
                              f"{coded(FEEDBACK_LABELS, LABEL_NAMES)}）", field="label")
    if label == "rejected":
        if not reason:
            raise ValidationError(f"拒绝需要填写原因（可选：{reasons}）", field="reason")
        if reason not in REJECT_REASONS:
            raise ValidationError(f"未知拒绝原因 {reason}（可选：{reasons}）", field="reason")
    elif reason is not None:
        raise ValidationError("只有拒绝（rejected）时才填写原因", field="reason")



def record_feedback(store: Store, query_id: str, candidate_id: str, *, label: str,
                    reason: str | None = None, note: str | None = None,
                    actor: str | None = None, levels: ServiceLevels | None = None) -> Feedback:
    """Validate, store the judgement and move the pair's docking, in one transaction; due
    dates follow `levels` (the home's `service_levels.json`, as board moves do)."""
    validate_feedback(label, reason)
    found = store.get_many([query_id, candidate_id])
    _check_kinds(found, query_id, candidate_id)
    at = dt.datetime.now(dt.timezone.utc)
    repo, feedback = DockingRepo(store), FeedbackRepo(store)
    with repo.transaction():
        _apply_pending(store, repo, feedback)
        need_id, cand = _pair(found[query_id], found[candidate_id])
        before = repo.find_pair(need_id, cand.id)
        docking = _apply(repo, need_id, cand, label=label, reason=reason, note=note,
                         actor=actor, at=at, strict=True, levels=levels)
        fid = feedback.insert(query_id, candidate_id, label=label, reason=reason, note=note,
                              actor=actor, at=iso(at))
        feedback.set_applied(fid)
        status = follow_moves(store, need_id,  # 需求已解决 closes the need
                              [(before.stage if before else "suggested", docking)])
    return Feedback(fid=fid, query_id=query_id, candidate_id=candidate_id,
                    label=label, reason=reason, note=note, actor=actor,  # type: ignore[arg-type]
                    at=iso(at), docking_id=docking.id, stage=docking.stage, need_id=need_id,
                    need_status=status)


def list_feedback(store: Store, *, query_id: str | None = None,
                  candidate_id: str | None = None, limit: int | None = None) -> list[Feedback]:
    """Judgements in recording order, optionally for one query and / or candidate."""
    rows = FeedbackRepo(store).rows(query_id=query_id, candidate_id=candidate_id, limit=limit)
    return [Feedback.model_validate(r.__dict__) for r in rows]


def with_pairs(store: Store, items: list[Feedback]) -> list[Feedback]:
    """`items` with `need_id` (the pair's need: the query, or the candidate of an
    achievement's judgement) and `docking_id` (the pair's docking, if it has one) filled in,
    for a listed page: one record read for the page, one docking lookup per item. `stage`
    and `need_status` stay unset: they are what the judgement did, known when it is
    recorded (the docking's stage now: GET /v1/dockings/{docking_id})."""
    found = store.get_many({i for f in items for i in (f.query_id, f.candidate_id)})
    repo = DockingRepo(store)
    out = []
    for f in items:
        query, cand = found.get(f.query_id), found.get(f.candidate_id)
        if query is not None and query.kind == "need":
            pairs = [(f.query_id, f.candidate_id)]
        elif cand is not None and cand.kind == "need":
            pairs = [(f.candidate_id, f.query_id)]
        else:  # a record deleted since: the docking, if any, tells the need
            pairs = [(f.query_id, f.candidate_id), (f.candidate_id, f.query_id)]
        docking = next((d for n, c in pairs if (d := repo.find_pair(n, c)) is not None), None)
        need_id = docking.need_id if docking is not None else (
            pairs[0][0] if len(pairs) == 1 else None)
        out.append(f.model_copy(update={"need_id": need_id,
                                        "docking_id": docking.id if docking else None}))
    return out


def list_feedback_rows(store: Store) -> list[FeedbackRow]:
    """Every stored judgement as it was given (unknown legacy labels included)."""
    return FeedbackRepo(store).rows()


def apply_pending_feedback(store: Store) -> int:
    """Apply judgements stored before dockings existed (or written by other means) to the
    dockings, in id order; returns how many were applied. Idempotent."""
    repo, feedback = DockingRepo(store), FeedbackRepo(store)
    if not feedback.rows(after=feedback.applied(), limit=1):
        return 0
    with repo.transaction():
        applied = _apply_pending(store, repo, feedback)
    return applied


def feedback_qrels(store: Store) -> Qrels:
    """need id → candidate id → grade of each graded docking (see dockings.grades)."""
    apply_pending_feedback(store)
    return docking_qrels(all_dockings(store))


def all_dockings(store: Store) -> list[Docking]:
    return DockingRepo(store).all()


def qrels_lines(qrels: Qrels) -> list[str]:
    """BEIR qrels TSV lines (header first), sorted by query then candidate id."""
    lines = ["query-id\tcorpus-id\tscore"]
    for qid in sorted(qrels):
        lines.extend(f"{qid}\t{cid}\t{g}" for cid, g in sorted(qrels[qid].items()))
    return lines


# -- applying a label to a docking --------------------------------------------------------------

def _check_kinds(found: dict[str, Record], query_id: str, candidate_id: str) -> None:
    if query_id not in found:
        raise no_such("query", query_id, field="query_id")
    if candidate_id not in found:
        raise no_such("record", candidate_id, field="candidate_id")
    kind, other = found[query_id].kind, found[candidate_id].kind
    if kind not in CANDIDATE_KINDS:  # e.g. an expert first: a pair is judged from its need
        hint = f"；请先写需求（{candidate_id} {query_id}）" if other == "need" else ""
        raise ValidationError(f"{query_id} 是{_kind(kind)}：第一个编号应为需求或成果{hint}",
                              field="query_id")
    allowed = CANDIDATE_KINDS[kind]
    if other not in allowed:
        raise ValidationError(f"{_kind(kind)}不能与{_kind(other)}配对：{_kind(kind)}的候选为"
                              f"{'、'.join(_kind(k) for k in allowed)}", field="candidate_id")


def _kind(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _pair(query: Record, candidate: Record) -> tuple[str, Record]:
    """(need id, the other record): an achievement → need judgement is the need's docking."""
    if query.kind == "need":
        return query.id, candidate
    return candidate.id, query


def _apply(repo: DockingRepo, need_id: str, cand: Record, *, label: str, reason: str | None,
           note: str | None, actor: str | None, at: dt.datetime, strict: bool,
           levels: ServiceLevels | None = None) -> Docking:
    """Move (creating if needed) the pair's docking to the label's stage, step by step.
    `strict` refuses what the table does not allow; legacy rows are applied regardless."""
    docking = repo.find_pair(need_id, cand.id)
    if docking is None:
        docking = _create(repo, need_id, cand, actor=actor, at=at)
    target = LABEL_STAGES[label]
    if docking.stage == target:
        if strict and target == "dropped" and reason != docking.reason:
            _refuse_new_reason(docking, reason)
        return docking
    path = path_to(docking.stage, target)
    if path is None and strict:
        check_move(docking.stage, target)  # raises, naming from, to and the allowed moves
    levels = levels or ServiceLevels()
    text = f"反馈：{LABEL_NAMES.get(label, label)}" + (f"；{note}" if note else "")
    for step in path or [target]:
        dropping = step == "dropped"
        move = Move(to=step, reason=reason if dropping else None, note=text,
                    reason_note=(note or "反馈未说明") if dropping and reason == "other" else None)
        updated, entry = plan_move(docking, move, actor=actor, admin=False, levels=levels,
                                   now=at, require_contract=False, check=path is not None)
        repo.update(updated, expected_version=docking.version, entry=entry)
        docking = updated
    return docking


def _refuse_new_reason(docking: Docking, reason: str | None) -> None:
    """A dropped docking keeps its reason: a rejection with another one would be stored as
    feedback while the docking (what match, batch and grades read) stays as it was."""
    def named(code: str | None) -> str:
        return f"{code}（{REASON_LABELS[code]}）" if code in REASON_LABELS else str(code)

    raise ValidationError(
        f"这一对的对接 {docking.id} 已终止，原因为 {named(docking.reason)}，不是 {named(reason)}；"
        f"要更改原因，请管理员先把它重新打开（techmatch dockings move {docking.id} --to "
        f"suggested --admin）", field="reason")


def _create(repo: DockingRepo, need_id: str, cand: Record, *, actor: str | None,
            at: dt.datetime) -> Docking:
    docking = Docking(id=new_id(), need_id=need_id, candidate_id=cand.id,
                      candidate_kind=cand.kind, source="feedback",  # type: ignore[arg-type]
                      stage="suggested", peak_stage="suggested", version=1, created_at=at,
                      created_by=actor, stage_at=at,
                      due_on=ServiceLevels().due_on("suggested", at))
    repo.insert(docking, HistoryEntry(docking_id=docking.id, version=1, at=at, actor=actor,
                                      from_stage=None, to_stage="suggested",
                                      note="来源：反馈"))
    return docking


def _apply_pending(store: Store, repo: DockingRepo, feedback: FeedbackRepo) -> int:
    """Inside a transaction: apply every judgement after the last applied id, and bring
    the needs they touched in line with their dockings (a deal makes its need matched)."""
    rows = feedback.rows(after=feedback.applied())
    if not rows:
        return 0
    found = store.get_many({i for r in rows for i in (r.query_id, r.candidate_id)})
    solved: set[str] = set()
    touched = {need_id for row in rows if (need_id := _apply_row(repo, row, found, solved))}
    feedback.set_applied(rows[-1].fid)
    for need_id in sorted(touched):
        sync_need_status(store, need_id)
    for need_id in sorted(solved):  # rejected as 需求已解决, as record_feedback does
        close_solved_need(store, need_id)
    return len(rows)


def _apply_row(repo: DockingRepo, row: FeedbackRow, found: dict[str, Record],
               solved: set[str]) -> str | None:
    """Apply one stored judgement; the id of the need whose docking moved (None: skipped).
    A need whose pair this drops as already solved is added to `solved`."""
    query, cand = found.get(row.query_id), found.get(row.candidate_id)
    label = str(row.label).strip().lower()
    if query is None or cand is None or label not in LABEL_STAGES \
            or cand.kind not in CANDIDATE_KINDS.get(query.kind, ()):
        return None  # a judgement on a deleted record or with an unknown label: no grade
    reason = row.reason if row.reason in REJECT_REASONS else ("other" if label == "rejected"
                                                              else None)
    need_id, other = _pair(query, cand)
    at = dt.datetime.fromisoformat(row.at) if row.at else dt.datetime.now(dt.timezone.utc)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    before = repo.find_pair(need_id, other.id)
    docking = _apply(repo, need_id, other, label=label, reason=reason, note=row.note,
                     actor=row.actor, at=at, strict=False)
    if closes_need(before.stage if before else "suggested", docking):
        solved.add(need_id)
    return need_id
