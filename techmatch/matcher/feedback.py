"""Feedback on proposed pairs (staff and outcome judgements), stored in the store's table.

Labels: accepted, rejected (with a reason code), contacted, deal. When a pair has several
judgements the latest one counts. As qrels, grades are `FEEDBACK_GRADES`: deal 2,
accepted / contacted 1, rejected 0.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel

from techmatch.errors import NotFoundError, ValidationError
from techmatch.store import Store

Label = Literal["accepted", "rejected", "contacted", "deal"]
FEEDBACK_LABELS: tuple[str, ...] = ("accepted", "rejected", "contacted", "deal")
REJECT_REASONS: tuple[str, ...] = ("not_relevant", "too_early", "already_solved",
                                   "too_costly", "ip_confidentiality", "other")
FEEDBACK_GRADES: dict[str, int] = {"deal": 2, "accepted": 1, "contacted": 1, "rejected": 0}
CANDIDATE_KINDS: dict[str, tuple[str, ...]] = {"need": ("achievement", "expert"),
                                               "achievement": ("need",)}
Qrels = dict[str, dict[str, int]]


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

    @property
    def grade(self) -> int:
        return FEEDBACK_GRADES[self.label]


def validate_feedback(label: str, reason: str | None) -> None:
    """Raise ValidationError naming the field when label / reason are not allowed."""
    if label not in FEEDBACK_LABELS:
        raise ValidationError(f"unknown label {label!r}; valid: {', '.join(FEEDBACK_LABELS)}",
                              field="label")
    if label == "rejected":
        if not reason:
            raise ValidationError(f"a rejection needs a reason; valid: "
                                  f"{', '.join(REJECT_REASONS)}", field="reason")
        if reason not in REJECT_REASONS:
            raise ValidationError(f"unknown reason {reason!r}; valid: "
                                  f"{', '.join(REJECT_REASONS)}", field="reason")
    elif reason is not None:
        raise ValidationError("a reason is only given with label 'rejected'", field="reason")


def record_feedback(store: Store, query_id: str, candidate_id: str, *, label: str,
                    reason: str | None = None, note: str | None = None,
                    actor: str | None = None) -> Feedback:
    """Validate and store one judgement; both ids must be live records of matching kinds."""
    validate_feedback(label, reason)
    found = store.get_many([query_id, candidate_id])
    if query_id not in found:
        raise NotFoundError(f"no need or achievement with id {query_id!r}")
    if candidate_id not in found:
        raise NotFoundError(f"no candidate record with id {candidate_id!r}")
    allowed = CANDIDATE_KINDS.get(found[query_id].kind, ())
    if found[candidate_id].kind not in allowed:
        raise ValidationError(f"a {found[query_id].kind} cannot be paired with a "
                              f"{found[candidate_id].kind}; candidates of a "
                              f"{found[query_id].kind} are {', '.join(allowed) or 'none'}",
                              field="candidate_id")
    at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    with store.lock:
        cur = store.db.execute(
            "INSERT INTO feedback(query_id, candidate_id, label, reason, note, actor, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (query_id, candidate_id, label, reason, note, actor,
                                             at))
    return Feedback(fid=int(cur.lastrowid or 0), query_id=query_id, candidate_id=candidate_id,
                    label=label, reason=reason, note=note, actor=actor,  # type: ignore[arg-type]
                    at=at)


def list_feedback(store: Store, *, query_id: str | None = None,
                  candidate_id: str | None = None, limit: int | None = None) -> list[Feedback]:
    """Judgements in recording order, optionally for one query and / or candidate."""
    where, args = [], []
    for column, value in (("query_id", query_id), ("candidate_id", candidate_id)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    sql = ("SELECT fid, query_id, candidate_id, label, reason, note, actor, at FROM feedback"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY fid")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with store.lock:
        rows = store.db.execute(sql, args).fetchall()
    keys = ("fid", "query_id", "candidate_id", "label", "reason", "note", "actor", "at")
    return [Feedback.model_validate(dict(zip(keys, row, strict=True))) for row in rows]


def feedback_qrels(store: Store) -> Qrels:
    """query id → candidate id → grade of the latest judgement of each pair."""
    qrels: Qrels = {}
    for fb in list_feedback(store):
        qrels.setdefault(fb.query_id, {})[fb.candidate_id] = fb.grade
    return qrels


def qrels_lines(qrels: Qrels) -> list[str]:
    """BEIR qrels TSV lines (header first), sorted by query then candidate id."""
    lines = ["query-id\tcorpus-id\tscore"]
    for qid in sorted(qrels):
        lines.extend(f"{qid}\t{cid}\t{g}" for cid, g in sorted(qrels[qid].items()))
    return lines
