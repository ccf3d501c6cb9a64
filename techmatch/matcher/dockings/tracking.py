"""Create, move, reassign, read and list dockings: the functions the API, CLI and console call.

Every change writes the docking row (version + 1) and one history row in one transaction;
a move that names a stale version fails with ConflictError naming the current stage.
After the transaction the need's status follows the dockings (`effects.sync_need_status`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from techmatch.errors import ValidationError, no_such
from techmatch.matcher.conflicts import conflict
from techmatch.matcher.dockings import effects
from techmatch.matcher.dockings.levels import OVERDUE_STAGES, ServiceLevels
from techmatch.matcher.dockings.moves import allowed_moves, check_move, check_stage, is_reopen
from techmatch.models.dockings import (
    CONTRACT_LABELS,
    REASON_LABELS,
    REASONS,
    SOURCE_LABELS,
    SOURCES,
    STAGE_LABELS,
    STAGE_RANK,
    Contract,
    ContractTerms,
    Docking,
    DockingView,
    HistoryEntry,
    HistoryView,
)
from techmatch.models.plan_labels import CONFLICT_LABELS
from techmatch.models.programme import china_day, china_today
from techmatch.models.records import KIND_LABELS
from techmatch.models.results import Conflict
from techmatch.store import Store
from techmatch.store.dockings import DockingQuery, DockingRepo

CANDIDATE_KINDS: tuple[str, ...] = ("achievement", "expert")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class NewDocking:
    """What creating a docking needs; rank / confidence as the suggestion showed them.
    `created_on` (创建日期, China date, not after today): the day the docking began when it is
    recorded later (default: now); stored as the import stores a back-dated creation."""

    need_id: str
    candidate_id: str
    source: str = "manual"
    rank: int | None = None
    confidence: float | None = None
    owner: str | None = None
    team: str | None = None
    note: str | None = None
    created_on: dt.date | None = None


@dataclass(frozen=True)
class Move:
    """One requested move; `version` is the version the caller read (None: do not check).
    A signing's contract may leave out its date (签约日期): the move dates it the day it is
    recorded (China date)."""

    to: str
    version: int | None = None
    reason: str | None = None
    reason_note: str | None = None
    never_suggest: bool = False
    contract: ContractTerms | None = None
    note: str | None = None
    keep_open: bool | None = None


@dataclass(frozen=True)
class Assign:
    """A change of owner / team / keep-open without a move (still versioned and logged)."""

    version: int | None = None
    owner: str | None = None
    team: str | None = None
    keep_open: bool | None = None
    note: str | None = None


ASSIGN_LABELS = {"owner": "负责人", "team": "服务团", "keep_open": "验收后保持开放"}


def _said(value: object) -> str:
    return ("是" if value else "否") if isinstance(value, bool) else str(value)


def new_id() -> str:
    return f"DK{uuid.uuid4().hex[:12].upper()}"


def day_at(day: dt.date, now: dt.datetime) -> dt.datetime:
    """The time a docking event staff date by its day only is stored at: 09:00 UTC (17:00
    Beijing) of `day`, never later than `now` (the import's creation and stage dates, a
    creation date given when creating)."""
    return min(dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.timezone.utc), now)


def creation_time(day: dt.date | None, *, now: dt.datetime,
                  field: str = "created_on") -> dt.datetime:
    """When a docking created at `now` with the creation date (创建日期) `day` was created:
    `now` when no date or today's (China date) is given, else `day_at(day)`. A date after
    China's today raises ValidationError naming `field`, in Chinese."""
    today = china_day(now)
    if day is None or day == today:
        return now
    if day > today:
        raise ValidationError(f"{day.isoformat()} 晚于今天（{today.isoformat()}，北京时间）："
                              f"创建日期不能晚于今天", field=field)
    return day_at(day, now)


def recorded_note(created: dt.datetime, now: dt.datetime) -> str | None:
    """What the first history entry of a docking created on an earlier day than it was
    recorded says of when it was actually recorded (China time); None when not back-dated."""
    if created == now:
        return None
    shown = now.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    return f"补录：创建日期 {china_day(created).isoformat()}，实际录入于 {shown}（北京时间）"


def create_docking(store: Store, spec: NewDocking, *, actor: str | None = None,
                   levels: ServiceLevels | None = None, now: dt.datetime | None = None
                   ) -> Docking:
    """A docking at stage `suggested` for a live need and achievement / expert."""
    kind, clash = _check_pair(store, spec.need_id, spec.candidate_id)
    if spec.source not in SOURCES:
        raise ValidationError(f"未知来源 {spec.source!r}（可选："
                              f"{'、'.join(SOURCE_LABELS[s] for s in SOURCES)}）", field="source")
    if spec.confidence is not None and not 0.0 <= spec.confidence <= 1.0:
        raise ValidationError("应在 0 到 1 之间", field="confidence")
    if spec.rank is not None and spec.rank < 1:
        raise ValidationError("应不小于 1", field="rank")
    recorded = now or utcnow()
    at = creation_time(spec.created_on, now=recorded)  # 创建日期 given: on that day
    docking = Docking(id=new_id(), need_id=spec.need_id, candidate_id=spec.candidate_id,
                      candidate_kind=kind, source=spec.source,  # type: ignore[arg-type]
                      rank=spec.rank, confidence=spec.confidence, stage="suggested",
                      peak_stage="suggested", owner=spec.owner, team=spec.team, version=1,
                      created_at=at, created_by=actor, stage_at=at,
                      due_on=(levels or ServiceLevels()).due_on("suggested", at))
    note = spec.note or f"来源：{SOURCE_LABELS[spec.source]}"
    if clash is not None:  # kept, but whoever follows the docking should know
        note += f"；注意：{CONFLICT_LABELS[clash]}（相关但不宜对接）"
    late = recorded_note(at, recorded)  # the history keeps when it was really recorded
    note += f"；{late}" if late else ""
    entry = HistoryEntry(docking_id=docking.id, version=1, at=at, actor=actor,
                         from_stage=None, to_stage="suggested", note=note)
    repo = DockingRepo(store)
    with repo.transaction():
        repo.insert(docking, entry)
    return docking


def move_docking(store: Store, docking_id: str, move: Move, *, actor: str | None = None,
                 admin: bool = False, levels: ServiceLevels | None = None,
                 now: dt.datetime | None = None) -> Docking:
    """Apply one move from the allowed-moves table (reopen for admins), then its effects."""
    repo = DockingRepo(store)
    with repo.transaction():
        current = repo.get(docking_id)
        if move.version is not None:
            effects.check_version(current, move.version)
        updated, entry = plan_move(current, move, actor=actor, admin=admin,
                                   levels=levels or ServiceLevels(), now=now or utcnow())
        repo.update(updated, expected_version=current.version, entry=entry)
        # Same transaction: a need is never left `open` beside a signed docking. Only a
        # reopen out of 签约 / 验收 may set the need back to open (a dropped pair reopened
        # leaves a need staff closed closed).
        # (a drop as 需求已解决 closes it: effects.follow_moves, as feedback and the import)
        effects.follow_moves(store, updated.need_id, [(current.stage, updated)],
                             reopened=is_reopen(current.stage, updated.stage)
                             and current.stage in ("signed", "completed"))
    return updated


def plan_move(current: Docking, move: Move, *, actor: str | None, admin: bool,
              levels: ServiceLevels, now: dt.datetime,
              require_contract: bool = True, check: bool = True) -> tuple[Docking, HistoryEntry]:
    """The docking after `move` and its history entry (pure; validates the move)."""
    if check:
        check_move(current.stage, move.to, admin=admin)
    else:
        check_stage(move.to)
    given = move  # as given: the history notes its own contract, not the one a reopen keeps
    if move.to == "signed" and move.contract is None and current.stage == "completed":
        move = replace(move, contract=current.contract)  # reopened: the contract still holds
    _check_details(move, require_contract=require_contract)
    if given.to == "signed" and given.contract is not None:  # dated (签约日期), date checked
        given = replace(given, contract=signed_contract(
            given.contract, created_at=current.created_at, now=now))
        move = replace(move, contract=given.contract)
    decided = decision(given)
    reopen = is_reopen(current.stage, move.to)
    peak: str = current.peak_stage
    if move.to in STAGE_RANK and STAGE_RANK[move.to] > STAGE_RANK[peak]:
        peak = move.to
    dropping = move.to == "dropped"
    contract = move.contract if move.to == "signed" else current.contract
    if STAGE_RANK.get(move.to, 0) < STAGE_RANK["signed"]:
        contract = None  # reopened before signing: the contract no longer holds
    updated = current.model_copy(update={
        "stage": move.to, "peak_stage": peak, "version": current.version + 1,
        "reason": move.reason if dropping else None,
        "reason_note": move.reason_note if dropping else None,
        "never_suggest": move.never_suggest if dropping else False,
        "contract": contract, "stage_at": now,
        "keep_open": current.keep_open if move.keep_open is None else move.keep_open,
        "due_on": levels.due_on(move.to, now) if move.to in OVERDUE_STAGES else None})
    solved = effects.solved_note(current.stage, move.to, move.reason)
    note = "；".join(part for part in (decided, move.note, solved) if part) or None
    if reopen:
        note = "重新打开" + (f"：{note}" if note else "")
    entry = HistoryEntry(docking_id=current.id, version=updated.version, at=now, actor=actor,
                         from_stage=current.stage, to_stage=move.to, note=note)  # type: ignore[arg-type]
    return updated, entry


def assign_docking(store: Store, docking_id: str, change: Assign, *,
                   actor: str | None = None, now: dt.datetime | None = None) -> Docking:
    """Change owner / team / keep-open; logged as a history row from and to the same stage
    naming the fields that change. Values the docking already has change nothing: it is
    returned as it is (same version, no history row; a stale version is still a conflict)."""
    repo = DockingRepo(store)
    at = now or utcnow()
    with repo.transaction():
        current = repo.get(docking_id)
        if change.version is not None:
            effects.check_version(current, change.version)
        fields = {k: v for k, v in (("owner", change.owner), ("team", change.team),
                                    ("keep_open", change.keep_open)) if v is not None}
        if not fields:
            raise ValidationError("请填写负责人、服务团或保持需求开放", field="owner")
        fields = {k: v for k, v in fields.items() if getattr(current, k) != v}
        if not fields:  # what it already has: no new version, no history row
            return current
        updated = current.model_copy(update={**fields, "version": current.version + 1})
        said = "，".join(f"{ASSIGN_LABELS[k]}={_said(v)}" for k, v in fields.items())
        entry = HistoryEntry(docking_id=current.id, version=updated.version, at=at, actor=actor,
                             from_stage=current.stage, to_stage=current.stage,
                             note=f"变更：{said}" + (f"；{change.note}" if change.note else ""))
        repo.update(updated, expected_version=current.version, entry=entry)
        if updated.keep_open != current.keep_open and updated.stage == "completed":
            # 验收 already happened: the need follows the flag now (open again, or closed)
            effects.sync_need_status(store, updated.need_id, reopened=updated.keep_open)
    return updated


def get_docking(store: Store, docking_id: str) -> Docking:
    return DockingRepo(store).get(docking_id)


def docking_history(store: Store, docking_id: str) -> list[HistoryView]:
    repo = DockingRepo(store)
    repo.get(docking_id)  # 404 for an unknown id
    return [HistoryView(**h.model_dump(), to_label=STAGE_LABELS[h.to_stage],
                        from_label=STAGE_LABELS[h.from_stage] if h.from_stage else None)
            for h in repo.history(docking_id)]


@dataclass(frozen=True)
class DockingFilters:
    """List filters; `overdue` = open or signed dockings whose due date is before `today`."""

    need_id: str | None = None
    candidate_id: str | None = None
    stages: tuple[str, ...] = ()
    owner: str | None = None
    team: str | None = None
    source: str | None = None
    overdue: bool = False


def list_dockings(store: Store, filters: DockingFilters, *, offset: int = 0, limit: int = 50,
                  hidden_needs: frozenset[str] = frozenset(), today: dt.date | None = None,
                  admin: bool = False) -> tuple[list[DockingView], int]:
    """One page of dockings as views — newest first; overdue ones by due date, most overdue
    first — and the total under `filters`."""
    day = today or china_today()
    query = _query(filters, hidden_needs, day)
    rows, total = DockingRepo(store).page(query, offset=offset, limit=limit)
    return [view(d, today=day, admin=admin) for d in rows], total


def stage_counts(store: Store, filters: DockingFilters, *,
                 hidden_needs: frozenset[str] = frozenset(),
                 today: dt.date | None = None) -> dict[str, int]:
    """How many dockings under `filters` are at each stage (all of them, not one page)."""
    day = today or china_today()
    return DockingRepo(store).stage_counts(_query(filters, hidden_needs, day))


def _query(filters: DockingFilters, hidden_needs: frozenset[str], day: dt.date) -> DockingQuery:
    for stage in filters.stages:
        check_stage(stage, field="stage")
    return DockingQuery(need_id=filters.need_id, candidate_id=filters.candidate_id,
                        stages=filters.stages, owner=filters.owner, team=filters.team,
                        source=filters.source, due_before=day if filters.overdue else None,
                        open_stages=OVERDUE_STAGES, hidden_needs=hidden_needs,
                        by_due=filters.overdue)


def is_overdue(docking: Docking, today: dt.date) -> bool:
    return docking.stage in OVERDUE_STAGES and docking.due_on is not None \
        and docking.due_on < today


def view(docking: Docking, *, today: dt.date | None = None, admin: bool = False) -> DockingView:
    """`docking` with labels, overdue flag and allowed moves."""
    day = today or china_today()
    return DockingView(
        **docking.model_dump(), stage_label=STAGE_LABELS[docking.stage],
        peak_stage_label=STAGE_LABELS[docking.peak_stage],
        candidate_kind_label=KIND_LABELS[docking.candidate_kind],
        reason_label=REASON_LABELS[docking.reason] if docking.reason else None,
        source_label=SOURCE_LABELS[docking.source],
        contract_label=(CONTRACT_LABELS[docking.contract.contract_type]
                        if docking.contract else None),
        overdue=is_overdue(docking, day),
        allowed_moves=list(allowed_moves(docking.stage, admin=admin)))


def amount_text(value: float) -> str:
    """An amount in 万元 as staff read it: 1000000, 120.5 — never 1e+06."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def signing_date(given: dt.date | None, *, created: dt.date, today: dt.date,
                 field: str = "signed_on", hint: str = "请核对日期") -> dt.date:
    """The contract date (签约日期) of a signing recorded on China day `today` for a docking
    created on China day `created`: `given`, or `today` when none is given. A date after
    `today` or before `created` raises ValidationError naming `field`, in Chinese (`hint`
    says what to do about the latter)."""
    if given is None:
        return today
    if given > today:
        raise ValidationError(f"{given.isoformat()} 晚于今天（{today.isoformat()}，北京时间）："
                              f"签约日期应为合同实际签订的日期", field=field)
    if given < created:
        raise ValidationError(f"{given.isoformat()} 早于这条对接的创建日期（{created.isoformat()}"
                              f"）：签约日期不能早于创建日，{hint}", field=field)
    return given


def signed_contract(terms: ContractTerms, *, created_at: dt.datetime,
                    now: dt.datetime) -> Contract:
    """`terms` as stored: dated by `signing_date` (the move's China day when no date is given;
    checked against it and the docking's creation day)."""
    day = signing_date(terms.signed_on, created=china_day(created_at), today=china_day(now),
                       hint="请核对日期；合同早于对接开始时，新建对接时填写创建日期"
                            "（或用对接导入并填写创建日期）")
    return Contract(contract_type=terms.contract_type, value_wan=terms.value_wan,
                    signed_on=day)


def decision(move: Move) -> str | None:
    """What the history keeps of a drop's reason or a signing's contract (in Chinese), so a
    later reopen and a new decision do not erase the earlier one."""
    if move.to == "dropped" and move.reason in REASON_LABELS:
        said = f"终止原因：{REASON_LABELS[move.reason]}"
        why = (move.reason_note or "").strip()
        said += f"（{why}）" if why else ""
        return said + ("；不再推荐" if move.never_suggest else "")
    if move.to == "signed" and move.contract is not None:
        c = move.contract
        day = f"，签约日期 {c.signed_on.isoformat()}" if c.signed_on else ""
        return f"合同：{CONTRACT_LABELS[c.contract_type]}，{amount_text(c.value_wan)} 万元{day}"
    return None


def _check_details(move: Move, *, require_contract: bool) -> None:
    if move.to == "dropped":
        if move.reason not in REASONS:
            raise ValidationError("终止对接需要选择原因", field="reason")
        if move.reason == "other" and not (move.reason_note or "").strip():
            raise ValidationError("原因为「其他」时需要填写说明", field="reason_note")
    elif move.reason is not None or move.never_suggest:
        raise ValidationError("只有终止对接时才填写原因（及不再推荐）", field="reason")
    if move.to == "signed":
        if move.contract is None and require_contract:
            raise ValidationError("签约需要填写合同类型和金额（万元）；签约日期不填为今天",
                                  field="contract")
    elif move.contract is not None:
        raise ValidationError("只有改为签约时才填写合同", field="contract")


def _check_pair(store: Store, need_id: str, candidate_id: str
                ) -> tuple[str, Conflict | None]:
    """The candidate's kind and the pair's conflict (techmatch.matcher.conflicts), if any."""
    found = store.get_many([need_id, candidate_id])
    need = found.get(need_id)
    if need is None or need.kind != "need":
        raise no_such("need", need_id, field="need_id")
    cand = found.get(candidate_id)
    if cand is None:
        raise no_such("candidate", candidate_id, field="candidate_id")
    if cand.kind not in CANDIDATE_KINDS:
        raise ValidationError(f"对接只能在需求与成果或专家之间建立，不能与"
                              f"{KIND_LABELS.get(cand.kind, cand.kind)}建立", field="candidate_id")
    return cand.kind, conflict(need, cand)
