"""The allowed-moves table of a docking and the admin's reopen.

    suggested 推荐 → contacted 已联系 → confirmed 企业确认 → negotiating 洽谈 → signed 签约 →
    completed 验收; any open stage (suggested … negotiating) → dropped 终止 (with a reason).

An admin may also reopen: dropped → any open stage, completed → signed, signed → negotiating
(a contract that fell through). Nothing else moves backwards; a stage never moves to itself.
"""

from __future__ import annotations

from techmatch.errors import ValidationError
from techmatch.models.dockings import ALL_STAGES, OPEN_STAGES, STAGE_LABELS

ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    "suggested": ("contacted", "dropped"),
    "contacted": ("confirmed", "dropped"),
    "confirmed": ("negotiating", "dropped"),
    "negotiating": ("signed", "dropped"),
    "signed": ("completed",),
    "completed": (),
    "dropped": (),
}
REOPEN_MOVES: dict[str, tuple[str, ...]] = {
    "dropped": OPEN_STAGES,
    "completed": ("signed",),
    "signed": ("negotiating",),
}


def allowed_moves(stage: str, *, admin: bool = False) -> tuple[str, ...]:
    """Stages a docking at `stage` may move to (an admin's reopen moves included)."""
    normal = ALLOWED_MOVES[stage]
    return normal + tuple(s for s in REOPEN_MOVES.get(stage, ()) if s not in normal) \
        if admin else normal


def is_reopen(from_stage: str, to_stage: str) -> bool:
    return to_stage in REOPEN_MOVES.get(from_stage, ()) and \
        to_stage not in ALLOWED_MOVES[from_stage]


def check_stage(stage: str, *, field: str = "to") -> None:
    if stage not in ALL_STAGES:
        raise ValidationError(f"未知阶段 {stage!r}（可选：{'、'.join(STAGE_LABELS.values())}）",
                              field=field)


def check_move(from_stage: str, to_stage: str, *, admin: bool = False) -> None:
    """Raise ValidationError naming from, to and the allowed moves when the move is not
    in the table (reopen moves only for an admin)."""
    check_stage(to_stage)
    allowed = allowed_moves(from_stage, admin=admin)
    if to_stage in allowed:
        return
    shown = "、".join(STAGE_LABELS[s] for s in allowed) or "无"
    hint = "；重新打开需要管理员权限" if to_stage in REOPEN_MOVES.get(from_stage, ()) else ""
    raise ValidationError(
        f"不能从「{STAGE_LABELS[from_stage]}」改为「{STAGE_LABELS[to_stage]}」；当前阶段可改为："
        f"{shown}{hint}", field="to")


def path_to(from_stage: str, to_stage: str) -> list[str] | None:
    """The forward steps from `from_stage` to `to_stage` along the table (None: unreachable)."""
    path: list[str] = []
    stage = from_stage
    while stage != to_stage:
        forward = [s for s in ALLOWED_MOVES[stage] if s != "dropped"]
        if to_stage == "dropped" and "dropped" in ALLOWED_MOVES[stage]:
            forward = ["dropped"]
        if not forward:
            return None
        stage = forward[0]
        path.append(stage)
    return path
