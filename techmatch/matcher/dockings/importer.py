"""Import existing docking records from a staff spreadsheet (CSV / TSV / XLSX).

One row per docking; headers in Chinese or English (`COLUMNS`); codes or Chinese labels for
stage, reason, contract type and source. Required: need id, candidate id. A row's stage is
entered at its stage date (default: a signed / completed row's contract date 签约日期, else
its creation date, default: now) and created at its creation date (default: the earliest of
its stage and contract dates, default: now), never later than the import; dates after
China's today (UTC+8, as creating a docking and signing one check) are row errors. A
signed / completed row needs contract type and value; its contract date (the day its deal
counts on in the KPIs) defaults to its stage date, and lies between its creation and stage
dates, never after China's today (row errors naming signed_on). The history gets two
entries for a row beyond `suggested` — created (None → suggested, at the creation date;
when that is earlier than the import, its note says when the row was really recorded) and
imported straight into its stage (suggested → stage, at the stage date) — so KPIs count each
imported docking as having reached every stage up to its own on that date. Each row then
has the effects of that move on its need, by the board's own path (`effects.follow_moves`):
a signed row makes the need matched, a row dropped as already_solved (需求已解决) closes it
(listed in `closed_needs`, the history note saying so).

Every row is checked first; rows with errors are reported (row number as a spreadsheet shows
it, field, message) and not written; the good rows are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from techmatch.errors import ValidationError, no_such
from techmatch.indexers.ingest.columns import header_key
from techmatch.indexers.ingest.readers import read_source
from techmatch.matcher.dockings.effects import SOLVED_REASON, follow_moves, solved_note
from techmatch.matcher.dockings.levels import OVERDUE_STAGES, ServiceLevels
from techmatch.matcher.dockings.tracking import (
    Move,
    day_at,
    decision,
    new_id,
    recorded_note,
    signing_date,
)
from techmatch.models.dockings import (
    CONTRACT_LABELS,
    REASON_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    Contract,
    Docking,
    HistoryEntry,
)
from techmatch.models.programme import china_day
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

COLUMNS: dict[str, tuple[str, ...]] = {
    "need_id": ("need_id", "需求编号", "需求id", "需求"),
    "candidate_id": ("candidate_id", "候选编号", "候选id", "成果或专家编号", "成果/专家编号"),
    "source": ("source", "来源"),
    "stage": ("stage", "阶段", "对接阶段"),
    "owner": ("owner", "负责人"),
    "team": ("team", "服务团", "服务队"),
    "reason": ("reason", "终止原因"),
    "reason_note": ("reason_note", "原因说明"),
    "contract_type": ("contract_type", "合同类型"),
    "value_wan": ("value_wan", "合同金额", "合同金额（万元）", "合同金额(万元)", "金额（万元）"),
    "signed_on": ("signed_on", "签约日期"),
    "rank": ("rank", "推荐名次", "名次"),
    "confidence": ("confidence", "置信度"),
    "created_at": ("created_at", "创建日期", "推荐日期"),
    "stage_at": ("stage_at", "阶段日期", "进入阶段日期"),
    "note": ("note", "备注"),
}
_LOOKUP = {header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


class RowProblem(BaseModel):
    row: int
    field: str | None = None
    message: str


class ImportReport(BaseModel):
    """What an import read, wrote and refused (row by row)."""

    file: str
    read: int = 0
    imported: int = 0
    rejected: int = 0
    ids: list[str] = Field(default_factory=list)
    errors: list[RowProblem] = Field(default_factory=list)
    # needs the import closed: a row dropped as already_solved (需求已解决), as the same move
    # made on the board closes its need (dockings.effects.follow_moves)
    closed_needs: list[str] = Field(default_factory=list)


def _code(vocabulary: dict[str, str], field: str) -> Callable[[object], str]:
    """Accept a code or its Chinese label; unknown values name the valid codes."""
    by_label = {label: code for code, label in vocabulary.items()}

    def parse(value: object) -> str:
        text = str(value).strip()
        if text in vocabulary:
            return text
        if text in by_label:
            return by_label[text]
        valid = "、".join(f"{lbl}（{c}）" for c, lbl in vocabulary.items())
        raise ValidationError(f"未知取值 {text!r}（可选：{valid}）", field=field)
    return parse


def _date(value: object, field: str) -> dt.date:
    text = str(value).strip()[:10].replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"不是日期（应为 YYYY-MM-DD）：{value!r}", field=field) from None


def _number(value: object, field: str, kind: type) -> float | int:
    try:
        return kind(str(value).strip().replace(",", ""))  # type: ignore[no-any-return]
    except ValueError:
        raise ValidationError(f"不是数字：{value!r}", field=field) from None


def _fields(values: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for header, value in values.items():
        name = _LOOKUP.get(header_key(header))
        if name is not None:
            out[name] = value
    return out


def parse_row(fields: dict[str, object], *, kinds: dict[str, str], now: dt.datetime,
              actor: str | None, levels: ServiceLevels) -> tuple[Docking, list[HistoryEntry]]:
    """One spreadsheet row → a docking and its history (raises ValidationError with field)."""
    for name in ("need_id", "candidate_id"):
        if not str(fields.get(name, "")).strip():
            raise ValidationError("必填", field=name)
    need_id, cand_id = str(fields["need_id"]).strip(), str(fields["candidate_id"]).strip()
    if kinds.get(need_id) != "need":
        raise ValidationError(str(no_such("need", need_id)), field="need_id")
    if kinds.get(cand_id) not in ("achievement", "expert"):
        raise ValidationError(str(no_such("candidate", cand_id)), field="candidate_id")
    stage = _code(STAGE_LABELS, "stage")(fields.get("stage", "suggested"))
    source = _code(SOURCE_LABELS, "source")(fields.get("source", "import"))
    days = {name: _date(fields[name], name) for name in ("created_at", "stage_at")
            if name in fields}
    latest = china_day(now)  # staff's today: a later date is a typo such as 2062
    for name, day in days.items():
        if day > latest:  # a typo such as 2062: never in a KPI window, never overdue
            raise ValidationError(f"日期晚于今天：{day.isoformat()}", field=name)
    # a signed / completed row's 签约日期 (the day its deal counts on)
    signing = _date(fields["signed_on"], "signed_on") \
        if "signed_on" in fields and stage in ("signed", "completed") else None
    # no creation date: the row's earliest date (its stage's, its contract's)
    first = days.get("created_at") or min(
        [d for d in (days.get("stage_at"), signing) if d is not None], default=None)
    created = day_at(first, now) if first is not None else now
    # no stage date: a signed or completed row entered its stage on its contract's date (one
    # before the creation date is refused as such by the contract's check below)
    entered_on = days.get("stage_at", signing)
    if "stage_at" not in days and signing is not None and first is not None:
        entered_on = max(signing, first)
    entered = day_at(entered_on, now) if entered_on is not None else created
    if entered < created:
        raise ValidationError(f"阶段日期（{china_day(entered).isoformat()}）早于创建日期"
                              f"（{china_day(created).isoformat()}）", field="stage_at")
    reason = _code(REASON_LABELS, "reason")(fields["reason"]) if "reason" in fields else None
    if (stage == "dropped") != (reason is not None):
        raise ValidationError("阶段为终止时必须填写终止原因，其他阶段不填", field="reason")
    if reason == "other" and not str(fields.get("reason_note", "")).strip():
        raise ValidationError("原因为「其他」时需要填写说明", field="reason_note")
    contract = _contract(fields, stage, created=created, entered=entered, now=now)
    rank = int(_number(fields["rank"], "rank", int)) if "rank" in fields else None
    conf = float(_number(fields["confidence"], "confidence", float)) \
        if "confidence" in fields else None
    if conf is not None and not 0 <= conf <= 1:
        raise ValidationError("应在 0 到 1 之间", field="confidence")
    did = new_id()
    peak = stage if stage != "dropped" else "suggested"
    docking = Docking(
        id=did, need_id=need_id, candidate_id=cand_id,
        candidate_kind=kinds[cand_id],  # type: ignore[arg-type]
        source=source, rank=rank, confidence=conf, stage=stage,  # type: ignore[arg-type]
        peak_stage=peak, reason=reason,  # type: ignore[arg-type]
        reason_note=_text(fields, "reason_note"), owner=_text(fields, "owner"),
        team=_text(fields, "team"), contract=contract, version=1 if stage == "suggested" else 2,
        created_at=created, created_by=actor, stage_at=entered,
        due_on=levels.due_on(stage, entered) if stage in OVERDUE_STAGES else None)
    # a back-dated row's first entry says when it was really recorded (as creating one)
    history = [HistoryEntry(docking_id=did, version=1, at=created, actor=actor,
                            from_stage=None, to_stage="suggested",
                            note="；".join(part for part in (
                                _text(fields, "note") or "表格导入",
                                recorded_note(created, now)) if part))]
    if stage != "suggested":
        # the reason of a 终止 row, the contract of a 签约 / 验收 row (kept past a reopen)
        decided = decision(Move(to="signed", contract=contract) if contract else
                           Move(to=stage, reason=reason, reason_note=docking.reason_note))
        history.append(HistoryEntry(docking_id=did, version=2, at=entered, actor=actor,
                                    from_stage="suggested", to_stage=stage,  # type: ignore[arg-type]
                                    note="；".join(part for part in (
                                        f"表格导入：记为{STAGE_LABELS[stage]}", decided,
                                        solved_note("suggested", stage, reason)) if part)))
    return docking, history


def _contract(fields: dict[str, object], stage: str, *, created: dt.datetime,
              entered: dt.datetime, now: dt.datetime) -> Contract | None:
    """A signed / completed row's contract; its 签约日期 defaults to the row's stage date and
    lies between its creation date and its stage date, never after today (China dates)."""
    given = [n for n in ("contract_type", "value_wan", "signed_on") if n in fields]
    if stage not in ("signed", "completed"):
        if given:
            raise ValidationError("只有签约或验收的对接才填写合同列（合同类型、合同金额、"
                                  "签约日期）", field=given[0])
        return None
    missing = [n for n in ("contract_type", "value_wan") if n not in fields]
    if missing:
        raise ValidationError("签约或验收的对接需要填写合同类型和合同金额（万元）",
                              field=missing[0])
    value = float(_number(fields["value_wan"], "value_wan", float))
    if not math.isfinite(value) or value < 0:
        raise ValidationError("应不小于 0", field="value_wan")
    stage_day = china_day(entered)
    given_day = _date(fields["signed_on"], "signed_on") if "signed_on" in fields else None
    day = signing_date(given_day or stage_day, created=china_day(created),
                       today=china_day(now), hint="请核对签约日期与创建日期")
    if day > stage_day:
        raise ValidationError(f"{day.isoformat()} 晚于阶段日期（{stage_day.isoformat()}）：签约"
                              f"日期不能晚于进入「{STAGE_LABELS[stage]}」的日期，请核对日期",
                              field="signed_on")
    return Contract(contract_type=_code(CONTRACT_LABELS, "contract_type")(  # type: ignore[arg-type]
        fields["contract_type"]), value_wan=value, signed_on=day)


def _text(fields: dict[str, object], name: str) -> str | None:
    value = str(fields.get(name, "")).strip()
    return value or None


def import_dockings(store: Store, path: Path, *, actor: str | None = None,
                    levels: ServiceLevels | None = None, sheet: str | None = None,
                    now: dt.datetime | None = None, name: str | None = None) -> ImportReport:
    """Check every row, then write the good ones in one transaction (see module doc);
    `name` calls the file in messages (an upload's own name, not the server's temp path)."""
    source = read_source(Path(path), sheet=sheet, name=name)
    report = ImportReport(file=Path(path).name, read=len(source.rows))
    rows = [(raw.row, _fields(raw.values), raw.error) for raw in source.rows]
    ids = {str(f.get(n, "")).strip() for _, f, _ in rows for n in ("need_id", "candidate_id")}
    kinds = {rid: rec.kind for rid, rec in store.get_many(ids - {""}).items()}
    at = now or dt.datetime.now(dt.timezone.utc)
    repo = DockingRepo(store)
    good: list[tuple[Docking, list[HistoryEntry]]] = []
    seen: dict[tuple[str, str], int] = {}
    # Rows are checked against existing dockings inside the write transaction: a docking
    # another writer creates meanwhile is a row error, never a failed insert of the file.
    with repo.transaction():
        for number, fields, error in rows:
            try:
                if error:
                    raise ValidationError(error)
                docking, history = parse_row(fields, kinds=kinds, now=at, actor=actor,
                                             levels=levels or ServiceLevels())
                pair = (docking.need_id, docking.candidate_id)
                if pair in seen:
                    raise ValidationError(f"与第 {seen[pair]} 行的需求和成果/专家相同",
                                          field="candidate_id")
                if repo.find_pair(*pair) is not None:
                    raise ValidationError("该需求与该成果/专家的对接已存在", field="candidate_id")
                seen[pair] = number
                good.append((docking, history))
            except ValidationError as exc:
                report.errors.append(RowProblem(row=number, field=exc.field,
                                                message=exc.message))
        repo.insert_many([d for d, _ in good], [e for _, h in good for e in h])
        # each row a move from 推荐 into its stage, with the effects of that move on the board
        moved: dict[str, list[tuple[str, Docking]]] = {}
        for docking, _ in good:
            moved.setdefault(docking.need_id, []).append(("suggested", docking))
        for need_id in sorted(moved):
            if follow_moves(store, need_id, moved[need_id]) == "closed" and any(
                    d.reason == SOLVED_REASON for _, d in moved[need_id]):
                report.closed_needs.append(need_id)
    report.imported, report.rejected = len(good), len(report.errors)
    report.ids = [d.id for d, _ in good]
    return report
